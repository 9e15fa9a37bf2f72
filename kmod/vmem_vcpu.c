// SPDX-License-Identifier: GPL-2.0
/*
 * vmem_vcpu.c - vCPU objects, the vCPU fd, the run area and the run loop.
 *
 * A vCPU belongs to its VM: it is freed with the VM, never with its fd, so
 * the VM can always walk vm->vcpus[] (kicks, TLB-flush requests).  Its fd
 * holds a VM reference.  Every ioctl but VMEM_KICK runs under vcpu->mutex,
 * which therefore protects everything marked [v].
 *
 * The run loop (vmem_vcpu_run) follows the contract in vmem_backend.h:
 *
 *   load run->s groups the VMM marked dirty
 *   complete the instruction whose exit the VMM just handled
 *   loop:
 *     stop flag -> VMEM_EXIT_STOPPED; signal -> -EINTR; cond_resched
 *     preempt off, guest FPU in (kernel_fpu_begin + XRSTOR), IRQs off,
 *     guest XCR0
 *     mode = IN_GUEST, full barrier, re-check stop/signal/need_resched
 *     ops->run; mode = OUTSIDE
 *     ops->handle_exit_fast handled it -> enter again, FPU still loaded
 *     host XCR0, IRQs on, XSAVE guest FPU, kernel_fpu_end, preempt on
 *     ops->handle_exit: 1 -> loop, 0 -> return to the VMM, <0 -> error
 *   copy run->s groups the VMM wants, exit summary (IF, readiness, CR8)
 *
 * The dirty registers are loaded before the completion (as KVM does with
 * sync_regs): a VMM that writes back the s.regs it got at an IN or MMIO
 * read exit must not wipe the data its answer puts in the destination.
 *
 * Kicks: the entry publishes mode = IN_GUEST, then (full barrier) looks at
 * run->stop and signals with interrupts off; a kicker sets run->stop (or
 * the signal code sets TIF_SIGPENDING), then (full barrier) reads mode and
 * IPIs the vCPU's CPU if it is IN_GUEST.  Either the entry sees the flag,
 * or the kicker sees IN_GUEST and its IPI, pending while interrupts are
 * off, makes the guest exit at once.  Signals use the same scheme through
 * kick_process()'s reschedule IPI.
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <asm/apicdef.h>
#include <asm/fpu/xcr.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include <linux/vmem.h>

#include "vmem_backend.h"
#include "vmem_compat.h"
#include "vmem_core.h"
#include "vmem_vm.h"

static_assert(sizeof(struct vmem_run) <= PAGE_SIZE);
static_assert(VMEM_RUN_IO_DATA_OFFSET >= sizeof(struct vmem_run) -
	      sizeof(((struct vmem_run *)0)->s));
static_assert(offsetof(struct vmem_run, s) + sizeof(((struct vmem_run *)0)->s)
	      <= VMEM_RUN_IO_DATA_OFFSET);
static_assert(VMEM_RUN_IO_DATA_OFFSET + VMEM_RUN_IO_DATA_SIZE <= PAGE_SIZE);
static_assert(sizeof(struct vmem_regs) == 8 + 18 * 8 + 32);
static_assert(sizeof(struct vmem_segment) == 24);
static_assert(sizeof(struct vmem_dtable) == 16);
static_assert(sizeof(struct vmem_sregs) == 8 + 8 * 24 + 2 * 16 + 7 * 8 + 64);
static_assert(sizeof(struct vmem_debugregs) == 88);
static_assert(sizeof(struct vmem_fpu) == 64 + 4096);
static_assert(sizeof(struct vmem_msr_entry) == 16);
static_assert(sizeof(struct vmem_msrs) == 16);
static_assert(sizeof(struct vmem_cpuid_entry) == 40);
static_assert(sizeof(struct vmem_cpuid) == 16);
static_assert(sizeof(struct vmem_event) == 32);

#define VMEM_MAX_MSRS		256

/* XSAVE standard format: legacy area, header, and what lives there. */
#define XSAVE_HDR_OFFSET	512
#define XSAVE_HDR_SIZE		64
#define FXSAVE_FCW		0
#define FXSAVE_MXCSR		24
#define FXSAVE_MXCSR_MASK	28

/* Host XCR0, the same on every CPU.  [I] after vmem_vcpu_init() */
static u64 vmem_host_xcr0;
/* MXCSR bits the CPU implements (FXSAVE's MXCSR_MASK).  [I] */
static u32 vmem_mxcsr_mask;

