// SPDX-License-Identifier: GPL-2.0
/*
 * insn_length - the next RIP after intercepted instructions on CPUs
 * without nrip-save (QEMU's SVM): vmem checks the usual prefix-free
 * encoding with one small fetch and takes its full length decoder for
 * anything else (x86/decode.c).  Each case runs raw guest bytes whose
 * continuation only makes sense if RIP moved by exactly the instruction's
 * length, then reports through an OUT the host checks:
 *
 *  - CPUID and RDMSR in their plain forms (the fast check);
 *  - CPUID with a 66h prefix (3 bytes: the fast check must not match; a
 *    2-byte skip would run A2h, a MOV to memory, and miss the OUT);
 *  - CPUID whose two bytes straddle a page boundary (the fast check
 *    reads within one page only);
 *  - RDMSR and CPUID back to back, and a CPUID at a page's last two bytes.
 *
 * On CPUs with nrip-save the hardware gives the length, and the same
 * cases check that path.
 */
#include <string.h>

#include "vt.h"
#include "vt_vm.h"

#define REPORT_PORT	0x80
#define GOOD		0x5a

/* xor eax,eax; xor ecx,ecx */
#define ZERO_EAX_ECX	0x31, 0xc0, 0x31, 0xc9
/* mov al, GOOD; out REPORT_PORT, al; hlt */
#define REPORT		0xb0, GOOD, 0xe6, REPORT_PORT, 0xf4

static int setup(void)
{
	return vt_require_vm(VMEM_VM_MMU_AUTO);
}

/*
 * Put @code in fresh guest pages so that byte @split of it is the first
 * byte of the second page, run it from its start, and expect the report.
 */
static int run_code(const uint8_t *code, size_t len, size_t split)
{
	struct vmem_regs regs;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	uint64_t page, start;

	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, NULL));
	ASSERT_TRUE(page = vm_alloc(vm, 2 * VT_PAGE_SIZE));
	start = page + VT_PAGE_SIZE - split;
	ASSERT_OK(vm_write(vm, start, code, len));
	ASSERT_OK(vcpu_get_regs(vcpu, &regs));
	regs.rip = start;
	ASSERT_OK(vcpu_set_regs(vcpu, &regs));
	ASSERT_RUN_OUT(vcpu, REPORT_PORT, 1, GOOD);
	vm_free(vm);
	return VT_PASS;
}

static int test_cpuid_plain(void)
{
	static const uint8_t code[] = { ZERO_EAX_ECX, 0x0f, 0xa2, REPORT };

	return run_code(code, sizeof(code), 1024);
}

static int test_cpuid_prefixed(void)
{
	static const uint8_t code[] = { ZERO_EAX_ECX, 0x66, 0x0f, 0xa2, REPORT };

	return run_code(code, sizeof(code), 1024);
}

/* 0F is the last byte of the first page, A2 the first of the next. */
static int test_cpuid_straddles_pages(void)
{
	static const uint8_t code[] = { ZERO_EAX_ECX, 0x0f, 0xa2, REPORT };

	return run_code(code, sizeof(code), 5);
}

/* The whole CPUID in the last two bytes of a page, the report after it. */
static int test_cpuid_at_page_end(void)
{
	static const uint8_t code[] = { ZERO_EAX_ECX, 0x0f, 0xa2, REPORT };

	return run_code(code, sizeof(code), 6);
}

/* RDMSR of IA32_APIC_BASE (ECX 0x1b), then CPUID right after it. */
static int test_rdmsr_then_cpuid(void)
{
	static const uint8_t code[] = {
		0xb9, 0x1b, 0x00, 0x00, 0x00,	/* mov ecx, 0x1b */
		0x0f, 0x32,			/* rdmsr */
		ZERO_EAX_ECX, 0x0f, 0xa2,	/* cpuid */
		REPORT,
	};

	return run_code(code, sizeof(code), 1024);
}

static const struct vt_case cases[] = {
	VT_CASE(cpuid_plain),
	VT_CASE(cpuid_prefixed),
	VT_CASE(cpuid_straddles_pages),
	VT_CASE(cpuid_at_page_end),
	VT_CASE(rdmsr_then_cpuid),
};

VT_MAIN(cases, setup, NULL)
