// SPDX-License-Identifier: GPL-2.0
/*
 * x86/svm_vcpu.c - SVM vCPUs: the VMCB, its reset state, state get/set
 * through the ABI's structures, event injection, ASIDs and the entry path.
 *
 * The VMCB is the single home of the guest state it holds (segments,
 * control registers, RFLAGS, EFER, PAT, the MSRs VMLOAD/VMSAVE switch);
 * only RAX, RSP and RIP are mirrored in vcpu->regs/rip, copied in before
 * VMRUN and out after it, because the core reads and writes them directly.
 * VMCB clean bits are never set: every VMRUN reloads everything, which is
 * what allows a vCPU to move between CPUs without further bookkeeping.
 *
 * References: AMD64 APM vol. 2 (24593): 15.5 "VMRUN Instruction", 15.16
 * "TLB Control", 15.20 "Event Injection", 15.21 "Interrupt and LDTR...
 * Virtual Interrupts", 15.25 "Nested Paging".
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/bitops.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <asm/debugreg.h>
#include <asm/fpu/xcr.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/trapnr.h>
#include <linux/mem_encrypt.h>

#include <linux/vmem.h>

#include "vmem_backend.h"
#include "vmem_core.h"
#include "vmem_vm.h"
#include "svm.h"

/* The entry assembly indexes vcpu->regs with these numbers. */
static_assert(VMEM_RAX == 0 && VMEM_RCX == 1 && VMEM_RDX == 2 &&
	      VMEM_RBX == 3 && VMEM_RSP == 4 && VMEM_RBP == 5 &&
	      VMEM_RSI == 6 && VMEM_RDI == 7 && VMEM_R8 == 8 &&
	      VMEM_R15 == 15);

/* Power-on/INIT values (APM vol. 2, table 14-1 "Initial Processor State"). */
#define SVM_RESET_CR0		(X86_CR0_CD | X86_CR0_NW | X86_CR0_ET)
#define SVM_RESET_RFLAGS	X86_EFLAGS_FIXED
#define SVM_RESET_RIP		0xfff0
#define SVM_RESET_DR6		0xffff0ff0ull
#define SVM_RESET_DR7		0x400ull
#define SVM_RESET_PAT		0x0007040600070406ull

/* Bits of CR0, EFER and RFLAGS a guest may hold (the rest are reserved). */
#define SVM_CR0_VALID	(X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | \
			 X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_AM | \
			 X86_CR0_NW | X86_CR0_CD | X86_CR0_PG)
#define SVM_EFER_VALID	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)
#define SVM_RFLAGS_VALID (X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
			  X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_TF | \
			  X86_EFLAGS_IF | X86_EFLAGS_DF | X86_EFLAGS_OF | \
			  X86_EFLAGS_IOPL | X86_EFLAGS_NT | X86_EFLAGS_RF | \
			  X86_EFLAGS_VM | X86_EFLAGS_AC | X86_EFLAGS_VIF | \
			  X86_EFLAGS_VIP | X86_EFLAGS_ID)
/* DR7 enable bits L0-L3/G0-G3: breakpoints armed in DR0-3. */
#define SVM_DR7_BP_ENABLED	0xffull

/* ---------------------------------------------------------------------- */
/* VMs                                                                     */

int svm_vm_init(struct vmem_vm *vm)
{
	if (vm->mmu_mode == VMEM_VM_MMU_HW && !vmem_svm_ops.has_tdp)
		return -EOPNOTSUPP;
	vm->backend = NULL;
	return 0;
}

void svm_vm_destroy(struct vmem_vm *vm)
{
}

/* ---------------------------------------------------------------------- */
/* The shadow MMU's view of the paging registers                           */

/*
 * Load the hardware's CR0/CR3/CR4/EFER from the guest's (vmem_vm.h,
 * vmem_shadow_hw_regs()), and intercept CR0/CR4 reads only while the
 * hardware's value differs from the guest's (CR3 reads always).
 */
static void svm_shadow_sync(struct vmem_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct svm_vmcb *vmcb = svm->vmcb;
	u64 cr0, cr4, efer;

	vmem_shadow_hw_regs(svm->gcr0, svm->gcr4, svm->gefer, &cr0, &cr4,
			    &efer);
	vmcb->save.cr0 = cr0;
	vmcb->save.cr4 = cr4;
	vmcb->save.efer = efer | EFER_SVME;
	vmcb->save.cr3 = vmem_shadow_root_hpa(vcpu);
	if (cr0 != svm->gcr0)
		svm_set_intercept(vmcb, SVM_ICPT_CR_READ(0));
	else
		svm_clr_intercept(vmcb, SVM_ICPT_CR_READ(0));
	if (cr4 != svm->gcr4)
		svm_set_intercept(vmcb, SVM_ICPT_CR_READ(4));
	else
		svm_clr_intercept(vmcb, SVM_ICPT_CR_READ(4));
}

/* Every translation is void: paging registers changed. */
static void svm_shadow_paging_changed(struct vmem_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	vmem_shadow_reset(vcpu, svm->gefer & EFER_LMA);
	svm_shadow_sync(vcpu);
}

/* CR0/CR4 bits whose change voids every translation (SDM 4.10.4.1). */
#define SVM_CR0_PAGING	(X86_CR0_PG | X86_CR0_WP | X86_CR0_PE)
#define SVM_CR4_PAGING	(X86_CR4_PAE | X86_CR4_PSE | X86_CR4_PGE | \
			 X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PCIDE)

u64 svm_shadow_get_cr(struct vmem_vcpu *vcpu, int cr)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	return cr == 0 ? svm->gcr0 : cr == 3 ? svm->gcr3 : svm->gcr4;
}

/*
 * A guest MOV to CR0/CR3/CR4 (CLTS and LMSW arrive as CR0 writes), with
 * the checks MOV CR does (SDM vol. 2 "MOV--Move to/from Control
 * Registers", APM 3.1): -EINVAL is a #GP.  PDPTEs are not checked when
 * CR3 is loaded in PAE mode: the walker reads them at each walk.
 */
