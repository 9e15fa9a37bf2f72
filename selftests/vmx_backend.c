// SPDX-License-Identifier: GPL-2.0
/*
 * vmx_backend - what the VMX backend itself must get right, beyond the
 * generic exits the other tests cover:
 *
 *   vmcs_migrate	the vCPU thread moves between host CPUs between
 *			runs (pinned to each in turn): the VMCS is VMCLEARed
 *			where it was active and loaded where the thread is,
 *			with that CPU's host state; the guest notices nothing
 *			(skipped with one CPU)
 *   vmcs_switch	several vCPUs (of one VM and of two) take turns on
 *			one CPU: each entry VMPTRLDs the right VMCS
 *   preempt_migrate	two vCPU threads spin in their guests without
 *			leaving VMEM_RUN while they are preempted by each
 *			other on one CPU and moved between CPUs (VMCLEAR by
 *			IPI on the old CPU, VMPTRLD and per-CPU host state
 *			on the new), then a signal ends one RUN with EINTR
 *			and it resumes; the guests check their CR2,
 *			KERNEL_GS_BASE and a running sum all along
 *			(skipped with one CPU)
 *   entry_failure	a state that set_sregs cannot see (RFLAGS.VM in
 *			long mode) fails the VM entry: VMEM_EXIT_FAIL_ENTRY
 *			with exit reason 0x80000021, and the vCPU runs again
 *			once the state is fixed (VMLAUNCH of a clear VMCS)
 *   invalid_state	what the VM-entry checks (SDM 26.3) would refuse is
 *			refused by SET_SREGS/SET_DEBUGREGS/SET_MSRS with
 *			EINVAL, state intact; accessed/busy bits are added
 *   cr_shadows		the CR0 bits VMX owns (NE, CD, NW) and CR4.VMXE read
 *			as the guest wrote them, their writes are checked
 *			(#GP) and emulated; CR8 is the VMM's TPR
 *   vmx_insns		the guest has no VMX: VMXON..VMXOFF, INVEPT, INVVPID
 *			raise #UD; VMCALL and AMD's VMMCALL are hypercalls;
 *			MONITOR/MWAIT #UD, RDPMC #GP, WBINVD/INVD skipped
 *   debugregs		DR0-3 set by the VMM reach the guest, guest writes
 *			survive exits, a guest data breakpoint fires (#DB is
 *			intercepted, DR6 rebuilt from the exit qualification)
 *   nmi_blocking	virtual NMIs: an NMI injected while the guest's NMI
 *			handler runs is held until its IRET, then delivered
 *   irq_window		the interrupt-window exit comes only when the guest
 *			sets IF; the guest spins with IF=0 meanwhile (under
 *			Bochs this needs the preemption-timer bound)
 *   host_msrs		the guest's SYSCALL MSRs, TSC_AUX and KERNEL_GS_BASE
 *			are its own, and the host's are back in user space
 *			(RDTSCP, the thread's GS base)
 *   host_nmi		NMIs sent to the CPU where a guest spins reach the
 *			host's handler, again and again (NMI exiting, the
 *			handler run by __vmx_do_nmi, NMIs unblocked by its
 *			IRET); uses the debugfs hook vmem/vmx_nmi_test,
 *			whose count of NMI exits shows that NMIs did arrive
 *			in the guest (skipped with one CPU)
 *
 * The tests skip on an SVM host.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

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

static inline void set_cr0(uint64_t v)
{
	__asm__ __volatile__("mov %0, %%cr0" :: "r"(v) : "memory");
}

static inline uint64_t vmcall(uint64_t nr, uint64_t a0)
{
	uint64_t ret;

	__asm__ __volatile__("vmcall" : "=a"(ret) : "a"(nr), "b"(a0)
			     : "memory");
	return ret;
}

#define X86_EFLAGS_VM	(1ull << 17)

static int setup(void)
{
	int r = vt_require_vm(VMEM_VM_MMU_AUTO);

	if (r != VT_PASS)
		return r;
	if (vt_check_extension(VMEM_CAP_BACKEND) != VMEM_BACKEND_VMX)
		SKIP("not a VMX host");
	return VT_PASS;
}

static int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static void unpin(void)
{
	cpu_set_t set;
	long i, n = sysconf(_SC_NPROCESSORS_CONF);

	CPU_ZERO(&set);
	for (i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* ---------------------------------------------------------------------- */
