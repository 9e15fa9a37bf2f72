// SPDX-License-Identifier: GPL-2.0
/*
 * x86/cpuid.c - what CPUID says to guests.
 *
 * VMEM_GET_SUPPORTED_CPUID answers with the host's CPUID filtered to what
 * vmem virtualizes; the table is built once at load.  The VMM gives each
 * vCPU its own table with VMEM_SET_CPUID; vmem masks the feature words
 * with the supported table (so a guest never sees a feature vmem cannot
 * give it) and takes every other field as the VMM wrote it (vendor,
 * family, brand, topology, cache descriptors: they describe, they do not
 * enable).  Leaves that describe machinery vmem does not virtualize at
 * all (MONITOR/MWAIT, PMU, SGX, PT, nested SVM, SEV) are zeroed.
 *
 * Offered, in short: the host's ISA extensions (SSE..AVX-512, BMI, SHA,
 * AES...), XSAVE for x87/SSE/AVX/AVX-512 state (what fits the 4 KiB
 * XSAVE area of the ABI; not PKRU, AMX, MPX or supervisor states),
 * long mode, NX, 1 GiB pages, RDTSCP/RDPID, and the hypervisor bit with
 * "VmemVmemVmem" at 0x40000000.  Not offered: VMX/SVM (no nesting),
 * PCID/INVPCID, x2APIC and TSC-deadline (no in-kernel APIC), MONITOR/
 * MWAIT, the PMU, MCE/MCA, PKU, LA57, TSX, speculation-control MSRs.
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/bits.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xcr.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/processor.h>

#include <linux/vmem.h>

#include "vmem_backend.h"
#include "vmem_core.h"
#include "vmem_vm.h"

#define VMEM_MAX_CPUID		256
#define VMEM_HV_LEAF		0x40000000

u64 vmem_supported_xcr0 __ro_after_init;

/* The supported table, built at load.  [I] */
static struct vmem_cpuid_entry vmem_cpuid_supported[64] __ro_after_init;
static unsigned int vmem_cpuid_nr_supported __ro_after_init;

/* Standard-format offset and size of each XSAVE component (leaf 0xD).  [I] */
static u32 vmem_xsave_off[64] __ro_after_init;
static u32 vmem_xsave_sz[64] __ro_after_init;

/* Components vmem may manage for guests (user states that fit 4 KiB). */
#define VMEM_XCR0_CANDIDATES	(XFEATURE_MASK_FPSSE | XFEATURE_MASK_YMM | \
				 XFEATURE_MASK_AVX512)

/* ---- feature masks (bit numbers from the SDM/APM CPUID tables) ------- */

/* Leaf 1 ECX. */
#define L1C_SSE3	BIT(0)
#define L1C_PCLMUL	BIT(1)
#define L1C_SSSE3	BIT(9)
#define L1C_FMA		BIT(12)
#define L1C_CX16	BIT(13)
#define L1C_SSE41	BIT(19)
#define L1C_SSE42	BIT(20)
#define L1C_MOVBE	BIT(22)
#define L1C_POPCNT	BIT(23)
#define L1C_AES		BIT(25)
#define L1C_XSAVE	BIT(26)
#define L1C_OSXSAVE	BIT(27)
#define L1C_AVX		BIT(28)
#define L1C_F16C	BIT(29)
#define L1C_RDRAND	BIT(30)
#define L1C_HYPERVISOR	BIT(31)
#define L1C_MASK	(L1C_SSE3 | L1C_PCLMUL | L1C_SSSE3 | L1C_FMA | \
			 L1C_CX16 | L1C_SSE41 | L1C_SSE42 | L1C_MOVBE | \
			 L1C_POPCNT | L1C_AES | L1C_XSAVE | L1C_AVX | \
			 L1C_F16C | L1C_RDRAND | L1C_HYPERVISOR)
#define L1C_NEED_AVX	(L1C_FMA | L1C_AVX | L1C_F16C)

/* Leaf 1 EDX: FPU VME DE PSE TSC MSR PAE CX8 APIC SEP MTRR PGE CMOV PAT
 * PSE36 CLFSH MMX FXSR SSE SSE2 SS HTT; not MCE, MCA, PSN, DS, ACPI, TM,
 * PBE. */
#define L1D_APIC	BIT(9)
#define L1D_MASK	(GENMASK(6, 0) | BIT(8) | L1D_APIC | \
			 GENMASK(13, 11) | GENMASK(17, 15) | BIT(19) | \
			 GENMASK(28, 23))

