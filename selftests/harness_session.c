// SPDX-License-Identifier: GPL-2.0
/*
 * harness_session - the harness (scripts/init.sh) runs each test as the
 * leader of its own session and process group, so that at the per-test
 * limit, and at the test's end, it can kill everything the test started
 * (a `vmem run` and its VM included) by the group.  Outside the harness
 * ($VMEM_TEST_TIMEOUT unset) there is nothing to check: skip.
 */
#include <stdlib.h>
#include <unistd.h>

#include "vt.h"

static int setup(void)
{
	if (!getenv("VMEM_TEST_TIMEOUT"))
		return vt_skip("not run by scripts/init.sh");
	return VT_PASS;
}

static int test_own_session_and_group(void)
{
	EXPECT_EQ(getsid(0), getpid());
	EXPECT_EQ(getpgid(0), getpid());
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(own_session_and_group),
};

VT_MAIN(cases, setup, NULL)
