// SPDX-License-Identifier: GPL-2.0
/*
 * x86/vmx_vcpu.c - VMX vCPUs: the VMCS, its reset state, state get/set
 * through the ABI's structures (with the VM-entry checks done up front),
 * event injection, and the entry path with its host-state switching.
 *
 * The VMCS is the home of the guest state it holds (segments, CR0/3/4,
 * EFER, PAT, DR7, SYSENTER, FS/GS base); RFLAGS and the interruptibility
 * state are mirrored in struct vmx_vcpu (the core asks for them in places
 * where the VMCS may be on another CPU), RIP and RSP in vcpu->rip/regs.
 * What VMX does not switch lives in struct vmx_vcpu: CR2, CR8, DR0-3/DR6,
 * KERNEL_GS_BASE, the SYSCALL MSRs and TSC_AUX.
 *
 * Reading or writing a VMCS field needs the VMCS current on this CPU:
 * vmx_vmcs_get() makes it so (VMCLEARing it on the CPU it was active on,
 * by IPI, if the thread moved) and keeps preemption off until
 * vmx_vmcs_put().  The entry path does the same without an IPI: it cannot
 * send one with interrupts off, so a VMCS still active elsewhere ends the
 * entry early (VMX_PSEUDO_MIGRATE) and vmx_handle_exit() clears it there.
 *
 * References: Intel SDM vol. 3C: 26.3 "Checks on the Guest State Area",
 * 26.6 "Event Injection", 27.2 "VM-Entry Failures", 28.3-28.5 (saving
 * guest state, loading host state), 29.3.3 (INVEPT), 9.1.1 (the state
 * after INIT).
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/bitops.h>
#include <linux/idr.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fsgsbase.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/trapnr.h>

#include <linux/vmem.h>

#include "vmem_backend.h"
#include "vmem_compat.h"
#include "vmem_core.h"
#include "vmem_vm.h"
#include "vmx.h"

/* The entry assembly indexes vcpu->regs with these numbers. */
static_assert(VMEM_RAX == 0 && VMEM_RCX == 1 && VMEM_RDX == 2 &&
	      VMEM_RBX == 3 && VMEM_RSP == 4 && VMEM_RBP == 5 &&
	      VMEM_RSI == 6 && VMEM_RDI == 7 && VMEM_R8 == 8 &&
	      VMEM_R15 == 15);

/* Power-on/INIT values (SDM vol. 3A, table 10-1), as the SVM backend. */
#define VMX_RESET_CR0		(X86_CR0_CD | X86_CR0_NW | X86_CR0_ET)
#define VMX_RESET_RIP		0xfff0
#define VMX_RESET_DR6		0xffff0ff0ull
#define VMX_RESET_DR7		0x400ull
#define VMX_RESET_PAT		0x0007040600070406ull

/* Bits of CR0, EFER and RFLAGS a guest may hold (the rest are reserved). */
#define VMX_CR0_VALID	(X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | \
			 X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_AM | \
			 X86_CR0_NW | X86_CR0_CD | X86_CR0_PG)
#define VMX_EFER_VALID	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)
#define VMX_RFLAGS_VALID (X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
			  X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_TF | \
			  X86_EFLAGS_IF | X86_EFLAGS_DF | X86_EFLAGS_OF | \
			  X86_EFLAGS_IOPL | X86_EFLAGS_NT | X86_EFLAGS_RF | \
			  X86_EFLAGS_VM | X86_EFLAGS_AC | X86_EFLAGS_VIF | \
			  X86_EFLAGS_VIP | X86_EFLAGS_ID)
/* DR7 enable bits L0-L3/G0-G3: breakpoints armed in DR0-3. */
#define VMX_DR7_BP_ENABLED	0xffull
/* PAE PDPTEs: P, then reserved 2:1 and 8:5 (SDM 4.4.1). */
#define VMX_PDPTE_P		BIT_ULL(0)
#define VMX_PDPTE_RSVD		(GENMASK_ULL(2, 1) | GENMASK_ULL(8, 5))

/* Exceptions that exit: see vmx_vmcs_setup(). */
#define VMX_EXCEPTION_BITMAP	(BIT(X86_TRAP_DB) | BIT(X86_TRAP_UD) | \
				 BIT(X86_TRAP_AC) | BIT(X86_TRAP_MC))

/* VPIDs 1..0xfffe for vCPUs; 0 is the host's. */
static DEFINE_IDA(vmx_vpids);

/* ---------------------------------------------------------------------- */
/* Making the VMCS current                                                 */

/*
 * Make the VMCS current on this CPU and keep preemption off until
 * vmx_vmcs_put(), which must be called whatever this returns.  Returns
 * -EBUSY if the VMCS is active on another CPU and interrupts are off here
 * (no IPI possible; the core never does this), -EIO if VMX is off.
 */
int vmx_vmcs_get(struct vmx_vcpu *vmx)
{
	unsigned long flags;
	int owner, r;

	preempt_disable();
	if (this_cpu_read(vmx_cpu.current_vmcs) == vmx)
		return 0;
	owner = READ_ONCE(vmx->cpu);
	if (owner >= 0 && owner != smp_processor_id()) {
		if (irqs_disabled())
			return -EBUSY;
		smp_call_function_single(owner, vmx_vmcs_clear_ipi, vmx, 1);
	}
	local_irq_save(flags);
	r = vmx_vmcs_load_here(vmx);
	local_irq_restore(flags);
	return r;
}

void vmx_vmcs_put(struct vmx_vcpu *vmx)
{
	preempt_enable();
}

/* ---------------------------------------------------------------------- */
/* Small helpers (VMCS current)                                            */

bool vmx_canonical(u64 addr)
{
	return vmem_x86_canonical(addr);
}

/* CR0 and CR4 as the guest sees them: owned bits from the shadows. */
u64 vmx_read_cr0(struct vmx_vcpu *vmx)
{
	return (vmcs_read(VMCS_GUEST_CR0) & ~vmx->cr0_mask) |
	       (vmcs_read(VMCS_CR0_SHADOW) & vmx->cr0_mask);
}

u64 vmx_read_cr4(struct vmx_vcpu *vmx)
{
	return (vmcs_read(VMCS_GUEST_CR4) & ~vmx->cr4_mask) |
	       (vmcs_read(VMCS_CR4_SHADOW) & vmx->cr4_mask);
}

/*
 * The CPU's CR0 for the guest's @cr0: NE (fixed 1 in VMX operation) set,
 * CD/NW clear (the guest's memory stays write-back cacheable, as under
 * KVM; the guest reads its own CD/NW from the shadow), PE/PG forced only
 * without unrestricted guest; PG and WP always on the shadow MMU.
 */
static void vmx_write_cr0(struct vmx_vcpu *vmx, u64 cr0)
{
	u64 fixed = vmx_caps.cr0_fixed0, hw = cr0;

	if (vmx->unrestricted)
		fixed &= ~(u64)(X86_CR0_PE | X86_CR0_PG);
	if (vmx->shadow)
		hw = vmx_shadow_hw_cr0(cr0);
	vmcs_write(VMCS_GUEST_CR0, (hw & ~(u64)(X86_CR0_CD | X86_CR0_NW)) |
		   fixed);
	vmcs_write(VMCS_CR0_SHADOW, cr0);
}

/*
 * CR4: VMXE (fixed 1) set in the CPU's, PAE too on the shadow MMU; the
 * guest sees its own value.
 */
static void vmx_write_cr4(struct vmx_vcpu *vmx, u64 cr4)
{
	u64 hw = vmx->shadow ? vmx_shadow_hw_cr4(cr4) : cr4;

	vmcs_write(VMCS_GUEST_CR4, hw | vmx_caps.cr4_fixed0);
	vmcs_write(VMCS_CR4_SHADOW, cr4);
}

static void vmx_set_entry_ctls(struct vmx_vcpu *vmx, u32 entry)
{
	if (entry != vmx->entry) {
		vmx->entry = entry;
		vmcs_write(VMCS_ENTRY_CTLS, entry);
	}
}

/*
 * EFER with the "IA-32e mode guest" entry control that must match LMA.
 * On the shadow MMU the guest's own value is kept aside and the CPU's
 * has LME only with LMA (vmem_shadow_hw_regs()).
 */
static void vmx_write_efer(struct vmx_vcpu *vmx, u64 efer)
{
	if (vmx->shadow) {
		vmx->gefer = efer;
		efer = vmx_shadow_hw_efer(efer);
	}
	vmcs_write(VMCS_GUEST_EFER, efer);
	if (efer & EFER_LMA)
		vmx_set_entry_ctls(vmx, vmx->entry | VMX_ENTRY_IA32E);
	else
		vmx_set_entry_ctls(vmx, vmx->entry & ~VMX_ENTRY_IA32E);
}

static void vmx_set_proc(struct vmx_vcpu *vmx, u32 proc)
{
	if (proc != vmx->proc) {
		vmx->proc = proc;
		vmcs_write(VMCS_PROC_CTLS, proc);
	}
}

u64 vmx_guest_efer(struct vmx_vcpu *vmx)
{
	return vmx->shadow ? vmx->gefer : vmcs_read(VMCS_GUEST_EFER);
}

u64 vmx_guest_cr3(struct vmx_vcpu *vmx)
{
	return vmx->shadow ? vmx->gcr3 : vmcs_read(VMCS_GUEST_CR3);
}

