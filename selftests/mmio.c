// SPDX-License-Identifier: GPL-2.0
/*
 * mmio - guest accesses outside RAM reach the VMM as VMEM_EXIT_MMIO: MOV
 * stores of 1, 2, 4 and 8 bytes from registers (AH and SIL included, the
 * classic ModRM/REX traps) and immediates; loads into 8/16/32/64-bit
 * registers with the architectural merge/zero-extension; MOVZX, MOVSX and
 * MOVSXD; a write to a read-only slot; an access to a deleted slot; and
 * an instruction vmem does not decode (an SSE store) giving
 * VMEM_EXIT_INTERNAL with its bytes.
 *
 * The kernel must provide the MMIO exit of Documentation/api.rst 5.2
 * (gpa, len, is_write, data) and complete reads at the next VMEM_RUN
 * (5.3).  The MMIO window is guest-physical 0xd0000000, outside every
 * slot, identity-mapped by the library's page tables.
 */
#include <stdio.h>
#include <string.h>

#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

#define MMIO_BASE	0xd0000000ull
#define ROM_BASE	0xc0000000ull

static int setup(void)
{
	return vt_require_vm(VMEM_VM_MMU_AUTO);
}

/* Run once: an MMIO exit with these properties; for reads answer @val. */
static bool expect_mmio(const char *file, int line, struct vt_vcpu *vcpu,
			uint64_t gpa, uint32_t len, bool write, uint64_t val)
{
	struct vmem_run *run = vcpu->run;
	char what[200];
	uint64_t got = 0;

	if (!vt_expect_exit(file, line, vcpu, VMEM_EXIT_MMIO))
		return false;
	memcpy(&got, run->mmio.data, len <= 8 ? len : 8);
	if (run->mmio.gpa != gpa || run->mmio.len != len ||
	    !!run->mmio.is_write != write || (write && got != val)) {
		vcpu_describe_exit(vcpu);
		snprintf(what, sizeof(what),
			 "MMIO %s of %u bytes at 0x%llx%s%llx, got %s of %u bytes at 0x%llx data 0x%llx",
			 write ? "write" : "read", len, (unsigned long long)gpa,
			 write ? " data 0x" : "", write ? (unsigned long long)val : 0ull,
			 run->mmio.is_write ? "write" : "read", run->mmio.len,
			 (unsigned long long)run->mmio.gpa, (unsigned long long)got);
		return vt_check_true(file, line, what, false);
	}
	if (!write)
		memcpy(run->mmio.data, &val, len);
	return true;
}

#define ASSERT_MMIO(vcpu, gpa, len, write, val) do {			\
	if (!expect_mmio(__FILE__, __LINE__, (vcpu), (gpa), (len),	\
			 (write), (val)))				\
		return VT_FAIL;						\
} while (0)

/* ---------------------------------------------------------------------- */

static void guest_stores(uint64_t base)
{
	register uint64_t r9 __asm__("r9") = 0x1357;
	register uint64_t r10 __asm__("r10") = 0x2468ace0;
	register uint64_t r11 __asm__("r11") = 0x0102030405060708ull;
	uint64_t rax = 0xa1b2, rsi = 0x5e;

	__asm__ __volatile__(
		"movb $0x12, (%[b])\n\t"
		"movw $0x3456, 2(%[b])\n\t"
		"movl $0x789abcde, 4(%[b])\n\t"
		"movq $-0x789abcdf, 8(%[b])\n\t"
		"mov %%al, 16(%[b])\n\t"
		"mov %%ah, 17(%[b])\n\t"
		"mov %%r9w, 18(%[b])\n\t"
		"mov %%r10d, 20(%[b])\n\t"
		"mov %%r11, 24(%[b])\n\t"
		"mov %%sil, 33(%[b])\n\t"
		"mov %%r10d, 0x10(%[b],%[i],4)\n\t"
		:: [b] "r"(base), [i] "r"(3ull), "a"(rax), "r"(r9), "S"(rsi),
		   "r"(r10), "r"(r11)
		: "memory");
	GUEST_DONE();
}

