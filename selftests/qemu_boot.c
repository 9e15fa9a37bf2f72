// SPDX-License-Identifier: GPL-2.0
/*
 * qemu_boot - QEMU with its vmem accelerator (userspace/qemu/) boots the
 * Linux guest of scripts/guest/ with -kernel/-initrd on -machine microvm,
 * on -machine q35 through SeaBIOS, and on q35 with two vCPUs; the guest
 * reaches its first userspace line and powers off, and QEMU exits 0.  Bad
 * accelerator options are refused with a message naming them.
 *
 * QEMU is /usr/bin/qemu-system-x86_64 (or $VMEM_QEMU), put in the test
 * machine by check.sh when scripts/qemu-build.sh has built it; without
 * it the test skips.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot_util.h"
#include "launcher_util.h"
#include "vt.h"
#include "vt_util.h"

#define QEMU_DEFAULT	"/usr/bin/qemu-system-x86_64"

static const char *qemu_bin(void)
{
	const char *q = getenv("VMEM_QEMU");

	return q && *q ? q : QEMU_DEFAULT;
}

static int qemu_setup(void)
{
	int ret = vt_require_dev();

	if (ret != VT_PASS)
		return ret;
	if (access(qemu_bin(), X_OK))
		return vt_skip("no QEMU at %s (make qemu; check.sh adds it)",
			       qemu_bin());
	if (!lrun_guest_file("vmlinuz") || !lrun_guest_file("initrd.gz"))
		return vt_skip("no guest in %s (scripts/guest/build.sh)",
			       lrun_guest_dir());
	return VT_PASS;
}

/*
 * The guest's command line.  quiet: every console byte is two exits (not
 * with several CPUs: "smp: Brought up" counts them).  tsc_early_khz:
 * this deep in emulation Linux cannot calibrate the TSC against the PIT,
 * and QEMU's AMD model has no CPUID leaf 0x15; the test machine's TSC
 * rate is the guest's.
 */
static const char *qemu_append(bool quiet)
{
	static char buf[256];
	char line[256];
	double mhz = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "cpu MHz : %lf", &mhz) == 1)
			break;
	if (f)
		fclose(f);
	snprintf(buf, sizeof(buf), "console=ttyS0 panic=-1 guest=demo%s",
		 quiet ? " quiet" : "");
	if (mhz > 0)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			 " tsc_early_khz=%ld", (long)(mhz * 1000));
	return buf;
}

/*
 * Boots the guest on @machine with @cpus vCPUs; checks the banner, the
 * power-off line, QEMU's exit status and, for SMP, the CPUs Linux found.
 */
static int qemu_boot(const char *machine, const char *cpus, const char *name)
{
	const char *argv[] = {
		"qemu-system-x86_64", "-accel", "vmem", "-M", machine,
		"-smp", cpus, "-m", "256", "-nodefaults", "-no-reboot",
		"-display", "none", "-monitor", "none", "-serial", "stdio",
		"-name", name,
		"-kernel", lrun_guest_file("vmlinuz"),
		"-initrd", lrun_guest_file("initrd.gz"),
		"-append", qemu_append(!strcmp(cpus, "1")), NULL,
	};
	char smp_line[64];
	struct lrun r;
	int status;

	vt_diag("%s -accel vmem -M %s -smp %s ... -append \"%s\"",
		qemu_bin(), machine, cpus, argv[24]);
	ASSERT_EQ(lrun_start_exe(&r, qemu_bin(), argv, false), 0);
	if (!lrun_wait_for(&r, BOOT_BANNER, BOOT_TIMEOUT)) {
		lrun_dump(&r, 40);
		lrun_free(&r);
		FAIL("no \"%s\" within %d s", BOOT_BANNER, BOOT_TIMEOUT);
	}
	status = lrun_finish(&r, BOOT_END_TIMEOUT);
	EXPECT_EQ(status, 0);
	EXPECT_TRUE(strstr(r.out, "Linux (none)") != NULL);	/* uname -a */
	EXPECT_TRUE(strstr(r.out, "MemTotal:") != NULL);
	EXPECT_TRUE(strstr(r.out, "vmem-guest: powering off") != NULL);
	if (strcmp(cpus, "1")) {
		snprintf(smp_line, sizeof(smp_line),
			 "smp: Brought up 1 node, %s CPUs", cpus);
		EXPECT_TRUE(strstr(r.out, smp_line) != NULL);
	}
	lrun_dump(&r, vt_case_failed() ? 40 : 3);
	lrun_free(&r);
	return VT_PASS;
}

static int test_microvm_direct_boot(void)
{
	return qemu_boot("microvm", "1", "qemu_boot-microvm");
}

static int test_q35_seabios_boot(void)
{
	return qemu_boot("q35", "1", "qemu_boot-q35");
}

static int test_q35_two_cpus(void)
{
	return qemu_boot("q35", "2", "qemu_boot-q35-smp");
}

/* Each bad -accel option: QEMU exits 1 with a message that names it. */
static int test_bad_options(void)
{
	static const struct {
		const char *accel, *says;
	} bad[] = {
		{ "vmem,mmu=bogus", "must be auto, hw or shadow" },
		{ "vmem,mmu=", "must be auto, hw or shadow" },
		{ "vmem,pshare=maybe", "pshare" },
		{ "vmem,salt=pepper", "salt" },
		{ "vmem,salt=-1x", "salt" },
		{ "vmem,no-such-option=1", "no-such-option" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *argv[] = {
			"qemu-system-x86_64", "-accel", bad[i].accel,
			"-M", "none", "-display", "none", "-monitor", "none",
			NULL,
		};
		struct lrun r;
		int status;

		ASSERT_EQ(lrun_start_exe(&r, qemu_bin(), argv, false), 0);
		status = lrun_finish(&r, 60);
		vt_diag("-accel %s: status %d: %.*s", bad[i].accel, status,
			(int)strcspn(r.out, "\n"), r.out);
		EXPECT_EQ(status, 1);
		EXPECT_TRUE(strstr(r.out, bad[i].says) != NULL);
		lrun_free(&r);
	}
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(bad_options),
	VT_CASE(microvm_direct_boot),
	VT_CASE(q35_seabios_boot),
	VT_CASE(q35_two_cpus),
};

VT_MAIN(cases, qemu_setup, NULL)
