// SPDX-License-Identifier: GPL-2.0
/*
 * pool_swap - limits enforced by reclaim and hypervisor swap, min-funding
 * revocation, the Swapped statistic and the events (Documentation/
 * pools.rst, "Limits, reclaim and hypervisor swap").
 *
 * VMEM_SET_SWAP_FILE's bad input; one file serves one VM at a time
 * (EBUSY, by inode); O_APPEND set on the VMM's fd later changes nothing
 * (vmem writes through its own open); a guest that touches twice its limit
 * (8 MiB, 16 MiB touched with a pattern) keeps running, stays at or below
 * its limit in Consumed (polled while it runs), reads back every word it
 * wrote, Swapped > 0; the same done by the VMM through its mapping;
 * the worked example T5 (scaled 1/64) with another VM unaffected; a
 * pool's limit enforced on the VM inside it; a VM
 * without a swap file: zero pages collapse, then RUN fails with EDQUOT
 * and resumes once the limit is raised; a deleted slot frees its swap
 * slots; a swap file that cannot grow (EFBIG from RUN); min-funding under a small root
 * (the root's reservation lowered for the case), flat and down a tree of
 * pools; the events on the
 * multicast group; several vCPUs faulting past the limit at once with the
 * sharing daemon scanning fast.  Needs /dev/vmem, the netlink family,
 * root, and a writable /tmp.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/vmem.h>
#include <linux/vmem_netlink.h>

#include "nl_util.h"
#include "vt.h"
#include "vt_param.h"
#include "vt_util.h"
#include "vt_vm.h"

#define DATA_GPA	(1ull << 30)
#define MB		(1ull << 20)
#define PAGES(bytes)	((bytes) / 4096)
/* Reclaim's hysteresis (VMEM_RECLAIM_BATCH, kmod/reclaim.h). */
#define BATCH		32


static struct nlt_sock nl;
static struct nlt_reply R;

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */

static uint64_t pattern(uint64_t addr, uint64_t seed)
{
	return (addr * 0x9e3779b97f4a7c15ull) ^ seed;
}

/* Write the pattern to every word of [start, start + size). */
static void guest_fill_check(uint64_t start, uint64_t size, uint64_t seed)
{
	uint64_t bad = 0, first = 0;

	for (uint64_t a = start; a < start + size; a += 8)
		*(volatile uint64_t *)a = pattern(a, seed);
	GUEST_SYNC(1);
	for (uint64_t a = start; a < start + size; a += 8) {
		if (*(volatile uint64_t *)a != pattern(a, seed)) {
			if (!bad)
				first = a;
			bad++;
		}
	}
	GUEST_SYNC_ARGS(2, bad, first, 0);
	GUEST_DONE();
}

/* The same from the VMM through its mapping: mismatching words. */
static uint64_t host_fill(struct vt_vm *vm, uint64_t gpa, uint64_t size,
			  uint64_t seed)
{
	volatile uint64_t *p = vm_gpa2hva(vm, gpa);

	for (uint64_t i = 0; i < size / 8; i++)
		p[i] = pattern(gpa + i * 8, seed);
	return 0;
}

static uint64_t host_check(struct vt_vm *vm, uint64_t gpa, uint64_t size,
			   uint64_t seed)
{
	volatile uint64_t *p = vm_gpa2hva(vm, gpa);
	uint64_t bad = 0;

	for (uint64_t i = 0; i < size / 8; i++)
		if (p[i] != pattern(gpa + i * 8, seed))
			bad++;
	return bad;
}

/* A fresh, empty swap file in /tmp, open read-write; -1 on error. */
static int swap_file_open(void)
{
	char path[] = "/tmp/vmem-swap-XXXXXX";
	int fd = mkstemp(path);

	if (fd >= 0)
		unlink(path);
	return fd;
}

static int set_swap(struct vt_vm *vm, int fd)
{
	struct vmem_swap_file sf = { .fd = fd };

	return ioctl(vm->fd, VMEM_SET_SWAP_FILE, &sf);
}

static uint32_t vm_id(struct vt_vm *vm)
{
	int id = ioctl(vm->fd, VMEM_GET_VM_ID, 0);

	return id > 0 ? (uint32_t)id : 0;
}

/* vm_set_limits(): leave this one as it is (VMEM_UNLIMITED is ~0). */
#define KEEP		(~0ull - 1)

/* VM_SET of the reservation, limit and shares level (KEEP, ~0u: keep). */
static int vm_set_limits(struct vt_vm *vm, uint64_t res, uint64_t limit,
			 uint32_t shares_level)
{
	struct nlt_msg m;

	nlt_init(&m, &nl, VMEM_CMD_VM_SET, 0);
	nlt_put_u32(&m, VMEM_A_VM_ID, vm_id(vm));
	if (res != KEEP)
		nlt_put_u64(&m, VMEM_A_RESERVATION, res);
	if (limit != KEEP)
		nlt_put_u64(&m, VMEM_A_LIMIT, limit);
	if (shares_level != ~0u)
		nlt_put_u32(&m, VMEM_A_SHARES_LEVEL, shares_level);
	return nlt_call(&nl, &m, &R);
}

static int root_set_res(uint64_t res)
{
	struct nlt_msg m;

	nlt_init(&m, &nl, VMEM_CMD_POOL_SET, 0);
	nlt_put_u32(&m, VMEM_A_POOL_ID, VMEM_POOL_ROOT_ID);
	nlt_put_u64(&m, VMEM_A_RESERVATION, res);
	return nlt_call(&nl, &m, &R);
}

/* Consumed rounded up: a fraction of a page still counts against it. */
static uint64_t consumed_up(const struct vmem_vm_stats *st)
{
	return st->consumed + (st->consumed_frac ? 1 : 0);
}

/* A VM from the library with a data slot of @size at DATA_GPA. */
static struct vt_vm *data_vm(uint64_t size)
{
	struct vt_vm *vm = vm_create(VMEM_VM_MMU_AUTO);

	if (vm && vm_add_slot(vm, 1, DATA_GPA, size, 0)) {
		vm_free(vm);
		return NULL;
	}
	return vm;
}

/* The vCPU thread of the polled cases. */
struct runner {
	struct vt_vcpu *vcpu;
	uint64_t cmd;
	struct vt_ucall uc;
	int err;
	volatile int done;
};

