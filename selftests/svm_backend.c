// SPDX-License-Identifier: GPL-2.0
/*
 * svm_backend - what the SVM backend itself must get right, beyond the
 * generic exits the other tests cover:
 *
 *   shutdown		a triple fault is a SHUTDOWN exit, and the vCPU is
 *			left in its INIT state (the VMCB is undefined after
 *			a shutdown intercept, so the backend resets it)
 *   invalid_state	what VMRUN would refuse is refused by SET_SREGS,
 *			SET_DEBUGREGS and SET_MSRS with EINVAL, state intact
 *   svm_insns		the guest has no SVM: VMRUN, VMLOAD, VMSAVE, STGI,
 *			CLGI, INVLPGA raise #UD, MONITOR/MWAIT #UD, RDPMC
 *			#GP, WBINVD/INVD are skipped
 *   debugregs		DR0-3 set by the VMM reach the guest, guest writes
 *			survive exits, a guest data breakpoint fires (#DB is
 *			intercepted and reflected)
 *   asid_churn		more VMs than QEMU has ASIDs, run round-robin on the
 *			same GVA: each sees only its own memory
 *   nmi_blocking	an NMI injected while the guest's NMI handler runs is
 *			held until its IRET, and delivered right after it
 *   irq_window		the interrupt-window exit comes only when the guest
 *			sets IF, and an injected interrupt is then taken
 *   tsc_aux		RDTSCP reads the guest's TSC_AUX, never the host's;
 *			the TSC MSR offsets the guest's RDTSC
 *
 * The tests skip on a VMX host.
 */
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

/* ---------------------------------------------------------------------- */
/* Guest helpers                                                           */

/* Run one instruction; return the vector it raised or VT_NO_EXCEPTION. */
#define GUEST_INSN_SAFE(insn, ...) ({					\
	uint64_t vec_;							\
	__asm__ __volatile__("lea 1f(%%rip), %%r10\n\t"			\
			     "movabs $0x5afe5afe5afe5afe, %%r11\n\t"	\
			     insn "\n\t"				\
			     "mov $0xff, %%r11d\n\t"			\
			     "1: mov %%r11, %[vec]\n\t"			\
			     : [vec] "=r"(vec_)				\
			     : __VA_ARGS__				\
			     : "r10", "r11", "memory");			\
	(uint8_t)vec_;							\
})

#define GUEST_DR(n)							\
static inline uint64_t get_dr##n(void)					\
{									\
	uint64_t v;							\
	__asm__ __volatile__("mov %%dr" #n ", %0" : "=r"(v));		\
	return v;							\
}									\
static inline void set_dr##n(uint64_t v)				\
{									\
	__asm__ __volatile__("mov %0, %%dr" #n :: "r"(v));		\
}
GUEST_DR(0)
GUEST_DR(1)
GUEST_DR(2)
GUEST_DR(3)
GUEST_DR(6)
GUEST_DR(7)

static int setup(void)
{
	int r = vt_require_vm(VMEM_VM_MMU_AUTO);

	if (r != VT_PASS)
		return r;
	if (vt_check_extension(VMEM_CAP_BACKEND) != VMEM_BACKEND_SVM)
		SKIP("not an SVM host");
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* shutdown                                                                */

static void guest_triple_fault(void)
{
	struct vt_desc_ptr idt = { .limit = 0, .base = 0 };

	GUEST_SYNC(1);
	/* #UD cannot be delivered (#GP), nor that (#DF), nor that. */
	lidt(&idt);
	__asm__ __volatile__("ud2");
	GUEST_FAIL("survived a triple fault");
}

static int test_shutdown(void)
{
	struct vmem_sregs sregs;
	struct vmem_regs regs;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_triple_fault));
	ASSERT_RUN_SYNC(vcpu, 1);
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_SHUTDOWN);

	ASSERT_OK(vcpu_get_sregs(vcpu, &sregs));
	ASSERT_OK(vcpu_get_regs(vcpu, &regs));
	EXPECT_EQ(sregs.cs.selector, 0xf000);
	EXPECT_EQ(sregs.cs.base, 0xffff0000);
	EXPECT_EQ(sregs.cr0, 0x60000010);
	EXPECT_EQ(sregs.efer, 0);
	EXPECT_EQ(regs.rip, 0xfff0);
	EXPECT_EQ(regs.rflags, 2);
	vm_free(vm);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* invalid_state                                                           */

static void guest_nothing(void)
{
	GUEST_DONE();
}

static int test_invalid_state(void)
{
	struct vmem_sregs good, bad, now;
	struct vmem_debugregs dr;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	uint64_t pat;

	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_nothing));
	ASSERT_OK(vcpu_get_sregs(vcpu, &good));
	ASSERT_TRUE(good.efer & EFER_LMA);

