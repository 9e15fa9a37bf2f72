// SPDX-License-Identifier: GPL-2.0
/*
 * boot_linux - `vmem run` boots Debian's kernel with the busybox guest of
 * scripts/guest/ to its first userspace line; the guest runs uname and
 * reads /proc/meminfo, powers off through ACPI, and vmem run exits 0.
 */
#include <string.h>

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

static const struct vt_case cases[] = {
	VT_CASE(boots_and_powers_off),
};

VT_MAIN(cases, boot_setup, NULL)