static void *run_to_done(void *arg)
{
	struct runner *r = arg;

	for (;;) {
		r->cmd = vcpu_run_ucall(r->vcpu, &r->uc);
		r->err = errno;
		if (r->cmd != UCALL_SYNC)
			break;
		if (r->uc.args[0] == 2 && r->uc.args[1])
			break;	/* mismatches: report them */
	}
	r->done = 1;
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* VMEM_SET_SWAP_FILE                                                      */

static int test_swap_file_bad_input(void)
{
	struct vmem_swap_file sf;
	struct vt_leaks base;
	struct vt_vm *vm;
	int fd, fd2, pfd[2];

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_add_slot(vm, 0, 0, 4 * MB, 0));
	ASSERT_TRUE((fd = swap_file_open()) >= 0);

	EXPECT_ERRNO(set_swap(vm, -5), EBADF);
	EXPECT_ERRNO(set_swap(vm, 1000), EBADF);
	ASSERT_TRUE((fd2 = swap_file_open()) >= 0);
	close(fd2);
	EXPECT_ERRNO(set_swap(vm, fd2), EBADF);

	/* Read-only, write-only, append-only, a pipe, a directory. */
	fd2 = open("/proc/self/exe", O_RDONLY);
	ASSERT_TRUE(fd2 >= 0);
	EXPECT_ERRNO(set_swap(vm, fd2), EINVAL);
	close(fd2);
	{
		char path[] = "/tmp/vmem-swapw-XXXXXX";
		int w = mkstemp(path);

		ASSERT_TRUE(w >= 0);
		close(w);
		w = open(path, O_WRONLY);
		ASSERT_TRUE(w >= 0);
		EXPECT_ERRNO(set_swap(vm, w), EINVAL);
		close(w);
		w = open(path, O_RDWR | O_APPEND);
		ASSERT_TRUE(w >= 0);
		EXPECT_ERRNO(set_swap(vm, w), EINVAL);
		close(w);
		unlink(path);
	}
	ASSERT_OK(pipe(pfd));
	EXPECT_ERRNO(set_swap(vm, pfd[0]), EINVAL);
	EXPECT_ERRNO(set_swap(vm, pfd[1]), EINVAL);
	close(pfd[0]);
	close(pfd[1]);
	fd2 = open("/tmp", O_RDONLY | O_DIRECTORY);
	ASSERT_TRUE(fd2 >= 0);
	EXPECT_ERRNO(set_swap(vm, fd2), EINVAL);
	close(fd2);
	/* /dev/null: read-write, but not a regular file. */
	fd2 = open("/dev/null", O_RDWR);
	ASSERT_TRUE(fd2 >= 0);
	EXPECT_ERRNO(set_swap(vm, fd2), EINVAL);
	close(fd2);

	memset(&sf, 0, sizeof(sf));
	sf.fd = fd;
	sf.flags = 1;
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_SET_SWAP_FILE, &sf), EINVAL);
	sf.flags = 0;
	sf.reserved[2] = 1;
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_SET_SWAP_FILE, &sf), EINVAL);
	EXPECT_ERRNO(ioctl(vm->fd, VMEM_SET_SWAP_FILE, (void *)8), EFAULT);

	/* Good, replaced, detached, set again: nothing is out yet. */
	EXPECT_OK(set_swap(vm, fd));
	ASSERT_TRUE((fd2 = swap_file_open()) >= 0);
	EXPECT_OK(set_swap(vm, fd2));
	EXPECT_OK(set_swap(vm, -1));
	EXPECT_OK(set_swap(vm, fd));
	/* vmem holds its own reference. */
	close(fd2);

	/* Pages out: the file cannot change. */
	ASSERT_EQ(vm_set_limits(vm, KEEP, PAGES(1 * MB), ~0u), 0);
	host_fill(vm, 0, 2 * MB, 7);
	{
		struct vmem_vm_stats st = { 0 };

		ASSERT_OK(vm_get_stats(vm, &st));
		EXPECT_GE(st.swapped, PAGES(1 * MB));
		EXPECT_LE(consumed_up(&st), PAGES(1 * MB));
	}
	ASSERT_TRUE((fd2 = swap_file_open()) >= 0);
	EXPECT_ERRNO(set_swap(vm, fd2), EBUSY);
	EXPECT_ERRNO(set_swap(vm, -1), EBUSY);
	close(fd2);
	/* The VMM's own fd may go: vmem's reference keeps the file. */
	close(fd);
	EXPECT_EQ(host_check(vm, 0, 2 * MB, 7), 0);

	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/*
 * One swap file, one VM: slot numbers start at 0 in every VM, so a second
 * VM on the same file would read the first one's pages.  Refused with
 * EBUSY however the file is named (the same fd, a dup, a second open);
 * usable again once the first VM let it go (fd -1, or the VM closed).
 */
