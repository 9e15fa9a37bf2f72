// SPDX-License-Identifier: GPL-2.0
/*
 * core_run - the core's run loop and exit handling, with tiny real-mode
 * guests written as bytes (no guest library): port I/O (plain and string,
 * batched), the MMIO decoder's MOV forms and its internal-error exit,
 * VMMCALL and CPUID, HLT, the run area's register sync (dirty registers
 * load before the IN completes), the stop flag, VMEM_KICK and signals,
 * interrupt windows and injection, triple fault, state ioctls' checks,
 * and a VMM killed mid-run leaving no leak.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/vmem.h>

#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

#define PG		4096UL
#define MEM_SIZE	0x10000UL	/* RAM 0..64 KiB; 0xf0000 is MMIO */
#define CODE		0x1000

static int dev_fd = -1;

struct guest {
	int vm, vcpu;
	uint8_t *mem;
	struct vmem_run *run;
};

static int setup(void)
{
	int ret = vt_require_dev();

	if (ret != VT_PASS)
		return ret;
	ASSERT_OK(dev_fd = vt_open_dev(O_RDWR));
	return VT_PASS;
}

static void teardown(void)
{
	if (dev_fd >= 0)
		close(dev_fd);
}

static long long counter(const char *path)
{
	unsigned long long v;

	return vt_read_u64(path, &v) ? -1 : (long long)v;
}

/* A real-mode vCPU at 0000:1000 running @code; SKIP without a backend. */
static int guest_create(struct guest *g, const void *code, size_t len)
{
	struct vmem_memslot ms = { .slot = 0, .gpa = 0, .size = MEM_SIZE };
	struct vmem_sregs sregs;
	struct vmem_regs regs;

	memset(g, 0, sizeof(*g));
	if (vt_require_real_mode(VMEM_VM_MMU_AUTO) != VT_PASS)
		return VT_SKIP;
	g->vm = ioctl(dev_fd, VMEM_CREATE_VM, VMEM_VM_MMU_AUTO);
	if (g->vm < 0 && errno == EOPNOTSUPP)
		SKIP("no backend that runs VMs");
	ASSERT_OK(g->vm);
	ASSERT_EQ(ioctl(g->vm, VMEM_SET_MEMSLOT, &ms), 0);
	g->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->vm, 0);
	ASSERT_TRUE(g->mem != MAP_FAILED);
	memcpy(g->mem + CODE, code, len);

	ASSERT_OK(g->vcpu = ioctl(g->vm, VMEM_CREATE_VCPU, 0));
	g->run = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, g->vcpu, 0);
	ASSERT_TRUE(g->run != MAP_FAILED);

	ASSERT_EQ(ioctl(g->vcpu, VMEM_GET_SREGS, &sregs), 0);
	sregs.cs.selector = 0;
	sregs.cs.base = 0;
	ASSERT_EQ(ioctl(g->vcpu, VMEM_SET_SREGS, &sregs), 0);
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE;
	regs.rflags = 2;
	regs.rsp = 0x8000;
	ASSERT_EQ(ioctl(g->vcpu, VMEM_SET_REGS, &regs), 0);
	return VT_PASS;
}

static void guest_destroy(struct guest *g)
{
	if (g->run && g->run != MAP_FAILED)
		munmap(g->run, PG);
	if (g->mem && g->mem != MAP_FAILED)
		munmap(g->mem, MEM_SIZE);
	if (g->vcpu > 0)
		close(g->vcpu);
	if (g->vm > 0)
		close(g->vm);
}

#define GUEST(g, ...) do {						\
	static const uint8_t code_[] = { __VA_ARGS__ };		\
	int r_ = guest_create(g, code_, sizeof(code_));			\
	if (r_ != VT_PASS) {						\
		guest_destroy(g);					\
		return r_;						\
	}								\
} while (0)

static const char *exit_name(uint32_t r)
{
	static const char *const names[] = {
		"NONE", "IO", "MMIO", "HLT", "HYPERCALL", "SHUTDOWN",
		"IRQ_WINDOW", "FAIL_ENTRY", "INTERNAL", "STOPPED", "MSR",
	};

	return r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

/* RUN once and check the exit reason. */
static int run_expect(struct guest *g, uint32_t reason)
{
	ASSERT_EQ(ioctl(g->vcpu, VMEM_RUN, 0), 0);
	if (g->run->exit_reason != reason) {
		if (g->run->exit_reason == VMEM_EXIT_INTERNAL)
			vt_diag("internal: suberror %u hw %#llx insn len %u",
				g->run->internal.suberror,
				(unsigned long long)g->run->internal.hardware_exit,
				g->run->internal.insn_len);
		FAIL("exit %s (%u), wanted %s", exit_name(g->run->exit_reason),
		     g->run->exit_reason, exit_name(reason));
	}
	return VT_PASS;
}

#define RUN_EXPECT(g, reason) do {					\
	if (run_expect(g, reason) != VT_PASS) {				\
		guest_destroy(g);					\
		return VT_FAIL;						\
	}								\
} while (0)

