// SPDX-License-Identifier: GPL-2.0
/*
 * interrupts - VMEM_INJECT and the interrupt window: an external interrupt
 * reaches the guest's handler (also on a vector below 32); with IF=0 it is refused with EBUSY and
 * run->request_interrupt_window gives VMEM_EXIT_IRQ_WINDOW once the guest
 * executes STI (at once when it already can take one); NMIs are delivered
 * with IF=0, two pending NMIs merge, and an NMI stays blocked until the
 * handler's IRET; exceptions arrive with their error code (#GP(0x1234)),
 * without one (#UD), and #PF with the CR2 set through SET_SREGS; bad
 * events are refused with EINVAL, a second queued event with EBUSY.
 *
 * The kernel must provide Documentation/api.rst 4.16 and 5.1
 * (ready_for_interrupt, if_flag, request_interrupt_window).
 */
#include <string.h>
#include <sys/ioctl.h>

#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

/* #XM's vector, which pushes no error code: an external interrupt there. */
#define XM_VECTOR_	19

static volatile uint64_t irq_count, irq_vector, irq_error, irq_rip, irq_cr2;
static volatile uint64_t nmi_count, nmi_depth, nmi_max_depth, nmi_phase;

static void irq_handler(struct vt_ex_regs *regs)
{
	irq_count++;
	irq_vector = regs->vector;
	irq_error = regs->error_code;
	irq_rip = regs->rip;
	irq_cr2 = get_cr2();
}

static void nmi_handler(struct vt_ex_regs *regs)
{
	(void)regs;
	nmi_count++;
	if (++nmi_depth > nmi_max_depth)
		nmi_max_depth = nmi_depth;
	/* In phase 1, ask the host for a second NMI from inside the handler:
	 * it must wait for our IRET. */
	if (nmi_phase == 1) {
		nmi_phase = 2;
		GUEST_SYNC(100);
	}
	nmi_depth--;
}

static int setup(void)
{
	return vt_require_vm(VMEM_VM_MMU_AUTO);
}

static struct vt_vm *make_vm(void *guest, struct vt_vcpu **vcpu)
{
	static const unsigned int vectors[] = {
		UD_VECTOR, GP_VECTOR, PF_VECTOR, XM_VECTOR_, 0x30, 0x31, 0x32,
		0xfe,
	};
	struct vt_vm *vm = vm_create(VMEM_VM_MMU_AUTO);

	if (!vm)
		return NULL;
	for (unsigned int i = 0; i < VT_ARRAY_SIZE(vectors); i++)
		vm_install_exception_handler(vm, vectors[i], irq_handler);
	vm_install_exception_handler(vm, NMI_VECTOR, nmi_handler);
	*vcpu = vcpu_add(vm, 0, guest);
	if (!*vcpu) {
		vm_free(vm);
		return NULL;
	}
	return vm;
}

/* ---------------------------------------------------------------------- */

static void guest_extint(void)
{
	sti();
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_vector, 0x30);
	GUEST_SYNC(2);
	GUEST_ASSERT_EQ(irq_count, 2);
	GUEST_ASSERT_EQ(irq_vector, 0xfe);
	cli();
	GUEST_DONE();
}

static int test_extint_delivered(void)
{
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = make_vm(guest_extint, &vcpu));
	ASSERT_RUN_SYNC(vcpu, 1);
	EXPECT_EQ(vcpu->run->if_flag, 1);
	ASSERT_EQ(vcpu->run->ready_for_interrupt, 1);
	ASSERT_OK(vcpu_inject(vcpu, VMEM_EVENT_EXTINT, 0x30, false, 0));
	ASSERT_RUN_SYNC(vcpu, 2);
	ASSERT_EQ(vcpu->run->ready_for_interrupt, 1);
	ASSERT_OK(vcpu_inject(vcpu, VMEM_EVENT_EXTINT, 0xfe, false, 0));
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static void guest_extint_low(void)
{
	sti();
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_vector, XM_VECTOR_);
	GUEST_ASSERT_EQ(irq_error, 0);
	cli();
	GUEST_DONE();
}

/*
 * An external interrupt below 32 is delivered as an interrupt: a
 * real-mode BIOS has the 8259 send IRQ0-7 on vectors 8-15.
 */
static int test_extint_low_vector(void)
{
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = make_vm(guest_extint_low, &vcpu));
	ASSERT_RUN_SYNC(vcpu, 1);
	ASSERT_EQ(vcpu->run->ready_for_interrupt, 1);
	ASSERT_OK(vcpu_inject(vcpu, VMEM_EVENT_EXTINT, XM_VECTOR_, false, 0));
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static void guest_window(void)
{
	cli();
	GUEST_SYNC(1);
	__asm__ __volatile__("sti; nop; nop; nop" ::: "memory");
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_vector, 0x31);
	GUEST_DONE();
}

