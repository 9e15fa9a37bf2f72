// SPDX-License-Identifier: GPL-2.0
/*
 * vmem_vm.c - VM objects and the VM fd.
 *
 * A VM lives as long as anything refers to it: its fd (and through the
 * file, every VMM mapping of guest RAM, since a VMA holds its file) and
 * each vCPU fd (a vCPU holds a VM reference).  The last vmem_vm_put()
 * frees everything, whatever order the fds were closed in.  vCPUs are
 * freed with their VM, not with their fd, so vm->vcpus[] never dangles.
 *
 * Every VM fd has its own inode, from a small pseudo filesystem mounted
 * at load, so that unmap_mapping_range() on it zaps the mappings of that
 * VM only (anon_inode_getfile() would share one inode between all VMs).
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/atomic.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <linux/vmem.h>

#include "reclaim.h"
#include "vmem_backend.h"
#include "vmem_core.h"
#include "vmem_share.h"
#include "vmem_vm.h"
#include "pool.h"
#include "x86/hypercall.h"

static_assert(sizeof(struct vmem_memslot) == 64);
static_assert(sizeof(struct vmem_vm_stats) == 128);
static_assert(sizeof(struct vmem_vm_name) == 72);
static_assert(sizeof(struct vmem_pshare) == 48);
static_assert(sizeof(struct vmem_swap_file) == 32);

#define VMEM_FS_MAGIC	0x766d656d	/* "vmem" */

/* The pseudo filesystem's mount; set at load, dropped at unload.  [I] */
static struct vfsmount *vmem_mnt;

/* VMs alive, host-wide, against max_vms.  [a] */
static atomic_t vmem_nr_vms = ATOMIC_INIT(0);

static int vmem_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, VMEM_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * Never registered, so nobody can mount it but us.  No .owner: our own
 * kern_mount() would then pin the module and rmmod could never succeed;
 * the VM files pin it instead (fops->owner).
 */
static struct file_system_type vmem_fs_type = {
	.name			= "vmem",
	.init_fs_context	= vmem_fs_init_fs_context,
	.kill_sb		= kill_anon_super,
};

int vmem_vm_init(void)
{
	vmem_mnt = kern_mount(&vmem_fs_type);
	if (IS_ERR(vmem_mnt)) {
		int r = PTR_ERR(vmem_mnt);

		pr_err("cannot mount the VM pseudo filesystem (error %d)\n", r);
		vmem_mnt = NULL;
		return r;
	}
	return 0;
}

void vmem_vm_exit(void)
{
	kern_unmount(vmem_mnt);
}

/* ---------------------------------------------------------------------- */
/* Lifetime                                                                */

void vmem_vm_get(struct vmem_vm *vm)
{
	kref_get(&vm->ref);
}

static void vmem_vm_free(struct kref *ref)
{
	struct vmem_vm *vm = container_of(ref, struct vmem_vm, ref);
	unsigned int i;

	/* First: netlink must not find a VM being torn down. */
	vmem_pool_vm_destroy(vm);
	/* The sharing daemon forgets the VM and its hints. */
	vmem_share_vm_remove(vm);

	for (i = 0; i < vmem_config.max_vcpus; i++)
		if (vm->vcpus[i])
			vmem_vcpu_free(vm->vcpus[i]);
	if (vmem_backend->vm_destroy)
		vmem_backend->vm_destroy(vm);
	vmem_tdp_destroy(vm);
	vmem_mem_destroy(vm);
	vmem_reclaim_vm_free(vm);
	vmem_share_vm_free(vm);
	vmem_kfree(vm->vcpus);
	iput(vm->inode);
	vmem_kfree(vm);
	atomic_dec(&vmem_nr_vms);
}

void vmem_vm_put(struct vmem_vm *vm)
{
	kref_put(&vm->ref, vmem_vm_free);
}

/* ---------------------------------------------------------------------- */
/* VM ioctls                                                               */

void vmem_vm_fill_stats(struct vmem_vm *vm, struct vmem_vm_stats *st)
{
	struct vmem_share_stats ss;

	vmem_share_stats(vm, &ss);
	memset(st, 0, sizeof(*st));
	st->granted = ss.granted;
	st->consumed = ss.consumed;
	st->consumed_frac = ss.consumed_frac;
	st->shared = ss.shared;
	st->zero = ss.zero;
	st->swapped = ss.swapped;
	st->overhead = atomic_long_read(&vm->overhead);
	st->configured = READ_ONCE(vm->configured);
	st->scanned = ss.scanned;
	st->volatile_pages = ss.volatile_pages;
	st->cow_breaks = ss.cow_breaks;
	st->full_scans = ss.full_scans;
	st->share_flags = (ss.converged ? VMEM_STATS_CONVERGED : 0) |
			  (ss.enabled ? VMEM_STATS_PSHARE : 0);
}