static uint8_t *io_data(struct guest *g)
{
	return (uint8_t *)g->run + g->run->io.data_offset;
}

static int check_io(struct guest *g, int dir, int size, int port, int count)
{
	EXPECT_EQ(g->run->io.direction, dir);
	EXPECT_EQ(g->run->io.size, size);
	EXPECT_EQ(g->run->io.port, port);
	EXPECT_EQ(g->run->io.count, count);
	EXPECT_EQ(g->run->io.data_offset, VMEM_RUN_IO_DATA_OFFSET);
	return vt_case_failed() ? VT_FAIL : VT_PASS;
}

/* ---------------------------------------------------------------------- */

static int test_pio(void)
{
	struct vmem_regs regs;
	struct guest g;
	uint32_t v;

	GUEST(&g,
	      0xb0, 0x42,			/* mov al, 0x42 */
	      0xe6, 0x10,			/* out 0x10, al */
	      0xba, 0xf8, 0x03,			/* mov dx, 0x3f8 */
	      0xec,				/* in al, dx */
	      0xe6, 0x11,			/* out 0x11, al */
	      0x66, 0xb8, 0x78, 0x56, 0x34, 0x12, /* mov eax, 0x12345678 */
	      0x66, 0xef,			/* out dx, eax */
	      0x66, 0xed,			/* in eax, dx */
	      0x66, 0x89, 0xc3,			/* mov ebx, eax */
	      0xf4);				/* hlt */

	RUN_EXPECT(&g, VMEM_EXIT_IO);
	check_io(&g, VMEM_IO_OUT, 1, 0x10, 1);
	EXPECT_EQ(io_data(&g)[0], 0x42);
	/* During the exit RIP is still at the OUT. */
	ASSERT_EQ(ioctl(g.vcpu, VMEM_GET_REGS, &regs), 0);
	EXPECT_EQ(regs.rip, CODE + 2);

	RUN_EXPECT(&g, VMEM_EXIT_IO);
	check_io(&g, VMEM_IO_IN, 1, 0x3f8, 1);
	io_data(&g)[0] = 0x99;
	RUN_EXPECT(&g, VMEM_EXIT_IO);
	check_io(&g, VMEM_IO_OUT, 1, 0x11, 1);
	EXPECT_EQ(io_data(&g)[0], 0x99);

	RUN_EXPECT(&g, VMEM_EXIT_IO);
	check_io(&g, VMEM_IO_OUT, 4, 0x3f8, 1);
	memcpy(&v, io_data(&g), 4);
	EXPECT_EQ(v, 0x12345678);
	RUN_EXPECT(&g, VMEM_EXIT_IO);
	check_io(&g, VMEM_IO_IN, 4, 0x3f8, 1);
	v = 0xdeadbeef;
	memcpy(io_data(&g), &v, 4);
	RUN_EXPECT(&g, VMEM_EXIT_HLT);

	ASSERT_EQ(ioctl(g.vcpu, VMEM_GET_REGS, &regs), 0);
	EXPECT_EQ(regs.rbx, 0xdeadbeef);
	EXPECT_EQ(regs.rip, CODE + 24);
	guest_destroy(&g);
	return VT_PASS;
}

