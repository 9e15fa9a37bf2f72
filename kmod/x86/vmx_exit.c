// SPDX-License-Identifier: GPL-2.0
/*
 * x86/vmx_exit.c - what to do with each VM exit.
 *
 * vmx_vcpu_run() has read the exit reason, qualification, instruction
 * length and the event fields while the VMCS was surely current, put the
 * interrupted event back in the queue, and already run the host's handler
 * for an NMI or a machine check.  Handlers follow the core's convention:
 * 1 to enter the guest again, 0 to return to the VMM with vcpu->run
 * filled, -errno.  They run preemptible; any VMCS access goes through
 * vmx_vmcs_get()/put().
 *
 * The next RIP is always known: VMX stores the length of the instruction
 * that caused an exit (SDM 28.2.5), so no instruction is fetched to skip
 * it.
 *
 * Reference: Intel SDM vol. 3C, chapter 26.1 (instructions that cause VM
 * exits), 28.2 (exit qualifications), appendix C (exit reasons).
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/cpumask.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include <linux/vmem.h>

#include "vmem_backend.h"
#include "vmem_vm.h"
#include "vmx.h"

static void vmx_skip(struct vmem_vcpu *vcpu)
{
	/* The shadow of an STI/MOV SS before it ends with it: vmx_vcpu_run()
	 * clears it when it sees RIP moved. */
	vcpu->rip += to_vmx(vcpu)->insn_len;
}

static int vmx_queue_ud(struct vmem_vcpu *vcpu)
{
	vmem_queue_exception(vcpu, X86_TRAP_UD, false, 0);
	return 1;
}

static int vmx_queue_gp(struct vmem_vcpu *vcpu)
{
	vmem_queue_exception(vcpu, X86_TRAP_GP, true, 0);
	return 1;
}

static int vmx_unexpected(struct vmem_vcpu *vcpu)
{
	return vmem_exit_internal(vcpu, VMEM_INTERNAL_UNEXPECTED,
				  to_vmx(vcpu)->exit_reason);
}

/* ---------------------------------------------------------------------- */
/* Control and debug registers                                             */

/*
 * MOV to/from CR (SDM table 28-3).  Only the accesses the VMCS makes exit
 * come here: CR0/CR4 writes that change a bit the guest does not own (NE,
 * CD, NW; CR4 bits it may not set; the paging bits on the shadow MMU),
 * and every CR8 access; CLTS and LMSW only if they would change an owned
 * bit.  CR3 exits only on the shadow MMU (vmx_shadow.c).
 */
static int vmx_exit_cr(struct vmem_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 qual = vmx->exit_qual;
	unsigned int nr = VMX_CR_NUM(qual), gpr = VMX_CR_GPR(qual);
	bool bits64 = false;
	u64 val, cr0 = 0;
	int r = 0;

	if (!vmx_vmcs_get(vmx)) {
		bits64 = vmx_long_mode_64bit(vmx);
		cr0 = vmx_read_cr0(vmx);
	}
	vmx_vmcs_put(vmx);

	switch (VMX_CR_TYPE(qual)) {
	case VMX_CR_TYPE_MOV_TO:
		val = vcpu->regs[gpr];
		/* Outside 64-bit mode the operand is 32 bits. */
		if (!bits64)
			val = (u32)val;
		switch (nr) {
		case 0:
			r = vmx_set_cr0(vcpu, val);
			break;
		case 3:
			if (!vmx->shadow)
				return vmx_unexpected(vcpu);
			r = vmx_shadow_set_cr3(vcpu, val);
			break;
		case 4:
			r = vmx_set_cr4(vcpu, val);
			break;
		case 8:
			/* CR8[63:4] are reserved (SDM 10.8.6.1). */
			if (val >> 4)
				r = -EINVAL;
			else
				vmx->cr8 = val;
			break;
		default:
			return vmx_unexpected(vcpu);
		}
		break;
	case VMX_CR_TYPE_MOV_FROM:
		if (nr == 3 && vmx->shadow)
			vcpu->regs[gpr] = bits64 ? vmx->gcr3 : (u32)vmx->gcr3;
		else if (nr == 8)
			vcpu->regs[gpr] = vmx->cr8;
		else
			return vmx_unexpected(vcpu);
		break;
	case VMX_CR_TYPE_CLTS:
		r = vmx_set_cr0(vcpu, cr0 & ~(u64)X86_CR0_TS);
		break;
	case VMX_CR_TYPE_LMSW:
		/* LMSW loads PE, MP, EM, TS, and cannot clear PE. */
		val = VMX_CR_LMSW_DATA(qual) & 0xf;
		r = vmx_set_cr0(vcpu, (cr0 & ~0xeull) | val);
		break;
	}

	if (r == -EINVAL)
		return vmx_queue_gp(vcpu);
	if (r == -EOPNOTSUPP) {
		/*
		 * Leaving paged protected mode without unrestricted guest
		 * (leaving protected mode on the shadow MMU).
		 */
		return vmem_exit_internal(vcpu, VMEM_INTERNAL_EMULATION,
					  vmx->exit_reason);
	}
	if (r)
		return r;
	vmx_skip(vcpu);
	return 1;
}

