// SPDX-License-Identifier: GPL-2.0
/*
 * share_counters - the memory statistics are counters kept where pages
 * change state, read in O(1) (Documentation/api.rst, VMEM_GET_VM_STATS);
 * /sys/kernel/debug/vmem/share_check walks every VM's p2m, computes the
 * figures as their definitions say, and reports any difference.
 *
 * Two VMs in one sharing group, backing memory filled through the VMM's
 * mappings with pages equal across the VMs, equal inside one VM, zero and
 * unique; then, checking the counters against the walk after each step:
 * the sharing daemon merges them; copy-on-write breaks of shared and zero
 * pages; VMEM_DISCARD_BACKING of shared, zero and private pages; swap-out
 * under a limit and swap-in; teardown of one VM, whose frames the other
 * then holds alone (its Shared falls, its Consumed rises); the last VM
 * freed without leaks.  Needs /dev/vmem and debugfs (root).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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

#define CHECK_PATH	"/sys/kernel/debug/vmem/share_check"
#define NPAGES		1024
#define SIZE		(NPAGES * 4096ull)
/* Page ranges of the layout. */
#define ACROSS		0	/* [0, 256): equal in both VMs */
#define INSIDE		256	/* [256, 384): one content per VM */
#define ZERO		384	/* [384, 512): zeros, touched */
#define UNIQUE		512	/* [512, 1024): unique */

static struct nlt_sock nl;
static struct vt_params saved;
static const char *const knobs[] = {
	"share_scan_pages", "share_scan_sleep_ms", "share_scan_ghz",
};

struct svm {
	struct vt_vm *vm;
	uint64_t *mem;
};

static uint64_t word(uint64_t page, uint64_t w, uint64_t seed)
{
	return ((page << 12 | w) * 0x9e3779b97f4a7c15ull) ^ seed;
}

static void fill(struct svm *v, uint64_t seed)
{
	for (uint64_t p = 0; p < NPAGES; p++) {
		volatile uint64_t *q = v->mem + p * 512;

		for (uint64_t w = 0; w < 512; w++) {
			if (p < INSIDE)
				q[w] = word(p, w, 1);
			else if (p < ZERO)
				q[w] = word(0, w, seed);
			else if (p < UNIQUE)
				q[w] = 0;
			else
				q[w] = word(p, w, seed);
		}
	}
}

static int svm_create(struct svm *v)
{
	struct vmem_backing b = { .offset = 0, .size = SIZE };
	struct vmem_pshare ps = { .flags = VMEM_PSHARE_SET_SALT, .salt = 77 };
	void *p;

	v->vm = vm_create_bare(VMEM_VM_MMU_AUTO);
	if (!v->vm)
		return -1;
	if (ioctl(v->vm->fd, VMEM_SET_BACKING, &b) ||
	    ioctl(v->vm->fd, VMEM_PSHARE, &ps))
		return -1;
	p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, v->vm->fd, 0);
	if (p == MAP_FAILED)
		return -1;
	v->mem = p;
	return 0;
}

static void svm_free(struct svm *v)
{
	munmap(v->mem, SIZE);
	vm_free(v->vm);
}