int svm_shadow_set_cr(struct vmem_vcpu *vcpu, int cr, u64 val)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	bool lme = svm->gefer & EFER_LME;
	u64 old;

	switch (cr) {
	case 0:
		val |= X86_CR0_ET;
		old = svm->gcr0;
		if (val & ~(u64)SVM_CR0_VALID)
			return -EINVAL;
		if ((val & X86_CR0_NW) && !(val & X86_CR0_CD))
			return -EINVAL;
		if ((val & X86_CR0_PG) && !(val & X86_CR0_PE))
			return -EINVAL;
		if ((val & X86_CR0_PG) && !(old & X86_CR0_PG) && lme) {
			if (!(svm->gcr4 & X86_CR4_PAE))
				return -EINVAL;
			svm->gefer |= EFER_LMA;
		}
		if (!(val & X86_CR0_PG) && (old & X86_CR0_PG) &&
		    (svm->gefer & EFER_LMA)) {
			/* Only from compatibility mode, never from 64-bit. */
			if (svm->vmcb->save.cs.attrib & SVM_SEG_L)
				return -EINVAL;
			svm->gefer &= ~EFER_LMA;
		}
		svm->gcr0 = val;
		if ((val ^ old) & SVM_CR0_PAGING)
			svm_shadow_paging_changed(vcpu);
		else
			svm_shadow_sync(vcpu);
		return 0;
	case 3:
		if (svm->gefer & EFER_LMA) {
			if (svm->gcr4 & X86_CR4_PCIDE)
				val &= ~BIT_ULL(63);
			if (val >> svm_caps.phys_bits)
				return -EINVAL;
		} else {
			val = (u32)val;
		}
		svm->gcr3 = val;
		vmem_shadow_new_cr3(vcpu);
		return 0;
	case 4:
		old = svm->gcr4;
		if (vmem_x86_mov_cr4_check(val, old, svm->gefer, svm->gcr3,
					   svm_caps.cr4_allowed))
			return -EINVAL;
		svm->gcr4 = val;
		if ((val ^ old) & SVM_CR4_PAGING)
			svm_shadow_paging_changed(vcpu);
		else
			svm_shadow_sync(vcpu);
		return 0;
	}
	return -EINVAL;
}

/*
 * A guest MOV to CR4 under nested paging: the only CR write intercepted
 * there, so that the bits vmem does not give guests (x86/cr.c: LA57, PKE)
 * are a #GP, as on VMX and the shadow MMU, instead of reaching the CPU.
 * The CPU did not execute the write: its TLB side effects (SDM 4.10.4.1)
 * are a flush of the guest's ASID.  -EINVAL is a #GP.
 */
int svm_npt_set_cr4(struct vmem_vcpu *vcpu, u64 val)
{
	struct svm_vmcb_save *s = &to_svm(vcpu)->vmcb->save;
	u64 old = s->cr4;

	if (vmem_x86_mov_cr4_check(val, old, s->efer, s->cr3,
				   svm_caps.cr4_allowed))
		return -EINVAL;
	s->cr4 = val;
	if ((val ^ old) & (SVM_CR4_PAGING | X86_CR4_LA57))
		set_bit(VMEM_REQ_TLB_FLUSH, &vcpu->requests);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* VMCB set-up                                                             */

static void svm_init_seg(struct svm_vmcb_seg *seg, u16 attrib)
{
	seg->selector = 0;
	seg->attrib = attrib;
	seg->limit = 0xffff;
	seg->base = 0;
}

/*
 * The intercepts every vCPU runs with.  A guest must never be able to
 * hold the host CPU without an exit or reach host state:
 *  - INTR, NMI, SMI: physical events exit, the host handles them once it
 *    sets GIF and IF again;
 *  - SHUTDOWN: without it a triple fault shuts down the host CPU;
 *  - #AC and #DB: an exception raised while delivering the same exception
 *    would loop inside the CPU forever without any exit (CVE-2015-5307,
 *    CVE-2015-8104); intercepted, each delivery is a separate exit and
 *    the exception is reflected into the guest;
 *  - #MC: machine checks belong to the host (do_machine_check());
 *  - IOIO_PROT, MSR_PROT: with the shared maps (all ports; every MSR the
 *    VMCB does not hold);
 *  - VMRUN (required, APM 15.5.1), VMMCALL, and the SVM instructions the
 *    guest does not have (VMLOAD/VMSAVE would act on host memory,
 *    STGI/CLGI on the real GIF): #UD;
 *  - CPUID (the VMM's table), HLT, XSETBV (XCR0 is validated), RDTSCP
 *    (TSC_AUX is the host's), RDPMC (host counters), INVD (would drop
 *    host cache lines), WBINVD, MONITOR/MWAIT, RDPRU, INVLPGB/TLBSYNC/
 *    MCOMMIT (act beyond the guest), INVLPGA, TASK_SWITCH;
 *  - IRET only while an injected NMI is being handled, VINTR only for
 *    an interrupt window, DR0-3 until the guest first touches them.
 */
static void svm_init_intercepts(struct svm_vmcb *vmcb)
{
	static const u16 icpts[] = {
		SVM_ICPT_EXCP(X86_TRAP_AC), SVM_ICPT_EXCP(X86_TRAP_DB),
		SVM_ICPT_EXCP(X86_TRAP_MC),
		SVM_ICPT_INTR, SVM_ICPT_NMI, SVM_ICPT_SMI,
		SVM_ICPT_RDPMC, SVM_ICPT_CPUID, SVM_ICPT_RSM, SVM_ICPT_INVD,
		SVM_ICPT_HLT, SVM_ICPT_INVLPGA, SVM_ICPT_IOIO_PROT,
		SVM_ICPT_MSR_PROT, SVM_ICPT_TASK_SWITCH, SVM_ICPT_SHUTDOWN,
		SVM_ICPT_VMRUN, SVM_ICPT_VMMCALL, SVM_ICPT_VMLOAD,
		SVM_ICPT_VMSAVE, SVM_ICPT_STGI, SVM_ICPT_CLGI, SVM_ICPT_SKINIT,
		SVM_ICPT_RDTSCP, SVM_ICPT_WBINVD, SVM_ICPT_MONITOR,
		SVM_ICPT_MWAIT, SVM_ICPT_MWAIT_COND, SVM_ICPT_XSETBV,
		SVM_ICPT_RDPRU, SVM_ICPT_INVLPGB, SVM_ICPT_INVLPGB_ILL,
		SVM_ICPT_MCOMMIT, SVM_ICPT_TLBSYNC,
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(icpts); i++)
		svm_set_intercept(vmcb, icpts[i]);
	svm_set_dr_intercepts(vmcb, true);
}

/*
 * The shadow MMU's intercepts: every #PF (the guest's tables are walked
 * in software), writes of CR0/CR3/CR4 (CLTS and LMSW included), reads of
 * CR3 (the hardware's is the shadow root; CR0/CR4 reads as needed, see
 * svm_shadow_sync()), and INVLPG.  INVLPGA is #UD already: the guest has
 * no SVM.
 */
static void svm_init_shadow_intercepts(struct svm_vmcb *vmcb)
{
	svm_set_intercept(vmcb, SVM_ICPT_EXCP(X86_TRAP_PF));
	svm_set_intercept(vmcb, SVM_ICPT_CR_WRITE(0));
	svm_set_intercept(vmcb, SVM_ICPT_CR_WRITE(3));
	svm_set_intercept(vmcb, SVM_ICPT_CR_WRITE(4));
	svm_set_intercept(vmcb, SVM_ICPT_CR_READ(3));
	svm_set_intercept(vmcb, SVM_ICPT_INVLPG);
}

/*
 * Put the vCPU in the state after INIT (APM vol. 2, 14.1.3): real mode at
 * f000:fff0 with CS.base ffff0000.  Everything in the VMCB is rewritten,
 * which is also what a SHUTDOWN intercept needs ("the VMCB state is
 * undefined", APM 15.9); the TSC offset survives a reset, as the TSC does.
 */
void svm_vcpu_reset(struct vmem_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct svm_vmcb *vmcb = svm->vmcb;
	u64 tsc_offset = vmcb->control.tsc_offset;
	struct svm_vmcb_control *c = &vmcb->control;
	struct svm_vmcb_save *s = &vmcb->save;

	clear_page(vmcb);

	svm_init_intercepts(vmcb);
	c->iopm_base_pa = svm_iopm_pa;
	c->msrpm_base_pa = svm_msrpm_pa;
	c->tsc_offset = tsc_offset;
	/*
	 * V_INTR_MASKING: the guest's RFLAGS.IF and CR8 act on virtual
	 * interrupts only; physical ones are gated by the host's IF, so a
	 * guest with IF=0 still exits on a host interrupt (APM 15.21.1).
	 */
	c->int_ctl = SVM_V_INTR_MASKING;
	svm->shadow = vcpu->vm->mmu_mode == VMEM_VM_MMU_SHADOW;
	if (svm->shadow) {
		svm_init_shadow_intercepts(vmcb);
	} else {
		c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
		/* As KVM does: CR4 writes are checked (svm_npt_set_cr4()). */
		svm_set_intercept(vmcb, SVM_ICPT_CR_WRITE(4));
	}

	svm_init_seg(&s->cs, SVM_SEG_P | SVM_SEG_S | 0xb);	/* code, RX, A */
	s->cs.selector = 0xf000;
	s->cs.base = 0xffff0000;
	svm_init_seg(&s->ds, SVM_SEG_P | SVM_SEG_S | 0x3);	/* data, RW, A */
	svm_init_seg(&s->es, SVM_SEG_P | SVM_SEG_S | 0x3);
	svm_init_seg(&s->ss, SVM_SEG_P | SVM_SEG_S | 0x3);
	svm_init_seg(&s->fs, SVM_SEG_P | SVM_SEG_S | 0x3);
	svm_init_seg(&s->gs, SVM_SEG_P | SVM_SEG_S | 0x3);
	svm_init_seg(&s->gdtr, 0);
	svm_init_seg(&s->idtr, 0);
	svm_init_seg(&s->ldtr, SVM_SEG_P | 0x2);		/* LDT */
	svm_init_seg(&s->tr, SVM_SEG_P | 0x3);		/* busy 16-bit TSS */

	s->cpl = 0;
	/* VMRUN requires EFER.SVME in the guest state (APM 15.5.1). */
	s->efer = EFER_SVME;
	s->cr0 = SVM_RESET_CR0;
	s->dr6 = SVM_RESET_DR6;
	s->dr7 = SVM_RESET_DR7;
	s->rflags = SVM_RESET_RFLAGS;
	s->rip = SVM_RESET_RIP;
	s->g_pat = SVM_RESET_PAT;

	memset(vcpu->regs, 0, sizeof(vcpu->regs));
	vcpu->rip = SVM_RESET_RIP;
	/* INIT discards what was queued for the old state. */
	vcpu->exception.pending = false;
	vcpu->exception.cr2_valid = false;
	vcpu->interrupt.pending = false;
	vcpu->nmi_pending = false;

	memset(svm->db, 0, sizeof(svm->db));
	svm->db_guest_owned = false;
	svm->nmi_masked = false;
	svm->awaiting_iret = false;
	svm->irq_window = false;
	svm->reinject = 0;
	svm->nmi_singlestep = false;
	svm->ss_trapped = false;
	svm->exit_rip = SVM_RESET_RIP;
	svm->tsc_aux = 0;
	svm->mismatch_rip = ~0ull;
	/* A fresh ASID before the next entry: the old translations are gone. */
	svm->asid_cpu = -1;
	if (svm->shadow) {
		svm->gcr0 = s->cr0;
		svm->gcr3 = 0;
		svm->gcr4 = 0;
		svm->gefer = 0;
		svm_shadow_paging_changed(vcpu);
	}
}

int svm_vcpu_create(struct vmem_vcpu *vcpu)
{
	struct svm_vcpu *svm;
	struct page *page;

	svm = vmem_kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);
	if (!svm)
		return -ENOMEM;
	page = vmem_alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page) {
		vmem_kfree(svm);
		return -ENOMEM;
	}
	svm->vmcb_page = page;
	svm->vmcb = page_address(page);
	svm->vmcb_pa = __sme_set(page_to_phys(page));
	atomic_long_inc(&vcpu->vm->overhead);

	vcpu->backend = svm;
	/* The guest's TSC starts at 0 when its vCPU is created. */
	svm->vmcb->control.tsc_offset = -rdtsc();
	svm_vcpu_reset(vcpu);
	return 0;
}

