// SPDX-License-Identifier: GPL-2.0
/*
 * vmem_mem.c - guest memory: slots, the p2m, the VMM's mapping of guest
 * RAM, and the one invalidation path.
 *
 * The p2m (vm->p2m, an xarray indexed by backing page index, vmem_vm.h)
 * is the single source of truth; the TDP tables, the shadow tables and the
 * VMM's PTEs are caches of it (DESIGN.md).  Slots and mappings (vm->slots)
 * turn a guest frame into a backing index; the VMM's mmap() offset is the
 * backing offset.
 * A VM starts with no machine memory: a frame is allocated, zeroed and
 * charged (to the VM, and to the memory cgroup of the task that touched
 * it) the first time the guest or the VMM touches it, so a guest with
 * gigabytes configured costs only what it uses.
 *
 * Locking, outermost first:
 *   mmap_lock (VMM page faults) -> vm->slots_lock -> xa_lock(&vm->p2m)
 *                                                -> vm->mmu_lock
 * Reclaim's rv->lock and the swap file's write path are never taken under
 * mmap_lock or slots_lock: reclaim runs in the VM's worker (reclaim.h),
 * and a VMM-mapping fault that must wait for it drops mmap_lock first.
 * slots_lock is held for read by everything that turns a gfn or a backing
 * offset into a derived mapping (TDP and shadow faults, VMM-mapping
 * faults, guest copies) across the translation, the p2m lookup and the
 * installation, and for write by every change of slots, mappings or the
 * backing's size, so none of them races with a fault populating through
 * the old layout.
 *
 * Large first touch: the guest's first access to an untouched 2 MiB range
 * of a hardware-MMU VM populates the whole range from one order-9 block
 * (vmem_mem_may_populate_large() decides), so the TDP MMU can map it with
 * one 2 MiB leaf, as KVM does with transparent huge pages.  The block is
 * split at once: the p2m holds 512 ordinary pages that sharing, copy-on-
 * write, swap and teardown free one by one, and the 2 MiB leaf lasts only
 * while the 512 entries stay private and contiguous (__vmem_p2m_large_ok()).
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "reclaim.h"
#include "vmem_backend.h"
#include "vmem_compat.h"
#include "vmem_core.h"
#include "vmem_share.h"
#include "vmem_vm.h"

/*
 * Off by default: a Linux guest booted with large pages on triple-faulted
 * once while the sharing daemon merged its pages (make run, 2026-11-26);
 * on again when that is understood.
 */
static bool large_pages;
module_param(large_pages, bool, 0644);
MODULE_PARM_DESC(large_pages,
		 "back an untouched 2 MiB range of a hardware-MMU VM with one 2 MiB block at the guest's first touch (default false)");

/* ---------------------------------------------------------------------- */
/* Slots                                                                   */

/* The slot holding @gfn, or NULL.  Caller holds slots_lock. */
static struct vmem_slot *vmem_slot_find(struct vmem_vm *vm, u64 gfn)
{
	unsigned int lo = 0, hi = vm->nr_slots;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		struct vmem_slot *s = &vm->slots[mid];

		if (gfn < s->base_gfn)
			hi = mid;
		else if (gfn - s->base_gfn >= s->npages)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

/* Index of slot @id in vm->slots, or -1.  Caller holds slots_lock. */
static int vmem_slot_index(struct vmem_vm *vm, u32 id)
{
	unsigned int i;

	for (i = 0; i < vm->nr_slots; i++)
		if (vm->slots[i].id == id)
			return i;
	return -1;
}

static bool vmem_slot_is_map(const struct vmem_slot *s)
{
	return s->id == VMEM_SLOT_MAP;
}

/* Backing index of @gfn, which @s holds. */
static u64 vmem_slot_bidx(const struct vmem_slot *s, u64 gfn)
{
	return s->base_bidx + (gfn - s->base_gfn);
}

/*
 * Whether backing index @bidx exists: a page of the sized backing, or of
 * a legacy slot's own range (which is its gfn range).  Caller holds
 * slots_lock.
 */
static bool vmem_bidx_valid(struct vmem_vm *vm, u64 bidx)
{
	struct vmem_slot *s;

	if (bidx - vm->backing_base < vm->backing_pages)
		return true;
	s = vmem_slot_find(vm, bidx);
	return s && !vmem_slot_is_map(s);
}

static enum vmem_gpa_kind vmem_slot_kind(const struct vmem_slot *s)
{
	if (!s)
		return VMEM_GPA_MMIO;
	return (s->flags & VMEM_MEMSLOT_READONLY) ? VMEM_GPA_ROM : VMEM_GPA_RAM;
}

/*
 * Takes slots_lock for read, so a caller must not hold it.  The answer
 * may be stale by the time it is used; the fault paths look again under
 * the lock before mapping anything.
 */
enum vmem_gpa_kind vmem_gpa_lookup(struct vmem_vm *vm, u64 gpa)
{
	enum vmem_gpa_kind kind;

