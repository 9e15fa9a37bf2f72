// SPDX-License-Identifier: GPL-2.0
/*
 * x86/vmx.c - Intel VMX backend: the hardware (probe, capabilities and
 * controls, per-CPU VMXON), the per-CPU bookkeeping of active VMCSs, the
 * MSRs switched lazily at return to user space, the shared MSR bitmap, the
 * EPT format, and the ops table.  VMCS set-up, state and entry are in
 * vmx_vcpu.c, exit handling in vmx_exit.c, the entry itself in
 * vmx_entry.S.
 *
 * References: Intel SDM vol. 3C, "24.7 Enabling and Entering VMX
 * Operation", "24.11 VMXON Region", "25.11 Software Use of the VMCS"
 * (VMCLEAR before a VMCS moves to another CPU or VMX goes off), appendix A
 * "VMX Capability Reporting Facility" (A.1 basic, A.3-A.5 controls, A.7/A.8
 * fixed CR0/CR4 bits, A.10 VPID and EPT capabilities).
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/bits.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kstrtox.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/rculist.h>
#include <linux/smp.h>
#include <linux/topology.h>
#include <asm/apic.h>
#include <asm/asm.h>
#include <asm/cpu_entry_area.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/nmi.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/tsc.h>

#include <linux/vmem.h>

#include "vmem_backend.h"
#include "vmem_compat.h"
#include "vmem_core.h"
#include "vmx.h"

/* CPUID.1:ECX: VMX supported. */
#define VMX_CPUID_VMX			BIT(5)

/* Allowed-0 / allowed-1 settings of a control MSR (A.3). */
#define VMX_MUST1(msr)			((u32)(msr))
#define VMX_MAY1(msr)			((u32)((msr) >> 32))

/* VPID 0 is the host's. */
#define VMX_NR_VPIDS			0xffff

struct vmx_caps vmx_caps __ro_after_init;
u64 vmx_msr_bitmap_pa __ro_after_init;

/* The shared MSR bitmap (SDM 25.6.9).  [I] */
static struct page *vmx_msr_bitmap_page;

/* Whether VMs can be run at all (every required control present).  [I] */
static bool vmx_vms_ok __ro_after_init;

/*
 * VMXON region, one page per possible CPU (SDM 24.11).  [I] allocated at
 * hardware_setup, freed at unsetup; owned by the CPU while in VMX
 * operation.
 */
static DEFINE_PER_CPU(struct page *, vmx_vmxon_page);

DEFINE_PER_CPU(struct vmx_cpu, vmx_cpu);

/* The MSRs behind enum vmx_uret_msr. */
static const u32 vmx_uret_msrs[VMX_NR_URET] = {
	[VMX_URET_STAR]		= MSR_STAR,
	[VMX_URET_LSTAR]	= MSR_LSTAR,
	[VMX_URET_CSTAR]	= MSR_CSTAR,
	[VMX_URET_SFMASK]	= MSR_SYSCALL_MASK,
	[VMX_URET_TSC_AUX]	= MSR_TSC_AUX,
};

/* TSC_AUX exists (RDTSCP or RDPID) and is switched.  [I] */
static bool vmx_has_tsc_aux __ro_after_init;

static void vmx_test_hooks_init(void);
static void vmx_test_hooks_exit(void);

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

/* A VMWRITE that failed is a bug of ours (bad field or value): say so. */
void vmx_vmwrite_error(unsigned long field, unsigned long value)
{
	pr_err_ratelimited("VMWRITE %#lx = %#lx failed (VM-instruction error %lu)\n",
			   field, value, vmcs_read(VMCS_INSN_ERROR));
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
	if (!(cpuid_ecx(1) & VMX_CPUID_VMX))
		return -ENODEV;

	/* Preemptible here: any CPU will do, the per-CPU check comes later. */
	return vmx_check_feature_control(raw_smp_processor_id(), true);
}

/*
 * One control word from its capability MSR (the TRUE_ one when the CPU
 * has them: those allow more controls to be 0).  @want must all be
 * allowed to be 1, @opt are taken where allowed, @never must be allowed
 * to be 0; the bits the CPU forces to 1 are added.
 */
static int vmx_ctl(const char *what, u32 msr, u32 true_msr, u32 want,
		   u32 opt, u32 never, u32 *out)
{
	u64 cap;
	u32 ctl;

	if (rdmsrl_safe(vmx_caps.true_ctls ? true_msr : msr, &cap))
		return -EIO;
	ctl = ((want | opt) & VMX_MAY1(cap)) | VMX_MUST1(cap);
	if ((ctl & want) != want) {
		pr_info("VMX: %s controls lack %#x: no VMs\n", what,
			want & ~ctl);
		return -EOPNOTSUPP;
	}
	if (ctl & never) {
		pr_info("VMX: %s controls force %#x on: no VMs\n", what,
			ctl & never);
		return -EOPNOTSUPP;
	}
	*out = ctl;
	return 0;
}