static int test_swap_file_one_vm(void)
{
	char path[] = "/tmp/vmem-swap1-XXXXXX";
	struct vt_vm *a, *b, *c;
	struct vt_leaks base;
	int fd, dupfd, fd2;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(a = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(b = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(c = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE((fd = mkstemp(path)) >= 0);
	ASSERT_TRUE((dupfd = dup(fd)) >= 0);
	ASSERT_TRUE((fd2 = open(path, O_RDWR)) >= 0);

	ASSERT_OK(set_swap(a, fd));
	EXPECT_ERRNO(set_swap(b, fd), EBUSY);
	EXPECT_ERRNO(set_swap(b, dupfd), EBUSY);
	EXPECT_ERRNO(set_swap(b, fd2), EBUSY);
	/* A's own file again, through another name: still A's. */
	EXPECT_OK(set_swap(a, fd2));

	/* A let go of it: B may have it, and then A may not. */
	ASSERT_OK(set_swap(a, -1));
	EXPECT_OK(set_swap(b, dupfd));
	EXPECT_ERRNO(set_swap(a, fd), EBUSY);
	EXPECT_ERRNO(set_swap(c, fd2), EBUSY);

	/* B closed: the file is free for C. */
	vm_free(b);
	EXPECT_OK(set_swap(c, fd2));
	EXPECT_ERRNO(set_swap(a, fd), EBUSY);

	/* And C's pages really go there and come back. */
	ASSERT_OK(vm_add_slot(c, 0, 0, 2 * MB, 0));
	ASSERT_EQ(vm_set_limits(c, KEEP, PAGES(1 * MB), ~0u), 0);
	host_fill(c, 0, 2 * MB, 11);
	EXPECT_EQ(host_check(c, 0, 2 * MB, 11), 0);

	vm_free(c);
	vm_free(a);
	close(fd2);
	close(dupfd);
	close(fd);
	unlink(path);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/*
 * O_APPEND set on the VMM's fd after VMEM_SET_SWAP_FILE must not turn
 * slot writes into appends: every word comes back after swap-out/in.
 */
static int test_swap_file_append_later(void)
{
	const uint64_t limit = PAGES(4 * MB), size = 8 * MB;
	struct vmem_vm_stats st = { 0 };
	struct vt_leaks base;
	struct vt_vm *vm;
	int fd;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_add_slot(vm, 0, DATA_GPA, size, 0));
	ASSERT_TRUE((fd = swap_file_open()) >= 0);
	ASSERT_OK(set_swap(vm, fd));
	ASSERT_OK(fcntl(fd, F_SETFL, O_APPEND));
	ASSERT_TRUE(fcntl(fd, F_GETFL) & O_APPEND);
	ASSERT_EQ(vm_set_limits(vm, KEEP, limit, ~0u), 0);

	host_fill(vm, DATA_GPA, size, 0xa99e);
	ASSERT_OK(vm_get_stats(vm, &st));
	EXPECT_GE(st.swapped, PAGES(size) - limit);
	EXPECT_EQ(host_check(vm, DATA_GPA, size, 0xa99e), 0);
	/* Twice: the pages read back were written out again. */
	EXPECT_EQ(host_check(vm, DATA_GPA, size, 0xa99e), 0);
	close(fd);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Twice the limit                                                         */

static int test_guest_twice_limit(void)
{
	const uint64_t limit = PAGES(8 * MB), size = 16 * MB;
	struct vmem_vm_stats st;
	uint64_t max_seen = 0, polls = 0;
	struct runner r = { 0 };
	struct vt_leaks base;
	pthread_t th;
	struct vt_vm *vm;
	int fd;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = data_vm(size));
	ASSERT_TRUE((fd = swap_file_open()) >= 0);
	ASSERT_OK(set_swap(vm, fd));
	close(fd);
	ASSERT_EQ(vm_set_limits(vm, KEEP, limit, ~0u), 0);
	ASSERT_TRUE(r.vcpu = vcpu_add(vm, 0, guest_fill_check));
	ASSERT_OK(vcpu_args_set(r.vcpu, 3, DATA_GPA, size, 0x5a5a));

	ASSERT_EQ(pthread_create(&th, NULL, run_to_done, &r), 0);
	/* Consumed while it runs: never above the limit. */
	while (!r.done) {
		memset(&st, 0, sizeof(st));
		if (vm_get_stats(vm, &st))
			break;
		if (consumed_up(&st) > max_seen)
			max_seen = consumed_up(&st);
		polls++;
		usleep(2000);
	}
	pthread_join(th, NULL);
	vt_diag("%llu polls while running, highest Consumed %llu (limit %llu)",
		(unsigned long long)polls, (unsigned long long)max_seen,
		(unsigned long long)limit);
	EXPECT_LE(max_seen, limit);
	if (r.cmd != UCALL_DONE) {
		vcpu_describe_ucall(r.vcpu, &r.uc);
		FAIL("vCPU ended with %s (errno %s), args %llu %llx",
		     vt_ucall_name(r.cmd), vt_errno_name(r.err),
		     (unsigned long long)r.uc.args[1],
		     (unsigned long long)r.uc.args[2]);
	}
	memset(&st, 0, sizeof(st));
	ASSERT_OK(vm_get_stats(vm, &st));
	vt_diag("end: granted %llu consumed %llu swapped %llu zero %llu",
		(unsigned long long)st.granted, (unsigned long long)st.consumed,
		(unsigned long long)st.swapped, (unsigned long long)st.zero);
	EXPECT_LE(consumed_up(&st), limit);
	EXPECT_GE(st.swapped, PAGES(size) - limit);
	/* The VMM reads every word too, through swap-ins of its own. */
	EXPECT_EQ(host_check(vm, DATA_GPA, size, 0x5a5a), 0);
	memset(&st, 0, sizeof(st));
	ASSERT_OK(vm_get_stats(vm, &st));
	EXPECT_LE(consumed_up(&st), limit);
	EXPECT_GE(st.swapped, 1);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static int test_vmm_twice_limit(void)
{
	const uint64_t limit = PAGES(8 * MB), size = 16 * MB;
	struct vmem_vm_stats st = { 0 };
	struct vt_leaks base;
	struct vt_vm *vm;
	int fd;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_add_slot(vm, 0, DATA_GPA, size, 0));
	ASSERT_TRUE((fd = swap_file_open()) >= 0);
	ASSERT_OK(set_swap(vm, fd));
	close(fd);
	ASSERT_EQ(vm_set_limits(vm, KEEP, limit, ~0u), 0);

	host_fill(vm, DATA_GPA, size, 0xfeed);
	ASSERT_OK(vm_get_stats(vm, &st));
	EXPECT_LE(consumed_up(&st), limit);
	/* Every page touched is resident or out, never both or neither. */
	EXPECT_EQ(st.granted + st.swapped, PAGES(size));
	EXPECT_GE(st.swapped, PAGES(size) - limit);
	EXPECT_EQ(host_check(vm, DATA_GPA, size, 0xfeed), 0);
	/* Twice over: every page came back exactly once more at least. */
	EXPECT_EQ(host_check(vm, DATA_GPA, size, 0xfeed), 0);
	memset(&st, 0, sizeof(st));
	ASSERT_OK(vm_get_stats(vm, &st));
	EXPECT_LE(consumed_up(&st), limit);
	EXPECT_EQ(st.granted + st.swapped, PAGES(size));

	/* Unlimited again: reading everything brings everything back. */
	ASSERT_EQ(vm_set_limits(vm, KEEP, VMEM_UNLIMITED, ~0u), 0);
	EXPECT_EQ(host_check(vm, DATA_GPA, size, 0xfeed), 0);
	memset(&st, 0, sizeof(st));
	ASSERT_OK(vm_get_stats(vm, &st));
	EXPECT_EQ(st.swapped, 0);
	EXPECT_EQ(st.granted, PAGES(size));
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/*
 * T5, scaled 1/64: a 64 MiB VM at limit 32 MiB that has 32 MiB consumed
 * touches a new page: Swapped rises, Consumed stays at the limit (less
 * reclaim's hysteresis), the other VM is unaffected, nothing is lost.
 */
static int test_t5_worked_example(void)
{
	const uint64_t limit = PAGES(32 * MB);
	struct vmem_vm_stats st = { 0 }, o0 = { 0 }, o1 = { 0 };
	struct vt_vm *vm, *other;
	struct vt_leaks base;
	uint8_t *p;
	int fd;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_add_slot(vm, 0, 0, 64 * MB, 0));
	ASSERT_TRUE(other = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_add_slot(other, 0, 0, 8 * MB, 0));
	ASSERT_TRUE((fd = swap_file_open()) >= 0);
	ASSERT_OK(set_swap(vm, fd));
	close(fd);
	ASSERT_EQ(vm_set_limits(vm, KEEP, limit, ~0u), 0);

	host_fill(other, 0, 8 * MB, 1);
	ASSERT_OK(vm_get_stats(other, &o0));
	host_fill(vm, 0, 32 * MB, 2);
	ASSERT_OK(vm_get_stats(vm, &st));
	EXPECT_EQ(st.consumed, limit);
	EXPECT_EQ(st.swapped, 0);

	p = vm_gpa2hva(vm, 32 * MB);
	*(volatile uint8_t *)p = 1;
	memset(&st, 0, sizeof(st));
	ASSERT_OK(vm_get_stats(vm, &st));
	vt_diag("after one more page: consumed %llu swapped %llu",
		(unsigned long long)st.consumed,
		(unsigned long long)st.swapped);
	EXPECT_GE(st.swapped, 1);
	EXPECT_LE(st.consumed, limit);
	EXPECT_GE(st.consumed, limit - BATCH - 1);
	EXPECT_EQ(st.granted + st.swapped, limit + 1);
	/* The control plane reports the same figures (vmem top's SWCUR). */
	ASSERT_EQ(nlt_vm_get(&nl, vm_id(vm), &R), 0);
	EXPECT_EQ(nlt_u64(&R.reply, VMEM_A_SWAPPED), st.swapped);
	EXPECT_EQ(nlt_u64(&R.reply, VMEM_A_CONSUMED), st.consumed);
	EXPECT_EQ(nlt_u64(&R.reply, VMEM_A_GRANTED), st.granted);
	/* The other VM: same figures, nothing swapped. */
	ASSERT_OK(vm_get_stats(other, &o1));
	EXPECT_EQ(o1.consumed, o0.consumed);
	EXPECT_EQ(o1.granted, o0.granted);
	EXPECT_EQ(o1.swapped, 0);
	EXPECT_EQ(host_check(other, 0, 8 * MB, 1), 0);
	EXPECT_EQ(host_check(vm, 0, 32 * MB, 2), 0);
	EXPECT_EQ(*(volatile uint8_t *)p, 1);
	vm_free(other);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/*
 * A pool's limit: the VM in a pool limited to 8 MiB stays within it (its
 * own limit is unlimited), a VM outside is unaffected.
 */
static int test_pool_limit(void)
{
	const uint64_t limit = PAGES(8 * MB), size = 16 * MB;
	struct vmem_vm_stats st = { 0 }, o = { 0 };
	struct vt_vm *vm, *other;
	struct vt_leaks base;
	uint32_t pool;
	int fd, r = VT_PASS;

	ASSERT_OK(vt_leaks_read(&base));
	nlt_pool_del_names(&nl, (const char *const[]){ "t_swp" }, 1);
	ASSERT_EQ(nlt_pool_new(&nl, "t_swp", VMEM_POOL_ROOT_ID, 0, limit, 1,
			       &pool, &R), 0);
	ASSERT_TRUE(vm = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_add_slot(vm, 0, 0, size, 0));
	ASSERT_TRUE(other = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_add_slot(other, 0, 0, size, 0));
	ASSERT_TRUE((fd = swap_file_open()) >= 0);
	ASSERT_OK(set_swap(vm, fd));
	close(fd);
	ASSERT_EQ(nlt_vm_set(&nl, vm_id(vm), pool, ~0ull, &R), 0);

	host_fill(vm, 0, size, 31);
	host_fill(other, 0, size, 32);
	ASSERT_OK(vm_get_stats(vm, &st));
	ASSERT_OK(vm_get_stats(other, &o));
	vt_diag("in the pool: consumed %llu swapped %llu; outside: consumed %llu swapped %llu",
		(unsigned long long)st.consumed, (unsigned long long)st.swapped,
		(unsigned long long)o.consumed, (unsigned long long)o.swapped);
	EXPECT_LE(consumed_up(&st), limit);
	EXPECT_GE(st.swapped, PAGES(size) - limit);
	EXPECT_EQ(o.consumed, PAGES(size));
	EXPECT_EQ(o.swapped, 0);
	EXPECT_EQ(host_check(vm, 0, size, 31), 0);
	EXPECT_EQ(host_check(other, 0, size, 32), 0);
	vm_free(other);
	vm_free(vm);
	if (nlt_pool_del(&nl, pool))
		r = VT_FAIL;
	EXPECT_NO_LEAKS(&base);
	return r;
}

/* A VM with a @size slot at 0 and a swap file, moved into @pool. */
static struct vt_vm *swap_vm(uint64_t size, uint32_t pool)
{
	struct vt_vm *vm = vm_create_bare(VMEM_VM_MMU_AUTO);
	int fd = swap_file_open();
	bool ok = vm && fd >= 0 && !vm_add_slot(vm, 0, 0, size, 0) &&
		  !set_swap(vm, fd) &&
		  !nlt_vm_set(&nl, vm_id(vm), pool, ~0ull, &R);

	if (fd >= 0)
		close(fd);
	if (!ok && vm) {
		vm_free(vm);
		vm = NULL;
	}
	return vm;
}

/* The VMM writes one page more at @gpa; *@st is what the VM has then. */
static int touch_page(struct vt_vm *vm, uint64_t gpa, uint64_t seed,
		      const char *what, struct vmem_vm_stats *st)
{
	host_fill(vm, gpa, 4096, seed);
	ASSERT_OK(vm_get_stats(vm, st));
	vt_diag("%s: consumed %llu swapped %llu", what,
		(unsigned long long)st->consumed,
		(unsigned long long)st->swapped);
	return VT_PASS;
}

/*
 * @pool, limited to @limit bytes, counts nothing: a VM that fills exactly
 * @limit there loses no page, where one page too many would be reclaimed.
 */
static int expect_pool_empty(uint32_t pool, uint64_t limit)
{
	struct vmem_vm_stats st = { 0 };
	struct vt_vm *vm;

	ASSERT_TRUE(vm = swap_vm(limit, pool));
	host_fill(vm, 0, limit, 43);
	ASSERT_OK(vm_get_stats(vm, &st));
	vm_free(vm);
	EXPECT_EQ(st.swapped, 0);
	EXPECT_EQ(st.consumed, PAGES(limit));
	return VT_PASS;
}

/*
 * What a VM holds follows it, and its pool, when they move.  12 MiB held
 * in an unlimited pool A, moved into B limited to 8 MiB: the next touch
 * brings the VM within B's limit.  A keeps nothing of it: under a 4 MiB
 * limit another VM fills 3 MiB there untouched.  A (with that VM) moved
 * under P, limited to 2 MiB: the next touch brings A's VM within P's
 * limit; A moved back out, P counts nothing.
 */
static int test_pool_limit_after_moves(void)
{
	static const char *const names[] = { "t_mv_a", "t_mv_b", "t_mv_p" };
	struct vmem_vm_stats st = { 0 };
	struct vt_vm *vm, *vm2;
	struct vt_leaks base;
	uint32_t a, b, p;

	ASSERT_OK(vt_leaks_read(&base));
	nlt_pool_del_names(&nl, names, 3);
	ASSERT_EQ(nlt_pool_new(&nl, names[0], VMEM_POOL_ROOT_ID, 0,
			       VMEM_UNLIMITED, 1, &a, &R), 0);
	ASSERT_EQ(nlt_pool_new(&nl, names[1], VMEM_POOL_ROOT_ID, 0,
			       PAGES(8 * MB), 1, &b, &R), 0);
	ASSERT_EQ(nlt_pool_new(&nl, names[2], VMEM_POOL_ROOT_ID, 0,
			       PAGES(2 * MB), 1, &p, &R), 0);

	ASSERT_TRUE(vm = swap_vm(16 * MB, a));
	host_fill(vm, 0, 12 * MB, 41);
	ASSERT_OK(vm_get_stats(vm, &st));
	EXPECT_EQ(st.swapped, 0);
	ASSERT_EQ(nlt_vm_set(&nl, vm_id(vm), b, ~0ull, &R), 0);
	ASSERT_EQ(touch_page(vm, 12 * MB, 41, "moved into B", &st), VT_PASS);
	EXPECT_LE(consumed_up(&st), PAGES(8 * MB));
	EXPECT_GE(st.swapped, PAGES(4 * MB) + 1);

	ASSERT_EQ(nlt_pool_set(&nl, a, 0, PAGES(4 * MB), &R), 0);
	ASSERT_TRUE(vm2 = swap_vm(4 * MB, a));
	host_fill(vm2, 0, 3 * MB, 42);
	ASSERT_OK(vm_get_stats(vm2, &st));
	EXPECT_EQ(st.swapped, 0);
	EXPECT_EQ(st.consumed, PAGES(3 * MB));

	ASSERT_EQ(nlt_pool_set(&nl, a, p, NLT_KEEP, &R), 0);
	ASSERT_EQ(touch_page(vm2, 3 * MB, 42, "A moved under P", &st), VT_PASS);
	EXPECT_LE(consumed_up(&st), PAGES(2 * MB));
	EXPECT_GE(st.swapped, PAGES(1 * MB) + 1);
	ASSERT_EQ(nlt_pool_set(&nl, a, VMEM_POOL_ROOT_ID, NLT_KEEP, &R), 0);
	/* A moved out again: P counts nothing of it. */
	EXPECT_EQ(expect_pool_empty(p, 2 * MB), VT_PASS);

	EXPECT_EQ(host_check(vm, 0, 12 * MB + 4096, 41), 0);
	EXPECT_EQ(host_check(vm2, 0, 3 * MB + 4096, 42), 0);
	vm_free(vm2);
	vm_free(vm);
	/* Every VM gone: B counts nothing either. */
	EXPECT_EQ(expect_pool_empty(b, 8 * MB), VT_PASS);
	EXPECT_EQ(nlt_pool_del(&nl, p), 0);
	EXPECT_EQ(nlt_pool_del(&nl, b), 0);
	EXPECT_EQ(nlt_pool_del(&nl, a), 0);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* No swap file                                                            */

static void guest_fill_only(uint64_t start, uint64_t size, uint64_t seed)
{
	for (uint64_t a = start; a < start + size; a += 8)
		*(volatile uint64_t *)a = pattern(a, seed);
	GUEST_DONE();
}

static int test_no_swap_file(void)
{
	const uint64_t size = 8 * MB;
	struct vmem_vm_stats st = { 0 };
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	uint64_t limit;
	struct vt_ucall uc;
	int ret, err;
	uint8_t *p;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = data_vm(size));
	/* Zero pages written by the VMM: all of the data slot. */
	p = vm_gpa2hva(vm, DATA_GPA);
	for (uint64_t i = 0; i < size; i += 4096)
		((volatile uint8_t *)p)[i] = 0;
	ASSERT_OK(vm_get_stats(vm, &st));
	/* Room for the guest's own pages and half the slot. */
	limit = consumed_up(&st) - PAGES(size) / 2;
	ASSERT_EQ(vm_set_limits(vm, KEEP, limit, ~0u), 0);

	/* Writing half of it: reclaim collapses zero pages, no swap. */
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_fill_only));
	ASSERT_OK(vcpu_args_set(vcpu, 3, DATA_GPA, size / 4, 3));
	ASSERT_RUN_DONE(vcpu);
	memset(&st, 0, sizeof(st));
	ASSERT_OK(vm_get_stats(vm, &st));
	vt_diag("zero collapse: consumed %llu zero %llu swapped %llu limit %llu",
		(unsigned long long)st.consumed, (unsigned long long)st.zero,
		(unsigned long long)st.swapped, (unsigned long long)limit);
	EXPECT_LE(consumed_up(&st), limit);
	EXPECT_GE(st.zero, 1);
	EXPECT_EQ(st.swapped, 0);

	/* All of it: nothing left to reclaim, RUN says EDQUOT. */
	ASSERT_TRUE(vcpu = vcpu_add(vm, 1, guest_fill_only));
	ASSERT_OK(vcpu_args_set(vcpu, 3, DATA_GPA, size, 3));
	errno = 0;
	ret = vcpu_run(vcpu);
	err = errno;
	if (ret == 0) {
		vcpu_describe_exit(vcpu);
		if (vcpu_get_ucall(vcpu, &uc) != UCALL_NONE)
			vcpu_describe_ucall(vcpu, &uc);
		vm_free(vm);
		FAIL("RUN succeeded past the limit without a swap file");
	}
	if (err != EDQUOT)
		vt_diag("RUN returned %d, errno %s", ret, vt_errno_name(err));
	EXPECT_EQ(err, EDQUOT);
	/* Again: still EDQUOT, no hang, nothing broken. */
	EXPECT_ERRNO(vcpu_run(vcpu), EDQUOT);
	memset(&st, 0, sizeof(st));
	ASSERT_OK(vm_get_stats(vm, &st));
	EXPECT_LE(consumed_up(&st), limit);

	/* A higher limit lets the same RUN go on to the end. */
	ASSERT_EQ(vm_set_limits(vm, KEEP, VMEM_UNLIMITED, ~0u), 0);
	EXPECT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_DONE);
	EXPECT_EQ(host_check(vm, DATA_GPA, size, 3), 0);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* Deleting a slot frees its swapped pages' slots: the file is free again. */
static int test_slot_delete_frees_slots(void)
{
	struct vmem_vm_stats st = { 0 };
	struct vt_leaks base;
	struct vt_vm *vm;
	int fd;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_add_slot(vm, 0, 0, 8 * MB, 0));
	ASSERT_TRUE((fd = swap_file_open()) >= 0);
	ASSERT_OK(set_swap(vm, fd));
	ASSERT_EQ(vm_set_limits(vm, KEEP, PAGES(2 * MB), ~0u), 0);
	host_fill(vm, 0, 8 * MB, 51);
	ASSERT_OK(vm_get_stats(vm, &st));
	EXPECT_GE(st.swapped, PAGES(6 * MB));
	EXPECT_ERRNO(set_swap(vm, -1), EBUSY);

	ASSERT_OK(vm_delete_slot(vm, 0));
	memset(&st, 0, sizeof(st));
	ASSERT_OK(vm_get_stats(vm, &st));
	EXPECT_EQ(st.swapped, 0);
	EXPECT_EQ(st.granted, 0);
	EXPECT_OK(set_swap(vm, -1));
	EXPECT_OK(set_swap(vm, fd));
	/* A new slot there starts untouched: zeros, nothing swapped in. */
	ASSERT_OK(vm_add_slot(vm, 0, 0, 8 * MB, 0));
	EXPECT_EQ(*(volatile uint64_t *)vm_gpa2hva(vm, 4 * MB), 0);
	close(fd);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/*
 * A swap file that cannot grow: the file-size limit of the task that set
 * the file (RLIMIT_FSIZE at VMEM_SET_SWAP_FILE, applied by the reclaim
 * worker), not of the task that charges.  The charge that needed the
 * swap-out fails with EFBIG, no signal, the page stays, and the guest
 * goes on once its limit is lifted.
 */
static int test_swap_write_error(void)
{
	const uint64_t size = 8 * MB;
	struct rlimit old, small = { 1 * MB, 1 * MB };
	struct vmem_vm_stats st = { 0 };
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_ucall uc;
	struct vt_vm *vm;
	int fd, ret, err;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = data_vm(size));
	ASSERT_TRUE((fd = swap_file_open()) >= 0);
	ASSERT_OK(getrlimit(RLIMIT_FSIZE, &old));
	ASSERT_OK(setrlimit(RLIMIT_FSIZE, &small));
	ret = set_swap(vm, fd);
	setrlimit(RLIMIT_FSIZE, &old);
	ASSERT_OK(ret);
	close(fd);
	ASSERT_OK(vm_get_stats(vm, &st));
	ASSERT_EQ(vm_set_limits(vm, KEEP, consumed_up(&st) + PAGES(2 * MB),
				~0u), 0);
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_fill_only));
	ASSERT_OK(vcpu_args_set(vcpu, 3, DATA_GPA, size, 61));

	/* The write past the limit fails with EFBIG; SIGXFSZ would kill us. */
	errno = 0;
	ret = vcpu_run(vcpu);
	err = errno;
	vt_diag("RUN with a full swap file: %d, errno %s", ret,
		vt_errno_name(err));
	EXPECT_EQ(ret, -1);
	EXPECT_EQ(err, EFBIG);
	memset(&st, 0, sizeof(st));
	ASSERT_OK(vm_get_stats(vm, &st));
	/* 1 MiB of slots: 256 pages out at most. */
	EXPECT_LE(st.swapped, PAGES(1 * MB));

	ASSERT_EQ(vm_set_limits(vm, KEEP, VMEM_UNLIMITED, ~0u), 0);
	EXPECT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_DONE);
	EXPECT_EQ(host_check(vm, DATA_GPA, size, 61), 0);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Min-funding revocation                                                  */

