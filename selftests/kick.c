// SPDX-License-Identifier: GPL-2.0
/*
 * kick - getting a vCPU out of VMEM_RUN: VMEM_KICK from another thread
 * makes a guest spinning without exits return VMEM_EXIT_STOPPED; run->stop
 * set before VMEM_RUN, or a kick that lands before it, gives STOPPED at
 * once without entering the guest; a signal ends VMEM_RUN with EINTR and
 * exit_reason NONE, and the guest resumes afterwards; and 1000 kick/run
 * races lose no kick.
 *
 * The kernel must provide Documentation/api.rst 4.17, 5.5 and 5.6.
 * Waits are bounded (a lost kick fails the case, then a signal or the
 * guest's quit flag gets the vCPU thread back).
 */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

#define RACES		1000
#define WAIT_SECS	20

static volatile uint64_t spin_started, spin_quit, spin_entries;

static void sigusr1(int sig)
{
	(void)sig;
}

static int setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sigusr1;	/* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		FAIL("sigaction: %s", strerror(errno));
	return vt_require_vm(VMEM_VM_MMU_AUTO);
}

/* Spins without exits until spin_quit. */
static void guest_spin(void)
{
	spin_entries++;
	spin_started = 1;
	while (!spin_quit)
		__asm__ __volatile__("" ::: "memory");
	GUEST_DONE();
}

struct runner {
	struct vt_vcpu *vcpu;
	volatile int done;
	int ret, err;
	uint32_t exit_reason;
};

static void *run_once(void *arg)
{
	struct runner *r = arg;

	r->ret = vcpu_run(r->vcpu);
	r->err = errno;
	r->exit_reason = r->vcpu->run->exit_reason;
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static bool wait_flag(volatile uint64_t *p, double secs)
{
	double end = now() + secs;

	while (!*p) {
		if (now() > end)
			return false;
		usleep(1000);
	}
	return true;
}

static bool wait_done(struct runner *r, double secs)
{
	double end = now() + secs;

	while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
		if (now() > end)
			return false;
		usleep(1000);
	}
	return true;
}

/* Get a stuck vCPU thread back (signal, then the guest's quit flag). */
static void rescue(struct vt_vm *vm, struct runner *r, pthread_t th)
{
	*VM_GUEST_PTR(vm, spin_quit) = 1;
	for (int i = 0; i < 100 && !r->done; i++) {
		pthread_kill(th, SIGUSR1);
		usleep(10000);
	}
	pthread_join(th, NULL);
}

static struct vt_vm *spin_vm(struct vt_vcpu **vcpu)
{
	struct vt_vm *vm = vm_create(VMEM_VM_MMU_AUTO);

	if (!vm)
		return NULL;
	*vcpu = vcpu_add(vm, 0, guest_spin);
	if (!*vcpu) {
		vm_free(vm);
		return NULL;
	}
	return vm;
}

static int test_kick_spinning_guest(void)
{
	struct runner r = { 0 };
	struct vt_leaks base;
	struct vt_vm *vm;
	pthread_t th;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = spin_vm(&r.vcpu));
	ASSERT_EQ(pthread_create(&th, NULL, run_once, &r), 0);
	if (!wait_flag(VM_GUEST_PTR(vm, spin_started), WAIT_SECS)) {
		rescue(vm, &r, th);
		FAIL("the guest did not start spinning within %d s", WAIT_SECS);
	}
	ASSERT_OK(ioctl(r.vcpu->fd, VMEM_KICK, 0));
	if (!wait_done(&r, WAIT_SECS)) {
		rescue(vm, &r, th);
		FAIL("VMEM_RUN did not return within %d s of VMEM_KICK", WAIT_SECS);
	}
	pthread_join(th, NULL);
	EXPECT_EQ(r.ret, 0);
	EXPECT_EQ(r.exit_reason, VMEM_EXIT_STOPPED);
	EXPECT_EQ(r.vcpu->run->stop, 1);	/* vmem never clears it */
	/* Resume: the guest goes on where it was. */
	r.vcpu->run->stop = 0;
	*VM_GUEST_PTR(vm, spin_quit) = 1;
	ASSERT_RUN_DONE(r.vcpu);
	EXPECT_EQ(*VM_GUEST_PTR(vm, spin_entries), 1);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static int test_stop_before_run(void)
{
	struct vmem_regs before, after;
	struct vt_vcpu *vcpu = NULL;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = spin_vm(&vcpu));
	ASSERT_OK(vcpu_get_regs(vcpu, &before));
	vcpu->run->stop = 1;
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_STOPPED);
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_STOPPED);
	/* The guest did not run. */
	EXPECT_EQ(*VM_GUEST_PTR(vm, spin_started), 0);
	ASSERT_OK(vcpu_get_regs(vcpu, &after));
	EXPECT_EQ(after.rip, before.rip);
	vcpu->run->stop = 0;
	*VM_GUEST_PTR(vm, spin_quit) = 1;
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	return VT_PASS;
}