void svm_vcpu_destroy(struct vmem_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	if (!svm)
		return;
	vmem_free_page(svm->vmcb_page);
	atomic_long_dec(&vcpu->vm->overhead);
	vmem_kfree(svm);
	vcpu->backend = NULL;
}

/* ---------------------------------------------------------------------- */
/* State                                                                   */

u64 svm_get_rflags(struct vmem_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u64 rflags = svm->vmcb->save.rflags;

	/* A single step of ours (svm_nmi_singlestep()) is not the guest's. */
	if (svm->nmi_singlestep && !svm->ss_guest_tf)
		rflags &= ~X86_EFLAGS_TF;
	return rflags;
}

void svm_set_rflags(struct vmem_vcpu *vcpu, u64 rflags)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	/* Bit 1 is always set, reserved bits always clear. */
	svm->vmcb->save.rflags = (rflags & SVM_RFLAGS_VALID) | X86_EFLAGS_FIXED;
	/* The VMM's RFLAGS replace ours: a pending NMI steps again later. */
	svm->nmi_singlestep = false;
}

int svm_get_cpl(struct vmem_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->save.cpl;
}

u64 svm_get_cr8(struct vmem_vcpu *vcpu)
{
	/* As svm_get_sregs(): V_INTR_MASKING keeps CR8 in V_TPR. */
	return to_svm(vcpu)->vmcb->control.int_ctl & SVM_V_TPR_MASK;
}

static struct svm_vmcb_seg *svm_seg(struct svm_vmcb *vmcb, int which)
{
	switch (which) {
	case VMEM_SEG_ES:	return &vmcb->save.es;
	case VMEM_SEG_CS:	return &vmcb->save.cs;
	case VMEM_SEG_SS:	return &vmcb->save.ss;
	case VMEM_SEG_DS:	return &vmcb->save.ds;
	case VMEM_SEG_FS:	return &vmcb->save.fs;
	case VMEM_SEG_GS:	return &vmcb->save.gs;
	case VMEM_SEG_TR:	return &vmcb->save.tr;
	case VMEM_SEG_LDTR:	return &vmcb->save.ldtr;
	}
	return NULL;
}

