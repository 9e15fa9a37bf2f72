// SPDX-License-Identifier: GPL-2.0
/*
 * cpuid - VMEM_GET_SUPPORTED_CPUID and VMEM_SET_CPUID.
 *
 * The supported table is sane (leaf 0 and 1, the host's vendor, no
 * nesting bits, no duplicates, only known flags, E2BIG with the size
 * needed when the room is too small); the guest's CPUID returns exactly
 * the table set (a custom leaf and vendor string included; leaf 1 OSXSAVE
 * follows CR4.OSXSAVE), a leaf or subleaf not in the table reads as zeros
 * (Documentation/api.rst 4.15), bits the host cannot offer (SVM, VMX) are
 * cleared, each vCPU has its own table, and bad tables (too many entries,
 * the same leaf twice, an index without SIGNIFICANT_INDEX, unknown flags,
 * nonzero reserved) are refused and leave the previous table in force.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

struct cpuid_query {
	uint32_t fn, idx;
	uint32_t out[4];
};

#define MAX_QUERIES	300

static int setup(void)
{
	return vt_require_vm(VMEM_VM_MMU_AUTO);
}

static void guest_cpuid(struct cpuid_query *q, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		cpuid_count(q[i].fn, q[i].idx, &q[i].out[0], &q[i].out[1],
			    &q[i].out[2], &q[i].out[3]);
	GUEST_DONE();
}

/*
 * Run guest_cpuid on @vcpu (already vcpu_add()ed to @vm) for the leaves
 * in @q; the answers come back in @q.
 */
static int run_queries(struct vt_vm *vm, struct vt_vcpu *vcpu,
		       struct cpuid_query *q, unsigned int n)
{
	uint64_t gq = vm_alloc(vm, n * sizeof(*q));

	ASSERT_TRUE(gq != 0);
	ASSERT_OK(vm_write(vm, gq, q, n * sizeof(*q)));
	ASSERT_OK(vcpu_set_entry(vcpu, guest_cpuid));
	ASSERT_OK(vcpu_args_set(vcpu, 2, gq, n));
	ASSERT_RUN_DONE(vcpu);
	ASSERT_OK(vm_read(vm, gq, q, n * sizeof(*q)));
	return VT_PASS;
}

static struct vmem_cpuid *copy_supported(unsigned int extra)
{
	const struct vmem_cpuid *sup = vt_supported_cpuid();
	struct vmem_cpuid *c;

	if (!sup)
		return NULL;
	c = vt_cpuid_alloc(sup->nent + extra);
	if (!c)
		return NULL;
	memcpy(c->entries, sup->entries, sup->nent * sizeof(sup->entries[0]));
	c->nent = sup->nent;
	return c;
}

static struct vmem_cpuid_entry *find_mut(struct vmem_cpuid *c, uint32_t fn,
					 uint32_t idx)
{
	return (struct vmem_cpuid_entry *)vt_cpuid_find(c, fn, idx);
}

/* ---------------------------------------------------------------------- */

static int test_supported_sane(void)
{
	const struct vmem_cpuid *c = vt_supported_cpuid();
	const struct vmem_cpuid_entry *e0, *e1, *ex;
	uint32_t a, b, cx, d;

	ASSERT_TRUE(c != NULL);
	ASSERT_TRUE(c->nent > 0 && c->nent <= 256);
	ASSERT_TRUE((e0 = vt_cpuid_find(c, 0, 0)) != NULL);
	ASSERT_TRUE((e1 = vt_cpuid_find(c, 1, 0)) != NULL);
	EXPECT_GE(e0->eax, 1);
	/* The vendor is the host's. */
	cpuid_count(0, 0, &a, &b, &cx, &d);
	EXPECT_EQ(e0->ebx, b);
	EXPECT_EQ(e0->ecx, cx);
	EXPECT_EQ(e0->edx, d);
	/* No nesting. */
	EXPECT_EQ(e1->ecx & (1u << 5), 0);		/* VMX */
	ex = vt_cpuid_find(c, 0x80000001, 0);
	if (ex)
		EXPECT_EQ(ex->ecx & (1u << 2), 0);	/* SVM */
	/* Long mode, as the library needs it. */
	ASSERT_TRUE(ex != NULL);
	EXPECT_TRUE(ex->edx & (1u << 29));
	for (uint32_t i = 0; i < c->nent; i++) {
		const struct vmem_cpuid_entry *e = &c->entries[i];

		EXPECT_EQ(e->flags & ~VMEM_CPUID_SIGNIFICANT_INDEX, 0);
		EXPECT_TRUE(!e->reserved[0] && !e->reserved[1] && !e->reserved[2]);
		if (!(e->flags & VMEM_CPUID_SIGNIFICANT_INDEX))
			EXPECT_EQ(e->index, 0);
		for (uint32_t j = 0; j < i; j++) {
			const struct vmem_cpuid_entry *o = &c->entries[j];

			if (o->function == e->function && o->index == e->index)
				FAIL("leaf 0x%x.%u twice (entries %u and %u)",
				     e->function, e->index, j, i);
		}
		if (vt_case_failed()) {
			vt_diag("entry %u: leaf 0x%x.%u flags 0x%x", i,
				e->function, e->index, e->flags);
			break;
		}
	}
	return VT_PASS;
}

