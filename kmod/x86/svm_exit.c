// SPDX-License-Identifier: GPL-2.0
/*
 * x86/svm_exit.c - what to do with each #VMEXIT.
 *
 * The exit code, EXITINFO1/2 and EXITINTINFO are in the VMCB, recorded by
 * svm_vcpu_run(), which has also taken note of an event whose delivery
 * the exit interrupted (to inject it again).  Handlers follow the core's
 * convention: 1 to enter the guest again, 0 to return to the VMM with
 * vcpu->run filled, -errno.
 *
 * Finding the next RIP: with nrip-save (CPUID 8000_000A EDX[3]) the CPU
 * stores it in the VMCB on instruction intercepts; QEMU's SVM does not
 * offer it, so then vmem_insn_length() fetches and checks the instruction
 * (never an emulator).  IOIO is the exception: EXITINFO2 always holds the
 * next RIP (APM 15.10.2).
 *
 * Reference: AMD64 APM vol. 2 (24593), 15.7-15.13 (intercepts), 15.25.6
 * (nested page faults), appendix C (exit codes).
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/trapnr.h>

#include <linux/vmem.h>

#include "vmem_vm.h"
#include "insn.h"
#include "svm.h"

/* CPUID 0x80000001 EDX: RDTSCP. */
#define SVM_CPUID_RDTSCP	BIT(27)

/*
 * The length of the intercepted instruction, or a negative errno (the
 * instruction could not be fetched or is no longer there: self-modifying
 * code or a racing vCPU).
 */
static int svm_insn_len(struct vmem_vcpu *vcpu, unsigned int kind)
{
	struct svm_vmcb *vmcb = to_svm(vcpu)->vmcb;
	int len;

	if (svm_caps.nrips && vmcb->control.next_rip > vcpu->rip &&
	    vmcb->control.next_rip - vcpu->rip <= 15)
		return vmcb->control.next_rip - vcpu->rip;
	len = vmem_insn_length(vcpu, kind);
	if (len > 0)
		to_svm(vcpu)->mismatch_rip = ~0ull;
	return len;
}

/*
 * vmem_insn_length() failed.  -EINVAL: the bytes at RIP are not the
 * intercepted instruction (the guest, or another vCPU, rewrote them since):
 * nothing happened yet, so let the guest execute what is there now, once;
 * if the same RIP comes back mismatching, the exit information and the
 * code disagree for good and looping would hold the vCPU forever.  That,
 * and code that cannot be fetched or decoded, goes to the VMM as an
 * internal error.
 */
static int svm_insn_len_failed(struct vmem_vcpu *vcpu, int r)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	if (r == -EINTR || r == -ENOMEM)
		return r;
	if (r == -EINVAL && svm->mismatch_rip != vcpu->rip) {
		svm->mismatch_rip = vcpu->rip;
		return 1;
	}
	svm->mismatch_rip = ~0ull;
	return vmem_exit_internal(vcpu, VMEM_INTERNAL_EMULATION,
				  svm->vmcb->control.exit_code);
}

static void svm_skip(struct vmem_vcpu *vcpu, unsigned int len)
{
	vcpu->rip += len;
	/* The shadow of an STI/MOV SS before it ends with it. */
	to_svm(vcpu)->vmcb->control.int_state &= ~SVM_INT_SHADOW;
}

static int svm_queue_ud(struct vmem_vcpu *vcpu)
{
	vmem_queue_exception(vcpu, X86_TRAP_UD, false, 0);
	return 1;
}

static int svm_queue_gp(struct vmem_vcpu *vcpu)
{
	vmem_queue_exception(vcpu, X86_TRAP_GP, true, 0);
	return 1;
}

/* ---------------------------------------------------------------------- */
/* Instructions                                                            */

#define SVM_EXIT_WITH_LEN(name, kind, fn)				\
static int svm_exit_##name(struct vmem_vcpu *vcpu)			\
{									\
	int len = svm_insn_len(vcpu, kind);				\
									\
	if (len < 0)							\
		return svm_insn_len_failed(vcpu, len);			\
	return fn(vcpu, len);						\
}

