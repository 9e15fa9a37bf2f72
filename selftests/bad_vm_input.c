// SPDX-License-Identifier: GPL-2.0
/*
 * bad_vm_input - what VM and vCPU ioctls refuse, and that a refusal
 * changes nothing (Documentation/api.rst sections 4.4-4.16 and 6.2):
 * VM creation flags; memory slots (overlaps, alignment, sizes beyond the
 * limits, bad ids, unknown flags, nonzero reserved words, deleting what
 * does not exist); vCPU ids (too big, duplicate); nonzero flags/pad/
 * reserved in every input structure; invalid SET_SREGS states (CR0.PG
 * without PE, long mode without PAE, CS.L with CS.D, reserved CR0/CR4/
 * EFER bits, NW without CD, LMA without PG); debug registers with upper
 * bits; bad XCR0 and XSAVE headers in SET_FPU; VM ioctls on a vCPU fd and
 * vice versa; VMM mappings outside a slot (SIGBUS) and private ones.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

static struct vmem_limits lim;

static int setup(void)
{
	int ret = vt_require_vm(VMEM_VM_MMU_AUTO);
	int fd;

	if (ret != VT_PASS)
		return ret;
	ASSERT_OK(fd = vt_open_dev(O_RDWR));
	memset(&lim, 0, sizeof(lim));
	ASSERT_OK(ioctl(fd, VMEM_GET_LIMITS, &lim));
	close(fd);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */

static int test_create_vm_flags(void)
{
	long hw = vt_check_extension(VMEM_CAP_HW_MMU);
	long shadow = vt_check_extension(VMEM_CAP_SHADOW_MMU);
	int dev, fd = -1;

	ASSERT_OK(dev = vt_open_dev(O_RDWR));
	EXPECT_ERRNO(ioctl(dev, VMEM_CREATE_VM, 0x4), EINVAL);
	EXPECT_ERRNO(ioctl(dev, VMEM_CREATE_VM, 0x80000000ul), EINVAL);
	EXPECT_ERRNO(ioctl(dev, VMEM_CREATE_VM, 1ul << 32), EINVAL);
	EXPECT_ERRNO(ioctl(dev, VMEM_CREATE_VM, VMEM_VM_MMU_MASK), EINVAL);
	for (int i = 0; i < 2; i++) {
		unsigned long flags = i ? VMEM_VM_MMU_SHADOW : VMEM_VM_MMU_HW;
		bool can = i ? shadow : hw;

		if (can) {
			EXPECT_OK(fd = ioctl(dev, VMEM_CREATE_VM, flags));
			if (fd >= 0)
				close(fd);
		} else {
			EXPECT_ERRNO(ioctl(dev, VMEM_CREATE_VM, flags), EOPNOTSUPP);
		}
	}
	close(dev);
	return VT_PASS;
}

static int set_slot(struct vt_vm *vm, uint32_t slot, uint32_t flags,
		    uint64_t gpa, uint64_t size)
{
	struct vmem_memslot ms;

	memset(&ms, 0, sizeof(ms));
	ms.slot = slot;
	ms.flags = flags;
	ms.gpa = gpa;
	ms.size = size;
	return ioctl(vm->fd, VMEM_SET_MEMSLOT, &ms);
}