	down_read(&vm->slots_lock);
	kind = vmem_slot_kind(vmem_slot_find(vm, gpa >> PAGE_SHIFT));
	up_read(&vm->slots_lock);
	return kind;
}

/* Caller holds slots_lock (either way). */
int __vmem_gpa_lookup(struct vmem_vm *vm, u64 gpa, u64 *bidx)
{
	u64 gfn = gpa >> PAGE_SHIFT;
	struct vmem_slot *s = vmem_slot_find(vm, gfn);

	if (s && bidx)
		*bidx = vmem_slot_bidx(s, gfn);
	return vmem_slot_kind(s);
}

/*
 * Whether the 2 MiB-aligned guest range from @base lies in one slot the
 * guest may write and the VMM has not asked to keep small, onto a 2 MiB-
 * aligned backing range, whose first index goes to *@bbase.  Caller holds
 * slots_lock.
 */
static bool vmem_slot_allows_large(struct vmem_vm *vm, u64 base, u64 *bbase)
{
	struct vmem_slot *s = vmem_slot_find(vm, base);

	if (!s || (s->flags & (VMEM_MEMSLOT_READONLY |
			       VMEM_MEMSLOT_SMALL_PAGES)) ||
	    base + VMEM_LARGE_PAGES - s->base_gfn > s->npages)
		return false;
	*bbase = vmem_slot_bidx(s, base);
	return IS_ALIGNED(*bbase, VMEM_LARGE_PAGES);
}

/* ---------------------------------------------------------------------- */
/* The p2m                                                                 */

/*
 * The machine page of a present entry with a reference, or NULL for an
 * untouched one; *@writable (if given) says whether the VM owns it alone
 * (private) or it is a read-only shared or zero frame.  Caller holds
 * xa_lock, so a removal cannot slip in before the reference is taken.
 */
static struct page *vmem_p2m_entry_page(void *e, bool *writable)
{
	struct page *page = NULL;