static int test_irq_window_after_sti(void)
{
	struct vmem_run *run;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = make_vm(guest_window, &vcpu));
	run = vcpu->run;
	ASSERT_RUN_SYNC(vcpu, 1);
	EXPECT_EQ(run->if_flag, 0);
	EXPECT_EQ(run->ready_for_interrupt, 0);
	EXPECT_ERRNO(vcpu_inject(vcpu, VMEM_EVENT_EXTINT, 0x31, false, 0), EBUSY);
	run->request_interrupt_window = 1;
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_IRQ_WINDOW);
	run->request_interrupt_window = 0;
	EXPECT_EQ(run->if_flag, 1);
	ASSERT_EQ(run->ready_for_interrupt, 1);
	ASSERT_OK(vcpu_inject(vcpu, VMEM_EVENT_EXTINT, 0x31, false, 0));
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static void guest_window_open(void)
{
	sti();
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_vector, 0x32);
	GUEST_DONE();
}

/* The guest can already take an interrupt: the exit comes at once. */
static int test_irq_window_immediate(void)
{
	struct vmem_regs before, after;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = make_vm(guest_window_open, &vcpu));
	ASSERT_RUN_SYNC(vcpu, 1);
	ASSERT_OK(vcpu_get_regs(vcpu, &before));
	vcpu->run->request_interrupt_window = 1;
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_IRQ_WINDOW);
	vcpu->run->request_interrupt_window = 0;
	ASSERT_OK(vcpu_get_regs(vcpu, &after));
	/* Only the ucall's OUT (1 byte, EE) was completed. */
	EXPECT_EQ(after.rip, before.rip + 1);
	ASSERT_OK(vcpu_inject(vcpu, VMEM_EVENT_EXTINT, 0x32, false, 0));
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	return VT_PASS;
}

static void guest_nmi(void)
{
	cli();
	GUEST_SYNC(1);
	GUEST_SYNC_ARGS(2, nmi_count, nmi_max_depth, 0);
	nmi_phase = 1;
	GUEST_SYNC(3);
	GUEST_SYNC_ARGS(4, nmi_count, nmi_max_depth, nmi_phase);
	GUEST_DONE();
}

static int test_nmi(void)
{
	struct vt_ucall uc;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = make_vm(guest_nmi, &vcpu));
	ASSERT_RUN_SYNC(vcpu, 1);
	/* IF=0 does not block NMIs; a second pending NMI merges. */
	ASSERT_OK(vcpu_inject(vcpu, VMEM_EVENT_NMI, 2, false, 0));
	ASSERT_OK(vcpu_inject(vcpu, VMEM_EVENT_NMI, 2, false, 0));
	ASSERT_RUN_UCALL(vcpu, UCALL_SYNC, &uc);
	ASSERT_EQ(uc.args[0], 2);
	EXPECT_EQ(uc.args[1], 1);		/* one NMI */
	EXPECT_EQ(uc.args[2], 1);
	/* An NMI inside the NMI handler waits for its IRET. */
	ASSERT_RUN_SYNC(vcpu, 3);
	ASSERT_OK(vcpu_inject(vcpu, VMEM_EVENT_NMI, 2, false, 0));
	ASSERT_RUN_SYNC(vcpu, 100);		/* from inside the handler */
	ASSERT_OK(vcpu_inject(vcpu, VMEM_EVENT_NMI, 2, false, 0));
	ASSERT_RUN_UCALL(vcpu, UCALL_SYNC, &uc);
	ASSERT_EQ(uc.args[0], 4);
	EXPECT_EQ(uc.args[1], 3);		/* all delivered */
	EXPECT_EQ(uc.args[2], 1);		/* never nested */
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static void guest_exceptions(void)
{
	GUEST_SYNC(1);
	GUEST_SYNC_ARGS(2, irq_vector, irq_error, irq_count);
	GUEST_SYNC(3);
	GUEST_SYNC_ARGS(4, irq_vector, irq_error, irq_count);
	GUEST_SYNC(5);
	GUEST_SYNC_ARGS(6, irq_vector, irq_error, irq_cr2);
	GUEST_DONE();
}

static int expect_sync_args(struct vt_vcpu *vcpu, uint64_t n, uint64_t a,
			    uint64_t b, uint64_t c)
{
	struct vt_ucall uc;

	ASSERT_RUN_UCALL(vcpu, UCALL_SYNC, &uc);
	ASSERT_EQ(uc.args[0], n);
	EXPECT_EQ(uc.args[1], a);
	EXPECT_EQ(uc.args[2], b);
	EXPECT_EQ(uc.args[3], c);
	return VT_PASS;
}

