// SPDX-License-Identifier: GPL-2.0
/*
 * memory_alias - guest memory in the VM's backing, mapped at guest-
 * physical addresses (Documentation/api.rst, VMEM_SET_BACKING,
 * VMEM_MAP_MEMORY, VMEM_UNMAP_MEMORY, VMEM_DISCARD_BACKING; section 6):
 * a guest writes through one alias and reads through another, the VMM's
 * mapping by backing offset sees the same pages, and Granted counts an
 * aliased page once; a range unmapped and mapped again (at the same and
 * at another address) keeps its contents, and an unmapped address is
 * MMIO; a read-only mapping turns guest writes into MMIO exits while a
 * writable alias of the same backing changes it; a discard zeros a range
 * through every alias; after a merge, a write through one alias breaks
 * copy-on-write and shows through the other alias and never in the other
 * VM; aliased pages swap out and back in under a limit; a large first
 * touch through a mapping needs a 2 MiB-aligned backing range and serves
 * every alias; bad input gives the documented errnos.  Legacy slots keep
 * working (the library's own slot is one, and every other test uses
 * them).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vmem.h>
#include <linux/vmem_netlink.h>

#include "nl_util.h"
#include "vt.h"
#include "vt_param.h"
#include "vt_util.h"
#include "vt_vm.h"

#define MB		(1ull << 20)
/* Backing offsets: above the library's slot (its own offsets are 0..64M). */
#define BK_OFF		(1ull << 30)
#define BK_SIZE		(8 * MB)
/* Guest-physical addresses of the aliases: identity-mapped, below 4 GiB. */
#define GPA_A		(2ull << 30)
#define GPA_B		(3ull << 30)
#define GPA_C		(0xc0000000ull + 512 * MB)
#define PAGES(bytes)	((bytes) / 4096)

static struct nlt_sock nl;
static struct nlt_reply R;
static bool have_nl;

static int setup(void)
{
	int r = vt_require_vm(VMEM_VM_MMU_AUTO);

	if (r != VT_PASS)
		return r;
	if (vt_check_extension(VMEM_CAP_BACKING) <= 0) {
		vt_diag("VMEM_CAP_BACKING is 0");
		return VT_SKIP;
	}
	have_nl = nlt_require(&nl) == VT_PASS;
	return VT_PASS;
}

static void teardown(void)
{
	if (have_nl)
		nlt_close(&nl);
}

static int set_backing(struct vt_vm *vm, uint64_t off, uint64_t size)
{
	struct vmem_backing b = { .offset = off, .size = size };

	return ioctl(vm->fd, VMEM_SET_BACKING, &b);
}

static int discard(struct vt_vm *vm, uint64_t off, uint64_t size)
{
	struct vmem_backing b = { .offset = off, .size = size };

	return ioctl(vm->fd, VMEM_DISCARD_BACKING, &b);
}

static int map(struct vt_vm *vm, uint64_t gpa, uint64_t size, uint64_t off,
	       uint32_t flags)
{
	struct vmem_memory_map m = { .gpa = gpa, .size = size, .offset = off,
				     .flags = flags };

	return ioctl(vm->fd, VMEM_MAP_MEMORY, &m);
}

static int unmap(struct vt_vm *vm, uint64_t gpa, uint64_t size)
{
	struct vmem_memory_map m = { .gpa = gpa, .size = size };

	return ioctl(vm->fd, VMEM_UNMAP_MEMORY, &m);
}

/* The VMM's view of backing [off, off + size), or NULL. */
static uint64_t *map_backing(struct vt_vm *vm, uint64_t off, uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->fd,
		       (off_t)off);

	return p == MAP_FAILED ? NULL : p;
}

/* Word @w of page @i of a mapping. */
#define WORD(base, i, w)	(*(volatile uint64_t *)((base) + (i) * 4096 + (w) * 8))

/* ---------------------------------------------------------------------- */