	if (writable)
		*writable = vmem_p2m_is_private(e);
	if (vmem_p2m_is_private(e) || vmem_p2m_is_shared(e))
		page = vmem_p2m_page(e);
	else if (vmem_p2m_is_zero(e))
		page = vmem_zero_frame;
	if (page)
		get_page(page);
	return page;
}

/* The entry at @bidx and its page with a reference (see above). */
static void *vmem_p2m_load(struct vmem_vm *vm, u64 bidx, struct page **page,
			   bool *writable)
{
	void *e;

	xa_lock(&vm->p2m);
	e = xa_load(&vm->p2m, bidx);
	*page = vmem_p2m_entry_page(e, writable);
	xa_unlock(&vm->p2m);
	return e;
}

/*
 * The page at backing index @bidx with a reference, allocated on first
 * touch or read back from the swap file.  The caller holds slots_lock for
 * read and has checked that @bidx exists (a slot's or the backing's).  A shared or zero frame comes
 * back with *@writable false: map it read-only and, to write, drop
 * slots_lock and call vmem_share_unshare() first.
 *
 * A new machine page is charged first (reclaim.h).  When it does not
 * fit at once the charge may reclaim, which needs slots_lock for write:
 * then this drops slots_lock around the charge and takes it again.
 * Callers rely on nothing they read before except through mmu_seq (TDP
 * and shadow faults re-check it before mapping) or under the lock they
 * hold again (@bidx is checked again here).  Errors: -EFAULT (the slot
 * or that part of the backing went meanwhile), -ENOMEM, the charge's errors (-EDQUOT...), -EIO
 * reading the swap file.
 */
static struct page *vmem_p2m_get_flags(struct vmem_vm *vm, u64 bidx,
				       bool *writable, unsigned int flags)
{
	struct page *page, *old;
	void *e;
	int r;

again:
	e = vmem_p2m_load(vm, bidx, &page, writable);
	if (page)
		return page;

	/*
	 * Untouched or swapped: a new machine page for the VM.  If @e
	 * changes meanwhile (another toucher, a swap-in by another thread;
	 * a swap-out needs slots_lock for write) the cmpxchg below sees it.
	 */
	if (vmem_mem_charge_try(vm, 1)) {
		up_read(&vm->slots_lock);
		r = vmem_mem_charge_flags(vm, 1, flags);
		down_read(&vm->slots_lock);
		if (r)
			return ERR_PTR(r);
		if (!vmem_bidx_valid(vm, bidx)) {
			r = -EFAULT;
			goto out_uncharge;
		}
		e = vmem_p2m_load(vm, bidx, &page, writable);
		if (page) {
			/* Another thread brought it in while we charged. */
			vmem_mem_uncharge(vm, 1);
			return page;
		}
	}

	r = -ENOMEM;
	page = vmem_alloc_page(GFP_KERNEL_ACCOUNT |
			       (vmem_p2m_is_swap(e) ? 0 : __GFP_ZERO));
	if (!page)
		goto out_uncharge;
	if (vmem_p2m_is_swap(e)) {
		/*
		 * Under slots_lock (read): swap-out, which needs it for
		 * write, cannot reuse the slot while we read it.
		 */
		r = vmem_swap_read(vm, vmem_p2m_swap_slot(e), page);
		if (r)
			goto out_free;
	}

	xa_lock(&vm->p2m);
	/* May drop the lock to allocate nodes; another toucher may win. */
	old = __xa_cmpxchg(&vm->p2m, bidx, e, page, GFP_KERNEL_ACCOUNT);
	if (xa_is_err(old)) {
		xa_unlock(&vm->p2m);
		r = xa_err(old);
		goto out_free;
	}
	if (old != e) {
		xa_unlock(&vm->p2m);
		vmem_free_page(page);
		vmem_mem_uncharge(vm, 1);
		goto again;
	}
	get_page(page);
	xa_unlock(&vm->p2m);
	atomic_long_inc(&vm->granted);
	if (vmem_p2m_is_swap(e))
		vmem_swap_free_slot(vm, vmem_p2m_swap_slot(e));
	if (writable)
		*writable = true;
	return page;

out_free:
	vmem_free_page(page);
out_uncharge:
	vmem_mem_uncharge(vm, 1);
	return ERR_PTR(r);
}

struct page *__vmem_p2m_get(struct vmem_vm *vm, u64 bidx, bool *writable)
{
	return vmem_p2m_get_flags(vm, bidx, writable, 0);
}

/*
 * The one large-page policy: may the guest's first touch of @gfn
 * populate its whole 2 MiB range?  Only on hardware-MMU VMs (the shadow
 * MMU maps 4 KiB), with the large_pages parameter on, in a slot that
 * allows it (vmem_slot_allows_large(): this includes a 2 MiB-aligned
 * backing range, whose first index goes to *@bbase), and only if no page
 * of the backing range is present yet: a range the VMM or the guest
 * (through any alias) already touched stays 4 KiB, so nothing is ever
 * allocated twice.  Caller holds slots_lock.
 */
static bool vmem_mem_may_populate_large(struct vmem_vm *vm, u64 gfn,
					u64 *bbase)
{
	unsigned long idx;

	if (!READ_ONCE(large_pages) || vm->mmu_mode != VMEM_VM_MMU_HW)
		return false;
	if (!vmem_slot_allows_large(vm, ALIGN_DOWN(gfn, VMEM_LARGE_PAGES),
				    bbase))
		return false;
	idx = *bbase;
	return !xa_find(&vm->p2m, &idx, *bbase + VMEM_LARGE_PAGES - 1,
			XA_PRESENT);
}

/*
 * Back the untouched 2 MiB backing range from @base with one zeroed order-9
 * block, split into 512 independent pages stored in one pass over the
 * p2m: the xarray nodes for the range are created once (xas_create_range)
 * and the entries filled in order under one hold of the lock, instead of
 * 512 lookups from the root.  All or nothing: if anyone populated a frame
 * of the range meanwhile (another vCPU, the VMM), the block is freed and
 * the range is backed 4 KiB at a time (-EEXIST); so is a range whose
 * block or nodes cannot be had (-ENOMEM), or whose charge does not fit
 * at once (-EAGAIN).  That only costs the range its 2 MiB leaf.  The 512
 * pages count as granted at once, as ESX counts a large page.
 * They are charged up front without reclaim (reclaim.h): a VM near its
 * limit never reclaims (or swaps) to make room for a large page.  Caller
 * holds slots_lock.
 */
static int vmem_p2m_populate_large(struct vmem_vm *vm, u64 base)
{
	/* Fragmented memory must not stall a fault: fail fast, quietly. */
	const gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NORETRY |
			  __GFP_NOWARN;
	XA_STATE_ORDER(xas, &vm->p2m, base, VMEM_LARGE_ORDER);
	struct page *block;
	unsigned int i;

	if (vmem_mem_charge_try(vm, VMEM_LARGE_PAGES))
		return -EAGAIN;
	block = vmem_alloc_pages_node(NUMA_NO_NODE, gfp, VMEM_LARGE_ORDER);
	if (!block) {
		vmem_mem_uncharge(vm, VMEM_LARGE_PAGES);
		return -ENOMEM;
	}
	split_page(block, VMEM_LARGE_ORDER);

	do {
		xas_lock(&xas);
		if (xas_find_conflict(&xas)) {
			xas_set_err(&xas, -EEXIST);
			goto unlock;
		}
		xas_create_range(&xas);
		if (xas_error(&xas))
			goto unlock;
		for (i = 0; i < VMEM_LARGE_PAGES; i++) {
			xas_store(&xas, block + i);
			xas_next(&xas);
		}
unlock:
		xas_unlock(&xas);
	} while (xas_nomem(&xas, GFP_KERNEL_ACCOUNT));

	if (xas_error(&xas)) {
		for (i = 0; i < VMEM_LARGE_PAGES; i++)
			vmem_free_page(block + i);
		vmem_mem_uncharge(vm, VMEM_LARGE_PAGES);
		return xas_error(&xas);
	}
	atomic_long_add(VMEM_LARGE_PAGES, &vm->granted);
	return 0;
}

/*
 * The guest's access to @gfn (backing index @bidx) through the TDP MMU:
 * as __vmem_p2m_get(), with a large first touch where the policy allows
 * one.
 */
struct page *__vmem_p2m_get_guest(struct vmem_vm *vm, u64 gfn, u64 bidx,
				  bool *writable)
{
	u64 bbase;

	if (vmem_mem_may_populate_large(vm, gfn, &bbase))
		vmem_p2m_populate_large(vm, bbase);
	return __vmem_p2m_get(vm, bidx, writable);
}

/*
 * Whether the 2 MiB range holding @gfn may be mapped by one TDP leaf: the
 * slot allows large pages (so the backing range is 2 MiB-aligned too) and
 * its 512 entries are private pages, physically contiguous from a 2 MiB-
 * aligned frame.  No reference is
 * taken: the caller holds slots_lock and read vm->mmu_seq before calling,
 * and maps only if no invalidation ran since, as every change of these
 * entries invalidates first.
 */
bool __vmem_p2m_large_ok(struct vmem_vm *vm, u64 gfn)
{
	XA_STATE(xas, &vm->p2m, 0);
	unsigned long first = 0;
	unsigned int n = 0;
	u64 base;
	void *e;

	if (!vmem_slot_allows_large(vm, ALIGN_DOWN(gfn, VMEM_LARGE_PAGES),
				    &base))
		return false;

	xas_set(&xas, base);
	rcu_read_lock();
	xas_for_each(&xas, e, base + VMEM_LARGE_PAGES - 1) {
		unsigned long p;

		if (xas_retry(&xas, e))
			continue;
		if (xas.xa_index != base + n || !vmem_p2m_is_private(e))
			break;
		p = page_to_pfn(vmem_p2m_page(e));
		/* The first frame decides; most ranges fail right here. */
		if (!n)
			first = p;
		if (p != first + n || !IS_ALIGNED(first, VMEM_LARGE_PAGES))
			break;
		n++;
	}
	rcu_read_unlock();
	return n == VMEM_LARGE_PAGES;
}

/* Read access only: see __vmem_p2m_get(). */
struct page *__vmem_p2m_get_page(struct vmem_vm *vm, u64 bidx)
{
	return __vmem_p2m_get(vm, bidx, NULL);
}

struct page *vmem_p2m_get_page(struct vmem_vm *vm, u64 gfn)
{
	struct page *page;
	u64 bidx;

