/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * libvmem - userspace access to the vmem module.
 *
 * Thin wrappers around the /dev/vmem ioctls.  Every function returns a
 * value >= 0 on success and a negative errno on failure (errno is left as
 * the system call set it); none prints.  This is the seed of libvmem: VM
 * and vCPU calls and the netlink control plane come next to these.
 */
#ifndef LIBVMEM_H
#define LIBVMEM_H

#include <linux/vmem.h>

#define VMEM_DEVICE	"/dev/vmem"

/* open(VMEM_DEVICE, O_RDWR | O_CLOEXEC): the system fd, or -errno. */
int vmem_open(void);
/* The same on another node (a copy of the device, a test path). */
int vmem_open_path(const char *path);
void vmem_close(int fd);

/* VMEM_GET_API_VERSION: the module's API version, or -errno. */
int vmem_api_version(int fd);

/* VMEM_CHECK_EXTENSION: the value of VMEM_CAP_*, 0 if absent, or -errno. */
int vmem_check_extension(int fd, unsigned int cap);

/* VMEM_GET_LIMITS into *lim (its input fields are zeroed): 0 or -errno. */
int vmem_get_limits(int fd, struct vmem_limits *lim);

/* "svm", "vmx" for VMEM_BACKEND_*; "unknown" otherwise. */
const char *vmem_backend_name(int backend);
/* "AMD SVM", "Intel VMX"; "unknown" otherwise. */
const char *vmem_backend_desc(int backend);
/* "NPT" for SVM, "EPT" for VMX: what the hardware MMU is called. */
const char *vmem_backend_hw_mmu_name(int backend);

#endif /* LIBVMEM_H */
