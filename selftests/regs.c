// SPDX-License-Identifier: GPL-2.0
/*
 * regs - vCPU register state: every GPR, RIP and RFLAGS set with SET_REGS
 * reaches the guest and comes back through GET_REGS after guest code
 * changed them; the run area's register sync (sync_wanted/sync_valid/
 * sync_dirty) shows the same state as the ioctls at every exit and
 * loads the VMM's edits at the next VMEM_RUN (a refused s.sregs fails
 * VMEM_RUN with EINVAL and changes nothing, as do nonzero flags, pad or
 * reserved words of struct vmem_regs there and in SET_REGS); SET_FPU's XMM0 is what the
 * guest reads and GET_FPU shows what the guest wrote; SET_DEBUGREGS' DR0
 * is what the guest reads.
 *
 * The kernel must provide Documentation/api.rst 4.10-4.13 and 5.4.  The
 * guest code is hand-written 64-bit assembly so no compiler-chosen
 * register or SSE use gets in the way.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

extern const char regs_guest[], sync_guest[], fpu_guest[], dr_guest[];

__asm__(
	".pushsection .text\n"
	".code64\n"
	/* HLT, then complement every GPR but RSP, set CF, HLT. */
	"regs_guest:\n"
	"	hlt\n"
	"	not %rax\n	not %rbx\n	not %rcx\n	not %rdx\n"
	"	not %rsi\n	not %rdi\n	not %rbp\n	not %r8\n"
	"	not %r9\n	not %r10\n	not %r11\n	not %r12\n"
	"	not %r13\n	not %r14\n	not %r15\n"
	"	stc\n"
	"	hlt\n"
	"	jmp regs_guest\n"
	/* Report RAX and CR2 (after the host changed them through s). */
	"sync_guest:\n"
	"	hlt\n"
	"	out %eax, $0x21\n"
	"	mov %cr2, %rax\n"
	"	out %eax, $0x22\n"
	"	hlt\n"
	"	jmp sync_guest\n"
	/* Report XMM0 (low qword, two OUTs), then put a value in XMM2. */
	"fpu_guest:\n"
	"	movq %xmm0, %rax\n"
	"	out %eax, $0x30\n"
	"	shr $32, %rax\n"
	"	out %eax, $0x30\n"
	"	movabs $0x1122334455667788, %rax\n"
	"	movq %rax, %xmm2\n"
	"	hlt\n"
	"	jmp fpu_guest\n"
	/* Report DR0. */
	"dr_guest:\n"
	"	mov %dr0, %rax\n"
	"	out %eax, $0x31\n"
	"	hlt\n"
	"	jmp dr_guest\n"
	".popsection\n");

static int setup(void)
{
	return vt_require_vm(VMEM_VM_MMU_AUTO);
}

static struct vt_vm *asm_vm(const void *rip, struct vt_vcpu **vcpu)
{
	struct vmem_regs regs;
	struct vt_vm *vm = vm_create(VMEM_VM_MMU_AUTO);

	if (!vm)
		return NULL;
	*vcpu = vcpu_add(vm, 0, NULL);
	if (!*vcpu || vcpu_get_regs(*vcpu, &regs)) {
		vm_free(vm);
		return NULL;
	}
	regs.rip = (uintptr_t)rip;
	if (vcpu_set_regs(*vcpu, &regs)) {
		vm_free(vm);
		return NULL;
	}
	return vm;
}

#define NGPR	16

static __u64 *gpr(struct vmem_regs *r, int i)
{
	__u64 *p = &r->rax;

	return p + i;		/* rax..r15 are the first 16 fields */
}

