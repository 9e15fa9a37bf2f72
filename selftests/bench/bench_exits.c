// SPDX-License-Identifier: GPL-2.0
/*
 * bench_exits - cost of guest exits and of first-touch memory population,
 * measured the same way on vmem (/dev/vmem) and on KVM (/dev/kvm).
 *
 *   bench_exits --driver vmem|kvm [--repeat R] [--scale S] [--cpu C]
 *               [--only NAME[,NAME...]] [--list]
 *   bench_exits --driver vmem|kvm --hold
 *
 * --hold creates one idle VM and keeps it until the program is killed:
 * scripts/run-bench.sh runs it beside the benchmark programs of each
 * driver, so that no benchmark's VM is the driver's first or last (see
 * main()).
 *
 * Both drivers get byte-identical guest memory: a GDT with a 64-bit code
 * segment and a TSS, 4-level page tables identity-mapping the first GiB
 * with 2 MiB pages, and the guest code below, all written by this program
 * before the vCPU first runs.  The vCPU starts directly in 64-bit mode at
 * the workload's entry point.  Every workload is
 *
 *     warm-up (a few iterations, so code, stack and tables are mapped)
 *     OUT UC_PORT <- UC_START        the VMM reads the clock
 *     N iterations of the operation
 *     OUT UC_PORT <- UC_STOP         the VMM reads the clock again
 *     OUT UC_PORT <- UC_DONE
 *
 * and the figure is (stop - start) / N, in nanoseconds of CLOCK_MONOTONIC
 * of the machine the program runs in.  Each repetition uses a fresh VM;
 * the best (lowest) repetition is reported: in an emulator that shares
 * the host with other work, interference only ever adds time, so the
 * minimum is the most repeatable figure.  The program also counts the
 * exits that reached it (the VMM) during the measured window, so the
 * table shows where each operation was handled.
 *
 * Output: a human-readable table, and one machine-readable line per
 * workload that scripts/bench.sh joins across drivers:
 *
 *     @@BENCH <TAB> driver <TAB> workload <TAB> ops <TAB> ns <TAB>
 *             vmm_exits <TAB> unit <TAB> description
 *
 * Exit status: 0 when every workload ran, 1 on a failure, 4 when the
 * driver's device is absent (nothing was run).
 *
 * Adding a workload: a guest entry in the assembly block (same shape as the
 * others), one line in workloads[], and, if the VMM has to answer a new
 * kind of exit, a case in run_workload().
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/vmem.h>

#include "bench_vm.h"


/* ---------------------------------------------------------------------- */
/* Guest layout (guest-physical = guest-virtual: identity map)            */

#define PAGE_SIZE	4096ul
#define PML4_GPA	0x2000ul
#define PDPT_GPA	0x3000ul
#define PD_GPA		0x4000ul
#define CODE_GPA	0x10000ul
#define STACK_TOP	0x80000ul
/* First-touch region: never written by the VMM. */
#define TOUCH_GPA	0x400000ul
#define MAPPED_BYTES	(1ul << 30)	/* the PD maps 1 GiB */


/* The guest's "ucall" port and values, and the port the OUT bench uses. */
#define UC_PORT		0xe0
#define UC_START	1
#define UC_STOP		2
#define UC_DONE		3
#define BENCH_PORT	0xe1
#define WARMUP		16

/*
 * Guest code: position independent, entered in 64-bit mode with
 * RDI = measured iterations (or pages), RSI = the workload's argument
 * (touch: the first fresh page; vmmcall: the driver's no-op hypercall
 * number, backend.hc_nop).  R8 is the counter: CPUID clobbers RAX, RBX,
 * RCX and RDX.
 */
