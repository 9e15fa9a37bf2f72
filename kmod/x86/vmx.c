// SPDX-License-Identifier: GPL-2.0
/*
 * x86/vmx.c - Intel VMX backend.
 *
 * References: Intel SDM vol. 3C, "24.7 Enabling and Entering VMX
 * Operation", "24.11 VMXON Region", appendix A "VMX Capability Reporting
 * Facility" (A.1 basic, A.3.2/A.3.3 processor-based controls, A.7/A.8
 * fixed CR0/CR4 bits, A.10 VPID and EPT capabilities).
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/bits.h>
#include <linux/cpumask.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <linux/topology.h>
#include <asm/asm.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/special_insns.h>

#include <linux/vmem.h>

#include "vmem_backend.h"
#include "vmem_compat.h"
#include "vmem_core.h"

/* CPUID.1:ECX: VMX supported. */
#define VMEM_VMX_CPUID_VMX			BIT(5)

/* IA32_VMX_BASIC (SDM A.1). */
#define VMEM_VMX_BASIC_REVISION_MASK		GENMASK_ULL(30, 0)
#define VMEM_VMX_BASIC_REGION_SIZE(b)		(((b) >> 32) & 0x1fff)
#define VMEM_VMX_BASIC_32BIT_ADDR		BIT_ULL(48)
#define VMEM_VMX_BASIC_MEMTYPE(b)		(((b) >> 50) & 0xf)
#define VMEM_VMX_BASIC_TRUE_CTLS		BIT_ULL(55)
#define VMEM_VMX_MEMTYPE_WB			6

/* Allowed-1 settings are the high 32 bits of the control MSRs (A.3). */
#define VMEM_VMX_ALLOWED1(msr)			((u32)((msr) >> 32))
#define VMEM_VMX_PROC_ACTIVATE_SECONDARY	BIT(31)
#define VMEM_VMX_PROC2_EPT			BIT(1)
#define VMEM_VMX_PROC2_VPID			BIT(5)

/* IA32_VMX_EPT_VPID_CAP (A.10). */
#define VMEM_VMX_EPT_PWL4			BIT_ULL(6)
#define VMEM_VMX_EPT_MEMTYPE_WB			BIT_ULL(14)
#define VMEM_VMX_EPT_INVEPT			BIT_ULL(20)
#define VMEM_VMX_EPT_INVEPT_SINGLE		BIT_ULL(25)
#define VMEM_VMX_EPT_INVEPT_ALL			BIT_ULL(26)
#define VMEM_VMX_VPID_INVVPID			BIT_ULL(32)
#define VMEM_VMX_VPID_INVVPID_SINGLE		BIT_ULL(41)
#define VMEM_VMX_VPID_INVVPID_ALL		BIT_ULL(42)

/* VPID 0 is the host's. */
#define VMEM_VMX_NR_VPIDS			0xffff

/**
 * struct vmx_caps - what the CPU offers, read once at hardware_setup
 * @basic:		IA32_VMX_BASIC
 * @revision:		VMCS revision id, written at the head of VMXON and
 *			VMCS regions
 * @true_ctls:		IA32_VMX_TRUE_*_CTLS exist
 * @cr0_fixed0:		CR0 bits that must be 1 in VMX operation
 * @cr0_fixed1:		CR0 bits that may be 1
 * @cr4_fixed0:		CR4 bits that must be 1
 * @cr4_fixed1:		CR4 bits that may be 1
 * @ept_vpid_cap:	IA32_VMX_EPT_VPID_CAP, 0 without secondary controls
 * @has_ept:		EPT usable (4-level walk, WB, INVEPT)
 * @has_vpid:		VPID usable (INVVPID)
 *
 * All [I]: written by vmx_hardware_setup() during module init.
 */
struct vmx_caps {
	u64 basic;
	u32 revision;
	bool true_ctls;
	u64 cr0_fixed0;
	u64 cr0_fixed1;
	u64 cr4_fixed0;
	u64 cr4_fixed1;
	u64 ept_vpid_cap;
	bool has_ept;
	bool has_vpid;
};

static struct vmx_caps vmx_caps __ro_after_init;

/*
 * VMXON region, one page per possible CPU (SDM 24.11).  [I] allocated at
 * hardware_setup, freed at unsetup; owned by the CPU while in VMX
 * operation.
 */
static DEFINE_PER_CPU(struct page *, vmx_vmxon_page);

/* ---------------------------------------------------------------------- */
/* Instructions                                                            */

/*
 * VMXON and VMXOFF with exception fixups: if the CPU refuses (#UD, #GP:
 * e.g. CR4.VMXE cleared behind our back or firmware locking), the host
 * must get an error, not an oops.  VMfailInvalid sets CF, VMfailValid
 * ZF; "jbe" catches both.
 */
