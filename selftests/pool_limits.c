// SPDX-License-Identifier: GPL-2.0
/*
 * pool_limits - the bounds on the pool tree (max_pool_depth, max_pools;
 * Documentation/pools.rst, "Bounds").
 *
 * A chain of pools exactly max_pool_depth deep works: every pool of it
 * is dumped with the UNRESERVED figure the admission rule gives
 * (recomputed here from the dumped reservations, uses and limits), and
 * two VMs at its bottom compete under host contention (the root lowered
 * to 12 MiB beyond what is reserved, as pool_swap does) so that
 * min-funding revocation walks the whole chain and takes the low-shares
 * VM's pages.  One level more is EMLINK, by creation and by moving a
 * pool (or a subtree) under the chain; the audit's chain of 1,000 pools
 * stops at the bound with EMLINK and leaves nothing behind; pool
 * max_pools + 1 is ENFILE, and one more fits after a deletion.  Needs
 * /dev/vmem, the netlink family, root and a writable /tmp.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vmem.h>
#include <linux/vmem_netlink.h>

#include "nl_util.h"
#include "vt.h"
#include "vt_param.h"
#include "vt_util.h"
#include "vt_vm.h"

#define ROOT		VMEM_POOL_ROOT_ID
#define UNLIM		VMEM_UNLIMITED
#define MB		(1ull << 20)
#define PAGES(bytes)	((bytes) / 4096)
#define PREFIX		"t_pl_"
/* The audit's chain. */
#define AUDIT_DEPTH	1000
/* Beyond this many pools the count case would take too long here. */
#define COUNT_MAX	4096
#define DUMP_MAX	(VMEM_POOL_ROOT_ID + 16384 + 16)

static struct nlt_sock nl;
static struct nlt_reply R;
/* The module's bounds, 0 when it has no such parameter. */
static long max_depth, max_pools;
/* Pools (but the root) that others left before this test ran. */
static int base_pools;

/* ---------------------------------------------------------------------- */
/* The pools as a dump shows them                                          */

struct dpool {
	uint32_t id, parent;
	char name[VMEM_NAME_MAX];
	uint64_t res, limit, used, unreserved;
	uint8_t exp;
};

static struct dpool dumped[DUMP_MAX];
static int nr_dumped;

static int dump_one(const struct nlt_attrs *at, void *arg)
{
	struct dpool *d;

	(void)arg;
	if (nr_dumped >= DUMP_MAX)
		return 1;
	d = &dumped[nr_dumped++];
	d->id = nlt_u32(at, VMEM_A_POOL_ID);
	d->parent = nlt_u32(at, VMEM_A_PARENT_ID);
	snprintf(d->name, sizeof(d->name), "%s", nlt_str(at, VMEM_A_POOL_NAME));
	d->res = nlt_u64(at, VMEM_A_RESERVATION);
	d->limit = nlt_u64(at, VMEM_A_LIMIT);
	d->used = nlt_u64(at, VMEM_A_USED);
	d->unreserved = nlt_u64(at, VMEM_A_UNRESERVED);
	d->exp = nlt_u8(at, VMEM_A_EXPANDABLE);
	return 0;
}

static int dump_pools(void)
{
	nr_dumped = 0;
	return nlt_dump(&nl, VMEM_CMD_POOL_GET, dump_one, NULL);
}

static const struct dpool *dumped_find(uint32_t id)
{
	for (int i = 0; i < nr_dumped; i++)
		if (dumped[i].id == id)
			return &dumped[i];
	return NULL;
}

/*
 * UNRESERVED by the rule of pools.rst, from the dumped figures: what is
 * unreserved locally, plus (for an expandable pool) what the parent can
 * give within the pool's limit.  ~0 when a parent is missing.
 */
static uint64_t ref_unreserved(const struct dpool *d)
{
	uint64_t local = d->res > d->used ? d->res - d->used : 0;
	uint64_t held = d->res > d->used ? d->res : d->used;
	uint64_t room, above;
	const struct dpool *p;

	if (!d->exp || !d->parent)
		return local;
	p = dumped_find(d->parent);
	if (!p)
		return ~0ull;
	above = ref_unreserved(p);
	if (above == ~0ull)
		return above;
	room = d->limit == UNLIM ? ~0ull :
	       d->limit > held ? d->limit - held : 0;
	return local + (room < above ? room : above);
}

