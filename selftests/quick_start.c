// SPDX-License-Identifier: GPL-2.0
/*
 * quick_start - the quick start of Documentation/api.rst (section 3),
 * compiled from the document itself (the build extracts the code between
 * ".. quick-start-begin" and ".. quick-start-end" into quick_start_doc.c)
 * and run as written: real mode and long mode each print "Hi".  Also the
 * rule section 3 states: a real-mode segment base other than selector * 16
 * is used as given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vt.h"
#include "vt_util.h"

#define main quick_start_doc_main
#include "quick_start_doc.c"
#undef main

/*
 * Run the document's main() with @mode in a child, its stdout into a
 * pipe: returns its exit status, the output in @out.
 */
static int run_doc(const char *mode, char *out, size_t size)
{
	char *argv[] = { "quick_start", (char *)mode, NULL };
	int fds[2], st;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	if (pipe(fds))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		st = quick_start_doc_main(mode ? 2 : 1, argv);
		fflush(stdout);
		_exit(st);
	}
	close(fds[1]);
	while (n + 1 < size && (r = read(fds[0], out + n, size - 1 - n)) > 0)
		n += r;
	out[n] = 0;
	close(fds[0]);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int setup(void)
{
	return vt_require_dev();
}

static int expect_hi(const char *mode)
{
	char out[256];
	int st = run_doc(mode, out, sizeof(out));

	if (st == 4)
		return vt_skip("%s mode: not on this host", mode ? mode : "real");
	EXPECT_EQ(st, 0);
	if (strcmp(out, "Hi\n"))
		vt_fail_at(__FILE__, __LINE__, "the guest wrote \"%s\"", out);
	return VT_PASS;
}

static int test_real_mode_as_documented(void)
{
	return expect_hi(NULL);
}

static int test_long_mode_as_documented(void)
{
	return expect_hi("long");
}

/* Real mode with CS.base 0 but CS.selector 0x100 (not 0x1000 / 16). */
static int test_real_mode_base_is_used_as_given(void)
{
	int sys, vm, vcpu, real, rsize;
	struct vmem_memslot slot = { .slot = 0, .gpa = 0, .size = RAM_SIZE };
	struct vmem_regs regs = { .rip = CODE_GPA, .rflags = 0x2 };
	struct vmem_sregs sregs;
	struct vmem_run *run;
	uint8_t *ram;

	ASSERT_OK(sys = open("/dev/vmem", O_RDWR | O_CLOEXEC));
	real = ioctl(sys, VMEM_CHECK_EXTENSION, VMEM_CAP_REAL_MODE);
	rsize = ioctl(sys, VMEM_CHECK_EXTENSION, VMEM_CAP_RUN_SIZE);
	if (real <= 0) {
		close(sys);
		SKIP("no real mode on this host");
	}
	ASSERT_OK(vm = ioctl(sys, VMEM_CREATE_VM, real & VMEM_VM_MMU_HW ?
			     VMEM_VM_MMU_HW : VMEM_VM_MMU_SHADOW));
	ASSERT_OK(ioctl(vm, VMEM_SET_MEMSLOT, &slot));
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, vm, 0);
	ASSERT_TRUE(ram != MAP_FAILED);
	memcpy(ram + CODE_GPA, code16, sizeof(code16));
	ASSERT_OK(vcpu = ioctl(vm, VMEM_CREATE_VCPU, 0));
	run = mmap(NULL, rsize, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ASSERT_TRUE(run != MAP_FAILED);
	ASSERT_OK(ioctl(vcpu, VMEM_GET_SREGS, &sregs));
	sregs.cs.selector = 0x100;
	sregs.cs.base = 0;
	ASSERT_OK(ioctl(vcpu, VMEM_SET_SREGS, &sregs));
	ASSERT_OK(ioctl(vcpu, VMEM_SET_REGS, &regs));
	/* The first OUT is 'H' at port 0x3f8: the code ran from base 0. */
	ASSERT_OK(ioctl(vcpu, VMEM_RUN, 0));
	EXPECT_EQ(run->exit_reason, VMEM_EXIT_IO);
	EXPECT_EQ(run->io.port, 0x3f8);
	EXPECT_EQ(*((uint8_t *)run + run->io.data_offset), 'H');
	ASSERT_OK(ioctl(vcpu, VMEM_GET_SREGS, &sregs));
	EXPECT_EQ(sregs.cs.selector, 0x100);
	EXPECT_EQ(sregs.cs.base, 0);
	munmap(run, rsize);
	munmap(ram, RAM_SIZE);
	close(vcpu);
	close(vm);
	close(sys);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(real_mode_as_documented),
	VT_CASE(long_mode_as_documented),
	VT_CASE(real_mode_base_is_used_as_given),
};

VT_MAIN(cases, setup, NULL)
