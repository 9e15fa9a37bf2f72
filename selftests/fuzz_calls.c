// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_calls - seeded random call sequences over the whole fd chain, in
 * the spirit of syzkaller's descriptions for /dev/kvm (Documentation/
 * api.rst; testing.rst, "Fuzzers").
 *
 * A sequence is CALLS_PER_SEQ calls chosen from the seed: open /dev/vmem,
 * create VMs (any flags) and vCPUs (any id), close and dup any fd,
 * mmap/munmap guest memory and run areas at odd offsets and lengths,
 * touch the mappings, memory slots, backing, map and unmap with odd
 * sizes, addresses and flags, single-bit flips of CR0/CR4/EFER, segment
 * attributes, RFLAGS and MSRs, random CPUID tables, debug registers and
 * FPU state, INJECT with random types and vectors, RUN of random short
 * guest code (lib/fz_guest.h) bounded by a timer, KICK from a second
 * thread, the VM ioctls (stats, sharing, names, hypercalls, swap file),
 * random ioctl numbers, and netlink requests on the sequence's VMs (move
 * into a pool, limits, reservations).  The child then exits with
 * whatever is left open, or closes it all first.
 *
 * What is checked: VMEM_RUN on a vCPU fd fails only with the errors
 * api.rst 4.9 lists (EBADF, ENOTTY and the like on other fds are fine);
 * the kernel never oopses, WARNs, locks up or leaks (the harness reads
 * the console; fz_run() checks vmem's leak counters at the end); no call
 * hangs (fz.h).  Under SVM (QEMU TCG) a vCPU runs only the layout's code
 * and states fz_emulator_safe() accepts (fixed up before RUN).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "fz.h"
#include "fz_guest.h"
#include "nl_util.h"
#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"
#include "vt_x86.h"

#define CALLS_PER_SEQ	40
#define NFD		24
#define NMAP		12
#define POOL_NAME	"fzc"

enum kind { K_FREE, K_SYS, K_VM, K_VCPU, K_OTHER };

struct fdent {
	enum kind kind;
	int fd;
	int vm;			/* vCPU: its VM's entry when created */
	uint32_t vm_id;		/* the VM's (a vCPU's: its VM's) */
};

struct map {
	uint8_t *p;
	size_t len;
	uint64_t off;
	bool vcpu;		/* a run area */
};

static struct {
	struct fz_rng r;
	struct fz_stats *st;
	struct fdent f[NFD];
	struct map m[NMAP];
	_Atomic int kick_fd[NFD];
	atomic_bool kick_stop;
	bool kicking;
	pthread_t kicker;
	struct nlt_sock nl;
	bool nl_open;
	uint32_t pool_id;
	uint32_t ready[NFD];	/* VMs whose slot 0 holds the guest layout */
} w;

static bool vmx;
static long run_size, max_vcpus, max_slots;

static sigjmp_buf touch_jmp;
static volatile sig_atomic_t touching;

static void on_alarm(int sig)
{
	(void)sig;
}

static void on_fault(int sig)
{
	if (touching)
		siglongjmp(touch_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void count(void)
{
	__atomic_fetch_add(&w.st->calls, 1, __ATOMIC_RELAXED);
}

/* A random entry of @kind (K_FREE: any used one); -1 if none. */
static int pick(enum kind kind)
{
	int i, n = 0, idx[NFD];

	for (i = 0; i < NFD; i++)
		if (w.f[i].kind != K_FREE && (kind == K_FREE || w.f[i].kind == kind))
			idx[n++] = i;
	return n ? idx[fz_below(&w.r, n)] : -1;
}

static int add_fd(enum kind kind, int fd, int vm)
{
	int i;

	if (fd < 0)
		return -1;
	for (i = 0; i < NFD; i++)
		if (w.f[i].kind == K_FREE) {
			w.f[i] = (struct fdent){ .kind = kind, .fd = fd, .vm = vm };
			if (kind == K_VCPU)
				w.kick_fd[i] = fd;
			return i;
		}
	close(fd);
	return -1;
}

static int add_map(void *p, size_t len, uint64_t off, bool vcpu)
{
	int i;

	if (p == MAP_FAILED)
		return -1;
	for (i = 0; i < NMAP; i++)
		if (!w.m[i].p) {
			w.m[i] = (struct map){ p, len, off, vcpu };
			return i;
		}
	munmap(p, len);
	return -1;
}

static bool is_ready(uint32_t vm_id)
{
	int i;

	for (i = 0; i < NFD; i++)
		if (vm_id && w.ready[i] == vm_id)
			return true;
	return false;
}

static void set_ready(uint32_t vm_id, bool ready)
{
	int i;

	for (i = 0; i < NFD; i++)
		if (w.ready[i] == vm_id)
			w.ready[i] = 0;
	for (i = 0; ready && i < NFD; i++)
		if (!w.ready[i]) {
			w.ready[i] = vm_id;
			break;
		}
}

static uint64_t odd_gpa(void)
{
	static const uint64_t g[] = { 0, 0x1000, 0xa0000, 0xc0000, 0x100000,
		0x1ff000, 0x200000, 0xfee00000, 0xffff0000, 1ull << 32,
		(1ull << 39) - 0x1000, 1ull << 46, 1ull << 52 };

	switch (fz_below(&w.r, 4)) {
	case 0: return g[fz_below(&w.r, sizeof(g) / sizeof(g[0]))];
	case 1: return fz_below(&w.r, 1024) << 12;
	case 2: return fz_below(&w.r, 64) << 21;
	default: return fz_value(&w.r);
	}
}

static uint64_t odd_size(void)
{
	static const uint64_t s[] = { 0, 0x1000, 0x2000, 0x10000, 0x100000,
		0x1ff000, 0x200000, 0x201000, 0x400000, 1ull << 30, 1ull << 40 };

	switch (fz_below(&w.r, 3)) {
	case 0: return s[fz_below(&w.r, sizeof(s) / sizeof(s[0]))];
	case 1: return (1 + fz_below(&w.r, 512)) << 12;
	default: return fz_value(&w.r);
	}
}

/* ---- calls ------------------------------------------------------------------ */

static void op_open(void)
{
	add_fd(K_SYS, vt_open_dev(fz_chance(&w.r, 90) ? O_RDWR : O_RDONLY), -1);
	count();
}

static void op_close(void)
{
	int i = pick(K_FREE);

	if (i < 0)
		return;
	if (w.f[i].kind == K_VCPU)
		w.kick_fd[i] = -1;
	close(w.f[i].fd);
	w.f[i].kind = K_FREE;
	count();
}

static void op_dup(void)
{
	int i = pick(K_FREE), k;

	if (i < 0)
		return;
	count();
	k = add_fd(w.f[i].kind, dup(w.f[i].fd), w.f[i].vm);
	if (k >= 0)
		w.f[k].vm_id = w.f[i].vm_id;
}

static void op_create_vm(void)
{
	static const unsigned long fl[] = { VMEM_VM_MMU_AUTO, VMEM_VM_MMU_HW,
					    VMEM_VM_MMU_SHADOW, 3, 4, 0x80000000 };
	int s = pick(K_SYS), i;
	unsigned long flags;

	if (s < 0)
		return;
	flags = fz_chance(&w.r, 90) ? fl[fz_below(&w.r, 3)] :
		fz_chance(&w.r, 50) ? fl[fz_below(&w.r, 6)] : fz_value(&w.r);
	i = add_fd(K_VM, ioctl(w.f[s].fd, VMEM_CREATE_VM, flags), -1);
	count();
	if (i >= 0) {
		w.f[i].vm_id = ioctl(w.f[i].fd, VMEM_GET_VM_ID, 0);
		count();
	}
}

static void op_create_vcpu(void)
{
	int v = pick(K_VM), i;
	unsigned long id;

	if (v < 0)
		return;
	id = fz_chance(&w.r, 85) ? fz_below(&w.r, 3) :
	     fz_chance(&w.r, 50) ? (unsigned long)max_vcpus - 1 + fz_below(&w.r, 3) :
	     fz_value(&w.r);
	i = add_fd(K_VCPU, ioctl(w.f[v].fd, VMEM_CREATE_VCPU, id), v);
	count();
	if (i >= 0)
		w.f[i].vm_id = w.f[v].vm_id;
	if (i >= 0 && fz_chance(&w.r, 80)) {
		add_map(mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			     w.f[i].fd, 0), run_size, 0, true);
		count();
	}
	if (i >= 0 && fz_chance(&w.r, 70)) {
		ioctl(w.f[i].fd, VMEM_SET_CPUID, vt_supported_cpuid());
		count();
	}
}

/* Slot 0 at GPA 0 with the guest layout, and a vCPU of the VM in a mode. */
static void op_guest(void)
{
	struct vmem_memslot ms = { .slot = 0, .gpa = 0, .size = FZ_MEM_SIZE };
	int v = pick(K_VM), i;
	uint8_t *mem;

	if (v < 0)
		return;
	count();
	if (ioctl(w.f[v].fd, VMEM_SET_MEMSLOT, &ms) < 0)
		return;
	mem = mmap(NULL, FZ_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   w.f[v].fd, 0);
	count();
	if (add_map(mem, FZ_MEM_SIZE, 0, false) < 0)
		return;
	/* A VM over its limit (op_netlink) answers the VMM's first touch
	 * of a page with SIGBUS: then the layout is not there. */
	touching = 1;
	if (sigsetjmp(touch_jmp, 1)) {
		touching = 0;
		return;
	}
	fz_guest_tables(mem);
	fz_code(&w.r, fz_below(&w.r, FZ_NR_MODES), !vmx, mem + FZ_CODE);
	touching = 0;
	set_ready(w.f[v].vm_id, true);
	for (i = 0; i < NFD; i++) {
		struct vmem_sregs sr;
		struct vmem_regs regs;

		if (w.f[i].kind != K_VCPU || w.f[i].vm != v)
			continue;
		fz_state(fz_below(&w.r, FZ_NR_MODES), vmx, false, &sr, &regs);
		ioctl(w.f[i].fd, VMEM_SET_SREGS, &sr);
		ioctl(w.f[i].fd, VMEM_SET_REGS, &regs);
		ioctl(w.f[i].fd, VMEM_SET_CPUID, vt_supported_cpuid());
		w.st->calls += 3;
	}
}

static void op_memslot(void)
{
	struct vmem_memslot ms = { 0 };
	int v = pick(K_VM);

	if (v < 0)
		return;
	ms.slot = fz_chance(&w.r, 80) ? fz_below(&w.r, 4) :
		  (uint32_t)max_slots - 1 + fz_below(&w.r, 3);
	ms.flags = fz_chance(&w.r, 80) ? fz_below(&w.r, 4) : (uint32_t)fz_value(&w.r);
	ms.gpa = odd_gpa();
	ms.size = fz_chance(&w.r, 20) ? 0 : odd_size();
	if (fz_chance(&w.r, 3))
		ms.reserved[fz_below(&w.r, 5)] = 1;
	if (ms.slot == 0)
		set_ready(w.f[v].vm_id, false);
	ioctl(w.f[v].fd, VMEM_SET_MEMSLOT, &ms);
	count();
}

static void op_backing(void)
{
	struct vmem_backing b = { 0 };
	struct vmem_memory_map mm = { 0 };
	int v = pick(K_VM);
	unsigned int what = fz_below(&w.r, 4);

	if (v < 0)
		return;
	if (what < 2) {
		b.offset = fz_chance(&w.r, 60) ? (fz_chance(&w.r, 50) ? 0 : 1ull << 32) :
			   odd_gpa();
		b.size = odd_size();
		if (fz_chance(&w.r, 3))
			b.flags = 1;
		if (fz_chance(&w.r, 3))
			b.reserved[fz_below(&w.r, 4)] = 1;
		ioctl(w.f[v].fd, what ? VMEM_DISCARD_BACKING : VMEM_SET_BACKING, &b);
	} else {
		mm.gpa = odd_gpa();
		mm.size = odd_size();
		if (what == 2) {
			mm.offset = fz_chance(&w.r, 60) ? (fz_chance(&w.r, 50) ? 0 : 1ull << 32) +
				    (fz_below(&w.r, 16) << 12) : odd_gpa();
			mm.flags = fz_chance(&w.r, 85) ? fz_below(&w.r, 4) :
				   (uint32_t)fz_value(&w.r);
		} else if (fz_chance(&w.r, 5)) {
			mm.offset = 0x1000;
		}
		if (fz_chance(&w.r, 3))
			mm.pad = 1;
		ioctl(w.f[v].fd, what == 2 ? VMEM_MAP_MEMORY : VMEM_UNMAP_MEMORY, &mm);
	}
	count();
}

static void op_mmap(void)
{
	int i = pick(fz_chance(&w.r, 70) ? K_VM : K_FREE);
	uint64_t off, len;
	int flags = fz_chance(&w.r, 92) ? MAP_SHARED : MAP_PRIVATE;

	if (i < 0)
		return;
	off = fz_chance(&w.r, 50) ? fz_below(&w.r, 256) << 12 :
	      fz_chance(&w.r, 50) ? (1ull << 32) + (fz_below(&w.r, 16) << 12) :
	      odd_gpa() & ~0xfffull;
	len = fz_chance(&w.r, 70) ? (1 + fz_below(&w.r, 64)) << 12 :
	      odd_size() & ((1ull << 32) - 1);
	if (!len)
		len = 4096;
	add_map(mmap(NULL, len, PROT_READ | (fz_chance(&w.r, 80) ? PROT_WRITE : 0),
		     flags, w.f[i].fd, off), len, off, w.f[i].kind == K_VCPU);
	count();
}

static void op_munmap(void)
{
	int i = fz_below(&w.r, NMAP);

	if (!w.m[i].p)
		return;
	if (fz_chance(&w.r, 25) && w.m[i].len > 4096) {
		/* Part of it: the tail; the rest stays mapped. */
		size_t keep = (fz_below(&w.r, w.m[i].len / 4096 - 1) + 1) * 4096;

		munmap(w.m[i].p + keep, w.m[i].len - keep);
		w.m[i].len = keep;
		return;
	}
	munmap(w.m[i].p, w.m[i].len);
	w.m[i].p = NULL;
}

/* Read or write a mapping; SIGBUS/SIGSEGV there is a documented answer
 * (a deleted slot, a read-only mapping, a limit reached). */
static void op_touch(void)
{
	int i = fz_below(&w.r, NMAP);
	volatile uint8_t *p;
	uint64_t at, lo = 0;
	bool write = fz_chance(&w.r, 60);

	if (!w.m[i].p)
		return;
	/* Under SVM the guest layout (and its code) stays as fz_guest made
	 * it: QEMU must only run code from lib/fz_guest.c. */
	if (!vmx && !w.m[i].vcpu && w.m[i].off < FZ_MEM_SIZE)
		lo = FZ_MEM_SIZE - w.m[i].off;
	if (lo >= w.m[i].len)
		write = false, lo = 0;
	at = lo + fz_below(&w.r, w.m[i].len - lo);
	p = w.m[i].p + at;
	touching = 1;
	if (!sigsetjmp(touch_jmp, 1)) {
		if (write && !w.m[i].vcpu)
			*p = (uint8_t)fz_next(&w.r);
		else if (write)
			((volatile uint8_t *)w.m[i].p)[fz_below(&w.r, 16)] =
				(uint8_t)fz_next(&w.r);	/* run-area inputs */
		else
			(void)*p;
	}
	touching = 0;
}

static void op_regs(void)
{
	int v = pick(K_VCPU);
	struct vmem_regs regs;
	__u64 *g;

	if (v < 0)
		return;
	count();
	if (ioctl(w.f[v].fd, VMEM_GET_REGS, &regs) < 0)
		return;
	g = &regs.rax;
	switch (fz_below(&w.r, 5)) {
	case 0: regs.rflags = fz_flip(&w.r, regs.rflags, 64); break;
	case 1: regs.rip = fz_chance(&w.r, 50) ? fz_flip(&w.r, regs.rip, 64) : FZ_CODE; break;
	case 2: regs.reserved[fz_below(&w.r, 4)] = 1; break;
	default: g[fz_below(&w.r, 16)] = fz_value(&w.r); break;
	}
	ioctl(w.f[v].fd, VMEM_SET_REGS, &regs);
	count();
}

static void op_sregs(void)
{
	int v = pick(K_VCPU);
	struct vmem_sregs sr;
	struct vmem_segment *segs[] = { &sr.cs, &sr.ds, &sr.es, &sr.fs, &sr.gs,
					&sr.ss, &sr.tr, &sr.ldt };
	struct vmem_segment *s;

	if (v < 0)
		return;
	count();
	if (ioctl(w.f[v].fd, VMEM_GET_SREGS, &sr) < 0)
		return;
	s = segs[fz_below(&w.r, 8)];
	switch (fz_below(&w.r, 10)) {
	case 0: sr.cr0 = fz_flip(&w.r, sr.cr0, 64); break;
	case 1: sr.cr4 = fz_flip(&w.r, sr.cr4, 64); break;
	case 2: sr.efer = fz_flip(&w.r, sr.efer, 64); break;
	case 3: sr.cr3 = fz_flip(&w.r, sr.cr3, 64); break;
	case 4: s->type = fz_flip(&w.r, s->type, 8); break;
	case 5: {
		uint8_t *f[] = { &s->s, &s->dpl, &s->present, &s->avl, &s->l,
				 &s->db, &s->g, &s->unusable, &s->pad };

		*f[fz_below(&w.r, 9)] ^= 1u << fz_below(&w.r, 2);
		break;
	}
	case 6: s->base = fz_flip(&w.r, s->base, 64); break;
	case 7: sr.apic_base = fz_flip(&w.r, sr.apic_base, 64); break;
	case 8: sr.cr8 = fz_below(&w.r, 20); break;
	default: sr.idt.limit = fz_flip(&w.r, sr.idt.limit, 16); break;
	}
	ioctl(w.f[v].fd, VMEM_SET_SREGS, &sr);
	count();
}

static const uint32_t msr_list[] = { 0x10, 0x1b, 0x3a, 0x48, 0x8b, 0x174,
	0x175, 0x176, 0x1a0, 0x1d9, 0x277, 0x2ff, 0x6e0, 0xc0000080,
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, 0xc0000100,
	0xc0000101, 0xc0000102, 0xc0000103, 0xc0010117, 0xc0010114,
	0x40000000, 0x4b564d00 };

static void op_msrs(void)
{
	struct {
		struct vmem_msrs h;
		struct vmem_msr_entry e[4];
	} m = { 0 };
	int v = pick(K_VCPU);
	unsigned int i;

	if (v < 0)
		return;
	m.h.nmsrs = fz_chance(&w.r, 95) ? 1 + fz_below(&w.r, 4) :
		    fz_chance(&w.r, 50) ? 257 : (uint32_t)fz_value(&w.r);
	if (fz_chance(&w.r, 3))
		m.h.flags = 1;
	for (i = 0; i < 4; i++) {
		m.e[i].index = fz_chance(&w.r, 90) ?
			msr_list[fz_below(&w.r, sizeof(msr_list) / sizeof(msr_list[0]))] :
			(uint32_t)fz_value(&w.r);
	}
	count();
	if (m.h.nmsrs > 4 || fz_chance(&w.r, 30)) {
		/* Only the first four entries are ours: a count past them
		 * reads or writes beyond; VMEM_GET_MSRS must bound it. */
		if (m.h.nmsrs > 4)
			m.h.nmsrs = fz_chance(&w.r, 50) ? 257 : m.h.nmsrs;
		ioctl(w.f[v].fd, VMEM_SET_MSRS, &m);
		return;
	}
	if (ioctl(w.f[v].fd, VMEM_GET_MSRS, &m) < 0)
		return;
	for (i = 0; i < 4; i++)
		m.e[i].data = fz_chance(&w.r, 70) ? fz_flip(&w.r, m.e[i].data, 64) :
						   fz_value(&w.r);
	ioctl(w.f[v].fd, VMEM_SET_MSRS, &m);
	count();
}

static void op_cpuid(void)
{
	const struct vmem_cpuid *sup = vt_supported_cpuid();
	static const uint32_t fn[] = { 0, 1, 4, 7, 0xb, 0xd, 0x40000000,
		0x80000000, 0x80000001, 0x80000008, 0x8000000a };
	struct vmem_cpuid *c;
	int v = pick(K_VCPU);
	uint32_t i, n;

	if (v < 0 || !sup)
		return;
	n = fz_chance(&w.r, 95) ? fz_below(&w.r, 20) : 257;
	c = vt_cpuid_alloc(n > sup->nent ? n : sup->nent);
	if (!c)
		return;
	if (n <= sup->nent && fz_chance(&w.r, 60)) {
		/* The supported table, a few bits flipped. */
		memcpy(c->entries, sup->entries, sup->nent * sizeof(c->entries[0]));
		c->nent = sup->nent;
		for (i = 0; i < 1 + fz_below(&w.r, 4); i++) {
			__u32 *reg = &c->entries[fz_below(&w.r, c->nent)].eax;

			reg[fz_below(&w.r, 4)] ^= 1u << fz_below(&w.r, 32);
		}
	} else {
		c->nent = n;
		for (i = 0; i < n && i < 20; i++) {
			fz_bytes(&w.r, &c->entries[i], sizeof(c->entries[i]));
			c->entries[i].function = fn[fz_below(&w.r, sizeof(fn) / sizeof(fn[0]))];
			c->entries[i].flags &= fz_chance(&w.r, 90) ? 1 : ~0u;
			if (fz_chance(&w.r, 90))
				memset(c->entries[i].reserved, 0, sizeof(c->entries[i].reserved));
		}
	}
	ioctl(w.f[v].fd, VMEM_SET_CPUID, c);
	count();
	free(c);
}

static void op_dbg_fpu(void)
{
	static struct vmem_fpu fpu;
	struct vmem_debugregs d;
	int v = pick(K_VCPU);

	if (v < 0)
		return;
	count();
	if (fz_chance(&w.r, 50)) {
		if (ioctl(w.f[v].fd, VMEM_GET_DEBUGREGS, &d) < 0)
			return;
		switch (fz_below(&w.r, 4)) {
		case 0: d.dr7 = fz_flip(&w.r, d.dr7, 64); break;
		case 1: d.dr6 = fz_flip(&w.r, d.dr6, 64); break;
		case 2: d.db[fz_below(&w.r, 4)] = odd_gpa(); d.dr7 |= 0xff; break;
		default: d.reserved[0] = 1; break;
		}
		ioctl(w.f[v].fd, VMEM_SET_DEBUGREGS, &d);
	} else {
		if (ioctl(w.f[v].fd, VMEM_GET_FPU, &fpu) < 0)
			return;
		switch (fz_below(&w.r, 4)) {
		case 0: fpu.xcr0 = fz_flip(&w.r, fpu.xcr0, 64); break;
		case 1: fpu.xsave[24 + fz_below(&w.r, 4)] ^= 1u << fz_below(&w.r, 8);
			break;	/* MXCSR */
		case 2: fpu.xsave[512 + fz_below(&w.r, 64)] ^= 1u << fz_below(&w.r, 8);
			break;	/* the XSAVE header */
		default: fpu.xsave[fz_below(&w.r, sizeof(fpu.xsave))] = fz_next(&w.r);
			break;
		}
		ioctl(w.f[v].fd, VMEM_SET_FPU, &fpu);
	}
	count();
}

static void op_inject(void)
{
	struct vmem_event ev = { 0 };
	int v = pick(K_VCPU);

	if (v < 0)
		return;
	ev.type = fz_chance(&w.r, 90) ? 1 + fz_below(&w.r, 3) : fz_value(&w.r);
	ev.vector = fz_chance(&w.r, 90) ? fz_below(&w.r, 256) : fz_value(&w.r);
	ev.flags = fz_chance(&w.r, 90) ? fz_below(&w.r, 2) : fz_value(&w.r);
	ev.error_code = fz_value(&w.r);
	if (fz_chance(&w.r, 3))
		ev.reserved[fz_below(&w.r, 2)] = 1;
	ioctl(w.f[v].fd, VMEM_INJECT, &ev);
	count();
}

/* QEMU's TCG survives the state (fz_emulator_safe()), fixed up if need be. */
static bool emulator_ok(int fd)
{
	struct vmem_debugregs d;
	struct vmem_sregs sr;

	if (vmx)
		return true;
	if (ioctl(fd, VMEM_GET_DEBUGREGS, &d) < 0)
		return false;
	count();
	if (d.dr7 & 0xff) {
		d.dr7 &= ~0xffull;
		count();
		if (ioctl(fd, VMEM_SET_DEBUGREGS, &d) < 0)
			return false;
	}
	if (ioctl(fd, VMEM_GET_SREGS, &sr) < 0)
		return false;
	count();
	if (fz_emulator_safe(&sr, 0))
		return true;
	sr.cr8 = 0;
	sr.tr.present = 1;
	sr.tr.unusable = 0;
	sr.tr.type = (sr.efer & EFER_LMA) ? 0xb : 0x9;
	if (!(sr.efer & EFER_LMA))
		sr.efer &= ~EFER_LME;
	count();
	return ioctl(fd, VMEM_SET_SREGS, &sr) == 0 && fz_emulator_safe(&sr, 0);
}

static struct vmem_run *run_area(int fd)
{
	int i;

	(void)fd;
	for (i = 0; i < NMAP; i++)
		if (w.m[i].p && w.m[i].vcpu && w.m[i].off == 0 &&
		    w.m[i].len >= (size_t)run_size && fz_chance(&w.r, 50))
			return (struct vmem_run *)w.m[i].p;
	return NULL;
}

static void op_run(void)
{
	struct itimerval it = { .it_value.tv_usec = 1000 * (1 + fz_below(&w.r, 40)) };
	struct itimerval off = { 0 };
	int v = pick(K_VCPU), ret, err;
	struct vmem_run *run;

	if (v < 0)
		return;
	/* Under SVM only the layout's code runs: the vCPU's VM must hold it. */
	if (!vmx && !is_ready(w.f[v].vm_id))
		return;
	if (!emulator_ok(w.f[v].fd))
		return;
	run = run_area(w.f[v].fd);
	if (run && fz_chance(&w.r, 20)) {
		run->stop = fz_chance(&w.r, 50);
		run->request_interrupt_window = fz_chance(&w.r, 50);
		run->sync_wanted = fz_chance(&w.r, 90) ? fz_below(&w.r, 4) : fz_next(&w.r);
		run->sync_dirty = fz_chance(&w.r, 95) ? 0 : fz_below(&w.r, 4);
		if (fz_chance(&w.r, 3))
			run->pad1 = 1;
	}
	if (!vmx && run && (run->sync_dirty & VMEM_SYNC_SREGS) &&
	    !fz_emulator_safe(&run->s.sregs, 0))
		run->sync_dirty &= ~VMEM_SYNC_SREGS;
	setitimer(ITIMER_REAL, &it, NULL);
	ret = ioctl(w.f[v].fd, VMEM_RUN, 0);
	err = errno;
	setitimer(ITIMER_REAL, &off, NULL);
	count();
	w.st->runs++;
	if (run && run->stop)
		run->stop = 0;
	if (ret == 0) {
		if (run && run->exit_reason < FZ_NR_EXITS)
			w.st->exits[run->exit_reason]++;
		return;
	}
	w.st->run_errors++;
	switch (err) {
	case EINTR: case EINVAL: case ENOMEM: case EDQUOT: case ENOSPC:
	case EIO: case EFAULT: case EBUSY:
	case EFBIG:	/* the swap file cannot grow (pool_swap) */
		return;
	default:
		fz_report("VMEM_RUN on a vCPU fd: %s, not in api.rst 4.9",
			  vt_errno_name(err));
		_exit(FZ_FOUND);
	}
}

static void *kicker(void *arg)
{
	struct fz_rng r = { (uint64_t)(uintptr_t)arg };

	while (!atomic_load(&w.kick_stop)) {
		int fd = w.kick_fd[fz_below(&r, NFD)];

		if (fd >= 0) {
			ioctl(fd, VMEM_KICK, 0);
			count();
		}
		usleep(fz_below(&r, 3000));
	}
	return NULL;
}

static void op_kick(void)
{
	int v = pick(K_VCPU);

	if (!w.kicking && fz_chance(&w.r, 50)) {
		w.kicking = pthread_create(&w.kicker, NULL, kicker,
					   (void *)(uintptr_t)fz_next(&w.r)) == 0;
		return;
	}
	if (v >= 0) {
		ioctl(w.f[v].fd, VMEM_KICK, fz_chance(&w.r, 90) ? 0 : 1);
		count();
	}
}

static void op_vm_misc(void)
{
	int v = pick(K_VM);
	union {
		struct vmem_vm_stats st;
		struct vmem_pshare ps;
		struct vmem_vm_name name;
		struct vmem_hypercalls hc;
		struct vmem_swap_file sf;
	} u;
	int fd = -1;

	if (v < 0)
		return;
	memset(&u, 0, sizeof(u));
	switch (fz_below(&w.r, 5)) {
	case 0:
		u.st.flags = fz_chance(&w.r, 90) ? 0 : 1;
		ioctl(w.f[v].fd, VMEM_GET_VM_STATS, &u.st);
		break;
	case 1:
		u.ps.flags = fz_chance(&w.r, 90) ? fz_below(&w.r, 8) : fz_value(&w.r);
		u.ps.enable = fz_chance(&w.r, 90) ? fz_below(&w.r, 2) : fz_value(&w.r);
		u.ps.salt = fz_value(&w.r);
		ioctl(w.f[v].fd, VMEM_PSHARE, &u.ps);
		break;
	case 2:
		fz_bytes(&w.r, u.name.name, sizeof(u.name.name));
		if (fz_chance(&w.r, 70))
			snprintf(u.name.name, sizeof(u.name.name), "fz-%u",
				 (unsigned int)fz_below(&w.r, 100));
		ioctl(w.f[v].fd, VMEM_SET_VM_NAME, &u.name);
		break;
	case 3:
		u.hc.flags = fz_below(&w.r, 3);
		u.hc.enable = fz_below(&w.r, 3);
		ioctl(w.f[v].fd, VMEM_HYPERCALLS, &u.hc);
		break;
	default:
		if (fz_chance(&w.r, 70)) {
			char path[] = "/tmp/fzswapXXXXXX";

			fd = mkstemp(path);
			if (fd >= 0)
				unlink(path);
			if (fd >= 0 && fz_chance(&w.r, 20)) {
				close(fd);
				fd = open("/dev/null", O_RDWR);
			}
		}
		u.sf.fd = fd >= 0 ? fd : (int)fz_below(&w.r, 64);
		u.sf.flags = fz_chance(&w.r, 95) ? 0 : 1;
		ioctl(w.f[v].fd, VMEM_SET_SWAP_FILE, &u.sf);
		if (fd >= 0)
			close(fd);
		break;
	}
	count();
}

static void op_sys_misc(void)
{
	int s = pick(K_SYS);
	static struct {
		struct vmem_cpuid h;
		struct vmem_cpuid_entry e[300];
	} c;
	struct vmem_limits l = { 0 };

	if (s < 0)
		return;
	switch (fz_below(&w.r, 4)) {
	case 0:
		ioctl(w.f[s].fd, VMEM_GET_API_VERSION, fz_chance(&w.r, 90) ? 0 : 1);
		break;
	case 1:
		ioctl(w.f[s].fd, VMEM_CHECK_EXTENSION, fz_chance(&w.r, 80) ?
		      fz_below(&w.r, 16) : fz_value(&w.r));
		break;
	case 2:
		l.flags = fz_chance(&w.r, 90) ? 0 : 1;
		ioctl(w.f[s].fd, VMEM_GET_LIMITS, &l);
		break;
	default:
		c.h.nent = fz_chance(&w.r, 70) ? fz_below(&w.r, 300) : fz_value(&w.r);
		if (c.h.nent > 300)
			c.h.nent = fz_chance(&w.r, 50) ? 300 : c.h.nent;
		ioctl(w.f[s].fd, VMEM_GET_SUPPORTED_CPUID, &c);
		break;
	}
	count();
}

/* Any vmem ioctl number, any direction and size, on any fd. */
static void op_raw_ioctl(void)
{
	static uint8_t buf[8192];
	int i = pick(K_FREE);
	unsigned long nr;

	if (i < 0)
		return;
	fz_bytes(&w.r, buf, 256);
	nr = _IOC(fz_below(&w.r, 4), VMEMIO, fz_below(&w.r, 0x50),
		  fz_chance(&w.r, 50) ? fz_below(&w.r, 0x2000) : 8 * fz_below(&w.r, 64));
	if (nr == VMEM_RUN || nr == VMEM_KICK)
		return;
	/* It may have replaced slot 0: no longer the layout's for sure. */
	set_ready(w.f[i].vm_id, false);
	ioctl(w.f[i].fd, nr, buf);
	count();
}

static void op_netlink(void)
{
	static struct nlt_reply R;
	static struct nlt_msg M;
	int v = pick(K_VM);

	if (!w.nl_open) {
		w.nl_open = nlt_open(&w.nl) == 0;
		count();
		if (!w.nl_open)
			return;
	}
	switch (fz_below(&w.r, 5)) {
	case 0:
		if (!w.pool_id)
			nlt_pool_new(&w.nl, POOL_NAME, 0, fz_below(&w.r, 4) * MB_PAGES,
				     fz_chance(&w.r, 50) ? VMEM_UNLIMITED :
				     fz_below(&w.r, 64) * MB_PAGES, fz_below(&w.r, 2),
				     &w.pool_id, &R);
		else
			nlt_pool_set(&w.nl, w.pool_id, 0,
				     fz_chance(&w.r, 50) ? VMEM_UNLIMITED :
				     fz_below(&w.r, 64) * MB_PAGES, &R);
		break;
	case 1:
		if (v >= 0)
			nlt_vm_set(&w.nl, w.f[v].vm_id, fz_chance(&w.r, 50) ? w.pool_id : 0,
				   fz_chance(&w.r, 50) ? ~0ull : fz_below(&w.r, 1024), &R);
		break;
	case 2:
		if (v >= 0) {
			nlt_init(&M, &w.nl, VMEM_CMD_VM_SET, 0);
			nlt_put_u32(&M, VMEM_A_VM_ID, w.f[v].vm_id);
			nlt_put_u64(&M, VMEM_A_LIMIT, fz_chance(&w.r, 50) ? VMEM_UNLIMITED :
				    fz_below(&w.r, 512));
			if (fz_chance(&w.r, 50))
				nlt_put_u8(&M, VMEM_A_PSHARE, fz_below(&w.r, 2));
			nlt_call(&w.nl, &M, &R);
		}
		break;
	case 3:
		if (v >= 0)
			nlt_vm_get(&w.nl, w.f[v].vm_id, &R);
		break;
	default:
		nlt_init(&M, &w.nl, VMEM_CMD_STATS_GET, 0);
		nlt_call(&w.nl, &M, &R);
		break;
	}
	count();
}

static const struct {
	void (*fn)(void);
	unsigned int weight;
} ops[] = {
	/* The order of fz_op_names[]. */
	{ op_open, 3 }, { op_close, 4 }, { op_dup, 2 }, { op_create_vm, 5 },
	{ op_create_vcpu, 6 }, { op_guest, 6 }, { op_memslot, 5 },
	{ op_backing, 5 }, { op_mmap, 5 }, { op_munmap, 3 }, { op_touch, 5 },
	{ op_regs, 5 }, { op_sregs, 6 }, { op_msrs, 4 }, { op_cpuid, 3 },
	{ op_dbg_fpu, 3 }, { op_inject, 4 }, { op_run, 14 }, { op_kick, 3 },
	{ op_vm_misc, 4 }, { op_sys_misc, 2 }, { op_raw_ioctl, 2 },
	{ op_netlink, 3 },
};

static const char *const fz_op_names[] = {
	"open", "close", "dup", "create_vm", "create_vcpu", "guest", "memslot",
	"backing", "mmap", "munmap", "touch", "regs", "sregs", "msrs", "cpuid",
	"dbg_fpu", "inject", "run", "kick", "vm_misc", "sys_misc", "raw_ioctl",
	"netlink",
};

static int fuzz_seq(uint64_t seed, struct fz_stats *st)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	unsigned int total = 0, i, c;
	int k;

	memset(&w, 0, sizeof(w));
	w.r.s = seed;
	w.st = st;
	for (k = 0; k < NFD; k++)
		w.kick_fd[k] = -1;
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGBUS, on_fault);
	signal(SIGSEGV, on_fault);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		total += ops[i].weight;
	/* Most sequences start with a runnable guest, so RUN gets far. */
	op_open();
	if (fz_chance(&w.r, 80)) {
		op_create_vm();
		op_create_vcpu();
		op_guest();
	}
	for (c = 0; c < CALLS_PER_SEQ; c++) {
		unsigned int x = fz_below(&w.r, total);

		for (i = 0; x >= ops[i].weight; i++)
			x -= ops[i].weight;
		if (fz_verbose) {
			printf("# call %u: %s\n", c, fz_op_names[i]);
			fflush(stdout);
		}
		ops[i].fn();
	}
	if (w.kicking) {
		atomic_store(&w.kick_stop, true);
		pthread_join(w.kicker, NULL);
	}
	st->seqs++;
	if (fz_chance(&w.r, 50)) {
		for (k = 0; k < NMAP; k++)
			if (w.m[k].p)
				munmap(w.m[k].p, w.m[k].len);
		for (k = 0; k < NFD; k++)
			if (w.f[k].kind != K_FREE)
				close(w.f[k].fd);
		if (w.pool_id) {
			/* The VMs are gone with their last fd and mapping. */
			for (k = 0; k < 100 && nlt_pool_del(&w.nl, w.pool_id) == -EBUSY; k++)
				usleep(10000);
		}
	}
	return 0;
}

