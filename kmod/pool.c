// SPDX-License-Identifier: GPL-2.0
/*
 * pool.c - resource pools and admission control.
 *
 * The tree, its rules and the worked examples are in
 * Documentation/pools.rst (after ../shared/reference/memory-management.md
 * section 3).  In one paragraph: every pool and every powered-on VM
 * charges its parent; a VM charges reservation + overhead, a fixed pool
 * its reservation, an expandable pool max(reservation, used), where used
 * is what its children charge it.  Admission of d more pages to pool P
 * takes what P has unreserved, and for the rest (if P is expandable and
 * its limit allows) asks P's parent, up to the root, which is fixed.
 *
 * One mutex guards the whole tree, so that every operation (power-on,
 * pool creation, a reservation or limit change, a move) is checked and
 * applied as one step, and a refusal leaves nothing changed.  The tree
 * is small and changes rarely.  Page faults check the limits of the
 * pools above their VM on atomic counters (pool_held.c) and take it only
 * under host contention or while a move is under way (reclaim.c;
 * pools.rst, "Limits, reclaim and hypervisor swap").
 *
 * "Power-on" is VM creation (VMEM_CREATE_VM): a VM is charged from then
 * until it is freed.  It is created in the root pool with reservation 0,
 * so its first charge is its overhead; an administrator then gives it a
 * reservation or moves it (netlink), each step admitted on its own.
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "reclaim.h"
#include "vmem_core.h"
#include "vmem_share.h"
#include "vmem_vm.h"
#include "pool.h"

static unsigned int pool_mb;
module_param(pool_mb, uint, 0444);
MODULE_PARM_DESC(pool_mb,
		 "memory vmem may give guests, MiB: the root pool's reservation (default 0: host RAM less 1/8, at least 64 MiB kept)");

/*
 * Bounds on the tree (ESX has them too: a resource pool tree depth of 8,
 * some 1,600 pools a host).  Every walk of the tree is iterative, but a
 * charge adds to the counter of each pool above its VM (pool_held.c) and
 * admission climbs the chain: the depth bounds both; the count bounds
 * what a dump or a name lookup visits under the tree mutex.
 */
#define VMEM_POOL_DEPTH_LIMIT	32
#define VMEM_POOLS_LIMIT	16384

static unsigned int max_pool_depth = 8;
module_param(max_pool_depth, uint, 0444);
MODULE_PARM_DESC(max_pool_depth,
		 "levels of pools below the root (1-32, default 8)");

static unsigned int max_pools = 1024;
module_param(max_pools, uint, 0444);
MODULE_PARM_DESC(max_pools,
		 "pools besides the root, host-wide (1-16384, default 1024)");

#define MB_PAGES		(SZ_1M >> PAGE_SHIFT)

/*
 * Shares: low:normal:high = 1:2:4; VMs per MiB the control plane sized
 * them with (pool_vm_sized()), pools flat.
 */
static const u32 vmem_vm_shares_per_mb[] = {
	[VMEM_SHARES_LOW] = 5, [VMEM_SHARES_NORMAL] = 10,
	[VMEM_SHARES_HIGH] = 20,
};
static const u32 vmem_pool_shares_flat[] = {
	[VMEM_SHARES_LOW] = 81920, [VMEM_SHARES_NORMAL] = 163840,
	[VMEM_SHARES_HIGH] = 327680,
};

static DEFINE_MUTEX(vmem_pool_mutex);
/* Pools by id; the root is VMEM_POOL_ROOT_ID.  [t] */
static DEFINE_XARRAY_ALLOC1(vmem_pools);
/* struct vmem_pool_vm by VM id.  [t] */
static DEFINE_XARRAY_ALLOC1(vmem_pool_vms);
/* Cursors of xa_alloc_cyclic(): ids are not reused soon.  [t] */
static u32 vmem_pool_next_id = VMEM_POOL_ROOT_ID + 1;
static u32 vmem_vm_next_id = 1;
/* Pools besides the root, against max_pools.  [t] */
static u32 vmem_nr_pools;
/* The root pool; set at init, freed at exit.  [I] */
static struct vmem_pool *vmem_root;

void vmem_pool_lock(void)
{
	mutex_lock(&vmem_pool_mutex);
}

void vmem_pool_unlock(void)
{
	mutex_unlock(&vmem_pool_mutex);
}

struct vmem_pool *vmem_pool_find(u32 id)
{
	lockdep_assert_held(&vmem_pool_mutex);
	return xa_load(&vmem_pools, id);
}

struct vmem_pool *vmem_pool_find_name(const char *name)
{
	struct vmem_pool *pool;
	unsigned long id;

