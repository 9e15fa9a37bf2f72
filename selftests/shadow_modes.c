// SPDX-License-Identifier: GPL-2.0
/*
 * shadow_modes - the paging modes other than 4-level long mode, as the
 * guest sees them: protected mode with paging off (and turned on and off
 * by the guest), 32-bit paging with 4 MiB pages (CR4.PSE), PAE paging
 * with 2 MiB pages and NX; in each, permission faults with their exact
 * error codes and CR2, from ring 0 and from ring 3 (U/S), CR0.WP on and
 * off, accessed and dirty bits set exactly when hardware sets them (A on
 * any access, D on a write, neither on a faulting access), a page table
 * written through a data mapping of itself and then used, and a CR3
 * ping-pong between two address spaces with global pages.  Real
 * mode is checked against VMEM_CAP_REAL_MODE.  shadow_tlb.c covers
 * 4-level long mode.
 *
 * The guest-visible behaviour is the architecture's whatever the MMU, so
 * every case runs on VMEM_VM_MMU_AUTO VMs: on the shadow configurations
 * they test the shadow MMU, on the others the same expectations hold
 * for NPT/EPT (and for the emulator's own MMU).
 *
 * The guest is a small 32-bit interpreter (sm_start below, copied to
 * CODE) of a script of operations the host writes at OPS: read, write,
 * fetch (a jump to "jmp *%edx"), INVLPG, MOV to CR0/CR3/CR4, and a
 * switch to ring 3.  Its #PF handler records the fault count, error code
 * and CR2 of the current operation at RES and resumes with the next
 * operation; any other exception reports 0xbad0.  The host builds the
 * GDT (ring 0 and ring 3 flat segments, a 32-bit TSS for the ring
 * switch), the IDT and the page tables (lib/vt_paging.h), runs the script
 * to its end (OUT 0x600d), then checks every result and the guest's
 * page-table entries.
 */
#include <string.h>

#include "vt.h"
#include "vt_paging.h"
#include "vt_vm.h"

/* Guest-physical (and, identity-mapped, linear) layout, below 64 KiB. */
#define GDT		0x1000
#define TSS		0x1800
#define IDT		0x2000
#define CUR_RES		0x2c00	/* the result slot of the operation */
#define RESUME		0x2c04	/* where the #PF handler resumes */
#define OPS		0x3000
#define RES		0x4000
#define USTACK		0x6000
#define KSTACK		0x7000
#define CODE		0x8000
#define LOW_END		0x10000

#define SEL_CODE	0x08
#define SEL_DATA	0x10
#define SEL_UCODE	0x1b	/* ring 3 */
#define SEL_UDATA	0x23
#define SEL_TSS		0x28

#define REPORT_PORT	0x11
#define GOOD		0x600d

/* Operations (struct sm_op.kind), as the interpreter decodes them. */
#define OP_END		0
#define OP_READ		1
#define OP_WRITE	2
#define OP_FETCH	3
#define OP_INVLPG	4
#define OP_CR0		5
#define OP_CR3		6
#define OP_CR4		7
#define OP_RING3	8
#define MAX_OPS		255

/* Where the tests map their pages. */
#define TVA		0x40000000u		/* 4 KiB pages TVA + i * 4 KiB */
#define PT_ALIAS	0x40200000u		/* the page table, as data (PAE:
						 * a 2 MiB slot of its own) */
#define LVA		0x40400000u		/* a large page */
#define LVA_RO		0x40800000u		/* a read-only large page */

#define EC_P		0x1
#define EC_W		0x2
#define EC_U		0x4
#define EC_I		0x10

#define S_(x)		#x
#define S(x)		S_(x)

extern const char sm_start[], sm_pf[], sm_bad[], sm_end[];

