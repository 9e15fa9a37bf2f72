// SPDX-License-Identifier: GPL-2.0
/*
 * triple_fault - a guest that cannot deliver an exception shuts down:
 * VMEM_EXIT_SHUTDOWN, not a host problem.  Two ways: an IDT with limit
 * 0 (#UD -> #GP -> #DF -> shutdown), and an IDT whose gates are all not
 * present (#GP -> #NP...).  The vCPU can be reset and run again
 * afterwards, and the VM is destroyed cleanly.
 *
 * Then the merge of two faults (SDM vol. 3 table 6-5, APM 8.2.9), where
 * the second fault happens while the first is delivered (the stack it
 * pushes on is not mapped): a #PF while a #GP is delivered is delivered
 * itself (contributory then #PF: serially); a #PF while a #PF is
 * delivered is a #DF, and a shutdown when the #DF itself pushes on that
 * stack; a #PF while an NMI is delivered is delivered itself.  Under the shadow MMU the second
 * #PF is an exit, so vmem merges, not the CPU; the handlers that must
 * work run on IST stacks.  A hang (the bug these catch) would be a
 * guest redelivering forever: an alarm turns it into EINTR.
 *
 * The kernel must provide Documentation/api.rst 5.2 (VMEM_EXIT_SHUTDOWN)
 * and accept SET_SREGS/SET_REGS after it.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

/* Canonical addresses the guest's page tables (4 GiB) leave unmapped. */
#define BAD_STACK	(5ull << 30)
#define BAD_DATA	(6ull << 30)
#define NMI_PORT	0x80
#define HANG_GUARD_S	30

static void on_alarm(int sig)
{
	(void)sig;
}

static int setup(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	/* No SA_RESTART: a stuck VMEM_RUN returns EINTR. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL))
		return VT_FAIL;
	return vt_require_vm(VMEM_VM_MMU_AUTO);
}

static void guest_idt_limit0(void)
{
	struct vt_desc_ptr idt = { .limit = 0, .base = 0 };

	lidt(&idt);
	__asm__ __volatile__("ud2");
	GUEST_FAIL("survived #UD without an IDT");
}

static void guest_fault(void)
{
	/* A non-canonical access: #GP. */
	*(volatile uint64_t *)0x8000000000000000ull = 1;
	GUEST_FAIL("survived #GP");
}

static void guest_ok(void)
{
	GUEST_DONE();
}

static int run_to_shutdown(void *guest, bool clear_present)
{
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	if (clear_present) {
		uint8_t *idt = vm_gpa2hva(vm, vm->idt);

		ASSERT_TRUE(idt != NULL);
		for (int v = 0; v < 256; v++)
			idt[16 * v + 5] &= 0x7f;
	}
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest));
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_SHUTDOWN);
	/* A reset vCPU runs again. */
	if (clear_present) {
		uint8_t *idt = vm_gpa2hva(vm, vm->idt);

		for (int v = 0; v < 256; v++)
			idt[16 * v + 5] |= 0x80;
	}
	ASSERT_OK(vcpu_set_entry(vcpu, guest_ok));
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static int test_idt_limit_zero(void)
{
	return run_to_shutdown(guest_idt_limit0, false);
}

static int test_idt_not_present(void)
{
	return run_to_shutdown(guest_fault, true);
}

/* ---------------------------------------------------------------------- */
/* Faults during delivery                                                  */

/* What the handler saw, reported as GUEST_SYNC_ARGS(vector, ec, cr2). */
static void report_handler(struct vt_ex_regs *regs)
{
	GUEST_SYNC_ARGS(regs->vector, regs->vector, regs->error_code,
			get_cr2());
	for (;;)
		hlt();
}

/* A #GP (non-canonical store) whose delivery pushes on BAD_STACK. */
static void guest_gp_bad_stack(void)
{
	__asm__ __volatile__("mov %0, %%rsp\n\t"
			     "movq $1, (%1)\n\t"
			     "1: jmp 1b"
			     : : "r"(BAD_STACK), "r"(0x8000000000000000ull)
			     : "memory");
	__builtin_unreachable();
}

/* The NMI, pending again after the #PF its delivery raised. */
static void nmi_handler(struct vt_ex_regs *regs)
{
	(void)regs;
}

/* A #PF on BAD_DATA whose delivery pushes on the unmapped BAD_STACK. */
static void guest_pf_bad_stack(void)
{
	__asm__ __volatile__("mov %0, %%rsp\n\t"
			     "movq $1, (%1)\n\t"
			     "1: jmp 1b"
			     : : "r"(BAD_STACK), "r"(BAD_DATA) : "memory");
	__builtin_unreachable();
}

