// SPDX-License-Identifier: GPL-2.0
/*
 * memory - guest memory owned by vmem: lazy allocation (a 1 GiB slot
 * costs nothing; the guest touching 4 MiB grants exactly 1024 pages more,
 * on top of exactly the pages the library wrote), fresh pages read zero
 * for the guest and through the VMM mapping, a deleted and re-created
 * slot is zero again and its pages are freed, two VMs never see each
 * other's memory, and the VMM mapping is coherent with the guest both
 * ways while the vCPU runs.
 *
 * The kernel must provide Documentation/api.rst section 6 and
 * VMEM_GET_VM_STATS (4.8).
 */
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

#define BIG_GPA		(1ull << 30)
#define BIG_SIZE	(1ull << 30)
#define TOUCH_SIZE	(4ull << 20)

static volatile uint64_t isolation_counter = 1000;

static int setup(void)
{
	return vt_require_vm(VMEM_VM_MMU_AUTO);
}

static void guest_touch(uint64_t start, uint64_t size)
{
	for (uint64_t a = start; a < start + size; a += 4096)
		*(volatile uint8_t *)(a + (a >> 12) % 4096) = 1;
	GUEST_SYNC(1);
	/* Touching again allocates nothing. */
	for (uint64_t a = start; a < start + size; a += 4096)
		*(volatile uint8_t *)a = 2;
	GUEST_SYNC(2);
	GUEST_DONE();
}

static int test_lazy_allocation(void)
{
	struct vmem_vm_stats st0, st1, st2;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_add_slot(vm, 1, BIG_GPA, BIG_SIZE, 0));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_touch));
	ASSERT_OK(vcpu_args_set(vcpu, 2, BIG_GPA + (64ull << 20), TOUCH_SIZE));

	ASSERT_OK(vm_get_stats(vm, &st0));
	EXPECT_EQ(st0.configured, (VT_MAIN_SIZE + BIG_SIZE) / 4096);
	/* Only what the library wrote (image, tables, stack). */
	EXPECT_EQ(st0.granted, vm_lib_touched_pages(vm));
	EXPECT_EQ(st0.consumed, st0.granted);
	vt_diag("before the guest runs: granted %llu (library wrote %llu pages), overhead %llu",
		(unsigned long long)st0.granted,
		(unsigned long long)vm_lib_touched_pages(vm),
		(unsigned long long)st0.overhead);

	ASSERT_RUN_SYNC(vcpu, 1);
	ASSERT_OK(vm_get_stats(vm, &st1));
	EXPECT_EQ(st1.granted - st0.granted, TOUCH_SIZE / 4096);
	EXPECT_EQ(st1.consumed, st1.granted);
	EXPECT_EQ(st1.configured, st0.configured);
	EXPECT_GE(st1.overhead, 1);
	EXPECT_EQ(st1.shared, 0);
	EXPECT_EQ(st1.swapped, 0);
	for (int i = 0; i < (int)(sizeof(st1.reserved) / sizeof(st1.reserved[0])); i++)
		EXPECT_EQ(st1.reserved[i], 0);

	ASSERT_RUN_SYNC(vcpu, 2);
	ASSERT_OK(vm_get_stats(vm, &st2));
	EXPECT_EQ(st2.granted, st1.granted);
	ASSERT_RUN_DONE(vcpu);

	/* Deleting the slot frees its pages. */
	ASSERT_OK(vm_delete_slot(vm, 1));
	ASSERT_OK(vm_get_stats(vm, &st2));
	EXPECT_EQ(st2.granted, st0.granted);
	EXPECT_EQ(st2.configured, VT_MAIN_SIZE / 4096);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static void guest_read_zero(uint64_t start, uint64_t size)
{
	for (uint64_t a = start; a < start + size; a += 64)
		GUEST_ASSERT_MSG(*(volatile uint64_t *)a == 0,
				 "fresh guest memory at 0x%llx reads 0x%llx",
				 (unsigned long long)a,
				 (unsigned long long)*(volatile uint64_t *)a);
	GUEST_SYNC(1);
	/* Dirty a page of slot 2; the host deletes and re-creates it. */
	*(volatile uint64_t *)(BIG_GPA + BIG_SIZE) = 0xaaaa;
	GUEST_SYNC(2);
	GUEST_ASSERT_EQ(*(volatile uint64_t *)(BIG_GPA + BIG_SIZE), 0);
	GUEST_DONE();
}

static int test_fresh_pages_zero(void)
{
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	uint64_t *p;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_add_slot(vm, 1, BIG_GPA, BIG_SIZE, 0));
	ASSERT_OK(vm_add_slot(vm, 2, BIG_GPA + BIG_SIZE, 2 << 20, 0));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_read_zero));
	ASSERT_OK(vcpu_args_set(vcpu, 2, BIG_GPA, 256 << 10));
	/* The VMM's first touch reads zero too. */
	ASSERT_TRUE(p = vm_gpa2hva(vm, BIG_GPA + (16 << 20)));
	for (unsigned int i = 0; i < (64 << 10) / 8; i++)
		if (p[i])
			FAIL("fresh page through the VMM mapping: offset %u reads 0x%llx",
			     i * 8, (unsigned long long)p[i]);
	ASSERT_RUN_SYNC(vcpu, 1);
	ASSERT_RUN_SYNC(vcpu, 2);
	ASSERT_TRUE(p = vm_gpa2hva(vm, BIG_GPA + BIG_SIZE));
	EXPECT_EQ(*p, 0xaaaa);
	ASSERT_OK(vm_delete_slot(vm, 2));
	ASSERT_OK(vm_add_slot(vm, 2, BIG_GPA + BIG_SIZE, 2 << 20, 0));
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

