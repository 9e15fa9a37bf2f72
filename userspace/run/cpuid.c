// SPDX-License-Identifier: GPL-2.0
/*
 * cpuid.c - the guest's CPUID table; see cpuid.h.
 *
 * The launcher offers one vCPU, an 8259 PIC, a PIT and an RTC: no local
 * APIC, no MTRRs, no machine-check banks, no performance counters, no
 * thermal or power management, no nested virtualization.  Each cleared
 * bit is a promise the hardware could not keep:
 *
 *   leaf 1 EDX  APIC (9)        no local APIC: Linux runs PIC-only
 *               MTRR (12)       no MTRR MSRs
 *               MCE (7), MCA (14) no machine-check MSRs
 *               ACPI (22), TM (29), PBE (31), DS (21)  thermal/debug store
 *               HTT (28)        one logical processor
 *   leaf 1 ECX  x2APIC (21), TSC-deadline (24)  no local APIC
 *               MONITOR (3)     MONITOR/MWAIT are not offered
 *               VMX (5), SMX (6) no nested virtualization
 *               EST (7), TM2 (8), PDCM (15)  no power/perf MSRs
 *               HYPERVISOR (31) set: this is a virtual machine
 *   leaf 1 EBX  APIC id 0, one logical processor
 *   leaf 4      one core per package, one thread per cache
 *   leaves 6, 0xa  thermal/power and PMU: all zero
 *   leaves 0xb, 0x1f  topology: zero (single vCPU)
 *   0x80000001 ECX SVM (2), ExtApicSpace (3), CmpLegacy (1), IBS (10),
 *               TOPOEXT (22), PerfCtrCore (23), PerfCtrNB (24),
 *               PerfCtrLLC (28), MONITORX (29)
 *   0x80000007  power management: zero except invariant TSC (EDX bit 8)
 *   0x80000008 ECX  one core, APIC id size 0
 *   0x8000000a  SVM features: zero;  0x8000001e  topology: zero
 *   0x40000000  max hypervisor leaf, "VmemVmemVmem"; 0x40000001: zero
 */
#include <stdint.h>
#include <string.h>

#include "cpuid.h"

#define BIT(n)	(1u << (n))

static void filter_leaf(struct vmem_cpuid_entry *e)
{
	switch (e->function) {
	case 1:
		e->edx &= ~(BIT(7) | BIT(9) | BIT(12) | BIT(14) | BIT(21) |
			    BIT(22) | BIT(28) | BIT(29) | BIT(31));
		e->ecx &= ~(BIT(3) | BIT(5) | BIT(6) | BIT(7) | BIT(8) |
			    BIT(15) | BIT(21) | BIT(24));
		e->ecx |= BIT(31);
		/* APIC id 0, 1 logical processor, keep CLFLUSH size, brand */
		e->ebx = (e->ebx & 0x0000ffff) | (1u << 16);
		break;
	case 4:
		/* EAX[31:26] cores - 1, [25:14] threads sharing - 1 */
		e->eax &= 0x00003fff;
		break;
	case 5:		/* MONITOR/MWAIT */
	case 6:		/* thermal and power */
	case 0xa:	/* architectural PMU */
	case 0xb:	/* topology */
	case 0x1f:
		e->eax = e->ebx = e->ecx = e->edx = 0;
		break;
	case 0x80000001:
		e->ecx &= ~(BIT(1) | BIT(2) | BIT(3) | BIT(10) | BIT(22) |
			    BIT(23) | BIT(24) | BIT(28) | BIT(29));
		break;
	case 0x80000007:
		e->eax = e->ebx = e->ecx = 0;
		e->edx &= BIT(8);
		break;
	case 0x80000008:
		e->ecx &= ~0x0000f0ffu;
		break;
	case 0x8000000a:
	case 0x8000001e:
		e->eax = e->ebx = e->ecx = e->edx = 0;
		break;
	default:
		break;
	}
}

unsigned int cpuid_build(const struct vmem_cpuid_entry *sup, unsigned int n,
			 struct vmem_cpuid_entry *out, unsigned int max)
{
	unsigned int i, k = 0;
	uint32_t sig[3];

	for (i = 0; i < n && k + 2 < max; i++) {
		/* Another hypervisor's leaves (the host's view) are not ours. */
		if ((sup[i].function & 0xf0000000u) == CPUID_HV_BASE)
			continue;
		out[k] = sup[i];
		memset(out[k].reserved, 0, sizeof(out[k].reserved));
		filter_leaf(&out[k]);
		k++;
	}
	memcpy(sig, CPUID_SIGNATURE, sizeof(sig));
	if (k + 2 <= max) {
		out[k++] = (struct vmem_cpuid_entry){
			.function = CPUID_HV_BASE, .eax = CPUID_HV_BASE + 1,
			.ebx = sig[0], .ecx = sig[1], .edx = sig[2],
		};
		out[k++] = (struct vmem_cpuid_entry){
			.function = CPUID_HV_BASE + 1,
		};
	}
	return k;
}

const struct vmem_cpuid_entry *cpuid_find(const struct vmem_cpuid_entry *t,
					  unsigned int n, unsigned int function,
					  unsigned int index)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (t[i].function == function &&
		    (!(t[i].flags & VMEM_CPUID_SIGNIFICANT_INDEX) ||
		     t[i].index == index))
			return &t[i];
	return NULL;
}