/*
 * The VMCB keeps descriptor bits 8-15 and 20-23 in a 12-bit attribute
 * field, and the limit already scaled by G (APM 15.5.1, table B-2 note):
 * the same byte limit struct vmem_segment carries.  A null or unusable
 * segment has P=0.
 */
static void svm_seg_to_abi(const struct svm_vmcb_seg *s,
			   struct vmem_segment *v)
{
	u16 a = s->attrib;

	memset(v, 0, sizeof(*v));
	v->base = s->base;
	v->limit = s->limit;
	v->selector = s->selector;
	v->type = a & SVM_SEG_TYPE_MASK;
	v->s = !!(a & SVM_SEG_S);
	v->dpl = (a >> SVM_SEG_DPL_SHIFT) & 3;
	v->present = !!(a & SVM_SEG_P);
	v->avl = !!(a & SVM_SEG_AVL);
	v->l = !!(a & SVM_SEG_L);
	v->db = !!(a & SVM_SEG_DB);
	v->g = !!(a & SVM_SEG_G);
	v->unusable = !v->present;
}

static void svm_seg_from_abi(struct svm_vmcb_seg *s,
			     const struct vmem_segment *v)
{
	s->base = v->base;
	s->limit = v->limit;
	s->selector = v->selector;
	if (v->unusable) {
		s->attrib = 0;
		return;
	}
	s->attrib = (v->type & SVM_SEG_TYPE_MASK) |
		    (v->s ? SVM_SEG_S : 0) |
		    ((v->dpl & 3) << SVM_SEG_DPL_SHIFT) |
		    (v->present ? SVM_SEG_P : 0) |
		    (v->avl ? SVM_SEG_AVL : 0) |
		    (v->l ? SVM_SEG_L : 0) |
		    (v->db ? SVM_SEG_DB : 0) |
		    (v->g ? SVM_SEG_G : 0);
}

void svm_get_segment(struct vmem_vcpu *vcpu, struct vmem_segment *seg,
		     int which)
{
	struct svm_vmcb_seg *s = svm_seg(to_svm(vcpu)->vmcb, which);

	if (WARN_ON_ONCE(!s)) {
		memset(seg, 0, sizeof(*seg));
		seg->unusable = 1;
		return;
	}
	svm_seg_to_abi(s, seg);
}

static void svm_dt_to_abi(const struct svm_vmcb_seg *s, struct vmem_dtable *dt)
{
	memset(dt, 0, sizeof(*dt));
	dt->base = s->base;
	dt->limit = s->limit;
}

void svm_get_sregs(struct vmem_vcpu *vcpu, struct vmem_sregs *sregs)
{
	struct svm_vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct svm_vmcb_save *s = &vmcb->save;

	svm_seg_to_abi(&s->cs, &sregs->cs);
	svm_seg_to_abi(&s->ds, &sregs->ds);
	svm_seg_to_abi(&s->es, &sregs->es);
	svm_seg_to_abi(&s->fs, &sregs->fs);
	svm_seg_to_abi(&s->gs, &sregs->gs);
	svm_seg_to_abi(&s->ss, &sregs->ss);
	svm_seg_to_abi(&s->tr, &sregs->tr);
	svm_seg_to_abi(&s->ldtr, &sregs->ldt);
	svm_dt_to_abi(&s->gdtr, &sregs->gdt);
	svm_dt_to_abi(&s->idtr, &sregs->idt);
	sregs->cr0 = s->cr0;
	sregs->cr2 = s->cr2;
	sregs->cr3 = s->cr3;
	sregs->cr4 = s->cr4;
	/* With V_INTR_MASKING, guest CR8 accesses read and write V_TPR. */
	sregs->cr8 = vmcb->control.int_ctl & SVM_V_TPR_MASK;
	/* SVME is ours (VMRUN needs it), not the guest's. */
	sregs->efer = s->efer & ~EFER_SVME;
	if (to_svm(vcpu)->shadow) {
		struct svm_vcpu *svm = to_svm(vcpu);

		sregs->cr0 = svm->gcr0;
		sregs->cr3 = svm->gcr3;
		sregs->cr4 = svm->gcr4;
		sregs->efer = svm->gefer;
	}
	/* apic_base is the core's. */
}

static bool svm_canonical(u64 addr)
{
	return vmem_x86_canonical(addr);
}

static bool svm_seg_valid(const struct vmem_segment *v)
{
	/* Every descriptor bit field must fit; pad is reserved. */
	return v->type <= 15 && v->s <= 1 && v->dpl <= 3 && v->present <= 1 &&
	       v->avl <= 1 && v->l <= 1 && v->db <= 1 && v->g <= 1 &&
	       v->unusable <= 1 && !v->pad && svm_canonical(v->base);
}

static bool svm_dt_valid(const struct vmem_dtable *dt)
{
	return !dt->pad[0] && !dt->pad[1] && !dt->pad[2] &&
	       svm_canonical(dt->base);
}

/*
 * What VMRUN would refuse (APM vol. 2, 15.5.1 "Canonicalization and
 * Consistency Checks"), and a few states that no CPU can be in, refused
 * here so that a VMM error is an errno, never a failed entry:
 *  - CR0.CD clear with CR0.NW set; CR0[63:32] nonzero; (and reserved
 *    bits of CR0[31:0], CR0.PG without CR0.PE);
 *  - MBZ bits of CR3 (above MAXPHYADDR in long mode, above bit 31
 *    otherwise) and of CR4 (what the CPU does not implement);
 *  - MBZ bits of EFER; long mode on a CPU without it;
 *  - EFER.LME and CR0.PG with CR4.PAE clear, or with CR0.PE clear;
 *  - EFER.LME, CR0.PG, CR4.PAE, CS.L and CS.D all set;
 *  - (and, like KVM) EFER.LMA different from EFER.LME && CR0.PG.
 * DR6/DR7[63:32] are checked by set_debugregs, EFER.SVME is always ours,
 * the ASID and the intercepts are never the VMM's.
 */
static int svm_check_sregs(const struct vmem_sregs *sr)
{
	u64 cr0 = sr->cr0, cr4 = sr->cr4, efer = sr->efer;
	bool lme_pg = (efer & EFER_LME) && (cr0 & X86_CR0_PG);

	if (!svm_seg_valid(&sr->cs) || !svm_seg_valid(&sr->ds) ||
	    !svm_seg_valid(&sr->es) || !svm_seg_valid(&sr->fs) ||
	    !svm_seg_valid(&sr->gs) || !svm_seg_valid(&sr->ss) ||
	    !svm_seg_valid(&sr->tr) || !svm_seg_valid(&sr->ldt) ||
	    !svm_dt_valid(&sr->gdt) || !svm_dt_valid(&sr->idt))
		return -EINVAL;

	if (cr0 & ~(u64)SVM_CR0_VALID)
		return -EINVAL;
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return -EINVAL;
	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return -EINVAL;

	if (vmem_x86_cr4_check(cr4, efer, svm_caps.cr4_allowed))
		return -EINVAL;

	if (efer & ~(u64)SVM_EFER_VALID)
		return -EINVAL;
	if ((efer & (EFER_LME | EFER_LMA)) && !boot_cpu_has(X86_FEATURE_LM))
		return -EINVAL;
	if (lme_pg && !(cr4 & X86_CR4_PAE))
		return -EINVAL;
	if (!!(efer & EFER_LMA) != lme_pg)
		return -EINVAL;
	if (lme_pg && sr->cs.l && sr->cs.db && !sr->cs.unusable)
		return -EINVAL;

	if (efer & EFER_LMA) {
		if (sr->cr3 >> svm_caps.phys_bits)
			return -EINVAL;
	} else if (sr->cr3 >> 32) {
		return -EINVAL;
	}

	if (sr->cr8 > 15)
		return -EINVAL;
	return 0;
}