static int test_supported_room(void)
{
	const struct vmem_cpuid *full = vt_supported_cpuid();
	struct vmem_cpuid *c;
	int fd;

	ASSERT_TRUE(full != NULL);
	ASSERT_TRUE(c = vt_cpuid_alloc(256));
	ASSERT_OK(fd = vt_open_dev(O_RDWR));
	c->nent = 1;
	EXPECT_ERRNO(ioctl(fd, VMEM_GET_SUPPORTED_CPUID, c), E2BIG);
	EXPECT_EQ(c->nent, full->nent);
	c->nent = 256;
	c->flags = 1;
	EXPECT_ERRNO(ioctl(fd, VMEM_GET_SUPPORTED_CPUID, c), EINVAL);
	c->flags = 0;
	c->reserved = 1;
	EXPECT_ERRNO(ioctl(fd, VMEM_GET_SUPPORTED_CPUID, c), EINVAL);
	c->reserved = 0;
	c->nent = full->nent;
	EXPECT_OK(ioctl(fd, VMEM_GET_SUPPORTED_CPUID, c));
	EXPECT_EQ(c->nent, full->nent);
	EXPECT_TRUE(memcmp(c->entries, full->entries,
			   full->nent * sizeof(c->entries[0])) == 0);
	close(fd);
	free(c);
	return VT_PASS;
}

/* What the guest should see for @e (the bits that follow vCPU state). */
static void expected_regs(const struct vmem_cpuid_entry *e, uint64_t cr4,
			  uint32_t out[4])
{
	out[0] = e->eax;
	out[1] = e->ebx;
	out[2] = e->ecx;
	out[3] = e->edx;
	if (e->function == 1) {
		out[2] &= ~CPUID_1_ECX_OSXSAVE;
		if ((e->ecx & CPUID_1_ECX_XSAVE) && (cr4 & X86_CR4_OSXSAVE))
			out[2] |= CPUID_1_ECX_OSXSAVE;
	}
}

static int compare_table(const struct vmem_cpuid *c, const struct cpuid_query *q,
			 uint64_t cr4)
{
	unsigned int bad = 0;

	for (uint32_t i = 0; i < c->nent; i++) {
		const struct vmem_cpuid_entry *e = &c->entries[i];
		uint32_t want[4];

		expected_regs(e, cr4, want);
		/* Leaf 0xD.0 EBX/ECX are sizes vmem computes from XCR0. */
		if (e->function == 0xd && e->index == 0) {
			want[1] = q[i].out[1];
			want[2] = q[i].out[2];
		}
		if (memcmp(want, q[i].out, sizeof(want)) && bad++ < 8)
			vt_diag("leaf 0x%x.%u: set %08x %08x %08x %08x, guest saw %08x %08x %08x %08x",
				e->function, e->index, want[0], want[1], want[2],
				want[3], q[i].out[0], q[i].out[1], q[i].out[2],
				q[i].out[3]);
	}
	if (bad)
		FAIL("%u of %u leaves differ from the table set", bad, c->nent);
	return VT_PASS;
}