static void vmx_read_tdp_caps(void)
{
	u64 proc, proc2, cap;
	u32 allowed2;

	if (rdmsrl_safe(MSR_IA32_VMX_PROCBASED_CTLS, &proc) ||
	    !(VMX_MAY1(proc) & VMX_PROC_SECONDARY))
		return;
	if (rdmsrl_safe(MSR_IA32_VMX_PROCBASED_CTLS2, &proc2))
		return;
	allowed2 = VMX_MAY1(proc2);
	/* The capability MSR exists only if EPT or VPID may be enabled. */
	if (!(allowed2 & (VMX_PROC2_EPT | VMX_PROC2_VPID)) ||
	    rdmsrl_safe(MSR_IA32_VMX_EPT_VPID_CAP, &cap))
		return;
	vmx_caps.ept_vpid_cap = cap;

	/*
	 * vmem builds 4-level EPT tables in write-back memory and must be able
	 * to flush them: all three are required, not just advertised EPT.
	 * Unlike AMD's nested paging, the EPT walk length is the one the
	 * EPTP names (VMX_EPTP_PWL4), whatever the host's own paging: on a
	 * host with 5-level paging the 4-level tree is still walked as such.
	 */
	vmx_caps.has_ept = (allowed2 & VMX_PROC2_EPT) &&
			   (cap & VMX_EPT_CAP_PWL4) &&
			   (cap & VMX_EPT_CAP_WB) &&
			   (cap & VMX_EPT_CAP_INVEPT) &&
			   (cap & (VMX_EPT_CAP_INVEPT_SINGLE |
				   VMX_EPT_CAP_INVEPT_ALL));
	vmx_caps.has_vpid = (allowed2 & VMX_PROC2_VPID) &&
			    (cap & VMX_VPID_CAP_INVVPID) &&
			    (cap & (VMX_VPID_CAP_INVVPID_SINGLE |
				    VMX_VPID_CAP_INVVPID_ALL));
	vmx_caps.ept_ad = vmx_caps.has_ept && (cap & VMX_EPT_CAP_AD);
	vmx_caps.unrestricted = vmx_caps.has_ept &&
				(allowed2 & VMX_PROC2_UNRESTRICTED);
}

/*
 * The shadow MMU needs CR3-load/store and INVLPG exiting (vmx_shadow.c);
 * the #PF intercept and the CR0/CR4 masks every VMX CPU has.
 */
static bool vmx_shadow_possible(void)
{
	const u32 need = VMX_PROC_CR3_LOAD_EXITING |
			 VMX_PROC_CR3_STORE_EXITING | VMX_PROC_INVLPG_EXITING;
	u64 cap;

	if (rdmsrl_safe(vmx_caps.true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
			MSR_IA32_VMX_PROCBASED_CTLS, &cap))
		return false;
	return (VMX_MAY1(cap) & need) == need;
}

/*
 * The controls every VMCS runs with (see vmx_vmcs_setup() for what each
 * is for).  Anything missing leaves the backend loaded (VMX on, for the
 * capability queries) but without VMs: VMEM_CREATE_VM says -EOPNOTSUPP.
 * EPT-less CPUs run shadow-MMU VMs only.
 */