SVM_EXIT_WITH_LEN(cpuid, VMEM_INSN_CPUID, vmem_exit_cpuid)
SVM_EXIT_WITH_LEN(hlt, VMEM_INSN_HLT, vmem_exit_hlt)
SVM_EXIT_WITH_LEN(rdmsr, VMEM_INSN_RDMSR, vmem_exit_rdmsr)
SVM_EXIT_WITH_LEN(wrmsr, VMEM_INSN_WRMSR, vmem_exit_wrmsr)
/* The core validates XCR0 and loads it around every entry. */
SVM_EXIT_WITH_LEN(xsetbv, VMEM_INSN_XSETBV, vmem_exit_xsetbv)

static int svm_exit_msr(struct vmem_vcpu *vcpu)
{
	/* EXITINFO1: 0 for RDMSR, 1 for WRMSR (APM 15.11). */
	if (to_svm(vcpu)->vmcb->control.exit_info_1)
		return svm_exit_wrmsr(vcpu);
	return svm_exit_rdmsr(vcpu);
}

/*
 * VMMCALL is 0f 01 d9 and takes no prefix that changes it: the length is
 * known without fetching it, which keeps this hot exit cheap.
 */
static int svm_exit_vmmcall(struct vmem_vcpu *vcpu)
{
	return vmem_exit_hypercall(vcpu, 3);
}

/*
 * INVD would drop dirty host lines, WBINVD is harmless but slow: both are
 * skipped.  QEMU reports INVD with the WBINVD exit code, so either opcode
 * is accepted for either exit.
 */
static int svm_exit_invd_wbinvd(struct vmem_vcpu *vcpu)
{
	int len = svm_insn_len(vcpu, VMEM_INSN_WBINVD);

	if (len == -EINVAL)
		len = svm_insn_len(vcpu, VMEM_INSN_INVD);
	if (len < 0)
		return svm_insn_len_failed(vcpu, len);
	svm_skip(vcpu, len);
	return 1;
}

static bool svm_guest_has_rdtscp(struct vmem_vcpu *vcpu)
{
	u32 eax, ebx, ecx, edx;

	vmem_cpuid_lookup(vcpu, 0x80000001, 0, &eax, &ebx, &ecx, &edx);
	return edx & SVM_CPUID_RDTSCP;
}

/* RDTSCP: the guest's TSC and TSC_AUX, never the host's TSC_AUX. */
static int svm_exit_rdtscp(struct vmem_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u64 tsc;
	int len;

	if (!svm_guest_has_rdtscp(vcpu))
		return svm_queue_ud(vcpu);
	len = svm_insn_len(vcpu, VMEM_INSN_RDTSCP);
	if (len < 0)
		return svm_insn_len_failed(vcpu, len);

	tsc = rdtsc() + svm->vmcb->control.tsc_offset;
	vcpu->regs[VMEM_RAX] = (u32)tsc;
	vcpu->regs[VMEM_RDX] = tsc >> 32;
	vcpu->regs[VMEM_RCX] = (u32)svm->tsc_aux;
	svm_skip(vcpu, len);
	return 1;
}

/* ---------------------------------------------------------------------- */
/* Port I/O                                                                */

/*
 * IOIO: EXITINFO1 describes the access (APM 15.10.2, figure 15-2):
 * direction, string, REP, operand size (one-hot), address size (one-hot),
 * the port in bits 31:16.  EXITINFO2 is the RIP after the instruction.
 * The core works out the REP count and the OUTS segment itself (the
 * segment field, EXITINFO1[12:10], is only filled with decode assists).
 */
static int svm_exit_ioio(struct vmem_vcpu *vcpu)
{
	struct svm_vmcb *vmcb = to_svm(vcpu)->vmcb;
	u64 info1 = vmcb->control.exit_info_1;
	u64 next_rip = vmcb->control.exit_info_2;

	memset(&vcpu->pio, 0, sizeof(vcpu->pio));
	vcpu->pio.in = info1 & SVM_IOIO_TYPE_IN;
	vcpu->pio.string = info1 & SVM_IOIO_STR;
	vcpu->pio.rep = info1 & SVM_IOIO_REP;
	vcpu->pio.port = info1 >> SVM_IOIO_PORT_SHIFT;
	if (info1 & SVM_IOIO_SZ32)
		vcpu->pio.size = 4;
	else if (info1 & SVM_IOIO_SZ16)
		vcpu->pio.size = 2;
	else
		vcpu->pio.size = 1;
	if (info1 & SVM_IOIO_A64)
		vcpu->pio.addr_size = 8;
	else if (info1 & SVM_IOIO_A32)
		vcpu->pio.addr_size = 4;
	else
		vcpu->pio.addr_size = 2;

	return vmem_exit_pio(vcpu, next_rip);
}

