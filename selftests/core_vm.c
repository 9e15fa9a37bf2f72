// SPDX-License-Identifier: GPL-2.0
/*
 * core_vm - the core's VM objects through raw ioctls, no guest code:
 * VMEM_CREATE_VM flags, memory slots and their errors, the VMM's mapping
 * of guest RAM (lazy allocation, zero fill, isolation, SIGBUS after a
 * slot is deleted), VM statistics, vCPU creation and the run area, the
 * supported CPUID table, and teardown in every fd-closing order with the
 * module's leak counters back where they started.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/vmem.h>

#include "vt.h"
#include "vt_util.h"

#define PG	4096UL
#define MiB	(1UL << 20)
#define GiB	(1UL << 30)

static int dev_fd = -1;
static struct vmem_limits lim;

static int setup(void)
{
	int ret = vt_require_dev();

	if (ret != VT_PASS)
		return ret;
	ASSERT_OK(dev_fd = vt_open_dev(O_RDWR));
	memset(&lim, 0, sizeof(lim));
	ASSERT_EQ(ioctl(dev_fd, VMEM_GET_LIMITS, &lim), 0);
	return VT_PASS;
}

static void teardown(void)
{
	if (dev_fd >= 0)
		close(dev_fd);
}

/* A VM fd, or SKIP when the backend cannot run VMs (yet). */
static int create_vm(int *vm)
{
	*vm = ioctl(dev_fd, VMEM_CREATE_VM, VMEM_VM_MMU_AUTO);
	if (*vm < 0 && errno == EOPNOTSUPP)
		SKIP("VMEM_CREATE_VM: no usable MMU/backend on this host");
	ASSERT_OK(*vm);
	return VT_PASS;
}

static int set_slot(int vm, uint32_t id, uint32_t flags, uint64_t gpa,
		    uint64_t size)
{
	struct vmem_memslot ms = {
		.slot = id, .flags = flags, .gpa = gpa, .size = size,
	};

	return ioctl(vm, VMEM_SET_MEMSLOT, &ms);
}

static int get_stats(int vm, struct vmem_vm_stats *st)
{
	memset(st, 0, sizeof(*st));
	return ioctl(vm, VMEM_GET_VM_STATS, st);
}

/* Module-wide leak counters (debugfs); -1 if unreadable. */
static long long counter(const char *path)
{
	unsigned long long v;

	return vt_read_u64(path, &v) ? -1 : (long long)v;
}

/* ---------------------------------------------------------------------- */

