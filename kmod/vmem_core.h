/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmem_core.h - declarations shared by the core files of the module.
 *
 * Every .c file defines pr_fmt as "vmem: " before including anything, so
 * all messages carry the module name.
 *
 * Shared fields carry the rule that protects them (as in OpenBSD vmm):
 *   [I]  immutable after module init (or after the object's creation)
 *   [a]  atomic_t/atomic_long_t, or otherwise lock-free by construction
 *   [p]  per-CPU, written only by the owning CPU with interrupts off; may
 *        be read by that CPU's NMI/crash path
 *   [s]  syscore context only: one CPU online, interrupts off
 *   [m]  the owning object's mutex (VMs and vCPUs, later)
 *   [v]  the vCPU's thread only (later)
 */
#ifndef _VMEM_CORE_H
#define _VMEM_CORE_H

#include <linux/types.h>
#include <linux/gfp.h>

struct page;

/* ---------------------------------------------------------------------- */
/* Configuration (vmem_main.c)                                            */

/**
 * struct vmem_config - limits and switches fixed at load
 * @max_vms:		VMs at once, host-wide (max_vms parameter)  [I]
 * @max_vcpus:		vCPUs per VM (max_vcpus parameter)  [I]
 * @max_memslots:	memory slots per VM (max_memslots parameter)  [I]
 * @max_mem_mb:		guest-physical memory per VM in MiB  [I]
 * @max_gpa_bits:	guest-physical address width offered  [I]
 * @tdp:		NPT/EPT in use: the tdp parameter and the hardware
 *			both say yes  [I]
 *
 * Written once in vmem_init() before the device exists; read without
 * locks everywhere after.
 */
struct vmem_config {
	u32 max_vms;
	u32 max_vcpus;
	u32 max_memslots;
	u32 max_mem_mb;
	u32 max_gpa_bits;
	bool tdp;
};

extern struct vmem_config vmem_config;

/* ---------------------------------------------------------------------- */
/* Allocation accounting (vmem_stats.c)                                   */

/*
 * Everything vmem allocates goes through these, so that module exit can
 * prove nothing leaked.  Pages are counted in pages, everything from the
 * slab in objects.
 */
struct page *vmem_alloc_page_node(int nid, gfp_t gfp);
void vmem_free_page(struct page *page);
void *vmem_kzalloc(size_t size, gfp_t gfp);
void vmem_kfree(const void *obj);

static inline struct page *vmem_alloc_page(gfp_t gfp)
{
	return vmem_alloc_page_node(NUMA_NO_NODE, gfp);
}

long vmem_stats_pages(void);
long vmem_stats_objects(void);
void vmem_stats_init(void);
void vmem_stats_exit(void);

/* ---------------------------------------------------------------------- */
/* Virtualization on/off on host CPUs (vmem_virt.c)                       */

int vmem_virt_init(void);
void vmem_virt_exit(void);
unsigned int vmem_virt_nr_cpus(void);

/* ---------------------------------------------------------------------- */
/* /dev/vmem (vmem_dev.c)                                                 */

int vmem_dev_init(void);
void vmem_dev_exit(void);

#endif /* _VMEM_CORE_H */