/* ---------------------------------------------------------------------- */
/* Nested page faults                                                      */

/*
 * NPF: EXITINFO2 is the guest-physical address, EXITINFO1 a #PF-style
 * error code plus bit 32 (fault on the final translation) and bit 33 (on
 * a guest page-table access) (APM 15.25.6).  RAM is mapped by the TDP MMU;
 * anything else is device memory for the VMM, as long as it is a data
 * access by an instruction: page tables or code in device memory cannot be
 * handled by decoding one instruction.
 */
static int svm_exit_npf(struct vmem_vcpu *vcpu)
{
	struct svm_vmcb *vmcb = to_svm(vcpu)->vmcb;
	u64 info1 = vmcb->control.exit_info_1;
	u64 gpa = vmcb->control.exit_info_2;
	bool write = info1 & SVM_NPF_WRITE;
	int r;

	if (info1 & SVM_NPF_RSVD) {
		/* Our own tables are wrong: tell, don't loop. */
		pr_err_ratelimited("vCPU %u: reserved bit in NPT for gpa %llx\n",
				   vcpu->id, gpa);
		return vmem_exit_internal(vcpu, VMEM_INTERNAL_UNEXPECTED,
					  SVM_EXIT_NPF);
	}

	r = vmem_tdp_fault(vcpu, gpa, write);
	if (r != VMEM_FAULT_MMIO)
		return r == VMEM_FAULT_RETRY ? 1 : r;

	if (info1 & (SVM_NPF_GUEST_TABLE | SVM_NPF_FETCH))
		return vmem_exit_internal(vcpu, VMEM_INTERNAL_EMULATION,
					  SVM_EXIT_NPF);
	return vmem_exit_mmio(vcpu, gpa, write);
}

/* ---------------------------------------------------------------------- */
/* The shadow MMU: #PF, CR accesses, INVLPG                                */

/*
 * An intercepted #PF: EXITINFO1 is the error code, EXITINFO2 the address
 * (the guest's CR2 is untouched until the core injects one).
 */
static int svm_exit_pf(struct vmem_vcpu *vcpu)
{
	struct svm_vmcb *vmcb = to_svm(vcpu)->vmcb;
	u32 ec = vmcb->control.exit_info_1;
	u64 gpa = 0;
	int r;

	if (!to_svm(vcpu)->shadow)
		return vmem_exit_internal(vcpu, VMEM_INTERNAL_UNEXPECTED,
					  SVM_EXIT_EXCP_BASE + X86_TRAP_PF);
	r = vmem_shadow_page_fault(vcpu, vmcb->control.exit_info_2, ec, &gpa);
	if (r == VMEM_FAULT_RETRY)
		return 1;
	if (r == VMEM_FAULT_MMIO)
		return vmem_exit_mmio(vcpu, gpa, ec & BIT(1));	/* W */
	if (r == -EFAULT)
		return vmem_exit_internal(vcpu, VMEM_INTERNAL_EMULATION,
					  SVM_EXIT_EXCP_BASE + X86_TRAP_PF);
	return r;
}

/*
 * MOV to/from CR0/CR3/CR4, CLTS, LMSW and SMSW under the shadow MMU, and
 * MOV to CR4 under nested paging.  Decode assists name the GPR of a MOV
 * (EXITINFO1 bit 63, bits 3:0); otherwise the instruction is decoded.  The memory forms of LMSW and
 * SMSW, which nothing but very old code uses, go to the VMM.
 */
