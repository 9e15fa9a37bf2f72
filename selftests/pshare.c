// SPDX-License-Identifier: GPL-2.0
/*
 * pshare - transparent page sharing (Documentation/api.rst, VMEM_PSHARE;
 * memory-management.md section 2): VMs with the same salt and the same
 * content are merged within two full passes, different salts are not
 * merged across VMs (zero pages are), pshare.enable=0 is never merged;
 * sharing groups are scoped to the VM's owner: the same salt shares
 * between VMs of one uid only, unless an administrator made it host-wide
 * (VMEM_PSHARE_HOST_SALT, CAP_SYS_ADMIN; EPERM for others); a salt
 * change forgets the pages the VM was seen with under the old one;
 * the reference's worked example built through real merges with its
 * statistics checked exactly; copy-on-write by the guest and through the
 * VMM's mapping; merging and guest copy-on-write on shadow-MMU VMs too
 * (skipped without VMEM_CAP_SHADOW_MMU); the scan rate follows share_scan_time and the
 * share_scan_ghz ceiling (counted in daemon wake-ups, never wall time);
 * a stress run of guest and VMM writes against a fast daemon, checked
 * word by word; VMs destroyed while merges go on.  After every case the
 * host invariants hold: the sum of Consumed equals the machine pages
 * backing guests, and each VM's Shared and Zero fit in its Granted.
 *
 * The daemon is sped up through its module parameters
 * (/sys/module/vmem/parameters/share_scan_*), restored at the end.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vt.h"
#include "vt_param.h"
#include "vt_util.h"
#include "vt_vm.h"

#define PG		4096ull
#define SHARE_FILE	"/sys/kernel/debug/vmem/share"
#define DATA_GPA	(1ull << 30)

static const char *const knobs[] = {
	"share_scan_time", "share_scan_ghz", "share_scan_pages",
	"share_scan_sleep_ms", "share_scan_speedup",
};
/* The defaults: a test VM's pages are not merged for hours. */
static struct vt_params saved;

struct host {
	long long vms, shared, shared_common, saving, consumed, consumed_frac;
	long long zero, backing, frames, scanned, cow_breaks, full_scans;
	long long merges, wakeups, pages_per_wakeup, cap_per_wakeup, converged;
};

