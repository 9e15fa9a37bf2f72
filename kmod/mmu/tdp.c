// SPDX-License-Identifier: GPL-2.0
/*
 * mmu/tdp.c - the nested (NPT/EPT) page tables, built from the p2m.
 *
 * One tree per VM, shared by its vCPUs, with as many levels as the
 * backend's format says: EPT walks the length the EPTP names (4); AMD
 * walks nested tables with as many levels as the host's own paging at
 * VMRUN, so NPT is 5-level on a host with 5-level paging.  A tree with
 * fewer levels than the CPU walks would have its leaves read as tables
 * and a guest page as the last level: whatever the guest writes there
 * would map host memory.  The tables are a cache
 * of the p2m: a leaf is installed on the guest's first access to a frame
 * (vmem_tdp_fault) and zapped by vmem_invalidate_range() before the p2m
 * changes.  Only leaves are zapped; table pages stay until the VM dies,
 * which keeps the zap a simple walk under the spinlock and costs at most
 * the tables of what the guest ever touched.
 *
 * The backend supplies the PTE format (struct vmem_tdp_format); the walk
 * is the same for NPT and EPT.  Private RAM is mapped writable and
 * executable (no dirty tracking yet); shared and zero frames read-only,
 * so that a guest write faults and breaks sharing; ROM read-only so that
 * writes fault and exit as MMIO.
 *
 * Leaves are 4 KiB, or 2 MiB (the format's large_bit at level 2) when the
 * p2m backs the whole aligned range with private, contiguous frames
 * (vmem_mem.c's large first touch).  A 2 MiB leaf is only ever installed
 * in an empty level-2 entry, never over a table, so no table page is
 * freed while the hardware may still cache it; a zap of any frame in its
 * range clears the whole leaf, and the faults that follow map 4 KiB if
 * the range is no longer large-able (a shared or copied frame inside).
 *
 * Concurrency: the hardware walks the tables while we edit them, so every
 * entry is written with one WRITE_ONCE of the whole 64 bits, a new table
 * is zeroed before it is linked, and a zapped leaf is only reused after
 * the TLB flush that vmem_invalidate_range() waits for.  Software walks
 * and edits hold vm->mmu_lock.  A fault reads vm->mmu_seq before its p2m
 * lookup and maps only if no invalidation ran or is running meanwhile
 * (KVM's mmu_notifier_seq protocol), so a page that is being taken away
 * is never mapped again.
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/bits.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/spinlock.h>
#include <asm/io.h>

#include "vmem_backend.h"
#include "vmem_core.h"
#include "vmem_share.h"
#include "vmem_vm.h"

#define TDP_MAX_LEVELS		5
#define TDP_ENTRIES		512
#define TDP_ADDR_MASK		GENMASK_ULL(51, 12)
#define TDP_LARGE_SIZE		(VMEM_LARGE_PAGES * PAGE_SIZE)
/* Table pages one fault may need: every level below the root. */
static_assert(TDP_MAX_LEVELS - 1 <=
	      sizeof_field(struct vmem_vcpu, mmu_cache) / sizeof(struct page *));

/**
 * struct vmem_tdp - a VM's nested page-table tree
 * @root:	the top-level table  [I]
 * @root_pa:	its physical address, for nCR3/EPTP  [I]
 * @fmt:	the backend's PTE format  [I]
 * @levels:	levels of the tree, @fmt->root_level (4 or 5)  [I]
 * The tables below the root are reached only under vm->mmu_lock.
 */
struct vmem_tdp {
	u64 *root;
	u64 root_pa;
	const struct vmem_tdp_format *fmt;
	int levels;
};

static inline unsigned int tdp_index(u64 gfn, int level)
{
	return (gfn >> (9 * (level - 1))) & (TDP_ENTRIES - 1);
}

static inline u64 *tdp_table(u64 entry)
{
	return __va(entry & TDP_ADDR_MASK);
}

static inline bool tdp_present(const struct vmem_tdp_format *fmt, u64 entry)
{
	return entry & fmt->present_mask;
}

static inline bool tdp_is_leaf(const struct vmem_tdp_format *fmt, u64 entry,
			       int level)
{
	return level == 1 || (fmt->large_bit && (entry & fmt->large_bit));
}