int vmem_vcpu_init(void)
{
	u8 *fx;

	if (!boot_cpu_has(X86_FEATURE_XSAVE) ||
	    !boot_cpu_has(X86_FEATURE_OSXSAVE)) {
		pr_err("the host does not use XSAVE; VMs are not offered\n");
		return 0;
	}
	vmem_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);

	fx = kzalloc(512, GFP_KERNEL);
	if (!fx)
		return -ENOMEM;
	kernel_fpu_begin();
	asm volatile("fxsave64 %0" : "=m" (*(u8 (*)[512])fx));
	kernel_fpu_end();
	vmem_mxcsr_mask = *(u32 *)(fx + FXSAVE_MXCSR_MASK);
	kfree(fx);
	/* Zero means the CPU predates the field: DAZ is not implemented. */
	if (!vmem_mxcsr_mask)
		vmem_mxcsr_mask = 0xffbf;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Guest FPU                                                               */

static void vmem_fpu_reset_area(struct vmem_vcpu *vcpu)
{
	u8 *xa = vcpu->guest_fpu;

	memset(xa, 0, PAGE_SIZE);
	/* As after RESET/INIT: FCW 037Fh, MXCSR 1F80h; XSTATE_BV = x87|SSE. */
	*(u16 *)(xa + FXSAVE_FCW) = 0x37f;
	*(u32 *)(xa + FXSAVE_MXCSR) = 0x1f80;
	*(u64 *)(xa + XSAVE_HDR_OFFSET) = XFEATURE_MASK_FPSSE;
}

static bool vmem_xrstor(void *xa, u64 mask)
{
	asm goto("1: xrstor64 %[xa]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [xa] "m" (*(u8 (*)[PAGE_SIZE])xa),
		     "a" ((u32)mask), "d" ((u32)(mask >> 32))
		 : "memory" : fault);
	return true;
fault:
	return false;
}

static void vmem_xsave(void *xa, u64 mask)
{
	asm volatile("xsave64 %[xa]"
		     : [xa] "+m" (*(u8 (*)[PAGE_SIZE])xa)
		     : "a" ((u32)mask), "d" ((u32)(mask >> 32))
		     : "memory");
}

/*
 * Load the guest's registers, with the host's XCR0 still in place and
 * every component vmem offers in the mask: XCR0 decides what XSAVE
 * manages, not what the guest may have in its registers (XMM registers
 * exist with XCR0 = x87 only), so the guest's XCR0 must not narrow it.
 */
static void vmem_guest_fpu_load(struct vmem_vcpu *vcpu)
{
	vmem_fpu_begin();
	if (unlikely(!vmem_xrstor(vcpu->guest_fpu, vmem_supported_xcr0))) {
		/* SET_FPU validates; this would be our bug.  Reset, not crash. */
		pr_warn_ratelimited("vCPU %u: bad XSAVE image, FPU reset\n",
				    vcpu->id);
		vmem_fpu_reset_area(vcpu);
		vmem_xrstor(vcpu->guest_fpu, vmem_supported_xcr0);
	}
}

static void vmem_guest_fpu_put(struct vmem_vcpu *vcpu)
{
	vmem_xsave(vcpu->guest_fpu, vmem_supported_xcr0);
	vmem_fpu_end();
}

/*
 * XCR0 in the CPU follows @loaded, which starts as the host's: the guest's
 * is loaded with interrupts off right before each entry (a fast-path
 * XSETBV may change it between entries), the host's right after the last
 * exit, so interrupt handlers and the XSAVE below always see the host's.
 */
static inline void vmem_xcr0_switch(u64 *loaded, u64 want)
{
	if (*loaded != want) {
		xsetbv(XCR_XFEATURE_ENABLED_MASK, want);
		*loaded = want;
	}
}

/*
 * The architectural rules for XCR0 (SDM 13.3), on top of @allowed: x87
 * always, AVX needs SSE, the AVX-512 trio together and with AVX.
 */
