// SPDX-License-Identifier: GPL-2.0
/*
 * x86_escape - what a guest must never reach on x86: host memory through
 * the nested page tables, 5-level paging that vmem's MMUs do not walk,
 * and its VMM's PKRU.  The rules are the same on SVM and VMX and on every
 * MMU, so every case holds whichever backend and MMUs this host has.
 *
 *  - nested tables as deep as the CPU walks them: on a host with 5-level
 *    paging AMD walks NPT with five levels, and a 4-level tree would be
 *    read one level too deep, its last level pointing at guest page 0 as
 *    a page table.  page0_trick fills guest page 0 with entries that map
 *    guest-physical 0 onto itself and 0x10000 onto a page of the VMM
 *    (physical addresses from /proc/self/pagemap), runs real-mode code
 *    from page 0 that reads 0x10000, and checks the guest saw its own
 *    page there.  memory_every_mmu writes and reads back guest memory in
 *    two slots far apart on every MMU (on such a host a 4-level tree
 *    never resolves: the guest loops on nested page faults);
 *  - CR4.LA57 and CR4.PKE are never a guest's (x86/cr.c): SET_SREGS
 *    refuses them (EINVAL), a guest MOV to CR4 setting them is a #GP
 *    (from 32-bit protected mode for LA57, where the architecture would
 *    allow it, and from 64-bit mode), and CPUID does not offer LA57, PKU
 *    or OSPKE;
 *  - the VMM thread's PKRU (when the host uses protection keys) is the
 *    same after running a guest that tried CR4.PKE and WRPKRU.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

#define VALUE_PORT	0x10
#define REPORT_PORT	0x11

/* Guest page 0 as the broken walk would read it, and its code. */
#define P0_CODE		0x400
#define P0_READ_GPA	0x10000
#define NPT_BITS	0x67ull	/* P, RW, US, A, D */
#define OWN		0x6f776e2d70616765ull	/* the guest's own page */
#define SECRET		0x5ec2e75ec2e75ec2ull	/* the VMM's page */

/* The 32-bit blob and its #GP handler. */
#define PM_LOAD		0x8000
#define PM_IDT		0x9000

#define GUEST_PKRU	0xcu	/* key 1 access- and write-disabled */

#define CPUID7_ECX_PKU		(1u << 3)
#define CPUID7_ECX_OSPKE	(1u << 4)
#define CPUID7_ECX_LA57		(1u << 16)

extern const char p0_start[], p0_end[];
extern const char pm_start[], pm_gp[], pm_end[];

__asm__(
	".pushsection .rodata.vt_blobs, \"a\"\n"

	/* Real mode at 0:P0_CODE: read the qword at GPA 0x10000, report it. */
	".code16\n"
	"p0_start:\n"
	"	mov $0x1000, %ax\n"
	"	mov %ax, %ds\n"
	"	mov $0x10, %dx\n"
	"	movl %ds:0, %eax\n"
	"	outl %eax, %dx\n"
	"	movl %ds:4, %eax\n"
	"	outl %eax, %dx\n"
	"	hlt\n"
	"p0_end:\n"

	/*
	 * 32-bit protected mode, paging off: set CR4.LA57, report CR4.  The
	 * #GP handler reports the vector instead.
	 */
	".code32\n"
	"pm_start:\n"
	"	mov %cr4, %eax\n"
	"	or $0x1000, %eax\n"
	"	mov %eax, %cr4\n"
	"	mov %cr4, %eax\n"
	"	mov $0x10, %dx\n"
	"	outl %eax, %dx\n"
	"	hlt\n"
	"pm_gp:\n"
	"	mov $13, %eax\n"
	"	mov $0x11, %dx\n"
	"	outl %eax, %dx\n"
	"	hlt\n"
	"pm_end:\n"
	".code64\n"
	".popsection\n");

static const unsigned int mmus[] = { VMEM_VM_MMU_HW, VMEM_VM_MMU_SHADOW };

static const char *mmu_name(unsigned int mmu)
{
	return mmu == VMEM_VM_MMU_HW ? "hw" : "shadow";
}

