// SPDX-License-Identifier: GPL-2.0
/*
 * launcher_pool - `vmem run` with its resource options, on tiny flat
 * guests (no Linux): --name, --pool, --reservation, --limit and --shares
 * are what netlink and `vmem vm ls` show while the guest runs, and the
 * pool's charge returns when it ends; an admission refusal (a fixed pool
 * too small, a pool limit) ends `vmem run` with status 1 and the
 * kernel's pool and amount before the guest runs, leaving no VM; a
 * missing pool is status 1; --pshare off keeps Shared at 0 while a twin
 * with the same salt and sharing on shares; two VMs with one --salt
 * share their pages and two with different salts do not; --swap-file is
 * given to vmem, or, on a module without hypervisor swap, refused with a
 * clear message and the file it created removed.
 *
 * Needs root, /dev/vmem and the tool (/bin/vmem or $VMEM_TOOL).  The
 * sharing daemon is sped up through its module parameters and restored.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/vmem_netlink.h>

#include "launcher_util.h"
#include "nl_util.h"
#include "vt.h"
#include "vt_param.h"
#include "vt_util.h"

#define T		60	/* seconds for a tiny guest to start or end */
#define SHARE_WAIT	90	/* seconds for the daemon to merge */
#define FILL_PAGES	256	/* what the fill programs write at 2 MiB */

/* mov dx, 0x3f8; mov al, 'o'; out; mov al, 'k'; out; mov al, 10; out */
#define PRINT_OK \
	"\x66\xba\xf8\x03" "\xb0\x6f\xee" "\xb0\x6b\xee" "\xb0\x0a\xee"
/* sti; hlt; jmp back: sleeps, no interrupt ever comes (PIC masked) */
#define SLEEP		"\xfb\xf4\xeb\xfd"
/* mov edi, 0x200000; mov ecx, FILL_PAGES * 1024 */
#define FILL_SETUP	"\xbf\x00\x00\x20\x00" "\xb9\x00\x00\x04\x00"

static const char prog_sleep[] = PRINT_OK SLEEP;
/* Each dword holds its own address: pages differ, VMs agree. */
static const char prog_fill_unique[] =
	FILL_SETUP
	"\x89\xf8"		/* mov eax, edi */
	"\xab"			/* stosd */
	"\xff\xc9"		/* dec ecx */
	"\x75\xf9"		/* jnz back to mov eax, edi */
	PRINT_OK SLEEP;
/* Every page the same: sharing would fold them into one frame. */
static const char prog_fill_same[] =
	FILL_SETUP
	"\xb8\x5a\x5a\x5a\x5a"	/* mov eax, 0x5a5a5a5a */
	"\xf3\xab"		/* rep stosd */
	PRINT_OK SLEEP;

static const char *const knobs[] = {
	"share_scan_pages", "share_scan_sleep_ms", "share_scan_ghz",
};
static struct vt_params saved;
static struct nlt_sock nl;

/* ---- running the tool ---------------------------------------------- */

/* Start `vmem run --flat` on @prog, 16 MiB, with the options after it. */
#define START(r, prog, ...)						\
	lrun_start_flat((r), "/tmp/launcher_pool." #prog, prog,		\
			sizeof(prog) - 1,				\
			(const char *const[]){ __VA_ARGS__, NULL }, false)

/* Stop a sleeping guest: SIGTERM gives 128 + SIGTERM. */
static void stop(struct lrun *r)
{
	if (!r->exited)
		kill(r->pid, SIGTERM);
	EXPECT_EQ(lrun_finish(r, T), 128 + SIGTERM);
	if (vt_case_failed())
		lrun_dump(r, 20);
	lrun_free(r);
}

static bool output_has(const struct lrun *r, const char *text)
{
	if (r->out && strstr(r->out, text))
		return true;
	vt_diag("output lacks \"%s\"", text);
	lrun_dump(r, 20);
	return false;
}

/* ---- netlink views ------------------------------------------------- */

struct vm_view {
	const char *name;	/* in: the VM looked for */
	bool found;
	uint32_t id, pool_id, shares_level;
	uint64_t res, limit, shared, granted;
	uint8_t pshare;
};