	lockdep_assert_held(&vmem_pool_mutex);
	xa_for_each(&vmem_pools, id, pool)
		if (!strcmp(pool->name, name))
			return pool;
	return NULL;
}

struct vmem_pool_vm *vmem_pool_vm_find(u32 id)
{
	lockdep_assert_held(&vmem_pool_mutex);
	return xa_load(&vmem_pool_vms, id);
}

struct vmem_pool *vmem_pool_next(unsigned long *id)
{
	lockdep_assert_held(&vmem_pool_mutex);
	return xa_find(&vmem_pools, id, U32_MAX, XA_PRESENT);
}

struct vmem_pool_vm *vmem_pool_vm_next(unsigned long *id)
{
	lockdep_assert_held(&vmem_pool_mutex);
	return xa_find(&vmem_pool_vms, id, U32_MAX, XA_PRESENT);
}

bool vmem_pool_name_valid(const char *name)
{
	size_t i, len = strnlen(name, VMEM_NAME_MAX);

	if (!len || len >= VMEM_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(name[i]) && !strchr("._:-", name[i]))
			return false;
	return true;
}

/* ---------------------------------------------------------------------- */
/* Charges and admission                                                   */

static u64 pool_charge_with(const struct vmem_pool *p, u64 res, bool exp)
{
	return exp ? max(res, p->used) : res;
}

u64 vmem_pool_charge(const struct vmem_pool *pool)
{
	return pool_charge_with(pool, pool->res, pool->expandable);
}

u64 vmem_pool_vm_charge(const struct vmem_pool_vm *pvm)
{
	return pvm->on ? pvm->res + pvm->ovh : 0;
}

u32 vmem_pool_shares(const struct vmem_pool *pool)
{
	if (pool->shares_level == VMEM_SHARES_CUSTOM)
		return pool->shares;
	return vmem_pool_shares_flat[pool->shares_level];
}

/*
 * The memory the control plane sized the VM with: its limit, or with no
 * limit its reservation, never more than its slots cover.  The VMM's own
 * slots only lower it: declaring huge sparse slots buys no shares.
 */
static u64 pool_vm_sized(const struct vmem_pool_vm *pvm)
{
	u64 size = pvm->limit != VMEM_UNLIMITED ? pvm->limit : pvm->res;

	return min_t(u64, size, READ_ONCE(pvm->vm->configured));
}

u32 vmem_pool_vm_shares(const struct vmem_pool_vm *pvm)
{
	u64 mb;

	if (pvm->shares_level == VMEM_SHARES_CUSTOM)
		return pvm->shares;
	/* A VM nobody sized competes as one of 1 MiB. */
	mb = max_t(u64, DIV_ROUND_UP(pool_vm_sized(pvm), MB_PAGES), 1);
	return min_t(u64, mb * vmem_vm_shares_per_mb[pvm->shares_level],
		     U32_MAX);
}

/*
 * What every VM costs before it has vCPUs or memory: the VM structure,
 * its vCPU array, the TDP root and the p2m's root node, rounded up.
 */
#define VMEM_VM_BASE_OVERHEAD	4

/*
 * What admission charges for a VM's own bookkeeping: the base above, the
 * pages counted in vm->overhead so far (the backends add each vCPU's
 * control blocks and run area there), and an estimate of the p2m nodes
 * and TDP tables its configured memory will need once touched (about
 * one page of each per 2 MiB of guest memory).
 */
u64 vmem_pool_vm_overhead(struct vmem_vm *vm)
{
	u64 configured = READ_ONCE(vm->configured);

	return VMEM_VM_BASE_OVERHEAD + atomic_long_read(&vm->overhead) +
	       2 * DIV_ROUND_UP(configured, PTRS_PER_PTE);
}

static int pool_refuse(struct vmem_refusal *ref, const struct vmem_pool *p,
		       u64 need, int err)
{
	if (ref) {
		ref->err = err;
		ref->why = err == ENOSPC ? VMEM_REFUSED_UNRESERVED :
					   VMEM_REFUSED_LIMIT;
		ref->pool_id = p->id;
		strscpy(ref->pool_name, p->name, sizeof(ref->pool_name));
		ref->need = need;
	}
	return -err;
}

/*
 * Can @p's children charge it @d pages more?  Exactly the rule of
 * pools.rst: take what is unreserved locally; a fixed pool refuses the
 * rest; an expandable one asks its parent for it, unless that would
 * take it past its limit.  Changes nothing.
 */
static int pool_can_admit(const struct vmem_pool *p, u64 d,
			  struct vmem_refusal *ref)
{
	while (d) {
		u64 local = p->res > p->used ? p->res - p->used : 0;
		u64 need, above;

		if (d <= local)
			return 0;
		need = d - local;
		if (!p->expandable || !p->parent)
			return pool_refuse(ref, p, need, ENOSPC);
		above = max(p->res, p->used) + need;
		if (p->limit != VMEM_UNLIMITED && above > p->limit)
			return pool_refuse(ref, p, above - p->limit, EDQUOT);
		d = need;
		p = p->parent;
	}
	return 0;
}

