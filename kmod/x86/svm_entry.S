/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86/svm_entry.S - the SVM world switch.
 *
 * void __svm_vcpu_run(u64 vmcb_pa, u64 *regs, u64 host_save_pa)
 *
 * Called by svm_vcpu_run() with interrupts off and GIF clear (CLGI), so
 * nothing can interrupt us between the host's VMSAVE and its VMLOAD, even
 * while GS still points at the guest's base.
 *
 *   VMSAVE host_save_pa	host FS, GS, TR, LDTR (hidden parts too),
 *				KernelGSbase, STAR/LSTAR/CSTAR/SFMASK,
 *				SYSENTER_CS/ESP/EIP: VMRUN does not switch
 *				them (APM vol. 2, 15.5.2)
 *   VMLOAD vmcb_pa		the guest's
 *   load GPRs			all but RAX and RSP, which VMRUN loads from
 *				the VMCB
 *   VERW			where the kernel clears CPU buffers before
 *				guest entry (TSA, MDS): VM_CLEAR_CPU_BUFFERS
 *   STI; VMRUN		IF=1 so that with V_INTR_MASKING a physical
 *				interrupt in the guest is an INTR #VMEXIT; GIF=0
 *				keeps it pending until VMRUN sets GIF
 *   CLI			#VMEXIT cleared GIF: nothing was taken
 *   store GPRs; VMSAVE vmcb_pa; VMLOAD host_save_pa
 *   clear scratch GPRs; fill the RSB; untrain RET (Retbleed/SRSO), all
 *				before the first RET: see vmem_compat.h
 *
 * @regs is vcpu->regs, indexed by enum vmem_gpr (instruction-encoding
 * order, checked by a static_assert in svm_vcpu.c).  After #VMEXIT the CPU
 * has restored RSP, RAX (= vmcb_pa), RIP and the rest from the host save
 * area (VM_HSAVE_PA), so the stack is ours again.
 *
 * A fault on VMSAVE/VMLOAD/VMRUN can only mean that SVM was turned off
 * under us by an emergency shutdown path; the machine is going down, so
 * skip the instruction and carry on.  A skipped VMRUN leaves the exit code
 * that svm_vcpu_run() preset, VMEXIT_INVALID.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

#include "vmem_compat.h"

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

/* Saved arguments on the stack after the three pushes below. */
#define SAVED_REGS		0
#define SAVED_VMCB_PA		8
#define SAVED_HOST_SAVE_PA	16

	.text
SYM_FUNC_START(__svm_vcpu_run)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx

	push	%rdx		/* host_save_pa */
	push	%rdi		/* vmcb_pa */
	push	%rsi		/* regs */

	mov	%rdx, %rax
1:	vmsave	%rax
2:
	mov	%rdi, %rax
3:	vmload	%rax
4:
	/* Guest GPRs; RSI, the pointer, last. */
	mov	VCPU_RCX(%rsi), %rcx
	mov	VCPU_RDX(%rsi), %rdx
	mov	VCPU_RBX(%rsi), %rbx
	mov	VCPU_RBP(%rsi), %rbp
	mov	VCPU_RDI(%rsi), %rdi
	mov	VCPU_R8(%rsi), %r8
	mov	VCPU_R9(%rsi), %r9
	mov	VCPU_R10(%rsi), %r10
	mov	VCPU_R11(%rsi), %r11
	mov	VCPU_R12(%rsi), %r12
	mov	VCPU_R13(%rsi), %r13
	mov	VCPU_R14(%rsi), %r14
	mov	VCPU_R15(%rsi), %r15
	mov	VCPU_RSI(%rsi), %rsi

	/* Clobbers ZF only. */
	VM_CLEAR_CPU_BUFFERS

	sti
5:	vmrun	%rax
6:	cli

	/* RAX is the host's again: free to point at @regs. */
	mov	SAVED_REGS(%rsp), %rax
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

	mov	SAVED_VMCB_PA(%rsp), %rax
7:	vmsave	%rax
8:
	/* Host GS base is back: per-CPU data works again after this. */
	mov	SAVED_HOST_SAVE_PA(%rsp), %rax
9:	vmload	%rax
10:
	add	$24, %rsp

	/*
	 * Leave no guest value in a register the caller may use (the
	 * callee-saved ones are popped below), so none can steer
	 * speculation in the host.
	 */
	xor	%eax, %eax
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	/*
	 * No RET and no indirect branch since VMRUN, and none before these:
	 * the guest may have filled the RSB with its own targets and trained
	 * the host's return prediction.  Interrupts stay off (GIF=0) until
	 * the caller's STGI, so no handler's RET comes first either.
	 */
	VMEM_SVM_FILL_RSB %rax
	VMEM_SVM_UNTRAIN_RET

	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET

	_ASM_EXTABLE(1b, 2b)
	_ASM_EXTABLE(3b, 4b)
	_ASM_EXTABLE(5b, 6b)
	_ASM_EXTABLE(7b, 8b)
	_ASM_EXTABLE(9b, 10b)
SYM_FUNC_END(__svm_vcpu_run)