__asm__(
	"	.pushsection .rodata.bench_guest, \"a\"\n"
	"	.code64\n"
	"	.globl guest_code_start, guest_code_end\n"
	"	.globl guest_cpuid, guest_vmmcall, guest_vmcall, guest_out\n"
	"	.globl guest_touch\n"
	"guest_code_start:\n"

	/* CPUID leaf 0: an exit both drivers handle in the kernel. */
	"guest_cpuid:\n"
	"	mov $" XSTR(WARMUP) ", %r8d\n"
	"1:	xor %eax, %eax\n"
	"	xor %ecx, %ecx\n"
	"	cpuid\n"
	"	dec %r8\n"
	"	jnz 1b\n"
	"	mov $" XSTR(UC_START) ", %al\n"
	"	out %al, $" XSTR(UC_PORT) "\n"
	"	mov %rdi, %r8\n"
	"2:	xor %eax, %eax\n"
	"	xor %ecx, %ecx\n"
	"	cpuid\n"
	"	dec %r8\n"
	"	jnz 2b\n"
	"	jmp guest_stop\n"

	/*
	 * The driver's no-op hypercall, answered in the kernel by both, with
	 * the CPU vendor's instruction as a guest kernel picks it: VMMCALL
	 * (AMD), VMCALL (Intel; VMMCALL would take the #UD path on both
	 * drivers, and KVM rewrites the guest's code to VMCALL at the first
	 * one).  A VMM exit instead (a number the driver does not know)
	 * would show in the exit count and be answered by run_workload().
	 */
	"guest_vmmcall:\n"
	"	mov $" XSTR(WARMUP) ", %r8d\n"
	"1:	mov %rsi, %rax\n"
	"	vmmcall\n"
	"	dec %r8\n"
	"	jnz 1b\n"
	"	mov $" XSTR(UC_START) ", %al\n"
	"	out %al, $" XSTR(UC_PORT) "\n"
	"	mov %rdi, %r8\n"
	"2:	mov %rsi, %rax\n"
	"	vmmcall\n"
	"	dec %r8\n"
	"	jnz 2b\n"
	"	jmp guest_stop\n"

	"guest_vmcall:\n"
	"	mov $" XSTR(WARMUP) ", %r8d\n"
	"1:	mov %rsi, %rax\n"
	"	vmcall\n"
	"	dec %r8\n"
	"	jnz 1b\n"
	"	mov $" XSTR(UC_START) ", %al\n"
	"	out %al, $" XSTR(UC_PORT) "\n"
	"	mov %rdi, %r8\n"
	"2:	mov %rsi, %rax\n"
	"	vmcall\n"
	"	dec %r8\n"
	"	jnz 2b\n"
	"	jmp guest_stop\n"

	/* OUT to a port: an exit to the VMM and back on both drivers. */
	"guest_out:\n"
	"	mov $" XSTR(WARMUP) ", %r8d\n"
	"1:	out %al, $" XSTR(BENCH_PORT) "\n"
	"	dec %r8\n"
	"	jnz 1b\n"
	"	mov $" XSTR(UC_START) ", %al\n"
	"	out %al, $" XSTR(UC_PORT) "\n"
	"	mov %rdi, %r8\n"
	"	xor %eax, %eax\n"
	"2:	out %al, $" XSTR(BENCH_PORT) "\n"
	"	dec %r8\n"
	"	jnz 2b\n"
	"	jmp guest_stop\n"

	/* One byte written to each of RDI fresh pages from RSI on. */
	"guest_touch:\n"
	"	mov $" XSTR(UC_START) ", %al\n"
	"	out %al, $" XSTR(UC_PORT) "\n"
	"	mov %rsi, %rax\n"
	"	mov %rdi, %r8\n"
	"1:	movb $1, (%rax)\n"
	"	add $" XSTR(PAGE_SIZE) ", %rax\n"
	"	dec %r8\n"
	"	jnz 1b\n"
	"	jmp guest_stop\n"

	"guest_stop:\n"
	"	mov $" XSTR(UC_STOP) ", %al\n"
	"	out %al, $" XSTR(UC_PORT) "\n"
	"	mov $" XSTR(UC_DONE) ", %al\n"
	"	out %al, $" XSTR(UC_PORT) "\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	"guest_code_end:\n"
	"	.popsection\n");

extern const unsigned char guest_code_start[], guest_code_end[];
extern const unsigned char guest_cpuid[], guest_vmmcall[], guest_vmcall[],
	guest_out[], guest_touch[];

/* ---------------------------------------------------------------------- */
/* Workloads                                                              */

struct workload {
	const char *name;
	const char *what;		/* one line for the table */
	const char *unit;		/* what one "op" is: "op", "page" */
	const unsigned char *entry;
	unsigned long n;		/* default iterations */
	bool touch;			/* needs a fresh region of n pages */
	bool thp;			/* KVM: let THP back guest memory */
};

static const struct workload workloads[] = {
	{ "cpuid",   "CPUID leaf 0 (in-kernel on both)",             "op",
	  guest_cpuid,   10000, false, false },
	{ "vmmcall", "VMMCALL/Intel VMCALL no-op: vmem PING, KVM VAPIC_POLL_IRQ",
	  "op",          guest_vmmcall, 10000, false, false },
	{ "out",     "OUT to a port, VMM exit and back",             "op",
	  guest_out,     10000, false, false },
	{ "touch",   "first touch of a fresh 4 KiB page",            "page",
	  guest_touch,   8192,  true,  false },
	/*
	 * Each driver's large first touch: KVM with transparent huge pages
	 * (Debian's default, "always") and vmem's large_pages both map
	 * 2 MiB at the first touch of a fresh range.  "touch" above keeps
	 * both to 4 KiB pages.
	 */
	{ "touch-thp", "first touch, 2 MiB (KVM: THP; vmem: large_pages)", "page",
	  guest_touch,   8192,  true,  true  },
};


/* ---------------------------------------------------------------------- */
/* Guest memory image                                                     */

