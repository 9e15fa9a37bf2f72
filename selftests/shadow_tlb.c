// SPDX-License-Identifier: GPL-2.0
/*
 * shadow_tlb - the shadow MMU seen from a 64-bit guest with its own page
 * tables: permission faults with their exact error codes and CR2 (R/W
 * with CR0.WP 1 and 0, NX with EFER.NXE, SMEP), accessed and dirty bits
 * set when hardware sets them, the virtual TLB's rules (a PTE changed
 * without INVLPG may give the old or the new translation; after INVLPG,
 * only the new one, whatever addressing form INVLPG uses), 2 MiB guest
 * pages (INVLPG of one address drops the whole page), a page table that
 * is also mapped as data and written through that mapping, a CR3
 * ping-pong with global pages (they survive, the others do not), and
 * fork-like churn over many PTEs.  Paging off, 32-bit (PSE) and PAE
 * guests are in modes.c, which runs on the shadow configuration too.
 *
 * VMs are created with VMEM_VM_MMU_SHADOW; the test skips when
 * VMEM_CAP_SHADOW_MMU is 0.
 *
 * Layout: the library's tables map the first 4 GiB 1:1 (PML4[0]); the
 * test's own tables hang under PML4[1], GVA TBASE = 512 GiB: one page
 * table (4 KiB pages, TBASE + i * 4 KiB) and one 2 MiB page right after.
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vt.h"
#include "vt_vm.h"

#define TBASE		(1ull << 39)
#define TLARGE		(TBASE + (2ull << 20))
#define NDATA		64		/* 4 KiB data pages */

#define P		(1ull << 0)
#define W		(1ull << 1)
#define U		(1ull << 2)
#define A		(1ull << 5)
#define D		(1ull << 6)
#define PS		(1ull << 7)
#define G		(1ull << 8)
#define NX		(1ull << 63)

#define EC_P		0x1
#define EC_W		0x2
#define EC_I		0x10

#define CR0_WP		(1ull << 16)
#define CR4_PGE		(1ull << 7)
#define CR4_SMEP	(1ull << 20)
#define MSR_EFER	0xc0000080
#define EFER_NXE	(1ull << 11)

/* What the host set up, copied into the guest. */
struct layout {
	uint64_t pml4, pml4b;		/* the library's, and a second one */
	uint64_t pdpt, pd, pt;		/* space A under PML4[1] */
	uint64_t pdptb, pdb, ptb;	/* space B under pml4b[1] */
	uint64_t data[NDATA];		/* 4 KiB pages, data[i] tagged i */
	uint64_t large[2];		/* two 2 MiB pages, tagged */
	bool smep, nxe;
};

static struct layout lay;

/* Fault bookkeeping of the guest's #PF handler. */
static volatile uint64_t pf_count, pf_ec, pf_cr2;

static void pf_handler(struct vt_ex_regs *regs)
{
	pf_count++;
	pf_ec = regs->error_code;
	pf_cr2 = get_cr2();
	if (regs->rip == pf_cr2) {
		/* A fetch through call *%rax: back to the caller. */
		regs->rip = *(uint64_t *)regs->rsp;
		regs->rsp += 8;
	} else {
		regs->rip += 3;	/* rd()/wr() are 3 bytes */
	}
}

/* Accesses of a fixed length, so the handler can skip them. */
static inline uint64_t rd(uint64_t va)
{
	uint64_t v = 0xdeadull;

	__asm__ __volatile__(".byte 0x48, 0x8b, 0x07"	/* mov (%rdi),%rax */
			     : "+a"(v) : "D"(va) : "memory");
	return v;
}

static inline void wr(uint64_t va, uint64_t v)
{
	__asm__ __volatile__(".byte 0x48, 0x89, 0x07"	/* mov %rax,(%rdi) */
			     :: "a"(v), "D"(va) : "memory");
}

/* Call a "ret" at @va. */
static inline void fetch(uint64_t va)
{
	__asm__ __volatile__("call *%0" :: "r"(va)
			     : "memory", "rax", "rcx", "rdx", "rsi", "rdi",
			       "r8", "r9", "r10", "r11");
}

