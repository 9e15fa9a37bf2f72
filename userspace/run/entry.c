// SPDX-License-Identifier: GPL-2.0
/*
 * entry.c - the CPU state a guest starts in: a flat GDT (code at 0x10,
 * data at 0x18, as the Linux boot protocol wants), and for 64-bit entry
 * identity-mapped page tables for the first 4 GiB (2 MiB pages) with
 * paging, PAE and long mode on.  See boot.h.
 */
#include <string.h>

#include "boot.h"

#define CR0_PE		(1ull << 0)
#define CR0_ET		(1ull << 4)
#define CR0_NE		(1ull << 5)
#define CR0_PG		(1ull << 31)
#define CR4_PAE		(1ull << 5)
#define EFER_LME	(1ull << 8)
#define EFER_LMA	(1ull << 10)

#define PTE_P		0x001ull
#define PTE_RW		0x002ull
#define PTE_PS		0x080ull

#define GDT_CODE64	0x00af9b000000ffffull	/* L, P, DPL 0, exec/read */
#define GDT_CODE32	0x00cf9b000000ffffull	/* D, G, exec/read */
#define GDT_DATA	0x00cf93000000ffffull	/* D, G, read/write */
#define GDT_TSS		0x00008b0000000067ull	/* busy 32/64-bit TSS */
#define GDT_ENTRIES	5			/* null, null, cs, ds, tr */
#define GDT_SEL_TSS	0x20

static void seg_flat(struct vmem_segment *s, uint16_t sel, uint8_t type,
		     bool l, bool db)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->s = 1;
	s->present = 1;
	s->l = l;
	s->db = db;
	s->g = 1;
}

static int write_page_tables(const struct guest_mem *mem)
{
	uint64_t *pml4, *pdpt, *pd;
	unsigned int i, j;

	pml4 = mem->map(mem->ctx, BOOT_PML4_ADDR, 6 * 4096);
	if (!pml4)
		return -1;
	memset(pml4, 0, 6 * 4096);
	pdpt = pml4 + 512;
	pml4[0] = (BOOT_PML4_ADDR + 0x1000) | PTE_P | PTE_RW;
	for (i = 0; i < 4; i++) {
		pdpt[i] = (BOOT_PML4_ADDR + 0x2000 + i * 0x1000) | PTE_P | PTE_RW;
		pd = pml4 + 512 * (2 + i);
		for (j = 0; j < 512; j++)
			pd[j] = ((uint64_t)i << 30 | (uint64_t)j << 21) |
				PTE_P | PTE_RW | PTE_PS;
	}
	return 0;
}

int boot_cpu_setup(enum boot_mode mode, uint64_t entry, uint64_t rsi,
		   uint64_t rsp, const struct guest_mem *mem,
		   struct vmem_regs *regs, struct vmem_sregs *sregs)
{
	bool lm = mode != BOOT_MODE_32;
	uint64_t *gdt;

	gdt = mem->map(mem->ctx, BOOT_GDT_ADDR, GDT_ENTRIES * 8);
	if (!gdt)
		return -1;
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = lm ? GDT_CODE64 : GDT_CODE32;
	gdt[3] = GDT_DATA;
	gdt[4] = GDT_TSS;
	if (lm && write_page_tables(mem))
		return -1;

	memset(sregs, 0, sizeof(*sregs));
	seg_flat(&sregs->cs, GDT_SEL_CODE, 0xb, lm, !lm);
	seg_flat(&sregs->ds, GDT_SEL_DATA, 0x3, false, true);
	sregs->es = sregs->ds;
	sregs->fs = sregs->ds;
	sregs->gs = sregs->ds;
	sregs->ss = sregs->ds;
	/* A busy TSS: VMX refuses to enter without a usable TR. */
	sregs->tr.selector = GDT_SEL_TSS;
	sregs->tr.limit = 0x67;
	sregs->tr.type = 0xb;
	sregs->tr.present = 1;
	sregs->ldt.unusable = 1;
	sregs->ldt.type = 0x2;
	sregs->gdt.base = BOOT_GDT_ADDR;
	sregs->gdt.limit = GDT_ENTRIES * 8 - 1;
	sregs->cr0 = CR0_PE | CR0_ET | CR0_NE;
	if (lm) {
		sregs->cr0 |= CR0_PG;
		sregs->cr3 = BOOT_PML4_ADDR;
		sregs->cr4 = CR4_PAE;
		sregs->efer = EFER_LME | EFER_LMA;
	}
	sregs->apic_base = 0xfee00000 | (1u << 8);	/* BSP; disabled */

	memset(regs, 0, sizeof(*regs));
	regs->rip = entry;
	regs->rsi = rsi;
	regs->rsp = rsp;
	regs->rflags = 0x2;
	return 0;
}
