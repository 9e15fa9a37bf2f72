// SPDX-License-Identifier: GPL-2.0
/*
 * reclaim.c - what a VM may hold: limits enforced by reclaim, and host
 * contention by min-funding revocation (Documentation/pools.rst, "Limits,
 * reclaim and hypervisor swap"; memory-management.md section 3).
 *
 * What a VM holds, for limits and contention, is Consumed: its private
 * pages (counted exactly and cheaply in rv->priv, charges in flight
 * included) plus its shares of shared and zero frames (rv->cost, read
 * from the statistics' counters at each reclaim pass; between two passes,
 * new merges by the sharing daemon may make it stale by at most one page
 * per new frame, always towards holding less).
 *
 * vmem_mem_charge() counts a page before it is installed, so concurrent
 * faults of one VM cannot together pass a limit: each sees the others'
 * pages.  When a limit would be passed, the charging task asks the VM's
 * reclaim worker for a pass and waits for it (never reclaiming itself,
 * see reclaim.h); the pass takes that VM's own pages down to
 * VMEM_RECLAIM_BATCH below the limit, so the next faults find room.
 * Reclaim walks a clock hand over the p2m in backing-index order from
 * where it last stopped (no accessed-bit second chance yet): a private
 * page equal to zero or to a shared frame is merged (Consumed drops,
 * nothing is written), any other goes to the swap file.  With no swap
 * file, or nothing left, the charge fails with -EDQUOT: the faulting
 * vCPU's RUN returns it, a VMM-mapping access gets SIGBUS; the VM stays
 * consistent and may run again after its limit is raised or memory is
 * freed.
 *
 * When the root pool cannot give the page without eating into memory
 * reserved for other VMs, the VM with the fewest shares per page held
 * loses pages (Waldspurger's min-funding revocation), never below its
 * reservation; a charge within the charging VM's own reservation always
 * passes.  The victim's pages are taken by the victim's worker, which
 * holds a reference to it: its swap file is written by the worker, not
 * by the charging task (whose file-size limit, signals and memory cgroup
 * are not the victim's), and the charging task never drops the victim's
 * last reference (vmem_reclaim_put()).
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/atomic.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <linux/vmem.h>
#include <linux/vmem_netlink.h>

#include "pool.h"
#include "reclaim.h"
#include "vmem_core.h"
#include "vmem_share.h"
#include "vmem_vm.h"

/* Private pages of all VMs, charges in flight included.  [a] */
static atomic_long_t vmem_priv_total = ATOMIC_LONG_INIT(0);
/* Min-funding attempts, to tell them apart in rv->skip.  [a] */
static atomic64_t vmem_reclaim_attempts = ATOMIC64_INIT(0);
/* The VMs' reclaim workers.  [I] between load and unload */
static struct workqueue_struct *vmem_reclaim_wq;

void vmem_reclaim_event(struct vmem_vm *vm, u32 event)
{
	/* Not at teardown: netlink has forgotten the VM by then. */
	if (vm->pool_vm)
		vmem_nl_event_vm(event, vmem_pool_vm_id(vm));
}

unsigned long vmem_reclaim_held(struct vmem_vm *vm)
{
	struct vmem_reclaim_vm *rv = vm->reclaim;

	return max(atomic_long_read(&rv->priv), 0L) +
	       max(atomic_long_read(&rv->cost), 0L);
}

/* Read rv->cost again (the statistics' counters) and return what @vm holds. */
static unsigned long vmem_reclaim_count(struct vmem_vm *vm)
{
	u64 priv, fixed, whole;
	long cost, old;

	fixed = vmem_share_consumed(vm, &priv);
	whole = (fixed >> 32) + !!(fixed & 0xffffffff);
	cost = whole > priv ? whole - priv : 0;
	/* The pools above hold the VM's cost too. */
	old = atomic_long_xchg(&vm->reclaim->cost, cost);
	if (cost != old)
		vmem_pool_held_add(vm, cost - old);
	return vmem_reclaim_held(vm);
}

