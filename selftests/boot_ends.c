// SPDX-License-Identifier: GPL-2.0
/*
 * boot_ends - the ways a Linux guest ends `vmem run`, besides power off
 * (boot_linux): a kernel panic gives status 3 (the guest loads pvpanic,
 * ACPI QEMU0001 at port 0x505, and crashes itself with sysrq c); a reboot
 * gives --reboot-status; SIGTERM stops a running guest with 128+15.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "boot_util.h"
#include "vt.h"

/* Boot with guest=@mode, wait for @ready, expect @status and @text. */
static int expect_end(const char *mode, const char *const extra[],
		      const char *ready, int status, const char *text)
{
	struct lrun r;

	ASSERT_EQ(boot_start(&r, mode, extra, false), 0);
	if (!lrun_wait_for(&r, ready, BOOT_TIMEOUT)) {
		lrun_dump(&r, 40);
		lrun_free(&r);
		FAIL("no \"%s\" within %d s", ready, BOOT_TIMEOUT);
	}
	EXPECT_EQ(lrun_finish(&r, BOOT_END_TIMEOUT), status);
	if (!strstr(r.out, text))
		vt_fail_at(__FILE__, __LINE__, "output lacks \"%s\"", text);
	lrun_dump(&r, vt_case_failed() ? 40 : 3);
	lrun_free(&r);
	return VT_PASS;
}

static int test_panic_is_status_3(void)
{
	return expect_end("panic", NULL, "crashing the kernel", 3,
			  "panicked (pvpanic)");
}

static int test_reboot_gives_reboot_status(void)
{
	const char *const extra[] = { "--reboot-status", "7", NULL };

	return expect_end("reboot", extra, "vmem-guest: rebooting", 7,
			  "asked for a reset");
}

static int test_sigterm_stops_the_guest(void)
{
	struct lrun r;

	ASSERT_EQ(boot_start(&r, "shell", NULL, false), 0);
	if (!lrun_wait_for(&r, "vmem-guest: shell ready", BOOT_TIMEOUT)) {
		lrun_dump(&r, 40);
		lrun_free(&r);
		FAIL("no shell within %d s", BOOT_TIMEOUT);
	}
	sleep(1);
	kill(r.pid, SIGTERM);
	EXPECT_EQ(lrun_finish(&r, BOOT_END_TIMEOUT), 128 + SIGTERM);
	if (!strstr(r.out, "stopped by signal"))
		vt_fail_at(__FILE__, __LINE__, "no \"stopped by signal\"");
	lrun_dump(&r, vt_case_failed() ? 40 : 3);
	lrun_free(&r);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(panic_is_status_3),
	VT_CASE(reboot_gives_reboot_status),
	VT_CASE(sigterm_stops_the_guest),
};

VT_MAIN(cases, boot_setup, NULL)