bool vmem_xcr0_valid(u64 xcr0, u64 allowed)
{
	if (xcr0 & ~allowed)
		return false;
	if (!(xcr0 & XFEATURE_MASK_FP))
		return false;
	if ((xcr0 & XFEATURE_MASK_YMM) && !(xcr0 & XFEATURE_MASK_SSE))
		return false;
	if (xcr0 & XFEATURE_MASK_AVX512) {
		if ((xcr0 & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512)
			return false;
		if (!(xcr0 & XFEATURE_MASK_YMM))
			return false;
	}
	if (!(xcr0 & XFEATURE_MASK_BNDREGS) != !(xcr0 & XFEATURE_MASK_BNDCSR))
		return false;
	return true;
}

static long vmem_vcpu_get_fpu(struct vmem_vcpu *vcpu,
			      struct vmem_fpu __user *ufpu)
{
	struct vmem_fpu *fpu;
	long r = 0;

	fpu = kzalloc(sizeof(*fpu), GFP_KERNEL);
	if (!fpu)
		return -ENOMEM;
	/*
	 * The area holds every component vmem manages (XSAVE runs with
	 * vmem's full mask); report those the guest's XCR0 enables, so that
	 * what GET gives, SET takes back.
	 */
	fpu->xcr0 = vcpu->guest_xcr0;
	memcpy(fpu->xsave, vcpu->guest_fpu, vmem_xsave_size(fpu->xcr0));
	*(u64 *)(fpu->xsave + XSAVE_HDR_OFFSET) &= fpu->xcr0;
	if (copy_to_user(ufpu, fpu, sizeof(*fpu)))
		r = -EFAULT;
	kfree(fpu);
	return r;
}

/*
 * Refuses (-EINVAL) what XSETBV or XRSTOR would refuse: bad XCR0, header
 * bits outside XCR0, a compacted image, nonzero header reserved bytes,
 * reserved MXCSR bits.  Only the bytes XCR0's components use are kept.
 */
static long vmem_vcpu_set_fpu(struct vmem_vcpu *vcpu,
			      struct vmem_fpu __user *ufpu)
{
	struct vmem_fpu *fpu;
	u64 xstate_bv;
	unsigned int i;
	u32 size;
	long r = -EINVAL;

	fpu = kmalloc(sizeof(*fpu), GFP_KERNEL);
	if (!fpu)
		return -ENOMEM;
	if (copy_from_user(fpu, ufpu, sizeof(*fpu))) {
		r = -EFAULT;
		goto out;
	}
	if (fpu->flags || fpu->pad)
		goto out;
	for (i = 0; i < ARRAY_SIZE(fpu->reserved); i++)
		if (fpu->reserved[i])
			goto out;
	if (!vmem_xcr0_valid(fpu->xcr0, vmem_supported_xcr0))
		goto out;
	xstate_bv = *(u64 *)(fpu->xsave + XSAVE_HDR_OFFSET);
	if (xstate_bv & ~fpu->xcr0)
		goto out;
	for (i = 8; i < XSAVE_HDR_SIZE; i++)
		if (fpu->xsave[XSAVE_HDR_OFFSET + i])
			goto out;
	if (*(u32 *)(fpu->xsave + FXSAVE_MXCSR) & ~vmem_mxcsr_mask)
		goto out;

	size = vmem_xsave_size(fpu->xcr0);
	memcpy(vcpu->guest_fpu, fpu->xsave, size);
	memset(vcpu->guest_fpu + size, 0, PAGE_SIZE - size);
	vcpu->guest_xcr0 = fpu->xcr0;
	r = 0;
out:
	kfree(fpu);
	return r;
}

/* ---------------------------------------------------------------------- */
/* Registers                                                               */

/* RFLAGS bits that must be zero: 3, 5, 15, 22-63.  Bit 1 reads as one. */
#define VMEM_RFLAGS_RESERVED	(BIT_ULL(3) | BIT_ULL(5) | BIT_ULL(15) | \
				 GENMASK_ULL(63, 22))

static void vmem_get_regs(struct vmem_vcpu *vcpu, struct vmem_regs *regs)
{
	const u64 *g = vcpu->regs;

	regs->flags = 0;
	regs->pad = 0;
	memset(regs->reserved, 0, sizeof(regs->reserved));

	regs->rax = g[VMEM_RAX];
	regs->rbx = g[VMEM_RBX];
	regs->rcx = g[VMEM_RCX];
	regs->rdx = g[VMEM_RDX];
	regs->rsi = g[VMEM_RSI];
	regs->rdi = g[VMEM_RDI];
	regs->rsp = g[VMEM_RSP];
	regs->rbp = g[VMEM_RBP];
	regs->r8 = g[VMEM_R8];
	regs->r9 = g[VMEM_R9];
	regs->r10 = g[VMEM_R10];
	regs->r11 = g[VMEM_R11];
	regs->r12 = g[VMEM_R12];
	regs->r13 = g[VMEM_R13];
	regs->r14 = g[VMEM_R14];
	regs->r15 = g[VMEM_R15];
	regs->rip = vcpu->rip;
	regs->rflags = vmem_backend->get_rflags(vcpu);
}

/* The checks of SET_REGS and of the run area's VMEM_SYNC_REGS alike. */
static bool vmem_regs_ok(const struct vmem_regs *regs)
{
	unsigned int i;

	if (regs->flags || regs->pad)
		return false;
	for (i = 0; i < ARRAY_SIZE(regs->reserved); i++)
		if (regs->reserved[i])
			return false;
	return !(regs->rflags & VMEM_RFLAGS_RESERVED);
}

