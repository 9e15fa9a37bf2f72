// SPDX-License-Identifier: GPL-2.0
/*
 * fz_guest.c - guest layout, states and code of the fuzzers; see fz_guest.h.
 */
#include <string.h>

#include "fz_guest.h"
#include "vt_x86.h"

const char *const fz_mode_names[FZ_NR_MODES] = {
	[FZ_REAL] = "real", [FZ_V86] = "v86", [FZ_PROT16] = "prot16",
	[FZ_PROT32] = "prot32", [FZ_PROT32_PG] = "prot32-paging",
	[FZ_PAE] = "pae", [FZ_PROT32_CPL3] = "prot32-cpl3",
	[FZ_LONG64] = "long64", [FZ_COMPAT] = "compat",
	[FZ_LONG64_CPL3] = "long64-cpl3",
};

static void put64(uint8_t *mem, uint64_t gpa, uint64_t v)
{
	memcpy(mem + gpa, &v, 8);
}

static void put32(uint8_t *mem, uint64_t gpa, uint32_t v)
{
	memcpy(mem + gpa, &v, 4);
}

void fz_guest_tables(uint8_t *mem)
{
	static const uint64_t gdt[] = {
		0,
		0x00af9b000000ffffull,	/* 0x08 code64 */
		0x00cf93000000ffffull,	/* 0x10 data */
		0x00cf9b000000ffffull,	/* 0x18 code32 */
		0x008f9b000000ffffull,	/* 0x20 code16 */
		/* 0x28: 32-bit TSS at FZ_TSS32, available (16 bytes) */
		0x0000890000000067ull | (FZ_TSS32 << 16),
		0,
		0x00cffb000000ffffull,	/* 0x38 user code32 */
		0x00cff3000000ffffull,	/* 0x40 user data */
		0x00affb000000ffffull,	/* 0x48 user code64 */
	};
	unsigned int i;

	for (i = 0; i < 512; i++)
		put64(mem, FZ_PD + 8 * i, ((uint64_t)i << 21) | 0x87);
	for (i = 0; i < 1024; i++)
		put32(mem, FZ_PD32 + 4 * i, (i << 22) | 0x87);
	put64(mem, FZ_PML4, FZ_PDPT | 7);
	put64(mem, FZ_PDPT, FZ_PD | 7);
	for (i = 0; i < 4; i++)
		put64(mem, FZ_PDPT_PAE + 8 * i, FZ_PD | 1);
	memcpy(mem + FZ_GDT, gdt, sizeof(gdt));
	for (i = 0; i < 256; i++) {
		/* Interrupt gates, DPL 3 so INT n works from CPL 3. */
		put64(mem, FZ_IDT64 + 16 * i,
		      (FZ_HANDLER & 0xffff) | (uint64_t)FZ_SEL_CODE64 << 16 |
		      0xeeull << 40);
		put64(mem, FZ_IDT64 + 16 * i + 8, 0);
		put64(mem, FZ_IDT32 + 8 * i,
		      (FZ_HANDLER & 0xffff) | (uint64_t)FZ_SEL_CODE32 << 16 |
		      0xeeull << 40);
		/* Real mode: 0000:FZ_HANDLER. */
		put32(mem, 4 * i, (uint32_t)FZ_HANDLER);
	}
	mem[FZ_HANDLER] = 0xf4;		/* hlt */
	mem[FZ_HANDLER + 1] = 0xeb;	/* jmp hlt */
	mem[FZ_HANDLER + 2] = 0xfd;
	put32(mem, FZ_TSS32 + 4, FZ_STACK);		/* esp0 */
	put32(mem, FZ_TSS32 + 8, FZ_SEL_DATA);		/* ss0 */
	put32(mem, FZ_TSS32 + 0x66, 0x68u << 16);	/* no I/O map */
	put64(mem, FZ_TSS64 + 4, FZ_STACK);		/* rsp0 */
	put32(mem, FZ_TSS64 + 0x66, 0x68u << 16);
}

