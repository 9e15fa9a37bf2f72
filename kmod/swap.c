// SPDX-License-Identifier: GPL-2.0
/*
 * swap.c - hypervisor swap: the VM's swap file, its slots, and moving one
 * page out to it or back (Documentation/pools.rst; ESX's .vswp).
 *
 * The VMM gives the file (VMEM_SET_SWAP_FILE); vmem holds its own
 * reference.  Slot n is the 4 KiB at offset n * 4096; slots are handed
 * out lowest first by an ida, so the file grows (by ordinary writes past
 * its end) only as far as the most pages ever out at once, at most the
 * VM's configured memory.  A p2m entry of kind SWAP names its slot; the
 * slot is freed when the page comes back or its entry goes.
 *
 * Swap-out writes the page while it is unreachable: slots_lock held for
 * write and every derived mapping invalidated first (the one invalidation
 * path), so the content written is the content the guest sees next.
 * Swap-in needs no invalidation (nothing maps a SWAP entry): it runs under
 * slots_lock for read like a first touch, and swap-out, holding it for
 * write, can never reuse a slot that a reader is still reading.
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>

#include <linux/vmem.h>
#include <linux/vmem_netlink.h>

#include "reclaim.h"
#include "vmem_core.h"
#include "vmem_share.h"
#include "vmem_vm.h"

/* Slots fit the p2m value entry's payload and a loff_t. */
#define VMEM_SWAP_MAX_SLOT	(INT_MAX - 1)

/*
 * Errors: -EBADF (not an open fd), -EINVAL (flags or reserved set; not a
 * regular file; not open for both reading and writing; O_APPEND; a file
 * without read_iter/write_iter), -EBUSY (pages of the VM are in the
 * current file).  Replacing a file with no page in it is allowed; fd -1
 * with nothing out detaches the file.
 */
int vmem_swap_set_file(struct vmem_vm *vm, const struct vmem_swap_file *sf)
{
	struct vmem_reclaim_vm *rv = vm->reclaim;
	struct file *file = NULL, *old;
	unsigned int i;
	int r;

	if (sf->flags)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(sf->reserved); i++)
		if (sf->reserved[i])
			return -EINVAL;
	if (sf->fd != -1) {
		file = fget(sf->fd);
		if (!file)
			return -EBADF;
		r = -EINVAL;
		if (!S_ISREG(file_inode(file)->i_mode))
			goto out_put;
		if ((file->f_mode & (FMODE_READ | FMODE_WRITE)) !=
		    (FMODE_READ | FMODE_WRITE))
			goto out_put;
		if (file->f_flags & O_APPEND)
			goto out_put;
		if (!file->f_op->read_iter || !file->f_op->write_iter)
			goto out_put;
	}

	mutex_lock(&rv->lock);
	down_write(&vm->slots_lock);
	if (atomic_long_read(&rv->swapped)) {
		/* Their content is in the old file. */
		up_write(&vm->slots_lock);
		mutex_unlock(&rv->lock);
		r = -EBUSY;
		goto out_put;
	}
	old = rv->file;
	rv->file = file;
	up_write(&vm->slots_lock);
	mutex_unlock(&rv->lock);
	if (old)
		fput(old);
	return 0;

out_put:
	if (file)
		fput(file);
	return r;
}

int vmem_swap_out(struct vmem_vm *vm, u64 gfn, struct page *page)
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

	down_write(&vm->slots_lock);
	if (xa_load(&vm->p2m, gfn) != page) {
		r = -EAGAIN;	/* merged, broken or deleted meanwhile */
		goto out_unlock;
	}
	vmem_invalidate_range(vm, gfn, 1);

	/* kmap(), not kmap_local: the write sleeps. */
	va = kmap(page);
	pos = (loff_t)slot << PAGE_SHIFT;
	n = kernel_write(rv->file, va, PAGE_SIZE, &pos);
	kunmap(page);
	if (n != PAGE_SIZE) {
		r = n < 0 ? n : -EIO;
		pr_warn_ratelimited("swap-out to the swap file failed (%d)\n",
				    r);
	} else {
		xa_lock(&vm->p2m);
		/* Replacing a present entry never allocates. */
		__xa_store(&vm->p2m, gfn, vmem_p2m_mk_swap(slot), GFP_NOWAIT);
		xa_unlock(&vm->p2m);
		atomic_long_dec(&vm->granted);
		first = atomic_long_inc_return(&rv->swapped) == 1;
		r = 0;
	}
	vmem_invalidate_end(vm);
out_unlock:
	up_write(&vm->slots_lock);
	if (r) {
		ida_free(&rv->slots, slot);
		return r;
	}
	/* The p2m's reference; the caller still holds its own. */
	vmem_free_page(page);
	vmem_mem_uncharge(vm, 1);
	if (first)
		vmem_reclaim_event(vm, VMEM_EVENT_SWAP_STARTED);
	return 0;
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