/* vmcs_migrate, vmcs_switch                                               */

static volatile uint64_t step_value;

/*
 * Keeps state the VMCS holds (RSP, RIP, RFLAGS via a loop), state vmem
 * switches itself (CR2, KERNEL_GS_BASE) and a running sum in a register
 * across every exit.
 */
static void guest_counter(uint64_t seed)
{
	uint64_t sum = seed;

	for (uint64_t i = 1;; i++) {
		sum = sum * 3 + step_value;
		__asm__ __volatile__("mov %0, %%cr2" :: "r"(i * 0x1000));
		wrmsr(MSR_KERNEL_GS_BASE, i * 0x2000);
		GUEST_SYNC_ARGS(i, sum, 0, 0);
		GUEST_ASSERT_EQ(get_cr2(), i * 0x1000);
		GUEST_ASSERT_EQ(rdmsr(MSR_KERNEL_GS_BASE), i * 0x2000);
	}
}

static bool check_step(struct vt_vcpu *vcpu, uint64_t i, uint64_t *sum,
		       uint64_t step)
{
	struct vt_ucall uc;

	*sum = *sum * 3 + step;
	if (vcpu_run_ucall(vcpu, &uc) != UCALL_SYNC) {
		vcpu_describe_ucall(vcpu, &uc);
		return false;
	}
	if (uc.args[0] != i || uc.args[1] != *sum) {
		vt_diag("step %llu: guest says step %llu sum %llu, want %llu",
			(unsigned long long)i, (unsigned long long)uc.args[0],
			(unsigned long long)uc.args[1],
			(unsigned long long)*sum);
		return false;
	}
	return true;
}

static int test_vmcs_migrate(void)
{
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	uint64_t sum = 7;
	int ret = VT_PASS;

	if (ncpus < 2)
		SKIP("one CPU online: nowhere to move the vCPU to");
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_counter));
	ASSERT_OK(vcpu_args_set(vcpu, 1, 7));

	/* Two steps per CPU: a reload (VMPTRLD, VMLAUNCH), then a VMRESUME. */
	for (uint64_t i = 1; i <= 12 && ret == VT_PASS; i++) {
		int cpu = (i / 2) % 2;

		if (pin_to_cpu(cpu) || sched_getcpu() != cpu) {
			ret = vt_fail_at(__FILE__, __LINE__,
					 "could not move to CPU %d", cpu);
			break;
		}
		*VM_GUEST_PTR(vm, step_value) = i * 11;
		if (!check_step(vcpu, i, &sum, i * 11))
			ret = vt_fail_at(__FILE__, __LINE__,
					 "step %llu on CPU %d",
					 (unsigned long long)i, cpu);
	}
	unpin();
	vm_free(vm);
	return ret;
}

