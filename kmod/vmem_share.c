// SPDX-License-Identifier: GPL-2.0
/*
 * vmem_share.c - transparent page sharing: the sharing daemon, copy-on-
 * write and ESX's memory statistics (reference: memory-management.md).
 *
 * One kernel thread, "vmem_share", wakes every share_scan_sleep_ms and
 * visits a bounded number of backed guest pages of each VM that has
 * pshare enabled (the rate: each VM fully scanned within
 * share_scan_time minutes, all VMs together at most share_scan_ghz MB/s
 * per GHz of host CPU; 0 turns sharing off).  A private page is hashed
 * (xxh64); it is a candidate only if the hash is the one seen on the
 * previous visit (KSM's volatility filter).  A candidate that is all
 * zeros goes to the zero frame; else it is looked up by (salt, hash) in
 * the table of shared frames, then in the table of hints (pages seen
 * with that key during the recent passes).  A stable-table hit merges
 * into that frame; a hint hit copies the content into a freshly
 * allocated frame (never one of the originals: the guest cannot choose
 * the physical frame it shares, which defeats Flip Feng Shui) that both
 * pages then map.  Every merge goes through the one invalidation path
 * first (TDP leaves and the VMM's PTEs gone, TLBs flushed, slots_lock
 * held for write so nothing maps the page again) and compares the full
 * contents afterwards: a page that changed after it was hashed is not
 * merged, and nothing can write it while it is compared and replaced.
 *
 * Writes to a shared or zero page (guest through NPT/EPT or shadow
 * tables, the shadow MMU's A/D updates, VMM through its mapping, vmem's
 * own guest copies) call vmem_share_unshare(): a private
 * copy, or the frame itself when the writer holds its last reference.
 *
 * Salting: a VM's salt is random unless the VMM sets one, so by default
 * pages are shared only inside a VM.  Pages are shared only inside a
 * sharing group, (scope, salt): a salt a VMM sets is scoped to the VM's
 * owner (uid), so VMs of one user given the same salt share with each
 * other and never with another user's VMs (a dedup timing channel needs
 * a shared frame); only an administrator (VMEM_PSHARE_HOST_SALT, with
 * CAP_SYS_ADMIN) puts VMs of different users into one host-wide group,
 * as ESX's salting is the administrator's setting.  Zero pages are
 * shared across all VMs whatever the salt: the zero frame is allocated
 * by vmem at load (no guest picks it or can have it placed), it is never
 * writable, and "this page is zero" is no secret an attacker can learn
 * through dedup timing that it could not assume (every guest has zero
 * pages).
 *
 * Locking, outermost first: vm->slots_lock (write, for any p2m change)
 * -> vmem_share_lock -> xa_lock(&vm->p2m).  vmem_share_lock protects the
 * VM list, the two tables, every frame's reference count, the zero
 * frame's count and the per-VM settings (a merge decided under a VM's
 * old group re-checks it under the lock and gives up); the daemon's
 * per-VM cursor and hash memory are its own.  The p2m entries of shared
 * frames hold no page reference: the frame's struct vmem_sframe owns the
 * page, and a reader takes its reference under xa_lock before the entry
 * can go.
 *
 * Statistics are counters, never a walk: each VM counts its entries on
 * the zero frame and on shared frames, and the Shared and Consumed parts
 * of the latter; each frame lists the VMs holding entries on it (usually
 * one or two, a sharing group), so a change of its reference count
 * updates exactly those VMs, under vmem_share_lock like the count.
 * share_check in debugfs walks and compares.
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/hashtable.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>
#include <linux/xxhash.h>
#include <asm/tsc.h>

#include <linux/vmem.h>

#include "reclaim.h"
#include "vmem_core.h"
#include "vmem_share.h"
#include "vmem_vm.h"
#include "pool.h"

/* ---------------------------------------------------------------------- */
/* Tunables (Documentation/module-parameters.rst)                          */

/* Mem.ShareScanTime: minutes within which each VM is fully scanned. */
static unsigned int share_scan_time = 60;
module_param(share_scan_time, uint, 0644);
MODULE_PARM_DESC(share_scan_time,
		 "Mem.ShareScanTime: minutes to scan each VM fully (1-1440, default 60)");

/* Mem.ShareScanGHz: ceiling in MB/s per GHz of host CPU, 0 disables. */
static unsigned int share_scan_ghz = 4;
module_param(share_scan_ghz, uint, 0644);
MODULE_PARM_DESC(share_scan_ghz,
		 "Mem.ShareScanGHz: scan ceiling in MB/s per GHz of host CPU, 0 disables sharing (default 4)");

/* Testing and benchmarking knobs. */
static unsigned int share_scan_pages;
module_param(share_scan_pages, uint, 0644);
MODULE_PARM_DESC(share_scan_pages,
		 "pages each VM scans per wake-up instead of the share_scan_time rate (0: derived, default)");

static unsigned int share_scan_sleep_ms = 20;
module_param(share_scan_sleep_ms, uint, 0644);
MODULE_PARM_DESC(share_scan_sleep_ms,
		 "milliseconds between wake-ups of the sharing daemon (1-10000, default 20)");

static unsigned int share_scan_speedup = 1;
module_param(share_scan_speedup, uint, 0644);
MODULE_PARM_DESC(share_scan_speedup,
		 "tests: a share_scan_time minute lasts 60 s / this (1-60000, default 1)");

/*
 * The two ESX settings are also netlink tunables (vmem tunable set), the
 * administrator's interface; both views show the same variable.  The
 * registry checks min..max, so only a module-parameter write can bring
 * an out-of-range value, which the daemon clamps.
 */
static u64 share_tun_time_get(void)
{
	return READ_ONCE(share_scan_time);
}

static int share_tun_time_set(u64 val)
{
	WRITE_ONCE(share_scan_time, val);
	return 0;
}

static u64 share_tun_ghz_get(void)
{
	return READ_ONCE(share_scan_ghz);
}

static int share_tun_ghz_set(u64 val)
{
	WRITE_ONCE(share_scan_ghz, val);
	return 0;
}

static struct vmem_tunable share_tunables[] = {
	{ .name = "Mem.ShareScanTime", .min = 1, .max = 1440,
	  .get = share_tun_time_get, .set = share_tun_time_set },
	{ .name = "Mem.ShareScanGHz", .min = 0, .max = 1000,
	  .get = share_tun_ghz_get, .set = share_tun_ghz_set },
};

static void share_tunables_unregister(unsigned int n)
{
	while (n--)
		vmem_tunable_unregister(&share_tunables[n]);
}

