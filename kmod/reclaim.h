/* SPDX-License-Identifier: GPL-2.0 */
/*
 * reclaim.h - limits enforced by reclaim, hypervisor swap, min-funding
 * revocation (reclaim.c, swap.c).  Documentation/pools.rst, "Limits,
 * reclaim and hypervisor swap", is the design; in short:
 *
 * Every transition that adds a machine page to a VM (first touch, swap-in,
 * copy-on-write break) first calls vmem_mem_charge(), without slots_lock.
 * It counts the page, and when the VM, a pool above it, or the root would
 * pass what it may hold, pages are reclaimed first: of that VM for a
 * limit, of the VM with the fewest shares per page held for the root
 * (never below a reservation).  Reclaim collapses zero pages and pages
 * equal to a shared frame (vmem_share.c), then writes pages to the VM's
 * swap file.
 *
 * Reclaim runs only in the reclaimed VM's worker (rv->work, on the
 * vmem_reclaim workqueue), never in the charging task: the swap file is
 * written by a kernel thread that holds no mmap_lock, no slots_lock and
 * no lock of the task that faulted (a write() to the swap file from a
 * buffer in guest memory holds the file's inode lock while it faults),
 * with the file-size limit recorded at VMEM_SET_SWAP_FILE rather than the
 * charging task's, and a queued worker holds a reference to its VM, so
 * another VM's charge never runs this VM's teardown.  The charging task
 * waits for the worker's pass holding none of those locks; a VMM-mapping
 * fault drops mmap_lock to wait (VM_FAULT_RETRY) or fails when it may
 * not (vmem_mem.c).
 *
 * Protection annotations (besides vmem_vm.h's):
 *   [r]  rv->lock, the VM's reclaim mutex
 *   [r+s] written holding rv->lock and slots_lock for write, so readers
 *        holding either see a stable value
 *   [q]  rv->req_lock, the worker's request state
 *
 * Lock order, outermost first: rv->lock -> vm->slots_lock ->
 * vmem_share_lock -> xa_lock, and rv->lock -> the pool tree mutex ->
 * vmem_share_lock; rv->lock -> the swap file's own locks (kernel_write(),
 * with no vmem lock but rv->lock held).  rv->req_lock is innermost and
 * never held across anything that sleeps.  vmem_mem_charge_try() takes
 * no lock: the pools' limits are checked on atomic counters
 * (pool_held.c).  rv->lock is taken only by the VM's worker and by
 * VMEM_SET_SWAP_FILE, so at most one VM's is held at a time and no task
 * that may hold mmap_lock takes it.
 */
#ifndef _VMEM_RECLAIM_H
#define _VMEM_RECLAIM_H

#include <linux/atomic.h>
#include <linux/idr.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "pool.h"

struct file;
struct page;
struct vmem_vm;
struct vmem_swap_file;

/* Pages reclaimed beyond the need, so the next faults run free. */
#define VMEM_RECLAIM_BATCH	32

/**
 * struct vmem_reclaim_vm - a VM's charge and swap state (vm->reclaim)
 * @vm:		the VM  [I]
 * @lock:	serializes reclaim of the VM and swap-file changes
 * @file:	vmem's own open of the swap file, NULL until
 *		VMEM_SET_SWAP_FILE  [r+s]; also [F] (swap.c's
 *		vmem_swap_files_lock) to set
 * @file_node:	in swap.c's list of swap files while @file is set  [F]
 * @slots:	allocated swap slots (the ida has its own lock)
 * @priv:	private pages in the p2m plus charges in flight: an exact,
 *		cheap part of Consumed  [a]
 * @swapped:	SWAP entries in the p2m  [a]
 * @cost:	Consumed beyond @priv (shared and zero frames' shares, in
 *		whole pages rounded up) at the last exact count  [a]
 * @cursor:	the clock hand over the p2m: next backing index to consider  [r]
 * @at_limit:	LIMIT_REACHED was sent and the VM has not gone well below
 *		its limit since  [q] to write, READ_ONCE
 * @skip:	min-funding: the attempt in which reclaim from this VM
 *		found nothing, so that attempt passes it over  [a]
 * @link:	@priv + @cost as the pools above the VM count it (pool.h)
 * @fsize:	the swap file's size limit, in bytes: RLIMIT_FSIZE of the
 *		task that set the file  [r+s]
 * @work:	the VM's reclaim worker; each time it is queued it holds a
 *		VM reference, which the pass drops at its end
 * @req_lock:	protects the request fields below and @at_limit
 * @req_seq:	passes asked for  [q]
 * @done_seq:	the last request a finished pass served  [q] to write,
 *		READ_ONCE
 * @root_want:	pages min-funding asks this VM to give up in the next
 *		pass, 0 if none  [q]
 * @result:	the last pass's error, 0 if none  [q]
 * @root_got:	pages the last pass took for min-funding  [q]
 * @done_wq:	waiters for a pass to end
 */