static int test_vmcs_switch(void)
{
	struct vt_vcpu *vcpus[3];
	struct vt_vm *vm1, *vm2;
	uint64_t sums[3] = { 1, 2, 3 };
	int ret = VT_PASS;

	ASSERT_OK(pin_to_cpu(0));
	ASSERT_TRUE(vm1 = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vm2 = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpus[0] = vcpu_add(vm1, 0, guest_counter));
	ASSERT_TRUE(vcpus[1] = vcpu_add(vm1, 1, guest_counter));
	ASSERT_TRUE(vcpus[2] = vcpu_add(vm2, 0, guest_counter));
	for (int v = 0; v < 3; v++)
		ASSERT_OK(vcpu_args_set(vcpus[v], 1, sums[v]));
	*VM_GUEST_PTR(vm1, step_value) = 5;
	*VM_GUEST_PTR(vm2, step_value) = 9;

	for (uint64_t i = 1; i <= 6 && ret == VT_PASS; i++) {
		for (int v = 0; v < 3; v++) {
			if (!check_step(vcpus[v], i, &sums[v], v == 2 ? 9 : 5)) {
				ret = vt_fail_at(__FILE__, __LINE__,
						 "vCPU %d step %llu", v,
						 (unsigned long long)i);
				break;
			}
		}
	}
	unpin();
	vm_free(vm1);
	vm_free(vm2);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* preempt_migrate                                                         */

/* Per VM (each vCPU below has a VM of its own). */
static volatile uint64_t mig_stop, mig_iters;

/*
 * Spin with IF=1 (host interrupts exit, so the scheduler can preempt and
 * move the thread) and never leave VMEM_RUN until told to.  CR2 (loaded by
 * vmem before each entry) and KERNEL_GS_BASE (passed through, swapped by
 * vmem around each entry) must stay the guest's across whatever the host
 * does between exits; the running sum lives in guest registers and stack.
 */
static void guest_mig_spin(uint64_t seed)
{
	uint64_t i, sum = seed;

	sti();
	for (i = 1; !mig_stop; i++) {
		sum = sum * 3 + i;
		__asm__ __volatile__("mov %0, %%cr2" :: "r"(i << 12));
		wrmsr(MSR_KERNEL_GS_BASE, seed << 40 | i);
		for (int k = 0; k < 64; k++)
			cpu_relax();
		GUEST_ASSERT_EQ(get_cr2(), i << 12);
		GUEST_ASSERT_EQ(rdmsr(MSR_KERNEL_GS_BASE), seed << 40 | i);
		mig_iters = i;
	}
	cli();
	GUEST_SYNC_ARGS(1, i, sum, 0);
	GUEST_DONE();
}

struct mig_vcpu {
	struct vt_vm *vm;
	struct vt_vcpu *vcpu;
	pthread_t th;
	volatile pid_t tid;
	volatile int eintr;	/* VMEM_RUN calls ended by a signal */
	int err;		/* errno of a VMEM_RUN that failed otherwise */
	uint64_t cmd;
	struct vt_ucall uc;
};

static void mig_sigusr1(int sig)
{
	(void)sig;
}

static void *mig_thread(void *arg)
{
	struct mig_vcpu *m = arg;

	m->tid = syscall(SYS_gettid);
	for (;;) {
		if (vcpu_run(m->vcpu) < 0) {
			if (errno == EINTR) {
				m->eintr++;
				continue;
			}
			m->err = errno;
			return NULL;
		}
		m->cmd = vcpu_get_ucall(m->vcpu, &m->uc);
		if (m->cmd != UCALL_PRINTF)
			return NULL;
	}
}

/* The CPU a thread last ran on: field 39 of /proc/self/task/TID/stat. */
static int thread_cpu(pid_t tid)
{
	char path[64], buf[1024], *p;
	int field, n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	n = vt_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return -1;
	/* The command name may hold spaces: count from its closing ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	for (field = 2; field < 39 && p; field++)
		p = strchr(p + 1, ' ');
	return p ? atoi(p + 1) : -1;
}

static int set_thread_cpu(pthread_t th, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(th, sizeof(set), &set);
}

/*
 * Wait (bounded: Bochs is slow, and two spinning vCPUs share its CPUs)
 * until @m's thread is seen on @cpu and its guest has gone on counting
 * there.  The thread never leaves VMEM_RUN meanwhile, so the move and the
 * guest's progress happen inside one RUN.
 */
static bool mig_wait(struct mig_vcpu *m, int cpu, const char *what)
{
	uint64_t start;
	int i, seen = -1;

	for (i = 0; i < 60000; i++) {
		seen = thread_cpu(m->tid);
		if (seen == cpu)
			break;
		usleep(1000);
	}
	if (seen != cpu) {
		vt_diag("%s: thread still on CPU %d, not %d", what, seen, cpu);
		return false;
	}
	start = *VM_GUEST_PTR(m->vm, mig_iters);
	for (i = 0; i < 60000; i++) {
		if (*VM_GUEST_PTR(m->vm, mig_iters) >= start + 3)
			return true;
		if (m->cmd != UCALL_NONE || m->err)
			break;
		usleep(1000);
	}
	vt_diag("%s: guest stopped at iteration %llu on CPU %d (ucall %s, errno %s)",
		what, (unsigned long long)*VM_GUEST_PTR(m->vm, mig_iters), cpu,
		vt_ucall_name(m->cmd), vt_errno_name(m->err));
	return false;
}

static int test_preempt_migrate(void)
{
	/* Where each vCPU thread goes, step by step: together on one CPU
	 * (preempting each other mid-RUN), apart, swapped, back. */
	static const int plan[][2] = {
		{ 0, 0 }, { 1, 0 }, { 1, 1 }, { 0, 1 }, { 1, 0 }, { 0, 0 },
	};
	struct mig_vcpu mv[2] = { 0 };
	struct sigaction sa = { 0 };
	int ret = VT_PASS;
	char what[64];
	size_t step;
	int v;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP("one CPU online: nowhere to move the vCPUs to");
	sa.sa_handler = mig_sigusr1;	/* no SA_RESTART: RUN ends with EINTR */
	ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));

	for (v = 0; v < 2; v++) {
		ASSERT_TRUE(mv[v].vm = vm_create(VMEM_VM_MMU_AUTO));
		ASSERT_TRUE(mv[v].vcpu = vcpu_add(mv[v].vm, 0, guest_mig_spin));
		ASSERT_OK(vcpu_args_set(mv[v].vcpu, 1, v + 1));
		mv[v].cmd = UCALL_NONE;
	}
	/* Both start on CPU 0, so the first RUNs already share it. */
	ASSERT_OK(pin_to_cpu(0));
	for (v = 0; v < 2; v++)
		ASSERT_EQ(pthread_create(&mv[v].th, NULL, mig_thread, &mv[v]), 0);
	unpin();
	for (v = 0; v < 2; v++)
		while (!mv[v].tid)
			usleep(1000);

	for (step = 0; step < VT_ARRAY_SIZE(plan) && ret == VT_PASS; step++) {
		for (v = 0; v < 2; v++)
			if (set_thread_cpu(mv[v].th, plan[step][v]))
				ret = vt_fail_at(__FILE__, __LINE__,
						 "pthread_setaffinity_np failed");
		for (v = 0; v < 2 && ret == VT_PASS; v++) {
			snprintf(what, sizeof(what), "step %zu, vCPU thread %d",
				 step, v);
			if (!mig_wait(&mv[v], plan[step][v], what))
				ret = vt_fail_at(__FILE__, __LINE__, "%s", what);
		}
	}

	/* A signal ends the RUN with EINTR; the guest goes on after it. */
	if (ret == VT_PASS) {
		pthread_kill(mv[0].th, SIGUSR1);
		for (v = 0; v < 60000 && !mv[0].eintr; v++)
			usleep(1000);
		EXPECT_GE(mv[0].eintr, 1);
		if (!mig_wait(&mv[0], plan[VT_ARRAY_SIZE(plan) - 1][0],
			      "after the signal"))
			ret = vt_fail_at(__FILE__, __LINE__, "after the signal");
	}

	for (v = 0; v < 2; v++)
		*VM_GUEST_PTR(mv[v].vm, mig_stop) = 1;
	for (v = 0; v < 2; v++) {
		uint64_t i, n, sum = v + 1;

		pthread_join(mv[v].th, NULL);
		EXPECT_EQ(mv[v].err, 0);
		if (mv[v].cmd != UCALL_SYNC) {
			vcpu_describe_ucall(mv[v].vcpu, &mv[v].uc);
			ret = vt_fail_at(__FILE__, __LINE__,
					 "vCPU thread %d ended with %s", v,
					 vt_ucall_name(mv[v].cmd));
			continue;
		}
		/* GUEST_SYNC_ARGS(1, i, sum, 0): args[0] is the 1. */
		EXPECT_EQ(mv[v].uc.args[0], 1);
		n = mv[v].uc.args[1];
		for (i = 1; i < n; i++)
			sum = sum * 3 + i;
		EXPECT_EQ(mv[v].uc.args[2], sum);
		vt_diag("vCPU thread %d: %llu iterations, %d RUN(s) ended by a signal",
			v, (unsigned long long)(n - 1), mv[v].eintr);
		/* And once more from this thread, wherever it runs. */
		EXPECT_RUN_UCALL(mv[v].vcpu, UCALL_DONE, NULL);
	}
	signal(SIGUSR1, SIG_DFL);
	for (v = 0; v < 2; v++)
		vm_free(mv[v].vm);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* entry_failure                                                           */

static void guest_nothing(void)
{
	GUEST_DONE();
}

static int test_entry_failure(void)
{
	struct vmem_regs regs;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_nothing));
	ASSERT_OK(vcpu_get_regs(vcpu, &regs));
	/* Virtual-8086 mode does not exist in long mode: SDM 26.3.1.4. */
	regs.rflags |= X86_EFLAGS_VM;
	if (vcpu_set_regs(vcpu, &regs) < 0) {
		vm_free(vm);
		SKIP("SET_REGS refuses RFLAGS.VM: no state left to fail the entry");
	}
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_FAIL_ENTRY);
	EXPECT_EQ(vcpu->run->fail_entry.hardware_reason, 0x80000021ull);
	/* Nothing was lost: fixed, the same vCPU runs. */
	regs.rflags &= ~X86_EFLAGS_VM;
	ASSERT_OK(vcpu_set_regs(vcpu, &regs));
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* invalid_state                                                           */

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
	/* Control registers and EFER (26.3.1.1). */
	TRY_BAD(bad.cr0 = (bad.cr0 | X86_CR0_NW) & ~X86_CR0_CD);
	TRY_BAD(bad.cr0 |= 1ull << 32);
	TRY_BAD(bad.cr0 &= ~X86_CR0_PE);		/* PG without PE */
	TRY_BAD(bad.cr4 |= X86_CR4_VMXE);		/* no nested VMX */
	TRY_BAD(bad.cr4 |= X86_CR4_SMXE);
	TRY_BAD(bad.cr4 |= X86_CR4_PKE);		/* PKRU not switched */
	TRY_BAD(bad.cr4 &= ~X86_CR4_PAE);		/* IA-32e without PAE */
	TRY_BAD(bad.efer &= ~EFER_LMA);			/* LMA != LME&&PG */
	TRY_BAD(bad.efer |= EFER_SVME);
	TRY_BAD(bad.cr3 |= 1ull << 62);			/* above MAXPHYADDR */
	TRY_BAD(bad.cr8 = 16);
	/* Segments (26.3.1.2). */
	TRY_BAD(bad.cs.db = 1);				/* CS.L and CS.D */
	TRY_BAD(bad.cs.type = 0x1);			/* not a code type */
	TRY_BAD({ bad.cs.type = 0x3; bad.cs.dpl = 3;	/* real-mode-like CS */
		  bad.ss.dpl = 3; });			/* must be DPL 0 */
	TRY_BAD(bad.cs.dpl = 3);			/* != SS.DPL */
	TRY_BAD(bad.cs.s = 0);
	TRY_BAD(bad.cs.present = 0);			/* CS is never unusable */
	TRY_BAD(bad.cs.limit = 0xfffff000);		/* G=1: 11:0 all ones */
	TRY_BAD({ bad.ds.limit = 0x100000;		/* > 1 MiB needs G */
		  bad.ds.g = 0; });
	TRY_BAD(bad.ss.type = 0xb);			/* code in SS */
	TRY_BAD(bad.ds.type = 0x8);			/* execute-only data */
	TRY_BAD(bad.tr.unusable = 1);
	TRY_BAD(bad.tr.type = 0x3);			/* 16-bit TSS, 64-bit */
	TRY_BAD(bad.tr.selector |= 4);			/* TI: in the LDT */
	TRY_BAD({ bad.ldt.unusable = 0; bad.ldt.present = 1;
		  bad.ldt.type = 0x3; });
	TRY_BAD(bad.fs.base = 0x0000800000000000ull);	/* not canonical */
	TRY_BAD(bad.gdt.base = 0x0000800000000000ull);
	TRY_BAD(bad.cs.dpl = 4);