#define TRY_BAD(change) do {						\
	bad = good;							\
	change;								\
	EXPECT_ERRNO(vcpu_set_sregs(vcpu, &bad), EINVAL);		\
} while (0)
	TRY_BAD(bad.cr0 = (bad.cr0 | X86_CR0_NW) & ~X86_CR0_CD);
	TRY_BAD(bad.cr0 |= 1ull << 32);
	TRY_BAD(bad.cr0 |= 1ull << 7);			/* reserved */
	TRY_BAD(bad.cr0 &= ~X86_CR0_PE);		/* PG without PE */
	TRY_BAD(bad.cr4 |= X86_CR4_VMXE);		/* no VMX on AMD */
	TRY_BAD(bad.cr4 |= 1ull << 40);
	TRY_BAD(bad.cr4 &= ~X86_CR4_PAE);		/* LME+PG, no PAE */
	TRY_BAD(bad.efer &= ~EFER_LMA);			/* LMA != LME&&PG */
	TRY_BAD(bad.efer |= 1ull << 1);			/* reserved */
	TRY_BAD(bad.efer |= EFER_SVME);			/* not the guest's */
	TRY_BAD(bad.cs.db = 1);				/* CS.L and CS.D */
	TRY_BAD(bad.cr3 |= 1ull << 62);			/* above MAXPHYADDR */
	TRY_BAD(bad.cr8 = 16);
	TRY_BAD(bad.cs.dpl = 4);
	TRY_BAD(bad.gdt.base = 0x0000800000000000ull);	/* not canonical */
#undef TRY_BAD

	/* Nothing changed, and the vCPU still runs. */
	ASSERT_OK(vcpu_get_sregs(vcpu, &now));
	EXPECT_EQ(memcmp(&now, &good, sizeof(now)), 0);

	memset(&dr, 0, sizeof(dr));
	dr.dr6 = 0xffff0ff0ull | (1ull << 32);
	dr.dr7 = 0x400;
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_SET_DEBUGREGS, &dr), EINVAL);
	dr.dr6 = 0xffff0ff0ull;
	dr.dr7 = 0x400 | (1ull << 40);
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_SET_DEBUGREGS, &dr), EINVAL);

	/* PAT entries must be memory types (2 and 3 are reserved). */
	EXPECT_NE(vcpu_set_msr(vcpu, MSR_IA32_CR_PAT, 0x0007040600070402ull), 0);
	ASSERT_OK(vcpu_get_msr(vcpu, MSR_IA32_CR_PAT, &pat));
	EXPECT_EQ(pat, 0x0007040600070406ull);
	EXPECT_NE(vcpu_set_msr(vcpu, MSR_LSTAR, 0x0000800000000000ull), 0);

	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* svm_insns                                                               */

static void guest_svm_insns(void)
{
	uint64_t v;

	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("vmrun", "a"(0ull)), UD_VECTOR);
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("vmload", "a"(0ull)), UD_VECTOR);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("vmsave", "a"(0ull)), UD_VECTOR);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("stgi", "a"(0ull)), UD_VECTOR);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("clgi", "a"(0ull)), UD_VECTOR);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("invlpga", "a"(0ull), "c"(0)),
			UD_VECTOR);
	GUEST_SYNC(2);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("monitor", "a"(0ull), "c"(0), "d"(0)),
			UD_VECTOR);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("mwait", "a"(0ull), "c"(0)),
			UD_VECTOR);
	GUEST_SYNC(3);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("rdpmc", "c"(0)), GP_VECTOR);
	GUEST_SYNC(4);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("wbinvd", "a"(0ull)), VT_NO_EXCEPTION);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("invd", "a"(0ull)), VT_NO_EXCEPTION);
	GUEST_SYNC(5);
	/* The guest's EFER never shows the SVME that VMRUN needs. */
	GUEST_ASSERT_EQ(vt_rdmsr_safe(MSR_EFER, &v), VT_NO_EXCEPTION);
	GUEST_ASSERT_EQ(v & EFER_SVME, 0);
	GUEST_DONE();
}

static int test_svm_insns(void)
{
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_svm_insns));
	for (int i = 1; i <= 5; i++)
		ASSERT_RUN_SYNC(vcpu, i);
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* debugregs                                                               */

static volatile uint64_t watched;
static volatile uint64_t db_count, db_dr6;