static long vmem_vm_get_stats(struct vmem_vm *vm,
			      struct vmem_vm_stats __user *ustats)
{
	struct vmem_vm_stats st;
	unsigned int i;

	if (copy_from_user(&st, ustats, sizeof(st)))
		return -EFAULT;
	if (st.flags || st.pad)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(st.reserved); i++)
		if (st.reserved[i])
			return -EINVAL;

	vmem_vm_fill_stats(vm, &st);

	if (copy_to_user(ustats, &st, sizeof(st)))
		return -EFAULT;
	return 0;
}

/* VMEM_SET_VM_NAME: the name netlink shows for the VM. */
static long vmem_vm_set_name(struct vmem_vm *vm,
			     struct vmem_vm_name __user *uname)
{
	struct vmem_vm_name n;
	unsigned int i;

	if (copy_from_user(&n, uname, sizeof(n)))
		return -EFAULT;
	if (n.flags || n.pad)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(n.reserved); i++)
		if (n.reserved[i])
			return -EINVAL;
	/* Unterminated is refused, not truncated. */
	if (strnlen(n.name, sizeof(n.name)) == sizeof(n.name))
		return -EINVAL;
	return vmem_pool_vm_set_name(vm, n.name);
}

static long vmem_vm_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct vmem_vm *vm = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case VMEM_SET_MEMSLOT: {
		struct vmem_memslot ms;

		if (copy_from_user(&ms, argp, sizeof(ms)))
			return -EFAULT;
		return vmem_set_memslot(vm, &ms);
	}
	case VMEM_CREATE_VCPU:
		return vmem_create_vcpu(vm, arg);
	case VMEM_GET_VM_STATS:
		return vmem_vm_get_stats(vm, argp);
	case VMEM_PSHARE: {
		struct vmem_pshare ps;
		int r;

		if (copy_from_user(&ps, argp, sizeof(ps)))
			return -EFAULT;
		r = vmem_share_ioctl(vm, &ps);
		if (!r && copy_to_user(argp, &ps, sizeof(ps)))
			return -EFAULT;
		return r;
	}
	case VMEM_GET_VM_ID:
		return arg ? -EINVAL : vmem_pool_vm_id(vm);
	case VMEM_SET_VM_NAME:
		return vmem_vm_set_name(vm, argp);
	case VMEM_SET_SWAP_FILE: {
		struct vmem_swap_file sf;

		if (copy_from_user(&sf, argp, sizeof(sf)))
			return -EFAULT;
		return vmem_swap_set_file(vm, &sf);
	}
	case VMEM_HYPERCALLS: {
		struct vmem_hypercalls hc;
		long r;

		if (copy_from_user(&hc, argp, sizeof(hc)))
			return -EFAULT;
		r = vmem_hypercalls_ioctl(vm, &hc);
		if (!r && copy_to_user(argp, &hc, sizeof(hc)))
			return -EFAULT;
		return r;
	}
	default:
		return -ENOTTY;
	}
}

static int vmem_vm_mmap(struct file *file, struct vm_area_struct *vma)
{
	return vmem_mem_mmap(file->private_data, vma);
}

static int vmem_vm_release(struct inode *inode, struct file *file)
{
	vmem_vm_put(file->private_data);
	return 0;
}

static const struct file_operations vmem_vm_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= vmem_vm_ioctl,
	.compat_ioctl	= vmem_vm_ioctl,
	.mmap		= vmem_vm_mmap,
	.release	= vmem_vm_release,
	.llseek		= noop_llseek,
};

/* ---------------------------------------------------------------------- */
/* VMEM_CREATE_VM                                                          */

