/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86/vmx_entry.S - VMLAUNCH/VMRESUME, and the host NMI trampoline.
 *
 * int __vmx_vcpu_run(u64 *regs, unsigned long resume,
 *		      unsigned long *host_rsp)
 *
 * Called by vmx_vcpu_run() with interrupts off and the vCPU's VMCS current.
 * The VMCS's HOST_RIP is __vmx_vmexit, which sits right behind VMRESUME;
 * HOST_RSP is the stack pointer at VMLAUNCH/VMRESUME.  So the two ways out
 * of the entry instruction meet at one place with the same stack:
 *
 *   - a VM exit: the CPU loads the host state (RSP = HOST_RSP, RIP =
 *     __vmx_vmexit, RFLAGS = 0x2: CF and ZF clear);
 *   - VMfail: the instruction falls through (VMLAUNCH jumps over
 *     VMRESUME) with CF set (VMfailInvalid) or ZF set (VMfailValid).
 *
 * Straight-line code, as objtool sees it, is then also what the CPU does,
 * and no unwind hints are needed.  The guest GPRs are stored back on both
 * paths; after a VMfail they are the values just loaded.
 *
 * @regs is vcpu->regs, indexed by enum vmem_gpr (instruction-encoding
 * order, checked by a static_assert in vmx_vcpu.c); RSP lives in the VMCS.
 *
 * After the exit: RSB stuffing before the first RET (a guest must not
 * steer host returns, Spectre-RSB), the legacy-IBRS rewrite of SPEC_CTRL
 * before that RET too, the branch-history clearing sequence
 * where the kernel uses it on VM exit, and no guest value left in a
 * scratch register.  Before the entry: VERW where the kernel clears CPU
 * buffers before VM entry (MDS/MMIO stale data).
 *
 * A fault of VMLAUNCH/VMRESUME can only mean VMX went off under us (the
 * emergency path): reported as VMX_RUN_FAULT.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/ibt.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/percpu.h>
#include <asm/segment.h>

#include "vmem_compat.h"
#include "vmx.h"

#define VCPU_RAX	(0 * 8)
#define VCPU_RCX	(1 * 8)
#define VCPU_RDX	(2 * 8)
#define VCPU_RBX	(3 * 8)
#define VCPU_RBP	(5 * 8)
#define VCPU_RSI	(6 * 8)
#define VCPU_RDI	(7 * 8)
#define VCPU_R8		(8 * 8)
#define VCPU_R9		(9 * 8)
#define VCPU_R10	(10 * 8)
#define VCPU_R11	(11 * 8)
#define VCPU_R12	(12 * 8)
#define VCPU_R13	(13 * 8)
#define VCPU_R14	(14 * 8)
#define VCPU_R15	(15 * 8)

	.text
SYM_FUNC_START(__vmx_vcpu_run)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdi		/* @regs, for the way back */

	/*
	 * HOST_RSP is this RSP.  It only changes when RUN comes from
	 * another thread (another kernel stack), so compare first: a VMWRITE
	 * costs more than a load.
	 */
	cmp	%rsp, (%rdx)
	je	1f
	mov	%rsp, (%rdx)
	mov	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
1:
	/* CF = @resume: survives the loads below and VERW (ZF only). */
	bt	$0, %esi

	mov	%rdi, %rax
	mov	VCPU_RCX(%rax), %rcx
	mov	VCPU_RDX(%rax), %rdx
	mov	VCPU_RBX(%rax), %rbx
	mov	VCPU_RBP(%rax), %rbp
	mov	VCPU_RSI(%rax), %rsi
	mov	VCPU_RDI(%rax), %rdi
	mov	VCPU_R8(%rax), %r8
	mov	VCPU_R9(%rax), %r9
	mov	VCPU_R10(%rax), %r10
	mov	VCPU_R11(%rax), %r11
	mov	VCPU_R12(%rax), %r12
	mov	VCPU_R13(%rax), %r13
	mov	VCPU_R14(%rax), %r14
	mov	VCPU_R15(%rax), %r15
	mov	VCPU_RAX(%rax), %rax

	VM_CLEAR_CPU_BUFFERS

	jc	.Lresume
.Llaunch:
	vmlaunch
	jmp	.Lexited
