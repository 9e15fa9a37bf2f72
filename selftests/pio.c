// SPDX-License-Identifier: GPL-2.0
/*
 * pio - port I/O exits: IN and OUT of 1, 2 and 4 bytes (immediate and DX
 * port forms), INS/OUTS and their REP forms with the data checked item by
 * item, with RFLAGS.DF clear and set, and REP with RCX = 0.
 *
 * The kernel must provide VMEM_EXIT_IO with direction, size, port, count
 * and the data in the run area at data_offset (Documentation/api.rst 5.2),
 * complete the instruction at the next VMEM_RUN (IN writes RAX as the
 * hardware would: AL/AX only, EAX zero-extended; INS writes guest memory;
 * RSI/RDI/RCX advance) and re-execute REP forms until RCX is exhausted,
 * one item per exit when DF is 1.
 */
#include <string.h>

#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

#define NBYTES		3000	/* more than the 2048-byte data area */
#define NDF		64	/* items with DF = 1: one exit each */

static uint8_t src_buf[3 * 4096] __attribute__((aligned(4096)));
static uint8_t dst_buf[3 * 4096] __attribute__((aligned(4096)));

static uint8_t pattern(unsigned int i)
{
	return (uint8_t)(i * 7 + 3);
}

static int setup(void)
{
	return vt_require_vm(VMEM_VM_MMU_AUTO);
}

/* ---------------------------------------------------------------------- */

static void guest_out(void)
{
	outb(0x80, 0x12);
	outw(0x81, 0x3456);
	outl(0x84, 0x789abcde);
	outb(0xffff, 0x5a);		/* port in DX */
	outl(0x1ff8, 0xcafef00d);
	GUEST_DONE();
}

static int test_out_sizes(void)
{
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_out));
	ASSERT_RUN_OUT(vcpu, 0x80, 1, 0x12);
	ASSERT_RUN_OUT(vcpu, 0x81, 2, 0x3456);
	ASSERT_RUN_OUT(vcpu, 0x84, 4, 0x789abcde);
	ASSERT_RUN_OUT(vcpu, 0xffff, 1, 0x5a);
	ASSERT_RUN_OUT(vcpu, 0x1ff8, 4, 0xcafef00d);
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static void guest_in(void)
{
	uint64_t rax;

	/* IN AL/AX leaves the rest of RAX; IN EAX zero-extends. */
	rax = ~0ull;
	__asm__ __volatile__("inb $0x60, %%al" : "+a"(rax));
	GUEST_ASSERT_EQ(rax, 0xffffffffffffff5aull);
	rax = ~0ull;
	__asm__ __volatile__("inw $0x62, %%ax" : "+a"(rax));
	GUEST_ASSERT_EQ(rax, 0xffffffffffff1234ull);
	rax = ~0ull;
	__asm__ __volatile__("inl $0x64, %%eax" : "+a"(rax));
	GUEST_ASSERT_EQ(rax, 0xdeadbeefull);
	rax = ~0ull;
	__asm__ __volatile__("inb %%dx, %%al" : "+a"(rax) : "d"(0xfff0));
	GUEST_ASSERT_EQ(rax, 0xffffffffffffffa5ull);
	rax = 0;
	__asm__ __volatile__("inl %%dx, %%eax" : "+a"(rax) : "d"(0xcfc));
	GUEST_ASSERT_EQ(rax, 0x80000000ull);
	GUEST_DONE();
}

static int answer_in(struct vt_vcpu *vcpu, uint16_t port, uint8_t size,
		     uint32_t value)
{
	ASSERT_RUN_IN(vcpu, port, size);
	memcpy(vcpu_io_data(vcpu), &value, size);
	return VT_PASS;
}

static int test_in_sizes(void)
{
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_in));
	ASSERT_EQ(answer_in(vcpu, 0x60, 1, 0x5a), VT_PASS);
	ASSERT_EQ(answer_in(vcpu, 0x62, 2, 0x1234), VT_PASS);
	ASSERT_EQ(answer_in(vcpu, 0x64, 4, 0xdeadbeef), VT_PASS);
	ASSERT_EQ(answer_in(vcpu, 0xfff0, 1, 0xa5), VT_PASS);
	ASSERT_EQ(answer_in(vcpu, 0xcfc, 4, 0x80000000), VT_PASS);
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* String forms                                                            */

struct str_result {
	uint64_t rsi, rdi, rcx;
};