	down_read(&vm->slots_lock);
	if (__vmem_gpa_lookup(vm, gfn << PAGE_SHIFT, &bidx) != VMEM_GPA_MMIO)
		page = __vmem_p2m_get_page(vm, bidx);
	else
		page = ERR_PTR(-EFAULT);
	up_read(&vm->slots_lock);
	return page;
}

/*
 * Copy between guest-physical memory and a kernel buffer.  Reads of an
 * untouched frame see zeros without allocating it (the frame would read
 * zero anyway); writes allocate.
 */
static int vmem_guest_copy(struct vmem_vm *vm, u64 gpa, void *buf,
			   size_t len, bool write)
{
	int r = 0;

	if (gpa + len < gpa)
		return -EFAULT;

	down_read(&vm->slots_lock);
	while (len) {
		unsigned int off = offset_in_page(gpa);
		size_t n = min_t(size_t, len, PAGE_SIZE - off);
		struct page *page;
		u64 bidx;
		void *va;

		if (__vmem_gpa_lookup(vm, gpa, &bidx) == VMEM_GPA_MMIO) {
			r = -EFAULT;
			break;
		}
		if (write) {
			bool writable;

			page = __vmem_p2m_get(vm, bidx, &writable);
			if (IS_ERR(page)) {
				r = PTR_ERR(page);
				break;
			}
			if (!writable) {
				/* Copy-on-write, then look again. */
				put_page(page);
				up_read(&vm->slots_lock);
				r = vmem_share_unshare(vm, bidx);
				down_read(&vm->slots_lock);
				if (r)
					break;
				continue;
			}
		} else {
			void *e = vmem_p2m_load(vm, bidx, &page, NULL);

			/* A swapped page is read back; untouched reads zero. */
			if (vmem_p2m_is_swap(e)) {
				page = __vmem_p2m_get_page(vm, bidx);
				if (IS_ERR(page)) {
					r = PTR_ERR(page);
					break;
				}
			}
		}

		if (page) {
			va = kmap_local_page(page);
			if (write)
				memcpy(va + off, buf, n);
			else
				memcpy(buf, va + off, n);
			kunmap_local(va);
			put_page(page);
		} else {
			memset(buf, 0, n);
		}
		buf += n;
		gpa += n;
		len -= n;
	}
	up_read(&vm->slots_lock);
	return r;
}

int vmem_read_guest(struct vmem_vm *vm, u64 gpa, void *buf, size_t len)
{
	return vmem_guest_copy(vm, gpa, buf, len, false);
}

int vmem_write_guest(struct vmem_vm *vm, u64 gpa, const void *buf, size_t len)
{
	return vmem_guest_copy(vm, gpa, (void *)buf, len, true);
}

/* ---------------------------------------------------------------------- */
/* Invalidation                                                            */

/* TDP and shadow entries of guest frames [@gfn, +@npages).  [u] */
static bool vmem_zap_gfns(struct vmem_vm *vm, u64 gfn, u64 npages)
{
	bool flush = false;

	if (vm->tdp)
		flush = vmem_tdp_zap(vm, gfn, npages);
	if (vm->mmu_mode == VMEM_VM_MMU_SHADOW)
		flush |= vmem_shadow_zap(vm, gfn, npages);
	return flush;
}

/*
 * Begin an invalidation and zap what the guest reaches through guest
 * frames [@first, +@npages) (when @gpa) or through backing indices
 * [@first, +@npages), that is, through every slot or mapping onto them:
 * a linear scan, as a VM has few (max_memslots of each kind).
 */
static void vmem_invalidate_begin(struct vmem_vm *vm, u64 first, u64 npages,
				  bool gpa)
{
	bool flush = false;
	unsigned int i;

	lockdep_assert_held_write(&vm->slots_lock);

	spin_lock(&vm->mmu_lock);
	vm->mmu_invalidating++;
	WRITE_ONCE(vm->mmu_seq, vm->mmu_seq + 1);
	if (gpa) {
		flush = vmem_zap_gfns(vm, first, npages);
	} else {
		for (i = 0; i < vm->nr_slots; i++) {
			struct vmem_slot *s = &vm->slots[i];
			u64 lo = max(first, s->base_bidx);
			u64 hi = min(first + npages, s->base_bidx + s->npages);

			if (lo < hi)
				flush |= vmem_zap_gfns(vm, s->base_gfn +
						       (lo - s->base_bidx),
						       hi - lo);
		}
	}
	spin_unlock(&vm->mmu_lock);

	/* Waits until no vCPU can still be using a zapped translation. */
	if (flush)
		vmem_vm_request_all(vm, VMEM_REQ_TLB_FLUSH);
}

void vmem_invalidate_range(struct vmem_vm *vm, u64 bidx, u64 npages)
{
	vmem_invalidate_begin(vm, bidx, npages, false);
	unmap_mapping_range(vm->inode->i_mapping, (loff_t)bidx << PAGE_SHIFT,
			    (loff_t)npages << PAGE_SHIFT, 1);
}

void vmem_invalidate_end(struct vmem_vm *vm)
{
	spin_lock(&vm->mmu_lock);
	WRITE_ONCE(vm->mmu_seq, vm->mmu_seq + 1);
	vm->mmu_invalidating--;
	spin_unlock(&vm->mmu_lock);
}

/* An entry left the p2m: its page, its sharing references or its slot. */
static void vmem_p2m_drop(struct vmem_vm *vm, void *e)
{
	if (vmem_p2m_is_swap(e)) {
		vmem_swap_free_slot(vm, vmem_p2m_swap_slot(e));
		return;
	}
	atomic_long_dec(&vm->granted);
	vmem_share_drop_entry(vm, e);
}

/* Drop the p2m entries of [@bidx, @bidx + @npages) and free their pages. */
static void vmem_p2m_free_range(struct vmem_vm *vm, u64 bidx, u64 npages)
{
	unsigned long idx;
	void *e;

	xa_for_each_range(&vm->p2m, idx, e, bidx, bidx + npages - 1) {
		xa_erase(&vm->p2m, idx);
		vmem_p2m_drop(vm, e);
		cond_resched();
	}
}

/* ---------------------------------------------------------------------- */
/* VMEM_SET_MEMSLOT                                                        */

/* Remove vm->slots[@i] (its derived mappings are gone already). */
static void vmem_slot_remove(struct vmem_vm *vm, unsigned int i)
{
	memmove(&vm->slots[i], &vm->slots[i + 1],
		(vm->nr_slots - i - 1) * sizeof(*vm->slots));
	vm->nr_slots--;
}

static int vmem_slot_delete(struct vmem_vm *vm, u32 id)
{
	struct vmem_slot *s;
	u64 npages;
	int i;

	down_write(&vm->slots_lock);
	i = vmem_slot_index(vm, id);
	if (i < 0) {
		up_write(&vm->slots_lock);
		return -ENOENT;
	}
	s = &vm->slots[i];
	npages = s->npages;

	/* The slot owns its backing range: its contents go with it. */
	vmem_invalidate_range(vm, s->base_bidx, npages);
	vmem_p2m_free_range(vm, s->base_bidx, npages);
	vmem_invalidate_end(vm);

	WRITE_ONCE(vm->configured, vm->configured - npages);
	vmem_slot_remove(vm, i);
	up_write(&vm->slots_lock);
	return 0;
}

/*
 * Insert @new in vm->slots, which stay sorted by gfn and disjoint.
 * -EEXIST if its guest range overlaps a slot or mapping, -ENOMEM.
 * Caller holds slots_lock for write.
 */
static int vmem_slot_insert(struct vmem_vm *vm, const struct vmem_slot *new)
{
	struct vmem_slot *slots, *old;
	unsigned int i, pos;

	for (pos = 0; pos < vm->nr_slots; pos++)
		if (vm->slots[pos].base_gfn > new->base_gfn)
			break;
	if (pos > 0) {
		struct vmem_slot *prev = &vm->slots[pos - 1];

		if (prev->base_gfn + prev->npages > new->base_gfn)
			return -EEXIST;
	}
	if (pos < vm->nr_slots &&
	    new->base_gfn + new->npages > vm->slots[pos].base_gfn)
		return -EEXIST;

	slots = vmem_kzalloc(array_size(vm->nr_slots + 1, sizeof(*slots)),
			     GFP_KERNEL_ACCOUNT);
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < pos; i++)
		slots[i] = vm->slots[i];
	slots[pos] = *new;
	for (i = pos; i < vm->nr_slots; i++)
		slots[i + 1] = vm->slots[i];