static int vmx_setup_controls(void)
{
	u32 proc2_opt = VMX_PROC2_WBINVD_EXITING;
	u64 cap, misc;
	int r;

	vmx_caps.shadow = vmx_shadow_possible();
	if (!vmx_caps.has_ept && !vmx_caps.shadow) {
		pr_info("VMX: neither usable EPT nor CR3/INVLPG exiting: no VMs\n");
		return -EOPNOTSUPP;
	}
	if (vmx_caps.has_ept)
		proc2_opt |= VMX_PROC2_EPT;
	if (vmx_caps.has_vpid)
		proc2_opt |= VMX_PROC2_VPID;
	if (vmx_caps.unrestricted)
		proc2_opt |= VMX_PROC2_UNRESTRICTED;
	if (vmx_has_tsc_aux)
		proc2_opt |= VMX_PROC2_RDTSCP;

	r = vmx_ctl("pin-based", MSR_IA32_VMX_PINBASED_CTLS,
		    MSR_IA32_VMX_TRUE_PINBASED_CTLS,
		    VMX_PIN_EXTINT_EXITING | VMX_PIN_NMI_EXITING |
		    VMX_PIN_VIRTUAL_NMIS, 0, 0, &vmx_caps.pin);
	if (r)
		return r;
	r = vmx_ctl("processor-based", MSR_IA32_VMX_PROCBASED_CTLS,
		    MSR_IA32_VMX_TRUE_PROCBASED_CTLS,
		    VMX_PROC_TSC_OFFSETTING | VMX_PROC_HLT_EXITING |
		    VMX_PROC_MWAIT_EXITING | VMX_PROC_RDPMC_EXITING |
		    VMX_PROC_CR8_LOAD_EXITING | VMX_PROC_CR8_STORE_EXITING |
		    VMX_PROC_MOV_DR_EXITING | VMX_PROC_UNCOND_IO_EXITING |
		    VMX_PROC_MSR_BITMAPS | VMX_PROC_MONITOR_EXITING |
		    VMX_PROC_SECONDARY, 0,
		    VMX_PROC_CR3_LOAD_EXITING | VMX_PROC_CR3_STORE_EXITING |
		    VMX_PROC_INVLPG_EXITING | VMX_PROC_RDTSC_EXITING |
		    VMX_PROC_TPR_SHADOW | VMX_PROC_IO_BITMAPS |
		    VMX_PROC_INTR_WINDOW | VMX_PROC_NMI_WINDOW | VMX_PROC_MTF,
		    &vmx_caps.proc);
	if (r)
		return r;
	/* Window exits are set and cleared at run time: allowed at all? */
	if (rdmsrl_safe(vmx_caps.true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
			MSR_IA32_VMX_PROCBASED_CTLS, &cap) ||
	    (VMX_MAY1(cap) & (VMX_PROC_INTR_WINDOW | VMX_PROC_NMI_WINDOW)) !=
	    (VMX_PROC_INTR_WINDOW | VMX_PROC_NMI_WINDOW)) {
		pr_info("VMX: no interrupt/NMI-window exiting: no VMs\n");
		return -EOPNOTSUPP;
	}
	/* No TRUE MSR for the secondary controls: they have no default-1. */
	r = vmx_ctl("secondary", MSR_IA32_VMX_PROCBASED_CTLS2,
		    MSR_IA32_VMX_PROCBASED_CTLS2, 0, proc2_opt,
		    VMX_PROC2_INVPCID | VMX_PROC2_XSAVES, &vmx_caps.proc2);
	if (r)
		return r;
	r = vmx_ctl("VM-exit", MSR_IA32_VMX_EXIT_CTLS,
		    MSR_IA32_VMX_TRUE_EXIT_CTLS,
		    VMX_EXIT_SAVE_DEBUG | VMX_EXIT_HOST_64 |
		    VMX_EXIT_SAVE_PAT | VMX_EXIT_LOAD_PAT |
		    VMX_EXIT_SAVE_EFER | VMX_EXIT_LOAD_EFER, 0,
		    VMX_EXIT_ACK_INTR, &vmx_caps.exit);
	if (r)
		return r;
	r = vmx_ctl("VM-entry", MSR_IA32_VMX_ENTRY_CTLS,
		    MSR_IA32_VMX_TRUE_ENTRY_CTLS,
		    VMX_ENTRY_LOAD_DEBUG | VMX_ENTRY_LOAD_PAT |
		    VMX_ENTRY_LOAD_EFER, 0, VMX_ENTRY_IA32E, &vmx_caps.entry);
	if (r)
		return r;
	if (rdmsrl_safe(vmx_caps.true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
			MSR_IA32_VMX_ENTRY_CTLS, &cap) ||
	    !(VMX_MAY1(cap) & VMX_ENTRY_IA32E)) {
		pr_info("VMX: no IA-32e mode guests: no VMs\n");
		return -EOPNOTSUPP;
	}
	/* A bound on guest time for Bochs, see vmx_vcpu_run(). */
	if (!rdmsrl_safe(vmx_caps.true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
			 MSR_IA32_VMX_PINBASED_CTLS, &cap) &&
	    (VMX_MAY1(cap) & VMX_PIN_PREEMPTION_TIMER) &&
	    !rdmsrl_safe(MSR_IA32_VMX_MISC, &misc)) {
		/* It counts down at the TSC rate >> IA32_VMX_MISC[4:0]. */
		u64 ticks = (tsc_khz ? tsc_khz : 1000000) >> (misc & 0x1f);

		vmx_caps.preempt_timer = true;
		vmx_caps.preempt_value = clamp_t(u64, ticks, 1, U32_MAX);
	}
	/* The effective settings, for the record. */
	vmx_caps.has_ept = vmx_caps.proc2 & VMX_PROC2_EPT;
	if (!vmx_caps.has_ept && !vmx_caps.shadow)
		return -EOPNOTSUPP;
	vmx_caps.has_vpid = vmx_caps.proc2 & VMX_PROC2_VPID;
	vmx_caps.unrestricted = vmx_caps.proc2 & VMX_PROC2_UNRESTRICTED;
	return 0;
}

/*
 * CR4 bits a guest may hold: the x86 rule both backends share (x86/cr.c),
 * within what VMX operation allows (CR4_FIXED1).  VMXE, fixed to 1, is
 * vmem's and never the guest's.
 */