static int test_memslots(void)
{
	uint64_t top = 1ull << lim.max_gpa_bits, max = lim.max_mem_bytes;
	struct vmem_vm_stats st;
	struct vmem_memslot ms;
	struct vt_leaks base;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_OK(set_slot(vm, 0, 0, 0x100000, 0x100000));
	/* Overlaps, at either end and inside; the same id again. */
	EXPECT_ERRNO(set_slot(vm, 1, 0, 0x0ff000, 0x2000), EEXIST);
	EXPECT_ERRNO(set_slot(vm, 1, 0, 0x1ff000, 0x2000), EEXIST);
	EXPECT_ERRNO(set_slot(vm, 1, 0, 0x180000, 0x1000), EEXIST);
	EXPECT_ERRNO(set_slot(vm, 1, 0, 0, 0x400000), EEXIST);
	EXPECT_ERRNO(set_slot(vm, 0, 0, 0x400000, 0x1000), EEXIST);
	/* Alignment, wrap, limits. */
	EXPECT_ERRNO(set_slot(vm, 1, 0, 0x400800, 0x1000), EINVAL);
	EXPECT_ERRNO(set_slot(vm, 1, 0, 0x400000, 0x1800), EINVAL);
	EXPECT_ERRNO(set_slot(vm, 1, 0, 0x400000, 1), EINVAL);
	EXPECT_ERRNO(set_slot(vm, 1, 0, ~0xfffull, 0x2000), EINVAL);
	EXPECT_ERRNO(set_slot(vm, 1, 0, top - 0x1000, 0x2000), EINVAL);
	EXPECT_ERRNO(set_slot(vm, 1, 0, top, 0x1000), EINVAL);
	/* Larger than the VM may have: a resource limit, not a bad value. */
	EXPECT_ERRNO(set_slot(vm, 1, 0, 0x40000000, VT_ALIGN_UP(max, 4096) + 4096),
		     ENOSPC);
	EXPECT_ERRNO(set_slot(vm, 1, 0, 0x40000000, 1ull << 62), EINVAL);
	/* Ids and flags. */
	EXPECT_ERRNO(set_slot(vm, lim.max_memslots, 0, 0x400000, 0x1000), EINVAL);
	EXPECT_ERRNO(set_slot(vm, 0xffffffff, 0, 0x400000, 0x1000), EINVAL);
	/* The lowest flag bit the ABI does not define. */
	EXPECT_ERRNO(set_slot(vm, 1, VMEM_MEMSLOT_SMALL_PAGES << 1, 0x400000,
			      0x1000), EINVAL);
	EXPECT_ERRNO(set_slot(vm, 1, 0x80000000, 0x400000, 0x1000), EINVAL);
	for (int i = 0; i < 5; i++) {
		memset(&ms, 0, sizeof(ms));
		ms.slot = 1;
		ms.gpa = 0x400000;
		ms.size = 0x1000;
		ms.reserved[i] = 1;
		EXPECT_ERRNO(ioctl(vm->fd, VMEM_SET_MEMSLOT, &ms), EINVAL);
	}
	/* Deleting: unknown id, a delete with other fields. */
	EXPECT_ERRNO(set_slot(vm, 5, 0, 0, 0), ENOENT);
	EXPECT_ERRNO(set_slot(vm, 0, 0, 0x100000, 0), EINVAL);
	EXPECT_ERRNO(set_slot(vm, 0, VMEM_MEMSLOT_READONLY, 0, 0), EINVAL);
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_SET_MEMSLOT, NULL), EFAULT);
	/* Nothing of that changed the layout. */
	ASSERT_OK(vm_get_stats(vm, &st));
	EXPECT_EQ(st.configured, 0x100000 / 4096);
	/* Adjacent slots are fine; ids are reusable after delete. */
	EXPECT_OK(set_slot(vm, 1, 0, 0x200000, 0x1000));
	EXPECT_OK(set_slot(vm, 2, 0, 0x0ff000, 0x1000));
	EXPECT_OK(set_slot(vm, 1, 0, 0, 0));
	EXPECT_OK(set_slot(vm, 1, VMEM_MEMSLOT_READONLY, 0x300000, 0x1000));
	/* The slots' total may not exceed max_mem_bytes. */
	if (max >= (2ull << 20) && (4ull << 30) + 2 * max < top) {
		uint64_t gpa3 = 4ull << 30, gpa4 = gpa3 + max + (1ull << 30);

		EXPECT_OK(set_slot(vm, 3, 0, gpa3, max - 0x103000));
		EXPECT_ERRNO(set_slot(vm, 4, 0, gpa4, 0x2000), ENOSPC);
	}
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static int test_vcpu_ids(void)
{
	struct vt_vm *vm;
	int fd;

	ASSERT_TRUE(vm = vm_create_bare(VMEM_VM_MMU_AUTO));
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_CREATE_VCPU, (unsigned long)lim.max_vcpus),
		     EINVAL);
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_CREATE_VCPU, 0xfffffffful), EINVAL);
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_CREATE_VCPU, 1ul << 32), EINVAL);
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_CREATE_VCPU, -1ul), EINVAL);
	ASSERT_OK(fd = ioctl(vm->fd, VMEM_CREATE_VCPU, 0ul));
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_CREATE_VCPU, 0ul), EEXIST);
	close(fd);
	/* The highest id works. */
	EXPECT_OK(fd = ioctl(vm->fd, VMEM_CREATE_VCPU,
			     (unsigned long)lim.max_vcpus - 1));
	if (fd >= 0)
		close(fd);
	vm_free(vm);
	return VT_PASS;
}