#undef TRY_BAD

	/* Nothing changed, and the vCPU still runs. */
	ASSERT_OK(vcpu_get_sregs(vcpu, &now));
	EXPECT_EQ(memcmp(&now, &good, sizeof(now)), 0);

	/*
	 * A loaded segment register always has its accessed bit, TR its
	 * busy bit: a VMM leaving them out gets them added, as the CPU
	 * would when loading the segment.
	 */
	bad = good;
	bad.cs.type = 0xa;
	bad.ds.type = 0x2;
	bad.tr.type = 0x9;
	ASSERT_OK(vcpu_set_sregs(vcpu, &bad));
	ASSERT_OK(vcpu_get_sregs(vcpu, &now));
	EXPECT_EQ(now.cs.type, 0xb);
	EXPECT_EQ(now.ds.type, 0x3);
	EXPECT_EQ(now.tr.type, 0xb);

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
/* cr_shadows                                                              */

static void guest_cr_shadows(void)
{
	uint64_t cr0 = get_cr0(), cr4 = get_cr4();

	/* As the VMM set them (vcpu_add: NE on, CD/NW off, VMXE off). */
	GUEST_ASSERT(cr0 & X86_CR0_NE);
	GUEST_ASSERT(!(cr0 & (X86_CR0_CD | X86_CR0_NW)));
	GUEST_ASSERT(!(cr4 & X86_CR4_VMXE));

	/* CD is VMX's: the write exits, is emulated, and reads back. */
	set_cr0(cr0 | X86_CR0_CD);
	GUEST_ASSERT_EQ(get_cr0(), cr0 | X86_CR0_CD);
	GUEST_SYNC(1);
	set_cr0(cr0 | X86_CR0_CD | X86_CR0_NW);
	GUEST_ASSERT_EQ(get_cr0(), cr0 | X86_CR0_CD | X86_CR0_NW);
	set_cr0(cr0);
	GUEST_ASSERT_EQ(get_cr0(), cr0);

	/* The checks of MOV to CR0/CR4 for what exits. */
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("mov %[v], %%cr0",
					[v] "r"(cr0 | X86_CR0_NW)), GP_VECTOR);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("mov %[v], %%cr4",
					[v] "r"(cr4 | X86_CR4_VMXE)), GP_VECTOR);
	GUEST_ASSERT_EQ(get_cr0(), cr0);
	GUEST_ASSERT_EQ(get_cr4(), cr4);

	/* CR8 is the VMM's TPR. */
	set_cr8(5);
	GUEST_ASSERT_EQ(get_cr8(), 5);
	GUEST_SYNC(2);
	GUEST_ASSERT_EQ(get_cr8(), 9);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("mov %[v], %%cr8", [v] "r"(16ull)),
			GP_VECTOR);
	GUEST_DONE();
}

