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
#include <linux/uidgid.h>

struct page;

/* ---------------------------------------------------------------------- */
/* Configuration (vmem_main.c)                                            */

/**
 * struct vmem_config - limits and switches fixed at load
 * @max_vms:		VMs at once, host-wide (max_vms parameter)  [I]
 * @max_vms_per_user:	VMs at once per owner, privileged callers
 *			exempt (max_vms_per_user parameter)  [I]
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
	u32 max_vms_per_user;
	u32 max_vcpus;
	u32 max_memslots;
	u32 max_mem_mb;
	u32 max_gpa_bits;
	bool tdp;
};

extern struct vmem_config vmem_config;

/* ---------------------------------------------------------------------- */
/* VMs per user (vmem_user.c)                                             */

/*
 * Count one more VM of @owner: 0, or -EDQUOT when it has
 * max_vms_per_user VMs and the caller is not exempt (CAP_SYS_RESOURCE or
 * CAP_SYS_ADMIN); -ENOMEM.  _del undoes one _add.  Both may sleep.
 */
int vmem_user_vm_add(kuid_t owner);
void vmem_user_vm_del(kuid_t owner);

/* ---------------------------------------------------------------------- */
/* Allocation accounting (vmem_stats.c)                                   */

/*
 * Everything vmem allocates goes through these, so that module exit can
 * prove nothing leaked.  Pages are counted in pages, everything from the
 * slab in objects.
 */
struct page *vmem_alloc_page_node(int nid, gfp_t gfp);
void vmem_free_page(struct page *page);
/* 2^order contiguous pages (counted as that many pages). */
struct page *vmem_alloc_pages_node(int nid, gfp_t gfp, unsigned int order);
void vmem_free_pages(struct page *page, unsigned int order);
void *vmem_kzalloc(size_t size, gfp_t gfp);
void vmem_kfree(const void *obj);

static inline struct page *vmem_alloc_page(gfp_t gfp)
{
	return vmem_alloc_page_node(NUMA_NO_NODE, gfp);
}

struct dentry;
struct dentry *vmem_debugfs_root(void);
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
/* VMs, vCPUs, guest memory: core-internal (vmem_vm.c, vmem_vcpu.c,       */
/* vmem_mem.c, mmu/tdp.c, x86/); the backends use vmem_vm.h only.        */

struct vmem_vm;
struct vmem_vcpu;
struct vmem_memslot;
struct vmem_cpuid;
struct vm_area_struct;

/* vmem_vm.c: the VM fd's pseudo filesystem, VM creation. */
int vmem_vm_init(void);
void vmem_vm_exit(void);
long vmem_create_vm(unsigned long flags);
struct vmem_vm_stats;
/* VMEM_GET_VM_STATS's figures (output fields only).  May sleep. */
void vmem_vm_fill_stats(struct vmem_vm *vm, struct vmem_vm_stats *st);

/* vmem_vcpu.c */
int vmem_vcpu_init(void);
long vmem_create_vcpu(struct vmem_vm *vm, unsigned long id);
void vmem_vcpu_free(struct vmem_vcpu *vcpu);

/*
 * vmem_mem.c; the __ variants need vm->slots_lock held (either way).
 * @bidx: a backing page index (vmem_vm.h), from __vmem_gpa_lookup().
 */
struct page *__vmem_p2m_get_page(struct vmem_vm *vm, u64 bidx);
/* Also says whether the page may be mapped writable (see vmem_mem.c). */
struct page *__vmem_p2m_get(struct vmem_vm *vm, u64 bidx, bool *writable);
/*
 * Large first touch (vmem_mem.c): 2 MiB ranges of 512 frames.  The TDP
 * fault path populates through __vmem_p2m_get_guest() and maps a 2 MiB
 * leaf where __vmem_p2m_large_ok() says so.  Both take the guest frame:
 * a 2 MiB guest range is large only where its mapping is 2 MiB-aligned
 * in the backing too.  Callers hold slots_lock.
 */
#define VMEM_LARGE_ORDER	9
#define VMEM_LARGE_PAGES	(1u << VMEM_LARGE_ORDER)
struct page *__vmem_p2m_get_guest(struct vmem_vm *vm, u64 gfn, u64 bidx,
				  bool *writable);
bool __vmem_p2m_large_ok(struct vmem_vm *vm, u64 gfn);
/*
 * What backs @gpa (enum vmem_gpa_kind) and, unless MMIO, its backing
 * index in *@bidx (if given).  Valid while slots_lock is held.
 */
