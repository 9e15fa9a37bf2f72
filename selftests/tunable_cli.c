// SPDX-License-Identifier: GPL-2.0
/*
 * tunable_cli - the sharing daemon's ESX settings as netlink tunables and
 * `vmem tunable`: ls shows Mem.ShareScanTime and Mem.ShareScanGHz with
 * the values of the module parameters they share and their ranges; set
 * changes the daemon's variable (read back through the parameter) and
 * get shows it; values out of range, unknown names and bad usage are
 * refused and change nothing; a user without CAP_NET_ADMIN may list but
 * not set.  Needs root, /dev/vmem and the tool; restores the values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher_util.h"
#include "vt.h"
#include "vt_util.h"

#define PARAM_DIR	"/sys/module/vmem/parameters/"

static long saved_time = -1, saved_ghz = -1;

/* Run the tool; expect exit @code and (if not NULL) @text in its output. */
static bool tool(int code, const char *text, const char *const argv[])
{
	struct lrun r;
	int st = lrun_run(&r, argv, 30);
	bool ok = st == code && (!text || (r.out && strstr(r.out, text)));

	if (!ok) {
		vt_diag("vmem %s %s: exit %d (want %d), want \"%s\"", argv[1],
			argv[2] ? argv[2] : "", st, code, text ? text : "");
		lrun_dump(&r, 20);
	}
	lrun_free(&r);
	return ok;
}

#define TOOL(code, text, ...)						\
	EXPECT_TRUE(tool((code), (text),				\
			 (const char *const[]){ "vmem", __VA_ARGS__, NULL }))

static long param(const char *name)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	if (vt_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	return strtol(buf, NULL, 10);
}

static void set_param(const char *name, long val)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%ld\n", val);
		fclose(f);
	}
}

static int setup(void)
{
	int r = vt_require_dev();

	if (r != VT_PASS)
		return r;
	if (geteuid())
		return vt_skip("needs root");
	if (access(lrun_tool(), X_OK))
		return vt_skip("no vmem tool at %s", lrun_tool());
	saved_time = param("share_scan_time");
	saved_ghz = param("share_scan_ghz");
	if (saved_time < 0 || saved_ghz < 0)
		return vt_fail_at(__FILE__, __LINE__,
				  "cannot read share_scan_time/ghz");
	return VT_PASS;
}

static void teardown(void)
{
	if (saved_time >= 0)
		set_param("share_scan_time", saved_time);
	if (saved_ghz >= 0)
		set_param("share_scan_ghz", saved_ghz);
}

static int test_ls_shows_the_parameters(void)
{
	char want[128];

	set_param("share_scan_time", 42);
	set_param("share_scan_ghz", 3);
	snprintf(want, sizeof(want), "%-24s %12d %12d %12d",
		 "Mem.ShareScanTime", 42, 1, 1440);
	TOOL(0, want, "tunable", "ls");
	snprintf(want, sizeof(want), "%-24s %12d %12d %12d",
		 "Mem.ShareScanGHz", 3, 0, 1000);
	TOOL(0, want, "tunable");
	TOOL(0, "Mem.ShareScanTime 42", "tunable", "get", "Mem.ShareScanTime");
	return VT_PASS;
}

static int test_set_changes_the_daemon(void)
{
	TOOL(0, "Mem.ShareScanTime 7", "tunable", "set", "Mem.ShareScanTime",
	     "7");
	EXPECT_EQ(param("share_scan_time"), 7);
	TOOL(0, "Mem.ShareScanTime 7", "tunable", "get", "Mem.ShareScanTime");
	TOOL(0, "Mem.ShareScanGHz 0", "tunable", "set", "Mem.ShareScanGHz",
	     "0");
	EXPECT_EQ(param("share_scan_ghz"), 0);
	TOOL(0, "Mem.ShareScanGHz 1000", "tunable", "set", "Mem.ShareScanGHz",
	     "1000");
	EXPECT_EQ(param("share_scan_ghz"), 1000);
	return VT_PASS;
}

static int test_refusals_change_nothing(void)
{
	set_param("share_scan_time", 9);
	TOOL(1, "out of range (1 to 1440)", "tunable", "set",
	     "Mem.ShareScanTime", "0");
	TOOL(1, "out of range (1 to 1440)", "tunable", "set",
	     "Mem.ShareScanTime", "1441");
	TOOL(1, "out of range (0 to 1000)", "tunable", "set",
	     "Mem.ShareScanGHz", "1001");
	EXPECT_EQ(param("share_scan_time"), 9);
	TOOL(1, "no tunable named 'Mem.Nope'", "tunable", "set", "Mem.Nope",
	     "1");
	TOOL(1, "no tunable named 'Mem.Nope'", "tunable", "get", "Mem.Nope");
	TOOL(2, "bad value 'ten'", "tunable", "set", "Mem.ShareScanTime",
	     "ten");
	TOOL(2, "bad value '-1'", "tunable", "set", "Mem.ShareScanTime",
	     "-1");
	TOOL(2, "set takes 2 arguments", "tunable", "set",
	     "Mem.ShareScanTime");
	TOOL(2, "unknown action 'frob'", "tunable", "frob");
	TOOL(0, "usage: vmem tunable", "tunable", "--help");
	EXPECT_EQ(param("share_scan_time"), 9);
	return VT_PASS;
}

static int nobody(void *arg)
{
	(void)arg;
	ASSERT_OK(setgid(65534));
	ASSERT_OK(setuid(65534));
	TOOL(1, "permission denied", "tunable", "set", "Mem.ShareScanTime",
	     "5");
	TOOL(0, "Mem.ShareScanTime", "tunable", "ls");
	return VT_PASS;
}

static int test_unprivileged_may_list_not_set(void)
{
	set_param("share_scan_time", 11);
	EXPECT_EQ(vt_run_in_child(nobody, NULL), VT_PASS);
	EXPECT_EQ(param("share_scan_time"), 11);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(ls_shows_the_parameters),
	VT_CASE(set_changes_the_daemon),
	VT_CASE(refusals_change_nothing),
	VT_CASE(unprivileged_may_list_not_set),
};

VT_MAIN(cases, setup, teardown)