/* In 64-bit mode (not compatibility mode): IA-32e and CS.L. */
bool vmx_long_mode_64bit(struct vmx_vcpu *vmx)
{
	return (vmx->entry & VMX_ENTRY_IA32E) &&
	       (vmcs_read32(VMCS_GUEST_SEG_AR(VMEM_SEG_CS)) & VMX_AR_L);
}

/* ---------------------------------------------------------------------- */
/* Segments                                                                */

static u32 vmx_seg_to_ar(const struct vmem_segment *v)
{
	u32 ar = (v->type & VMX_AR_TYPE_MASK) |
		 (v->s ? VMX_AR_S : 0) |
		 ((v->dpl & 3) << VMX_AR_DPL_SHIFT) |
		 (v->present ? VMX_AR_P : 0) |
		 (v->avl ? VMX_AR_AVL : 0) |
		 (v->l ? VMX_AR_L : 0) |
		 (v->db ? VMX_AR_DB : 0) |
		 (v->g ? VMX_AR_G : 0);

	/* A not-present segment is unusable: nothing can be loaded from it. */
	if (v->unusable || !v->present)
		ar |= VMX_AR_UNUSABLE;
	return ar;
}

/*
 * The VMCS keeps the descriptor bits in an access-rights word with an
 * "unusable" bit (SDM 25.4.1), and the byte-granular limit, like struct
 * vmem_segment.  An unusable segment reads back with present 0 (as on
 * SVM); its other bits are kept (the CPU keeps SS.DPL, the CPL, even then).
 */
static void vmx_ar_to_seg(u32 ar, struct vmem_segment *v)
{
	v->type = ar & VMX_AR_TYPE_MASK;
	v->s = !!(ar & VMX_AR_S);
	v->dpl = (ar >> VMX_AR_DPL_SHIFT) & 3;
	v->present = !!(ar & VMX_AR_P);
	v->avl = !!(ar & VMX_AR_AVL);
	v->l = !!(ar & VMX_AR_L);
	v->db = !!(ar & VMX_AR_DB);
	v->g = !!(ar & VMX_AR_G);
	v->unusable = !!(ar & VMX_AR_UNUSABLE);
	if (v->unusable)
		v->present = 0;
	v->pad = 0;
}

static void vmx_read_seg(int which, struct vmem_segment *v)
{
	memset(v, 0, sizeof(*v));
	v->selector = vmcs_read(VMCS_GUEST_SEG_SEL(which));
	v->base = vmcs_read(VMCS_GUEST_SEG_BASE(which));
	v->limit = vmcs_read(VMCS_GUEST_SEG_LIMIT(which));
	vmx_ar_to_seg(vmcs_read(VMCS_GUEST_SEG_AR(which)), v);
}

static void vmx_write_seg(int which, const struct vmem_segment *v)
{
	vmcs_write(VMCS_GUEST_SEG_SEL(which), v->selector);
	vmcs_write(VMCS_GUEST_SEG_BASE(which), v->base);
	vmcs_write(VMCS_GUEST_SEG_LIMIT(which), v->limit);
	vmcs_write(VMCS_GUEST_SEG_AR(which), vmx_seg_to_ar(v));
}

/* ---------------------------------------------------------------------- */
/* VMCS set-up and reset                                                   */

/*
 * The controls and host state every vCPU runs with (the capability MSRs
 * decided the exact bits in vmx_setup_controls()):
 *  - pin-based: external interrupts and NMIs exit (the host's, handled
 *    once the core enables interrupts, or re-raised at once for NMIs);
 *    virtual NMIs, so the CPU tracks the guest's NMI blocking;
 *  - HLT, MWAIT/MONITOR (#UD), RDPMC (#GP: no PMU), every port (no I/O
 *    bitmaps: all device emulation is the VMM's), MSRs through the
 *    shared bitmap, CR8 loads/stores (the TPR is the VMM's), MOV DR until
 *    the guest first touches a debug register; TSC offsetting;
 *  - secondary: EPT, VPID, unrestricted guest, RDTSCP (TSC_AUX is
 *    switched), WBINVD exiting (skipped, as on SVM); not INVPCID or
 *    XSAVES (CPUID offers neither: they #UD);
 *  - exceptions: #DB and #AC so that a guest cannot loop the CPU forever
 *    delivering them (CVE-2015-8104, CVE-2015-5307), #MC for the host,
 *    #UD for AMD's VMMCALL (a hypercall on both backends, see
 *    vmx_exit.c);
 *  - shadow-MMU VMs: see vmx_shadow_vmcs_setup();
 *  - exit: 64-bit host, EFER/PAT saved and loaded, debug controls saved,
 *    "acknowledge interrupt on exit" off so a host interrupt stays
 *    pending in the APIC until the core enables interrupts;
 *  - entry: EFER/PAT/debug controls loaded, IA-32e mode with EFER.LMA.
 */
static void vmx_vmcs_setup(struct vmx_vcpu *vmx)
{
	u32 proc = vmx_caps.proc, proc2 = vmx_caps.proc2;
	u32 exceptions = VMX_EXCEPTION_BITMAP;

	if (!vmx->vpid)
		proc2 &= ~VMX_PROC2_VPID;
	/* RDTSCP/RDPID follow the guest's CPUID: none until it is set. */
	proc2 &= ~VMX_PROC2_RDTSCP;
	vmx->cpuid_seen = NULL;
	vmx->nr_cpuid_seen = 0;

	/*
	 * CR0: NE is fixed to 1 in VMX operation and CD/NW are kept out of
	 * the CPU's CR0, so the guest's own values of those live in the
	 * shadow and a write changing them exits; without unrestricted
	 * guest PE and PG too.  CR4: VMXE is fixed to 1; bits the CPU
	 * would accept but a guest may not hold exit (and #GP).
	 */
	vmx->cr0_mask = X86_CR0_NE | X86_CR0_CD | X86_CR0_NW;
	if (!vmx->unrestricted)
		vmx->cr0_mask |= X86_CR0_PE | X86_CR0_PG;
	vmx->cr4_mask = vmx_caps.cr4_fixed0 |
			(vmx_caps.cr4_fixed1 & ~vmx_caps.cr4_allowed);
	if (vmx->shadow)
		vmx_shadow_vmcs_setup(vmx, &proc, &proc2, &exceptions);

	vmcs_write(VMCS_LINK_POINTER, ~0ull);
	if (vmx->vpid)
		vmcs_write(VMCS_VPID, vmx->vpid);
	vmx->pin = vmx_caps.pin;
	vmcs_write(VMCS_PIN_CTLS, vmx->pin);
	if (vmx_caps.preempt_timer)
		vmcs_write(VMCS_PREEMPTION_TIMER, vmx_caps.preempt_value);
	vmx->proc = proc;
	vmcs_write(VMCS_PROC_CTLS, vmx->proc);
	vmx->proc2 = proc2;
	vmcs_write(VMCS_PROC2_CTLS, proc2);
	vmcs_write(VMCS_EXIT_CTLS, vmx_caps.exit);
	vmx->entry = vmx_caps.entry;
	vmcs_write(VMCS_ENTRY_CTLS, vmx->entry);
	vmcs_write(VMCS_EXCEPTION_BITMAP, exceptions);
	vmcs_write(VMCS_PF_ERROR_MASK, 0);
	vmcs_write(VMCS_PF_ERROR_MATCH, 0);
	vmcs_write(VMCS_CR3_TARGET_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
	vmcs_write(VMCS_MSR_BITMAP, vmx_msr_bitmap_pa);
	if (!vmx->shadow)
		vmcs_write(VMCS_EPTP, vmx->eptp);
	vmcs_write(VMCS_CR0_MASK, vmx->cr0_mask);
	vmcs_write(VMCS_CR4_MASK, vmx->cr4_mask);

	/*
	 * Host state that is the same everywhere; the per-CPU part is
	 * written when the VMCS becomes active on a CPU, CR3/CR4/FS base and
	 * RSP before each entry.  DS, ES, FS and GS get null selectors (the
	 * fields need RPL 0, user selectors have RPL 3): vmx_vcpu_run()
	 * puts the task's own back after the exit.
	 */
	vmcs_write(VMCS_HOST_CS_SEL, __KERNEL_CS);
	vmcs_write(VMCS_HOST_SS_SEL, __KERNEL_DS);
	vmcs_write(VMCS_HOST_DS_SEL, 0);
	vmcs_write(VMCS_HOST_ES_SEL, 0);
	vmcs_write(VMCS_HOST_FS_SEL, 0);
	vmcs_write(VMCS_HOST_GS_SEL, 0);
	vmcs_write(VMCS_HOST_TR_SEL, GDT_ENTRY_TSS * 8);
	vmcs_write(VMCS_HOST_RIP, (unsigned long)__vmx_vmexit);
	vmx->host_rsp = 0;
	vmx->host_cr3 = 0;
	vmx->host_cr4 = 0;
	vmx->host_fs_base = 0;
	vmcs_write(VMCS_HOST_CR3, 0);
	vmcs_write(VMCS_HOST_CR4, 0);
	vmcs_write(VMCS_HOST_FS_BASE, 0);
	vmcs_write(VMCS_HOST_RSP, 0);
}

static void vmx_reset_seg(int which, u16 sel, u64 base, u32 ar)
{
	vmcs_write(VMCS_GUEST_SEG_SEL(which), sel);
	vmcs_write(VMCS_GUEST_SEG_BASE(which), base);
	vmcs_write(VMCS_GUEST_SEG_LIMIT(which), 0xffff);
	vmcs_write(VMCS_GUEST_SEG_AR(which), ar);
}

/*
 * The state after INIT (SDM vol. 3A 9.1.1): real mode at f000:fff0 with
 * CS.base ffff0000, the same as the SVM backend's.  The TSC offset
 * survives, as the TSC does.  VMCS current.
 */
static void vmx_reset_vmcs(struct vmem_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	int i;

	vmx_reset_seg(VMEM_SEG_CS, 0xf000, 0xffff0000,
		      VMX_AR_P | VMX_AR_S | 0xb);	/* code, RX, accessed */
	vmx_reset_seg(VMEM_SEG_DS, 0, 0, VMX_AR_P | VMX_AR_S | 0x3);
	vmx_reset_seg(VMEM_SEG_ES, 0, 0, VMX_AR_P | VMX_AR_S | 0x3);
	vmx_reset_seg(VMEM_SEG_SS, 0, 0, VMX_AR_P | VMX_AR_S | 0x3);
	vmx_reset_seg(VMEM_SEG_FS, 0, 0, VMX_AR_P | VMX_AR_S | 0x3);
	vmx_reset_seg(VMEM_SEG_GS, 0, 0, VMX_AR_P | VMX_AR_S | 0x3);
	vmx_reset_seg(VMEM_SEG_LDTR, 0, 0, VMX_AR_P | 0x2);	/* LDT */
	vmx_reset_seg(VMEM_SEG_TR, 0, 0, VMX_AR_P | 0x3);	/* busy TSS16 */
	vmcs_write(VMCS_GUEST_GDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, 0xffff);
	vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0xffff);

	vmx_write_cr0(vmx, VMX_RESET_CR0);
	vmx->gcr3 = 0;
	vmcs_write(VMCS_GUEST_CR3,
		   vmx->shadow ? vmem_shadow_root_hpa(vcpu) : 0);
	vmx_write_cr4(vmx, 0);
	vmx_write_efer(vmx, 0);
	for (i = 0; i < 4; i++)
		vmcs_write(VMCS_GUEST_PDPTE(i), 0);
	vmcs_write(VMCS_GUEST_PAT, VMX_RESET_PAT);
	vmcs_write(VMCS_GUEST_DR7, VMX_RESET_DR7);
	vmcs_write(VMCS_GUEST_DEBUGCTL, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_CS, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_ESP, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_EIP, 0);
	vmcs_write(VMCS_GUEST_RFLAGS, X86_EFLAGS_FIXED);
	vmcs_write(VMCS_GUEST_RIP, VMX_RESET_RIP);
	vmcs_write(VMCS_GUEST_RSP, 0);
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_write(VMCS_GUEST_ACTIVITY, VMX_ACTIVITY_ACTIVE);
	vmcs_write(VMCS_GUEST_PENDING_DBG, 0);
	vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
	vmx_set_proc(vmx, (vmx->proc | VMX_PROC_MOV_DR_EXITING) &
		     ~(VMX_PROC_INTR_WINDOW | VMX_PROC_NMI_WINDOW));
}

