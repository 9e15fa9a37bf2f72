// SPDX-License-Identifier: GPL-2.0
/*
 * x86/vmx_shadow.c - the VMX backend's side of the shadow MMU
 * (mmu/shadow.c): the controls a shadow VM's VMCS runs with, the CPU's
 * view of the guest's paging registers, and the exits that drive the
 * virtual TLB.  The SVM backend does the same with its intercepts.
 *
 * Without EPT the CPU walks vmem's shadow tables, so:
 *  - every #PF exits (exception bitmap bit 14 with PFEC mask and match 0),
 *    with the linear address in the exit qualification; the guest's CR2
 *    is untouched until vmem injects a #PF of its own;
 *  - MOV to and from CR3 exit (CR3-load/store exiting, no CR3-target
 *    values): the CPU's CR3 is the shadow root, the guest's is
 *    vmx->gcr3;
 *  - CR0.PE/PG/WP and CR4.PAE/PSE/PGE/SMEP/SMAP/PCIDE are owned by the
 *    guest/host masks: the guest reads its own values from the read
 *    shadows without an exit, and every write that changes one exits;
 *  - INVLPG exits with its linear address in the qualification.  INVPCID
 *    stays #UD ("enable INVPCID" is 0 and CPUID does not offer it).
 *
 * Unrestricted guest needs EPT, so the CPU's CR0.PE and PG are always 1.
 * A guest with paging off (protected mode) runs with paging on over an
 * identity shadow (the walker's paging-off mode), as KVM did before
 * unrestricted guest.  Real mode (CR0.PE=0) cannot run: SET_SREGS refuses
 * it with -EINVAL, a vCPU left in it (the reset state) makes RUN report
 * VMEM_EXIT_FAIL_ENTRY with "invalid guest state", and a guest that
 * clears PE gets VMEM_EXIT_INTERNAL (emulation), exactly as on a CPU
 * without unrestricted guest.  vmem has no real-mode emulator.
 *
 * The TLB: shadow VMs keep their VPID.  The CPU then keeps translations
 * of the shadow tree across exits, which matters here because shadow
 * paging exits often (a #PF per first touch, every CR3 write); with VPID
 * 0 each of those exits would empty the TLB.  In exchange vmem flushes
 * what it changes: every change of a shadow tree leaves
 * VMEM_REQ_TLB_FLUSH set, and vmx_vcpu_run() answers with a
 * single-context INVVPID (linear mappings and paging-structure caches of
 * that VPID).  An intercepted MOV to CR3 or INVLPG flushes nothing by
 * itself; the shadow MMU decides what goes.
 *
 * Reference: Intel SDM vol. 3C, 25.6.3 (exception bitmap, PFEC mask and
 * match), 25.6.6 (guest/host masks, read shadows), 25.6.7 (CR3-target
 * controls), 26.3.2.4 (PDPTEs loaded from the CR3 in memory at entry
 * when EPT is off), 28.2.1 (qualifications of #PF and INVLPG exits),
 * 29.4 (VPIDs and INVVPID).
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/bits.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include <linux/vmem.h>

#include "vmem_backend.h"
#include "vmem_vm.h"
#include "vmx.h"

/* CR0/CR4/EFER bits whose change voids every translation (SDM 4.10.4.1). */
#define VMX_SHADOW_CR0_PAGING	(X86_CR0_PG | X86_CR0_WP | X86_CR0_PE)
#define VMX_SHADOW_CR4_PAGING	(X86_CR4_PAE | X86_CR4_PSE | X86_CR4_PGE | \
				 X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PCIDE)
#define VMX_SHADOW_EFER_PAGING	(EFER_NX | EFER_LMA)

/* Error-code bit of a #PF: the access was a write. */
#define VMX_PF_W		BIT(1)

/*
 * What a shadow VM's VMCS adds to the common controls (vmx_vmcs_setup()):
 * the exits above, no EPT and no unrestricted guest, and the owned CR0/CR4
 * bits, which are every bit the CPU holds differently from the guest
 * (vmem_shadow_hw_regs()) and every bit whose change voids the shadow.
 */
void vmx_shadow_vmcs_setup(struct vmx_vcpu *vmx, u32 *proc, u32 *proc2,
			   u32 *exceptions)
{
	*proc |= VMX_PROC_CR3_LOAD_EXITING | VMX_PROC_CR3_STORE_EXITING |
		 VMX_PROC_INVLPG_EXITING;
	*proc2 &= ~(VMX_PROC2_EPT | VMX_PROC2_UNRESTRICTED);
	*exceptions |= BIT(X86_TRAP_PF);
	vmx->cr0_mask |= VMX_SHADOW_CR0_PAGING;
	vmx->cr4_mask |= VMX_SHADOW_CR4_PAGING;
}