static int svm_exit_cr(struct vmem_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u64 code = svm->vmcb->control.exit_code;
	bool write = code >= SVM_EXIT_WRITE_CR0;
	int cr = code & 15, gpr = -1, r;
	u64 efer = svm->shadow ? svm->gefer : svm->vmcb->save.efer;
	bool m64 = (efer & EFER_LMA) &&
		   (svm->vmcb->save.cs.attrib & SVM_SEG_L);
	struct vmem_insn insn;
	u64 val = 0;

	r = vmem_insn_decode(vcpu, &insn);
	if (r > 0 || r == -EFAULT)
		r = -EFAULT;
	if (r)
		return svm_insn_len_failed(vcpu, r);
	if (insn.vex || insn.map != 1)
		return svm_insn_len_failed(vcpu, -EINVAL);

	if (insn.opcode == 0x20 || insn.opcode == 0x22) {
		if ((insn.reg & 7) != cr || insn.reg > 8 ||
		    write != (insn.opcode == 0x22))
			return svm_insn_len_failed(vcpu, -EINVAL);
		gpr = insn.rm;
		if (svm_caps.decode_assists &&
		    (svm->vmcb->control.exit_info_1 & BIT_ULL(63)))
			gpr = svm->vmcb->control.exit_info_1 & 15;
		if (write) {
			val = vcpu->regs[gpr];
			if (!m64)
				val = (u32)val;
		}
	} else if (insn.opcode == 0x06 && write && cr == 0) {
		val = svm->gcr0 & ~X86_CR0_TS;			/* CLTS */
	} else if (insn.opcode == 0x01 && insn.has_modrm &&
		   insn.mod == 3 && (insn.reg & 7) == 6 && write && cr == 0) {
		/* LMSW: MP, EM, TS from the operand; PE set, never cleared. */
		val = (svm->gcr0 & ~0xeull) | (vcpu->regs[insn.rm] & 0xf);
	} else if (insn.opcode == 0x01 && insn.has_modrm &&
		   insn.mod == 3 && (insn.reg & 7) == 4 && !write && cr == 0) {
		/* SMSW r: the whole register in 64-bit code, else 16/32. */
		val = svm->gcr0;
		if (insn.op_bytes == 2)
			val = (vcpu->regs[insn.rm] & ~0xffffull) | (u16)val;
		else if (insn.op_bytes == 4)
			val = (u32)val;
		vcpu->regs[insn.rm] = val;
		svm_skip(vcpu, insn.len);
		return 1;
	} else {
		return vmem_exit_internal(vcpu, VMEM_INTERNAL_EMULATION, code);
	}

	if (write) {
		if (!svm->shadow)
			r = svm_npt_set_cr4(vcpu, val);
		else
			r = svm_shadow_set_cr(vcpu, cr, val);
		if (r) {
			vmem_queue_exception(vcpu, X86_TRAP_GP, true, 0);
			return 1;
		}
	} else {
		val = svm_shadow_get_cr(vcpu, cr);
		vcpu->regs[gpr] = m64 ? val : (u32)val;
	}
	svm_skip(vcpu, insn.len);
	return 1;
}

/*
 * INVLPG: the address comes with decode assists; without them (QEMU) the
 * instruction is decoded and its memory operand computed, so one page is
 * dropped rather than every translation.
 */
static int svm_exit_invlpg(struct vmem_vcpu *vcpu)
{
	struct svm_vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct vmem_insn insn;
	u64 gva;
	int len, r;

	if (svm_caps.decode_assists) {
		len = svm_insn_len(vcpu, VMEM_INSN_INVLPG);
		if (len < 0)
			return svm_insn_len_failed(vcpu, len);
		gva = vmcb->control.exit_info_1;
	} else {
		r = vmem_insn_decode(vcpu, &insn);
		if (r > 0 || r == -EFAULT)
			r = -EFAULT;
		if (!r && (insn.vex || insn.map != 1 || insn.opcode != 0x01 ||
			   insn.mod == 3 || (insn.reg & 7) != 7))
			r = -EINVAL;	/* rewritten since the exit */
		if (r)
			return svm_insn_len_failed(vcpu, r);
		to_svm(vcpu)->mismatch_rip = ~0ull;
		gva = vmem_insn_linear(vcpu, &insn);
		len = insn.len;
	}
	vmem_shadow_invlpg(vcpu, gva);
	svm_skip(vcpu, len);
	return 1;
}

/* ---------------------------------------------------------------------- */
/* Events, debug registers, the rest                                       */