static int vmem_set_regs(struct vmem_vcpu *vcpu, const struct vmem_regs *regs)
{
	u64 *g = vcpu->regs;

	if (!vmem_regs_ok(regs))
		return -EINVAL;

	g[VMEM_RAX] = regs->rax;
	g[VMEM_RBX] = regs->rbx;
	g[VMEM_RCX] = regs->rcx;
	g[VMEM_RDX] = regs->rdx;
	g[VMEM_RSI] = regs->rsi;
	g[VMEM_RDI] = regs->rdi;
	g[VMEM_RSP] = regs->rsp;
	g[VMEM_RBP] = regs->rbp;
	g[VMEM_R8] = regs->r8;
	g[VMEM_R9] = regs->r9;
	g[VMEM_R10] = regs->r10;
	g[VMEM_R11] = regs->r11;
	g[VMEM_R12] = regs->r12;
	g[VMEM_R13] = regs->r13;
	g[VMEM_R14] = regs->r14;
	g[VMEM_R15] = regs->r15;
	vcpu->rip = regs->rip;
	vmem_backend->set_rflags(vcpu, regs->rflags | X86_EFLAGS_FIXED);
	return 0;
}

void vmem_get_sregs(struct vmem_vcpu *vcpu, struct vmem_sregs *sregs)
{
	memset(sregs, 0, sizeof(*sregs));
	vmem_backend->get_sregs(vcpu, sregs);
	sregs->apic_base = vcpu->apic_base;
	/* The ABI promises zeros in what is not state. */
	sregs->flags = 0;
	sregs->pad = 0;
	memset(sregs->reserved, 0, sizeof(sregs->reserved));
}

static bool vmem_segment_ok(const struct vmem_segment *s)
{
	return !s->pad;
}

static bool vmem_dtable_ok(const struct vmem_dtable *d)
{
	return !d->pad[0] && !d->pad[1] && !d->pad[2];
}

/* IA32_APIC_BASE: BSP (8), x2APIC enable (10, not offered), enable (11),
 * base (12..MAXPHYADDR-1). */
bool vmem_apic_base_valid(u64 val)
{
	u64 rsvd = GENMASK_ULL(7, 0) | BIT_ULL(9) | BIT_ULL(10) |
		   GENMASK_ULL(63, vmem_config.max_gpa_bits);

	return !(val & rsvd);
}

static int vmem_set_sregs(struct vmem_vcpu *vcpu,
			  const struct vmem_sregs *sregs)
{
	const struct vmem_segment *segs[] = {
		&sregs->cs, &sregs->ds, &sregs->es, &sregs->fs,
		&sregs->gs, &sregs->ss, &sregs->tr, &sregs->ldt,
	};
	unsigned int i;
	int r;

	if (sregs->flags || sregs->pad)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(sregs->reserved); i++)
		if (sregs->reserved[i])
			return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(segs); i++)
		if (!vmem_segment_ok(segs[i]))
			return -EINVAL;
	if (!vmem_dtable_ok(&sregs->gdt) || !vmem_dtable_ok(&sregs->idt))
		return -EINVAL;
	if (!vmem_apic_base_valid(sregs->apic_base))
		return -EINVAL;

	r = vmem_backend->set_sregs(vcpu, sregs);
	if (r)
		return r;
	vcpu->apic_base = sregs->apic_base;
	return 0;
}

static long vmem_vcpu_set_debugregs(struct vmem_vcpu *vcpu,
				    struct vmem_debugregs __user *udr)
{
	struct vmem_debugregs dr;
	unsigned int i;

	if (copy_from_user(&dr, udr, sizeof(dr)))
		return -EFAULT;
	if (dr.flags || dr.pad)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(dr.reserved); i++)
		if (dr.reserved[i])
			return -EINVAL;
	return vmem_backend->set_debugregs(vcpu, &dr);
}

static long vmem_vcpu_get_debugregs(struct vmem_vcpu *vcpu,
				    struct vmem_debugregs __user *udr)
{
	struct vmem_debugregs dr;