/* An OUT with the unmapped BAD_STACK loaded; the host then injects NMI. */
static void guest_nmi_bad_stack(void)
{
	__asm__ __volatile__("mov %0, %%rsp\n\t"
			     "out %%al, %1\n\t"
			     "1: jmp 1b"
			     : : "r"(BAD_STACK), "i"(NMI_PORT), "a"(0x5a)
			     : "memory");
	__builtin_unreachable();
}

/* Gate @vector: present or not, IST index @ist. */
static void set_gate(struct vt_vm *vm, unsigned int vector, bool present,
		     unsigned int ist)
{
	uint8_t *gate = (uint8_t *)vm_gpa2hva(vm, vm->idt) + 16 * vector;

	gate[4] = ist & 7;
	if (present)
		gate[5] |= 0x80;
	else
		gate[5] &= 0x7f;
}

/* IST @n of the library's TSS: a fresh 16 KiB stack. */
static int set_ist(struct vt_vm *vm, unsigned int n)
{
	uint64_t stack = vm_alloc(vm, 16384);

	if (!stack)
		return -1;
	stack += 16384;
	return vm_write(vm, vm->tss + 0x24 + 8 * (n - 1), &stack, 8);
}

/* Run to a GUEST_SYNC from report_handler() for @vector; its values. */
static int run_to_handler(struct vt_vcpu *vcpu, unsigned int vector,
			  struct vt_ucall *uc)
{
	alarm(HANG_GUARD_S);
	ASSERT_RUN_UCALL(vcpu, UCALL_SYNC, uc);
	alarm(0);
	ASSERT_EQ(uc->args[0], vector);
	return VT_PASS;
}

static int test_pf_in_gp_delivery_is_delivered(void)
{
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_ucall uc;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_install_exception_handler(vm, 14, report_handler));
	ASSERT_OK(set_ist(vm, 2));
	set_gate(vm, 14, true, 2);
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_gp_bad_stack));
	ASSERT_EQ(run_to_handler(vcpu, 14, &uc), VT_PASS);
	/* A supervisor write to the stack the #GP pushed on. */
	EXPECT_EQ(uc.args[2], 2);
	EXPECT_TRUE(uc.args[3] < BAD_STACK && uc.args[3] >= BAD_STACK - 64);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static int test_pf_in_pf_delivery_double_fault(void)
{
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_ucall uc;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_install_exception_handler(vm, 8, report_handler));
	ASSERT_OK(set_ist(vm, 1));
	set_gate(vm, 8, true, 1);
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_pf_bad_stack));
	ASSERT_EQ(run_to_handler(vcpu, 8, &uc), VT_PASS);
	EXPECT_EQ(uc.args[2], 0);
	/* The second #PF's address: the stack the first pushed on. */
	EXPECT_TRUE(uc.args[3] < BAD_STACK && uc.args[3] >= BAD_STACK - 64);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static int test_pf_in_df_delivery_shutdown(void)
{
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_install_exception_handler(vm, 8, report_handler));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_pf_bad_stack));
	alarm(HANG_GUARD_S);
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_SHUTDOWN);
	alarm(0);
	/* Reset: it runs again from new state. */
	ASSERT_OK(vcpu_set_entry(vcpu, guest_ok));
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static int test_pf_in_nmi_delivery_is_delivered(void)
{
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_ucall uc;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_install_exception_handler(vm, 14, report_handler));
	ASSERT_OK(vm_install_exception_handler(vm, 2, nmi_handler));
	ASSERT_OK(set_ist(vm, 2));
	set_gate(vm, 14, true, 2);
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_nmi_bad_stack));
	ASSERT_RUN_OUT(vcpu, NMI_PORT, 1, 0x5a);
	ASSERT_OK(vcpu_inject(vcpu, VMEM_EVENT_NMI, 2, false, 0));
	ASSERT_EQ(run_to_handler(vcpu, 14, &uc), VT_PASS);
	/* A supervisor write to the stack the NMI pushed on. */
	EXPECT_EQ(uc.args[2], 2);
	EXPECT_TRUE(uc.args[3] < BAD_STACK && uc.args[3] >= BAD_STACK - 64);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(idt_limit_zero),
	VT_CASE(idt_not_present),
	VT_CASE(pf_in_gp_delivery_is_delivered),
	VT_CASE(pf_in_pf_delivery_double_fault),
	VT_CASE(pf_in_df_delivery_shutdown),
	VT_CASE(pf_in_nmi_delivery_is_delivered),
};

VT_MAIN(cases, setup, NULL)
