/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pool.h - resource pools and admission control (pool.c), and the
 * generic-netlink control plane that drives them (netlink.c).
 *
 * The model is Documentation/pools.rst.  In short: a tree of pools whose
 * root holds the memory vmem may give guests; every pool and powered-on
 * VM charges its parent; nothing is charged that the tree cannot admit.
 * All amounts are in 4 KiB pages.
 *
 * Protection annotations (besides those of vmem_core.h / vmem_vm.h):
 *   [t]  the pool tree mutex (vmem_pool_lock()); one lock for the whole
 *        tree makes every operation all-or-nothing, as the model asks.
 *   [t+f] written under the tree mutex with the held counters frozen
 *        (pool_held.c), so that charges may read it in an RCU read side
 *        without the mutex.
 */
#ifndef _VMEM_POOL_H
#define _VMEM_POOL_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/types.h>

#include <linux/vmem_netlink.h>

struct vmem_vm;
struct vmem_vm_stats;

/**
 * struct vmem_pool - a resource pool
 * @id:		stable id, VMEM_POOL_ROOT_ID for the root  [I]
 * @name:	unique among all pools  [I]
 * @parent:	NULL for the root  [t+f]
 * @sibling:	in @parent's @children  [t]
 * @children:	child pools  [t]
 * @vms:	struct vmem_pool_vm of the VMs directly in this pool  [t]
 * @nr_pools, @nr_vms: lengths of @children and @vms  [t]
 * @res:	reservation  [t] to write (WRITE_ONCE), READ_ONCE without
 *		it (the root's, vmem_pool_root_fits())
 * @limit:	VMEM_UNLIMITED or >= @res  [t] to write, READ_ONCE
 * @used:	sum of the children's charges (pools and powered-on VMs)
 *		[t] to write (WRITE_ONCE), READ_ONCE without it (the
 *		root's, vmem_pool_root_fits())
 * @held:	pages the VMs in the subtree hold (reclaim.h), counted by
 *		pool_held.c; always 0 for the root, which has no limit  [a]
 * @shares_level, @shares: enum vmem_shares_level, custom value  [t]
 * @expandable:	may borrow unreserved memory from the parent; the root
 *		never does  [t]
 * @walk:	scratch of the iterative tree walks (pool.c): the pool's
 *		result, read by its parent's step of the same walk  [t]
 */
struct vmem_pool {
	u32 id;
	char name[VMEM_NAME_MAX];
	struct vmem_pool *parent;
	struct list_head sibling;
	struct list_head children;
	struct list_head vms;
	u32 nr_pools;
	u32 nr_vms;
	u64 res;
	u64 limit;
	u64 used;
	atomic_long_t held;
	u32 shares_level;
	u32 shares;
	bool expandable;
	union {
		u64 demand;
		struct vmem_pool_vm *victim;
		u32 height;
	} walk;
};

/**
 * struct vmem_pool_link - a VM's part in the @held counters of the pools
 * above it (pool_held.c).  It is in struct vmem_reclaim_vm, not struct
 * vmem_pool_vm: pages may be given back after power-off.
 * @pool:	the pool the VM is in, where its chain of counters starts;
 *		NULL before power-on and after power-off  [t+f]
 * @chained:	what the VM has added to the counters of @pool and its
 *		ancestors (what it holds, but for @pending); "gone" after
 *		power-off  [a]
 * @pending:	changes of what the VM holds made while a move froze the
 *		counters, added to them when the move is done  [a]
 */
struct vmem_pool_link {
	struct vmem_pool *pool;
	atomic_long_t chained;
	atomic_long_t pending;
};

/**
 * struct vmem_pool_vm - a VM's resource settings and place in the tree
 * @vm:		the VM; valid while this record is in the tree, which
 *		vmem_pool_vm_destroy() ends before the VM is freed  [I]
 * @id:		stable id, never 0, not reused soon (cyclic)  [I]
 * @pid:	tgid of the process that created the VM  [I]
 * @name:	set by the VMM (VMEM_SET_VM_NAME), "" until then  [t]
 * @pool:	the pool the VM is in  [t]
 * @node:	in @pool's @vms  [t]
 * @res:	reservation  [t]
 * @limit:	VMEM_UNLIMITED or >= @res  [t]
 * @ovh:	overhead included in the charge, measured at power-on and at
 *		each change of reservation or pool  [t]
 * @shares_level, @shares: as for pools; levels give shares per MiB of
 *		@limit (or, unlimited, @res), at most the configured memory,
 *		at least 1 MiB  [t]
 * @on:		powered on (charged): from creation to destruction  [t]
 *
 * Page sharing (VMEM_A_PSHARE) is not kept here: it is the sharing
 * engine's pshare.enable (vmem_share_enabled()), which VMEM_PSHARE sets too.
 */
struct vmem_pool_vm {
	struct vmem_vm *vm;
	u32 id;
	pid_t pid;
	char name[VMEM_NAME_MAX];
	struct vmem_pool *pool;
	struct list_head node;
	u64 res;
	u64 limit;
	u64 ovh;
	u32 shares_level;
	u32 shares;
	bool on;
};

