// SPDX-License-Identifier: GPL-2.0
/*
 * bad_ioctl - what the system fd refuses, and how.
 *
 * Unknown ioctl numbers (including a valid nr with the wrong direction or
 * size) are -ENOTTY; bad user pointers are -EFAULT; nonzero flags, pad or
 * reserved input fields are -EINVAL and leave the caller's struct as it
 * was; a closed fd is -EBADF.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vmem.h>

#include "vt.h"
#include "vt_util.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

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

/*
 * Each number must be refused with ENOTTY.  The argument points at a
 * zeroed buffer larger than any of the encoded sizes, so a wrongly
 * accepted number cannot corrupt memory.
 */
static int expect_enotty(const unsigned long *nrs, unsigned int n)
{
	static union {
		struct vmem_limits lim;
		uint8_t bytes[4096];
	} buf;
	unsigned int i;

	for (i = 0; i < n; i++) {
		memset(&buf, 0, sizeof(buf));
		EXPECT_ERRNO(ioctl(dev_fd, nrs[i], &buf), ENOTTY);
		if (vt_case_failed()) {
			vt_diag("ioctl number was 0x%lx", nrs[i]);
			break;
		}
	}
	/* Still alive. */
	EXPECT_EQ(ioctl(dev_fd, VMEM_GET_API_VERSION, 0), VMEM_API_VERSION);
	return VT_PASS;
}

static int test_other_magic_enotty(void)
{
	static const unsigned long nrs[] = {
		_IO(0xAE, 0x00),		/* KVM_GET_API_VERSION */
		_IO(0xAE, 0x03),		/* KVM_CHECK_EXTENSION */
		_IO(VMEMIO + 1, 0x00),
		_IO(VMEMIO - 1, 0x01),
		_IOWR(VMEMIO + 1, 0x02, struct vmem_limits),
		_IO(0, 0),
		0x5401,				/* TCGETS */
		0x541B,				/* FIONREAD */
	};

	return expect_enotty(nrs, ARRAY_SIZE(nrs));
}

/*
 * vmem's magic was 0xB7 before the ABI was fixed, which is nsfs's
 * (NS_GET_USERNS is _IO(0xB7, 0x1), the number CHECK_EXTENSION had): the
 * old numbers must mean nothing to a /dev/vmem fd.
 */
static int test_old_nsfs_magic_enotty(void)
{
	static const unsigned long nrs[] = {
		_IO(0xB7, 0x00),		/* old GET_API_VERSION */
		_IO(0xB7, 0x01),		/* NS_GET_USERNS, old CHECK_EXTENSION */
		_IO(0xB7, 0x02),		/* NS_GET_PARENT */
		_IOWR(0xB7, 0x02, struct vmem_limits),	/* old GET_LIMITS */
		_IO(0xB7, 0x03),		/* old CREATE_VM */
		_IOWR(0xB7, 0x04, __u64[2]),	/* old GET_SUPPORTED_CPUID */
	};

	_Static_assert(VMEMIO != 0xB7, "vmem's magic is nsfs's");
	return expect_enotty(nrs, ARRAY_SIZE(nrs));
}

static int test_unused_nr_enotty(void)
{
	static const unsigned long nrs[] = {
		_IO(VMEMIO, 0x05),
		_IO(VMEMIO, 0x10),		/* VM ioctls: not on the system fd */
		_IO(VMEMIO, 0x20),		/* vCPU ioctls: neither */
		_IO(VMEMIO, 0x3f),
		_IO(VMEMIO, 0x7f),
		_IO(VMEMIO, 0xff),
		_IOWR(VMEMIO, 0x80, struct vmem_limits),
	};

	return expect_enotty(nrs, ARRAY_SIZE(nrs));
}

static int test_wrong_encoding_enotty(void)
{
	static const unsigned long nrs[] = {
		/* GET_API_VERSION / CHECK_EXTENSION with a direction */
		_IOR(VMEMIO, 0x00, int),
		_IOW(VMEMIO, 0x00, int),
		_IOWR(VMEMIO, 0x01, __u32),
		/* GET_LIMITS with another direction */
		_IO(VMEMIO, 0x02),
		_IOR(VMEMIO, 0x02, struct vmem_limits),
		_IOW(VMEMIO, 0x02, struct vmem_limits),
		/* GET_LIMITS with another size */
		_IOWR(VMEMIO, 0x02, __u32),
		_IOWR(VMEMIO, 0x02, __u64[7]),
		_IOWR(VMEMIO, 0x02, __u64[9]),
		_IOWR(VMEMIO, 0x02, __u8[1024]),
	};

	return expect_enotty(nrs, ARRAY_SIZE(nrs));
}

static int test_limits_null_efault(void)
{
	EXPECT_ERRNO(ioctl(dev_fd, VMEM_GET_LIMITS, NULL), EFAULT);
	return VT_PASS;
}

