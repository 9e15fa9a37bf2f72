/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmem_share.h - transparent page sharing: the p2m entry encoding and the
 * interface between the p2m (vmem_mem.c) and the sharing daemon
 * (vmem_share.c).  Only these two files look inside p2m entries; every
 * other reader goes through vmem_mem.c's functions.
 *
 * A p2m entry (vm->p2m, indexed by backing index, vmem_vm.h) is one of:
 *   NULL			untouched: no machine memory
 *   struct page *		private: a machine page owned by the VM
 *   tagged struct page *	shared: xa_tag_pointer(frame, VMEM_P2M_TAG_SHARED),
 *				a read-only frame of the shared-frame table;
 *				frame->private points to its struct vmem_sframe
 *   value entry, kind ZERO	backed by vmem's zero frame (read-only)
 *   value entry, kind SWAP	swapped out (reclaim.h): the payload is the
 *				slot in the VM's swap file; no machine page
 * Value entries keep bit 0 of the value clear (xa_mk_value(v) with v even
 * has pointer tag 1), so they never look like a tag-3 pointer.
 *
 * The @gfn the functions below take is a p2m index, that is a backing
 * page index: a page the guest sees at several guest-physical addresses
 * is one entry, and vmem_invalidate_range() drops its mappings at each.
 */
#ifndef _VMEM_SHARE_H
#define _VMEM_SHARE_H

#include <linux/mm_types.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct vmem_vm;
struct vmem_share_stats;

#define VMEM_P2M_TAG_SHARED	3

/* Value-entry kinds: v = payload << 3 | kind << 1 (bit 0 stays clear). */
#define VMEM_P2M_KIND_ZERO	0
#define VMEM_P2M_KIND_SWAP	1

static inline void *vmem_p2m_mk_value(unsigned long kind, unsigned long payload)
{
	return xa_mk_value(payload << 3 | kind << 1);
}

#define VMEM_P2M_ZERO		vmem_p2m_mk_value(VMEM_P2M_KIND_ZERO, 0)

static inline bool vmem_p2m_is_shared(const void *e)
{
	return xa_pointer_tag((void *)e) == VMEM_P2M_TAG_SHARED;
}

static inline bool vmem_p2m_is_private(const void *e)
{
	return e && xa_pointer_tag((void *)e) == 0;
}

static inline bool vmem_p2m_is_zero(const void *e)
{
	return e == VMEM_P2M_ZERO;
}

static inline bool vmem_p2m_is_swap(const void *e)
{
	return xa_is_value(e) &&
	       ((xa_to_value(e) >> 1) & 3) == VMEM_P2M_KIND_SWAP;
}

static inline void *vmem_p2m_mk_swap(unsigned long slot)
{
	return vmem_p2m_mk_value(VMEM_P2M_KIND_SWAP, slot);
}

static inline unsigned long vmem_p2m_swap_slot(const void *e)
{
	return xa_to_value(e) >> 3;
}

/* The machine page of a private or shared entry. */
static inline struct page *vmem_p2m_page(const void *e)
{
	return xa_untag_pointer((void *)e);
}

static inline void *vmem_p2m_mk_shared(struct page *frame)
{
	return xa_tag_pointer(frame, VMEM_P2M_TAG_SHARED);
}

/**
 * struct vmem_share_stats - the memory statistics of one VM, in pages
 * @granted:	guest pages in a backed state (private, shared, zero)
 * @consumed:	machine pages charged to the VM, a frame with n
 *		references counting 1/n: whole pages...
 * @consumed_frac: ...plus this, in 2^-32 page (each 1/n rounded down)
 * @shared:	guest pages whose frame has more than one reference
 *		(zero pages included while the zero frame has two or more)
 * @zero:	guest pages backed by the zero frame
 * @swapped:	guest pages in the VM's swap file (not in @granted)
 * @scanned:	pages the daemon hashed
 * @volatile_pages: visits that found the hash changed since the last one
 * @cow_breaks:	copy-on-write breaks
 * @full_scans:	completed passes
 * @merges:	pages merged
 * @converged:	two full passes in a row without a merge
 * @enabled:	pshare.enable
 */
struct vmem_share_stats {
	u64 granted;
	u64 consumed;
	u64 consumed_frac;
	u64 shared;
	u64 zero;
	u64 swapped;
	u64 scanned;
	u64 volatile_pages;
	u64 cow_breaks;
	u64 full_scans;
	u64 merges;
	bool converged;
	bool enabled;
};