	memset(&dr, 0, sizeof(dr));
	vmem_backend->get_debugregs(vcpu, &dr);
	dr.flags = 0;
	dr.pad = 0;
	memset(dr.reserved, 0, sizeof(dr.reserved));
	if (copy_to_user(udr, &dr, sizeof(dr)))
		return -EFAULT;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* MSR lists                                                               */

/*
 * Entries are processed in order; the count that succeeded is returned.
 * An MSR vmem does not keep (neither the core's nor the backend's set)
 * or a value it refuses stops the list.  More than 256 entries: -E2BIG
 * (as KVM); nonzero flags/reserved fields anywhere: -EINVAL; both before
 * anything runs.
 */
static long vmem_vcpu_msrs(struct vmem_vcpu *vcpu, struct vmem_msrs __user *um,
			   bool set)
{
	struct vmem_msr_entry *e;
	struct vmem_msrs hdr;
	unsigned int i;
	long r;

	if (copy_from_user(&hdr, um, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs > VMEM_MAX_MSRS)
		return -E2BIG;
	if (hdr.flags || hdr.reserved)
		return -EINVAL;
	if (!hdr.nmsrs)
		return 0;

	e = memdup_user(um->entries, array_size(hdr.nmsrs, sizeof(*e)));
	if (IS_ERR(e))
		return PTR_ERR(e);
	r = -EINVAL;
	for (i = 0; i < hdr.nmsrs; i++)
		if (e[i].reserved)
			goto out;

	for (i = 0; i < hdr.nmsrs; i++) {
		if (set) {
			if (vmem_msr_set(vcpu, e[i].index, e[i].data, true))
				break;
		} else {
			if (vmem_msr_get(vcpu, e[i].index, &e[i].data, true))
				break;
		}
	}
	r = i;
	if (!set && i && copy_to_user(um->entries, e, i * sizeof(*e)))
		r = -EFAULT;
out:
	kfree(e);
	return r;
}

/* ---------------------------------------------------------------------- */
/* Events                                                                  */

/* Vectors reserved on Intel and AMD alike: not injectable. */
static bool vmem_vector_reserved(u32 vector)
{
	return vector == 15 || (vector >= 22 && vector <= 27) || vector == 31;
}

/* Exceptions that push an error code. */
static bool vmem_vector_has_error(u32 vector)
{
	switch (vector) {
	case 8: case 10: case 11: case 12: case 13: case 14: case 17: case 21:
		return true;
	default:
		return false;
	}
}

/*
 * Errors: -EINVAL for a bad type, vector (exceptions 0-31 but not 2 or
 * the reserved 15, 22-27, 31; external interrupts 32-255; NMI 0 or 2),
 * flags, an error code on a
 * vector that pushes none (or none on one that does), nonzero reserved;
 * -EBUSY when an external interrupt cannot be taken now (the guest's IF,
 * an interrupt shadow, or one already queued) or an exception is already
 * queued.  A second NMI while one is pending is merged, as on hardware.
 */
static long vmem_vcpu_inject(struct vmem_vcpu *vcpu,
			     struct vmem_event __user *uev)
{
	struct vmem_event ev;
	bool has_error;

	if (copy_from_user(&ev, uev, sizeof(ev)))
		return -EFAULT;
	if (ev.reserved[0] || ev.reserved[1])
		return -EINVAL;
	if (ev.flags & ~VMEM_EVENT_ERROR_CODE)
		return -EINVAL;
	has_error = ev.flags & VMEM_EVENT_ERROR_CODE;
	if (!has_error && ev.error_code)
		return -EINVAL;

	switch (ev.type) {
	case VMEM_EVENT_EXTINT:
		/*
		 * Any vector: a real-mode BIOS has the 8259 deliver IRQ0-7
		 * on vectors 8-15 (SeaBIOS under QEMU does).
		 */
		if (ev.vector > 255 || has_error)
			return -EINVAL;
		if (vcpu->interrupt.pending ||
		    !vmem_backend->interrupt_allowed(vcpu))
			return -EBUSY;
		vcpu->interrupt.vector = ev.vector;
		vcpu->interrupt.pending = true;
		return 0;
	case VMEM_EVENT_NMI:
		if ((ev.vector != 0 && ev.vector != 2) || has_error)
			return -EINVAL;
		vcpu->nmi_pending = true;
		return 0;
	case VMEM_EVENT_EXCEPTION:
		if (ev.vector > 31 || ev.vector == 2 ||
		    vmem_vector_reserved(ev.vector))
			return -EINVAL;
		if (has_error != vmem_vector_has_error(ev.vector))
			return -EINVAL;
		if (vcpu->exception.pending)
			return -EBUSY;
		vmem_queue_exception(vcpu, ev.vector, has_error, ev.error_code);
		return 0;
	default:
		return -EINVAL;
	}
}

/* ---------------------------------------------------------------------- */
/* Kicks and requests                                                      */

static void vmem_kick_ipi(void *unused)
{
	/* Nothing: the interrupt alone made the guest exit. */
}

void vmem_vcpu_kick(struct vmem_vcpu *vcpu)
{
	int cpu;

	/* The caller's flag store before the mode read (see top). */
	smp_mb();
	if (READ_ONCE(vcpu->mode) != VMEM_IN_GUEST)
		return;
	cpu = READ_ONCE(vcpu->cpu);
	if (cpu >= 0 && cpu != raw_smp_processor_id())
		smp_call_function_single(cpu, vmem_kick_ipi, NULL, 0);
}

/*
 * Sets @req on every vCPU and returns once none of them can still be in
 * the guest without having seen it: a vCPU in the guest gets a waited-for
 * IPI, which runs only after it left the guest (interrupts are off from
 * the last check before entry to after the exit); one outside will see
 * the bit before its next entry.  Process context, no spinlocks held.
 */
void vmem_vm_request_all(struct vmem_vm *vm, int req)
{
	unsigned int i;

	for (i = 0; i < vmem_config.max_vcpus; i++) {
		struct vmem_vcpu *vcpu = READ_ONCE(vm->vcpus[i]);
		int cpu;

		if (!vcpu)
			continue;
		set_bit(req, &vcpu->requests);
		smp_mb__after_atomic();
		if (READ_ONCE(vcpu->mode) != VMEM_IN_GUEST)
			continue;
		cpu = READ_ONCE(vcpu->cpu);
		if (cpu >= 0)
			smp_call_function_single(cpu, vmem_kick_ipi, NULL, 1);
	}
}

/* ---------------------------------------------------------------------- */
/* The run area's register sync                                            */

/*
 * Load the groups the VMM marked dirty, all or nothing: the registers are
 * checked first, the system state is loaded (its checks are the
 * backend's), and only then the registers.
 */
static int vmem_sync_in(struct vmem_vcpu *vcpu)
{
	struct vmem_run *run = vcpu->run;
	u32 dirty = READ_ONCE(run->sync_dirty);
	struct vmem_regs regs;
	int r;

	if (dirty & ~VMEM_SYNC_ALL)
		return -EINVAL;
	if (dirty & VMEM_SYNC_REGS) {
		/* One copy: the VMM may scribble on the page meanwhile. */
		memcpy(&regs, &run->s.regs, sizeof(regs));
		if (!vmem_regs_ok(&regs))
			return -EINVAL;
	}
	if (dirty & VMEM_SYNC_SREGS) {
		struct vmem_sregs *sregs;

		sregs = kmalloc(sizeof(*sregs), GFP_KERNEL);
		if (!sregs)
			return -ENOMEM;
		memcpy(sregs, &run->s.sregs, sizeof(*sregs));
		r = vmem_set_sregs(vcpu, sregs);
		kfree(sregs);
		if (r)
			return r;
	}
	if (dirty & VMEM_SYNC_REGS)
		vmem_set_regs(vcpu, &regs);
	WRITE_ONCE(run->sync_dirty, 0);
	return 0;
}

static void vmem_sync_out(struct vmem_vcpu *vcpu)
{
	struct vmem_run *run = vcpu->run;
	u32 wanted = READ_ONCE(run->sync_wanted) & VMEM_SYNC_ALL;
	u64 rflags = vmem_backend->get_rflags(vcpu);

	/*
	 * Every exit to the VMM passes here: fill only what the run area
	 * always carries, and the register sets the VMM asked for.
	 */
	if (wanted & VMEM_SYNC_REGS)
		vmem_get_regs(vcpu, &run->s.regs);
	if (wanted & VMEM_SYNC_SREGS)
		vmem_get_sregs(vcpu, &run->s.sregs);

	run->sync_valid = wanted;
	run->if_flag = !!(rflags & X86_EFLAGS_IF);
	run->ready_for_interrupt = !vcpu->interrupt.pending &&
				   vmem_backend->interrupt_allowed(vcpu);
	run->cr8 = vmem_backend->get_cr8(vcpu);
	run->apic_base = vcpu->apic_base;
}

/* ---------------------------------------------------------------------- */
/* The run loop                                                            */

/*
 * One entry, or a burst of entries while handle_exit_fast handles the
 * exits.  Returns 1 to go round the loop again (nothing to report or the
 * entry was abandoned for a stop/signal/reschedule), else what
 * handle_exit returned.
 */
static int vmem_vcpu_enter(struct vmem_vcpu *vcpu)
{
	const struct vmem_backend_ops *ops = vmem_backend;
	struct vmem_run *run = vcpu->run;
	u64 xcr0 = vmem_host_xcr0;
	bool abandoned = false;

	preempt_disable();
	vmem_guest_fpu_load(vcpu);
	local_irq_disable();

	for (;;) {
		vcpu->cpu = smp_processor_id();
		/* Publish IN_GUEST before looking at the kickers' flags. */
		smp_store_mb(vcpu->mode, VMEM_IN_GUEST);
		if (READ_ONCE(run->stop) || signal_pending(current) ||
		    need_resched()) {
			WRITE_ONCE(vcpu->mode, VMEM_OUTSIDE_GUEST);
			abandoned = true;
			break;
		}

		vmem_xcr0_switch(&xcr0, vcpu->guest_xcr0);
		ops->run(vcpu);
		/*
		 * Backends intercept XSETBV, but QEMU's TCG SVM does not
		 * implement that intercept: take what the guest left in XCR0
		 * (a few cycles), so the host's is always restored below.
		 */
		if (unlikely(xgetbv(XCR_XFEATURE_ENABLED_MASK) != xcr0)) {
			xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
			vcpu->guest_xcr0 = xcr0;
		}

		smp_store_release(&vcpu->mode, VMEM_OUTSIDE_GUEST);
		if (!ops->handle_exit_fast || !ops->handle_exit_fast(vcpu))
			break;
	}

	vmem_xcr0_switch(&xcr0, vmem_host_xcr0);
	local_irq_enable();
	vmem_guest_fpu_put(vcpu);
	preempt_enable();

	if (abandoned)
		return 1;
	return ops->handle_exit(vcpu);
}

static int vmem_vcpu_run(struct vmem_vcpu *vcpu)
{
	const struct vmem_backend_ops *ops = vmem_backend;
	struct vmem_run *run = vcpu->run;
	int r;

	run->exit_reason = VMEM_EXIT_NONE;
	run->sync_valid = 0;
	if (READ_ONCE(run->sync_wanted) & ~VMEM_SYNC_ALL)
		return -EINVAL;
	if (READ_ONCE(run->pad0[0]) || READ_ONCE(run->pad0[1]) ||
	    READ_ONCE(run->pad1))
		return -EINVAL;

	r = vmem_sync_in(vcpu);
	if (r)
		goto out;
	r = vmem_complete_pending(vcpu);
	if (r)
		goto out;

	for (;;) {
		/* An exit's handler found a fault while #DF was queued. */
		if (test_bit(VMEM_REQ_TRIPLE_FAULT, &vcpu->requests)) {
			r = vmem_exit_shutdown(vcpu);
			break;
		}
		if (READ_ONCE(run->stop)) {
			run->exit_reason = VMEM_EXIT_STOPPED;
			r = 0;
			break;
		}
		if (signal_pending(current)) {
			/* exit_reason stays VMEM_EXIT_NONE. */
			r = -EINTR;
			break;
		}
		if (READ_ONCE(run->request_interrupt_window)) {
			if (!vcpu->interrupt.pending &&
			    ops->interrupt_allowed(vcpu)) {
				run->exit_reason = VMEM_EXIT_IRQ_WINDOW;
				r = 0;
				break;
			}
			ops->enable_irq_window(vcpu, true);
		}
		cond_resched();

		r = vmem_vcpu_enter(vcpu);
		if (r <= 0)
			break;
	}
out:
	vmem_sync_out(vcpu);
	return r;
}

/* ---------------------------------------------------------------------- */
/* The vCPU fd                                                             */

static vm_fault_t vmem_run_fault(struct vm_fault *vmf)
{
	struct vmem_vcpu *vcpu = vmf->vma->vm_file->private_data;

	if (vmf->pgoff != 0)
		return VM_FAULT_SIGBUS;
	get_page(vcpu->run_page);
	vmf->page = vcpu->run_page;
	return 0;
}

static const struct vm_operations_struct vmem_run_vm_ops = {
	.fault = vmem_run_fault,
};

/* Offset 0, at most VMEM_CAP_RUN_SIZE (one page), else -EINVAL. */
static int vmem_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff != 0 || vma_pages(vma) != 1)
		return -EINVAL;
	vmem_vm_flags_set(vma, VM_DONTEXPAND);
	vma->vm_ops = &vmem_run_vm_ops;
	return 0;
}