/*
 * Add @delta (either sign) to @p's used, and the change of @p's charge
 * that follows to its parent, and so on up.  After pool_can_admit(p, d)
 * said yes, pool_add_used(p, d) is what it checked; a negative delta is
 * always allowed, and adding back what was just taken restores every
 * level exactly (charges are functions of used).
 */
static void pool_add_used(struct vmem_pool *p, s64 delta)
{
	lockdep_assert_held(&vmem_pool_mutex);
	while (p && delta) {
		u64 old = vmem_pool_charge(p);

		/* The root's is read without the tree lock (root_fits). */
		WRITE_ONCE(p->used, p->used + delta);
		delta = (s64)(vmem_pool_charge(p) - old);
		p = p->parent;
	}
}

/* Does @p borrow from its parent for what it lacks? */
static bool pool_borrows(const struct vmem_pool *p)
{
	return p->expandable && p->parent;
}

static u64 pool_local(const struct vmem_pool *p)
{
	return p->res > p->used ? p->res - p->used : 0;
}

/* How far above what it holds @p's limit lets it borrow. */
static u64 pool_room(const struct vmem_pool *p)
{
	u64 held = max(p->res, p->used);

	if (p->limit == VMEM_UNLIMITED)
		return U64_MAX;
	return p->limit > held ? p->limit - held : 0;
}

/* a + b, or U64_MAX when that overflows (an unlimited room). */
static u64 pool_sat_add(u64 a, u64 b)
{
	u64 sum;

	return check_add_overflow(a, b, &sum) ? U64_MAX : sum;
}

/*
 * The largest d pool_can_admit(@pool, d) accepts.  Along the chain c0 =
 * @pool, c1 = its parent, ... up to the first pool ck that does not
 * borrow: A(ck) = local(ck), A(ci) = local(ci) + min(room(ci), A(ci+1)).
 * Each step x -> local + min(room, x) is min(local + room, x + local),
 * and such steps compose into one of the same form: climbing the chain,
 * keep A(c0) = min(cap, x + add) with x the A still to come, and ck's
 * local ends it.  One pass up: a dump of every pool stays linear in the
 * pools times the depth.
 */
u64 vmem_pool_unreserved(const struct vmem_pool *pool)
{
	const struct vmem_pool *p;
	u64 cap = U64_MAX, add = 0;

	for (p = pool; pool_borrows(p); p = p->parent) {
		u64 local = pool_local(p);

		cap = min(cap, pool_sat_add(pool_sat_add(local, pool_room(p)),
					    add));
		add = pool_sat_add(add, local);
	}
	return min(cap, pool_sat_add(pool_local(p), add));
}

/* ---------------------------------------------------------------------- */
/* Walks, depth and height                                                 */

/*
 * Nothing here recurses: a walk of the tree is a post-order iteration
 * over the parent and sibling links, each pool leaving its result in
 * @walk for its parent's step, so the kernel stack does not grow with
 * the depth.
 */
static struct vmem_pool *pool_leftmost(struct vmem_pool *p)
{
	while (!list_empty(&p->children))
		p = list_first_entry(&p->children, struct vmem_pool, sibling);
	return p;
}

/* The pool after @p in a post-order walk of @top's subtree, or NULL. */
static struct vmem_pool *pool_post_next(struct vmem_pool *p,
					struct vmem_pool *top)
{
	if (p == top)
		return NULL;
	if (!list_is_last(&p->sibling, &p->parent->children))
		return pool_leftmost(list_next_entry(p, sibling));
	return p->parent;
}

/* Every pool of @top's subtree, children before their parent.  [t] */
#define pool_for_each_post(p, top) \
	for (p = pool_leftmost(top); p; p = pool_post_next(p, top))

/* Levels above @p: 0 for the root.  Bounded by max_pool_depth. */
static unsigned int pool_depth(const struct vmem_pool *p)
{
	unsigned int depth = 0;

	for (; p->parent; p = p->parent)
		depth++;
	return depth;
}

/* Levels of @top's subtree, @top included (1 for a leaf).  [t] */
static unsigned int pool_height(struct vmem_pool *top)
{
	struct vmem_pool *p, *c;

	pool_for_each_post(p, top) {
		u32 height = 0;

		list_for_each_entry(c, &p->children, sibling)
			height = max(height, c->walk.height);
		p->walk.height = height + 1;
	}
	return top->walk.height;
}