/* What vmem_pool_set()/vmem_pool_vm_set() change: VMEM_PSET_* bits. */
#define VMEM_PSET_RES		BIT(0)
#define VMEM_PSET_LIMIT		BIT(1)
#define VMEM_PSET_SHARES	BIT(2)	/* shares_level (+ shares if custom) */
#define VMEM_PSET_EXPANDABLE	BIT(3)
#define VMEM_PSET_PARENT	BIT(4)	/* move under / into pool @parent */
#define VMEM_PSET_PSHARE	BIT(5)

/**
 * struct vmem_pool_args - new settings for a pool or a VM
 * @set:	VMEM_PSET_* bits: which of the fields below apply
 * @res, @limit, @shares_level, @shares, @expandable, @pshare: values
 * @parent:	the pool to move to (VMs: the pool to move into)
 */
struct vmem_pool_args {
	u32 set;
	u64 res;
	u64 limit;
	u32 shares_level;
	u32 shares;
	u32 parent;
	bool expandable;
	bool pshare;
};

/**
 * struct vmem_refusal - why admission refused a change
 * @err:	ENOSPC (a fixed pool lacked unreserved memory) or EDQUOT (a
 *		limit would be passed)
 * @why:	VMEM_REFUSED_*
 * @pool_id, @pool_name: the pool that said no
 * @need:	pages it lacked (ENOSPC) or would pass its limit by (EDQUOT)
 * @vm_id:	the VM whose change was refused, 0 for pool operations
 */
struct vmem_refusal {
	int err;
	u32 why;
	u32 pool_id;
	char pool_name[VMEM_NAME_MAX];
	u64 need;
	u32 vm_id;
};

/* The tree lock, for readers of the structures above (netlink dumps). */
void vmem_pool_lock(void);
void vmem_pool_unlock(void);

/* Lookups; the tree lock must be held.  NULL when absent. */
struct vmem_pool *vmem_pool_find(u32 id);
struct vmem_pool *vmem_pool_find_name(const char *name);
struct vmem_pool_vm *vmem_pool_vm_find(u32 id);
/* The next pool / VM with id >= *@id (dumps), advancing *@id; or NULL. */
struct vmem_pool *vmem_pool_next(unsigned long *id);
struct vmem_pool_vm *vmem_pool_vm_next(unsigned long *id);

/* Effective shares and the charge to the parent; tree lock held. */
u32 vmem_pool_shares(const struct vmem_pool *pool);
u32 vmem_pool_vm_shares(const struct vmem_pool_vm *pvm);
u64 vmem_pool_charge(const struct vmem_pool *pool);
u64 vmem_pool_vm_charge(const struct vmem_pool_vm *pvm);
/* Pages @pool could still admit for a child, its ancestors' help included. */
u64 vmem_pool_unreserved(const struct vmem_pool *pool);
/* Current overhead estimate of a VM (what admission would charge now). */
u64 vmem_pool_vm_overhead(struct vmem_vm *vm);

/* Name rules for pools and VMs: 1..VMEM_NAME_MAX-1 of [A-Za-z0-9._:-]. */
bool vmem_pool_name_valid(const char *name);

/*
 * Operations.  Each takes the tree lock, is all-or-nothing, and on an
 * admission refusal fills *@ref (if not NULL) and sends the
 * VMEM_EVENT_ADMISSION_REFUSED event.  Errors: -ENOENT (no such pool or
 * VM), -EEXIST (pool name taken), -EINVAL (bad value: limit below the
 * reservation, a VM reservation above its configured memory, moving a
 * pool into its own subtree, changing the root's parent, limit or
 * expandability), -EBUSY (destroying a non-empty pool; a fixed
 * reservation or a limit below what the children already hold),
 * -EMLINK (a pool would be more than max_pool_depth levels below the
 * root), -ENFILE (max_pools pools exist),
 * -ENOSPC / -EDQUOT (refused, see struct vmem_refusal), -ENOMEM.
 */
int vmem_pool_create(const char *name, const struct vmem_pool_args *a,
		     u32 *id, struct vmem_refusal *ref);
int vmem_pool_destroy(u32 id);
int vmem_pool_set(u32 id, const struct vmem_pool_args *a,
		  struct vmem_refusal *ref);
int vmem_pool_vm_set(u32 vm_id, const struct vmem_pool_args *a,
		     struct vmem_refusal *ref);

/*
 * VM lifetime (vmem_vm.c).  _create powers the VM on in the root pool:
 * its overhead is admitted (-ENOSPC if the root cannot) and it gets an
 * id.  _destroy releases the charge and forgets the VM; safe on a VM
 * whose _create failed or never ran.
 */
int vmem_pool_vm_create(struct vmem_vm *vm);
void vmem_pool_vm_destroy(struct vmem_vm *vm);
u32 vmem_pool_vm_id(struct vmem_vm *vm);
int vmem_pool_vm_set_name(struct vmem_vm *vm, const char *name);