static int test_create_vm_flags(void)
{
	long hw = ioctl(dev_fd, VMEM_CHECK_EXTENSION, VMEM_CAP_HW_MMU);
	int vm;

	EXPECT_ERRNO(ioctl(dev_fd, VMEM_CREATE_VM, 0x4), EINVAL);
	EXPECT_ERRNO(ioctl(dev_fd, VMEM_CREATE_VM, VMEM_VM_MMU_MASK), EINVAL);
	EXPECT_ERRNO(ioctl(dev_fd, VMEM_CREATE_VM, 1UL << 40), EINVAL);
	if (!ioctl(dev_fd, VMEM_CHECK_EXTENSION, VMEM_CAP_SHADOW_MMU))
		EXPECT_ERRNO(ioctl(dev_fd, VMEM_CREATE_VM, VMEM_VM_MMU_SHADOW),
			     EOPNOTSUPP);
	if (!hw) {
		EXPECT_ERRNO(ioctl(dev_fd, VMEM_CREATE_VM, VMEM_VM_MMU_HW),
			     EOPNOTSUPP);
		return VT_PASS;
	}
	vm = ioctl(dev_fd, VMEM_CREATE_VM, VMEM_VM_MMU_HW);
	if (vm < 0 && errno == EOPNOTSUPP)
		SKIP("backend cannot run VMs");
	ASSERT_OK(vm);
	/* A VM fd is not a system fd. */
	EXPECT_ERRNO(ioctl(vm, VMEM_CREATE_VM, 0), ENOTTY);
	EXPECT_EQ(fcntl(vm, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(vm);
	return VT_PASS;
}

static int test_memslot_errors(void)
{
	uint64_t top = 1ULL << lim.max_gpa_bits;
	struct vmem_memslot ms;
	int vm;

	if (create_vm(&vm) != VT_PASS)
		return vt_case_failed() ? VT_FAIL : VT_SKIP;

	EXPECT_ERRNO(set_slot(vm, lim.max_memslots, 0, 0, PG), EINVAL);
	/* The lowest flag bit the ABI does not define. */
	EXPECT_ERRNO(set_slot(vm, 0, VMEM_MEMSLOT_SMALL_PAGES << 1, 0, PG),
		     EINVAL);
	EXPECT_ERRNO(set_slot(vm, 0, 0, 0x800, PG), EINVAL);
	EXPECT_ERRNO(set_slot(vm, 0, 0, 0, PG + 1), EINVAL);
	EXPECT_ERRNO(set_slot(vm, 0, 0, -PG, 2 * PG), EINVAL);
	EXPECT_ERRNO(set_slot(vm, 0, 0, top - PG, 2 * PG), EINVAL);
	EXPECT_ERRNO(set_slot(vm, 0, 0, top, PG), EINVAL);
	memset(&ms, 0, sizeof(ms));
	ms.size = PG;
	ms.reserved[4] = 1;
	EXPECT_ERRNO(ioctl(vm, VMEM_SET_MEMSLOT, &ms), EINVAL);
	/* Deleting what does not exist. */
	EXPECT_ERRNO(set_slot(vm, 3, 0, 0, 0), ENOENT);

	/* Overlaps and ids. */
	ASSERT_EQ(set_slot(vm, 0, 0, 1 * MiB, 1 * MiB), 0);
	EXPECT_ERRNO(set_slot(vm, 0, 0, 8 * MiB, PG), EEXIST);
	EXPECT_ERRNO(set_slot(vm, 1, 0, 1 * MiB, PG), EEXIST);
	EXPECT_ERRNO(set_slot(vm, 1, 0, 2 * MiB - PG, 2 * PG), EEXIST);
	EXPECT_ERRNO(set_slot(vm, 1, 0, 0, 1 * MiB + PG), EEXIST);
	EXPECT_ERRNO(set_slot(vm, 1, 0, 0, 4 * MiB), EEXIST);
	/* Neighbours are fine. */
	EXPECT_EQ(set_slot(vm, 1, 0, 0, 1 * MiB), 0);
	EXPECT_EQ(set_slot(vm, 2, VMEM_MEMSLOT_READONLY, 2 * MiB, 1 * MiB), 0);
	/* A delete carries nothing else; then the id is free again. */
	EXPECT_ERRNO(set_slot(vm, 1, 0, 4096, 0), EINVAL);
	EXPECT_EQ(set_slot(vm, 1, 0, 0, 0), 0);
	EXPECT_EQ(set_slot(vm, 1, 0, 16 * MiB, 1 * MiB), 0);

	/* max_mem_mb: the sum of the slots. */
	if (2 * lim.max_mem_bytes <= top)
		EXPECT_ERRNO(set_slot(vm, 3, 0, lim.max_mem_bytes,
				      lim.max_mem_bytes), ENOSPC);
	close(vm);
	return VT_PASS;
}

static int test_stats_and_lazy(void)
{
	struct vmem_vm_stats st;
	uint8_t *mem;
	size_t i;
	int vm;

	if (create_vm(&vm) != VT_PASS)
		return vt_case_failed() ? VT_FAIL : VT_SKIP;
	ASSERT_EQ(set_slot(vm, 0, 0, 0, 1 * GiB), 0);
	ASSERT_EQ(set_slot(vm, 5, 0, 4 * GiB, 4 * GiB), 0);
	ASSERT_EQ(get_stats(vm, &st), 0);
	EXPECT_EQ(st.configured, (5 * GiB) / PG);
	EXPECT_EQ(st.granted, 0);
	EXPECT_EQ(st.consumed, 0);

	/* Bad input. */
	st.flags = 1;
	EXPECT_ERRNO(ioctl(vm, VMEM_GET_VM_STATS, &st), EINVAL);
	memset(&st, 0, sizeof(st));
	st.reserved[1] = 1;
	EXPECT_ERRNO(ioctl(vm, VMEM_GET_VM_STATS, &st), EINVAL);

	mem = mmap(NULL, 1 * GiB, PROT_READ | PROT_WRITE, MAP_SHARED, vm, 0);
	ASSERT_TRUE(mem != MAP_FAILED);
	/* 4 MiB touched: reads see zeros, and are allocations too. */
	for (i = 0; i < 4 * MiB; i += PG) {
		if (mem[i + 17]) {
			FAIL("fresh page at %#zx not zero", i);
		}
		if (i & PG)
			mem[i] = (uint8_t)(i >> 12);
	}
	ASSERT_EQ(get_stats(vm, &st), 0);
	vt_diag("granted %llu consumed %llu overhead %llu configured %llu",
		(unsigned long long)st.granted,
		(unsigned long long)st.consumed,
		(unsigned long long)st.overhead,
		(unsigned long long)st.configured);
	EXPECT_EQ(st.granted, 4 * MiB / PG);
	EXPECT_EQ(st.consumed, st.granted);
	EXPECT_EQ(st.shared, 0);
	EXPECT_EQ(st.zero, 0);
	EXPECT_EQ(st.swapped, 0);
	for (i = 0; i < sizeof(st.reserved) / sizeof(st.reserved[0]); i++)
		EXPECT_EQ(st.reserved[i], 0);

	/* Deleting the slot gives its pages back. */
	munmap(mem, 1 * GiB);
	EXPECT_EQ(set_slot(vm, 0, 0, 0, 0), 0);
	ASSERT_EQ(get_stats(vm, &st), 0);
	EXPECT_EQ(st.granted, 0);
	EXPECT_EQ(st.configured, 4 * GiB / PG);
	close(vm);
	return VT_PASS;
}

static int test_mmap_rules(void)
{
	void *p;
	int vm;

	if (create_vm(&vm) != VT_PASS)
		return vt_case_failed() ? VT_FAIL : VT_SKIP;
	ASSERT_EQ(set_slot(vm, 0, 0, 0, 1 * MiB), 0);
	ASSERT_EQ(set_slot(vm, 1, 0, 1 * MiB, 1 * MiB), 0);
	ASSERT_EQ(set_slot(vm, 2, VMEM_MEMSLOT_READONLY, 4 * MiB, 64 * 1024), 0);

	/* Private, straddling two slots, past a slot, or outside RAM. */
	p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, vm, 0);
	EXPECT_TRUE(p == MAP_FAILED && errno == EINVAL);
	p = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, vm, 1 * MiB - PG);
	EXPECT_TRUE(p == MAP_FAILED && errno == EINVAL);
	p = mmap(NULL, 2 * MiB, PROT_READ, MAP_SHARED, vm, 0);
	EXPECT_TRUE(p == MAP_FAILED && errno == EINVAL);
	p = mmap(NULL, PG, PROT_READ, MAP_SHARED, vm, 3 * MiB);
	EXPECT_TRUE(p == MAP_FAILED && errno == EINVAL);

	/* Inside one slot, ROM included (the VMM loads ROM this way). */
	p = mmap(NULL, 64 * 1024, PROT_READ | PROT_WRITE, MAP_SHARED, vm,
		 4 * MiB);
	ASSERT_TRUE(p != MAP_FAILED);
	memset(p, 0xa5, 64 * 1024);
	munmap(p, 64 * 1024);
	p = mmap(NULL, PG, PROT_READ, MAP_SHARED, vm, 4 * MiB + 60 * 1024);
	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_EQ(((uint8_t *)p)[5], 0xa5);
	munmap(p, PG);
	close(vm);
	return VT_PASS;
}