	old = vm->slots;
	vm->slots = slots;
	vm->nr_slots++;
	vmem_kfree(old);
	return 0;
}

/* Pages a VM may configure (max_mem_mb). */
static u64 vmem_max_pages(void)
{
	return (u64)vmem_config.max_mem_mb << (20 - PAGE_SHIFT);
}

static int vmem_slot_create(struct vmem_vm *vm, const struct vmem_memslot *ms)
{
	struct vmem_slot new = {
		.id = ms->slot,
		.flags = ms->flags,
		.base_gfn = ms->gpa >> PAGE_SHIFT,
		.npages = ms->size >> PAGE_SHIFT,
		.base_bidx = ms->gpa >> PAGE_SHIFT,
	};
	int r;

	down_write(&vm->slots_lock);
	r = -EEXIST;
	if (vmem_slot_index(vm, ms->slot) >= 0)
		goto out;
	/* Its own backing range (identity) must not be the sized backing. */
	r = -EBUSY;
	if (new.base_bidx < vm->backing_base + vm->backing_pages &&
	    new.base_bidx + new.npages > vm->backing_base)
		goto out;
	r = -ENOSPC;
	if (vm->configured + new.npages > vmem_max_pages())
		goto out;
	r = vmem_slot_insert(vm, &new);
	if (!r)
		WRITE_ONCE(vm->configured, vm->configured + new.npages);
out:
	up_write(&vm->slots_lock);
	return r;
}

/*
 * Errors: -EINVAL for a bad id, flag, alignment, an address range that
 * wraps or reaches past 2^max_gpa_bits, or nonzero reserved fields;
 * -EEXIST for an id in use or a range overlapping another slot or a
 * mapping; -EBUSY for a range inside the sized backing (VMEM_SET_BACKING),
 * whose offsets the slot's own would collide with; -ENOSPC when the VM's
 * memory would exceed max_mem_mb; -ENOENT to delete an id that has no
 * slot; -ENOMEM.  Nothing changes on error.
 */
