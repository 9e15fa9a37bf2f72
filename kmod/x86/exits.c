// SPDX-License-Identifier: GPL-2.0
/*
 * x86/exits.c - exits the core handles for both backends, and the
 * completion of the ones the VMM answers.
 *
 * What stays in the kernel (see also Documentation/api.rst): CPUID (the
 * VMM's table), XSETBV, the MSRs vmem keeps (the core's: APIC_BASE,
 * MISC_ENABLE, MTRRcap, MTRRdefType; the backend's: EFER, the SYSCALL and
 * SYSENTER MSRs, FS/GS/KERNEL_GS base, PAT, TSC, TSC_AUX...), and HLT when
 * an event is already queued, and vmem's own hypercalls (x86/hypercall.c).
 * What goes to the VMM: port I/O, MMIO, HLT, every other VMMCALL/VMCALL
 * from CPL 0, and every other MSR (VMEM_EXIT_MSR: the VMM
 * answers the value or asks for a #GP; a VMM that knows no MSR answers
 * error = 1 and the guest sees what hardware would give).  Sending
 * unknown MSRs to the VMM rather than injecting #GP lets a VMM model
 * platform MSRs without kernel changes; the cost is one exit per access,
 * and guests touch such MSRs rarely.
 *
 * An instruction that exits to the VMM completes at the next VMEM_RUN
 * (vmem_complete_pending): RIP points at it meanwhile, so a VMM that
 * never answers (kills the vCPU) leaves a consistent state.
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/bits.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include <linux/vmem.h>

#include "vmem_backend.h"
#include "vmem_core.h"
#include "vmem_vm.h"
#include "insn.h"

#define GP_VECTOR	13
#define DF_VECTOR	8
#define PF_VECTOR	14

/* ---------------------------------------------------------------------- */
/* Exceptions                                                              */

/* The classes of SDM vol. 3 table 6-4 (APM 8.2.9 is the same). */
enum vmem_exc_class {
	VMEM_EXC_BENIGN,
	VMEM_EXC_CONTRIBUTORY,
	VMEM_EXC_PAGE_FAULT,
};

static enum vmem_exc_class vmem_exc_class(u8 vector)
{
	if (vector == 0 || (vector >= 10 && vector <= 13))
		return VMEM_EXC_CONTRIBUTORY;
	if (vector == PF_VECTOR)
		return VMEM_EXC_PAGE_FAULT;
	return VMEM_EXC_BENIGN;
}

/*
 * A second exception while one is queued, which is either the one whose
 * delivery an exit interrupted (vmem_requeue_exception()) or one the core
 * queued itself: table 6-5.  A fault while #DF is queued shuts the guest
 * down (VMEM_REQ_TRIPLE_FAULT, answered by the run loop as the hardware's
 * own triple fault is); contributory after contributory, and a #PF or a
 * contributory fault after a #PF, make a #DF(0); anything else is handled
 * serially: the second is delivered, and the first, a fault, comes back
 * when its instruction runs again.
 */
void vmem_queue_exception(struct vmem_vcpu *vcpu, u8 vector, bool has_error,
			  u32 error_code)
{
	if (vcpu->exception.pending) {
		enum vmem_exc_class first =
			vmem_exc_class(vcpu->exception.vector);
		enum vmem_exc_class second = vmem_exc_class(vector);

		if (vcpu->exception.vector == DF_VECTOR) {
			vcpu->exception.pending = false;
			vcpu->exception.cr2_valid = false;
			set_bit(VMEM_REQ_TRIPLE_FAULT, &vcpu->requests);
			return;
		}
		if ((first == VMEM_EXC_CONTRIBUTORY &&
		     second == VMEM_EXC_CONTRIBUTORY) ||
		    (first == VMEM_EXC_PAGE_FAULT &&
		     second != VMEM_EXC_BENIGN)) {
			vector = DF_VECTOR;
			has_error = true;
			error_code = 0;
		}
	}
	vcpu->exception.pending = true;
	vcpu->exception.vector = vector;
	vcpu->exception.has_error = has_error;
	vcpu->exception.error_code = has_error ? error_code : 0;
	vcpu->exception.cr2_valid = false;
}

