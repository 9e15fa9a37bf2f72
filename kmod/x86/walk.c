// SPDX-License-Identifier: GPL-2.0
/*
 * x86/walk.c - the guest's page tables, walked in software.
 *
 * Used when the core must touch guest-virtual memory itself: fetching an
 * instruction to decode it, the memory side of string port I/O.  Every
 * paging mode is handled: paging off, 32-bit (with 4 MiB pages under
 * CR4.PSE, PSE-36 high bits), PAE (PDPTEs read from memory at walk time,
 * where hardware would use the copies it loaded with CR3) and 4-level long
 * mode (2 MiB and 1 GiB pages).  Permissions follow the SDM's rules: U/S
 * against the CPL (or a forced user access), R/W for user accesses always
 * and for supervisor ones when CR0.WP=1, NX when EFER.NXE=1, SMEP for
 * supervisor fetches from user pages.  Not modelled: SMAP (the accesses
 * made here are the instruction's own, and an exit means hardware already
 * allowed them), protection keys (not offered), LA57 (not offered).
 * Accessed/dirty bits are left alone by the core's own accesses
 * (hardware sets them when the guest itself touches the page), but the
 * shadow MMU's walks set them as hardware would (vmem_guest_walk): A in
 * every entry of a successful translation, D in the leaf for a write,
 * each with a compare-and-exchange on the guest's entry so a racing
 * vCPU's update is not lost.  The caller adds segment bases.
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/bits.h>
#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include <linux/vmem.h>

#include "vmem_backend.h"
#include "vmem_core.h"
#include "vmem_share.h"
#include "vmem_vm.h"

#define PTE_P		BIT_ULL(0)
#define PTE_W		BIT_ULL(1)
#define PTE_U		BIT_ULL(2)
#define PTE_A		BIT_ULL(5)
#define PTE_D		BIT_ULL(6)
#define PTE_PS		BIT_ULL(7)
#define PTE_G		BIT_ULL(8)
#define PTE_NX		BIT_ULL(63)

#define PF_P		BIT(0)
#define PF_W		BIT(1)
#define PF_U		BIT(2)
#define PF_RSVD		BIT(3)
#define PF_I		BIT(4)

/* What a walk needs of the vCPU, read once per access. */
struct vmem_walk_ctx {
	u64 cr0, cr3, cr4, efer;
	int cpl;
};

static void vmem_walk_ctx_from(struct vmem_vcpu *vcpu,
			       const struct vmem_sregs *sregs,
			       struct vmem_walk_ctx *ctx)
{
	ctx->cr0 = sregs->cr0;
	ctx->cr3 = sregs->cr3;
	ctx->cr4 = sregs->cr4;
	ctx->efer = sregs->efer;
	ctx->cpl = vmem_backend->get_cpl(vcpu);
}

static void vmem_walk_ctx_init(struct vmem_vcpu *vcpu,
			       struct vmem_walk_ctx *ctx)
{
	struct vmem_sregs sregs;

	vmem_get_sregs(vcpu, &sregs);
	vmem_walk_ctx_from(vcpu, &sregs, ctx);
}

static inline bool ctx_long(const struct vmem_walk_ctx *ctx)
{
	return ctx->efer & EFER_LMA;
}

/* Guest-physical address bits an entry may hold (the rest is reserved). */
static inline u64 vmem_walk_addr_mask(void)
{
	return GENMASK_ULL(vmem_config.max_gpa_bits - 1, 12);
}

static int vmem_read_pte(struct vmem_vcpu *vcpu, u64 gpa, unsigned int size,
			 u64 *pte, u64 *fault)
{
	u64 val = 0;
	int r;

	/*
	 * -EFAULT: not RAM.  Anything else (EDQUOT, ENOSPC, EIO, ENOMEM
	 * from bringing a swapped table back) is the VM's resource
	 * condition, which VMEM_RUN reports as it is.
	 */
	r = vmem_read_guest(vcpu->vm, gpa, &val, size);
	if (r) {
		*fault = gpa;
		return r;
	}
	*pte = val;
	return 0;
}

/*
 * Set @bits in the guest's paging entry at @gpa (@size bytes) if it still
 * holds @old: 0, -EAGAIN if it changed since the walk read it (the caller
 * walks again), -EFAULT if it is not RAM any more, or the errno of making
 * the page resident and private (vmem_read_pte()).  The table may sit on a
 * shared or zero frame (page sharing merges identical guest tables too):
 * it is made private first, and the update is done under slots_lock so
 * the sharing daemon cannot merge the page while it is written.
 */