static int test_stats_and_run_args(void)
{
	struct vmem_vm_stats st;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, NULL));
	memset(&st, 0, sizeof(st));
	st.flags = 1;
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_GET_VM_STATS, &st), EINVAL);
	memset(&st, 0, sizeof(st));
	st.pad = 1;
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_GET_VM_STATS, &st), EINVAL);
	memset(&st, 0, sizeof(st));
	st.pad2 = 1;
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_GET_VM_STATS, &st), EINVAL);
	for (int i = 0; i < (int)(sizeof(st.reserved) / sizeof(st.reserved[0])); i++) {
		memset(&st, 0, sizeof(st));
		st.reserved[i] = 1;
		EXPECT_ERRNO(ioctl(vm->fd, VMEM_GET_VM_STATS, &st), EINVAL);
	}
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_GET_VM_STATS, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_RUN, 1), EINVAL);
	/* Run-area fields vmem reads must be sane. */
	vcpu->run->sync_wanted = 0x4;
	EXPECT_ERRNO(vcpu_run(vcpu), EINVAL);
	vcpu->run->sync_wanted = 0;
	vcpu->run->sync_dirty = 0x8;
	EXPECT_ERRNO(vcpu_run(vcpu), EINVAL);
	vcpu->run->sync_dirty = 0;
	/* Input padding of the run area is zero, as everywhere. */
	for (int i = 0; i < 2; i++) {
		vcpu->run->pad0[i] = 1;
		EXPECT_ERRNO(vcpu_run(vcpu), EINVAL);
		vcpu->run->pad0[i] = 0;
	}
	vcpu->run->pad1 = 1;
	EXPECT_ERRNO(vcpu_run(vcpu), EINVAL);
	vcpu->run->pad1 = 0;
	vm_free(vm);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* SET_SREGS                                                               */

typedef void (*sregs_poison_t)(struct vmem_sregs *sr);

static void pg_without_pe(struct vmem_sregs *sr) { sr->cr0 &= ~X86_CR0_PE; }
static void lm_without_pae(struct vmem_sregs *sr) { sr->cr4 &= ~X86_CR4_PAE; }
static void cs_l_and_d(struct vmem_sregs *sr) { sr->cs.db = 1; }
static void cr4_reserved(struct vmem_sregs *sr) { sr->cr4 |= 1ull << 63; }
static void cr4_bit15(struct vmem_sregs *sr) { sr->cr4 |= 1ull << 15; }
static void cr4_vmxe(struct vmem_sregs *sr) { sr->cr4 |= X86_CR4_VMXE; }
static void cr0_reserved(struct vmem_sregs *sr) { sr->cr0 |= 1ull << 32; }
static void cr0_nw_without_cd(struct vmem_sregs *sr) { sr->cr0 |= X86_CR0_NW; }
static void efer_reserved(struct vmem_sregs *sr) { sr->efer |= 1ull << 63; }
static void efer_svme(struct vmem_sregs *sr) { sr->efer |= EFER_SVME; }
static void lma_without_pg(struct vmem_sregs *sr) { sr->cr0 &= ~X86_CR0_PG; }
static void lme_pg_without_lma(struct vmem_sregs *sr) { sr->efer &= ~EFER_LMA; }
static void cr3_beyond_maxphys(struct vmem_sregs *sr) { sr->cr3 |= 1ull << 62; }
static void apic_base_reserved(struct vmem_sregs *sr) { sr->apic_base |= 1ull << 63; }
static void sregs_flags(struct vmem_sregs *sr) { sr->flags = 1; }
static void sregs_pad(struct vmem_sregs *sr) { sr->pad = 1; }
static void sregs_reserved0(struct vmem_sregs *sr) { sr->reserved[0] = 1; }
static void sregs_reserved7(struct vmem_sregs *sr) { sr->reserved[7] = 1; }
static void seg_pad(struct vmem_sregs *sr) { sr->ds.pad = 1; }
static void dtable_pad(struct vmem_sregs *sr) { sr->gdt.pad[2] = 1; }