__asm__(
	".pushsection .rodata.vt_blobs, \"a\"\n"
	".code32\n"
	"sm_start:\n"
	"	mov $" S(OPS) ", %esi\n"
	"	mov $" S(RES) ", %ebx\n"
	"sm_loop:\n"
	"	mov %ebx, " S(CUR_RES) "\n"
	"	movl $(sm_next - sm_start + " S(CODE) "), " S(RESUME) "\n"
	"	mov (%esi), %eax\n"
	"	mov 4(%esi), %edi\n"
	"	mov 8(%esi), %ecx\n"
	"	cmp $" S(OP_END) ", %eax\n"
	"	je sm_done\n"
	"	cmp $" S(OP_READ) ", %eax\n"
	"	jne 1f\n"
	"	mov (%edi), %eax\n"
	"	mov %eax, (%ebx)\n"
	"	jmp sm_next\n"
	"1:	cmp $" S(OP_WRITE) ", %eax\n"
	"	jne 1f\n"
	"	mov %ecx, (%edi)\n"
	"	jmp sm_next\n"
	"1:	cmp $" S(OP_FETCH) ", %eax\n"
	"	jne 1f\n"
	"	mov $(sm_next - sm_start + " S(CODE) "), %edx\n"
	"	jmp *%edi\n"
	"1:	cmp $" S(OP_INVLPG) ", %eax\n"
	"	jne 1f\n"
	"	invlpg (%edi)\n"
	"	jmp sm_next\n"
	"1:	cmp $" S(OP_CR0) ", %eax\n"
	"	jne 1f\n"
	"	mov %ecx, %cr0\n"
	"	jmp sm_next\n"
	"1:	cmp $" S(OP_CR3) ", %eax\n"
	"	jne 1f\n"
	"	mov %ecx, %cr3\n"
	"	jmp sm_next\n"
	"1:	cmp $" S(OP_CR4) ", %eax\n"
	"	jne 1f\n"
	"	mov %ecx, %cr4\n"
	"	jmp sm_next\n"
	"1:	cmp $" S(OP_RING3) ", %eax\n"
	"	jne 1f\n"
	"	pushl $" S(SEL_UDATA) "\n"
	"	pushl $" S(USTACK) "\n"
	"	pushfl\n"
	"	orl $0x3000, (%esp)\n"		/* IOPL 3: OUT from ring 3 */
	"	pushl $" S(SEL_UCODE) "\n"
	"	pushl $(2f - sm_start + " S(CODE) ")\n"
	"	iret\n"
	"2:	mov $" S(SEL_UDATA) ", %ax\n"
	"	mov %ax, %ds\n"
	"	mov %ax, %es\n"
	"	jmp sm_next\n"
	"1:	mov $0xbad1, %eax\n"		/* unknown operation */
	"	jmp sm_report\n"
	"sm_next:\n"
	"	add $16, %esi\n"
	"	add $16, %ebx\n"
	"	jmp sm_loop\n"
	"sm_done:\n"
	"	mov $" S(GOOD) ", %eax\n"
	"sm_report:\n"
	"	out %ax, $" S(REPORT_PORT) "\n"
	"	jmp sm_report\n"
	/* #PF: count it, keep error code and CR2, resume at RESUME. */
	"sm_pf:\n"
	"	push %eax\n"
	"	push %edx\n"
	"	mov " S(CUR_RES) ", %edx\n"
	"	incl 4(%edx)\n"
	"	mov 8(%esp), %eax\n"
	"	mov %eax, 8(%edx)\n"
	"	mov %cr2, %eax\n"
	"	mov %eax, 12(%edx)\n"
	"	mov " S(RESUME) ", %eax\n"
	"	mov %eax, 12(%esp)\n"
	"	pop %edx\n"
	"	pop %eax\n"
	"	add $4, %esp\n"
	"	iret\n"
	"sm_bad:\n"
	"	mov $0xbad0, %eax\n"
	"	jmp sm_report\n"
	"sm_end:\n"
	".code64\n"
	".popsection\n");

struct sm_op {
	uint32_t kind, addr, value, pad;
};

struct sm_res {
	uint32_t value, faults, ec, cr2;
};

/* One guest and its script. */
struct sm {
	struct vt_vm *vm;
	struct vt_vcpu *vcpu;
	struct vt_pt pt;
	bool paging, pae, nxe;
	uint64_t data[16];		/* 4 KiB pages tagged 0x1000 + i */
	uint64_t large;			/* a large page, tagged */
	uint64_t cr0, cr4;		/* the paged state the script starts in */
	struct sm_op ops[MAX_OPS];
	unsigned int n;
	struct sm_res res[MAX_OPS];
};

static unsigned int op(struct sm *s, uint32_t kind, uint32_t addr,
		       uint32_t value)
{
	unsigned int i = s->n;

	if (i < MAX_OPS - 1) {
		s->ops[i] = (struct sm_op){ kind, addr, value, 0 };
		s->n++;
	}
	return i;
}

static uint32_t tva(unsigned int i)
{
	return TVA + 4096 * i;
}

static uint64_t gdt_seg(bool code, unsigned int dpl)
{
	/* Flat 4 GiB, 32-bit, present, accessed. */
	uint64_t type = code ? 0xb : 0x3;

	return 0xffffull | (0xfull << 48) | (1ull << 54) | (1ull << 55) |
	       (type << 40) | (1ull << 44) | ((uint64_t)dpl << 45) |
	       (1ull << 47);
}

static void seg(struct vmem_segment *sg, uint16_t sel, bool code)
{
	memset(sg, 0, sizeof(*sg));
	sg->selector = sel;
	sg->limit = 0xffffffff;
	sg->type = code ? 0xb : 0x3;
	sg->s = 1;
	sg->present = 1;
	sg->db = 1;
	sg->g = 1;
}

