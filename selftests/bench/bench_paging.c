// SPDX-License-Identifier: GPL-2.0
/*
 * bench_paging - shadow paging against hardware-assisted paging (NPT/EPT),
 * for the seed document's claim: shadow page tables win when the guest
 * changes its page tables rarely (a TLB miss walks one set of tables, not
 * two), nested paging wins when it changes them often (no exit to keep a
 * shadow in sync).  Issue #8's table in `make bench`.
 *
 *   bench_paging --driver vmem|kvm [--repeat R] [--scale S] [--cpu C]
 *                [--only NAME[,NAME...]] [--list]
 *
 * Two guest workloads, both with 4 KiB guest pages over 4 KiB-backed
 * guest memory (no THP, no vmem large_pages: the comparison is of the
 * paging modes, not of page sizes):
 *
 *   pt_low   compute over a warm working set: 16 loads in each of 2048
 *            pages (8 MiB), one "pass" per unit; after warm-up the guest
 *            never touches its page tables.
 *   pt_high  map/unmap churn across address spaces, like a process switch
 *            followed by fork-style mapping work: per unit one CR3 switch
 *            (4 address spaces in turn), 16 PTE writes each followed by
 *            INVLPG and a write through the new mapping, then 16 PTE
 *            clears each followed by INVLPG.
 *
 * vmem runs both workloads on a VMEM_VM_MMU_SHADOW VM and on a
 * VMEM_VM_MMU_HW VM (whichever the module offers).  KVM's paging mode is
 * a module parameter (kvm_amd npt, kvm_intel ept), so scripts/run-bench.sh
 * runs this program once per setting; each run reports the mode it found
 * loaded.  Figures are @@BENCH lines (format in bench_exits.c) whose
 * workload is "<name>@shadow" or "<name>@tdp"; scripts/bench.sh turns
 * them into the paging table (Documentation/testing.rst, "make bench").
 *
 * Exit status: 0 when every workload ran, 1 on a failure, 4 when the
 * driver's device is absent.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <unistd.h>

#include <linux/vmem.h>

#include "bench_vm.h"

/* ---------------------------------------------------------------------- */
/* Guest layout (identity map below 16 MiB with 2 MiB pages)              */

#define PAGE_SIZE	4096ul
#define PML4_GPA	0x2000ul	/* the base address space */
#define PDPT_GPA	0x3000ul
#define PD_GPA		0x4000ul
#define CODE_GPA	0x10000ul
#define STACK_TOP	0x80000ul
/* Tables mapping the working set 4 KiB at a time. */
#define WS_PT_GPA	0x100000ul
#define WS_GVA		0x1000000ul	/* = its GPA: 16 MiB .. 24 MiB */
#define WS_PAGES	2048
/* pt_high: NR_AS address spaces of 4 tables each (PML4, PDPT, PD, PT). */
#define AS_GPA		0x200000ul
#define NR_AS		4
#define WIN_GVA		0x40000000ul	/* the window each space maps */
#define WIN_PAGES	16
#define FRAMES_GPA	0x1800000ul	/* 8 x WIN_PAGES frames it maps in turn */
#define MEM_SIZE	(32ul << 20)

#define UC_PORT		0xe0
#define UC_START	1
#define UC_STOP		2
#define UC_DONE		3
#define WARMUP_OPS	8

/*
 * Guest code, entered in 64-bit mode with RDI = measured units.
 * R8 counts units, R9 numbers pt_high's operations.
 */
