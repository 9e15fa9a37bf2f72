// SPDX-License-Identifier: GPL-2.0
/*
 * msr - MSRs: the guest reads and writes the MSRs vmem virtualizes
 * (SYSCALL/SYSENTER MSRs, KERNEL_GS_BASE, TSC_AUX, PAT, TSC) without
 * exits, VMEM_GET_MSRS shows what the guest wrote and VMEM_SET_MSRS what
 * the guest then reads; an MSR outside the allowed set exits with
 * VMEM_EXIT_MSR and the VMM's answer (data, or error = #GP) is what the
 * guest sees; GET/SET_MSRS stop at the first entry they cannot do and
 * refuse bad headers (E2BIG, EINVAL).
 *
 * The kernel must provide Documentation/api.rst 4.14 and the MSR exit of
 * 5.2/5.3.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

#define UNKNOWN_MSR	0xdead0001u

static const struct {
	uint32_t index;
	uint64_t guest_val;	/* what the guest writes */
	uint64_t host_val;	/* what the host then sets */
} msrs[] = {
	{ MSR_STAR,		0x0023001000000000ull, 0x001b000800000000ull },
	{ MSR_LSTAR,		0xffffffff81000000ull, 0xffffffff82000040ull },
	{ MSR_CSTAR,		0xffffffff81000100ull, 0xffffffff82000080ull },
	{ MSR_SYSCALL_MASK,	0x47700,	       0x700 },
	{ MSR_KERNEL_GS_BASE,	0xffff888000000000ull, 0x00007f0000001000ull },
	{ MSR_IA32_SYSENTER_CS,	0x10,		       0x08 },
	{ MSR_IA32_SYSENTER_ESP, 0xffffc90000000000ull, 0x1000 },
	{ MSR_IA32_SYSENTER_EIP, 0xffffffff81000200ull, 0x401000 },
	{ MSR_TSC_AUX,		0x7,		       0x3 },
	{ MSR_IA32_CR_PAT,	0x0007040600070406ull, 0x0007010600070106ull },
};

/* Host values for the guest to check; synced before the second phase. */
static uint64_t host_vals[VT_ARRAY_SIZE(msrs)];

static int setup(void)
{
	return vt_require_vm(VMEM_VM_MMU_AUTO);
}

static void guest_msrs(void)
{
	for (unsigned int i = 0; i < VT_ARRAY_SIZE(msrs); i++) {
		uint64_t v = 0;

		GUEST_ASSERT_EQ(vt_wrmsr_safe(msrs[i].index, msrs[i].guest_val),
				VT_NO_EXCEPTION);
		GUEST_ASSERT_EQ(vt_rdmsr_safe(msrs[i].index, &v), VT_NO_EXCEPTION);
		GUEST_ASSERT_MSG(v == msrs[i].guest_val,
				 "MSR 0x%x: wrote 0x%llx, read 0x%llx", msrs[i].index,
				 (unsigned long long)msrs[i].guest_val,
				 (unsigned long long)v);
	}
	GUEST_SYNC(1);
	for (unsigned int i = 0; i < VT_ARRAY_SIZE(msrs); i++) {
		uint64_t v = rdmsr(msrs[i].index);

		GUEST_ASSERT_MSG(v == host_vals[i],
				 "MSR 0x%x: host set 0x%llx, guest read 0x%llx",
				 msrs[i].index, (unsigned long long)host_vals[i],
				 (unsigned long long)v);
	}
	GUEST_DONE();
}

