/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vt_x86.h - x86 definitions for the vmem selftests: control-register,
 * EFER, RFLAGS and page-table bits, MSR numbers, exception vectors, and
 * inline instructions usable from guest code (CPUID, RDMSR, port I/O...).
 *
 * Everything here is usable on both sides: the host builds guest state
 * with the constants, guest code executes the inline functions.  Nothing
 * here calls libc.
 */
#ifndef VMEM_VT_X86_H
#define VMEM_VT_X86_H

#include <stdbool.h>
#include <stdint.h>

#define X86_CR0_PE	(1ull << 0)
#define X86_CR0_MP	(1ull << 1)
#define X86_CR0_EM	(1ull << 2)
#define X86_CR0_TS	(1ull << 3)
#define X86_CR0_ET	(1ull << 4)
#define X86_CR0_NE	(1ull << 5)
#define X86_CR0_WP	(1ull << 16)
#define X86_CR0_AM	(1ull << 18)
#define X86_CR0_NW	(1ull << 29)
#define X86_CR0_CD	(1ull << 30)
#define X86_CR0_PG	(1ull << 31)

#define X86_CR4_VME	(1ull << 0)
#define X86_CR4_PVI	(1ull << 1)
#define X86_CR4_TSD	(1ull << 2)
#define X86_CR4_DE	(1ull << 3)
#define X86_CR4_PSE	(1ull << 4)
#define X86_CR4_PAE	(1ull << 5)
#define X86_CR4_MCE	(1ull << 6)
#define X86_CR4_PGE	(1ull << 7)
#define X86_CR4_PCE	(1ull << 8)
#define X86_CR4_OSFXSR	(1ull << 9)
#define X86_CR4_OSXMMEXCPT (1ull << 10)
#define X86_CR4_UMIP	(1ull << 11)
#define X86_CR4_LA57	(1ull << 12)
#define X86_CR4_VMXE	(1ull << 13)
#define X86_CR4_SMXE	(1ull << 14)
#define X86_CR4_FSGSBASE (1ull << 16)
#define X86_CR4_PCIDE	(1ull << 17)
#define X86_CR4_OSXSAVE	(1ull << 18)
#define X86_CR4_SMEP	(1ull << 20)
#define X86_CR4_SMAP	(1ull << 21)
#define X86_CR4_PKE	(1ull << 22)

#define EFER_SCE	(1ull << 0)
#define EFER_LME	(1ull << 8)
#define EFER_LMA	(1ull << 10)
#define EFER_NXE	(1ull << 11)
#define EFER_SVME	(1ull << 12)

#define X86_EFLAGS_CF	(1ull << 0)
#define X86_EFLAGS_FIXED (1ull << 1)
#define X86_EFLAGS_ZF	(1ull << 6)
#define X86_EFLAGS_SF	(1ull << 7)
#define X86_EFLAGS_TF	(1ull << 8)
#define X86_EFLAGS_IF	(1ull << 9)
#define X86_EFLAGS_DF	(1ull << 10)
#define X86_EFLAGS_OF	(1ull << 11)

#define XFEATURE_X87	(1ull << 0)
#define XFEATURE_SSE	(1ull << 1)
#define XFEATURE_AVX	(1ull << 2)

/* Page-table entry bits (4-level and 2-level paging). */
#define PTE_P		(1ull << 0)
#define PTE_W		(1ull << 1)
#define PTE_U		(1ull << 2)
#define PTE_A		(1ull << 5)
#define PTE_D		(1ull << 6)
#define PTE_PS		(1ull << 7)
#define PTE_NX		(1ull << 63)

#define MSR_IA32_TSC		0x00000010
#define MSR_IA32_APICBASE	0x0000001b
#define MSR_IA32_SYSENTER_CS	0x00000174
#define MSR_IA32_SYSENTER_ESP	0x00000175
#define MSR_IA32_SYSENTER_EIP	0x00000176
#define MSR_IA32_CR_PAT		0x00000277
#define MSR_EFER		0xc0000080
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_TSC_AUX		0xc0000103

#define DE_VECTOR	0
#define DB_VECTOR	1
#define NMI_VECTOR	2
#define BP_VECTOR	3
#define OF_VECTOR	4
#define BR_VECTOR	5
#define UD_VECTOR	6
#define NM_VECTOR	7
#define DF_VECTOR	8
#define TS_VECTOR	10
#define NP_VECTOR	11
#define SS_VECTOR	12
#define GP_VECTOR	13
#define PF_VECTOR	14
#define MF_VECTOR	16
#define AC_VECTOR	17
#define MC_VECTOR	18
#define XM_VECTOR	19
#define VE_VECTOR	20
#define CP_VECTOR	21

/* CPUID bits the library looks at. */
#define CPUID_1_ECX_XSAVE	(1u << 26)
#define CPUID_1_ECX_OSXSAVE	(1u << 27)
#define CPUID_1_ECX_AVX		(1u << 28)
#define CPUID_1_EDX_FXSR	(1u << 24)
#define CPUID_1_EDX_SSE		(1u << 25)
#define CPUID_1_EDX_SSE2	(1u << 26)