/**
 * struct vmem_share_host_stats - host-wide sharing statistics, in pages
 * @shared:		sum of the VMs' Shared
 * @shared_common:	machine frames with more than one reference
 * @saving:		@shared - @shared_common, or 0 while a VM being
 *			torn down makes @shared_common the larger
 * @consumed:		sum of the VMs' Consumed, whole pages...
 * @consumed_frac:	...plus this, in 2^-32 page
 * @zero:		guest pages on the zero frame
 * @backing:		machine pages backing guests (private pages, shared
 *			frames, the zero frame while referenced): the
 *			invariant is that it equals @consumed, rounded
 * @frames:		frames in the shared-frame table
 * @nr_vms:		VMs
 * @scanned:		pages hashed, all VMs
 * @volatile_pages:	visits that found the hash changed, all VMs
 * @cow_breaks:		copy-on-write breaks, all VMs
 * @full_scans:		passes, all VMs
 * @merges:		pages merged, all VMs
 * @wakeups:		daemon wake-ups
 * @pages_per_wakeup:	the rate in force: pages each VM may scan per
 *			wake-up (share_scan_pages, or derived from
 *			share_scan_time, before the cap)
 * @cap_per_wakeup:	the share_scan_ghz ceiling for all VMs together
 * @converged:		every VM with sharing on has converged
 */
struct vmem_share_host_stats {
	u64 shared;
	u64 shared_common;
	u64 saving;
	u64 consumed;
	u64 consumed_frac;
	u64 zero;
	u64 backing;
	u64 frames;
	u64 nr_vms;
	u64 scanned;
	u64 volatile_pages;
	u64 cow_breaks;
	u64 full_scans;
	u64 merges;
	u64 wakeups;
	u64 pages_per_wakeup;
	u64 cap_per_wakeup;
	bool converged;
};

/* For VMEM_GET_VM_STATS and the control plane.  May sleep. */
void vmem_share_stats(struct vmem_vm *vm, struct vmem_share_stats *st);
void vmem_share_host_stats(struct vmem_share_host_stats *hs);

/*
 * Consumed of @vm in 2^-32 pages, and its private pages in *@priv: the
 * exact count reclaim checks a limit against.  May sleep.
 */
u64 vmem_share_consumed(struct vmem_vm *vm, u64 *priv);

/*
 * Reclaim by sharing: merge the private page @page at @gfn (the caller
 * holds a reference, not slots_lock) into the zero frame if it is all
 * zeros, or into an equal frame of the shared-frame table, at once (no
 * volatility filter: the VM is over its limit).  True if merged.
 */
bool vmem_share_reclaim(struct vmem_vm *vm, u64 gfn, struct page *page);

/* vmem's zero frame, read-only, allocated at load.  [I] */
extern struct page *vmem_zero_frame;

/*
 * Copy-on-write: make @gfn private again if it is shared or zero (a
 * private copy, or the frame itself when this was its last reference).
 * Takes slots_lock for write and goes through the invalidation path, so
 * the caller holds neither slots_lock nor mmu_lock.  Returns 0 (also when
 * the entry is not shared any more, or the slot is gone: the caller
 * retries its fault and finds out), -ENOMEM, or the charge's errors
 * (reclaim.h; @flags are its VMEM_CHARGE_*, -EAGAIN with NOWAIT).
 */
int vmem_share_unshare_flags(struct vmem_vm *vm, u64 gfn, unsigned int flags);

static inline int vmem_share_unshare(struct vmem_vm *vm, u64 gfn)
{
	return vmem_share_unshare_flags(vm, gfn, 0);
}

/*
 * Drop the sharing references of a p2m entry being removed (slot
 * deletion, VM teardown) and free a private page.  Caller holds
 * slots_lock for write, or owns the VM alone.
 */
void vmem_share_drop_entry(struct vmem_vm *vm, void *entry);

/* Per-VM lifetime (vmem_vm.c). */
int vmem_share_vm_init(struct vmem_vm *vm);
/* The daemon may see the VM from now on: once creation cannot fail. */
void vmem_share_vm_publish(struct vmem_vm *vm);
/* First thing at VM teardown: the daemon forgets the VM. */
void vmem_share_vm_remove(struct vmem_vm *vm);
void vmem_share_vm_free(struct vmem_vm *vm);

/*
 * pshare.enable from the control plane (netlink VM_SET): the same switch
 * as VMEM_PSHARE's, so the VMM and the administrator never disagree on
 * whether the daemon merges the VM's pages.  Take vmem_share_lock: call
 * with no sharing lock held (the pool tree's mutex may be).
 */
void vmem_share_set_enable(struct vmem_vm *vm, bool on);
bool vmem_share_enabled(struct vmem_vm *vm);

/* VMEM_PSHARE on the VM fd. */
struct vmem_pshare;
int vmem_share_ioctl(struct vmem_vm *vm, struct vmem_pshare *ps);

/* Module load/unload (vmem_main.c). */
int vmem_share_init(void);
void vmem_share_exit(void);

#endif /* _VMEM_SHARE_H */
