// SPDX-License-Identifier: GPL-2.0
/*
 * hlt - HLT with no event pending exits VMEM_EXIT_HLT with RIP past the
 * HLT, and the guest goes on at the next VMEM_RUN; a halted guest with
 * IF=1 takes an interrupt injected at the HLT exit and resumes after the
 * HLT with its handler run.
 *
 * The kernel must provide Documentation/api.rst 5.2 (VMEM_EXIT_HLT) and
 * 4.16 (VMEM_INJECT of an external interrupt).
 */
#include <string.h>

#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

#define NHALTS	10

static volatile uint64_t irq_count, irq_vector;

static void irq_handler(struct vt_ex_regs *regs)
{
	irq_count++;
	irq_vector = regs->vector;
}

static int setup(void)
{
	return vt_require_vm(VMEM_VM_MMU_AUTO);
}

static void guest_hlt(void)
{
	for (int i = 0; i < NHALTS; i++)
		hlt();
	GUEST_SYNC(1);
	GUEST_DONE();
}

static int test_hlt_exits(void)
{
	struct vmem_regs regs;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	uint8_t prev;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_hlt));
	for (int i = 0; i < NHALTS; i++) {
		ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_HLT);
		/* RIP is past the HLT (F4). */
		ASSERT_OK(vcpu_get_regs(vcpu, &regs));
		ASSERT_OK(vm_read(vm, regs.rip - 1, &prev, 1));
		ASSERT_EQ(prev, 0xf4);
	}
	ASSERT_RUN_SYNC(vcpu, 1);
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static void guest_hlt_irq(void)
{
	for (uint64_t i = 1; i <= 3; i++) {
		safe_halt();		/* STI; HLT */
		cli();
		GUEST_ASSERT_EQ(irq_count, i);
		GUEST_ASSERT_EQ(irq_vector, 0x40 + i);
	}
	GUEST_DONE();
}

static int test_hlt_wakes_on_interrupt(void)
{
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	for (unsigned int v = 0x41; v <= 0x43; v++)
		ASSERT_OK(vm_install_exception_handler(vm, v, irq_handler));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_hlt_irq));
	for (unsigned int i = 1; i <= 3; i++) {
		ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_HLT);
		EXPECT_EQ(vcpu->run->if_flag, 1);
		ASSERT_EQ(vcpu->run->ready_for_interrupt, 1);
		ASSERT_OK(vcpu_inject(vcpu, VMEM_EVENT_EXTINT, 0x40 + i, false, 0));
	}
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(hlt_exits),
	VT_CASE(hlt_wakes_on_interrupt),
};

VT_MAIN(cases, setup, NULL)