/* ---------------------------------------------------------------------- */
/* Instructions (guest code, or host code where the instruction is allowed) */

static inline void cpuid_count(uint32_t leaf, uint32_t sub, uint32_t *a,
			       uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ __volatile__("cpuid"
			     : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			     : "a"(leaf), "c"(sub)
			     : "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return lo | (uint64_t)hi << 32;
}

static inline void wrmsr(uint32_t msr, uint64_t val)
{
	__asm__ __volatile__("wrmsr"
			     :: "c"(msr), "a"((uint32_t)val),
				"d"((uint32_t)(val >> 32))
			     : "memory");
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return lo | (uint64_t)hi << 32;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ __volatile__("outb %0, %1" :: "a"(v), "Nd"(port) : "memory");
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ __volatile__("outw %0, %1" :: "a"(v), "Nd"(port) : "memory");
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ __volatile__("outl %0, %1" :: "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

#define VT_DEFINE_READ_CR(n)						\
static inline uint64_t get_cr##n(void)					\
{									\
	uint64_t v;							\
	__asm__ __volatile__("mov %%cr" #n ", %0" : "=r"(v) :: "memory"); \
	return v;							\
}
VT_DEFINE_READ_CR(0)
VT_DEFINE_READ_CR(2)
VT_DEFINE_READ_CR(3)
VT_DEFINE_READ_CR(4)
VT_DEFINE_READ_CR(8)
#undef VT_DEFINE_READ_CR

static inline void set_cr8(uint64_t v)
{
	__asm__ __volatile__("mov %0, %%cr8" :: "r"(v) : "memory");
}

static inline uint64_t xgetbv(uint32_t index)
{
	uint32_t lo, hi;

	__asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
	return lo | (uint64_t)hi << 32;
}

static inline void xsetbv(uint32_t index, uint64_t val)
{
	__asm__ __volatile__("xsetbv"
			     :: "c"(index), "a"((uint32_t)val),
				"d"((uint32_t)(val >> 32))
			     : "memory");
}

static inline uint64_t read_rflags(void)
{
	uint64_t f;

	__asm__ __volatile__("pushfq; popq %0" : "=r"(f) :: "memory");
	return f;
}

static inline uint16_t read_cs(void)
{
	uint16_t v;

	__asm__ __volatile__("mov %%cs, %0" : "=r"(v));
	return v;
}

static inline uint16_t read_ss(void)
{
	uint16_t v;

	__asm__ __volatile__("mov %%ss, %0" : "=r"(v));
	return v;
}

static inline uint16_t read_tr(void)
{
	uint16_t v;

	__asm__ __volatile__("str %0" : "=r"(v));
	return v;
}

struct vt_desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static inline void sgdt(struct vt_desc_ptr *p)
{
	__asm__ __volatile__("sgdt %0" : "=m"(*p));
}

static inline void sidt(struct vt_desc_ptr *p)
{
	__asm__ __volatile__("sidt %0" : "=m"(*p));
}

static inline void lidt(const struct vt_desc_ptr *p)
{
	__asm__ __volatile__("lidt %0" :: "m"(*p) : "memory");
}

static inline void cli(void)
{
	__asm__ __volatile__("cli" ::: "memory");
}

static inline void sti(void)
{
	__asm__ __volatile__("sti" ::: "memory");
}

/* STI then HLT: the interrupt shadow of STI covers the HLT, so an
 * interrupt that arrives in between wakes the HLT instead of being lost. */
static inline void safe_halt(void)
{
	__asm__ __volatile__("sti; hlt" ::: "memory");
}

static inline void hlt(void)
{
	__asm__ __volatile__("hlt" ::: "memory");
}

static inline void cpu_relax(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

static inline uint64_t vmmcall(uint64_t nr, uint64_t a0, uint64_t a1)
{
	uint64_t ret;

	__asm__ __volatile__("vmmcall"
			     : "=a"(ret) : "a"(nr), "b"(a0), "c"(a1)
			     : "memory");
	return ret;
}

/*
 * A hypercall with KVM's registers, by VMMCALL (AMD) or VMCALL (Intel):
 * RAX = @nr, RBX and RCX in and out (vmem's VMEM_HC_MEM_INFO answers
 * there); returns RAX.
 */
static inline uint64_t vmmcall_regs(uint64_t nr, uint64_t *rbx, uint64_t *rcx)
{
	__asm__ __volatile__("vmmcall"
			     : "+a"(nr), "+b"(*rbx), "+c"(*rcx) : : "memory");
	return nr;
}

static inline uint64_t vmcall_regs(uint64_t nr, uint64_t *rbx, uint64_t *rcx)
{
	__asm__ __volatile__("vmcall"
			     : "+a"(nr), "+b"(*rbx), "+c"(*rcx) : : "memory");
	return nr;
}

#endif /* VMEM_VT_X86_H */
