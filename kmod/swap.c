// SPDX-License-Identifier: GPL-2.0
/*
 * swap.c - hypervisor swap: the VM's swap file, its slots, and moving one
 * page out to it or back (Documentation/pools.rst; ESX's .vswp).
 *
 * The VMM gives the file (VMEM_SET_SWAP_FILE); vmem opens it again for
 * itself (dentry_open() of the same path), so the VMM's later fcntl()
 * (O_APPEND, O_DIRECT, ...) on its own open file cannot change how vmem
 * writes the slots.  One file (inode) serves one VM at a time: slot
 * numbers start at 0 in every VM, so two VMs on one file would read each
 * other's pages.  Slot n is the 4 KiB at offset n * 4096; slots are handed
 * out lowest first by an ida, so the file grows (by ordinary writes past
 * its end) only as far as the most pages ever out at once, at most the
 * VM's configured memory.  A p2m entry of kind SWAP names its slot; the
 * slot is freed when the page comes back or its entry goes.
 *
 * Swap-out runs in the VM's reclaim worker (reclaim.c) and writes with
 * no vmem lock but rv->lock held: a copy of the page goes to the slot
 * while the guest may still write the page; then, under slots_lock for
 * write and with every derived mapping invalidated (the one invalidation
 * path), the page is compared with the copy, and only an unchanged page
 * is replaced by its slot (a page written meanwhile stays, -EAGAIN), so
 * the content in the file is the content the guest sees next.  The file's
 * size limit is the RLIMIT_FSIZE of the task that set the file, checked
 * here (the worker's own is unlimited; no signal is sent).
 * Swap-in needs no invalidation (nothing maps a SWAP entry): it runs under
 * slots_lock for read like a first touch, and swap-out, holding it for
 * write to install a slot, can never reuse a slot that a reader is still
 * reading (a slot is allocated only after its last reader freed it).
 * A buffered read takes no inode lock of the file, so a fault of a task
 * that writes the swap file from a buffer in guest memory (holding the
 * file's inode lock) may read it back.
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>

#include <linux/vmem.h>
#include <linux/vmem_netlink.h>

#include "reclaim.h"
#include "vmem_core.h"
#include "vmem_share.h"
#include "vmem_vm.h"

/* Slots fit the p2m value entry's payload and a loff_t. */
#define VMEM_SWAP_MAX_SLOT	(INT_MAX - 1)

/*
 * Every VM's swap file while it has one ([F]), so that an inode serves one
 * VM only.  Lock order: rv->lock -> vmem_swap_files_lock -> slots_lock.
 */
static DEFINE_MUTEX(vmem_swap_files_lock);
static LIST_HEAD(vmem_swap_files);

/* Another VM's swap file is @inode.  [F] */
static bool vmem_swap_inode_taken(struct vmem_reclaim_vm *rv,
				  struct inode *inode)
{
	struct vmem_reclaim_vm *o;

	lockdep_assert_held(&vmem_swap_files_lock);
	list_for_each_entry(o, &vmem_swap_files, file_node)
		if (o != rv && file_inode(o->file) == inode)
			return true;
	return false;
}

/*
 * vmem's own open of the file behind the VMM's @fd: read-write, no
 * O_APPEND, whatever the VMM's file says later.  The VMM's open proved
 * its right to read and write the file.
 */
static struct file *vmem_swap_open(int fd)
{
	struct file *user, *file;
	struct inode *inode;
	int r = -EINVAL;

	user = fget(fd);
	if (!user)
		return ERR_PTR(-EBADF);
	inode = file_inode(user);
	if (!S_ISREG(inode->i_mode) || IS_APPEND(inode))
		goto out_put;
	if ((user->f_mode & (FMODE_READ | FMODE_WRITE)) !=
	    (FMODE_READ | FMODE_WRITE))
		goto out_put;
	if (user->f_flags & O_APPEND)
		goto out_put;
	file = dentry_open(&user->f_path, O_RDWR | O_LARGEFILE, user->f_cred);
	if (IS_ERR(file)) {
		r = PTR_ERR(file);
		goto out_put;
	}
	fput(user);
	if (!file->f_op->read_iter || !file->f_op->write_iter) {
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	return file;

out_put:
	fput(user);
	return ERR_PTR(r);
}

/*
 * Errors: -EBADF (not an open fd), -EINVAL (flags or reserved set; not a
 * regular file; not open for both reading and writing; O_APPEND, of the
 * fd or the inode; a file without read_iter/write_iter), -EBUSY (pages of
 * the VM are in the current file; the file is another VM's swap file), or
 * the error of vmem's own open.  Replacing a file with no page in it is
 * allowed; fd -1 with nothing out detaches the file.
 */
int vmem_swap_set_file(struct vmem_vm *vm, const struct vmem_swap_file *sf)
{
	struct vmem_reclaim_vm *rv = vm->reclaim;
	struct file *file = NULL, *old = NULL;
	unsigned int i;
	int r = 0;

	if (sf->flags)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(sf->reserved); i++)
		if (sf->reserved[i])
			return -EINVAL;
	if (sf->fd != -1) {
		file = vmem_swap_open(sf->fd);
		if (IS_ERR(file))
			return PTR_ERR(file);
	}