static int vmem_walk_set_bits(struct vmem_vm *vm, u64 gpa, unsigned int size,
			      u64 old, u64 bits)
{
	u64 gfn = gpa >> PAGE_SHIFT;
	struct page *page;
	u64 bidx = 0;
	bool writable;
	void *va;
	bool ok;
	int r;

	if (gfn != (gpa + size - 1) >> PAGE_SHIFT)
		return -EFAULT;	/* entries are naturally aligned */
	for (;;) {
		down_read(&vm->slots_lock);
		if (__vmem_gpa_lookup(vm, gpa, &bidx) == VMEM_GPA_MMIO) {
			up_read(&vm->slots_lock);
			return -EFAULT;
		}
		page = __vmem_p2m_get(vm, bidx, &writable);
		if (IS_ERR(page)) {
			up_read(&vm->slots_lock);
			return PTR_ERR(page);
		}
		if (writable)
			break;
		/* Copy-on-write (no locks held), then look again. */
		put_page(page);
		up_read(&vm->slots_lock);
		r = vmem_share_unshare(vm, bidx);
		if (r)
			return r;
	}
	va = kmap_local_page(page) + offset_in_page(gpa);
	if (size == 8) {
		u64 o = old;

		ok = try_cmpxchg64((u64 *)va, &o, old | bits);
	} else {
		u32 o = old;

		ok = try_cmpxchg((u32 *)va, &o, (u32)(old | bits));
	}
	kunmap_local(va);
	up_read(&vm->slots_lock);
	put_page(page);
	return ok ? 0 : -EAGAIN;
}

/*
 * Translate @gva for @access (VMEM_ACC_*).  0 with *@gpa, -EFAULT with
 * *@fault = the table's guest-physical address if a table is not RAM,
 * or VMEM_GUEST_PF | error code.  With @gw (the shadow MMU's walks), the
 * access's U/S comes from VMEM_ACC_USER alone (an implicit supervisor
 * access at CPL 3 is a supervisor access), A/D bits are set, and the
 * translation's effective permissions are returned; -EAGAIN then means
 * an entry changed under the walk.
 */
static int vmem_walk(struct vmem_vcpu *vcpu, const struct vmem_walk_ctx *ctx,
		     u64 gva, u32 access, u64 *gpa, u64 *fault,
		     struct vmem_gwalk *gw)
{
	bool user = (access & VMEM_ACC_USER) || (!gw && ctx->cpl == 3);
	u64 pte_gpa[5], pte_val[5];
	unsigned int top;
	bool write = access & VMEM_ACC_WRITE;
	bool fetch = access & VMEM_ACC_FETCH;
	bool nxe = ctx->efer & EFER_NX;
	bool pae = ctx->cr4 & X86_CR4_PAE;
	bool lm = ctx_long(ctx);
	u64 amask = vmem_walk_addr_mask();
	bool u_ok = true, w_ok = true, nx = false;
	unsigned int esize, bits, level, shift;
	u64 table, pte = 0, page_base, page_mask;
	u32 ec;
	int r;

	ec = (write ? PF_W : 0) | (user ? PF_U : 0) |
	     (fetch && (nxe || (ctx->cr4 & X86_CR4_SMEP)) ? PF_I : 0);

	if (!(ctx->cr0 & X86_CR0_PG)) {
		*gpa = lm ? gva : (u32)gva;
		if (gw) {
			gw->gpa = *gpa;
			gw->user = gw->write = gw->dirty = true;
			gw->nx = gw->global = false;
			gw->page_shift = PAGE_SHIFT;
		}
		return 0;
	}
	if (!lm)
		gva = (u32)gva;