/* ---------------------------------------------------------------------- */
/* Pools                                                                   */

static bool pool_shares_valid(u32 level, u32 shares)
{
	if (level == VMEM_SHARES_CUSTOM)
		return shares > 0;
	return level >= VMEM_SHARES_LOW && level <= VMEM_SHARES_HIGH;
}

/* Is @p @anc or below it? */
static bool pool_in_subtree(const struct vmem_pool *p,
			    const struct vmem_pool *anc)
{
	for (; p; p = p->parent)
		if (p == anc)
			return true;
	return false;
}

static void pool_send_refusal(int r, const struct vmem_refusal *ref)
{
	if (r == -ENOSPC || r == -EDQUOT)
		vmem_nl_event_refused(ref);
}

int vmem_pool_create(const char *name, const struct vmem_pool_args *a,
		     u32 *id, struct vmem_refusal *ref)
{
	struct vmem_refusal local_ref = {};
	struct vmem_pool *parent, *pool;
	int r;

	if (!ref)
		ref = &local_ref;
	if (!vmem_pool_name_valid(name))
		return -EINVAL;

	pool = vmem_kzalloc(sizeof(*pool), GFP_KERNEL_ACCOUNT);
	if (!pool)
		return -ENOMEM;
	strscpy(pool->name, name, sizeof(pool->name));
	INIT_LIST_HEAD(&pool->children);
	INIT_LIST_HEAD(&pool->vms);
	pool->limit = VMEM_UNLIMITED;
	pool->shares_level = VMEM_SHARES_NORMAL;
	pool->expandable = true;
	if (a->set & VMEM_PSET_RES)
		pool->res = a->res;
	if (a->set & VMEM_PSET_LIMIT)
		pool->limit = a->limit;
	if (a->set & VMEM_PSET_SHARES) {
		pool->shares_level = a->shares_level;
		pool->shares = a->shares;
	}
	if (a->set & VMEM_PSET_EXPANDABLE)
		pool->expandable = a->expandable;

	r = -EINVAL;
	if (pool->limit < pool->res ||
	    !pool_shares_valid(pool->shares_level, pool->shares))
		goto out_free;

	mutex_lock(&vmem_pool_mutex);
	r = -ENOENT;
	parent = xa_load(&vmem_pools, (a->set & VMEM_PSET_PARENT) ?
				      a->parent : VMEM_POOL_ROOT_ID);
	if (!parent)
		goto out_unlock;
	r = -EEXIST;
	if (vmem_pool_find_name(name))
		goto out_unlock;
	r = -EMLINK;
	if (pool_depth(parent) >= max_pool_depth)
		goto out_unlock;
	r = -ENFILE;
	if (vmem_nr_pools >= max_pools)
		goto out_unlock;
	/* A new pool has no children: its charge is its reservation. */
	r = pool_can_admit(parent, pool->res, ref);
	if (r)
		goto out_unlock;
	r = xa_alloc_cyclic(&vmem_pools, &pool->id, pool,
			    XA_LIMIT(VMEM_POOL_ROOT_ID + 1, U32_MAX),
			    &vmem_pool_next_id, GFP_KERNEL_ACCOUNT);
	if (r < 0)
		goto out_unlock;
	pool->parent = parent;
	list_add_tail(&pool->sibling, &parent->children);
	parent->nr_pools++;
	vmem_nr_pools++;
	pool_add_used(parent, pool->res);
	*id = pool->id;
	mutex_unlock(&vmem_pool_mutex);
	return 0;

out_unlock:
	mutex_unlock(&vmem_pool_mutex);
	pool_send_refusal(r, ref);
out_free:
	vmem_kfree(pool);
	return r;
}

int vmem_pool_destroy(u32 id)
{
	struct vmem_pool *pool;
	int r;

	mutex_lock(&vmem_pool_mutex);
	pool = xa_load(&vmem_pools, id);
	r = -ENOENT;
	if (!pool)
		goto out;
	r = -EINVAL;
	if (pool == vmem_root)
		goto out;
	/* Never orphan VMs or pools: the administrator moves them first. */
	r = -EBUSY;
	if (pool->nr_pools || pool->nr_vms)
		goto out;
	pool_add_used(pool->parent, -(s64)vmem_pool_charge(pool));
	list_del(&pool->sibling);
	pool->parent->nr_pools--;
	vmem_nr_pools--;
	xa_erase(&vmem_pools, id);
	mutex_unlock(&vmem_pool_mutex);
	/*
	 * A charge of a VM powered off in this pool just before may still be
	 * adding to its counter (pool_held.c): it does so in an RCU read
	 * side.
	 */
	synchronize_rcu();
	vmem_kfree(pool);
	return 0;
out:
	mutex_unlock(&vmem_pool_mutex);
	return r;
}