/* Whether this host runs VMs on @mmu (EOPNOTSUPP: it does not). */
static bool mmu_present(unsigned int mmu)
{
	int dev, vm;

	dev = vt_open_dev(O_RDWR);
	if (dev < 0)
		return false;
	vm = ioctl(dev, VMEM_CREATE_VM, mmu);
	close(dev);
	if (vm < 0)
		return false;
	close(vm);
	return true;
}

/* Host-physical address of the page at @va, 0 if pagemap hides it. */
static uint64_t host_pa(const void *va)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (uintptr_t)va / 4096 * 8) != sizeof(e))
		e = 0;
	close(fd);
	if (!(e >> 63))
		return 0;
	return (e & ((1ull << 55) - 1)) << 12;
}

/* ---------------------------------------------------------------------- */
/* Guest code                                                              */

static uint8_t mov_cr4_safe(uint64_t val)
{
	uint64_t vec;

	__asm__ __volatile__("lea 1f(%%rip), %%r10\n\t"
			     "movabs $0x5afe5afe5afe5afe, %%r11\n\t"
			     "mov %[v], %%cr4\n\t"
			     "mov $0xff, %%r11d\n\t"
			     "1: mov %%r11, %[vec]\n\t"
			     : [vec] "=r"(vec)
			     : [v] "r"(val)
			     : "r10", "r11", "memory");
	return (uint8_t)vec;
}

static uint8_t wrpkru_safe(uint32_t val)
{
	uint64_t vec;

	__asm__ __volatile__("lea 1f(%%rip), %%r10\n\t"
			     "movabs $0x5afe5afe5afe5afe, %%r11\n\t"
			     ".byte 0x0f, 0x01, 0xef\n\t"	/* WRPKRU */
			     "mov $0xff, %%r11d\n\t"
			     "1: mov %%r11, %[vec]\n\t"
			     : [vec] "=r"(vec)
			     : "a"(val), "c"(0), "d"(0)
			     : "r10", "r11", "memory");
	return (uint8_t)vec;
}

static void guest_la57_long(void)
{
	uint64_t cr4 = get_cr4();

	GUEST_ASSERT_EQ(mov_cr4_safe(cr4 | X86_CR4_LA57), GP_VECTOR);
	GUEST_ASSERT_EQ(get_cr4(), cr4);
	GUEST_DONE();
}

/* Reports: the vector of MOV CR4 |= PKE, of WRPKRU, and CR4 after. */
static void guest_pke(void)
{
	uint64_t cr4 = get_cr4();
	uint8_t v_cr4, v_wrpkru;

	v_cr4 = mov_cr4_safe(cr4 | X86_CR4_PKE);
	v_wrpkru = wrpkru_safe(GUEST_PKRU);
	GUEST_SYNC_ARGS(1, v_cr4, v_wrpkru, get_cr4());
	GUEST_DONE();
}

#define MEM_PAGES	64

static void guest_memory(uint64_t a, uint64_t b)
{
	volatile uint64_t *pa = (volatile uint64_t *)a;
	volatile uint64_t *pb = (volatile uint64_t *)b;
	uint64_t i;

	for (i = 0; i < MEM_PAGES; i++) {
		pa[i * 512] = OWN ^ i;
		pb[i * 512 + 1] = SECRET ^ i;
	}
	for (i = 0; i < MEM_PAGES; i++) {
		GUEST_ASSERT_EQ(pa[i * 512], OWN ^ i);
		GUEST_ASSERT_EQ(pb[i * 512 + 1], SECRET ^ i);
	}
	GUEST_DONE();
}

static void guest_nop(void)
{
	GUEST_DONE();
}

/* ---------------------------------------------------------------------- */
/* Cases                                                                   */

/*
 * Guest page 0 holds what a 4-level nested tree read with five levels
 * would take as the last-level table of guest-physical 0-2 MiB: entry 0
 * maps page 0 itself (so that the code in it runs), entry 16 maps
 * 0x10000 onto a page of this process.  The guest must read its own page.
 */