static uint64_t pool_u64(const char *name, int attr)
{
	if (nlt_pool_get(&nl, name, &R))
		return ~0ull;
	return nlt_u64(&R.reply, attr);
}

static int test_min_funding(void)
{
	const uint64_t size = 32 * MB, res_low = PAGES(2 * MB);
	struct vmem_vm_stats sl = { 0 }, sh = { 0 };
	uint64_t root_res, used;
	struct vt_vm *low, *high;
	struct vt_leaks base;
	int fd, r = VT_PASS;

	ASSERT_OK(vt_leaks_read(&base));
	root_res = pool_u64("root", VMEM_A_RESERVATION);
	ASSERT_NE(root_res, ~0ull);
	ASSERT_TRUE(low = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_add_slot(low, 0, 0, size, 0));
	ASSERT_TRUE(high = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_add_slot(high, 0, 0, size, 0));
	ASSERT_TRUE((fd = swap_file_open()) >= 0);
	ASSERT_OK(set_swap(low, fd));
	close(fd);
	ASSERT_TRUE((fd = swap_file_open()) >= 0);
	ASSERT_OK(set_swap(high, fd));
	close(fd);
	ASSERT_EQ(vm_set_limits(low, res_low, KEEP, VMEM_SHARES_LOW), 0);
	ASSERT_EQ(vm_set_limits(high, KEEP, KEEP, VMEM_SHARES_HIGH), 0);

	/* A root with 12 MiB beyond what is reserved: contention. */
	used = pool_u64("root", VMEM_A_USED);
	ASSERT_NE(used, ~0ull);
	ASSERT_EQ(root_set_res(used + PAGES(12 * MB)), 0);

	host_fill(low, 0, 8 * MB, 11);
	ASSERT_OK(vm_get_stats(low, &sl));
	if (sl.swapped != 0 || consumed_up(&sl) < PAGES(8 * MB)) {
		vt_diag("low before contention: consumed %llu swapped %llu",
			(unsigned long long)sl.consumed,
			(unsigned long long)sl.swapped);
		r = VT_FAIL;
	}
	/* The high-shares VM grows: the low one pays. */
	host_fill(high, 0, 8 * MB, 12);
	memset(&sl, 0, sizeof(sl));
	memset(&sh, 0, sizeof(sh));
	EXPECT_OK(vm_get_stats(low, &sl));
	EXPECT_OK(vm_get_stats(high, &sh));
	vt_diag("8+8 MiB: low consumed %llu swapped %llu; high consumed %llu swapped %llu",
		(unsigned long long)sl.consumed, (unsigned long long)sl.swapped,
		(unsigned long long)sh.consumed, (unsigned long long)sh.swapped);
	EXPECT_GE(sl.swapped, 1);
	EXPECT_EQ(sh.swapped, 0);
	EXPECT_GE(sl.consumed, res_low);

	/* More: the low VM stops at its reservation, the high one swaps. */
	host_fill(high, 8 * MB, 8 * MB, 13);
	memset(&sl, 0, sizeof(sl));
	memset(&sh, 0, sizeof(sh));
	EXPECT_OK(vm_get_stats(low, &sl));
	EXPECT_OK(vm_get_stats(high, &sh));
	vt_diag("8+16 MiB: low consumed %llu swapped %llu; high consumed %llu swapped %llu",
		(unsigned long long)sl.consumed, (unsigned long long)sl.swapped,
		(unsigned long long)sh.consumed, (unsigned long long)sh.swapped);
	EXPECT_GE(sl.consumed, res_low);
	EXPECT_GE(sh.swapped, 1);
	EXPECT_LE(sl.consumed + sh.consumed,
		  PAGES(12 * MB) + res_low + 2 * BATCH);

	EXPECT_EQ(root_set_res(root_res), 0);
	EXPECT_EQ(host_check(low, 0, 8 * MB, 11), 0);
	EXPECT_EQ(host_check(high, 0, 8 * MB, 12), 0);
	EXPECT_EQ(host_check(high, 8 * MB, 8 * MB, 13), 0);
	vm_free(high);
	vm_free(low);
	EXPECT_NO_LEAKS(&base);
	return r;
}