/*
 * First guest access to a debug register: give DR0-3/DR6 to the guest
 * until the next exit (MOV DR no longer exits) and let the instruction run
 * again, as the SVM backend does.  vmx_vcpu_run() loads them before and
 * saves them after.
 */
static int vmx_exit_dr(struct vmem_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int r;

	r = vmx_vmcs_get(vmx);
	if (!r) {
		vmx->db_guest_owned = true;
		vmcs_write(VMCS_PROC_CTLS, vmx->proc & ~VMX_PROC_MOV_DR_EXITING);
		vmx->proc &= ~VMX_PROC_MOV_DR_EXITING;
	}
	vmx_vmcs_put(vmx);
	return r ? -EIO : 1;
}

/* ---------------------------------------------------------------------- */
/* Port I/O                                                                */

/* Address size of a string I/O instruction without the exit's info. */
static unsigned int vmx_io_addr_size(struct vmem_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned int size = 2, i, len = 0;
	u8 insn[15];
	u32 ar = 0;

	if (!vmx_vmcs_get(vmx))
		ar = vmcs_read32(VMCS_GUEST_SEG_AR(VMEM_SEG_CS));
	vmx_vmcs_put(vmx);
	if ((vmx->entry & VMX_ENTRY_IA32E) && (ar & VMX_AR_L))
		size = 8;
	else if (ar & VMX_AR_DB)
		size = 4;

	/* An address-size prefix (0x67) among the legacy prefixes. */
	if (vmem_insn_fetch(vcpu, insn, &len))
		return size;
	for (i = 0; i < len; i++) {
		switch (insn[i]) {
		case 0x67:
			return size == 4 ? 2 : 4;
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64:
		case 0x65: case 0x66: case 0xf0: case 0xf2: case 0xf3:
			continue;
		}
		break;
	}
	return size;
}

/*
 * I/O instructions (SDM table 28-5): size - 1 in bits 2:0, IN in bit 3,
 * string in bit 4, REP in bit 5, the port in bits 31:16.  The address
 * size of INS/OUTS is in the VM-exit instruction information (where the
 * CPU reports it, VMX_BASIC bit 54), the REP count and the OUTS segment
 * are the core's.
 */
static int vmx_exit_io(struct vmem_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 qual = vmx->exit_qual;

	memset(&vcpu->pio, 0, sizeof(vcpu->pio));
	vcpu->pio.size = (qual & VMX_IO_SIZE_MASK) + 1;
	vcpu->pio.in = qual & VMX_IO_IN;
	vcpu->pio.string = qual & VMX_IO_STRING;
	vcpu->pio.rep = qual & VMX_IO_REP;
	vcpu->pio.port = qual >> VMX_IO_PORT_SHIFT;
	if (!vcpu->pio.string)
		vcpu->pio.addr_size = 8;
	else if (vmx_caps.inout_info)
		vcpu->pio.addr_size =
			2 << VMX_INSN_INFO_ADDR_SIZE(vmx->insn_info);
	else
		vcpu->pio.addr_size = vmx_io_addr_size(vcpu);

	return vmem_exit_pio(vcpu, vcpu->rip + vmx->insn_len);
}

/* ---------------------------------------------------------------------- */
/* EPT                                                                     */

/*
 * EPT violation (SDM table 28-7): the guest-physical address is in the
 * VMCS, bit 1 of the qualification says write.  RAM is mapped by the TDP
 * MMU; anything else is device memory for the VMM, as long as it is a data
 * access by an instruction: page tables or code in device memory cannot
 * be handled by decoding one instruction (as on SVM).
 */