struct vmem_reclaim_vm {
	struct vmem_vm *vm;
	struct mutex lock;
	struct file *file;
	struct list_head file_node;
	struct ida slots;
	atomic_long_t priv;
	atomic_long_t swapped;
	atomic_long_t cost;
	unsigned long cursor;
	bool at_limit;
	atomic64_t skip;
	struct vmem_pool_link link;
	loff_t fsize;
	struct work_struct work;
	spinlock_t req_lock;
	u64 req_seq;
	u64 done_seq;
	unsigned long root_want;
	int result;
	unsigned long root_got;
	wait_queue_head_t done_wq;
};

/* Charge flags. */
#define VMEM_CHARGE_NOWAIT	(1u << 0)	/* may hold mmap_lock: see below */

/*
 * Charge @npages machine pages about to be added to @vm.  When they do
 * not fit, asks for reclaim (this VM's worker for its and its pools'
 * limits; the lowest-funded VM's worker for the root) and waits for it,
 * so it sleeps; the caller holds no vmem lock and no mmap_lock.  Returns
 * 0, the pages counted: the caller installs them, or gives back what it
 * did not install with vmem_mem_uncharge().  Else -EDQUOT (the VM or a
 * pool above it at its limit, nothing left to reclaim), -ENOSPC (the
 * root is full, nothing reclaimable above any reservation), -EINTR
 * (fatal signal), or the swap file's error (-EFBIG, -EIO...); nothing
 * counted then.
 *
 * With VMEM_CHARGE_NOWAIT (a caller that may hold mmap_lock): when the
 * pages do not fit, the workers are asked but not waited for, and the
 * return is -EAGAIN; the caller drops its locks and calls
 * vmem_mem_charge() without the flag, or fails.
 */
int vmem_mem_charge_flags(struct vmem_vm *vm, unsigned long npages,
			  unsigned int flags);

static inline int vmem_mem_charge(struct vmem_vm *vm, unsigned long npages)
{
	return vmem_mem_charge_flags(vm, npages, 0);
}
/*
 * The same without reclaim, for callers holding slots_lock (read): 0 with
 * the pages counted when they fit at once; else -EAGAIN, nothing counted,
 * and the caller drops its locks and calls vmem_mem_charge().  Never
 * sleeps: atomics only (a move of a pool or VM under way is -EAGAIN).
 */
int vmem_mem_charge_try(struct vmem_vm *vm, unsigned long npages);
/* A private page left the p2m (freed, merged, swapped out). */
void vmem_mem_uncharge(struct vmem_vm *vm, unsigned long npages);

/* What the VM holds for limits and contention: @priv + @cost, in pages. */
unsigned long vmem_reclaim_held(struct vmem_vm *vm);

/* VM lifetime (vmem_vm.c): init before the p2m is used, free after it. */
int vmem_reclaim_vm_init(struct vmem_vm *vm);
void vmem_reclaim_vm_free(struct vmem_vm *vm);

/* Module load/unload: the reclaim workqueue. */
int vmem_reclaim_init(void);
void vmem_reclaim_exit(void);

/* swap.c: VMEM_SET_SWAP_FILE. */
int vmem_swap_set_file(struct vmem_vm *vm, const struct vmem_swap_file *sf);
/* At VM teardown: close the swap file, free it for another VM. */
void vmem_swap_release(struct vmem_reclaim_vm *rv);
/*
 * Write the private page @page at @gfn (the caller, the VM's worker,
 * holds a reference and rv->lock, not slots_lock) to a free slot and
 * replace its p2m entry by the slot.  @bounce is a page of the caller's
 * for the copy that is written.  0, -EAGAIN (the entry or the page's
 * content changed), -ENOSPC (no swap file), -EFBIG (past @fsize),
 * -errno from the file.
 */
int vmem_swap_out(struct vmem_vm *vm, u64 gfn, struct page *page,
		  struct page *bounce);
/* Read @slot into @page; caller holds slots_lock (read). */
int vmem_swap_read(struct vmem_vm *vm, unsigned long slot, struct page *page);
/*
 * A SWAP entry left the p2m (swapped in, slot deleted, teardown): free its
 * slot; SWAP_STOPPED when it was the last one (not at teardown).
 */
void vmem_swap_free_slot(struct vmem_vm *vm, unsigned long slot);

/* Events from sleeping context, for @vm (pool.h's vmem_nl_event_vm). */
void vmem_reclaim_event(struct vmem_vm *vm, u32 event);

#endif /* _VMEM_RECLAIM_H */