.Lresume:
	vmresume
SYM_INNER_LABEL(__vmx_vmexit, SYM_L_GLOBAL)
	ENDBR
.Lexited:
	/* Flags: VMfail's CF/ZF, or all clear after a VM exit.  MOV and
	 * PUSH/POP leave them alone. */
	push	%rax
	mov	8(%rsp), %rax
	pop	VCPU_RAX(%rax)
	mov	%rcx, VCPU_RCX(%rax)
	mov	%rdx, VCPU_RDX(%rax)
	mov	%rbx, VCPU_RBX(%rax)
	mov	%rbp, VCPU_RBP(%rax)
	mov	%rsi, VCPU_RSI(%rax)
	mov	%rdi, VCPU_RDI(%rax)
	mov	%r8, VCPU_R8(%rax)
	mov	%r9, VCPU_R9(%rax)
	mov	%r10, VCPU_R10(%rax)
	mov	%r11, VCPU_R11(%rax)
	mov	%r12, VCPU_R12(%rax)
	mov	%r13, VCPU_R13(%rax)
	mov	%r14, VCPU_R14(%rax)
	mov	%r15, VCPU_R15(%rax)

	mov	$VMX_RUN_EXIT, %ebx
	ja	.Lresult		/* CF=0 and ZF=0: a VM exit */
	mov	$VMX_RUN_FAIL_VALID, %ebx
	jnc	.Lresult		/* ZF: VMfailValid */
	mov	$VMX_RUN_FAIL_INVALID, %ebx
	jmp	.Lresult

.Lfault:
	/* @regs still holds what was loaded: nothing to store. */
	mov	$VMX_RUN_FAULT, %ebx

.Lresult:
	/*
	 * No guest value in a register from here on (the callee-saved ones
	 * are popped below, RBX carries the result).
	 */
	xor	%eax, %eax
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%ebp, %ebp
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	xor	%r14d, %r14d
	xor	%r15d, %r15d

	/* Before any RET: the guest may have filled the RSB with its own. */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE

	/*
	 * Legacy IBRS protects only once written after the guest ran, and
	 * that must happen before the first unbalanced RET, as KVM's
	 * vmx_spec_ctrl_restore_host() does.  The guest cannot write
	 * SPEC_CTRL itself (the core intercepts it), so the value is the
	 * host's; the high half is zero, as KVM assumes too.  The host GS
	 * base is back (VM exit loads it), so per-CPU data is reachable.
	 */
	ALTERNATIVE "jmp .Lspec_ctrl_done", "", X86_FEATURE_KERNEL_IBRS
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	xor	%edx, %edx
	mov	PER_CPU_VAR(x86_spec_ctrl_current), %eax
	wrmsr
.Lspec_ctrl_done:

	CLEAR_BRANCH_HISTORY_VMEXIT

	mov	%ebx, %eax
	add	$8, %rsp	/* @regs */
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET

	_ASM_EXTABLE(.Llaunch, .Lfault)
	_ASM_EXTABLE(.Lresume, .Lfault)
SYM_FUNC_END(__vmx_vcpu_run)

/*
 * void __vmx_do_nmi(void)
 *
 * An NMI that arrived in the guest made a VM exit (NMI exiting) and left
 * NMIs blocked on this CPU.  Hand it to the kernel's NMI handler as if it
 * had arrived here: build the interrupt frame the CPU would (SS, RSP,
 * RFLAGS, CS, then the return address by CALL) and enter the handler's
 * non-IST entry point the kernel exports for this (VMEM_NMI_ENTRY, see
 * vmem_compat.h), whose IRET unblocks NMIs again.  As KVM does.
 */
SYM_FUNC_START(__vmx_do_nmi)
	push	%rbp
	mov	%rsp, %rbp
	/* The CPU aligns the stack to 16 bytes before pushing a frame. */
	and	$-16, %rsp
	push	$__KERNEL_DS
	push	%rbp
	pushf
	push	$__KERNEL_CS
	call	VMEM_NMI_ENTRY
	/* IRET already restored RSP; objtool does not know it did. */
	mov	%rbp, %rsp
	pop	%rbp
	RET
SYM_FUNC_END(__vmx_do_nmi)