u64 vmem_tdp_root_hpa(struct vmem_vm *vm)
{
	struct vmem_tdp *tdp = vm->tdp;

	return tdp ? tdp->root_pa : 0;
}

int vmem_tdp_init(struct vmem_vm *vm)
{
	const struct vmem_tdp_format *fmt = vmem_backend->tdp_format;
	struct vmem_tdp *tdp;
	struct page *root;

	if (!fmt || fmt->root_level < 4 || fmt->root_level > TDP_MAX_LEVELS)
		return -EOPNOTSUPP;

	tdp = vmem_kzalloc(sizeof(*tdp), GFP_KERNEL_ACCOUNT);
	if (!tdp)
		return -ENOMEM;
	root = vmem_alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!root) {
		vmem_kfree(tdp);
		return -ENOMEM;
	}
	tdp->root = page_address(root);
	tdp->root_pa = page_to_phys(root);
	tdp->fmt = fmt;
	tdp->levels = fmt->root_level;
	atomic_long_inc(&vm->overhead);
	vm->tdp = tdp;
	return 0;
}

static void tdp_free_table(struct vmem_vm *vm, u64 *table, int level)
{
	const struct vmem_tdp_format *fmt = ((struct vmem_tdp *)vm->tdp)->fmt;
	unsigned int i;

	if (level > 1) {
		for (i = 0; i < TDP_ENTRIES; i++) {
			u64 e = table[i];

			if (tdp_present(fmt, e) && !tdp_is_leaf(fmt, e, level))
				tdp_free_table(vm, tdp_table(e), level - 1);
		}
	}
	vmem_free_page(virt_to_page(table));
	atomic_long_dec(&vm->overhead);
}

/* At VM teardown, after the backend forgot the root. */
void vmem_tdp_destroy(struct vmem_vm *vm)
{
	struct vmem_tdp *tdp = vm->tdp;

	if (!tdp)
		return;
	tdp_free_table(vm, tdp->root, tdp->levels);
	vm->tdp = NULL;
	vmem_kfree(tdp);
}

/* ---------------------------------------------------------------------- */
/* Zap                                                                     */

/*
 * Clear the leaves for gfns [@start, @end) below @table, which maps the
 * gfns from @base at @level.  Returns whether a present leaf was cleared.
 */
static bool tdp_zap_table(const struct vmem_tdp_format *fmt, u64 *table,
			  int level, u64 base, u64 start, u64 end)
{
	u64 span = 1ULL << (9 * (level - 1));	/* gfns per entry */
	unsigned int i = tdp_index(start, level);
	bool zapped = false;

	for (; i < TDP_ENTRIES; i++) {
		u64 lo = base + i * span, hi = lo + span;
		u64 e = table[i];

		if (lo >= end)
			break;
		if (!tdp_present(fmt, e))
			continue;
		if (tdp_is_leaf(fmt, e, level)) {
			WRITE_ONCE(table[i], 0);
			zapped = true;
		} else {
			zapped |= tdp_zap_table(fmt, tdp_table(e), level - 1,
						lo, max(lo, start),
						min(hi, end));
		}
	}
	return zapped;
}

/*
 * Caller holds mmu_lock, and flushes every vCPU's TLB (after dropping
 * it) if this returns true.
 */
bool vmem_tdp_zap(struct vmem_vm *vm, u64 gfn, u64 npages)
{
	struct vmem_tdp *tdp = vm->tdp;
	u64 end = gfn + npages;

	lockdep_assert_held(&vm->mmu_lock);
	if (end > BIT_ULL(9 * tdp->levels) || end < gfn)
		end = BIT_ULL(9 * tdp->levels);
	if (gfn >= end)
		return false;
	return tdp_zap_table(tdp->fmt, tdp->root, tdp->levels, 0, gfn, end);
}

/* ---------------------------------------------------------------------- */
/* Fault                                                                   */

static int tdp_topup_cache(struct vmem_vcpu *vcpu, int levels)
{
	while (vcpu->nr_mmu_cache < levels - 1) {
		struct page *page;

		page = vmem_alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!page)
			return -ENOMEM;
		vcpu->mmu_cache[vcpu->nr_mmu_cache++] = page;
	}
	return 0;
}

void vmem_tdp_free_cache(struct vmem_vcpu *vcpu)
{
	while (vcpu->nr_mmu_cache)
		vmem_free_page(vcpu->mmu_cache[--vcpu->nr_mmu_cache]);
}