static int test_string_pio(void)
{
	struct vmem_regs regs;
	struct guest g;

	GUEST(&g,
	      0xbe, 0x00, 0x20,			/* mov si, 0x2000 */
	      0xb9, 0x05, 0x00,			/* mov cx, 5 */
	      0xba, 0x20, 0x00,			/* mov dx, 0x20 */
	      0xfc,				/* cld */
	      0xf3, 0x6e,			/* rep outsb */
	      0xbf, 0x00, 0x30,			/* mov di, 0x3000 */
	      0xb9, 0x03, 0x00,			/* mov cx, 3 */
	      0xba, 0x21, 0x00,			/* mov dx, 0x21 */
	      0xf3, 0x6c,			/* rep insb */
	      0xbe, 0xfe, 0x4f,			/* mov si, 0x4ffe */
	      0xb9, 0x04, 0x00,			/* mov cx, 4 */
	      0xf3, 0x6f,			/* rep outsw (crosses a page) */
	      0xf4);				/* hlt */
	memcpy(g.mem + 0x2000, "hello", 5);
	memcpy(g.mem + 0x4ffe, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);

	RUN_EXPECT(&g, VMEM_EXIT_IO);
	check_io(&g, VMEM_IO_OUT, 1, 0x20, 5);
	EXPECT_EQ(memcmp(io_data(&g), "hello", 5), 0);
	RUN_EXPECT(&g, VMEM_EXIT_IO);
	check_io(&g, VMEM_IO_IN, 1, 0x21, 3);
	memcpy(io_data(&g), "abc", 3);

	/* The word at 0x4ffe fits before the page end; then the rest. */
	RUN_EXPECT(&g, VMEM_EXIT_IO);
	check_io(&g, VMEM_IO_OUT, 2, 0x21, 1);
	EXPECT_EQ(io_data(&g)[0], 1);
	RUN_EXPECT(&g, VMEM_EXIT_IO);
	check_io(&g, VMEM_IO_OUT, 2, 0x21, 3);
	EXPECT_EQ(memcmp(io_data(&g), "\x03\x04\x05\x06\x07\x08", 6), 0);
	RUN_EXPECT(&g, VMEM_EXIT_HLT);

	EXPECT_EQ(memcmp(g.mem + 0x3000, "abc", 3), 0);
	ASSERT_EQ(ioctl(g.vcpu, VMEM_GET_REGS, &regs), 0);
	EXPECT_EQ(regs.rsi & 0xffff, 0x5006);
	EXPECT_EQ(regs.rdi & 0xffff, 0x3003);
	EXPECT_EQ(regs.rcx & 0xffff, 0);
	guest_destroy(&g);
	return VT_PASS;
}

static int mmio_expect(struct guest *g, uint64_t gpa, int len, int write)
{
	if (run_expect(g, VMEM_EXIT_MMIO) != VT_PASS)
		return VT_FAIL;
	EXPECT_EQ(g->run->mmio.gpa, gpa);
	EXPECT_EQ(g->run->mmio.len, len);
	EXPECT_EQ(g->run->mmio.is_write, write);
	return vt_case_failed() ? VT_FAIL : VT_PASS;
}

#define MMIO_EXPECT(g, gpa, len, w) do {				\
	if (mmio_expect(g, gpa, len, w) != VT_PASS) {			\
		guest_destroy(g);					\
		return VT_FAIL;						\
	}								\
} while (0)

static int test_mmio(void)
{
	struct vmem_regs regs;
	struct guest g;
	uint16_t w;

	GUEST(&g,
	      0xb8, 0x00, 0xf0,			/* mov ax, 0xf000 */
	      0x8e, 0xd8,			/* mov ds, ax */
	      0xc6, 0x06, 0x10, 0x00, 0x5a,	/* mov byte [0x10], 0x5a */
	      0x8b, 0x1e, 0x20, 0x00,		/* mov bx, [0x20] */
	      0x89, 0x1e, 0x30, 0x00,		/* mov [0x30], bx */
	      0x66, 0x0f, 0xb6, 0x0e, 0x40, 0x00, /* movzx ecx, byte [0x40] */
	      0x66, 0x0f, 0xbe, 0x16, 0x41, 0x00, /* movsx edx, byte [0x41] */
	      0xa0, 0x50, 0x00,			/* mov al, [0x50] */
	      0xa3, 0x60, 0x00,			/* mov [0x60], ax */
	      0x8a, 0x26, 0x70, 0x00,		/* mov ah, [0x70] */
	      0x66, 0xc7, 0x06, 0x80, 0x00,	/* mov dword [0x80], */
	      0xef, 0xbe, 0xad, 0xde,		/*	0xdeadbeef */
	      0xf4);				/* hlt */

	MMIO_EXPECT(&g, 0xf0010, 1, 1);
	EXPECT_EQ(g.run->mmio.data[0], 0x5a);
	MMIO_EXPECT(&g, 0xf0020, 2, 0);
	w = 0x1234;
	memcpy(g.run->mmio.data, &w, 2);
	MMIO_EXPECT(&g, 0xf0030, 2, 1);
	memcpy(&w, g.run->mmio.data, 2);
	EXPECT_EQ(w, 0x1234);
	MMIO_EXPECT(&g, 0xf0040, 1, 0);
	g.run->mmio.data[0] = 0x80;
	MMIO_EXPECT(&g, 0xf0041, 1, 0);
	g.run->mmio.data[0] = 0x80;
	MMIO_EXPECT(&g, 0xf0050, 1, 0);
	g.run->mmio.data[0] = 0x77;
	MMIO_EXPECT(&g, 0xf0060, 2, 1);
	memcpy(&w, g.run->mmio.data, 2);
	EXPECT_EQ(w, 0xf077);
	MMIO_EXPECT(&g, 0xf0070, 1, 0);
	g.run->mmio.data[0] = 0x33;
	MMIO_EXPECT(&g, 0xf0080, 4, 1);
	EXPECT_EQ(memcmp(g.run->mmio.data, "\xef\xbe\xad\xde", 4), 0);
	RUN_EXPECT(&g, VMEM_EXIT_HLT);

	ASSERT_EQ(ioctl(g.vcpu, VMEM_GET_REGS, &regs), 0);
	EXPECT_EQ(regs.rbx & 0xffff, 0x1234);
	EXPECT_EQ(regs.rcx, 0x80);
	EXPECT_EQ(regs.rdx, 0xffffff80);
	EXPECT_EQ(regs.rax & 0xffff, 0x3377);
	guest_destroy(&g);
	return VT_PASS;
}