/* The VM, its low memory (tables, interpreter), data pages. */
static int sm_create(struct sm *s, bool paging, bool pae)
{
	uint64_t gdt[6] = { 0 }, idt[256], tss = TSS;
	uint32_t tss32[26] = { 0 };
	uint8_t jmp_edx[2] = { 0xff, 0xe2 };
	const struct vmem_cpuid_entry *e;
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->paging = paging;
	s->pae = pae;
	s->vm = vm_create(VMEM_VM_MMU_AUTO);
	ASSERT_TRUE(s->vm);
	s->vcpu = vcpu_add(s->vm, 0, NULL);
	ASSERT_TRUE(s->vcpu);

	gdt[1] = gdt_seg(true, 0);
	gdt[2] = gdt_seg(false, 0);
	gdt[3] = gdt_seg(true, 3);
	gdt[4] = gdt_seg(false, 3);
	/* A busy 32-bit TSS at TSS, limit 0x67. */
	gdt[5] = 0x67 | ((tss & 0xffffff) << 16) | (0xbull << 40) |
		 (1ull << 47) | ((tss >> 24) << 56);
	ASSERT_OK(vm_write(s->vm, GDT, gdt, sizeof(gdt)));
	tss32[1] = KSTACK;		/* ESP0 */
	tss32[2] = SEL_DATA;		/* SS0 */
	tss32[25] = 104 << 16;		/* no I/O bitmap */
	ASSERT_OK(vm_write(s->vm, TSS, tss32, sizeof(tss32)));
	for (i = 0; i < 256; i++) {
		uint64_t h = CODE + (i == 14 ? sm_pf : sm_bad) - sm_start;

		/* 32-bit interrupt gate, DPL 0. */
		idt[i] = (h & 0xffff) | ((uint64_t)SEL_CODE << 16) |
			 (0x8eull << 40) | ((h >> 16) << 48);
	}
	ASSERT_OK(vm_write(s->vm, IDT, idt, sizeof(idt)));
	ASSERT_OK(vm_load_blob(s->vm, CODE, sm_start, sm_end));

	for (i = 0; i < VT_ARRAY_SIZE(s->data); i++) {
		uint32_t tag = 0x1000 + i;

		s->data[i] = vm_alloc(s->vm, 4096);
		ASSERT_TRUE(s->data[i]);
		ASSERT_OK(vm_write(s->vm, s->data[i], &tag, sizeof(tag)));
		/* At offset 0x800: code that returns to the interpreter. */
		ASSERT_OK(vm_write(s->vm, s->data[i] + 0x800, jmp_edx,
				   sizeof(jmp_edx)));
	}
	{
		uint64_t size = pae ? 2ull << 20 : 4ull << 20;
		uint64_t a = vm_alloc(s->vm, 2 * size);
		uint32_t tag = 0x2000;

		ASSERT_TRUE(a);
		s->large = VT_ALIGN_UP(a, size);
		ASSERT_OK(vm_write(s->vm, s->large + 0x5000, &tag, sizeof(tag)));
	}

	e = vt_cpuid_find(vt_supported_cpuid(), 0x80000001, 0);
	s->nxe = pae && e && (e->edx & (1u << 20));
	s->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_MP;
	s->cr4 = 0;
	if (!paging)
		return VT_PASS;
	s->cr0 |= X86_CR0_PG | X86_CR0_WP;
	s->cr4 = pae ? X86_CR4_PAE : X86_CR4_PSE;

	ASSERT_OK(vt_pt_init(s->vm, &s->pt, pae ? VT_PT_PAE : VT_PT_32BIT));
	/* The interpreter and its tables: identity, user, writable. */
	for (i = 0; i < LOW_END; i += 4096)
		ASSERT_OK(vt_pt_map(&s->pt, i, i, VT_PTE_W | VT_PTE_U));
	return VT_PASS;
}

