/* SPDX-License-Identifier: GPL-2.0 */
/*
 * reclaim.h - limits enforced by reclaim, hypervisor swap, min-funding
 * revocation (reclaim.c, swap.c).  Documentation/pools.rst, "Limits,
 * reclaim and hypervisor swap", is the design; in short:
 *
 * Every transition that adds a machine page to a VM (first touch, swap-in,
 * copy-on-write break) first calls vmem_mem_charge(), without slots_lock.
 * It counts the page, and when the VM, a pool above it, or the root would
 * pass what it may hold, reclaims pages first: of that VM for a limit, of
 * the VM with the fewest shares per page held for the root (never below a
 * reservation).  Reclaim collapses zero pages and pages equal to a shared
 * frame (vmem_share.c), then writes pages to the VM's swap file.
 *
 * Protection annotations (besides vmem_vm.h's):
 *   [r]  rv->lock, the VM's reclaim mutex
 *   [r+s] written holding rv->lock and slots_lock for write, so readers
 *        holding either see a stable value
 *
 * Lock order, outermost first: rv->lock -> vm->slots_lock ->
 * vmem_share_lock -> xa_lock, and rv->lock -> the pool tree mutex ->
 * vmem_share_lock.  vmem_mem_charge_try() takes no lock: the pools'
 * limits are checked on atomic counters (pool_held.c).  At most one VM's
 * rv->lock is held at a time.
 */
#ifndef _VMEM_RECLAIM_H
#define _VMEM_RECLAIM_H

#include <linux/atomic.h>
#include <linux/idr.h>
#include <linux/mutex.h>
#include <linux/types.h>

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
 *		its limit since  [r] to write, READ_ONCE
 * @skip:	min-funding: the attempt in which reclaim from this VM
 *		found nothing, so that attempt passes it over  [a]
 * @link:	@priv + @cost as the pools above the VM count it (pool.h)
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
};

/*
 * Charge @npages machine pages about to be added to @vm.  May reclaim
 * (this VM's pages for its and its pools' limits; the lowest-funded VM's
 * for the root) and so sleep; the caller holds no vmem lock (mmap_lock
 * is allowed).  Returns 0, the pages counted: the caller installs them,
 * or gives back what it did not install with vmem_mem_uncharge().  Else
 * -EDQUOT (the VM or a pool above it at its limit, nothing left to
 * reclaim), -ENOSPC (the root is full, nothing reclaimable above any
 * reservation), -EINTR (fatal signal); nothing counted then.
 */
int vmem_mem_charge(struct vmem_vm *vm, unsigned long npages);
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

/* swap.c: VMEM_SET_SWAP_FILE. */
int vmem_swap_set_file(struct vmem_vm *vm, const struct vmem_swap_file *sf);
/* At VM teardown: close the swap file, free it for another VM. */
void vmem_swap_release(struct vmem_reclaim_vm *rv);
/*
 * Write the private page @page at @gfn (the caller holds a reference and
 * rv->lock, not slots_lock) to a free slot and replace its p2m entry by
 * the slot.  0, -EAGAIN (the entry changed), -ENOSPC (no swap file),
 * -errno from the file.
 */
int vmem_swap_out(struct vmem_vm *vm, u64 gfn, struct page *page);
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