static inline void invlpg(uint64_t va)
{
	__asm__ __volatile__("invlpg (%0)" :: "r"(va) : "memory");
}

static inline void set_cr0(uint64_t v)
{
	__asm__ __volatile__("mov %0, %%cr0" :: "r"(v) : "memory");
}

static inline void set_cr3(uint64_t v)
{
	__asm__ __volatile__("mov %0, %%cr3" :: "r"(v) : "memory");
}

static inline void set_cr4(uint64_t v)
{
	__asm__ __volatile__("mov %0, %%cr4" :: "r"(v) : "memory");
}

static uint64_t *pte(unsigned int i)
{
	return (uint64_t *)(lay.pt + 8 * i);
}

static uint64_t va(unsigned int i)
{
	return TBASE + 4096ull * i;
}

/* Expect the access to fault with @ec at @addr. */
#define GUEST_EXPECT_PF(access, addr, ec) do {				\
	uint64_t n_ = pf_count;						\
	access;								\
	GUEST_ASSERT_EQ(pf_count, n_ + 1);				\
	GUEST_ASSERT_EQ(pf_ec, (ec));					\
	GUEST_ASSERT_EQ(pf_cr2, (addr));				\
} while (0)

#define GUEST_EXPECT_NO_PF(access) do {					\
	uint64_t n_ = pf_count;						\
	access;								\
	GUEST_ASSERT_EQ(pf_count, n_);					\
} while (0)

/* ---------------------------------------------------------------------- */

static void guest_basic_ad(void)
{
	uint64_t *pml4e = (uint64_t *)(lay.pml4 + 8);
	uint64_t *pdpte = (uint64_t *)lay.pdpt, *pde = (uint64_t *)lay.pd;

	*pte(0) = lay.data[0] | P | W;
	GUEST_ASSERT_EQ(rd(va(0)), 0);
	/* A in every entry of the walk, D not yet. */
	GUEST_ASSERT((*pml4e & A) && (*pdpte & A) && (*pde & A));
	GUEST_ASSERT_EQ(*pte(0) & (A | D), A);
	wr(va(0) + 8, 0x1234);
	GUEST_ASSERT_EQ(*pte(0) & (A | D), A | D);
	GUEST_ASSERT_EQ(*(uint64_t *)(lay.data[0] + 8), 0x1234);

	/* D cleared by the guest and flushed: the next write sets it. */
	*pte(0) &= ~D;
	invlpg(va(0));
	GUEST_ASSERT_EQ(rd(va(0) + 8), 0x1234);
	GUEST_ASSERT_EQ(*pte(0) & D, 0);
	wr(va(0) + 8, 0x5678);
	GUEST_ASSERT_EQ(*pte(0) & D, D);

	/* A write first sets both. */
	*pte(1) = lay.data[1] | P | W;
	wr(va(1), 1);
	GUEST_ASSERT_EQ(*pte(1) & (A | D), A | D);

	/* A fault sets neither. */
	*pte(2) = lay.data[2] | P;
	GUEST_EXPECT_PF(wr(va(2), 1), va(2), EC_P | EC_W);
	GUEST_ASSERT_EQ(*pte(2) & D, 0);
}