static void seg(struct vmem_segment *s, uint16_t sel, uint64_t base,
		uint32_t limit, uint8_t type, uint8_t dpl, uint8_t l,
		uint8_t db, uint8_t g)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = base;
	s->limit = limit;
	s->type = type;
	s->s = 1;
	s->dpl = dpl;
	s->present = 1;
	s->l = l;
	s->db = db;
	s->g = g;
}

void fz_state(enum fz_mode mode, bool vmx, bool nxe, struct vmem_sregs *sr,
	      struct vmem_regs *regs)
{
	bool lm = mode == FZ_LONG64 || mode == FZ_COMPAT ||
		  mode == FZ_LONG64_CPL3;
	uint8_t dpl = 0;

	memset(sr, 0, sizeof(*sr));
	memset(regs, 0, sizeof(*regs));
	regs->rflags = X86_EFLAGS_FIXED;
	regs->rip = FZ_CODE;
	regs->rsp = FZ_STACK - 64;

	sr->gdt.base = FZ_GDT;
	sr->gdt.limit = 10 * 8 - 1;
	sr->idt.base = lm ? FZ_IDT64 : FZ_IDT32;
	sr->idt.limit = lm ? 256 * 16 - 1 : 256 * 8 - 1;
	sr->tr.selector = FZ_SEL_TSS;
	sr->tr.base = lm ? FZ_TSS64 : FZ_TSS32;
	sr->tr.limit = 0x67;
	sr->tr.type = lm || vmx ? 0xb : 0x9;
	sr->tr.present = 1;
	sr->ldt.type = 0x2;
	sr->ldt.unusable = 1;
	sr->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_MP;
	sr->cr4 = X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	sr->apic_base = 0xfee00900;

	switch (mode) {
	case FZ_REAL:
	case FZ_V86:
		dpl = mode == FZ_V86 ? 3 : 0;
		seg(&sr->cs, FZ_CODE >> 4, FZ_CODE, 0xffff, mode == FZ_V86 ? 3 : 0xb,
		    dpl, 0, 0, 0);
		seg(&sr->ss, 0x6000, 0x60000, 0xffff, 3, dpl, 0, 0, 0);
		seg(&sr->ds, 0, 0, 0xffff, 3, dpl, 0, 0, 0);
		regs->rip = 0;
		regs->rsp = 0xfff0;
		if (mode == FZ_REAL) {
			sr->cr0 = X86_CR0_ET;
			sr->cr4 = 0;
			sr->idt.base = 0;
			sr->idt.limit = 0x3ff;
			sr->gdt.base = 0;
			sr->gdt.limit = 0xffff;
			sr->tr.type = 0xb;
			sr->tr.selector = 0;
			sr->tr.base = 0;
			sr->tr.limit = 0xffff;
			sr->ldt.unusable = 0;
			sr->ldt.present = 1;
			sr->ldt.limit = 0xffff;
		} else {
			regs->rflags |= 1ull << 17;	/* VM */
		}
		break;
	case FZ_PROT16:
		seg(&sr->cs, FZ_SEL_CODE16, FZ_CODE, 0xffffffff, 0xb, 0, 0, 0, 1);
		seg(&sr->ss, FZ_SEL_DATA, 0, 0xffffffff, 3, 0, 0, 1, 1);
		regs->rip = 0;
		break;
	case FZ_PROT32:
	case FZ_PROT32_PG:
	case FZ_PAE:
	case FZ_PROT32_CPL3:
		dpl = mode == FZ_PROT32_CPL3 ? 3 : 0;
		seg(&sr->cs, dpl ? FZ_SEL_UCODE32 : FZ_SEL_CODE32, 0, 0xffffffff,
		    0xb, dpl, 0, 1, 1);
		seg(&sr->ss, dpl ? FZ_SEL_UDATA : FZ_SEL_DATA, 0, 0xffffffff, 3,
		    dpl, 0, 1, 1);
		if (dpl)
			regs->rsp = FZ_USTACK - 64;
		if (mode == FZ_PROT32_PG) {
			sr->cr0 |= X86_CR0_PG | X86_CR0_WP;
			sr->cr4 |= X86_CR4_PSE;
			sr->cr3 = FZ_PD32;
		} else if (mode == FZ_PAE) {
			sr->cr0 |= X86_CR0_PG;
			sr->cr4 |= X86_CR4_PAE;
			sr->cr3 = FZ_PDPT_PAE;
		}
		break;
	case FZ_LONG64:
	case FZ_COMPAT:
	case FZ_LONG64_CPL3:
		dpl = mode == FZ_LONG64_CPL3 ? 3 : 0;
		if (mode == FZ_COMPAT)
			seg(&sr->cs, FZ_SEL_CODE32, 0, 0xffffffff, 0xb, 0, 0, 1, 1);
		else
			seg(&sr->cs, dpl ? FZ_SEL_UCODE64 : FZ_SEL_CODE64, 0,
			    0xffffffff, 0xb, dpl, 1, 0, 1);
		seg(&sr->ss, dpl ? FZ_SEL_UDATA : FZ_SEL_DATA, 0, 0xffffffff, 3,
		    dpl, 0, 1, 1);
		if (dpl)
			regs->rsp = FZ_USTACK - 64;
		sr->cr0 |= X86_CR0_PG | X86_CR0_WP;
		sr->cr4 |= X86_CR4_PAE;
		sr->cr3 = FZ_PML4;
		sr->efer = EFER_LME | EFER_LMA | (nxe ? EFER_NXE : 0);
		break;
	default:
		break;
	}
	if (mode != FZ_REAL && mode != FZ_V86)
		sr->ds = sr->ss;
	sr->es = sr->fs = sr->gs = sr->ds;
}