static int share_tunables_register(void)
{
	unsigned int i;
	int r;

	for (i = 0; i < ARRAY_SIZE(share_tunables); i++) {
		r = vmem_tunable_register(&share_tunables[i]);
		if (r) {
			share_tunables_unregister(i);
			return r;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* State                                                                   */

#define VMEM_SHARE_HASH_BITS	12

/* The scope of an administrator's salt: every owner's VMs may join. */
#define VMEM_SGROUP_HOST	U64_MAX

/**
 * struct vmem_sgroup - a sharing group: frames are shared inside one only
 * @salt:	pshare.salt
 * @scope:	the VM owner's uid (in the initial user namespace), or
 *		VMEM_SGROUP_HOST for a salt an administrator set
 */
struct vmem_sgroup {
	u64 salt;
	u64 scope;
};

static inline bool vmem_sgroup_eq(const struct vmem_sgroup *a,
				  const struct vmem_sgroup *b)
{
	return a->salt == b->salt && a->scope == b->scope;
}

/**
 * struct vmem_sframe - a read-only machine frame that p2m entries share
 * @node:	in vmem_stable, keyed by (group, hash)  [S]
 * @page:	the frame (page->private points back here)  [I]
 * @grp:	the sharing group of the VMs sharing it  [I]
 * @hash:	xxh64 of its content  [I]
 * @refs:	p2m entries pointing to it  [S]
 * @holders:	struct vmem_sholder, one per VM with entries on it, so a
 *		change of @refs updates each VM's counters  [S]
 */
struct vmem_sframe {
	struct hlist_node node;
	struct page *page;
	struct vmem_sgroup grp;
	u64 hash;
	unsigned long refs;
	struct list_head holders;
};

/**
 * struct vmem_sholder - one VM's entries on one shared frame
 * @node:	in the frame's @holders  [S]
 * @sv:		the VM (its entries go before it does)  [S]
 * @n:		its p2m entries on the frame  [S]
 */
struct vmem_sholder {
	struct list_head node;
	struct vmem_share_vm *sv;
	unsigned long n;
};

/**
 * struct vmem_hint - a page seen with a stable hash during recent passes
 * @node:	in vmem_hints, keyed by (group, hash)  [S]
 * @vm_node:	in its VM's hint list  [S]
 * @vm:		the VM (hints go before the VM does)  [S]
 * @gfn:	the page  [S]
 * @grp:	its VM's sharing group (a change of group drops the VM's
 *		hints)  [S]
 * @hash:	its content's hash  [S]
 * @pass:	the VM's pass that last saw it  [S]
 */
struct vmem_hint {
	struct hlist_node node;
	struct list_head vm_node;
	struct vmem_vm *vm;
	u64 gfn;
	struct vmem_sgroup grp;
	u64 hash;
	u64 pass;
};

/**
 * struct vmem_share_vm - a VM as the daemon sees it (vm->share)
 * @vm:		the VM  [I]
 * @node:	in vmem_share_vms  [S]
 * @hints:	this VM's hints  [S]
 * @enable:	pshare.enable  [S]; the scan loop peeks with READ_ONCE
 * @grp:	pshare.salt and its scope  [S]
 * @removed:	the VM is going away: no new merges into it  [S]
 * @round:	the daemon's last wake-up that visited the VM  [S]
 * @cursor:	next backing index to visit  [daemon]
 * @hashes:	gfn -> hash >> 1 seen at the last visit  [daemon]
 * @pass_merges: merges into this VM during its current pass  [S]
 * @quiet_passes: full passes in a row without a merge  [S]
 * @scanned:	pages hashed  [a]
 * @volatile_pages: visits that found the hash changed  [a]
 * @cow_breaks:	copy-on-write breaks  [a]
 * @full_scans:	completed passes  [a]
 * @merges:	pages merged  [a]
 * @nr_zero:	p2m entries on the zero frame  [S]
 * @nr_sentries: p2m entries on shared frames  [S]
 * @shared_pages: of those, entries on frames with more than one
 *		reference  [S]
 * @shared_fixed: Consumed of the entries on shared frames, in 2^-32 page
 *		(each 1/refs rounded down)  [S]
 *
 * The last four make the statistics O(1) (vmem_share_stats()): they
 * change where an entry joins or leaves a frame and, through the frame's
 * holders, where a frame's reference count changes.
 */
struct vmem_share_vm {
	struct vmem_vm *vm;
	struct list_head node;
	struct list_head hints;
	bool enable;
	struct vmem_sgroup grp;
	bool removed;
	u64 round;
	u64 cursor;
	struct xarray hashes;
	unsigned long pass_merges;
	unsigned long quiet_passes;
	atomic64_t scanned;
	atomic64_t volatile_pages;
	atomic64_t cow_breaks;
	atomic64_t full_scans;
	atomic64_t merges;
	unsigned long nr_zero;
	unsigned long nr_sentries;
	unsigned long shared_pages;
	u64 shared_fixed;
};

static DEFINE_MUTEX(vmem_share_lock);
static LIST_HEAD(vmem_share_vms);				/* [S] */
static unsigned long vmem_share_nr_vms;				/* [S] */
static DEFINE_HASHTABLE(vmem_stable, VMEM_SHARE_HASH_BITS);	/* [S] */
static DEFINE_HASHTABLE(vmem_hints, VMEM_SHARE_HASH_BITS);	/* [S] */
static unsigned long vmem_nr_frames;				/* [S] */
/* p2m entries on the zero frame, host-wide.  [S] */
static unsigned long vmem_zero_refs;
/* Frames of vmem_stable with more than one reference.  [S] */
static unsigned long vmem_frames_common;

struct page *vmem_zero_frame __ro_after_init;

static struct task_struct *vmem_share_task;			/* [I] */
/* The VM the daemon scans now, NULL between VMs.  [S] to set, READ_ONCE */
static struct vmem_share_vm *vmem_share_current;
/* Woken when vmem_share_current moves on. */
static DECLARE_WAIT_QUEUE_HEAD(vmem_share_wq);
static struct dentry *vmem_share_dentry;			/* [I] */
static struct dentry *vmem_share_check_dentry;			/* [I] */
static atomic64_t vmem_share_wakeups = ATOMIC64_INIT(0);
/* The last wake-up's rate, for debugfs.  [a] */
static unsigned long vmem_share_last_rate, vmem_share_last_cap;

static inline u32 vmem_share_key(const struct vmem_sgroup *g, u64 hash)
{
	u64 k = hash ^ g->salt ^ (g->scope * 0x9e3779b97f4a7c15ull);

	return (u32)(k ^ (k >> 32));
}

static inline struct vmem_share_vm *to_sv(struct vmem_vm *vm)
{
	return vm->share;
}

/* ---------------------------------------------------------------------- */
/* Frames and hints                                                        */

static struct vmem_sframe *vmem_sframe_of(struct page *frame)
{
	return (struct vmem_sframe *)page_private(frame);
}

/* One reference's part of a frame with @refs references, 2^-32 page. */
static u64 vmem_share_frac(unsigned long refs)
{
	return div64_u64(1ULL << 32, max(refs, 1UL));
}

/* Take (@sign -1) or give back (+1) @sf's part of its holders' counters. */
static void vmem_sframe_account(struct vmem_sframe *sf, int sign)
{
	u64 frac = vmem_share_frac(sf->refs);
	struct vmem_sholder *h;

	list_for_each_entry(h, &sf->holders, node) {
		if (sign > 0)
			h->sv->shared_fixed += h->n * frac;
		else
			h->sv->shared_fixed -= h->n * frac;
		if (sf->refs > 1)
			h->sv->shared_pages += sign * (long)h->n;
	}
	if (sf->refs > 1)
		vmem_frames_common += sign;
}

static struct vmem_sholder *vmem_sholder_find(struct vmem_sframe *sf,
					      struct vmem_share_vm *sv)
{
	struct vmem_sholder *h;

	list_for_each_entry(h, &sf->holders, node)
		if (h->sv == sv)
			return h;
	return NULL;
}

/*
 * A p2m entry of @sv's now points to @sf: one more reference.  False
 * (nothing changed) when the holder record cannot be allocated.  [S]
 */
static bool vmem_sframe_get(struct vmem_sframe *sf, struct vmem_share_vm *sv)
{
	struct vmem_sholder *h;

	lockdep_assert_held(&vmem_share_lock);
	h = vmem_sholder_find(sf, sv);
	if (!h) {
		h = vmem_kzalloc(sizeof(*h), GFP_KERNEL);
		if (!h)
			return false;
		h->sv = sv;
		list_add(&h->node, &sf->holders);
	}
	vmem_sframe_account(sf, -1);
	sf->refs++;
	h->n++;
	vmem_sframe_account(sf, 1);
	sv->nr_sentries++;
	return true;
}

/* A p2m entry of @sv's left @sf; the frame stays, even unreferenced.  [S] */
static void vmem_sframe_unref(struct vmem_sframe *sf, struct vmem_share_vm *sv)
{
	struct vmem_sholder *h;

	lockdep_assert_held(&vmem_share_lock);
	h = vmem_sholder_find(sf, sv);
	if (WARN_ON_ONCE(!h || !sf->refs))
		return;
	vmem_sframe_account(sf, -1);
	sf->refs--;
	sv->nr_sentries--;
	if (!--h->n) {
		list_del(&h->node);
		vmem_kfree(h);
	}
	vmem_sframe_account(sf, 1);
}

/* Forget @sf (no reference left); its page is the caller's.  [S] */
static void vmem_sframe_forget(struct vmem_sframe *sf)
{
	hash_del(&sf->node);
	vmem_nr_frames--;
	set_page_private(sf->page, 0);
	vmem_kfree(sf);
}

/* Drop one p2m reference of @sv's; the last one frees the frame.  [S] */
static void vmem_sframe_put(struct vmem_sframe *sf, struct vmem_share_vm *sv)
{
	struct page *page = sf->page;

	vmem_sframe_unref(sf, sv);
	if (sf->refs)
		return;
	vmem_sframe_forget(sf);
	vmem_free_page(page);
}

/* @sv's entries on the zero frame change by @d (+1 or -1).  [S] */
static void vmem_zero_ref(struct vmem_share_vm *sv, long d)
{
	lockdep_assert_held(&vmem_share_lock);
	vmem_zero_refs += d;
	sv->nr_zero += d;
}

static bool vmem_pages_same(struct page *a, struct page *b)
{
	void *va = kmap_local_page(a);
	void *vb = kmap_local_page(b);
	bool same = !memcmp(va, vb, PAGE_SIZE);

	kunmap_local(vb);
	kunmap_local(va);
	return same;
}

/* The stable frame of group @g with @hash whose content equals @page.  [S] */
static struct vmem_sframe *vmem_stable_find(const struct vmem_sgroup *g,
					    u64 hash, struct page *page)
{
	struct vmem_sframe *sf;

	hash_for_each_possible(vmem_stable, sf, node,
			       vmem_share_key(g, hash)) {
		if (!vmem_sgroup_eq(&sf->grp, g) || sf->hash != hash)
			continue;
		/* Equal hashes, different contents: a collision. */
		if (!page || vmem_pages_same(sf->page, page))
			return sf;
	}
	return NULL;
}

/* A hint of group @g with @hash other than (@vm, @gfn) itself.  [S] */
static struct vmem_hint *vmem_hint_find(const struct vmem_sgroup *g,
					u64 hash, struct vmem_vm *vm, u64 gfn,
					struct vmem_hint **self)
{
	struct vmem_hint *h, *found = NULL;

	*self = NULL;
	hash_for_each_possible(vmem_hints, h, node,
			       vmem_share_key(g, hash)) {
		if (!vmem_sgroup_eq(&h->grp, g) || h->hash != hash)
			continue;
		if (h->vm == vm && h->gfn == gfn)
			*self = h;
		else if (!found)
			found = h;
	}
	return found;
}

static void vmem_hint_del(struct vmem_hint *h)
{
	hash_del(&h->node);
	list_del(&h->vm_node);
	vmem_kfree(h);
}

/* Record (or refresh) the hint for @gfn.  [S] */
static void vmem_hint_record(struct vmem_vm *vm, struct vmem_hint *self,
			     u64 gfn, const struct vmem_sgroup *g, u64 hash)
{
	struct vmem_share_vm *sv = to_sv(vm);
	struct vmem_hint *h = self;

	/*
	 * vmem_share_vm_remove() freed the VM's hints: a new one would
	 * outlive the VM in vmem_hints (a leak, and a stale hint->vm).
	 */
	if (sv->removed)
		return;
	if (!h) {
		h = vmem_kzalloc(sizeof(*h), GFP_KERNEL);
		if (!h)
			return;	/* only a missed opportunity */
		h->vm = vm;
		h->gfn = gfn;
		h->grp = *g;
		h->hash = hash;
		hash_add(vmem_hints, &h->node, vmem_share_key(g, hash));
		list_add_tail(&h->vm_node, &sv->hints);
	}
	h->pass = atomic64_read(&sv->full_scans);
}

/* ---------------------------------------------------------------------- */
/* Merging                                                                 */

/* Point @gfn at @sf.  Caller holds slots_lock (write) and vmem_share_lock. */
static void vmem_share_install(struct vmem_vm *vm, u64 gfn, void *entry)
{
	struct vmem_share_vm *sv = to_sv(vm);

	xa_lock(&vm->p2m);
	/* Replacing a present entry never allocates. */
	__xa_store(&vm->p2m, gfn, entry, GFP_NOWAIT);
	xa_unlock(&vm->p2m);
	sv->pass_merges++;
	atomic64_inc(&sv->merges);
}

/* The private page at @gfn with a reference, or NULL. */
static struct page *vmem_share_get_private(struct vmem_vm *vm, u64 gfn)
{
	struct page *page = NULL;
	void *e;

	xa_lock(&vm->p2m);
	e = xa_load(&vm->p2m, gfn);
	if (vmem_p2m_is_private(e)) {
		page = e;
		get_page(page);
	}
	xa_unlock(&vm->p2m);
	return page;
}

/*
 * Merge the private page @page at @gfn (the caller holds a reference)
 * onto the zero frame, a stable frame, or, with a hint (if @use_hint), a
 * new frame; then merge the hint's page too.  True if @page was merged.
 * May sleep.
 */
static bool vmem_share_merge(struct vmem_vm *vm, u64 gfn, struct page *page,
			     const struct vmem_sgroup *g, u64 hash, bool zero,
			     bool use_hint)
{
	struct vmem_share_vm *sv = to_sv(vm);
	struct vmem_vm *other = NULL;
	struct vmem_hint *hint, *self;
	struct vmem_sframe *sf;
	u64 other_gfn = 0;
	bool merged = false;

	down_write(&vm->slots_lock);
	/* Slot deleted, page written and broken, or merged meanwhile. */
	if (xa_load(&vm->p2m, gfn) != page)
		goto out;

	/*
	 * Write-protect first: from here no vCPU, VMM mapping or kernel copy
	 * can reach the page until slots_lock is released, so the contents
	 * compared below are the contents merged.
	 */
	vmem_invalidate_range(vm, gfn, 1);
	mutex_lock(&vmem_share_lock);
	if (sv->removed || !sv->enable)
		goto unlock;
	/*
	 * Decided under the VM's group when it was hashed: VMEM_PSHARE may
	 * have moved the VM to another group since.  (The zero frame is
	 * every group's.)
	 */
	if (!zero && !vmem_sgroup_eq(&sv->grp, g))
		goto unlock;

	if (zero) {
		void *va = kmap_local_page(page);

		zero = !memchr_inv(va, 0, PAGE_SIZE);
		kunmap_local(va);
		if (zero) {
			vmem_share_install(vm, gfn, VMEM_P2M_ZERO);
			vmem_zero_ref(sv, 1);
			merged = true;
		}
		goto unlock;
	}

	sf = vmem_stable_find(g, hash, page);
	if (sf) {
		if (vmem_sframe_get(sf, sv)) {
			vmem_share_install(vm, gfn,
					   vmem_p2m_mk_shared(sf->page));
			merged = true;
		}
		goto unlock;
	}
	if (!use_hint)
		goto unlock;

	hint = vmem_hint_find(g, hash, vm, gfn, &self);
	if (hint && !to_sv(hint->vm)->removed &&
	    vmem_sgroup_eq(&to_sv(hint->vm)->grp, g)) {
		struct page *hp = vmem_share_get_private(hint->vm, hint->gfn);
		struct page *frame;

		/* A racy look: the hint's page is compared again when merged. */
		if (hp && vmem_pages_same(hp, page)) {
			frame = vmem_alloc_page(GFP_KERNEL);
			sf = vmem_kzalloc(sizeof(*sf), GFP_KERNEL);
			if (sf)
				INIT_LIST_HEAD(&sf->holders);
			if (frame && sf && vmem_sframe_get(sf, sv)) {
				copy_highpage(frame, page);
				sf->page = frame;
				sf->grp = *g;
				sf->hash = hash;
				set_page_private(frame, (unsigned long)sf);
				hash_add(vmem_stable, &sf->node,
					 vmem_share_key(g, hash));
				vmem_nr_frames++;
				vmem_share_install(vm, gfn,
						   vmem_p2m_mk_shared(frame));
				merged = true;
				/*
				 * The hint's VM is merged after the locks
				 * are dropped: hold it (the scanned VM is
				 * held by vmem_share_current already).  A VM
				 * on its way out keeps its page.
				 */
				if (hint->vm == vm) {
					other = vm;
					other_gfn = hint->gfn;
				} else if (kref_get_unless_zero(&hint->vm->ref)) {
					other = hint->vm;
					other_gfn = hint->gfn;
				}
				vmem_hint_del(hint);
				if (self)
					vmem_hint_del(self);
			} else {
				vmem_free_page(frame);
				vmem_kfree(sf);
			}
		}
		if (hp)
			put_page(hp);
	}
	if (!merged)
		vmem_hint_record(vm, self, gfn, g, hash);
unlock:
	mutex_unlock(&vmem_share_lock);
	vmem_invalidate_end(vm);
out:
	up_write(&vm->slots_lock);
	/* The p2m's reference; the caller still holds its own. */
	if (merged) {
		vmem_free_page(page);
		vmem_mem_uncharge(vm, 1);
	}

	if (other) {
		struct page *hp = vmem_share_get_private(other, other_gfn);

		if (hp) {
			vmem_share_merge(other, other_gfn, hp, g, hash,
					 false, false);
			put_page(hp);
		}
		if (other != vm)
			vmem_vm_put(other);
	}
	return merged;
}

/* Visit the private page at @gfn. */
static void vmem_share_visit(struct vmem_vm *vm, u64 gfn)
{
	struct vmem_share_vm *sv = to_sv(vm);
	struct vmem_hint *hint = NULL, *self;
	struct vmem_sframe *sf;
	struct vmem_sgroup grp;
	struct page *page;
	u64 hash;
	bool zero;
	void *old, *va;

	page = vmem_share_get_private(vm, gfn);
	if (!page)
		return;

	va = kmap_local_page(page);
	hash = xxh64(va, PAGE_SIZE, 0);
	zero = !memchr_inv(va, 0, PAGE_SIZE);
	kunmap_local(va);
	atomic64_inc(&sv->scanned);

	/* Volatility filter: the same hash as at the last visit. */
	old = xa_load(&sv->hashes, gfn);
	if (!old || xa_to_value(old) != hash >> 1) {
		if (old)
			atomic64_inc(&sv->volatile_pages);
		xa_store(&sv->hashes, gfn, xa_mk_value(hash >> 1), GFP_KERNEL);
		goto out;
	}

	mutex_lock(&vmem_share_lock);
	grp = sv->grp;
	sf = zero ? NULL : vmem_stable_find(&grp, hash, NULL);
	if (!zero && !sf) {
		hint = vmem_hint_find(&grp, hash, vm, gfn, &self);
		/* Nothing to merge with yet: the cheap path, no invalidation. */
		if (!hint)
			vmem_hint_record(vm, self, gfn, &grp, hash);
	}
	mutex_unlock(&vmem_share_lock);

	if (zero || sf || hint)
		vmem_share_merge(vm, gfn, page, &grp, hash, zero, true);
out:
	put_page(page);
}

/* The VM finished a pass: counters, convergence, old hints. */
static void vmem_share_pass_end(struct vmem_vm *vm)
{
	struct vmem_share_vm *sv = to_sv(vm);
	struct vmem_hint *h, *tmp;
	u64 pass;

	mutex_lock(&vmem_share_lock);
	pass = atomic64_inc_return(&sv->full_scans);
	sv->quiet_passes = sv->pass_merges ? 0 : sv->quiet_passes + 1;
	sv->pass_merges = 0;
	/* Hints live for two passes: long enough for every other VM to pass. */
	list_for_each_entry_safe(h, tmp, &sv->hints, vm_node)
		if (h->pass + 1 < pass)
			vmem_hint_del(h);
	mutex_unlock(&vmem_share_lock);
}

/* Visit up to @budget backed pages of @vm. */
static void vmem_share_scan_vm(struct vmem_vm *vm, unsigned long budget)
{
	struct vmem_share_vm *sv = to_sv(vm);
	bool wrapped = false;

	/*
	 * Sharing turned off in the middle of a pass stops it: a merge
	 * write-protects (zaps) before it looks at the switch again.
	 */
	while (budget && !READ_ONCE(sv->removed) && READ_ONCE(sv->enable)) {
		unsigned long idx = sv->cursor;
		void *e;

		e = xa_find(&vm->p2m, &idx, ULONG_MAX, XA_PRESENT);
		if (!e) {
			/* One pass end per wake-up at most: empty VMs don't spin. */
			if (wrapped)
				break;
			sv->cursor = 0;
			vmem_share_pass_end(vm);
			wrapped = true;
			continue;
		}
		budget--;
		sv->cursor = idx + 1;
		if (vmem_p2m_is_private(e))
			vmem_share_visit(vm, idx);
		cond_resched();
	}
}

/* ---------------------------------------------------------------------- */
/* The daemon                                                              */

static unsigned int vmem_share_sleep_ms(void)
{
	return clamp_t(unsigned int, READ_ONCE(share_scan_sleep_ms), 1, 10000);
}

/* Pages all VMs together may scan per wake-up under share_scan_ghz. */
static unsigned long vmem_share_cap(unsigned int ghz, unsigned int sleep_ms)
{
	u64 mhz = (u64)num_online_cpus() * (cpu_khz ? cpu_khz / 1000 : 1000);
	/* MB/s per GHz -> pages per second: ghz * mhz / 1000 * 256. */
	u64 per_sec = (u64)ghz * mhz * 256 / 1000;

	return max_t(u64, 1, div_u64(per_sec * sleep_ms, 1000));
}

/* Pages @sv may visit per wake-up at the share_scan_time rate.  [S] */
static unsigned long vmem_share_want(struct vmem_share_vm *sv,
				     unsigned int sleep_ms)
{
	unsigned int minutes = clamp_t(unsigned int,
				       READ_ONCE(share_scan_time), 1, 1440);
	unsigned int speedup = clamp_t(unsigned int,
				       READ_ONCE(share_scan_speedup), 1, 60000);
	unsigned int fixed = READ_ONCE(share_scan_pages);
	u64 pages;

	if (!sv->enable || sv->removed)
		return 0;
	if (fixed)
		return fixed;
	/* Each VM's backed pages within scan_time minutes. */
	pages = atomic_long_read(&sv->vm->granted);
	return DIV_ROUND_UP_ULL(pages * sleep_ms * speedup,
				(u64)minutes * 60000);
}

/*
 * One wake-up: every VM gets its budget, all of them together at most the
 * share_scan_ghz ceiling.  The daemon takes no reference on the VM it
 * scans (a VMM's close() then frees its VM at once): it publishes it in
 * vmem_share_current instead, and vmem_share_vm_remove() waits for it to
 * move on.
 */
static void vmem_share_wakeup(void)
{
	unsigned int ghz = READ_ONCE(share_scan_ghz);
	unsigned int sleep_ms = vmem_share_sleep_ms();
	unsigned long total = 0, cap, first = 0;
	struct vmem_share_vm *sv;
	u64 round;

	round = atomic64_inc_return(&vmem_share_wakeups);
	if (!ghz)
		return;
	cap = vmem_share_cap(ghz, sleep_ms);

	mutex_lock(&vmem_share_lock);
	list_for_each_entry(sv, &vmem_share_vms, node) {
		unsigned long want = vmem_share_want(sv, sleep_ms);

		if (want && !first)
			first = want;
		total += want;
	}
	mutex_unlock(&vmem_share_lock);
	WRITE_ONCE(vmem_share_last_rate, first);
	WRITE_ONCE(vmem_share_last_cap, cap);

	for (;;) {
		unsigned long budget = 0;

		/* The next VM not visited in this round (the list may change). */
		mutex_lock(&vmem_share_lock);
		list_for_each_entry(sv, &vmem_share_vms, node) {
			if (sv->round == round)
				continue;
			sv->round = round;
			budget = vmem_share_want(sv, sleep_ms);
			if (budget)
				break;
		}
		if (!budget) {
			mutex_unlock(&vmem_share_lock);
			break;
		}
		WRITE_ONCE(vmem_share_current, sv);
		mutex_unlock(&vmem_share_lock);

		/* Over the ceiling: every VM slows down in proportion. */
		if (total > cap)
			budget = max_t(unsigned long, 1,
				       div64_u64((u64)budget * cap, total));
		vmem_share_scan_vm(sv->vm, budget);

		WRITE_ONCE(vmem_share_current, NULL);
		wake_up_all(&vmem_share_wq);
	}
}

static int vmem_share_thread(void *unused)
{
	while (!kthread_should_stop()) {
		vmem_share_wakeup();
		schedule_timeout_interruptible(
			msecs_to_jiffies(vmem_share_sleep_ms()));
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Copy-on-write and removal                                               */

int vmem_share_unshare_flags(struct vmem_vm *vm, u64 gfn, unsigned int flags)
{
	struct page *copy, *frame;
	bool used = false;
	void *e;
	int r;

	/* The copy (or the frame taken over) becomes a private page. */
	r = vmem_mem_charge_flags(vm, 1, flags);
	if (r)
		return r;
	copy = vmem_alloc_page(GFP_KERNEL_ACCOUNT);
	if (!copy) {
		vmem_mem_uncharge(vm, 1);
		return -ENOMEM;
	}

	down_write(&vm->slots_lock);
	e = xa_load(&vm->p2m, gfn);
	if (!vmem_p2m_is_shared(e) && !vmem_p2m_is_zero(e)) {
		/* Broken already, or the slot is gone: nothing was added. */
		vmem_mem_uncharge(vm, 1);
		goto out;
	}

	vmem_invalidate_range(vm, gfn, 1);
	mutex_lock(&vmem_share_lock);
	if (vmem_p2m_is_zero(e)) {
		clear_highpage(copy);
		vmem_zero_ref(to_sv(vm), -1);
		used = true;
		e = copy;
	} else {
		struct vmem_sframe *sf = vmem_sframe_of(vmem_p2m_page(e));

		frame = sf->page;
		vmem_sframe_unref(sf, to_sv(vm));
		if (!sf->refs) {
			/* The last reference: the writer takes the frame. */
			vmem_sframe_forget(sf);
			e = frame;
		} else {
			copy_highpage(copy, frame);
			used = true;
			e = copy;
		}
	}
	xa_lock(&vm->p2m);
	__xa_store(&vm->p2m, gfn, e, GFP_NOWAIT);
	xa_unlock(&vm->p2m);
	atomic64_inc(&to_sv(vm)->cow_breaks);
	mutex_unlock(&vmem_share_lock);
	vmem_invalidate_end(vm);
out:
	up_write(&vm->slots_lock);
	if (!used)
		vmem_free_page(copy);
	return 0;
}

void vmem_share_drop_entry(struct vmem_vm *vm, void *e)
{
	if (vmem_p2m_is_private(e)) {
		vmem_free_page(e);
		vmem_mem_uncharge(vm, 1);
		return;
	}
	mutex_lock(&vmem_share_lock);
	if (vmem_p2m_is_shared(e))
		vmem_sframe_put(vmem_sframe_of(vmem_p2m_page(e)), to_sv(vm));
	else if (vmem_p2m_is_zero(e))
		vmem_zero_ref(to_sv(vm), -1);
	mutex_unlock(&vmem_share_lock);
}

/* ---------------------------------------------------------------------- */
/* Per VM                                                                  */

int vmem_share_vm_init(struct vmem_vm *vm)
{
	struct vmem_share_vm *sv;

	sv = vmem_kzalloc(sizeof(*sv), GFP_KERNEL_ACCOUNT);
	if (!sv)
		return -ENOMEM;
	INIT_LIST_HEAD(&sv->hints);
	xa_init(&sv->hashes);
	sv->vm = vm;
	/* ESX's default: sharing on, a salt of the VM's own. */
	sv->enable = true;
	sv->grp.salt = get_random_u64();
	sv->grp.scope = from_kuid(&init_user_ns, vm->owner);
	INIT_LIST_HEAD(&sv->node);
	vm->share = sv;
	return 0;
}

/*
 * Once creation cannot fail any more: from here the daemon may take
 * references on the VM, which a failed creation's unwinding would not
 * wait for.
 */
void vmem_share_vm_publish(struct vmem_vm *vm)
{
	mutex_lock(&vmem_share_lock);
	list_add_tail(&to_sv(vm)->node, &vmem_share_vms);
	vmem_share_nr_vms++;
	mutex_unlock(&vmem_share_lock);
}

void vmem_share_vm_remove(struct vmem_vm *vm)
{
	struct vmem_share_vm *sv = to_sv(vm);
	struct vmem_hint *h, *tmp;

	if (!sv)
		return;
	mutex_lock(&vmem_share_lock);
	WRITE_ONCE(sv->removed, true);
	list_for_each_entry_safe(h, tmp, &sv->hints, vm_node)
		vmem_hint_del(h);
	if (!list_empty(&sv->node)) {
		list_del_init(&sv->node);
		vmem_share_nr_vms--;
	}
	mutex_unlock(&vmem_share_lock);
	/*
	 * The daemon may be scanning the VM: it sees @removed and stops soon.
	 * Not when the daemon itself frees the VM (its last reference on a
	 * hint's VM): it never holds that one as vmem_share_current.
	 */
	wait_event(vmem_share_wq, READ_ONCE(vmem_share_current) != sv);
}

/* After vmem_mem_destroy(): every entry's references are gone. */
void vmem_share_vm_free(struct vmem_vm *vm)
{
	struct vmem_share_vm *sv = to_sv(vm);

	if (!sv)
		return;
	xa_destroy(&sv->hashes);
	vmem_kfree(sv);
	vm->share = NULL;
}

void vmem_share_set_enable(struct vmem_vm *vm, bool on)
{
	struct vmem_share_vm *sv = to_sv(vm);

	mutex_lock(&vmem_share_lock);
	if (sv->enable != on) {
		WRITE_ONCE(sv->enable, on);
		sv->quiet_passes = 0;
	}
	mutex_unlock(&vmem_share_lock);
}

bool vmem_share_enabled(struct vmem_vm *vm)
{
	bool on;

	mutex_lock(&vmem_share_lock);
	on = to_sv(vm)->enable;
	mutex_unlock(&vmem_share_lock);
	return on;
}

/*
 * Errors: -EINVAL (unknown flags, reserved words, enable > 1, HOST_SALT
 * without SET_SALT), -EPERM (HOST_SALT without CAP_SYS_ADMIN).
 */
int vmem_share_ioctl(struct vmem_vm *vm, struct vmem_pshare *ps)
{
	struct vmem_share_vm *sv = to_sv(vm);
	struct vmem_sgroup grp;
	unsigned int i;

	if (ps->flags & ~(VMEM_PSHARE_SET_ENABLE | VMEM_PSHARE_SET_SALT |
			  VMEM_PSHARE_HOST_SALT))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(ps->reserved); i++)
		if (ps->reserved[i])
			return -EINVAL;
	if ((ps->flags & VMEM_PSHARE_SET_ENABLE) && ps->enable > 1)
		return -EINVAL;
	if ((ps->flags & VMEM_PSHARE_HOST_SALT) &&
	    !(ps->flags & VMEM_PSHARE_SET_SALT))
		return -EINVAL;
	/* Joining other users' VMs is the administrator's decision. */
	if ((ps->flags & VMEM_PSHARE_HOST_SALT) && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	grp.salt = ps->salt;
	grp.scope = ps->flags & VMEM_PSHARE_HOST_SALT ? VMEM_SGROUP_HOST :
		    from_kuid(&init_user_ns, vm->owner);

	mutex_lock(&vmem_share_lock);
	if (ps->flags & VMEM_PSHARE_SET_ENABLE) {
		WRITE_ONCE(sv->enable, ps->enable);
		sv->quiet_passes = 0;
	}
	if ((ps->flags & VMEM_PSHARE_SET_SALT) &&
	    !vmem_sgroup_eq(&sv->grp, &grp)) {
		struct vmem_hint *h, *tmp;

		sv->grp = grp;
		sv->quiet_passes = 0;
		/* Recorded under the old group: no merge may use them. */
		list_for_each_entry_safe(h, tmp, &sv->hints, vm_node)
			vmem_hint_del(h);
	}
	ps->enable = sv->enable;
	ps->salt = sv->grp.salt;
	mutex_unlock(&vmem_share_lock);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Statistics                                                              */

/*
 * The figures from the counters, O(1).  Caller holds vmem_share_lock;
 * adds private pages to *@priv.  Granted and Swapped are atomics changed
 * next to the p2m (vmem_mem.c, swap.c), so while a page is being touched
 * or swapped they may be one step ahead of the sharing counters.
 */
static void __vmem_share_stats(struct vmem_vm *vm, struct vmem_share_stats *st,
			       u64 *priv)
{
	struct vmem_share_vm *sv = to_sv(vm);
	long granted = atomic_long_read(&vm->granted);
	long mine = granted - (long)sv->nr_zero - (long)sv->nr_sentries;
	u64 fixed;

	lockdep_assert_held(&vmem_share_lock);
	memset(st, 0, sizeof(*st));
	mine = max(mine, 0L);
	st->granted = max(granted, 0L);
	st->swapped = max(atomic_long_read(&vm->reclaim->swapped), 0L);
	st->zero = sv->nr_zero;
	st->shared = sv->shared_pages +
		     (vmem_zero_refs > 1 ? sv->nr_zero : 0);
	fixed = ((u64)mine << 32) + sv->shared_fixed +
		(u64)sv->nr_zero * vmem_share_frac(vmem_zero_refs);
	*priv += mine;
	st->consumed = fixed >> 32;
	st->consumed_frac = fixed & 0xffffffff;
	st->scanned = atomic64_read(&sv->scanned);
	st->volatile_pages = atomic64_read(&sv->volatile_pages);
	st->cow_breaks = atomic64_read(&sv->cow_breaks);
	st->full_scans = atomic64_read(&sv->full_scans);
	st->merges = atomic64_read(&sv->merges);
	st->converged = sv->quiet_passes >= 2;
	st->enabled = sv->enable;
}

static void vmem_share_stats_locked(struct vmem_vm *vm,
				    struct vmem_share_stats *st, u64 *priv)
{
	mutex_lock(&vmem_share_lock);
	__vmem_share_stats(vm, st, priv);
	mutex_unlock(&vmem_share_lock);
}

void vmem_share_stats(struct vmem_vm *vm, struct vmem_share_stats *st)
{
	u64 priv = 0;

	vmem_share_stats_locked(vm, st, &priv);
}

u64 vmem_share_consumed(struct vmem_vm *vm, u64 *priv)
{
	struct vmem_share_stats st;

	*priv = 0;
	vmem_share_stats_locked(vm, &st, priv);
	return (st.consumed << 32) + st.consumed_frac;
}

bool vmem_share_reclaim(struct vmem_vm *vm, u64 gfn, struct page *page)
{
	struct vmem_share_vm *sv = to_sv(vm);
	struct vmem_sgroup grp;
	bool zero, found;
	u64 hash;
	void *va;

	va = kmap_local_page(page);
	hash = xxh64(va, PAGE_SIZE, 0);
	zero = !memchr_inv(va, 0, PAGE_SIZE);
	kunmap_local(va);

	mutex_lock(&vmem_share_lock);
	grp = sv->grp;
	found = sv->enable && !sv->removed &&
		(zero || vmem_stable_find(&grp, hash, NULL));
	mutex_unlock(&vmem_share_lock);
	/* The merge compares the full contents again, write-protected. */
	return found && vmem_share_merge(vm, gfn, page, &grp, hash, zero,
					 false);
}

void vmem_share_host_stats(struct vmem_share_host_stats *hs)
{
	struct vmem_share_stats st;
	struct vmem_share_vm *sv;
	u64 priv = 0, fixed = 0;

	memset(hs, 0, sizeof(*hs));
	hs->converged = true;
	mutex_lock(&vmem_share_lock);
	list_for_each_entry(sv, &vmem_share_vms, node) {
		__vmem_share_stats(sv->vm, &st, &priv);
		hs->nr_vms++;
		hs->shared += st.shared;
		hs->zero += st.zero;
		fixed += (st.consumed << 32) + st.consumed_frac;
		hs->scanned += st.scanned;
		hs->volatile_pages += st.volatile_pages;
		hs->cow_breaks += st.cow_breaks;
		hs->full_scans += st.full_scans;
		hs->merges += st.merges;
		if (st.enabled && !st.converged)
			hs->converged = false;
		cond_resched();
	}
	hs->shared_common = vmem_frames_common;
	if (vmem_zero_refs > 1)
		hs->shared_common++;
	hs->frames = vmem_nr_frames;
	hs->backing = priv + vmem_nr_frames + (vmem_zero_refs ? 1 : 0);
	mutex_unlock(&vmem_share_lock);

	/*
	 * Shared counts the entries of the listed VMs, Shared Common every
	 * frame: a VM on its way out (vmem_share_vm_remove() done, its p2m
	 * not yet freed) still holds frames but adds no entries, so Shared
	 * Common can exceed Shared for a moment.
	 */
	hs->saving = hs->shared > hs->shared_common ?
		     hs->shared - hs->shared_common : 0;
	hs->consumed = fixed >> 32;
	hs->consumed_frac = fixed & 0xffffffff;
	hs->wakeups = atomic64_read(&vmem_share_wakeups);
	hs->pages_per_wakeup = READ_ONCE(vmem_share_last_rate);
	hs->cap_per_wakeup = READ_ONCE(vmem_share_last_cap);
}

/* /sys/kernel/debug/vmem/share: "name value" lines, then esxtop's line. */
static int vmem_share_show(struct seq_file *m, void *unused)
{
	struct vmem_share_host_stats hs;

	vmem_share_host_stats(&hs);
	seq_printf(m, "vms %llu\n", hs.nr_vms);
	seq_printf(m, "shared %llu\n", hs.shared);
	seq_printf(m, "shared_common %llu\n", hs.shared_common);
	seq_printf(m, "saving %llu\n", hs.saving);
	seq_printf(m, "consumed %llu\n", hs.consumed);
	seq_printf(m, "consumed_frac %llu\n", hs.consumed_frac);
	seq_printf(m, "zero %llu\n", hs.zero);
	seq_printf(m, "backing %llu\n", hs.backing);
	seq_printf(m, "frames %llu\n", hs.frames);
	seq_printf(m, "scanned %llu\n", hs.scanned);
	seq_printf(m, "volatile %llu\n", hs.volatile_pages);
	seq_printf(m, "cow_breaks %llu\n", hs.cow_breaks);
	seq_printf(m, "full_scans %llu\n", hs.full_scans);
	seq_printf(m, "merges %llu\n", hs.merges);
	seq_printf(m, "wakeups %llu\n", hs.wakeups);
	seq_printf(m, "pages_per_wakeup %llu\n", hs.pages_per_wakeup);
	seq_printf(m, "cap_per_wakeup %llu\n", hs.cap_per_wakeup);
	seq_printf(m, "converged %d\n", hs.converged);
	seq_printf(m, "pid %d\n", task_pid_nr(vmem_share_task));
	seq_printf(m, "PSHARE/MB: %llu shared, %llu common: %llu saving\n",
		   hs.shared >> 8, hs.shared_common >> 8, hs.saving >> 8);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vmem_share);

/*
 * /sys/kernel/debug/vmem/share_check: the figures walked from every VM's
 * p2m, as the counters' definition says, against the counters; one line
 * per difference, then "vms N mismatches M".  A debugging and test aid: it
 * walks everything under vmem_share_lock, so it is root's (debugfs) and
 * meaningful while no page is being touched or swapped.
 */
static void vmem_share_check_vm(struct seq_file *m, unsigned int nr,
				struct vmem_share_vm *sv, unsigned long *bad,
				unsigned long *zero_total)
{
	struct vmem_vm *vm = sv->vm;
	struct vmem_share_stats w, c;
	u64 fixed = 0, priv = 0;
	unsigned long idx;
	void *e;

	memset(&w, 0, sizeof(w));
	xa_for_each(&vm->p2m, idx, e) {
		unsigned long refs;

		if (vmem_p2m_is_swap(e)) {
			w.swapped++;
			continue;
		}
		w.granted++;
		if (vmem_p2m_is_private(e)) {
			fixed += 1ULL << 32;
			continue;
		}
		if (vmem_p2m_is_zero(e)) {
			w.zero++;
			refs = vmem_zero_refs;
		} else {
			refs = vmem_sframe_of(vmem_p2m_page(e))->refs;
		}
		if (refs > 1)
			w.shared++;
		fixed += vmem_share_frac(refs);
		cond_resched();
	}
	w.consumed = fixed >> 32;
	w.consumed_frac = fixed & 0xffffffff;
	__vmem_share_stats(vm, &c, &priv);
	*zero_total += sv->nr_zero;

#define VMEM_SHARE_CHECK(f)						\
	do {								\
		if (w.f != c.f) {					\
			seq_printf(m, "vm %u: " #f " walk %llu counters %llu\n", \
				   nr, w.f, c.f);			\
			(*bad)++;					\
		}							\
	} while (0)
	VMEM_SHARE_CHECK(granted);
	VMEM_SHARE_CHECK(swapped);
	VMEM_SHARE_CHECK(zero);
	VMEM_SHARE_CHECK(shared);
	VMEM_SHARE_CHECK(consumed);
	VMEM_SHARE_CHECK(consumed_frac);
#undef VMEM_SHARE_CHECK
}

static int vmem_share_check_show(struct seq_file *m, void *unused)
{
	unsigned long bad = 0, zero_total = 0, common = 0;
	struct vmem_share_vm *sv;
	struct vmem_sframe *sf;
	unsigned int nr = 0, bkt;

	mutex_lock(&vmem_share_lock);
	list_for_each_entry(sv, &vmem_share_vms, node)
		vmem_share_check_vm(m, nr++, sv, &bad, &zero_total);
	hash_for_each(vmem_stable, bkt, sf, node) {
		struct vmem_sholder *h;
		unsigned long n = 0;

		list_for_each_entry(h, &sf->holders, node)
			n += h->n;
		if (n != sf->refs) {
			seq_printf(m, "frame: refs %lu holders %lu\n",
				   sf->refs, n);
			bad++;
		}
		if (sf->refs > 1)
			common++;
	}
	if (common != vmem_frames_common) {
		seq_printf(m, "frames_common walk %lu counter %lu\n", common,
			   vmem_frames_common);
		bad++;
	}
	/* VMs being torn down hold zero entries too, off the list. */
	if (zero_total > vmem_zero_refs) {
		seq_printf(m, "zero entries %lu > zero_refs %lu\n", zero_total,
			   vmem_zero_refs);
		bad++;
	}
	mutex_unlock(&vmem_share_lock);
	seq_printf(m, "vms %u mismatches %lu\n", nr, bad);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vmem_share_check);

/* ---------------------------------------------------------------------- */
/* Load and unload                                                         */

int vmem_share_init(void)
{
	int r;

	vmem_zero_frame = vmem_alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!vmem_zero_frame)
		return -ENOMEM;
	vmem_share_task = kthread_run(vmem_share_thread, NULL, "vmem_share");
	if (IS_ERR(vmem_share_task)) {
		r = PTR_ERR(vmem_share_task);
		vmem_free_page(vmem_zero_frame);
		return r;
	}
	r = share_tunables_register();
	if (r) {
		kthread_stop(vmem_share_task);
		vmem_free_page(vmem_zero_frame);
		return r;
	}
	vmem_share_dentry = debugfs_create_file("share", 0444,
						vmem_debugfs_root(), NULL,
						&vmem_share_fops);
	vmem_share_check_dentry = debugfs_create_file("share_check", 0400,
						      vmem_debugfs_root(),
						      NULL,
						      &vmem_share_check_fops);
	return 0;
}

/* No VM is left (each pins the module), so the tables are empty. */
void vmem_share_exit(void)
{
	debugfs_remove(vmem_share_check_dentry);
	debugfs_remove(vmem_share_dentry);
	share_tunables_unregister(ARRAY_SIZE(share_tunables));
	kthread_stop(vmem_share_task);
	WARN_ON(vmem_nr_frames || vmem_zero_refs);
	vmem_free_page(vmem_zero_frame);
}