static void guest_perm_faults(void)
{
	uint64_t cr0 = get_cr0(), cr4 = get_cr4();

	/* Not present: read, write. */
	*pte(3) = 0;
	GUEST_EXPECT_PF(rd(va(3) + 16), va(3) + 16, 0);
	GUEST_EXPECT_PF(wr(va(3) + 24, 1), va(3) + 24, EC_W);

	/* Read-only, CR0.WP=1: reads fine, writes fault. */
	*pte(4) = lay.data[4] | P;
	GUEST_EXPECT_NO_PF(GUEST_ASSERT_EQ(rd(va(4)), 4));
	GUEST_EXPECT_PF(wr(va(4) + 8, 7), va(4) + 8, EC_P | EC_W);

	/* CR0.WP=0: the kernel may write read-only pages, D gets set. */
	set_cr0(cr0 & ~CR0_WP);
	GUEST_EXPECT_NO_PF(wr(va(4) + 8, 7));
	GUEST_ASSERT_EQ(*(uint64_t *)(lay.data[4] + 8), 7);
	GUEST_ASSERT_EQ(*pte(4) & D, D);
	/* Back to WP=1: the shadow's writable leaf must not survive. */
	set_cr0(cr0);
	GUEST_EXPECT_PF(wr(va(4) + 8, 8), va(4) + 8, EC_P | EC_W);
	GUEST_ASSERT_EQ(*(uint64_t *)(lay.data[4] + 8), 7);

	/* Not present fetch; NX fetch (with EFER.NXE). */
	*(uint8_t *)lay.data[5] = 0xc3;	/* ret */
	*pte(5) = 0;
	GUEST_EXPECT_PF(fetch(va(5)), va(5), lay.nxe ? EC_I : 0);
	*pte(5) = lay.data[5] | P;
	invlpg(va(5));
	GUEST_EXPECT_NO_PF(fetch(va(5)));
	if (lay.nxe) {
		*pte(6) = lay.data[5] | P | NX;
		GUEST_EXPECT_PF(fetch(va(6)), va(6), EC_P | EC_I);
		/* Data reads of an NX page are fine. */
		GUEST_EXPECT_NO_PF(GUEST_ASSERT_EQ(rd(va(6)) & 0xff, 0xc3));
	}

	/* SMEP: a supervisor fetch from a user page. */
	*pte(7) = lay.data[5] | P | U;
	GUEST_EXPECT_NO_PF(fetch(va(7)));
	if (lay.smep) {
		set_cr4(cr4 | CR4_SMEP);
		GUEST_EXPECT_PF(fetch(va(7)), va(7), EC_P | EC_I);
		/* Data accesses of user pages stay allowed (no SMAP). */
		GUEST_EXPECT_NO_PF(rd(va(7)));
		set_cr4(cr4);
		GUEST_EXPECT_NO_PF(fetch(va(7)));
	}
}

static void guest_invlpg(void)
{
	uint64_t v, idx = 2;

	*pte(8) = lay.data[8] | P | W;
	*(uint64_t *)lay.data[8] = 8;
	*(uint64_t *)lay.data[9] = 9;
	GUEST_ASSERT_EQ(rd(va(8)), 8);

	/* Changed without INVLPG: the old translation or the new one. */
	*pte(8) = lay.data[9] | P | W;
	v = rd(va(8));
	GUEST_ASSERT_MSG(v == 8 || v == 9, "read %llx", (unsigned long long)v);
	invlpg(va(8));
	GUEST_ASSERT_EQ(rd(va(8)), 9);

	/* Other addressing forms: base + displacement, SIB, 32-bit. */
	*pte(8) = lay.data[8] | P | W;
	__asm__ __volatile__("invlpg 0x10(%0)" :: "r"(va(8) - 0x10) : "memory");
	GUEST_ASSERT_EQ(rd(va(8)), 8);
	*pte(8) = lay.data[9] | P | W;
	__asm__ __volatile__("invlpg (%0,%1,8)"
			     :: "r"(va(8) - 16), "r"(idx) : "memory");
	GUEST_ASSERT_EQ(rd(va(8)), 9);
	*pte(8) = lay.data[8] | P | W;
	__asm__ __volatile__("invlpg 0x20(%0,%1,4)"
			     :: "r"(va(8) - 0x28), "r"(idx) : "memory");
	GUEST_ASSERT_EQ(rd(va(8)), 8);

	/* A PTE made not present, then INVLPG: the access faults. */
	*pte(8) = 0;
	invlpg(va(8));
	GUEST_EXPECT_PF(rd(va(8)), va(8), 0);

	/* Made read-only: after INVLPG the write faults. */
	*pte(9) = lay.data[9] | P | W;
	wr(va(9) + 8, 1);
	*pte(9) = lay.data[9] | P;
	invlpg(va(9));
	GUEST_EXPECT_PF(wr(va(9) + 8, 2), va(9) + 8, EC_P | EC_W);
}