/* share_check's verdict: 0 when the counters equal the walk. */
static int counters_match(const char *step)
{
	char buf[8192];
	unsigned long vms = 0, bad = ~0ul;
	ssize_t n;
	char *last;
	int fd;

	fd = open(CHECK_PATH, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	last = strstr(buf, "vms ");
	if (!last || sscanf(last, "vms %lu mismatches %lu", &vms, &bad) != 2)
		return -1;
	if (bad) {
		vt_diag("%s: the counters differ from the walk:", step);
		for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
			vt_diag("  %s", l);
	}
	return bad ? 1 : 0;
}

#define EXPECT_MATCH(step)	EXPECT_EQ(counters_match(step), 0)

static int discard(struct svm *v, uint64_t page, uint64_t npages)
{
	struct vmem_backing b = { .offset = page * 4096, .size = npages * 4096 };

	return ioctl(v->vm->fd, VMEM_DISCARD_BACKING, &b);
}

static uint32_t vm_id(struct vt_vm *vm)
{
	int id = ioctl(vm->fd, VMEM_GET_VM_ID, 0);

	return id > 0 ? (uint32_t)id : 0;
}

static int set_limit(struct vt_vm *vm, uint64_t pages)
{
	struct nlt_reply r;
	struct nlt_msg m;

	nlt_init(&m, &nl, VMEM_CMD_VM_SET, 0);
	nlt_put_u32(&m, VMEM_A_VM_ID, vm_id(vm));
	nlt_put_u64(&m, VMEM_A_LIMIT, pages);
	return nlt_call(&nl, &m, &r);
}

static int test_counters_follow_pages(void)
{
	struct vmem_vm_stats sa, sb, sa2;
	struct vmem_swap_file sf;
	struct vt_leaks base;
	struct svm a, b;
	uint64_t bad = 0, sum = 0;
	char path[] = "/tmp/vmem-swap-XXXXXX";
	int fd;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_OK(svm_create(&a));
	ASSERT_OK(svm_create(&b));
	fill(&a, 2);
	fill(&b, 3);
	EXPECT_MATCH("touched");

	/* Merged: across the VMs, inside each, and onto the zero frame. */
	ASSERT_TRUE(vm_wait_share_passes(a.vm, 4));
	ASSERT_TRUE(vm_wait_share_passes(b.vm, 4));
	ASSERT_OK(vm_get_stats(a.vm, &sa));
	ASSERT_OK(vm_get_stats(b.vm, &sb));
	vt_diag("merged: A granted %llu shared %llu zero %llu consumed %llu",
		(unsigned long long)sa.granted, (unsigned long long)sa.shared,
		(unsigned long long)sa.zero, (unsigned long long)sa.consumed);
	EXPECT_EQ(sa.granted, NPAGES);
	EXPECT_GE(sa.shared, UNIQUE - ACROSS);
	EXPECT_EQ(sa.zero, UNIQUE - ZERO);
	EXPECT_LE(sa.consumed, NPAGES - (UNIQUE - ACROSS) / 2);
	EXPECT_MATCH("merged");

	/* Sharing off so that the breaks below stay broken while checked. */
	struct vmem_pshare off = { .flags = VMEM_PSHARE_SET_ENABLE, .enable = 0 };

	ASSERT_OK(ioctl(a.vm->fd, VMEM_PSHARE, &off));
	ASSERT_OK(ioctl(b.vm->fd, VMEM_PSHARE, &off));

	/* Copy-on-write breaks: shared across, shared inside, zero. */
	for (uint64_t p = ACROSS; p < ACROSS + 32; p++)
		a.mem[p * 512] = ~0ull;
	for (uint64_t p = INSIDE; p < INSIDE + 32; p++)
		a.mem[p * 512 + 1] = ~1ull;
	for (uint64_t p = ZERO; p < ZERO + 32; p++)
		b.mem[p * 512 + 2] = 5;
	EXPECT_MATCH("copy-on-write");

	/* Discards: shared, inside, zero and unique pages of B. */
	ASSERT_OK(discard(&b, ACROSS + 64, 64));
	ASSERT_OK(discard(&b, INSIDE + 64, 16));
	ASSERT_OK(discard(&b, ZERO + 64, 16));
	ASSERT_OK(discard(&b, UNIQUE, 64));
	EXPECT_MATCH("discard");

	/*
	 * Swap-out: A's unique pages discarded, a limit below what they
	 * need, and written again (reclaim also merges what it can); then
	 * unlimited, and read back (swap-in).
	 */
	fd = mkstemp(path);
	ASSERT_TRUE(fd >= 0);
	unlink(path);
	memset(&sf, 0, sizeof(sf));
	sf.fd = fd;
	ASSERT_OK(ioctl(a.vm->fd, VMEM_SET_SWAP_FILE, &sf));
	close(fd);
	ASSERT_OK(discard(&a, UNIQUE, NPAGES - UNIQUE));
	ASSERT_OK(vm_get_stats(a.vm, &sa));
	ASSERT_OK(set_limit(a.vm, sa.consumed + 128));
	for (uint64_t p = UNIQUE; p < NPAGES; p++)
		for (uint64_t w = 0; w < 512; w++)
			a.mem[p * 512 + w] = word(p, w, 4);
	ASSERT_OK(vm_get_stats(a.vm, &sa));
	vt_diag("swapped out: A swapped %llu consumed %llu",
		(unsigned long long)sa.swapped,
		(unsigned long long)sa.consumed);
	EXPECT_GE(sa.swapped, 1);
	EXPECT_MATCH("swap-out");
	ASSERT_OK(set_limit(a.vm, VMEM_UNLIMITED));
	for (uint64_t p = UNIQUE; p < NPAGES; p++)
		for (uint64_t w = 0; w < 512; w++)
			if (a.mem[p * 512 + w] != word(p, w, 4))
				bad++;
	EXPECT_EQ(bad, 0);
	/* Reclaim's hand may have taken other private pages (the copies). */
	for (uint64_t p = 0; p < UNIQUE; p++)
		sum += a.mem[p * 512];
	vt_diag("read back everything (%llx)", (unsigned long long)sum);
	ASSERT_OK(vm_get_stats(a.vm, &sa));
	EXPECT_EQ(sa.swapped, 0);
	EXPECT_MATCH("swap-in");

	/* B goes: A holds the frames they shared alone now. */
	ASSERT_OK(vm_get_stats(a.vm, &sa));
	svm_free(&b);
	ASSERT_OK(vm_get_stats(a.vm, &sa2));
	vt_diag("B gone: A shared %llu -> %llu, consumed %llu -> %llu",
		(unsigned long long)sa.shared, (unsigned long long)sa2.shared,
		(unsigned long long)sa.consumed,
		(unsigned long long)sa2.consumed);
	EXPECT_LE(sa2.shared, sa.shared);
	EXPECT_GE(sa2.consumed, sa.consumed);
	EXPECT_MATCH("teardown");
	svm_free(&a);
	EXPECT_MATCH("both gone");
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static int setup(void)
{
	int r = vt_require_vm(VMEM_VM_MMU_AUTO);

	if (r != VT_PASS)
		return r;
	if (access(CHECK_PATH, R_OK))
		return vt_skip("no %s (debugfs)", CHECK_PATH);
	r = nlt_require(&nl);
	if (r != VT_PASS)
		return r;
	if (vt_params_save(&saved, knobs, 3))
		FAIL("cannot save the sharing parameters");
	if (vt_params_share_fast())
		FAIL("cannot speed the sharing daemon up");
	return VT_PASS;
}

static void teardown(void)
{
	vt_params_restore(&saved);
	nlt_close(&nl);
}

static const struct vt_case cases[] = {
	VT_CASE(counters_follow_pages),
};

VT_MAIN(cases, setup, teardown)