static void guest_alias(uint64_t a, uint64_t b, uint64_t npages)
{
	GUEST_SYNC(0);
	for (uint64_t i = 0; i < npages; i++)
		WORD(a, i, 0) = 0xa1a5000000000000ull + i;
	GUEST_SYNC(1);
	for (uint64_t i = 0; i < npages; i++) {
		GUEST_ASSERT_EQ(WORD(b, i, 0), 0xa1a5000000000000ull + i);
		WORD(b, i, 1) = ~i;
	}
	GUEST_SYNC(2);
	for (uint64_t i = 0; i < npages; i++) {
		GUEST_ASSERT_EQ(WORD(a, i, 1), ~i);
		/* Written by the VMM through its mapping. */
		GUEST_ASSERT_EQ(WORD(a, i, 2), 0x5e5e0000ull + i);
		GUEST_ASSERT_EQ(WORD(b, i, 2), 0x5e5e0000ull + i);
	}
	GUEST_DONE();
}

static int test_alias_read_write(void)
{
	const uint64_t npages = PAGES(2 * MB);
	struct vmem_vm_stats st0, st1, st2;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	uint64_t *hva;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_OK(set_backing(vm, BK_OFF, BK_SIZE));
	ASSERT_OK(map(vm, GPA_A, 2 * MB, BK_OFF, 0));
	ASSERT_OK(map(vm, GPA_B, 2 * MB, BK_OFF, 0));
	ASSERT_TRUE(hva = map_backing(vm, BK_OFF, 2 * MB));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_alias));
	ASSERT_OK(vcpu_args_set(vcpu, 3, GPA_A, GPA_B, npages));

	ASSERT_RUN_SYNC(vcpu, 0);
	ASSERT_OK(vm_get_stats(vm, &st0));
	/* The library's slot plus the backing; mappings add nothing. */
	EXPECT_EQ(st0.configured, PAGES(VT_MAIN_SIZE + BK_SIZE));
	ASSERT_RUN_SYNC(vcpu, 1);
	ASSERT_OK(vm_get_stats(vm, &st1));
	EXPECT_EQ(st1.granted - st0.granted, npages);
	EXPECT_EQ(st1.consumed - st0.consumed, npages);
	for (uint64_t i = 0; i < npages; i++)
		if (WORD((uint8_t *)hva, i, 0) != 0xa1a5000000000000ull + i)
			FAIL("VMM mapping: page %llu reads 0x%llx",
			     (unsigned long long)i,
			     (unsigned long long)WORD((uint8_t *)hva, i, 0));
	for (uint64_t i = 0; i < npages; i++)
		WORD((uint8_t *)hva, i, 2) = 0x5e5e0000ull + i;
	ASSERT_RUN_SYNC(vcpu, 2);
	ASSERT_OK(vm_get_stats(vm, &st2));
	/* Reading and writing through the second alias allocated nothing. */
	EXPECT_EQ(st2.granted, st1.granted);
	EXPECT_EQ(st2.consumed, st1.consumed);
	ASSERT_RUN_DONE(vcpu);
	for (uint64_t i = 0; i < npages; i++)
		EXPECT_EQ(WORD((uint8_t *)hva, i, 1), ~i);
	munmap(hva, 2 * MB);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */

static void guest_remap(uint64_t a, uint64_t c)
{
	WORD(a, 0, 0) = 0x1111;
	WORD(a, 1, 0) = 0x2222;
	GUEST_SYNC(1);
	/* Unmapped: an MMIO read the VMM answers. */
	GUEST_ASSERT_EQ(WORD(a, 0, 0), 0xdead);
	GUEST_SYNC(2);
	/* Mapped again elsewhere, then at the old place too. */
	GUEST_ASSERT_EQ(WORD(c, 0, 0), 0x1111);
	GUEST_ASSERT_EQ(WORD(c, 1, 0), 0x2222);
	GUEST_SYNC(3);
	GUEST_ASSERT_EQ(WORD(a, 1, 0), 0x2222);
	WORD(a, 1, 0) = 0x3333;
	GUEST_ASSERT_EQ(WORD(c, 1, 0), 0x3333);
	GUEST_SYNC(4);
	/* After a discard: zeros through both. */
	GUEST_ASSERT_EQ(WORD(a, 1, 0), 0);
	GUEST_ASSERT_EQ(WORD(c, 1, 0), 0);
	GUEST_ASSERT_EQ(WORD(c, 0, 0), 0x1111);
	GUEST_DONE();
}

