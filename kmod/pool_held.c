// SPDX-License-Identifier: GPL-2.0
/*
 * pool_held.c - what the VMs under each pool hold, counted without the
 * pool tree mutex, so that a charge checks every limited pool above its
 * VM with a few atomics (Documentation/pools.rst, "What a VM holds").
 *
 * Every pool but the root has an atomic @held: the sum, over the VMs in
 * its subtree, of what each holds (reclaim.h: private pages plus the
 * cached cost of its shared and zero frames; the root has no limit, so
 * it keeps no counter).  A change of what a VM holds is added to the
 * counter of its pool and of every ancestor below the root with
 * atomic_long_add_return(); a charge is added before it is checked, so
 * concurrent charges under one pool see each other and cannot together
 * pass its limit, exactly as concurrent charges of one VM (reclaim.c).
 *
 * The chain of ancestors changes only when a VM or a pool moves, under
 * the tree mutex.  A move must take the moved subtree's pages off the old
 * chain and put them on the new one with no charge landing on the old
 * chain afterwards.  So the mover freezes the counters: it switches the
 * state to FROZEN and waits for an RCU grace period, after which no
 * charge is walking a chain (charges walk inside rcu_read_lock()) and
 * new ones park their pages in the VM's link->pending instead.  The
 * counters are then still, the move transfers exact amounts, and the
 * mover switches to FOLDING, waits again (so that nobody still parks),
 * adds what was parked and goes back to LIVE.  While not LIVE, a charge
 * cannot trust the counters: it asks again under the tree mutex, which
 * the mover holds until the counters are whole.  Moves are rare
 * administrator actions; the two grace periods are their price.
 *
 * Power-off needs no freeze: it takes what the VM has put on its chain
 * with one atomic_long_xchg() that leaves link->chained "gone".  A charge
 * whose add to link->chained came first is in the amount taken off (and
 * adds its own part to the chain, which nets out); one whose add came
 * after sees "gone" and leaves the chain alone.  The sharing daemon may
 * still give back pages of a VM being freed, which is why the link lives
 * in struct vmem_reclaim_vm (freed last) rather than struct vmem_pool_vm.
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/atomic.h>
#include <linux/minmax.h>
#include <linux/rcupdate.h>

#include <linux/vmem_netlink.h>

#include "pool.h"
#include "reclaim.h"
#include "vmem_vm.h"

enum vmem_held_state {
	VMEM_HELD_LIVE,		/* charges add to the chains */
	VMEM_HELD_FROZEN,	/* a move: charges park in link->pending */
	VMEM_HELD_FOLDING,	/* charges add to the chains, parked ones not yet */
};

/* enum vmem_held_state.  [t] to write, smp_load_acquire() to read */
static int vmem_held_state = VMEM_HELD_LIVE;

/* Below this, link->chained says the VM was powered off. */
#define VMEM_LINK_GONE		(LONG_MIN / 2)

static bool link_gone(long chained)
{
	return chained < VMEM_LINK_GONE / 2;
}

static u64 held_excess(long held, u64 limit)
{
	if (limit == VMEM_UNLIMITED || held <= 0 || (u64)held <= limit)
		return 0;
	return held - limit;
}

/*
 * Add @delta to @p's counter and its ancestors' (not the root's) and
 * return how far the most exceeded of them is then over its limit.  Its
 * caller keeps the chain still: an RCU read side in LIVE or FOLDING, or
 * the tree mutex.
 */
static u64 held_chain_add(struct vmem_pool *p, long delta)
{
	struct vmem_pool *parent;
	u64 excess = 0;

	for (; p && (parent = READ_ONCE(p->parent)); p = parent) {
		long held = atomic_long_add_return(delta, &p->held);

		excess = max(excess, held_excess(held, READ_ONCE(p->limit)));
	}
	return excess;
}

/* The same without adding. */
static u64 held_chain_excess(struct vmem_pool *p)
{
	struct vmem_pool *parent;
	u64 excess = 0;

	for (; p && (parent = READ_ONCE(p->parent)); p = parent)
		excess = max(excess, held_excess(atomic_long_read(&p->held),
						 READ_ONCE(p->limit)));
	return excess;
}

