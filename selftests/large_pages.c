// SPDX-License-Identifier: GPL-2.0
/*
 * large_pages - the large first touch (Documentation/api.rst section 6,
 * Documentation/module-parameters.rst large_pages): on a hardware-MMU
 * VM the guest's first touch of an untouched 2 MiB range inside one
 * writable slot backs the whole range at once (Granted += 512) with pages
 * that read zero; everything else stays 4 KiB (Granted += 1): a range the
 * VMM touched first, the partial 2 MiB ranges at the ends of a slot that
 * is not 2 MiB aligned, a slot smaller than 2 MiB, a read-only slot, a
 * slot with VMEM_MEMSLOT_SMALL_PAGES, the module parameter off, and
 * shadow-MMU VMs.  Inside a large range, a sharing merge and then guest
 * and VMM copy-on-write keep every word exact; deleting the slot frees
 * all 512 pages and a re-created slot reads zero.  (Events delivered
 * across the break-up of a 2 MiB leaf: large_pages_events.)
 *
 * Granted is counted exactly, so every VM here is created with the MMU it
 * needs and every slot with the flags it needs.  A case counting 512
 * fails if no free 2 MiB block was found (vmem then falls back to 4 KiB
 * by design); the freshly booted test machine always has them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vt.h"
#include "vt_param.h"
#include "vt_util.h"
#include "vt_vm.h"

#define PG		4096ull
#define LARGE		(2ull << 20)
#define NPAGES		(LARGE / PG)
#define DATA_GPA	(1ull << 30)
#define DATA_SIZE	(8ull << 20)

/* ---------------------------------------------------------------------- */
/* Guest: one command per run, from globals the host sets                 */

enum { OP_READ_ZERO = 1, OP_WRITE, OP_FILL, OP_CHECK, OP_CHECK_ZERO };

static volatile uint64_t g_op, g_addr, g_npages, g_seed;

/* Page @i's word under @seed: every fourth page the same, to be merged. */
static uint64_t pattern(uint64_t seed, uint64_t i)
{
	return i % 4 ? seed + i : 0x5a5a000000000000ull;
}

static void guest_cmd(void)
{
	for (;;) {
		volatile uint64_t *p = (volatile uint64_t *)g_addr;
		uint64_t n = g_npages * (PG / 8);

		switch (g_op) {
		case OP_READ_ZERO:
			GUEST_ASSERT_EQ(*p, 0);
			break;
		case OP_WRITE:
			*p = g_seed;
			break;
		case OP_FILL:
			for (uint64_t w = 0; w < n; w++)
				p[w] = pattern(g_seed, w / (PG / 8));
			break;
		case OP_CHECK:
			for (uint64_t w = 0; w < n; w++)
				GUEST_ASSERT_EQ(p[w], pattern(g_seed, w / (PG / 8)));
			break;
		case OP_CHECK_ZERO:
			for (uint64_t w = 0; w < n; w++)
				GUEST_ASSERT_EQ(p[w], 0);
			break;
		default:
			GUEST_ASSERT_EQ(g_op, 0);
		}
		GUEST_SYNC(g_op);
	}
}

/* ---------------------------------------------------------------------- */
/* Host helpers                                                            */

struct env {
	struct vt_vm *vm;
	struct vt_vcpu *vcpu;
};

static int env_create(struct env *e, unsigned int mmu)
{
	e->vm = vm_create(mmu);
	if (!e->vm)
		return -1;
	e->vcpu = vcpu_add(e->vm, 0, guest_cmd);
	return e->vcpu ? 0 : -1;
}

/* Run one guest command; true if the guest reported it done. */
static bool cmd(struct env *e, uint64_t op, uint64_t addr, uint64_t npages,
		uint64_t seed)
{
	struct vt_ucall uc;

	*VM_GUEST_PTR(e->vm, g_op) = op;
	*VM_GUEST_PTR(e->vm, g_addr) = addr;
	*VM_GUEST_PTR(e->vm, g_npages) = npages;
	*VM_GUEST_PTR(e->vm, g_seed) = seed;
	EXPECT_RUN_UCALL(e->vcpu, UCALL_SYNC, &uc);
	return !vt_case_failed() && uc.args[0] == op;
}

static long long granted(struct vt_vm *vm)
{
	struct vmem_vm_stats st;

	return vm_get_stats(vm, &st) ? -1 : (long long)st.granted;
}

/* Granted after the guest reads the qword at @gpa (which must be 0). */
static long long touch_delta(struct env *e, uint64_t gpa)
{
	long long before = granted(e->vm);

	if (!cmd(e, OP_READ_ZERO, gpa, 0, 0))
		return -1;
	return granted(e->vm) - before;
}

