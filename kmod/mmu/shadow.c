// SPDX-License-Identifier: GPL-2.0
/*
 * mmu/shadow.c - the shadow MMU: guest-virtual -> machine tables per vCPU.
 *
 * Without NPT/EPT the hardware walks tables that map the guest's virtual
 * addresses straight to machine pages.  vmem builds them on demand: every
 * #PF is intercepted, the guest's own tables are walked in software
 * (x86/walk.c, one walker for every paging mode, setting A/D bits as
 * hardware would), the guest-physical frame is looked up in the p2m, and
 * a 4 KiB leaf is installed.  If the guest's tables refuse the access, the
 * #PF goes back to the guest with the error code its tables produce.
 *
 * The tree is a virtual TLB, nothing more: an entry caches one
 * translation the guest's tables allowed when it was made.  So the rules
 * are the TLB's: a MOV to CR3 drops non-global translations, INVLPG one
 * page (its 4 KiB leaf and every piece of a guest large page that may hold
 * the address: spt_invlpg(); everything when the address is unknown),
 * CR0/CR4/EFER paging changes everything; a guest that edits a PTE without
 * INVLPG may see the old translation (allowed) or the new one (also
 * allowed: a fault re-walks).  A fault that finds its translation already
 * there (another path fixed it, or the hardware TLB was stale) is
 * spurious: the TLB is flushed and the guest runs again.
 *
 * Translations are 4 KiB leaves even under guest 2 MiB / 4 MiB / 1 GiB
 * pages (each piece faults in on its own), which keeps INVLPG, A/D and
 * invalidation per 4 KiB.  Permissions:
 *  - U, W, NX are the guest's effective ones (every level ANDed, NX ORed);
 *  - W only once the guest's D bit is set, so the first write faults and
 *    sets D as hardware would; never for ROM (writes exit as MMIO);
 *    never for a shared or zero frame of page sharing (the p2m says it is
 *    not writable): a write faults, vmem_share_unshare() gives the VM a
 *    private copy (zapping this leaf through vmem_invalidate_range ->
 *    vmem_shadow_zap) and the fault is taken again;
 *  - hardware CR0.WP is always 1 (needed to keep read-only leaves
 *    read-only for the kernel too: ROM, shared frames): a guest
 *    with WP=0 writing a read-only page in supervisor mode gets a W=1,
 *    U=0 leaf (KVM's trick), so a later user access faults and re-walks;
 *  - G when the guest's leaf is global and CR4.PGE is on: such leaves
 *    survive CR3 writes.
 *
 * The format: the guest in long mode runs on a 4-level tree, every other
 * mode (paging off: an identity map; 32-bit; PAE) on a PAE tree.  The
 * root page is below 4 GiB (a PAE CR3 is 32 bits); a PDPTE linked later
 * takes a TLB flush, since CPUs may hold PDPTEs loaded with CR3 (VM entry
 * reloads them from the root).
 *
 * Every table below the root is a page from vcpu->mmu_cache; each
 * level-1 table has a companion page (page->private) with the gfn of each
 * leaf, and in its own page->private the counts of present and global
 * leaves, so vmem_invalidate_range() can zap exactly the leaves of the
 * frames it takes away (vmem_shadow_zap, under vm->mmu_lock) and a CR3
 * write frees tables without global leaves and skips those with only
 * global ones instead of reading the whole tree.  Faults use
 * the TDP MMU's mmu_seq protocol.  Tables are freed when everything is
 * dropped (reset), and the tree is dropped on a CR3 write once it holds
 * more than SHADOW_MAX_TABLES tables, which bounds a guest that switches
 * between many address spaces.
 *
 * Not yet: a cache of trees per guest CR3 with write-protected guest
 * tables (every CR3 write now rebuilds what the new space touches), a
 * reverse map (a zap walks every vCPU's tree), large shadow leaves, PAT
 * and PCD/PWT (guest memory is write-back).
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/bits.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <asm/io.h>

#include "vmem_backend.h"
#include "vmem_core.h"
#include "vmem_share.h"
#include "vmem_vm.h"

#define SPT_ENTRIES		512
#define SPT_ADDR_MASK		GENMASK_ULL(51, 12)
#define SPT_P			BIT_ULL(0)
#define SPT_W			BIT_ULL(1)
#define SPT_U			BIT_ULL(2)
#define SPT_A			BIT_ULL(5)
#define SPT_D			BIT_ULL(6)
#define SPT_G			BIT_ULL(8)
/* Software bits (ignored by the hardware at every level). */
#define SPT_LARGE		BIT_ULL(9)	/* leaf: piece of a 2/4 MiB page */
#define SPT_HUGE		BIT_ULL(10)	/* leaf: piece of a 1 GiB page */
#define SPT_HAS_HUGE		BIT_ULL(10)	/* level 2: SPT_HUGE leaves below */
#define SPT_NX			BIT_ULL(63)
/* A link to a lower table: the leaf decides the permissions. */
#define SPT_TABLE		(SPT_P | SPT_W | SPT_U | SPT_A)
/* Pages one fault may take from the cache: levels 3-1 and a gfn page. */
#define SPT_CACHE_MIN		4
#define SHADOW_MAX_TABLES	4096