static int test_unmap_remap_keeps_contents(void)
{
	struct vmem_vm_stats st1, st2;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	uint64_t v = 0xdead;
	struct vt_vm *vm;
	uint64_t *hva;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_OK(set_backing(vm, BK_OFF, BK_SIZE));
	ASSERT_OK(map(vm, GPA_A, 2 * MB, BK_OFF + 2 * MB, 0));
	ASSERT_TRUE(hva = map_backing(vm, BK_OFF + 2 * MB, 2 * MB));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_remap));
	ASSERT_OK(vcpu_args_set(vcpu, 2, GPA_A, GPA_C));
	ASSERT_RUN_SYNC(vcpu, 1);
	ASSERT_OK(vm_get_stats(vm, &st1));

	ASSERT_OK(unmap(vm, GPA_A, 2 * MB));
	ASSERT_OK(vm_get_stats(vm, &st2));
	EXPECT_EQ(st2.granted, st1.granted);
	EXPECT_EQ(st2.configured, st1.configured);
	/* The VMM's mapping is by backing offset: still there. */
	EXPECT_EQ(WORD((uint8_t *)hva, 0, 0), 0x1111);
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_MMIO);
	EXPECT_EQ(vcpu->run->mmio.gpa, GPA_A);
	EXPECT_EQ(vcpu->run->mmio.is_write, 0);
	memcpy(vcpu->run->mmio.data, &v, sizeof(v));
	ASSERT_RUN_SYNC(vcpu, 2);

	ASSERT_OK(map(vm, GPA_C, 2 * MB, BK_OFF + 2 * MB, 0));
	ASSERT_RUN_SYNC(vcpu, 3);
	ASSERT_OK(map(vm, GPA_A, 2 * MB, BK_OFF + 2 * MB, 0));
	ASSERT_RUN_SYNC(vcpu, 4);
	EXPECT_EQ(WORD((uint8_t *)hva, 1, 0), 0x3333);
	ASSERT_OK(discard(vm, BK_OFF + 2 * MB + 4096, 4096));
	EXPECT_EQ(WORD((uint8_t *)hva, 1, 0), 0);
	ASSERT_RUN_DONE(vcpu);

	/* Unmapping one alias leaves the other working. */
	ASSERT_OK(unmap(vm, GPA_A, 2 * MB));
	ASSERT_OK(unmap(vm, GPA_C, 2 * MB));
	EXPECT_ERRNO(unmap(vm, GPA_C, 2 * MB), ENOENT);
	munmap(hva, 2 * MB);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */

static void guest_rom(uint64_t rom, uint64_t ram)
{
	GUEST_ASSERT_EQ(WORD(rom, 0, 0), 0xb105);
	WORD(rom, 0, 0) = 0x5eed;		/* exits: MMIO write */
	GUEST_ASSERT_EQ(WORD(rom, 0, 0), 0xb105);
	/* The writable alias (a PAM window set to RAM) changes it. */
	WORD(ram, 0, 0) = 0x5a5a;
	GUEST_ASSERT_EQ(WORD(rom, 0, 0), 0x5a5a);
	GUEST_DONE();
}