static int vmx_exit_ept_violation(struct vmem_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 qual = vmx->exit_qual;
	bool write = qual & VMX_EPT_QUAL_WRITE;
	int r;

	r = vmem_tdp_fault(vcpu, vmx->exit_gpa, write);
	if (r != VMEM_FAULT_MMIO)
		return r == VMEM_FAULT_RETRY ? 1 : r;

	if ((qual & VMX_EPT_QUAL_FETCH) ||
	    ((qual & VMX_EPT_QUAL_LINEAR_VALID) && !(qual & VMX_EPT_QUAL_FINAL)))
		return vmem_exit_internal(vcpu, VMEM_INTERNAL_EMULATION,
					  vmx->exit_reason);
	return vmem_exit_mmio(vcpu, vmx->exit_gpa, write);
}

/* Our own tables are wrong: tell, don't loop. */
static int vmx_exit_ept_misconfig(struct vmem_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int r;

	pr_err_ratelimited("vCPU %u: EPT misconfiguration at gpa %llx\n",
			   vcpu->id, vmx->exit_gpa);
	r = vmem_exit_internal(vcpu, VMEM_INTERNAL_UNEXPECTED,
			       vmx->exit_reason);
	vcpu->run->internal.gpa = vmx->exit_gpa;
	return r;
}

/* ---------------------------------------------------------------------- */
/* Events and the rest                                                     */

static int vmx_exit_ud(struct vmem_vcpu *vcpu);

/*
 * Exceptions and NMIs (exit reason 0).  NMIs and machine checks were the
 * host's and are handled already.  #AC and #DB are intercepted only so
 * that a guest cannot hang the CPU in an endless delivery loop; they go
 * back to the guest as they came.  An intercepted #DB does not touch DR6
 * (SDM 28.2.1): its bits come in the qualification and are merged into the
 * guest's DR6 here, as the CPU would have.
 */
static int vmx_exit_exception(struct vmem_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 info = vmx->exit_intr_info;
	u8 vector = info & VMX_INTR_VECTOR_MASK;

	if ((info & VMX_INTR_TYPE_MASK) == VMX_INTR_TYPE_NMI)
		return 1;

	switch (vector) {
	case X86_TRAP_MC:
		return 1;
	case X86_TRAP_UD:
		return vmx_exit_ud(vcpu);
	case X86_TRAP_PF:
		return vmx_shadow_exit_pf(vcpu);
	case X86_TRAP_AC:
		vmem_queue_exception(vcpu, X86_TRAP_AC, true, 0);
		return 1;
	case X86_TRAP_DB:
		vmx->dr6 = (vmx->dr6 & ~0xfull) | 0xffff0ff0ull |
			   (vmx->exit_qual & VMX_DB_QUAL_MASK);
		/* INT1 (ICEBP) is a trap: the handler returns past it. */
		if ((info & VMX_INTR_TYPE_MASK) == VMX_INTR_TYPE_PRIV_SW_EXC) {
			vmx_skip(vcpu);
		} else if ((vmx->rflags & X86_EFLAGS_TF) &&
			   (vmx->intr_state & VMX_INTR_STATE_SHADOW)) {
			/*
			 * Single-stepping in a STI/MOV-SS shadow: the entry
			 * insists on a pending single-step trap (SDM
			 * 26.3.1.5), which the intercepted #DB did not
			 * leave behind (KVM does the same).
			 */
			if (!vmx_vmcs_get(vmx))
				vmcs_write(VMCS_GUEST_PENDING_DBG,
					   vmcs_read(VMCS_GUEST_PENDING_DBG) |
					   BIT(14));
			vmx_vmcs_put(vmx);
		}
		vmem_queue_exception(vcpu, X86_TRAP_DB, false, 0);
		return 1;
	}
	return vmx_unexpected(vcpu);
}

/*
 * #UD: VMMCALL, AMD's hypercall instruction, is undefined on Intel.  So
 * that guests (and the selftests) need not know which backend runs them,
 * it is a hypercall here too, as VMCALL is on SVM's side of KVM's
 * guests; anything else is reflected.
 */