static void guest_large(void)
{
	uint64_t *pde = (uint64_t *)(lay.pd + 8);

	*pde = lay.large[0] | P | W | PS;
	GUEST_ASSERT_EQ(rd(TLARGE), 0x100);
	GUEST_ASSERT_EQ(rd(TLARGE + (1 << 20) + 4096), 0x101);
	GUEST_ASSERT_EQ(*pde & (A | D), A);
	wr(TLARGE + 8, 5);
	GUEST_ASSERT_EQ(*pde & (A | D), A | D);
	GUEST_ASSERT_EQ(*(uint64_t *)(lay.large[0] + 8), 5);

	/* Remapped; INVLPG of one address drops the whole 2 MiB page. */
	*pde = lay.large[1] | P | W | PS;
	invlpg(TLARGE + 0x1000 * 77);
	GUEST_ASSERT_EQ(rd(TLARGE), 0x200);
	GUEST_ASSERT_EQ(rd(TLARGE + (1 << 20) + 4096), 0x201);

	/* Read-only large page. */
	*pde = lay.large[1] | P | PS;
	invlpg(TLARGE);
	GUEST_EXPECT_PF(wr(TLARGE + 0x3008, 1), TLARGE + 0x3008,
			EC_P | EC_W);
}

static void guest_pt_as_data(void)
{
	unsigned int i;

	/* va(10) maps the page table itself. */
	*pte(10) = lay.pt | P | W;
	invlpg(va(10));
	for (i = 0; i < 4; i++) {
		/* Write PTE 11 through va(10), then use it. */
		wr(va(10) + 8 * 11, lay.data[12 + i] | P | W);
		invlpg(va(11));
		GUEST_ASSERT_EQ(rd(va(11)), 12 + i);
		GUEST_ASSERT_EQ(*pte(11) & A, A);
		/* And through the data mapping: the same bits. */
		GUEST_ASSERT_EQ(rd(va(10) + 8 * 11), *pte(11));
	}
	/* Write to the page through its own mapping's PTE (PTE 10). */
	wr(va(10) + 8 * 10, lay.pt | P);
	invlpg(va(10));
	GUEST_EXPECT_PF(wr(va(10) + 8 * 11, 0), va(10) + 8 * 11, EC_P | EC_W);
	GUEST_ASSERT_NE(*pte(11), 0);
}

static void guest_cr3_pingpong(void)
{
	uint64_t cr4 = get_cr4(), *ptb = (uint64_t *)lay.ptb;
	unsigned int round;

	set_cr4(cr4 | CR4_PGE);
	/* Space A: va(20) non-global -> data 20, va(21) global -> data 21. */
	*pte(20) = lay.data[20] | P | W;
	*pte(21) = lay.data[21] | P | W | G;
	/* Space B: the same addresses -> data 30, 31. */
	ptb[20] = lay.data[30] | P | W;
	ptb[21] = lay.data[31] | P | W | G;
	invlpg(va(20));
	invlpg(va(21));

	for (round = 0; round < 50; round++) {
		set_cr3(lay.pml4);
		GUEST_ASSERT_EQ(rd(va(20)), 20);
		if (!round)
			GUEST_ASSERT_EQ(rd(va(21)), 21);
		set_cr3(lay.pml4b);
		/* Non-global: flushed by the CR3 write. */
		GUEST_ASSERT_EQ(rd(va(20)), 30);
		/*
		 * Global: the architecture allows either; vmem's shadow
		 * keeps global translations across CR3 writes.
		 */
		GUEST_ASSERT_EQ(rd(va(21)), 21);
	}
	/* CR4.PGE toggled: global translations go too. */
	set_cr4(cr4);
	set_cr4(cr4 | CR4_PGE);
	GUEST_ASSERT_EQ(rd(va(21)), 31);
	set_cr3(lay.pml4);
	GUEST_ASSERT_EQ(rd(va(21)), 31);
	invlpg(va(21));
	GUEST_ASSERT_EQ(rd(va(21)), 21);
	set_cr4(cr4);
}

