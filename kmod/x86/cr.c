// SPDX-License-Identifier: GPL-2.0
/*
 * x86/cr.c - the architectural CR4 rules, one copy for both backends.
 *
 * Which CR4 bits a guest may hold is a property of what vmem implements
 * for guests, not of the vendor: both backends take the same set (VMX
 * then narrows it to what VMX operation allows, CR4_FIXED1).  Left out,
 * whatever the host CPU has:
 *  - LA57: the guest walker (x86/walk.c) and the shadow MMU walk four
 *    levels.  A guest in 5-level paging on the shadow MMU would have its
 *    tables read as 4-level ones while the CPU walks five levels of the
 *    shadow tree, and emulation would translate its addresses wrongly
 *    under any MMU.  CPUID does not offer LA57 either.
 *  - PKE: PKRU is not switched around guest entry, so a guest's WRPKRU
 *    would stay in force in the VMM's thread (write-disabling its pages).
 *    CPUID offers neither PKU nor OSPKE, XCR0 never holds PKRU.
 *  - CET (state not switched), VMXE/SMXE (no nested VMX, no SMX).
 * A guest MOV that sets one of them is a #GP, SET_SREGS with one EINVAL.
 */
#include <linux/errno.h>
#include <asm/cpufeature.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include "vmem_core.h"

/*
 * A guest's linear addresses are 48 bits wide on every host: CR4.LA57 is
 * never the guest's and CPUID offers no LA57, so a base, MSR or debug
 * address is canonical in bits 63:47, also on a host with 5-level paging.
 */
bool vmem_x86_canonical(u64 addr)
{
	return ((s64)addr << 16 >> 16) == (s64)addr;
}

u64 vmem_x86_cr4_allowed(void)
{
	u64 cr4 = X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE |
		  X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE |
		  X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;

	if (boot_cpu_has(X86_FEATURE_UMIP))
		cr4 |= X86_CR4_UMIP;
	if (boot_cpu_has(X86_FEATURE_FSGSBASE))
		cr4 |= X86_CR4_FSGSBASE;
	if (boot_cpu_has(X86_FEATURE_PCID))
		cr4 |= X86_CR4_PCIDE;
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		cr4 |= X86_CR4_OSXSAVE;
	if (boot_cpu_has(X86_FEATURE_SMEP))
		cr4 |= X86_CR4_SMEP;
	if (boot_cpu_has(X86_FEATURE_SMAP))
		cr4 |= X86_CR4_SMAP;
	return cr4;
}

/*
 * A CR4 value in a whole register state (SET_SREGS): only @allowed bits,
 * PAE in long mode, PCIDE only in long mode (MOV to CR4 cannot set it
 * outside, and paging cannot be turned off while it is set).
 */
int vmem_x86_cr4_check(u64 cr4, u64 efer, u64 allowed)
{
	bool lma = efer & EFER_LMA;

	if (cr4 & ~allowed)
		return -EINVAL;
	if (lma && !(cr4 & X86_CR4_PAE))
		return -EINVAL;
	if (!lma && (cr4 & X86_CR4_PCIDE))
		return -EINVAL;
	return 0;
}

/*
 * MOV to CR4 from @old (SDM vol. 2 "MOV--Move to/from Control
 * Registers", APM 3.1.3): -EINVAL is a #GP.  On top of the bits allowed:
 * PAE cannot be cleared and LA57 not changed in long mode; PCIDE can be
 * set only in long mode with CR3[11:0] clear.
 */
int vmem_x86_mov_cr4_check(u64 cr4, u64 old, u64 efer, u64 cr3, u64 allowed)
{
	bool lma = efer & EFER_LMA;

	if (cr4 & ~allowed)
		return -EINVAL;
	if (lma && !(cr4 & X86_CR4_PAE))
		return -EINVAL;
	if (lma && ((cr4 ^ old) & X86_CR4_LA57))
		return -EINVAL;
	if ((cr4 & ~old & X86_CR4_PCIDE) && (!lma || (cr3 & 0xfff)))
		return -EINVAL;
	return 0;
}