static int pool_set_shares(uint32_t id, uint32_t level)
{
	struct nlt_msg m;

	nlt_init(&m, &nl, VMEM_CMD_POOL_SET, 0);
	nlt_put_u32(&m, VMEM_A_POOL_ID, id);
	nlt_put_u32(&m, VMEM_A_SHARES_LEVEL, level);
	return nlt_call(&nl, &m, &R);
}

/*
 * Shares compare siblings: VM a (low shares) in a high-shares pool, VM b
 * (high shares) in a low-shares pool.  Under contention b pays: its pool
 * is the lower funded of the root's children, whatever the VMs' own
 * shares say.
 */
static int test_min_funding_pools(void)
{
	static const char *const names[] = { "t_mf_hi", "t_mf_lo" };
	const uint64_t size = 32 * MB;
	struct vmem_vm_stats sa = { 0 }, sb = { 0 };
	uint64_t root_res, used;
	uint32_t phi, plo;
	struct vt_vm *a, *b;
	struct vt_leaks base;
	int fd;

	ASSERT_OK(vt_leaks_read(&base));
	nlt_pool_del_names(&nl, names, 2);
	root_res = pool_u64("root", VMEM_A_RESERVATION);
	ASSERT_NE(root_res, ~0ull);
	ASSERT_EQ(nlt_pool_new(&nl, names[0], VMEM_POOL_ROOT_ID, 0,
			       VMEM_UNLIMITED, 1, &phi, &R), 0);
	ASSERT_EQ(nlt_pool_new(&nl, names[1], VMEM_POOL_ROOT_ID, 0,
			       VMEM_UNLIMITED, 1, &plo, &R), 0);
	ASSERT_EQ(pool_set_shares(phi, VMEM_SHARES_HIGH), 0);
	ASSERT_EQ(pool_set_shares(plo, VMEM_SHARES_LOW), 0);
	ASSERT_TRUE(a = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_add_slot(a, 0, 0, size, 0));
	ASSERT_TRUE(b = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_add_slot(b, 0, 0, size, 0));
	ASSERT_TRUE((fd = swap_file_open()) >= 0);
	ASSERT_OK(set_swap(a, fd));
	close(fd);
	ASSERT_TRUE((fd = swap_file_open()) >= 0);
	ASSERT_OK(set_swap(b, fd));
	close(fd);
	ASSERT_EQ(vm_set_limits(a, KEEP, KEEP, VMEM_SHARES_LOW), 0);
	ASSERT_EQ(vm_set_limits(b, KEEP, KEEP, VMEM_SHARES_HIGH), 0);
	ASSERT_EQ(nlt_vm_set(&nl, vm_id(a), phi, ~0ull, &R), 0);
	ASSERT_EQ(nlt_vm_set(&nl, vm_id(b), plo, ~0ull, &R), 0);

	used = pool_u64("root", VMEM_A_USED);
	ASSERT_NE(used, ~0ull);
	ASSERT_EQ(root_set_res(used + PAGES(12 * MB)), 0);
	host_fill(b, 0, 8 * MB, 41);
	host_fill(a, 0, 8 * MB, 42);
	EXPECT_OK(vm_get_stats(a, &sa));
	EXPECT_OK(vm_get_stats(b, &sb));
	vt_diag("a (low, pool high): consumed %llu swapped %llu; b (high, pool low): consumed %llu swapped %llu",
		(unsigned long long)sa.consumed, (unsigned long long)sa.swapped,
		(unsigned long long)sb.consumed, (unsigned long long)sb.swapped);
	EXPECT_EQ(sa.swapped, 0);
	EXPECT_GE(sb.swapped, 1);
	EXPECT_EQ(root_set_res(root_res), 0);

	EXPECT_EQ(host_check(a, 0, 8 * MB, 42), 0);
	EXPECT_EQ(host_check(b, 0, 8 * MB, 41), 0);
	vm_free(b);
	vm_free(a);
	nlt_pool_del_names(&nl, names, 2);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Events                                                                  */

/* Wait for @event about @id: 0, or -1 after @ms without it. */
static int wait_event(struct nlt_sock *s, uint32_t event, uint32_t id, int ms)
{
	static char raw[NLT_BUF];
	struct nlt_attrs at;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int left;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = ms - (int)((t1.tv_sec - t0.tv_sec) * 1000 +
				  (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return -1;
		if (nlt_recv_event(s, &at, raw, left) < 0)
			continue;
		if (nlt_u32(&at, VMEM_A_EVENT) == event &&
		    nlt_u32(&at, VMEM_A_VM_ID) == id)
			return 0;
	}
}

static int test_events(void)
{
	const uint64_t limit = PAGES(2 * MB), size = 4 * MB;
	struct vt_leaks base;
	struct nlt_sock ev;
	struct vt_vm *vm;
	uint32_t id;
	int fd;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_EQ(nlt_open(&ev), 0);
	ASSERT_EQ(nlt_join_events(&ev), 0);
	ASSERT_TRUE(vm = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_add_slot(vm, 0, 0, size, 0));
	ASSERT_TRUE(id = vm_id(vm));
	ASSERT_TRUE((fd = swap_file_open()) >= 0);
	ASSERT_OK(set_swap(vm, fd));
	close(fd);
	ASSERT_EQ(vm_set_limits(vm, KEEP, limit, ~0u), 0);

	host_fill(vm, 0, size, 21);
	EXPECT_OK(wait_event(&ev, VMEM_EVENT_LIMIT_REACHED, id, 2000));
	EXPECT_OK(wait_event(&ev, VMEM_EVENT_SWAP_STARTED, id, 2000));
	/* Unlimited: reading everything back ends the swapping. */
	ASSERT_EQ(vm_set_limits(vm, KEEP, VMEM_UNLIMITED, ~0u), 0);
	EXPECT_EQ(host_check(vm, 0, size, 21), 0);
	EXPECT_OK(wait_event(&ev, VMEM_EVENT_SWAP_STOPPED, id, 2000));
	nlt_close(&ev);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Concurrency                                                             */

#define NR_RUNNERS	4

/* vCPU i fills part i of the data slot with seed @seed + i, in a thread. */
static int runners_start(struct vt_vm *vm, struct runner *r, pthread_t *th,
			 uint64_t part, uint64_t seed)
{
	for (int i = 0; i < NR_RUNNERS; i++) {
		ASSERT_TRUE(r[i].vcpu = vcpu_add(vm, i, guest_fill_check));
		ASSERT_OK(vcpu_args_set(r[i].vcpu, 3, DATA_GPA + i * part,
					part, seed + i));
	}
	for (int i = 0; i < NR_RUNNERS; i++)
		ASSERT_EQ(pthread_create(&th[i], NULL, run_to_done, &r[i]), 0);
	return VT_PASS;
}

/* Did every runner's vCPU end with DONE?  VT_FAIL says which did not. */
static int runners_ended_done(struct runner *r)
{
	for (int i = 0; i < NR_RUNNERS; i++) {
		if (r[i].cmd == UCALL_DONE)
			continue;
		vcpu_describe_ucall(r[i].vcpu, &r[i].uc);
		FAIL("vCPU %d ended with %s (errno %s), bad words %llu at %llx",
		     i, vt_ucall_name(r[i].cmd), vt_errno_name(r[i].err),
		     (unsigned long long)r[i].uc.args[1],
		     (unsigned long long)r[i].uc.args[2]);
	}
	return VT_PASS;
}

static int test_vcpus_race_past_limit(void)
{
	const uint64_t limit = PAGES(8 * MB), part = 4 * MB;
	struct runner r[NR_RUNNERS] = { 0 };
	const char *const knobs[] = { "share_scan_pages", "share_scan_sleep_ms" };
	struct vt_params saved;
	struct vmem_vm_stats st;
	uint64_t max_seen = 0;
	pthread_t th[NR_RUNNERS];
	struct vt_leaks base;
	struct vt_vm *vm;
	int fd, i, done;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_OK(vt_params_save(&saved, knobs, 2));
	/* The sharing daemon scans every page every millisecond or so. */
	ASSERT_OK(vt_param_set("share_scan_pages", 100000));
	ASSERT_OK(vt_param_set("share_scan_sleep_ms", 1));

	ASSERT_TRUE(vm = data_vm(NR_RUNNERS * part));
	ASSERT_TRUE((fd = swap_file_open()) >= 0);
	ASSERT_OK(set_swap(vm, fd));
	close(fd);
	ASSERT_EQ(vm_set_limits(vm, KEEP, limit, ~0u), 0);
	ASSERT_EQ(runners_start(vm, r, th, part, 0x100), VT_PASS);
	do {
		done = 0;
		for (i = 0; i < NR_RUNNERS; i++)
			done += r[i].done;
		memset(&st, 0, sizeof(st));
		if (!vm_get_stats(vm, &st) && consumed_up(&st) > max_seen)
			max_seen = consumed_up(&st);
		usleep(2000);
	} while (done < NR_RUNNERS);
	for (i = 0; i < NR_RUNNERS; i++)
		pthread_join(th[i], NULL);
	vt_params_restore(&saved);

	vt_diag("highest Consumed %llu (limit %llu)",
		(unsigned long long)max_seen, (unsigned long long)limit);
	EXPECT_LE(max_seen, limit);
	ASSERT_EQ(runners_ended_done(r), VT_PASS);
	memset(&st, 0, sizeof(st));
	ASSERT_OK(vm_get_stats(vm, &st));
	EXPECT_LE(consumed_up(&st), limit);
	EXPECT_GE(st.swapped, 1);
	for (i = 0; i < NR_RUNNERS; i++)
		EXPECT_EQ(host_check(vm, DATA_GPA + i * part, part, 0x100 + i),
			  0);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/*
 * Moves while vCPUs fault: NR_RUNNERS vCPUs fill 16 MiB while the VM goes
 * round pools A and B, both limited to 8 MiB, and B moves under A and
 * back, so the counters are frozen and thawed under the faults.  Consumed
 * never passes 8 MiB, every word reads back, A's count is then exact to
 * the page, and once the VM is gone each pool counts nothing.
 */
static int test_moves_while_faulting(void)
{
	static const char *const names[] = { "t_mf_b", "t_mf_a" };
	const uint64_t limit = PAGES(8 * MB), part = 4 * MB;
	struct runner r[NR_RUNNERS] = { 0 };
	struct vmem_vm_stats st;
	uint64_t max_seen = 0, moves = 0, held;
	pthread_t th[NR_RUNNERS];
	struct vt_leaks base;
	struct vt_vm *vm;
	uint32_t a, b, id;
	int fd, i, done;

	ASSERT_OK(vt_leaks_read(&base));
	nlt_pool_del_names(&nl, names, 2);
	ASSERT_EQ(nlt_pool_new(&nl, names[1], VMEM_POOL_ROOT_ID, 0, limit, 1,
			       &a, &R), 0);
	ASSERT_EQ(nlt_pool_new(&nl, names[0], VMEM_POOL_ROOT_ID, 0, limit, 1,
			       &b, &R), 0);
	/* A last MiB the runners leave untouched, for the probe below. */
	ASSERT_TRUE(vm = data_vm(NR_RUNNERS * part + MB));
	id = vm_id(vm);
	ASSERT_TRUE((fd = swap_file_open()) >= 0);
	ASSERT_OK(set_swap(vm, fd));
	close(fd);
	ASSERT_EQ(nlt_vm_set(&nl, id, a, ~0ull, &R), 0);
	ASSERT_EQ(runners_start(vm, r, th, part, 0x200), VT_PASS);
	do {
		/* A, B, B under A, B back: each step a move. */
		EXPECT_EQ(nlt_vm_set(&nl, id, b, ~0ull, &R), 0);
		EXPECT_EQ(nlt_pool_set(&nl, b, a, NLT_KEEP, &R), 0);
		EXPECT_EQ(nlt_pool_set(&nl, b, VMEM_POOL_ROOT_ID, NLT_KEEP, &R),
			  0);
		EXPECT_EQ(nlt_vm_set(&nl, id, a, ~0ull, &R), 0);
		moves += 4;
		memset(&st, 0, sizeof(st));
		if (!vm_get_stats(vm, &st) && consumed_up(&st) > max_seen)
			max_seen = consumed_up(&st);
		done = 0;
		for (i = 0; i < NR_RUNNERS; i++)
			done += r[i].done;
	} while (done < NR_RUNNERS && !vt_case_failed());
	for (i = 0; i < NR_RUNNERS; i++)
		pthread_join(th[i], NULL);

	vt_diag("%llu moves, highest Consumed %llu (limit %llu)",
		(unsigned long long)moves, (unsigned long long)max_seen,
		(unsigned long long)limit);
	EXPECT_LE(max_seen, limit);
	ASSERT_EQ(runners_ended_done(r), VT_PASS);

	/*
	 * A's count is exact with the VM in it (what was parked during the
	 * moves was added): with A's limit one page above what the VM holds
	 * (Consumed rounded up, as reclaim last measured it), one fresh page
	 * fits and the next is reclaimed for.
	 */
	memset(&st, 0, sizeof(st));
	ASSERT_OK(vm_get_stats(vm, &st));
	held = consumed_up(&st);
	ASSERT_EQ(nlt_pool_set(&nl, a, 0, held + 1, &R), 0);
	ASSERT_EQ(touch_page(vm, DATA_GPA + NR_RUNNERS * part, 5, "at A's limit",
			     &st), VT_PASS);
	EXPECT_EQ(consumed_up(&st), held + 1);
	ASSERT_EQ(touch_page(vm, DATA_GPA + NR_RUNNERS * part + 4096, 5,
			     "one page past it", &st), VT_PASS);
	EXPECT_LE(consumed_up(&st), held + 1 - BATCH);
	vm_free(vm);
	ASSERT_EQ(nlt_pool_set(&nl, a, 0, limit, &R), 0);
	EXPECT_EQ(expect_pool_empty(a, 8 * MB), VT_PASS);
	EXPECT_EQ(expect_pool_empty(b, 8 * MB), VT_PASS);
	EXPECT_EQ(nlt_pool_del(&nl, b), 0);
	EXPECT_EQ(nlt_pool_del(&nl, a), 0);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */

static int setup(void)
{
	int r = vt_require_vm(VMEM_VM_MMU_AUTO);

	return r == VT_PASS ? nlt_require(&nl) : r;
}

static void teardown(void)
{
	nlt_close(&nl);
}

static const struct vt_case cases[] = {
	VT_CASE(swap_file_bad_input),
	VT_CASE(swap_file_one_vm),
	VT_CASE(swap_file_append_later),
	VT_CASE(guest_twice_limit),
	VT_CASE(vmm_twice_limit),
	VT_CASE(t5_worked_example),
	VT_CASE(pool_limit),
	VT_CASE(pool_limit_after_moves),
	VT_CASE(no_swap_file),
	VT_CASE(slot_delete_frees_slots),
	VT_CASE(swap_write_error),
	VT_CASE(min_funding),
	VT_CASE(min_funding_pools),
	VT_CASE(events),
	VT_CASE(vcpus_race_past_limit),
	VT_CASE(moves_while_faulting),
};

VT_MAIN(cases, setup, teardown)
