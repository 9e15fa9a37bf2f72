// SPDX-License-Identifier: GPL-2.0
/*
 * pool_cli - the netlink subcommands of the vmem tool: `vmem pool`,
 * `vmem vm`, `vmem stats [--json]`, `vmem top --batch`: help, usage
 * errors (exit 2), a refusal that names the pool and the amount (exit
 * 1), the listings, `vmem vm set --pshare` and VMEM_PSHARE as one
 * switch, and an unprivileged user who may read but not change; `vmem vm
 * ls` lists every VM for root and only the user's own VMs for a user.
 * Needs the tool (/bin/vmem or $VMEM_TOOL), /dev/vmem, root.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vmem.h>

#include "json_check.h"
#include "launcher_util.h"
#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

/* TOOL(code, text, args...): `vmem args...` exits @code printing @text. */
#define TOOL LRUN_EXPECT

static int setup(void)
{
	int r = vt_require_vm(VMEM_VM_MMU_AUTO);

	if (r != VT_PASS)
		return r;
	if (geteuid())
		return vt_skip("needs root");
	return lrun_require_tool();
}

static void teardown(void)
{
	struct lrun r;

	lrun_run(&r, (const char *const[]){ "vmem", "pool", "rm", "cli_b", NULL }, 10);
	lrun_free(&r);
	lrun_run(&r, (const char *const[]){ "vmem", "pool", "rm", "cli_a", NULL }, 10);
	lrun_free(&r);
}

static int test_help(void)
{
	TOOL(0, "usage: vmem pool", "pool", "--help");
	TOOL(0, "usage: vmem pool", "pool", "create", "--help");
	TOOL(0, "usage: vmem vm", "vm", "--help");
	TOOL(0, "usage: vmem stats", "stats", "--help");
	TOOL(0, "usage: vmem top", "top", "--help");
	TOOL(0, "pool", "--help");
	return VT_PASS;
}

static int test_usage_errors(void)
{
	TOOL(2, "unknown action", "pool", "frob");
	TOOL(2, "exactly one pool NAME", "pool", "create");
	TOOL(2, "bad reservation", "pool", "create", "x", "--reservation", "12Q");
	TOOL(2, "bad limit", "pool", "create", "x", "--limit", "-5");
	TOOL(2, "bad shares", "pool", "create", "x", "--shares", "lots");
	TOOL(2, "nothing to change", "pool", "set", "x");
	TOOL(2, "bad VM id", "vm", "mv", "abc", "root");
	TOOL(2, "takes 2 arguments", "vm", "mv", "1");
	TOOL(2, "unexpected argument", "stats", "extra");
	TOOL(2, "bad iterations", "top", "-n", "x");
	TOOL(2, "bad delay '0' (1 to 1000000)", "top", "--delay", "0");
	/* Pool names are checked here, with the rule in the message. */
	TOOL(2, "bad pool name 'bad name' (1 to 31 of A-Z a-z 0-9 . _ : -)",
	     "pool", "create", "bad name");
	TOOL(2, "bad pool name ''", "pool", "create", "");
	TOOL(2, "bad pool name 'a_pool_name_far_too_long_for_vmem'", "pool",
	     "create", "a_pool_name_far_too_long_for_vmem");
	TOOL(2, "bad --parent 'no/slash'", "pool", "create", "x", "--parent",
	     "no/slash");
	TOOL(2, "bad pool name 'x y'", "pool", "rm", "x y");
	return VT_PASS;
}

static int test_missing_pool_named(void)
{
	TOOL(1, "no pool named 'cli_nosuch' (see 'vmem pool ls')", "pool",
	     "rm", "cli_nosuch");
	TOOL(1, "no pool named 'cli_nosuch'", "pool", "set", "cli_nosuch",
	     "--shares", "high");
	TOOL(1, "no pool named 'cli_noparent'", "pool", "create", "cli_a",
	     "--parent", "cli_noparent");
	return VT_PASS;
}