void vmem_mem_uncharge(struct vmem_vm *vm, unsigned long npages)
{
	atomic_long_sub(npages, &vm->reclaim->priv);
	vmem_pool_held_add(vm, -(long)npages);
	atomic_long_sub(npages, &vmem_priv_total);
}

/*
 * Take up to @want pages from @vm (its worker, rv->lock held): merge or
 * swap out private pages under the clock hand.  Returns the pages taken;
 * *@err is set on a swap-file error.
 */
static unsigned long vmem_reclaim_pages(struct vmem_vm *vm,
					unsigned long want, int *err)
{
	struct vmem_reclaim_vm *rv = vm->reclaim;
	unsigned long got = 0, budget;
	struct page *bounce = NULL;
	bool wrapped = false;

	lockdep_assert_held(&rv->lock);
	/* One turn of the hand at most: every entry visited once. */
	budget = atomic_long_read(&vm->granted) +
		 atomic_long_read(&rv->swapped) + 1;
	while (got < want && budget) {
		unsigned long idx = rv->cursor;
		struct page *page = NULL;
		void *e;
		int r;

		xa_lock(&vm->p2m);
		e = xa_find(&vm->p2m, &idx, ULONG_MAX, XA_PRESENT);
		if (vmem_p2m_is_private(e)) {
			page = e;
			get_page(page);
		}
		xa_unlock(&vm->p2m);
		if (!e) {
			if (wrapped)
				break;
			wrapped = true;
			rv->cursor = 0;
			continue;
		}
		budget--;
		rv->cursor = idx + 1;
		if (!page)
			continue;	/* shared, zero or swapped already */

		if (vmem_share_reclaim(vm, idx, page)) {
			got++;
			put_page(page);
			cond_resched();
			continue;
		}
		if (!bounce)
			bounce = vmem_alloc_page(GFP_KERNEL);
		r = bounce ? vmem_swap_out(vm, idx, page, bounce) : -ENOMEM;
		put_page(page);
		if (!r) {
			got++;
		} else if (r != -EAGAIN && r != -ENOSPC) {
			*err = r;
			break;
		}
		cond_resched();
	}
	vmem_free_page(bounce);
	return got;
}

/* How far @vm, or a pool above it, is over its limit; 0 if not. */
static unsigned long vmem_reclaim_over(struct vmem_vm *vm, unsigned long held)
{
	u64 limit = READ_ONCE(vm->pool_vm->limit);
	unsigned long over = 0;

	if (limit != VMEM_UNLIMITED && held > limit)
		over = held - limit;
	return max_t(unsigned long, over, vmem_pool_limit_excess(vm));
}

/* The worker: @vm or a pool above it is over its limit.  rv->lock held. */
static int vmem_reclaim_for_limit(struct vmem_vm *vm)
{
	struct vmem_reclaim_vm *rv = vm->reclaim;
	unsigned long over, got;
	bool news;
	int err = 0;

	for (;;) {
		/* Exact, and an earlier pass may have reclaimed already. */
		over = vmem_reclaim_over(vm, vmem_reclaim_count(vm));
		if (!over)
			return 0;
		spin_lock(&rv->req_lock);
		news = !rv->at_limit;
		WRITE_ONCE(rv->at_limit, true);
		spin_unlock(&rv->req_lock);
		if (news)
			vmem_reclaim_event(vm, VMEM_EVENT_LIMIT_REACHED);
		got = vmem_reclaim_pages(vm, over + VMEM_RECLAIM_BATCH, &err);
		if (err)
			return err;
		if (!got)
			return -EDQUOT;
	}
}

/*
 * One pass of a VM's worker: what its limits ask, then what min-funding
 * asked of it.  The pass owns the VM reference its queueing took.
 */
