// SPDX-License-Identifier: GPL-2.0
/*
 * vmem_dev.c - /dev/vmem and the system ioctls.
 *
 * The system fd carries no state: VMs are fds of their own
 * (VMEM_CREATE_VM), independent of the /dev/vmem fd that made them.
 * Every structure in the ABI is fixed-width, so 32-bit callers use the
 * same handler.
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include <linux/vmem.h>

#include "vmem_backend.h"
#include "vmem_core.h"
#include "x86/hypercall.h"

static_assert(sizeof(struct vmem_limits) == 64);
/* A new capability must be answered below before VMEM_CAP_MAX moves. */
static_assert(VMEM_CAP_MAX == VMEM_CAP_BACKING);

static long vmem_check_extension(unsigned long cap)
{
	switch (cap) {
	case VMEM_CAP_BACKEND:
		return vmem_backend->id;
	case VMEM_CAP_HW_MMU:
		return vmem_config.tdp;
	case VMEM_CAP_SHADOW_MMU:
		return vmem_backend->has_shadow;
	case VMEM_CAP_MAX_VMS:
		return vmem_config.max_vms;
	case VMEM_CAP_MAX_VCPUS:
		return vmem_config.max_vcpus;
	case VMEM_CAP_MAX_MEMSLOTS:
		return vmem_config.max_memslots;
	case VMEM_CAP_MAX_MEM_MB:
		return vmem_config.max_mem_mb;
	case VMEM_CAP_NR_CPUS:
		return vmem_virt_nr_cpus();
	case VMEM_CAP_RUN_SIZE:
		return PAGE_SIZE;
	case VMEM_CAP_PSHARE:
		return 1;
	case VMEM_CAP_REAL_MODE:
		/* Of the modes VMEM_CREATE_VM offers now. */
		return vmem_backend->real_mode_mmus &
		       ((vmem_config.tdp ? VMEM_VM_MMU_HW : 0) |
			(vmem_backend->has_shadow ? VMEM_VM_MMU_SHADOW : 0));
	case VMEM_CAP_HYPERCALLS:
		return vmem_hypercall_features();
	case VMEM_CAP_BACKING:
		return vmem_config.max_memslots;
	default:
		return 0;
	}
}

static long vmem_get_limits(struct vmem_limits __user *ulimits)
{
	struct vmem_limits limits;
	int i;

	if (copy_from_user(&limits, ulimits, sizeof(limits)))
		return -EFAULT;
	if (limits.flags || limits.pad)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(limits.reserved); i++)
		if (limits.reserved[i])
			return -EINVAL;

	limits.max_vms = vmem_config.max_vms;
	limits.max_vcpus = vmem_config.max_vcpus;
	limits.max_memslots = vmem_config.max_memslots;
	limits.max_mem_bytes = (u64)vmem_config.max_mem_mb << 20;
	limits.max_gpa_bits = vmem_config.max_gpa_bits;

	if (copy_to_user(ulimits, &limits, sizeof(limits)))
		return -EFAULT;
	return 0;
}

static long vmem_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	switch (cmd) {
	case VMEM_GET_API_VERSION:
		/* Refused so that the argument can be given a meaning later. */
		if (arg)
			return -EINVAL;
		return VMEM_API_VERSION;
	case VMEM_CHECK_EXTENSION:
		return vmem_check_extension(arg);
	case VMEM_GET_LIMITS:
		return vmem_get_limits((struct vmem_limits __user *)arg);
	case VMEM_CREATE_VM:
		return vmem_create_vm(arg);
	case VMEM_GET_SUPPORTED_CPUID:
		return vmem_get_supported_cpuid((struct vmem_cpuid __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vmem_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.unlocked_ioctl	= vmem_dev_ioctl,
	.compat_ioctl	= vmem_dev_ioctl,
	.llseek		= noop_llseek,
};

/* Registered once at load; the udev rule gives it group vmem.  [I] */
static struct miscdevice vmem_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "vmem",
	.fops	= &vmem_dev_fops,
	.mode	= 0660,
};

int vmem_dev_init(void)
{
	int r;

	r = misc_register(&vmem_miscdev);
	if (r)
		pr_err("cannot register /dev/vmem (error %d)\n", r);
	return r;
}

void vmem_dev_exit(void)
{
	misc_deregister(&vmem_miscdev);
}