/*
 * Both backends, after an exit that interrupted the delivery of a hardware
 * exception (IDT-vectoring information, EXITINTINFO): it goes back in the
 * core's queue, where the exit's handler may merge a new fault with it.
 * Its CR2, for a #PF, is already in the guest's CR2.
 */
void vmem_requeue_exception(struct vmem_vcpu *vcpu, u8 vector, bool has_error,
			    u32 error_code)
{
	vcpu->exception.pending = true;
	vcpu->exception.vector = vector;
	vcpu->exception.has_error = has_error;
	vcpu->exception.error_code = has_error ? error_code : 0;
	vcpu->exception.cr2_valid = false;
}

void vmem_queue_page_fault(struct vmem_vcpu *vcpu, u64 cr2, u32 error_code)
{
	vmem_queue_exception(vcpu, PF_VECTOR, true, error_code);
	/* CR2 is loaded as the fault is found, also when it makes a #DF. */
	if (vcpu->exception.pending) {
		vcpu->exception.cr2 = cr2;
		vcpu->exception.cr2_valid = true;
	}
}

static void vmem_queue_gp(struct vmem_vcpu *vcpu)
{
	vmem_queue_exception(vcpu, GP_VECTOR, true, 0);
}

/* ---------------------------------------------------------------------- */
/* Registers                                                               */

static inline u64 vmem_size_mask(unsigned int bytes)
{
	return bytes >= 8 ? ~0ULL : GENMASK_ULL(8 * bytes - 1, 0);
}

/*
 * Write @val to a GPR with x86's rules: 8- and 16-bit writes merge, 32-bit
 * writes zero-extend (in 64-bit mode; harmless elsewhere), 64-bit replace.
 * @reg may be VMEM_PENDING_REG_AH.. for AH, CH, DH, BH.
 */
static void vmem_reg_write(struct vmem_vcpu *vcpu, u8 reg, u64 val,
			   unsigned int bytes)
{
	u64 *r;

	if (reg >= VMEM_PENDING_REG_AH) {
		r = &vcpu->regs[reg - VMEM_PENDING_REG_AH];
		*r = (*r & ~0xff00ULL) | ((val & 0xff) << 8);
		return;
	}
	r = &vcpu->regs[reg];
	switch (bytes) {
	case 1:
	case 2:
		*r = (*r & ~vmem_size_mask(bytes)) | (val & vmem_size_mask(bytes));
		break;
	case 4:
		*r = (u32)val;
		break;
	default:
		*r = val;
		break;
	}
}

/* Byte register @reg as an instruction names it (AH..BH without REX). */
static u8 vmem_reg8_id(u8 reg, bool rex)
{
	if (!rex && reg >= 4 && reg < 8)
		return VMEM_PENDING_REG_AH + reg - 4;
	return reg;
}

static u64 vmem_reg8_read(struct vmem_vcpu *vcpu, u8 id)
{
	if (id >= VMEM_PENDING_REG_AH)
		return (vcpu->regs[id - VMEM_PENDING_REG_AH] >> 8) & 0xff;
	return vcpu->regs[id] & 0xff;
}

/* An address register (RSI, RDI, RCX) updated at address size @asz. */
static void vmem_addr_reg_add(u64 *reg, s64 delta, unsigned int asz)
{
	u64 v = *reg + delta;

	if (asz == 2)
		*reg = (*reg & ~0xffffULL) | (v & 0xffff);
	else if (asz == 4)
		*reg = (u32)v;
	else
		*reg = v;
}

/* RIP after an instruction of @len bytes, wrapped to the code size. */
static u64 vmem_next_rip(struct vmem_vcpu *vcpu, unsigned int mode,
			 unsigned int len)
{
	u64 rip = vcpu->rip + len;

	if (mode == 4)
		return (u32)rip;
	if (mode == 2)
		return (u16)rip;
	return rip;
}

/* ---------------------------------------------------------------------- */
/* Internal errors                                                         */

