// SPDX-License-Identifier: GPL-2.0
/*
 * modes - guests in real mode, 32-bit protected mode (with and without
 * paging) and 64-bit mode run and report, and a guest that boots itself
 * from real mode to long mode.
 *
 * The kernel must provide: VM and vCPU creation, memory slots (RAM and
 * read-only), GET/SET_REGS and SREGS in every mode, the vCPU reset state
 * of the backend contract (real mode, CS:IP f000:fff0), port I/O and HLT
 * exits, and guest writes of CR0/CR3/CR4 and EFER (WRMSR) for the boot.
 * The library's own plumbing is tested too: a failed GUEST_ASSERT and an
 * unhandled guest exception reach the host with file, line, vector, RIP.
 *
 * 16- and 32-bit code is assembled here (.code16/.code32 blobs) and copied
 * to low guest memory; the blobs report through OUT to REPORT_PORT: 0x600d
 * for success, 0xbad0 + n for check n failing, then HLT.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

#define REPORT_PORT	0x11
#define VALUE_PORT	0x10
#define GOOD		0x600d

#define RM_LOAD		0x7c00
#define PM_LOAD		0x8000
#define BOOT_LOAD	0x9000
#define BOOT_GDTR	0x0500
#define BOOT_IDTR	0x0510

extern const char rm_start[], rm_end[];
extern const char pm_start[], pm_end[];
extern const char boot_start[], boot_end[];

__asm__(
	".pushsection .rodata.vt_blobs, \"a\"\n"

	/* Real mode, loaded at 0:0x7c00.  Clobbers everything. */
	".code16\n"
	"rm_start:\n"
	"	cli\n"
	"	xor %ax, %ax\n"
	"	mov %ax, %ds\n"
	"	mov %ax, %ss\n"
	"	mov $0x7000, %sp\n"
	/* 1: 16-bit wraparound */
	"	mov $0xffff, %ax\n"
	"	inc %ax\n"
	"	mov $0xbad1, %dx\n"
	"	jnz 9f\n"
	/* 2: segment arithmetic: 1000:0234 and 1023:0004 are both 0x10234 */
	"	mov $0x1000, %bx\n"
	"	mov %bx, %es\n"
	"	movw $0xbeef, %es:0x0234\n"
	"	mov $0x1023, %bx\n"
	"	mov %bx, %ds\n"
	"	mov 0x0004, %cx\n"
	"	xor %bx, %bx\n"
	"	mov %bx, %ds\n"
	"	mov $0xbad2, %dx\n"
	"	cmp $0xbeef, %cx\n"
	"	jne 9f\n"
	/* 3: near call/ret and push/pop on SS:SP */
	"	mov $0x5555, %ax\n"
	"	call 8f\n"
	"	mov $0xbad3, %dx\n"
	"	cmp $0x1234, %si\n"
	"	jne 9f\n"
	"	cmp $0x5555, %ax\n"
	"	jne 9f\n"
	/* 32-bit operand in real mode, reported to VALUE_PORT */
	"	mov $0x12345678, %eax\n"
	"	rol $8, %eax\n"
	"	out %eax, $0x10\n"
	"	mov $0x600d, %dx\n"
	"9:	mov %dx, %ax\n"
	"	out %ax, $0x11\n"
	"	hlt\n"
	"	jmp 9b\n"
	"8:	push %ax\n"
	"	mov $0x1234, %si\n"
	"	xor %ax, %ax\n"
	"	pop %ax\n"
	"	ret\n"
	"rm_end:\n"

	/* 32-bit protected mode, flat, loaded at 0x8000.  EDI = 1: paging
	 * is on, VA 0x300000 aliases GPA 0x200000 and VA 0x400000 is a
	 * 4 MiB page over the image (ELF header at 0x400000). */
	".code32\n"
	"pm_start:\n"
	"	mov $0x7000, %esp\n"
	/* 1: 32-bit carry */
	"	mov $0xffffffff, %eax\n"
	"	add $2, %eax\n"
	"	mov $0xbad1, %edx\n"
	"	jnc 9f\n"
	"	cmp $1, %eax\n"
	"	jne 9f\n"
	/* 2: CS is the 32-bit selector, CR0.PE set, CR0.PG as expected */
	"	mov $0xbad2, %edx\n"
	"	mov %cs, %ax\n"
	"	cmp $0x18, %ax\n"
	"	jne 9f\n"
	"	mov %cr0, %eax\n"
	"	and $0x80000001, %eax\n"
	"	mov %edi, %ebx\n"
	"	shl $31, %ebx\n"
	"	or $1, %ebx\n"
	"	cmp %ebx, %eax\n"
	"	jne 9f\n"
	/* 3: memory above 1 MiB */
	"	mov $0xbad3, %edx\n"
	"	movl $0xcafef00d, 0x200000\n"
	"	cmpl $0xcafef00d, 0x200000\n"
	"	jne 9f\n"
	"	test %edi, %edi\n"
	"	jz 7f\n"
	/* 4: paging: the alias and the 4 MiB page */
	"	mov $0xbad4, %edx\n"
	"	movl $0x11223344, 0x300000\n"
	"	cmpl $0x11223344, 0x200000\n"
	"	jne 9f\n"
	"	mov $0xbad5, %edx\n"
	"	cmpl $0x464c457f, 0x400000\n"
	"	jne 9f\n"
	"7:	mov $0x600d, %edx\n"
	"9:	mov %edx, %eax\n"
	"	out %eax, $0x11\n"
	"	hlt\n"
	"	jmp 9b\n"
	"pm_end:\n"

	/* Real mode at 0:0x9000 to 64-bit mode.  In: ESI stack top, EDI the
	 * 64-bit function, EBP CR3; the GDTR and IDTR pseudo-descriptors
	 * at BOOT_GDTR and BOOT_IDTR (the library's tables). */
	".code16\n"
	"boot_start:\n"
	"	cli\n"
	"	xor %ax, %ax\n"
	"	mov %ax, %ds\n"
	"	lgdtl 0x500\n"
	"	lidtl 0x510\n"
	"	mov %cr0, %eax\n"
	"	or $1, %eax\n"
	"	mov %eax, %cr0\n"
	"	ljmpl $0x18, $(1f - boot_start + 0x9000)\n"
	".code32\n"
	"1:	mov $0x10, %ax\n"
	"	mov %ax, %ds\n"
	"	mov %ax, %es\n"
	"	mov %ax, %ss\n"
	"	mov %ax, %fs\n"
	"	mov %ax, %gs\n"
	"	mov %esi, %esp\n"
	"	mov $0x28, %ax\n"
	"	ltr %ax\n"
	"	mov %cr4, %eax\n"
	"	or $0x620, %eax\n"		/* PAE, OSFXSR, OSXMMEXCPT */
	"	mov %eax, %cr4\n"
	"	mov %ebp, %cr3\n"
	"	mov $0xc0000080, %ecx\n"
	"	rdmsr\n"
	"	or $0x100, %eax\n"		/* EFER.LME */
	"	wrmsr\n"
	"	mov %cr0, %eax\n"
	"	and $0x9fffffff, %eax\n"	/* caches on (CD, NW clear) */
	"	or $0x80010022, %eax\n"	/* PG, WP, NE, MP */
	"	mov %eax, %cr0\n"
	"	ljmp $0x08, $(2f - boot_start + 0x9000)\n"
	".code64\n"
	"2:	mov %edi, %edi\n"
	"	mov %esi, %esp\n"
	"	call *%rdi\n"
	"	hlt\n"
	"boot_end:\n"
	".popsection\n");