/* The hypercall instruction of this CPU's vendor (see guest_vmmcall). */
static bool cpu_is_intel(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx))
		return false;
	return ebx == 0x756e6547 && edx == 0x49656e69 && ecx == 0x6c65746e;
}

static const unsigned char *workload_entry(const struct workload *w)
{
	if (w->entry == guest_vmmcall && cpu_is_intel())
		return guest_vmcall;
	return w->entry;
}

/* Write the image into guest RAM and describe the vCPU state for it. */
static void build_image(void *mem, const struct backend *be,
			const struct workload *w, unsigned long n,
			struct boot_state *st)
{
	uint8_t *m = mem;
	uint64_t *pml4 = (uint64_t *)(m + PML4_GPA);
	uint64_t *pdpt = (uint64_t *)(m + PDPT_GPA);
	uint64_t *pd = (uint64_t *)(m + PD_GPA);
	size_t i;

	bench_image_base(mem, st);
	/* Identity map of the first GiB with 2 MiB pages: P, RW, PS. */
	pml4[0] = PDPT_GPA | 0x3;
	pdpt[0] = PD_GPA | 0x3;
	for (i = 0; i < 512; i++)
		pd[i] = (i << 21) | 0x83;

	memcpy(m + CODE_GPA, guest_code_start, guest_code_end - guest_code_start);

	st->cr3 = PML4_GPA;
	st->rip = CODE_GPA + (workload_entry(w) - guest_code_start);
	st->rsp = STACK_TOP;
	st->rdi = n;
	st->rsi = w->entry == guest_vmmcall ? be->hc_nop : TOUCH_GPA;
}

/* ---------------------------------------------------------------------- */
/* Running one workload                                                   */

struct result {
	uint64_t ns;		/* measured window */
	uint64_t vmm_exits;	/* exits that reached the VMM in it */
};