/* Instructions that decode the same length in every mode (no immediates
 * or addresses whose size depends on it), none writing CR8, TR, LDTR, or
 * changing the CPL. */
static const struct {
	uint8_t len;
	uint8_t b[4];
} fz_insns[] = {
	{ 1, { 0x90 } },		/* nop */
	{ 1, { 0xf4 } },		/* hlt */
	{ 2, { 0x0f, 0xa2 } },		/* cpuid */
	{ 2, { 0xe6, 0x80 } },		/* out 0x80, al */
	{ 2, { 0xe4, 0x71 } },		/* in al, 0x71 */
	{ 1, { 0xee } },		/* out dx, al */
	{ 1, { 0xed } },		/* in (e)ax, dx */
	{ 2, { 0xf3, 0x6e } },		/* rep outsb */
	{ 2, { 0xf3, 0x6c } },		/* rep insb */
	{ 1, { 0xcc } },		/* int3 */
	{ 2, { 0x0f, 0x0b } },		/* ud2 */
	{ 2, { 0x9c, 0x9d } },		/* pushf; popf */
	{ 2, { 0x0f, 0x31 } },		/* rdtsc */
	{ 3, { 0x0f, 0x01, 0xf9 } },	/* rdtscp */
	{ 1, { 0xfa } },		/* cli */
	{ 1, { 0xfb } },		/* sti */
	{ 3, { 0x0f, 0x01, 0xd9 } },	/* vmmcall */
	{ 3, { 0x0f, 0x01, 0xc1 } },	/* vmcall */
	{ 2, { 0x0f, 0x32 } },		/* rdmsr */
	{ 2, { 0x0f, 0x30 } },		/* wrmsr */
	{ 2, { 0xf3, 0x90 } },		/* pause */
	{ 3, { 0x0f, 0x01, 0xd0 } },	/* xgetbv */
	{ 3, { 0x0f, 0x01, 0xd1 } },	/* xsetbv */
	{ 2, { 0x0f, 0x09 } },		/* wbinvd */
	{ 2, { 0x8b, 0x00 } },		/* mov (e)ax, [(e)ax / bx+si] */
	{ 2, { 0x89, 0x00 } },		/* mov [...], (e)ax */
	{ 3, { 0x0f, 0x01, 0xc8 } },	/* monitor */
	{ 3, { 0x0f, 0x01, 0xc9 } },	/* mwait */
	{ 3, { 0x0f, 0x20, 0xc0 } },	/* mov eax, cr0 */
	{ 3, { 0x0f, 0x20, 0xd8 } },	/* mov eax, cr3 */
	{ 3, { 0x0f, 0x20, 0xe0 } },	/* mov eax, cr4 */
	{ 3, { 0x0f, 0x21, 0xc0 } },	/* mov eax, dr0 */
	{ 3, { 0x0f, 0x23, 0xc0 } },	/* mov dr0, eax */
	{ 3, { 0x0f, 0x23, 0xf8 } },	/* mov dr7, eax */
	{ 3, { 0x0f, 0x01, 0xf8 } },	/* swapgs */
	{ 3, { 0x0f, 0xae, 0xf0 } },	/* mfence */
	{ 2, { 0x0f, 0x33 } },		/* rdpmc */
	{ 3, { 0x0f, 0x01, 0xda } },	/* vmload */
	{ 3, { 0x0f, 0x01, 0xdd } },	/* clgi */
	{ 2, { 0xeb, 0xfe } },		/* jmp $: a kick or signal ends it */
};