static int test_page0_trick(void)
{
	uint64_t *page0, *secret, secret_pa, page0_pa, own = OWN;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	int r, i;

	r = vt_require_vm(VMEM_VM_MMU_HW);
	if (r != VT_PASS)
		return r;
	if (vt_require_real_mode(VMEM_VM_MMU_HW) != VT_PASS)
		return VT_SKIP;
	ASSERT_OK(posix_memalign((void **)&secret, 4096, 4096) ? -1 : 0);
	for (i = 0; i < 512; i++)
		secret[i] = SECRET;
	ASSERT_OK(mlock(secret, 4096));
	secret_pa = host_pa(secret);
	if (!secret_pa) {
		free(secret);
		SKIP("/proc/self/pagemap shows no physical addresses here");
	}

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_TRUE(vm = vm_create(VMEM_VM_MMU_HW));
	ASSERT_TRUE(vcpu = vcpu_add(vm, 0, NULL));
	ASSERT_TRUE(page0 = vm_gpa2hva(vm, 0));
	ASSERT_OK(vm_load_blob(vm, P0_CODE, p0_start, p0_end));
	ASSERT_OK(vm_write(vm, P0_READ_GPA, &own, sizeof(own)));
	ASSERT_TRUE(page0_pa = host_pa(page0));
	page0[P0_READ_GPA >> 12] = secret_pa | NPT_BITS;
	page0[0] = page0_pa | NPT_BITS;
	ASSERT_OK(vcpu_set_real_mode(vcpu, 0, P0_CODE, 0, 0x7000, 0));

	ASSERT_RUN_OUT(vcpu, VALUE_PORT, 4, (uint32_t)OWN);
	ASSERT_RUN_OUT(vcpu, VALUE_PORT, 4, (uint32_t)(OWN >> 32));
	ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_HLT);
	vm_free(vm);
	EXPECT_NO_LEAKS(&base);
	EXPECT_EQ(secret[0], SECRET);
	munlock(secret, 4096);
	free(secret);
	return VT_PASS;
}

/* Guest memory in two slots 3 GiB apart, written and read back. */
static int test_memory_every_mmu(void)
{
	const uint64_t far = 0xc0000000ull;
	struct vt_leaks base;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	unsigned int n = 0, i;
	uint64_t a, v;

	ASSERT_OK(vt_leaks_read(&base));
	for (i = 0; i < VT_ARRAY_SIZE(mmus); i++) {
		if (!mmu_present(mmus[i]))
			continue;
		vt_diag("MMU %s\n", mmu_name(mmus[i]));
		ASSERT_TRUE(vm = vm_create(mmus[i]));
		ASSERT_OK(vm_add_slot(vm, 1, far, MEM_PAGES * VT_PAGE_SIZE, 0));
		ASSERT_TRUE(a = vm_alloc(vm, MEM_PAGES * VT_PAGE_SIZE));
		ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_memory));
		ASSERT_OK(vcpu_args_set(vcpu, 2, a, far));
		ASSERT_RUN_DONE(vcpu);
		ASSERT_OK(vm_read(vm, a + 5 * VT_PAGE_SIZE, &v, sizeof(v)));
		EXPECT_EQ(v, OWN ^ 5);
		ASSERT_OK(vm_read(vm, far + 7 * VT_PAGE_SIZE + 8, &v, sizeof(v)));
		EXPECT_EQ(v, SECRET ^ 7);
		vm_free(vm);
		n++;
	}
	if (!n)
		SKIP("no MMU runs guests here");
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