/* Root: only the reservation changes, within host RAM and above use. */
static int pool_set_root(const struct vmem_pool_args *a)
{
	if (a->set & ~(VMEM_PSET_RES | VMEM_PSET_SHARES))
		return -EINVAL;
	if (a->set & VMEM_PSET_SHARES)
		if (!pool_shares_valid(a->shares_level, a->shares))
			return -EINVAL;
	if (a->set & VMEM_PSET_RES) {
		if (a->res > totalram_pages())
			return -EINVAL;
		if (a->res < vmem_root->used)
			return -EBUSY;
		/* vmem_pool_root_fits() reads it without the tree lock. */
		WRITE_ONCE(vmem_root->res, a->res);
	}
	if (a->set & VMEM_PSET_SHARES) {
		vmem_root->shares_level = a->shares_level;
		vmem_root->shares = a->shares;
	}
	return 0;
}

static int __vmem_pool_set(struct vmem_pool *pool, const struct vmem_pool_args *a,
			   struct vmem_refusal *ref)
{
	struct vmem_pool *parent = pool->parent, *to = parent;
	u64 res = pool->res, limit = pool->limit;
	bool exp = pool->expandable;
	u64 old_charge, new_charge;
	int r;

	if (pool == vmem_root)
		return pool_set_root(a);

	if (a->set & VMEM_PSET_RES)
		res = a->res;
	if (a->set & VMEM_PSET_LIMIT)
		limit = a->limit;
	if (a->set & VMEM_PSET_EXPANDABLE)
		exp = a->expandable;
	if (limit < res)
		return -EINVAL;
	if ((a->set & VMEM_PSET_SHARES) &&
	    !pool_shares_valid(a->shares_level, a->shares))
		return -EINVAL;
	if (a->set & VMEM_PSET_PARENT) {
		to = xa_load(&vmem_pools, a->parent);
		if (!to)
			return -ENOENT;
		if (pool_in_subtree(to, pool))
			return -EINVAL;
		if (to != parent &&
		    pool_depth(to) + pool_height(pool) > max_pool_depth)
			return -EMLINK;
	}
	/* What the children hold already must stay covered. */
	if (!exp && pool->used > res)
		return -EBUSY;
	if (limit != VMEM_UNLIMITED && pool->used > limit)
		return -EBUSY;

	old_charge = vmem_pool_charge(pool);
	new_charge = pool_charge_with(pool, res, exp);
	if (to != parent) {
		pool_add_used(parent, -(s64)old_charge);
		r = pool_can_admit(to, new_charge, ref);
		if (r) {
			pool_add_used(parent, old_charge);
			return r;
		}
	} else if (new_charge > old_charge) {
		r = pool_can_admit(parent, new_charge - old_charge, ref);
		if (r)
			return r;
	}

	/* Admitted: apply everything. */
	pool->res = res;
	/* Charges read it without the tree lock (pool_held.c). */
	WRITE_ONCE(pool->limit, limit);
	pool->expandable = exp;
	if (a->set & VMEM_PSET_SHARES) {
		pool->shares_level = a->shares_level;
		pool->shares = a->shares;
	}
	if (to != parent) {
		list_move_tail(&pool->sibling, &to->children);
		parent->nr_pools--;
		to->nr_pools++;
		/* Sets pool->parent with the held counters still. */
		vmem_pool_held_freeze();
		vmem_pool_held_move_pool(pool, to);
		vmem_pool_held_thaw();
		pool_add_used(to, new_charge);
	} else {
		pool_add_used(parent, (s64)(new_charge - old_charge));
	}
	return 0;
}

int vmem_pool_set(u32 id, const struct vmem_pool_args *a,
		  struct vmem_refusal *ref)
{
	struct vmem_refusal local_ref = {};
	struct vmem_pool *pool;
	int r;

	if (!ref)
		ref = &local_ref;
	if (a->set & VMEM_PSET_PSHARE)
		return -EINVAL;
	mutex_lock(&vmem_pool_mutex);
	pool = xa_load(&vmem_pools, id);
	r = pool ? __vmem_pool_set(pool, a, ref) : -ENOENT;
	mutex_unlock(&vmem_pool_mutex);
	pool_send_refusal(r, ref);
	return r;
}

/* ---------------------------------------------------------------------- */
/* VMs                                                                     */

static int __vmem_pool_vm_set(struct vmem_pool_vm *pvm,
			      const struct vmem_pool_args *a,
			      struct vmem_refusal *ref)
{
	struct vmem_pool *from = pvm->pool, *to = from;
	u64 res = pvm->res, limit = pvm->limit, ovh = pvm->ovh;
	u64 old_charge, new_charge;
	int r;