static int test_mmio_undecodable(void)
{
	struct guest g;

	GUEST(&g,
	      0xb8, 0x00, 0xf0,			/* mov ax, 0xf000 */
	      0x8e, 0xd8,			/* mov ds, ax */
	      0x00, 0x06, 0x10, 0x00,		/* add [0x10], al */
	      0xf4);
	RUN_EXPECT(&g, VMEM_EXIT_INTERNAL);
	EXPECT_EQ(g.run->internal.suberror, VMEM_INTERNAL_EMULATION);
	EXPECT_TRUE(g.run->internal.insn_len >= 4);
	EXPECT_EQ(memcmp(g.run->internal.insn, "\x00\x06\x10\x00", 4), 0);
	EXPECT_EQ(g.run->internal.gpa, 0xf0010);
	guest_destroy(&g);
	return VT_PASS;
}

static int set_supported_cpuid(int vcpu)
{
	struct vmem_cpuid *c;
	int r;

	c = calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));
	ASSERT_TRUE(c);
	c->nent = 256;
	ASSERT_EQ(ioctl(dev_fd, VMEM_GET_SUPPORTED_CPUID, c), 0);
	r = ioctl(vcpu, VMEM_SET_CPUID, c);
	free(c);
	ASSERT_EQ(r, 0);
	return VT_PASS;
}

static int test_hypercall_cpuid(void)
{
	struct vmem_regs regs;
	struct guest g;

	GUEST(&g,
	      0xb8, 0x07, 0x00,			/* mov ax, 7 */
	      0xbb, 0x01, 0x00,			/* mov bx, 1 */
	      0x0f, 0x01, 0xd9,			/* vmmcall */
	      0x89, 0xc6,			/* mov si, ax */
	      0x66, 0xb8, 0x00, 0x00, 0x00, 0x40, /* mov eax, 0x40000000 */
	      0x0f, 0xa2,			/* cpuid */
	      0xf4);
	if (set_supported_cpuid(g.vcpu) != VT_PASS) {
		guest_destroy(&g);
		return VT_FAIL;
	}
	RUN_EXPECT(&g, VMEM_EXIT_HYPERCALL);
	EXPECT_EQ(g.run->hypercall.nr, 7);
	EXPECT_EQ(g.run->hypercall.args[0], 1);
	g.run->hypercall.ret = 0x55;
	RUN_EXPECT(&g, VMEM_EXIT_HLT);
	ASSERT_EQ(ioctl(g.vcpu, VMEM_GET_REGS, &regs), 0);
	EXPECT_EQ(regs.rsi, 0x55);
	EXPECT_EQ(regs.rax, 0x40000000);
	EXPECT_EQ(regs.rbx, 0x6d656d56);	/* "Vmem" */
	EXPECT_EQ(regs.rdx, 0x6d656d56);
	guest_destroy(&g);
	return VT_PASS;
}