/* Leaf 7.0 EBX: FSGSBASE BMI1 AVX2 FDP_EXCPTN_ONLY SMEP BMI2 ERMS
 * ZERO_FCS_FDS RDSEED ADX SMAP CLFLUSHOPT CLWB SHA; AVX-512 separately. */
#define L7B_AVX2	BIT(5)
#define L7B_MASK	(BIT(0) | BIT(3) | L7B_AVX2 | GENMASK(9, 6) | \
			 BIT(13) | GENMASK(20, 18) | BIT(23) | BIT(24) | \
			 BIT(29))
#define L7B_AVX512	(BIT(16) | BIT(17) | BIT(21) | GENMASK(28, 26) | \
			 BIT(30) | BIT(31))
/* Leaf 7.0 ECX: UMIP GFNI VAES VPCLMULQDQ RDPID MOVDIRI MOVDIR64B;
 * AVX-512 VBMI VBMI2 VNNI BITALG VPOPCNTDQ separately. */
#define L7C_MASK	(BIT(2) | GENMASK(10, 8) | BIT(22) | BIT(27) | BIT(28))
#define L7C_AVX512	(BIT(1) | BIT(6) | BIT(11) | BIT(12) | BIT(14))
#define L7C_NEED_AVX	(BIT(9) | BIT(10))
/* Leaf 7.0 EDX: FSRM MD_CLEAR SERIALIZE; AVX-512 4VNNIW 4FMAPS
 * VP2INTERSECT FP16 separately. */
#define L7D_MASK	(BIT(4) | BIT(10) | BIT(14))
#define L7D_AVX512	(BIT(2) | BIT(3) | BIT(8) | BIT(23))

/* Leaf 0xD.1 EAX: XSAVEOPT XSAVEC XGETBV1 (not XSAVES: no XSS). */
#define LD1A_MASK	(BIT(0) | BIT(1) | BIT(2))

/* 0x80000001 ECX: LAHF ABM SSE4A MISALIGNSSE 3DNOWPREFETCH TBM; XOP
 * FMA4 need AVX. */
#define X1C_MASK	(BIT(0) | GENMASK(8, 5) | BIT(21))
#define X1C_NEED_AVX	(BIT(11) | BIT(16))
/* 0x80000001 EDX: the leaf-1 mirror bits plus SYSCALL NX MMXEXT FFXSR
 * PDPE1GB RDTSCP LM 3DNOWEXT 3DNOW. */
#define X1D_MASK	((L1D_MASK & ~(GENMASK(28, 25) | BIT(19))) | \
			 BIT(11) | BIT(20) | BIT(22) | GENMASK(27, 25) | \
			 GENMASK(31, 29))
/* 0x80000007 EDX: invariant TSC. */
#define X7D_MASK	BIT(8)

/* ---------------------------------------------------------------------- */
/* XSAVE layout                                                            */

u32 vmem_xsave_size(u64 xcr0)
{
	u32 size = 512 + 64;
	unsigned int i;

	for (i = 2; i < 64; i++)
		if ((xcr0 & BIT_ULL(i)) && vmem_xsave_sz[i])
			size = max(size, vmem_xsave_off[i] + vmem_xsave_sz[i]);
	return size;
}

static void __init vmem_xsave_init(void)
{
	u64 host_xcr0 = 0, ok = XFEATURE_MASK_FPSSE;
	unsigned int i;

	if (!boot_cpu_has(X86_FEATURE_XSAVE) || !boot_cpu_has(X86_FEATURE_OSXSAVE))
		return;
	host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);

	for (i = 2; i < 64; i++) {
		u32 eax, ebx, ecx, edx;

		if (!(host_xcr0 & BIT_ULL(i)))
			continue;
		cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx);
		vmem_xsave_sz[i] = eax;
		vmem_xsave_off[i] = ebx;
		if ((BIT_ULL(i) & VMEM_XCR0_CANDIDATES) && eax &&
		    ebx + eax <= PAGE_SIZE)
			ok |= BIT_ULL(i);
	}
	ok &= host_xcr0;
	/* Keep only combinations XSETBV accepts. */
	if (!(ok & XFEATURE_MASK_YMM) ||
	    (ok & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512)
		ok &= ~XFEATURE_MASK_AVX512;
	vmem_supported_xcr0 = ok;
}

/* ---------------------------------------------------------------------- */
/* The supported table                                                     */