static void vmem_reclaim_work(struct work_struct *work)
{
	struct vmem_reclaim_vm *rv = container_of(work, struct vmem_reclaim_vm,
						  work);
	struct vmem_vm *vm = rv->vm;
	unsigned long root_want, got = 0;
	int r, err = 0;
	u64 seq;

	spin_lock(&rv->req_lock);
	seq = rv->req_seq;
	root_want = rv->root_want;
	rv->root_want = 0;
	spin_unlock(&rv->req_lock);

	mutex_lock(&rv->lock);
	r = vmem_reclaim_for_limit(vm);
	if (root_want) {
		got = vmem_reclaim_pages(vm, root_want, &err);
		vmem_reclaim_count(vm);
		if (!r)
			r = err;
	}
	mutex_unlock(&rv->lock);

	spin_lock(&rv->req_lock);
	rv->result = r;
	rv->root_got = got;
	WRITE_ONCE(rv->done_seq, seq);
	spin_unlock(&rv->req_lock);
	wake_up_all(&rv->done_wq);
	/* May be the last reference: the VM's teardown then runs here. */
	vmem_vm_put(vm);
}

/* Queue @vm's worker; the queued pass holds a reference to @vm. */
static void vmem_reclaim_queue(struct vmem_vm *vm)
{
	vmem_vm_get(vm);
	if (!queue_work(vmem_reclaim_wq, &vm->reclaim->work))
		vmem_vm_put(vm);	/* queued already, with its own */
}

/*
 * Drop a reference to another VM without ever running its teardown in
 * this task: the last one goes to the VM's worker.  (While a pass is
 * queued or running it holds a reference, so ours is not the last.)
 */
static void vmem_reclaim_put(struct vmem_vm *vm)
{
	if (refcount_dec_not_one(&vm->ref.refcount))
		return;
	if (!queue_work(vmem_reclaim_wq, &vm->reclaim->work))
		WARN_ON_ONCE(1);
}

/*
 * Ask @vm's worker for a pass (taking @root_want pages for min-funding)
 * and wait for it unless VMEM_CHARGE_NOWAIT (-EAGAIN then).  The caller
 * holds a reference to @vm and no vmem lock.  Returns the pass's error
 * and, in *@got, the pages it took for min-funding.
 */
static int vmem_reclaim_request(struct vmem_vm *vm, unsigned long root_want,
				unsigned int flags, unsigned long *got)
{
	struct vmem_reclaim_vm *rv = vm->reclaim;
	int r;
	u64 seq;

	spin_lock(&rv->req_lock);
	seq = ++rv->req_seq;
	rv->root_want = max(rv->root_want, root_want);
	spin_unlock(&rv->req_lock);
	vmem_reclaim_queue(vm);
	if (flags & VMEM_CHARGE_NOWAIT)
		return -EAGAIN;
	if (wait_event_killable(rv->done_wq, READ_ONCE(rv->done_seq) >= seq))
		return -EINTR;
	spin_lock(&rv->req_lock);
	r = rv->result;
	if (got)
		*got = rv->root_got;
	spin_unlock(&rv->req_lock);
	return r;
}

/* The root cannot give @vm's charge: take pages from the lowest funded. */
static int vmem_reclaim_for_root(struct vmem_vm *vm, unsigned int flags)
{
	u64 attempt = atomic64_inc_return(&vmem_reclaim_attempts);
	unsigned long excess, spare, got;
	struct vmem_vm *victim;
	int err;

	for (;;) {
		excess = vmem_pool_root_excess(vm);
		if (!excess)
			return 0;
		victim = vmem_pool_min_funding_victim(attempt, &spare);
		if (!victim)
			return -ENOSPC;
		got = 0;
		err = vmem_reclaim_request(victim,
					   min(excess + VMEM_RECLAIM_BATCH,
					       spare), flags, &got);
		/* The victim's own errors (its limit, its file) are not ours. */
		if (err != -EINTR && err != -EAGAIN && !got)
			atomic64_set(&victim->reclaim->skip, attempt);
		vmem_reclaim_put(victim);
		if (err == -EINTR || err == -EAGAIN)
			return err;
	}
}

/*
 * Count @npages against the VM, its pools and the host before anything
 * is installed (so concurrent vCPUs cannot overshoot): *@held is what the
 * VM then holds, *@total the private pages of all VMs; the return is
 * vmem_pool_held_add()'s (pages over a pool limit, or VMEM_HELD_UNKNOWN).
 */