static int test_stores(void)
{
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_stores));
	ASSERT_OK(vcpu_args_set(vcpu, 1, MMIO_BASE));
	ASSERT_MMIO(vcpu, MMIO_BASE + 0, 1, true, 0x12);
	ASSERT_MMIO(vcpu, MMIO_BASE + 2, 2, true, 0x3456);
	ASSERT_MMIO(vcpu, MMIO_BASE + 4, 4, true, 0x789abcde);
	ASSERT_MMIO(vcpu, MMIO_BASE + 8, 8, true, 0xffffffff87654321ull);
	ASSERT_MMIO(vcpu, MMIO_BASE + 16, 1, true, 0xb2);
	ASSERT_MMIO(vcpu, MMIO_BASE + 17, 1, true, 0xa1);
	ASSERT_MMIO(vcpu, MMIO_BASE + 18, 2, true, 0x1357);
	ASSERT_MMIO(vcpu, MMIO_BASE + 20, 4, true, 0x2468ace0);
	ASSERT_MMIO(vcpu, MMIO_BASE + 24, 8, true, 0x0102030405060708ull);
	ASSERT_MMIO(vcpu, MMIO_BASE + 33, 1, true, 0x5e);
	ASSERT_MMIO(vcpu, MMIO_BASE + 0x10 + 12, 4, true, 0x2468ace0);
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static void guest_loads(uint64_t base)
{
	volatile uint64_t *p = (volatile uint64_t *)base;
	uint64_t v;

	/* 8- and 16-bit loads merge into the register, 32-bit zero-extends. */
	v = ~0ull;
	__asm__ __volatile__("movb (%1), %%al" : "+a"(v) : "r"(p) : "memory");
	GUEST_ASSERT_EQ(v, 0xffffffffffffff5aull);
	v = ~0ull;
	__asm__ __volatile__("movb 1(%1), %%ah" : "+a"(v) : "r"(p) : "memory");
	GUEST_ASSERT_EQ(v, 0xffffffffffff6bffull);
	v = ~0ull;
	__asm__ __volatile__("movw 2(%1), %w0" : "+r"(v) : "r"(p) : "memory");
	GUEST_ASSERT_EQ(v, 0xffffffffffff1234ull);
	v = ~0ull;
	__asm__ __volatile__("movl 4(%1), %k0" : "+r"(v) : "r"(p) : "memory");
	GUEST_ASSERT_EQ(v, 0x89abcdefull);
	v = 0;
	__asm__ __volatile__("movq 8(%1), %0" : "+r"(v) : "r"(p) : "memory");
	GUEST_ASSERT_EQ(v, 0xfedcba9876543210ull);
	/* The same through high registers (REX.R). */
	v = ~0ull;
	__asm__ __volatile__("movw 2(%1), %%r13w; mov %%r13, %0"
			     : "+r"(v) : "r"(p) : "r13", "memory");
	GUEST_ASSERT_EQ(v & 0xffff, 0x1234);
	/* MOVZX, MOVSX */
	v = ~0ull;
	__asm__ __volatile__("movzbl 16(%1), %k0" : "+r"(v) : "r"(p) : "memory");
	GUEST_ASSERT_EQ(v, 0x80);
	v = ~0ull;
	__asm__ __volatile__("movzwq 18(%1), %0" : "+r"(v) : "r"(p) : "memory");
	GUEST_ASSERT_EQ(v, 0x8001);
	v = 0;
	__asm__ __volatile__("movsbq 20(%1), %0" : "+r"(v) : "r"(p) : "memory");
	GUEST_ASSERT_EQ(v, 0xffffffffffffff80ull);
	v = ~0ull;
	__asm__ __volatile__("movswl 22(%1), %k0" : "+r"(v) : "r"(p) : "memory");
	GUEST_ASSERT_EQ(v, 0xffff8000ull);
	v = 0;
	__asm__ __volatile__("movsbw 24(%1), %w0" : "+r"(v) : "r"(p) : "memory");
	GUEST_ASSERT_EQ(v, 0xff90);
	GUEST_DONE();
}

static int test_loads(void)
{
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_loads));
	ASSERT_OK(vcpu_args_set(vcpu, 1, MMIO_BASE));
	ASSERT_MMIO(vcpu, MMIO_BASE + 0, 1, false, 0x5a);
	ASSERT_MMIO(vcpu, MMIO_BASE + 1, 1, false, 0x6b);
	ASSERT_MMIO(vcpu, MMIO_BASE + 2, 2, false, 0x1234);
	ASSERT_MMIO(vcpu, MMIO_BASE + 4, 4, false, 0x89abcdef);
	ASSERT_MMIO(vcpu, MMIO_BASE + 8, 8, false, 0xfedcba9876543210ull);
	ASSERT_MMIO(vcpu, MMIO_BASE + 2, 2, false, 0x1234);
	ASSERT_MMIO(vcpu, MMIO_BASE + 16, 1, false, 0x80);
	ASSERT_MMIO(vcpu, MMIO_BASE + 18, 2, false, 0x8001);
	ASSERT_MMIO(vcpu, MMIO_BASE + 20, 1, false, 0x80);
	ASSERT_MMIO(vcpu, MMIO_BASE + 22, 2, false, 0x8000);
	ASSERT_MMIO(vcpu, MMIO_BASE + 24, 1, false, 0x90);
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* MOVSXD (63 /r): what compilers emit for int -> long loads. */
static void guest_movsxd(uint64_t base)
{
	uint64_t v = 0;

	__asm__ __volatile__("movslq (%1), %0" : "+r"(v) : "r"(base) : "memory");
	GUEST_ASSERT_EQ(v, 0xffffffff80000001ull);
	GUEST_DONE();
}

