/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench_vm.h - the two drivers behind one small interface, for the
 * benchmark programs: create a VM with one RAM slot at guest-physical 0
 * that the program fills through its own mapping, put a vCPU in 64-bit
 * mode, run it, and read its exits, on vmem (/dev/vmem) or on KVM
 * (/dev/kvm) alike.  Also the GDT/TSS every image starts from.
 */
#ifndef BENCH_VM_H
#define BENCH_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XSTR(x) STR(x)
#define STR(x) #x
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Fixed guest-physical places of the common image (bench_image_base()). */
#define GDT_GPA		0x1000ul
#define TSS_GPA		0x5000ul
#define SEL_CODE	0x08
#define SEL_DATA	0x10
#define SEL_TSS		0x18

/* How to create the VM. */
struct vm_opts {
	bool thp;		/* large first touch (KVM: THP; vmem: large_pages) */
	uint32_t vmem_mmu;	/* vmem: VMEM_VM_MMU_*; KVM: its module's npt/ept */
};

/* A segment, in a neutral form each backend converts. */
struct seg {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint8_t type, s, dpl, present, avl, l, db, g, unusable;
};

/* The vCPU state every workload starts from (64-bit mode). */
struct boot_state {
	struct seg cs, ds, tr, ldt;
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint64_t cr0, cr3, cr4, efer;
	uint64_t rip, rsp, rdi, rsi, rflags;
};

/* What a RUN ended with, as far as the benchmark cares. */
enum exit_kind { EX_OUT, EX_HYPERCALL, EX_OTHER };

struct exit_info {
	enum exit_kind kind;
	uint16_t port;
	uint8_t value;		/* EX_OUT: first data byte */
	uint32_t raw;		/* the driver's exit reason, for messages */
};

struct vm {
	int sys_fd, vm_fd, vcpu_fd;
	void *mem;
	size_t mem_size;
	void *run;
	size_t run_size;
};

struct backend {
	const char *name;
	const char *dev;
	/* A hypercall number the driver answers in the kernel with 0. */
	uint64_t hc_nop;
	int (*create)(struct vm *vm, size_t mem_size, const struct vm_opts *o);
	int (*setup)(struct vm *vm, const struct boot_state *st);
	/* One RUN; 0 with *ex filled, or -errno. */
	int (*run)(struct vm *vm, struct exit_info *ex);
	/* Answer a hypercall exit before the next run (vmem only). */
	void (*complete_hypercall)(struct vm *vm, uint64_t ret);
	void (*destroy)(struct vm *vm);
	/* An idle VM held for the whole program (see main()): its fd. */
	int (*keeper)(void);
};

#define NR_BACKENDS	2
extern const struct backend backends[NR_BACKENDS];

/* "program: message" on stderr. */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vm_close(struct vm *vm);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t now_ns(void);
/*
 * Write the GDT (null, 64-bit code, data, 64-bit TSS) and describe a
 * 64-bit vCPU state with flat segments, CR0.PG/PE, CR4.PAE and EFER.LMA/
 * LME; the caller fills cr3, rip, rsp and the argument registers.
 */
void bench_image_base(void *mem, struct boot_state *st);

#endif /* BENCH_VM_H */