/*
 * Put the vCPU in its INIT state: also after a triple fault, so that, as
 * on SVM (where the VMCB is undefined after a shutdown intercept), a VMM
 * that runs it again without new state gets a CPU starting at f000:fff0.
 */
void vmx_vcpu_reset(struct vmem_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (!vmx_vmcs_get(vmx))
		vmx_reset_vmcs(vcpu, vmx);
	vmx_vmcs_put(vmx);

	memset(vcpu->regs, 0, sizeof(vcpu->regs));
	vcpu->rip = VMX_RESET_RIP;
	/* INIT discards what was queued for the old state. */
	vcpu->exception.pending = false;
	vcpu->exception.cr2_valid = false;
	vcpu->interrupt.pending = false;
	vcpu->nmi_pending = false;

	vmx->rflags = X86_EFLAGS_FIXED;
	vmx->intr_state = 0;
	vmx->state_dirty = false;
	vmx->exit_rip = VMX_RESET_RIP;
	vmx->cr2 = 0;
	vmx->cr8 = 0;
	memset(vmx->db, 0, sizeof(vmx->db));
	vmx->dr6 = VMX_RESET_DR6;
	vmx->dr7 = VMX_RESET_DR7;
	vmx->db_guest_owned = false;
	vmx->debugctl = 0;
	vmx->kernel_gs_base = 0;
	memset(vmx->uret, 0, sizeof(vmx->uret));
	vmx->irq_window = false;
	/* The old translations are gone with the old state. */
	vmx->flush = true;
	if (vmx->shadow)
		vmem_shadow_reset(vcpu, false);
}

int vmx_vcpu_create(struct vmem_vcpu *vcpu)
{
	struct vmx_vcpu *vmx;
	struct page *page;
	int vpid = 0, r;

	vmx = vmem_kzalloc(sizeof(*vmx), GFP_KERNEL_ACCOUNT);
	if (!vmx)
		return -ENOMEM;
	page = vmem_alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page) {
		vmem_kfree(vmx);
		return -ENOMEM;
	}
	/* SDM 25.2: the revision id heads the region, before VMCLEAR. */
	*(u32 *)page_address(page) = vmx_caps.revision;
	vmx->vmcs_page = page;
	vmx->vmcs = page_address(page);
	vmx->vmcs_pa = page_to_phys(page);
	vmx->vcpu = vcpu;
	vmx->cpu = -1;
	INIT_LIST_HEAD(&vmx->loaded_link);
	vmx->shadow = vcpu->vm->mmu_mode == VMEM_VM_MMU_SHADOW;
	vmx->unrestricted = vmx_caps.unrestricted && !vmx->shadow;

	/* Out of VPIDs: this vCPU runs without (its TLB is flushed at every
	 * entry and exit, as with VPID 0). */
	if (vmx_caps.has_vpid) {
		vpid = ida_alloc_range(&vmx_vpids, 1, 0xfffe, GFP_KERNEL);
		if (vpid < 0)
			vpid = 0;
	}
	vmx->vpid = vpid;
	if (!vmx->shadow)
		vmx->eptp = vmem_tdp_root_hpa(vcpu->vm) | VMX_EPTP_WB |
			    VMX_EPTP_PWL4 | (vmx_caps.ept_ad ? VMX_EPTP_AD : 0);
	atomic_long_inc(&vcpu->vm->overhead);
	vcpu->backend = vmx;

	/* A fresh region must be VMCLEARed before its first VMPTRLD. */
	preempt_disable();
	r = vmx_vmclear(vmx->vmcs_pa);
	preempt_enable();
	if (!r)
		r = vmx_vmcs_get(vmx);
	if (!r) {
		vmx_vmcs_setup(vmx);
		/* The guest's TSC starts at 0 when its vCPU is created. */
		vmcs_write(VMCS_TSC_OFFSET, -rdtsc());
	}
	vmx_vmcs_put(vmx);
	if (r) {
		vmx_vcpu_destroy(vcpu);
		return r;
	}
	vmx_vcpu_reset(vcpu);
	return 0;
}

void vmx_vcpu_destroy(struct vmem_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int owner;

	if (!vmx)
		return;
	/*
	 * VMCLEAR it where it is active: the CPU may still write cached
	 * VMCS data back into the page.  A CPU going offline meanwhile
	 * clears it itself (vmx_cpu_disable()).
	 */
	owner = READ_ONCE(vmx->cpu);
	if (owner >= 0)
		smp_call_function_single(owner, vmx_vmcs_clear_ipi, vmx, 1);
	if (vmx->vpid)
		ida_free(&vmx_vpids, vmx->vpid);
	vmem_free_page(vmx->vmcs_page);
	atomic_long_dec(&vcpu->vm->overhead);
	vmem_kfree(vmx);
	vcpu->backend = NULL;
}

/* ---------------------------------------------------------------------- */
/* State                                                                   */

u64 vmx_get_rflags(struct vmem_vcpu *vcpu)
{
	return to_vmx(vcpu)->rflags;
}

void vmx_set_rflags(struct vmem_vcpu *vcpu, u64 rflags)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	/* Bit 1 is always set, reserved bits always clear. */
	vmx->rflags = (rflags & VMX_RFLAGS_VALID) | X86_EFLAGS_FIXED;
	vmx->state_dirty = true;
}

u64 vmx_get_cr8(struct vmem_vcpu *vcpu)
{
	/* CR8 accesses exit (vmx_exit.c), so the VMCS holds no copy. */
	return to_vmx(vcpu)->cr8;
}

int vmx_get_cpl(struct vmem_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int cpl = 0;

	/* SDM 25.4.1: SS.DPL is the CPL, in every mode. */
	if (!vmx_vmcs_get(vmx))
		cpl = (vmcs_read32(VMCS_GUEST_SEG_AR(VMEM_SEG_SS)) >>
		       VMX_AR_DPL_SHIFT) & 3;
	vmx_vmcs_put(vmx);
	return cpl;
}

void vmx_get_segment(struct vmem_vcpu *vcpu, struct vmem_segment *seg,
		     int which)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	memset(seg, 0, sizeof(*seg));
	seg->unusable = 1;
	if (which < VMEM_SEG_ES || which > VMEM_SEG_LDTR)
		return;
	if (!vmx_vmcs_get(vmx))
		vmx_read_seg(which, seg);
	vmx_vmcs_put(vmx);
}