static int test_two_vms_isolated(void)
{
	uint8_t *a, *b;
	int vma, vmb;

	if (create_vm(&vma) != VT_PASS)
		return vt_case_failed() ? VT_FAIL : VT_SKIP;
	ASSERT_OK(vmb = ioctl(dev_fd, VMEM_CREATE_VM, VMEM_VM_MMU_AUTO));
	ASSERT_EQ(set_slot(vma, 0, 0, 0, 1 * MiB), 0);
	ASSERT_EQ(set_slot(vmb, 0, 0, 0, 1 * MiB), 0);
	a = mmap(NULL, 1 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, vma, 0);
	b = mmap(NULL, 1 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, vmb, 0);
	ASSERT_TRUE(a != MAP_FAILED && b != MAP_FAILED);
	memset(a, 0x11, 1 * MiB);
	EXPECT_EQ(b[0], 0);
	EXPECT_EQ(b[1 * MiB - 1], 0);
	memset(b, 0x22, PG);
	EXPECT_EQ(a[0], 0x11);
	munmap(a, 1 * MiB);
	munmap(b, 1 * MiB);
	close(vma);
	close(vmb);
	return VT_PASS;
}

/* Two mappings of one VM see each other's writes; a remap sees old data. */
static int test_mmap_coherent(void)
{
	uint8_t *a, *b;
	int vm;

	if (create_vm(&vm) != VT_PASS)
		return vt_case_failed() ? VT_FAIL : VT_SKIP;
	ASSERT_EQ(set_slot(vm, 0, 0, 0x100000, 1 * MiB), 0);
	a = mmap(NULL, 1 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, vm,
		 0x100000);
	b = mmap(NULL, PG, PROT_READ, MAP_SHARED, vm, 0x100000 + 5 * PG);
	ASSERT_TRUE(a != MAP_FAILED && b != MAP_FAILED);
	a[5 * PG + 9] = 0x77;
	EXPECT_EQ(b[9], 0x77);
	munmap(a, 1 * MiB);
	a = mmap(NULL, PG, PROT_READ, MAP_SHARED, vm, 0x100000 + 5 * PG);
	ASSERT_TRUE(a != MAP_FAILED);
	EXPECT_EQ(a[9], 0x77);
	munmap(a, PG);
	munmap(b, PG);
	close(vm);
	return VT_PASS;
}