/* Many PTEs rewritten per round, as fork and exit do, between CR3s. */
static void guest_churn(void)
{
	uint64_t *ptb = (uint64_t *)lay.ptb;
	unsigned int round, i;

	for (round = 0; round < 20; round++) {
		for (i = 0; i < 256; i++) {
			unsigned int d = (i + round) % NDATA;

			*pte(256 + i) = lay.data[d] | P | ((round & 1) ? W : 0);
			ptb[256 + i] = lay.data[(d + 1) % NDATA] | P | W;
			invlpg(va(256 + i));
		}
		set_cr3(lay.pml4);
		for (i = 0; i < 256; i++)
			GUEST_ASSERT_EQ(rd(va(256 + i)), (i + round) % NDATA);
		if (!(round & 1))
			GUEST_EXPECT_PF(wr(va(256 + round) + 16, 1),
					va(256 + round) + 16, EC_P | EC_W);
		set_cr3(lay.pml4b);
		for (i = 0; i < 256; i += 3)
			GUEST_ASSERT_EQ(rd(va(256 + i)),
					(i + round + 1) % NDATA);
		set_cr3(lay.pml4);
	}
}

static void guest_code(uint64_t which)
{
	switch (which) {
	case 0: guest_basic_ad(); break;
	case 1: guest_perm_faults(); break;
	case 2: guest_invlpg(); break;
	case 3: guest_large(); break;
	case 4: guest_pt_as_data(); break;
	case 5: guest_cr3_pingpong(); break;
	case 6: guest_churn(); break;
	}
	GUEST_DONE();
}

/* ---------------------------------------------------------------------- */
/* Host                                                                    */

static int put(struct vt_vm *vm, uint64_t gpa, uint64_t v)
{
	return vm_write(vm, gpa, &v, sizeof(v));
}

static int run_guest(uint64_t which)
{
	const struct vmem_cpuid_entry *leaf7;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	unsigned int i;
	uint64_t efer;

	vm = vm_create(VMEM_VM_MMU_SHADOW);
	ASSERT_TRUE(vm);
	vcpu = vcpu_add(vm, 0, guest_code);
	ASSERT_TRUE(vcpu);
	ASSERT_OK(vm_install_exception_handler(vm, 14, pf_handler));

	memset(&lay, 0, sizeof(lay));
	lay.pml4 = vm->pml4;
	lay.pml4b = vm_alloc(vm, 4096);
	lay.pdpt = vm_alloc(vm, 4096);
	lay.pd = vm_alloc(vm, 4096);
	lay.pt = vm_alloc(vm, 4096);
	lay.pdptb = vm_alloc(vm, 4096);
	lay.pdb = vm_alloc(vm, 4096);
	lay.ptb = vm_alloc(vm, 4096);
	for (i = 0; i < NDATA; i++) {
		lay.data[i] = vm_alloc(vm, 4096);
		ASSERT_TRUE(lay.data[i]);
		ASSERT_OK(put(vm, lay.data[i], i));
	}
	/* Two 2 MiB-aligned pages. */
	for (i = 0; i < 2; i++) {
		uint64_t a = vm_alloc(vm, 4ull << 20);

		ASSERT_TRUE(a);
		lay.large[i] = VT_ALIGN_UP(a, 2ull << 20);
		ASSERT_OK(put(vm, lay.large[i], 0x100 * (i + 1)));
		ASSERT_OK(put(vm, lay.large[i] + (1 << 20) + 4096,
			      0x100 * (i + 1) + 1));
	}
	ASSERT_TRUE(lay.pml4b && lay.pdpt && lay.pd && lay.pt && lay.ptb);

	/* Space B: the library's PML4[0], its own PML4[1]. */
	{
		uint64_t e0;

		ASSERT_OK(vm_read(vm, lay.pml4, &e0, sizeof(e0)));
		ASSERT_OK(put(vm, lay.pml4b, e0));
	}
	ASSERT_OK(put(vm, lay.pml4 + 8, lay.pdpt | P | W | U));
	ASSERT_OK(put(vm, lay.pdpt, lay.pd | P | W | U));
	ASSERT_OK(put(vm, lay.pd, lay.pt | P | W | U));
	ASSERT_OK(put(vm, lay.pml4b + 8, lay.pdptb | P | W | U));
	ASSERT_OK(put(vm, lay.pdptb, lay.pdb | P | W | U));
	ASSERT_OK(put(vm, lay.pdb, lay.ptb | P | W | U));

	ASSERT_OK(vcpu_get_msr(vcpu, MSR_EFER, &efer));
	lay.nxe = efer & EFER_NXE;
	leaf7 = vt_cpuid_find(vt_supported_cpuid(), 7, 0);
	lay.smep = leaf7 && (leaf7->ebx & (1u << 7));
	if (which == 1)
		vt_diag("NX checks %s, SMEP checks %s", lay.nxe ? "on" : "off",
			lay.smep ? "on" : "off");
	ASSERT_OK(vm_sync_to_guest(vm, lay));

	vcpu_args_set(vcpu, 1, which);
	ASSERT_RUN_DONE(vcpu);
	vm_free(vm);
	return VT_PASS;
}