static int test_cr_shadows(void)
{
	struct vmem_sregs sregs;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_cr_shadows));
	ASSERT_RUN_SYNC(vcpu, 1);
	ASSERT_OK(vcpu_get_sregs(vcpu, &sregs));
	EXPECT_TRUE(sregs.cr0 & X86_CR0_CD);
	EXPECT_TRUE(sregs.cr0 & X86_CR0_NE);
	EXPECT_EQ(sregs.cr4 & X86_CR4_VMXE, 0);
	ASSERT_RUN_SYNC(vcpu, 2);
	EXPECT_EQ(vcpu->run->cr8, 5);
	ASSERT_OK(vcpu_get_sregs(vcpu, &sregs));
	EXPECT_EQ(sregs.cr8, 5);
	sregs.cr8 = 9;
	ASSERT_OK(vcpu_set_sregs(vcpu, &sregs));
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* vmx_insns                                                               */

static uint64_t vmx_region[64] __attribute__((aligned(4096)));

static void guest_vmx_insns(void)
{
	uint64_t *m = vmx_region;

	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("vmxon (%[m])", [m] "r"(m)), UD_VECTOR);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("vmclear (%[m])", [m] "r"(m)),
			UD_VECTOR);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("vmptrld (%[m])", [m] "r"(m)),
			UD_VECTOR);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("vmptrst (%[m])", [m] "r"(m)),
			UD_VECTOR);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("vmread %%rax, (%[m])", [m] "r"(m),
					"a"(0ull)), UD_VECTOR);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("vmwrite (%[m]), %%rax", [m] "r"(m),
					"a"(0ull)), UD_VECTOR);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("vmlaunch", "a"(0ull)), UD_VECTOR);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("vmresume", "a"(0ull)), UD_VECTOR);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("vmxoff", "a"(0ull)), UD_VECTOR);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("invept (%[m]), %%rax",
					[m] "r"(m), "a"(1ull)), UD_VECTOR);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("invvpid (%[m]), %%rax",
					[m] "r"(m), "a"(1ull)), UD_VECTOR);
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(vmcall(0x1234, 0x99), 0x4321);
	GUEST_ASSERT_EQ(vmmcall(0x1235, 0x98, 0), 0x5321);
	GUEST_SYNC(2);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("monitor", "a"(0ull), "c"(0), "d"(0)),
			UD_VECTOR);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("mwait", "a"(0ull), "c"(0)),
			UD_VECTOR);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("rdpmc", "c"(0)), GP_VECTOR);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("wbinvd", "a"(0ull)), VT_NO_EXCEPTION);
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("invd", "a"(0ull)), VT_NO_EXCEPTION);
	/* A plain #UD still reaches the guest. */
	GUEST_ASSERT_EQ(GUEST_INSN_SAFE("ud2", "a"(0ull)), UD_VECTOR);
	GUEST_DONE();
}

