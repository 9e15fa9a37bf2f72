// SPDX-License-Identifier: GPL-2.0
/*
 * swap_worker - reclaim and swap I/O run in the reclaimed VM's worker,
 * never in the task that charges (Documentation/pools.rst, "Limits,
 * reclaim and hypervisor swap").
 *
 * write_from_guest_memory: several threads write() into the VM's own swap
 * file from buffers in the VM's guest-memory mapping while the VM is over
 * its limit (most of those buffers swapped out), and a reader walks the
 * mapping at the same time.  A write() holds the file's inode lock while
 * it faults the buffer in; a fault that swapped in the charging task
 * would write the same file under mmap_lock and deadlock.  Every write
 * must end (bounded wait), either whole or with EFAULT, a whole one must
 * have written the guest's bytes, and the guest memory must read back.
 *
 * min_funding_other_owner: a victim VM owned by another process, with
 * low shares and pages above its reservation, gives pages to a VM whose
 * process has RLIMIT_FSIZE 4 KiB: that process must not get SIGXFSZ or
 * a failed fault for the victim's swap file.  Then the victim's owner
 * closes everything and exits while the charger goes on revoking; no
 * leak afterwards.  Needs /dev/vmem, the netlink family, root and a
 * writable /tmp.
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/vmem.h>
#include <linux/vmem_netlink.h>

#include "nl_util.h"
#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

#define DATA_GPA	(1ull << 30)
#define MB		(1ull << 20)
#define PAGES(bytes)	((bytes) / 4096)

static struct nlt_sock nl;
static struct nlt_reply R;

static uint64_t pattern(uint64_t addr, uint64_t seed)
{
	return (addr * 0x9e3779b97f4a7c15ull) ^ seed;
}

static void host_fill(struct vt_vm *vm, uint64_t gpa, uint64_t size,
		      uint64_t seed)
{
	volatile uint64_t *p = vm_gpa2hva(vm, gpa);

	for (uint64_t i = 0; i < size / 8; i++)
		p[i] = pattern(gpa + i * 8, seed);
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

/* VM_SET by id: reservation and limit in pages (~0ull: keep), shares. */
static int vm_set_by_id(uint32_t id, uint64_t res, uint64_t limit,
			uint32_t shares_level)
{
	struct nlt_msg m;

	nlt_init(&m, &nl, VMEM_CMD_VM_SET, 0);
	nlt_put_u32(&m, VMEM_A_VM_ID, id);
	if (res != ~0ull)
		nlt_put_u64(&m, VMEM_A_RESERVATION, res);
	if (limit != ~0ull)
		nlt_put_u64(&m, VMEM_A_LIMIT, limit);
	if (shares_level != ~0u)
		nlt_put_u32(&m, VMEM_A_SHARES_LEVEL, shares_level);
	return nlt_call(&nl, &m, &R);
}

static uint64_t root_u64(int attr)
{
	if (nlt_pool_get(&nl, "root", &R))
		return ~0ull;
	return nlt_u64(&R.reply, attr);
}

static int root_set_res(uint64_t res)
{
	struct nlt_msg m;

	nlt_init(&m, &nl, VMEM_CMD_POOL_SET, 0);
	nlt_put_u32(&m, VMEM_A_POOL_ID, VMEM_POOL_ROOT_ID);
	nlt_put_u64(&m, VMEM_A_RESERVATION, res);
	return nlt_call(&nl, &m, &R);
}

static uint64_t consumed_up(const struct vmem_vm_stats *st)
{
	return st->consumed + (st->consumed_frac ? 1 : 0);
}

/* ---------------------------------------------------------------------- */
/* write() to the swap file from guest memory                              */

#define WRITERS		4
#define WRITES		64
#define SIZE		(8 * MB)
#define LIMIT		PAGES(2 * MB)
/* Where the writers write in the swap file: far above any slot. */
#define FAR		(64 * MB)
/* A writer that has not ended after this is deadlocked. */
#define HANG_SECONDS	60

struct writer {
	struct vt_vm *vm;
	int fd;
	int id;
	int whole, efault, other, other_errno;
	uint8_t ok[WRITES];
};

/* Page of write @i of writer @w: spread over all of guest memory. */
static uint64_t writer_page(int w, int i)
{
	return (uint64_t)(i * WRITERS + w) * 7 % PAGES(SIZE);
}

static void *writer_run(void *arg)
{
	struct writer *w = arg;

	for (int i = 0; i < WRITES; i++) {
		uint64_t pg = writer_page(w->id, i);
		char *buf = vm_gpa2hva(w->vm, DATA_GPA + pg * 4096);
		off_t pos = FAR + (off_t)(w->id * WRITES + i) * 4096;
		ssize_t n = pwrite(w->fd, buf, 4096, pos);

		if (n == 4096) {
			w->whole++;
			w->ok[i] = 1;
		} else if (n < 0 && errno == EFAULT) {
			w->efault++;
		} else {
			w->other++;
			w->other_errno = n < 0 ? errno : 0;
		}
	}
	return NULL;
}

