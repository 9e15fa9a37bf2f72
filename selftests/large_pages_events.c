// SPDX-License-Identifier: GPL-2.0
/*
 * large_pages_events - interrupts and exceptions delivered across the
 * break-up of a 2 MiB nested leaf (the large first touch, large_pages).
 * A sharing merge inside a large range zaps the leaf; when the range
 * holds the guest's IDT and the stack it takes events on, an event
 * delivered next faults on the nested tables half way through its
 * delivery (EXITINTINFO / IDT-vectoring information) and must be
 * delivered again, exactly once, with its error code.
 *
 * Its own file, apart from large_pages, so that the matrix can leave it
 * out where the sharing daemon's passes are too slow to wait for (the
 * Bochs lines, scripts/configs.sh).  Changes the module parameters
 * large_pages and share_scan_*, restored at the end.
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vt.h"
#include "vt_param.h"
#include "vt_util.h"
#include "vt_vm.h"

#define PG		4096ull
#define LARGE		(2ull << 20)
#define NPAGES		(LARGE / PG)
#define DATA_GPA	(1ull << 30)

static const char *const knobs[] = {
	"large_pages", "share_scan_pages", "share_scan_sleep_ms",
	"share_scan_ghz",
};
static struct vt_params saved;

static int setup(void)
{
	long on;
	int r = vt_require_vm(VMEM_VM_MMU_HW);

	/* No hardware MMU (shadow lines): no large first touch to test. */
	if (r != VT_PASS)
		return r;
	if (vt_params_save(&saved, knobs, 4))
		return vt_fail_at(__FILE__, __LINE__, "cannot read %s",
				  VT_SYSFS_PARAM("{large_pages,share_scan_*}"));
	/* Off by default (module-parameters.rst): the case needs it on. */
	if (vt_param_set("large_pages", 1) || vt_param_get("large_pages", &on) ||
	    !on)
		return vt_fail_at(__FILE__, __LINE__, "cannot set large_pages");
	return VT_PASS;
}

static void teardown(void)
{
	vt_params_restore(&saved);
}

#define STORM_PORT	0x77
#define STORM_MSR	0x4b564d99u		/* no MSR: the VMM answers */
#define STORM_VECTOR	0x40
#define STORM_RANGES	8
#define STORM_LOOPS	32
#define STORM_IDT	(1 * PG)		/* page of a range */
#define STORM_STACK	(LARGE - 64)		/* top of a range */
#define STORM_MAGIC	0x5707a11ed0000000ull
#define STORM_ZEROS	3			/* pages 0, 2, 3 */

static volatile uint64_t s_irqs, s_ud, s_gp, s_gp_msr, s_range;

static uint64_t current_rsp(void)
{
	uint64_t rsp;

	__asm__ __volatile__("mov %%rsp, %0" : "=r"(rsp));
	return rsp;
}

static void storm_on_range_stack(void)
{
	uint64_t lo = DATA_GPA + s_range * LARGE, rsp = current_rsp();

	GUEST_ASSERT(rsp > lo && rsp < lo + LARGE);
}

static void storm_irq(struct vt_ex_regs *regs)
{
	GUEST_ASSERT_EQ(regs->vector, STORM_VECTOR);
	storm_on_range_stack();
	s_irqs++;
}

/* ud2: #UD, no error code; skip its two bytes. */
static void storm_ud(struct vt_ex_regs *regs)
{
	storm_on_range_stack();
	s_ud++;
	regs->rip += 2;
}

/*
 * #GP(0) from the VMM's answer to RDMSR (0f 32), or #GP(0x1230) from
 * loading DS with a selector past the GDT's limit (8e d8): skip either.
 */
static void storm_gp(struct vt_ex_regs *regs)
{
	const uint8_t *insn = (const uint8_t *)regs->rip;

	storm_on_range_stack();
	if (insn[0] == 0x0f && insn[1] == 0x32) {
		GUEST_ASSERT_EQ(regs->error_code, 0);
		s_gp_msr++;
	} else {
		GUEST_ASSERT_EQ(regs->error_code, 0x1230);
		s_gp++;
	}
	regs->rip += 2;
}

/*
 * On range @r's stack: an exit the host holds until the range's 2 MiB
 * leaf is gone and then answers with an event (an interrupt, or #GP for
 * the RDMSR on odd ranges), delivered through the IDT and onto the stack
 * of this range; then exits that each get an interrupt, with #UD and
 * #GP raised by the guest in between, and the words on this stack
 * checked, until the host answers 1.
 */