	if (lm) {
		esize = 8;
		bits = 9;
		level = 4;
		table = ctx->cr3 & amask;
	} else if (pae) {
		u64 pdpte, rsvd;

		r = vmem_read_pte(vcpu, (ctx->cr3 & GENMASK_ULL(31, 5)) +
				  ((gva >> 30) & 3) * 8, 8, &pdpte, fault);
		if (r)
			return r;
		if (!(pdpte & PTE_P))
			return VMEM_GUEST_PF | ec;
		/* PAE PDPTEs have no R/W, U/S or NX. */
		rsvd = GENMASK_ULL(2, 1) | GENMASK_ULL(8, 5) |
		       (GENMASK_ULL(63, 12) & ~amask);
		/*
		 * Under NPT/EPT the CPU walks these itself and has accepted
		 * them; QEMU's TCG sets A in PDPTEs as it walks, which must
		 * not make vmem's own walk (emulation) fault.
		 */
		if (vcpu->vm->mmu_mode != VMEM_VM_MMU_SHADOW)
			rsvd &= ~PTE_A;
		if (pdpte & rsvd)
			return VMEM_GUEST_PF | ec | PF_P | PF_RSVD;
		esize = 8;
		bits = 9;
		level = 2;
		table = pdpte & amask;
	} else {
		esize = 4;
		bits = 10;
		level = 2;
		table = ctx->cr3 & GENMASK_ULL(31, 12);
	}
	top = level;

	for (;; level--) {
		shift = 12 + bits * (level - 1);
		pte_gpa[level] = table +
				 ((gva >> shift) & (BIT(bits) - 1)) * esize;
		r = vmem_read_pte(vcpu, pte_gpa[level], esize, &pte, fault);
		if (r)
			return r;
		pte_val[level] = pte;
		if (!(pte & PTE_P))
			return VMEM_GUEST_PF | ec;
		if (esize == 8) {
			if ((pte & PTE_NX) && !nxe)
				return VMEM_GUEST_PF | ec | PF_P | PF_RSVD;
			if (pte & GENMASK_ULL(51, 12) & ~amask)
				return VMEM_GUEST_PF | ec | PF_P | PF_RSVD;
			if (nxe && (pte & PTE_NX))
				nx = true;
		}
		u_ok &= !!(pte & PTE_U);
		w_ok &= !!(pte & PTE_W);

		if (level == 1)
			break;
		if (pte & PTE_PS) {
			if (esize == 4) {
				if (!(ctx->cr4 & X86_CR4_PSE))
					goto table;
				/* 4 MiB page; PSE-36 puts bits 39:32 in 20:13. */
				page_base = (pte & GENMASK_ULL(31, 22)) |
					    (((pte >> 13) & 0xff) << 32);
				if (pte & BIT_ULL(21) ||
				    page_base & ~GENMASK_ULL(vmem_config.max_gpa_bits - 1, 0))
					return VMEM_GUEST_PF | ec | PF_P |
					       PF_RSVD;
				page_mask = GENMASK_ULL(21, 0);
				goto leaf;
			}
			/* 2 MiB at level 2; 1 GiB at level 3 in long mode. */
			if (level == 4 || (level == 3 && !lm))
				return VMEM_GUEST_PF | ec | PF_P | PF_RSVD;
			page_mask = GENMASK_ULL(shift - 1, 0);
			if (pte & GENMASK_ULL(shift - 1, 13))
				return VMEM_GUEST_PF | ec | PF_P | PF_RSVD;
			page_base = pte & amask & ~page_mask;
			goto leaf;
		}
table:
		table = pte & (esize == 8 ? amask : GENMASK_ULL(31, 12));
	}
	page_base = pte & (esize == 8 ? amask : GENMASK_ULL(31, 12));
	page_mask = GENMASK_ULL(11, 0);
leaf:
	if (user && !u_ok)
		return VMEM_GUEST_PF | ec | PF_P;
	if (write && !w_ok && (user || (ctx->cr0 & X86_CR0_WP)))
		return VMEM_GUEST_PF | ec | PF_P;
	if (fetch && nx)
		return VMEM_GUEST_PF | ec | PF_P;
	if (fetch && !user && u_ok && (ctx->cr4 & X86_CR4_SMEP))
		return VMEM_GUEST_PF | ec | PF_P;
	*gpa = page_base | (gva & page_mask);
	if (!gw)
		return 0;

	/*
	 * As hardware: A in each entry used, top down, then D in the leaf
	 * (@level) for a write.  The leaf's D as the translation sees it
	 * tells the shadow MMU whether a later write must fault first.
	 */
	for (; top >= level; top--) {
		u64 set = PTE_A;

		if (top == level && write)
			set |= PTE_D;
		if ((pte_val[top] & set) == set)
			continue;
		r = vmem_walk_set_bits(vcpu->vm, pte_gpa[top], esize,
				       pte_val[top], set);
		if (r)
			return r == -EFAULT ? (*fault = pte_gpa[top], r) : r;
		pte_val[top] |= set;
	}
	gw->gpa = *gpa;
	gw->user = u_ok;
	gw->write = w_ok;
	gw->nx = nx;
	gw->dirty = pte_val[level] & PTE_D;
	gw->global = (pte_val[level] & PTE_G) && (ctx->cr4 & X86_CR4_PGE);
	gw->page_shift = fls64(page_mask);
	return 0;
}