static int vmx_vmxon(u64 pa)
{
	asm goto("1: vmxon %[pa]\n\t"
		 "jbe %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "m" (pa) : "cc", "memory" : fail, fault);
	return 0;
fail:
	return -EIO;
fault:
	return -EFAULT;
}

static int vmx_vmxoff(void)
{
	asm goto("1: vmxoff\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : : "cc", "memory" : fault);
	return 0;
fault:
	return -EIO;
}

/* ---------------------------------------------------------------------- */
/* Global                                                                  */

/*
 * The kernel itself locks IA32_FEATURE_CONTROL with VMX on when firmware
 * left it unlocked, so in practice only firmware can leave it off.
 */
static int vmx_check_feature_control(int cpu, bool verbose)
{
	u64 fc;

	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &fc))
		fc = 0;
	if (!(fc & FEAT_CTL_LOCKED)) {
		if (verbose)
			pr_err("CPU %d: VMX disabled: IA32_FEATURE_CONTROL not locked by BIOS\n",
			       cpu);
		return -EOPNOTSUPP;
	}
	if (!(fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		if (verbose)
			pr_err("CPU %d: VMX disabled by BIOS (IA32_FEATURE_CONTROL)\n",
			       cpu);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int vmx_probe(void)
{
	if (boot_cpu_data.x86_vendor != X86_VENDOR_INTEL &&
	    boot_cpu_data.x86_vendor != X86_VENDOR_CENTAUR &&
	    boot_cpu_data.x86_vendor != X86_VENDOR_ZHAOXIN)
		return -ENODEV;
	if (!(cpuid_ecx(1) & VMEM_VMX_CPUID_VMX))
		return -ENODEV;

	/* Preemptible here: any CPU will do, the per-CPU check comes later. */
	return vmx_check_feature_control(raw_smp_processor_id(), true);
}

static void vmx_read_tdp_caps(void)
{
	u64 proc, proc2, cap;
	u32 allowed2;

	if (rdmsrl_safe(MSR_IA32_VMX_PROCBASED_CTLS, &proc) ||
	    !(VMEM_VMX_ALLOWED1(proc) & VMEM_VMX_PROC_ACTIVATE_SECONDARY))
		return;
	if (rdmsrl_safe(MSR_IA32_VMX_PROCBASED_CTLS2, &proc2))
		return;
	allowed2 = VMEM_VMX_ALLOWED1(proc2);
	/* The capability MSR exists only if EPT or VPID may be enabled. */
	if (!(allowed2 & (VMEM_VMX_PROC2_EPT | VMEM_VMX_PROC2_VPID)) ||
	    rdmsrl_safe(MSR_IA32_VMX_EPT_VPID_CAP, &cap))
		return;
	vmx_caps.ept_vpid_cap = cap;

	/*
	 * vmem builds 4-level EPT tables in write-back memory and must be able
	 * to flush them: all three are required, not just advertised EPT.
	 */
	vmx_caps.has_ept = (allowed2 & VMEM_VMX_PROC2_EPT) &&
			   (cap & VMEM_VMX_EPT_PWL4) &&
			   (cap & VMEM_VMX_EPT_MEMTYPE_WB) &&
			   (cap & VMEM_VMX_EPT_INVEPT) &&
			   (cap & (VMEM_VMX_EPT_INVEPT_SINGLE |
				   VMEM_VMX_EPT_INVEPT_ALL));
	vmx_caps.has_vpid = (allowed2 & VMEM_VMX_PROC2_VPID) &&
			    (cap & VMEM_VMX_VPID_INVVPID) &&
			    (cap & (VMEM_VMX_VPID_INVVPID_SINGLE |
				    VMEM_VMX_VPID_INVVPID_ALL));
}

static void vmx_free_vmxon_pages(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		vmem_free_page(per_cpu(vmx_vmxon_page, cpu));
		per_cpu(vmx_vmxon_page, cpu) = NULL;
	}
}

static int vmx_hardware_setup(void)
{
	u64 basic;
	int cpu;

	if (rdmsrl_safe(MSR_IA32_VMX_BASIC, &basic) ||
	    rdmsrl_safe(MSR_IA32_VMX_CR0_FIXED0, &vmx_caps.cr0_fixed0) ||
	    rdmsrl_safe(MSR_IA32_VMX_CR0_FIXED1, &vmx_caps.cr0_fixed1) ||
	    rdmsrl_safe(MSR_IA32_VMX_CR4_FIXED0, &vmx_caps.cr4_fixed0) ||
	    rdmsrl_safe(MSR_IA32_VMX_CR4_FIXED1, &vmx_caps.cr4_fixed1)) {
		pr_err("VMX capability MSRs unreadable\n");
		return -EIO;
	}

	/* Regions are single pages; SDM A.1 allows up to 4 KiB. */
	if (VMEM_VMX_BASIC_REGION_SIZE(basic) > PAGE_SIZE) {
		pr_err("VMX region size %llu larger than a page\n",
		       VMEM_VMX_BASIC_REGION_SIZE(basic));
		return -EOPNOTSUPP;
	}
	/* Pages come from anywhere in memory and are mapped write-back. */
	if (basic & VMEM_VMX_BASIC_32BIT_ADDR) {
		pr_err("VMX limited to 32-bit physical addresses\n");
		return -EOPNOTSUPP;
	}
	if (VMEM_VMX_BASIC_MEMTYPE(basic) != VMEM_VMX_MEMTYPE_WB) {
		pr_err("VMX structures not write-back (memory type %llu)\n",
		       VMEM_VMX_BASIC_MEMTYPE(basic));
		return -EOPNOTSUPP;
	}
	vmx_caps.basic = basic;
	vmx_caps.revision = basic & VMEM_VMX_BASIC_REVISION_MASK;
	vmx_caps.true_ctls = basic & VMEM_VMX_BASIC_TRUE_CTLS;

	vmx_read_tdp_caps();
	vmem_vmx_ops.has_tdp = vmx_caps.has_ept;
	vmem_vmx_ops.nr_asids = vmx_caps.has_vpid ? VMEM_VMX_NR_VPIDS : 0;

	for_each_possible_cpu(cpu) {
		struct page *page;

		page = vmem_alloc_page_node(cpu_to_node(cpu),
					    GFP_KERNEL | __GFP_ZERO);
		if (!page) {
			vmx_free_vmxon_pages();
			return -ENOMEM;
		}
		*(u32 *)page_address(page) = vmx_caps.revision;
		per_cpu(vmx_vmxon_page, cpu) = page;
	}

	pr_info("VMX: revision %#x, EPT %s, VPID %s, true controls %s\n",
		vmx_caps.revision,
		vmx_caps.has_ept ? "usable" : "absent",
		vmx_caps.has_vpid ? "usable" : "absent",
		vmx_caps.true_ctls ? "yes" : "no");
	return 0;
}

static void vmx_hardware_unsetup(void)
{
	vmx_free_vmxon_pages();
}

/* ---------------------------------------------------------------------- */
/* Per CPU                                                                 */

static bool vmx_fixed_ok(u64 val, u64 fixed0, u64 fixed1)
{
	return (val & fixed0) == fixed0 && !(val & ~fixed1);
}

static int vmx_cpu_enable(void)
{
	int cpu = smp_processor_id();
	struct page *vmxon = per_cpu(vmx_vmxon_page, cpu);
	unsigned long cr0, cr4;
	int r;

	cr4 = vmem_cr4_read();
	if (cr4 & X86_CR4_VMXE) {
		pr_err("CPU %d: VMX already enabled (CR4.VMXE=1): another hypervisor owns it, most likely KVM (kvm_intel); unload it first\n",
		       cpu);
		return -EBUSY;
	}

	r = vmx_check_feature_control(cpu, true);
	if (r)
		return r;

	/* SDM 24.8: VMXON #GPs unless CR0/CR4 match the fixed bits. */
	cr0 = read_cr0();
	cr4 |= X86_CR4_VMXE;
	if (!vmx_fixed_ok(cr0, vmx_caps.cr0_fixed0, vmx_caps.cr0_fixed1) ||
	    !vmx_fixed_ok(cr4, vmx_caps.cr4_fixed0, vmx_caps.cr4_fixed1)) {
		pr_err("CPU %d: CR0 %#lx/CR4 %#lx not allowed in VMX operation\n",
		       cpu, cr0, cr4);
		return -EOPNOTSUPP;
	}

	vmem_cr4_set(X86_CR4_VMXE);
	r = vmx_vmxon(page_to_phys(vmxon));
	if (r) {
		/* Leave the CPU as we found it. */
		vmem_cr4_clear(X86_CR4_VMXE);
		pr_err("CPU %d: VMXON %s\n", cpu,
		       r == -EFAULT ? "faulted" : "failed");
		return -EIO;
	}
	return 0;
}

/*
 * Shared by the normal and the emergency path: VMXOFF is fixed up, the CR4
 * helpers take no locks, and nothing is printed.  Idempotent: does nothing
 * once CR4.VMXE is clear.  (When VMCSs are loaded by later code, the
 * emergency path will have to VMCLEAR them first.)
 */
static void vmx_cpu_off(void)
{
	if (!(vmem_cr4_read() & X86_CR4_VMXE))
		return;
	vmx_vmxoff();
	vmem_cr4_clear(X86_CR4_VMXE);
}

static void vmx_cpu_disable(void)
{
	vmx_cpu_off();
}

static void vmx_emergency_disable(void)
{
	vmx_cpu_off();
}

/* Written by vmx_hardware_setup() during module init only. */
struct vmem_backend_ops vmem_vmx_ops __ro_after_init = {
	.name			= "vmx",
	.id			= VMEM_BACKEND_VMX,
	.probe			= vmx_probe,
	.hardware_setup		= vmx_hardware_setup,
	.hardware_unsetup	= vmx_hardware_unsetup,
	.cpu_enable		= vmx_cpu_enable,
	.cpu_disable		= vmx_cpu_disable,
	.emergency_disable	= vmx_emergency_disable,
};
