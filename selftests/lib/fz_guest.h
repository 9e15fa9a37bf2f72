/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fz_guest.h - guest memory and states for the fuzzers: a fixed layout in
 * the first FZ_MEM_SIZE bytes of guest-physical memory (tables a guest of
 * any mode can use), vCPU states of each mode built on it, random short
 * guest code, and the filter that keeps QEMU's TCG alive (see
 * fz_emulator_safe()).
 */
#ifndef VMEM_FZ_GUEST_H
#define VMEM_FZ_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/vmem.h>

#include "fz.h"

/* Guest-physical layout, all below FZ_MEM_SIZE. */
#define FZ_MEM_SIZE	(1ull << 20)
#define FZ_PML4		0x1000ull
#define FZ_PDPT		0x2000ull
#define FZ_PD		0x3000ull	/* 2 MiB pages, GPA 0 .. 1 GiB */
#define FZ_PD32		0x4000ull	/* 4 MiB pages (PSE), 0 .. 4 GiB */
#define FZ_PDPT_PAE	0x5000ull
#define FZ_GDT		0x6000ull
#define FZ_IDT64	0x7000ull
#define FZ_IDT32	0x8000ull
#define FZ_HANDLER	0x9000ull	/* every vector: hlt; jmp back */
#define FZ_TSS32	0xa000ull
#define FZ_TSS64	0xa100ull
#define FZ_CODE		0x10000ull
#define FZ_CODE_MAX	0x1000u
#define FZ_STACK	0x70000ull	/* top of the CPL 0 stack */
#define FZ_USTACK	0x60000ull	/* top of the CPL 3 stack */

/* Selectors of the layout's GDT. */
#define FZ_SEL_CODE64	0x08
#define FZ_SEL_DATA	0x10
#define FZ_SEL_CODE32	0x18
#define FZ_SEL_CODE16	0x20
#define FZ_SEL_TSS	0x28
#define FZ_SEL_UCODE32	0x3b
#define FZ_SEL_UDATA	0x43
#define FZ_SEL_UCODE64	0x4b

enum fz_mode {
	FZ_REAL,
	FZ_V86,
	FZ_PROT16,
	FZ_PROT32,
	FZ_PROT32_PG,
	FZ_PAE,
	FZ_PROT32_CPL3,
	FZ_LONG64,
	FZ_COMPAT,
	FZ_LONG64_CPL3,
	FZ_NR_MODES,
};

extern const char *const fz_mode_names[FZ_NR_MODES];

/* Write the layout's tables into @mem (guest-physical 0 .. FZ_MEM_SIZE). */
void fz_guest_tables(uint8_t *mem);

/*
 * A documented-valid state of @mode for the layout: @sregs from scratch,
 * @regs with RIP at FZ_CODE (or its v86/real-mode equivalent).  @vmx:
 * the busy TSS type VMX requires; on SVM the available 32-bit type that
 * QEMU's TCG needs to take an interrupt at CPL 3 or in v86 mode.
 */
void fz_state(enum fz_mode mode, bool vmx, bool nxe, struct vmem_sregs *sregs,
	      struct vmem_regs *regs);

/* Random guest code for @mode: at most FZ_CODE_MAX bytes, ending in a
 * HLT loop; never a CR8 write, a TR or LDT load or a CPL change; with
 * @qemu, no DR7 write either (see fz_emulator_safe()). */
unsigned int fz_code(struct fz_rng *r, enum fz_mode mode, bool qemu,
		     uint8_t *buf);

/*
 * Whether QEMU 7.2's TCG, emulating SVM, survives running @sregs/@rflags:
 * it aborts ("invalid tss type") when a guest at CPL > 0 or in v86 mode
 * takes an interrupt through a TSS whose type is not 1 or 9, or ("invalid
 * tss") through any not-present TSS (also at CPL 0 through an IST in long
 * mode), asserts in its interrupt handling after a guest CR8 write, and
 * segfaults running a nested guest that enabled DR7 breakpoints, and
 * a guest with EFER.LME set outside long mode once kept its vCPU in the
 * guest for good (no interrupt or NMI taken: an RCU stall of the host):
 * protected and long mode need a present TR (of type 1 or 9 outside long
 * mode), CR8 stays 0, EFER.LME goes with LMA, and DR7's enable bits stay
 * 0 (fz_code() with @qemu writes no DR7; VMMs check VMEM_GET_DEBUGREGS).
 * Every state is safe under VMX (Bochs).
 */
bool fz_emulator_safe(const struct vmem_sregs *sregs, uint64_t rflags);

#endif /* VMEM_FZ_GUEST_H */