/* The CR4 bits vmem never gives a guest, in SET_SREGS, on every MMU. */
static int test_sregs_cr4(void)
{
	static const uint64_t refused[] = {
		X86_CR4_LA57, X86_CR4_PKE, X86_CR4_VMXE, X86_CR4_SMXE,
	};
	struct vmem_sregs sr, bad, now;
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	unsigned int i, j, n = 0;

	for (i = 0; i < VT_ARRAY_SIZE(mmus); i++) {
		if (!mmu_present(mmus[i]))
			continue;
		vt_diag("MMU %s\n", mmu_name(mmus[i]));
		ASSERT_TRUE(vm = vm_create(mmus[i]));
		ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_nop));
		ASSERT_OK(vcpu_get_sregs(vcpu, &sr));
		for (j = 0; j < VT_ARRAY_SIZE(refused); j++) {
			bad = sr;
			bad.cr4 |= refused[j];
			EXPECT_ERRNO(vcpu_set_sregs(vcpu, &bad), EINVAL);
		}
		/* Outside long mode too, where LA57 would be latent. */
		bad = sr;
		bad.efer = 0;
		bad.cr0 &= ~X86_CR0_PG;
		bad.cr4 |= X86_CR4_LA57;
		bad.cs.l = 0;
		bad.cs.db = 1;
		EXPECT_ERRNO(vcpu_set_sregs(vcpu, &bad), EINVAL);
		/* PCIDE outside long mode: a state no CPU can be in. */
		bad.cr4 &= ~X86_CR4_LA57;
		bad.cr4 |= X86_CR4_PCIDE;
		EXPECT_ERRNO(vcpu_set_sregs(vcpu, &bad), EINVAL);
		/* Nothing of it stuck; the state itself is fine. */
		ASSERT_OK(vcpu_get_sregs(vcpu, &now));
		EXPECT_EQ(now.cr4, sr.cr4);
		EXPECT_OK(vcpu_set_sregs(vcpu, &sr));
		ASSERT_RUN_DONE(vcpu);
		vm_free(vm);
		n++;
	}
	if (!n)
		SKIP("no MMU runs guests here");
	return VT_PASS;
}

/* A guest in 32-bit protected mode sets CR4.LA57: #GP. */
static int test_guest_la57_protected(void)
{
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	struct vmem_sregs sr;
	unsigned int i, n = 0;
	uint32_t gate[2];

	for (i = 0; i < VT_ARRAY_SIZE(mmus); i++) {
		uint32_t handler = PM_LOAD + (uint32_t)(pm_gp - pm_start);

		if (!mmu_present(mmus[i]))
			continue;
		vt_diag("MMU %s\n", mmu_name(mmus[i]));
		ASSERT_TRUE(vm = vm_create(mmus[i]));
		ASSERT_TRUE(vcpu = vcpu_add(vm, 0, NULL));
		ASSERT_OK(vm_load_blob(vm, PM_LOAD, pm_start, pm_end));
		/* A 32-bit interrupt gate for #GP, code selector 0x18. */
		gate[0] = (VT_SEL_CODE32 << 16) | (handler & 0xffff);
		gate[1] = (handler & 0xffff0000) | 0x8e00;
		ASSERT_OK(vm_write(vm, PM_IDT + GP_VECTOR * 8, gate, sizeof(gate)));
		ASSERT_OK(vcpu_set_protected_mode(vcpu, PM_LOAD, 0x7000, 0));
		ASSERT_OK(vcpu_get_sregs(vcpu, &sr));
		sr.idt.base = PM_IDT;
		sr.idt.limit = 32 * 8 - 1;
		ASSERT_OK(vcpu_set_sregs(vcpu, &sr));
		ASSERT_RUN_OUT(vcpu, REPORT_PORT, 4, GP_VECTOR);
		ASSERT_RUN_EXIT(vcpu, VMEM_EXIT_HLT);
		ASSERT_OK(vcpu_get_sregs(vcpu, &sr));
		EXPECT_EQ(sr.cr4 & X86_CR4_LA57, 0);
		vm_free(vm);
		n++;
	}
	if (!n)
		SKIP("no MMU runs guests here");
	return VT_PASS;
}

/* In 64-bit mode (where the architecture forbids the change anyway). */
static int test_guest_la57_long(void)
{
	struct vt_vcpu *vcpu;
	struct vt_vm *vm;
	unsigned int i, n = 0;

	for (i = 0; i < VT_ARRAY_SIZE(mmus); i++) {
		if (!mmu_present(mmus[i]))
			continue;
		vt_diag("MMU %s\n", mmu_name(mmus[i]));
		ASSERT_TRUE(vm = vm_create(mmus[i]));
		ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_la57_long));
		ASSERT_RUN_DONE(vcpu);
		vm_free(vm);
		n++;
	}
	if (!n)
		SKIP("no MMU runs guests here");
	return VT_PASS;
}