static int test_sigbus_after_delete(void)
{
	volatile uint8_t *p;
	int status, vm;
	pid_t pid;

	if (create_vm(&vm) != VT_PASS)
		return vt_case_failed() ? VT_FAIL : VT_SKIP;
	ASSERT_EQ(set_slot(vm, 0, 0, 0, 1 * MiB), 0);
	p = mmap(NULL, 1 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, vm, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	p[0] = 1;
	ASSERT_EQ(set_slot(vm, 0, 0, 0, 0), 0);

	fflush(stdout);
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		signal(SIGBUS, SIG_DFL);
		(void)p[0];
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS);

	/* RAM back at that address: the old mapping sees the new slot. */
	ASSERT_EQ(set_slot(vm, 3, 0, 0, 1 * MiB), 0);
	EXPECT_EQ(p[0], 0);
	munmap((void *)p, 1 * MiB);
	close(vm);
	return VT_PASS;
}

static int test_vcpu_create(void)
{
	long run_size = ioctl(dev_fd, VMEM_CHECK_EXTENSION, VMEM_CAP_RUN_SIZE);
	struct vmem_run *run;
	int vm, vcpu, vcpu2;
	void *p;

	EXPECT_EQ(run_size, sysconf(_SC_PAGESIZE));
	if (create_vm(&vm) != VT_PASS)
		return vt_case_failed() ? VT_FAIL : VT_SKIP;

	EXPECT_ERRNO(ioctl(vm, VMEM_CREATE_VCPU, lim.max_vcpus), EINVAL);
	EXPECT_ERRNO(ioctl(vm, VMEM_CREATE_VCPU, -1UL), EINVAL);
	ASSERT_OK(vcpu = ioctl(vm, VMEM_CREATE_VCPU, 0));
	EXPECT_ERRNO(ioctl(vm, VMEM_CREATE_VCPU, 0), EEXIST);
	ASSERT_OK(vcpu2 = ioctl(vm, VMEM_CREATE_VCPU, lim.max_vcpus - 1));

	p = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu,
		 run_size);
	EXPECT_TRUE(p == MAP_FAILED && errno == EINVAL);
	p = mmap(NULL, 2 * run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	EXPECT_TRUE(p == MAP_FAILED && errno == EINVAL);
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ASSERT_TRUE(run != MAP_FAILED);
	EXPECT_EQ(run->exit_reason, VMEM_EXIT_NONE);
	EXPECT_EQ(run->stop, 0);

	/* A closed vCPU's id stays taken: the vCPU lives with its VM. */
	close(vcpu2);
	EXPECT_ERRNO(ioctl(vm, VMEM_CREATE_VCPU, lim.max_vcpus - 1), EEXIST);
	/* vCPU ioctls are not VM ioctls and vice versa. */
	EXPECT_ERRNO(ioctl(vcpu, VMEM_CREATE_VCPU, 1), ENOTTY);
	EXPECT_ERRNO(ioctl(vm, VMEM_RUN, 0), ENOTTY);
	EXPECT_ERRNO(ioctl(vcpu, VMEM_KICK, 1), EINVAL);

	munmap(run, run_size);
	close(vcpu);
	close(vm);
	return VT_PASS;
}