static void guest_db_handler(struct vt_ex_regs *regs)
{
	(void)regs;
	db_count++;
	db_dr6 = get_dr6();
	set_dr6(0xffff0ff0);
}

static void guest_debugregs(void)
{
	/* What the VMM set. */
	GUEST_ASSERT_EQ(get_dr0(), 0x1000);
	GUEST_ASSERT_EQ(get_dr1(), 0x2000);
	GUEST_ASSERT_EQ(get_dr2(), 0x3000);
	GUEST_ASSERT_EQ(get_dr3(), 0x4000);

	/* Guest writes survive an exit to the VMM. */
	set_dr0(0x11110);
	set_dr3(0x44440);
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(get_dr0(), 0x11110);
	GUEST_ASSERT_EQ(get_dr3(), 0x44440);
	GUEST_SYNC(2);

	/* A data write breakpoint on @watched, 8 bytes: L0, RW0=01, LEN0=10. */
	set_dr0((uint64_t)&watched);
	set_dr7(0x400 | 1 | (1ull << 16) | (2ull << 18));
	GUEST_SYNC(3);		/* armed across an exit */
	watched = 1;
	set_dr7(0x400);
	GUEST_ASSERT_EQ(db_count, 1);
	GUEST_ASSERT(db_dr6 & 1);
	GUEST_DONE();
}

static int test_debugregs(void)
{
	struct vmem_debugregs dr;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_debugregs));
	ASSERT_OK(vm_install_exception_handler(vm, DB_VECTOR,
					       guest_db_handler));
	memset(&dr, 0, sizeof(dr));
	dr.db[0] = 0x1000;
	dr.db[1] = 0x2000;
	dr.db[2] = 0x3000;
	dr.db[3] = 0x4000;
	dr.dr6 = 0xffff0ff0;
	dr.dr7 = 0x400;
	ASSERT_OK(ioctl(vcpu->fd, VMEM_SET_DEBUGREGS, &dr));

	ASSERT_RUN_SYNC(vcpu, 1);
	memset(&dr, 0, sizeof(dr));
	ASSERT_OK(ioctl(vcpu->fd, VMEM_GET_DEBUGREGS, &dr));
	EXPECT_EQ(dr.db[0], 0x11110);
	EXPECT_EQ(dr.db[1], 0x2000);
	EXPECT_EQ(dr.db[3], 0x44440);
	ASSERT_RUN_SYNC(vcpu, 2);
	ASSERT_RUN_SYNC(vcpu, 3);
	ASSERT_OK(ioctl(vcpu->fd, VMEM_GET_DEBUGREGS, &dr));
	EXPECT_EQ(dr.dr7 & 0xff, 1);
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* asid_churn                                                              */

#define CHURN_VMS	20	/* QEMU offers 16 ASIDs */
#define CHURN_ROUNDS	4

static volatile uint64_t churn_value;

static void guest_churn(void)
{
	for (;;)
		GUEST_SYNC(churn_value);
}

static int test_asid_churn(void)
{
	struct vt_vm *vms[CHURN_VMS] = { 0 };
	struct vt_vcpu *vcpus[CHURN_VMS];
	int i, round, ret = VT_PASS;

	for (i = 0; i < CHURN_VMS; i++) {
		vms[i] = vm_create(VMEM_VM_MMU_AUTO);
		vcpus[i] = vms[i] ? vcpu_add(vms[i], 0, guest_churn) : NULL;
		if (!vcpus[i]) {
			ret = vt_fail_at(__FILE__, __LINE__, "VM %d", i);
			goto out;
		}
	}
	for (round = 0; round < CHURN_ROUNDS; round++) {
		for (i = 0; i < CHURN_VMS; i++) {
			struct vt_ucall uc;
			uint64_t want = i * 100 + round;

			*VM_GUEST_PTR(vms[i], churn_value) = want;
			if (vcpu_run_ucall(vcpus[i], &uc) != UCALL_SYNC ||
			    uc.args[0] != want) {
				ret = vt_fail_at(__FILE__, __LINE__,
						 "VM %d round %d: got %llu, want %llu",
						 i, round,
						 (unsigned long long)uc.args[0],
						 (unsigned long long)want);
				goto out;
			}
		}
	}
out:
	for (i = 0; i < CHURN_VMS; i++)
		vm_free(vms[i]);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* nmi_blocking                                                            */

static volatile uint64_t nmi_count, nmi_depth, nmi_nested;

static void guest_nmi_handler(struct vt_ex_regs *regs)
{
	(void)regs;
	if (++nmi_depth > 1)
		nmi_nested++;
	nmi_count++;
	/* An exit with NMIs blocked: the VMM injects the next one now. */
	GUEST_SYNC(100 + nmi_count);
	nmi_depth--;
}

static void guest_nmi(void)
{
	/* Interrupts stay off: NMIs need no IF. */
	GUEST_SYNC(1);
	/*
	 * Both NMIs ran before this: the second right after the first
	 * one's IRET, not at some later exit.
	 */
	GUEST_ASSERT_EQ(nmi_count, 2);
	GUEST_ASSERT_EQ(nmi_nested, 0);
	GUEST_DONE();
}

static int test_nmi_blocking(void)
{
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_nmi));
	ASSERT_OK(vm_install_exception_handler(vm, NMI_VECTOR,
					       guest_nmi_handler));
	ASSERT_RUN_SYNC(vcpu, 1);
	ASSERT_OK(vcpu_inject(vcpu, VMEM_EVENT_NMI, 2, false, 0));
	ASSERT_RUN_SYNC(vcpu, 101);
	/* Blocked until the handler's IRET, then taken. */
	ASSERT_OK(vcpu_inject(vcpu, VMEM_EVENT_NMI, 2, false, 0));
	ASSERT_RUN_SYNC(vcpu, 102);
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* irq_window                                                              */