/* Parameters the cases change, put back by teardown(). */
static const char *const knobs[] = {
	"large_pages", "share_scan_pages", "share_scan_sleep_ms",
	"share_scan_ghz",
};
static struct vt_params saved;

static int setup(void)
{
	int r = vt_require_vm(VMEM_VM_MMU_AUTO);

	if (r != VT_PASS)
		return r;
	if (vt_params_save(&saved, knobs, 4))
		return vt_fail_at(__FILE__, __LINE__, "cannot read %s",
				  VT_SYSFS_PARAM("{large_pages,share_scan_*}"));
	/* Off by default (module-parameters.rst); the cases want it on. */
	if (vt_param_set("large_pages", 1))
		return vt_fail_at(__FILE__, __LINE__, "cannot set large_pages");
	return VT_PASS;
}

static void teardown(void)
{
	vt_params_restore(&saved);
}

/* The cases counting 512 need a hardware-MMU VM and the parameter on. */
static int require_large(void)
{
	long on;

	if (vt_check_extension(VMEM_CAP_HW_MMU) != 1)
		return vt_skip("no VMEM_CAP_HW_MMU: large first touch is for NPT/EPT VMs");
	if (vt_param_get("large_pages", &on) || !on)
		return vt_skip("large_pages=0");
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Cases                                                                   */

/* One read in an untouched 2 MiB range grants it whole; all of it is 0. */
static int test_first_touch(void)
{
	struct vt_leaks base;
	struct env e;
	long long g0;
	int r = require_large();

	if (r != VT_PASS)
		return r;
	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_OK(env_create(&e, VMEM_VM_MMU_HW));
	ASSERT_OK(vm_add_slot(e.vm, 1, DATA_GPA, DATA_SIZE, 0));

	g0 = granted(e.vm);
	EXPECT_EQ(touch_delta(&e, DATA_GPA + LARGE + 0x1238), NPAGES);
	/* Every word of the range reads zero, and nothing more is granted. */
	ASSERT_TRUE(cmd(&e, OP_CHECK_ZERO, DATA_GPA + LARGE, NPAGES, 0));
	EXPECT_EQ(granted(e.vm) - g0, NPAGES);
	/* Written and read back by the guest, seen through the VMM mapping. */
	ASSERT_TRUE(cmd(&e, OP_FILL, DATA_GPA + LARGE, NPAGES, 0x1000));
	ASSERT_TRUE(cmd(&e, OP_CHECK, DATA_GPA + LARGE, NPAGES, 0x1000));
	for (uint64_t i = 0; i < NPAGES; i += 37) {
		uint64_t *p = vm_gpa2hva(e.vm, DATA_GPA + LARGE + i * PG + 8);

		EXPECT_EQ(*p, pattern(0x1000, i));
	}
	/* A write as the first touch of the next range does the same. */
	{
		long long g1 = granted(e.vm);

		ASSERT_TRUE(cmd(&e, OP_WRITE, DATA_GPA + 2 * LARGE + 5 * PG, 0, 7));
		EXPECT_EQ(granted(e.vm) - g1, NPAGES);
	}
	EXPECT_EQ(granted(e.vm) - g0, 2 * NPAGES);
	vm_free(e.vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* A range the VMM touched first stays 4 KiB: nothing is allocated twice. */
static int test_vmm_touched_first(void)
{
	struct env e;
	int r = require_large();

	if (r != VT_PASS)
		return r;
	ASSERT_OK(env_create(&e, VMEM_VM_MMU_HW));
	ASSERT_OK(vm_add_slot(e.vm, 1, DATA_GPA, DATA_SIZE, 0));
	*(volatile uint64_t *)vm_gpa2hva(e.vm, DATA_GPA + 100 * PG) = 0;
	EXPECT_EQ(touch_delta(&e, DATA_GPA + 3 * PG), 1);
	EXPECT_EQ(touch_delta(&e, DATA_GPA + 4 * PG), 1);
	vm_free(e.vm);
	return VT_PASS;
}

/*
 * A slot 4 KiB off a 2 MiB boundary: only the aligned 2 MiB ranges it
 * holds whole are large; its partial ends, and a slot smaller than 2 MiB,
 * get 4 KiB pages.
 */
static int test_unaligned_slot(void)
{
	const uint64_t gpa = DATA_GPA + PG, size = 2 * LARGE;
	struct env e;
	int r = require_large();

	if (r != VT_PASS)
		return r;
	ASSERT_OK(env_create(&e, VMEM_VM_MMU_HW));
	ASSERT_OK(vm_add_slot(e.vm, 1, gpa, size, 0));
	ASSERT_OK(vm_add_slot(e.vm, 2, DATA_GPA + 4 * LARGE, LARGE / 2, 0));
	/* [gpa, 2 MiB): partial. */
	EXPECT_EQ(touch_delta(&e, gpa), 1);
	EXPECT_EQ(touch_delta(&e, DATA_GPA + LARGE - PG), 1);
	/* [2 MiB, 4 MiB): whole. */
	EXPECT_EQ(touch_delta(&e, DATA_GPA + LARGE + 9 * PG), NPAGES);
	/* [4 MiB, gpa + size): partial, one page. */
	EXPECT_EQ(touch_delta(&e, gpa + size - PG), 1);
	/* 1 MiB slot, aligned but smaller than 2 MiB. */
	EXPECT_EQ(touch_delta(&e, DATA_GPA + 4 * LARGE), 1);
	vm_free(e.vm);
	return VT_PASS;
}

/* Read-only and VMEM_MEMSLOT_SMALL_PAGES slots: 4 KiB. */
static int test_slot_flags(void)
{
	struct vmem_memslot bad = { .slot = 3, .gpa = DATA_GPA + 8 * LARGE,
				    .size = LARGE, .flags = 1u << 31 };
	struct env e;
	int r = require_large();

	if (r != VT_PASS)
		return r;
	ASSERT_OK(env_create(&e, VMEM_VM_MMU_HW));
	ASSERT_OK(vm_add_slot(e.vm, 1, DATA_GPA, LARGE, VMEM_MEMSLOT_READONLY));
	ASSERT_OK(vm_add_slot(e.vm, 2, DATA_GPA + 2 * LARGE, 2 * LARGE,
			      VMEM_MEMSLOT_SMALL_PAGES));
	EXPECT_EQ(touch_delta(&e, DATA_GPA + PG), 1);
	EXPECT_EQ(touch_delta(&e, DATA_GPA + 2 * LARGE), 1);
	EXPECT_EQ(touch_delta(&e, DATA_GPA + 3 * LARGE + PG), 1);
	/* Unknown flags are still refused. */
	EXPECT_ERRNO(ioctl(e.vm->fd, VMEM_SET_MEMSLOT, &bad), EINVAL);
	vm_free(e.vm);
	return VT_PASS;
}

/* large_pages=0 at run time: 4 KiB from the next first touch on. */
static int test_parameter_off(void)
{
	struct env e;
	int r = require_large();

	if (r != VT_PASS)
		return r;
	ASSERT_OK(env_create(&e, VMEM_VM_MMU_HW));
	ASSERT_OK(vm_add_slot(e.vm, 1, DATA_GPA, DATA_SIZE, 0));
	ASSERT_OK(vt_param_set("large_pages", 0));
	EXPECT_EQ(touch_delta(&e, DATA_GPA), 1);
	ASSERT_OK(vt_param_set("large_pages", 1));
	EXPECT_EQ(touch_delta(&e, DATA_GPA + LARGE), NPAGES);
	vm_free(e.vm);
	return VT_PASS;
}

/* The shadow MMU maps 4 KiB: its VMs never get a large first touch. */
static int test_shadow_small(void)
{
	struct env e;

	if (vt_check_extension(VMEM_CAP_SHADOW_MMU) != 1)
		return vt_skip("no VMEM_CAP_SHADOW_MMU");
	ASSERT_OK(env_create(&e, VMEM_VM_MMU_SHADOW));
	ASSERT_OK(vm_add_slot(e.vm, 1, DATA_GPA, DATA_SIZE, 0));
	EXPECT_EQ(touch_delta(&e, DATA_GPA + LARGE), 1);
	vm_free(e.vm);
	return VT_PASS;
}

/*
 * A sharing merge inside a large range (which breaks its 2 MiB leaf),
 * then guest and VMM writes to merged pages (copy-on-write): every word
 * stays exact, and Granted does not move.
 */
static int test_share_and_cow_inside(void)
{
	const uint64_t range = DATA_GPA + LARGE;
	struct vmem_pshare ps = { .flags = VMEM_PSHARE_SET_ENABLE };
	struct vmem_vm_stats st;
	struct vt_leaks base;
	long long g1;
	struct env e;
	int r = require_large();

	if (r != VT_PASS)
		return r;
	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_OK(env_create(&e, VMEM_VM_MMU_HW));
	/* Sharing off while the guest fills the range. */
	ps.enable = 0;
	ASSERT_OK(ioctl(e.vm->fd, VMEM_PSHARE, &ps));
	ASSERT_OK(vm_add_slot(e.vm, 1, DATA_GPA, DATA_SIZE, 0));
	EXPECT_EQ(touch_delta(&e, range), NPAGES);
	ASSERT_TRUE(cmd(&e, OP_FILL, range, NPAGES, 0x2000));
	g1 = granted(e.vm);

	/* A fast daemon: every page scanned at each wake-up, every jiffy. */
	ASSERT_OK(vt_params_share_fast());
	ps.enable = 1;
	ASSERT_OK(ioctl(e.vm->fd, VMEM_PSHARE, &ps));
	ASSERT_TRUE(vm_wait_share_passes(e.vm, 3));
	ASSERT_OK(vm_get_stats(e.vm, &st));
	vt_diag("after 3 passes: granted %llu shared %llu",
		(unsigned long long)st.granted, (unsigned long long)st.shared);
	/* The 128 pages of every fourth one are the same: merged. */
	EXPECT_GE(st.shared, NPAGES / 4);
	EXPECT_EQ(st.granted, g1);

	/* The guest reads every word through the broken-down range. */
	ASSERT_TRUE(cmd(&e, OP_CHECK, range, NPAGES, 0x2000));
	/* Copy-on-write by the guest (page 8) and by the VMM (page 12). */
	ASSERT_TRUE(cmd(&e, OP_WRITE, range + 8 * PG + 16, 0, 0xc0ffee));
	*(volatile uint64_t *)vm_gpa2hva(e.vm, range + 12 * PG + 24) = 0xbeef;
	EXPECT_EQ(*(uint64_t *)vm_gpa2hva(e.vm, range + 8 * PG + 16), 0xc0ffee);
	EXPECT_EQ(*(uint64_t *)vm_gpa2hva(e.vm, range + 4 * PG + 16),
		  pattern(0x2000, 4));
	/* Undo both writes from the guest, then check the whole range. */
	ASSERT_TRUE(cmd(&e, OP_WRITE, range + 8 * PG + 16, 0, pattern(0x2000, 8)));
	ASSERT_TRUE(cmd(&e, OP_WRITE, range + 12 * PG + 24, 0, pattern(0x2000, 12)));
	ASSERT_TRUE(cmd(&e, OP_CHECK, range, NPAGES, 0x2000));
	ASSERT_OK(vm_get_stats(e.vm, &st));
	EXPECT_GE(st.cow_breaks, 2);
	EXPECT_EQ(st.granted, g1);

	/*
	 * The daemon back to its pace, large pages still on: restoring all
	 * of setup()'s values here turned them off and the next case
	 * (slot_delete) always skipped.
	 */
	vt_params_restore(&saved);
	ASSERT_OK(vt_param_set("large_pages", 1));
	vm_free(e.vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* Deleting the slot frees the 512 pages; a new slot there reads zero. */
static int test_slot_delete(void)
{
	struct vt_leaks base;
	long long g0;
	struct env e;
	int r = require_large();

	if (r != VT_PASS)
		return r;
	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_OK(env_create(&e, VMEM_VM_MMU_HW));
	ASSERT_OK(vm_add_slot(e.vm, 1, DATA_GPA, DATA_SIZE, 0));
	g0 = granted(e.vm);
	EXPECT_EQ(touch_delta(&e, DATA_GPA), NPAGES);
	ASSERT_TRUE(cmd(&e, OP_FILL, DATA_GPA, NPAGES, 0x3000));
	ASSERT_OK(vm_delete_slot(e.vm, 1));
	EXPECT_EQ(granted(e.vm), g0);
	ASSERT_OK(vm_add_slot(e.vm, 1, DATA_GPA, DATA_SIZE, 0));
	EXPECT_EQ(touch_delta(&e, DATA_GPA + PG), NPAGES);
	ASSERT_TRUE(cmd(&e, OP_CHECK_ZERO, DATA_GPA, NPAGES, 0));
	vm_free(e.vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}


static const struct vt_case cases[] = {
	VT_CASE(first_touch),
	VT_CASE(vmm_touched_first),
	VT_CASE(unaligned_slot),
	VT_CASE(slot_flags),
	VT_CASE(parameter_off),
	VT_CASE(shadow_small),
	VT_CASE(share_and_cow_inside),
	VT_CASE(slot_delete),
};

VT_MAIN(cases, setup, teardown)