int vmem_set_memslot(struct vmem_vm *vm, const struct vmem_memslot *ms)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ms->reserved); i++)
		if (ms->reserved[i])
			return -EINVAL;
	if (ms->slot >= vmem_config.max_memslots)
		return -EINVAL;
	if (ms->flags & ~(VMEM_MEMSLOT_READONLY | VMEM_MEMSLOT_SMALL_PAGES))
		return -EINVAL;
	if (!ms->size) {
		/* A delete carries nothing else. */
		if (ms->gpa || ms->flags)
			return -EINVAL;
		return vmem_slot_delete(vm, ms->slot);
	}
	if (!PAGE_ALIGNED(ms->gpa) || !PAGE_ALIGNED(ms->size))
		return -EINVAL;
	if (ms->gpa + ms->size < ms->gpa ||
	    ms->gpa + ms->size > BIT_ULL(vmem_config.max_gpa_bits))
		return -EINVAL;
	return vmem_slot_create(vm, ms);
}

/* ---------------------------------------------------------------------- */
/* The backing and its mappings (VMEM_SET_BACKING ... VMEM_UNMAP_MEMORY)   */

static_assert(VMEM_MAP_READONLY == VMEM_MEMSLOT_READONLY);
static_assert(VMEM_MAP_SMALL_PAGES == VMEM_MEMSLOT_SMALL_PAGES);

/* Flags, padding and reserved words of a struct vmem_backing. */
static bool vmem_backing_bad(const struct vmem_backing *b)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(b->reserved); i++)
		if (b->reserved[i])
			return true;
	return b->flags || b->pad || !PAGE_ALIGNED(b->offset) ||
	       !PAGE_ALIGNED(b->size);
}

/* Free backing pages [@lo, @hi), if any.  Caller holds slots_lock (w). */
static void vmem_backing_free(struct vmem_vm *vm, u64 lo, u64 hi)
{
	if (lo >= hi)
		return;
	vmem_invalidate_range(vm, lo, hi - lo);
	vmem_p2m_free_range(vm, lo, hi - lo);
	vmem_invalidate_end(vm);
}

/*
 * VMEM_SET_BACKING: the backing becomes [@b->offset, +@b->size); size 0
 * removes it.  Pages in both the old and the new range keep their
 * contents; the old range's others are freed, and no mapping may use
 * them (-EBUSY).  The backing may not overlap a legacy slot's own range
 * (-EBUSY) nor reach past 2^max_gpa_bits (-EINVAL), and counts in
 * max_mem_mb with the slots (-ENOSPC).
 */
int vmem_set_backing(struct vmem_vm *vm, const struct vmem_backing *b)
{
	u64 nb = b->offset >> PAGE_SHIFT, ne = nb + (b->size >> PAGE_SHIFT);
	u64 ob, oe;
	unsigned int i;
	int r = 0;

	if (vmem_backing_bad(b))
		return -EINVAL;
	if (b->offset + b->size < b->offset ||
	    b->offset + b->size > BIT_ULL(vmem_config.max_gpa_bits))
		return -EINVAL;
	if (!b->size)
		nb = ne = 0;

	down_write(&vm->slots_lock);
	ob = vm->backing_base;
	oe = ob + vm->backing_pages;
	for (i = 0; i < vm->nr_slots; i++) {
		struct vmem_slot *s = &vm->slots[i];
		u64 lo = s->base_bidx, hi = lo + s->npages;

		if (vmem_slot_is_map(s) ? lo < nb || hi > ne :
					  lo < ne && hi > nb) {
			r = -EBUSY;
			goto out;
		}
	}
	if (vm->configured - (oe - ob) + (ne - nb) > vmem_max_pages()) {
		r = -ENOSPC;
		goto out;
	}
	vmem_backing_free(vm, ob, min(oe, nb));
	vmem_backing_free(vm, max(ob, ne), oe);
	vm->backing_base = nb;
	vm->backing_pages = ne - nb;
	WRITE_ONCE(vm->configured, vm->configured - (oe - ob) + (ne - nb));
out:
	up_write(&vm->slots_lock);
	return r;
}

/*
 * VMEM_DISCARD_BACKING: free the contents of a backing range, mapped or
 * not (every alias and the VMM's mapping then read zeros, like a hole
 * punched in a file).  -ERANGE past the backing's end.
 */
int vmem_discard_backing(struct vmem_vm *vm, const struct vmem_backing *b)
{
	u64 first = b->offset >> PAGE_SHIFT, n = b->size >> PAGE_SHIFT;
	int r = 0;

	if (vmem_backing_bad(b) || !n)
		return -EINVAL;
	down_write(&vm->slots_lock);
	if (first + n < first || first < vm->backing_base ||
	    first + n > vm->backing_base + vm->backing_pages)
		r = -ERANGE;
	else
		vmem_backing_free(vm, first, first + n);
	up_write(&vm->slots_lock);
	return r;
}

/* Common checks of a struct vmem_memory_map: -EINVAL or 0. */
static int vmem_map_check(const struct vmem_memory_map *m)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(m->reserved); i++)
		if (m->reserved[i])
			return -EINVAL;
	if (m->pad || !m->size || !PAGE_ALIGNED(m->gpa) ||
	    !PAGE_ALIGNED(m->size) || !PAGE_ALIGNED(m->offset))
		return -EINVAL;
	if (m->gpa + m->size < m->gpa ||
	    m->gpa + m->size > BIT_ULL(vmem_config.max_gpa_bits))
		return -EINVAL;
	return 0;
}