static uint32_t rdpkru(void)
{
	uint32_t eax, edx;

	__asm__ __volatile__(".byte 0x0f, 0x01, 0xee"	/* RDPKRU */
			     : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

/*
 * The guest tries CR4.PKE and WRPKRU: #GP and #UD on every backend and
 * MMU, and the VMM's PKRU is what it was.
 */
static int test_guest_pke(void)
{
	bool host_pke = vt_cpu_has_flag("ospke") == 1;
	uint32_t pkru = host_pke ? rdpkru() : 0;
	struct vt_vcpu *vcpu;
	struct vt_ucall uc;
	struct vt_vm *vm;
	unsigned int i, n = 0;

	if (host_pke)
		vt_diag("VMM PKRU 0x%x\n", pkru);
	for (i = 0; i < VT_ARRAY_SIZE(mmus); i++) {
		if (!mmu_present(mmus[i]))
			continue;
		vt_diag("MMU %s\n", mmu_name(mmus[i]));
		ASSERT_TRUE(vm = vm_create(mmus[i]));
		ASSERT_TRUE(vcpu = vcpu_add(vm, 0, guest_pke));
		ASSERT_RUN_UCALL(vcpu, UCALL_SYNC, &uc);
		if (host_pke)
			EXPECT_EQ(rdpkru(), pkru);
		EXPECT_EQ(uc.args[1], GP_VECTOR);
		EXPECT_EQ(uc.args[2], UD_VECTOR);
		EXPECT_EQ(uc.args[3] & X86_CR4_PKE, 0);
		ASSERT_RUN_DONE(vcpu);
		if (host_pke)
			EXPECT_EQ(rdpkru(), pkru);
		vm_free(vm);
		n++;
	}
	if (!n)
		SKIP("no MMU runs guests here");
	return VT_PASS;
}

static int test_cpuid_leaf7(void)
{
	const struct vmem_cpuid_entry *e;
	const struct vmem_cpuid *cpuid;

	ASSERT_TRUE(cpuid = vt_supported_cpuid());
	e = vt_cpuid_find(cpuid, 7, 0);
	if (!e)
		return VT_PASS;
	EXPECT_EQ(e->ecx & CPUID7_ECX_LA57, 0);
	EXPECT_EQ(e->ecx & CPUID7_ECX_PKU, 0);
	EXPECT_EQ(e->ecx & CPUID7_ECX_OSPKE, 0);
	return VT_PASS;
}

/*
 * For the record: whether this kernel runs with 5-level paging (it keeps
 * "la57" in cpuinfo only then) and its vmalloc size, which says the same.
 */
static void describe_host(void)
{
	char buf[4096], *p;

	vt_diag("host: la57 %d, pku %d, ospke %d\n", vt_cpu_has_flag("la57"),
		vt_cpu_has_flag("pku"), vt_cpu_has_flag("ospke"));
	if (vt_read_file("/proc/meminfo", buf, sizeof(buf)) < 0)
		return;
	p = strstr(buf, "VmallocTotal:");
	if (p && strchr(p, '\n'))
		*strchr(p, '\n') = '\0';
	if (p)
		vt_diag("host: %s\n", p);
}

static int setup(void)
{
	describe_host();
	return vt_require_vm(VMEM_VM_MMU_AUTO);
}

/*
 * The order matters only on a broken kernel, so that each case reports
 * before one that never returns: page0_trick first (with nested tables
 * shallower than the CPU walks, every other guest loops on nested page
 * faults), guest_la57_long after guest_pke (a long-mode guest that gets
 * LA57 on the shadow MMU runs on tables read one level too deep).
 */
static const struct vt_case cases[] = {
	VT_CASE(cpuid_leaf7),
	VT_CASE(page0_trick),
	VT_CASE(guest_pke),
	VT_CASE(sregs_cr4),
	VT_CASE(guest_la57_protected),
	VT_CASE(guest_la57_long),
	VT_CASE(memory_every_mmu),
};

VT_MAIN(cases, setup, NULL);