static int run_workload(const struct backend *be, const struct workload *w,
			unsigned long n, struct result *res)
{
	struct boot_state st;
	struct exit_info ex;
	uint64_t t0 = 0, exits = 0, limit;
	bool started = false;
	size_t mem_size;
	struct vm vm;
	int r;

	memset(&vm, 0, sizeof(vm));
	vm.sys_fd = vm.vm_fd = vm.vcpu_fd = -1;
	mem_size = TOUCH_GPA + (w->touch ? n * PAGE_SIZE : 0);
	mem_size = (mem_size + (2ul << 20) - 1) & ~((2ul << 20) - 1);
	if (mem_size > MAPPED_BYTES) {
		fail("%s: %lu pages do not fit the guest's 1 GiB map", w->name, n);
		return -EINVAL;
	}

	r = be->create(&vm, mem_size,
		       &(struct vm_opts){ .thp = w->thp,
					  .vmem_mmu = VMEM_VM_MMU_AUTO });
	if (r) {
		fail("%s: creating the VM: %s", be->name, strerror(-r));
		goto out;
	}
	build_image(vm.mem, be, w, n, &st);
	r = be->setup(&vm, &st);
	if (r) {
		fail("%s: setting up the vCPU: %s", be->name, strerror(-r));
		goto out;
	}

	/* Enough for warm-up and one exit per op, with margin. */
	limit = 4 * (n + WARMUP) + 64;
	for (;;) {
		r = be->run(&vm, &ex);
		if (r == -EINTR || r == -EAGAIN)
			continue;
		if (r) {
			fail("%s/%s: RUN: %s", be->name, w->name, strerror(-r));
			goto out;
		}
		if (started)
			exits++;
		if (ex.kind == EX_OUT && ex.port == UC_PORT) {
			if (ex.value == UC_START) {
				started = true;
				exits = 0;
				t0 = now_ns();
			} else if (ex.value == UC_STOP) {
				res->ns = now_ns() - t0;
				/* The stop exit is not one of the N. */
				res->vmm_exits = exits - 1;
			} else if (ex.value == UC_DONE) {
				break;
			}
		} else if (ex.kind == EX_OUT && ex.port == BENCH_PORT) {
			/* nothing to do */
		} else if (ex.kind == EX_HYPERCALL) {
			be->complete_hypercall(&vm, (uint64_t)-1000);
		} else {
			fail("%s/%s: unexpected exit reason %u", be->name,
			     w->name, ex.raw);
			r = -EIO;
			goto out;
		}
		if (exits > limit) {
			fail("%s/%s: runaway guest (%llu exits)", be->name,
			     w->name, (unsigned long long)exits);
			r = -EIO;
			goto out;
		}
	}
	if (!started) {
		fail("%s/%s: the guest never started", be->name, w->name);
		r = -EIO;
	}
out:
	be->destroy(&vm);
	return r;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool selected(const char *only, const char *name)
{
	size_t len = strlen(name);
	const char *p = only;

	if (!only)
		return true;
	while ((p = strstr(p, name))) {
		if ((p == only || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return true;
		p += len;
	}
	return false;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_exits --driver vmem|kvm [--repeat R] [--scale S] [--cpu C]\n"
		"                   [--only NAME[,NAME...]] [--list]\n"
		"  --repeat R  fresh VMs per workload; the best is reported (5)\n"
		"  --scale S   multiply every workload's iteration count (1.0)\n"
		"  --cpu C     pin the VMM thread to host CPU C (default: the last)\n"
		"  --hold      only create an idle VM and keep it until killed\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "driver", required_argument, NULL, 'd' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "scale",  required_argument, NULL, 's' },
		{ "cpu",    required_argument, NULL, 'c' },
		{ "only",   required_argument, NULL, 'o' },
		{ "list",   no_argument,       NULL, 'l' },
		{ "hold",   no_argument,       NULL, 'H' },
		{ "help",   no_argument,       NULL, 'h' },
		{ 0 }
	};
	const struct backend *be = NULL;
	const char *only = NULL;
	double scale = 1.0;
	int repeat = 5, cpu = -1, o, failed = 0, keeper;
	bool hold = false;
	size_t i;

	while ((o = getopt_long(argc, argv, "d:r:s:c:o:lHh", opts, NULL)) != -1) {
		switch (o) {
		case 'd':
			for (i = 0; i < ARRAY_SIZE(backends); i++)
				if (!strcmp(optarg, backends[i].name))
					be = &backends[i];
			if (!be) {
				usage(stderr);
				return 2;
			}
			break;
		case 'r':
			repeat = atoi(optarg);
			break;
		case 's':
			scale = atof(optarg);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'o':
			only = optarg;
			break;
		case 'l':
			for (i = 0; i < ARRAY_SIZE(workloads); i++)
				printf("%-10s %s\n", workloads[i].name, workloads[i].what);
			return 0;
		case 'H':
			hold = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!be || repeat < 1 || repeat > 100 || !(scale > 0)) {
		usage(stderr);
		return 2;
	}
	if (access(be->dev, F_OK)) {
		printf("# %s: %s absent, nothing to measure\n", be->name, be->dev);
		return 4;
	}

	/*
	 * One idle VM for the whole run, so that no workload's VM is the
	 * driver's first or last.  KVM turns virtualization on and off on
	 * every CPU (IPIs) and flips a static key (preempt notifiers: live
	 * code patching with int3 and IPIs) whenever its VM count goes
	 * between 0 and 1.  That is not what we measure, and under QEMU's
	 * multi-threaded TCG the patching was seen to hang both CPUs in the
	 * int3 handler (finish_task_switch) now and then.
	 */
	keeper = be->keeper();
	if (keeper < 0)
		fail("%s: cannot create the idle VM: %s (going on)", be->name,
		     strerror(-keeper));
	if (hold) {
		if (keeper < 0)
			return 1;
		for (;;)
			pause();	/* until killed */
	}

	/* One host CPU, so the figures do not include migrations. */
	if (cpu < 0)
		cpu = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	{
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			fail("cannot pin to CPU %d: %s (going on)", cpu,
			     strerror(errno));
	}

	printf("# bench_exits: driver %s, best of %d repetition(s), CPU %d\n",
	       be->name, repeat, cpu);
	printf("# %-10s %10s %14s %12s %10s  %s\n", "workload", "ops",
	       "ns/op", "ops/s", "VMM exits", "what");
	for (i = 0; i < ARRAY_SIZE(workloads); i++) {
		const struct workload *w = &workloads[i];
		unsigned long n = (unsigned long)(w->n * scale);
		uint64_t ns[100], exits = 0;
		struct result res;
		double per;
		int k, r = 0;

		if (!selected(only, w->name))
			continue;
		if (n < 1)
			n = 1;
		for (k = 0; k < repeat; k++) {
			memset(&res, 0, sizeof(res));
			r = run_workload(be, w, n, &res);
			if (r)
				break;
			ns[k] = res.ns;
			exits = res.vmm_exits;
		}
		if (r) {
			printf("# %-10s FAILED (%s)\n", w->name, strerror(-r));
			failed = 1;
			continue;
		}
		qsort(ns, repeat, sizeof(ns[0]), cmp_u64);
		per = (double)ns[0] / n;	/* the best repetition */
		printf("# %-10s %10lu %14.1f %12.0f %10llu  %s\n", w->name, n,
		       per, 1e9 / per, (unsigned long long)exits, w->what);
		printf("@@BENCH\t%s\t%s\t%lu\t%llu\t%llu\t%s\t%s\n", be->name,
		       w->name, n, (unsigned long long)ns[0],
		       (unsigned long long)exits, w->unit, w->what);
		fflush(stdout);
	}
	if (keeper >= 0)
		close(keeper);
	return failed;
}