static int test_readonly_mapping(void)
{
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	uint64_t got = 0;
	struct vt_vm *vm;
	uint64_t *hva;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_OK(set_backing(vm, BK_OFF, BK_SIZE));
	ASSERT_TRUE(hva = map_backing(vm, BK_OFF + 4 * MB, 64 * 1024));
	/* The VMM loads the image before it maps it. */
	hva[0] = 0xb105;
	ASSERT_OK(map(vm, GPA_A, 64 * 1024, BK_OFF + 4 * MB,
		      VMEM_MAP_READONLY));
	ASSERT_OK(map(vm, GPA_B, 64 * 1024, BK_OFF + 4 * MB, 0));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_rom));
	ASSERT_OK(vcpu_args_set(vcpu, 2, GPA_A, GPA_B));
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_MMIO);
	memcpy(&got, vcpu->run->mmio.data, 8);
	EXPECT_EQ(vcpu->run->mmio.gpa, GPA_A);
	EXPECT_EQ(vcpu->run->mmio.is_write, 1);
	EXPECT_EQ(vcpu->run->mmio.len, 8);
	EXPECT_EQ(got, 0x5eed);
	ASSERT_RUN_DONE(vcpu);
	EXPECT_EQ(hva[0], 0x5a5a);
	munmap(hva, 64 * 1024);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */

#define COW_PAGES	16

static void guest_cow(uint64_t a, uint64_t b)
{
	for (uint64_t i = 0; i < COW_PAGES; i++) {
		GUEST_ASSERT_EQ(WORD(b, i, 3), 0xc0c0c0c0ull + i);
		WORD(a, i, 3) = 0x77770000ull + i;
		GUEST_ASSERT_EQ(WORD(b, i, 3), 0x77770000ull + i);
	}
	GUEST_DONE();
}

static int pshare_on(struct vt_vm *vm)
{
	struct vmem_pshare ps = { .flags = VMEM_PSHARE_SET_SALT |
					   VMEM_PSHARE_SET_ENABLE,
				  .enable = 1, .salt = 0xa11a5 };

	return ioctl(vm->fd, VMEM_PSHARE, &ps);
}

static int test_cow_across_aliases(void)
{
	static const char *const knobs[] = {
		"share_scan_pages", "share_scan_sleep_ms", "share_scan_ghz",
	};
	struct vmem_vm_stats st, st2;
	struct vt_params saved;
	struct vt_leaks base;
	struct vt_vm *vm, *other;
	uint64_t *hva, *ohva;
	struct vt_vcpu *vcpu;
	int ret = VT_FAIL;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_OK(vt_params_save(&saved, knobs, 3));
	if (vt_params_share_fast()) {
		vt_params_restore(&saved);
		FAIL("share_fast");
	}
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(other = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_OK(set_backing(vm, BK_OFF, BK_SIZE));
	ASSERT_OK(set_backing(other, BK_OFF, BK_SIZE));
	ASSERT_OK(map(vm, GPA_A, 2 * MB, BK_OFF, 0));
	ASSERT_OK(map(vm, GPA_B, 2 * MB, BK_OFF, 0));
	ASSERT_TRUE(hva = map_backing(vm, BK_OFF, 2 * MB));
	ASSERT_TRUE(ohva = map_backing(other, BK_OFF, 2 * MB));
	for (uint64_t i = 0; i < COW_PAGES; i++) {
		WORD((uint8_t *)hva, i, 3) = 0xc0c0c0c0ull + i;
		WORD((uint8_t *)ohva, i, 3) = 0xc0c0c0c0ull + i;
	}
	ASSERT_OK(pshare_on(vm));
	ASSERT_OK(pshare_on(other));
	/* One pass records stable hashes, the second merges. */
	if (!vm_wait_share_passes(vm, 3) || !vm_wait_share_passes(other, 3)) {
		vt_check_true(__FILE__, __LINE__, "share passes", false);
		goto out;
	}
	ASSERT_OK(vm_get_stats(vm, &st));
	vt_diag("after merging: granted %llu shared %llu consumed %llu",
		(unsigned long long)st.granted, (unsigned long long)st.shared,
		(unsigned long long)st.consumed);
	EXPECT_GE(st.shared, COW_PAGES);

	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_cow));
	ASSERT_OK(vcpu_args_set(vcpu, 2, GPA_A, GPA_B));
	ASSERT_RUN_DONE(vcpu);
	ASSERT_OK(vm_get_stats(vm, &st2));
	EXPECT_GE(st2.cow_breaks, st.cow_breaks + COW_PAGES);
	for (uint64_t i = 0; i < COW_PAGES; i++) {
		EXPECT_EQ(WORD((uint8_t *)hva, i, 3), 0x77770000ull + i);
		EXPECT_EQ(WORD((uint8_t *)ohva, i, 3), 0xc0c0c0c0ull + i);
	}
	ret = VT_PASS;