/* Start the script from ring 0 in the chosen mode: one VMEM_RUN. */
static int sm_enter(struct sm *s)
{
	struct vmem_sregs sr;
	struct vmem_regs regs;
	struct vt_vcpu *vcpu = s->vcpu;

	s->ops[s->n] = (struct sm_op){ OP_END, 0, 0, 0 };
	ASSERT_OK(vm_write(s->vm, OPS, s->ops, sizeof(s->ops[0]) * (s->n + 1)));
	memset(s->res, 0, sizeof(s->res));
	ASSERT_OK(vm_write(s->vm, RES, s->res, sizeof(s->res)));

	ASSERT_OK(vcpu_get_sregs(vcpu, &sr));
	seg(&sr.cs, SEL_CODE, true);
	seg(&sr.ds, SEL_DATA, false);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	memset(&sr.tr, 0, sizeof(sr.tr));
	sr.tr.selector = SEL_TSS;
	sr.tr.base = TSS;
	sr.tr.limit = 0x67;
	/*
	 * "Available" 32-bit TSS: QEMU's TCG keeps that type in its TR cache
	 * (its LTR marks only the descriptor busy) and aborts the whole
	 * machine ("invalid tss type") on a ring switch through a TR of the
	 * busy type.  The VMX backend makes it busy, as LTR would.
	 */
	sr.tr.type = 0x9;
	sr.tr.present = 1;
	memset(&sr.ldt, 0, sizeof(sr.ldt));
	sr.ldt.type = 0x2;
	sr.ldt.unusable = 1;
	memset(&sr.gdt, 0, sizeof(sr.gdt));
	sr.gdt.base = GDT;
	sr.gdt.limit = 6 * 8 - 1;
	memset(&sr.idt, 0, sizeof(sr.idt));
	sr.idt.base = IDT;
	sr.idt.limit = 256 * 8 - 1;
	sr.cr0 = s->cr0;
	sr.cr4 = s->cr4;
	sr.cr3 = s->paging ? s->pt.root : 0;
	sr.efer = s->nxe ? EFER_NXE : 0;
	ASSERT_OK(vcpu_set_sregs(vcpu, &sr));
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE;
	regs.rsp = KSTACK;
	regs.rflags = X86_EFLAGS_FIXED;
	ASSERT_OK(vcpu_set_regs(vcpu, &regs));
	ASSERT_OK(vcpu_run(vcpu));
	return VT_PASS;
}

/* Run the script to its OUT GOOD and read the results. */
static int sm_run(struct sm *s)
{
	struct vmem_run *run = s->vcpu->run;
	uint32_t cur = 0;
	uint16_t got;

	if (sm_enter(s) != VT_PASS)
		return VT_FAIL;
	if (run->exit_reason != VMEM_EXIT_IO || run->io.port != REPORT_PORT ||
	    run->io.size != 2) {
		vcpu_describe_exit(s->vcpu);
		FAIL("the script did not report (exit %s)",
		     vt_exit_name(run->exit_reason));
	}
	memcpy(&got, vcpu_io_data(s->vcpu), sizeof(got));
	ASSERT_OK(vm_read(s->vm, CUR_RES, &cur, sizeof(cur)));
	ASSERT_OK(vm_read(s->vm, RES, s->res, sizeof(s->res)));
	if (got != GOOD)
		FAIL("guest reported %#x at operation %u", got,
		     (cur - RES) / 16);
	return VT_PASS;
}

/* Operation @i read @value without a fault. */
#define EXPECT_READ(s, i, v) do {					\
	EXPECT_EQ((s)->res[i].faults, 0);				\
	EXPECT_EQ((s)->res[i].value, (v));				\
} while (0)
#define EXPECT_NO_FAULT(s, i)	EXPECT_EQ((s)->res[i].faults, 0)
/* Operation @i faulted once, with @ec and CR2 @addr. */
#define EXPECT_FAULT(s, i, e, addr) do {				\
	EXPECT_EQ((s)->res[i].faults, 1);				\
	EXPECT_EQ((s)->res[i].ec, (e));					\
	EXPECT_EQ((s)->res[i].cr2, (addr));				\
} while (0)

static uint64_t leaf_ad(struct sm *s, uint32_t va)
{
	return vt_pt_leaf(&s->pt, va) & (VT_PTE_A | VT_PTE_D);
}

static int setup(void)
{
	return vt_require_vm(VMEM_VM_MMU_AUTO);
}

/* ---------------------------------------------------------------------- */

/*
 * Protected mode with paging off: every linear address is its physical
 * one (the shadow MMU's identity map on shadow VMs); then the guest turns
 * paging on and off again with MOV CR0.
 */