void vmx_get_sregs(struct vmem_vcpu *vcpu, struct vmem_sregs *sregs)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (vmx_vmcs_get(vmx)) {
		vmx_vmcs_put(vmx);
		return;
	}
	vmx_read_seg(VMEM_SEG_CS, &sregs->cs);
	vmx_read_seg(VMEM_SEG_DS, &sregs->ds);
	vmx_read_seg(VMEM_SEG_ES, &sregs->es);
	vmx_read_seg(VMEM_SEG_FS, &sregs->fs);
	vmx_read_seg(VMEM_SEG_GS, &sregs->gs);
	vmx_read_seg(VMEM_SEG_SS, &sregs->ss);
	vmx_read_seg(VMEM_SEG_TR, &sregs->tr);
	vmx_read_seg(VMEM_SEG_LDTR, &sregs->ldt);
	memset(&sregs->gdt, 0, sizeof(sregs->gdt));
	sregs->gdt.base = vmcs_read(VMCS_GUEST_GDTR_BASE);
	sregs->gdt.limit = vmcs_read(VMCS_GUEST_GDTR_LIMIT);
	memset(&sregs->idt, 0, sizeof(sregs->idt));
	sregs->idt.base = vmcs_read(VMCS_GUEST_IDTR_BASE);
	sregs->idt.limit = vmcs_read(VMCS_GUEST_IDTR_LIMIT);
	sregs->cr0 = vmx_read_cr0(vmx);
	sregs->cr2 = vmx->cr2;
	sregs->cr3 = vmx_guest_cr3(vmx);
	sregs->cr4 = vmx_read_cr4(vmx);
	sregs->cr8 = vmx->cr8;
	sregs->efer = vmx_guest_efer(vmx);
	/* apic_base is the core's. */
	vmx_vmcs_put(vmx);
}

/* ---------------------------------------------------------------------- */
/* set_sregs: the VM-entry checks, before anything changes                 */

static bool vmx_seg_fields_ok(const struct vmem_segment *v)
{
	return v->type <= 15 && v->s <= 1 && v->dpl <= 3 && v->present <= 1 &&
	       v->avl <= 1 && v->l <= 1 && v->db <= 1 && v->g <= 1 &&
	       v->unusable <= 1 && !v->pad;
}

static bool vmx_seg_usable(const struct vmem_segment *v)
{
	return !v->unusable && v->present;
}

/* SDM 26.3.1.2: the limit and G must agree as a descriptor would have it. */
static bool vmx_limit_ok(const struct vmem_segment *v)
{
	if ((v->limit & 0xfff) != 0xfff && v->g)
		return false;
	if ((v->limit & 0xfff00000) && !v->g)
		return false;
	return true;
}

/*
 * Loading a segment register sets the accessed bit of its descriptor, and
 * LTR marks the TSS busy: a segment in a register always has them, and the
 * VM-entry checks insist (SDM 26.3.1.2).  A VMM that leaves them out (SVM
 * does not care) gets them added, as KVM does for the accessed bit.
 */
static void vmx_fixup_sregs(struct vmem_sregs *sr)
{
	struct vmem_segment *segs[] = {
		&sr->cs, &sr->ss, &sr->ds, &sr->es, &sr->fs, &sr->gs,
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(segs); i++)
		if (vmx_seg_usable(segs[i]) && segs[i]->s)
			segs[i]->type |= 1;
	if (vmx_seg_usable(&sr->tr) && !sr->tr.s &&
	    (sr->tr.type == 1 || sr->tr.type == 9))
		sr->tr.type |= 2;
}

/*
 * The checks of SDM 26.3.1.1 (control registers, EFER) and 26.3.1.2
 * (segments, descriptor tables) that depend on the state a VMM sets, so
 * that a VMM error is an errno and never a failed entry; plus what
 * set_sregs refuses on SVM (CR0 reserved bits, PG without PE, NW without
 * CD, LMA != LME && PG), so that both backends refuse the same.  Not
 * virtual-8086 mode (RFLAGS.VM is set_regs's business: an entry in that
 * state with non-vm86 segments fails as VMEM_EXIT_FAIL_ENTRY).
 */
static int vmx_check_sregs(struct vmx_vcpu *vmx, const struct vmem_sregs *sr)
{
	u64 cr0 = sr->cr0, cr4 = sr->cr4, efer = sr->efer;
	bool pe = cr0 & X86_CR0_PE;
	bool lma = efer & EFER_LMA;
	bool lme_pg = (efer & EFER_LME) && (cr0 & X86_CR0_PG);
	const struct vmem_segment *cs = &sr->cs, *ss = &sr->ss;
	const struct vmem_segment *data[] = { &sr->ds, &sr->es, &sr->fs,
					      &sr->gs };
	int i;

	if (!vmx_seg_fields_ok(&sr->cs) || !vmx_seg_fields_ok(&sr->ds) ||
	    !vmx_seg_fields_ok(&sr->es) || !vmx_seg_fields_ok(&sr->fs) ||
	    !vmx_seg_fields_ok(&sr->gs) || !vmx_seg_fields_ok(&sr->ss) ||
	    !vmx_seg_fields_ok(&sr->tr) || !vmx_seg_fields_ok(&sr->ldt))
		return -EINVAL;
	if (sr->gdt.pad[0] || sr->gdt.pad[1] || sr->gdt.pad[2] ||
	    sr->idt.pad[0] || sr->idt.pad[1] || sr->idt.pad[2])
		return -EINVAL;

	/* CR0 (26.3.1.1, with CD/NW/NE ours, see vmx_write_cr0()). */
	if (cr0 & ~(u64)VMX_CR0_VALID)
		return -EINVAL;
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return -EINVAL;
	if ((cr0 & X86_CR0_PG) && !pe)
		return -EINVAL;
	/*
	 * Real mode needs unrestricted guest; so does unpaged protected
	 * mode, except on the shadow MMU (an identity shadow).
	 */
	if (!vmx->unrestricted && !pe)
		return -EINVAL;
	if (!vmx->unrestricted && !vmx->shadow && !(cr0 & X86_CR0_PG))
		return -EINVAL;

	/* CR4: what the CPU and vmem allow (x86/cr.c); VMXE is ours. */
	if (vmem_x86_cr4_check(cr4, efer, vmx_caps.cr4_allowed))
		return -EINVAL;

	/* EFER and long mode. */
	if (efer & ~(u64)VMX_EFER_VALID)
		return -EINVAL;
	if ((efer & (EFER_LME | EFER_LMA)) && !boot_cpu_has(X86_FEATURE_LM))
		return -EINVAL;
	if (lma != lme_pg)
		return -EINVAL;

	/* CR3: no bits beyond MAXPHYADDR (26.3.1.1); below 4 GiB outside
	 * long mode, as on SVM. */
	if (lma ? (sr->cr3 >> vmx_caps.phys_bits) : (sr->cr3 >> 32))
		return -EINVAL;
	if (sr->cr8 > 15)
		return -EINVAL;

	/* Descriptor tables: canonical bases (limits are 16-bit already). */
	if (!vmx_canonical(sr->gdt.base) || !vmx_canonical(sr->idt.base))
		return -EINVAL;

	/* TR: usable, TI clear, a busy TSS of the mode's size. */
	if (!vmx_seg_usable(&sr->tr) || (sr->tr.selector & 4) || sr->tr.s ||
	    !vmx_limit_ok(&sr->tr) || !vmx_canonical(sr->tr.base))
		return -EINVAL;
	if (sr->tr.type != 11 && (lma || sr->tr.type != 3))
		return -EINVAL;

	/* LDTR: if usable, TI clear and an LDT. */
	if (vmx_seg_usable(&sr->ldt) &&
	    ((sr->ldt.selector & 4) || sr->ldt.type != 2 || sr->ldt.s ||
	     !vmx_limit_ok(&sr->ldt) || !vmx_canonical(sr->ldt.base)))
		return -EINVAL;

	/*
	 * CS: usable, an accessed code segment, or (unrestricted guest)
	 * the accessed read/write data segment of real mode.  DPL: 0 for
	 * type 3, SS.DPL for non-conforming, <= SS.DPL for conforming.
	 * In 64-bit mode not L and D together.  Base below 4 GiB.
	 */
	if (!vmx_seg_usable(cs) || !cs->s || !vmx_limit_ok(cs) ||
	    (cs->base >> 32))
		return -EINVAL;
	switch (cs->type) {
	case 3:
		if (!vmx->unrestricted || cs->dpl)
			return -EINVAL;
		break;
	case 9:
	case 11:
		if (cs->dpl != ss->dpl)
			return -EINVAL;
		break;
	case 13:
	case 15:
		if (cs->dpl > ss->dpl)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (lma && cs->l && cs->db)
		return -EINVAL;

	/* SS: read/write accessed data if usable; DPL 0 in real mode. */
	if ((cs->type == 3 || !pe) && ss->dpl)
		return -EINVAL;
	if (vmx_seg_usable(ss) &&
	    ((ss->type != 3 && ss->type != 7) || !ss->s ||
	     !vmx_limit_ok(ss) || (ss->base >> 32)))
		return -EINVAL;

	/* DS, ES, FS, GS: accessed, readable if code. */
	for (i = 0; i < ARRAY_SIZE(data); i++) {
		const struct vmem_segment *d = data[i];

		/* FS and GS bases must be canonical even when unusable. */
		if (!vmx_canonical(d->base))
			return -EINVAL;
		if (!vmx_seg_usable(d))
			continue;
		if (!(d->type & 1) || ((d->type & 8) && !(d->type & 2)) ||
		    !d->s || !vmx_limit_ok(d))
			return -EINVAL;
		if ((d == &sr->ds || d == &sr->es) && (d->base >> 32))
			return -EINVAL;
	}
	return 0;
}

/*
 * The four PAE page-directory-pointer entries at @cr3 (SDM 4.4.1): with
 * EPT, VM entry loads them from the VMCS, not from memory, so whoever
 * changes CR3/CR0/CR4 behind the CPU's back (SET_SREGS, an emulated MOV
 * CR) reads them.  -EINVAL if they are not in RAM or a present one has a
 * reserved bit set (MOV to CR3 would #GP).  May sleep.
 */
static int vmx_read_pdptes(struct vmem_vcpu *vcpu, u64 cr3, u64 pdpte[4])
{
	u64 rsvd = VMX_PDPTE_RSVD | GENMASK_ULL(63, vmx_caps.phys_bits);
	int i;

	if (vmem_read_guest(vcpu->vm, cr3 & GENMASK_ULL(31, 5), pdpte,
			    4 * sizeof(u64)))
		return -EINVAL;
	for (i = 0; i < 4; i++)
		if ((pdpte[i] & VMX_PDPTE_P) && (pdpte[i] & rsvd))
			return -EINVAL;
	return 0;
}

static bool vmx_pae_paging(u64 cr0, u64 cr4, u64 efer)
{
	return (cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) && !(efer & EFER_LMA);
}

int vmx_set_sregs(struct vmem_vcpu *vcpu, const struct vmem_sregs *sregs)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmem_sregs sr = *sregs;
	u64 pdpte[4] = { 0 };
	int i, r;

	vmx_fixup_sregs(&sr);
	r = vmx_check_sregs(vmx, &sr);
	if (r)
		return r;
	/* Without EPT the entry loads them from the shadow root instead. */
	if (!vmx->shadow && vmx_pae_paging(sr.cr0, sr.cr4, sr.efer)) {
		r = vmx_read_pdptes(vcpu, sr.cr3, pdpte);
		if (r)
			return r;
	}

	r = vmx_vmcs_get(vmx);
	if (r) {
		vmx_vmcs_put(vmx);
		return r;
	}
	vmx_write_seg(VMEM_SEG_CS, &sr.cs);
	vmx_write_seg(VMEM_SEG_DS, &sr.ds);
	vmx_write_seg(VMEM_SEG_ES, &sr.es);
	vmx_write_seg(VMEM_SEG_FS, &sr.fs);
	vmx_write_seg(VMEM_SEG_GS, &sr.gs);
	vmx_write_seg(VMEM_SEG_SS, &sr.ss);
	vmx_write_seg(VMEM_SEG_TR, &sr.tr);
	vmx_write_seg(VMEM_SEG_LDTR, &sr.ldt);
	vmcs_write(VMCS_GUEST_GDTR_BASE, sr.gdt.base);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, sr.gdt.limit);
	vmcs_write(VMCS_GUEST_IDTR_BASE, sr.idt.base);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, sr.idt.limit);
	/* ET is hardwired to 1 on every CPU with VMX. */
	vmx_write_cr0(vmx, sr.cr0 | X86_CR0_ET);
	vmx->gcr3 = sr.cr3;
	vmcs_write(VMCS_GUEST_CR3,
		   vmx->shadow ? vmem_shadow_root_hpa(vcpu) : sr.cr3);
	vmx_write_cr4(vmx, sr.cr4);
	vmx_write_efer(vmx, sr.efer);
	for (i = 0; i < 4; i++)
		vmcs_write(VMCS_GUEST_PDPTE(i), pdpte[i]);
	vmx_vmcs_put(vmx);

	vmx->cr2 = sr.cr2;
	vmx->cr8 = sr.cr8;
	/*
	 * The guest's paging state changed behind its back: its VPID may
	 * hold translations of the old one, and so may the shadow.
	 */
	vmx->flush = true;
	if (vmx->shadow)
		vmem_shadow_reset(vcpu, sr.efer & EFER_LMA);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Control registers written by the guest (emulated MOV CR, vmx_exit.c)    */