/*
 * VMEM_MAP_MEMORY: backing [@offset, +@size) appears at guest-physical
 * [@gpa, +@size).  A new mapping has no derived mappings yet, so nothing
 * is invalidated: the guest's next access faults through it.  Errors:
 * -EINVAL (see vmem_map_check(), unknown flags), -ERANGE for a backing
 * range past the backing's end, -EEXIST for a guest range overlapping a
 * slot or mapping, -ENOSPC beyond max_memslots mappings, -ENOMEM.
 */
int vmem_map_memory(struct vmem_vm *vm, const struct vmem_memory_map *m)
{
	struct vmem_slot new = {
		.id = VMEM_SLOT_MAP,
		.flags = m->flags,
		.base_gfn = m->gpa >> PAGE_SHIFT,
		.npages = m->size >> PAGE_SHIFT,
		.base_bidx = m->offset >> PAGE_SHIFT,
	};
	int r = vmem_map_check(m);

	if (r)
		return r;
	if (m->flags & ~(VMEM_MAP_READONLY | VMEM_MAP_SMALL_PAGES))
		return -EINVAL;

	down_write(&vm->slots_lock);
	r = -ERANGE;
	if (m->offset + m->size < m->offset ||
	    new.base_bidx < vm->backing_base ||
	    new.base_bidx + new.npages > vm->backing_base + vm->backing_pages)
		goto out;
	r = -ENOSPC;
	if (vm->nr_maps >= vmem_config.max_memslots)
		goto out;
	r = vmem_slot_insert(vm, &new);
	if (!r)
		vm->nr_maps++;
out:
	up_write(&vm->slots_lock);
	return r;
}

/*
 * VMEM_UNMAP_MEMORY: remove every mapping inside guest-physical [@gpa,
 * +@size).  Their TDP and shadow entries are zapped; the backing and the
 * VMM's mapping of it are untouched.  Errors: -EINVAL (see
 * vmem_map_check(), a nonzero offset or flags, a mapping that crosses
 * the range's ends), -EBUSY for a legacy slot in the range (deleted with
 * VMEM_SET_MEMSLOT only), -ENOENT when the range holds no mapping.
 */
int vmem_unmap_memory(struct vmem_vm *vm, const struct vmem_memory_map *m)
{
	u64 gfn = m->gpa >> PAGE_SHIFT, n = m->size >> PAGE_SHIFT;
	unsigned int i, found = 0;
	int r = vmem_map_check(m);

	if (r)
		return r;
	if (m->offset || m->flags)
		return -EINVAL;

	down_write(&vm->slots_lock);
	for (i = 0; i < vm->nr_slots; i++) {
		struct vmem_slot *s = &vm->slots[i];

		if (s->base_gfn + s->npages <= gfn || s->base_gfn >= gfn + n)
			continue;
		if (!vmem_slot_is_map(s)) {
			r = -EBUSY;
			goto out;
		}
		if (s->base_gfn < gfn || s->base_gfn + s->npages > gfn + n) {
			r = -EINVAL;
			goto out;
		}
		found++;
	}
	if (!found) {
		r = -ENOENT;
		goto out;
	}

	vmem_invalidate_begin(vm, gfn, n, true);
	for (i = vm->nr_slots; i-- > 0;) {
		struct vmem_slot *s = &vm->slots[i];

		if (s->base_gfn >= gfn && s->base_gfn < gfn + n) {
			vmem_slot_remove(vm, i);
			vm->nr_maps--;
		}
	}
	vmem_invalidate_end(vm);
out:
	up_write(&vm->slots_lock);
	return r;
}

/* ---------------------------------------------------------------------- */
/* The VMM's mapping of guest RAM (mmap of the VM fd)                      */

/*
 * Faults install the PTE themselves (vmf_insert_page, hence VM_MIXEDMAP)
 * under slots_lock instead of returning vmf->page: the p2m lookup and the
 * PTE are then atomic with respect to vmem_invalidate_range(), whose
 * unmap_mapping_range() would otherwise miss a PTE installed after it
 * from a page looked up before it.  The offset is the backing index.
 */
/*
 * A VMM-mapping fault whose charge needs reclaim (-EAGAIN from a
 * VMEM_CHARGE_NOWAIT charge): the worker writes the swap file, and a
 * fault must not wait for it holding mmap_lock (or, from a kernel access
 * to user memory, whatever the task holds: a write() to the swap file
 * holds its inode lock).  A fault from user mode that may retry drops
 * mmap_lock (or the VMA lock), waits for the reclaim with a VM reference
 * of its own, and retries once; any other fails (SIGBUS, or -EFAULT from
 * the system call), the worker having been asked to make room.
 */
static vm_fault_t vmem_mem_fault_wait(struct vm_fault *vmf, struct vmem_vm *vm)
{
	int r;

	if (!(vmf->flags & FAULT_FLAG_USER) ||
	    !(vmf->flags & FAULT_FLAG_ALLOW_RETRY) ||
	    (vmf->flags & (FAULT_FLAG_RETRY_NOWAIT | FAULT_FLAG_TRIED)))
		return VM_FAULT_SIGBUS;
	vmem_vm_get(vm);
	vmem_release_fault_lock(vmf);
	r = vmem_mem_charge(vm, 1);
	if (!r)
		vmem_mem_uncharge(vm, 1);	/* the retry charges again */
	vmem_vm_put(vm);
	return VM_FAULT_RETRY;
}

/*
 * Faults install the PTE themselves (vmf_insert_page, hence VM_MIXEDMAP)
 * under slots_lock instead of returning vmf->page: the p2m lookup and the
 * PTE are then atomic with respect to vmem_invalidate_range(), whose
 * unmap_mapping_range() would otherwise miss a PTE installed after it
 * from a page looked up before it.  The offset is the backing index.
 */