static int test_basic_and_ad_bits(void)		{ return run_guest(0); }
static int test_permission_faults(void)		{ return run_guest(1); }
static int test_invlpg_stale_then_fresh(void)	{ return run_guest(2); }
static int test_large_pages(void)		{ return run_guest(3); }
static int test_page_table_as_data(void)	{ return run_guest(4); }
static int test_cr3_pingpong_global(void)	{ return run_guest(5); }
static int test_fork_like_churn(void)		{ return run_guest(6); }

/* A VMM killed while its shadow-paged guest runs leaves nothing behind. */
static void guest_spin(void)
{
	uint64_t *ptb = (uint64_t *)lay.ptb;
	unsigned int i = 0;

	for (;;) {
		*pte(i % 512) = lay.data[i % NDATA] | P | W;
		ptb[i % 512] = lay.data[(i + 1) % NDATA] | P | W;
		rd(va(i % 512));
		set_cr3((i & 1) ? lay.pml4 : lay.pml4b);
		i++;
	}
}

static int test_killed_vmm_leaks_nothing(void)
{
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	int status;
	pid_t pid;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_OK(pid = fork());
	if (!pid) {
		vm = vm_create(VMEM_VM_MMU_SHADOW);
		if (!vm)
			_exit(1);
		vcpu = vcpu_add(vm, 0, guest_spin);
		if (!vcpu)
			_exit(1);
		lay.pml4 = vm->pml4;
		lay.pml4b = vm->pml4;
		lay.pt = vm_alloc(vm, 4096);
		lay.ptb = lay.pt;
		lay.data[0] = vm_alloc(vm, 4096);
		for (int i = 1; i < NDATA; i++)
			lay.data[i] = lay.data[0];
		put(vm, lay.pml4 + 8, (lay.pdpt = vm_alloc(vm, 4096)) | P | W);
		put(vm, lay.pdpt, (lay.pd = vm_alloc(vm, 4096)) | P | W);
		put(vm, lay.pd, lay.pt | P | W);
		vm_sync_to_guest(vm, lay);
		vcpu_run(vcpu);
		_exit(2);
	}
	usleep(500 * 1000);
	ASSERT_OK(kill(pid, SIGKILL));
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static int setup(void)
{
	long cap = vt_check_extension(VMEM_CAP_SHADOW_MMU);

	if (cap < 0)
		return vt_require_vm(VMEM_VM_MMU_SHADOW);
	if (cap == 0)
		SKIP("VMEM_CAP_SHADOW_MMU is 0: no shadow MMU on this backend");
	return vt_require_vm(VMEM_VM_MMU_SHADOW);
}

static const struct vt_case cases[] = {
	VT_CASE(basic_and_ad_bits),
	VT_CASE(permission_faults),
	VT_CASE(invlpg_stale_then_fresh),
	VT_CASE(large_pages),
	VT_CASE(page_table_as_data),
	VT_CASE(cr3_pingpong_global),
	VT_CASE(fork_like_churn),
	VT_CASE(killed_vmm_leaks_nothing),
};

VT_MAIN(cases, setup, NULL)