out:
	vt_params_restore(&saved);
	munmap(hva, 2 * MB);
	munmap(ohva, 2 * MB);
	vm_free(vm);
	vm_free(other);
	EXPECT_NO_LEAKS(&base);
	return ret;
}

/* ---------------------------------------------------------------------- */

static uint64_t pattern(uint64_t i, uint64_t w)
{
	return (i * 0x9e3779b97f4a7c15ull) ^ (w << 3) ^ 0x5a5a;
}

static void guest_check_pattern(uint64_t a, uint64_t b, uint64_t npages)
{
	uint64_t bad = 0;

	for (uint64_t i = 0; i < npages; i++)
		for (uint64_t w = 0; w < 512; w += 64) {
			bad += WORD(a, i, w) != pattern(i, w);
			bad += WORD(b, i, w) != pattern(i, w);
		}
	GUEST_SYNC_ARGS(1, bad, 0, 0);
	GUEST_DONE();
}

static int vm_set_limit(struct vt_vm *vm, uint64_t limit)
{
	struct nlt_msg m;
	int id = ioctl(vm->fd, VMEM_GET_VM_ID, 0);

	nlt_init(&m, &nl, VMEM_CMD_VM_SET, 0);
	nlt_put_u32(&m, VMEM_A_VM_ID, id > 0 ? id : 0);
	nlt_put_u64(&m, VMEM_A_LIMIT, limit);
	return nlt_call(&nl, &m, &R);
}

static int test_swap_aliased_pages(void)
{
	const uint64_t npages = PAGES(BK_SIZE);
	char path[] = "/tmp/vmem-alias-swap-XXXXXX";
	struct vmem_swap_file sf = { 0 };
	struct vmem_vm_stats st, st0;
	struct vt_leaks base;
	struct vt_ucall uc;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	uint64_t *hva;
	int fd;

	if (!have_nl)
		SKIP("no vmem netlink family");
	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_OK(set_backing(vm, BK_OFF, BK_SIZE));
	ASSERT_OK(map(vm, GPA_A, BK_SIZE, BK_OFF, 0));
	ASSERT_OK(map(vm, GPA_B, BK_SIZE, BK_OFF, 0));
	ASSERT_TRUE((fd = mkstemp(path)) >= 0);
	unlink(path);
	sf.fd = fd;
	ASSERT_OK(ioctl(vm->fd, VMEM_SET_SWAP_FILE, &sf));
	close(fd);
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_check_pattern));
	ASSERT_OK(vcpu_args_set(vcpu, 3, GPA_A, GPA_B, npages));
	ASSERT_OK(vm_get_stats(vm, &st0));
	/* Room for half the backing beside what the library wrote. */
	ASSERT_EQ(vm_set_limit(vm, st0.granted + npages / 2), 0);

	ASSERT_TRUE(hva = map_backing(vm, BK_OFF, BK_SIZE));
	for (uint64_t i = 0; i < npages; i++)
		for (uint64_t w = 0; w < 512; w += 64)
			WORD((uint8_t *)hva, i, w) = pattern(i, w);
	ASSERT_OK(vm_get_stats(vm, &st));
	vt_diag("filled: granted %llu swapped %llu consumed %llu",
		(unsigned long long)st.granted, (unsigned long long)st.swapped,
		(unsigned long long)st.consumed);
	/* Less what reclaim merged (zero pages) instead of swapping. */
	EXPECT_GE(st.swapped, npages / 4);
	/* Every page is resident or out, never both or neither. */
	EXPECT_EQ(st.granted + st.swapped, st0.granted + npages);

	/* Both aliases read every page back, through swap-in. */
	ASSERT_RUN_UCALL(vcpu, UCALL_SYNC, &uc);
	EXPECT_EQ(uc.args[1], 0);
	ASSERT_RUN_DONE(vcpu);

	ASSERT_EQ(vm_set_limit(vm, VMEM_UNLIMITED), 0);
	for (uint64_t i = 0; i < npages; i++)
		if (WORD((uint8_t *)hva, i, 64) != pattern(i, 64))
			FAIL("page %llu lost its content", (unsigned long long)i);
	munmap(hva, BK_SIZE);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */

