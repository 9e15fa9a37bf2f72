// SPDX-License-Identifier: GPL-2.0
/*
 * boot_console - the console works both ways: on a pseudo-terminal, a
 * line typed into `vmem run` reaches the guest's shell through the UART's
 * receive interrupt, and the command's output comes back; `exit` ends the
 * shell, the guest powers off and vmem run exits 0.
 */
#include <string.h>

#include "boot_util.h"
#include "vt.h"

static int test_typed_line_reaches_the_shell(void)
{
	struct lrun r;
	int status;

	ASSERT_EQ(boot_start(&r, "shell", NULL, true), 0);
	if (!lrun_wait_for(&r, "vmem-guest: shell ready", BOOT_TIMEOUT)) {
		lrun_dump(&r, 40);
		lrun_free(&r);
		FAIL("no shell within %d s", BOOT_TIMEOUT);
	}
	/* The answer appears only if the shell ran it: 6*7 is not typed. */
	ASSERT_EQ(lrun_type(&r, "echo hello-$((6*7))\r"), 0);
	if (!lrun_wait_for(&r, "hello-42", BOOT_END_TIMEOUT)) {
		lrun_dump(&r, 20);
		lrun_free(&r);
		FAIL("the typed command's output did not come back");
	}
	ASSERT_EQ(lrun_type(&r, "exit\r"), 0);
	status = lrun_finish(&r, BOOT_END_TIMEOUT);
	EXPECT_EQ(status, 0);
	lrun_dump(&r, vt_case_failed() ? 40 : 6);
	lrun_free(&r);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(typed_line_reaches_the_shell),
};

VT_MAIN(cases, boot_setup, NULL)