static u64 vmx_cr4_allowed(void)
{
	return vmem_x86_cr4_allowed() & vmx_caps.cr4_fixed1;
}

/*
 * The MSR bitmap: 4 KiB, read bits for MSRs 0-0x1fff at 0, for
 * 0xc0000000-0xc0001fff at 0x400, write bits at 0x800 and 0xc00 (SDM
 * 25.6.9).  A set bit exits.  Passed through:
 *  - read and write: FS_BASE, GS_BASE, SYSENTER_CS/ESP/EIP (VMCS guest
 *    fields, loaded and saved by every entry and exit) and KERNEL_GS_BASE
 *    (swapped around every entry by vmx_vcpu_run());
 *  - read only: STAR, LSTAR, CSTAR, SFMASK, whose hardware value is the
 *    guest's whenever the guest runs (vmx_uret_load()); writes exit so
 *    that vmem always knows the guest's value without reading it back.
 * Everything else is the core's or vmx_get/set_msr()'s.
 */
static void vmx_msr_bitmap_allow(u8 *bitmap, u32 msr, bool read, bool write)
{
	unsigned int base = 0;

	if (msr >= 0xc0000000) {
		base = 0x400;
		msr -= 0xc0000000;
	}
	if (WARN_ON_ONCE(msr >= 0x2000))
		return;
	if (read)
		__clear_bit(msr, (unsigned long *)(bitmap + base));
	if (write)
		__clear_bit(msr, (unsigned long *)(bitmap + base + 0x800));
}

static int vmx_alloc_msr_bitmap(void)
{
	u8 *bitmap;

	vmx_msr_bitmap_page = vmem_alloc_page(GFP_KERNEL);
	if (!vmx_msr_bitmap_page)
		return -ENOMEM;
	bitmap = page_address(vmx_msr_bitmap_page);
	memset(bitmap, 0xff, PAGE_SIZE);
	vmx_msr_bitmap_allow(bitmap, MSR_FS_BASE, true, true);
	vmx_msr_bitmap_allow(bitmap, MSR_GS_BASE, true, true);
	vmx_msr_bitmap_allow(bitmap, MSR_KERNEL_GS_BASE, true, true);
	vmx_msr_bitmap_allow(bitmap, MSR_IA32_SYSENTER_CS, true, true);
	vmx_msr_bitmap_allow(bitmap, MSR_IA32_SYSENTER_ESP, true, true);
	vmx_msr_bitmap_allow(bitmap, MSR_IA32_SYSENTER_EIP, true, true);
	vmx_msr_bitmap_allow(bitmap, MSR_STAR, true, false);
	vmx_msr_bitmap_allow(bitmap, MSR_LSTAR, true, false);
	vmx_msr_bitmap_allow(bitmap, MSR_CSTAR, true, false);
	vmx_msr_bitmap_allow(bitmap, MSR_SYSCALL_MASK, true, false);
	vmx_msr_bitmap_pa = page_to_phys(vmx_msr_bitmap_page);
	return 0;
}

static void vmx_free_pages(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		vmem_free_page(per_cpu(vmx_vmxon_page, cpu));
		per_cpu(vmx_vmxon_page, cpu) = NULL;
	}
	vmem_free_page(vmx_msr_bitmap_page);
	vmx_msr_bitmap_page = NULL;
}