struct reader {
	struct vt_vm *vm;
	volatile int stop;
	uint64_t bad;
};

/* Faults from user mode at the same time: they wait for the worker. */
static void *reader_run(void *arg)
{
	struct reader *r = arg;

	while (!r->stop)
		r->bad += host_check(r->vm, DATA_GPA, SIZE, 0x5eed);
	return NULL;
}

static int test_write_from_guest_memory(void)
{
	struct vmem_vm_stats st = { 0 };
	struct writer w[WRITERS];
	pthread_t th[WRITERS], rth;
	struct reader rd = { 0 };
	struct vt_leaks base;
	struct timespec dl;
	int fd, stuck = 0, whole = 0, efault = 0, other = 0;
	uint64_t wrong = 0;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_add_slot(vm, 0, DATA_GPA, SIZE, 0));
	ASSERT_TRUE((fd = swap_file_open()) >= 0);
	ASSERT_OK(set_swap(vm, fd));
	ASSERT_EQ(vm_set_by_id(vm_id(vm), ~0ull, LIMIT, ~0u), 0);
	/* Three quarters of it go out to the swap file. */
	host_fill(vm, DATA_GPA, SIZE, 0x5eed);
	ASSERT_OK(vm_get_stats(vm, &st));
	vt_diag("filled: consumed %llu swapped %llu",
		(unsigned long long)st.consumed,
		(unsigned long long)st.swapped);
	ASSERT_TRUE(st.swapped >= PAGES(SIZE) - LIMIT);

	rd.vm = vm;
	ASSERT_EQ(pthread_create(&rth, NULL, reader_run, &rd), 0);
	for (int i = 0; i < WRITERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].vm = vm;
		w[i].fd = fd;
		w[i].id = i;
		ASSERT_EQ(pthread_create(&th[i], NULL, writer_run, &w[i]), 0);
	}
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += HANG_SECONDS;
	for (int i = 0; i < WRITERS; i++) {
		if (pthread_timedjoin_np(th[i], NULL, &dl)) {
			stuck++;
			continue;
		}
		whole += w[i].whole;
		efault += w[i].efault;
		other += w[i].other;
		if (w[i].other)
			vt_diag("writer %d: unexpected result, errno %s", i,
				vt_errno_name(w[i].other_errno));
	}
	rd.stop = 1;
	if (stuck) {
		/* The threads sleep in the kernel for good: report, stop. */
		vt_diag("%d of %d writers still blocked after %d s: deadlock",
			stuck, WRITERS, HANG_SECONDS);
		return VT_FAIL;
	}
	ASSERT_EQ(pthread_join(rth, NULL), 0);
	vt_diag("writes: %d whole, %d EFAULT, %d other; reader mismatches %llu",
		whole, efault, other, (unsigned long long)rd.bad);
	EXPECT_EQ(other, 0);
	EXPECT_EQ(whole + efault, WRITERS * WRITES);
	EXPECT_EQ(rd.bad, 0);

	/* A whole write wrote the guest page's bytes. */
	for (int i = 0; i < WRITERS; i++) {
		for (int j = 0; j < WRITES; j++) {
			uint64_t pg = writer_page(i, j), v[512];
			off_t pos = FAR + (off_t)(i * WRITES + j) * 4096;

			if (!w[i].ok[j])
				continue;
			if (pread(fd, v, 4096, pos) != 4096) {
				wrong++;
				continue;
			}
			for (int k = 0; k < 512; k++)
				if (v[k] != pattern(DATA_GPA + pg * 4096 + k * 8,
						    0x5eed))
					wrong++;
		}
	}
	EXPECT_EQ(wrong, 0);
	EXPECT_EQ(host_check(vm, DATA_GPA, SIZE, 0x5eed), 0);
	memset(&st, 0, sizeof(st));
	ASSERT_OK(vm_get_stats(vm, &st));
	EXPECT_LE(consumed_up(&st), LIMIT);
	EXPECT_EQ(st.granted + st.swapped, PAGES(SIZE));
	close(fd);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Min-funding: the victim's swap is not the charging process's             */

#define VICTIM_RES	PAGES(2 * MB)

static int put_byte(int fd, char c)
{
	return write(fd, &c, 1) == 1 ? 0 : -1;
}

static int get_byte(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? c : -1;
}