/*
 * MOV to CR0 (SDM vol. 2 "MOV - Move to/from Control Registers", 4.1.2):
 * 0 or -EINVAL for #GP; VMCS current.  *@pae_needed is set when the new
 * state is PAE paging, whose PDPTEs the caller must load.  Reserved bits
 * in CR0[31:0] are ignored by the CPU, ET reads as 1.
 */
static int vmx_check_cr0(struct vmx_vcpu *vmx, u64 cr0, u64 *efer_out)
{
	u64 old = vmx_read_cr0(vmx);
	u64 cr4 = vmx_read_cr4(vmx);
	u64 efer = vmx_guest_efer(vmx);
	bool cs_l = vmcs_read32(VMCS_GUEST_SEG_AR(VMEM_SEG_CS)) & VMX_AR_L;

	if (cr0 >> 32)
		return -EINVAL;
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return -EINVAL;
	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return -EINVAL;
	if (!(old & X86_CR0_PG) && (cr0 & X86_CR0_PG) && (efer & EFER_LME)) {
		/* Activating long mode: PAE on, from a 32-bit CS. */
		if (!(cr4 & X86_CR4_PAE) || cs_l)
			return -EINVAL;
		efer |= EFER_LMA;
	}
	if ((old & X86_CR0_PG) && !(cr0 & X86_CR0_PG)) {
		if (cr4 & X86_CR4_PCIDE)
			return -EINVAL;
		if (efer & EFER_LMA) {
			/* Only from compatibility mode. */
			if (cs_l)
				return -EINVAL;
			efer &= ~EFER_LMA;
		}
	}
	*efer_out = efer;
	return 0;
}

/* MOV to CR4, same conventions. */
static int vmx_check_cr4(struct vmx_vcpu *vmx, u64 cr4)
{
	return vmem_x86_mov_cr4_check(cr4, vmx_read_cr4(vmx),
				      vmx_guest_efer(vmx), vmx_guest_cr3(vmx),
				      vmx_caps.cr4_allowed);
}

/*
 * Emulated MOV to CR0/CR4 (a bit the guest does not own changed).  0, or
 * -EINVAL for #GP, or -EOPNOTSUPP when the new state cannot run here
 * (real mode without unrestricted guest; unpaged protected mode too,
 * except on the shadow MMU).  May sleep (PDPTEs).
 */
static int vmx_set_cr(struct vmem_vcpu *vcpu, int nr, u64 val)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 cr0, cr4, efer, cr3, pdpte[4] = { 0 };
	u64 old_cr0 = 0, old_cr4 = 0, old_efer = 0;
	bool pae;
	int i, r;

	if (nr == 0)
		val = (val & VMX_CR0_VALID) | X86_CR0_ET;

	r = vmx_vmcs_get(vmx);
	if (!r) {
		cr0 = old_cr0 = vmx_read_cr0(vmx);
		cr4 = old_cr4 = vmx_read_cr4(vmx);
		efer = old_efer = vmx_guest_efer(vmx);
		cr3 = vmx_guest_cr3(vmx);
		if (nr == 0) {
			r = vmx_check_cr0(vmx, val, &efer);
			cr0 = val;
		} else {
			r = vmx_check_cr4(vmx, val);
			cr4 = val;
		}
	}
	vmx_vmcs_put(vmx);
	if (r)
		return r;
	if (!vmx->unrestricted && (!(cr0 & X86_CR0_PE) ||
				   (!vmx->shadow && !(cr0 & X86_CR0_PG))))
		return -EOPNOTSUPP;

	/* The shadow MMU's PDPTEs are the shadow root's, loaded at entry. */
	pae = !vmx->shadow && vmx_pae_paging(cr0, cr4, efer);
	if (pae && vmx_read_pdptes(vcpu, cr3, pdpte))
		return -EINVAL;

	r = vmx_vmcs_get(vmx);
	if (!r) {
		if (nr == 0)
			vmx_write_cr0(vmx, cr0);
		else
			vmx_write_cr4(vmx, cr4);
		vmx_write_efer(vmx, efer);
		if (pae)
			for (i = 0; i < 4; i++)
				vmcs_write(VMCS_GUEST_PDPTE(i), pdpte[i]);
	}
	vmx_vmcs_put(vmx);
	/* Paging bits may have changed: as the real MOV would, flush. */
	vmx->flush = true;
	if (!r && vmx->shadow &&
	    vmx_shadow_paging_changed(cr0, cr4, efer, old_cr0, old_cr4,
				      old_efer))
		vmem_shadow_reset(vcpu, efer & EFER_LMA);
	return r;
}

int vmx_set_cr0(struct vmem_vcpu *vcpu, u64 cr0)
{
	return vmx_set_cr(vcpu, 0, cr0);
}

int vmx_set_cr4(struct vmem_vcpu *vcpu, u64 cr4)
{
	return vmx_set_cr(vcpu, 4, cr4);
}

/* ---------------------------------------------------------------------- */
/* Debug registers                                                         */

void vmx_get_debugregs(struct vmem_vcpu *vcpu, struct vmem_debugregs *dregs)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	memcpy(dregs->db, vmx->db, sizeof(dregs->db));
	dregs->dr6 = vmx->dr6;
	dregs->dr7 = vmx->dr7;
}