static int vmx_hardware_setup(void)
{
	u64 basic, scratch;
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
	if (VMX_CAP_REGION_SIZE(basic) > PAGE_SIZE) {
		pr_err("VMX region size %llu larger than a page\n",
		       VMX_CAP_REGION_SIZE(basic));
		return -EOPNOTSUPP;
	}
	/* Pages come from anywhere in memory and are mapped write-back. */
	if (basic & VMX_CAP_32BIT_ADDR) {
		pr_err("VMX limited to 32-bit physical addresses\n");
		return -EOPNOTSUPP;
	}
	if (VMX_CAP_MEMTYPE(basic) != VMX_MEMTYPE_WB) {
		pr_err("VMX structures not write-back (memory type %llu)\n",
		       VMX_CAP_MEMTYPE(basic));
		return -EOPNOTSUPP;
	}
	vmx_caps.basic = basic;
	vmx_caps.revision = basic & VMX_CAP_REVISION_MASK;
	vmx_caps.true_ctls = basic & VMX_CAP_TRUE_CTLS;
	vmx_caps.inout_info = basic & VMX_CAP_INOUT_INFO;
	vmx_caps.phys_bits = boot_cpu_data.x86_phys_bits;
	vmx_caps.cr4_allowed = vmx_cr4_allowed();
	vmx_has_tsc_aux = boot_cpu_has(X86_FEATURE_RDTSCP) ||
			  boot_cpu_has(X86_FEATURE_RDPID);
	vmx_caps.has_debugctl = !rdmsrl_safe(MSR_IA32_DEBUGCTLMSR, &scratch);

	vmx_read_tdp_caps();
	vmx_vms_ok = !vmx_setup_controls();
	vmem_vmx_ops.has_tdp = vmx_caps.has_ept;
	vmem_vmx_ops.has_shadow = vmx_vms_ok && vmx_caps.shadow;
	/* Unrestricted guest needs EPT: never for shadow VMs. */
	vmem_vmx_ops.real_mode_mmus = vmx_caps.unrestricted ? VMEM_VM_MMU_HW : 0;
	vmem_vmx_ops.nr_asids = vmx_caps.has_vpid ? VMX_NR_VPIDS : 0;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpu, cpu);
		struct page *page;

		INIT_LIST_HEAD(&vc->loaded);
		page = vmem_alloc_page_node(cpu_to_node(cpu),
					    GFP_KERNEL | __GFP_ZERO);
		if (!page) {
			vmx_free_pages();
			return -ENOMEM;
		}
		*(u32 *)page_address(page) = vmx_caps.revision;
		per_cpu(vmx_vmxon_page, cpu) = page;
	}
	if (vmx_alloc_msr_bitmap()) {
		vmx_free_pages();
		return -ENOMEM;
	}

	pr_info("VMX: revision %#x, EPT %s%s, VPID %s, unrestricted guest %s, shadow MMU %s, true controls %s\n",
		vmx_caps.revision,
		vmx_caps.has_ept ? "usable" : "absent",
		vmx_caps.ept_ad ? " with A/D" : "",
		vmx_caps.has_vpid ? "usable" : "absent",
		vmx_caps.unrestricted ? "yes" : "no",
		vmem_vmx_ops.has_shadow ? "yes" : "no",
		vmx_caps.true_ctls ? "yes" : "no");
	if (vmx_vms_ok && vmx_caps.has_ept && !vmx_caps.unrestricted)
		pr_info("VMX: no unrestricted guest: real-mode and unpaged guest states are refused\n");
	if (vmem_vmx_ops.has_shadow)
		pr_info("VMX: shadow-MMU VMs cannot run real mode (no unrestricted guest without EPT)\n");
	vmx_test_hooks_init();
	return 0;
}

static void vmx_hardware_unsetup(void)
{
	vmx_test_hooks_exit();
	vmx_free_pages();
}

/* ---------------------------------------------------------------------- */
/* Active VMCSs                                                            */

/*
 * A VMCS is active on at most one CPU, and must be VMCLEARed there before
 * another CPU loads it or VMX goes off (SDM 25.11.1): the CPU may keep
 * VMCS data cached and write it back at any time while it is active.
 * Each CPU lists the VMCSs active on it (vmx_cpu.loaded).  Only the owning
 * CPU edits its list, always with interrupts off; the emergency path
 * walks it from NMI context on the same CPU, hence the _rcu list
 * primitives, which keep the forward chain valid at every instant.
 */

/*
 * The host-state fields that depend on the CPU: they are written when a
 * VMCS becomes active on a CPU, and stay right as long as it stays there.
 */