static vm_fault_t vmem_mem_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vmem_vm *vm = vma->vm_file->private_data;
	struct page *page;
	bool writable;
	vm_fault_t ret;
	int r;

again:
	down_read(&vm->slots_lock);
	if (!vmem_bidx_valid(vm, vmf->pgoff)) {
		/* The slot was deleted, or the backing shrunk, after mmap(). */
		ret = VM_FAULT_SIGBUS;
		goto out;
	}
	page = vmem_p2m_get_flags(vm, vmf->pgoff, &writable,
				  VMEM_CHARGE_NOWAIT);
	if (IS_ERR(page)) {
		up_read(&vm->slots_lock);
		r = PTR_ERR(page);
		goto out_err;
	}
	if (!writable && (vmf->flags & FAULT_FLAG_WRITE)) {
		/*
		 * A write to a shared or zero frame: copy-on-write here,
		 * where the fault's flags say whether it may wait (see
		 * vmem_mem_page_mkwrite()).
		 */
		put_page(page);
		up_read(&vm->slots_lock);
		r = vmem_share_unshare_flags(vm, vmf->pgoff,
					     VMEM_CHARGE_NOWAIT);
		if (r)
			goto out_err;
		goto again;
	}
	ret = vmf_insert_page(vma, vmf->address & PAGE_MASK, page);
	put_page(page);
out:
	up_read(&vm->slots_lock);
	return ret;

out_err:
	if (r == -EAGAIN)
		return vmem_mem_fault_wait(vmf, vm);
	return r == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
}

/*
 * With .page_mkwrite the VMA wants write notification, so the core maps
 * every page read-only first and calls this on the first write through a
 * PTE: a private page becomes writable (locked, as the core wants it for
 * a page it will dirty); a shared or zero frame is first copied (copy-on-
 * write), which zaps this PTE, and the write faults again on the copy.
 */
static vm_fault_t vmem_mem_page_mkwrite(struct vm_fault *vmf)
{
	struct vmem_vm *vm = vmf->vma->vm_file->private_data;
	bool mine;
	void *e;

	/*
	 * The answer may be stale when the write happens: no matter, a p2m
	 * change zaps this PTE first, and the core installs the writable
	 * PTE only if the PTE it faulted on is still there.
	 */
	down_read(&vm->slots_lock);
	e = xa_load(&vm->p2m, vmf->pgoff);
	mine = vmem_p2m_is_private(e) && vmem_p2m_page(e) == vmf->page;
	up_read(&vm->slots_lock);
	if (mine) {
		lock_page(vmf->page);
		return VM_FAULT_LOCKED;
	}

	/* Shared or zero; or changed meanwhile, and the PTE is going. */
	if (vmem_p2m_is_shared(e) || vmem_p2m_is_zero(e)) {
		int r = vmem_share_unshare_flags(vm, vmf->pgoff,
						 VMEM_CHARGE_NOWAIT);

		if (r == -EAGAIN) {
			/*
			 * The copy needs reclaim, and page_mkwrite cannot
			 * drop mmap_lock to wait (nor see whether the fault
			 * came from user mode).  Drop this PTE instead: the
			 * access faults again as a missing page, and
			 * vmem_mem_fault() breaks the sharing with the
			 * fault's own flags.
			 */
			unmap_mapping_range(vm->inode->i_mapping,
					    (loff_t)vmf->pgoff << PAGE_SHIFT,
					    PAGE_SIZE, 1);
			return VM_FAULT_NOPAGE;
		}
		/* Over a limit with nothing to reclaim is no host OOM. */
		if (r)
			return r == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
	}
	return VM_FAULT_NOPAGE;
}

static const struct vm_operations_struct vmem_mem_vm_ops = {
	.fault = vmem_mem_fault,
	.page_mkwrite = vmem_mem_page_mkwrite,
};

/*
 * The file offset is the backing offset: for a legacy slot, its guest-
 * physical address.  The range must lie in one slot (RAM or ROM: the VMM
 * loads ROM contents this way) or in the sized backing, and the mapping
 * must be shared, else -EINVAL.  The mapping stays valid when the slot is
 * deleted or the backing shrinks, but then faults with SIGBUS there.
 */
int vmem_mem_mmap(struct vmem_vm *vm, struct vm_area_struct *vma)
{
	unsigned long npages = vma_pages(vma);
	struct vmem_slot *s;
	int r = -EINVAL;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff + npages < vma->vm_pgoff)
		return -EINVAL;

	down_read(&vm->slots_lock);
	s = vmem_slot_find(vm, vma->vm_pgoff);
	if (vma->vm_pgoff >= vm->backing_base &&
	    vma->vm_pgoff + npages <= vm->backing_base + vm->backing_pages)
		r = 0;
	else if (s && !vmem_slot_is_map(s) &&
		 vma->vm_pgoff + npages - s->base_gfn <= s->npages)
		r = 0;
	up_read(&vm->slots_lock);
	if (r)
		return r;

	/* DONTDUMP: a core dump would otherwise populate all guest RAM. */
	vmem_vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &vmem_mem_vm_ops;
	return 0;
}

/* At VM teardown: nothing maps or runs the VM any more. */
void vmem_mem_destroy(struct vmem_vm *vm)
{
	unsigned long idx;
	void *e;

	xa_for_each(&vm->p2m, idx, e) {
		vmem_p2m_drop(vm, e);
		cond_resched();
	}
	xa_destroy(&vm->p2m);
	vmem_kfree(vm->slots);
	vm->slots = NULL;
	vm->nr_slots = 0;
	vm->nr_maps = 0;
	vm->backing_base = 0;
	vm->backing_pages = 0;
}