	if (a->set & VMEM_PSET_EXPANDABLE)
		return -EINVAL;
	if (a->set & VMEM_PSET_RES)
		res = a->res;
	if (a->set & VMEM_PSET_LIMIT)
		limit = a->limit;
	if (limit < res)
		return -EINVAL;
	/* A reservation beyond the VM's memory could never be used. */
	if ((a->set & VMEM_PSET_RES) && res > READ_ONCE(pvm->vm->configured))
		return -EINVAL;
	if ((a->set & VMEM_PSET_SHARES) &&
	    !pool_shares_valid(a->shares_level, a->shares))
		return -EINVAL;
	if (a->set & VMEM_PSET_PARENT) {
		to = xa_load(&vmem_pools, a->parent);
		if (!to)
			return -ENOENT;
	}
	/* Re-measure the overhead when admission runs anyway. */
	if (a->set & (VMEM_PSET_RES | VMEM_PSET_PARENT))
		ovh = vmem_pool_vm_overhead(pvm->vm);

	old_charge = vmem_pool_vm_charge(pvm);
	new_charge = pvm->on ? res + ovh : 0;
	if (to != from) {
		pool_add_used(from, -(s64)old_charge);
		r = pool_can_admit(to, new_charge, ref);
		if (r) {
			pool_add_used(from, old_charge);
			return r;
		}
	} else if (new_charge > old_charge) {
		r = pool_can_admit(from, new_charge - old_charge, ref);
		if (r)
			return r;
	}

	pvm->res = res;
	WRITE_ONCE(pvm->limit, limit);
	pvm->ovh = ovh;
	if (a->set & VMEM_PSET_SHARES) {
		pvm->shares_level = a->shares_level;
		pvm->shares = a->shares;
	}
	/* The sharing engine's own switch; cannot fail, like the rest. */
	if (a->set & VMEM_PSET_PSHARE)
		vmem_share_set_enable(pvm->vm, a->pshare);
	if (to != from) {
		list_move_tail(&pvm->node, &to->vms);
		from->nr_vms--;
		to->nr_vms++;
		pvm->pool = to;
		/* What the VM holds leaves @from's counters for @to's. */
		vmem_pool_held_freeze();
		vmem_pool_held_move_vm(pvm->vm, to);
		vmem_pool_held_thaw();
		pool_add_used(to, new_charge);
	} else {
		pool_add_used(from, (s64)(new_charge - old_charge));
	}
	return 0;
}

int vmem_pool_vm_set(u32 vm_id, const struct vmem_pool_args *a,
		     struct vmem_refusal *ref)
{
	struct vmem_refusal local_ref = {};
	struct vmem_pool_vm *pvm;
	int r;

	if (!ref)
		ref = &local_ref;
	ref->vm_id = vm_id;
	mutex_lock(&vmem_pool_mutex);
	pvm = xa_load(&vmem_pool_vms, vm_id);
	r = pvm ? __vmem_pool_vm_set(pvm, a, ref) : -ENOENT;
	mutex_unlock(&vmem_pool_mutex);
	pool_send_refusal(r, ref);
	return r;
}

int vmem_pool_vm_create(struct vmem_vm *vm)
{
	struct vmem_refusal ref = {};
	struct vmem_pool_vm *pvm;
	int r;

	pvm = vmem_kzalloc(sizeof(*pvm), GFP_KERNEL_ACCOUNT);
	if (!pvm)
		return -ENOMEM;
	pvm->vm = vm;
	pvm->pid = task_tgid_nr(current);
	pvm->limit = VMEM_UNLIMITED;
	pvm->shares_level = VMEM_SHARES_NORMAL;
	pvm->ovh = vmem_pool_vm_overhead(vm);

	mutex_lock(&vmem_pool_mutex);
	r = pool_can_admit(vmem_root, pvm->ovh, &ref);
	if (r)
		goto out_unlock;
	r = xa_alloc_cyclic(&vmem_pool_vms, &pvm->id, pvm, xa_limit_32b,
			    &vmem_vm_next_id, GFP_KERNEL_ACCOUNT);
	if (r < 0)
		goto out_unlock;
	pvm->on = true;
	pvm->pool = vmem_root;
	list_add_tail(&pvm->node, &vmem_root->vms);
	vmem_root->nr_vms++;
	pool_add_used(vmem_root, vmem_pool_vm_charge(pvm));
	vmem_pool_held_attach(vm, vmem_root);
	vm->pool_vm = pvm;
	mutex_unlock(&vmem_pool_mutex);
	return 0;

out_unlock:
	mutex_unlock(&vmem_pool_mutex);
	pool_send_refusal(r, &ref);
	vmem_kfree(pvm);
	return r;
}