/*
 * Leaf counts of a level-1 table, kept in its gfn page's page->private:
 * present leaves in bits 15:0, global ones in bits 31:16.  They let a CR3
 * write skip tables that hold only global leaves and free those that
 * hold none, instead of reading every entry of the tree.
 */
#define SPT_CNT_PRESENT		1UL
#define SPT_CNT_GLOBAL		(1UL << 16)
#define SPT_NR_PRESENT(c)	((c) & 0xffff)
#define SPT_NR_GLOBAL(c)	((c) >> 16)

#define PF_P			BIT(0)
#define PF_W			BIT(1)
#define PF_U			BIT(2)
#define PF_I			BIT(4)

/**
 * struct vmem_shadow - one vCPU's shadow tree
 * @root:	the root table (PML4, or the PAE PDPT)  [I]
 * @root_pa:	its physical address  [I]
 * @levels:	4 (long mode) or 3 (PAE)  [v] to write, under [u]
 * @nr_tables:	tables below the root  [u]
 */
struct vmem_shadow {
	u64 *root;
	u64 root_pa;
	int levels;
	unsigned long nr_tables;
};

static inline u64 *spt_table(u64 e)
{
	return __va(e & SPT_ADDR_MASK);
}

static inline u64 *spt_gfns(u64 *table)
{
	return (u64 *)page_private(virt_to_page(table));
}

static inline struct page *spt_gfns_page(u64 *table)
{
	return virt_to_page(spt_gfns(table));
}

static unsigned long spt_leaf_count(u64 spte)
{
	if (!(spte & SPT_P))
		return 0;
	return SPT_CNT_PRESENT + ((spte & SPT_G) ? SPT_CNT_GLOBAL : 0);
}

/*
 * Every change of a leaf goes through here, which keeps the table's counts
 * and gfns right.  Caller holds mmu_lock (or owns the tree).
 */
static void spt_set_leaf(u64 *table, unsigned int i, u64 spte, u64 gfn)
{
	struct page *gp = spt_gfns_page(table);

	set_page_private(gp, page_private(gp) - spt_leaf_count(table[i]) +
			 spt_leaf_count(spte));
	spt_gfns(table)[i] = gfn;
	WRITE_ONCE(table[i], spte);
}

static inline unsigned int spt_index(u64 gva, int level)
{
	return (gva >> (12 + 9 * (level - 1))) & (SPT_ENTRIES - 1);
}

static struct page *spt_cache_pop(struct vmem_vcpu *vcpu)
{
	return vcpu->mmu_cache[--vcpu->nr_mmu_cache];
}

static int spt_topup(struct vmem_vcpu *vcpu)
{
	while (vcpu->nr_mmu_cache < SPT_CACHE_MIN) {
		struct page *page;

		page = vmem_alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!page)
			return -ENOMEM;
		vcpu->mmu_cache[vcpu->nr_mmu_cache++] = page;
	}
	return 0;
}

/* A table (and a level-1 table's gfn page) goes back to the allocator. */
static void spt_free_table(struct vmem_vm *vm, struct vmem_shadow *sh,
			   u64 *table, int level)
{
	struct page *page = virt_to_page(table);
	unsigned int i;

	if (level > 1) {
		for (i = 0; i < SPT_ENTRIES; i++)
			if (table[i] & SPT_P)
				spt_free_table(vm, sh, spt_table(table[i]),
					       level - 1);
	} else {
		set_page_private(spt_gfns_page(table), 0);
		vmem_free_page(spt_gfns_page(table));
		set_page_private(page, 0);
		atomic_long_dec(&vm->overhead);
	}
	vmem_free_page(page);
	atomic_long_dec(&vm->overhead);
	sh->nr_tables--;
}