static int test_invalid_sregs(void)
{
	static const struct {
		const char *name;
		sregs_poison_t fn;
	} bad[] = {
		{ "CR0.PG without CR0.PE", pg_without_pe },
		{ "long mode without CR4.PAE", lm_without_pae },
		{ "CS.L and CS.D in long mode", cs_l_and_d },
		{ "CR4 bit 63", cr4_reserved },
		{ "CR4 bit 15 (reserved)", cr4_bit15 },
		{ "CR4.VMXE (not offered)", cr4_vmxe },
		{ "CR0 bit 32", cr0_reserved },
		{ "CR0.NW without CR0.CD", cr0_nw_without_cd },
		{ "EFER bit 63", efer_reserved },
		{ "EFER.SVME (not offered)", efer_svme },
		{ "EFER.LMA without CR0.PG", lma_without_pg },
		{ "EFER.LME and CR0.PG without LMA", lme_pg_without_lma },
		{ "CR3 beyond max_gpa_bits", cr3_beyond_maxphys },
		{ "apic_base reserved bit", apic_base_reserved },
		{ "flags", sregs_flags },
		{ "pad", sregs_pad },
		{ "reserved[0]", sregs_reserved0 },
		{ "reserved[7]", sregs_reserved7 },
		{ "segment pad", seg_pad },
		{ "dtable pad", dtable_pad },
	};
	struct vmem_sregs good, sr, after;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, NULL));
	ASSERT_OK(vcpu_get_sregs(vcpu, &good));
	for (unsigned int i = 0; i < VT_ARRAY_SIZE(bad); i++) {
		sr = good;
		bad[i].fn(&sr);
		errno = 0;
		if (ioctl(vcpu->fd, VMEM_SET_SREGS, &sr) != -1 || errno != EINVAL) {
			vt_check_true(__FILE__, __LINE__, bad[i].name, false);
			vt_diag("SET_SREGS with %s: expected -1 with EINVAL, got %s",
				bad[i].name, errno ? vt_errno_name(errno) : "success");
			ASSERT_OK(vcpu_set_sregs(vcpu, &good));
			continue;
		}
		ASSERT_OK(vcpu_get_sregs(vcpu, &after));
		if (memcmp(&after, &good, sizeof(good)))
			FAIL("refused SET_SREGS (%s) changed the state", bad[i].name);
	}
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_SET_SREGS, NULL), EFAULT);
	/* The good state still runs. */
	ASSERT_OK(vcpu_set_entry(vcpu, NULL));
	vm_free(vm);
	return VT_PASS;
}

static int test_invalid_debugregs(void)
{
	struct vmem_debugregs good, d, after;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add_bare(vm, 0));
	ASSERT_OK(ioctl(vcpu->fd, VMEM_GET_DEBUGREGS, &good));
	EXPECT_EQ(good.dr6, 0xffff0ff0);
	EXPECT_EQ(good.dr7, 0x400);
	d = good;
	d.dr7 |= 1ull << 32;
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_SET_DEBUGREGS, &d), EINVAL);
	d = good;
	d.dr6 |= 1ull << 40;
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_SET_DEBUGREGS, &d), EINVAL);
	d = good;
	d.db[2] = 0x0000800000000000ull;	/* not canonical */
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_SET_DEBUGREGS, &d), EINVAL);
	d = good;
	d.flags = 1;
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_SET_DEBUGREGS, &d), EINVAL);
	d = good;
	d.pad = 1;
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_SET_DEBUGREGS, &d), EINVAL);
	for (int i = 0; i < 4; i++) {
		d = good;
		d.reserved[i] = 1;
		EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_SET_DEBUGREGS, &d), EINVAL);
	}
	ASSERT_OK(ioctl(vcpu->fd, VMEM_GET_DEBUGREGS, &after));
	EXPECT_TRUE(memcmp(&after, &good, sizeof(good)) == 0);
	/* A valid change round-trips. */
	d = good;
	d.db[0] = 0x401000;
	d.db[3] = 0xffffffff81000000ull;
	EXPECT_OK(ioctl(vcpu->fd, VMEM_SET_DEBUGREGS, &d));
	ASSERT_OK(ioctl(vcpu->fd, VMEM_GET_DEBUGREGS, &after));
	EXPECT_EQ(after.db[0], 0x401000);
	EXPECT_EQ(after.db[3], 0xffffffff81000000ull);
	vm_free(vm);
	return VT_PASS;
}