static int test_sync_regs(void)
{
	struct vmem_regs regs;
	struct guest g;

	GUEST(&g,
	      0x89, 0xd8,			/* mov ax, bx */
	      0xe6, 0x10,			/* out 0x10, al */
	      0xe4, 0x12,			/* in al, 0x12 */
	      0xe6, 0x13,			/* out 0x13, al */
	      0xf4);
	ASSERT_EQ(ioctl(g.vcpu, VMEM_GET_REGS, &regs), 0);
	g.run->s.regs = regs;
	g.run->s.regs.rbx = 0x5a;
	g.run->sync_dirty = VMEM_SYNC_REGS;
	g.run->sync_wanted = VMEM_SYNC_ALL;
	RUN_EXPECT(&g, VMEM_EXIT_IO);
	EXPECT_EQ(io_data(&g)[0], 0x5a);
	EXPECT_EQ(g.run->sync_dirty, 0);
	EXPECT_EQ(g.run->sync_valid, VMEM_SYNC_ALL);
	EXPECT_EQ(g.run->s.regs.rip, CODE + 2);
	EXPECT_EQ(g.run->s.sregs.cs.base, 0);
	EXPECT_EQ(g.run->s.sregs.apic_base & ~0xfffULL, 0xfee00000);

	RUN_EXPECT(&g, VMEM_EXIT_IO);
	EXPECT_EQ(g.run->io.port, 0x12);
	/* Write back what we were given, as lazy VMMs do; then answer. */
	g.run->sync_dirty = VMEM_SYNC_REGS | VMEM_SYNC_SREGS;
	io_data(&g)[0] = 0x66;
	RUN_EXPECT(&g, VMEM_EXIT_IO);
	EXPECT_EQ(g.run->io.port, 0x13);
	EXPECT_EQ(io_data(&g)[0], 0x66);

	/* Bad groups. */
	g.run->sync_dirty = 0x80;
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_RUN, 0), EINVAL);
	g.run->sync_dirty = 0;
	g.run->sync_wanted = 0;
	RUN_EXPECT(&g, VMEM_EXIT_HLT);
	EXPECT_EQ(g.run->sync_valid, 0);
	guest_destroy(&g);
	return VT_PASS;
}

struct kicker {
	int vcpu;
	pthread_t target;
	bool signal;
};

static void *kick_thread(void *arg)
{
	struct kicker *k = arg;
	struct timespec ts = { 0, 200 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	if (k->signal)
		pthread_kill(k->target, SIGUSR1);
	else
		ioctl(k->vcpu, VMEM_KICK, 0);
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
}

static int test_stop_kick_signal(void)
{
	struct sigaction sa;
	struct kicker k;
	struct guest g;
	pthread_t t;

	GUEST(&g, 0xeb, 0xfe);			/* jmp $ */

	/* A stop set before RUN is honoured before entering. */
	g.run->stop = 1;
	RUN_EXPECT(&g, VMEM_EXIT_STOPPED);
	EXPECT_EQ(g.run->stop, 1);
	g.run->stop = 0;

	/* VMEM_KICK from another thread. */
	k.vcpu = g.vcpu;
	k.target = pthread_self();
	k.signal = false;
	ASSERT_EQ(pthread_create(&t, NULL, kick_thread, &k), 0);
	RUN_EXPECT(&g, VMEM_EXIT_STOPPED);
	pthread_join(t, NULL);
	EXPECT_EQ(g.run->stop, 1);
	g.run->stop = 0;

	/* A signal: -EINTR, exit reason NONE. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	k.signal = true;
	ASSERT_EQ(pthread_create(&t, NULL, kick_thread, &k), 0);
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_RUN, 0), EINTR);
	pthread_join(t, NULL);
	EXPECT_EQ(g.run->exit_reason, VMEM_EXIT_NONE);
	signal(SIGUSR1, SIG_DFL);

	/* And the vCPU still works. */
	g.run->stop = 1;
	RUN_EXPECT(&g, VMEM_EXIT_STOPPED);
	guest_destroy(&g);
	return VT_PASS;
}

static int test_irq_window_inject(void)
{
	struct vmem_event ev;
	struct guest g;

	GUEST(&g,
	      0xfb,				/* sti */
	      0xeb, 0xfe);			/* jmp $ */
	/* IVT[0x20] -> 0000:1100: out 0x21, al; hlt */
	memcpy(g.mem + 0x80, "\x00\x11\x00\x00", 4);
	memcpy(g.mem + 0x1100, "\xb0\x5c\xe6\x21\xf4", 5);

	memset(&ev, 0, sizeof(ev));
	ev.type = VMEM_EVENT_EXTINT;
	ev.vector = 0x20;
	/* IF=0 after reset: not now. */
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_INJECT, &ev), EBUSY);
	g.run->request_interrupt_window = 1;
	RUN_EXPECT(&g, VMEM_EXIT_IRQ_WINDOW);
	EXPECT_EQ(g.run->ready_for_interrupt, 1);
	EXPECT_EQ(g.run->if_flag, 1);
	g.run->request_interrupt_window = 0;
	ASSERT_EQ(ioctl(g.vcpu, VMEM_INJECT, &ev), 0);
	/* One at a time. */
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_INJECT, &ev), EBUSY);
	RUN_EXPECT(&g, VMEM_EXIT_IO);
	EXPECT_EQ(g.run->io.port, 0x21);
	EXPECT_EQ(io_data(&g)[0], 0x5c);
	RUN_EXPECT(&g, VMEM_EXIT_HLT);
	guest_destroy(&g);
	return VT_PASS;
}