static long vmem_vcpu_ioctl_locked(struct vmem_vcpu *vcpu, unsigned int cmd,
				   void __user *argp)
{
	switch (cmd) {
	case VMEM_RUN:
		if (argp)
			return -EINVAL;
		return vmem_vcpu_run(vcpu);
	case VMEM_GET_REGS: {
		struct vmem_regs regs;

		vmem_get_regs(vcpu, &regs);
		if (copy_to_user(argp, &regs, sizeof(regs)))
			return -EFAULT;
		return 0;
	}
	case VMEM_SET_REGS: {
		struct vmem_regs regs;

		if (copy_from_user(&regs, argp, sizeof(regs)))
			return -EFAULT;
		return vmem_set_regs(vcpu, &regs);
	}
	case VMEM_GET_SREGS: {
		struct vmem_sregs sregs;

		vmem_get_sregs(vcpu, &sregs);
		if (copy_to_user(argp, &sregs, sizeof(sregs)))
			return -EFAULT;
		return 0;
	}
	case VMEM_SET_SREGS: {
		struct vmem_sregs sregs;

		if (copy_from_user(&sregs, argp, sizeof(sregs)))
			return -EFAULT;
		return vmem_set_sregs(vcpu, &sregs);
	}
	case VMEM_GET_DEBUGREGS:
		return vmem_vcpu_get_debugregs(vcpu, argp);
	case VMEM_SET_DEBUGREGS:
		return vmem_vcpu_set_debugregs(vcpu, argp);
	case VMEM_GET_FPU:
		return vmem_vcpu_get_fpu(vcpu, argp);
	case VMEM_SET_FPU:
		return vmem_vcpu_set_fpu(vcpu, argp);
	case VMEM_GET_MSRS:
		return vmem_vcpu_msrs(vcpu, argp, false);
	case VMEM_SET_MSRS:
		return vmem_vcpu_msrs(vcpu, argp, true);
	case VMEM_SET_CPUID:
		return vmem_set_cpuid(vcpu, argp);
	case VMEM_INJECT:
		return vmem_vcpu_inject(vcpu, argp);
	default:
		return -ENOTTY;
	}
}