/* Dump, and count the pools whose UNRESERVED is not the rule's. */
static int unreserved_mismatches(void)
{
	int bad = 0;

	if (dump_pools())
		return -1;
	for (int i = 0; i < nr_dumped; i++) {
		uint64_t want = ref_unreserved(&dumped[i]);

		if (dumped[i].unreserved != want) {
			vt_diag("pool %s: UNRESERVED %llu, the rule gives %llu",
				dumped[i].name,
				(unsigned long long)dumped[i].unreserved,
				(unsigned long long)want);
			bad++;
		}
	}
	return bad;
}

/* Delete every pool of this test, children before parents. */
static void cleanup_pools(void)
{
	int deleted;

	do {
		deleted = 0;
		if (dump_pools())
			return;
		for (int i = nr_dumped - 1; i >= 0; i--)
			if (!strncmp(dumped[i].name, PREFIX, strlen(PREFIX)) &&
			    !nlt_pool_del(&nl, dumped[i].id))
				deleted++;
	} while (deleted);
}

/* Pools but the root, as a dump counts them; -1 on error. */
static int count_pools(void)
{
	return dump_pools() ? -1 : nr_dumped - 1;
}

/*
 * A chain of @n pools PREFIX@tag1.. below @top, each under the one
 * before: the ids in @ids.  Returns how many were created; *@err is the
 * errno of the first refusal (0 if none).
 */
static int make_chain(const char *tag, uint32_t top, int n, uint32_t *ids,
		      int *err)
{
	char name[VMEM_NAME_MAX];
	uint32_t parent = top;
	int i;

	*err = 0;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), PREFIX "%s%d", tag, i + 1);
		*err = nlt_pool_new(&nl, name, parent, 0, UNLIM, 1, &ids[i],
				    &R);
		if (*err)
			break;
		parent = ids[i];
	}
	return i;
}