/**
 * struct vmem_host_stats - host-wide memory statistics, in pages
 * @total, @free:	host RAM and free RAM
 * @root_res:		the root pool's reservation (vmem's share of the host)
 * @root_used:		what is charged to it
 * @nr_vms:		VMs alive
 * @granted, @consumed, @shared, @zero, @swapped, @overhead: sums over VMs
 * @shared_common:	machine pages with more than one reference
 * @saving:		@shared - @shared_common, or 0 while a VM being
 *			torn down makes @shared_common the larger
 */
struct vmem_host_stats {
	u64 total;
	u64 free;
	u64 root_res;
	u64 root_used;
	u32 nr_vms;
	u64 granted;
	u64 consumed;
	u64 shared;
	u64 zero;
	u64 swapped;
	u64 overhead;
	u64 shared_common;
	u64 saving;
};

/*
 * What the VMs under each pool hold (pool_held.c), for reclaim.c.
 *
 * vmem_pool_held_add(): @delta pages more (fewer, if negative) held by
 * @vm, added to the counters of the pools above it; returns how far the
 * most exceeded limited pool above @vm is over its limit afterwards, or
 * VMEM_HELD_UNKNOWN while a move is reshaping the tree (ask
 * vmem_pool_limit_excess() then).  Never sleeps.
 * vmem_pool_limit_excess(): the same without adding; may sleep on the
 * tree mutex while a move is under way, so no VM lock but rv->lock may be
 * held.  vmem_pool_held(): a pool's counter; exact under the tree mutex.
 *
 * For pool.c, tree mutex held: _attach at power-on, _detach at power-off;
 * a move is _freeze, then _move_vm / _move_pool (which set the VM's pool
 * / the pool's parent for the counters), then _thaw.
 */
#define VMEM_HELD_UNKNOWN	U64_MAX
u64 vmem_pool_held_add(struct vmem_vm *vm, long delta);
u64 vmem_pool_limit_excess(struct vmem_vm *vm);
u64 vmem_pool_held(const struct vmem_pool *pool);
void vmem_pool_held_attach(struct vmem_vm *vm, struct vmem_pool *pool);
void vmem_pool_held_detach(struct vmem_vm *vm);
void vmem_pool_held_freeze(void);
void vmem_pool_held_move_vm(struct vmem_vm *vm, struct vmem_pool *to);
void vmem_pool_held_move_pool(struct vmem_pool *pool, struct vmem_pool *to);
void vmem_pool_held_thaw(void);

/*
 * Run-time checks for reclaim.c (what VMs hold: reclaim.h).  Each takes
 * the tree lock (but vmem_pool_root_fits()), so no VM lock may be held.
 *
 * _root_fits: whether @priv_total private pages surely
 * fit the root with every reservation kept.  _root_excess: pages the
 * root lacks to keep every reservation (0 while @vm is within its own).
 * _min_funding_victim: the VM above its reservation with the fewest
 * shares per page held, chosen down the tree among siblings (pools by
 * their shares and subtree's pages), skipping those whose reclaim->skip
 * is @attempt, with a reference (vmem_vm_put() it) and *@spare its pages
 * above its reservation; NULL if none.
 */
bool vmem_pool_root_fits(u64 priv_total);
u64 vmem_pool_root_excess(struct vmem_vm *vm);
struct vmem_vm *vmem_pool_min_funding_victim(u64 attempt,
					     unsigned long *spare);

void vmem_pool_host_stats(struct vmem_host_stats *hs);
/* A VM's statistics, as VMEM_GET_VM_STATS gives them; tree lock held. */
void vmem_pool_vm_stats(const struct vmem_pool_vm *pvm,
			struct vmem_vm_stats *st);

int vmem_pool_init(void);
void vmem_pool_exit(void);

/* ---------------------------------------------------------------------- */
/* netlink.c                                                              */

/**
 * struct vmem_tunable - a host-wide setting exposed as a netlink tunable
 * @name:	e.g. "Mem.ShareScanTime" (ESX names where there is one)
 * @min, @max:	accepted values, checked before @set is called
 * @get:	current value
 * @set:	apply a value; 0 or -errno
 *
 * The owner registers it at init and unregisters it before its state
 * goes away; get/set are called under the tunables mutex, never
 * concurrently with unregistering.  Names are unique.
 */
struct vmem_tunable {
	const char *name;
	u64 min;
	u64 max;
	u64 (*get)(void);
	int (*set)(u64 val);
	struct list_head node;	/* vmem_tunables list, netlink.c's */
};

int vmem_tunable_register(struct vmem_tunable *t);
void vmem_tunable_unregister(struct vmem_tunable *t);

/* Multicast an event on the "events" group (no-op with no listener). */
void vmem_nl_event_refused(const struct vmem_refusal *ref);
/* VMEM_EVENT_LIMIT_REACHED / SWAP_STARTED / SWAP_STOPPED for a VM. */
void vmem_nl_event_vm(u32 event, u32 vm_id);

int vmem_netlink_init(void);
void vmem_netlink_exit(void);

#endif /* _VMEM_POOL_H */