/* Drop everything below the root.  The caller holds mmu_lock. */
static void spt_drop_all(struct vmem_vm *vm, struct vmem_shadow *sh)
{
	unsigned int i, n = sh->levels == 4 ? SPT_ENTRIES : 4;

	lockdep_assert_held(&vm->mmu_lock);
	for (i = 0; i < n; i++) {
		u64 e = sh->root[i];

		if (!(e & SPT_P))
			continue;
		WRITE_ONCE(sh->root[i], 0);
		spt_free_table(vm, sh, spt_table(e), sh->levels - 1);
	}
}

/*
 * A CR3 write: drop the non-global leaves below @table (at @level), free
 * the tables left without any; true if @table itself is left empty.
 */
static bool spt_flush_nonglobal(struct vmem_vm *vm, struct vmem_shadow *sh,
				u64 *table, int level)
{
	unsigned long c;
	unsigned int i;
	bool empty = true;

	if (level == 1) {
		c = page_private(spt_gfns_page(table));
		if (!SPT_NR_GLOBAL(c))
			return true;
		if (SPT_NR_PRESENT(c) == SPT_NR_GLOBAL(c))
			return false;
		for (i = 0; i < SPT_ENTRIES; i++)
			if ((table[i] & SPT_P) && !(table[i] & SPT_G))
				spt_set_leaf(table, i, 0, 0);
		return false;
	}
	for (i = 0; i < SPT_ENTRIES; i++) {
		u64 e = table[i];

		if (!(e & SPT_P))
			continue;
		if (spt_flush_nonglobal(vm, sh, spt_table(e), level - 1)) {
			WRITE_ONCE(table[i], 0);
			spt_free_table(vm, sh, spt_table(e), level - 1);
		} else {
			empty = false;
		}
	}
	return empty;
}

/*
 * Clear leaves below @table (at @level) for which @match says so; returns
 * whether one was present.
 */
static bool spt_zap_leaves(u64 *table, int level,
			   bool (*match)(u64 spte, u64 gfn, u64 a, u64 b),
			   u64 a, u64 b)
{
	unsigned int i;
	bool zapped = false;
	u64 *gfns;

	if (level > 1) {
		for (i = 0; i < SPT_ENTRIES; i++)
			if (table[i] & SPT_P)
				zapped |= spt_zap_leaves(spt_table(table[i]),
							 level - 1, match,
							 a, b);
		return zapped;
	}
	gfns = spt_gfns(table);
	for (i = 0; i < SPT_ENTRIES; i++) {
		if ((table[i] & SPT_P) && match(table[i], gfns[i], a, b)) {
			spt_set_leaf(table, i, 0, 0);
			zapped = true;
		}
	}
	return zapped;
}

static bool spt_zap_tree(struct vmem_shadow *sh,
			 bool (*match)(u64 spte, u64 gfn, u64 a, u64 b),
			 u64 a, u64 b)
{
	unsigned int i, n = sh->levels == 4 ? SPT_ENTRIES : 4;
	bool zapped = false;

	for (i = 0; i < n; i++)
		if (sh->root[i] & SPT_P)
			zapped |= spt_zap_leaves(spt_table(sh->root[i]),
						 sh->levels - 1, match, a, b);
	return zapped;
}

static bool spt_match_bits(u64 spte, u64 gfn, u64 bits, u64 b)
{
	return spte & bits;
}

static bool spt_match_gfns(u64 spte, u64 gfn, u64 a, u64 b)
{
	return gfn >= a && gfn < b;
}

/* ---------------------------------------------------------------------- */
/* Life cycle                                                              */