#define ISO_GPA		0x3000000ull	/* in the main slot, untouched */

static void guest_isolation(uint64_t write)
{
	volatile uint64_t *p = (volatile uint64_t *)ISO_GPA;

	GUEST_ASSERT_EQ(isolation_counter, 1000);
	if (write) {
		for (int i = 0; i < 512; i++)
			p[i] = 0xa5a5a5a500000000ull | i;
		isolation_counter = 2000;
	} else {
		for (int i = 0; i < 512; i++)
			GUEST_ASSERT_EQ(p[i], 0);
	}
	GUEST_SYNC(1);
	if (write) {
		for (int i = 0; i < 512; i++)
			GUEST_ASSERT_EQ(p[i], 0xa5a5a5a500000000ull | i);
		GUEST_ASSERT_EQ(isolation_counter, 2000);
	} else {
		for (int i = 0; i < 512; i++)
			GUEST_ASSERT_EQ(p[i], 0);
		GUEST_ASSERT_EQ(isolation_counter, 1000);
	}
	GUEST_DONE();
}

static int test_vms_isolated(void)
{
	struct vt_vcpu *va, *vb;
	struct vt_vm *a, *b;
	struct vt_leaks base;
	uint64_t *pa, *pb;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(a = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(b = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(va = vcpu_add(a, 0, guest_isolation));
	ASSERT_TRUE(vb = vcpu_add(b, 0, guest_isolation));
	ASSERT_OK(vcpu_args_set(va, 1, 1));
	ASSERT_OK(vcpu_args_set(vb, 1, 0));
	ASSERT_RUN_SYNC(va, 1);		/* A wrote */
	ASSERT_RUN_SYNC(vb, 1);		/* B sees nothing of it */
	ASSERT_TRUE(pa = vm_gpa2hva(a, ISO_GPA));
	ASSERT_TRUE(pb = vm_gpa2hva(b, ISO_GPA));
	EXPECT_EQ(pa[7], 0xa5a5a5a500000007ull);
	EXPECT_EQ(pb[7], 0);
	EXPECT_EQ(*VM_GUEST_PTR(a, isolation_counter), 2000);
	EXPECT_EQ(*VM_GUEST_PTR(b, isolation_counter), 1000);
	/* The host's own copy is untouched too. */
	EXPECT_EQ(isolation_counter, 1000);
	ASSERT_RUN_DONE(vb);
	ASSERT_RUN_DONE(va);
	vm_free(a);
	vm_free(b);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Coherence while running                                                 */

#define ECHO_ROUNDS	200
#define ECHO_GPA	0x3100000ull

struct runner {
	struct vt_vcpu *vcpu;
	uint64_t cmd;
	struct vt_ucall uc;
	int err;
};

static void *run_thread(void *arg)
{
	struct runner *r = arg;

	r->cmd = vcpu_run_ucall(r->vcpu, &r->uc);
	r->err = errno;
	return NULL;
}

static void guest_echo(uint64_t rounds)
{
	volatile uint64_t *req = (volatile uint64_t *)ECHO_GPA;
	volatile uint64_t *ack = req + 512;	/* next page */
	uint64_t last = 0;

	while (last != rounds) {
		uint64_t v = *req;

		if (v != last) {
			*ack = v * 3;
			last = v;
		}
	}
	GUEST_DONE();
}

static bool wait_for(volatile uint64_t *p, uint64_t want)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (*p != want) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 20)
			return false;
	}
	return true;
}

static int test_mmap_coherent_while_running(void)
{
	volatile uint64_t *req, *ack;
	struct vt_leaks base;
	struct runner r;
	pthread_t th;
	struct vt_vm *vm;
	unsigned int i;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(r.vcpu = vcpu_add(vm, 0, guest_echo));
	ASSERT_OK(vcpu_args_set(r.vcpu, 1, ECHO_ROUNDS));
	ASSERT_TRUE(req = vm_gpa2hva(vm, ECHO_GPA));
	ASSERT_TRUE(ack = vm_gpa2hva(vm, ECHO_GPA + 4096));
	ASSERT_EQ(pthread_create(&th, NULL, run_thread, &r), 0);
	for (i = 1; i <= ECHO_ROUNDS; i++) {
		*req = i;
		if (!wait_for(ack, i * 3))
			break;
	}
	if (i <= ECHO_ROUNDS) {
		vt_diag("round %u: the guest's answer never showed (ack 0x%llx); kicking it",
			i, (unsigned long long)*ack);
		ioctl(r.vcpu->fd, VMEM_KICK, 0);
		*req = ECHO_ROUNDS;
	}
	pthread_join(th, NULL);
	EXPECT_TRUE(i > ECHO_ROUNDS);
	if (r.cmd != UCALL_DONE) {
		vcpu_describe_ucall(r.vcpu, &r.uc);
		FAIL("vCPU thread ended with %s (errno %s)", vt_ucall_name(r.cmd),
		     vt_errno_name(r.err));
	}
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(lazy_allocation),
	VT_CASE(fresh_pages_zero),
	VT_CASE(vms_isolated),
	VT_CASE(mmap_coherent_while_running),
};

VT_MAIN(cases, setup, NULL)