static int vmem_internal(struct vmem_vcpu *vcpu, u32 suberror, u64 hw_exit,
			 u64 gpa, const u8 *bytes, unsigned int nbytes)
{
	struct vmem_run *run = vcpu->run;

	run->exit_reason = VMEM_EXIT_INTERNAL;
	memset(&run->internal, 0, sizeof(run->internal));
	run->internal.suberror = suberror;
	run->internal.hardware_exit = hw_exit;
	run->internal.gpa = gpa;
	nbytes = min_t(unsigned int, nbytes, sizeof(run->internal.insn));
	if (bytes)
		memcpy(run->internal.insn, bytes, nbytes);
	run->internal.insn_len = bytes ? nbytes : 0;
	return 0;
}

int vmem_exit_internal(struct vmem_vcpu *vcpu, u32 suberror, u64 hw_exit)
{
	u8 bytes[VMEM_INSN_MAX];
	unsigned int n = 0;

	if (vmem_insn_fetch(vcpu, bytes, &n))
		n = 0;
	return vmem_internal(vcpu, suberror, hw_exit, 0, n ? bytes : NULL, n);
}

int vmem_exit_fail_entry(struct vmem_vcpu *vcpu, u64 reason, u64 qual)
{
	struct vmem_run *run = vcpu->run;

	run->exit_reason = VMEM_EXIT_FAIL_ENTRY;
	run->fail_entry.hardware_reason = reason;
	run->fail_entry.qualification = qual;
	return 0;
}

/*
 * A triple fault, the hardware's or one the core found (table 6-5): the
 * vCPU's state is that of a failed delivery (undefined in the VMCB after
 * a SHUTDOWN intercept, APM 15.9), so it is reset to its INIT state
 * before the VMM hears of it, as real hardware restarts at f000:fff0.
 */
int vmem_exit_shutdown(struct vmem_vcpu *vcpu)
{
	clear_bit(VMEM_REQ_TRIPLE_FAULT, &vcpu->requests);
	vmem_backend->vcpu_reset(vcpu);
	vcpu->run->exit_reason = VMEM_EXIT_SHUTDOWN;
	return 0;
}

int vmem_exit_irq_window(struct vmem_vcpu *vcpu)
{
	vmem_backend->enable_irq_window(vcpu, false);
	if (!READ_ONCE(vcpu->run->request_interrupt_window))
		return 1;
	vcpu->run->exit_reason = VMEM_EXIT_IRQ_WINDOW;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* HLT, XSETBV (VMMCALL/VMCALL: x86/hypercall.c)                          */

int vmem_exit_hlt(struct vmem_vcpu *vcpu, unsigned int insn_len)
{
	vcpu->rip += insn_len;
	/* Something to deliver: the guest would wake at once. */
	if (vcpu->interrupt.pending || vcpu->nmi_pending ||
	    vcpu->exception.pending)
		return 1;
	vcpu->run->exit_reason = VMEM_EXIT_HLT;
	return 0;
}

int vmem_exit_xsetbv(struct vmem_vcpu *vcpu, unsigned int insn_len)
{
	u64 val = (vcpu->regs[VMEM_RDX] << 32) | (u32)vcpu->regs[VMEM_RAX];

	if (vmem_backend->get_cpl(vcpu) != 0 ||
	    (u32)vcpu->regs[VMEM_RCX] != 0 ||
	    !vmem_xcr0_valid(val, vcpu->xcr0_allowed)) {
		vmem_queue_gp(vcpu);
		return 1;
	}
	vcpu->guest_xcr0 = val;
	vcpu->rip += insn_len;
	return 1;
}

/* ---------------------------------------------------------------------- */
/* MSRs                                                                    */

#define MISC_ENABLE_DEFAULT	(MSR_IA32_MISC_ENABLE_BTS_UNAVAIL | \
				 MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL)

/* IA32_MTRR_DEF_TYPE: type (UC, WC, WT, WP, WB), FE (10), E (11). */
static bool vmem_mtrr_def_type_valid(u64 val)
{
	u8 type = val & 0xff;

	if (val & ~(0xffULL | BIT_ULL(10) | BIT_ULL(11)))
		return false;
	return type == 0 || type == 1 || type == 4 || type == 5 || type == 6;
}