static int setup(void)
{
	return vt_require_vm(VMEM_VM_MMU_AUTO);
}

static int test_reset_state(void)
{
	struct vmem_sregs sr;
	struct vmem_regs regs;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create_bare(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add_bare(vm, 0));
	ASSERT_OK(vcpu_get_sregs(vcpu, &sr));
	ASSERT_OK(vcpu_get_regs(vcpu, &regs));
	EXPECT_EQ(sr.cs.selector, 0xf000);
	EXPECT_EQ(sr.cs.base, 0xffff0000);
	EXPECT_EQ(sr.cs.limit, 0xffff);
	EXPECT_EQ(regs.rip, 0xfff0);
	EXPECT_EQ(regs.rflags, X86_EFLAGS_FIXED);
	EXPECT_EQ(sr.cr0 & (X86_CR0_PE | X86_CR0_PG), 0);
	EXPECT_TRUE(sr.cr0 & X86_CR0_ET);
	EXPECT_EQ(sr.cr4, 0);
	EXPECT_EQ(sr.efer, 0);
	EXPECT_EQ(sr.ds.base, 0);
	EXPECT_EQ(sr.ds.limit, 0xffff);
	EXPECT_EQ(sr.idt.limit, 0xffff);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static int check_rm_results(struct vt_vcpu *vcpu)
{
	struct vmem_sregs sr;
	uint16_t v = 0;

	ASSERT_OK(vcpu_get_sregs(vcpu, &sr));
	EXPECT_EQ(sr.cr0 & X86_CR0_PE, 0);
	EXPECT_EQ(sr.es.selector, 0x1000);
	EXPECT_EQ(sr.es.base, 0x10000);
	ASSERT_OK(vm_read(vcpu->vm, 0x10234, &v, sizeof(v)));
	EXPECT_EQ(v, 0xbeef);
	return VT_PASS;
}

static int test_real_mode(void)
{
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	if (vt_require_real_mode(VMEM_VM_MMU_AUTO) != VT_PASS)
		return VT_SKIP;
	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, NULL));
	ASSERT_OK(vm_load_blob(vm, RM_LOAD, rm_start, rm_end));
	ASSERT_OK(vcpu_set_real_mode(vcpu, 0, RM_LOAD, 0, 0x7000, 0));
	ASSERT_RUN_OUT(vcpu, VALUE_PORT, 4, 0x34567812);
	ASSERT_RUN_OUT(vcpu, REPORT_PORT, 2, GOOD);
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_HLT);
	check_rm_results(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/*
 * From the reset state: a 64 KiB read-only slot under 4 GiB holds a far
 * jump at 0xfffffff0 (f000:fff0) to the real-mode blob at 0:7c00.
 */
static int test_real_mode_from_reset(void)
{
	static const uint8_t jmp[] = { 0xea, 0x00, 0x7c, 0x00, 0x00 };
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	if (vt_require_real_mode(VMEM_VM_MMU_AUTO) != VT_PASS)
		return VT_SKIP;
	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_add_slot(vm, 1, 0xffff0000, 0x10000, VMEM_MEMSLOT_READONLY));
	ASSERT_OK(vm_write(vm, 0xfffffff0, jmp, sizeof(jmp)));
	ASSERT_OK(vm_load_blob(vm, RM_LOAD, rm_start, rm_end));
	ASSERT_TRUE(vcpu = vcpu_add_bare(vm, 0));
	ASSERT_RUN_OUT(vcpu, VALUE_PORT, 4, 0x34567812);
	ASSERT_RUN_OUT(vcpu, REPORT_PORT, 2, GOOD);
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_HLT);
	check_rm_results(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static int run_pm(bool paging)
{
	struct vmem_regs regs;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	uint32_t cr3 = 0;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, NULL));
	ASSERT_OK(vm_load_blob(vm, PM_LOAD, pm_start, pm_end));
	if (paging) {
		/* 2-level paging: PD at 1 MiB, one page table for 0-4 MiB
		 * (identity but 0x300000 -> 0x200000), a 4 MiB page at 4 MiB. */
		uint32_t pd[1024] = { 0 }, pt[1024];

		for (uint32_t i = 0; i < 1024; i++)
			pt[i] = i * 0x1000 | PTE_P | PTE_W;
		pt[0x300] = 0x200000 | PTE_P | PTE_W;
		pd[0] = 0x101000 | PTE_P | PTE_W;
		pd[1] = 0x400000 | PTE_P | PTE_W | PTE_PS;
		ASSERT_OK(vm_write(vm, 0x100000, pd, sizeof(pd)));
		ASSERT_OK(vm_write(vm, 0x101000, pt, sizeof(pt)));
		cr3 = 0x100000;
	}
	ASSERT_OK(vcpu_set_protected_mode(vcpu, PM_LOAD, 0x7000, cr3));
	ASSERT_OK(vcpu_get_regs(vcpu, &regs));
	regs.rdi = paging;
	ASSERT_OK(vcpu_set_regs(vcpu, &regs));
	ASSERT_RUN_OUT(vcpu, REPORT_PORT, 4, GOOD);
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_HLT);
	if (paging) {
		uint32_t v = 0;

		ASSERT_OK(vm_read(vm, 0x200000, &v, sizeof(v)));
		EXPECT_EQ(v, 0x11223344);
	}
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static int test_protected_mode(void)
{
	return run_pm(false);
}