static void __attribute__((used)) storm_range(uint64_t r)
{
	volatile uint64_t words[64];
	uint32_t lo, hi;

	for (unsigned int i = 0; i < 64; i++)
		words[i] = STORM_MAGIC + r * 64 + i;
	sti();
	if (r % 2)
		__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi)
				     : "c"(STORM_MSR) : "memory");
	while (!inb(STORM_PORT)) {
		__asm__ __volatile__("ud2" ::: "memory");
		__asm__ __volatile__("mov $0x1230, %%ax\n\tmov %%ax, %%ds"
				     ::: "rax", "memory");
		for (unsigned int i = 0; i < 64; i++)
			GUEST_ASSERT_EQ(words[i], STORM_MAGIC + r * 64 + i);
	}
	cli();
}

/* Call storm_range(@r) with RSP at @top; back on the old stack after. */
static void storm_call_on(uint64_t r, uint64_t top)
{
	__asm__ __volatile__("mov %%rsp, %%rbx\n\t"
			     "mov %1, %%rsp\n\t"
			     "call storm_range\n\t"
			     "mov %%rbx, %%rsp"
			     : "+D"(r) : "r"(top)
			     : "rax", "rbx", "rcx", "rdx", "rsi", "r8", "r9",
			       "r10", "r11", "memory");
}

static void guest_storm(void)
{
	struct vt_desc_ptr idt, mine;

	sidt(&idt);
	for (uint64_t r = 0; r < STORM_RANGES; r++) {
		uint64_t base = DATA_GPA + r * LARGE;

		/* The first touch of the range: one 2 MiB leaf from here. */
		memcpy((void *)(base + STORM_IDT), (void *)idt.base,
		       idt.limit + 1);
		/* A word makes each page unique: only 0, 2 and 3 merge. */
		for (uint64_t pg = 4; pg < NPAGES - 1; pg++)
			*(volatile uint64_t *)(base + pg * PG) =
				STORM_MAGIC | r << 16 | pg;
		mine.base = base + STORM_IDT;
		mine.limit = idt.limit;
		s_range = r;
		lidt(&mine);
		storm_call_on(r, base + STORM_STACK);
		lidt(&idt);
	}
	GUEST_DONE();
}

static uint64_t zero_pages(struct vt_vm *vm)
{
	struct vmem_vm_stats st;

	return vm_get_stats(vm, &st) ? 0 : st.zero;
}

/* Wait up to 10 s until the VM's zero pages exceed @than; true if so. */
static bool wait_zero_above(struct vt_vm *vm, uint64_t than)
{
	for (int i = 0; i < 10000; i++) {
		if (zero_pages(vm) > than)
			return true;
		usleep(1000);
	}
	return false;
}

/*
 * With the vCPU held in an exit: let the daemon merge the range's zero
 * pages, whose first merge zaps the 2 MiB leaf, and whatever else it
 * finds in two more passes; then stop it again, so that nothing maps the
 * range until the guest runs.  Passes, not wall time: a slow machine
 * (Bochs) is as deterministic as a fast one.  True if the merges came.
 */
static bool break_up_range(struct vt_vm *vm)
{
	struct vmem_pshare ps = { .flags = VMEM_PSHARE_SET_ENABLE, .enable = 1 };
	uint64_t z0 = zero_pages(vm);
	bool merged;

	if (ioctl(vm->fd, VMEM_PSHARE, &ps))
		return false;
	merged = wait_zero_above(vm, z0 + STORM_ZEROS - 1) &&
		 vm_wait_share_passes(vm, 2);
	ps.enable = 0;
	return !ioctl(vm->fd, VMEM_PSHARE, &ps) && merged;
}

/*
 * A sharing merge inside a large range zaps its 2 MiB leaf, which here
 * maps the IDT and the stack the guest takes its events on.  For every
 * range the host holds the vCPU in an exit, lets the daemon merge one of
 * the range's zero pages (sharing is on only then), and answers with an
 * event: an external interrupt, or #GP(0) for an MSR read.  The CPU
 * starts to deliver it, faults on the nested tables in the middle (IDT
 * and stack unmapped), and vmem must deliver it again, exactly once, with
 * its error code.  Then the guest takes more interrupts, #UD and
 * #GP(error code) on the 4 KiB leaves that replace the large one.  The
 * guest counts what its handlers saw, the host what it injected (a debug
 * count in the kernel showed both kinds of event delivered again in
 * every range on QEMU's SVM).  A Linux guest booted with
 * large pages triple-faulted once while its pages were merged (make run,
 * 2026-11-26): its idle loop takes every timer interrupt onto a stack in
 * such a range.
 */
