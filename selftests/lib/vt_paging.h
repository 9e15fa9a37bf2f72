/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vt_paging.h - guest page tables for the paging modes other than the
 * library's own 64-bit identity map: 32-bit paging (2 levels, 4-byte
 * entries, 4 MiB pages with CR4.PSE) and PAE paging (a 4-entry PDPT, then
 * 2 levels of 8-byte entries, 2 MiB pages), built by the host in guest
 * memory so a test can then read back the accessed and dirty bits the
 * guest's accesses set.
 *
 *	struct vt_pt pt;
 *
 *	vt_pt_init(vm, &pt, VT_PT_PAE);
 *	vt_pt_map(&pt, 0x40000000, data_gpa, VT_PTE_W | VT_PTE_U);
 *	vt_pt_map(&pt, 0x40200000, large_gpa, VT_PTE_W | VT_PTE_PS);
 *	sregs.cr3 = pt.root;
 *	...
 *	EXPECT_EQ(vt_pt_leaf(&pt, 0x40000000) & VT_PTE_D, VT_PTE_D);
 *
 * Tables are pages from vm_alloc(), below 4 GiB as a 32-bit CR3 needs;
 * entries above the leaf are present, writable and user (the leaf decides
 * the permissions).  Functions return 0, or -1 with errno (EINVAL: a bad
 * alignment or a conflicting mapping; ENOMEM: vm_alloc() failed).
 */
#ifndef VMEM_VT_PAGING_H
#define VMEM_VT_PAGING_H

#include <stdbool.h>
#include <stdint.h>

struct vt_vm;

/* Entry bits, the same in every x86 paging mode (NX: PAE and 4-level). */
#define VT_PTE_P		(1ull << 0)
#define VT_PTE_W		(1ull << 1)
#define VT_PTE_U		(1ull << 2)
#define VT_PTE_A		(1ull << 5)
#define VT_PTE_D		(1ull << 6)
#define VT_PTE_PS		(1ull << 7)
#define VT_PTE_G		(1ull << 8)
#define VT_PTE_NX		(1ull << 63)

enum vt_pt_mode {
	VT_PT_32BIT,		/* CR4.PAE=0; VT_PTE_PS maps 4 MiB */
	VT_PT_PAE,		/* CR4.PAE=1; VT_PTE_PS maps 2 MiB */
};

struct vt_pt {
	struct vt_vm *vm;
	enum vt_pt_mode mode;
	uint64_t root;		/* the value for CR3: page directory or PDPT */
};

int vt_pt_init(struct vt_vm *vm, struct vt_pt *pt, enum vt_pt_mode mode);
/*
 * Map the page at linear @va to guest-physical @pa with @flags (VT_PTE_P
 * is added): a 4 KiB page, or with VT_PTE_PS a 4 MiB (32-bit) or 2 MiB
 * (PAE) one.  A 4 KiB mapping where a large page is, or the reverse, is
 * EINVAL.  VT_PTE_NX in 32-bit tables is EINVAL (no such bit there).
 */
int vt_pt_map(struct vt_pt *pt, uint32_t va, uint64_t pa, uint64_t flags);
/*
 * Guest-physical address of the entry for @va at @level (1: the PTE,
 * 2: the PDE, 3: the PAE PDPTE), 0 if a level above is not present.
 */
uint64_t vt_pt_entry_gpa(struct vt_pt *pt, uint32_t va, int level);
/* That entry's value (4 bytes in 32-bit tables), 0 if absent. */
uint64_t vt_pt_entry(struct vt_pt *pt, uint32_t va, int level);
/* The leaf that maps @va: the PTE, or the PDE of a large page. */
uint64_t vt_pt_leaf(struct vt_pt *pt, uint32_t va);
/* Overwrite the leaf (e.g. to clear A/D or change permissions). */
int vt_pt_set_leaf(struct vt_pt *pt, uint32_t va, uint64_t entry);

#endif /* VMEM_VT_PAGING_H */