__asm__(
	"	.pushsection .rodata.bench_paging_guest, \"a\"\n"
	"	.code64\n"
	"	.globl paging_code_start, paging_code_end\n"
	"	.globl guest_pt_low, guest_pt_high\n"
	"paging_code_start:\n"

	"guest_pt_low:\n"
	"	call ws_pass\n"		/* maps the working set everywhere */
	"	call ws_pass\n"
	"	mov $" XSTR(UC_START) ", %al\n"
	"	out %al, $" XSTR(UC_PORT) "\n"
	"	mov %rdi, %r8\n"
	"1:	call ws_pass\n"
	"	dec %r8\n"
	"	jnz 1b\n"
	"	jmp paging_stop\n"

	/* 16 loads, 256 bytes apart, in each page of the working set. */
	"ws_pass:\n"
	"	mov $" XSTR(WS_GVA) ", %rax\n"
	"	mov $" XSTR(WS_PAGES) ", %ecx\n"
	"1:	add (%rax), %r10\n"
	"	add 0x100(%rax), %r10\n"
	"	add 0x200(%rax), %r10\n"
	"	add 0x300(%rax), %r10\n"
	"	add 0x400(%rax), %r10\n"
	"	add 0x500(%rax), %r10\n"
	"	add 0x600(%rax), %r10\n"
	"	add 0x700(%rax), %r10\n"
	"	add 0x800(%rax), %r10\n"
	"	add 0x900(%rax), %r10\n"
	"	add 0xa00(%rax), %r10\n"
	"	add 0xb00(%rax), %r10\n"
	"	add 0xc00(%rax), %r10\n"
	"	add 0xd00(%rax), %r10\n"
	"	add 0xe00(%rax), %r10\n"
	"	add 0xf00(%rax), %r10\n"
	"	add $" XSTR(PAGE_SIZE) ", %rax\n"
	"	dec %ecx\n"
	"	jnz 1b\n"
	"	ret\n"

	"guest_pt_high:\n"
	"	xor %r9d, %r9d\n"
	"	mov $" XSTR(WARMUP_OPS) ", %r8d\n"
	"1:	call churn_op\n"
	"	dec %r8\n"
	"	jnz 1b\n"
	"	mov $" XSTR(UC_START) ", %al\n"
	"	out %al, $" XSTR(UC_PORT) "\n"
	"	mov %rdi, %r8\n"
	"2:	call churn_op\n"
	"	dec %r8\n"
	"	jnz 2b\n"
	"	mov $" XSTR(PML4_GPA) ", %rax\n"
	"	mov %rax, %cr3\n"
	"	jmp paging_stop\n"

	/*
	 * One unit: switch to space R9 % NR_AS, map WIN_PAGES frames (the
	 * (R9 % 8)th group) into its window with INVLPG and a write each,
	 * then unmap them with INVLPG each.
	 */
	"churn_op:\n"
	"	mov %r9, %rax\n"
	"	and $" XSTR(NR_AS - 1) ", %rax\n"
	"	shl $14, %rax\n"	/* 4 tables of 4 KiB per space */
	"	add $" XSTR(AS_GPA) ", %rax\n"
	"	mov %rax, %cr3\n"
	"	lea 0x3000(%rax), %rbx\n"	/* the space's PT */
	"	mov %r9, %rsi\n"
	"	and $7, %rsi\n"
	"	shl $16, %rsi\n"	/* WIN_PAGES * 4 KiB per group */
	"	add $" XSTR(FRAMES_GPA) ", %rsi\n"
	"	or $3, %rsi\n"		/* P, RW */
	"	xor %ecx, %ecx\n"
	"1:	mov %rcx, %rdx\n"
	"	shl $12, %rdx\n"
	"	lea (%rsi, %rdx), %rax\n"
	"	mov %rax, (%rbx, %rcx, 8)\n"
	"	add $" XSTR(WIN_GVA) ", %rdx\n"
	"	invlpg (%rdx)\n"
	"	incq (%rdx)\n"
	"	inc %ecx\n"
	"	cmp $" XSTR(WIN_PAGES) ", %ecx\n"
	"	jb 1b\n"
	"	xor %ecx, %ecx\n"
	"2:	movq $0, (%rbx, %rcx, 8)\n"
	"	mov %rcx, %rdx\n"
	"	shl $12, %rdx\n"
	"	add $" XSTR(WIN_GVA) ", %rdx\n"
	"	invlpg (%rdx)\n"
	"	inc %ecx\n"
	"	cmp $" XSTR(WIN_PAGES) ", %ecx\n"
	"	jb 2b\n"
	"	inc %r9\n"
	"	ret\n"

	"paging_stop:\n"
	"	mov $" XSTR(UC_STOP) ", %al\n"
	"	out %al, $" XSTR(UC_PORT) "\n"
	"	mov $" XSTR(UC_DONE) ", %al\n"
	"	out %al, $" XSTR(UC_PORT) "\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	"paging_code_end:\n"
	"	.popsection\n");

extern const unsigned char paging_code_start[], paging_code_end[];
extern const unsigned char guest_pt_low[], guest_pt_high[];

struct workload {
	const char *name;
	const char *what;
	const char *unit;
	const unsigned char *entry;
	unsigned long n;
};