int vmx_set_debugregs(struct vmem_vcpu *vcpu,
		      const struct vmem_debugregs *dregs)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int i, r;

	/* MOV DR #GPs on DR6[63:32] or DR7[63:32]; the VM entry refuses a
	 * DR7 like that (SDM 26.3.1.1). */
	if ((dregs->dr6 >> 32) || (dregs->dr7 >> 32))
		return -EINVAL;
	/* MOV to DR0-3 #GPs on a non-canonical address in 64-bit mode. */
	for (i = 0; i < 4; i++)
		if (!vmx_canonical(dregs->db[i]))
			return -EINVAL;

	r = vmx_vmcs_get(vmx);
	if (!r)
		vmcs_write(VMCS_GUEST_DR7, dregs->dr7 | VMX_RESET_DR7);
	vmx_vmcs_put(vmx);
	if (r)
		return r;
	memcpy(vmx->db, dregs->db, sizeof(vmx->db));
	/* Bits that read as 1 (DR6 reserved bits, DR7 bit 10). */
	vmx->dr6 = dregs->dr6 | VMX_RESET_DR6;
	vmx->dr7 = dregs->dr7 | VMX_RESET_DR7;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* MSRs                                                                    */

/* Each PAT entry is UC, WC, WT, WP, WB or UC- (SDM 13.12.2). */
static bool vmx_pat_valid(u64 pat)
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

/* The MSRs kept in struct vmx_vcpu rather than in the VMCS. */
static u64 *vmx_soft_msr(struct vmx_vcpu *vmx, u32 index)
{
	switch (index) {
	case MSR_STAR:
		return &vmx->uret[VMX_URET_STAR];
	case MSR_LSTAR:
		return &vmx->uret[VMX_URET_LSTAR];
	case MSR_CSTAR:
		return &vmx->uret[VMX_URET_CSTAR];
	case MSR_SYSCALL_MASK:
		return &vmx->uret[VMX_URET_SFMASK];
	case MSR_TSC_AUX:
		return &vmx->uret[VMX_URET_TSC_AUX];
	case MSR_KERNEL_GS_BASE:
		return &vmx->kernel_gs_base;
	case MSR_IA32_DEBUGCTLMSR:
		return &vmx->debugctl;
	}
	return NULL;
}

/* The VMCS field of an MSR the VMCS holds, 0 if none. */
static unsigned long vmx_vmcs_msr(u32 index)
{
	switch (index) {
	case MSR_EFER:
		return VMCS_GUEST_EFER;
	case MSR_FS_BASE:
		return VMCS_GUEST_SEG_BASE(VMEM_SEG_FS);
	case MSR_GS_BASE:
		return VMCS_GUEST_SEG_BASE(VMEM_SEG_GS);
	case MSR_IA32_SYSENTER_CS:
		return VMCS_GUEST_SYSENTER_CS;
	case MSR_IA32_SYSENTER_ESP:
		return VMCS_GUEST_SYSENTER_ESP;
	case MSR_IA32_SYSENTER_EIP:
		return VMCS_GUEST_SYSENTER_EIP;
	case MSR_IA32_CR_PAT:
		return VMCS_GUEST_PAT;
	case MSR_IA32_TSC:
		return VMCS_TSC_OFFSET;
	}
	return 0;
}

/*
 * Both the VMM (VMEM_GET/SET_MSRS) and a guest RDMSR/WRMSR exit come here
 * through the core; -EINVAL becomes #GP for the guest.  The same set and
 * the same checks as the SVM backend.
 */
int vmx_get_msr(struct vmem_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long field = vmx_vmcs_msr(index);
	u64 *soft = vmx_soft_msr(vmx, index);
	int r;

	if (soft) {
		*data = *soft;
		return 0;
	}
	if (!field)
		return -ENOENT;
	r = vmx_vmcs_get(vmx);
	if (!r) {
		*data = vmcs_read(field);
		if (index == MSR_IA32_TSC)
			*data += rdtsc();
		else if (index == MSR_EFER)
			*data = vmx_guest_efer(vmx);
	}
	vmx_vmcs_put(vmx);
	return r ? -EIO : 0;
}

static int vmx_check_msr(struct vmx_vcpu *vmx, u32 index, u64 *data)
{
	u64 v = *data;

	switch (index) {
	case MSR_EFER:
		/*
		 * As WRMSR does it: reserved bits #GP, LME may not change
		 * while paging is on, LMA is read-only (kept as is).
		 */
		if (v & ~(u64)VMX_EFER_VALID)
			return -EINVAL;
		if ((vmx_read_cr0(vmx) & X86_CR0_PG) &&
		    ((v ^ vmx_guest_efer(vmx)) & EFER_LME))
			return -EINVAL;
		*data = (v & ~EFER_LMA) | (vmx_guest_efer(vmx) & EFER_LMA);
		return 0;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		return vmx_canonical(v) ? 0 : -EINVAL;
	case MSR_SYSCALL_MASK:
	case MSR_IA32_SYSENTER_CS:
	case MSR_TSC_AUX:
		return (v >> 32) ? -EINVAL : 0;
	case MSR_IA32_CR_PAT:
		return vmx_pat_valid(v) ? 0 : -EINVAL;
	case MSR_IA32_DEBUGCTLMSR:
		/*
		 * Kept for the guest to read back, without effect (the
		 * VMCS's stays 0, as the SVM backend without LBR
		 * virtualization): LBR and BTF; other bits #GP.
		 */
		return (v & ~(u64)(DEBUGCTLMSR_LBR | DEBUGCTLMSR_BTF)) ?
		       -EINVAL : 0;
	}
	return 0;
}

int vmx_set_msr(struct vmem_vcpu *vcpu, u32 index, u64 data)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long field = vmx_vmcs_msr(index);
	u64 *soft = vmx_soft_msr(vmx, index);
	u64 old_efer = vmx->gefer;
	int r;

	if (!soft && !field)
		return -ENOENT;
	r = vmx_vmcs_get(vmx);
	if (!r) {
		r = vmx_check_msr(vmx, index, &data);
		if (!r && field) {
			if (index == MSR_IA32_TSC)
				data -= rdtsc();
			if (index == MSR_EFER)
				vmx_write_efer(vmx, data);
			else
				vmcs_write(field, data);
		}
	} else {
		r = -EIO;
	}
	vmx_vmcs_put(vmx);
	if (!r && soft)
		*soft = data;
	/* NXE changes what the guest's entries mean. */
	if (!r && vmx->shadow && index == MSR_EFER &&
	    vmx_shadow_paging_changed(0, 0, data, 0, 0, old_efer))
		vmem_shadow_reset(vcpu, data & EFER_LMA);
	return r;
}

/* ---------------------------------------------------------------------- */
/* Events                                                                  */

/*
 * In the shadow of an STI or MOV SS: the exit's interruptibility state,
 * unless the core has since moved RIP past the instruction (emulated it:
 * e.g. HLT right after STI), which ends the shadow.
 */
static bool vmx_in_shadow(struct vmem_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	return (vmx->intr_state & VMX_INTR_STATE_SHADOW) &&
	       vcpu->rip == vmx->exit_rip;
}

/*
 * An external interrupt can be injected at the next entry: IF set, no
 * STI/MOV SS shadow, and nothing queued ahead of it.
 */
bool vmx_interrupt_allowed(struct vmem_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	return (vmx->rflags & X86_EFLAGS_IF) && !vmx_in_shadow(vcpu, vmx) &&
	       !vcpu->exception.pending && !vcpu->interrupt.pending;
}

/*
 * With virtual NMIs the CPU tracks the guest's NMI blocking (set when one
 * is delivered, cleared by its IRET) in the interruptibility state; as on
 * SVM, an interrupt shadow also holds NMIs back (and the VM entry would
 * refuse an NMI under MOV SS blocking).
 */
bool vmx_nmi_allowed(struct vmem_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	return !(vmx->intr_state & VMX_INTR_STATE_NMI) &&
	       !vmx_in_shadow(vcpu, vmx);
}

void vmx_enable_irq_window(struct vmem_vcpu *vcpu, bool enable)
{
	to_vmx(vcpu)->irq_window = enable;
}

/*
 * Inject at most one event (the VM-entry interruption field holds one),
 * in the order the CPU would take them: an exception, then an NMI, then
 * an external interrupt.  What must wait gets a window exit: NMI-window
 * exiting while an NMI is pending (it fires once the guest's NMI
 * blocking and shadow end, e.g. after the IRET of its NMI handler), and
 * interrupt-window exiting while an interrupt is pending or the core or
 * the VMM asked for a window (it fires once IF is set and no shadow).
 * VMCS current, interrupts off.
 */