static int require_params(void)
{
	if (!max_depth || !max_pools)
		FAIL("no max_pool_depth / max_pools module parameter");
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Contention at the bottom of the chain (pool_swap's min_funding)        */

static int swap_file_open(void)
{
	char path[] = "/tmp/vmem-pl-swap-XXXXXX";
	int fd = mkstemp(path);

	if (fd >= 0)
		unlink(path);
	return fd;
}

static int vm_with_swap(struct vt_vm **vm, uint64_t size)
{
	struct vmem_swap_file sf = { 0 };
	int r;

	*vm = vm_create_bare(VMEM_VM_MMU_AUTO);
	if (!*vm || vm_add_slot(*vm, 0, 0, size, 0))
		return -1;
	sf.fd = swap_file_open();
	if (sf.fd < 0)
		return -1;
	r = ioctl((*vm)->fd, VMEM_SET_SWAP_FILE, &sf);
	close(sf.fd);
	return r;
}

static uint32_t vm_id(struct vt_vm *vm)
{
	int id = ioctl(vm->fd, VMEM_GET_VM_ID, 0);

	return id > 0 ? (uint32_t)id : 0;
}

/* Into pool @pool with reservation @res and shares @level. */
static int vm_place(struct vt_vm *vm, uint32_t pool, uint64_t res,
		    uint32_t level)
{
	struct nlt_msg m;

	nlt_init(&m, &nl, VMEM_CMD_VM_SET, 0);
	nlt_put_u32(&m, VMEM_A_VM_ID, vm_id(vm));
	nlt_put_u32(&m, VMEM_A_POOL_ID, pool);
	nlt_put_u64(&m, VMEM_A_RESERVATION, res);
	nlt_put_u32(&m, VMEM_A_SHARES_LEVEL, level);
	return nlt_call(&nl, &m, &R);
}

static int root_set_res(uint64_t res)
{
	struct nlt_msg m;

	nlt_init(&m, &nl, VMEM_CMD_POOL_SET, 0);
	nlt_put_u32(&m, VMEM_A_POOL_ID, ROOT);
	nlt_put_u64(&m, VMEM_A_RESERVATION, res);
	return nlt_call(&nl, &m, &R);
}

static uint64_t pattern(uint64_t addr, uint64_t seed)
{
	return (addr * 0x9e3779b97f4a7c15ull) ^ seed;
}

static void host_fill(struct vt_vm *vm, uint64_t size, uint64_t seed)
{
	volatile uint64_t *p = vm_gpa2hva(vm, 0);

	for (uint64_t i = 0; i < size / 8; i++)
		p[i] = pattern(i * 8, seed);
}

static uint64_t host_check(struct vt_vm *vm, uint64_t size, uint64_t seed)
{
	volatile uint64_t *p = vm_gpa2hva(vm, 0);
	uint64_t bad = 0;

	for (uint64_t i = 0; i < size / 8; i++)
		if (p[i] != pattern(i * 8, seed))
			bad++;
	return bad;
}

/*
 * Two VMs in the chain's deepest pool, the root 12 MiB short: the
 * high-shares VM's growth takes the low-shares VM's pages, found by
 * min-funding walking down every level of the chain.
 */
static int contend_at(uint32_t pool)
{
	const uint64_t size = 32 * MB, res_low = PAGES(2 * MB);
	struct vmem_vm_stats sl = { 0 }, sh = { 0 };
	struct vt_vm *low = NULL, *high = NULL;
	uint64_t root_res, used;
	int r = VT_PASS;

	ASSERT_EQ(nlt_pool_get(&nl, "root", &R), 0);
	root_res = nlt_u64(&R.reply, VMEM_A_RESERVATION);
	ASSERT_OK(vm_with_swap(&low, size));
	ASSERT_OK(vm_with_swap(&high, size));
	ASSERT_EQ(vm_place(low, pool, res_low, VMEM_SHARES_LOW), 0);
	ASSERT_EQ(vm_place(high, pool, 0, VMEM_SHARES_HIGH), 0);

	ASSERT_EQ(nlt_pool_get(&nl, "root", &R), 0);
	used = nlt_u64(&R.reply, VMEM_A_USED);
	ASSERT_EQ(root_set_res(used + PAGES(12 * MB)), 0);
	host_fill(low, 8 * MB, 21);
	host_fill(high, 8 * MB, 22);
	EXPECT_OK(vm_get_stats(low, &sl));
	EXPECT_OK(vm_get_stats(high, &sh));
	vt_diag("at depth %ld: low consumed %llu swapped %llu; high consumed %llu swapped %llu",
		max_depth,
		(unsigned long long)sl.consumed, (unsigned long long)sl.swapped,
		(unsigned long long)sh.consumed, (unsigned long long)sh.swapped);
	EXPECT_GE(sl.swapped, 1);
	EXPECT_EQ(sh.swapped, 0);
	EXPECT_GE(sl.consumed, res_low);
	/* A dump with the VMs charging every level. */
	EXPECT_EQ(unreserved_mismatches(), 0);
	if (root_set_res(root_res)) {
		vt_diag("could not restore the root's reservation");
		r = VT_FAIL;
	}
	EXPECT_EQ(host_check(low, 8 * MB, 21), 0);
	EXPECT_EQ(host_check(high, 8 * MB, 22), 0);
	vm_free(high);
	vm_free(low);
	return r;
}

/* ---------------------------------------------------------------------- */
/* Cases                                                                   */

static int test_params(void)
{
	vt_diag("max_pool_depth %ld, max_pools %ld", max_depth, max_pools);
	ASSERT_EQ(require_params(), VT_PASS);
	EXPECT_TRUE(max_depth >= 1 && max_depth <= 32);
	EXPECT_TRUE(max_pools >= 1 && max_pools <= 16384);
	/* Read-only: they size what was checked at load. */
	EXPECT_NE(vt_param_set("max_pool_depth", max_depth + 1), 0);
	return VT_PASS;
}

/* A chain at the bound: created, dumped right, usable under contention. */
static int test_chain_at_max_depth(void)
{
	uint32_t ids[32];
	int n, err, r;
	uint32_t mid;

	ASSERT_EQ(require_params(), VT_PASS);
	n = make_chain("d", ROOT, max_depth, ids, &err);
	EXPECT_EQ(n, max_depth);
	EXPECT_EQ(err, 0);
	if (n != max_depth) {
		cleanup_pools();
		return VT_FAIL;
	}
	ASSERT_EQ(dump_pools(), 0);
	for (int i = 0; i < n; i++) {
		const struct dpool *d = dumped_find(ids[i]);

		EXPECT_TRUE(d != NULL);
		if (d)
			EXPECT_EQ(d->parent, i ? ids[i - 1] : ROOT);
	}
	EXPECT_EQ(unreserved_mismatches(), 0);

	/* A limit halfway caps what every pool below may still admit. */
	mid = ids[n / 2];
	EXPECT_EQ(nlt_pool_set(&nl, mid, 0, PAGES(3 * MB), &R), 0);
	EXPECT_EQ(unreserved_mismatches(), 0);
	ASSERT_EQ(dump_pools(), 0);
	EXPECT_EQ(dumped_find(ids[n - 1])->unreserved, PAGES(3 * MB));
	EXPECT_EQ(nlt_pool_set(&nl, mid, 0, UNLIM, &R), 0);

	r = contend_at(ids[n - 1]);
	cleanup_pools();
	EXPECT_EQ(count_pools(), base_pools);
	return r;
}

/* One level more: EMLINK, by creation and by moves; nothing changes. */
static int test_one_more_level_refused(void)
{
	uint32_t ids[33], flat[33], x, xc, top;
	char name[VMEM_NAME_MAX];
	int n, err;

	ASSERT_EQ(require_params(), VT_PASS);
	n = make_chain("e", ROOT, max_depth + 1, ids, &err);
	EXPECT_EQ(n, max_depth);
	EXPECT_EQ(err, -EMLINK);
	vt_diag("level %ld: %s (\"%s\")", max_depth + 1, vt_errno_name(-err),
		R.extack);
	EXPECT_TRUE(strstr(R.extack, "max_pool_depth") != NULL);
	snprintf(name, sizeof(name), PREFIX "e%ld", max_depth + 1);
	EXPECT_EQ(nlt_pool_get(&nl, name, &R), -ENOENT);

	/* A subtree of two levels fits above the last level only. */
	ASSERT_EQ(nlt_pool_new(&nl, PREFIX "x", ROOT, 0, UNLIM, 1, &x, &R), 0);
	ASSERT_EQ(nlt_pool_new(&nl, PREFIX "xc", x, 0, UNLIM, 1, &xc, &R), 0);
	if (n == max_depth && n >= 2) {
		EXPECT_EQ(nlt_pool_set(&nl, x, ids[n - 2], NLT_KEEP, &R),
			  -EMLINK);
		ASSERT_EQ(dump_pools(), 0);
		EXPECT_EQ(dumped_find(x)->parent, ROOT);
		EXPECT_EQ(dumped_find(xc)->parent, x);
		if (n >= 3)
			EXPECT_EQ(nlt_pool_set(&nl, x, ids[n - 3], NLT_KEEP,
					       &R), 0);
		/* The whole chain under a new top: one level too deep. */
		ASSERT_EQ(nlt_pool_new(&nl, PREFIX "top", ROOT, 0, UNLIM, 1,
				       &top, &R), 0);
		EXPECT_EQ(nlt_pool_set(&nl, ids[0], top, NLT_KEEP, &R),
			  -EMLINK);
		ASSERT_EQ(dump_pools(), 0);
		EXPECT_EQ(dumped_find(ids[0])->parent, ROOT);
	}
	cleanup_pools();

	/* A chain built by moves stops at the bound the same way. */
	for (int i = 0; i <= max_depth; i++) {
		snprintf(name, sizeof(name), PREFIX "m%d", i + 1);
		ASSERT_EQ(nlt_pool_new(&nl, name, ROOT, 0, UNLIM, 1, &flat[i],
				       &R), 0);
	}
	for (int i = 1; i <= max_depth; i++)
		EXPECT_EQ(nlt_pool_set(&nl, flat[i], flat[i - 1], NLT_KEEP,
				       &R), i < max_depth ? 0 : -EMLINK);
	cleanup_pools();
	EXPECT_EQ(count_pools(), base_pools);
	return VT_PASS;
}

/* The audit's 1,000-deep chain: refused at the bound, cleanly. */
static int test_audit_chain_refused(void)
{
	static uint32_t ids[AUDIT_DEPTH];
	int n, err, later = 0;

	n = make_chain("a", ROOT, AUDIT_DEPTH, ids, &err);
	vt_diag("chain of %d: %d created, then %s", AUDIT_DEPTH, n,
		err ? vt_errno_name(-err) : "nothing refused");
	EXPECT_TRUE(n < AUDIT_DEPTH);
	if (max_depth)
		EXPECT_EQ(n, max_depth);
	EXPECT_EQ(err, -EMLINK);
	/* The audit's loop goes on: every further level is refused too. */
	if (n > 0 && n < AUDIT_DEPTH) {
		for (int i = 0; i < 16; i++) {
			char name[VMEM_NAME_MAX];

			snprintf(name, sizeof(name), PREFIX "late%d", i);
			if (nlt_pool_new(&nl, name, ids[n - 1], 0, UNLIM, 1,
					 NULL, &R) == -EMLINK)
				later++;
		}
		EXPECT_EQ(later, 16);
	}
	EXPECT_EQ(unreserved_mismatches(), 0);
	cleanup_pools();
	EXPECT_EQ(count_pools(), base_pools);
	return VT_PASS;
}

/* Pool max_pools + 1: ENFILE; one fits again after a deletion. */
static int test_pool_count_cap(void)
{
	char name[VMEM_NAME_MAX];
	uint32_t id = 0;
	int have, i, r;

	ASSERT_EQ(require_params(), VT_PASS);
	if (max_pools > COUNT_MAX)
		SKIP("max_pools %ld too high to fill here", max_pools);
	have = count_pools();
	ASSERT_TRUE(have >= 0 && have < max_pools);
	for (i = 0; have < max_pools; i++, have++) {
		snprintf(name, sizeof(name), PREFIX "n%d", i);
		r = nlt_pool_new(&nl, name, ROOT, 0, UNLIM, 1, &id, &R);
		if (r) {
			vt_diag("pool %d of %ld: %s", have + 1, max_pools,
				vt_errno_name(-r));
			cleanup_pools();
			FAIL("refused below max_pools");
		}
	}
	r = nlt_pool_new(&nl, PREFIX "over", ROOT, 0, UNLIM, 1, NULL, &R);
	vt_diag("pool %ld: %s (\"%s\")", max_pools + 1, vt_errno_name(-r),
		R.extack);
	EXPECT_EQ(r, -ENFILE);
	EXPECT_TRUE(strstr(R.extack, "max_pools") != NULL);
	EXPECT_EQ(count_pools(), max_pools);
	EXPECT_EQ(nlt_pool_del(&nl, id), 0);
	EXPECT_EQ(nlt_pool_new(&nl, PREFIX "over", ROOT, 0, UNLIM, 1, NULL,
			       &R), 0);
	EXPECT_EQ(nlt_pool_new(&nl, PREFIX "over2", ROOT, 0, UNLIM, 1, NULL,
			       &R), -ENFILE);
	cleanup_pools();
	EXPECT_EQ(count_pools(), base_pools);
	return VT_PASS;
}

static int setup(void)
{
	int r = vt_require_vm(VMEM_VM_MMU_AUTO);

	if (r == VT_PASS)
		r = nlt_require(&nl);
	if (r != VT_PASS)
		return r;
	if (vt_param_get("max_pool_depth", &max_depth) ||
	    max_depth < 0 || max_depth > 32)
		max_depth = 0;
	if (vt_param_get("max_pools", &max_pools) || max_pools < 0)
		max_pools = 0;
	cleanup_pools();
	base_pools = count_pools();
	if (base_pools)
		vt_diag("pools left by others: %d", base_pools);
	return VT_PASS;
}

static void teardown(void)
{
	cleanup_pools();
	nlt_close(&nl);
}

static const struct vt_case cases[] = {
	VT_CASE(params),
	VT_CASE(chain_at_max_depth),
	VT_CASE(one_more_level_refused),
	VT_CASE(audit_chain_refused),
	VT_CASE(pool_count_cap),
};

VT_MAIN(cases, setup, teardown)
