// SPDX-License-Identifier: LGPL-2.1
/*
 * libvmem.c - ioctl wrappers for /dev/vmem; see libvmem.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libvmem.h"

int vmem_open_path(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int vmem_open(void)
{
	return vmem_open_path(VMEM_DEVICE);
}

void vmem_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* ioctl() with the result as value-or--errno. */
static int vmem_ioctl(int fd, unsigned long req, unsigned long arg)
{
	int ret = ioctl(fd, req, arg);

	return ret < 0 ? -errno : ret;
}

int vmem_api_version(int fd)
{
	return vmem_ioctl(fd, VMEM_GET_API_VERSION, 0);
}

int vmem_check_extension(int fd, unsigned int cap)
{
	return vmem_ioctl(fd, VMEM_CHECK_EXTENSION, cap);
}

int vmem_get_limits(int fd, struct vmem_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	return vmem_ioctl(fd, VMEM_GET_LIMITS, (unsigned long)lim);
}

const char *vmem_backend_name(int backend)
{
	switch (backend) {
	case VMEM_BACKEND_SVM:	return "svm";
	case VMEM_BACKEND_VMX:	return "vmx";
	}
	return "unknown";
}

const char *vmem_backend_desc(int backend)
{
	switch (backend) {
	case VMEM_BACKEND_SVM:	return "AMD SVM";
	case VMEM_BACKEND_VMX:	return "Intel VMX";
	}
	return "unknown";
}

const char *vmem_backend_hw_mmu_name(int backend)
{
	switch (backend) {
	case VMEM_BACKEND_SVM:	return "NPT";
	case VMEM_BACKEND_VMX:	return "EPT";
	}
	return "TDP";
}