static int test_exceptions_injected(void)
{
	struct vmem_sregs sr;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = make_vm(guest_exceptions, &vcpu));
	ASSERT_RUN_SYNC(vcpu, 1);
	ASSERT_OK(vcpu_inject(vcpu, VMEM_EVENT_EXCEPTION, GP_VECTOR, true, 0x1234));
	ASSERT_EQ(expect_sync_args(vcpu, 2, GP_VECTOR, 0x1234, 1), VT_PASS);
	ASSERT_RUN_SYNC(vcpu, 3);
	ASSERT_OK(vcpu_inject(vcpu, VMEM_EVENT_EXCEPTION, UD_VECTOR, false, 0));
	ASSERT_EQ(expect_sync_args(vcpu, 4, UD_VECTOR, 0, 2), VT_PASS);
	ASSERT_RUN_SYNC(vcpu, 5);
	ASSERT_OK(vcpu_get_sregs(vcpu, &sr));
	sr.cr2 = 0xdead5000;
	ASSERT_OK(vcpu_set_sregs(vcpu, &sr));
	ASSERT_OK(vcpu_inject(vcpu, VMEM_EVENT_EXCEPTION, PF_VECTOR, true, 0x2));
	ASSERT_EQ(expect_sync_args(vcpu, 6, PF_VECTOR, 0x2, 0xdead5000), VT_PASS);
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static int inject_raw(struct vt_vcpu *vcpu, const struct vmem_event *ev)
{
	return ioctl(vcpu->fd, VMEM_INJECT, ev);
}

static int test_inject_bad_args(void)
{
	static const struct vmem_event bad[] = {
		{ .type = 0, .vector = 0x40 },
		{ .type = 4, .vector = 0x40 },
		{ .type = VMEM_EVENT_EXTINT, .vector = 256 },
		{ .type = VMEM_EVENT_EXTINT, .vector = 0x40,
		  .flags = VMEM_EVENT_ERROR_CODE },
		{ .type = VMEM_EVENT_EXCEPTION, .vector = NMI_VECTOR },
		{ .type = VMEM_EVENT_EXCEPTION, .vector = 15 },
		{ .type = VMEM_EVENT_EXCEPTION, .vector = 32 },
		{ .type = VMEM_EVENT_EXCEPTION, .vector = GP_VECTOR },
		{ .type = VMEM_EVENT_EXCEPTION, .vector = UD_VECTOR,
		  .flags = VMEM_EVENT_ERROR_CODE },
		{ .type = VMEM_EVENT_EXCEPTION, .vector = UD_VECTOR, .flags = 2 },
		{ .type = VMEM_EVENT_NMI, .vector = 2, .flags = 0x80000000 },
		{ .type = VMEM_EVENT_NMI, .vector = 2, .reserved = { 1, 0 } },
		{ .type = VMEM_EVENT_EXCEPTION, .vector = UD_VECTOR,
		  .reserved = { 0, 1ull << 63 } },
	};
	struct vt_ucall uc;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_exceptions));
	for (unsigned int i = 0; i < VT_ARRAY_SIZE(bad); i++) {
		EXPECT_ERRNO(inject_raw(vcpu, &bad[i]), EINVAL);
		if (vt_case_failed()) {
			vt_diag("event %u: type %u vector %u flags 0x%x", i,
				bad[i].type, bad[i].vector, bad[i].flags);
			break;
		}
	}
	/* IF=0 before the first run: no external interrupt. */
	EXPECT_ERRNO(vcpu_inject(vcpu, VMEM_EVENT_EXTINT, 0x40, false, 0), EBUSY);
	/* One queued exception at a time. */
	ASSERT_OK(vcpu_inject(vcpu, VMEM_EVENT_EXCEPTION, UD_VECTOR, false, 0));
	EXPECT_ERRNO(vcpu_inject(vcpu, VMEM_EVENT_EXCEPTION, DE_VECTOR, false, 0),
		     EBUSY);
	/* The queued #UD is what the guest gets (no handler installed). */
	ASSERT_RUN_UCALL(vcpu, UCALL_UNHANDLED, &uc);
	EXPECT_EQ(uc.args[0], UD_VECTOR);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(extint_delivered),
	VT_CASE(extint_low_vector),
	VT_CASE(irq_window_after_sti),
	VT_CASE(irq_window_immediate),
	VT_CASE(nmi),
	VT_CASE(exceptions_injected),
	VT_CASE(inject_bad_args),
};

VT_MAIN(cases, setup, NULL)