static int test_protected_mode_paging(void)
{
	return run_pm(true);
}

/* 64-bit: what the library set up is what the guest sees. */
static void guest_long_mode(uint64_t pml4, uint64_t xcr0, uint64_t gdt,
			    uint64_t idt)
{
	struct vt_desc_ptr dt;
	uint64_t cr0 = get_cr0(), cr4 = get_cr4();

	GUEST_ASSERT_EQ(read_cs(), VT_SEL_CODE64);
	GUEST_ASSERT_EQ(read_ss(), VT_SEL_DATA);
	GUEST_ASSERT_EQ(read_tr(), VT_SEL_TSS);
	GUEST_ASSERT_EQ(cr0 & (X86_CR0_PE | X86_CR0_PG | X86_CR0_WP),
			X86_CR0_PE | X86_CR0_PG | X86_CR0_WP);
	GUEST_ASSERT_EQ(cr4 & X86_CR4_PAE, X86_CR4_PAE);
	GUEST_ASSERT_EQ(get_cr3(), pml4);
	GUEST_ASSERT_EQ(rdmsr(MSR_EFER) & (EFER_LME | EFER_LMA),
			EFER_LME | EFER_LMA);
	sgdt(&dt);
	GUEST_ASSERT_EQ(dt.base, gdt);
	sidt(&dt);
	GUEST_ASSERT_EQ(dt.base, idt);
	GUEST_ASSERT_EQ(dt.limit, 256 * 16 - 1);
	if (xcr0)
		GUEST_ASSERT(cr4 & X86_CR4_OSXSAVE);
	/* A value only 64-bit code can hold; XCR0 as the entry code set it. */
	GUEST_SYNC_ARGS(1, 0x123456789abcdef0ull, read_rflags(),
			xcr0 ? xgetbv(0) : 0);
	GUEST_DONE();
}