u64 vmem_pool_held_add(struct vmem_vm *vm, long delta)
{
	struct vmem_pool_link *l = &vm->reclaim->link;
	struct vmem_pool *pool;
	u64 excess = 0;
	int state;

	rcu_read_lock();
	state = smp_load_acquire(&vmem_held_state);
	if (state == VMEM_HELD_FROZEN) {
		atomic_long_add(delta, &l->pending);
	} else {
		/*
		 * @pool before @chained: power-off takes @chained, then
		 * clears @pool; an add that is in what it took must still
		 * find the chain it was taken from.
		 */
		pool = READ_ONCE(l->pool);
		if (!link_gone(atomic_long_add_return(delta, &l->chained)))
			excess = held_chain_add(pool, delta);
	}
	rcu_read_unlock();
	return state == VMEM_HELD_LIVE ? excess : VMEM_HELD_UNKNOWN;
}

u64 vmem_pool_limit_excess(struct vmem_vm *vm)
{
	struct vmem_pool_link *l = &vm->reclaim->link;
	u64 excess = 0;
	bool live;

	rcu_read_lock();
	live = smp_load_acquire(&vmem_held_state) == VMEM_HELD_LIVE;
	if (live)
		excess = held_chain_excess(READ_ONCE(l->pool));
	rcu_read_unlock();
	if (live)
		return excess;

	/* A move is under way: its mover makes the counters whole first. */
	vmem_pool_lock();
	excess = held_chain_excess(l->pool);
	vmem_pool_unlock();
	return excess;
}

u64 vmem_pool_held(const struct vmem_pool *pool)
{
	return max(atomic_long_read(&pool->held), 0L);
}

void vmem_pool_held_attach(struct vmem_vm *vm, struct vmem_pool *pool)
{
	/* Nothing is charged before power-on, so @pool's counters gain 0. */
	WRITE_ONCE(vm->reclaim->link.pool, pool);
}

void vmem_pool_held_detach(struct vmem_vm *vm)
{
	struct vmem_pool_link *l = &vm->reclaim->link;
	long chained;

	/* LIVE under the tree mutex: nothing is parked in @pending. */
	chained = atomic_long_xchg(&l->chained, VMEM_LINK_GONE);
	held_chain_add(l->pool, -chained);
	WRITE_ONCE(l->pool, NULL);
}

void vmem_pool_held_freeze(void)
{
	smp_store_release(&vmem_held_state, VMEM_HELD_FROZEN);
	/* Every charge still walking a chain has finished. */
	synchronize_rcu();
}

void vmem_pool_held_move_vm(struct vmem_vm *vm, struct vmem_pool *to)
{
	struct vmem_pool_link *l = &vm->reclaim->link;
	long chained = atomic_long_read(&l->chained);

	held_chain_add(l->pool, -chained);
	held_chain_add(to, chained);
	WRITE_ONCE(l->pool, to);
}

void vmem_pool_held_move_pool(struct vmem_pool *pool, struct vmem_pool *to)
{
	long held = atomic_long_read(&pool->held);

	held_chain_add(pool->parent, -held);
	held_chain_add(to, held);
	WRITE_ONCE(pool->parent, to);
}

void vmem_pool_held_thaw(void)
{
	struct vmem_pool_vm *pvm;
	unsigned long id;

	/* The new chains are published by the release. */
	smp_store_release(&vmem_held_state, VMEM_HELD_FOLDING);
	/* Every charge that saw FROZEN has parked its pages. */
	synchronize_rcu();
	for (id = 0; (pvm = vmem_pool_vm_next(&id)); id++) {
		struct vmem_pool_link *l = &pvm->vm->reclaim->link;
		long parked = atomic_long_xchg(&l->pending, 0);

		if (parked) {
			atomic_long_add(parked, &l->chained);
			held_chain_add(l->pool, parked);
		}
	}
	smp_store_release(&vmem_held_state, VMEM_HELD_LIVE);
}