static struct vmem_cpuid_entry * __init vmem_cpuid_add(u32 fn, u32 idx,
						       bool sig)
{
	struct vmem_cpuid_entry *e;

	if (vmem_cpuid_nr_supported >= ARRAY_SIZE(vmem_cpuid_supported))
		return NULL;
	e = &vmem_cpuid_supported[vmem_cpuid_nr_supported++];
	e->function = fn;
	e->index = idx;
	e->flags = sig ? VMEM_CPUID_SIGNIFICANT_INDEX : 0;
	cpuid_count(fn, idx, &e->eax, &e->ebx, &e->ecx, &e->edx);
	return e;
}

/* Feature masks that depend on the XSAVE components vmem offers. */
static void vmem_cpuid_masks(u32 fn, u32 idx, u32 *eax, u32 *ebx, u32 *ecx,
			     u32 *edx)
{
	bool avx = vmem_supported_xcr0 & XFEATURE_MASK_YMM;
	bool avx512 = vmem_supported_xcr0 & XFEATURE_MASK_AVX512;

	switch (fn) {
	case 1:
		*ecx &= L1C_MASK & ~(avx ? 0 : L1C_NEED_AVX);
		*edx &= L1D_MASK;
		break;
	case 7:
		if (idx != 0)
			break;
		*eax = 0;
		*ebx &= L7B_MASK | (avx512 ? L7B_AVX512 : 0);
		if (!avx)
			*ebx &= ~L7B_AVX2;
		*ecx &= L7C_MASK | (avx512 ? L7C_AVX512 : 0);
		if (!avx)
			*ecx &= ~L7C_NEED_AVX;
		*edx &= L7D_MASK | (avx512 ? L7D_AVX512 : 0);
		break;
	case 0xd:
		if (idx == 0) {
			*eax &= (u32)vmem_supported_xcr0;
			*edx &= (u32)(vmem_supported_xcr0 >> 32);
		} else if (idx == 1) {
			*eax &= LD1A_MASK;
			*ebx = 0;
			*ecx = 0;
			*edx = 0;
		}
		break;
	case 0x80000001:
		*ecx &= X1C_MASK | (avx ? X1C_NEED_AVX : 0);
		*edx &= X1D_MASK;
		break;
	case 0x80000007:
		*eax = 0;
		*ebx = 0;
		*ecx = 0;
		*edx &= X7D_MASK;
		break;
	case 0x80000008:
		*ebx = 0;
		break;
	}
}

static void __init vmem_cpuid_build(void)
{
	u32 max_basic = cpuid_eax(0), max_ext = cpuid_eax(0x80000000);
	struct vmem_cpuid_entry *e;
	u32 fn, i;

	max_basic = min_t(u32, max_basic, 0xd);
	e = vmem_cpuid_add(0, 0, false);
	if (e)
		e->eax = max_basic;

	for (fn = 1; fn <= max_basic; fn++) {
		switch (fn) {
		case 1:
			e = vmem_cpuid_add(1, 0, false);
			if (!e)
				break;
			/* Initial APIC ID: the VMM's to set per vCPU. */
			e->ebx &= 0x00ffffff;
			vmem_cpuid_masks(1, 0, &e->eax, &e->ebx, &e->ecx,
					 &e->edx);
			e->ecx |= L1C_HYPERVISOR;
			break;
		case 2:
			vmem_cpuid_add(2, 0, false);
			break;
		case 4:
			for (i = 0; i < 8; i++) {
				e = vmem_cpuid_add(4, i, true);
				if (!e)
					break;
				/* Sharing and core counts: topology is the VMM's. */
				e->eax &= GENMASK(13, 0);
				if (!(e->eax & 0x1f))
					break;
			}
			break;
		case 7:
			e = vmem_cpuid_add(7, 0, true);
			if (e)
				vmem_cpuid_masks(7, 0, &e->eax, &e->ebx,
						 &e->ecx, &e->edx);
			break;
		case 0xd:
			if (!vmem_supported_xcr0)
				break;
			e = vmem_cpuid_add(0xd, 0, true);
			if (!e)
				break;
			vmem_cpuid_masks(0xd, 0, &e->eax, &e->ebx, &e->ecx,
					 &e->edx);
			e->ebx = vmem_xsave_size(XFEATURE_MASK_FPSSE);
			e->ecx = vmem_xsave_size(vmem_supported_xcr0);
			e = vmem_cpuid_add(0xd, 1, true);
			if (e)
				vmem_cpuid_masks(0xd, 1, &e->eax, &e->ebx,
						 &e->ecx, &e->edx);
			for (i = 2; i < 64; i++) {
				if (!(vmem_supported_xcr0 & BIT_ULL(i)))
					continue;
				e = vmem_cpuid_add(0xd, i, true);
				if (e) {
					e->ecx &= BIT(1);	/* not supervisor */
					e->edx = 0;
				}
			}
			break;
		default:
			/* Power, PMU, topology, SGX, PT...: not offered. */
			break;
		}
	}

	e = vmem_cpuid_add(VMEM_HV_LEAF, 0, false);
	if (e) {
		/* "VmemVmemVmem" in EBX, ECX, EDX. */
		e->eax = VMEM_HV_LEAF;
		e->ebx = 0x6d656d56;
		e->ecx = 0x6d656d56;
		e->edx = 0x6d656d56;
	}

	if (max_ext < 0x80000000)
		return;
	max_ext = min_t(u32, max_ext, 0x80000008);
	e = vmem_cpuid_add(0x80000000, 0, false);
	if (e)
		e->eax = max_ext;
	for (fn = 0x80000001; fn <= max_ext; fn++) {
		e = vmem_cpuid_add(fn, 0, false);
		if (!e)
			break;
		vmem_cpuid_masks(fn, 0, &e->eax, &e->ebx, &e->ecx, &e->edx);
		if (fn == 0x80000008) {
			/* Guest-physical width vmem maps; 48-bit linear. */
			e->eax = vmem_config.max_gpa_bits | (48 << 8);
			e->ecx = 0;
			e->edx = 0;
		}
	}
}