static long vmem_vcpu_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct vmem_vcpu *vcpu = file->private_data;
	long r;

	/* Not under the mutex: it must reach a vCPU that sits in RUN. */
	if (cmd == VMEM_KICK) {
		if (arg)
			return -EINVAL;
		WRITE_ONCE(vcpu->run->stop, 1);
		vmem_vcpu_kick(vcpu);
		return 0;
	}

	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	r = vmem_vcpu_ioctl_locked(vcpu, cmd, (void __user *)arg);
	mutex_unlock(&vcpu->mutex);
	return r;
}

static int vmem_vcpu_release(struct inode *inode, struct file *file)
{
	struct vmem_vcpu *vcpu = file->private_data;

	vmem_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations vmem_vcpu_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= vmem_vcpu_ioctl,
	.compat_ioctl	= vmem_vcpu_ioctl,
	.mmap		= vmem_vcpu_mmap,
	.release	= vmem_vcpu_release,
	.llseek		= noop_llseek,
};

/* ---------------------------------------------------------------------- */
/* Creation and teardown                                                   */

/* With the VM: nothing runs the vCPU or holds its fd any more. */
void vmem_vcpu_free(struct vmem_vcpu *vcpu)
{
	struct vmem_vm *vm = vcpu->vm;

	vmem_backend->vcpu_destroy(vcpu);
	vmem_shadow_vcpu_destroy(vcpu);
	vmem_tdp_free_cache(vcpu);
	vmem_free_page(virt_to_page(vcpu->guest_fpu));
	vmem_free_page(vcpu->run_page);
	atomic_long_sub(2, &vm->overhead);
	vmem_kfree(vcpu->cpuid);
	vmem_kfree(vcpu);
}