int vmem_msr_get(struct vmem_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	switch (index) {
	case MSR_IA32_APICBASE:
		*data = vcpu->apic_base;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*data = vcpu->misc_enable ?: MISC_ENABLE_DEFAULT;
		return 0;
	case MSR_MTRRcap:
		/* No variable or fixed ranges, no WC: MTRRdefType only. */
		*data = 0;
		return 0;
	case MSR_MTRRdefType:
		*data = vcpu->mtrr_def_type;
		return 0;
	}
	if (!vmem_backend->get_msr)
		return -ENOENT;
	return vmem_backend->get_msr(vcpu, index, data);
}

int vmem_msr_set(struct vmem_vcpu *vcpu, u32 index, u64 data, bool host)
{
	switch (index) {
	case MSR_IA32_APICBASE:
		if (!vmem_apic_base_valid(data))
			return -EINVAL;
		vcpu->apic_base = data;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		/* Kept as written (reads give it back), like KVM. */
		vcpu->misc_enable = data;
		return 0;
	case MSR_MTRRcap:
		return (host && data == 0) ? 0 : -EINVAL;
	case MSR_MTRRdefType:
		if (!vmem_mtrr_def_type_valid(data))
			return -EINVAL;
		vcpu->mtrr_def_type = data;
		return 0;
	}
	if (!vmem_backend->set_msr)
		return -ENOENT;
	return vmem_backend->set_msr(vcpu, index, data);
}

static int vmem_exit_msr_vmm(struct vmem_vcpu *vcpu, u32 index, bool write,
			     u64 data, unsigned int insn_len)
{
	struct vmem_run *run = vcpu->run;

	run->exit_reason = VMEM_EXIT_MSR;
	memset(&run->msr, 0, sizeof(run->msr));
	run->msr.index = index;
	run->msr.is_write = write;
	run->msr.data = data;
	vcpu->pending = VMEM_PENDING_MSR;
	vcpu->pending_reg = write;	/* remembered here, not in the run area */
	vcpu->pending_next_rip = vcpu->rip + insn_len;
	return 0;
}

int vmem_exit_rdmsr(struct vmem_vcpu *vcpu, unsigned int insn_len)
{
	u32 index = vcpu->regs[VMEM_RCX];
	u64 data;
	int r;

	r = vmem_msr_get(vcpu, index, &data, false);
	if (r == -ENOENT)
		return vmem_exit_msr_vmm(vcpu, index, false, 0, insn_len);
	if (r) {
		vmem_queue_gp(vcpu);
		return 1;
	}
	vcpu->regs[VMEM_RAX] = (u32)data;
	vcpu->regs[VMEM_RDX] = data >> 32;
	vcpu->rip += insn_len;
	return 1;
}

int vmem_exit_wrmsr(struct vmem_vcpu *vcpu, unsigned int insn_len)
{
	u32 index = vcpu->regs[VMEM_RCX];
	u64 data = (vcpu->regs[VMEM_RDX] << 32) | (u32)vcpu->regs[VMEM_RAX];
	int r;

	r = vmem_msr_set(vcpu, index, data, false);
	if (r == -ENOENT)
		return vmem_exit_msr_vmm(vcpu, index, true, data, insn_len);
	if (r) {
		vmem_queue_gp(vcpu);
		return 1;
	}
	vcpu->rip += insn_len;
	return 1;
}

/* ---------------------------------------------------------------------- */
/* Port I/O                                                                */

static u8 *vmem_io_data(struct vmem_vcpu *vcpu)
{
	return (u8 *)vcpu->run + VMEM_RUN_IO_DATA_OFFSET;
}

/* Base of segment @seg for a data access in the current mode. */
static u64 vmem_seg_base(struct vmem_vcpu *vcpu, unsigned int mode, int seg)
{
	struct vmem_segment s;

	if (mode == 8 && seg != VMEM_SEG_FS && seg != VMEM_SEG_GS)
		return 0;
	vmem_backend->get_segment(vcpu, &s, seg);
	return s.base;
}

/* The exit to the VMM is not possible: report why, guest unchanged. */
static int vmem_pio_internal(struct vmem_vcpu *vcpu, u64 gpa)
{
	u8 bytes[VMEM_INSN_MAX];
	unsigned int n = 0;

	if (vmem_insn_fetch(vcpu, bytes, &n))
		n = 0;
	return vmem_internal(vcpu, VMEM_INTERNAL_EMULATION, 0, gpa,
			     n ? bytes : NULL, n);
}

