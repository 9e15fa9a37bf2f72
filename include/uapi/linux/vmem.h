/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmem: a small hypervisor with ESX-style memory management.
 *
 * This header is the ABI between the vmem module and virtual machine
 * monitors.  Every ioctl and structure here is documented in
 * Documentation/api.rst.  Rules (see Documentation/abi-rules.rst):
 *   - fixed-width types and explicit padding only;
 *   - every input structure has flags and reserved fields that must be
 *     zero: a nonzero value is refused with -EINVAL so they can be given a
 *     meaning later;
 *   - features are discovered with VMEM_CHECK_EXTENSION, never guessed
 *     from the API version.
 */
#ifndef _UAPI_LINUX_VMEM_H
#define _UAPI_LINUX_VMEM_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Bumped only for incompatible changes; additions are capabilities. */
#define VMEM_API_VERSION	1

#define VMEMIO			0xB7

/* ---------------------------------------------------------------------- */
/* System ioctls: on the fd of /dev/vmem                                   */

/* Returns VMEM_API_VERSION. */
#define VMEM_GET_API_VERSION	_IO(VMEMIO, 0x00)

/*
 * The argument is a VMEM_CAP_* number; returns its value, 0 when the
 * capability is absent or unknown.
 */
#define VMEM_CHECK_EXTENSION	_IO(VMEMIO, 0x01)

/*
 * Fills struct vmem_limits.  On input flags, pad and reserved must be zero
 * (-EINVAL otherwise); flags may later select other limit sets.
 */
#define VMEM_GET_LIMITS		_IOWR(VMEMIO, 0x02, struct vmem_limits)

/* Capabilities answered by VMEM_CHECK_EXTENSION. */
#define VMEM_CAP_BACKEND	1	/* VMEM_BACKEND_SVM or VMEM_BACKEND_VMX */
#define VMEM_CAP_HW_MMU		2	/* 1: NPT or EPT usable */
#define VMEM_CAP_SHADOW_MMU	3	/* 1: shadow MMU usable */
#define VMEM_CAP_MAX_VMS	4	/* VMs at once, host-wide */
#define VMEM_CAP_MAX_VCPUS	5	/* vCPUs per VM */
#define VMEM_CAP_MAX_MEMSLOTS	6	/* memory slots per VM */
#define VMEM_CAP_MAX_MEM_MB	7	/* guest-physical memory per VM, MiB */
#define VMEM_CAP_NR_CPUS	8	/* host CPUs with virtualization on */

#define VMEM_BACKEND_SVM	1
#define VMEM_BACKEND_VMX	2

/**
 * struct vmem_limits - static limits of this vmem instance
 * @flags:		in: zero; reserved for future use
 * @max_vms:		VMs that may exist at once, host-wide
 * @max_vcpus:		vCPUs per VM (ids 0 .. max_vcpus - 1)
 * @max_memslots:	memory slots per VM (ids 0 .. max_memslots - 1)
 * @max_mem_bytes:	guest-physical memory per VM, in bytes
 * @max_gpa_bits:	highest guest-physical address width supported
 * @pad:		zero
 * @reserved:		zero
 */
struct vmem_limits {
	__u32 flags;
	__u32 max_vms;
	__u32 max_vcpus;
	__u32 max_memslots;
	__u64 max_mem_bytes;
	__u32 max_gpa_bits;
	__u32 pad;
	__u64 reserved[4];
};

#endif /* _UAPI_LINUX_VMEM_H */