static void guest_touch4(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	(void)*(volatile uint64_t *)a;
	GUEST_SYNC(1);
	(void)*(volatile uint64_t *)b;
	GUEST_SYNC(2);
	(void)*(volatile uint64_t *)c;
	GUEST_SYNC(3);
	(void)*(volatile uint64_t *)d;
	GUEST_SYNC(4);
	GUEST_DONE();
}

/*
 * A large first touch through a mapping needs a 2 MiB-aligned backing
 * range; it backs the range for every alias; SMALL_PAGES keeps it 4 KiB.
 */
static int test_large_first_touch(void)
{
	static const char *const knobs[] = { "large_pages" };
	struct vmem_vm_stats st[5];
	struct vt_params saved;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	int ret = VT_FAIL;

	if (vt_check_extension(VMEM_CAP_HW_MMU) != 1)
		SKIP("no VMEM_CAP_HW_MMU: large first touch is for NPT/EPT VMs");
	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_OK(vt_params_save(&saved, knobs, 1));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_HW));
	if (!vt_check_true(__FILE__, __LINE__, "set large_pages",
			   !vt_param_set("large_pages", 1)))
		goto out;
	ASSERT_OK(set_backing(vm, BK_OFF, BK_SIZE));
	ASSERT_OK(map(vm, GPA_A, 2 * MB, BK_OFF, 0));
	ASSERT_OK(map(vm, GPA_C, 2 * MB, BK_OFF, 0));
	ASSERT_OK(map(vm, GPA_B, 2 * MB, BK_OFF + 2 * MB + 4096, 0));
	ASSERT_OK(map(vm, GPA_B + 4 * MB, 2 * MB, BK_OFF + 4 * MB,
		      VMEM_MAP_SMALL_PAGES));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_touch4));
	ASSERT_OK(vcpu_args_set(vcpu, 4, GPA_A + 0x1238, GPA_C + 0x5000,
				GPA_B + 0x3000, GPA_B + 4 * MB + 0x7000));
	ASSERT_OK(vm_get_stats(vm, &st[0]));
	for (int i = 1; i <= 4; i++) {
		ASSERT_RUN_SYNC(vcpu, (uint64_t)i);
		ASSERT_OK(vm_get_stats(vm, &st[i]));
	}
	ASSERT_RUN_DONE(vcpu);
	/* The first touch through A: the whole aligned backing range. */
	EXPECT_EQ(st[1].granted - st[0].granted, 512);
	/* Through its alias C: the same pages, nothing more. */
	EXPECT_EQ(st[2].granted - st[1].granted, 0);
	/* B maps a backing range that is not 2 MiB aligned. */
	EXPECT_EQ(st[3].granted - st[2].granted, 1);
	/* VMEM_MAP_SMALL_PAGES. */
	EXPECT_EQ(st[4].granted - st[3].granted, 1);
	ret = VT_PASS;
