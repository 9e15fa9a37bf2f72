// SPDX-License-Identifier: GPL-2.0
/*
 * boot_linux - `vmem run` boots Debian's kernel with the busybox guest of
 * scripts/guest/ to its first userspace line; the guest runs uname and
 * reads /proc/meminfo, powers off through ACPI, and vmem run exits 0; and
 * the 6.12 guest keeps the TSC as its clocksource under the launcher's
 * default command line.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "boot_util.h"
#include "vt.h"

static int test_boots_and_powers_off(void)
{
	const char *const extra[] = { "--stats", NULL };
	struct lrun r;
	int status;
	char *t;

	ASSERT_EQ(boot_start(&r, "demo", extra, false), 0);
	if (!lrun_wait_for(&r, BOOT_BANNER, BOOT_TIMEOUT)) {
		lrun_dump(&r, 40);
		lrun_free(&r);
		FAIL("no \"%s\" within %d s", BOOT_BANNER, BOOT_TIMEOUT);
	}
	status = lrun_finish(&r, BOOT_END_TIMEOUT);
	EXPECT_EQ(status, 0);
	EXPECT_TRUE(strstr(r.out, "Linux") != NULL);		/* uname -a */
	EXPECT_TRUE(strstr(r.out, "MemTotal:") != NULL);
	EXPECT_TRUE(strstr(r.out, "vmem-guest: powering off") != NULL);
	t = strstr(r.out, "first line with");
	if (t)
		vt_diag("%.*s", (int)strcspn(t, "\r\n"), t);
	if (vt_case_failed())
		lrun_dump(&r, 40);
	else
		lrun_dump(&r, 4);
	lrun_free(&r);
	return VT_PASS;
}

/*
 * With vmem run's own default (no tsc=reliable on the command line, the
 * guest's cmdline file less that word), the 6.12 guest keeps the TSC: the
 * launcher adds tsc=reliable with tsc_early_khz=, or 6.12's watchdog calls
 * the TSC's skew too large and falls back to jiffies.
 */
static int test_tsc_is_the_clocksource_on_6_12(void)
{
	static const char *const guest = "/guest-6.12";
	char k[256], i[256];
	const char *argv[] = {
		"vmem", "run", "--kernel", k, "--initrd", i, "--memory", "256M",
		"--cmdline", "console=ttyS0 quiet panic=-1 nokaslr pci=off "
		"i8042.noaux i8042.nokbd noapic nolapic nosmp mitigations=off "
		"guest=clock", NULL,
	};
	struct lrun r;

	snprintf(k, sizeof(k), "%s/vmlinuz", guest);
	snprintf(i, sizeof(i), "%s/initrd.gz", guest);
	if (access(k, R_OK) || access(i, R_OK))
		SKIP("no 6.12 guest in %s", guest);
	ASSERT_EQ(lrun_start(&r, argv, false), 0);
	if (!lrun_wait_for(&r, "vmem-guest: clocksource", BOOT_TIMEOUT)) {
		lrun_dump(&r, 40);
		lrun_free(&r);
		FAIL("no clocksource line within %d s", BOOT_TIMEOUT);
	}
	EXPECT_EQ(lrun_finish(&r, BOOT_END_TIMEOUT), 0);
	EXPECT_TRUE(strstr(r.out, "vmem-guest: clocksource tsc, 0 unstable") != NULL);
	lrun_dump(&r, vt_case_failed() ? 40 : 4);
	lrun_free(&r);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(boots_and_powers_off),
	VT_CASE(tsc_is_the_clocksource_on_6_12),
};

VT_MAIN(cases, boot_setup, NULL)