static int test_invalid_fpu(void)
{
	struct vmem_fpu *good, *f, *after;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(good = calloc(1, sizeof(*good)));
	ASSERT_TRUE(f = calloc(1, sizeof(*f)));
	ASSERT_TRUE(after = calloc(1, sizeof(*after)));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, NULL));
	ASSERT_OK(ioctl(vcpu->fd, VMEM_GET_FPU, good));
	EXPECT_TRUE(good->xcr0 & XFEATURE_X87);
#define TRY_FPU(what) do {						\
	memcpy(f, good, sizeof(*f));					\
	what;								\
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_SET_FPU, f), EINVAL);		\
} while (0)
	TRY_FPU(f->xcr0 = XFEATURE_SSE);			/* no x87 */
	TRY_FPU(f->xcr0 = 0);
	TRY_FPU(f->xcr0 = XFEATURE_X87 | XFEATURE_AVX);		/* AVX without SSE */
	TRY_FPU(f->xcr0 |= 1ull << 62);				/* not offered */
	TRY_FPU(f->xcr0 |= 1ull << 9);				/* PKRU: not offered */
	TRY_FPU(f->flags = 1);
	TRY_FPU(f->pad = 1);
	TRY_FPU(f->reserved[0] = 1);
	TRY_FPU(f->reserved[5] = 1);
	/* XSAVE header: XSTATE_BV outside xcr0, XCOMP_BV nonzero. */
	TRY_FPU(f->xcr0 = XFEATURE_X87 | XFEATURE_SSE;
		f->xsave[512] = 0x7);
	TRY_FPU(f->xsave[512 + 15] = 0x80);
	/* MXCSR reserved bits (bytes 24-27). */
	TRY_FPU(f->xsave[24 + 3] = 0xff);
#undef TRY_FPU
	ASSERT_OK(ioctl(vcpu->fd, VMEM_GET_FPU, after));
	EXPECT_EQ(after->xcr0, good->xcr0);
	EXPECT_TRUE(memcmp(after->xsave, good->xsave, 576) == 0);
	vm_free(vm);
	free(good);
	free(f);
	free(after);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Wrong fd, mappings                                                      */

static int test_wrong_fd_enotty(void)
{
	struct vmem_memslot ms;
	struct vmem_regs regs;
	struct vmem_vm_stats st;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add_bare(vm, 0));
	memset(&ms, 0, sizeof(ms));
	memset(&st, 0, sizeof(st));
	/* VM ioctls on a vCPU fd. */
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_SET_MEMSLOT, &ms), ENOTTY);
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_CREATE_VCPU, 1ul), ENOTTY);
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_GET_VM_STATS, &st), ENOTTY);
	/* vCPU ioctls on a VM fd. */
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_RUN, 0), ENOTTY);
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_GET_REGS, &regs), ENOTTY);
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_KICK, 0), ENOTTY);
	/* System ioctls on either. */
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_CREATE_VM, 0ul), ENOTTY);
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_GET_API_VERSION, 0ul), ENOTTY);
	/*
	 * The numbers of vmem's old magic 0xB7 (nsfs's) are nobody's on a VM
	 * or vCPU fd: old SET_MEMSLOT, CREATE_VCPU, RUN, GET_REGS (144 bytes
	 * then), KICK.
	 */
	EXPECT_ERRNO(ioctl(vm->fd, _IOW(0xB7, 0x10, struct vmem_memslot), &ms),
		     ENOTTY);
	EXPECT_ERRNO(ioctl(vm->fd, _IO(0xB7, 0x11), 1ul), ENOTTY);
	EXPECT_ERRNO(ioctl(vcpu->fd, _IO(0xB7, 0x20), 0ul), ENOTTY);
	EXPECT_ERRNO(ioctl(vcpu->fd, _IOR(0xB7, 0x21, __u64[18]), &regs),
		     ENOTTY);
	EXPECT_ERRNO(ioctl(vcpu->fd, _IO(0xB7, 0x2d), 0ul), ENOTTY);
	vm_free(vm);
	return VT_PASS;
}