static int test_guest_sees_table(void)
{
	struct cpuid_query q[MAX_QUERIES];
	struct vmem_cpuid_entry *e;
	struct vmem_cpuid *c;
	struct vmem_sregs sr;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(c = copy_supported(2));
	/* A vendor of our own, fewer features, and two custom leaves. */
	ASSERT_TRUE(e = find_mut(c, 0, 0));
	memcpy(&e->ebx, "Vmem", 4);
	memcpy(&e->edx, "Test", 4);
	memcpy(&e->ecx, "CPU!", 4);
	ASSERT_TRUE(e = find_mut(c, 1, 0));
	e->ecx &= ~1u;				/* SSE3 */
	e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	e->function = 0x40000010;
	e->eax = 0x11111111;
	e->ebx = 0x22222222;
	e->ecx = 0x33333333;
	e->edx = 0x44444444;
	e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	e->function = 0x40000011;
	e->flags = VMEM_CPUID_SIGNIFICANT_INDEX;
	e->index = 7;
	e->eax = 0xdeadbeef;
	ASSERT_TRUE(c->nent <= MAX_QUERIES);

	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, NULL));
	ASSERT_OK(vcpu_set_cpuid(vcpu, c));
	for (uint32_t i = 0; i < c->nent; i++) {
		q[i].fn = c->entries[i].function;
		q[i].idx = c->entries[i].index;
	}
	ASSERT_EQ(run_queries(vm, vcpu, q, c->nent), VT_PASS);
	ASSERT_OK(vcpu_get_sregs(vcpu, &sr));
	compare_table(c, q, sr.cr4);
	vm_free(vm);
	free(c);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static int test_unset_leaf_zero(void)
{
	static const uint32_t leaves[][2] = {
		{ 0x40000050, 0 },	/* never set */
		{ 0x8fffffff, 0 },
		{ 0x6, 0 },		/* removed below: a hole under the max */
		{ 0x40000011, 8 },	/* other subleaf of a set leaf */
		{ 0x40000011, 0 },
	};
	struct cpuid_query q[VT_ARRAY_SIZE(leaves)];
	struct vmem_cpuid_entry *e;
	struct vmem_cpuid *c;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(c = copy_supported(1));
	for (uint32_t i = 0; i < c->nent; i++) {
		if (c->entries[i].function == 6) {
			c->entries[i] = c->entries[--c->nent];
			break;
		}
	}
	e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	e->function = 0x40000011;
	e->flags = VMEM_CPUID_SIGNIFICANT_INDEX;
	e->index = 7;
	e->eax = 0x1234;
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, NULL));
	ASSERT_OK(vcpu_set_cpuid(vcpu, c));
	for (unsigned int i = 0; i < VT_ARRAY_SIZE(leaves); i++) {
		q[i].fn = leaves[i][0];
		q[i].idx = leaves[i][1];
		memset(q[i].out, 0xa5, sizeof(q[i].out));
	}
	ASSERT_EQ(run_queries(vm, vcpu, q, VT_ARRAY_SIZE(leaves)), VT_PASS);
	for (unsigned int i = 0; i < VT_ARRAY_SIZE(leaves); i++) {
		if (q[i].out[0] | q[i].out[1] | q[i].out[2] | q[i].out[3])
			FAIL("unset leaf 0x%x.%u reads %08x %08x %08x %08x, expected zeros",
			     q[i].fn, q[i].idx, q[i].out[0], q[i].out[1],
			     q[i].out[2], q[i].out[3]);
	}
	vm_free(vm);
	free(c);
	return VT_PASS;
}

static int test_unsupported_bits_cleared(void)
{
	struct cpuid_query q[2] = { { 1, 0, { 0 } }, { 0x80000001, 0, { 0 } } };
	struct vmem_cpuid_entry *e;
	struct vmem_cpuid *c;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	uint32_t want_ecx;

	ASSERT_TRUE(c = copy_supported(0));
	ASSERT_TRUE(e = find_mut(c, 1, 0));
	want_ecx = e->ecx;
	e->ecx |= 1u << 5;			/* VMX */
	ASSERT_TRUE(e = find_mut(c, 0x80000001, 0));
	e->ecx |= 1u << 2;			/* SVM */
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, NULL));
	ASSERT_OK(vcpu_set_cpuid(vcpu, c));
	ASSERT_EQ(run_queries(vm, vcpu, q, 2), VT_PASS);
	EXPECT_EQ(q[0].out[2] & (1u << 5), 0);
	EXPECT_EQ(q[1].out[2] & (1u << 2), 0);
	/* The rest of the word as set (OSXSAVE follows CR4). */
	EXPECT_EQ(q[0].out[2] & ~CPUID_1_ECX_OSXSAVE,
		  want_ecx & ~CPUID_1_ECX_OSXSAVE);
	vm_free(vm);
	free(c);
	return VT_PASS;
}

static int test_per_vcpu_tables(void)
{
	struct cpuid_query q[1] = { { 0x40000020, 0, { 0 } } };
	struct vmem_cpuid *c0, *c1;
	struct vt_vcpu *v0, *v1;
	struct vt_vm *vm;

	ASSERT_TRUE(c0 = copy_supported(1));
	ASSERT_TRUE(c1 = copy_supported(1));
	c0->entries[c0->nent++] = (struct vmem_cpuid_entry){
		.function = 0x40000020, .eax = 0xa0 };
	c1->entries[c1->nent++] = (struct vmem_cpuid_entry){
		.function = 0x40000020, .eax = 0xa1 };
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(v0 = vcpu_add(vm, 0, NULL));
	ASSERT_TRUE(v1 = vcpu_add(vm, 1, NULL));
	ASSERT_OK(vcpu_set_cpuid(v0, c0));
	ASSERT_OK(vcpu_set_cpuid(v1, c1));
	ASSERT_EQ(run_queries(vm, v0, q, 1), VT_PASS);
	EXPECT_EQ(q[0].out[0], 0xa0);
	ASSERT_EQ(run_queries(vm, v1, q, 1), VT_PASS);
	EXPECT_EQ(q[0].out[0], 0xa1);
	vm_free(vm);
	free(c0);
	free(c1);
	return VT_PASS;
}