static int vmem_vm_mmu_mode(unsigned long flags, u32 *mode)
{
	if (flags & ~(unsigned long)VMEM_VM_MMU_MASK)
		return -EINVAL;

	switch (flags & VMEM_VM_MMU_MASK) {
	case VMEM_VM_MMU_AUTO:
		if (vmem_config.tdp)
			*mode = VMEM_VM_MMU_HW;
		else if (vmem_backend->has_shadow)
			*mode = VMEM_VM_MMU_SHADOW;
		else
			return -EOPNOTSUPP;
		return 0;
	case VMEM_VM_MMU_HW:
		if (!vmem_config.tdp)
			return -EOPNOTSUPP;
		*mode = VMEM_VM_MMU_HW;
		return 0;
	case VMEM_VM_MMU_SHADOW:
		if (!vmem_backend->has_shadow)
			return -EOPNOTSUPP;
		*mode = VMEM_VM_MMU_SHADOW;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * Errors: -EINVAL for unknown flags; -EOPNOTSUPP when the MMU asked for
 * (or AUTO's choice) is not available, or the backend cannot run VMs
 * yet; -ENOSPC when max_vms VMs exist; -ENOMEM, -EMFILE, -ENFILE.
 */
long vmem_create_vm(unsigned long flags)
{
	struct vmem_vm *vm;
	struct inode *inode;
	struct file *file;
	u32 mode;
	int fd, r;

	r = vmem_vm_mmu_mode(flags, &mode);
	if (r)
		return r;
	if (!vmem_backend->vm_init || !vmem_backend->vcpu_create ||
	    !vmem_backend->run)
		return -EOPNOTSUPP;

	if (!atomic_add_unless(&vmem_nr_vms, 1, vmem_config.max_vms))
		return -ENOSPC;

	r = -ENOMEM;
	vm = vmem_kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		goto out_count;
	kref_init(&vm->ref);
	mutex_init(&vm->lock);
	vm->owner = current_euid();
	init_rwsem(&vm->slots_lock);
	xa_init(&vm->p2m);
	spin_lock_init(&vm->mmu_lock);
	vm->mmu_mode = mode;

	vm->vcpus = vmem_kzalloc(array_size(vmem_config.max_vcpus,
					    sizeof(*vm->vcpus)),
				 GFP_KERNEL_ACCOUNT);
	if (!vm->vcpus)
		goto out_vm;

	inode = alloc_anon_inode(vmem_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		r = PTR_ERR(inode);
		goto out_vcpus;
	}
	/* The VM's own reference: invalidations may outlive the file. */
	ihold(inode);
	vm->inode = inode;

	r = vmem_share_vm_init(vm);
	if (r)
		goto out_inode;
	r = vmem_reclaim_vm_init(vm);
	if (r)
		goto out_share;

	/* Shadow VMs keep their tables per vCPU (mmu/shadow.c). */
	if (mode == VMEM_VM_MMU_HW) {
		r = vmem_tdp_init(vm);
		if (r)
			goto out_share;
	}

	r = vmem_backend->vm_init(vm);
	if (r)
		goto out_tdp;

	/* Power-on: admission of the overhead, after vm_init counted it. */
	r = vmem_pool_vm_create(vm);
	if (r)
		goto out_backend;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto out_pool;
	}
	/* On success the file owns the inode reference from alloc. */
	file = alloc_file_pseudo(inode, vmem_mnt, "vmem-vm", O_RDWR,
				 &vmem_vm_fops);
	if (IS_ERR(file)) {
		r = PTR_ERR(file);
		goto out_fd;
	}
	file->private_data = vm;
	/*
	 * alloc_file_pseudo() takes no module reference, but the file's
	 * release drops one (fops_put): take it here.  We run inside an
	 * ioctl on /dev/vmem, so the module is pinned already.
	 */
	__module_get(THIS_MODULE);
	/* Nothing fails from here: the daemon may see the VM. */
	vmem_share_vm_publish(vm);
	fd_install(fd, file);
	return fd;

out_fd:
	put_unused_fd(fd);
out_pool:
	vmem_pool_vm_destroy(vm);
out_backend:
	if (vmem_backend->vm_destroy)
		vmem_backend->vm_destroy(vm);
out_tdp:
	vmem_tdp_destroy(vm);
out_share:
	vmem_reclaim_vm_free(vm);
	vmem_share_vm_remove(vm);
	vmem_share_vm_free(vm);
out_inode:
	iput(inode);
	iput(inode);
out_vcpus:
	vmem_kfree(vm->vcpus);
out_vm:
	vmem_kfree(vm);
out_count:
	atomic_dec(&vmem_nr_vms);
	return r;
}