/* The checker itself, so that a pass below means something. */
static int test_json_checker(void)
{
	static const char *const good[] = {
		"{}", " [1, -2.5e3, \"a\\\"b\\u00e9\", true, false, null] ",
		"{\"a\":{\"b\":[]}}",
	};
	static const char *const bad[] = {
		"", "{", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "\"a\nb\"",
		"\"\\x\"", "01", "{} {}", "[tru]", "{a:1}",
	};
	unsigned int i;
	size_t at;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		EXPECT_EQ(json_check(good[i], &at), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(json_check(bad[i], &at), -1);
	return VT_PASS;
}

/* The figure after "@key": in @s, as a number; -1 if absent. */
static long long json_num_after(const char *s, const char *key)
{
	const char *p = strstr(s, key);

	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/*
 * `vmem stats --json` parses, and `vmem top`'s row of a VM shows each
 * figure in its column (OVHD is the overhead, not MEMSZ) in 80 columns.
 */
static int test_stats_json_and_top_columns(void)
{
	struct vmem_memslot ms = { .slot = 0, .gpa = 0, .size = 16 << 20 };
	struct vmem_vm_name nm = { .name = "cli_json" };
	const char *const stats[] = { "vmem", "stats", "--json", NULL };
	const char *const top[] = { "vmem", "top", "-b", "-n", "1", NULL };
	char f[12][32], want[32];
	long long ovhd;
	const char *row, *line;
	struct vt_vm *vm;
	struct lrun r;
	size_t at = 0;

	vm = vm_create_bare(VMEM_VM_MMU_AUTO);
	ASSERT_TRUE(vm != NULL);
	ASSERT_OK(ioctl(vm->fd, VMEM_SET_MEMSLOT, &ms));
	ASSERT_OK(ioctl(vm->fd, VMEM_SET_VM_NAME, &nm));

	EXPECT_EQ(lrun_run(&r, stats, 30), 0);
	if (json_check(r.out, &at))
		vt_fail_at(__FILE__, __LINE__, "not JSON near offset %zu: %.60s",
			   at, r.out + at);
	row = strstr(r.out, "\"name\":\"cli_json\"");
	EXPECT_TRUE(row != NULL);
	ovhd = row ? json_num_after(row, "\"overhead\":") : -1;
	EXPECT_TRUE(ovhd >= 0);
	lrun_free(&r);

	EXPECT_EQ(lrun_run(&r, top, 30), 0);
	for (line = r.out; *line; line += strcspn(line, "\n") + !!line[strcspn(line, "\n")])
		if (strcspn(line, "\n") > 80)
			vt_fail_at(__FILE__, __LINE__, "line wider than 80: %.*s",
				   (int)strcspn(line, "\n"), line);
	row = strstr(r.out, " cli_json ");
	EXPECT_TRUE(row != NULL);
	while (row && row > r.out && row[-1] != '\n')
		row--;
	if (row && sscanf(row, "%31s %31s %31s %31s %31s %31s %31s %31s %31s %31s %31s %31s",
			  f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8],
			  f[9], f[10], f[11]) == 12) {
		snprintf(want, sizeof(want), "%lld", ovhd / 256);
		EXPECT_EQ(strcmp(f[3], "16"), 0);	/* MEMSZ */
		EXPECT_EQ(strcmp(f[10], "-"), 0);	/* LIMIT: unlimited */
		EXPECT_EQ(strcmp(f[11], want), 0);	/* OVHD */
		if (vt_case_failed())
			vt_diag("MEMSZ %s LIMIT %s OVHD %s, want 16 - %s", f[3],
				f[10], f[11], want);
	} else {
		vt_fail_at(__FILE__, __LINE__, "no 12-column row for cli_json");
	}
	if (vt_case_failed())
		lrun_dump(&r, 20);
	lrun_free(&r);
	vm_free(vm);
	return VT_PASS;
}

/* A terminal without a terminfo entry gets the plain screens. */
static int test_top_without_terminfo(void)
{
	const char *const top[] = { "vmem", "top", "-n", "1", NULL };
	struct lrun r;

	setenv("TERM", "vmem-no-such-terminal", 1);
	ASSERT_EQ(lrun_start(&r, top, true), 0);
	EXPECT_EQ(lrun_finish(&r, 30), 0);
	EXPECT_TRUE(strstr(r.out, "PSHARE/MB:") != NULL);
	EXPECT_TRUE(strstr(r.out, "no terminfo entry") != NULL);
	if (vt_case_failed())
		lrun_dump(&r, 20);
	lrun_free(&r);
	unsetenv("TERM");
	return VT_PASS;
}

static int test_pools_and_refusal(void)
{
	TOOL(0, "pool cli_a", "pool", "create", "cli_a", "--reservation", "64M",
	     "--fixed");
	TOOL(1, "admission refused: pool 'cli_a' lacks 64.0 MiB", "pool",
	     "create", "cli_b", "--parent", "cli_a", "--reservation", "128M");
	TOOL(1, "a pool of that name exists", "pool", "create", "cli_a");
	TOOL(1, "invalid", "pool", "set", "cli_a", "--limit", "32M");
	TOOL(0, "limit 128", "pool", "set", "cli_a", "--limit", "128M");
	TOOL(0, "cli_a", "pool", "ls");
	TOOL(0, "\"name\":\"cli_a\"", "stats", "--json");
	TOOL(0, "PSHARE/MB:", "stats");
	TOOL(0, "PSHARE/MB:", "top", "--batch", "-n", "1");
	TOOL(1, "no pool named 'cli_nope'", "pool", "rm", "cli_nope");
	TOOL(0, NULL, "pool", "rm", "cli_a");
	return VT_PASS;
}

static int test_vm_commands(void)
{
	struct vmem_memslot ms = { .slot = 0, .gpa = 0, .size = 16 << 20 };
	struct vmem_pshare ps = { 0 };
	struct vt_vm *vm;
	char id[16];
	int vm_id;

	vm = vm_create_bare(VMEM_VM_MMU_AUTO);
	ASSERT_TRUE(vm != NULL);
	ASSERT_OK(ioctl(vm->fd, VMEM_SET_MEMSLOT, &ms));
	ASSERT_OK(vm_id = ioctl(vm->fd, VMEM_GET_VM_ID, 0));
	snprintf(id, sizeof(id), "%d", vm_id);
	TOOL(0, NULL, "pool", "create", "cli_a", "--reservation", "64M");
	TOOL(0, "pool cli_a", "vm", "mv", id, "cli_a");
	TOOL(0, "reservation 8 MiB", "vm", "set", id, "--reservation", "8M",
	     "--shares", "high", "--pshare", "off");
	TOOL(0, "cli_a", "vm", "ls");
	/* --pshare is the sharing engine's switch, VMEM_PSHARE's too. */
	ps.flags = 0;
	ASSERT_OK(ioctl(vm->fd, VMEM_PSHARE, &ps));
	EXPECT_EQ(ps.enable, 0);
	ps.flags = VMEM_PSHARE_SET_ENABLE;
	ps.enable = 1;
	ASSERT_OK(ioctl(vm->fd, VMEM_PSHARE, &ps));
	TOOL(0, "pshare on", "vm", "set", id, "--shares", "low");
	TOOL(0, "MEMSZ", "top", "-b", "-n", "1");
	TOOL(1, "invalid", "vm", "set", id, "--reservation", "1G");
	TOOL(1, "in use", "pool", "rm", "cli_a");
	vm_free(vm);
	TOOL(1, "no such pool or VM", "vm", "set", id, "--limit", "unlimited");
	TOOL(0, NULL, "pool", "rm", "cli_a");
	return VT_PASS;
}

static int nobody(void *arg)
{
	(void)arg;
	ASSERT_OK(setgid(65534));
	ASSERT_OK(setuid(65534));
	TOOL(1, "permission denied", "pool", "create", "cli_a");
	TOOL(0, "root", "pool", "ls");
	TOOL(0, "PSHARE/MB:", "stats");
	return VT_PASS;
}

static int test_unprivileged(void)
{
	EXPECT_EQ(vt_run_in_child(nobody, NULL), VT_PASS);
	return VT_PASS;
}

#define OTHER_UID	1000

/* A VM named @name created by euid @uid (egid 0 opens the node). */
static struct vt_vm *named_vm_as(const char *name, uid_t uid)
{
	struct vmem_vm_name n = { 0 };
	struct vt_vm *vm;

	if (uid && seteuid(uid))
		return NULL;
	vm = vm_create_bare(VMEM_VM_MMU_AUTO);
	snprintf(n.name, sizeof(n.name), "%s", name);
	if (vm && ioctl(vm->fd, VMEM_SET_VM_NAME, &n)) {
		vm_free(vm);
		vm = NULL;
	}
	if (uid && seteuid(0))
		abort();
	return vm;
}

/* `vmem vm ls` as uid 1000: its VM, not root's. */
static int ls_as_other(void *arg)
{
	static const gid_t groups[] = { OTHER_UID };
	struct lrun r;

	(void)arg;
	ASSERT_OK(setgroups(1, groups));
	ASSERT_OK(setresgid(OTHER_UID, OTHER_UID, OTHER_UID));
	ASSERT_OK(setresuid(OTHER_UID, OTHER_UID, OTHER_UID));
	EXPECT_EQ(lrun_run(&r, (const char *const[]){ "vmem", "vm", "ls",
						     NULL }, 30), 0);
	EXPECT_TRUE(r.out && strstr(r.out, "cli_user_vm"));
	EXPECT_TRUE(r.out && !strstr(r.out, "cli_root_vm"));
	if (vt_case_failed())
		vt_diag("vmem vm ls as uid %d: %s", OTHER_UID,
			r.out ? r.out : "");
	lrun_free(&r);
	return VT_PASS;
}

static int test_vm_ls_visibility(void)
{
	struct vt_vm *mine, *theirs;

	ASSERT_TRUE(theirs = named_vm_as("cli_root_vm", 0));
	ASSERT_TRUE(mine = named_vm_as("cli_user_vm", OTHER_UID));
	TOOL(0, "cli_root_vm", "vm", "ls");
	TOOL(0, "cli_user_vm", "vm", "ls");
	EXPECT_EQ(vt_run_in_child(ls_as_other, NULL), VT_PASS);
	vm_free(mine);
	vm_free(theirs);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(help),
	VT_CASE(usage_errors),
	VT_CASE(missing_pool_named),
	VT_CASE(json_checker),
	VT_CASE(stats_json_and_top_columns),
	VT_CASE(top_without_terminfo),
	VT_CASE(pools_and_refusal),
	VT_CASE(vm_commands),
	VT_CASE(unprivileged),
	VT_CASE(vm_ls_visibility),
};

VT_MAIN(cases, setup, teardown)
