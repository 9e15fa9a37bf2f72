// SPDX-License-Identifier: GPL-2.0
/*
 * boot_ends - the ways a Linux guest ends `vmem run`, besides power off
 * (boot_linux): a kernel panic gives status 3 (the guest loads pvpanic,
 * ACPI QEMU0001 at port 0x505, and crashes itself with sysrq c); a reboot
 * gives --reboot-status; SIGTERM stops a running guest with 128+15.  The
 * panic is tested on both guest kernels (6.1 and 6.12).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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

/*
 * The same on the 6.12 guest (scripts/check.sh puts it in /guest-6.12):
 * Debian 6.12 ships its modules compressed, and the guest must still
 * carry pvpanic, or a panic ends as a reset (status 0).
 */
static int test_panic_is_status_3_on_6_12(void)
{
	const char *dir = "/guest-6.12";
	char k[256];
	int ret;

	snprintf(k, sizeof(k), "%s/vmlinuz", dir);
	if (access(k, R_OK))
		SKIP("no 6.12 guest in %s (scripts/guest/build.sh DIR 6.12)",
		     dir);
	setenv("VMEM_GUEST_DIR", dir, 1);
	ret = test_panic_is_status_3();
	unsetenv("VMEM_GUEST_DIR");
	return ret;
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
	VT_CASE(panic_is_status_3_on_6_12),
	VT_CASE(reboot_gives_reboot_status),
	VT_CASE(sigterm_stops_the_guest),
};

VT_MAIN(cases, boot_setup, NULL)