static int test_inject_errors(void)
{
	struct vmem_event ev;
	struct guest g;

	GUEST(&g, 0xf4);
	memset(&ev, 0, sizeof(ev));
	ev.type = 9;
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_INJECT, &ev), EINVAL);
	/* An external interrupt may have any vector (api.rst 4.16). */
	ev.type = VMEM_EVENT_EXCEPTION;
	ev.vector = 2;
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_INJECT, &ev), EINVAL);
	ev.vector = 32;
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_INJECT, &ev), EINVAL);
	ev.vector = 13;				/* #GP needs its error code */
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_INJECT, &ev), EINVAL);
	ev.vector = 6;				/* #UD has none */
	ev.flags = VMEM_EVENT_ERROR_CODE;
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_INJECT, &ev), EINVAL);
	ev.flags = 0;
	ev.error_code = 5;
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_INJECT, &ev), EINVAL);
	ev.error_code = 0;
	ev.reserved[1] = 1;
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_INJECT, &ev), EINVAL);
	ev.reserved[1] = 0;
	ev.type = VMEM_EVENT_NMI;
	ev.vector = 3;
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_INJECT, &ev), EINVAL);
	ev.vector = 2;
	EXPECT_EQ(ioctl(g.vcpu, VMEM_INJECT, &ev), 0);
	EXPECT_EQ(ioctl(g.vcpu, VMEM_INJECT, &ev), 0);	/* merged */
	guest_destroy(&g);
	return VT_PASS;
}

static int test_triple_fault(void)
{
	struct vmem_sregs sregs;
	struct guest g;

	GUEST(&g, 0xcc);			/* int3, with no IDT */
	ASSERT_EQ(ioctl(g.vcpu, VMEM_GET_SREGS, &sregs), 0);
	sregs.idt.limit = 0;
	ASSERT_EQ(ioctl(g.vcpu, VMEM_SET_SREGS, &sregs), 0);
	RUN_EXPECT(&g, VMEM_EXIT_SHUTDOWN);
	guest_destroy(&g);
	return VT_PASS;
}