static int vmx_exit_ud(struct vmem_vcpu *vcpu)
{
	int len = vmem_insn_length(vcpu, VMEM_INSN_VMMCALL);

	if (len == -EINTR || len == -ENOMEM)
		return len;
	if (len > 0)
		return vmem_exit_hypercall(vcpu, len);
	return vmx_queue_ud(vcpu);
}

/* The interrupt window opened: see vmx_inject_events(). */
static int vmx_exit_intr_window(struct vmem_vcpu *vcpu)
{
	/* Recomputed at every entry; asked for again if still needed. */
	to_vmx(vcpu)->irq_window = false;
	if (READ_ONCE(vcpu->run->request_interrupt_window) &&
	    vmx_interrupt_allowed(vcpu))
		return vmem_exit_irq_window(vcpu);
	/* Otherwise it was for a queued event: the next entry injects it. */
	return 1;
}


/*
 * The VMCS was still active on the CPU this thread ran on before: VMCLEAR
 * it there, so that the next entry loads it here (vmx_vmcs_load_here()
 * then refreshes the per-CPU host state and flushes the TLB).
 */
static int vmx_exit_migrate(struct vmem_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int owner = READ_ONCE(vmx->cpu);

	if (owner >= 0 && owner != raw_smp_processor_id())
		smp_call_function_single(owner, vmx_vmcs_clear_ipi, vmx, 1);
	return 1;
}

/*
 * VMX is off on this CPU: it is going offline (the hotplug callback ran
 * before the scheduler moved us away: wait to be moved), or the machine
 * is going down.
 */
static int vmx_exit_vmx_off(struct vmem_vcpu *vcpu)
{
	if (!cpu_active(raw_smp_processor_id())) {
		schedule_timeout_uninterruptible(1);
		return 1;
	}
	pr_err_ratelimited("vCPU %u: VMX is off on CPU %d\n", vcpu->id,
			   raw_smp_processor_id());
	return -EIO;
}

/* ---------------------------------------------------------------------- */
/* Dispatch                                                                */

/*
 * The fast path runs with interrupts off right after the exit, with the
 * VMCS current: only what needs no sleep and no guest memory.  CPUID
 * (vmem_exit_cpuid never sleeps), vmem's own hypercalls by VMCALL (AMD's
 * VMMCALL raises #UD, whose length needs a fetch), the MSRs this backend
 * keeps (the rest need the core, which may exit to the VMM), an NMI
 * already handed to the host, and the NMI window (the next entry
 * injects).
 */
bool vmx_handle_exit_fast(struct vmem_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 msr;
	u64 data;

	switch (vmx->exit_reason) {
	case VMX_REASON_CPUID:
		return vmem_exit_cpuid(vcpu, vmx->insn_len) == 1;
	case VMX_REASON_VMCALL:
		return vmem_exit_hypercall_fast(vcpu, vmx->insn_len);
	case VMX_REASON_RDMSR:
		msr = vcpu->regs[VMEM_RCX];
		if (vmx_get_msr(vcpu, msr, &data))
			return false;
		vcpu->regs[VMEM_RAX] = (u32)data;
		vcpu->regs[VMEM_RDX] = data >> 32;
		vmx_skip(vcpu);
		return true;
	case VMX_REASON_WRMSR:
		msr = vcpu->regs[VMEM_RCX];
		/* A shadow VM's EFER may drop its shadow tree: not here. */
		if (msr == MSR_EFER && vmx->shadow)
			return false;
		data = (vcpu->regs[VMEM_RDX] << 32) | (u32)vcpu->regs[VMEM_RAX];
		if (vmx_set_msr(vcpu, msr, data))
			return false;
		vmx_skip(vcpu);
		return true;
	case VMX_REASON_EXCEPTION_NMI:
		return (vmx->exit_intr_info & VMX_INTR_TYPE_MASK) ==
		       VMX_INTR_TYPE_NMI;
	case VMX_REASON_NMI_WINDOW:
		return true;
	}
	return false;
}

