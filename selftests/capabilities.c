// SPDX-License-Identifier: GPL-2.0
/*
 * capabilities - VMEM_CHECK_EXTENSION and VMEM_GET_LIMITS agree with each
 * other, with the CPU (/proc/cpuinfo) and with the module parameters
 * (/sys/module/vmem/parameters/).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vmem.h>

#include "vt.h"
#include "vt_util.h"

static int dev_fd = -1;

static int setup(void)
{
	int ret = vt_require_dev();

	if (ret != VT_PASS)
		return ret;
	ASSERT_OK(dev_fd = vt_open_dev(O_RDWR));
	return VT_PASS;
}

static void teardown(void)
{
	if (dev_fd >= 0)
		close(dev_fd);
}

static long check_extension(unsigned long cap)
{
	return ioctl(dev_fd, VMEM_CHECK_EXTENSION, cap);
}

/* GET_LIMITS with an all-zero input; VT_PASS or VT_FAIL. */
static int get_limits(struct vmem_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	ASSERT_EQ(ioctl(dev_fd, VMEM_GET_LIMITS, lim), 0);
	return VT_PASS;
}

/* A module parameter holding a number; VT_PASS or VT_FAIL. */
static int read_param(const char *path, unsigned long long *val)
{
	int ret = vt_read_u64(path, val);

	if (ret)
		FAIL("%s: %s", path, vt_errno_name(-ret));
	return VT_PASS;
}

/* Whether cpuinfo has @flag: 1 or 0; -1 (case failed) if unreadable. */
static int cpu_flag(const char *flag)
{
	int ret = vt_cpu_has_flag(flag);

	if (ret < 0) {
		vt_fail_at(__FILE__, __LINE__, "/proc/cpuinfo: %s",
			   vt_errno_name(-ret));
		return -1;
	}
	return ret;
}

static int test_backend_matches_cpu(void)
{
	long backend = check_extension(VMEM_CAP_BACKEND);
	int svm = cpu_flag("svm"), vmx = cpu_flag("vmx");

	if (svm < 0 || vmx < 0)
		return VT_FAIL;
	vt_diag("backend %ld, cpuinfo: svm %d vmx %d", backend, svm, vmx);
	ASSERT_TRUE(backend == VMEM_BACKEND_SVM || backend == VMEM_BACKEND_VMX);
	if (backend == VMEM_BACKEND_SVM)
		EXPECT_TRUE(svm);
	else
		EXPECT_TRUE(vmx);
	/* With only one of the two the choice is forced. */
	if (svm && !vmx)
		EXPECT_EQ(backend, VMEM_BACKEND_SVM);
	if (vmx && !svm)
		EXPECT_EQ(backend, VMEM_BACKEND_VMX);
	return VT_PASS;
}

static int test_hw_mmu_matches_cpu_and_param(void)
{
	long backend = check_extension(VMEM_CAP_BACKEND);
	long hw_mmu = check_extension(VMEM_CAP_HW_MMU);
	const char *flag = backend == VMEM_BACKEND_SVM ? "npt" : "ept";
	bool tdp;
	int has, ret;

	ASSERT_TRUE(hw_mmu == 0 || hw_mmu == 1);
	has = cpu_flag(flag);
	if (has < 0)
		return VT_FAIL;
	ret = vt_read_bool(VT_SYSFS_PARAM("tdp"), &tdp);
	if (ret)
		FAIL(VT_SYSFS_PARAM("tdp") ": %s", vt_errno_name(-ret));
	vt_diag("HW_MMU %ld, cpuinfo %s %d, tdp=%c", hw_mmu, flag, has,
		tdp ? 'Y' : 'N');
	/* Usable exactly when the CPU has it and it was not turned off. */
	EXPECT_EQ(hw_mmu, has && tdp);
	return VT_PASS;
}

static int test_some_mmu_usable(void)
{
	long hw_mmu = check_extension(VMEM_CAP_HW_MMU);
	long shadow = check_extension(VMEM_CAP_SHADOW_MMU);

	EXPECT_TRUE(shadow == 0 || shadow == 1);
	EXPECT_TRUE(hw_mmu == 1 || shadow == 1);
	return VT_PASS;
}