int vmem_shadow_vcpu_init(struct vmem_vcpu *vcpu)
{
	struct vmem_shadow *sh;
	struct page *root;

	sh = vmem_kzalloc(sizeof(*sh), GFP_KERNEL_ACCOUNT);
	if (!sh)
		return -ENOMEM;
	/* A PAE CR3 holds a 32-bit address. */
	root = vmem_alloc_page(GFP_KERNEL_ACCOUNT | GFP_DMA32 | __GFP_ZERO);
	if (!root) {
		vmem_kfree(sh);
		return -ENOMEM;
	}
	sh->root = page_address(root);
	sh->root_pa = page_to_phys(root);
	sh->levels = 4;
	atomic_long_inc(&vcpu->vm->overhead);
	vcpu->shadow = sh;
	return 0;
}

/* With the VM: no invalidation can run any more. */
void vmem_shadow_vcpu_destroy(struct vmem_vcpu *vcpu)
{
	struct vmem_shadow *sh = vcpu->shadow;
	struct vmem_vm *vm = vcpu->vm;

	if (!sh)
		return;
	spin_lock(&vm->mmu_lock);
	spt_drop_all(vm, sh);
	spin_unlock(&vm->mmu_lock);
	vmem_free_page(virt_to_page(sh->root));
	atomic_long_dec(&vm->overhead);
	vcpu->shadow = NULL;
	vmem_kfree(sh);
}

u64 vmem_shadow_root_hpa(struct vmem_vcpu *vcpu)
{
	struct vmem_shadow *sh = vcpu->shadow;

	return sh ? sh->root_pa : 0;
}

/* ---------------------------------------------------------------------- */
/* What the guest does to its TLB                                          */

void vmem_shadow_reset(struct vmem_vcpu *vcpu, bool long_mode)
{
	struct vmem_shadow *sh = vcpu->shadow;
	struct vmem_vm *vm = vcpu->vm;

	if (!sh)
		return;
	spin_lock(&vm->mmu_lock);
	spt_drop_all(vm, sh);
	sh->levels = long_mode ? 4 : 3;
	spin_unlock(&vm->mmu_lock);
	set_bit(VMEM_REQ_TLB_FLUSH, &vcpu->requests);
}

void vmem_shadow_new_cr3(struct vmem_vcpu *vcpu)
{
	struct vmem_shadow *sh = vcpu->shadow;
	struct vmem_vm *vm = vcpu->vm;

	if (!sh)
		return;
	spin_lock(&vm->mmu_lock);
	if (sh->nr_tables > SHADOW_MAX_TABLES) {
		spt_drop_all(vm, sh);
	} else {
		unsigned int i, n = sh->levels == 4 ? SPT_ENTRIES : 4;

		for (i = 0; i < n; i++) {
			u64 e = sh->root[i];

			if ((e & SPT_P) &&
			    spt_flush_nonglobal(vm, sh, spt_table(e),
						sh->levels - 1)) {
				WRITE_ONCE(sh->root[i], 0);
				spt_free_table(vm, sh, spt_table(e),
					       sh->levels - 1);
			}
		}
	}
	spin_unlock(&vm->mmu_lock);
	set_bit(VMEM_REQ_TLB_FLUSH, &vcpu->requests);
}

/* The level-2 table covering @gva, or NULL. */
static u64 *spt_l2_table(struct vmem_shadow *sh, u64 gva)
{
	u64 *table = sh->root;
	int level;

	for (level = sh->levels; level > 2; level--) {
		u64 e = table[spt_index(gva, level)];

		if (!(e & SPT_P))
			return NULL;
		table = spt_table(e);
	}
	return table;
}

/*
 * INVLPG @gva: its leaf, and every piece of a guest large page that may
 * hold @gva.  Pieces of 2 and 4 MiB pages lie in the level-1 tables of
 * the 4 MiB-aligned range around @gva; pieces of 1 GiB pages in this
 * level-2 table's, which are marked.  Dropping more than the one page is
 * allowed (the SDM lets INVLPG drop any translation).
 */
static void spt_invlpg(struct vmem_shadow *sh, u64 gva)
{
	u64 *l2 = spt_l2_table(sh, gva), *l1;
	unsigned int i2 = spt_index(gva, 2), i1 = spt_index(gva, 1), j;

	if (!l2)
		return;
	if (l2[i2] & SPT_P) {
		l1 = spt_table(l2[i2]);
		if (l1[i1] & SPT_P)
			spt_set_leaf(l1, i1, 0, 0);
	}
	for (j = i2 & ~1u; j <= (i2 | 1); j++)
		if (l2[j] & SPT_P)
			spt_zap_leaves(spt_table(l2[j]), 1, spt_match_bits,
				       SPT_LARGE, 0);
	for (j = 0; j < SPT_ENTRIES; j++)
		if ((l2[j] & (SPT_P | SPT_HAS_HUGE)) == (SPT_P | SPT_HAS_HUGE))
			spt_zap_leaves(spt_table(l2[j]), 1, spt_match_bits,
				       SPT_HUGE, 0);
}