	mutex_lock(&rv->lock);
	mutex_lock(&vmem_swap_files_lock);
	if (file && vmem_swap_inode_taken(rv, file_inode(file))) {
		r = -EBUSY;
		goto out_unlock;
	}
	down_write(&vm->slots_lock);
	if (atomic_long_read(&rv->swapped)) {
		/* Their content is in the old file. */
		up_write(&vm->slots_lock);
		r = -EBUSY;
		goto out_unlock;
	}
	old = rv->file;
	rv->file = file;
	rv->fsize = rlimit(RLIMIT_FSIZE);
	up_write(&vm->slots_lock);
	if (old)
		list_del_init(&rv->file_node);
	if (file)
		list_add(&rv->file_node, &vmem_swap_files);
	file = NULL;
out_unlock:
	mutex_unlock(&vmem_swap_files_lock);
	mutex_unlock(&rv->lock);
	if (old)
		fput(old);
	if (file)
		fput(file);
	return r;
}

/* The VM is going: its file may serve another VM.  No page is out. */
void vmem_swap_release(struct vmem_reclaim_vm *rv)
{
	if (!rv->file)
		return;
	mutex_lock(&vmem_swap_files_lock);
	list_del_init(&rv->file_node);
	mutex_unlock(&vmem_swap_files_lock);
	fput(rv->file);
	rv->file = NULL;
}

int vmem_swap_out(struct vmem_vm *vm, u64 gfn, struct page *page,
		  struct page *bounce)
{
	struct vmem_reclaim_vm *rv = vm->reclaim;
	bool first = false;
	ssize_t n;
	loff_t pos;
	void *va;
	int slot, r;

	lockdep_assert_held(&rv->lock);
	if (!rv->file)
		return -ENOSPC;
	slot = ida_alloc_max(&rv->slots, VMEM_SWAP_MAX_SLOT, GFP_KERNEL);
	if (slot < 0)
		return slot;
	pos = (loff_t)slot << PAGE_SHIFT;
	if (rv->fsize != RLIM_INFINITY && pos + PAGE_SIZE > rv->fsize) {
		r = -EFBIG;
		goto out_free;
	}

	/* No lock but rv->lock across the write: see above. */
	copy_highpage(bounce, page);
	va = kmap(bounce);
	n = kernel_write(rv->file, va, PAGE_SIZE, &pos);
	kunmap(bounce);
	if (n != PAGE_SIZE) {
		r = n < 0 ? n : -EIO;
		pr_warn_ratelimited("swap-out to the swap file failed (%d)\n",
				    r);
		goto out_free;
	}

	down_write(&vm->slots_lock);
	if (xa_load(&vm->p2m, gfn) != page) {
		r = -EAGAIN;	/* merged, broken or deleted meanwhile */
		goto out_unlock;
	}
	vmem_invalidate_range(vm, gfn, 1);
	va = kmap_local_page(page);
	r = memcmp(va, page_address(bounce), PAGE_SIZE) ? -EAGAIN : 0;
	kunmap_local(va);
	if (!r) {
		xa_lock(&vm->p2m);
		/* Replacing a present entry never allocates. */
		__xa_store(&vm->p2m, gfn, vmem_p2m_mk_swap(slot), GFP_NOWAIT);
		xa_unlock(&vm->p2m);
		atomic_long_dec(&vm->granted);
		first = atomic_long_inc_return(&rv->swapped) == 1;
	}
	vmem_invalidate_end(vm);
out_unlock:
	up_write(&vm->slots_lock);
	if (r)
		goto out_free;
	/* The p2m's reference; the caller still holds its own. */
	vmem_free_page(page);
	vmem_mem_uncharge(vm, 1);
	if (first)
		vmem_reclaim_event(vm, VMEM_EVENT_SWAP_STARTED);
	return 0;

out_free:
	ida_free(&rv->slots, slot);
	return r;
}

int vmem_swap_read(struct vmem_vm *vm, unsigned long slot, struct page *page)
{
	struct vmem_reclaim_vm *rv = vm->reclaim;
	loff_t pos = (loff_t)slot << PAGE_SHIFT;
	ssize_t n;
	void *va;

	/* The file cannot change while a page is out (set_file: -EBUSY). */
	va = kmap(page);
	n = kernel_read(rv->file, va, PAGE_SIZE, &pos);
	kunmap(page);
	if (n == PAGE_SIZE)
		return 0;
	pr_warn_ratelimited("swap-in from the swap file failed (%zd)\n", n);
	return n < 0 ? n : -EIO;
}

void vmem_swap_free_slot(struct vmem_vm *vm, unsigned long slot)
{
	struct vmem_reclaim_vm *rv = vm->reclaim;

	ida_free(&rv->slots, slot);
	if (atomic_long_dec_and_test(&rv->swapped))
		vmem_reclaim_event(vm, VMEM_EVENT_SWAP_STOPPED);
}