static int vm_view_fn(const struct nlt_attrs *at, void *arg)
{
	struct vm_view *v = arg;

	if (strcmp(nlt_str(at, VMEM_A_VM_NAME), v->name))
		return 0;
	v->found = true;
	v->id = nlt_u32(at, VMEM_A_VM_ID);
	v->pool_id = nlt_u32(at, VMEM_A_POOL_ID);
	v->shares_level = nlt_u32(at, VMEM_A_SHARES_LEVEL);
	v->res = nlt_u64(at, VMEM_A_RESERVATION);
	v->limit = nlt_u64(at, VMEM_A_LIMIT);
	v->shared = nlt_u64(at, VMEM_A_SHARED);
	v->granted = nlt_u64(at, VMEM_A_GRANTED);
	v->pshare = nlt_u8(at, VMEM_A_PSHARE);
	return 1;
}

/* The VM named @name over netlink: 1 found, 0 not, -errno. */
static int vm_find(const char *name, struct vm_view *v)
{
	int r;

	memset(v, 0, sizeof(*v));
	v->name = name;
	r = nlt_dump(&nl, VMEM_CMD_VM_GET, vm_view_fn, v);
	return r < 0 ? r : v->found;
}

/* A pool's use (children's charges), or ~0 when it cannot be read. */
static uint64_t pool_used(const char *name)
{
	struct nlt_reply r;

	if (nlt_pool_get(&nl, name, &r))
		return ~0ULL;
	return nlt_u64(&r.reply, VMEM_A_USED);
}

/* Wait until every VM in @names has Shared >= @want; false on timeout. */
static bool wait_shared(const char *const names[], int n, uint64_t want)
{
	struct vm_view v;
	int s, i;

	for (s = 0; s < SHARE_WAIT * 10; s++) {
		for (i = 0; i < n; i++)
			if (vm_find(names[i], &v) != 1 || v.shared < want)
				break;
		if (i == n)
			return true;
		usleep(100000);
	}
	for (i = 0; i < n; i++) {
		vm_find(names[i], &v);
		vt_diag("%s: found %d, Shared %llu, Granted %llu (want Shared >= %llu)",
			names[i], v.found, (unsigned long long)v.shared,
			(unsigned long long)v.granted,
			(unsigned long long)want);
	}
	return false;
}

/* ---- setup --------------------------------------------------------- */

static const char *const pools[] = { "lp_pool", "lp_small", "lp_lim" };

static int setup(void)
{
	int ret = vt_require_dev();

	if (ret == VT_PASS)
		ret = lrun_require_tool();
	if (ret == VT_PASS)
		ret = nlt_require(&nl);
	if (ret != VT_PASS)
		return ret;
	nlt_pool_del_names(&nl, pools, 3);
	if (vt_params_save(&saved, knobs, 3))
		return vt_fail_at(__FILE__, __LINE__, "cannot read %s",
				  VT_SYSFS_PARAM("share_scan_*"));
	if (vt_params_share_fast())
		return vt_fail_at(__FILE__, __LINE__, "cannot set share_scan_*");
	return VT_PASS;
}

static void teardown(void)
{
	vt_params_restore(&saved);
	if (nl.fd > 0) {
		nlt_pool_del_names(&nl, pools, 3);
		nlt_close(&nl);
	}
	unlink("/tmp/launcher_pool.prog_sleep");
	unlink("/tmp/launcher_pool.prog_fill_unique");
	unlink("/tmp/launcher_pool.prog_fill_same");
}

/* ---- cases --------------------------------------------------------- */

static int test_settings_seen_while_running(void)
{
	struct nlt_reply nr;
	struct vm_view v;
	struct lrun r, ls;
	uint32_t pool;

	ASSERT_EQ(nlt_pool_new(&nl, "lp_pool", 1, 64 * MB_PAGES,
			       VMEM_UNLIMITED, 1, &pool, &nr), 0);
	ASSERT_EQ(START(&r, prog_sleep, "--name", "lp_res", "--pool",
			"lp_pool", "--reservation", "8M", "--limit", "12M",
			"--shares", "high"), 0);
	EXPECT_TRUE(lrun_wait_for(&r, "ok\n", T));
	EXPECT_TRUE(output_has(&r, "in pool 'lp_pool': reservation 8 MiB, limit 12 MiB, shares high"));
	EXPECT_EQ(vm_find("lp_res", &v), 1);
	EXPECT_EQ(v.pool_id, pool);
	EXPECT_EQ(v.res, 8 * MB_PAGES);
	EXPECT_EQ(v.limit, 12 * MB_PAGES);
	EXPECT_EQ(v.shares_level, VMEM_SHARES_HIGH);
	/* The pool holds the VM's reservation plus its overhead. */
	EXPECT_GE(pool_used("lp_pool"), 8 * MB_PAGES + 1);
	EXPECT_EQ(lrun_run(&ls, (const char *const[]){ "vmem", "vm", "ls",
						       NULL }, T), 0);
	EXPECT_TRUE(output_has(&ls, "lp_res"));
	EXPECT_TRUE(output_has(&ls, "lp_pool"));
	lrun_free(&ls);
	stop(&r);
	EXPECT_EQ(vm_find("lp_res", &v), 0);
	EXPECT_EQ(pool_used("lp_pool"), 0);
	EXPECT_EQ(nlt_pool_del(&nl, pool), 0);
	return VT_PASS;
}