int vmem_guest_walk(struct vmem_vcpu *vcpu, u64 gva, u32 access,
		    struct vmem_gwalk *gw, u64 *fault)
{
	struct vmem_walk_ctx ctx;
	u64 gpa;

	vmem_walk_ctx_init(vcpu, &ctx);
	if (!ctx_long(&ctx))
		gva = (u32)gva;
	return vmem_walk(vcpu, &ctx, gva, access, &gpa, fault, gw);
}

int vmem_gva_to_gpa(struct vmem_vcpu *vcpu, u64 gva, u32 access, u64 *gpa)
{
	struct vmem_walk_ctx ctx;
	u64 fault;
	int r;

	vmem_walk_ctx_init(vcpu, &ctx);
	r = vmem_walk(vcpu, &ctx, gva, access, gpa, &fault, NULL);
	if (r == -EFAULT)
		*gpa = fault;
	return r;
}

/*
 * Copy @len bytes at linear address @gva, page by page (an access may
 * straddle pages with different translations).  Linear addresses wrap at
 * 4 GiB outside long mode.
 */
int vmem_guest_virt_access(struct vmem_vcpu *vcpu, u64 gva, void *buf,
			   unsigned int len, u32 access, u64 *fault)
{
	struct vmem_walk_ctx ctx;
	bool write = access & VMEM_ACC_WRITE;

	vmem_walk_ctx_init(vcpu, &ctx);
	while (len) {
		u64 lin = ctx_long(&ctx) ? gva : (u32)gva;
		unsigned int n = min_t(unsigned int, len,
				       PAGE_SIZE - offset_in_page(lin));
		u64 gpa;
		int r;

		r = vmem_walk(vcpu, &ctx, lin, access, &gpa, fault, NULL);
		if (r > 0)
			*fault = lin;
		if (r)
			return r;
		if (write)
			r = vmem_write_guest(vcpu->vm, gpa, buf, n);
		else
			r = vmem_read_guest(vcpu->vm, gpa, buf, n);
		if (r) {
			*fault = gpa;
			return r;
		}
		buf += n;
		gva += n;
		len -= n;
	}
	return 0;
}

int vmem_read_guest_virt(struct vmem_vcpu *vcpu, u64 gva, void *buf,
			 unsigned int len, u64 *fault_addr)
{
	return vmem_guest_virt_access(vcpu, gva, buf, len, 0, fault_addr);
}

int vmem_write_guest_virt(struct vmem_vcpu *vcpu, u64 gva, const void *buf,
			  unsigned int len, u64 *fault_addr)
{
	return vmem_guest_virt_access(vcpu, gva, (void *)buf, len,
				      VMEM_ACC_WRITE, fault_addr);
}

/*
 * Read @len bytes at CS:RIP as an instruction fetch, all in one page:
 * the cheap check of an intercepted instruction that has a fixed
 * encoding (decode.c).  One read of the vCPU's state serves the code
 * size, CS and the walk.  Returns 0, -E2BIG if the bytes cross a page
 * (the caller then takes the general fetch), or as
 * vmem_guest_virt_access().
 */
int vmem_fetch_rip_bytes(struct vmem_vcpu *vcpu, u8 *buf, unsigned int len)
{
	struct vmem_walk_ctx ctx;
	struct vmem_sregs sregs;
	u64 lin, gpa, fault;
	int r;

	vmem_get_sregs(vcpu, &sregs);
	vmem_walk_ctx_from(vcpu, &sregs, &ctx);
	if (ctx_long(&ctx) && sregs.cs.l)
		lin = vcpu->rip;
	else if (sregs.cs.db)
		lin = (u32)(sregs.cs.base + (u32)vcpu->rip);
	else
		lin = (u32)(sregs.cs.base + (u16)vcpu->rip);
	if (offset_in_page(lin) + len > PAGE_SIZE)
		return -E2BIG;
	r = vmem_walk(vcpu, &ctx, lin, VMEM_ACC_FETCH, &gpa, &fault, NULL);
	if (r)
		return r;
	return vmem_read_guest(vcpu->vm, gpa, buf, len);
}