int svm_set_sregs(struct vmem_vcpu *vcpu, const struct vmem_sregs *sregs)
{
	struct svm_vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct svm_vmcb_save *s = &vmcb->save;
	int r;

	r = svm_check_sregs(sregs);
	if (r)
		return r;

	svm_seg_from_abi(&s->cs, &sregs->cs);
	svm_seg_from_abi(&s->ds, &sregs->ds);
	svm_seg_from_abi(&s->es, &sregs->es);
	svm_seg_from_abi(&s->fs, &sregs->fs);
	svm_seg_from_abi(&s->gs, &sregs->gs);
	svm_seg_from_abi(&s->ss, &sregs->ss);
	svm_seg_from_abi(&s->tr, &sregs->tr);
	svm_seg_from_abi(&s->ldtr, &sregs->ldt);
	s->gdtr.base = sregs->gdt.base;
	s->gdtr.limit = sregs->gdt.limit;
	s->idtr.base = sregs->idt.base;
	s->idtr.limit = sregs->idt.limit;

	/* ET is hardwired to 1 on every CPU with SVM. */
	s->cr0 = sregs->cr0 | X86_CR0_ET;
	s->cr2 = sregs->cr2;
	s->cr3 = sregs->cr3;
	s->cr4 = sregs->cr4;
	s->efer = sregs->efer | EFER_SVME;
	vmcb->control.int_ctl = (vmcb->control.int_ctl & ~SVM_V_TPR_MASK) |
				(sregs->cr8 & SVM_V_TPR_MASK);

	/*
	 * The CPL is the hidden SS.DPL once in protected mode (VMRUN takes
	 * it from the VMCB's CPL field, not from SS), 0 in real mode.
	 */
	s->cpl = (sregs->cr0 & X86_CR0_PE) ? sregs->ss.dpl : 0;

	/*
	 * The guest's paging state changed behind its back: its ASID may
	 * hold translations of the old one.
	 */
	set_bit(VMEM_REQ_TLB_FLUSH, &vcpu->requests);
	if (to_svm(vcpu)->shadow) {
		struct svm_vcpu *svm = to_svm(vcpu);

		svm->gcr0 = s->cr0;
		svm->gcr3 = sregs->cr3;
		svm->gcr4 = sregs->cr4;
		svm->gefer = sregs->efer;
		svm_shadow_paging_changed(vcpu);
	}
	return 0;
}

void svm_get_debugregs(struct vmem_vcpu *vcpu, struct vmem_debugregs *dregs)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	memcpy(dregs->db, svm->db, sizeof(dregs->db));
	dregs->dr6 = svm->vmcb->save.dr6;
	dregs->dr7 = svm->vmcb->save.dr7;
}

int svm_set_debugregs(struct vmem_vcpu *vcpu,
		      const struct vmem_debugregs *dregs)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	int i;

	/* VMRUN refuses DR6[63:32] or DR7[63:32] nonzero (APM 15.5.1). */
	if ((dregs->dr6 >> 32) || (dregs->dr7 >> 32))
		return -EINVAL;
	/* MOV to DR0-3 #GPs on a non-canonical address in 64-bit mode. */
	for (i = 0; i < ARRAY_SIZE(dregs->db); i++)
		if (!svm_canonical(dregs->db[i]))
			return -EINVAL;

	memcpy(svm->db, dregs->db, sizeof(svm->db));
	/* Bits that read as 1 (DR6 reserved bits, DR7 bit 10). */
	svm->vmcb->save.dr6 = dregs->dr6 | SVM_RESET_DR6;
	svm->vmcb->save.dr7 = dregs->dr7 | SVM_RESET_DR7;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* MSRs held in the VMCB                                                   */

/* Each PAT entry is UC, WC, WT, WP, WB or UC- (SDM/APM "PAT register"). */
static bool svm_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 type = pat >> (i * 8);

		if (type != 0 && type != 1 && type != 4 && type != 5 &&
		    type != 6 && type != 7)
			return false;
	}
	return true;
}

/*
 * Both the VMM (VMEM_GET/SET_MSRS) and a guest RDMSR/WRMSR exit come here
 * through the core; -EINVAL becomes #GP for the guest.
 */