static void drop_pool(void)
{
	static struct nlt_reply R;
	struct nlt_sock s;
	int i;

	if (nlt_open(&s) < 0)
		return;
	for (i = 0; i < 100; i++) {
		if (nlt_pool_get(&s, POOL_NAME, &R) == -ENOENT)
			break;
		if (nlt_pool_del(&s, nlt_u32(&R.reply, VMEM_A_POOL_ID)) == 0)
			break;
		usleep(20000);
	}
	nlt_close(&s);
}

static int setup(void)
{
	int ret = vt_require_vm(VMEM_VM_MMU_AUTO);

	if (ret != VT_PASS)
		return ret;
	vmx = fz_host_vmx();
	run_size = vt_check_extension(VMEM_CAP_RUN_SIZE);
	max_vcpus = vt_check_extension(VMEM_CAP_MAX_VCPUS);
	max_slots = vt_check_extension(VMEM_CAP_MAX_MEMSLOTS);
	if (run_size <= 0 || !vt_supported_cpuid())
		FAIL("VMEM_CAP_RUN_SIZE %ld or the supported CPUID missing",
		     run_size);
	drop_pool();
	return VT_PASS;
}

static void teardown(void)
{
	/* A sequence that exited with its VMs open left them to exit(). */
	drop_pool();
}

static int test_sequences(void)
{
	static const struct fz_fuzzer f = {
		.name = "fuzz_calls",
		.seqs = 600,
		.seqs_vmx = 60,
		.cap_s = 90,
		.seq_limit_s = 60,
		.seq = fuzz_seq,
		.cleanup = drop_pool,
	};

	return fz_run(&f);
}

static const struct vt_case cases[] = {
	VT_CASE(sequences),
};

VT_MAIN(cases, setup, teardown);