/* The victim's owner: create, report the id, fill, close all on 'x'. */
static int victim_main(int in, int out)
{
	struct vt_vm *vm;
	uint32_t id;
	int fd;

	vm = vm_create_bare(VMEM_VM_MMU_AUTO);
	if (!vm || vm_add_slot(vm, 0, 0, 16 * MB, 0))
		return 1;
	fd = swap_file_open();
	if (fd < 0 || set_swap(vm, fd))
		return 2;
	close(fd);
	id = vm_id(vm);
	if (write(out, &id, sizeof(id)) != sizeof(id))
		return 3;
	if (get_byte(in) != 'f')
		return 4;
	host_fill(vm, 0, 8 * MB, 11);
	if (put_byte(out, 'r'))
		return 5;
	if (get_byte(in) != 'x')
		return 6;
	/* Everything goes while the other VM's charges revoke from it. */
	vm_free(vm);
	return 0;
}

/* The charger: a tiny file-size limit, SIGXFSZ at its default (fatal). */
static int charger_main(int in, int out)
{
	struct rlimit small = { 4096, 4096 };
	struct vt_vm *vm;

	signal(SIGXFSZ, SIG_DFL);
	if (setrlimit(RLIMIT_FSIZE, &small))
		return 1;
	vm = vm_create_bare(VMEM_VM_MMU_AUTO);
	if (!vm || vm_add_slot(vm, 0, 0, 16 * MB, 0))
		return 2;
	host_fill(vm, 0, 8 * MB, 21);
	if (put_byte(out, '1'))
		return 3;
	if (get_byte(in) != '2')
		return 4;
	host_fill(vm, 8 * MB, 1 * MB, 22);
	if (host_check(vm, 0, 8 * MB, 21) || host_check(vm, 8 * MB, 1 * MB, 22))
		return 5;
	vm_free(vm);
	return 0;
}

static pid_t spawn(int (*fn)(int, int), int *to, int *from)
{
	int a[2], b[2];
	pid_t pid;

	if (pipe(a) || pipe(b))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(a[1]);
		close(b[0]);
		nlt_close(&nl);
		_exit(fn(a[0], b[1]));
	}
	close(a[0]);
	close(b[1]);
	*to = a[1];
	*from = b[0];
	return pid;
}

static int child_status(const char *who, pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid) {
		vt_diag("%s: waitpid: %s", who, vt_errno_name(errno));
		return -1;
	}
	if (WIFSIGNALED(status)) {
		vt_diag("%s: killed by signal %d (%s)", who, WTERMSIG(status),
			strsignal(WTERMSIG(status)));
		return -1;
	}
	if (WEXITSTATUS(status))
		vt_diag("%s: exit status %d", who, WEXITSTATUS(status));
	return WEXITSTATUS(status);
}

static int test_min_funding_other_owner(void)
{
	int vin, vout, cin, cout, r = VT_PASS;
	uint64_t root_res, used;
	struct vt_leaks base;
	pid_t victim, charger;
	uint32_t id;

	ASSERT_OK(vt_leaks_read(&base));
	root_res = root_u64(VMEM_A_RESERVATION);
	ASSERT_NE(root_res, ~0ull);

	ASSERT_TRUE((victim = spawn(victim_main, &vin, &vout)) > 0);
	if (read(vout, &id, sizeof(id)) != sizeof(id) || !id) {
		child_status("victim", victim);
		return VT_FAIL;
	}
	ASSERT_EQ(vm_set_by_id(id, VICTIM_RES, ~0ull, VMEM_SHARES_LOW), 0);
	/* 12 MiB beyond what is reserved: the two VMs contend. */
	used = root_u64(VMEM_A_USED);
	ASSERT_NE(used, ~0ull);
	ASSERT_EQ(root_set_res(used + PAGES(12 * MB)), 0);
	ASSERT_OK(put_byte(vin, 'f'));
	if (get_byte(vout) != 'r') {
		r = VT_FAIL;
		goto out_victim;
	}

	charger = spawn(charger_main, &cin, &cout);
	if (charger < 0) {
		r = VT_FAIL;
		goto out_victim;
	}
	/* Phase 1: the victim is there and pays, from its swap file. */
	if (get_byte(cout) != '1') {
		vt_diag("the charger failed while revoking from a live victim");
		r = VT_FAIL;
		put_byte(vin, 'x');
		goto out_charger;
	}
	/* Phase 2: the victim's owner closes everything meanwhile. */
	EXPECT_OK(put_byte(vin, 'x'));
	EXPECT_OK(put_byte(cin, '2'));
out_charger:
	if (child_status("charger", charger))
		r = VT_FAIL;
	close(cin);
	close(cout);
out_victim:
	close(vin);
	if (child_status("victim", victim))
		r = VT_FAIL;
	close(vout);
	EXPECT_EQ(root_set_res(root_res), 0);
	EXPECT_NO_LEAKS(&base);
	return r;
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
	/* First: a deadlocked writer would block the fork()s of the other. */
	VT_CASE(min_funding_other_owner),
	VT_CASE(write_from_guest_memory),
};

VT_MAIN(cases, setup, teardown)
