// SPDX-License-Identifier: GPL-2.0
/*
 * api_version - VMEM_GET_API_VERSION on the system fd.
 *
 * The argument must be 0 (-EINVAL otherwise) and the answer is
 * VMEM_API_VERSION, the same on every open file.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vmem.h>

#include "vt.h"
#include "vt_util.h"

static int test_returns_api_version(void)
{
	int fd;

	ASSERT_OK(fd = vt_open_dev(O_RDWR));
	EXPECT_EQ(ioctl(fd, VMEM_GET_API_VERSION, 0), VMEM_API_VERSION);
	/* Asking again changes nothing. */
	EXPECT_EQ(ioctl(fd, VMEM_GET_API_VERSION, 0), VMEM_API_VERSION);
	close(fd);
	return VT_PASS;
}

static int test_nonzero_arg_einval(void)
{
	static const unsigned long args[] = {
		1, 2, 0x80000000ul, 0x100000000ul, ~0ul,
	};
	unsigned int i;
	int fd;

	ASSERT_OK(fd = vt_open_dev(O_RDWR));
	for (i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		EXPECT_ERRNO(ioctl(fd, VMEM_GET_API_VERSION, args[i]), EINVAL);
		if (vt_case_failed()) {
			vt_diag("argument was 0x%lx", args[i]);
			break;
		}
	}
	/* A refused call leaves the fd usable. */
	EXPECT_EQ(ioctl(fd, VMEM_GET_API_VERSION, 0), VMEM_API_VERSION);
	close(fd);
	return VT_PASS;
}

static int test_two_opens_agree(void)
{
	int fd1, fd2;
	long v1, v2;

	ASSERT_OK(fd1 = vt_open_dev(O_RDWR));
	fd2 = vt_open_dev(O_RDWR);
	if (fd2 < 0) {
		close(fd1);
		FAIL("second open: %s", vt_errno_name(errno));
	}
	v1 = ioctl(fd1, VMEM_GET_API_VERSION, 0);
	v2 = ioctl(fd2, VMEM_GET_API_VERSION, 0);
	EXPECT_EQ(v1, VMEM_API_VERSION);
	EXPECT_EQ(v2, v1);
	/* Closing one does not disturb the other. */
	close(fd1);
	EXPECT_EQ(ioctl(fd2, VMEM_GET_API_VERSION, 0), v1);
	close(fd2);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(returns_api_version),
	VT_CASE(nonzero_arg_einval),
	VT_CASE(two_opens_agree),
};

VT_MAIN(cases, vt_require_dev, NULL)