/*
 * Install the leaf for @gfn -> @hpa, linking tables from the vCPU's
 * cache as needed.  With @large (the p2m backs @gfn's whole 2 MiB range
 * contiguously, so @hpa sits at the same offset in a 2 MiB-aligned
 * block) the leaf is a 2 MiB one, unless a table is already there.
 * Caller holds mmu_lock.
 */
static void tdp_map(struct vmem_vcpu *vcpu, u64 gfn, u64 hpa, bool writable,
		    bool large)
{
	struct vmem_vm *vm = vcpu->vm;
	struct vmem_tdp *tdp = vm->tdp;
	const struct vmem_tdp_format *fmt = tdp->fmt;
	u64 *table = tdp->root;
	u64 leaf = fmt->leaf_bits | fmt->ad_bits;
	int level;

	if (writable)
		leaf |= fmt->write_bit;

	for (level = tdp->levels; level > 1; level--) {
		u64 *e = &table[tdp_index(gfn, level)];

		if (level == 2 && large && !tdp_present(fmt, *e)) {
			WRITE_ONCE(*e, leaf | fmt->large_bit |
				       (hpa & ~(u64)(TDP_LARGE_SIZE - 1)));
			return;
		}
		if (!tdp_present(fmt, *e)) {
			struct page *page;

			/* One page per level below the root: never short. */
			page = vcpu->mmu_cache[--vcpu->nr_mmu_cache];
			atomic_long_inc(&vm->overhead);
			WRITE_ONCE(*e, fmt->table_bits | page_to_phys(page));
		} else if (tdp_is_leaf(fmt, *e, level)) {
			/*
			 * Another vCPU mapped the range large since our p2m
			 * lookup; the mmu_seq check says it maps this frame.
			 */
			return;
		}
		table = tdp_table(*e);
	}
	WRITE_ONCE(table[tdp_index(gfn, 1)], leaf | hpa);
}

int vmem_tdp_fault(struct vmem_vcpu *vcpu, u64 gpa, bool write)
{
	struct vmem_vm *vm = vcpu->vm;
	struct vmem_tdp *tdp = vm->tdp;
	u64 gfn = gpa >> PAGE_SHIFT;
	enum vmem_gpa_kind kind;
	bool writable, large;
	struct page *page;
	unsigned long seq;
	u64 bidx = 0;
	int r;

	if (!tdp)
		return -EINVAL;
	if (gpa >= BIT_ULL(vmem_config.max_gpa_bits))
		return VMEM_FAULT_MMIO;

	r = tdp_topup_cache(vcpu, tdp->levels);
	if (r)
		return r;

	down_read(&vm->slots_lock);
	kind = __vmem_gpa_lookup(vm, gpa, &bidx);
	if (kind == VMEM_GPA_MMIO || (kind == VMEM_GPA_ROM && write)) {
		up_read(&vm->slots_lock);
		return VMEM_FAULT_MMIO;
	}

	seq = READ_ONCE(vm->mmu_seq);
	smp_rmb();	/* the p2m lookup after the sequence read */
	page = __vmem_p2m_get_guest(vm, gfn, bidx, &writable);
	if (IS_ERR(page)) {
		up_read(&vm->slots_lock);
		return PTR_ERR(page);
	}
	if (write && !writable) {
		/* A write to a shared or zero frame: copy-on-write, enter again. */
		put_page(page);
		up_read(&vm->slots_lock);
		r = vmem_share_unshare(vm, bidx);
		return r ? r : VMEM_FAULT_RETRY;
	}

	/* Read-only and shared frames are never in a large-able range. */
	large = kind == VMEM_GPA_RAM && writable && tdp->fmt->large_bit &&
		__vmem_p2m_large_ok(vm, gfn);

	spin_lock(&vm->mmu_lock);
	/* An invalidation ran or runs: the page may be on its way out. */
	if (!vm->mmu_invalidating && seq == vm->mmu_seq)
		tdp_map(vcpu, gfn, page_to_phys(page),
			kind == VMEM_GPA_RAM && writable, large);
	spin_unlock(&vm->mmu_lock);
	up_read(&vm->slots_lock);

	/* The p2m keeps its own reference for as long as the leaf exists. */
	put_page(page);
	return VMEM_FAULT_RETRY;
}