int vmem_exit_pio(struct vmem_vcpu *vcpu, u64 next_rip)
{
	struct vmem_run *run = vcpu->run;
	unsigned int size = vcpu->pio.size;
	u8 *data = vmem_io_data(vcpu);
	u32 count = 1;

	if (size != 1 && size != 2 && size != 4)
		return vmem_exit_internal(vcpu, VMEM_INTERNAL_UNEXPECTED, 0);

	if (!vcpu->pio.string) {
		if (!vcpu->pio.in)
			memcpy(data, &vcpu->regs[VMEM_RAX], size);
	} else {
		unsigned int asz = vcpu->pio.addr_size;
		unsigned int mode = vmem_code_size(vcpu);
		bool df = vmem_backend->get_rflags(vcpu) & X86_EFLAGS_DF;
		u64 amask, cnt = 1, off, lin, fault;
		struct vmem_insn insn;
		unsigned int room;
		/* OUTS reads DS:rSI unless a prefix says otherwise; INS ES:rDI. */
		int seg = vcpu->pio.in ? VMEM_SEG_ES : VMEM_SEG_DS;
		int r;

		/*
		 * The instruction itself says its address size and segment;
		 * the backend's decoding is only a fallback.  (QEMU's SVM
		 * puts the address size one bit too high in EXITINFO1, and
		 * the segment field needs decode assists.)
		 */
		if (!vmem_insn_decode(vcpu, &insn)) {
			asz = insn.addr_bytes;
			if (!vcpu->pio.in && insn.seg >= 0)
				seg = insn.seg;
		}
		if (asz != 2 && asz != 4 && asz != 8)
			return vmem_exit_internal(vcpu, VMEM_INTERNAL_UNEXPECTED,
						  0);
		vcpu->pio.addr_size = asz;
		vcpu->pio.seg = seg;
		amask = vmem_size_mask(asz);
		if (vcpu->pio.rep) {
			cnt = vcpu->regs[VMEM_RCX] & amask;
			if (!cnt) {
				vcpu->rip = next_rip;
				return 1;
			}
		}
		off = vcpu->regs[vcpu->pio.in ? VMEM_RDI : VMEM_RSI] & amask;
		lin = vmem_seg_base(vcpu, mode, seg) + off;
		if (mode != 8)
			lin = (u32)lin;

		/* Batch within one page and the data area, forwards only. */
		cnt = min_t(u64, cnt, VMEM_RUN_IO_DATA_SIZE / size);
		room = (PAGE_SIZE - offset_in_page(lin)) / size;
		if (df || !room)
			cnt = 1;
		else
			cnt = min_t(u64, cnt, room);
		count = cnt;

		if (!vcpu->pio.in) {
			r = vmem_guest_virt_access(vcpu, lin, data, count * size,
						   0, &fault);
		} else {
			/* Check now that the data will have somewhere to go. */
			u64 gpa, last = lin + count * size - 1;

			fault = lin;
			r = vmem_gva_to_gpa(vcpu, lin, VMEM_ACC_WRITE, &gpa);
			if (!r) {
				fault = mode == 8 ? last : (u32)last;
				r = vmem_gva_to_gpa(vcpu, fault,
						    VMEM_ACC_WRITE, &gpa);
			}
			if (r == -EFAULT)
				fault = gpa;
			if (!r && vmem_gpa_lookup(vcpu->vm, gpa) != VMEM_GPA_RAM) {
				fault = gpa;
				r = -EFAULT;
			}
		}
		if (r > 0) {
			vmem_queue_page_fault(vcpu, fault, VMEM_PF_EC(r));
			return 1;
		}
		if (r == -EFAULT)
			return vmem_pio_internal(vcpu, fault);
		if (r)
			return r;
	}

	vcpu->pio.count = count;
	run->exit_reason = VMEM_EXIT_IO;
	run->io.direction = vcpu->pio.in ? VMEM_IO_IN : VMEM_IO_OUT;
	run->io.size = size;
	run->io.port = vcpu->pio.port;
	run->io.count = count;
	run->io.data_offset = VMEM_RUN_IO_DATA_OFFSET;
	vcpu->pending = VMEM_PENDING_PIO;
	vcpu->pending_next_rip = next_rip;
	return 0;
}