/* The interrupt window opened: see svm_inject_events(). */
static int svm_exit_vintr(struct vmem_vcpu *vcpu)
{
	struct svm_vmcb *vmcb = to_svm(vcpu)->vmcb;

	vmcb->control.int_ctl &= ~(SVM_V_IRQ | SVM_V_IGN_TPR |
				   SVM_V_INTR_PRIO_MASK);
	svm_clr_intercept(vmcb, SVM_ICPT_VINTR);
	to_svm(vcpu)->irq_window = false;

	if (READ_ONCE(vcpu->run->request_interrupt_window) &&
	    svm_interrupt_allowed(vcpu))
		return vmem_exit_irq_window(vcpu);
	/* Otherwise it was for a queued event: the next entry injects it. */
	return 1;
}

/*
 * The guest's NMI handler is about to IRET.  The intercept is taken before
 * the instruction, so NMIs unmask only once RIP has moved on (checked at
 * each exit in svm_complete_events()); the IRET itself runs in the guest.
 */
static int svm_exit_iret(struct vmem_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm_clr_intercept(svm->vmcb, SVM_ICPT_IRET);
	svm->awaiting_iret = true;
	svm->iret_rip = vcpu->rip;
	return 1;
}

/*
 * First guest access to DR0-3: give them to the guest until the next exit
 * and let the instruction run again (no emulation, and no decode assists
 * needed).  svm_vcpu_run() loads them before and saves them after.
 */
static int svm_exit_dr(struct vmem_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm->db_guest_owned = true;
	svm_set_dr_intercepts(svm->vmcb, false);
	return 1;
}

/*
 * #AC and #DB are intercepted only so that a guest cannot hang the CPU in
 * an endless delivery loop; they go back to the guest as they came.  For
 * #DB the CPU has already updated the guest's DR6 in the VMCB.
 */
static int svm_exit_exception(struct vmem_vcpu *vcpu, u8 vector)
{
	switch (vector) {
	case X86_TRAP_AC:
		vmem_queue_exception(vcpu, X86_TRAP_AC, true, 0);
		return 1;
	case X86_TRAP_DB:
		/* Our own single step for an NMI window, not the guest's. */
		if (to_svm(vcpu)->ss_trapped) {
			to_svm(vcpu)->ss_trapped = false;
			return 1;
		}
		vmem_queue_exception(vcpu, X86_TRAP_DB, false, 0);
		return 1;
	case X86_TRAP_MC:
		/* Already handed to the host by svm_vcpu_run(). */
		return 1;
	}
	return vmem_exit_internal(vcpu, VMEM_INTERNAL_UNEXPECTED,
				  SVM_EXIT_EXCP_BASE + vector);
}


/* ---------------------------------------------------------------------- */
/* Dispatch                                                                */

/*
 * The fast path runs with interrupts off right after the exit: only what
 * needs no sleep and no guest memory (CPUID, vmem's own hypercalls, and
 * MSRs the VMCB holds with a value they accept; anything else, a #GP
 * included, takes the slow path).  Without nrip-save CPUID and the MSRs
 * need a fetch to find their length, so for them the fast path is for
 * CPUs that have it; VMMCALL is always 3 bytes.  Host interrupts (INTR)
 * never take it: they must reach the host, which needs interrupts on.
 */
bool svm_handle_exit_fast(struct vmem_vcpu *vcpu)
{
	struct svm_vmcb *vmcb = to_svm(vcpu)->vmcb;
	u64 next = vmcb->control.next_rip;
	u64 data;
	u32 msr;

	/* Its length known without a fetch, VMMCALL needs no nrip-save. */
	if (vmcb->control.exit_code == SVM_EXIT_VMMCALL)
		return vmem_exit_hypercall_fast(vcpu, 3);
	if (!svm_caps.nrips || next <= vcpu->rip || next - vcpu->rip > 15)
		return false;

	switch (vmcb->control.exit_code) {
	case SVM_EXIT_CPUID:
		/* Never sleeps, always returns 1 (vmem_vm.h). */
		return vmem_exit_cpuid(vcpu, next - vcpu->rip) == 1;
	case SVM_EXIT_MSR:
		msr = vcpu->regs[VMEM_RCX];
		if (vmcb->control.exit_info_1) {
			data = (vcpu->regs[VMEM_RDX] << 32) |
			       (u32)vcpu->regs[VMEM_RAX];
			if (svm_set_msr(vcpu, msr, data))
				return false;
		} else {
			if (svm_get_msr(vcpu, msr, &data))
				return false;
			vcpu->regs[VMEM_RAX] = (u32)data;
			vcpu->regs[VMEM_RDX] = data >> 32;
		}
		svm_skip(vcpu, next - vcpu->rip);
		return true;
	}
	return false;
}

