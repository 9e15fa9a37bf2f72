// SPDX-License-Identifier: GPL-2.0
/*
 * boot_util.c - helpers of the boot_* tests; see boot_util.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "boot_util.h"
#include "vt.h"
#include "vt_util.h"

int boot_timeout(int end)
{
	const char *t = getenv("VMEM_TEST_TIMEOUT");
	int limit = t ? atoi(t) : 0;

	if (limit < 60)
		return end ? 60 : 150;
	return end ? limit / 6 : limit * 3 / 4;
}

int boot_setup(void)
{
	int ret = vt_require_dev();

	if (ret == VT_PASS)
		ret = lrun_require_tool();
	if (ret != VT_PASS)
		return ret;
	if (!lrun_guest_file("vmlinuz") || !lrun_guest_file("initrd.gz"))
		return vt_skip("no guest in %s (scripts/guest/build.sh)",
			       lrun_guest_dir());
	return VT_PASS;
}

int boot_start(struct lrun *r, const char *mode, const char *const extra[],
	       bool pty)
{
	static char guest_arg[64];
	const char *argv[32];
	unsigned int n = 0, i;

	snprintf(guest_arg, sizeof(guest_arg), "guest=%s", mode);
	argv[n++] = "vmem";
	argv[n++] = "run";
	argv[n++] = "--kernel";
	argv[n++] = lrun_guest_file("vmlinuz");
	argv[n++] = "--initrd";
	argv[n++] = lrun_guest_file("initrd.gz");
	argv[n++] = "--memory";
	argv[n++] = "256M";
	argv[n++] = "--cmdline";
	argv[n++] = lrun_guest_cmdline(guest_arg);
	argv[n++] = "--time-line";
	argv[n++] = BOOT_BANNER;
	for (i = 0; extra && extra[i] && n < 31; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	vt_diag("vmem run ... --cmdline \"%s\"", argv[9]);
	return lrun_start(r, argv, pty);
}