static int test_supported_cpuid(void)
{
	struct vmem_cpuid *c;
	uint32_t n, i;
	bool sig = false, l1 = false;

	c = calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));
	ASSERT_TRUE(c);
	c->nent = 0;
	EXPECT_ERRNO(ioctl(dev_fd, VMEM_GET_SUPPORTED_CPUID, c), E2BIG);
	n = c->nent;
	ASSERT_TRUE(n > 0 && n <= 256);
	c->flags = 1;
	c->nent = 256;
	EXPECT_ERRNO(ioctl(dev_fd, VMEM_GET_SUPPORTED_CPUID, c), EINVAL);
	c->flags = 0;
	ASSERT_EQ(ioctl(dev_fd, VMEM_GET_SUPPORTED_CPUID, c), 0);
	EXPECT_EQ(c->nent, n);
	for (i = 0; i < c->nent; i++) {
		struct vmem_cpuid_entry *e = &c->entries[i];

		if (e->function == 0x40000000)
			sig = !memcmp(&e->ebx, "Vmem", 4) &&
			      !memcmp(&e->ecx, "Vmem", 4) &&
			      !memcmp(&e->edx, "Vmem", 4);
		if (e->function == 1) {
			l1 = true;
			EXPECT_TRUE(e->ecx & (1u << 31));	/* hypervisor */
			EXPECT_EQ(e->ecx & (1u << 5), 0);	/* VMX */
			EXPECT_EQ(e->ecx & (1u << 21), 0);	/* x2APIC */
			EXPECT_EQ(e->ecx & (1u << 24), 0);	/* TSC deadline */
			EXPECT_EQ(e->ecx & (1u << 3), 0);	/* MONITOR */
			EXPECT_EQ(e->ecx & (1u << 17), 0);	/* PCID */
		}
		if (e->function == 0x80000001)
			EXPECT_EQ(e->ecx & (1u << 2), 0);	/* SVM */
		if (e->function == 0xd && e->index == 0)
			EXPECT_TRUE((e->eax & 3) == 3);		/* x87, SSE */
	}
	EXPECT_TRUE(sig);
	EXPECT_TRUE(l1);
	free(c);
	return VT_PASS;
}

static int test_set_cpuid_errors(void)
{
	struct vmem_cpuid *c;
	int vm, vcpu;

	if (create_vm(&vm) != VT_PASS)
		return vt_case_failed() ? VT_FAIL : VT_SKIP;
	ASSERT_OK(vcpu = ioctl(vm, VMEM_CREATE_VCPU, 0));
	c = calloc(1, sizeof(*c) + 300 * sizeof(c->entries[0]));
	ASSERT_TRUE(c);

	c->nent = 257;
	EXPECT_ERRNO(ioctl(vcpu, VMEM_SET_CPUID, c), E2BIG);
	c->nent = 2;
	c->entries[0].function = 1;
	c->entries[1].function = 1;
	EXPECT_ERRNO(ioctl(vcpu, VMEM_SET_CPUID, c), EINVAL);
	c->entries[0].function = 4;
	c->entries[0].flags = VMEM_CPUID_SIGNIFICANT_INDEX;
	c->entries[1].function = 4;
	c->entries[1].flags = VMEM_CPUID_SIGNIFICANT_INDEX;
	c->entries[1].index = 1;
	EXPECT_EQ(ioctl(vcpu, VMEM_SET_CPUID, c), 0);
	c->entries[1].index = 0;
	EXPECT_ERRNO(ioctl(vcpu, VMEM_SET_CPUID, c), EINVAL);
	c->entries[1].index = 1;
	c->entries[1].reserved[2] = 1;
	EXPECT_ERRNO(ioctl(vcpu, VMEM_SET_CPUID, c), EINVAL);
	c->entries[1].reserved[2] = 0;
	c->entries[1].flags = 2;
	EXPECT_ERRNO(ioctl(vcpu, VMEM_SET_CPUID, c), EINVAL);
	c->nent = 0;
	EXPECT_EQ(ioctl(vcpu, VMEM_SET_CPUID, c), 0);
	free(c);
	close(vcpu);
	close(vm);
	return VT_PASS;
}

/*
 * Build a VM with memory touched through a mapping and two vCPUs with
 * mapped run areas, then close everything in the order @order names
 * (v: VM fd, c: vCPU fds, m: mappings).
 */