static int host_read(struct host *h)
{
	static const struct { const char *k; size_t off; } keys[] = {
#define K(x) { #x, offsetof(struct host, x) }
		K(vms), K(shared), K(shared_common), K(saving), K(consumed),
		K(consumed_frac), K(zero), K(backing), K(frames), K(scanned),
		K(cow_breaks), K(full_scans), K(merges), K(wakeups),
		K(pages_per_wakeup), K(cap_per_wakeup), K(converged),
#undef K
	};
	char line[128], key[64];
	long long v;
	FILE *f;

	memset(h, 0, sizeof(*h));
	f = fopen(SHARE_FILE, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld", key, &v) == 2)
			for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
				if (!strcmp(key, keys[i].k))
					*(long long *)((char *)h + keys[i].off) = v;
	fclose(f);
	return 0;
}

static int pshare(struct vt_vm *vm, uint32_t flags, uint32_t enable,
		  uint64_t salt, struct vmem_pshare *out)
{
	struct vmem_pshare ps = { .flags = flags, .enable = enable,
				  .salt = salt };
	int r = ioctl(vm->fd, VMEM_PSHARE, &ps);

	if (out)
		*out = ps;
	return r;
}

static uint64_t full_scans(struct vt_vm *vm)
{
	struct vmem_vm_stats st;

	if (vm_get_stats(vm, &st))
		return 0;
	return st.full_scans;
}

/* Wait (bounded) until each VM made @passes more full passes. */
static bool wait_passes(struct vt_vm **vms, unsigned int n, uint64_t *base,
			uint64_t passes)
{
	for (int tries = 0; tries < 20000; tries++) {
		unsigned int done = 0;

		for (unsigned int i = 0; i < n; i++)
			done += full_scans(vms[i]) >= base[i] + passes;
		if (done == n)
			return true;
		usleep(1000);
	}
	return false;
}

static bool wait_converged(struct vt_vm **vms, unsigned int n)
{
	for (int tries = 0; tries < 20000; tries++) {
		struct vmem_vm_stats st;
		unsigned int done = 0;

		for (unsigned int i = 0; i < n; i++)
			if (!vm_get_stats(vms[i], &st) &&
			    (st.share_flags & VMEM_STATS_CONVERGED))
				done++;
		if (done == n)
			return true;
		usleep(1000);
	}
	return false;
}

/* Wait until the daemon woke @n more times. */
static bool wait_wakeups(long long n)
{
	struct host h0, h;

	if (host_read(&h0))
		return false;
	for (int tries = 0; tries < 60000; tries++) {
		if (host_read(&h) || h.wakeups >= h0.wakeups + n)
			return true;
		usleep(1000);
	}
	return false;
}

/*
 * The invariants, with @vms the VMs alive: Sum(Consumed) (rounded: each
 * 1/n is rounded down) equals the machine pages backing guests; each
 * VM's Shared and Zero fit in its Granted.
 */
#define CHECK_INVARIANTS(vms, n) check_invariants(__LINE__, (vms), (n))
static void check_invariants(int line, struct vt_vm **vms, unsigned int n)
{
	long double sum = 0;
	struct host h;

	if (host_read(&h)) {
		vt_diag("line %d: cannot read " SHARE_FILE, line);
		EXPECT_TRUE(false);
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct vmem_vm_stats st;

		if (vm_get_stats(vms[i], &st))
			continue;
		EXPECT_LE(st.shared, st.granted);
		EXPECT_LE(st.zero, st.granted);
		EXPECT_LE(st.consumed, st.granted);
		sum += st.consumed + st.consumed_frac / 4294967296.0L;
	}
	if (h.vms != n) {
		vt_diag("line %d: %lld VMs on the host, %u here", line, h.vms, n);
		EXPECT_EQ(h.vms, n);
	}
	EXPECT_EQ((long long)(sum + 0.5L), h.backing);
	EXPECT_EQ((long long)(h.consumed + h.consumed_frac / 4294967296.0L + 0.5L),
		  h.backing);
	EXPECT_EQ(h.saving, h.shared - h.shared_common);
	if (!n) {
		EXPECT_EQ(h.frames, 0);
		EXPECT_EQ(h.zero, 0);
		EXPECT_EQ(h.backing, 0);
	}
}

static void fill(void *p, uint64_t word)
{
	uint64_t *q = p;

	for (unsigned int i = 0; i < PG / 8; i++)
		q[i] = word;
}

static bool page_is(const void *p, uint64_t word)
{
	const uint64_t *q = p;

	for (unsigned int i = 0; i < PG / 8; i++)
		if (q[i] != word)
			return false;
	return true;
}

/* A VM of @npages at DATA_GPA, sharing off while the VMM fills it. */
static struct vt_vm *bare_vm(uint64_t npages, uint32_t mmu)
{
	struct vt_vm *vm = vm_create_bare(mmu);

	if (!vm)
		return NULL;
	if (pshare(vm, VMEM_PSHARE_SET_ENABLE, 0, 0, NULL) ||
	    vm_add_slot(vm, 1, DATA_GPA, npages * PG, 0)) {
		vm_free(vm);
		return NULL;
	}
	return vm;
}

/* An unprivileged owner for the cross-user cases. */
#define OTHER_UID	1000

/*
 * bare_vm() created by @uid: the VM's owner is the creator's effective
 * uid.  The effective gid stays 0, which opens the 0660 root:root node;
 * the effective capabilities are gone while euid is not 0.
 */
static struct vt_vm *bare_vm_as(uint64_t npages, uint32_t mmu, uid_t uid)
{
	struct vt_vm *vm;

	if (uid && seteuid(uid))
		return NULL;
	vm = bare_vm(npages, mmu);
	if (uid && seteuid(0)) {
		vt_diag("cannot become root again: %s", strerror(errno));
		abort();
	}
	return vm;
}

static uint8_t *page_of(struct vt_vm *vm, uint64_t i)
{
	return vm_gpa2hva(vm, DATA_GPA + i * PG);
}

static int setup(void)
{
	int r = vt_require_vm(VMEM_VM_MMU_AUTO);

	if (r != VT_PASS)
		return r;
	if (vt_check_extension(VMEM_CAP_PSHARE) != 1)
		return vt_skip("no VMEM_CAP_PSHARE");
	if (vt_params_save(&saved, knobs, 5))
		return vt_fail_at(__FILE__, __LINE__,
				  "cannot read " VT_SYSFS_PARAM("share_scan_*"));
	if (access(SHARE_FILE, R_OK))
		return vt_fail_at(__FILE__, __LINE__, "no " SHARE_FILE);
	return VT_PASS;
}

static void teardown(void)
{
	vt_params_restore(&saved);
}

/* ---------------------------------------------------------------------- */

static int test_ioctl(void)
{
	struct vmem_pshare ps, ps2;
	struct vmem_vm_stats st;
	struct vt_vm *a, *b;

	ASSERT_TRUE(a = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(b = vm_create_bare(VMEM_VM_MMU_AUTO));
	/* Defaults: on, a salt of its own. */
	ASSERT_OK(pshare(a, 0, 0, 0, &ps));
	ASSERT_OK(pshare(b, 0, 0, 0, &ps2));
	EXPECT_EQ(ps.enable, 1);
	EXPECT_NE(ps.salt, ps2.salt);
	ASSERT_OK(vm_get_stats(a, &st));
	EXPECT_TRUE(st.share_flags & VMEM_STATS_PSHARE);

	/* Set, read back; flags without SET leave the field alone. */
	ASSERT_OK(pshare(a, VMEM_PSHARE_SET_SALT, 7, 42, &ps));
	EXPECT_EQ(ps.salt, 42);
	EXPECT_EQ(ps.enable, 1);
	ASSERT_OK(pshare(a, VMEM_PSHARE_SET_ENABLE, 0, 99, &ps));
	EXPECT_EQ(ps.enable, 0);
	EXPECT_EQ(ps.salt, 42);
	ASSERT_OK(vm_get_stats(a, &st));
	EXPECT_EQ(st.share_flags & VMEM_STATS_PSHARE, 0);

	/* Bad input, nothing changed. */
	EXPECT_ERRNO(pshare(a, 1u << 3, 0, 0, NULL), EINVAL);
	EXPECT_ERRNO(pshare(a, VMEM_PSHARE_SET_ENABLE, 2, 0, NULL), EINVAL);
	for (int i = 0; i < 4; i++) {
		struct vmem_pshare bad = { 0 };

		bad.reserved[i] = 1;
		EXPECT_ERRNO(ioctl(a->fd, VMEM_PSHARE, &bad), EINVAL);
	}
	EXPECT_ERRNO(ioctl(a->fd, VMEM_PSHARE, NULL), EFAULT);
	ASSERT_OK(pshare(a, 0, 0, 0, &ps));
	EXPECT_EQ(ps.enable, 0);
	EXPECT_EQ(ps.salt, 42);
	vm_free(a);
	vm_free(b);
	CHECK_INVARIANTS(NULL, 0);
	return VT_PASS;
}

/*
 * 32 pages per VM: 0-7 the same in both VMs, 8-15 one content repeated
 * inside the VM (different per VM), 16-23 zero, 24-31 unique.
 */
#define MIX_PAGES	32
static void fill_mix(struct vt_vm *vm, uint64_t id)
{
	for (uint64_t i = 0; i < MIX_PAGES; i++) {
		uint64_t w;

		if (i < 8)
			w = 0x1111000000000000ull + i;
		else if (i < 16)
			w = 0x2222000000000000ull + id;
		else if (i < 24)
			w = 0;
		else
			w = 0x3333000000000000ull + (id << 16) + i;
		fill(page_of(vm, i), w);
	}
}

static int check_mix(struct vt_vm *vm, uint64_t id)
{
	for (uint64_t i = 0; i < MIX_PAGES; i++) {
		uint64_t w = i < 8 ? 0x1111000000000000ull + i :
			     i < 16 ? 0x2222000000000000ull + id :
			     i < 24 ? 0 : 0x3333000000000000ull + (id << 16) + i;

		if (!page_is(page_of(vm, i), w))
			FAIL("VM %llu page %llu lost its content",
			     (unsigned long long)id, (unsigned long long)i);
	}
	return VT_PASS;
}

/*
 * Two VMs created by @uid[i] with the mix; with @salt_flags[i] nonzero
 * their salt is set to 0x5a17 with those flags (by root).  @across: pages
 * 0-7 are expected merged across the two VMs.
 */
static int run_mix_as(const uid_t uid[2], const uint32_t salt_flags[2],
		      bool across, uint32_t mmu)
{
	const bool same_salt = across;
	struct vmem_vm_stats st[2];
	struct vt_leaks base;
	struct vt_vm *vms[2];
	uint64_t b[2];
	struct host h;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_OK(vt_params_share_fast());
	for (int i = 0; i < 2; i++) {
		ASSERT_TRUE(vms[i] = bare_vm_as(MIX_PAGES, mmu, uid[i]));
		fill_mix(vms[i], i);
	}
	for (int i = 0; i < 2; i++) {
		if (salt_flags[i] &&
		    pshare(vms[i], salt_flags[i], 0, 0x5a17, NULL)) {
			int err = errno;

			vm_free(vms[0]);
			vm_free(vms[1]);
			FAIL("VMEM_PSHARE flags %#x: %s", salt_flags[i],
			     vt_errno_name(err));
		}
		b[i] = full_scans(vms[i]);
		ASSERT_OK(pshare(vms[i], VMEM_PSHARE_SET_ENABLE, 1, 0, NULL));
	}
	/* One pass records stable hashes, the second merges. */
	ASSERT_TRUE(wait_passes(vms, 2, b, 2));
	for (int i = 0; i < 2; i++) {
		ASSERT_OK(vm_get_stats(vms[i], &st[i]));
		vt_diag("VM %d after 2 passes: granted %llu shared %llu zero %llu consumed %llu+%llu/2^32",
			i, (unsigned long long)st[i].granted,
			(unsigned long long)st[i].shared,
			(unsigned long long)st[i].zero,
			(unsigned long long)st[i].consumed,
			(unsigned long long)st[i].consumed_frac);
		EXPECT_EQ(st[i].granted, MIX_PAGES);
		EXPECT_EQ(st[i].zero, 8);
		/* zero: 16 references to one frame, 1/2 page per VM. */
		if (same_salt) {
			EXPECT_EQ(st[i].shared, 24);
			EXPECT_EQ(st[i].consumed, 13);	/* 4 + 1 + 0.5 + 8 */
		} else {
			EXPECT_EQ(st[i].shared, 16);
			EXPECT_EQ(st[i].consumed, 17);	/* 8 + 1 + 0.5 + 8 */
		}
		EXPECT_EQ(st[i].consumed_frac, 1ull << 31);
	}
	ASSERT_TRUE(wait_converged(vms, 2));
	ASSERT_OK(host_read(&h));
	EXPECT_EQ(h.shared, same_salt ? 48 : 32);
	EXPECT_EQ(h.shared_common, same_salt ? 11 : 3);
	EXPECT_EQ(h.backing, same_salt ? 27 : 35);
	EXPECT_EQ(h.converged, 1);
	CHECK_INVARIANTS(vms, 2);
	for (int i = 0; i < 2; i++)
		if (check_mix(vms[i], i) != VT_PASS)
			return VT_FAIL;
	CHECK_INVARIANTS(vms, 2);
	for (int i = 0; i < 2; i++)
		vm_free(vms[i]);
	CHECK_INVARIANTS(NULL, 0);
	vt_params_restore(&saved);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static int run_mix(bool same_salt, uint32_t mmu)
{
	const uint32_t f = same_salt ? VMEM_PSHARE_SET_SALT : 0;

	return run_mix_as((const uid_t[2]){ 0, 0 }, (const uint32_t[2]){ f, f },
			  same_salt, mmu);
}

static int test_same_salt_merged(void)
{
	return run_mix(true, VMEM_VM_MMU_AUTO);
}

/* A salt a VMM sets is its owner's: another user's VMs never join. */
static int test_same_salt_other_user_not_merged(void)
{
	return run_mix_as((const uid_t[2]){ 0, OTHER_UID },
			  (const uint32_t[2]){ VMEM_PSHARE_SET_SALT,
					       VMEM_PSHARE_SET_SALT },
			  false, VMEM_VM_MMU_AUTO);
}

/* Two VMs of one unprivileged user with one salt share. */
static int test_same_salt_same_user_merged(void)
{
	return run_mix_as((const uid_t[2]){ OTHER_UID, OTHER_UID },
			  (const uint32_t[2]){ VMEM_PSHARE_SET_SALT,
					       VMEM_PSHARE_SET_SALT },
			  true, VMEM_VM_MMU_AUTO);
}

/* An administrator's host-wide salt joins VMs of different users. */
static int test_host_salt_across_users(void)
{
	const uint32_t f = VMEM_PSHARE_SET_SALT | VMEM_PSHARE_HOST_SALT;

	return run_mix_as((const uid_t[2]){ 0, OTHER_UID },
			  (const uint32_t[2]){ f, f }, true, VMEM_VM_MMU_AUTO);
}

/* The same value, host-wide on one VM and its owner's on the other. */
static int test_host_salt_not_owner_salt(void)
{
	return run_mix_as((const uid_t[2]){ 0, 0 },
			  (const uint32_t[2]){ VMEM_PSHARE_SET_SALT |
					       VMEM_PSHARE_HOST_SALT,
					       VMEM_PSHARE_SET_SALT },
			  false, VMEM_VM_MMU_AUTO);
}

/*
 * VMEM_PSHARE_HOST_SALT is the administrator's: EPERM without
 * CAP_SYS_ADMIN (here: euid 1000, even on a VM of its own), EINVAL
 * without SET_SALT; nothing changes.
 */
static int test_host_salt_needs_admin(void)
{
	const uint32_t f = VMEM_PSHARE_SET_SALT | VMEM_PSHARE_HOST_SALT;
	struct vmem_pshare ps0, ps;
	struct vt_vm *vm;
	int r, err;

	ASSERT_TRUE(vm = bare_vm_as(1, VMEM_VM_MMU_AUTO, OTHER_UID));
	ASSERT_OK(pshare(vm, 0, 0, 0, &ps0));
	ASSERT_OK(seteuid(OTHER_UID));
	r = pshare(vm, f, 0, 0x5a17, NULL);
	err = errno;
	/* An ordinary salt is the owner's own business. */
	if (!pshare(vm, VMEM_PSHARE_SET_SALT, 0, ps0.salt, NULL))
		errno = 0;
	ASSERT_OK(seteuid(0));
	EXPECT_EQ(r, -1);
	EXPECT_EQ(err, EPERM);
	EXPECT_EQ(errno, 0);
	EXPECT_ERRNO(pshare(vm, VMEM_PSHARE_HOST_SALT, 0, 0x5a17, NULL), EINVAL);
	EXPECT_ERRNO(pshare(vm, VMEM_PSHARE_HOST_SALT | VMEM_PSHARE_SET_ENABLE,
			    1, 0x5a17, NULL), EINVAL);
	ASSERT_OK(pshare(vm, 0, 0, 0, &ps));
	EXPECT_EQ(ps.salt, ps0.salt);
	EXPECT_EQ(ps.enable, ps0.enable);
	/* Root may. */
	EXPECT_OK(pshare(vm, f, 0, 0x5a17, &ps));
	EXPECT_EQ(ps.salt, 0x5a17);
	vm_free(vm);
	return VT_PASS;
}

/* Shadow-MMU VMs are scanned and merged like the others. */
static int test_same_salt_merged_shadow(void)
{
	if (vt_check_extension(VMEM_CAP_SHADOW_MMU) != 1)
		return vt_skip("no VMEM_CAP_SHADOW_MMU");
	return run_mix(true, VMEM_VM_MMU_SHADOW);
}

static int test_different_salts_not_across(void)
{
	return run_mix(false, VMEM_VM_MMU_AUTO);
}

static int test_disabled_never_merged(void)
{
	struct vmem_vm_stats st;
	struct vt_vm *vms[2];
	uint64_t b[2];

	ASSERT_OK(vt_params_share_fast());
	for (int i = 0; i < 2; i++) {
		ASSERT_TRUE(vms[i] = bare_vm(MIX_PAGES, VMEM_VM_MMU_AUTO));
		fill_mix(vms[i], 0);
		ASSERT_OK(pshare(vms[i], VMEM_PSHARE_SET_SALT, 0, 77, NULL));
	}
	/* Only VM 1 on: it is the clock; VM 0 must stay untouched. */
	b[1] = full_scans(vms[1]);
	ASSERT_OK(pshare(vms[1], VMEM_PSHARE_SET_ENABLE, 1, 0, NULL));
	ASSERT_TRUE(wait_passes(&vms[1], 1, &b[1], 5));
	ASSERT_OK(vm_get_stats(vms[0], &st));
	EXPECT_EQ(st.shared, 0);
	EXPECT_EQ(st.zero, 0);
	EXPECT_EQ(st.scanned, 0);
	EXPECT_EQ(st.consumed, MIX_PAGES);
	ASSERT_OK(vm_get_stats(vms[1], &st));
	EXPECT_EQ(st.shared, 16);	/* 8-15 inside the VM, zero pages */
	CHECK_INVARIANTS(vms, 2);
	for (int i = 0; i < 2; i++)
		vm_free(vms[i]);
	vt_params_restore(&saved);
	return VT_PASS;
}

/*
 * A salt change forgets what the VM's pages were seen as: B, sharing
 * with A's salt, records its pages as hints, stops, and moves to another
 * salt; A (still on the old salt) must not find B's pages then.  Before,
 * each of A's pages 0-7 was copied into a frame of its own on B's stale
 * hint: the host's frame count says which (2: each VM's repeated page;
 * 10: eight more).
 */
static int test_salt_change_forgets_hints(void)
{
	struct vmem_vm_stats st;
	struct vt_vm *vms[2];
	uint64_t b[2];
	struct host h;

	ASSERT_OK(vt_params_share_fast());
	for (int i = 0; i < 2; i++) {
		ASSERT_TRUE(vms[i] = bare_vm(MIX_PAGES, VMEM_VM_MMU_AUTO));
		fill_mix(vms[i], i);
		ASSERT_OK(pshare(vms[i], VMEM_PSHARE_SET_SALT, 0, 0x5a17, NULL));
	}
	b[1] = full_scans(vms[1]);
	ASSERT_OK(pshare(vms[1], VMEM_PSHARE_SET_ENABLE, 1, 0, NULL));
	ASSERT_TRUE(wait_passes(&vms[1], 1, &b[1], 2));
	ASSERT_OK(pshare(vms[1], VMEM_PSHARE_SET_ENABLE, 0, 0, NULL));
	ASSERT_OK(pshare(vms[1], VMEM_PSHARE_SET_SALT, 0, 0x5a18, NULL));

	b[0] = full_scans(vms[0]);
	ASSERT_OK(pshare(vms[0], VMEM_PSHARE_SET_ENABLE, 1, 0, NULL));
	ASSERT_TRUE(wait_passes(&vms[0], 1, &b[0], 3));
	ASSERT_OK(host_read(&h));
	vt_diag("frames %lld, merges %lld", h.frames, h.merges);
	EXPECT_EQ(h.frames, 2);
	for (int i = 0; i < 2; i++) {
		ASSERT_OK(vm_get_stats(vms[i], &st));
		EXPECT_EQ(st.shared, 16);	/* 8-15 inside the VM, zero pages */
	}
	CHECK_INVARIANTS(vms, 2);
	for (int i = 0; i < 2; i++)
		if (check_mix(vms[i], i) != VT_PASS)
			return VT_FAIL;
	for (int i = 0; i < 2; i++)
		vm_free(vms[i]);
	vt_params_restore(&saved);
	return VT_PASS;
}

/*
 * memory-management.md section 1: VM1 maps g0,g1->Ma, g2->Mb, g3->Mc,
 * g4->Md; VM2 maps g0->Mb, g1->Me.  Built by giving the pages those
 * contents and letting the daemon merge them.
 */
static int test_worked_example(void)
{
	static const uint64_t c1[5] = { 0xa, 0xa, 0xb, 0xc, 0xd };
	static const uint64_t c2[2] = { 0xb, 0xe };
	struct vmem_vm_stats s1, s2;
	struct vt_vm *vms[2];
	struct host h;

	ASSERT_OK(vt_params_share_fast());
	ASSERT_TRUE(vms[0] = bare_vm(5, VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vms[1] = bare_vm(2, VMEM_VM_MMU_AUTO));
	for (int i = 0; i < 5; i++)
		fill(page_of(vms[0], i), c1[i] << 56 | 0x5eed);
	for (int i = 0; i < 2; i++)
		fill(page_of(vms[1], i), c2[i] << 56 | 0x5eed);
	for (int i = 0; i < 2; i++) {
		ASSERT_OK(pshare(vms[i], VMEM_PSHARE_SET_SALT, 0, 0xe5, NULL));
		ASSERT_OK(pshare(vms[i], VMEM_PSHARE_SET_ENABLE, 1, 0, NULL));
	}
	ASSERT_TRUE(wait_converged(vms, 2));
	ASSERT_OK(vm_get_stats(vms[0], &s1));
	ASSERT_OK(vm_get_stats(vms[1], &s2));
	/* VM1: Granted 5, Shared 3, Consumed 3.5. */
	EXPECT_EQ(s1.granted, 5);
	EXPECT_EQ(s1.shared, 3);
	EXPECT_EQ(s1.consumed, 3);
	EXPECT_EQ(s1.consumed_frac, 1ull << 31);
	/* VM2: Granted 2, Shared 1, Consumed 1.5. */
	EXPECT_EQ(s2.granted, 2);
	EXPECT_EQ(s2.shared, 1);
	EXPECT_EQ(s2.consumed, 1);
	EXPECT_EQ(s2.consumed_frac, 1ull << 31);
	/* Host: Shared 4, Shared Common 2, Consumed 5. */
	ASSERT_OK(host_read(&h));
	EXPECT_EQ(h.shared, 4);
	EXPECT_EQ(h.shared_common, 2);
	EXPECT_EQ(h.saving, 2);
	EXPECT_EQ(h.consumed, 5);
	EXPECT_EQ(h.consumed_frac, 0);
	EXPECT_EQ(h.backing, 5);
	EXPECT_EQ(h.frames, 2);
	CHECK_INVARIANTS(vms, 2);
	for (int i = 0; i < 2; i++)
		vm_free(vms[i]);
	CHECK_INVARIANTS(NULL, 0);
	vt_params_restore(&saved);
	return VT_PASS;
}

/* Copy-on-write through the VMM's mapping, zero pages included. */
static int test_cow_vmm(void)
{
	struct vmem_vm_stats st[2];
	struct vt_vm *vms[2];

	ASSERT_OK(vt_params_share_fast());
	for (int i = 0; i < 2; i++) {
		ASSERT_TRUE(vms[i] = bare_vm(MIX_PAGES, VMEM_VM_MMU_AUTO));
		fill_mix(vms[i], i);
		ASSERT_OK(pshare(vms[i], VMEM_PSHARE_SET_SALT, 0, 0xc0, NULL));
		ASSERT_OK(pshare(vms[i], VMEM_PSHARE_SET_ENABLE, 1, 0, NULL));
	}
	ASSERT_TRUE(wait_converged(vms, 2));
	/* Daemon off (after its current wake-up), so the counts hold still. */
	ASSERT_OK(vt_param_set("share_scan_ghz", 0));
	ASSERT_TRUE(wait_wakeups(2));
	/* VM 0 writes one word of every page; sharing must not spread it. */
	for (uint64_t i = 0; i < MIX_PAGES; i++)
		((volatile uint64_t *)page_of(vms[0], i))[5] = 0xdead0000 + i;
	for (uint64_t i = 0; i < MIX_PAGES; i++) {
		uint64_t *p = (uint64_t *)page_of(vms[0], i);

		EXPECT_EQ(p[5], 0xdead0000 + i);
		p[5] = p[4];	/* back to the original, for check_mix */
	}
	if (check_mix(vms[0], 0) != VT_PASS || check_mix(vms[1], 1) != VT_PASS)
		return VT_FAIL;
	ASSERT_OK(vm_get_stats(vms[0], &st[0]));
	ASSERT_OK(vm_get_stats(vms[1], &st[1]));
	/* Every shared page of VM 0 broke (the unique ones were private). */
	EXPECT_GE(st[0].cow_breaks, 24);
	EXPECT_EQ(st[1].cow_breaks, 0);
	EXPECT_EQ(st[0].zero, 0);
	EXPECT_EQ(st[0].shared, 0);
	/* VM 1 now holds the last references: shared counts 1 per frame. */
	EXPECT_EQ(st[1].zero, 8);
	CHECK_INVARIANTS(vms, 2);
	for (int i = 0; i < 2; i++)
		vm_free(vms[i]);
	CHECK_INVARIANTS(NULL, 0);
	vt_params_restore(&saved);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Copy-on-write by the guest                                              */

#define COW_PAGES	16
#define COW_GPA		0x3000000ull	/* main slot, free */

static void guest_cow(uint64_t tag)
{
	volatile uint64_t *p = (volatile uint64_t *)COW_GPA;

	for (uint64_t i = 0; i < COW_PAGES; i++)
		for (unsigned int w = 0; w < 512; w++)
			GUEST_ASSERT_EQ(p[i * 512 + w], 0x77770000 + i);
	GUEST_SYNC(1);
	/* The second VM gets here after the first wrote: still the old data. */
	for (uint64_t i = 0; i < COW_PAGES; i++)
		for (unsigned int w = 0; w < 512; w++)
			GUEST_ASSERT_EQ(p[i * 512 + w], 0x77770000 + i);
	for (uint64_t i = 0; i < COW_PAGES; i++)
		for (unsigned int w = 0; w < 512; w++)
			p[i * 512 + w] = tag + i;
	GUEST_SYNC(2);
	for (uint64_t i = 0; i < COW_PAGES; i++)
		for (unsigned int w = 0; w < 512; w++)
			GUEST_ASSERT_EQ(p[i * 512 + w], tag + i);
	GUEST_DONE();
}

static int run_cow_guest(uint32_t mmu)
{
	struct vt_vcpu *vcpu[2];
	struct vmem_vm_stats st;
	struct vt_vm *vms[2];
	uint64_t b[2];

	ASSERT_OK(vt_params_share_fast());
	for (int i = 0; i < 2; i++) {
		ASSERT_TRUE(vms[i] = vm_create(mmu));
		ASSERT_OK(pshare(vms[i], VMEM_PSHARE_SET_ENABLE, 0, 0, NULL));
		ASSERT_TRUE(vcpu[i] = vcpu_add(vms[i], 0, guest_cow));
		ASSERT_OK(vcpu_args_set(vcpu[i], 1, 0xa0000000ull << i));
		for (uint64_t p = 0; p < COW_PAGES; p++)
			fill(vm_gpa2hva(vms[i], COW_GPA + p * PG), 0x77770000 + p);
		ASSERT_OK(pshare(vms[i], VMEM_PSHARE_SET_SALT, 0, 0xc1, NULL));
		b[i] = full_scans(vms[i]);
		ASSERT_OK(pshare(vms[i], VMEM_PSHARE_SET_ENABLE, 1, 0, NULL));
	}
	ASSERT_TRUE(wait_passes(vms, 2, b, 3));
	for (int i = 0; i < 2; i++) {
		ASSERT_OK(vm_get_stats(vms[i], &st));
		EXPECT_GE(st.shared, COW_PAGES);
	}
	/* The guests read the shared pages, then write them in turn. */
	ASSERT_RUN_SYNC(vcpu[0], 1);
	ASSERT_RUN_SYNC(vcpu[1], 1);
	ASSERT_RUN_SYNC(vcpu[0], 2);
	for (uint64_t p = 0; p < COW_PAGES; p++) {
		EXPECT_TRUE(page_is(vm_gpa2hva(vms[0], COW_GPA + p * PG),
				    0xa0000000ull + p));
		EXPECT_TRUE(page_is(vm_gpa2hva(vms[1], COW_GPA + p * PG),
				    0x77770000 + p));
	}
	ASSERT_RUN_SYNC(vcpu[1], 2);
	for (uint64_t p = 0; p < COW_PAGES; p++)
		EXPECT_TRUE(page_is(vm_gpa2hva(vms[1], COW_GPA + p * PG),
				    0x140000000ull + p));
	ASSERT_RUN_DONE(vcpu[0]);
	ASSERT_RUN_DONE(vcpu[1]);
	for (int i = 0; i < 2; i++) {
		ASSERT_OK(vm_get_stats(vms[i], &st));
		EXPECT_GE(st.cow_breaks, COW_PAGES / 2);
	}
	CHECK_INVARIANTS(vms, 2);
	for (int i = 0; i < 2; i++)
		vm_free(vms[i]);
	CHECK_INVARIANTS(NULL, 0);
	vt_params_restore(&saved);
	return VT_PASS;
}

static int test_cow_guest(void)
{
	return run_cow_guest(VMEM_VM_MMU_AUTO);
}

/*
 * The same on the shadow MMU: shared frames behind read-only shadow
 * leaves, and the two VMs' identical guest page tables merged too, so the
 * walker's A/D updates break sharing as well.
 */
static int test_cow_guest_shadow(void)
{
	if (vt_check_extension(VMEM_CAP_SHADOW_MMU) != 1)
		return vt_skip("no VMEM_CAP_SHADOW_MMU");
	return run_cow_guest(VMEM_VM_MMU_SHADOW);
}

/* ---------------------------------------------------------------------- */
/* Rate                                                                    */

static int test_rate(void)
{
	struct vmem_vm_stats s0, s1;
	struct host h0, h1;
	struct vt_vm *vm;
	double ratio;

	ASSERT_TRUE(vm = bare_vm(1000, VMEM_VM_MMU_AUTO));
	for (uint64_t i = 0; i < 1000; i++)
		fill(page_of(vm, i), 0x4444000000000000ull + i);
	/*
	 * share_scan_time 1 minute lasting 10 ms with 5 ms sleeps: 500 of the
	 * 1000 pages per wake-up, one pass per two wake-ups.
	 */
	ASSERT_OK(vt_param_set("share_scan_pages", 0));
	ASSERT_OK(vt_param_set("share_scan_time", 1));
	ASSERT_OK(vt_param_set("share_scan_speedup", 6000));
	ASSERT_OK(vt_param_set("share_scan_sleep_ms", 5));
	ASSERT_OK(vt_param_set("share_scan_ghz", 1000));
	ASSERT_OK(pshare(vm, VMEM_PSHARE_SET_ENABLE, 1, 0, NULL));
	ASSERT_TRUE(wait_wakeups(3));
	ASSERT_OK(vm_get_stats(vm, &s0));
	ASSERT_OK(host_read(&h0));
	ASSERT_TRUE(wait_wakeups(60));
	ASSERT_OK(vm_get_stats(vm, &s1));
	ASSERT_OK(host_read(&h1));
	EXPECT_EQ(h1.pages_per_wakeup, 500);
	ratio = (double)(s1.full_scans - s0.full_scans) / (h1.wakeups - h0.wakeups);
	vt_diag("rate: %llu passes in %lld wake-ups (%.2f, expected 0.5), %llu pages scanned",
		(unsigned long long)(s1.full_scans - s0.full_scans),
		h1.wakeups - h0.wakeups, ratio,
		(unsigned long long)(s1.scanned - s0.scanned));
	EXPECT_TRUE(ratio >= 0.25 && ratio <= 0.75);

	/* Scan time 2 minutes: half the pace. */
	ASSERT_OK(vt_param_set("share_scan_time", 2));
	ASSERT_TRUE(wait_wakeups(3));
	ASSERT_OK(vm_get_stats(vm, &s0));
	ASSERT_OK(host_read(&h0));
	ASSERT_TRUE(wait_wakeups(60));
	ASSERT_OK(vm_get_stats(vm, &s1));
	ASSERT_OK(host_read(&h1));
	EXPECT_EQ(h1.pages_per_wakeup, 250);
	ratio = (double)(s1.full_scans - s0.full_scans) / (h1.wakeups - h0.wakeups);
	vt_diag("scan time 2: %.2f passes per wake-up (expected 0.25)", ratio);
	EXPECT_TRUE(ratio >= 0.12 && ratio <= 0.38);

	/* The GHz ceiling: scanned pages per wake-up stay under the cap. */
	ASSERT_OK(vt_param_set("share_scan_pages", 100000));
	ASSERT_OK(vt_param_set("share_scan_ghz", 1));
	ASSERT_TRUE(wait_wakeups(3));
	ASSERT_OK(vm_get_stats(vm, &s0));
	ASSERT_OK(host_read(&h0));
	ASSERT_TRUE(wait_wakeups(20));
	ASSERT_OK(vm_get_stats(vm, &s1));
	ASSERT_OK(host_read(&h1));
	vt_diag("ceiling: cap %lld pages per wake-up, scanned %llu in %lld wake-ups",
		h1.cap_per_wakeup, (unsigned long long)(s1.scanned - s0.scanned),
		h1.wakeups - h0.wakeups);
	EXPECT_GE(h1.cap_per_wakeup, 1);
	EXPECT_LE(s1.scanned - s0.scanned,
		  (h1.wakeups - h0.wakeups + 1) * h1.cap_per_wakeup);

	/* share_scan_ghz 0 turns sharing off. */
	ASSERT_OK(vt_param_set("share_scan_ghz", 0));
	ASSERT_TRUE(wait_wakeups(3));
	ASSERT_OK(vm_get_stats(vm, &s0));
	ASSERT_TRUE(wait_wakeups(20));
	ASSERT_OK(vm_get_stats(vm, &s1));
	EXPECT_EQ(s1.scanned, s0.scanned);
	EXPECT_EQ(s1.full_scans, s0.full_scans);

	CHECK_INVARIANTS(&vm, 1);
	vm_free(vm);
	vt_params_restore(&saved);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Stress                                                                  */

#define STRESS_PAGES	128
#define STRESS_GPA	0x3000000ull
#define HOST_GPA	(STRESS_GPA + STRESS_PAGES * PG)

static uint8_t guest_ver[STRESS_PAGES];
/* Set by the host once the daemon has passed many times meanwhile. */
static volatile uint64_t guest_stop;

static inline uint64_t word_of(uint64_t v)
{
	return v * 0x0101010101010101ull;
}

static void guest_stress(uint64_t seed)
{
	volatile uint64_t *base = (volatile uint64_t *)STRESS_GPA;

	for (int i = 0; i < STRESS_PAGES; i++)
		guest_ver[i] = 0;
	while (!guest_stop) {
		uint64_t p, v;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		p = (seed >> 33) % STRESS_PAGES;
		v = (seed >> 20) % 4;	/* four contents: many duplicates */
		for (unsigned int w = 0; w < 512; w++)
			base[p * 512 + w] = word_of(v);
		guest_ver[p] = v;
		/* Read another page back now and then. */
		p = (seed >> 40) % STRESS_PAGES;
		GUEST_ASSERT_EQ(base[p * 512 + (seed & 511)],
				word_of(guest_ver[p]));
	}
	for (int p = 0; p < STRESS_PAGES; p++)
		for (unsigned int w = 0; w < 512; w++)
			GUEST_ASSERT_EQ(base[p * 512 + w], word_of(guest_ver[p]));
	GUEST_DONE();
}

struct host_writer {
	struct vt_vm *vm;
	volatile bool stop;
	uint8_t ver[STRESS_PAGES];
	long errors;
	bool enough;	/* the controller saw passes and CoW breaks */
};

/* Stop the guest after 20 passes with copy-on-write breaks (bounded). */
static void *controller(void *arg)
{
	struct host_writer *hw = arg;
	uint64_t b = full_scans(hw->vm);

	for (int tries = 0; tries < 30000 && !hw->enough; tries++) {
		struct vmem_vm_stats st;

		if (!vm_get_stats(hw->vm, &st) && st.full_scans >= b + 20 &&
		    st.cow_breaks >= 10 && st.volatile_pages)
			hw->enough = true;
		usleep(1000);
	}
	*VM_GUEST_PTR(hw->vm, guest_stop) = 1;
	return NULL;
}

static void *host_stress(void *arg)
{
	struct host_writer *hw = arg;
	uint64_t seed = 12345;

	while (!hw->stop) {
		uint64_t p, v;
		uint64_t *page;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		p = (seed >> 33) % STRESS_PAGES;
		v = (seed >> 20) % 4;
		page = vm_gpa2hva(hw->vm, HOST_GPA + p * PG);
		fill(page, word_of(v));
		hw->ver[p] = v;
		p = (seed >> 40) % STRESS_PAGES;
		page = vm_gpa2hva(hw->vm, HOST_GPA + p * PG);
		if (!page_is(page, word_of(hw->ver[p])))
			hw->errors++;
	}
	return NULL;
}

static int test_stress(void)
{
	struct host_writer hw = { 0 };
	struct vmem_vm_stats st;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	pthread_t t, c;
	struct host h;

	ASSERT_OK(vt_params_share_fast());
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_stress));
	ASSERT_OK(vcpu_args_set(vcpu, 1, 0xfeedull));
	for (int p = 0; p < STRESS_PAGES; p++)
		fill(vm_gpa2hva(vm, HOST_GPA + p * PG), 0);
	hw.vm = vm;
	ASSERT_EQ(pthread_create(&t, NULL, host_stress, &hw), 0);
	ASSERT_EQ(pthread_create(&c, NULL, controller, &hw), 0);
	ASSERT_RUN_DONE(vcpu);
	hw.stop = true;
	pthread_join(t, NULL);
	pthread_join(c, NULL);
	EXPECT_EQ(hw.errors, 0);
	EXPECT_TRUE(hw.enough);

	/* Let the daemon merge what is left, then check every word. */
	{
		uint64_t b = full_scans(vm);

		ASSERT_TRUE(wait_passes(&vm, 1, &b, 3));
	}
	ASSERT_OK(vm_sync_from_guest(vm, guest_ver));
	for (int p = 0; p < STRESS_PAGES; p++) {
		EXPECT_TRUE(page_is(vm_gpa2hva(vm, STRESS_GPA + p * PG),
				    word_of(guest_ver[p])));
		EXPECT_TRUE(page_is(vm_gpa2hva(vm, HOST_GPA + p * PG),
				    word_of(hw.ver[p])));
	}
	ASSERT_OK(vm_get_stats(vm, &st));
	ASSERT_OK(host_read(&h));
	vt_diag("stress: %llu scanned, %llu volatile, %llu CoW breaks, %lld merges, shared %llu zero %llu",
		(unsigned long long)st.scanned,
		(unsigned long long)st.volatile_pages,
		(unsigned long long)st.cow_breaks, h.merges,
		(unsigned long long)st.shared, (unsigned long long)st.zero);
	EXPECT_GE(h.merges, 1);
	EXPECT_GE(st.shared, STRESS_PAGES);
	CHECK_INVARIANTS(&vm, 1);
	vm_free(vm);
	CHECK_INVARIANTS(NULL, 0);
	vt_params_restore(&saved);
	return VT_PASS;
}

/* VMs destroyed while the daemon merges their pages. */
static int test_destroy_while_merging(void)
{
	struct vt_leaks base;
	struct vt_vm *keep;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_OK(vt_params_share_fast());
	/* A VM that stays, sharing frames with the ones that go. */
	ASSERT_TRUE(keep = bare_vm(64, VMEM_VM_MMU_AUTO));
	for (int i = 0; i < 64; i++)
		fill(page_of(keep, i), 0x5555000000000000ull + i % 8);
	ASSERT_OK(pshare(keep, VMEM_PSHARE_SET_SALT, 0, 0xd1e, NULL));
	ASSERT_OK(pshare(keep, VMEM_PSHARE_SET_ENABLE, 1, 0, NULL));
	for (int round = 0; round < 30; round++) {
		struct vt_vm *vm;
		struct vmem_vm_stats st;

		ASSERT_TRUE(vm = bare_vm(512, VMEM_VM_MMU_AUTO));
		for (int i = 0; i < 512; i++)
			fill(page_of(vm, i), i % 3 ? 0x5555000000000000ull + i % 8 : 0);
		ASSERT_OK(pshare(vm, VMEM_PSHARE_SET_SALT, 0, 0xd1e, NULL));
		ASSERT_OK(pshare(vm, VMEM_PSHARE_SET_ENABLE, 1, 0, NULL));
		/* Free at different points: before, during, after merges. */
		for (int w = 0; w < round % 6; w++)
			usleep(1000);
		if (round % 5 == 4) {
			/* Mid-merge writes too. */
			for (int i = 0; i < 512; i += 7)
				((volatile uint64_t *)page_of(vm, i))[1] = round;
		}
		ASSERT_OK(vm_get_stats(vm, &st));
		vm_free(vm);
	}
	{
		uint64_t b = full_scans(keep);

		ASSERT_TRUE(wait_passes(&keep, 1, &b, 3));
	}
	for (int i = 0; i < 64; i++)
		EXPECT_TRUE(page_is(page_of(keep, i), 0x5555000000000000ull + i % 8));
	CHECK_INVARIANTS(&keep, 1);
	vm_free(keep);
	CHECK_INVARIANTS(NULL, 0);
	vt_params_restore(&saved);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(ioctl),
	VT_CASE(same_salt_merged),
	VT_CASE(same_salt_merged_shadow),
	VT_CASE(different_salts_not_across),
	VT_CASE(same_salt_other_user_not_merged),
	VT_CASE(same_salt_same_user_merged),
	VT_CASE(host_salt_across_users),
	VT_CASE(host_salt_not_owner_salt),
	VT_CASE(host_salt_needs_admin),
	VT_CASE(disabled_never_merged),
	VT_CASE(salt_change_forgets_hints),
	VT_CASE(worked_example),
	VT_CASE(cow_vmm),
	VT_CASE(cow_guest),
	VT_CASE(cow_guest_shadow),
	VT_CASE(rate),
	VT_CASE(stress),
	VT_CASE(destroy_while_merging),
};

VT_MAIN(cases, setup, teardown);