static int set_cpuid_raw(struct vt_vcpu *vcpu, const struct vmem_cpuid *c)
{
	return ioctl(vcpu->fd, VMEM_SET_CPUID, c);
}

static int test_bad_tables(void)
{
	struct cpuid_query q[1] = { { 0x40000030, 0, { 0 } } };
	struct vmem_cpuid *good, *c;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	long r;
	int err;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(good = copy_supported(1));
	good->entries[good->nent++] = (struct vmem_cpuid_entry){
		.function = 0x40000030, .eax = 0x600d };
	ASSERT_TRUE(c = vt_cpuid_alloc(257));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, NULL));
	ASSERT_OK(vcpu_set_cpuid(vcpu, good));

	/* 257 entries: too many. */
	for (uint32_t i = 0; i < 257; i++)
		c->entries[i] = (struct vmem_cpuid_entry){ .function = 0x40000100 + i };
	c->nent = 257;
	errno = 0;
	r = set_cpuid_raw(vcpu, c);
	err = errno;
	if (r != -1 || err != E2BIG)
		FAIL("SET_CPUID with 257 entries: expected -1 with E2BIG, got %ld (%s)",
		     r, vt_errno_name(err));
	/* Exactly 256 distinct entries are fine. */
	c->nent = 256;
	EXPECT_OK(set_cpuid_raw(vcpu, c));
	ASSERT_OK(vcpu_set_cpuid(vcpu, good));

	/* The same leaf twice. */
	c->nent = 2;
	c->entries[0] = (struct vmem_cpuid_entry){ .function = 0x40000040 };
	c->entries[1] = (struct vmem_cpuid_entry){ .function = 0x40000040, .eax = 1 };
	EXPECT_ERRNO(set_cpuid_raw(vcpu, c), EINVAL);
	/* ... also when only one of them has a significant index. */
	c->entries[1].flags = VMEM_CPUID_SIGNIFICANT_INDEX;
	EXPECT_ERRNO(set_cpuid_raw(vcpu, c), EINVAL);
	/* Same leaf and subleaf, both significant. */
	c->entries[0].flags = VMEM_CPUID_SIGNIFICANT_INDEX;
	c->entries[0].index = c->entries[1].index = 3;
	EXPECT_ERRNO(set_cpuid_raw(vcpu, c), EINVAL);
	/* Different subleaves are two leaves: fine. */
	c->entries[1].index = 4;
	EXPECT_OK(set_cpuid_raw(vcpu, c));
	ASSERT_OK(vcpu_set_cpuid(vcpu, good));
	/* An index without SIGNIFICANT_INDEX, unknown entry flags. */
	c->nent = 1;
	c->entries[0] = (struct vmem_cpuid_entry){ .function = 0x40000040, .index = 1 };
	EXPECT_ERRNO(set_cpuid_raw(vcpu, c), EINVAL);
	c->entries[0] = (struct vmem_cpuid_entry){ .function = 0x40000040, .flags = 2 };
	EXPECT_ERRNO(set_cpuid_raw(vcpu, c), EINVAL);
	/* Nonzero reserved fields. */
	for (int i = 0; i < 3; i++) {
		c->entries[0] = (struct vmem_cpuid_entry){ .function = 0x40000040 };
		c->entries[0].reserved[i] = 1;
		EXPECT_ERRNO(set_cpuid_raw(vcpu, c), EINVAL);
	}
	c->entries[0] = (struct vmem_cpuid_entry){ .function = 0x40000040 };
	c->flags = 1;
	EXPECT_ERRNO(set_cpuid_raw(vcpu, c), EINVAL);
	c->flags = 0;
	c->reserved = 1ull << 63;
	EXPECT_ERRNO(set_cpuid_raw(vcpu, c), EINVAL);
	c->reserved = 0;
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_SET_CPUID, NULL), EFAULT);

	/* None of that changed the table. */
	ASSERT_EQ(run_queries(vm, vcpu, q, 1), VT_PASS);
	EXPECT_EQ(q[0].out[0], 0x600d);
	vm_free(vm);
	free(c);
	free(good);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(supported_sane),
	VT_CASE(supported_room),
	VT_CASE(guest_sees_table),
	VT_CASE(unset_leaf_zero),
	VT_CASE(unsupported_bits_cleared),
	VT_CASE(per_vcpu_tables),
	VT_CASE(bad_tables),
};

VT_MAIN(cases, setup, NULL)