void vmem_pool_vm_destroy(struct vmem_vm *vm)
{
	struct vmem_pool_vm *pvm = vm->pool_vm;

	if (!pvm)
		return;
	mutex_lock(&vmem_pool_mutex);
	pool_add_used(pvm->pool, -(s64)vmem_pool_vm_charge(pvm));
	vmem_pool_held_detach(vm);
	list_del(&pvm->node);
	pvm->pool->nr_vms--;
	xa_erase(&vmem_pool_vms, pvm->id);
	mutex_unlock(&vmem_pool_mutex);
	vm->pool_vm = NULL;
	vmem_kfree(pvm);
}

u32 vmem_pool_vm_id(struct vmem_vm *vm)
{
	return vm->pool_vm->id;
}

int vmem_pool_vm_set_name(struct vmem_vm *vm, const char *name)
{
	if (!vmem_pool_name_valid(name))
		return -EINVAL;
	mutex_lock(&vmem_pool_mutex);
	strscpy(vm->pool_vm->name, name, sizeof(vm->pool_vm->name));
	mutex_unlock(&vmem_pool_mutex);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* What VMs hold: limits and contention at run time (reclaim.c)            */

bool vmem_pool_root_fits(u64 priv_total)
{
	/*
	 * A bound, read without the tree lock (a racing change is seen at
	 * the next charge): the root's charges hold every reservation and
	 * overhead, so private pages on top of them never count less than
	 * what the VMs need.
	 */
	return priv_total + READ_ONCE(vmem_root->used) <=
	       READ_ONCE(vmem_root->res);
}

/*
 * What the root owes at run time: each pool asks its parent for its
 * reservation, or what its children hold beyond theirs (a VM:
 * max(held, reservation) + overhead), whichever is more.  [t]
 */
static u64 pool_root_demand(void)
{
	const struct vmem_pool_vm *pvm;
	struct vmem_pool *p, *c;

	pool_for_each_post(p, vmem_root) {
		u64 sum = 0;

		list_for_each_entry(pvm, &p->vms, node)
			sum += max_t(u64, vmem_reclaim_held(pvm->vm),
				     pvm->res) + pvm->ovh;
		list_for_each_entry(c, &p->children, sibling)
			sum += c->walk.demand;
		p->walk.demand = p == vmem_root ? sum : max(sum, p->res);
	}
	return vmem_root->walk.demand;
}

u64 vmem_pool_root_excess(struct vmem_vm *vm)
{
	struct vmem_pool_vm *pvm = vm->pool_vm;
	u64 demand, excess = 0;

	mutex_lock(&vmem_pool_mutex);
	/* Within its own reservation a VM is never refused. */
	if (vmem_reclaim_held(vm) > pvm->res) {
		demand = pool_root_demand();
		if (demand > vmem_root->res)
			excess = demand - vmem_root->res;
	}
	mutex_unlock(&vmem_pool_mutex);
	return excess;
}

/*
 * Min-funding down the tree: among a pool's children (VMs and pools)
 * that hold more than their reservation and have a VM to give pages, the
 * one with the fewest shares per page held, a pool counting its own
 * shares and its subtree's pages; in that pool, the same among its
 * children.  Shares only compare siblings, as the model says.  Walked
 * bottom-up, each pool's choice ready before its parent's.  [t]
 */
static struct vmem_pool_vm *pool_victim(u64 attempt)
{
	struct vmem_pool_vm *pvm, *best;
	struct vmem_pool *p, *c;
	u64 best_s, best_h, held, s;

	pool_for_each_post(p, vmem_root) {
		best = NULL;
		best_s = 0;
		best_h = 0;
		list_for_each_entry(pvm, &p->vms, node) {
			held = vmem_reclaim_held(pvm->vm);
			s = vmem_pool_vm_shares(pvm);
			if (held <= pvm->res ||
			    atomic64_read(&pvm->vm->reclaim->skip) == attempt)
				continue;
			/* s / (h + 1) below the best's, cross-multiplied. */
			if (best && s * (best_h + 1) >= best_s * (held + 1))
				continue;
			best = pvm;
			best_s = s;
			best_h = held;
		}
		list_for_each_entry(c, &p->children, sibling) {
			held = vmem_pool_held(c);
			s = vmem_pool_shares(c);
			if (held <= c->res)
				continue;	/* its reservation guarantees it */
			if (best && s * (best_h + 1) >= best_s * (held + 1))
				continue;
			if (!c->walk.victim)
				continue;
			best = c->walk.victim;
			best_s = s;
			best_h = held;
		}
		p->walk.victim = best;
	}
	return vmem_root->walk.victim;
}

struct vmem_vm *vmem_pool_min_funding_victim(u64 attempt, unsigned long *spare)
{
	struct vmem_pool_vm *best;
	u64 held;

	mutex_lock(&vmem_pool_mutex);
	best = pool_victim(attempt);
	/* A VM whose last reference is gone is on its way out: not it. */
	if (best && !kref_get_unless_zero(&best->vm->ref))
		best = NULL;
	held = best ? vmem_reclaim_held(best->vm) : 0;
	*spare = best && held > best->res ? held - best->res : 0;
	mutex_unlock(&vmem_pool_mutex);
	return best ? best->vm : NULL;
}

/* ---------------------------------------------------------------------- */
/* Statistics                                                              */

void vmem_pool_vm_stats(const struct vmem_pool_vm *pvm,
			struct vmem_vm_stats *st)
{
	/* The same figures as VMEM_GET_VM_STATS, sharing included. */
	vmem_vm_fill_stats(pvm->vm, st);
}

void vmem_pool_host_stats(struct vmem_host_stats *hs)
{
	struct vmem_share_host_stats shs;
	struct vmem_pool_vm *pvm;
	unsigned long id;

	memset(hs, 0, sizeof(*hs));
	hs->total = totalram_pages();
	hs->free = global_zone_page_state(NR_FREE_PAGES);

	mutex_lock(&vmem_pool_mutex);
	hs->root_res = vmem_root->res;
	hs->root_used = vmem_root->used;
	xa_for_each(&vmem_pool_vms, id, pvm) {
		struct vmem_vm_stats st;

		vmem_pool_vm_stats(pvm, &st);
		hs->nr_vms++;
		hs->granted += st.granted;
		hs->consumed += st.consumed;
		hs->shared += st.shared;
		hs->zero += st.zero;
		hs->swapped += st.swapped;
		hs->overhead += st.overhead;
	}
	mutex_unlock(&vmem_pool_mutex);
	/*
	 * Shared Common is a property of machine pages, not of VMs: the
	 * sharing engine counts it from its frame table.  Taken after the
	 * tree lock (the VMs' sums above are another snapshot), hence the
	 * clamp below.
	 */
	vmem_share_host_stats(&shs);
	hs->shared_common = shs.shared_common;
	hs->saving = hs->shared > hs->shared_common ?
		     hs->shared - hs->shared_common : 0;
}

/* ---------------------------------------------------------------------- */
/* Load and unload                                                         */

int vmem_pool_init(void)
{
	u64 total = totalram_pages(), res;
	int r;

	if (max_pool_depth < 1 || max_pool_depth > VMEM_POOL_DEPTH_LIMIT) {
		pr_err("max_pool_depth=%u out of range (1-%u); not loading\n",
		       max_pool_depth, VMEM_POOL_DEPTH_LIMIT);
		return -EINVAL;
	}
	if (max_pools < 1 || max_pools > VMEM_POOLS_LIMIT) {
		pr_err("max_pools=%u out of range (1-%u); not loading\n",
		       max_pools, VMEM_POOLS_LIMIT);
		return -EINVAL;
	}
	if (pool_mb) {
		res = (u64)pool_mb * MB_PAGES;
		if (res > total) {
			pr_err("pool_mb=%u exceeds host RAM (%llu MiB)\n",
			       pool_mb, total / MB_PAGES);
			return -EINVAL;
		}
	} else {
		u64 keep = max_t(u64, total / 8, 64 * MB_PAGES);

		res = total > keep ? total - keep : 0;
	}

	vmem_root = vmem_kzalloc(sizeof(*vmem_root), GFP_KERNEL);
	if (!vmem_root)
		return -ENOMEM;
	vmem_root->id = VMEM_POOL_ROOT_ID;
	strscpy(vmem_root->name, "root", sizeof(vmem_root->name));
	INIT_LIST_HEAD(&vmem_root->children);
	INIT_LIST_HEAD(&vmem_root->vms);
	vmem_root->res = res;
	vmem_root->limit = VMEM_UNLIMITED;
	vmem_root->shares_level = VMEM_SHARES_NORMAL;
	vmem_root->expandable = false;
	r = xa_insert(&vmem_pools, VMEM_POOL_ROOT_ID, vmem_root, GFP_KERNEL);
	if (r) {
		vmem_kfree(vmem_root);
		vmem_root = NULL;
	}
	return r;
}

/* At unload no VM is left; pools the administrator left are freed. */
void vmem_pool_exit(void)
{
	struct vmem_pool *pool;
	unsigned long id;

	xa_for_each(&vmem_pools, id, pool)
		vmem_kfree(pool);
	xa_destroy(&vmem_pools);
	xa_destroy(&vmem_pool_vms);
	vmem_nr_pools = 0;
	vmem_root = NULL;
}