static void vmx_set_cpu_host_state(struct vmx_cpu *vc, int cpu)
{
	struct desc_ptr idt;
	u64 v;

	vmcs_write(VMCS_HOST_TR_BASE,
		   (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	vmcs_write(VMCS_HOST_GDTR_BASE, vc->gdt.address);
	store_idt(&idt);
	vmcs_write(VMCS_HOST_IDTR_BASE, idt.address);
	rdmsrl(MSR_GS_BASE, v);
	vmcs_write(VMCS_HOST_GS_BASE, v);
	rdmsrl(MSR_IA32_SYSENTER_CS, v);
	vmcs_write(VMCS_HOST_SYSENTER_CS, v);
	rdmsrl(MSR_IA32_SYSENTER_ESP, v);
	vmcs_write(VMCS_HOST_SYSENTER_ESP, v);
	rdmsrl(MSR_IA32_SYSENTER_EIP, v);
	vmcs_write(VMCS_HOST_SYSENTER_EIP, v);
	rdmsrl(MSR_EFER, v);
	vmcs_write(VMCS_HOST_EFER, v);
	rdmsrl(MSR_IA32_CR_PAT, v);
	vmcs_write(VMCS_HOST_PAT, v);
	vmcs_write(VMCS_HOST_CR0, read_cr0());
}

/*
 * Make @vmx's VMCS current on this CPU.  Interrupts off; the VMCS must be
 * clear (vmx->cpu == -1) or already active here.  Returns 0, or -EIO if
 * the CPU refused (VMX off).
 */
int vmx_vmcs_load_here(struct vmx_vcpu *vmx)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	int cpu = smp_processor_id();
	bool fresh = READ_ONCE(vmx->cpu) != cpu;

	lockdep_assert_irqs_disabled();
	if (vc->current_vmcs == vmx)
		return 0;
	if (!vc->on)
		return -EIO;

	if (fresh) {
		/* Pairs with the smp_wmb() in vmx_vmcs_clear_local(). */
		smp_rmb();
		/* Listed before it is active: see vmx_emergency_disable(). */
		list_add_rcu(&vmx->loaded_link, &vc->loaded);
	}
	if (vmx_vmptrld(vmx->vmcs_pa)) {
		if (fresh)
			list_del_rcu(&vmx->loaded_link);
		return -EIO;
	}
	vc->current_vmcs = vmx;
	if (fresh) {
		WRITE_ONCE(vmx->cpu, cpu);
		/* VMCLEAR left it clear: VMLAUNCH next. */
		vmx->launched = false;
		/* This CPU may hold stale translations of the EPTP/VPID. */
		vmx->flush = true;
		vmx_set_cpu_host_state(vc, cpu);
	}
	return 0;
}

/* VMCLEAR @vmx's VMCS on this CPU, where it is active.  Interrupts off. */
static void vmx_vmcs_clear_local(struct vmx_vcpu *vmx)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);

	vmx_vmclear(vmx->vmcs_pa);
	if (vc->current_vmcs == vmx)
		vc->current_vmcs = NULL;
	list_del_rcu(&vmx->loaded_link);
	/*
	 * The list removal before the CPU number, so that whoever sees -1
	 * and loads the VMCS on its own CPU links it only once it is
	 * unlinked here.
	 */
	smp_wmb();
	WRITE_ONCE(vmx->cpu, -1);
}

/* smp_call_function_single() target: clear @arg if still active here. */
void vmx_vmcs_clear_ipi(void *arg)
{
	struct vmx_vcpu *vmx = arg;

	if (READ_ONCE(vmx->cpu) == smp_processor_id())
		vmx_vmcs_clear_local(vmx);
}

/* ---------------------------------------------------------------------- */
/* MSRs switched at return to user space                                   */

/* Interrupts off, on the CPU of @vc. */
static void vmx_uret_restore(struct vmx_cpu *vc)
{
	int i;

	for (i = 0; i < VMX_NR_URET; i++) {
		if (i == VMX_URET_TSC_AUX && !vmx_has_tsc_aux)
			continue;
		if (vc->uret_cur[i] != vc->uret_host[i]) {
			wrmsrl(vmx_uret_msrs[i], vc->uret_host[i]);
			vc->uret_cur[i] = vc->uret_host[i];
		}
	}
	if (vc->urn_registered) {
		vmem_user_return_unregister(&vc->urn);
		vc->urn_registered = false;
	}
}

static void vmx_on_user_return(struct user_return_notifier *urn)
{
	struct vmx_cpu *vc = container_of(urn, struct vmx_cpu, urn);
	unsigned long flags;

	local_irq_save(flags);
	vmx_uret_restore(vc);
	local_irq_restore(flags);
}

/*
 * Before an entry (interrupts off): the guest's values into the MSRs that
 * differ, and the notifier that will put the host's back.
 */
void vmx_uret_load(struct vmx_vcpu *vmx)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	int i;

	for (i = 0; i < VMX_NR_URET; i++) {
		if (i == VMX_URET_TSC_AUX && !vmx_has_tsc_aux)
			continue;
		if (vc->uret_cur[i] != vmx->uret[i]) {
			wrmsrl(vmx_uret_msrs[i], vmx->uret[i]);
			vc->uret_cur[i] = vmx->uret[i];
		}
	}
	if (!vc->urn_registered) {
		vc->urn.on_user_return = vmx_on_user_return;
		vmem_user_return_register(&vc->urn);
		vc->urn_registered = true;
	}
}

/* ---------------------------------------------------------------------- */
/* A test hook for host NMIs                                               */

/*
 * debugfs vmem/vmx_nmi_test (root only): writing a CPU number sends that
 * CPU an NMI and waits (2 s at most) until the host's NMI handlers have
 * seen it; the write fails with ETIMEDOUT otherwise.  Reading it gives the
 * number of host NMIs that arrived in a guest (NMI exits handed to the
 * host by __vmx_do_nmi()) since the module was loaded, summed over CPUs.
 * The selftests use it while a vCPU spins in the guest on that CPU, to
 * check that an NMI that arrives in the guest reaches the host through
 * __vmx_do_nmi() (the count moves, so the NMI was not simply taken in the
 * host) and that NMIs are unblocked afterwards.  Nothing in the harness
 * sends NMIs otherwise (no NMI watchdog in Bochs).
 */
