// SPDX-License-Identifier: GPL-2.0
/*
 * vm_lifetime - object lifetimes: a VMM killed (SIGKILL) while two vCPU
 * threads are in VMEM_RUN, or exiting with everything open, leaves
 * nothing behind; the VM fd, vCPU fds, the guest-memory mapping and the
 * run-area mapping can be closed in every one of the 24 orders after a
 * guest ran; a vCPU keeps running after its VM fd is closed; a mapping
 * keeps the guest's memory readable after every fd is closed; many VMs
 * created and destroyed in a row leak nothing.
 *
 * "Nothing behind" is the module's leak counters in debugfs
 * (/sys/kernel/debug/vmem/{pages,objects}) back at their value before
 * (bounded wait).  The kernel must provide Documentation/api.rst section 1
 * "File descriptors and lifetime".
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

static volatile uint64_t spin_started[2];

static int setup(void)
{
	return vt_require_vm(VMEM_VM_MMU_AUTO);
}

static void guest_spin(uint64_t id)
{
	spin_started[id] = 1;
	for (;;)
		__asm__ __volatile__("" ::: "memory");
}

static void guest_sync_done(void)
{
	*(volatile uint64_t *)0x3000000 = 0x600dcafe;
	GUEST_SYNC(1);
	GUEST_DONE();
}

static void *spin_thread(void *arg)
{
	vcpu_run(arg);
	return NULL;
}

/* The child: two vCPUs spinning in VMEM_RUN, then a byte on @fd. */
static void spinning_child(int fd)
{
	struct vt_vcpu *v0, *v1;
	struct vt_vm *vm;
	pthread_t th;

	vm = vm_create(VMEM_VM_MMU_AUTO);
	if (!vm)
		_exit(10);
	v0 = vcpu_add(vm, 0, guest_spin);
	v1 = vcpu_add(vm, 1, guest_spin);
	if (!v0 || !v1 || vcpu_args_set(v0, 1, 0) || vcpu_args_set(v1, 1, 1))
		_exit(11);
	if (pthread_create(&th, NULL, spin_thread, v1))
		_exit(12);
	if (pthread_create(&th, NULL, spin_thread, v0))
		_exit(12);
	while (!*VM_GUEST_PTR(vm, spin_started[0]) ||
	       !*VM_GUEST_PTR(vm, spin_started[1]))
		usleep(1000);
	if (write(fd, "x", 1) != 1)
		_exit(13);
	for (;;)
		pause();
}