#define DEFINE_REP(name, insn, reg)					\
static void name(uint16_t port, void *p, uint64_t n, struct str_result *r) \
{									\
	uint64_t ptr = (uintptr_t)p;					\
	__asm__ __volatile__(insn					\
			     : "+" reg(ptr), "+c"(n)			\
			     : "d"(port) : "memory");			\
	r->rcx = n;							\
	if (reg[0] == 'S')						\
		r->rsi = ptr;						\
	else								\
		r->rdi = ptr;						\
}
DEFINE_REP(rep_outsb, "rep outsb", "S")
DEFINE_REP(rep_outsw, "rep outsw", "S")
DEFINE_REP(rep_outsl, "rep outsl", "S")
DEFINE_REP(rep_insb, "rep insb", "D")
DEFINE_REP(rep_insw, "rep insw", "D")
DEFINE_REP(rep_insl, "rep insl", "D")
DEFINE_REP(std_rep_outsb, "std; rep outsb; cld", "S")
DEFINE_REP(std_rep_insl, "std; rep insl; cld", "D")

static void guest_outs(void)
{
	struct str_result r;
	uint64_t rsi;

	for (unsigned int i = 0; i < sizeof(src_buf); i++)
		src_buf[i] = pattern(i);
	/* Start 100 bytes before a page boundary. */
	rep_outsb(0x3f8, src_buf + 4096 - 100, NBYTES, &r);
	GUEST_ASSERT_EQ(r.rcx, 0);
	GUEST_ASSERT_EQ(r.rsi, (uintptr_t)src_buf + 4096 - 100 + NBYTES);
	rep_outsw(0x3fa, src_buf, NBYTES / 2, &r);
	GUEST_ASSERT_EQ(r.rcx, 0);
	GUEST_ASSERT_EQ(r.rsi, (uintptr_t)src_buf + NBYTES);
	rep_outsl(0x3fc, src_buf + 8, NBYTES / 4, &r);
	GUEST_ASSERT_EQ(r.rcx, 0);
	GUEST_ASSERT_EQ(r.rsi, (uintptr_t)src_buf + 8 + NBYTES);
	/* OUTSB without REP: one item, RSI + 1, RCX untouched. */
	rsi = (uintptr_t)src_buf + 5;
	__asm__ __volatile__("outsb" : "+S"(rsi) : "d"(0x3f9) : "memory");
	GUEST_ASSERT_EQ(rsi, (uintptr_t)src_buf + 6);
	GUEST_DONE();
}

/* An exit that is not the expected I/O: a ucall (assertion) or other. */
static void describe_other(struct vt_vcpu *vcpu)
{
	struct vt_ucall uc;

	if (vcpu_get_ucall(vcpu, &uc) != UCALL_NONE)
		vcpu_describe_ucall(vcpu, &uc);
	else
		vcpu_describe_exit(vcpu);
}

/* Receive @nitems items of OUTS, over as many exits as vmem needs. */
static int expect_outs(struct vt_vcpu *vcpu, uint16_t port, uint8_t size,
		       const uint8_t *want, uint32_t nitems, bool one_per_exit)
{
	struct vmem_run *run = vcpu->run;
	uint32_t done = 0, exits = 0;

	while (done < nitems) {
		ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_IO);
		exits++;
		if (run->io.port != port)
			describe_other(vcpu);
		ASSERT_EQ(run->io.direction, VMEM_IO_OUT);
		ASSERT_EQ(run->io.port, port);
		ASSERT_EQ(run->io.size, size);
		ASSERT_TRUE(run->io.count >= 1 && run->io.count <= nitems - done);
		if (one_per_exit)
			ASSERT_EQ(run->io.count, 1);
		ASSERT_TRUE(vcpu_io_data(vcpu) != NULL);
		if (memcmp(vcpu_io_data(vcpu), want + (size_t)done * size,
			   (size_t)run->io.count * size)) {
			const uint8_t *got = vcpu_io_data(vcpu);
			const uint8_t *exp = want + (size_t)done * size;
			size_t n = (size_t)run->io.count * size, k = 0;

			while (k < n && got[k] == exp[k])
				k++;
			vt_diag("first difference at byte %zu of %zu: want %02x %02x %02x %02x, got %02x %02x %02x %02x",
				k, n, exp[k], k + 1 < n ? exp[k + 1] : 0,
				k + 2 < n ? exp[k + 2] : 0, k + 3 < n ? exp[k + 3] : 0,
				got[k], k + 1 < n ? got[k + 1] : 0,
				k + 2 < n ? got[k + 2] : 0, k + 3 < n ? got[k + 3] : 0);
			FAIL("OUTS data at port 0x%x, items %u..%u (exit %u), differ from what the guest wrote",
			     port, done, done + run->io.count - 1, exits);
		}
		done += run->io.count;
	}
	return VT_PASS;
}