static int test_paging_off_and_on(void)
{
	unsigned int r0, w1, f2, cr3, cr4, pg, r3, npg, r4, w5;
	uint32_t v = 0;
	struct sm s;

	if (sm_create(&s, false, false) != VT_PASS)
		return VT_FAIL;
	ASSERT_OK(vt_pt_init(s.vm, &s.pt, VT_PT_32BIT));
	for (unsigned int i = 0; i < LOW_END; i += 4096)
		ASSERT_OK(vt_pt_map(&s.pt, i, i, VT_PTE_W));
	ASSERT_OK(vt_pt_map(&s.pt, tva(0), s.data[3], VT_PTE_W));

	r0 = op(&s, OP_READ, s.data[0], 0);
	w1 = op(&s, OP_WRITE, s.data[1] + 8, 0x5eed);
	f2 = op(&s, OP_FETCH, s.data[2] + 0x800, 0);
	cr3 = op(&s, OP_CR3, 0, s.pt.root);
	cr4 = op(&s, OP_CR4, 0, X86_CR4_PSE);
	pg = op(&s, OP_CR0, 0, X86_CR0_PE | X86_CR0_ET | X86_CR0_NE |
		X86_CR0_MP | X86_CR0_PG | X86_CR0_WP);
	r3 = op(&s, OP_READ, tva(0), 0);
	npg = op(&s, OP_CR0, 0, X86_CR0_PE | X86_CR0_ET | X86_CR0_NE |
		 X86_CR0_MP);
	r4 = op(&s, OP_READ, s.data[4], 0);
	w5 = op(&s, OP_WRITE, s.data[5] + 16, 0xf00d);
	if (sm_run(&s) != VT_PASS)
		return VT_FAIL;

	EXPECT_READ(&s, r0, 0x1000);
	EXPECT_NO_FAULT(&s, w1);
	EXPECT_NO_FAULT(&s, f2);
	EXPECT_NO_FAULT(&s, cr3);
	EXPECT_NO_FAULT(&s, cr4);
	EXPECT_NO_FAULT(&s, pg);
	EXPECT_READ(&s, r3, 0x1003);
	EXPECT_NO_FAULT(&s, npg);
	EXPECT_READ(&s, r4, 0x1004);
	EXPECT_NO_FAULT(&s, w5);
	ASSERT_OK(vm_read(s.vm, s.data[1] + 8, &v, sizeof(v)));
	EXPECT_EQ(v, 0x5eed);
	ASSERT_OK(vm_read(s.vm, s.data[5] + 16, &v, sizeof(v)));
	EXPECT_EQ(v, 0xf00d);
	/* The one paged access set A, only there. */
	EXPECT_EQ(leaf_ad(&s, tva(0)), VT_PTE_A);
	EXPECT_EQ(leaf_ad(&s, 0xe000), 0);
	vm_free(s.vm);
	return VT_PASS;
}

/*
 * The common script of the paged cases: 4 KiB and large pages, faults
 * from ring 0 and ring 3, CR0.WP, a page table written through a data
 * mapping of itself.
 */