#define FZ_INSN_DR7	33	/* fz_insns[] index of mov dr7, eax */

unsigned int fz_code(struct fz_rng *r, enum fz_mode mode, bool qemu,
		     uint8_t *buf)
{
	bool o16 = mode == FZ_REAL || mode == FZ_V86 || mode == FZ_PROT16;
	unsigned int n = 0, k = 1 + fz_below(r, 12), i;
	/* mov to CR0, CR3, CR4: the ModRM bytes; never CR8 (no REX). */
	static const uint8_t crs[] = { 0xc0, 0xd8, 0xe0 };

	for (i = 0; i < k; i++) {
		if (fz_chance(r, 15)) {
			/* mov eax, crN; xor eax, 1 << bit; mov crN, eax */
			uint8_t m = crs[fz_below(r, 3)];
			uint32_t bit = 1u << fz_below(r, 32);

			buf[n++] = 0x0f; buf[n++] = 0x20; buf[n++] = m;
			if (o16)
				buf[n++] = 0x66;
			buf[n++] = 0x35;
			memcpy(buf + n, &bit, 4);
			n += 4;
			buf[n++] = 0x0f; buf[n++] = 0x22; buf[n++] = m;
		} else if (fz_chance(r, 10)) {
			buf[n++] = 0xcd;			/* int n */
			buf[n++] = fz_below(r, 256);
		} else {
			unsigned int j = fz_below(r, sizeof(fz_insns) /
						     sizeof(fz_insns[0]));

			if (qemu && j == FZ_INSN_DR7)
				j = 0;

			memcpy(buf + n, fz_insns[j].b, fz_insns[j].len);
			n += fz_insns[j].len;
		}
	}
	buf[n++] = 0xf4;	/* hlt; jmp hlt */
	buf[n++] = 0xeb;
	buf[n++] = 0xfd;
	return n;
}

bool fz_emulator_safe(const struct vmem_sregs *sr, uint64_t rflags)
{
	(void)rflags;
	if (sr->cr8)
		return false;
	/* EFER.LME outside long mode: the vCPU ran on without exits. */
	if ((sr->efer & EFER_LME) && !(sr->efer & EFER_LMA))
		return false;
	if (!(sr->cr0 & X86_CR0_PE))
		return true;
	if (!sr->tr.present || sr->tr.unusable)
		return false;
	if (sr->efer & EFER_LMA)
		return true;
	return (sr->tr.type & 7) == 1;
}