static int test_vmm_killed_mid_run(void)
{
	struct vt_leaks base, during;
	int pfd[2], status;
	pid_t pid;
	char c;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_OK(pipe(pfd));
	fflush(stdout);
	ASSERT_OK(pid = fork());
	if (pid == 0) {
		close(pfd[0]);
		spinning_child(pfd[1]);
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1) {
		waitpid(pid, &status, 0);
		FAIL("the child did not get its guests running (exit status 0x%x)",
		     status);
	}
	close(pfd[0]);
	usleep(100000);
	ASSERT_OK(vt_leaks_read(&during));
	EXPECT_TRUE(during.pages > base.pages);
	ASSERT_OK(kill(pid, SIGKILL));
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static int test_exit_with_everything_open(void)
{
	struct vt_leaks base;
	int status;
	pid_t pid;

	ASSERT_OK(vt_leaks_read(&base));
	fflush(stdout);
	ASSERT_OK(pid = fork());
	if (pid == 0) {
		struct vt_vcpu *v;
		struct vt_vm *vm = vm_create(VMEM_VM_MMU_AUTO);

		if (!vm || !(v = vcpu_add(vm, 0, guest_sync_done)))
			_exit(10);
		if (vcpu_run_ucall(v, NULL) != UCALL_SYNC)
			_exit(11);
		_exit(0);	/* fds, mappings, a pending exit: all open */
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */

enum obj { VCPU_FD, VM_FD, MEM_MAP, RUN_MAP, NR_OBJS };

static const char *const obj_names[] = {
	[VCPU_FD] = "vCPU fd", [VM_FD] = "VM fd",
	[MEM_MAP] = "memory mapping", [RUN_MAP] = "run mapping",
};

static void release(struct vt_vm *vm, struct vt_vcpu *v, enum obj o)
{
	switch (o) {
	case VCPU_FD:
		close(v->fd);
		v->fd = -1;
		break;
	case VM_FD:
		close(vm->fd);
		vm->fd = -1;
		break;
	case MEM_MAP:
		for (int i = 0; i < VT_MAX_SLOTS; i++) {
			if (vm->slots[i].used) {
				munmap(vm->slots[i].hva, vm->slots[i].size);
				vm->slots[i].hva = NULL;
				vm->slots[i].size = 0;
			}
		}
		break;
	case RUN_MAP:
		munmap(v->run, v->run_size);
		v->run = NULL;
		break;
	default:
		break;
	}
}

static int one_order(const enum obj *order)
{
	struct vt_leaks base;
	struct vt_vcpu *v;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(v = vcpu_add(vm, 0, guest_sync_done));
	ASSERT_RUN_SYNC(v, 1);
	for (int i = 0; i < NR_OBJS; i++) {
		release(vm, v, order[i]);
		/* What is left still works. */
		if (vm->slots[0].hva)
			EXPECT_EQ(*(volatile uint64_t *)vm_gpa2hva(vm, 0x3000000),
				  0x600dcafe);
		if (v->run)
			EXPECT_EQ(v->run->exit_reason, VMEM_EXIT_IO);
		if (vt_case_failed()) {
			vt_diag("after releasing the %s (step %d)",
				obj_names[order[i]], i + 1);
			break;
		}
	}
	/* vm_free() closes nothing twice: everything is released. */
	for (int i = 0; i < VT_MAX_VCPUS; i++) {
		free(vm->vcpus[i]);
		vm->vcpus[i] = NULL;
	}
	for (int i = 0; i < VT_MAX_SLOTS; i++) {
		free(vm->slots[i].touched);
		vm->slots[i].touched = NULL;
		vm->slots[i].used = false;
	}
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static int test_close_in_every_order(void)
{
	enum obj order[NR_OBJS];
	int n = 0;

	/* All 24 permutations of the four objects. */
	for (int a = 0; a < NR_OBJS; a++)
		for (int b = 0; b < NR_OBJS; b++)
			for (int c = 0; c < NR_OBJS; c++)
				for (int d = 0; d < NR_OBJS; d++) {
					if (a == b || a == c || a == d ||
					    b == c || b == d || c == d)
						continue;
					order[0] = a;
					order[1] = b;
					order[2] = c;
					order[3] = d;
					n++;
					if (one_order(order) != VT_PASS ||
					    vt_case_failed()) {
						vt_diag("order: %s, %s, %s, %s",
							obj_names[a], obj_names[b],
							obj_names[c], obj_names[d]);
						return VT_FAIL;
					}
				}
	ASSERT_EQ(n, 24);
	return VT_PASS;
}

static int test_vcpu_runs_after_vm_fd_closed(void)
{
	struct vt_leaks base;
	struct vt_vcpu *v;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(v = vcpu_add(vm, 0, guest_sync_done));
	ASSERT_OK(close(vm->fd));
	vm->fd = -1;
	ASSERT_RUN_SYNC(v, 1);
	ASSERT_RUN_DONE(v);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static int test_many_vms(void)
{
	struct vt_leaks base;

	ASSERT_OK(vt_leaks_read(&base));
	for (int i = 0; i < 30; i++) {
		struct vt_vcpu *v;
		struct vt_vm *vm;

		ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
		ASSERT_TRUE(v = vcpu_add(vm, 0, guest_sync_done));
		ASSERT_RUN_SYNC(v, 1);
		ASSERT_RUN_DONE(v);
		vm_free(vm);
	}
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(vcpu_runs_after_vm_fd_closed),
	VT_CASE(close_in_every_order),
	VT_CASE(many_vms),
	VT_CASE(exit_with_everything_open),
	VT_CASE(vmm_killed_mid_run),
};

VT_MAIN(cases, setup, NULL)