int svm_handle_exit(struct vmem_vcpu *vcpu)
{
	struct svm_vmcb *vmcb = to_svm(vcpu)->vmcb;
	u64 code = vmcb->control.exit_code;

	switch (code) {
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
	case SVM_EXIT_SMI:
		/* The host took it when GIF/IF opened again. */
		return 1;
	case SVM_EXIT_CPUID:
		return svm_exit_cpuid(vcpu);
	case SVM_EXIT_HLT:
		return svm_exit_hlt(vcpu);
	case SVM_EXIT_IOIO:
		return svm_exit_ioio(vcpu);
	case SVM_EXIT_MSR:
		return svm_exit_msr(vcpu);
	case SVM_EXIT_VMMCALL:
		return svm_exit_vmmcall(vcpu);
	case SVM_EXIT_NPF:
		return svm_exit_npf(vcpu);
	case SVM_EXIT_VINTR:
		return svm_exit_vintr(vcpu);
	case SVM_EXIT_IRET:
		return svm_exit_iret(vcpu);
	case SVM_EXIT_SHUTDOWN:
		return vmem_exit_shutdown(vcpu);
	case SVM_EXIT_XSETBV:
		return svm_exit_xsetbv(vcpu);
	case SVM_EXIT_RDTSCP:
		return svm_exit_rdtscp(vcpu);
	case SVM_EXIT_INVD:
	case SVM_EXIT_WBINVD:
		return svm_exit_invd_wbinvd(vcpu);
	case SVM_EXIT_RDPMC:
		/* No virtual PMU: as on a CPU whose CR4.PCE forbids it. */
		return svm_queue_gp(vcpu);
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
	case SVM_EXIT_MONITOR:
	case SVM_EXIT_MWAIT:
	case SVM_EXIT_MWAIT_COND:
	case SVM_EXIT_RDPRU:
	case SVM_EXIT_RSM:
	case VMEM_SVM_EXIT_INVLPGB:
	case VMEM_SVM_EXIT_INVLPGB_ILL:
	case VMEM_SVM_EXIT_MCOMMIT:
	case VMEM_SVM_EXIT_TLBSYNC:
		/* Instructions this guest's CPU does not have. */
		return svm_queue_ud(vcpu);
	case SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR3:
	case SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR3:
		return svm_exit_dr(vcpu);
	case SVM_EXIT_EXCP_BASE ... SVM_EXIT_LAST_EXCP:
		if (code == SVM_EXIT_EXCP_BASE + X86_TRAP_PF)
			return svm_exit_pf(vcpu);
		return svm_exit_exception(vcpu, code - SVM_EXIT_EXCP_BASE);
	case SVM_EXIT_READ_CR0:
	case SVM_EXIT_READ_CR3:
	case SVM_EXIT_READ_CR4:
	case SVM_EXIT_WRITE_CR0:
	case SVM_EXIT_WRITE_CR3:
	case SVM_EXIT_WRITE_CR4:
		if (!to_svm(vcpu)->shadow && code != SVM_EXIT_WRITE_CR4)
			return vmem_exit_internal(vcpu,
						  VMEM_INTERNAL_UNEXPECTED,
						  code);
		return svm_exit_cr(vcpu);
	case SVM_EXIT_INVLPG:
		if (!to_svm(vcpu)->shadow)
			return vmem_exit_internal(vcpu,
						  VMEM_INTERNAL_UNEXPECTED,
						  code);
		return svm_exit_invlpg(vcpu);
	case SVM_EXIT_ERR:
		/*
		 * VMRUN refused the state.  set_sregs/set_debugregs refuse
		 * what the APM lists, so this is a gap in those checks (or
		 * an event the core queued that EVENTINJ cannot hold).
		 */
		return vmem_exit_fail_entry(vcpu, code,
					    vmcb->control.exit_info_1);
	case SVM_EXIT_TASK_SWITCH:
	default:
		return vmem_exit_internal(vcpu, VMEM_INTERNAL_UNEXPECTED, code);
	}
}