static int test_custom_shares_and_defaults(void)
{
	struct vm_view v;
	struct lrun r;

	ASSERT_EQ(START(&r, prog_sleep, "--name", "lp_custom", "--shares",
			"1234"), 0);
	EXPECT_TRUE(lrun_wait_for(&r, "ok\n", T));
	EXPECT_EQ(vm_find("lp_custom", &v), 1);
	EXPECT_EQ(v.pool_id, 1);		/* root */
	EXPECT_EQ(v.res, 0);
	EXPECT_EQ(v.limit, VMEM_UNLIMITED);
	EXPECT_EQ(v.shares_level, VMEM_SHARES_CUSTOM);
	EXPECT_EQ(v.pshare, 1);
	stop(&r);
	return VT_PASS;
}

/* A refused start: status 1, @text in the output, no guest, no VM. */
static int expect_refused(const char *pool, const char *text)
{
	struct vm_view v;
	struct lrun r;

	ASSERT_EQ(START(&r, prog_sleep, "--name", "lp_refused", "--pool", pool,
			"--reservation", "12M"), 0);
	EXPECT_EQ(lrun_finish(&r, T), 1);
	EXPECT_TRUE(output_has(&r, text));
	EXPECT_TRUE(output_has(&r, "the guest was not started"));
	EXPECT_TRUE(!r.out || !strstr(r.out, "ok\n"));
	lrun_free(&r);
	EXPECT_EQ(vm_find("lp_refused", &v), 0);
	EXPECT_EQ(pool_used(pool), 0);
	return VT_PASS;
}

static int test_admission_refused_by_a_fixed_pool(void)
{
	struct nlt_reply nr;
	uint32_t pool;

	ASSERT_EQ(nlt_pool_new(&nl, "lp_small", 1, 4 * MB_PAGES,
			       VMEM_UNLIMITED, 0, &pool, &nr), 0);
	expect_refused("lp_small",
		       "admission refused: pool 'lp_small' lacks");
	EXPECT_EQ(nlt_pool_del(&nl, pool), 0);
	return VT_PASS;
}

static int test_admission_refused_by_a_pool_limit(void)
{
	struct nlt_reply nr;
	uint32_t pool;

	ASSERT_EQ(nlt_pool_new(&nl, "lp_lim", 1, 0, 8 * MB_PAGES, 1, &pool,
			       &nr), 0);
	expect_refused("lp_lim",
		       "admission refused: pool 'lp_lim' would pass its limit by");
	EXPECT_EQ(nlt_pool_del(&nl, pool), 0);
	return VT_PASS;
}

static int test_missing_pool(void)
{
	struct vm_view v;
	struct lrun r;

	ASSERT_EQ(START(&r, prog_sleep, "--name", "lp_nopool", "--pool",
			"lp_nope"), 0);
	EXPECT_EQ(lrun_finish(&r, T), 1);
	EXPECT_TRUE(output_has(&r, "no pool named 'lp_nope'"));
	lrun_free(&r);
	EXPECT_EQ(vm_find("lp_nopool", &v), 0);
	return VT_PASS;
}

/*
 * A --limit below what the launcher must load: the launcher's own first
 * touch of guest memory is refused (SIGBUS).  It reports that and exits
 * 1; it never dies by the signal (135).
 */
static int test_limit_below_the_images(void)
{
	struct vm_view v;
	struct lrun r;
	int st;

	ASSERT_EQ(START(&r, prog_sleep, "--name", "lp_limit0", "--limit",
			"0"), 0);
	st = lrun_finish(&r, T);
	EXPECT_NE(st, 128 + SIGBUS);
	EXPECT_EQ(st, 1);
	EXPECT_TRUE(output_has(&r, "--limit below what the guest's images need"));
	if (vt_case_failed())
		lrun_dump(&r, 20);
	lrun_free(&r);
	EXPECT_EQ(vm_find("lp_limit0", &v), 0);
	return VT_PASS;
}