void vmem_shadow_invlpg(struct vmem_vcpu *vcpu, u64 gva)
{
	struct vmem_shadow *sh = vcpu->shadow;
	struct vmem_vm *vm = vcpu->vm;

	if (!sh)
		return;
	spin_lock(&vm->mmu_lock);
	if (gva == ~0ull)
		spt_zap_tree(sh, spt_match_gfns, 0, ~0ull);
	else
		spt_invlpg(sh, sh->levels == 3 ? (u32)gva : gva);
	spin_unlock(&vm->mmu_lock);
	/* The hardware's copy of the zapped leaves goes with a flush. */
	set_bit(VMEM_REQ_TLB_FLUSH, &vcpu->requests);
}

/* Under mmu_lock, from vmem_invalidate_range(). */
bool vmem_shadow_zap(struct vmem_vm *vm, u64 gfn, u64 npages)
{
	unsigned int i;
	bool zapped = false;

	lockdep_assert_held(&vm->mmu_lock);
	for (i = 0; i < vmem_config.max_vcpus; i++) {
		struct vmem_vcpu *vcpu = READ_ONCE(vm->vcpus[i]);

		if (vcpu && vcpu->shadow)
			zapped |= spt_zap_tree(vcpu->shadow, spt_match_gfns,
					       gfn, gfn + npages);
	}
	return zapped;
}

/* ---------------------------------------------------------------------- */
/* Faults                                                                  */

/*
 * Install @spte for @gva (gfn @gfn), linking tables from the cache.
 * Returns the old leaf.  Caller holds mmu_lock and topped up the cache.
 */
static u64 spt_map(struct vmem_vcpu *vcpu, struct vmem_shadow *sh, u64 gva,
		   u64 gfn, u64 spte)
{
	struct vmem_vm *vm = vcpu->vm;
	u64 *table = sh->root, *l2e = NULL, old;
	unsigned int i;
	int level;

	for (level = sh->levels; level > 1; level--) {
		u64 *e = &table[spt_index(gva, level)];

		if (level == 2)
			l2e = e;
		if (!(*e & SPT_P)) {
			struct page *page = spt_cache_pop(vcpu);

			if (level == 2) {
				struct page *gp = spt_cache_pop(vcpu);

				set_page_private(page, (unsigned long)
						 page_address(gp));
				atomic_long_inc(&vm->overhead);
			}
			atomic_long_inc(&vm->overhead);
			sh->nr_tables++;
			if (level == 3 && sh->levels == 3) {
				/* PAE PDPTEs have no R/W, U/S or A bits. */
				WRITE_ONCE(*e, page_to_phys(page) | SPT_P);
				set_bit(VMEM_REQ_TLB_FLUSH, &vcpu->requests);
			} else {
				WRITE_ONCE(*e, page_to_phys(page) | SPT_TABLE);
			}
		}
		table = spt_table(*e);
	}
	if ((spte & SPT_HUGE) && !(*l2e & SPT_HAS_HUGE))
		WRITE_ONCE(*l2e, *l2e | SPT_HAS_HUGE);
	i = spt_index(gva, 1);
	old = table[i];
	spt_set_leaf(table, i, spte, gfn);
	return old;
}

/* Would the hardware allow @ec's access through @spte? */
static bool spt_allows(u64 spte, u32 ec)
{
	if (!(spte & SPT_P))
		return false;
	if ((ec & PF_W) && !(spte & SPT_W))
		return false;
	if ((ec & PF_U) && !(spte & SPT_U))
		return false;
	if ((ec & PF_I) && (spte & SPT_NX))
		return false;
	return true;
}