static int test_long_mode(void)
{
	struct vt_ucall uc;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_long_mode));
	ASSERT_OK(vcpu_args_set(vcpu, 4, vm->pml4, vm->xcr0, vm->gdt, vm->idt));
	ASSERT_RUN_UCALL(vcpu, UCALL_SYNC, &uc);
	EXPECT_EQ(uc.args[0], 1);
	EXPECT_EQ(uc.args[1], 0x123456789abcdef0ull);
	EXPECT_EQ(uc.args[2] & X86_EFLAGS_IF, 0);
	if (vm->xcr0) {
		struct vmem_fpu *f = calloc(1, sizeof(*f));

		ASSERT_TRUE(f != NULL);
		ASSERT_OK(ioctl(vcpu->fd, VMEM_GET_FPU, f));
		/* The entry code's XSETBV: what the guest and vmem see. */
		if (uc.args[3] != vm->xcr0 || f->xcr0 != vm->xcr0)
			vt_diag("guest XSETBV(0x%llx): guest XGETBV reads 0x%llx, VMEM_GET_FPU xcr0 0x%llx",
				(unsigned long long)vm->xcr0,
				(unsigned long long)uc.args[3],
				(unsigned long long)f->xcr0);
		EXPECT_EQ(uc.args[3], vm->xcr0);
		EXPECT_EQ(f->xcr0, vm->xcr0);
		free(f);
	}
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static void guest_booted(void)
{
	GUEST_ASSERT(rdmsr(MSR_EFER) & EFER_LMA);
	GUEST_ASSERT_EQ(read_cs(), VT_SEL_CODE64);
	GUEST_DONE();
}