static int test_guest_and_host_agree(void)
{
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_msrs));
	ASSERT_RUN_SYNC(vcpu, 1);
	for (unsigned int i = 0; i < VT_ARRAY_SIZE(msrs); i++) {
		uint64_t v = 0;

		ASSERT_OK(vcpu_get_msr(vcpu, msrs[i].index, &v));
		if (v != msrs[i].guest_val)
			FAIL("GET_MSRS 0x%x: the guest wrote 0x%llx, the host reads 0x%llx",
			     msrs[i].index, (unsigned long long)msrs[i].guest_val,
			     (unsigned long long)v);
		ASSERT_OK(vcpu_set_msr(vcpu, msrs[i].index, msrs[i].host_val));
		host_vals[i] = msrs[i].host_val;
	}
	ASSERT_OK(vm_sync_to_guest(vm, host_vals));
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static void guest_tsc(void)
{
	uint64_t a = rdtsc(), b = rdtsc(), c = rdmsr(MSR_IA32_TSC);

	GUEST_ASSERT(b >= a && c >= b);
	GUEST_SYNC(1);
	a = rdtsc();
	GUEST_SYNC_ARGS(2, a, rdmsr(MSR_IA32_TSC), 0);
	GUEST_DONE();
}

static int test_tsc(void)
{
	const uint64_t t = 1ull << 50;
	struct vt_ucall uc;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	uint64_t v = 0;

	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_tsc));
	ASSERT_RUN_SYNC(vcpu, 1);
	ASSERT_OK(vcpu_set_msr(vcpu, MSR_IA32_TSC, t));
	ASSERT_OK(vcpu_get_msr(vcpu, MSR_IA32_TSC, &v));
	EXPECT_GE(v, t);
	EXPECT_LE(v, t + (1ull << 40));
	ASSERT_RUN_UCALL(vcpu, UCALL_SYNC, &uc);
	ASSERT_EQ(uc.args[0], 2);
	/* The guest's TSC continues from the value set (2^40 cycles is
	 * minutes even in an emulator). */
	EXPECT_GE(uc.args[1], t);
	EXPECT_LE(uc.args[1], t + (1ull << 40));
	EXPECT_GE(uc.args[2], uc.args[1]);
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	return VT_PASS;
}

static void guest_unknown(void)
{
	uint64_t v = 0;

	GUEST_ASSERT_EQ(vt_rdmsr_safe(UNKNOWN_MSR, &v), VT_NO_EXCEPTION);
	GUEST_ASSERT_EQ(v, 0x1122334455667788ull);
	GUEST_ASSERT_EQ(vt_wrmsr_safe(UNKNOWN_MSR, 0xabcdef0012345678ull),
			VT_NO_EXCEPTION);
	GUEST_ASSERT_EQ(vt_wrmsr_safe(UNKNOWN_MSR, 0x5), GP_VECTOR);
	GUEST_ASSERT_EQ(vt_rdmsr_safe(UNKNOWN_MSR + 1, &v), GP_VECTOR);
	GUEST_DONE();
}

static int expect_msr_exit(struct vt_vcpu *vcpu, uint32_t index, bool write,
			   uint64_t data)
{
	struct vmem_run *run = vcpu->run;

	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_MSR);
	EXPECT_EQ(run->msr.index, index);
	EXPECT_EQ(run->msr.is_write, write);
	EXPECT_EQ(run->msr.error, 0);
	if (write)
		EXPECT_EQ(run->msr.data, data);
	return vt_case_failed() ? VT_FAIL : VT_PASS;
}

static int test_unknown_msr_exits(void)
{
	struct vmem_run *run;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_unknown));
	run = vcpu->run;
	/* Read: the VMM answers data. */
	ASSERT_EQ(expect_msr_exit(vcpu, UNKNOWN_MSR, false, 0), VT_PASS);
	run->msr.data = 0x1122334455667788ull;
	/* Write: accepted. */
	ASSERT_EQ(expect_msr_exit(vcpu, UNKNOWN_MSR, true, 0xabcdef0012345678ull),
		  VT_PASS);
	/* Write: refused, #GP. */
	ASSERT_EQ(expect_msr_exit(vcpu, UNKNOWN_MSR, true, 0x5), VT_PASS);
	run->msr.error = 1;
	/* Read: refused, #GP. */
	ASSERT_EQ(expect_msr_exit(vcpu, UNKNOWN_MSR + 1, false, 0), VT_PASS);
	run->msr.error = 1;
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static void guest_idle(void)
{
	GUEST_DONE();
}