out:
	vt_params_restore(&saved);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return ret;
}

/* ---------------------------------------------------------------------- */

static int test_bad_input(void)
{
	struct vmem_memory_map m;
	struct vmem_memslot ms;
	struct vmem_backing b;
	struct vt_leaks base;
	struct vt_vm *vm;
	void *p;

	EXPECT_EQ(vt_check_extension(VMEM_CAP_BACKING),
		  vt_check_extension(VMEM_CAP_MAX_MEMSLOTS));
	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create_bare(VMEM_VM_MMU_AUTO));
	/* No backing yet: nothing to map or discard. */
	EXPECT_ERRNO(map(vm, GPA_A, 4096, 0, 0), ERANGE);
	EXPECT_ERRNO(discard(vm, 0, 4096), ERANGE);

	/* A legacy slot at 16 MiB: the backing may not take its offsets. */
	ms = (struct vmem_memslot){ .slot = 0, .gpa = 16 * MB, .size = 2 * MB };
	ASSERT_OK(ioctl(vm->fd, VMEM_SET_MEMSLOT, &ms));
	EXPECT_ERRNO(set_backing(vm, 0, 32 * MB), EBUSY);
	EXPECT_ERRNO(set_backing(vm, 17 * MB, MB), EBUSY);
	ASSERT_OK(set_backing(vm, 0, 16 * MB));
	/* ... nor a new slot the backing's. */
	ms = (struct vmem_memslot){ .slot = 1, .gpa = 8 * MB, .size = MB };
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_SET_MEMSLOT, &ms), EBUSY);

	/* struct vmem_backing. */
	b = (struct vmem_backing){ .offset = 0, .size = 16 * MB, .flags = 1 };
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_SET_BACKING, &b), EINVAL);
	b = (struct vmem_backing){ .size = 16 * MB, .pad = 1 };
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_SET_BACKING, &b), EINVAL);
	b = (struct vmem_backing){ .size = 16 * MB, .reserved[3] = 1 };
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_SET_BACKING, &b), EINVAL);
	EXPECT_ERRNO(set_backing(vm, 0, 16 * MB + 1), EINVAL);
	EXPECT_ERRNO(set_backing(vm, 100, 16 * MB), EINVAL);
	EXPECT_ERRNO(set_backing(vm, ~0ull - 4095, 8192), EINVAL);
	EXPECT_ERRNO(set_backing(vm, 0, 1ull << 62), EINVAL);
	EXPECT_ERRNO(set_backing(vm, 32 * MB,
				 vt_check_extension(VMEM_CAP_MAX_MEM_MB) * MB),
		     ENOSPC);
	EXPECT_ERRNO(discard(vm, 0, 0), EINVAL);
	EXPECT_ERRNO(discard(vm, 8 * MB, 16 * MB), ERANGE);
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_SET_BACKING, NULL), EFAULT);

	/* struct vmem_memory_map. */
	EXPECT_ERRNO(map(vm, GPA_A, 0, 0, 0), EINVAL);
	EXPECT_ERRNO(map(vm, GPA_A + 1, 4096, 0, 0), EINVAL);
	EXPECT_ERRNO(map(vm, GPA_A, 4095, 0, 0), EINVAL);
	EXPECT_ERRNO(map(vm, GPA_A, 4096, 1, 0), EINVAL);
	EXPECT_ERRNO(map(vm, GPA_A, 4096, 0, 1u << 2), EINVAL);
	EXPECT_ERRNO(map(vm, ~0ull - 4095, 8192, 0, 0), EINVAL);
	EXPECT_ERRNO(map(vm, 1ull << 62, 4096, 0, 0), EINVAL);
	m = (struct vmem_memory_map){ .gpa = GPA_A, .size = 4096, .pad = 1 };
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_MAP_MEMORY, &m), EINVAL);
	m = (struct vmem_memory_map){ .gpa = GPA_A, .size = 4096,
				      .reserved[0] = 1 };
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_MAP_MEMORY, &m), EINVAL);
	EXPECT_ERRNO(map(vm, GPA_A, 2 * MB, 15 * MB, 0), ERANGE);
	EXPECT_ERRNO(map(vm, GPA_A, 4096, ~0ull - 4095, 0), ERANGE);
	/* Over the legacy slot, or over another mapping. */
	EXPECT_ERRNO(map(vm, 17 * MB, 4096, 0, 0), EEXIST);
	ASSERT_OK(map(vm, GPA_A, 2 * MB, 0, 0));
	EXPECT_ERRNO(map(vm, GPA_A + MB, 2 * MB, 0, 0), EEXIST);
	EXPECT_ERRNO(map(vm, GPA_A - 4096, 8192, 0, 0), EEXIST);
	ms = (struct vmem_memslot){ .slot = 1, .gpa = GPA_A + MB, .size = MB };
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_SET_MEMSLOT, &ms), EEXIST);
	/* Shrinking under a mapping. */
	EXPECT_ERRNO(set_backing(vm, 0, MB), EBUSY);
	EXPECT_ERRNO(set_backing(vm, 4 * MB, 4 * MB), EBUSY);
	/* mmap outside the backing and the slots. */
	p = mmap(NULL, 2 * MB, PROT_READ, MAP_SHARED, vm->fd, 15 * MB);
	EXPECT_TRUE(p == MAP_FAILED && errno == EINVAL);
	if (p != MAP_FAILED)
		munmap(p, 2 * MB);

	/* Unmap: whole mappings only, never a legacy slot. */
	m = (struct vmem_memory_map){ .gpa = GPA_A, .size = 2 * MB,
				      .offset = 4096 };
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_UNMAP_MEMORY, &m), EINVAL);
	m = (struct vmem_memory_map){ .gpa = GPA_A, .size = 2 * MB,
				      .flags = VMEM_MAP_READONLY };
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_UNMAP_MEMORY, &m), EINVAL);
	EXPECT_ERRNO(unmap(vm, GPA_A, MB), EINVAL);
	EXPECT_ERRNO(unmap(vm, 16 * MB, 2 * MB), EBUSY);
	EXPECT_ERRNO(unmap(vm, GPA_B, MB), ENOENT);
	EXPECT_ERRNO(unmap(vm, GPA_A, 0), EINVAL);
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_UNMAP_MEMORY, NULL), EFAULT);
	ASSERT_OK(unmap(vm, GPA_A - 2 * MB, 8 * MB));

	/* Too many mappings. */
	{
		long max = vt_check_extension(VMEM_CAP_BACKING);
		long i;

		for (i = 0; i < max; i++)
			ASSERT_OK(map(vm, GPA_A + i * 4096, 4096, 0, 0));
		EXPECT_ERRNO(map(vm, GPA_A + i * 4096, 4096, 0, 0), ENOSPC);
		ASSERT_OK(unmap(vm, GPA_A, i * 4096));
	}
	/* A backing moved and emptied: then a slot may take the offsets. */
	ASSERT_OK(set_backing(vm, 64 * MB, MB));
	ms = (struct vmem_memslot){ .slot = 1, .gpa = 8 * MB, .size = MB };
	EXPECT_OK(ioctl(vm->fd, VMEM_SET_MEMSLOT, &ms));
	ASSERT_OK(set_backing(vm, 0, 0));
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(alias_read_write),
	VT_CASE(unmap_remap_keeps_contents),
	VT_CASE(readonly_mapping),
	VT_CASE(cow_across_aliases),
	VT_CASE(swap_aliased_pages),
	VT_CASE(large_first_touch),
	VT_CASE(bad_input),
};

VT_MAIN(cases, setup, teardown)