static int test_run_area_mmap(void)
{
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	void *p;

	ASSERT_TRUE(vm = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add_bare(vm, 0));
	p = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 vcpu->fd, 4096);
	EXPECT_TRUE(p == MAP_FAILED && errno == EINVAL);
	if (p != MAP_FAILED)
		munmap(p, vcpu->run_size);
	p = mmap(NULL, vcpu->run_size + 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
		 vcpu->fd, 0);
	EXPECT_TRUE(p == MAP_FAILED && errno == EINVAL);
	if (p != MAP_FAILED)
		munmap(p, vcpu->run_size + 4096);
	vm_free(vm);
	return VT_PASS;
}

/* Touch @p in a child; returns the signal that killed it, or 0. */
static int touch_in_child(volatile uint8_t *p)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		signal(SIGBUS, SIG_DFL);
		signal(SIGSEGV, SIG_DFL);
		(void)*p;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static int test_vm_mmap_outside_slots(void)
{
	struct vt_vm *vm;
	uint8_t *p;

	ASSERT_TRUE(vm = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_OK(set_slot(vm, 0, 0, 0x100000, 0x2000));
	/* MAP_PRIVATE is refused. */
	p = mmap(NULL, 0x2000, PROT_READ | PROT_WRITE, MAP_PRIVATE, vm->fd,
		 0x100000);
	EXPECT_TRUE(p == MAP_FAILED && errno == EINVAL);
	if (p != MAP_FAILED)
		munmap(p, 0x2000);
	/* A range reaching past the slot, or outside any slot: refused. */
	p = mmap(NULL, 0x4000, PROT_READ | PROT_WRITE, MAP_SHARED, vm->fd,
		 0x100000);
	EXPECT_TRUE(p == MAP_FAILED && errno == EINVAL);
	if (p != MAP_FAILED)
		munmap(p, 0x4000);
	p = mmap(NULL, 0x1000, PROT_READ, MAP_SHARED, vm->fd, 0x200000);
	EXPECT_TRUE(p == MAP_FAILED && errno == EINVAL);
	if (p != MAP_FAILED)
		munmap(p, 0x1000);
	/* The slot itself maps; after the slot is deleted, its pages give
	 * SIGBUS. */
	p = mmap(NULL, 0x2000, PROT_READ | PROT_WRITE, MAP_SHARED, vm->fd,
		 0x100000);
	ASSERT_TRUE(p != MAP_FAILED);
	p[0] = 1;
	p[0x1fff] = 2;
	EXPECT_EQ(touch_in_child(p + 0x1000), 0);
	ASSERT_OK(set_slot(vm, 0, 0, 0, 0));
	EXPECT_EQ(touch_in_child(p), SIGBUS);
	munmap(p, 0x2000);
	vm_free(vm);
	return VT_PASS;
}

/*
 * Guest memory belongs to the VM, not to the VMM's address space, so a VM
 * fd passed to another process (fork, SCM_RIGHTS) keeps working there.
 */
static int test_other_process_allowed(void)
{
	struct vt_vm *vm;
	int status;
	pid_t pid;

	ASSERT_TRUE(vm = vm_create_bare(VMEM_VM_MMU_AUTO));
	fflush(stdout);
	ASSERT_OK(pid = fork());
	if (pid == 0) {
		long r = ioctl(vm->fd, VMEM_CREATE_VCPU, 0ul);

		_exit(r == -1 ? (errno & 0x7f) : 0x80);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0x80)
		FAIL("VMEM_CREATE_VCPU on the VM fd from a child process: expected success, got %s",
		     vt_errno_name(WEXITSTATUS(status)));
	vm_free(vm);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(create_vm_flags),
	VT_CASE(memslots),
	VT_CASE(vcpu_ids),
	VT_CASE(stats_and_run_args),
	VT_CASE(invalid_sregs),
	VT_CASE(invalid_debugregs),
	VT_CASE(invalid_fpu),
	VT_CASE(wrong_fd_enotty),
	VT_CASE(run_area_mmap),
	VT_CASE(vm_mmap_outside_slots),
	VT_CASE(other_process_allowed),
};

VT_MAIN(cases, setup, NULL)