static int test_vmx_insns(void)
{
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_vmx_insns));
	ASSERT_RUN_SYNC(vcpu, 1);
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_HYPERCALL);
	EXPECT_EQ(vcpu->run->hypercall.nr, 0x1234);
	EXPECT_EQ(vcpu->run->hypercall.args[0], 0x99);
	vcpu->run->hypercall.ret = 0x4321;
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_HYPERCALL);
	EXPECT_EQ(vcpu->run->hypercall.nr, 0x1235);
	EXPECT_EQ(vcpu->run->hypercall.args[0], 0x98);
	vcpu->run->hypercall.ret = 0x5321;
	ASSERT_RUN_SYNC(vcpu, 2);
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
	GUEST_SYNC(1);
	/* Interrupts stay off: NMIs need no IF. */
	while (nmi_count < 2)
		cpu_relax();
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
	/* Blocked (virtual-NMI blocking) until the handler's IRET. */
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
	for (int i = 0; i < 200000; i++)
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
/* host_msrs                                                               */

#define GUEST_LSTAR	0xffffffff81234560ull
#define GUEST_STAR	0x0023001000000000ull
#define GUEST_SFMASK	0x47700ull
#define GUEST_KGS	0xffff888012345000ull

static void guest_host_msrs(uint64_t has_rdtscp)
{
	uint32_t lo, hi, aux;

	wrmsr(MSR_LSTAR, GUEST_LSTAR);
	wrmsr(MSR_STAR, GUEST_STAR);
	wrmsr(MSR_SYSCALL_MASK, GUEST_SFMASK);
	wrmsr(MSR_KERNEL_GS_BASE, GUEST_KGS);
	__asm__ __volatile__("swapgs; swapgs" ::: "memory");
	GUEST_SYNC(1);
	/* Still the guest's after the VMM ran (reads do not exit). */
	GUEST_ASSERT_EQ(rdmsr(MSR_LSTAR), GUEST_LSTAR);
	GUEST_ASSERT_EQ(rdmsr(MSR_STAR), GUEST_STAR);
	GUEST_ASSERT_EQ(rdmsr(MSR_SYSCALL_MASK), GUEST_SFMASK);
	GUEST_ASSERT_EQ(rdmsr(MSR_KERNEL_GS_BASE), GUEST_KGS);
	if (has_rdtscp) {
		__asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
		GUEST_ASSERT_EQ(aux, 0x1234);
		wrmsr(MSR_TSC_AUX, 0x55);
		__asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
		GUEST_ASSERT_EQ(aux, 0x55);
	}
	GUEST_DONE();
}

