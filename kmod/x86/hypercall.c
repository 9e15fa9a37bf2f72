// SPDX-License-Identifier: GPL-2.0
/*
 * x86/hypercall.c - VMMCALL/VMCALL for both backends: the hypercalls vmem
 * answers in the kernel, and the exit to the VMM for every other one.
 *
 * As in KVM, a guest kernel gets a few answers without a round trip to
 * userspace: a no-op (what a guest or a benchmark uses to measure the
 * cost of a hypercall), the interface's feature bits, the VM's memory
 * figures.  Unlike KVM's, vmem's numbers live in one reserved range
 * (VMEM_HC_BASE, "VM" in ASCII), so that every number a VMM gives a
 * meaning to still reaches it, and a VMM that wants them all turns the
 * class off per VM (VMEM_HYPERCALLS), as KVM_CAP_EXIT_HYPERCALL lets a
 * VMM take over KVM's.  Documentation/api.rst 5.7 is the guest's
 * contract.
 *
 * The answers need no sleep and no lock: the memory figures are the VM's
 * own counters, read atomically.  VMEM_GET_VM_STATS walks the p2m under
 * the sharing daemon's host-wide lock for Consumed and Shared; a guest
 * calling in a loop must not be able to make vmem do that.
 *
 * The register conventions are KVM's: the number in RAX, arguments from
 * RBX, the result in RAX; outside 64-bit mode only the low 32 bits of
 * each count and every register written is zero-extended from 32 bits.
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <asm/msr-index.h>

#include <linux/vmem.h>

#include "vmem_backend.h"
#include "vmem_vm.h"
#include "hypercall.h"

static_assert(sizeof(struct vmem_hypercalls) == 32);

#define VMEM_HC_BIT(nr)		BIT_ULL((nr) - VMEM_HC_BASE)
#define VMEM_HC_ANSWERED	(VMEM_HC_BIT(VMEM_HC_PING) |		\
				 VMEM_HC_BIT(VMEM_HC_FEATURES) |	\
				 VMEM_HC_BIT(VMEM_HC_MEM_INFO))

/* Results must stay positive as 32-bit values too (32-bit guests). */
static_assert(VMEM_HC_ANSWERED <= S32_MAX);

u64 vmem_hypercall_features(void)
{
	return VMEM_HC_ANSWERED;
}

/*
 * VMEM_HC_MEM_INFO: RBX is a flags word, zero today, so the call can take
 * options later without a new number.
 */
static s64 vmem_hc_mem_info(struct vmem_vcpu *vcpu, u64 mask)
{
	struct vmem_vm *vm = vcpu->vm;
	u64 *g = vcpu->regs;

	if (g[VMEM_RBX] & mask)
		return -VMEM_HC_EINVAL;
	g[VMEM_RBX] = READ_ONCE(vm->configured) & mask;
	g[VMEM_RCX] = atomic_long_read(&vm->granted) & mask;
	return 0;
}

/* A number inside the range: the answer for RAX. */
static s64 vmem_hc_answer(struct vmem_vcpu *vcpu, u64 nr, u64 mask)
{
	switch (nr) {
	case VMEM_HC_PING:
		return 0;
	case VMEM_HC_FEATURES:
		return VMEM_HC_ANSWERED;
	case VMEM_HC_MEM_INFO:
		return vmem_hc_mem_info(vcpu, mask);
	default:
		return -VMEM_HC_ENOSYS;
	}
}

/*
 * The VMM's hypercall: it answers run->hypercall.ret, which the next
 * VMEM_RUN writes to RAX as it moves RIP on (vmem_complete_pending()).
 * The registers go as they are, all 64 bits: the VMM owns the meaning of
 * its numbers, the guest's mode included.
 */
static int vmem_hypercall_to_vmm(struct vmem_vcpu *vcpu,
				 unsigned int insn_len)
{
	struct vmem_run *run = vcpu->run;
	u64 *g = vcpu->regs;

	run->exit_reason = VMEM_EXIT_HYPERCALL;
	run->hypercall.nr = g[VMEM_RAX];
	run->hypercall.args[0] = g[VMEM_RBX];
	run->hypercall.args[1] = g[VMEM_RCX];
	run->hypercall.args[2] = g[VMEM_RDX];
	run->hypercall.args[3] = g[VMEM_RSI];
	run->hypercall.args[4] = g[VMEM_RDI];
	run->hypercall.ret = 0;
	vcpu->pending = VMEM_PENDING_HYPERCALL;
	vcpu->pending_next_rip = vcpu->rip + insn_len;
	return 0;
}

/*
 * 64-bit mode: CS.L with EFER.LMA (CS.L alone may be a stale descriptor
 * bit in legacy mode).  Not vmem_code_size(): it reads every segment and
 * control register, a VMREAD each on VMX, at every hypercall.
 */
static bool vmem_hc_64bit(struct vmem_vcpu *vcpu)
{
	struct vmem_segment cs;
	u64 efer;

	vmem_backend->get_segment(vcpu, &cs, VMEM_SEG_CS);
	if (!cs.l)
		return false;
	return !vmem_backend->get_msr(vcpu, MSR_EFER, &efer) &&
	       (efer & EFER_LMA);
}

/*
 * Hypercalls belong to the guest kernel: from CPL > 0 neither vmem nor
 * the VMM answers, whatever the number and the VM's setting, and RAX gets
 * -VMEM_HC_EPERM (KVM's -KVM_EPERM), so a guest's user space cannot reach
 * the VMM's device models this way.
 */
bool vmem_exit_hypercall_fast(struct vmem_vcpu *vcpu, unsigned int insn_len)
{
	bool cpl0 = vmem_backend->get_cpl(vcpu) == 0;
	u64 mask, nr;
	s64 ret;

	if (cpl0 && READ_ONCE(vcpu->vm->hypercalls_off))
		return false;

	/* The number as the guest wrote it: EAX outside 64-bit mode. */
	mask = vmem_hc_64bit(vcpu) ? U64_MAX : U32_MAX;
	nr = vcpu->regs[VMEM_RAX] & mask;
	if (!cpl0)
		ret = -VMEM_HC_EPERM;
	else if (nr - VMEM_HC_BASE >= VMEM_HC_RANGE)
		return false;
	else
		ret = vmem_hc_answer(vcpu, nr, mask);

	vcpu->regs[VMEM_RAX] = (u64)ret & mask;
	/* EIP wraps at 4 GiB outside 64-bit mode, as KVM's skip does. */
	vcpu->rip = (vcpu->rip + insn_len) & mask;
	return true;
}

int vmem_exit_hypercall(struct vmem_vcpu *vcpu, unsigned int insn_len)
{
	if (vmem_exit_hypercall_fast(vcpu, insn_len))
		return 1;
	return vmem_hypercall_to_vmm(vcpu, insn_len);
}

long vmem_hypercalls_ioctl(struct vmem_vm *vm, struct vmem_hypercalls *hc)
{
	unsigned int i;

	if (hc->flags & ~VMEM_HYPERCALLS_SET_ENABLE)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(hc->reserved); i++)
		if (hc->reserved[i])
			return -EINVAL;
	if (hc->flags & VMEM_HYPERCALLS_SET_ENABLE) {
		if (hc->enable > 1)
			return -EINVAL;
		/* Running vCPUs see it at their next hypercall. */
		WRITE_ONCE(vm->hypercalls_off, !hc->enable);
	}
	hc->enable = !READ_ONCE(vm->hypercalls_off);
	return 0;
}