int svm_get_msr(struct vmem_vcpu *vcpu, u32 index, u64 *data)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct svm_vmcb_save *s = &svm->vmcb->save;

	switch (index) {
	case MSR_EFER:
		*data = svm->shadow ? svm->gefer : s->efer & ~EFER_SVME;
		break;
	case MSR_STAR:
		*data = s->star;
		break;
	case MSR_LSTAR:
		*data = s->lstar;
		break;
	case MSR_CSTAR:
		*data = s->cstar;
		break;
	case MSR_SYSCALL_MASK:
		*data = s->sfmask;
		break;
	case MSR_KERNEL_GS_BASE:
		*data = s->kernel_gs_base;
		break;
	case MSR_FS_BASE:
		*data = s->fs.base;
		break;
	case MSR_GS_BASE:
		*data = s->gs.base;
		break;
	case MSR_IA32_SYSENTER_CS:
		*data = s->sysenter_cs;
		break;
	case MSR_IA32_SYSENTER_ESP:
		*data = s->sysenter_esp;
		break;
	case MSR_IA32_SYSENTER_EIP:
		*data = s->sysenter_eip;
		break;
	case MSR_IA32_CR_PAT:
		*data = s->g_pat;
		break;
	case MSR_IA32_TSC:
		*data = rdtsc() + svm->vmcb->control.tsc_offset;
		break;
	case MSR_TSC_AUX:
		*data = svm->tsc_aux;
		break;
	case MSR_IA32_DEBUGCTLMSR:
		*data = s->dbgctl;
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

int svm_set_msr(struct vmem_vcpu *vcpu, u32 index, u64 data)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct svm_vmcb_save *s = &svm->vmcb->save;

	switch (index) {
	case MSR_EFER:
		/*
		 * As WRMSR does it: reserved bits #GP, LME may not change
		 * while paging is on, LMA is read-only (kept as is).
		 */
		if (data & ~(u64)SVM_EFER_VALID)
			return -EINVAL;
		if (svm->shadow) {
			u64 old = svm->gefer;

			if ((svm->gcr0 & X86_CR0_PG) &&
			    ((data ^ old) & EFER_LME))
				return -EINVAL;
			svm->gefer = (data & ~EFER_LMA) | (old & EFER_LMA);
			/* NXE changes what the guest's entries mean. */
			if (svm->gefer != old)
				svm_shadow_paging_changed(vcpu);
			break;
		}
		if ((s->cr0 & X86_CR0_PG) &&
		    ((data ^ s->efer) & EFER_LME))
			return -EINVAL;
		s->efer = (data & ~EFER_LMA) | (s->efer & EFER_LMA) | EFER_SVME;
		break;
	case MSR_STAR:
		s->star = data;
		break;
	case MSR_LSTAR:
		if (!svm_canonical(data))
			return -EINVAL;
		s->lstar = data;
		break;
	case MSR_CSTAR:
		if (!svm_canonical(data))
			return -EINVAL;
		s->cstar = data;
		break;
	case MSR_SYSCALL_MASK:
		if (data >> 32)
			return -EINVAL;
		s->sfmask = data;
		break;
	case MSR_KERNEL_GS_BASE:
		if (!svm_canonical(data))
			return -EINVAL;
		s->kernel_gs_base = data;
		break;
	case MSR_FS_BASE:
		if (!svm_canonical(data))
			return -EINVAL;
		s->fs.base = data;
		break;
	case MSR_GS_BASE:
		if (!svm_canonical(data))
			return -EINVAL;
		s->gs.base = data;
		break;
	case MSR_IA32_SYSENTER_CS:
		if (data >> 32)
			return -EINVAL;
		s->sysenter_cs = data;
		break;
	case MSR_IA32_SYSENTER_ESP:
		if (!svm_canonical(data))
			return -EINVAL;
		s->sysenter_esp = data;
		break;
	case MSR_IA32_SYSENTER_EIP:
		if (!svm_canonical(data))
			return -EINVAL;
		s->sysenter_eip = data;
		break;
	case MSR_IA32_CR_PAT:
		if (!svm_pat_valid(data))
			return -EINVAL;
		s->g_pat = data;
		break;
	case MSR_IA32_TSC:
		svm->vmcb->control.tsc_offset = data - rdtsc();
		break;
	case MSR_TSC_AUX:
		if (data >> 32)
			return -EINVAL;
		svm->tsc_aux = data;
		break;
	case MSR_IA32_DEBUGCTLMSR:
		/*
		 * Without LBR virtualization the hardware neither loads nor
		 * saves it: LBR and BTF are accepted and remembered for the
		 * guest to read back, but have no effect; other bits #GP.
		 */
		if (data & ~(u64)(DEBUGCTLMSR_LBR | DEBUGCTLMSR_BTF))
			return -EINVAL;
		s->dbgctl = data;
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Events                                                                  */

/*
 * The STI/MOV SS shadow recorded at the exit, if the instruction after
 * which it was recorded is still the next one: once the core has completed
 * an instruction (RIP moved), the shadow has ended with it.
 */
static bool svm_in_shadow(struct vmem_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	return (svm->vmcb->control.int_state & SVM_INT_SHADOW) &&
	       vcpu->rip == svm->exit_rip;
}

/*
 * An external interrupt can be injected at the next entry: IF set, no
 * STI/MOV SS shadow, and nothing queued ahead of it.  The guest's GIF is
 * always 1 (it has no CLGI).
 */
bool svm_interrupt_allowed(struct vmem_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	return (svm->vmcb->save.rflags & X86_EFLAGS_IF) &&
	       !svm_in_shadow(vcpu) && !svm->reinject &&
	       !vcpu->exception.pending && !vcpu->interrupt.pending;
}

/*
 * NMIs are blocked from the injection of one until the guest's IRET
 * (tracked in software: nothing in the VMCB holds it without vNMI), and,
 * as KVM does on AMD, in an interrupt shadow.
 */
bool svm_nmi_allowed(struct vmem_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	return !svm->nmi_masked && !svm_in_shadow(vcpu);
}

void svm_enable_irq_window(struct vmem_vcpu *vcpu, bool enable)
{
	to_svm(vcpu)->irq_window = enable;
}

/* A vector the CPU accepts as an exception in EVENTINJ (APM 15.20). */
static bool svm_exception_injectable(u8 vector)
{
	return vector < 32 && vector != X86_TRAP_NMI;
}

/*
 * An NMI waits for one instruction: the guest's IRET of its NMI handler
 * (the intercept came before the IRET), or the one in an interrupt shadow.
 * Without vNMI there is nothing that exits right after it but a
 * single-step trap: set TF and take the #DB intercept (as KVM does).  TF
 * counts from the start of the instruction, so the trap comes after the
 * IRET even though the IRET loads RFLAGS from the stack (which also drops
 * our TF); for the shadowed instruction the guest's TF is put back.  The
 * guest's DR6 is restored, so the guest never sees the step.
 */
static void svm_nmi_singlestep(struct svm_vcpu *svm, bool over_iret)
{
	struct svm_vmcb *vmcb = svm->vmcb;

	if (svm->nmi_singlestep)
		return;
	svm->nmi_singlestep = true;
	svm->ss_over_iret = over_iret;
	svm->ss_guest_tf = vmcb->save.rflags & X86_EFLAGS_TF;
	svm->ss_dr6 = vmcb->save.dr6;
	vmcb->save.rflags |= X86_EFLAGS_TF;
}

/* NMIs are blocked from now until the handler's IRET. */
static void svm_nmi_injected(struct svm_vcpu *svm)
{
	svm->nmi_masked = true;
	svm->awaiting_iret = false;
	svm_set_intercept(svm->vmcb, SVM_ICPT_IRET);
}

/*
 * Inject at most one event (EVENTINJ holds one), in the order the CPU
 * would take them: an exception (also one whose delivery an exit
 * interrupted, which the core's queue holds, merged there with a fault
 * the exit found: vmem_queue_exception()), then an NMI or interrupt
 * whose delivery an exit interrupted, then an NMI, then an external
 * interrupt.  Whatever must wait gets a window: a virtual interrupt
 * (V_IRQ) whose VINTR intercept fires as soon as the guest could take an
 * interrupt, which is after the event just injected has been delivered
 * and IF is set again.  An NMI held by one instruction (its handler's
 * IRET, an interrupt shadow) gets a single step instead, since it needs no
 * IF; one held because another event takes EVENTINJ this time uses the
 * window, or failing that the next exit of any kind.
 */
static void svm_inject_events(struct vmem_vcpu *vcpu, struct svm_vcpu *svm)
{
	struct svm_vmcb *vmcb = svm->vmcb;
	bool pe = vmcb->save.cr0 & X86_CR0_PE;
	bool if_set = vmcb->save.rflags & X86_EFLAGS_IF;
	bool window = false;
	u64 evt = 0;

	if (vcpu->exception.pending) {
		u8 vector = vcpu->exception.vector;

		vcpu->exception.pending = false;
		/* A #PF the core queued: CR2 is written as delivery begins. */
		if (vcpu->exception.cr2_valid) {
			vmcb->save.cr2 = vcpu->exception.cr2;
			vcpu->exception.cr2_valid = false;
		}
		if (svm_exception_injectable(vector)) {
			evt = vector | SVM_EVT_TYPE_EXCEPT | SVM_EVT_VALID;
			/* Real mode pushes no error codes. */
			if (vcpu->exception.has_error && pe)
				evt |= SVM_EVT_EV |
				       ((u64)vcpu->exception.error_code <<
					SVM_EVT_ERR_SHIFT);
		} else {
			pr_warn_ratelimited("vCPU %u: dropped exception vector %u\n",
					    vcpu->id, vector);
		}
	} else if (svm->reinject) {
		/* Delivery already began: no blocking applies to it again. */
		evt = svm->reinject;
		svm->reinject = 0;
		if ((evt & SVM_EVT_TYPE_MASK) == SVM_EVT_TYPE_NMI)
			svm_nmi_injected(svm);
	} else if (vcpu->nmi_pending && svm_nmi_allowed(vcpu)) {
		vcpu->nmi_pending = false;
		evt = X86_TRAP_NMI | SVM_EVT_TYPE_NMI | SVM_EVT_VALID;
		svm_nmi_injected(svm);
	} else if (vcpu->interrupt.pending && if_set && !svm_in_shadow(vcpu)) {
		vcpu->interrupt.pending = false;
		evt = vcpu->interrupt.vector | SVM_EVT_TYPE_INTR |
		      SVM_EVT_VALID;
	}
	vmcb->control.event_inj = evt;

	if (vcpu->interrupt.pending || vcpu->exception.pending ||
	    svm->reinject)
		window = true;
	if (vcpu->nmi_pending && !evt && svm->nmi_masked &&
	    svm->awaiting_iret && vcpu->rip == svm->iret_rip)
		svm_nmi_singlestep(svm, true);
	else if (vcpu->nmi_pending && !evt && !svm->nmi_masked)
		svm_nmi_singlestep(svm, false);	/* the shadow */
	else if (vcpu->nmi_pending && !svm->nmi_masked)
		window = true;
	if (svm->irq_window || READ_ONCE(vcpu->run->request_interrupt_window))
		window = true;

	if (window) {
		vmcb->control.int_ctl |= SVM_V_IRQ | SVM_V_IGN_TPR |
					 SVM_V_INTR_PRIO_MASK;
		vmcb->control.int_vector = 0;
		svm_set_intercept(vmcb, SVM_ICPT_VINTR);
	} else {
		vmcb->control.int_ctl &= ~(SVM_V_IRQ | SVM_V_IGN_TPR |
					   SVM_V_INTR_PRIO_MASK);
		svm_clr_intercept(vmcb, SVM_ICPT_VINTR);
	}
}

/*
 * After the exit: an event that was being delivered when it happened
 * (EXITINTINFO, APM 15.7.2), e.g. an NPF on the stack the frame goes to,
 * is injected again at the next entry, before anything else and whatever
 * the blocking state says: its delivery had already passed those checks
 * (QEMU even reports an interrupt shadow then).  Software interrupts and
 * #BP/#OF from INT3/INTO are not: RIP still points at the instruction,
 * which raises them again when it re-executes (and without nrip-save the
 * length to skip is unknown).  QEMU reports an NMI it was delivering on its
 * own account as an exception with vector 2: taken as the NMI it is.
 */
static void svm_complete_events(struct vmem_vcpu *vcpu, struct svm_vcpu *svm)
{
	struct svm_vmcb *vmcb = svm->vmcb;
	u64 info = vmcb->control.exit_int_info;
	u8 vector = info & SVM_EVT_VECTOR_MASK;
	u64 type = info & SVM_EVT_TYPE_MASK;

	/* @reinject stays if an exception went first (svm_inject_events()). */
	vmcb->control.event_inj = 0;

	/* Our single step is over: undo it (see svm_nmi_singlestep()). */
	if (svm->nmi_singlestep &&
	    vmcb->control.exit_code == SVM_EXIT_EXCP_BASE + X86_TRAP_DB &&
	    (vmcb->save.dr6 & DR_STEP)) {
		svm->nmi_singlestep = false;
		svm->ss_trapped = true;
		vmcb->save.dr6 = svm->ss_dr6;
		if (!svm->ss_over_iret && !svm->ss_guest_tf)
			vmcb->save.rflags &= ~X86_EFLAGS_TF;
	}

	/* The guest's IRET ran: the NMI handler is done. */
	if (svm->awaiting_iret && vmcb->save.rip != svm->iret_rip) {
		svm->awaiting_iret = false;
		svm->nmi_masked = false;
	}

	if (!(info & SVM_EVT_VALID))
		return;
	if (type == SVM_EVT_TYPE_EXCEPT && vector == X86_TRAP_NMI)
		type = SVM_EVT_TYPE_NMI;

	switch (type) {
	case SVM_EVT_TYPE_NMI:
		/* Not delivered: not being handled either, until it is. */
		svm->nmi_masked = false;
		svm->awaiting_iret = false;
		svm->reinject = X86_TRAP_NMI | SVM_EVT_TYPE_NMI | SVM_EVT_VALID;
		break;
	case SVM_EVT_TYPE_EXCEPT:
		if (vector == X86_TRAP_BP || vector == X86_TRAP_OF ||
		    vector >= 32)
			break;
		vmem_requeue_exception(vcpu, vector, info & SVM_EVT_EV,
				       info >> SVM_EVT_ERR_SHIFT);
		break;
	case SVM_EVT_TYPE_INTR:
		svm->reinject = vector | SVM_EVT_TYPE_INTR | SVM_EVT_VALID;
		break;
	default:
		break;
	}
}

/* ---------------------------------------------------------------------- */
/* ASIDs                                                                   */

/*
 * Per-CPU ASIDs with generations, as in KVM: each CPU hands out ASIDs
 * 1..max_asid in order; when they run out it starts a new generation and
 * flushes every ASID's TLB entries (TLB_CONTROL 1) with the VMRUN that
 * takes the first ASID of it.  A vCPU keeps its ASID while it stays on a
 * CPU and the generation there does not change; it takes a fresh one when
 * it moves, so its translations on the old CPU are never reused.  QEMU
 * offers 16 ASIDs, so generations do turn over in the tests.
 *
 * svm_cpu_init() runs at cpu_enable (interrupts off, on the CPU): the TLB
 * may hold anything from before, so the first allocation must start a
 * generation.  The generation only ever grows, so no vCPU can match it by
 * accident.
 */
void svm_cpu_init(void)
{
	struct svm_cpu *sc = this_cpu_ptr(&svm_cpu);

	sc->asid_generation++;
	sc->next_asid = svm_caps.max_asid + 1;
	sc->host_tsc_aux = 0;
	if (svm_caps.tsc_aux)
		rdmsrl_safe(MSR_TSC_AUX, &sc->host_tsc_aux);
}

static void svm_new_asid(struct svm_vcpu *svm, struct svm_cpu *sc, int cpu)
{
	if (sc->next_asid > svm_caps.max_asid) {
		sc->asid_generation++;
		sc->next_asid = 1;
		svm->vmcb->control.tlb_ctl = SVM_TLB_CONTROL_FLUSH_ALL;
	}
	svm->vmcb->control.asid = sc->next_asid++;
	svm->asid_generation = sc->asid_generation;
	svm->asid_cpu = cpu;
}

static void svm_load_asid(struct vmem_vcpu *vcpu, struct svm_vcpu *svm,
			  struct svm_cpu *sc, int cpu)
{
	bool flush = test_and_clear_bit(VMEM_REQ_TLB_FLUSH, &vcpu->requests);

	/* Without flush-by-ASID a new ASID is the way to drop the old. */
	if (flush && !svm_caps.flush_by_asid)
		svm->asid_cpu = -1;

	if (svm->asid_cpu != cpu || svm->asid_generation != sc->asid_generation)
		svm_new_asid(svm, sc, cpu);
	else if (flush)
		svm->vmcb->control.tlb_ctl = SVM_TLB_CONTROL_FLUSH_ASID;
}

/* ---------------------------------------------------------------------- */
/* Entry                                                                   */

static __always_inline void svm_clgi(void)
{
	asm volatile("clgi" ::: "memory");
}

static __always_inline void svm_stgi(void)
{
	asm volatile("stgi" ::: "memory");
}

/*
 * Guest DR0-3 (the VMCB holds only DR6/DR7) are in the hardware while the
 * guest may use them: when its DR7 arms a breakpoint or when it touched
 * them since the last exit.  Host breakpoints are disarmed first so that
 * they cannot fire on guest addresses in the host.
 */
static bool svm_load_guest_db(struct svm_vcpu *svm)
{
	if (!svm->db_guest_owned && !(svm->vmcb->save.dr7 & SVM_DR7_BP_ENABLED)) {
		if (hw_breakpoint_active())
			set_debugreg(0, 7);
		return false;
	}
	set_debugreg(0, 7);
	set_debugreg(svm->db[0], 0);
	set_debugreg(svm->db[1], 1);
	set_debugreg(svm->db[2], 2);
	set_debugreg(svm->db[3], 3);
	return true;
}

static void svm_save_guest_db(struct svm_vcpu *svm)
{
	if (svm->db_guest_owned) {
		get_debugreg(svm->db[0], 0);
		get_debugreg(svm->db[1], 1);
		get_debugreg(svm->db[2], 2);
		get_debugreg(svm->db[3], 3);
		svm->db_guest_owned = false;
		svm_set_dr_intercepts(svm->vmcb, true);
	}
	/* #VMEXIT leaves DR7 disabled (and DR0-3 the guest's). */
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
}

/*
 * A machine check that hit the guest is the host's: hand it to the host's
 * handler as if it came from user mode, as KVM does.
 */
static void svm_handle_mce(void)
{
#ifdef CONFIG_X86_MCE
	struct pt_regs regs = {
		.cs = 3,
		.flags = X86_EFLAGS_IF,
	};

	do_machine_check(&regs);
#endif
}

/*
 * One entry.  Called by the core with preemption and interrupts off, the
 * guest FPU loaded, vcpu->mode == VMEM_IN_GUEST.
 *
 * World switch (svm_entry.S): VMSAVE the host's FS/GS/TR/LDTR/syscall MSRs
 * to this CPU's save page, VMLOAD the guest's from the VMCB, VMRUN, VMSAVE
 * the guest's, VMLOAD the host's.  VMRUN switches the rest (APM 15.5).
 * CLGI before: host interrupts, NMIs and SMIs stay pending, also across
 * the #VMEXIT; STGI after the host state is back, so pending NMIs are
 * taken then and interrupts when the core sets IF.
 */
void svm_vcpu_run(struct vmem_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct svm_vmcb *vmcb = svm->vmcb;
	struct svm_cpu *sc = this_cpu_ptr(&svm_cpu);
	int cpu = smp_processor_id();
	bool guest_db, tsc_aux;

	svm_load_asid(vcpu, svm, sc, cpu);
	vmcb->control.nested_cr3 = __sme_set(vmem_tdp_root_hpa(vcpu->vm));
	vmcb->control.clean = 0;

	/* The core emulated an instruction: its shadow ended with it. */
	if (vcpu->rip != svm->exit_rip)
		vmcb->control.int_state &= ~SVM_INT_SHADOW;
	svm_inject_events(vcpu, svm);

	vmcb->save.rax = vcpu->regs[VMEM_RAX];
	vmcb->save.rsp = vcpu->regs[VMEM_RSP];
	vmcb->save.rip = vcpu->rip;
	/* Stays if VMRUN faults and is skipped: reported as a failed entry. */
	vmcb->control.exit_code = SVM_EXIT_ERR;

	guest_db = svm_load_guest_db(svm);
	/*
	 * Only user space reads TSC_AUX (getcpu() through RDTSCP/RDPID), and
	 * nothing can run between here and the restore below: interrupts
	 * are off, and GIF is clear around VMRUN.
	 */
	tsc_aux = svm_caps.tsc_aux && svm->tsc_aux != sc->host_tsc_aux;
	if (tsc_aux)
		wrmsrl(MSR_TSC_AUX, svm->tsc_aux);

	svm_clgi();
	__svm_vcpu_run(svm->vmcb_pa, vcpu->regs, sc->host_save_pa);

	if (tsc_aux)
		wrmsrl(MSR_TSC_AUX, sc->host_tsc_aux);
	/*
	 * XSETBV is intercepted and handled by the core, so XCR0 is still
	 * what the core loaded -- except under QEMU, whose SVM ignores the
	 * XSETBV intercept: then the guest's value is in the register, and
	 * it must be what the core saves as the guest's and replaces with
	 * the host's.  (The value was checked by QEMU against its own CPUID,
	 * not the VMM's: a limitation of that emulator only.)
	 */
	if (svm_caps.xsave) {
		u64 xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);

		if (unlikely(xcr0 != vcpu->guest_xcr0))
			vcpu->guest_xcr0 = xcr0;
	}
	if (guest_db || hw_breakpoint_active())
		svm_save_guest_db(svm);
	svm_stgi();

	vcpu->regs[VMEM_RAX] = vmcb->save.rax;
	vcpu->regs[VMEM_RSP] = vmcb->save.rsp;
	vcpu->rip = vmcb->save.rip;
	svm->exit_rip = vcpu->rip;
	vmcb->control.tlb_ctl = SVM_TLB_CONTROL_NOTHING;

	svm_complete_events(vcpu, svm);

	if (unlikely(vmcb->control.exit_code ==
		     SVM_EXIT_EXCP_BASE + X86_TRAP_MC))
		svm_handle_mce();
}