int vmem_shadow_page_fault(struct vmem_vcpu *vcpu, u64 gva, u32 ec, u64 *gpa)
{
	struct vmem_shadow *sh = vcpu->shadow;
	struct vmem_vm *vm = vcpu->vm;
	bool write = ec & PF_W, user = ec & PF_U, fetch = ec & PF_I;
	u32 access = (write ? VMEM_ACC_WRITE : 0) |
		     (user ? VMEM_ACC_USER : 0) |
		     (fetch ? VMEM_ACC_FETCH : 0);
	enum vmem_gpa_kind kind;
	struct vmem_gwalk gw;
	struct page *page;
	unsigned long seq;
	u64 spte, old, gfn, bidx = 0;
	bool writable;
	int r;

	if (!sh)
		return -EINVAL;
	r = spt_topup(vcpu);
	if (r)
		return r;

	r = vmem_guest_walk(vcpu, gva, access, &gw, gpa);
	if (r == -EAGAIN)
		return VMEM_FAULT_RETRY;
	if (r < 0)
		return r;
	if (r > 0) {
		/* The guest's own fault: its error code, its CR2. */
		vmem_queue_page_fault(vcpu, sh->levels == 3 ? (u32)gva : gva,
				      VMEM_PF_EC(r));
		return VMEM_FAULT_RETRY;
	}
	if (sh->levels == 3)
		gva = (u32)gva;
	*gpa = gw.gpa;
	gfn = gw.gpa >> PAGE_SHIFT;
	if (gw.gpa >= BIT_ULL(vmem_config.max_gpa_bits))
		return fetch ? -EFAULT : VMEM_FAULT_MMIO;

	down_read(&vm->slots_lock);
	kind = __vmem_gpa_lookup(vm, gw.gpa, &bidx);
	if (kind == VMEM_GPA_MMIO || (kind == VMEM_GPA_ROM && write)) {
		up_read(&vm->slots_lock);
		/* Code in device memory cannot be run by decoding it. */
		return fetch ? -EFAULT : VMEM_FAULT_MMIO;
	}
	seq = READ_ONCE(vm->mmu_seq);
	smp_rmb();	/* the p2m lookup after the sequence read */
	page = __vmem_p2m_get(vm, bidx, &writable);
	if (IS_ERR(page)) {
		up_read(&vm->slots_lock);
		return PTR_ERR(page);
	}
	if (write && kind == VMEM_GPA_RAM && !writable) {
		/*
		 * A write to a shared or zero frame: copy-on-write, enter
		 * again (the walk is redone; its A/D bits are already set).
		 */
		put_page(page);
		up_read(&vm->slots_lock);
		r = vmem_share_unshare(vm, bidx);
		return r ? r : VMEM_FAULT_RETRY;
	}

	/* The guest's permissions; W once D is set (see the top). */
	spte = page_to_phys(page) | SPT_P | SPT_A;
	if (gw.user)
		spte |= SPT_U;
	if (gw.nx)
		spte |= SPT_NX;
	if (gw.global)
		spte |= SPT_G;
	if (gw.page_shift >= 30)
		spte |= SPT_HUGE;
	else if (gw.page_shift > PAGE_SHIFT)
		spte |= SPT_LARGE;
	/* A shared or zero frame is read-only whatever the guest says. */
	if (kind == VMEM_GPA_RAM && writable && (gw.dirty || write)) {
		if (gw.write) {
			spte |= SPT_W | SPT_D;
		} else if (write) {
			/*
			 * The walk allowed a write the entries refuse: a
			 * supervisor write with CR0.WP=0.  The kernel may
			 * write; user accesses fault and re-walk.
			 */
			spte |= SPT_W | SPT_D;
			spte &= ~SPT_U;
		}
	}

	spin_lock(&vm->mmu_lock);
	/* An invalidation ran or runs: the page may be on its way out. */
	if (!vm->mmu_invalidating && seq == vm->mmu_seq) {
		old = spt_map(vcpu, sh, gva, gfn, spte);
		/*
		 * A leaf that already allowed the access: the hardware's TLB
		 * held an older one.  A changed present leaf: the hardware
		 * may still hold the old one (a fault normally drops it, but
		 * do not count on emulators).
		 */
		if (spt_allows(old, ec) || ((old & SPT_P) && old != spte))
			set_bit(VMEM_REQ_TLB_FLUSH, &vcpu->requests);
	}
	spin_unlock(&vm->mmu_lock);
	up_read(&vm->slots_lock);
	/* The p2m keeps its own reference for as long as the leaf exists. */
	put_page(page);
	return VMEM_FAULT_RETRY;
}