static int test_gprs_round_trip(void)
{
	struct vmem_regs set, got;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = asm_vm(regs_guest, &vcpu));
	ASSERT_OK(vcpu_get_regs(vcpu, &set));
	for (int i = 0; i < NGPR; i++)
		if (gpr(&set, i) != &set.rsp)
			*gpr(&set, i) = 0x0101010101010101ull * (i + 1) ^ 0x8000000000000000ull;
	set.rflags = X86_EFLAGS_FIXED | X86_EFLAGS_ZF;
	ASSERT_OK(vcpu_set_regs(vcpu, &set));
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_HLT);
	ASSERT_OK(vcpu_get_regs(vcpu, &got));
	for (int i = 0; i < NGPR; i++)
		EXPECT_EQ(*gpr(&got, i), *gpr(&set, i));
	EXPECT_EQ(got.rip, (uintptr_t)regs_guest + 1);
	EXPECT_EQ(got.rflags, set.rflags);
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_HLT);
	ASSERT_OK(vcpu_get_regs(vcpu, &got));
	for (int i = 0; i < NGPR; i++) {
		if (gpr(&set, i) == &set.rsp)
			EXPECT_EQ(got.rsp, set.rsp);
		else
			EXPECT_EQ(*gpr(&got, i), ~*gpr(&set, i));
	}
	EXPECT_TRUE(got.rflags & X86_EFLAGS_CF);
	/*
	 * Reserved RFLAGS bits (3, 5, 15, 22-63) are refused, as every
	 * reserved bit in the ABI is, and nothing changes; bit 1 is forced.
	 */
	ASSERT_OK(vcpu_get_regs(vcpu, &set));
	for (int bit = 3; bit < 64; bit++) {
		struct vmem_regs bad = set;

		if (bit != 3 && bit != 5 && bit != 15 && bit < 22)
			continue;
		bad.rflags |= 1ull << bit;
		bad.rax ^= 1;
		EXPECT_ERRNO(vcpu_set_regs(vcpu, &bad), EINVAL);
	}
	ASSERT_OK(vcpu_get_regs(vcpu, &got));
	EXPECT_EQ(got.rflags, set.rflags);
	EXPECT_EQ(got.rax, set.rax);
	set.rflags = 0;
	ASSERT_OK(vcpu_set_regs(vcpu, &set));
	ASSERT_OK(vcpu_get_regs(vcpu, &got));
	EXPECT_EQ(got.rflags, X86_EFLAGS_FIXED);
	vm_free(vm);
	return VT_PASS;
}

static int test_sync_regs(void)
{
	struct vmem_sregs sregs, bad;
	struct vmem_regs regs;
	struct vmem_run *run;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = asm_vm(sync_guest, &vcpu));
	run = vcpu->run;
	run->sync_wanted = VMEM_SYNC_ALL;
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_HLT);
	EXPECT_EQ(run->sync_valid, VMEM_SYNC_ALL);
	ASSERT_OK(vcpu_get_regs(vcpu, &regs));
	ASSERT_OK(vcpu_get_sregs(vcpu, &sregs));
	EXPECT_TRUE(memcmp(&run->s.regs, &regs, sizeof(regs)) == 0);
	EXPECT_TRUE(memcmp(&run->s.sregs, &sregs, sizeof(sregs)) == 0);
	EXPECT_EQ(run->s.regs.rip, (uintptr_t)sync_guest + 1);

	/* Edits through s reach the guest; sync_dirty is cleared. */
	run->s.regs.rax = 0xfeedface;
	run->s.sregs.cr2 = 0x5678000;
	run->sync_dirty = VMEM_SYNC_ALL;
	ASSERT_RUN_OUT(vcpu, 0x21, 4, 0xfeedface);
	EXPECT_EQ(run->sync_dirty, 0);
	EXPECT_EQ(run->sync_valid, VMEM_SYNC_ALL);
	ASSERT_RUN_OUT(vcpu, 0x22, 4, 0x5678000);
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_HLT);

	/* A refused s.sregs fails VMEM_RUN with EINVAL, nothing changes. */
	ASSERT_OK(vcpu_get_regs(vcpu, &regs));
	bad = run->s.sregs;
	bad.cr0 &= ~X86_CR0_PE;
	run->s.sregs = bad;
	run->s.regs.rax = 0x1111;
	run->sync_dirty = VMEM_SYNC_ALL;
	EXPECT_ERRNO(vcpu_run(vcpu), EINVAL);
	run->sync_dirty = 0;
	{
		struct vmem_regs now;
		struct vmem_sregs snow;

		ASSERT_OK(vcpu_get_regs(vcpu, &now));
		ASSERT_OK(vcpu_get_sregs(vcpu, &snow));
		EXPECT_EQ(now.rax, regs.rax);
		EXPECT_TRUE(snow.cr0 & X86_CR0_PE);
	}

	/* Nothing wanted: nothing valid.  (The guest loops to its HLT.) */
	run->sync_wanted = 0;
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_HLT);
	ASSERT_OK(vcpu_get_regs(vcpu, &regs));
	regs.rax = 0x2222;
	ASSERT_OK(vcpu_set_regs(vcpu, &regs));
	ASSERT_RUN_OUT(vcpu, 0x21, 4, 0x2222);
	EXPECT_EQ(run->sync_valid, 0);
	vm_free(vm);
	return VT_PASS;
}

/*
 * flags, pad and every reserved word of struct vmem_regs are refused with
 * EINVAL by SET_REGS and by VMEM_RUN's VMEM_SYNC_REGS alike, before
 * anything changes; GET_REGS and the sync out write them as zero.
 */