static int test_limits_unmapped_efault(void)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	ASSERT_TRUE((p = mmap(NULL, page, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) != MAP_FAILED);
	ASSERT_OK(munmap(p, page));
	EXPECT_ERRNO(ioctl(dev_fd, VMEM_GET_LIMITS, p), EFAULT);
	return VT_PASS;
}

static int test_limits_straddling_efault(void)
{
	long page = sysconf(_SC_PAGESIZE);
	struct vmem_limits *lim;
	char *p;

	ASSERT_TRUE((p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) != MAP_FAILED);
	ASSERT_OK(munmap(p + page, page));
	/* The first 8 bytes (flags, max_vms) are mapped and zero. */
	lim = (struct vmem_limits *)(p + page - 8);
	EXPECT_ERRNO(ioctl(dev_fd, VMEM_GET_LIMITS, lim), EFAULT);
	/* Only one byte missing. */
	lim = (struct vmem_limits *)(p + page - sizeof(*lim) + 1);
	memset(lim, 0, sizeof(*lim) - 1);
	EXPECT_ERRNO(ioctl(dev_fd, VMEM_GET_LIMITS, lim), EFAULT);
	munmap(p, page);
	return VT_PASS;
}

/*
 * Sets one input field to a nonzero value; the call must be refused with
 * EINVAL and the struct must read back byte for byte as it was passed.
 */
static int expect_einval_untouched(void (*poison)(struct vmem_limits *lim))
{
	struct vmem_limits lim, orig;

	memset(&lim, 0, sizeof(lim));
	poison(&lim);
	orig = lim;
	EXPECT_ERRNO(ioctl(dev_fd, VMEM_GET_LIMITS, &lim), EINVAL);
	EXPECT_TRUE(memcmp(&lim, &orig, sizeof(lim)) == 0);

	/* A high bit alone is refused as well. */
	memset(&lim, 0, sizeof(lim));
	poison(&lim);
	if (lim.flags)
		lim.flags = 0x80000000u;
	if (lim.pad)
		lim.pad = 0x80000000u;
	for (unsigned int i = 0; i < ARRAY_SIZE(lim.reserved); i++)
		if (lim.reserved[i])
			lim.reserved[i] = 1ull << 63;
	orig = lim;
	EXPECT_ERRNO(ioctl(dev_fd, VMEM_GET_LIMITS, &lim), EINVAL);
	EXPECT_TRUE(memcmp(&lim, &orig, sizeof(lim)) == 0);
	return VT_PASS;
}

static void poison_flags(struct vmem_limits *l) { l->flags = 1; }
static void poison_pad(struct vmem_limits *l) { l->pad = 1; }
static void poison_reserved0(struct vmem_limits *l) { l->reserved[0] = 1; }
static void poison_reserved1(struct vmem_limits *l) { l->reserved[1] = 1; }
static void poison_reserved2(struct vmem_limits *l) { l->reserved[2] = 1; }
static void poison_reserved3(struct vmem_limits *l) { l->reserved[3] = 1; }

static int test_limits_flags_einval(void)
{
	return expect_einval_untouched(poison_flags);
}

static int test_limits_pad_einval(void)
{
	return expect_einval_untouched(poison_pad);
}

static int test_limits_reserved0_einval(void)
{
	return expect_einval_untouched(poison_reserved0);
}

static int test_limits_reserved1_einval(void)
{
	return expect_einval_untouched(poison_reserved1);
}

static int test_limits_reserved2_einval(void)
{
	return expect_einval_untouched(poison_reserved2);
}

static int test_limits_reserved3_einval(void)
{
	return expect_einval_untouched(poison_reserved3);
}

static int test_closed_fd_ebadf(void)
{
	struct vmem_limits lim;
	int fd;

	ASSERT_OK(fd = vt_open_dev(O_RDWR));
	ASSERT_OK(close(fd));
	memset(&lim, 0, sizeof(lim));
	EXPECT_ERRNO(ioctl(fd, VMEM_GET_API_VERSION, 0), EBADF);
	EXPECT_ERRNO(ioctl(fd, VMEM_CHECK_EXTENSION, VMEM_CAP_BACKEND), EBADF);
	EXPECT_ERRNO(ioctl(fd, VMEM_GET_LIMITS, &lim), EBADF);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(other_magic_enotty),
	VT_CASE(old_nsfs_magic_enotty),
	VT_CASE(unused_nr_enotty),
	VT_CASE(wrong_encoding_enotty),
	VT_CASE(limits_null_efault),
	VT_CASE(limits_unmapped_efault),
	VT_CASE(limits_straddling_efault),
	VT_CASE(limits_flags_einval),
	VT_CASE(limits_pad_einval),
	VT_CASE(limits_reserved0_einval),
	VT_CASE(limits_reserved1_einval),
	VT_CASE(limits_reserved2_einval),
	VT_CASE(limits_reserved3_einval),
	VT_CASE(closed_fd_ebadf),
};

VT_MAIN(cases, setup, teardown)