static int paged_case(bool pae)
{
	uint32_t pte_size = pae ? 8 : 4;
	unsigned int rd0, wr1, wro2, rnp3, wp0, wp1, wpo, old11, alias, inv;
	unsigned int rd11;
	unsigned int lrd, lwr, lro, nxf = 0, nxr = 0;
	unsigned int u_rd6, u_wr4, u_rd5, u_wr7, u_fetch8, u_fetch9, u_wp10;
	uint64_t wp = X86_CR0_WP;
	uint64_t pt_gpa;
	uint32_t v = 0;
	struct sm s;

	if (sm_create(&s, true, pae) != VT_PASS)
		return VT_FAIL;
	if (pae)
		vt_diag("NX checks %s", s.nxe ? "on" : "off (no NX in CPUID)");

	/* Ring 0 pages. */
	ASSERT_OK(vt_pt_map(&s.pt, tva(0), s.data[0], VT_PTE_W | VT_PTE_U));
	ASSERT_OK(vt_pt_map(&s.pt, tva(1), s.data[1], VT_PTE_W));
	ASSERT_OK(vt_pt_map(&s.pt, tva(2), s.data[2], 0));
	/* tva(3) and tva(7): not present. */
	ASSERT_OK(vt_pt_map(&s.pt, tva(9), s.data[9], 0));
	ASSERT_OK(vt_pt_map(&s.pt, tva(11), s.data[11], VT_PTE_W));
	/* Ring 3 pages. */
	ASSERT_OK(vt_pt_map(&s.pt, tva(4), s.data[4], VT_PTE_U));
	ASSERT_OK(vt_pt_map(&s.pt, tva(5), s.data[5], VT_PTE_W));
	ASSERT_OK(vt_pt_map(&s.pt, tva(6), s.data[6], VT_PTE_W | VT_PTE_U));
	ASSERT_OK(vt_pt_map(&s.pt, tva(8), s.data[8], VT_PTE_U));
	ASSERT_OK(vt_pt_map(&s.pt, tva(10), s.data[10], VT_PTE_U));
	/* The page table of TVA, as data, supervisor read/write. */
	pt_gpa = vt_pt_entry_gpa(&s.pt, TVA, 1);
	ASSERT_TRUE(pt_gpa);
	ASSERT_OK(vt_pt_map(&s.pt, PT_ALIAS, pt_gpa & ~0xfffull, VT_PTE_W));
	/* Large pages: one writable, one read-only. */
	ASSERT_OK(vt_pt_map(&s.pt, LVA, s.large, VT_PTE_W | VT_PTE_PS));
	ASSERT_OK(vt_pt_map(&s.pt, LVA_RO, s.large, VT_PTE_PS));
	if (s.nxe) {
		ASSERT_OK(vt_pt_map(&s.pt, tva(12), s.data[12],
				    VT_PTE_W | VT_PTE_NX));
	}

	/* Ring 0: A on a read, A and D on a write, neither on a fault. */
	rd0 = op(&s, OP_READ, tva(0), 0);
	wr1 = op(&s, OP_WRITE, tva(1) + 8, 0x1111);
	wro2 = op(&s, OP_WRITE, tva(2) + 8, 0x2222);
	rnp3 = op(&s, OP_READ, tva(3) + 12, 0);
	/* CR0.WP=0: the kernel writes a read-only page; WP=1 again: not. */
	wp0 = op(&s, OP_CR0, 0, s.cr0 & ~wp);
	wp1 = op(&s, OP_WRITE, tva(9) + 8, 0x9999);
	wpo = op(&s, OP_CR0, 0, s.cr0);
	op(&s, OP_WRITE, tva(9) + 16, 0x9998);
	/* Use PTE 11, rewrite it through the alias, INVLPG, use it. */
	old11 = op(&s, OP_READ, tva(11), 0);
	alias = op(&s, OP_WRITE, PT_ALIAS + 11 * pte_size,
		   (uint32_t)s.data[13] | VT_PTE_P | VT_PTE_W);
	inv = op(&s, OP_INVLPG, tva(11), 0);
	rd11 = op(&s, OP_READ, tva(11), 0);
	/* Large pages. */
	lrd = op(&s, OP_READ, LVA + 0x5000, 0);
	lwr = op(&s, OP_WRITE, LVA + 0x3008, 0x3333);
	lro = op(&s, OP_WRITE, LVA_RO + 0x7010, 0x4444);
	if (s.nxe) {
		nxf = op(&s, OP_FETCH, tva(12) + 0x800, 0);
		nxr = op(&s, OP_READ, tva(12), 0);
	}
	/* Ring 3. */
	op(&s, OP_RING3, 0, 0);
	u_rd6 = op(&s, OP_READ, tva(6), 0);
	u_wr4 = op(&s, OP_WRITE, tva(4) + 4, 0x4);
	u_rd5 = op(&s, OP_READ, tva(5) + 20, 0);
	u_wr7 = op(&s, OP_WRITE, tva(7) + 24, 0x7);
	op(&s, OP_WRITE, tva(6) + 8, 0x6666);
	u_fetch8 = op(&s, OP_FETCH, tva(8) + 0x800, 0);
	u_fetch9 = op(&s, OP_FETCH, tva(9) + 0x800, 0);
	u_wp10 = op(&s, OP_WRITE, tva(10), 0xa);

	if (sm_run(&s) != VT_PASS)
		return VT_FAIL;

	EXPECT_READ(&s, rd0, 0x1000);
	EXPECT_EQ(leaf_ad(&s, tva(0)), VT_PTE_A);
	EXPECT_NO_FAULT(&s, wr1);
	EXPECT_EQ(leaf_ad(&s, tva(1)), VT_PTE_A | VT_PTE_D);
	EXPECT_FAULT(&s, wro2, EC_P | EC_W, tva(2) + 8);
	EXPECT_EQ(leaf_ad(&s, tva(2)), 0);
	EXPECT_FAULT(&s, rnp3, 0, tva(3) + 12);
	/* Upper levels: A, set by the walks that succeeded. */
	EXPECT_TRUE(vt_pt_entry(&s.pt, TVA, 2) & VT_PTE_A);

	EXPECT_NO_FAULT(&s, wp0);
	EXPECT_NO_FAULT(&s, wp1);
	EXPECT_NO_FAULT(&s, wpo);
	EXPECT_FAULT(&s, wpo + 1, EC_P | EC_W, tva(9) + 16);
	ASSERT_OK(vm_read(s.vm, s.data[9] + 8, &v, sizeof(v)));
	EXPECT_EQ(v, 0x9999);
	ASSERT_OK(vm_read(s.vm, s.data[9] + 16, &v, sizeof(v)));
	EXPECT_EQ(v, 0);

	EXPECT_READ(&s, old11, 0x100b);
	EXPECT_NO_FAULT(&s, alias);
	EXPECT_NO_FAULT(&s, inv);
	EXPECT_READ(&s, rd11, 0x100d);
	EXPECT_EQ(leaf_ad(&s, tva(11)), VT_PTE_A);

	EXPECT_READ(&s, lrd, 0x2000);
	EXPECT_NO_FAULT(&s, lwr);
	EXPECT_EQ(leaf_ad(&s, LVA), VT_PTE_A | VT_PTE_D);
	EXPECT_FAULT(&s, lro, EC_P | EC_W, LVA_RO + 0x7010);
	EXPECT_EQ(leaf_ad(&s, LVA_RO), 0);
	ASSERT_OK(vm_read(s.vm, s.large + 0x3008, &v, sizeof(v)));
	EXPECT_EQ(v, 0x3333);
	if (s.nxe) {
		EXPECT_FAULT(&s, nxf, EC_P | EC_I, tva(12) + 0x800);
		EXPECT_READ(&s, nxr, 0x100c);
	}

	EXPECT_READ(&s, u_rd6, 0x1006);
	EXPECT_FAULT(&s, u_wr4, EC_P | EC_W | EC_U, tva(4) + 4);
	EXPECT_FAULT(&s, u_rd5, EC_P | EC_U, tva(5) + 20);
	EXPECT_FAULT(&s, u_wr7, EC_W | EC_U, tva(7) + 24);
	EXPECT_EQ(leaf_ad(&s, tva(6)), VT_PTE_A | VT_PTE_D);
	EXPECT_NO_FAULT(&s, u_fetch8);
	/* I/D is reported only with NX paging (or SMEP, off here). */
	EXPECT_FAULT(&s, u_fetch9, EC_P | EC_U | (s.nxe ? EC_I : 0),
		     tva(9) + 0x800);
	/* A faulting first access sets neither A nor D. */
	EXPECT_FAULT(&s, u_wp10, EC_P | EC_W | EC_U, tva(10));
	EXPECT_EQ(leaf_ad(&s, tva(10)), 0);
	vm_free(s.vm);
	return VT_PASS;
}

