/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cpuid.h - the guest's CPUID: what the hypervisor supports, filtered to
 * the virtual hardware the launcher offers, with the hypervisor bit and
 * vmem's signature leaf.  The table of what is cleared and why is in
 * cpuid.c.
 */
#ifndef VMEM_RUN_CPUID_H
#define VMEM_RUN_CPUID_H

#include <linux/vmem.h>

#define CPUID_MAX_ENTRIES	256
#define CPUID_SIGNATURE		"VmemVmemVmem"
#define CPUID_HV_BASE		0x40000000u

/*
 * Build the guest's table from the @n supported entries @sup into @out
 * (room for @max); returns the number of entries written.
 */
unsigned int cpuid_build(const struct vmem_cpuid_entry *sup, unsigned int n,
			 struct vmem_cpuid_entry *out, unsigned int max);

/* The entry for (@function, @index) in @t, or NULL. */
const struct vmem_cpuid_entry *cpuid_find(const struct vmem_cpuid_entry *t,
					  unsigned int n, unsigned int function,
					  unsigned int index);

#endif /* VMEM_RUN_CPUID_H */