static int test_host_msrs(void)
{
	const struct vmem_cpuid_entry *e;
	static uint64_t gs_area[4];
	unsigned long gs = 0;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	bool has_rdtscp;
	uint64_t v;

	e = vt_cpuid_find(vt_supported_cpuid(), 0x80000001, 0);
	has_rdtscp = e && (e->edx & (1u << 27));
	/* A GS base of our own, which lives in KERNEL_GS_BASE in the kernel. */
	ASSERT_OK(syscall(SYS_arch_prctl, ARCH_SET_GS,
			  (unsigned long)gs_area));
	ASSERT_OK(pin_to_cpu(0));

	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_host_msrs));
	ASSERT_OK(vcpu_args_set(vcpu, 1, has_rdtscp));
	ASSERT_OK(vcpu_set_msr(vcpu, MSR_TSC_AUX, 0x1234));
	ASSERT_RUN_SYNC(vcpu, 1);

	/* Back in user space: the host's SYSCALL MSRs carried us here
	 * (getpid would have jumped to the guest's LSTAR otherwise). */
	EXPECT_EQ(syscall(SYS_getpid), getpid());
	ASSERT_OK(syscall(SYS_arch_prctl, ARCH_GET_GS, &gs));
	EXPECT_EQ(gs, (unsigned long)gs_area);
	if (has_rdtscp) {
		uint32_t lo, hi, aux;

		__asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
		/* Linux keeps the CPU number in TSC_AUX[11:0]. */
		EXPECT_EQ(aux & 0xfff, (uint32_t)sched_getcpu());
	}
	ASSERT_OK(vcpu_get_msr(vcpu, MSR_LSTAR, &v));
	EXPECT_EQ(v, GUEST_LSTAR);
	ASSERT_OK(vcpu_get_msr(vcpu, MSR_KERNEL_GS_BASE, &v));
	EXPECT_EQ(v, GUEST_KGS);

	ASSERT_RUN_DONE(vcpu);
	if (has_rdtscp) {
		ASSERT_OK(vcpu_get_msr(vcpu, MSR_TSC_AUX, &v));
		EXPECT_EQ(v, 0x55);
	}
	ASSERT_OK(syscall(SYS_arch_prctl, ARCH_GET_GS, &gs));
	EXPECT_EQ(gs, (unsigned long)gs_area);
	unpin();
	vm_free(vm);
	syscall(SYS_arch_prctl, ARCH_SET_GS, 0ul);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* host_nmi                                                                */