static int test_pse_32bit_4m_pages(void)
{
	return paged_case(false);
}

static int test_pae_2m_pages_nx(void)
{
	return paged_case(true);
}

/*
 * A process-switch-like CR3 ping-pong between two address spaces with
 * CR4.PGE: a non-global translation never survives a MOV to CR3; a
 * global one may (the architecture allows either) until CR4.PGE is
 * toggled, which drops it.
 */
static int cr3_case(bool pae)
{
	unsigned int ng_a[8], ng_b[8], g_b[8], pge_off, after;
	uint32_t cr4_pge = X86_CR4_PGE;
	unsigned int r, n = 0;
	struct vt_pt b;
	struct sm s;

	if (sm_create(&s, true, pae) != VT_PASS)
		return VT_FAIL;
	ASSERT_OK(vt_pt_init(s.vm, &b, pae ? VT_PT_PAE : VT_PT_32BIT));
	for (unsigned int i = 0; i < LOW_END; i += 4096)
		ASSERT_OK(vt_pt_map(&b, i, i, VT_PTE_W | VT_PTE_U));
	/* tva(0) non-global, tva(1) global: A sees data 0/2, B data 1/3. */
	ASSERT_OK(vt_pt_map(&s.pt, tva(0), s.data[0], VT_PTE_W));
	ASSERT_OK(vt_pt_map(&s.pt, tva(1), s.data[2], VT_PTE_W | VT_PTE_G));
	ASSERT_OK(vt_pt_map(&b, tva(0), s.data[1], VT_PTE_W));
	ASSERT_OK(vt_pt_map(&b, tva(1), s.data[3], VT_PTE_W | VT_PTE_G));

	op(&s, OP_CR4, 0, s.cr4 | cr4_pge);
	for (r = 0; r < VT_ARRAY_SIZE(ng_a); r++) {
		op(&s, OP_CR3, 0, s.pt.root);
		ng_a[r] = op(&s, OP_READ, tva(0), 0);
		op(&s, OP_READ, tva(1), 0);	/* A's global in the TLB */
		op(&s, OP_CR3, 0, b.root);
		ng_b[r] = op(&s, OP_READ, tva(0), 0);
		g_b[r] = op(&s, OP_READ, tva(1), 0);
	}
	/* Still in B: toggling CR4.PGE drops A's global translation. */
	pge_off = op(&s, OP_CR4, 0, s.cr4);
	op(&s, OP_CR4, 0, s.cr4 | cr4_pge);
	after = op(&s, OP_READ, tva(1), 0);
	if (sm_run(&s) != VT_PASS)
		return VT_FAIL;

	for (r = 0; r < VT_ARRAY_SIZE(ng_a); r++) {
		EXPECT_READ(&s, ng_a[r], 0x1000);
		EXPECT_READ(&s, ng_b[r], 0x1001);
		EXPECT_NO_FAULT(&s, g_b[r]);
		EXPECT_TRUE(s.res[g_b[r]].value == 0x1002 ||
			    s.res[g_b[r]].value == 0x1003);
		n += s.res[g_b[r]].value == 0x1002;
	}
	vt_diag("%s: A's global page seen after %u of %zu switches to B",
		pae ? "PAE" : "32-bit", n, VT_ARRAY_SIZE(ng_a));
	EXPECT_NO_FAULT(&s, pge_off);
	EXPECT_READ(&s, after, 0x1003);
	vm_free(s.vm);
	return VT_PASS;
}