static void vmx_inject_events(struct vmem_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	bool window = false;
	u32 proc = vmx->proc & ~(VMX_PROC_INTR_WINDOW | VMX_PROC_NMI_WINDOW);
	u32 info = 0;

	if (vcpu->exception.pending) {
		u8 vector = vcpu->exception.vector;

		vcpu->exception.pending = false;
		/* A #PF the core queued: CR2 is written as delivery begins. */
		if (vcpu->exception.cr2_valid) {
			vmx->cr2 = vcpu->exception.cr2;
			vcpu->exception.cr2_valid = false;
		}
		if (vector < 32 && vector != X86_TRAP_NMI) {
			info = vector | VMX_INTR_TYPE_HW_EXC | VMX_INTR_VALID;
			/*
			 * Real mode pushes no error codes, and the VM entry
			 * refuses one there (SDM 26.2.1.3).
			 */
			if (vcpu->exception.has_error &&
			    (vmcs_read(VMCS_GUEST_CR0) & X86_CR0_PE)) {
				info |= VMX_INTR_ERROR_VALID;
				vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR,
					   vcpu->exception.error_code);
			}
		} else {
			pr_warn_ratelimited("vCPU %u: dropped exception vector %u\n",
					    vcpu->id, vector);
		}
	} else if (vcpu->nmi_pending && vmx_nmi_allowed(vcpu)) {
		vcpu->nmi_pending = false;
		info = X86_TRAP_NMI | VMX_INTR_TYPE_NMI | VMX_INTR_VALID;
	} else if (vcpu->interrupt.pending &&
		   (vmx->rflags & X86_EFLAGS_IF) &&
		   !(vmx->intr_state & VMX_INTR_STATE_SHADOW)) {
		vcpu->interrupt.pending = false;
		info = vcpu->interrupt.vector | VMX_INTR_TYPE_EXTINT |
		       VMX_INTR_VALID;
	}
	if (info)
		vmcs_write(VMCS_ENTRY_INTR_INFO, info);

	if (vcpu->interrupt.pending || vcpu->exception.pending ||
	    vmx->irq_window || READ_ONCE(vcpu->run->request_interrupt_window))
		window = true;
	if (window)
		proc |= VMX_PROC_INTR_WINDOW;
	if (vcpu->nmi_pending)
		proc |= VMX_PROC_NMI_WINDOW;
	vmx_set_proc(vmx, proc);
}

/*
 * After the exit: an event that was being delivered when it happened
 * (IDT-vectoring information, SDM 28.2.4) goes back in the queue to be
 * injected again.  Software interrupts and exceptions (INT n, INT3, INTO,
 * INT1) are not re-queued: RIP still points at the instruction, which
 * raises them again when it re-executes.  An NMI that was being delivered
 * does not count as blocking NMIs (SDM 28.2.4 / 27.7.1.2).
 */
static void vmx_complete_events(struct vmem_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	u32 info = vmx->idt_info;
	u8 vector = info & VMX_INTR_VECTOR_MASK;

	if (!(info & VMX_INTR_VALID))
		return;

	switch (info & VMX_INTR_TYPE_MASK) {
	case VMX_INTR_TYPE_NMI:
		vcpu->nmi_pending = true;
		if (vmx->intr_state & VMX_INTR_STATE_NMI) {
			vmx->intr_state &= ~VMX_INTR_STATE_NMI;
			vmx->state_dirty = true;
		}
		break;
	case VMX_INTR_TYPE_HW_EXC:
		vmem_requeue_exception(vcpu, vector,
				       info & VMX_INTR_ERROR_VALID,
				       (info & VMX_INTR_ERROR_VALID) ?
				       vmcs_read32(VMCS_IDT_VECTORING_ERROR) : 0);
		break;
	case VMX_INTR_TYPE_EXTINT:
		vcpu->interrupt.pending = true;
		vcpu->interrupt.vector = vector;
		break;
	default:
		break;
	}
}

/* ---------------------------------------------------------------------- */
/* Entry                                                                   */

/*
 * The guest's debug registers DR0-3 and DR6 are in the hardware while the
 * guest may use them: when its DR7 arms a breakpoint or when it touched a
 * debug register since the last exit.  Host breakpoints are disarmed
 * first so they cannot fire on guest addresses in the host; the entry
 * loads the guest's DR7 from the VMCS.
 */
static bool vmx_load_guest_db(struct vmx_vcpu *vmx)
{
	if (!vmx->db_guest_owned && !(vmx->dr7 & VMX_DR7_BP_ENABLED))
		return false;
	set_debugreg(0, 7);
	set_debugreg(vmx->db[0], 0);
	set_debugreg(vmx->db[1], 1);
	set_debugreg(vmx->db[2], 2);
	set_debugreg(vmx->db[3], 3);
	set_debugreg(vmx->dr6, 6);
	return true;
}

static void vmx_save_guest_db(struct vmx_vcpu *vmx)
{
	if (vmx->db_guest_owned) {
		get_debugreg(vmx->db[0], 0);
		get_debugreg(vmx->db[1], 1);
		get_debugreg(vmx->db[2], 2);
		get_debugreg(vmx->db[3], 3);
		get_debugreg(vmx->dr6, 6);
		vmx->dr7 = vmcs_read(VMCS_GUEST_DR7);
		vmx->db_guest_owned = false;
		vmx_set_proc(vmx, vmx->proc | VMX_PROC_MOV_DR_EXITING);
	}
	set_debugreg(VMX_RESET_DR6, 6);
}

/*
 * A machine check that hit the guest is the host's: hand it to the host's
 * handler as if it came from user mode, as KVM does.
 */
static void vmx_handle_mce(void)
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
 * Host state VMX does not restore, or restores in its own way (SDM 28.5):
 * what the entry path saves before the entry and puts back after it.
 */
struct vmx_host_state {
	u16 ds, es, fs, gs, ldt;
	unsigned long fs_base;
	u64 kernel_gs_base;
	u64 debugctl;
};

static void vmx_save_host(struct vmx_vcpu *vmx, struct vmx_host_state *h)
{
	unsigned long cr3 = __read_cr3(), cr4 = cr4_read_shadow();

	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
	store_ldt(h->ldt);
	h->fs_base = x86_fsbase_read_cpu();
	rdmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	h->debugctl = 0;
	if (vmx_caps.has_debugctl)
		rdmsrl(MSR_IA32_DEBUGCTLMSR, h->debugctl);

	/* CR3 follows the task (and its PCID), CR4 can change per task. */
	if (unlikely(cr3 != vmx->host_cr3)) {
		vmcs_write(VMCS_HOST_CR3, cr3);
		vmx->host_cr3 = cr3;
	}
	if (unlikely(cr4 != vmx->host_cr4)) {
		vmcs_write(VMCS_HOST_CR4, cr4);
		vmx->host_cr4 = cr4;
	}
	if (unlikely(h->fs_base != vmx->host_fs_base)) {
		vmcs_write(VMCS_HOST_FS_BASE, h->fs_base);
		vmx->host_fs_base = h->fs_base;
	}
	/* SWAPGS changes it in the guest without an exit: switch it. */
	wrmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
}

/*
 * After a VM exit (interrupts off).  The exit loaded CS/SS/TR, the GS and
 * FS bases, CR0/3/4, EFER, PAT, SYSENTER and RSP/RIP from the VMCS; it set
 * DS, ES, FS, GS to null selectors, LDTR to unusable, the GDTR/IDTR limits
 * to 0xffff, the TR limit to 0x67, DR7 to 0x400 and DEBUGCTL to 0.  Put
 * the rest of the host's back.
 */
static void vmx_restore_host(struct vmx_vcpu *vmx, struct vmx_host_state *h)
{
	rdmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);

	native_load_gdt(&this_cpu_ptr(&vmx_cpu)->gdt);
	if (unlikely(h->ds | h->es)) {
		loadsegment(ds, h->ds);
		loadsegment(es, h->es);
	}
	if (unlikely(h->fs)) {
		loadsegment(fs, h->fs);
		wrmsrl(MSR_FS_BASE, h->fs_base);
	}
	/* load_gs_index() leaves the selector's base in KERNEL_GS_BASE. */
	if (unlikely(h->gs))
		vmem_load_gs_index(h->gs);
	wrmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	if (unlikely(h->ldt))
		asm volatile("lldt %w0" : : "r" (h->ldt) : "memory");
	/* The I/O bitmap past 0x67, for a task that has one (ioperm). */
	invalidate_tss_limit();
	if (unlikely(h->debugctl))
		wrmsrl(MSR_IA32_DEBUGCTLMSR, h->debugctl);
	/* Legacy IBRS is rewritten in __vmx_vcpu_run, before its RET. */
}

/* Read what the exit handlers need while the VMCS is surely here. */
static void vmx_read_exit(struct vmem_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	u32 reason = vmcs_read32(VMCS_EXIT_REASON);
	u64 efer;

	vmx->exit_reason = reason;
	vmx->exit_qual = vmcs_read(VMCS_EXIT_QUAL);
	vmx->insn_len = vmcs_read32(VMCS_EXIT_INSN_LEN);
	vmx->idt_info = 0;
	vmx->exit_intr_info = 0;

	if (reason & VMX_REASON_FAILED_ENTRY)
		return;

	vcpu->rip = vmcs_read(VMCS_GUEST_RIP);
	vcpu->regs[VMEM_RSP] = vmcs_read(VMCS_GUEST_RSP);
	vmx->rflags = vmcs_read(VMCS_GUEST_RFLAGS);
	vmx->intr_state = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
	vmx->idt_info = vmcs_read32(VMCS_IDT_VECTORING_INFO);
	vmx->exit_rip = vcpu->rip;

	switch (VMX_REASON_BASIC(reason)) {
	case VMX_REASON_EXCEPTION_NMI:
		vmx->exit_intr_info = vmcs_read32(VMCS_EXIT_INTR_INFO);
		vmx->exit_intr_error = vmcs_read32(VMCS_EXIT_INTR_ERROR);
		/* The guest's IRET that faulted had unblocked NMIs: block
		 * them again before it re-executes (SDM 28.2.3). */
		if ((vmx->exit_intr_info & VMX_INTR_NMI_UNBLOCK) &&
		    !(vmx->idt_info & VMX_INTR_VALID)) {
			vmx->intr_state |= VMX_INTR_STATE_NMI;
			vmx->state_dirty = true;
		}
		break;
	case VMX_REASON_EPT_VIOLATION:
		vmx->exit_gpa = vmcs_read(VMCS_GUEST_PHYS_ADDR);
		if ((vmx->exit_qual & VMX_EPT_QUAL_NMI_UNBLOCK) &&
		    !(vmx->idt_info & VMX_INTR_VALID)) {
			vmx->intr_state |= VMX_INTR_STATE_NMI;
			vmx->state_dirty = true;
		}
		break;
	case VMX_REASON_EPT_MISCONFIG:
		vmx->exit_gpa = vmcs_read(VMCS_GUEST_PHYS_ADDR);
		break;
	case VMX_REASON_IO:
		vmx->insn_info = vmcs_read32(VMCS_EXIT_INSN_INFO);
		break;
	}

	/*
	 * The guest may have switched long mode on or off itself (MOV to
	 * CR0 with PG, without an exit): the "IA-32e mode guest" entry
	 * control must follow EFER.LMA for the next entry.  Not on the
	 * shadow MMU, where CR0.PG writes exit and the VMCS's EFER is not
	 * the guest's.
	 */
	efer = vmcs_read(VMCS_GUEST_EFER);
	if (!vmx->shadow &&
	    !!(efer & EFER_LMA) != !!(vmx->entry & VMX_ENTRY_IA32E))
		vmx_write_efer(vmx, efer);
}