static int test_events_across_leaf_breakup(void)
{
	struct vmem_pshare ps = { .flags = VMEM_PSHARE_SET_ENABLE, .enable = 1 };
	uint64_t injected = 0, ins = 0, msrs = 0, held = 0, r = 0;
	unsigned int in_range = 0;
	struct vt_leaks base;
	struct vt_ucall uc;
	bool done = false;
	struct {
		struct vt_vm *vm;
		struct vt_vcpu *vcpu;
	} e;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(e.vm = vm_create(VMEM_VM_MMU_HW));
	vm_install_exception_handler(e.vm, STORM_VECTOR, storm_irq);
	vm_install_exception_handler(e.vm, UD_VECTOR, storm_ud);
	vm_install_exception_handler(e.vm, GP_VECTOR, storm_gp);
	ASSERT_TRUE(e.vcpu = vcpu_add(e.vm, 0, guest_storm));
	/*
	 * A slot per range: each goes once the guest has left it, so the
	 * daemon's passes stay short.
	 */
	for (unsigned int i = 0; i < STORM_RANGES; i++)
		ASSERT_OK(vm_add_slot(e.vm, 1 + i, DATA_GPA + i * LARGE,
				      LARGE, 0));
	ASSERT_OK(vt_params_share_fast());
	/* Zero pages the library left merged first; then sharing waits. */
	ASSERT_OK(ioctl(e.vm->fd, VMEM_PSHARE, &ps));
	ASSERT_TRUE(vm_wait_share_passes(e.vm, 3));
	ps.enable = 0;
	ASSERT_OK(ioctl(e.vm->fd, VMEM_PSHARE, &ps));

	while (!done && !vt_case_failed()) {
		struct vmem_run *run = e.vcpu->run;
		bool first = !in_range;
		uint8_t *answer;

		if (vcpu_run(e.vcpu)) {
			vt_fail_at(__FILE__, __LINE__, "RUN: %m");
			break;
		}
		if (first && r > 0 &&
		    (run->exit_reason == VMEM_EXIT_MSR ||
		     run->exit_reason == VMEM_EXIT_IO))
			ASSERT_OK(vm_delete_slot(e.vm, r));
		if (run->exit_reason == VMEM_EXIT_MSR &&
		    run->msr.index == STORM_MSR && !run->msr.is_write) {
			/* Odd range: #GP(0) into the broken-up range. */
			ASSERT_TRUE(first);
			held += break_up_range(e.vm);
			run->msr.error = 1;
			msrs++;
			in_range++;
			continue;
		}
		if (run->exit_reason != VMEM_EXIT_IO ||
		    run->io.port != STORM_PORT) {
			switch (vcpu_get_ucall(e.vcpu, &uc)) {
			case UCALL_DONE:
				done = true;
				break;
			case UCALL_PRINTF:
				break;
			default:
				vcpu_describe_exit(e.vcpu);
				vcpu_describe_ucall(e.vcpu, &uc);
				vt_fail_at(__FILE__, __LINE__, "unexpected exit");
			}
			continue;
		}
		ins++;
		answer = vcpu_io_data(e.vcpu);
		ASSERT_TRUE(answer);
		/* Even range: an interrupt into the broken-up range. */
		if (first && r % 2 == 0)
			held += break_up_range(e.vm);
		if (run->ready_for_interrupt) {
			ASSERT_OK(vcpu_inject(e.vcpu, VMEM_EVENT_EXTINT,
					      STORM_VECTOR, false, 0));
			injected++;
		}
		*answer = ++in_range > STORM_LOOPS;
		if (*answer) {
			in_range = 0;
			r++;
		}
	}
	ASSERT_TRUE(done);
	vt_diag("%llu ranges, %llu held until broken up; %llu exits, %llu interrupts injected, %llu #GP for RDMSR",
		(unsigned long long)r, (unsigned long long)held,
		(unsigned long long)ins, (unsigned long long)injected,
		(unsigned long long)msrs);
	EXPECT_EQ(r, STORM_RANGES);
	EXPECT_EQ(held, STORM_RANGES);
	EXPECT_EQ(msrs, STORM_RANGES / 2);
	EXPECT_EQ(*VM_GUEST_PTR(e.vm, s_irqs), injected);
	EXPECT_EQ(*VM_GUEST_PTR(e.vm, s_gp_msr), msrs);
	/* One #UD and one #GP per exit but the one that ends each range. */
	EXPECT_EQ(*VM_GUEST_PTR(e.vm, s_ud), ins - STORM_RANGES);
	EXPECT_EQ(*VM_GUEST_PTR(e.vm, s_gp), ins - STORM_RANGES);
	vm_free(e.vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(events_across_leaf_breakup),
};

VT_MAIN(cases, setup, teardown)