static int test_cr3_switch_global_32bit(void)
{
	return cr3_case(false);
}

static int test_cr3_switch_global_pae(void)
{
	return cr3_case(true);
}

/*
 * Real mode runs exactly in the MMU modes VMEM_CAP_REAL_MODE lists; in
 * the others SET_SREGS refuses it, RUN of the reset state fails the entry
 * without running, and a guest that clears CR0.PE exits INTERNAL.
 */
static int real_mode_in(unsigned int mmu, long modes)
{
	struct vmem_sregs sr;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	struct sm s;

	ASSERT_TRUE(vm = vm_create_bare(mmu));
	ASSERT_TRUE(vcpu = vcpu_add_bare(vm, 0));
	ASSERT_OK(vcpu_get_sregs(vcpu, &sr));
	EXPECT_EQ(sr.cr0 & X86_CR0_PE, 0);
	if (modes & mmu) {
		EXPECT_OK(vcpu_set_sregs(vcpu, &sr));
		vm_free(vm);
		return VT_PASS;
	}
	EXPECT_ERRNO(vcpu_set_sregs(vcpu, &sr), EINVAL);
	ASSERT_OK(vcpu_run(vcpu));
	EXPECT_EQ(vcpu->run->exit_reason, VMEM_EXIT_FAIL_ENTRY);
	if (vt_check_extension(VMEM_CAP_BACKEND) == VMEM_BACKEND_VMX)
		EXPECT_EQ(vcpu->run->fail_entry.hardware_reason, 0x80000021);
	vm_free(vm);

	/* A protected-mode guest clearing PE (AUTO is this mode here). */
	if (sm_create(&s, false, false) != VT_PASS)
		return VT_FAIL;
	op(&s, OP_CR0, 0, X86_CR0_ET | X86_CR0_NE);
	ASSERT_EQ(sm_enter(&s), VT_PASS);
	EXPECT_EQ(s.vcpu->run->exit_reason, VMEM_EXIT_INTERNAL);
	vm_free(s.vm);
	return VT_PASS;
}

static int test_real_mode_per_capability(void)
{
	long modes = vt_check_extension(VMEM_CAP_REAL_MODE);
	long hw = vt_check_extension(VMEM_CAP_HW_MMU);
	long shadow = vt_check_extension(VMEM_CAP_SHADOW_MMU);
	struct vt_leaks base;

	ASSERT_OK(vt_leaks_read(&base));
	vt_diag("REAL_MODE %#lx, HW_MMU %ld, SHADOW_MMU %ld", modes, hw,
		shadow);
	EXPECT_EQ(modes & ~(long)(VMEM_VM_MMU_HW | VMEM_VM_MMU_SHADOW), 0);
	if (!hw)
		EXPECT_EQ(modes & VMEM_VM_MMU_HW, 0);
	if (!shadow)
		EXPECT_EQ(modes & VMEM_VM_MMU_SHADOW, 0);
	if (vt_check_extension(VMEM_CAP_BACKEND) == VMEM_BACKEND_SVM)
		EXPECT_EQ(modes, (hw ? VMEM_VM_MMU_HW : 0) |
			  (shadow ? VMEM_VM_MMU_SHADOW : 0));
	else
		EXPECT_EQ(modes & VMEM_VM_MMU_SHADOW, 0);
	/* The mode AUTO picks, the one sm_create() uses. */
	if (hw == 1 && real_mode_in(VMEM_VM_MMU_HW, modes) != VT_PASS)
		return VT_FAIL;
	if (hw != 1 && shadow == 1 &&
	    real_mode_in(VMEM_VM_MMU_SHADOW, modes) != VT_PASS)
		return VT_FAIL;
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(paging_off_and_on),
	VT_CASE(pse_32bit_4m_pages),
	VT_CASE(pae_2m_pages_nx),
	VT_CASE(cr3_switch_global_32bit),
	VT_CASE(cr3_switch_global_pae),
	VT_CASE(real_mode_per_capability),
};

VT_MAIN(cases, setup, NULL)