#define IRQ_VECTOR	0x40

static volatile uint64_t irq_count, sti_done;

static void guest_irq_handler(struct vt_ex_regs *regs)
{
	(void)regs;
	irq_count++;
}

static void guest_irq_window(void)
{
	GUEST_SYNC(1);
	/* IF=0 for a while: no window yet. */
	for (int i = 0; i < 1000; i++)
		cpu_relax();
	sti_done = 1;
	sti();
	while (!irq_count)
		cpu_relax();
	cli();
	GUEST_DONE();
}

static int test_irq_window(void)
{
	struct vmem_regs regs;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_irq_window));
	ASSERT_OK(vm_install_exception_handler(vm, IRQ_VECTOR,
					       guest_irq_handler));
	ASSERT_RUN_SYNC(vcpu, 1);
	/* IF=0: injecting is refused; ask for a window instead. */
	EXPECT_ERRNO(vcpu_inject(vcpu, VMEM_EVENT_EXTINT, IRQ_VECTOR, false, 0),
		     EBUSY);
	vcpu->run->request_interrupt_window = 1;
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_IRQ_WINDOW);
	ASSERT_OK(vcpu_get_regs(vcpu, &regs));
	EXPECT_TRUE(regs.rflags & X86_EFLAGS_IF);
	EXPECT_EQ(*VM_GUEST_PTR(vm, sti_done), 1);
	EXPECT_EQ(vcpu->run->ready_for_interrupt, 1);
	vcpu->run->request_interrupt_window = 0;
	ASSERT_OK(vcpu_inject(vcpu, VMEM_EVENT_EXTINT, IRQ_VECTOR, false, 0));
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* tsc_aux                                                                 */

static void guest_tsc_aux(void)
{
	uint32_t lo, hi, aux;
	uint64_t tsc;

	__asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	GUEST_ASSERT_EQ(aux, 0x1234);
	tsc = rdtsc();
	GUEST_ASSERT(tsc >= (1ull << 40) && tsc < (1ull << 40) + (1ull << 38));
	wrmsr(MSR_TSC_AUX, 0x55);
	__asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	GUEST_ASSERT_EQ(aux, 0x55);
	GUEST_DONE();
}

static int test_tsc_aux(void)
{
	const struct vmem_cpuid_entry *e;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	uint64_t v;

	e = vt_cpuid_find(vt_supported_cpuid(), 0x80000001, 0);
	if (!e || !(e->edx & (1u << 27)))
		SKIP("no RDTSCP offered");
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_tsc_aux));
	ASSERT_OK(vcpu_set_msr(vcpu, MSR_TSC_AUX, 0x1234));
	ASSERT_OK(vcpu_set_msr(vcpu, MSR_IA32_TSC, 1ull << 40));
	ASSERT_RUN_DONE(vcpu);
	ASSERT_OK(vcpu_get_msr(vcpu, MSR_TSC_AUX, &v));
	EXPECT_EQ(v, 0x55);
	vm_free(vm);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(shutdown),
	VT_CASE(invalid_state),
	VT_CASE(svm_insns),
	VT_CASE(debugregs),
	VT_CASE(asid_churn),
	VT_CASE(nmi_blocking),
	VT_CASE(irq_window),
	VT_CASE(tsc_aux),
};

VT_MAIN(cases, setup, NULL);