static int vmem_complete_pio(struct vmem_vcpu *vcpu)
{
	unsigned int size = vcpu->pio.size, asz = vcpu->pio.addr_size;
	u32 n = vcpu->pio.count;
	u8 *data = vmem_io_data(vcpu);
	s64 step;

	if (!vcpu->pio.string) {
		if (vcpu->pio.in) {
			u32 val = 0;

			memcpy(&val, data, size);
			vmem_reg_write(vcpu, VMEM_RAX, val, size);
		}
		vcpu->rip = vcpu->pending_next_rip;
		return 0;
	}

	if (vcpu->pio.in) {
		struct vmem_segment es;
		unsigned int mode = vmem_code_size(vcpu);
		u64 lin, fault;
		u8 *buf;
		int r;

		vmem_backend->get_segment(vcpu, &es, VMEM_SEG_ES);
		lin = (mode == 8 ? 0 : es.base) +
		      (vcpu->regs[VMEM_RDI] & vmem_size_mask(asz));
		if (mode != 8)
			lin = (u32)lin;
		/* A copy: the VMM could change the area while we write. */
		buf = kmemdup(data, n * size, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
		r = vmem_guest_virt_access(vcpu, lin, buf, n * size,
					   VMEM_ACC_WRITE, &fault);
		kfree(buf);
		if (r > 0) {
			/* The guest changed its tables meanwhile. */
			vmem_queue_page_fault(vcpu, fault, VMEM_PF_EC(r));
			return 0;
		}
		if (r && r != -EFAULT)
			return r;
	}

	step = (s64)n * size;
	if (vmem_backend->get_rflags(vcpu) & X86_EFLAGS_DF)
		step = -step;
	vmem_addr_reg_add(&vcpu->regs[vcpu->pio.in ? VMEM_RDI : VMEM_RSI],
			  step, asz);
	if (vcpu->pio.rep) {
		vmem_addr_reg_add(&vcpu->regs[VMEM_RCX], -(s64)n, asz);
		/* More to do: the guest runs the instruction again. */
		if (vcpu->regs[VMEM_RCX] & vmem_size_mask(asz))
			return 0;
	}
	vcpu->rip = vcpu->pending_next_rip;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* MMIO                                                                    */

int vmem_exit_mmio(struct vmem_vcpu *vcpu, u64 gpa, bool write)
{
	struct vmem_run *run = vcpu->run;
	struct vmem_insn insn;
	unsigned int len = 0, dst = 0;
	bool is_write = false;
	u64 wval = 0;
	u8 reg = 0, ext = 0;
	bool rex;
	int r;

	r = vmem_insn_decode(vcpu, &insn);
	if (r < 0 && r != -EFAULT && r != -EINVAL)
		return r;
	if (r)
		goto fail;
	if (insn.vex || insn.lock)
		goto fail;
	if (insn.has_modrm && insn.mod == 3)
		goto fail;
	rex = insn.rex;

	if (insn.map == 0) {
		switch (insn.opcode) {
		case 0x88:			/* MOV r/m8, r8 */
			is_write = true;
			len = 1;
			wval = vmem_reg8_read(vcpu, vmem_reg8_id(insn.reg, rex));
			break;
		case 0x89:			/* MOV r/m, r */
			is_write = true;
			len = insn.op_bytes;
			wval = vcpu->regs[insn.reg];
			break;
		case 0x8a:			/* MOV r8, r/m8 */
			len = dst = 1;
			reg = vmem_reg8_id(insn.reg, rex);
			break;
		case 0x8b:			/* MOV r, r/m */
			len = dst = insn.op_bytes;
			reg = insn.reg;
			break;
		case 0xc6:			/* MOV r/m8, imm8 */
		case 0xc7:			/* MOV r/m, imm */
			if ((insn.reg & 7) != 0)
				goto fail;
			is_write = true;
			len = insn.opcode == 0xc6 ? 1 : insn.op_bytes;
			wval = insn.imm;
			break;
		case 0x63:			/* MOVSXD r, r/m32 */
			if (insn.mode != 8)
				goto fail;	/* ARPL outside 64-bit mode */
			len = dst = min_t(unsigned int, insn.op_bytes, 4);
			if (insn.op_bytes == 8) {
				dst = 8;
				ext = 's';
			}
			reg = insn.reg;
			break;
		case 0xa0:			/* MOV AL, moffs8 */
		case 0xa1:			/* MOV rAX, moffs */
			len = dst = insn.opcode == 0xa0 ? 1 : insn.op_bytes;
			reg = VMEM_RAX;
			break;
		case 0xa2:			/* MOV moffs8, AL */
		case 0xa3:			/* MOV moffs, rAX */
			is_write = true;
			len = insn.opcode == 0xa2 ? 1 : insn.op_bytes;
			wval = vcpu->regs[VMEM_RAX];
			break;
		default:
			goto fail;
		}
	} else if (insn.map == 1) {
		switch (insn.opcode) {
		case 0xb6: case 0xb7:		/* MOVZX */
		case 0xbe: case 0xbf:		/* MOVSX */
			len = (insn.opcode & 1) ? 2 : 1;
			dst = insn.op_bytes;
			reg = insn.reg;
			ext = insn.opcode >= 0xbe ? 's' : 'z';
			break;
		case 0xc3:			/* MOVNTI m, r */
			if (insn.op_bytes < 4)
				goto fail;
			is_write = true;
			len = insn.op_bytes;
			wval = vcpu->regs[insn.reg];
			break;
		default:
			goto fail;
		}
	} else {
		goto fail;
	}

	run->exit_reason = VMEM_EXIT_MMIO;
	memset(&run->mmio, 0, sizeof(run->mmio));
	run->mmio.gpa = gpa;
	run->mmio.len = len;
	run->mmio.is_write = is_write;
	if (is_write) {
		memcpy(run->mmio.data, &wval, len);
		vcpu->pending = VMEM_PENDING_MMIO_WRITE;
	} else {
		vcpu->pending = VMEM_PENDING_MMIO_READ;
		vcpu->pending_reg = reg;
		vcpu->pending_len = len;
		vcpu->pending_dst = dst;
		vcpu->pending_ext = ext;
	}
	vcpu->pending_next_rip = vmem_next_rip(vcpu, insn.mode, insn.len);
	return 0;

fail:
	return vmem_internal(vcpu, VMEM_INTERNAL_EMULATION, 0, gpa,
			     insn.nbytes ? insn.bytes : NULL, insn.nbytes);
}

static void vmem_complete_mmio_read(struct vmem_vcpu *vcpu)
{
	unsigned int len = vcpu->pending_len;
	u64 val = 0;

	memcpy(&val, vcpu->run->mmio.data, len);
	if (vcpu->pending_ext == 's')
		val = sign_extend64(val, 8 * len - 1);
	vmem_reg_write(vcpu, vcpu->pending_reg, val, vcpu->pending_dst);
}

/* ---------------------------------------------------------------------- */
/* Completion at the next VMEM_RUN                                         */

int vmem_complete_pending(struct vmem_vcpu *vcpu)
{
	struct vmem_run *run = vcpu->run;
	enum vmem_pending pending = vcpu->pending;
	int r = 0;

	vcpu->pending = VMEM_PENDING_NONE;
	switch (pending) {
	case VMEM_PENDING_NONE:
		return 0;
	case VMEM_PENDING_PIO:
		r = vmem_complete_pio(vcpu);
		if (r)
			vcpu->pending = pending;	/* try again next time */
		return r;
	case VMEM_PENDING_MMIO_READ:
		vmem_complete_mmio_read(vcpu);
		break;
	case VMEM_PENDING_MMIO_WRITE:
		break;
	case VMEM_PENDING_HYPERCALL:
		vcpu->regs[VMEM_RAX] = READ_ONCE(run->hypercall.ret);
		break;
	case VMEM_PENDING_MSR:
		if (READ_ONCE(run->msr.error)) {
			vmem_queue_gp(vcpu);
			return 0;	/* a faulting RDMSR/WRMSR does not retire */
		}
		if (!vcpu->pending_reg) {
			u64 data = READ_ONCE(run->msr.data);

			vcpu->regs[VMEM_RAX] = (u32)data;
			vcpu->regs[VMEM_RDX] = data >> 32;
		}
		break;
	}
	vcpu->rip = vcpu->pending_next_rip;
	return 0;
}