static int test_pshare_off_keeps_shared_zero(void)
{
	const char *const on[] = { "lp_on" };
	struct lrun a, b;
	struct vm_view v;

	/* Same salt: were "off" ignored, lp_off would share with lp_on. */
	ASSERT_EQ(START(&a, prog_fill_same, "--name", "lp_off", "--pshare",
			"off", "--salt", "4242"), 0);
	ASSERT_EQ(START(&b, prog_fill_same, "--name", "lp_on", "--pshare",
			"on", "--salt", "4242"), 0);
	EXPECT_TRUE(lrun_wait_for(&a, "ok\n", T));
	EXPECT_TRUE(lrun_wait_for(&b, "ok\n", T));
	/* Once lp_on has folded its pages, lp_off had the same chances. */
	EXPECT_TRUE(wait_shared(on, 1, FILL_PAGES));
	EXPECT_EQ(vm_find("lp_off", &v), 1);
	EXPECT_EQ(v.shared, 0);
	EXPECT_EQ(v.pshare, 0);
	EXPECT_GE(v.granted, FILL_PAGES);
	stop(&a);
	stop(&b);
	return VT_PASS;
}

static int test_same_salt_shares_other_salts_do_not(void)
{
	const char *const same[] = { "lp_salt_a", "lp_salt_b" };
	struct lrun a, b, c, d;
	struct vm_view v;

	/* Pages unique within each VM: only sharing across VMs folds them. */
	ASSERT_EQ(START(&a, prog_fill_unique, "--name", "lp_salt_a", "--salt",
			"77"), 0);
	ASSERT_EQ(START(&b, prog_fill_unique, "--name", "lp_salt_b", "--salt",
			"77"), 0);
	ASSERT_EQ(START(&c, prog_fill_unique, "--name", "lp_salt_c", "--salt",
			"1"), 0);
	ASSERT_EQ(START(&d, prog_fill_unique, "--name", "lp_salt_d", "--salt",
			"2"), 0);
	EXPECT_TRUE(lrun_wait_for(&a, "ok\n", T));
	EXPECT_TRUE(lrun_wait_for(&b, "ok\n", T));
	EXPECT_TRUE(lrun_wait_for(&c, "ok\n", T));
	EXPECT_TRUE(lrun_wait_for(&d, "ok\n", T));
	EXPECT_TRUE(wait_shared(same, 2, FILL_PAGES));
	/*
	 * The daemon scans every VM at each wake-up: c and d had as many
	 * passes.  Their few shared pages are the zero frame's.
	 */
	EXPECT_EQ(vm_find("lp_salt_c", &v), 1);
	EXPECT_LE(v.shared, FILL_PAGES / 4);
	EXPECT_EQ(vm_find("lp_salt_d", &v), 1);
	EXPECT_LE(v.shared, FILL_PAGES / 4);
	stop(&a);
	stop(&b);
	stop(&c);
	stop(&d);
	return VT_PASS;
}

/*
 * vmem with hypervisor swap takes the file and the guest runs; without
 * it (VMEM_SET_SWAP_FILE answers ENOTTY) `vmem run` says so, exits 1
 * and removes the file it created.
 */
static int test_swap_file(void)
{
	const char *path = "/tmp/launcher_pool.vswp";
	struct vm_view v;
	struct stat st;
	struct lrun r;
	int status;

	unlink(path);
	ASSERT_EQ(START(&r, prog_sleep, "--name", "lp_swap", "--swap-file",
			path), 0);
	if (lrun_wait_for(&r, "ok\n", T)) {
		EXPECT_OK(stat(path, &st));
		EXPECT_TRUE(S_ISREG(st.st_mode));
		EXPECT_EQ(st.st_mode & 0777, 0600);
		stop(&r);
		EXPECT_OK(unlink(path));
		return VT_PASS;
	}
	status = lrun_finish(&r, T);
	EXPECT_EQ(status, 1);
	EXPECT_TRUE(output_has(&r, "no hypervisor swap (VMEM_SET_SWAP_FILE"));
	lrun_free(&r);
	EXPECT_ERRNO(access(path, F_OK), ENOENT);
	EXPECT_EQ(vm_find("lp_swap", &v), 0);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(settings_seen_while_running),
	VT_CASE(custom_shares_and_defaults),
	VT_CASE(admission_refused_by_a_fixed_pool),
	VT_CASE(admission_refused_by_a_pool_limit),
	VT_CASE(limit_below_the_images),
	VT_CASE(missing_pool),
	VT_CASE(pshare_off_keeps_shared_zero),
	VT_CASE(same_salt_shares_other_salts_do_not),
	VT_CASE(swap_file),
};

VT_MAIN(cases, setup, teardown)