static const struct workload workloads[] = {
	{ "pt_low", "little PT activity: 16 loads x 2048 warm 4 KiB pages",
	  "pass", guest_pt_low, 40 },
	{ "pt_high", "much PT activity: CR3 switch + 16 x (PTE, INVLPG, write) + 16 x (clear, INVLPG)",
	  "op", guest_pt_high, 200 },
};

/* The paging modes, as the figures name them. */
enum mode { MODE_SHADOW, MODE_TDP, NR_MODES };
static const char *const mode_name[NR_MODES] = { "shadow", "tdp" };

/* ---------------------------------------------------------------------- */
/* Image                                                                   */

static void build_image(void *mem, const struct workload *w, unsigned long n,
			struct boot_state *st)
{
	uint8_t *m = mem;
	uint64_t *pml4 = (uint64_t *)(m + PML4_GPA);
	uint64_t *pdpt = (uint64_t *)(m + PDPT_GPA);
	uint64_t *pd = (uint64_t *)(m + PD_GPA);
	uint64_t *pt = (uint64_t *)(m + WS_PT_GPA);
	unsigned int i;

	bench_image_base(mem, st);

	/* 0-16 MiB: 2 MiB pages; 16-24 MiB (working set): 4 KiB pages. */
	pml4[0] = PDPT_GPA | 0x3;
	pdpt[0] = PD_GPA | 0x3;
	for (i = 0; i < 8; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;
	for (i = 0; i < WS_PAGES / 512; i++)
		pd[8 + i] = (WS_PT_GPA + i * PAGE_SIZE) | 0x3;
	for (i = 0; i < WS_PAGES; i++)
		pt[i] = (WS_GVA + i * PAGE_SIZE) | 0x3;
	/* Something other than zero pages to read. */
	for (i = 0; i < WS_PAGES; i++)
		*(uint64_t *)(m + WS_GVA + i * PAGE_SIZE) = i;

	/* pt_high's spaces: the base mappings, plus a private window. */
	for (i = 0; i < NR_AS; i++) {
		uint64_t base = AS_GPA + i * 4 * PAGE_SIZE;
		uint64_t *as_pml4 = (uint64_t *)(m + base);
		uint64_t *as_pdpt = (uint64_t *)(m + base + PAGE_SIZE);
		uint64_t *as_pd = (uint64_t *)(m + base + 2 * PAGE_SIZE);

		as_pml4[0] = (base + PAGE_SIZE) | 0x3;
		as_pdpt[0] = PD_GPA | 0x3;
		as_pdpt[WIN_GVA >> 30] = (base + 2 * PAGE_SIZE) | 0x3;
		as_pd[0] = (base + 3 * PAGE_SIZE) | 0x3;
	}

	memcpy(m + CODE_GPA, paging_code_start,
	       paging_code_end - paging_code_start);
	st->cr3 = PML4_GPA;
	st->rip = CODE_GPA + (w->entry - paging_code_start);
	st->rsp = STACK_TOP;
	st->rdi = n;
}

/* ---------------------------------------------------------------------- */
/* Running                                                                 */

struct result {
	uint64_t ns;
	uint64_t vmm_exits;
};

static int run_workload(const struct backend *be, const struct workload *w,
			enum mode mode, unsigned long n, struct result *res)
{
	struct vm_opts opts = {
		.thp = false,
		.vmem_mmu = mode == MODE_SHADOW ? VMEM_VM_MMU_SHADOW :
						  VMEM_VM_MMU_HW,
	};
	uint64_t t0 = 0, exits = 0, limit = 64;
	struct boot_state st;
	struct exit_info ex;
	bool started = false;
	struct vm vm;
	int r;