/* The CPU's CR0, CR4 and EFER for the guest's own (vmem_shadow_hw_regs()). */
u64 vmx_shadow_hw_cr0(u64 cr0)
{
	u64 hcr0, hcr4, hefer;

	vmem_shadow_hw_regs(cr0, 0, 0, &hcr0, &hcr4, &hefer);
	return hcr0;
}

u64 vmx_shadow_hw_cr4(u64 cr4)
{
	u64 hcr0, hcr4, hefer;

	vmem_shadow_hw_regs(0, cr4, 0, &hcr0, &hcr4, &hefer);
	return hcr4;
}

u64 vmx_shadow_hw_efer(u64 efer)
{
	u64 hcr0, hcr4, hefer;

	vmem_shadow_hw_regs(0, 0, efer, &hcr0, &hcr4, &hefer);
	return hefer;
}

/* Did a change of CR0, CR4 or EFER void every shadow translation? */
bool vmx_shadow_paging_changed(u64 cr0, u64 cr4, u64 efer, u64 old_cr0,
			       u64 old_cr4, u64 old_efer)
{
	return ((cr0 ^ old_cr0) & VMX_SHADOW_CR0_PAGING) ||
	       ((cr4 ^ old_cr4) & VMX_SHADOW_CR4_PAGING) ||
	       ((efer ^ old_efer) & VMX_SHADOW_EFER_PAGING);
}

/*
 * An intercepted MOV to CR3, with the checks MOV CR3 makes: -EINVAL (a
 * #GP) for bits beyond MAXPHYADDR in long mode.  With CR4.PCIDE bit 63
 * ("keep this PCID's translations") is dropped: flushing more than asked
 * is allowed.  The PDPTEs of a PAE guest are not checked here: the
 * walker reads them at each walk, as on SVM.
 */
int vmx_shadow_set_cr3(struct vmem_vcpu *vcpu, u64 val)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 cr4 = 0;
	int r;

	r = vmx_vmcs_get(vmx);
	if (!r)
		cr4 = vmx_read_cr4(vmx);
	vmx_vmcs_put(vmx);
	if (r)
		return r;
	if (vmx->gefer & EFER_LMA) {
		if (cr4 & X86_CR4_PCIDE)
			val &= ~BIT_ULL(63);
		if (val >> vmx_caps.phys_bits)
			return -EINVAL;
	} else {
		val = (u32)val;
	}
	vmx->gcr3 = val;
	vmem_shadow_new_cr3(vcpu);
	return 0;
}

/*
 * An intercepted #PF: the error code is the exit's interruption error
 * code, the linear address the qualification.  If the #PF hit the
 * delivery of an event, vmx_vcpu_run() has queued that event again: it is
 * delivered once the shadow maps what it needs, or combined with the
 * guest's own #PF as the SDM's double-fault rules say
 * (vmem_queue_exception()).
 */
int vmx_shadow_exit_pf(struct vmem_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 ec = vmx->exit_intr_error;
	u64 gpa = 0;
	int r;

	if (!vmx->shadow)
		return vmem_exit_internal(vcpu, VMEM_INTERNAL_UNEXPECTED,
					  vmx->exit_reason);
	r = vmem_shadow_page_fault(vcpu, vmx->exit_qual, ec, &gpa);
	if (r == VMEM_FAULT_RETRY)
		return 1;
	if (r == VMEM_FAULT_MMIO)
		return vmem_exit_mmio(vcpu, gpa, ec & VMX_PF_W);
	if (r == -EFAULT)	/* code or page tables outside RAM */
		return vmem_exit_internal(vcpu, VMEM_INTERNAL_EMULATION,
					  vmx->exit_reason);
	return r;
}

/* INVLPG: the qualification is the linear address it names. */
int vmx_shadow_exit_invlpg(struct vmem_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (!vmx->shadow)
		return vmem_exit_internal(vcpu, VMEM_INTERNAL_UNEXPECTED,
					  vmx->exit_reason);
	vmem_shadow_invlpg(vcpu, vmx->exit_qual);
	/* vmx_vcpu_run() ends an STI/MOV-SS shadow when it sees RIP move. */
	vcpu->rip += vmx->insn_len;
	return 1;
}