#ifdef CONFIG_DEBUG_FS
static DEFINE_PER_CPU(int, vmx_test_nmi_armed);		/* [a] */
static DEFINE_PER_CPU(unsigned long, vmx_test_nmis);	/* [a] */
static struct dentry *vmx_nmi_test_file;		/* [I] */
static bool vmx_nmi_handler_registered;			/* [I] */

static int vmx_test_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	if (!this_cpu_read(vmx_test_nmi_armed))
		return NMI_DONE;
	this_cpu_write(vmx_test_nmi_armed, 0);
	this_cpu_inc(vmx_test_nmis);
	return NMI_HANDLED;
}

static ssize_t vmx_nmi_test_write(struct file *file, const char __user *ubuf,
				  size_t len, loff_t *ppos)
{
	unsigned long before, timeout;
	unsigned int cpu;
	int r;

	r = kstrtouint_from_user(ubuf, len, 0, &cpu);
	if (r)
		return r;
	if (cpu >= nr_cpu_ids || !cpu_online(cpu))
		return -EINVAL;

	before = READ_ONCE(per_cpu(vmx_test_nmis, cpu));
	WRITE_ONCE(per_cpu(vmx_test_nmi_armed, cpu), 1);
	/* Armed before the NMI can be seen. */
	smp_mb();
	apic->send_IPI(cpu, NMI_VECTOR);

	timeout = jiffies + 2 * HZ;
	while (READ_ONCE(per_cpu(vmx_test_nmis, cpu)) == before) {
		if (time_after(jiffies, timeout)) {
			WRITE_ONCE(per_cpu(vmx_test_nmi_armed, cpu), 0);
			return -ETIMEDOUT;
		}
		usleep_range(100, 200);
	}
	return len;
}

static ssize_t vmx_nmi_test_read(struct file *file, char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	unsigned long sum = 0;
	char buf[24];
	int cpu, n;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu(vmx_cpu, cpu).nmi_exits);
	n = scnprintf(buf, sizeof(buf), "%lu\n", sum);
	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations vmx_nmi_test_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= vmx_nmi_test_read,
	.write	= vmx_nmi_test_write,
	.llseek	= default_llseek,
};

static void vmx_test_hooks_init(void)
{
	struct dentry *dir = debugfs_lookup("vmem", NULL);

	if (IS_ERR_OR_NULL(dir))
		return;
	if (!register_nmi_handler(NMI_LOCAL, vmx_test_nmi_handler, 0,
				  "vmem_vmx_test")) {
		vmx_nmi_handler_registered = true;
		vmx_nmi_test_file = debugfs_create_file("vmx_nmi_test", 0600,
							dir, NULL,
							&vmx_nmi_test_fops);
	}
	dput(dir);
}

static void vmx_test_hooks_exit(void)
{
	debugfs_remove(vmx_nmi_test_file);
	vmx_nmi_test_file = NULL;
	if (vmx_nmi_handler_registered)
		unregister_nmi_handler(NMI_LOCAL, "vmem_vmx_test");
	vmx_nmi_handler_registered = false;
}
#else
static void vmx_test_hooks_init(void)
{
}

static void vmx_test_hooks_exit(void)
{
}
#endif

/* ---------------------------------------------------------------------- */
/* Per CPU                                                                 */

static bool vmx_fixed_ok(u64 val, u64 fixed0, u64 fixed1)
{
	return (val & fixed0) == fixed0 && !(val & ~fixed1);
}

static int vmx_cpu_enable(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	int cpu = smp_processor_id();
	struct page *vmxon = per_cpu(vmx_vmxon_page, cpu);
	unsigned long cr0, cr4;
	int i, r;

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

	/* VMXON has no current VMCS, and may have stale translations. */
	vc->current_vmcs = NULL;
	if (vmx_caps.has_ept && (vmx_caps.ept_vpid_cap & VMX_EPT_CAP_INVEPT_ALL))
		vmx_invept(VMX_INVEPT_ALL, 0);
	if (vmx_caps.has_vpid &&
	    (vmx_caps.ept_vpid_cap & VMX_VPID_CAP_INVVPID_ALL))
		vmx_invvpid(VMX_INVVPID_ALL, 0);

	native_store_gdt(&vc->gdt);
	for (i = 0; i < VMX_NR_URET; i++) {
		if (i == VMX_URET_TSC_AUX && !vmx_has_tsc_aux)
			continue;
		rdmsrl(vmx_uret_msrs[i], vc->uret_host[i]);
		vc->uret_cur[i] = vc->uret_host[i];
	}
	vc->on = true;
	return 0;
}

/*
 * The normal way off (hotplug, suspend, shutdown, unload; interrupts off):
 * VMCLEAR what is active here, so a vCPU that ran here loads its VMCS
 * afresh wherever it runs next; put the host's MSRs back; VMXOFF.
 */