static int test_outs(void)
{
	uint8_t want[NBYTES + 8];
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_outs));
	for (unsigned int i = 0; i < NBYTES; i++)
		want[i] = pattern(4096 - 100 + i);
	ASSERT_EQ(expect_outs(vcpu, 0x3f8, 1, want, NBYTES, false), VT_PASS);
	for (unsigned int i = 0; i < NBYTES; i++)
		want[i] = pattern(i);
	ASSERT_EQ(expect_outs(vcpu, 0x3fa, 2, want, NBYTES / 2, false), VT_PASS);
	for (unsigned int i = 0; i < NBYTES; i++)
		want[i] = pattern(8 + i);
	ASSERT_EQ(expect_outs(vcpu, 0x3fc, 4, want, NBYTES / 4, false), VT_PASS);
	ASSERT_RUN_OUT(vcpu, 0x3f9, 1, pattern(5));
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static void guest_ins(void)
{
	struct str_result r;

	rep_insb(0x2f8, dst_buf + 4096 - 100, NBYTES, &r);
	GUEST_ASSERT_EQ(r.rcx, 0);
	GUEST_ASSERT_EQ(r.rdi, (uintptr_t)dst_buf + 4096 - 100 + NBYTES);
	for (unsigned int i = 0; i < NBYTES; i++)
		GUEST_ASSERT_EQ(dst_buf[4096 - 100 + i], pattern(i));
	/* Neighbours untouched. */
	GUEST_ASSERT_EQ(dst_buf[4096 - 101], 0);
	GUEST_ASSERT_EQ(dst_buf[4096 - 100 + NBYTES], 0);

	rep_insw(0x2fa, dst_buf, NBYTES / 2, &r);
	GUEST_ASSERT_EQ(r.rcx, 0);
	GUEST_ASSERT_EQ(r.rdi, (uintptr_t)dst_buf + NBYTES);
	for (unsigned int i = 0; i < NBYTES; i++)
		GUEST_ASSERT_EQ(dst_buf[i], pattern(i + 1));

	rep_insl(0x2fc, dst_buf + 4, NBYTES / 4, &r);
	GUEST_ASSERT_EQ(r.rcx, 0);
	GUEST_ASSERT_EQ(r.rdi, (uintptr_t)dst_buf + 4 + NBYTES);
	for (unsigned int i = 0; i < NBYTES; i++)
		GUEST_ASSERT_EQ(dst_buf[4 + i], pattern(i + 2));
	GUEST_DONE();
}

/* Answer @nitems items of INS with want[], over as many exits as needed. */
static int answer_ins(struct vt_vcpu *vcpu, uint16_t port, uint8_t size,
		      const uint8_t *data, uint32_t nitems, bool one_per_exit)
{
	struct vmem_run *run = vcpu->run;
	uint32_t done = 0;

	while (done < nitems) {
		ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_IO);
		if (run->io.port != port)
			describe_other(vcpu);
		ASSERT_EQ(run->io.direction, VMEM_IO_IN);
		ASSERT_EQ(run->io.port, port);
		ASSERT_EQ(run->io.size, size);
		ASSERT_TRUE(run->io.count >= 1 && run->io.count <= nitems - done);
		if (one_per_exit)
			ASSERT_EQ(run->io.count, 1);
		ASSERT_TRUE(vcpu_io_data(vcpu) != NULL);
		memcpy(vcpu_io_data(vcpu), data + (size_t)done * size,
		       (size_t)run->io.count * size);
		done += run->io.count;
	}
	return VT_PASS;
}