static int test_kick_before_run_not_lost(void)
{
	struct vt_vcpu *vcpu = NULL;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = spin_vm(&vcpu));
	ASSERT_OK(ioctl(vcpu->fd, VMEM_KICK, 0));
	EXPECT_EQ(vcpu->run->stop, 1);
	EXPECT_ERRNO(ioctl(vcpu->fd, VMEM_KICK, 1), EINVAL);
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_STOPPED);
	EXPECT_EQ(*VM_GUEST_PTR(vm, spin_started), 0);
	vcpu->run->stop = 0;
	*VM_GUEST_PTR(vm, spin_quit) = 1;
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	return VT_PASS;
}

static int test_signal_eintr(void)
{
	struct runner r = { 0 };
	struct vt_leaks base;
	struct vt_vm *vm;
	pthread_t th;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = spin_vm(&r.vcpu));
	ASSERT_EQ(pthread_create(&th, NULL, run_once, &r), 0);
	if (!wait_flag(VM_GUEST_PTR(vm, spin_started), WAIT_SECS)) {
		rescue(vm, &r, th);
		FAIL("the guest did not start spinning within %d s", WAIT_SECS);
	}
	pthread_kill(th, SIGUSR1);
	if (!wait_done(&r, WAIT_SECS)) {
		rescue(vm, &r, th);
		FAIL("VMEM_RUN did not return within %d s of a signal", WAIT_SECS);
	}
	pthread_join(th, NULL);
	EXPECT_EQ(r.ret, -1);
	EXPECT_EQ(r.err, EINTR);
	EXPECT_EQ(r.exit_reason, VMEM_EXIT_NONE);
	EXPECT_EQ(r.vcpu->run->stop, 0);
	/* The vCPU is consistent: it resumes and finishes. */
	*VM_GUEST_PTR(vm, spin_quit) = 1;
	ASSERT_RUN_DONE(r.vcpu);
	EXPECT_EQ(*VM_GUEST_PTR(vm, spin_entries), 1);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */

struct race {
	struct vt_vcpu *vcpu;
	sem_t go, stopped;
	volatile int quit;
	int bad_iter, bad_ret, bad_err;
	uint32_t bad_exit;
	int entered;		/* runs done */
};

static void *race_thread(void *arg)
{
	struct race *rc = arg;

	for (int i = 0; ; i++) {
		int ret;

		while (sem_wait(&rc->go) && errno == EINTR)
			;
		if (rc->quit)
			break;
		ret = vcpu_run(rc->vcpu);
		if ((ret != 0 || rc->vcpu->run->exit_reason != VMEM_EXIT_STOPPED) &&
		    rc->bad_iter < 0) {
			rc->bad_iter = i;
			rc->bad_ret = ret;
			rc->bad_err = errno;
			rc->bad_exit = rc->vcpu->run->exit_reason;
		}
		rc->entered++;
		rc->vcpu->run->stop = 0;
		sem_post(&rc->stopped);
	}
	return NULL;
}

static int test_kick_race_loop(void)
{
	struct timespec ts;
	struct vt_leaks base;
	struct race rc;
	struct vt_vm *vm;
	pthread_t th;
	int i;

	ASSERT_OK(vt_leaks_read(&base));
	memset(&rc, 0, sizeof(rc));
	rc.bad_iter = -1;
	ASSERT_TRUE(vm = spin_vm(&rc.vcpu));
	ASSERT_OK(sem_init(&rc.go, 0, 0));
	ASSERT_OK(sem_init(&rc.stopped, 0, 0));
	ASSERT_EQ(pthread_create(&th, NULL, race_thread, &rc), 0);
	srand(1234);
	for (i = 0; i < RACES; i++) {
		int wait = rand() % 4;

		sem_post(&rc.go);
		/* Kick at once, after a yield, or after a short delay: before,
		 * during and after the entry. */
		if (wait == 1)
			sched_yield();
		else if (wait == 2)
			usleep(rand() % 200);
		if (ioctl(rc.vcpu->fd, VMEM_KICK, 0))
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += WAIT_SECS;
		if (sem_timedwait(&rc.stopped, &ts))
			break;
	}
	if (i < RACES) {
		vt_diag("kick %d of %d was lost (or KICK failed: %s)", i, RACES,
			strerror(errno));
		*VM_GUEST_PTR(vm, spin_quit) = 1;
		for (int k = 0; k < 100; k++) {
			pthread_kill(th, SIGUSR1);
			if (!sem_trywait(&rc.stopped))
				break;
			usleep(10000);
		}
	}
	rc.quit = 1;
	sem_post(&rc.go);
	pthread_join(th, NULL);
	EXPECT_EQ(i, RACES);
	if (rc.bad_iter >= 0)
		FAIL("run %d: VMEM_RUN returned %d (%s) with exit %s, expected STOPPED",
		     rc.bad_iter, rc.bad_ret, vt_errno_name(rc.bad_err),
		     vt_exit_name(rc.bad_exit));
	EXPECT_EQ(rc.entered, RACES);
	/* Still a working vCPU. */
	*VM_GUEST_PTR(vm, spin_quit) = 1;
	ASSERT_RUN_DONE(rc.vcpu);
	sem_destroy(&rc.go);
	sem_destroy(&rc.stopped);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(stop_before_run),
	VT_CASE(kick_before_run_not_lost),
	VT_CASE(kick_spinning_guest),
	VT_CASE(signal_eintr),
	VT_CASE(kick_race_loop),
};

VT_MAIN(cases, setup, NULL)