static void vmx_cpu_disable(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	struct vmx_vcpu *vmx, *tmp;

	list_for_each_entry_safe(vmx, tmp, &vc->loaded, loaded_link)
		vmx_vmcs_clear_local(vmx);
	vmx_uret_restore(vc);
	vc->on = false;
	if (!(vmem_cr4_read() & X86_CR4_VMXE))
		return;
	vmx_vmxoff();
	vmem_cr4_clear(X86_CR4_VMXE);
}

/*
 * Crash, NMI shootdown, emergency reboot: possibly in NMI context with any
 * lock held, maybe interrupting the code above.  VMCLEAR every VMCS active
 * here (so the CPU writes nothing back into memory a kdump kernel owns)
 * without touching the list, then VMXOFF; every instruction has a fixup,
 * and nothing happens once CR4.VMXE is clear, so it is idempotent.
 */
static void vmx_emergency_disable(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	struct vmx_vcpu *vmx;

	if (!(vmem_cr4_read() & X86_CR4_VMXE))
		return;
	list_for_each_entry_rcu(vmx, &vc->loaded, loaded_link, true)
		vmx_vmclear(vmx->vmcs_pa);
	vmx_vmxoff();
	vmem_cr4_clear(X86_CR4_VMXE);
}

/* ---------------------------------------------------------------------- */
/* VMs                                                                     */

int vmx_vm_init(struct vmem_vm *vm)
{
	if (!vmx_vms_ok)
		return -EOPNOTSUPP;
	if (vm->mmu_mode == VMEM_VM_MMU_HW ? !vmx_caps.has_ept :
	    !vmem_vmx_ops.has_shadow)
		return -EOPNOTSUPP;
	vm->backend = NULL;
	return 0;
}

void vmx_vm_destroy(struct vmem_vm *vm)
{
}

/* ---------------------------------------------------------------------- */
/* The EPT format and the ops table                                        */

/*
 * EPT entries (SDM 29.3.2): R, W, X in bits 0-2; leaves carry the memory
 * type, write-back, in bits 5:3 with "ignore PAT" clear, so the guest's
 * PAT and page tables still choose (combined as SDM 29.3.7 says).  Tables
 * are R|W|X (permissions narrow down the walk).  A and D (bits 8, 9) are
 * set up front when the EPTP enables them, so the walker never has to
 * write them; without A/D they are ignored bits.
 */
static struct vmem_tdp_format vmx_ept_format __ro_after_init = {
	.present_mask	= VMX_EPT_R,
	.table_bits	= VMX_EPT_R | VMX_EPT_W | VMX_EPT_X,
	.leaf_bits	= VMX_EPT_R | VMX_EPT_X | VMX_EPT_MT_WB,
	.write_bit	= VMX_EPT_W,
	.large_bit	= VMX_EPT_LARGE,
	.ad_bits	= 0,
	.root_level	= 4,
};

static int vmx_hardware_setup_all(void)
{
	int r = vmx_hardware_setup();

	if (!r && vmx_caps.ept_ad)
		vmx_ept_format.ad_bits = VMX_EPT_A | VMX_EPT_D;
	return r;
}

/* Written by vmx_hardware_setup() during module init only. */
struct vmem_backend_ops vmem_vmx_ops __ro_after_init = {
	.name			= "vmx",
	.id			= VMEM_BACKEND_VMX,
	.probe			= vmx_probe,
	.hardware_setup		= vmx_hardware_setup_all,
	.hardware_unsetup	= vmx_hardware_unsetup,
	.cpu_enable		= vmx_cpu_enable,
	.cpu_disable		= vmx_cpu_disable,
	.emergency_disable	= vmx_emergency_disable,
	.vm_init		= vmx_vm_init,
	.vm_destroy		= vmx_vm_destroy,
	.vcpu_create		= vmx_vcpu_create,
	.vcpu_destroy		= vmx_vcpu_destroy,
	.vcpu_reset		= vmx_vcpu_reset,
	.get_rflags		= vmx_get_rflags,
	.set_rflags		= vmx_set_rflags,
	.get_segment		= vmx_get_segment,
	.get_sregs		= vmx_get_sregs,
	.set_sregs		= vmx_set_sregs,
	.get_debugregs		= vmx_get_debugregs,
	.set_debugregs		= vmx_set_debugregs,
	.get_msr		= vmx_get_msr,
	.set_msr		= vmx_set_msr,
	.get_cpl		= vmx_get_cpl,
	.get_cr8		= vmx_get_cr8,
	.interrupt_allowed	= vmx_interrupt_allowed,
	.nmi_allowed		= vmx_nmi_allowed,
	.enable_irq_window	= vmx_enable_irq_window,
	.run			= vmx_vcpu_run,
	.handle_exit_fast	= vmx_handle_exit_fast,
	.handle_exit		= vmx_handle_exit,
	.tdp_format		= &vmx_ept_format,
};
