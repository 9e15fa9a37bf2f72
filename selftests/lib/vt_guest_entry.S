/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vt_guest_entry.S - guest entry point and interrupt stubs of the vmem
 * selftests' guest-code library (64-bit guest code).
 *
 * vt_guest_entry: where vcpu_add() points RIP.  R12 holds the test's
 * guest function, RDI..R9 its arguments, RSP a 16-byte aligned stack top.
 * If CR4.OSXSAVE is set, XCR0 is loaded with vt_guest_xcr0 first (the
 * host computes it from the vCPU's CPUID).  When the function returns,
 * the guest reports UCALL_DONE.
 *
 * vt_guest_isr_stubs: 256 stubs, 16 bytes apart, one per IDT vector.  Each
 * pushes a zero error code where the CPU does not push one, then the
 * vector, and jumps to the common code, which saves the GPRs (the layout
 * of struct vt_ex_regs) and the FXSAVE state, calls
 * vt_guest_route_exception(regs) and returns with IRETQ.
 *
 * Stack alignment: the CPU aligns RSP to 16 before pushing the 40-byte
 * frame, so after error code, vector and 15 GPRs RSP is 16-byte aligned
 * again, as FXSAVE and the C calling convention want.
 */
	.text
	.code64

	.globl vt_guest_entry
	.type vt_guest_entry, @function
vt_guest_entry:
	mov	%rdx, %r13
	mov	%rcx, %r14
	mov	%cr4, %rax
	bt	$18, %rax		/* CR4.OSXSAVE */
	jnc	1f
	mov	vt_guest_xcr0(%rip), %rax
	mov	%rax, %rdx
	shr	$32, %rdx
	xor	%ecx, %ecx
	xsetbv
1:	mov	%r13, %rdx
	mov	%r14, %rcx
	call	*%r12
	call	vt_guest_returned
	ud2
	.size vt_guest_entry, . - vt_guest_entry

	.p2align 4
	.globl vt_guest_isr_stubs
	.type vt_guest_isr_stubs, @function
vt_guest_isr_stubs:
	vector = 0
	.rept 256
	.p2align 4
	.if (vector == 8) || (vector == 10) || (vector == 11) || (vector == 12) || \
	    (vector == 13) || (vector == 14) || (vector == 17) || \
	    (vector == 21) || (vector == 29) || (vector == 30)
	.else
	pushq	$0
	.endif
	pushq	$vector
	jmp	vt_guest_isr_common
	vector = vector + 1
	.endr
	.size vt_guest_isr_stubs, . - vt_guest_isr_stubs

	.type vt_guest_isr_common, @function
vt_guest_isr_common:
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%r11
	push	%r10
	push	%r9
	push	%r8
	push	%rbp
	push	%rdi
	push	%rsi
	push	%rdx
	push	%rcx
	push	%rbx
	push	%rax
	mov	%rsp, %rdi
	sub	$512, %rsp
	fxsave64 (%rsp)
	cld
	call	vt_guest_route_exception
	fxrstor64 (%rsp)
	add	$512, %rsp
	pop	%rax
	pop	%rbx
	pop	%rcx
	pop	%rdx
	pop	%rsi
	pop	%rdi
	pop	%rbp
	pop	%r8
	pop	%r9
	pop	%r10
	pop	%r11
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	add	$16, %rsp		/* vector, error code */
	iretq
	.size vt_guest_isr_common, . - vt_guest_isr_common

	.section .note.GNU-stack, "", @progbits