	memset(&vm, 0, sizeof(vm));
	vm.sys_fd = vm.vm_fd = vm.vcpu_fd = -1;
	r = be->create(&vm, MEM_SIZE, &opts);
	if (r) {
		fail("%s: creating the VM: %s", be->name, strerror(-r));
		goto out;
	}
	build_image(vm.mem, w, n, &st);
	r = be->setup(&vm, &st);
	if (r) {
		fail("%s: setting up the vCPU: %s", be->name, strerror(-r));
		goto out;
	}
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
		if (ex.kind != EX_OUT || ex.port != UC_PORT) {
			fail("%s/%s: unexpected exit reason %u", be->name,
			     w->name, ex.raw);
			r = -EIO;
			goto out;
		}
		if (ex.value == UC_START) {
			started = true;
			exits = 0;
			t0 = now_ns();
		} else if (ex.value == UC_STOP) {
			res->ns = now_ns() - t0;
			res->vmm_exits = exits - 1;
		} else if (ex.value == UC_DONE) {
			break;
		}
		if (exits > limit) {
			fail("%s/%s: runaway guest", be->name, w->name);
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

/* ---------------------------------------------------------------------- */
/* Which modes this driver offers now                                      */

/* A module parameter read as a bool ("Y"/"1"): 1, 0, or -1 if absent. */
static int param_bool(const char *path)
{
	char buf[8] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return buf[0] == 'Y' || buf[0] == 'y' || buf[0] == '1';
}

static bool vmem_cap(unsigned int cap)
{
	int fd = open("/dev/vmem", O_RDWR | O_CLOEXEC), r;

	if (fd < 0)
		return false;
	r = ioctl(fd, VMEM_CHECK_EXTENSION, cap);
	close(fd);
	return r == 1;
}

/*
 * vmem: both modes where the module offers them.  KVM: the one its vendor
 * module was loaded with (run-bench.sh loads it once per setting).
 */
static void modes_of(const struct backend *be, bool *on)
{
	int tdp;

	if (!strcmp(be->name, "vmem")) {
		on[MODE_SHADOW] = vmem_cap(VMEM_CAP_SHADOW_MMU);
		on[MODE_TDP] = vmem_cap(VMEM_CAP_HW_MMU);
		return;
	}
	tdp = param_bool("/sys/module/kvm_amd/parameters/npt");
	if (tdp < 0)
		tdp = param_bool("/sys/module/kvm_intel/parameters/ept");
	on[MODE_TDP] = tdp == 1;
	on[MODE_SHADOW] = tdp == 0;
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
		"usage: bench_paging --driver vmem|kvm [--repeat R] [--scale S] [--cpu C]\n"
		"                    [--only NAME[,NAME...]] [--list]\n"
		"  --repeat R  fresh VMs per workload and mode; the best is reported (3)\n"
		"  --scale S   multiply every workload's unit count (1.0)\n"
		"  --cpu C     pin the VMM thread to host CPU C (default: the last)\n");
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
		{ "help",   no_argument,       NULL, 'h' },
		{ 0 }
	};
	const struct backend *be = NULL;
	const char *only = NULL;
	bool on[NR_MODES] = { false, false };
	double scale = 1.0;
	int repeat = 3, cpu = -1, o, failed = 0;
	size_t i;

	while ((o = getopt_long(argc, argv, "d:r:s:c:o:lh", opts, NULL)) != -1) {
		switch (o) {
		case 'd':
			for (i = 0; i < NR_BACKENDS; i++)
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
	modes_of(be, on);

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

	printf("# bench_paging: driver %s, modes:%s%s, best of %d repetition(s), CPU %d\n",
	       be->name, on[MODE_SHADOW] ? " shadow" : "",
	       on[MODE_TDP] ? " tdp" : "", repeat, cpu);
	for (i = 0; i < ARRAY_SIZE(workloads); i++) {
		const struct workload *w = &workloads[i];
		unsigned long n = (unsigned long)(w->n * scale);
		enum mode m;

		if (!selected(only, w->name))
			continue;
		if (n < 1)
			n = 1;
		for (m = 0; m < NR_MODES; m++) {
			uint64_t ns[100], exits = 0;
			struct result res;
			int k, r = 0;

			if (!on[m])
				continue;
			for (k = 0; k < repeat; k++) {
				memset(&res, 0, sizeof(res));
				r = run_workload(be, w, m, n, &res);
				if (r)
					break;
				ns[k] = res.ns;
				exits = res.vmm_exits;
			}
			if (r) {
				printf("# %s@%s FAILED (%s)\n", w->name,
				       mode_name[m], strerror(-r));
				failed = 1;
				continue;
			}
			qsort(ns, repeat, sizeof(ns[0]), cmp_u64);
			printf("# %s@%s: %lu %s(s), %.1f us per %s\n", w->name,
			       mode_name[m], n, w->unit, ns[0] / 1e3 / n, w->unit);
			printf("@@BENCH\t%s\t%s@%s\t%lu\t%llu\t%llu\t%s\t%s\n",
			       be->name, w->name, mode_name[m], n,
			       (unsigned long long)ns[0],
			       (unsigned long long)exits, w->unit, w->what);
			fflush(stdout);
		}
	}
	return failed;
}