int vmx_handle_exit(struct vmem_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 reason = vmx->exit_reason;

	if (reason & VMX_REASON_FAILED_ENTRY) {
		/*
		 * The guest state failed the checks of SDM 26.3 (33), an
		 * MSR failed to load (34), or a machine check hit the entry
		 * (41).  set_sregs and set_debugregs refuse what they can
		 * see, so this is a state they cannot (e.g. RFLAGS.VM in
		 * long mode) or a gap in them.
		 */
		return vmem_exit_fail_entry(vcpu, reason, vmx->exit_qual);
	}

	switch (reason) {
	case VMX_REASON_EXCEPTION_NMI:
		return vmx_exit_exception(vcpu);
	case VMX_REASON_EXTINT:
		/* The host took it when the core enabled interrupts. */
		return 1;
	case VMX_REASON_NMI_WINDOW:
	case VMX_REASON_PREEMPTION_TIMER:
		/* The next entry injects / the bound on guest time ran out. */
		return 1;
	case VMX_REASON_INTR_WINDOW:
		return vmx_exit_intr_window(vcpu);
	case VMX_REASON_TRIPLE_FAULT:
		return vmem_exit_shutdown(vcpu);
	case VMX_REASON_CPUID:
		return vmem_exit_cpuid(vcpu, vmx->insn_len);
	case VMX_REASON_HLT:
		return vmem_exit_hlt(vcpu, vmx->insn_len);
	case VMX_REASON_VMCALL:
		return vmem_exit_hypercall(vcpu, vmx->insn_len);
	case VMX_REASON_RDMSR:
		return vmem_exit_rdmsr(vcpu, vmx->insn_len);
	case VMX_REASON_WRMSR:
		return vmem_exit_wrmsr(vcpu, vmx->insn_len);
	case VMX_REASON_XSETBV:
		/* The core validates XCR0 and loads it around every entry. */
		return vmem_exit_xsetbv(vcpu, vmx->insn_len);
	case VMX_REASON_IO:
		return vmx_exit_io(vcpu);
	case VMX_REASON_CR_ACCESS:
		return vmx_exit_cr(vcpu);
	case VMX_REASON_DR_ACCESS:
		return vmx_exit_dr(vcpu);
	case VMX_REASON_EPT_VIOLATION:
		return vmx_exit_ept_violation(vcpu);
	case VMX_REASON_EPT_MISCONFIG:
		return vmx_exit_ept_misconfig(vcpu);
	case VMX_REASON_INVLPG:
		return vmx_shadow_exit_invlpg(vcpu);
	case VMX_REASON_INVD:
	case VMX_REASON_WBINVD:
		/* INVD would drop dirty host lines; WBINVD is harmless but
		 * slow: skip both, as on SVM. */
		vmx_skip(vcpu);
		return 1;
	case VMX_REASON_RDPMC:
		/* No virtual PMU: as on a CPU whose CR4.PCE forbids it. */
		return vmx_queue_gp(vcpu);
	case VMX_REASON_GETSEC:
	case VMX_REASON_RSM:
	case VMX_REASON_MWAIT:
	case VMX_REASON_MONITOR:
	case VMX_REASON_VMCLEAR ... VMX_REASON_VMXON:
	case VMX_REASON_INVEPT:
	case VMX_REASON_INVVPID:
	case VMX_REASON_VMFUNC:
		/* Instructions this guest's CPU does not have (no nested
		 * VMX, no SMX, no MONITOR/MWAIT in its CPUID). */
		return vmx_queue_ud(vcpu);
	case VMX_PSEUDO_MIGRATE:
		return vmx_exit_migrate(vcpu);
	case VMX_PSEUDO_VMX_OFF:
		return vmx_exit_vmx_off(vcpu);
	case VMX_PSEUDO_VMFAIL:
		/*
		 * VMLAUNCH/VMRESUME refused the controls or the host state:
		 * a bug of ours, reported with the VM-instruction error.
		 */
		pr_err_ratelimited("vCPU %u: VM entry failed, VM-instruction error %u\n",
				   vcpu->id, vmx->insn_error);
		return vmem_exit_fail_entry(vcpu, VMX_FAIL_ENTRY_VMFAIL |
					    vmx->insn_error, 0);
	case VMX_PSEUDO_FAULT:
		return -EIO;
	case VMX_PSEUDO_REAL_MODE:
		/* What the entry would say without unrestricted guest. */
		return vmem_exit_fail_entry(vcpu, VMX_REASON_FAILED_ENTRY |
					    VMX_REASON_INVALID_STATE, 0);
	case VMX_REASON_TASK_SWITCH:
	case VMX_REASON_INIT:
	case VMX_REASON_SIPI:
	default:
		return vmx_unexpected(vcpu);
	}
}
