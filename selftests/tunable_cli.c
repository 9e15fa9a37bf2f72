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
#include "vt_param.h"
#include "vt_util.h"


static const char *const knobs[] = { "share_scan_time", "share_scan_ghz" };
static struct vt_params saved;

/* TOOL(code, text, args...): `vmem args...` exits @code printing @text. */
#define TOOL LRUN_EXPECT

/* A parameter's value, -1 when it cannot be read. */
static long param(const char *name)
{
	long v;

	return vt_param_get(name, &v) ? -1 : v;
}

static int setup(void)
{
	int r = vt_require_dev();

	if (r != VT_PASS)
		return r;
	if (geteuid())
		return vt_skip("needs root");
	r = lrun_require_tool();
	if (r != VT_PASS)
		return r;
	if (vt_params_save(&saved, knobs, 2))
		return vt_fail_at(__FILE__, __LINE__,
				  "cannot read share_scan_time/ghz");
	return VT_PASS;
}

static void teardown(void)
{
	vt_params_restore(&saved);
}

/* --help after any action is the help, not an argument error. */
static int test_help_after_an_action(void)
{
	LRUN_EXPECT(0, "usage: vmem tunable", "tunable", "--help");
	LRUN_EXPECT(0, "usage: vmem tunable", "tunable", "ls", "--help");
	LRUN_EXPECT(0, "usage: vmem tunable", "tunable", "get", "--help");
	LRUN_EXPECT(0, "usage: vmem tunable", "tunable", "set", "--help");
	LRUN_EXPECT(0, "usage: vmem tunable", "tunable", "set", "-h");
	LRUN_EXPECT(0, "usage: vmem tunable", "tunable", "set",
		    "Mem.ShareScanTime", "--help");
	return VT_PASS;
}

static int test_ls_shows_the_parameters(void)
{
	char want[128];

	ASSERT_OK(vt_param_set("share_scan_time", 42));
	ASSERT_OK(vt_param_set("share_scan_ghz", 3));
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
	ASSERT_OK(vt_param_set("share_scan_time", 9));
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
	ASSERT_OK(vt_param_set("share_scan_time", 11));
	EXPECT_EQ(vt_run_in_child(nobody, NULL), VT_PASS);
	EXPECT_EQ(param("share_scan_time"), 11);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(help_after_an_action),
	VT_CASE(ls_shows_the_parameters),
	VT_CASE(set_changes_the_daemon),
	VT_CASE(refusals_change_nothing),
	VT_CASE(unprivileged_may_list_not_set),
};

VT_MAIN(cases, setup, teardown)