static void regs_flags(struct vmem_regs *r, int i) { (void)i; r->flags = 1u << 31; }
static void regs_pad(struct vmem_regs *r, int i) { (void)i; r->pad = 1; }
static void regs_reserved(struct vmem_regs *r, int i) { r->reserved[i] = 1; }

static int test_regs_reserved_einval(void)
{
	static const struct {
		const char *what;
		void (*poison)(struct vmem_regs *r, int i);
		int n;
	} bad[] = {
		{ "flags", regs_flags, 1 },
		{ "pad", regs_pad, 1 },
		{ "reserved", regs_reserved, 4 },
	};
	struct vmem_regs set, got;
	struct vmem_run *run;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	_Static_assert(sizeof(set.reserved) / sizeof(set.reserved[0]) == 4,
		       "a reserved word without a case");
	ASSERT_TRUE(vm = asm_vm(sync_guest, &vcpu));
	run = vcpu->run;
	memset(&got, 0xff, sizeof(got));
	ASSERT_OK(vcpu_get_regs(vcpu, &got));
	EXPECT_EQ(got.flags, 0);
	EXPECT_EQ(got.pad, 0);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(got.reserved[i], 0);
	set = got;
	for (unsigned int k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		for (int i = 0; i < bad[k].n; i++) {
			struct vmem_regs b = set;

			b.rax = 0x5a5a;
			bad[k].poison(&b, i);
			EXPECT_ERRNO(vcpu_set_regs(vcpu, &b), EINVAL);
			run->s.regs = b;
			run->sync_dirty = VMEM_SYNC_REGS;
			EXPECT_ERRNO(vcpu_run(vcpu), EINVAL);
			run->sync_dirty = 0;
			ASSERT_OK(vcpu_get_regs(vcpu, &got));
			EXPECT_EQ(got.rax, set.rax);
			if (vt_case_failed()) {
				vt_diag("%s[%d] was accepted", bad[k].what, i);
				break;
			}
		}
	}
	/* Still runs, and the sync out writes the reserved words as zero. */
	memset(&run->s.regs, 0xff, sizeof(run->s.regs));
	run->sync_wanted = VMEM_SYNC_REGS;
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_HLT);
	EXPECT_EQ(run->s.regs.flags, 0);
	EXPECT_EQ(run->s.regs.pad, 0);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(run->s.regs.reserved[i], 0);
	vm_free(vm);
	return VT_PASS;
}

static int test_fpu_round_trip(void)
{
	const uint64_t x0 = 0xa1a2a3a4b1b2b3b4ull;
	struct vmem_fpu *f;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	uint64_t x2;

	ASSERT_TRUE(f = calloc(1, sizeof(*f)));
	ASSERT_TRUE(vm = asm_vm(fpu_guest, &vcpu));
	ASSERT_OK(ioctl(vcpu->fd, VMEM_GET_FPU, f));
	/* XMM0 lives at byte 160 of the legacy area; XSTATE_BV says SSE. */
	memcpy(f->xsave + 160, &x0, 8);
	f->xcr0 |= XFEATURE_SSE;
	f->xsave[512] |= XFEATURE_SSE;
	ASSERT_OK(ioctl(vcpu->fd, VMEM_SET_FPU, f));
	ASSERT_RUN_OUT(vcpu, 0x30, 4, (uint32_t)x0);
	ASSERT_RUN_OUT(vcpu, 0x30, 4, x0 >> 32);
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_HLT);
	memset(f, 0, sizeof(*f));
	ASSERT_OK(ioctl(vcpu->fd, VMEM_GET_FPU, f));
	memcpy(&x2, f->xsave + 160 + 2 * 16, 8);
	EXPECT_EQ(x2, 0x1122334455667788ull);
	vm_free(vm);
	free(f);
	return VT_PASS;
}

static int test_debugregs_reach_guest(void)
{
	struct vmem_debugregs d;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = asm_vm(dr_guest, &vcpu));
	ASSERT_OK(ioctl(vcpu->fd, VMEM_GET_DEBUGREGS, &d));
	d.db[0] = 0x12345678;
	ASSERT_OK(ioctl(vcpu->fd, VMEM_SET_DEBUGREGS, &d));
	ASSERT_RUN_OUT(vcpu, 0x31, 4, 0x12345678);
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_HLT);
	vm_free(vm);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(gprs_round_trip),
	VT_CASE(sync_regs),
	VT_CASE(regs_reserved_einval),
	VT_CASE(fpu_round_trip),
	VT_CASE(debugregs_reach_guest),
};

VT_MAIN(cases, setup, NULL)