static int test_msr_lists(void)
{
	struct vmem_msrs *m;
	struct vmem_sregs sr;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	uint64_t v;

	ASSERT_TRUE(m = calloc(1, sizeof(*m) + 257 * sizeof(m->entries[0])));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_idle));
	ASSERT_OK(vcpu_set_msr(vcpu, MSR_CSTAR, 0x1000));

	/* An unknown MSR stops the list: the return value points at it. */
	m->nmsrs = 4;
	m->entries[0].index = MSR_LSTAR;
	m->entries[0].data = 0xffffffff81234000ull;
	m->entries[1].index = MSR_STAR;
	m->entries[1].data = 0x0023001000000000ull;
	m->entries[2].index = UNKNOWN_MSR;
	m->entries[3].index = MSR_CSTAR;
	m->entries[3].data = 0x2000;
	EXPECT_EQ(ioctl(vcpu->fd, VMEM_SET_MSRS, m), 2);
	EXPECT_OK(vcpu_get_msr(vcpu, MSR_LSTAR, &v));
	EXPECT_EQ(v, 0xffffffff81234000ull);
	EXPECT_OK(vcpu_get_msr(vcpu, MSR_CSTAR, &v));
	EXPECT_EQ(v, 0x1000);
	memset(m->entries, 0, 4 * sizeof(m->entries[0]));
	m->entries[0].index = MSR_STAR;
	m->entries[1].index = MSR_LSTAR;
	m->entries[2].index = UNKNOWN_MSR;
	m->entries[3].index = MSR_CSTAR;
	EXPECT_EQ(ioctl(vcpu->fd, VMEM_GET_MSRS, m), 2);
	EXPECT_EQ(m->entries[0].data, 0x0023001000000000ull);
	EXPECT_EQ(m->entries[1].data, 0xffffffff81234000ull);

	/* A value the MSR refuses (non-canonical LSTAR) stops it too. */
	m->nmsrs = 1;
	m->entries[0].index = MSR_LSTAR;
	m->entries[0].data = 0x8000000000000000ull;
	EXPECT_EQ(ioctl(vcpu->fd, VMEM_SET_MSRS, m), 0);
	EXPECT_OK(vcpu_get_msr(vcpu, MSR_LSTAR, &v));
	EXPECT_EQ(v, 0xffffffff81234000ull);

	/* EFER through the MSR interface equals the sregs' EFER. */
	ASSERT_OK(vcpu_get_sregs(vcpu, &sr));
	EXPECT_OK(vcpu_get_msr(vcpu, MSR_EFER, &v));
	EXPECT_EQ(v, sr.efer);

	/* Headers. */
	m->nmsrs = 0;
	EXPECT_EQ(ioctl(vcpu->fd, VMEM_GET_MSRS, m), 0);
	m->nmsrs = 257;
	for (int i = 0; i < 257; i++)
		m->entries[i].index = MSR_LSTAR;
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_GET_MSRS, m), E2BIG);
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_SET_MSRS, m), E2BIG);
	m->nmsrs = 256;
	EXPECT_EQ(ioctl(vcpu->fd, VMEM_GET_MSRS, m), 256);
	m->nmsrs = 1;
	m->flags = 1;
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_GET_MSRS, m), EINVAL);
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_SET_MSRS, m), EINVAL);
	m->flags = 0;
	m->reserved = 1;
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_GET_MSRS, m), EINVAL);
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_SET_MSRS, m), EINVAL);
	m->reserved = 0;
	m->entries[0].reserved = 1;
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_GET_MSRS, m), EINVAL);
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_SET_MSRS, m), EINVAL);
	m->entries[0].reserved = 0;
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	free(m);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(guest_and_host_agree),
	VT_CASE(tsc),
	VT_CASE(unknown_msr_exits),
	VT_CASE(msr_lists),
};

VT_MAIN(cases, setup, NULL)