/*
 * Errors: -EINVAL for an id outside 0 .. max_vcpus - 1, -EEXIST for an id
 * already created (ids are not reusable: the vCPU lives as long as its
 * VM), -ENOMEM, -EMFILE, or the backend's error.
 */
long vmem_create_vcpu(struct vmem_vm *vm, unsigned long id)
{
	struct vmem_vcpu *vcpu;
	struct page *fpu_page;
	struct file *file;
	int fd, r;

	if (id >= vmem_config.max_vcpus)
		return -EINVAL;
	if (!vmem_host_xcr0)
		return -EOPNOTSUPP;

	mutex_lock(&vm->lock);
	r = -EEXIST;
	if (vm->vcpus[id])
		goto out_unlock;

	r = -ENOMEM;
	vcpu = vmem_kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		goto out_unlock;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->cpu = -1;
	mutex_init(&vcpu->mutex);

	vcpu->run_page = vmem_alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!vcpu->run_page)
		goto out_vcpu;
	vcpu->run = page_address(vcpu->run_page);
	fpu_page = vmem_alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!fpu_page)
		goto out_run;
	vcpu->guest_fpu = page_address(fpu_page);
	atomic_long_add(2, &vm->overhead);

	vmem_fpu_reset_area(vcpu);
	vcpu->guest_xcr0 = XFEATURE_MASK_FP;
	vcpu->xcr0_allowed = vmem_supported_xcr0;
	vcpu->apic_base = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
			  (id == 0 ? MSR_IA32_APICBASE_BSP : 0);

	/* Before the backend's reset, which loads the shadow root. */
	if (vm->mmu_mode == VMEM_VM_MMU_SHADOW) {
		r = vmem_shadow_vcpu_init(vcpu);
		if (r)
			goto out_fpu;
	}
	r = vmem_backend->vcpu_create(vcpu);
	if (r)
		goto out_shadow;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto out_backend;
	}
	file = anon_inode_getfile("vmem-vcpu", &vmem_vcpu_fops, vcpu, O_RDWR);
	if (IS_ERR(file)) {
		r = PTR_ERR(file);
		goto out_fd;
	}

	/* Nothing fails past here.  The fd's reference on the VM: */
	vmem_vm_get(vm);
	/* Fully built before the VM's walkers (requests, kicks) see it. */
	smp_store_release(&vm->vcpus[id], vcpu);
	vm->nr_vcpus++;
	mutex_unlock(&vm->lock);
	fd_install(fd, file);
	return fd;

out_fd:
	put_unused_fd(fd);
out_backend:
	vmem_backend->vcpu_destroy(vcpu);
out_shadow:
	vmem_shadow_vcpu_destroy(vcpu);
	vmem_tdp_free_cache(vcpu);
out_fpu:
	vmem_free_page(fpu_page);
	atomic_long_sub(2, &vm->overhead);
out_run:
	vmem_free_page(vcpu->run_page);
out_vcpu:
	vmem_kfree(vcpu);
out_unlock:
	mutex_unlock(&vm->lock);
	return r;
}
