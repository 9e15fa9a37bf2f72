// SPDX-License-Identifier: GPL-2.0
/*
 * multi - 4 VMs x 2 vCPUs running at once, one host thread per vCPU.
 * Each vCPU fills and checks a private area with a pattern of its VM and
 * vCPU, adds to a counter shared by the two vCPUs of its VM with locked
 * instructions, and exits to the host (GUEST_SYNC) every round.  At the
 * end each VM's counter holds exactly its two vCPUs' additions and each
 * area its own pattern: no VM saw another's memory, no update was lost.
 *
 * The kernel must run several VMs and vCPUs on several host CPUs at once.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

#define NR_VMS		4
#define NR_VCPUS	2
#define ROUNDS		20
#define ADDS		2000
#define AREA_SIZE	(64 << 10)
#define AREA_GPA	0x3000000ull
#define COUNTER_GPA	0x2f00000ull

static int setup(void)
{
	return vt_require_vm(VMEM_VM_MMU_AUTO);
}

static uint64_t pattern(uint64_t tag, uint64_t id, uint64_t round, uint64_t i)
{
	return (tag << 48) ^ (id << 40) ^ (round << 32) ^ (i * 0x9e3779b1u);
}

static void guest_work(uint64_t tag, uint64_t id)
{
	volatile uint64_t *area = (volatile uint64_t *)(AREA_GPA + id * AREA_SIZE);
	uint64_t *counter = (uint64_t *)COUNTER_GPA;

	for (uint64_t r = 1; r <= ROUNDS; r++) {
		for (uint64_t i = 0; i < AREA_SIZE / 8; i++)
			area[i] = pattern(tag, id, r, i);
		for (int i = 0; i < ADDS; i++)
			__atomic_fetch_add(counter, 1, __ATOMIC_SEQ_CST);
		for (uint64_t i = 0; i < AREA_SIZE / 8; i++)
			GUEST_ASSERT_EQ(area[i], pattern(tag, id, r, i));
		GUEST_SYNC(r);
	}
	GUEST_DONE();
}

struct worker {
	struct vt_vcpu *vcpu;
	char error[512];
};

static void *worker_thread(void *arg)
{
	struct worker *w = arg;
	struct vt_ucall uc;
	uint64_t cmd;

	for (uint64_t r = 1; r <= ROUNDS + 1; r++) {
		cmd = vcpu_run_ucall(w->vcpu, &uc);
		if (r <= ROUNDS && cmd == UCALL_SYNC && uc.args[0] == r)
			continue;
		if (r == ROUNDS + 1 && cmd == UCALL_DONE)
			break;
		if (cmd == UCALL_ABORT)
			snprintf(w->error, sizeof(w->error),
				 "round %llu: guest assertion failed: %.256s",
				 (unsigned long long)r, uc.msg);
		else
			snprintf(w->error, sizeof(w->error),
				 "round %llu: %s (arg %llu), exit %s, errno %s",
				 (unsigned long long)r, vt_ucall_name(cmd),
				 (unsigned long long)uc.args[0],
				 vt_exit_name(w->vcpu->run->exit_reason),
				 vt_errno_name(errno));
		break;
	}
	return NULL;
}

static int test_four_vms_two_vcpus(void)
{
	struct worker w[NR_VMS][NR_VCPUS];
	pthread_t th[NR_VMS][NR_VCPUS];
	struct vt_vm *vm[NR_VMS];
	struct vt_leaks base;

	ASSERT_OK(vt_leaks_read(&base));
	memset(w, 0, sizeof(w));
	for (int v = 0; v < NR_VMS; v++) {
		ASSERT_TRUE(vm[v] = vm_create(VMEM_VM_MMU_AUTO));
		for (int c = 0; c < NR_VCPUS; c++) {
			ASSERT_TRUE(w[v][c].vcpu = vcpu_add(vm[v], c, guest_work));
			ASSERT_OK(vcpu_args_set(w[v][c].vcpu, 2, 0x100 + v, c));
		}
	}
	for (int v = 0; v < NR_VMS; v++)
		for (int c = 0; c < NR_VCPUS; c++)
			ASSERT_EQ(pthread_create(&th[v][c], NULL, worker_thread,
						 &w[v][c]), 0);
	for (int v = 0; v < NR_VMS; v++)
		for (int c = 0; c < NR_VCPUS; c++)
			pthread_join(th[v][c], NULL);

	for (int v = 0; v < NR_VMS; v++) {
		uint64_t *counter = vm_gpa2hva(vm[v], COUNTER_GPA);

		for (int c = 0; c < NR_VCPUS; c++) {
			uint64_t *area = vm_gpa2hva(vm[v], AREA_GPA + c * AREA_SIZE);

			if (w[v][c].error[0]) {
				vt_diag("VM %d vCPU %d: %s", v, c, w[v][c].error);
				EXPECT_TRUE(!w[v][c].error[0]);
				continue;
			}
			for (uint64_t i = 0; i < AREA_SIZE / 8; i++) {
				if (area[i] != pattern(0x100 + v, c, ROUNDS, i))
					FAIL("VM %d vCPU %d: area word %llu is 0x%llx, expected 0x%llx",
					     v, c, (unsigned long long)i,
					     (unsigned long long)area[i],
					     (unsigned long long)pattern(0x100 + v, c, ROUNDS, i));
			}
		}
		EXPECT_EQ(*counter, (uint64_t)NR_VCPUS * ROUNDS * ADDS);
	}
	for (int v = 0; v < NR_VMS; v++)
		vm_free(vm[v]);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(four_vms_two_vcpus),
};

VT_MAIN(cases, setup, NULL)
