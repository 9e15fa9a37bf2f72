// SPDX-License-Identifier: GPL-2.0
/*
 * walker_errors - the guest page-table walk of the shadow MMU meets the
 * VM's resource conditions: VMEM_RUN returns the errno api.rst 4.9 gives
 * for them (EIO, EDQUOT), never an internal-error exit, and a VM whose
 * limit is raised again goes on.
 *
 * How the walk is made to need a page: the VM's limit is set to what it
 * holds, then the VMM writes 16 MiB of a data slot through its mapping,
 * so that reclaim's clock hand (which starts at the lowest backing index)
 * swaps out every page the library wrote first, the guest's page tables
 * among them.  The vCPU's first entry then faults on its first
 * instruction and the shadow MMU walks those tables: reading them back
 * fails with EIO when the swap file was truncated behind vmem's back, and
 * bringing them back in is EDQUOT when the limit was lowered to 0 (no
 * page left to reclaim).  The same runs on a hardware-MMU VM, where the
 * CPU's walk makes the nested fault that meets the same conditions.
 *
 * Needs root and the "vmem" netlink family (limits are set through it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vmem.h>
#include <linux/vmem_netlink.h>

#include "nl_util.h"
#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

#define DATA_GPA	(1ull << 30)
#define DATA_SIZE	(16ull << 20)

static struct nlt_sock nl;
static struct nlt_reply R;

static uint32_t vm_id(struct vt_vm *vm)
{
	int id = ioctl(vm->fd, VMEM_GET_VM_ID, 0);

	return id > 0 ? (uint32_t)id : 0;
}

static int vm_set_limit(struct vt_vm *vm, uint64_t pages)
{
	struct nlt_msg m;

	nlt_init(&m, &nl, VMEM_CMD_VM_SET, 0);
	nlt_put_u32(&m, VMEM_A_VM_ID, vm_id(vm));
	nlt_put_u64(&m, VMEM_A_LIMIT, pages);
	return nlt_call(&nl, &m, &R);
}

static void guest_done(void)
{
	GUEST_DONE();
}

enum condition { TRUNCATED_SWAP, NO_ROOM };

/*
 * A VM of @mmu whose page tables are swapped out, with a vCPU about to
 * run; the swap file's fd in *@swap_fd.
 */
static struct vt_vm *vm_tables_out(unsigned int mmu, struct vt_vcpu **vcpu,
				   int *swap_fd)
{
	char path[] = "/tmp/vmem-walk-XXXXXX";
	struct vmem_vm_stats st = { 0 };
	struct vmem_swap_file sf;
	volatile uint64_t *p;
	struct vt_vm *vm;

	vm = vm_create(mmu);
	if (!vm)
		return NULL;
	*swap_fd = mkstemp(path);
	if (*swap_fd < 0)
		goto fail;
	unlink(path);
	sf = (struct vmem_swap_file){ .fd = *swap_fd };
	if (vm_add_slot(vm, 1, DATA_GPA, DATA_SIZE, 0) ||
	    ioctl(vm->fd, VMEM_SET_SWAP_FILE, &sf))
		goto fail_fd;
	*vcpu = vcpu_add(vm, 0, guest_done);
	if (!*vcpu || vm_get_stats(vm, &st))
		goto fail_fd;
	if (vm_set_limit(vm, st.consumed + (st.consumed_frac ? 1 : 0)))
		goto fail_fd;
	p = vm_gpa2hva(vm, DATA_GPA);
	for (uint64_t i = 0; i < DATA_SIZE / 8; i += 512)
		p[i] = i | 1;
	memset(&st, 0, sizeof(st));
	if (vm_get_stats(vm, &st))
		goto fail_fd;
	vt_diag("%s VM: %llu pages swapped out", mmu == VMEM_VM_MMU_SHADOW ?
		"shadow" : "hw", (unsigned long long)st.swapped);
	return vm;
fail_fd:
	close(*swap_fd);
fail:
	vm_free(vm);
	return NULL;
}

static int walk_meets(unsigned int mmu, enum condition cond)
{
	struct vt_vcpu *vcpu = NULL;
	struct vt_leaks base;
	int fd = -1, ret, err;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	vm = vm_create(mmu);
	if (!vm && errno == EOPNOTSUPP)
		SKIP("no %s MMU here", mmu == VMEM_VM_MMU_SHADOW ?
		     "shadow" : "hardware");
	vm_free(vm);
	ASSERT_TRUE(vm = vm_tables_out(mmu, &vcpu, &fd));

	if (cond == TRUNCATED_SWAP)
		ASSERT_OK(ftruncate(fd, 0));
	else
		ASSERT_EQ(vm_set_limit(vm, 0), 0);
	errno = 0;
	ret = vcpu_run(vcpu);
	err = errno;
	vt_diag("RUN: %d, errno %s, exit reason %u", ret, vt_errno_name(err),
		vcpu->run->exit_reason);
	EXPECT_EQ(ret, -1);
	EXPECT_EQ(err, cond == TRUNCATED_SWAP ? EIO : EDQUOT);
	EXPECT_NE(vcpu->run->exit_reason, VMEM_EXIT_INTERNAL);

	if (cond == NO_ROOM) {
		/* Room again: the guest goes on where it was. */
		ASSERT_EQ(vm_set_limit(vm, VMEM_UNLIMITED), 0);
		ASSERT_RUN_DONE(vcpu);
	}
	vm_free(vm);
	close(fd);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static int test_shadow_walk_swap_eio(void)
{
	return walk_meets(VMEM_VM_MMU_SHADOW, TRUNCATED_SWAP);
}

static int test_shadow_walk_limit_edquot(void)
{
	return walk_meets(VMEM_VM_MMU_SHADOW, NO_ROOM);
}

static int test_hw_walk_swap_eio(void)
{
	return walk_meets(VMEM_VM_MMU_HW, TRUNCATED_SWAP);
}

static int test_hw_walk_limit_edquot(void)
{
	return walk_meets(VMEM_VM_MMU_HW, NO_ROOM);
}

static int setup(void)
{
	int r = vt_require_vm(VMEM_VM_MMU_AUTO);

	return r == VT_PASS ? nlt_require(&nl) : r;
}

static void teardown(void)
{
	nlt_close(&nl);
}

static const struct vt_case cases[] = {
	VT_CASE(shadow_walk_swap_eio),
	VT_CASE(shadow_walk_limit_edquot),
	VT_CASE(hw_walk_swap_eio),
	VT_CASE(hw_walk_limit_edquot),
};

VT_MAIN(cases, setup, teardown)
