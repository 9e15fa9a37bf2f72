// SPDX-License-Identifier: GPL-2.0
/*
 * pool_concurrency - pool operations from several processes while VMs
 * start, fault and stop.
 *
 * Two processes create, resize, move and destroy pools of their own (and
 * try to steal each other's VMs into them); two others create VMs whose
 * vCPU touches guest memory, move them between pools with reservations,
 * and close them, with a third reader dumping everything.  Refusals are
 * expected (ENOSPC, EDQUOT, EBUSY, ENOENT); anything else fails.  At the
 * end every pool's used equals the sum of its children's charges, the
 * root is back to its starting use, and nothing leaked.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/vmem.h>
#include <linux/vmem_netlink.h>

#include "nl_util.h"
#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

#define ROUNDS		40
#define NR_POOLERS	2
#define NR_VMERS	2

static struct nlt_sock nl;

static int setup(void)
{
	int r = vt_require_vm(VMEM_VM_MMU_AUTO);

	return r == VT_PASS ? nlt_require(&nl) : r;
}

static void teardown(void)
{
	nlt_close(&nl);
}

static bool expected_refusal(int err)
{
	return !err || err == -ENOSPC || err == -EDQUOT || err == -EBUSY ||
	       err == -ENOENT || err == -EEXIST;
}

#define CHECK_NL(expr)	CHECK_NL_OR(expr, 0)

/* @also: one more errno that is fine here (moves may make cycles). */
#define CHECK_NL_OR(expr, also)						\
	do {								\
		int __e = (expr);					\
		if (!expected_refusal(__e) && __e != -(also)) {		\
			vt_diag("%s:%d: %s: %s", __FILE__, __LINE__,	\
				#expr, vt_errno_name(-__e));		\
			return VT_FAIL;					\
		}							\
	} while (0)

/* Pool ids of both poolers, published through the pool names. */
static uint32_t pool_id(struct nlt_sock *s, int who, int i)
{
	static struct nlt_reply r;
	char name[32];

	snprintf(name, sizeof(name), "c_%d_%d", who, i);
	if (nlt_pool_get(s, name, &r))
		return 0;
	return nlt_u32(&r.reply, VMEM_A_POOL_ID);
}

static int pooler(int who)
{
	static struct nlt_reply r;
	struct nlt_sock s;
	struct nlt_msg m;
	int round, i;

	srand(who * 7919 + 1);
	if (nlt_open(&s))
		return VT_FAIL;
	for (round = 0; round < ROUNDS; round++) {
		char name[32];

		for (i = 0; i < 3; i++) {
			uint32_t parent = i ? pool_id(&s, who, i - 1) : 0;

			snprintf(name, sizeof(name), "c_%d_%d", who, i);
			CHECK_NL(nlt_pool_new(&s, name, parent,
					      (rand() % 64) * MB_PAGES,
					      VMEM_UNLIMITED, rand() % 2, NULL,
					      &r));
		}
		/* Resize, re-limit, flip expandability, move around. */
		for (i = 0; i < 3; i++) {
			uint32_t id = pool_id(&s, who, i);

			if (!id)
				continue;
			nlt_init(&m, &s, VMEM_CMD_POOL_SET, 0);
			nlt_put_u32(&m, VMEM_A_POOL_ID, id);
			nlt_put_u64(&m, VMEM_A_RESERVATION,
				    (rand() % 128) * MB_PAGES);
			if (rand() % 2)
				nlt_put_u8(&m, VMEM_A_EXPANDABLE, rand() % 2);
			if (rand() % 3 == 0)
				nlt_put_u64(&m, VMEM_A_LIMIT,
					    (rand() % 256) * MB_PAGES);
			if (rand() % 3 == 0)
				nlt_put_u32(&m, VMEM_A_PARENT_ID,
					    pool_id(&s, rand() % NR_POOLERS,
						    rand() % 3) ?:
					    VMEM_POOL_ROOT_ID);
			/* Random limits and parents: EINVAL is fine here. */
			CHECK_NL_OR(nlt_call(&s, &m, &r), EINVAL);
		}
		/* Destroy, leaves first; some stay busy (VMs, children). */
		for (i = 2; i >= 0; i--) {
			uint32_t id = pool_id(&s, who, i);

			if (id)
				CHECK_NL(nlt_pool_del(&s, id));
		}
	}
	nlt_close(&s);
	return VT_PASS;
}

static void guest_touch(uint64_t base, uint64_t pages)
{
	volatile uint64_t *p;
	uint64_t i;

	for (i = 0; i < pages; i++) {
		p = (volatile uint64_t *)(base + i * 4096);
		*p = i;
	}
	GUEST_DONE();
}

static int vmer(int who)
{
	static struct nlt_reply r;
	struct nlt_sock s;
	int round;

	srand(who * 104729 + 3);
	if (nlt_open(&s))
		return VT_FAIL;
	for (round = 0; round < ROUNDS / 4; round++) {
		struct vt_vm *vm = vm_create(VMEM_VM_MMU_AUTO);
		struct vt_vcpu *vcpu;
		uint64_t gva;
		int id, k;

		if (!vm)
			return VT_FAIL;
		id = ioctl(vm->fd, VMEM_GET_VM_ID, 0);
		if (id <= 0)
			return VT_FAIL;
		gva = vm_alloc(vm, 64 * 4096);
		vcpu = vcpu_add(vm, 0, guest_touch);
		vcpu_args_set(vcpu, 2, gva, 64);
		for (k = 0; k < 4; k++) {
			uint32_t pool = pool_id(&s, rand() % NR_POOLERS,
						rand() % 3);

			CHECK_NL(nlt_vm_set(&s, id, pool ?: VMEM_POOL_ROOT_ID,
					    (rand() % 32) * MB_PAGES, &r));
		}
		if (vcpu_run_ucall(vcpu, NULL) != UCALL_DONE) {
			vt_diag("guest did not finish");
			return VT_FAIL;
		}
		vm_free(vm);
	}
	nlt_close(&s);
	return VT_PASS;
}

static int count_cb(const struct nlt_attrs *at, void *arg)
{
	(void)at;
	(*(int *)arg)++;
	return 0;
}

static int reader(void)
{
	static struct nlt_reply r;
	struct nlt_sock s;
	struct nlt_msg m;
	int round, n;

	if (nlt_open(&s))
		return VT_FAIL;
	for (round = 0; round < ROUNDS * 4; round++) {
		n = 0;
		if (nlt_dump(&s, VMEM_CMD_POOL_GET, count_cb, &n) < 0 ||
		    nlt_dump(&s, VMEM_CMD_VM_GET, count_cb, &n) < 0)
			return VT_FAIL;
		nlt_init(&m, &s, VMEM_CMD_STATS_GET, 0);
		if (nlt_call(&s, &m, &r))
			return VT_FAIL;
	}
	nlt_close(&s);
	return VT_PASS;
}

/* Children report through their exit code. */
static pid_t spawn(int (*fn)(int), int arg)
{
	pid_t pid = fork();

	if (!pid)
		_exit(fn(arg) == VT_PASS ? 0 : 1);
	return pid;
}

static int run_reader(int unused)
{
	(void)unused;
	return reader();
}

static int test_pools_while_vms_run(void)
{
	static struct nlt_reply r;
	static struct nlt_sums s;
	struct vt_leaks base;
	pid_t pids[NR_POOLERS + NR_VMERS + 1];
	uint64_t root_used;
	int i, j, n = 0, status;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_EQ(nlt_pool_get(&nl, "root", &r), 0);
	root_used = nlt_u64(&r.reply, VMEM_A_USED);

	for (i = 0; i < NR_POOLERS; i++)
		pids[n++] = spawn(pooler, i);
	for (i = 0; i < NR_VMERS; i++)
		pids[n++] = spawn(vmer, i);
	pids[n++] = spawn(run_reader, 0);
	for (i = 0; i < n; i++) {
		ASSERT_TRUE(pids[i] > 0);
		ASSERT_EQ(waitpid(pids[i], &status, 0), pids[i]);
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}

	/* Invariant: used = sum of the children's charges, everywhere. */
	ASSERT_EQ(nlt_sums_read(&nl, &s), 0);
	EXPECT_EQ(nlt_sums_mismatches(&s), 0);

	/* Remove what the poolers left (busy at their last round). */
	for (j = 0; j < NR_POOLERS * 3 + 1; j++)
		for (i = 0; i < NR_POOLERS * 3; i++) {
			uint32_t id = pool_id(&nl, i / 3, i % 3);

			if (id)
				nlt_pool_del(&nl, id);
		}
	for (i = 0; i < NR_POOLERS * 3; i++)
		EXPECT_EQ(pool_id(&nl, i / 3, i % 3), 0);
	ASSERT_EQ(nlt_pool_get(&nl, "root", &r), 0);
	EXPECT_EQ(nlt_u64(&r.reply, VMEM_A_USED), root_used);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(pools_while_vms_run),
};

VT_MAIN(cases, setup, teardown)