static int test_boot_to_long_mode(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) gdtr, idtr;
	struct vmem_regs regs;
	struct vmem_sregs sr;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	/* It starts in real mode. */
	if (vt_require_real_mode(VMEM_VM_MMU_AUTO) != VT_PASS)
		return VT_SKIP;
	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, NULL));
	ASSERT_OK(vm_load_blob(vm, BOOT_LOAD, boot_start, boot_end));
	gdtr.limit = 7 * 8 - 1;
	gdtr.base = vm->gdt;
	idtr.limit = 256 * 16 - 1;
	idtr.base = vm->idt;
	ASSERT_OK(vm_write(vm, BOOT_GDTR, &gdtr, sizeof(gdtr)));
	ASSERT_OK(vm_write(vm, BOOT_IDTR, &idtr, sizeof(idtr)));
	ASSERT_OK(vcpu_set_real_mode(vcpu, 0, BOOT_LOAD, 0, 0x7000, 0));
	/* The TSS descriptor must be "available" for LTR. */
	{
		uint8_t type = 0x89;

		ASSERT_OK(vm_write(vm, vm->gdt + VT_SEL_TSS + 5, &type, 1));
	}
	ASSERT_OK(vcpu_get_regs(vcpu, &regs));
	regs.rsi = vcpu->stack_top;
	regs.rdi = (uintptr_t)guest_booted;
	regs.rbp = vm->pml4;
	ASSERT_OK(vcpu_set_regs(vcpu, &regs));
	ASSERT_RUN_DONE(vcpu);
	ASSERT_OK(vcpu_get_sregs(vcpu, &sr));
	EXPECT_EQ(sr.efer & (EFER_LME | EFER_LMA), EFER_LME | EFER_LMA);
	EXPECT_TRUE(sr.cr0 & X86_CR0_PG);
	EXPECT_TRUE(sr.cr4 & X86_CR4_PAE);
	EXPECT_EQ(sr.cr3, vm->pml4);
	EXPECT_EQ(sr.cs.selector, VT_SEL_CODE64);
	EXPECT_EQ(sr.cs.l, 1);
	EXPECT_EQ(sr.tr.selector, VT_SEL_TSS);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* The library's own reporting: assertion text, file and line. */
static void guest_assert_fails(void)
{
	uint64_t two = 2;

	GUEST_SYNC(__LINE__ + 1);
	GUEST_ASSERT_EQ(two + 1, 4);
	GUEST_DONE();
}

static int test_guest_assert_reported(void)
{
	struct vt_ucall uc;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	char file[256] = "";
	uint64_t line;

	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_assert_fails));
	ASSERT_RUN_UCALL(vcpu, UCALL_SYNC, &uc);
	line = uc.args[0];
	ASSERT_RUN_UCALL(vcpu, UCALL_ABORT, &uc);
	EXPECT_EQ(uc.line, line);
	ASSERT_TRUE(sizeof(__FILE__) <= sizeof(file));
	ASSERT_OK(vm_read(vm, uc.file, file, sizeof(__FILE__)));
	EXPECT_TRUE(strcmp(file, __FILE__) == 0);
	EXPECT_TRUE(strstr(uc.msg, "0x3 vs 0x4") != NULL);
	if (vt_case_failed())
		vt_diag("guest message: \"%s\", file \"%s\"", uc.msg, file);
	vm_free(vm);
	return VT_PASS;
}

static void guest_ud2(void)
{
	__asm__ __volatile__("ud2");
	GUEST_DONE();
}

static void ud_handler(struct vt_ex_regs *regs)
{
	regs->rax = 0x1234;
	regs->rip += 2;
}

static void guest_ud2_handled(void)
{
	uint64_t rax = 0;

	__asm__ __volatile__("ud2" : "+a"(rax));
	GUEST_ASSERT_EQ(rax, 0x1234);
	GUEST_DONE();
}

static int test_guest_exception_reported(void)
{
	struct vt_ucall uc;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	uint8_t insn[2] = { 0 };

	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_ud2));
	ASSERT_RUN_UCALL(vcpu, UCALL_UNHANDLED, &uc);
	EXPECT_EQ(uc.args[0], UD_VECTOR);
	ASSERT_OK(vm_read(vm, uc.args[2], insn, 2));
	EXPECT_TRUE(insn[0] == 0x0f && insn[1] == 0x0b);
	vm_free(vm);

	/* With a handler installed, the guest goes on. */
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_install_exception_handler(vm, UD_VECTOR, ud_handler));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_ud2_handled));
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(reset_state),
	VT_CASE(long_mode),
	VT_CASE(guest_assert_reported),
	VT_CASE(guest_exception_reported),
	VT_CASE(real_mode),
	VT_CASE(real_mode_from_reset),
	VT_CASE(protected_mode),
	VT_CASE(protected_mode_paging),
	VT_CASE(boot_to_long_mode),
};

VT_MAIN(cases, setup, NULL)