/*
 * RDTSCP and RDPID (one control: "enable RDTSCP") exist for the guest only
 * if its CPUID says so, as on SVM; otherwise they #UD.  The table is
 * looked at again only when the VMM set a new one (a new allocation).
 */
static void vmx_update_rdtscp(struct vmem_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	u32 eax, ebx, ecx, edx, proc2;
	bool on;

	if (!(vmx_caps.proc2 & VMX_PROC2_RDTSCP) ||
	    (vcpu->cpuid == vmx->cpuid_seen &&
	     vcpu->nr_cpuid == vmx->nr_cpuid_seen))
		return;
	vmx->cpuid_seen = vcpu->cpuid;
	vmx->nr_cpuid_seen = vcpu->nr_cpuid;

	vmem_cpuid_lookup(vcpu, 0x80000001, 0, &eax, &ebx, &ecx, &edx);
	on = edx & BIT(27);			/* RDTSCP */
	vmem_cpuid_lookup(vcpu, 7, 0, &eax, &ebx, &ecx, &edx);
	on |= !!(ecx & BIT(22));		/* RDPID */
	proc2 = on ? vmx->proc2 | VMX_PROC2_RDTSCP :
		     vmx->proc2 & ~VMX_PROC2_RDTSCP;
	if (proc2 != vmx->proc2) {
		vmx->proc2 = proc2;
		vmcs_write(VMCS_PROC2_CTLS, proc2);
	}
}

/*
 * One entry.  Called by the core with preemption and interrupts off, the
 * guest FPU loaded, vcpu->mode == VMEM_IN_GUEST.
 */
void vmx_vcpu_run(struct vmem_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_host_state host;
	bool guest_db;
	int owner, r;

	vmx->exit_reason = VMX_PSEUDO_VMX_OFF;
	vmx->idt_info = 0;
	owner = READ_ONCE(vmx->cpu);
	if (owner >= 0 && owner != smp_processor_id()) {
		/* Still active where it last ran: vmx_handle_exit() clears it. */
		vmx->exit_reason = VMX_PSEUDO_MIGRATE;
		return;
	}
	if (vmx_vmcs_load_here(vmx))
		return;
	/*
	 * Real mode without unrestricted guest (a shadow VM) would run as
	 * 16-bit protected mode under the CPU's forced CR0.PE: never enter.
	 */
	if (vmx->shadow && !(vmcs_read(VMCS_CR0_SHADOW) & X86_CR0_PE)) {
		vmx->exit_reason = VMX_PSEUDO_REAL_MODE;
		return;
	}

	/*
	 * TLB: TDP entries zapped by the core (VMEM_REQ_TLB_FLUSH), a new
	 * CPU that may hold stale translations of this EPTP/VPID, or guest
	 * paging state changed behind the guest's back.  Single-context
	 * INVEPT drops the guest-physical and combined mappings of this
	 * EPTP, INVVPID the linear ones of this VPID (all a shadow VM has:
	 * see vmx_shadow.c).
	 */
	if (test_and_clear_bit(VMEM_REQ_TLB_FLUSH, &vcpu->requests) ||
	    vmx->flush) {
		if (!vmx->shadow &&
		    (vmx_caps.ept_vpid_cap & VMX_EPT_CAP_INVEPT_SINGLE))
			vmx_invept(VMX_INVEPT_SINGLE, vmx->eptp);
		else if (!vmx->shadow)
			vmx_invept(VMX_INVEPT_ALL, 0);
		if (vmx->vpid) {
			if (vmx_caps.ept_vpid_cap & VMX_VPID_CAP_INVVPID_SINGLE)
				vmx_invvpid(VMX_INVVPID_SINGLE, vmx->vpid);
			else
				vmx_invvpid(VMX_INVVPID_ALL, 0);
		}
		vmx->flush = false;
	}

	/* The core emulated an instruction: its shadow ended with it. */
	if (vcpu->rip != vmx->exit_rip &&
	    (vmx->intr_state & VMX_INTR_STATE_SHADOW)) {
		vmx->intr_state &= ~VMX_INTR_STATE_SHADOW;
		vmx->state_dirty = true;
	}
	/* The entry refuses STI blocking with IF clear (SDM 26.3.1.5). */
	if (!(vmx->rflags & X86_EFLAGS_IF) &&
	    (vmx->intr_state & VMX_INTR_STATE_STI)) {
		vmx->intr_state &= ~VMX_INTR_STATE_STI;
		vmx->state_dirty = true;
	}
	vmx_update_rdtscp(vcpu, vmx);

	/*
	 * Bochs 2.7 leaves external interrupts masked for the whole entry
	 * when the guest enters with RFLAGS.IF=0 (it evaluates the mask
	 * while loading the guest state, before it is "in the guest"), so a
	 * guest spinning with interrupts off would never exit and the host
	 * would stop.  Entering with IF=0, bound the stay with the VMX
	 * preemption timer (about 1 ms); it costs nothing otherwise.
	 */
	if (vmx_caps.preempt_timer) {
		u32 pin = vmx_caps.pin;

		if (!(vmx->rflags & X86_EFLAGS_IF))
			pin |= VMX_PIN_PREEMPTION_TIMER;
		if (pin != vmx->pin) {
			vmx->pin = pin;
			vmcs_write(VMCS_PIN_CTLS, pin);
		}
	}
	if (vmx->state_dirty) {
		vmcs_write(VMCS_GUEST_RFLAGS, vmx->rflags);
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, vmx->intr_state);
		vmx->state_dirty = false;
	}
	vmx_inject_events(vcpu, vmx);

	vmcs_write(VMCS_GUEST_RIP, vcpu->rip);
	vmcs_write(VMCS_GUEST_RSP, vcpu->regs[VMEM_RSP]);
	if (native_read_cr2() != vmx->cr2)
		native_write_cr2(vmx->cr2);

	vmx_uret_load(vmx);
	vmx_save_host(vmx, &host);
	guest_db = vmx_load_guest_db(vmx);

	r = __vmx_vcpu_run(vcpu->regs, vmx->launched, &vmx->host_rsp);

	vmx_restore_host(vmx, &host);
	vmx->cr2 = native_read_cr2();
	if (guest_db)
		vmx_save_guest_db(vmx);
	if (guest_db || hw_breakpoint_active())
		hw_breakpoint_restore();

	switch (r) {
	case VMX_RUN_EXIT:
		break;
	case VMX_RUN_FAIL_VALID:
		vmx->exit_reason = VMX_PSEUDO_VMFAIL;
		vmx->insn_error = vmcs_read32(VMCS_INSN_ERROR);
		return;
	case VMX_RUN_FAIL_INVALID:
		vmx->exit_reason = VMX_PSEUDO_VMFAIL;
		vmx->insn_error = 0;
		return;
	default:
		vmx->exit_reason = VMX_PSEUDO_FAULT;
		return;
	}

	vmx->launched = true;
	vmx_read_exit(vcpu, vmx);

	if (unlikely(vmx->exit_reason & VMX_REASON_FAILED_ENTRY)) {
		/*
		 * The entry failed while loading the guest state: make sure
		 * the next try is a VMLAUNCH of a clear VMCS, whatever the
		 * CPU did with its launch state.
		 */
		vmx_vmclear(vmx->vmcs_pa);
		vmx_vmptrld(vmx->vmcs_pa);
		vmx->launched = false;
		if (VMX_REASON_BASIC(vmx->exit_reason) ==
		    VMX_REASON_MCE_DURING_ENTRY)
			vmx_handle_mce();
		return;
	}

	vmx_complete_events(vcpu, vmx);

	if (VMX_REASON_BASIC(vmx->exit_reason) == VMX_REASON_EXCEPTION_NMI) {
		u32 info = vmx->exit_intr_info;

		/* An NMI for the host: run its handler now, NMIs unblock. */
		if ((info & VMX_INTR_TYPE_MASK) == VMX_INTR_TYPE_NMI) {
			this_cpu_inc(vmx_cpu.nmi_exits);
			__vmx_do_nmi();
		} else if ((info & VMX_INTR_VECTOR_MASK) == X86_TRAP_MC) {
			vmx_handle_mce();
		}
	}
}