static int test_state_checks(void)
{
	struct vmem_debugregs dr;
	struct vmem_sregs sregs;
	struct vmem_regs regs;
	struct vmem_fpu *fpu;
	struct {
		struct vmem_msrs hdr;
		struct vmem_msr_entry e[4];
	} msrs;
	struct guest g;

	GUEST(&g, 0xf4);
	ASSERT_EQ(ioctl(g.vcpu, VMEM_GET_REGS, &regs), 0);
	regs.rflags |= 1ULL << 40;
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_SET_REGS, &regs), EINVAL);

	ASSERT_EQ(ioctl(g.vcpu, VMEM_GET_SREGS, &sregs), 0);
	EXPECT_EQ(sregs.apic_base, 0xfee00900);
	sregs.flags = 1;
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_SET_SREGS, &sregs), EINVAL);
	sregs.flags = 0;
	sregs.reserved[3] = 1;
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_SET_SREGS, &sregs), EINVAL);
	sregs.reserved[3] = 0;
	sregs.ds.pad = 1;
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_SET_SREGS, &sregs), EINVAL);
	sregs.ds.pad = 0;
	sregs.apic_base |= 1 << 10;		/* x2APIC is not offered */
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_SET_SREGS, &sregs), EINVAL);

	ASSERT_EQ(ioctl(g.vcpu, VMEM_GET_DEBUGREGS, &dr), 0);
	dr.reserved[0] = 1;
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_SET_DEBUGREGS, &dr), EINVAL);

	fpu = calloc(1, sizeof(*fpu));
	ASSERT_TRUE(fpu);
	ASSERT_EQ(ioctl(g.vcpu, VMEM_GET_FPU, fpu), 0);
	EXPECT_EQ(fpu->xcr0, 1);
	EXPECT_EQ(*(uint16_t *)fpu->xsave, 0x37f);	/* FCW */
	EXPECT_EQ(*(uint32_t *)(fpu->xsave + 24), 0x1f80);	/* MXCSR */
	EXPECT_EQ(ioctl(g.vcpu, VMEM_SET_FPU, fpu), 0);
	fpu->xcr0 = 0;
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_SET_FPU, fpu), EINVAL);
	fpu->xcr0 = 1 | (1ULL << 62);
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_SET_FPU, fpu), EINVAL);
	fpu->xcr0 = 1 | 4;			/* AVX without SSE */
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_SET_FPU, fpu), EINVAL);
	fpu->xcr0 = 3;
	*(uint32_t *)(fpu->xsave + 24) = 0xffffffff;
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_SET_FPU, fpu), EINVAL);
	*(uint32_t *)(fpu->xsave + 24) = 0x1f80;
	*(uint64_t *)(fpu->xsave + 512) = 4;	/* XSTATE_BV beyond XCR0 */
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_SET_FPU, fpu), EINVAL);
	*(uint64_t *)(fpu->xsave + 512) = 3;
	*(uint64_t *)(fpu->xsave + 520) = 1ULL << 63;	/* compacted */
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_SET_FPU, fpu), EINVAL);
	*(uint64_t *)(fpu->xsave + 520) = 0;
	*(uint32_t *)(fpu->xsave + 160) = 0xcafe;	/* XMM0 */
	EXPECT_EQ(ioctl(g.vcpu, VMEM_SET_FPU, fpu), 0);
	memset(fpu, 0, sizeof(*fpu));
	RUN_EXPECT(&g, VMEM_EXIT_HLT);		/* through XRSTOR/XSAVE */
	ASSERT_EQ(ioctl(g.vcpu, VMEM_GET_FPU, fpu), 0);
	EXPECT_EQ(fpu->xcr0, 3);
	EXPECT_EQ(*(uint32_t *)(fpu->xsave + 160), 0xcafe);
	free(fpu);

	memset(&msrs, 0, sizeof(msrs));
	msrs.hdr.nmsrs = 257;
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_GET_MSRS, &msrs), E2BIG);
	msrs.hdr.nmsrs = 3;
	msrs.e[0].index = 0x1b;			/* APIC_BASE */
	msrs.e[1].index = 0x2ff;		/* MTRRdefType */
	msrs.e[2].index = 0x4b564d99;		/* nobody's */
	EXPECT_EQ(ioctl(g.vcpu, VMEM_GET_MSRS, &msrs), 2);
	EXPECT_EQ(msrs.e[0].data, 0xfee00900);
	msrs.e[1].data = 0xc06;
	EXPECT_EQ(ioctl(g.vcpu, VMEM_SET_MSRS, &msrs), 2);
	msrs.e[0].data = 0;
	msrs.e[1].data = 0;
	EXPECT_EQ(ioctl(g.vcpu, VMEM_GET_MSRS, &msrs), 2);
	EXPECT_EQ(msrs.e[1].data, 0xc06);
	msrs.e[0].index = 0x2ff;
	msrs.e[0].data = 0x3;			/* reserved memory type */
	EXPECT_EQ(ioctl(g.vcpu, VMEM_SET_MSRS, &msrs), 0);
	msrs.e[0].reserved = 1;
	EXPECT_ERRNO(ioctl(g.vcpu, VMEM_GET_MSRS, &msrs), EINVAL);
	guest_destroy(&g);
	return VT_PASS;
}

struct churner {
	int vm, vcpu;
	volatile bool done;
	unsigned int rounds;
};

static void *churn_thread(void *arg)
{
	struct vmem_memslot del = { .slot = 1 };
	struct vmem_memslot add = { .slot = 1, .gpa = MEM_SIZE,
				    .size = MEM_SIZE };
	struct timespec ts = { 0, 200 * 1000 };
	struct churner *c = arg;
	unsigned int i;

	for (i = 0; i < 300; i++) {
		if (ioctl(c->vm, VMEM_SET_MEMSLOT, &del) ||
		    ioctl(c->vm, VMEM_SET_MEMSLOT, &add))
			break;
		c->rounds++;
		nanosleep(&ts, NULL);
	}
	c->done = true;
	ioctl(c->vcpu, VMEM_KICK, 0);
	return NULL;
}