static u64 vmem_charge_add(struct vmem_vm *vm, unsigned long npages,
			   unsigned long *held, unsigned long *total)
{
	struct vmem_reclaim_vm *rv = vm->reclaim;
	u64 pools_over;

	*held = atomic_long_add_return(npages, &rv->priv) +
		max(atomic_long_read(&rv->cost), 0L);
	pools_over = vmem_pool_held_add(vm, npages);
	*total = atomic_long_add_return(npages, &vmem_priv_total);
	return pools_over;
}

int vmem_mem_charge_try(struct vmem_vm *vm, unsigned long npages)
{
	struct vmem_reclaim_vm *rv = vm->reclaim;
	u64 limit = READ_ONCE(vm->pool_vm->limit);
	unsigned long held, total;
	u64 pools_over = vmem_charge_add(vm, npages, &held, &total);

	/* At a limit, or its event to clear: the full charge decides. */
	if (!READ_ONCE(rv->at_limit) &&
	    (limit == VMEM_UNLIMITED || held <= limit) &&
	    !pools_over && vmem_pool_root_fits(total))
		return 0;
	vmem_mem_uncharge(vm, npages);
	return -EAGAIN;
}

int vmem_mem_charge_flags(struct vmem_vm *vm, unsigned long npages,
			  unsigned int flags)
{
	struct vmem_reclaim_vm *rv = vm->reclaim;
	u64 limit = READ_ONCE(vm->pool_vm->limit);
	unsigned long held, total;
	u64 pools_over = vmem_charge_add(vm, npages, &held, &total);
	int r = 0;

	if (pools_over == VMEM_HELD_UNKNOWN)
		pools_over = vmem_pool_limit_excess(vm);

	if ((limit != VMEM_UNLIMITED && held > limit) || pools_over) {
		r = vmem_reclaim_request(vm, 0, flags, NULL);
	} else if (READ_ONCE(rv->at_limit) &&
		   (limit == VMEM_UNLIMITED ||
		    held + 2 * VMEM_RECLAIM_BATCH <= limit)) {
		/* Well below again: the next crossing is news. */
		spin_lock(&rv->req_lock);
		WRITE_ONCE(rv->at_limit, false);
		spin_unlock(&rv->req_lock);
	}
	if (!r && !vmem_pool_root_fits(total))
		r = vmem_reclaim_for_root(vm, flags);
	if (r)
		vmem_mem_uncharge(vm, npages);
	return r;
}

int vmem_reclaim_vm_init(struct vmem_vm *vm)
{
	struct vmem_reclaim_vm *rv;

	rv = vmem_kzalloc(sizeof(*rv), GFP_KERNEL_ACCOUNT);
	if (!rv)
		return -ENOMEM;
	rv->vm = vm;
	mutex_init(&rv->lock);
	INIT_WORK(&rv->work, vmem_reclaim_work);
	spin_lock_init(&rv->req_lock);
	init_waitqueue_head(&rv->done_wq);
	rv->fsize = RLIM_INFINITY;
	INIT_LIST_HEAD(&rv->file_node);
	ida_init(&rv->slots);
	vm->reclaim = rv;
	return 0;
}

/* After vmem_mem_destroy(): no page, charge or slot is left. */
void vmem_reclaim_vm_free(struct vmem_vm *vm)
{
	struct vmem_reclaim_vm *rv = vm->reclaim;

	if (!rv)
		return;
	WARN_ON_ONCE(atomic_long_read(&rv->priv) ||
		     atomic_long_read(&rv->swapped));
	ida_destroy(&rv->slots);
	vmem_swap_release(rv);
	vmem_kfree(rv);
	vm->reclaim = NULL;
}

int vmem_reclaim_init(void)
{
	vmem_reclaim_wq = alloc_workqueue("vmem_reclaim",
					  WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	return vmem_reclaim_wq ? 0 : -ENOMEM;
}

/* After the last VM: a pass may still be ending its VM's teardown. */
void vmem_reclaim_exit(void)
{
	destroy_workqueue(vmem_reclaim_wq);
}