#define NMI_TEST_PATH	"/sys/kernel/debug/vmem/vmx_nmi_test"
#define NMI_ROUNDS	20

static volatile uint64_t spin_stop;

static void guest_spin(void)
{
	/* IF=1: host interrupts exit as usual (no preemption timer). */
	sti();
	GUEST_SYNC(1);
	while (!spin_stop)
		cpu_relax();
	cli();
	GUEST_DONE();
}

struct spinner {
	struct vt_vcpu *vcpu;
	volatile int entered;
	uint64_t cmd1, cmd2;
	struct vt_ucall uc;
};

static void *spin_thread(void *arg)
{
	struct spinner *sp = arg;

	if (pin_to_cpu(1))
		return NULL;
	sp->cmd1 = vcpu_run_ucall(sp->vcpu, &sp->uc);
	sp->entered = 1;
	sp->cmd2 = vcpu_run_ucall(sp->vcpu, &sp->uc);
	return NULL;
}

static int test_host_nmi(void)
{
	unsigned long long exits0, exits1;
	struct spinner sp = { 0 };
	struct vt_vm *vm;
	pthread_t th;
	int fd, i, ok = 0;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP("one CPU online: no CPU to send the NMIs from");
	fd = open(NMI_TEST_PATH, O_WRONLY);
	if (fd < 0)
		SKIP("no %s (debugfs not mounted?)", NMI_TEST_PATH);
	ASSERT_OK(pin_to_cpu(0));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(sp.vcpu = vcpu_add(vm, 0, guest_spin));
	ASSERT_EQ(pthread_create(&th, NULL, spin_thread, &sp), 0);
	while (!sp.entered)
		usleep(1000);
	/* Let it get back into the guest. */
	usleep(100000);
	ASSERT_OK(vt_read_u64(NMI_TEST_PATH, &exits0));
	for (i = 0; i < NMI_ROUNDS; i++) {
		if (write(fd, "1", 1) != 1) {
			vt_diag("NMI %d to CPU 1: %s", i, vt_errno_name(errno));
			break;
		}
		ok++;
		usleep(5000);
	}
	ASSERT_OK(vt_read_u64(NMI_TEST_PATH, &exits1));
	*VM_GUEST_PTR(vm, spin_stop) = 1;
	pthread_join(th, NULL);
	close(fd);
	EXPECT_EQ(ok, NMI_ROUNDS);
	/*
	 * The guest spins on CPU 1 nearly all the time, so most NMIs must
	 * have arrived there and come back through the NMI-exit path; none
	 * would mean the test only exercised NMIs taken in the host.
	 */
	vt_diag("%llu of %d NMIs arrived in the guest", exits1 - exits0, ok);
	EXPECT_GE(exits1 - exits0, 1);
	EXPECT_EQ(sp.cmd1, UCALL_SYNC);
	EXPECT_EQ(sp.cmd2, UCALL_DONE);
	unpin();
	vm_free(vm);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(vmcs_migrate),
	VT_CASE(vmcs_switch),
	VT_CASE(preempt_migrate),
	VT_CASE(entry_failure),
	VT_CASE(invalid_state),
	VT_CASE(cr_shadows),
	VT_CASE(vmx_insns),
	VT_CASE(debugregs),
	VT_CASE(nmi_blocking),
	VT_CASE(irq_window),
	VT_CASE(host_msrs),
	VT_CASE(host_nmi),
};

VT_MAIN(cases, setup, NULL);