int __vmem_gpa_lookup(struct vmem_vm *vm, u64 gpa, u64 *bidx);
int vmem_set_memslot(struct vmem_vm *vm, const struct vmem_memslot *ms);
struct vmem_backing;
struct vmem_memory_map;
int vmem_set_backing(struct vmem_vm *vm, const struct vmem_backing *b);
int vmem_discard_backing(struct vmem_vm *vm, const struct vmem_backing *b);
int vmem_map_memory(struct vmem_vm *vm, const struct vmem_memory_map *m);
int vmem_unmap_memory(struct vmem_vm *vm, const struct vmem_memory_map *m);
int vmem_mem_mmap(struct vmem_vm *vm, struct vm_area_struct *vma);
void vmem_mem_destroy(struct vmem_vm *vm);

/* mmu/tdp.c */
int vmem_tdp_init(struct vmem_vm *vm);
void vmem_tdp_destroy(struct vmem_vm *vm);
bool vmem_tdp_zap(struct vmem_vm *vm, u64 gfn, u64 npages);
void vmem_tdp_free_cache(struct vmem_vcpu *vcpu);

/* mmu/shadow.c: zap leaves of gfns [@gfn, @gfn + @npages) in every
 * vCPU's tree, under mmu_lock; true if the TLBs must be flushed. */
bool vmem_shadow_zap(struct vmem_vm *vm, u64 gfn, u64 npages);

/* x86/cpuid.c */
int vmem_cpuid_init(void);
long vmem_get_supported_cpuid(struct vmem_cpuid __user *ucpuid);
int vmem_set_cpuid(struct vmem_vcpu *vcpu, struct vmem_cpuid __user *ucpuid);
/* XCR0 bits vmem offers guests (host user features that fit 4 KiB).  [I] */
extern u64 vmem_supported_xcr0;
/* Size of the standard-format XSAVE area for @xcr0. */
u32 vmem_xsave_size(u64 xcr0);

/* x86/exits.c: the run loop's completion of the VMM's answer. */
int vmem_complete_pending(struct vmem_vcpu *vcpu);
/*
 * MSRs vmem keeps (core first, then the backend): 0, -ENOENT for one it
 * does not keep, -EINVAL for a value it refuses.  @host: from the VMM
 * (GET/SET_MSRS), which may write read-only state such as the TSC.
 */
int vmem_msr_get(struct vmem_vcpu *vcpu, u32 index, u64 *data, bool host);
int vmem_msr_set(struct vmem_vcpu *vcpu, u32 index, u64 data, bool host);

/* x86/walk.c: copy at a guest-linear address for @access (VMEM_ACC_*). */
int vmem_guest_virt_access(struct vmem_vcpu *vcpu, u64 gva, void *buf,
			   unsigned int len, u32 access, u64 *fault);
/* x86/walk.c: @len bytes at CS:RIP within one page (decode.c's fast check). */
int vmem_fetch_rip_bytes(struct vmem_vcpu *vcpu, u8 *buf, unsigned int len);

/*
 * x86/cr.c: the CR4 rules both backends apply.  CR4 bits vmem lets a
 * guest hold on this host (before a backend's own narrowing); a CR4 in
 * a whole state (SET_SREGS); a guest MOV to CR4.  0 or -EINVAL.
 */
u64 vmem_x86_cr4_allowed(void);
/* x86/cr.c: canonical for a guest (48-bit linear addresses). */
bool vmem_x86_canonical(u64 addr);
int vmem_x86_cr4_check(u64 cr4, u64 efer, u64 allowed);
int vmem_x86_mov_cr4_check(u64 cr4, u64 old, u64 efer, u64 cr3, u64 allowed);

/* vmem_vcpu.c */
struct vmem_sregs;
bool vmem_xcr0_valid(u64 xcr0, u64 allowed);
bool vmem_apic_base_valid(u64 val);
/* The backend's get_sregs plus the core's apic_base; zeroed padding. */
void vmem_get_sregs(struct vmem_vcpu *vcpu, struct vmem_sregs *sregs);

/* ---------------------------------------------------------------------- */
/* /dev/vmem (vmem_dev.c)                                                 */

int vmem_dev_init(void);
void vmem_dev_exit(void);

#endif /* _VMEM_CORE_H */
