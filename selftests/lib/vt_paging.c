// SPDX-License-Identifier: GPL-2.0
/*
 * vt_paging.c - 32-bit and PAE guest page tables built by the host (see
 * vt_paging.h).  Layouts from the Intel SDM vol. 3A, 4.3 (32-bit paging)
 * and 4.4 (PAE paging).
 */
#include <errno.h>
#include <string.h>

#include "vt_paging.h"
#include "vt_vm.h"

#define PT_ADDR_32	0xfffff000ull
#define PT_ADDR_PAE	0x000ffffffffff000ull

static bool pt_pae(const struct vt_pt *pt)
{
	return pt->mode == VT_PT_PAE;
}

static unsigned int pt_entry_size(const struct vt_pt *pt)
{
	return pt_pae(pt) ? 8 : 4;
}

static int pt_top(const struct vt_pt *pt)
{
	return pt_pae(pt) ? 3 : 2;
}

static unsigned int pt_index(const struct vt_pt *pt, uint32_t va, int level)
{
	if (!pt_pae(pt))
		return level == 2 ? va >> 22 : (va >> 12) & 0x3ff;
	switch (level) {
	case 3:
		return va >> 30;
	case 2:
		return (va >> 21) & 0x1ff;
	default:
		return (va >> 12) & 0x1ff;
	}
}

static uint64_t pt_addr(const struct vt_pt *pt, uint64_t e)
{
	return e & (pt_pae(pt) ? PT_ADDR_PAE : PT_ADDR_32);
}

static int pt_read(const struct vt_pt *pt, uint64_t gpa, uint64_t *e)
{
	*e = 0;
	return vm_read(pt->vm, gpa, e, pt_entry_size(pt));
}

static int pt_write(const struct vt_pt *pt, uint64_t gpa, uint64_t e)
{
	return vm_write(pt->vm, gpa, &e, pt_entry_size(pt));
}

int vt_pt_init(struct vt_vm *vm, struct vt_pt *pt, enum vt_pt_mode mode)
{
	memset(pt, 0, sizeof(*pt));
	if (mode != VT_PT_32BIT && mode != VT_PT_PAE) {
		errno = EINVAL;
		return -1;
	}
	pt->vm = vm;
	pt->mode = mode;
	/* A page is more than a PDPT needs, and 32-byte aligned. */
	pt->root = vm_alloc(vm, VT_PAGE_SIZE);
	if (!pt->root || pt->root >> 32) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

uint64_t vt_pt_entry_gpa(struct vt_pt *pt, uint32_t va, int level)
{
	uint64_t table = pt->root, e;
	int l;

	if (level < 1 || level > pt_top(pt))
		return 0;
	for (l = pt_top(pt); l > level; l--) {
		if (pt_read(pt, table + pt_index(pt, va, l) * pt_entry_size(pt),
			    &e) || !(e & VT_PTE_P))
			return 0;
		/* A large page has no table below. */
		if (l == 2 && (e & VT_PTE_PS))
			return 0;
		table = pt_addr(pt, e);
	}
	return table + pt_index(pt, va, level) * pt_entry_size(pt);
}

uint64_t vt_pt_entry(struct vt_pt *pt, uint32_t va, int level)
{
	uint64_t gpa = vt_pt_entry_gpa(pt, va, level), e;

	if (!gpa || pt_read(pt, gpa, &e))
		return 0;
	return e;
}

static uint64_t pt_leaf_gpa(struct vt_pt *pt, uint32_t va)
{
	uint64_t pde = vt_pt_entry(pt, va, 2);

	if ((pde & VT_PTE_P) && (pde & VT_PTE_PS))
		return vt_pt_entry_gpa(pt, va, 2);
	return vt_pt_entry_gpa(pt, va, 1);
}

uint64_t vt_pt_leaf(struct vt_pt *pt, uint32_t va)
{
	uint64_t gpa = pt_leaf_gpa(pt, va), e;

	if (!gpa || pt_read(pt, gpa, &e))
		return 0;
	return e;
}

int vt_pt_set_leaf(struct vt_pt *pt, uint32_t va, uint64_t entry)
{
	uint64_t gpa = pt_leaf_gpa(pt, va);

	if (!gpa) {
		errno = EINVAL;
		return -1;
	}
	return pt_write(pt, gpa, entry);
}

/* The table the entry at @gpa points to, made if absent. */
static int pt_table_below(struct vt_pt *pt, uint64_t gpa, int level,
			  uint64_t *table)
{
	uint64_t e, t;

	if (pt_read(pt, gpa, &e))
		return -1;
	if (e & VT_PTE_P) {
		if (level == 2 && (e & VT_PTE_PS)) {
			errno = EINVAL;	/* a large page is there */
			return -1;
		}
		*table = pt_addr(pt, e);
		return 0;
	}
	t = vm_alloc(pt->vm, VT_PAGE_SIZE);
	if (!t || t >> 32) {
		errno = ENOMEM;
		return -1;
	}
	/* PAE PDPTEs have no W, U or A bits (they are reserved there). */
	e = t | VT_PTE_P;
	if (level != 3)
		e |= VT_PTE_W | VT_PTE_U;
	if (pt_write(pt, gpa, e))
		return -1;
	*table = t;
	return 0;
}

int vt_pt_map(struct vt_pt *pt, uint32_t va, uint64_t pa, uint64_t flags)
{
	bool large = flags & VT_PTE_PS;
	uint64_t size = large ? (pt_pae(pt) ? 2ull << 20 : 4ull << 20) :
			VT_PAGE_SIZE;
	int leaf_level = large ? 2 : 1, l;
	uint64_t table = pt->root, gpa, old;

	if ((va & (size - 1)) || (pa & (size - 1)) ||
	    (!pt_pae(pt) && ((flags & VT_PTE_NX) || (pa >> 32)))) {
		errno = EINVAL;
		return -1;
	}
	for (l = pt_top(pt); l > leaf_level; l--) {
		gpa = table + pt_index(pt, va, l) * pt_entry_size(pt);
		if (pt_table_below(pt, gpa, l, &table))
			return -1;
	}
	gpa = table + pt_index(pt, va, leaf_level) * pt_entry_size(pt);
	if (large) {
		/* Not over a page table. */
		if (pt_read(pt, gpa, &old))
			return -1;
		if ((old & VT_PTE_P) && !(old & VT_PTE_PS)) {
			errno = EINVAL;
			return -1;
		}
	}
	return pt_write(pt, gpa, pa | flags | VT_PTE_P);
}