static int test_movsxd(void)
{
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_movsxd));
	ASSERT_OK(vcpu_args_set(vcpu, 1, MMIO_BASE + 0x100));
	ASSERT_MMIO(vcpu, MMIO_BASE + 0x100, 4, false, 0x80000001);
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	return VT_PASS;
}

/* An SSE store to MMIO is not decoded: internal error with the bytes. */
static void guest_sse_store(uint64_t base)
{
	__asm__ __volatile__("pxor %%xmm0, %%xmm0\n\t"
			     "movdqu %%xmm0, (%0)" :: "r"(base) : "xmm0", "memory");
	GUEST_FAIL("the SSE store to MMIO completed");
}

static int test_undecodable_internal(void)
{
	struct vmem_run *run;
	struct vmem_regs regs;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	uint8_t code[16];

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_sse_store));
	ASSERT_OK(vcpu_args_set(vcpu, 1, MMIO_BASE + 0x40));
	run = vcpu->run;
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_INTERNAL);
	EXPECT_EQ(run->internal.suberror, VMEM_INTERNAL_EMULATION);
	EXPECT_EQ(run->internal.gpa, MMIO_BASE + 0x40);
	ASSERT_OK(vcpu_get_regs(vcpu, &regs));
	ASSERT_OK(vm_read(vm, regs.rip, code, sizeof(code)));
	/* movdqu %xmm0, (reg): F3 [REX] 0F 7F modrm */
	EXPECT_EQ(code[0], 0xf3);
	EXPECT_TRUE(run->internal.insn_len >= 4 && run->internal.insn_len <= 16);
	if (run->internal.insn_len >= 4 && run->internal.insn_len <= 16)
		EXPECT_TRUE(memcmp(run->internal.insn, code,
				   run->internal.insn_len) == 0);
	if (vt_case_failed())
		vcpu_describe_exit(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* A read-only slot reads as RAM; writes exit as MMIO and change nothing. */
static void guest_rom(uint64_t rom)
{
	volatile uint32_t *p = (volatile uint32_t *)rom;

	GUEST_ASSERT_EQ(p[0], 0xc0de0001);
	GUEST_ASSERT_EQ(p[1024 + 1], 0xc0de0002);
	p[1] = 0x11111111;
	GUEST_ASSERT_EQ(p[1], 0xc0de0003);
	GUEST_DONE();
}

static int test_readonly_slot(void)
{
	uint32_t v[2] = { 0xc0de0001, 0xc0de0003 }, v2 = 0xc0de0002, now = 0;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_add_slot(vm, 1, ROM_BASE, 2 * VT_PAGE_SIZE,
			      VMEM_MEMSLOT_READONLY));
	ASSERT_OK(vm_write(vm, ROM_BASE, v, sizeof(v)));
	ASSERT_OK(vm_write(vm, ROM_BASE + 4096 + 4, &v2, sizeof(v2)));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_rom));
	ASSERT_OK(vcpu_args_set(vcpu, 1, ROM_BASE));
	ASSERT_MMIO(vcpu, ROM_BASE + 4, 4, true, 0x11111111);
	ASSERT_RUN_DONE(vcpu);
	ASSERT_OK(vm_read(vm, ROM_BASE + 4, &now, sizeof(now)));
	EXPECT_EQ(now, 0xc0de0003);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* After VMEM_SET_MEMSLOT deletes a slot, the guest's access is MMIO. */
static void guest_deleted(uint64_t ram)
{
	volatile uint64_t *p = (volatile uint64_t *)ram;

	*p = 0x1234;
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(*p, 0x5678);
	GUEST_DONE();
}

static int test_deleted_slot_is_mmio(void)
{
	const uint64_t ram = 0x80000000ull;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_OK(vm_add_slot(vm, 1, ram, 2 << 20, 0));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_deleted));
	ASSERT_OK(vcpu_args_set(vcpu, 1, ram));
	ASSERT_RUN_SYNC(vcpu, 1);
	ASSERT_OK(vm_delete_slot(vm, 1));
	ASSERT_MMIO(vcpu, ram, 8, false, 0x5678);
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(stores),
	VT_CASE(loads),
	VT_CASE(movsxd),
	VT_CASE(readonly_slot),
	VT_CASE(deleted_slot_is_mmio),
	VT_CASE(undecodable_internal),
};

VT_MAIN(cases, setup, NULL)