/*
 * A guest hammers a page of slot 1 while another thread deletes and
 * recreates the slot: each deletion must take the page out of the
 * guest's nested tables (and TLB) before freeing it; the guest sees RAM
 * or MMIO exits, never a freed page, and nothing leaks.
 */
static int test_slot_churn_while_running(void)
{
	struct vmem_memslot add = { .slot = 1, .gpa = MEM_SIZE,
				    .size = MEM_SIZE };
	long long pages0 = counter(VT_DEBUGFS_PAGES);
	unsigned int mmio = 0, runs = 0;
	struct churner c;
	struct guest g;
	pthread_t t;

	GUEST(&g,
	      0xb8, 0x00, 0x10,			/* mov ax, 0x1000 */
	      0x8e, 0xd8,			/* mov ds, ax (gpa 0x10000) */
	      0xb0, 0x01,			/* mov al, 1 */
	      0xa2, 0x00, 0x00,			/* 1: mov [0], al */
	      0xa0, 0x00, 0x00,			/* mov al, [0] */
	      0xeb, 0xf8);			/* jmp 1b */
	ASSERT_EQ(ioctl(g.vm, VMEM_SET_MEMSLOT, &add), 0);
	c.vm = g.vm;
	c.vcpu = g.vcpu;
	c.done = false;
	c.rounds = 0;
	ASSERT_EQ(pthread_create(&t, NULL, churn_thread, &c), 0);
	while (!c.done || !g.run->stop) {
		if (ioctl(g.vcpu, VMEM_RUN, 0)) {
			EXPECT_OK(-1);
			break;
		}
		runs++;
		if (g.run->exit_reason == VMEM_EXIT_MMIO) {
			mmio++;
			EXPECT_EQ(g.run->mmio.gpa, MEM_SIZE);
			g.run->mmio.data[0] = 1;
		} else if (g.run->exit_reason != VMEM_EXIT_STOPPED) {
			FAIL("exit %s", exit_name(g.run->exit_reason));
		}
		if (vt_case_failed())
			break;
	}
	pthread_join(t, NULL);
	vt_diag("%u slot rounds, %u runs, %u MMIO exits", c.rounds, runs, mmio);
	EXPECT_EQ(c.rounds, 300);
	guest_destroy(&g);
	if (pages0 >= 0)
		EXPECT_EQ(counter(VT_DEBUGFS_PAGES), pages0);
	return VT_PASS;
}

static int test_killed_mid_run(void)
{
	long long pages0 = counter(VT_DEBUGFS_PAGES);
	long long objs0 = counter(VT_DEBUGFS_OBJECTS);
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	int status, p[2];
	char c = 0;
	pid_t pid;

	ASSERT_EQ(pipe(p), 0);
	fflush(stdout);
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		static const uint8_t spin[] = { 0xeb, 0xfe };
		struct guest g;

		if (guest_create(&g, spin, sizeof(spin)) != VT_PASS)
			_exit(4);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		ioctl(g.vcpu, VMEM_RUN, 0);
		_exit(1);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1) {
		close(p[0]);
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 4)
			SKIP("the child could not make its real-mode guest (no backend, or no real mode: VMEM_CAP_REAL_MODE)");
		FAIL("child failed to set up (status %#x)", status);
	}
	close(p[0]);
	nanosleep(&ts, NULL);
	kill(pid, SIGKILL);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	if (pages0 >= 0 && objs0 >= 0) {
		EXPECT_EQ(counter(VT_DEBUGFS_PAGES), pages0);
		EXPECT_EQ(counter(VT_DEBUGFS_OBJECTS), objs0);
	}
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(pio),
	VT_CASE(string_pio),
	VT_CASE(mmio),
	VT_CASE(mmio_undecodable),
	VT_CASE(hypercall_cpuid),
	VT_CASE(sync_regs),
	VT_CASE(stop_kick_signal),
	VT_CASE(irq_window_inject),
	VT_CASE(inject_errors),
	VT_CASE(triple_fault),
	VT_CASE(state_checks),
	VT_CASE(slot_churn_while_running),
	VT_CASE(killed_mid_run),
};

VT_MAIN(cases, setup, teardown);