static int lifetime_once(const char *order)
{
	int vm, vcpu[2];
	void *mem, *run[2];
	const char *o;
	int i;

	if (create_vm(&vm) != VT_PASS)
		return vt_case_failed() ? VT_FAIL : VT_SKIP;
	ASSERT_EQ(set_slot(vm, 0, 0, 0, 2 * MiB), 0);
	mem = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, vm, 0);
	ASSERT_TRUE(mem != MAP_FAILED);
	memset(mem, 1, 2 * MiB);
	for (i = 0; i < 2; i++) {
		ASSERT_OK(vcpu[i] = ioctl(vm, VMEM_CREATE_VCPU, i));
		run[i] = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED,
			      vcpu[i], 0);
		ASSERT_TRUE(run[i] != MAP_FAILED);
	}
	for (o = order; *o; o++) {
		switch (*o) {
		case 'v':
			close(vm);
			break;
		case 'c':
			close(vcpu[0]);
			close(vcpu[1]);
			break;
		case 'm':
			munmap(mem, 2 * MiB);
			munmap(run[0], PG);
			munmap(run[1], PG);
			break;
		}
	}
	return VT_PASS;
}

static int test_close_orders(void)
{
	static const char *const orders[] = {
		"vcm", "vmc", "cvm", "cmv", "mvc", "mcv",
	};
	long long pages0 = counter(VT_DEBUGFS_PAGES);
	long long objs0 = counter(VT_DEBUGFS_OBJECTS);
	unsigned int i;

	for (i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		int r = lifetime_once(orders[i]);

		if (r != VT_PASS)
			return r;
	}
	if (pages0 < 0 || objs0 < 0)
		SKIP("debugfs counters not readable");
	EXPECT_EQ(counter(VT_DEBUGFS_PAGES), pages0);
	EXPECT_EQ(counter(VT_DEBUGFS_OBJECTS), objs0);
	return VT_PASS;
}

/* A process dies with everything open: the kernel closes it for us. */
static int test_exit_with_everything_open(void)
{
	long long pages0 = counter(VT_DEBUGFS_PAGES);
	long long objs0 = counter(VT_DEBUGFS_OBJECTS);
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		int r = lifetime_once("");

		_exit(r == VT_PASS ? 0 : 1);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (pages0 < 0 || objs0 < 0)
		SKIP("debugfs counters not readable");
	EXPECT_EQ(counter(VT_DEBUGFS_PAGES), pages0);
	EXPECT_EQ(counter(VT_DEBUGFS_OBJECTS), objs0);
	return VT_PASS;
}

static int test_max_vms(void)
{
	int *fds;
	unsigned int i, n = 0;
	int r = VT_PASS;

	if (lim.max_vms > 256)
		SKIP("max_vms %u too high to fill here", lim.max_vms);
	fds = calloc(lim.max_vms + 1, sizeof(*fds));
	ASSERT_TRUE(fds);
	for (i = 0; i < lim.max_vms; i++) {
		fds[i] = ioctl(dev_fd, VMEM_CREATE_VM, VMEM_VM_MMU_AUTO);
		if (fds[i] < 0) {
			if (errno == EOPNOTSUPP)
				r = vt_skip("backend cannot run VMs");
			else
				EXPECT_OK(fds[i]);
			break;
		}
		n++;
	}
	if (n == lim.max_vms)
		EXPECT_ERRNO(ioctl(dev_fd, VMEM_CREATE_VM, VMEM_VM_MMU_AUTO),
			     ENOSPC);
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	if (r == VT_PASS && n == lim.max_vms) {
		/* Room again. */
		int vm = ioctl(dev_fd, VMEM_CREATE_VM, VMEM_VM_MMU_AUTO);

		EXPECT_OK(vm);
		close(vm);
	}
	return r;
}

static const struct vt_case cases[] = {
	VT_CASE(create_vm_flags),
	VT_CASE(memslot_errors),
	VT_CASE(stats_and_lazy),
	VT_CASE(mmap_rules),
	VT_CASE(two_vms_isolated),
	VT_CASE(mmap_coherent),
	VT_CASE(sigbus_after_delete),
	VT_CASE(vcpu_create),
	VT_CASE(supported_cpuid),
	VT_CASE(set_cpuid_errors),
	VT_CASE(close_orders),
	VT_CASE(exit_with_everything_open),
	VT_CASE(max_vms),
};

VT_MAIN(cases, setup, teardown);