static int test_ins(void)
{
	uint8_t data[NBYTES];
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_ins));
	for (unsigned int i = 0; i < NBYTES; i++)
		data[i] = pattern(i);
	ASSERT_EQ(answer_ins(vcpu, 0x2f8, 1, data, NBYTES, false), VT_PASS);
	for (unsigned int i = 0; i < NBYTES; i++)
		data[i] = pattern(i + 1);
	ASSERT_EQ(answer_ins(vcpu, 0x2fa, 2, data, NBYTES / 2, false), VT_PASS);
	for (unsigned int i = 0; i < NBYTES; i++)
		data[i] = pattern(i + 2);
	ASSERT_EQ(answer_ins(vcpu, 0x2fc, 4, data, NBYTES / 4, false), VT_PASS);
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* DF = 1: items go from high addresses to low. */
static void guest_df(void)
{
	struct str_result r;

	for (unsigned int i = 0; i < NDF; i++)
		src_buf[i] = pattern(i);
	std_rep_outsb(0x70, src_buf + NDF - 1, NDF, &r);
	GUEST_ASSERT_EQ(r.rcx, 0);
	GUEST_ASSERT_EQ(r.rsi, (uintptr_t)src_buf - 1);
	GUEST_ASSERT_EQ(read_rflags() & X86_EFLAGS_DF, 0);

	std_rep_insl(0x71, dst_buf + 4 * (NDF - 1), NDF, &r);
	GUEST_ASSERT_EQ(r.rcx, 0);
	GUEST_ASSERT_EQ(r.rdi, (uintptr_t)dst_buf - 4);
	for (unsigned int i = 0; i < NDF; i++) {
		uint32_t v;

		memcpy(&v, dst_buf + 4 * (NDF - 1 - i), 4);
		GUEST_ASSERT_EQ(v, 0x10000 + i);
	}
	GUEST_DONE();
}

static int test_string_df(void)
{
	uint8_t want[NDF];
	uint32_t data[NDF];
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_df));
	for (unsigned int i = 0; i < NDF; i++)
		want[i] = pattern(NDF - 1 - i);
	ASSERT_EQ(expect_outs(vcpu, 0x70, 1, want, NDF, true), VT_PASS);
	for (unsigned int i = 0; i < NDF; i++)
		data[i] = 0x10000 + i;
	ASSERT_EQ(answer_ins(vcpu, 0x71, 4, (const uint8_t *)data, NDF, true),
		  VT_PASS);
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* REP with RCX = 0 does nothing: no exit. */
static void guest_rep_zero(void)
{
	struct str_result r;

	rep_outsb(0x80, src_buf, 0, &r);
	GUEST_ASSERT_EQ(r.rsi, (uintptr_t)src_buf);
	rep_insw(0x80, dst_buf, 0, &r);
	GUEST_ASSERT_EQ(r.rdi, (uintptr_t)dst_buf);
	GUEST_SYNC(1);
	GUEST_DONE();
}

static int test_rep_count_zero(void)
{
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_rep_zero));
	ASSERT_RUN_SYNC(vcpu, 1);
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	return VT_PASS;
}

/*
 * The same REP OUTSB/INSB with the buffer below 64 KiB: if only this
 * works, vmem used 16-bit addressing for the 64-bit string instruction.
 */
#define LOW_BUF		0x9000ull

static void guest_low(void)
{
	volatile uint8_t *buf = (volatile uint8_t *)LOW_BUF;
	struct str_result r;

	for (unsigned int i = 0; i < 64; i++)
		buf[i] = pattern(i);
	rep_outsb(0x3f8, (void *)LOW_BUF, 64, &r);
	rep_insb(0x2f8, (void *)(LOW_BUF + 0x100), 64, &r);
	for (unsigned int i = 0; i < 64; i++)
		GUEST_ASSERT_EQ(buf[0x100 + i], pattern(i + 9));
	GUEST_DONE();
}

static int test_string_low_buffer(void)
{
	uint8_t want[64];
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;

	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_AUTO));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_low));
	for (unsigned int i = 0; i < 64; i++)
		want[i] = pattern(i);
	ASSERT_EQ(expect_outs(vcpu, 0x3f8, 1, want, 64, false), VT_PASS);
	for (unsigned int i = 0; i < 64; i++)
		want[i] = pattern(i + 9);
	ASSERT_EQ(answer_ins(vcpu, 0x2f8, 1, want, 64, false), VT_PASS);
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(string_low_buffer),
	VT_CASE(out_sizes),
	VT_CASE(in_sizes),
	VT_CASE(outs),
	VT_CASE(ins),
	VT_CASE(string_df),
	VT_CASE(rep_count_zero),
};

VT_MAIN(cases, setup, NULL)
