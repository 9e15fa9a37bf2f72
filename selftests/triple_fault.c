// SPDX-License-Identifier: GPL-2.0
/*
 * triple_fault - a guest that cannot deliver an exception shuts down:
 * VMEM_EXIT_SHUTDOWN, not a host problem.  Two ways: an IDT with limit
 * 0 (#UD -> #GP -> #DF -> shutdown), and an IDT whose gates are all not
 * present (#GP -> #NP...).  The vCPU can be reset and run again
 * afterwards, and the VM is destroyed cleanly.
 *
 * The kernel must provide Documentation/api.rst 5.2 (VMEM_EXIT_SHUTDOWN)
 * and accept SET_SREGS/SET_REGS after it.
 */
#include <string.h>

#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

static int setup(void)
{
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

static const struct vt_case cases[] = {
	VT_CASE(idt_limit_zero),
	VT_CASE(idt_not_present),
};

VT_MAIN(cases, setup, NULL)