int __init vmem_cpuid_init(void)
{
	vmem_xsave_init();
	vmem_cpuid_build();
	return 0;
}

/* ---------------------------------------------------------------------- */
/* VMEM_GET_SUPPORTED_CPUID                                                */

/*
 * On input @nent is the room the caller has.  Too little: -E2BIG with
 * @nent set to the number needed.  Nonzero flags/reserved: -EINVAL.
 */
long vmem_get_supported_cpuid(struct vmem_cpuid __user *ucpuid)
{
	struct vmem_cpuid hdr;
	u32 n = vmem_cpuid_nr_supported;

	if (copy_from_user(&hdr, ucpuid, sizeof(hdr)))
		return -EFAULT;
	if (hdr.flags || hdr.reserved)
		return -EINVAL;
	if (hdr.nent < n) {
		if (put_user(n, &ucpuid->nent))
			return -EFAULT;
		return -E2BIG;
	}
	if (copy_to_user(ucpuid->entries, vmem_cpuid_supported,
			 n * sizeof(struct vmem_cpuid_entry)))
		return -EFAULT;
	if (put_user(n, &ucpuid->nent))
		return -EFAULT;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* VMEM_SET_CPUID and the guest's view                                     */

static bool vmem_cpuid_denied_leaf(u32 fn)
{
	switch (fn) {
	case 0x5:		/* MONITOR/MWAIT */
	case 0x6:		/* thermal and power management */
	case 0xa:		/* architectural PMU */
	case 0x12:		/* SGX */
	case 0x14:		/* processor trace */
	case 0x19:		/* Key Locker */
	case 0x8000000a:	/* SVM (no nesting) */
	case 0x8000001f:	/* SEV */
		return true;
	default:
		return false;
	}
}

static bool vmem_cpuid_match(const struct vmem_cpuid_entry *e, u32 fn, u32 idx)
{
	if (e->function != fn)
		return false;
	return !(e->flags & VMEM_CPUID_SIGNIFICANT_INDEX) || e->index == idx;
}

/*
 * Errors: -E2BIG for more than 256 entries; -EINVAL for nonzero flags/reserved,
 * unknown entry flags, or two entries for the same leaf (same function,
 * and same index unless one of them ignores the index); -ENOMEM.  On
 * success the vCPU's previous table is replaced.
 */
int vmem_set_cpuid(struct vmem_vcpu *vcpu, struct vmem_cpuid __user *ucpuid)
{
	struct vmem_cpuid_entry *ents, *e;
	struct vmem_cpuid hdr;
	u64 allowed = XFEATURE_MASK_FP;
	unsigned int i, j;
	int r = -EINVAL;

	if (copy_from_user(&hdr, ucpuid, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > VMEM_MAX_CPUID)
		return -E2BIG;
	if (hdr.flags || hdr.reserved)
		return -EINVAL;

	ents = NULL;
	if (hdr.nent) {
		ents = vmem_kzalloc(array_size(hdr.nent, sizeof(*ents)),
				    GFP_KERNEL_ACCOUNT);
		if (!ents)
			return -ENOMEM;
		if (copy_from_user(ents, ucpuid->entries,
				   hdr.nent * sizeof(*ents))) {
			r = -EFAULT;
			goto fail;
		}
	}

	for (i = 0; i < hdr.nent; i++) {
		e = &ents[i];
		if (e->flags & ~VMEM_CPUID_SIGNIFICANT_INDEX)
			goto fail;
		if (e->reserved[0] || e->reserved[1] || e->reserved[2])
			goto fail;
		if (!(e->flags & VMEM_CPUID_SIGNIFICANT_INDEX) && e->index)
			goto fail;
		for (j = 0; j < i; j++) {
			const struct vmem_cpuid_entry *o = &ents[j];

			if (o->function != e->function)
				continue;
			if (!(o->flags & e->flags & VMEM_CPUID_SIGNIFICANT_INDEX) ||
			    o->index == e->index)
				goto fail;
		}
	}

	/* Mask what vmem cannot give; keep what merely describes. */
	for (i = 0; i < hdr.nent; i++) {
		e = &ents[i];
		if (vmem_cpuid_denied_leaf(e->function)) {
			e->eax = e->ebx = e->ecx = e->edx = 0;
			continue;
		}
		switch (e->function) {
		case 1:
			vmem_cpuid_masks(1, 0, &e->eax, &e->ebx, &e->ecx,
					 &e->edx);
			break;
		case 7:
		case 0xd:
		case 0x80000001:
		case 0x80000007:
		case 0x80000008:
			vmem_cpuid_masks(e->function, e->index, &e->eax,
					 &e->ebx, &e->ecx, &e->edx);
			break;
		}
		if (e->function == 0xd && e->index == 0) {
			allowed = (e->eax | ((u64)e->edx << 32) |
				   XFEATURE_MASK_FP) & vmem_supported_xcr0;
			e->ecx = vmem_xsave_size(allowed);
		}
	}

	vmem_kfree(vcpu->cpuid);
	vcpu->cpuid = ents;
	vcpu->nr_cpuid = hdr.nent;
	vcpu->xcr0_allowed = allowed & vmem_supported_xcr0;
	return 0;

fail:
	vmem_kfree(ents);
	return r;
}

void vmem_cpuid_lookup(struct vmem_vcpu *vcpu, u32 function, u32 index,
		       u32 *eax, u32 *ebx, u32 *ecx, u32 *edx)
{
	const struct vmem_cpuid_entry *e = NULL;
	unsigned int i;

	for (i = 0; i < vcpu->nr_cpuid; i++) {
		if (vmem_cpuid_match(&vcpu->cpuid[i], function, index)) {
			e = &vcpu->cpuid[i];
			break;
		}
	}
	if (!e) {
		*eax = *ebx = *ecx = *edx = 0;
		return;
	}
	*eax = e->eax;
	*ebx = e->ebx;
	*ecx = e->ecx;
	*edx = e->edx;

	/* Bits that follow the vCPU's state, as on hardware. */
	if (function == 1) {
		struct vmem_sregs sregs;

		vmem_get_sregs(vcpu, &sregs);
		*ecx &= ~L1C_OSXSAVE;
		if ((*ecx & L1C_XSAVE) && (sregs.cr4 & X86_CR4_OSXSAVE))
			*ecx |= L1C_OSXSAVE;
		if (!(vcpu->apic_base & MSR_IA32_APICBASE_ENABLE))
			*edx &= ~L1D_APIC;
	} else if (function == 0xd && index == 0) {
		*ebx = vmem_xsave_size(vcpu->guest_xcr0);
	}
}

int vmem_exit_cpuid(struct vmem_vcpu *vcpu, unsigned int insn_len)
{
	u32 eax, ebx, ecx, edx;

	vmem_cpuid_lookup(vcpu, vcpu->regs[VMEM_RAX], vcpu->regs[VMEM_RCX],
			  &eax, &ebx, &ecx, &edx);
	vcpu->regs[VMEM_RAX] = eax;
	vcpu->regs[VMEM_RBX] = ebx;
	vcpu->regs[VMEM_RCX] = ecx;
	vcpu->regs[VMEM_RDX] = edx;
	vcpu->rip += insn_len;
	return 1;
}