/* CHECK_EXTENSION(cap) == the limits field == the module parameter. */
static int check_limit(unsigned long cap, const char *param,
		       unsigned long long from_limits)
{
	unsigned long long p;
	long v = check_extension(cap);

	if (read_param(param, &p) != VT_PASS)
		return VT_FAIL;
	vt_diag("cap %lu = %ld, limits %llu, %s = %llu",
		cap, v, from_limits, param, p);
	EXPECT_TRUE(v > 0);
	EXPECT_EQ(v, from_limits);
	EXPECT_EQ(v, p);
	return VT_PASS;
}

static int test_max_vms(void)
{
	struct vmem_limits lim;

	if (get_limits(&lim) != VT_PASS)
		return VT_FAIL;
	return check_limit(VMEM_CAP_MAX_VMS, VT_SYSFS_PARAM("max_vms"),
			   lim.max_vms);
}

static int test_max_vcpus(void)
{
	struct vmem_limits lim;

	if (get_limits(&lim) != VT_PASS)
		return VT_FAIL;
	return check_limit(VMEM_CAP_MAX_VCPUS, VT_SYSFS_PARAM("max_vcpus"),
			   lim.max_vcpus);
}

static int test_max_memslots(void)
{
	struct vmem_limits lim;

	if (get_limits(&lim) != VT_PASS)
		return VT_FAIL;
	return check_limit(VMEM_CAP_MAX_MEMSLOTS,
			   VT_SYSFS_PARAM("max_memslots"), lim.max_memslots);
}

static int test_max_mem_mb(void)
{
	struct vmem_limits lim;

	if (get_limits(&lim) != VT_PASS)
		return VT_FAIL;
	EXPECT_EQ(lim.max_mem_bytes % (1ull << 20), 0);
	return check_limit(VMEM_CAP_MAX_MEM_MB, VT_SYSFS_PARAM("max_mem_mb"),
			   lim.max_mem_bytes >> 20);
}

static int test_gpa_bits_cover_max_mem(void)
{
	struct vmem_limits lim;

	if (get_limits(&lim) != VT_PASS)
		return VT_FAIL;
	vt_diag("max_gpa_bits %u, max_mem_bytes %llu", lim.max_gpa_bits,
		(unsigned long long)lim.max_mem_bytes);
	EXPECT_GE(lim.max_gpa_bits, 32);
	EXPECT_LE(lim.max_gpa_bits, 57);
	if (lim.max_gpa_bits >= 32 && lim.max_gpa_bits < 64)
		EXPECT_LE(lim.max_mem_bytes, 1ull << lim.max_gpa_bits);
	return VT_PASS;
}

static int test_nr_cpus_online(void)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	long v = check_extension(VMEM_CAP_NR_CPUS);

	ASSERT_TRUE(online > 0);
	vt_diag("NR_CPUS %ld, online %ld", v, online);
	EXPECT_EQ(v, online);
	return VT_PASS;
}

static int test_unknown_caps_zero(void)
{
	static const unsigned long caps[] = {
		0, 9999, 0x7fffffff, 0xffffffff, (unsigned long)-1,
	};
	unsigned int i;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		EXPECT_EQ(check_extension(caps[i]), 0);
		if (vt_case_failed()) {
			vt_diag("capability was 0x%lx", caps[i]);
			break;
		}
	}
	return VT_PASS;
}

static int test_limits_reserved_zero(void)
{
	struct vmem_limits lim;
	unsigned int i;

	/* Zero on input is required; check nothing is written there. */
	if (get_limits(&lim) != VT_PASS)
		return VT_FAIL;
	EXPECT_EQ(lim.flags, 0);
	EXPECT_EQ(lim.pad, 0);
	for (i = 0; i < sizeof(lim.reserved) / sizeof(lim.reserved[0]); i++)
		EXPECT_EQ(lim.reserved[i], 0);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(backend_matches_cpu),
	VT_CASE(hw_mmu_matches_cpu_and_param),
	VT_CASE(some_mmu_usable),
	VT_CASE(max_vms),
	VT_CASE(max_vcpus),
	VT_CASE(max_memslots),
	VT_CASE(max_mem_mb),
	VT_CASE(gpa_bits_cover_max_mem),
	VT_CASE(nr_cpus_online),
	VT_CASE(unknown_caps_zero),
	VT_CASE(limits_reserved_zero),
};

VT_MAIN(cases, setup, teardown)
