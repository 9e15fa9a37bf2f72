// SPDX-License-Identifier: GPL-2.0
/*
 * x86/svm.c - AMD SVM backend: the hardware (probe, capabilities, per-CPU
 * enable, the maps every vCPU shares) and the ops table.  VMCB set-up,
 * state and entry are in svm_vcpu.c, exit handling in svm_exit.c, the
 * world switch in svm_entry.S.
 *
 * References: AMD64 Architecture Programmer's Manual vol. 2 (24593),
 * "15.4 Enabling SVM", "15.10 I/O Intercepts", "15.11 MSR Intercepts" and
 * "15.30.4 VM_HSAVE_PA MSR".
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/bits.h>
#include <linux/cpumask.h>
#include <linux/mem_encrypt.h>
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
#include "vmem_core.h"
#include "svm.h"

/* CPUID 0x80000001 ECX: SVM supported. */
#define VMEM_SVM_CPUID_SVM		BIT(2)
/* CPUID 0x8000000A: SVM revision and features. */
#define VMEM_SVM_CPUID_LEAF		0x8000000a
#define VMEM_SVM_CPUID_EDX_NPT		BIT(0)
#define VMEM_SVM_CPUID_EDX_NRIPS	BIT(3)
#define VMEM_SVM_CPUID_EDX_FLUSHBYASID	BIT(6)
#define VMEM_SVM_CPUID_EDX_DECODEASSISTS BIT(7)
/* VM_CR: SVMDIS, set by firmware to forbid EFER.SVME (APM 15.30.1). */
#define VMEM_SVM_VM_CR_SVMDIS		BIT_ULL(4)

/*
 * Host save area, one page per possible CPU, where VMRUN stores host state
 * (APM 15.30.4).  [I] allocated at hardware_setup, freed at unsetup; the
 * hardware writes it while the CPU is in a guest.
 */
static DEFINE_PER_CPU(struct page *, svm_hsave_page);

/* Per-CPU host VMSAVE area and ASID allocator, see struct svm_cpu. */
DEFINE_PER_CPU(struct svm_cpu, svm_cpu);

struct svm_caps svm_caps __ro_after_init;

/* The shared permission maps (see svm.h).  [I] */
static struct page *svm_iopm_pages;
static struct page *svm_msrpm_pages;
u64 svm_iopm_pa __ro_after_init;
u64 svm_msrpm_pa __ro_after_init;

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */

/*
 * STGI so that INIT and NMI are not left blocked when SVM goes off (GIF
 * may be 0 if we are torn down from the middle of a world switch).  It
 * #UDs if EFER.SVME is already clear; the fixup just skips it, because the
 * emergency path must never fault.
 */
static __always_inline void svm_stgi_safe(void)
{
	asm volatile("1: stgi\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     ::: "memory");
}

static bool svm_bios_disabled(void)
{
	u64 vm_cr;

	/* No VM_CR at all means no usable SVM either. */
	if (rdmsrl_safe(MSR_VM_CR, &vm_cr))
		return true;
	return vm_cr & VMEM_SVM_VM_CR_SVMDIS;
}

/* ---------------------------------------------------------------------- */
/* Global                                                                  */

static int svm_probe(void)
{
	if (boot_cpu_data.x86_vendor != X86_VENDOR_AMD &&
	    boot_cpu_data.x86_vendor != X86_VENDOR_HYGON)
		return -ENODEV;
	if (cpuid_eax(0x80000000) < VMEM_SVM_CPUID_LEAF)
		return -ENODEV;
	if (!(cpuid_ecx(0x80000001) & VMEM_SVM_CPUID_SVM))
		return -ENODEV;

	if (svm_bios_disabled()) {
		pr_err("SVM disabled by BIOS\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * MSRs a guest may read and write without an exit: all of them are in the
 * VMCB's save area and are switched by VMLOAD/VMSAVE around VMRUN (APM
 * 15.5.2 and the VMLOAD description in vol. 3), so the guest only ever
 * sees its own value and the host gets its own back before anything runs
 * that could use them.  Every other MSR is intercepted: EFER, PAT, TSC,
 * DEBUGCTL and friends are virtualized in svm_get/set_msr(), the rest is
 * the core's (vmem_exit_rdmsr/wrmsr).
 */
static const u32 svm_passthrough_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
};

/*
 * The map's three 2 KiB ranges cover MSRs 0-0x1fff, 0xc0000000-0xc0001fff
 * and 0xc0010000-0xc0011fff, two bits per MSR: even bit read, odd bit
 * write (APM 15.11).  Returns the bit offset of the read bit.
 */
static long svm_msrpm_bit(u32 msr)
{
	static const u32 range_base[] = { 0, 0xc0000000, 0xc0010000 };
	int i;

	for (i = 0; i < ARRAY_SIZE(range_base); i++) {
		if (msr >= range_base[i] && msr < range_base[i] + 0x2000)
			return (i * 0x800L * 8) + (msr - range_base[i]) * 2;
	}
	return -1;
}

static void svm_free_maps(void)
{
	vmem_free_pages(svm_iopm_pages, SVM_IOPM_ORDER);
	vmem_free_pages(svm_msrpm_pages, SVM_MSRPM_ORDER);
	svm_iopm_pages = NULL;
	svm_msrpm_pages = NULL;
}

static int svm_alloc_maps(void)
{
	unsigned long *msrpm;
	int i;

	svm_iopm_pages = vmem_alloc_pages_node(NUMA_NO_NODE, GFP_KERNEL,
					       SVM_IOPM_ORDER);
	svm_msrpm_pages = vmem_alloc_pages_node(NUMA_NO_NODE, GFP_KERNEL,
						SVM_MSRPM_ORDER);
	if (!svm_iopm_pages || !svm_msrpm_pages) {
		svm_free_maps();
		return -ENOMEM;
	}

	/* Every port exits: device emulation is the VMM's. */
	memset(page_address(svm_iopm_pages), 0xff, SVM_IOPM_SIZE);

	msrpm = page_address(svm_msrpm_pages);
	memset(msrpm, 0xff, SVM_MSRPM_SIZE);
	for (i = 0; i < ARRAY_SIZE(svm_passthrough_msrs); i++) {
		long bit = svm_msrpm_bit(svm_passthrough_msrs[i]);

		__clear_bit(bit, msrpm);
		__clear_bit(bit + 1, msrpm);
	}

	svm_iopm_pa = __sme_set(page_to_phys(svm_iopm_pages));
	svm_msrpm_pa = __sme_set(page_to_phys(svm_msrpm_pages));
	return 0;
}

static void svm_free_cpu_pages(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sc = per_cpu_ptr(&svm_cpu, cpu);

		vmem_free_page(per_cpu(svm_hsave_page, cpu));
		per_cpu(svm_hsave_page, cpu) = NULL;
		vmem_free_page(sc->host_save);
		sc->host_save = NULL;
	}
}

/*
 * NPT entries have the format of long-mode page tables (APM 15.25.5).
 * Every guest access is checked as a user access in the nested walk, so
 * U must be set at every level; A (and D in leaves) are set up front so
 * that the table walker never has to write them back.  Leaves are
 * executable (no NX) and, with PAT/PCD/PWT clear, write-back: the guest's
 * own memory type comes from its PAT (G_PAT) and page tables.
 */
#define SVM_NPT_P	BIT_ULL(0)
#define SVM_NPT_RW	BIT_ULL(1)
#define SVM_NPT_US	BIT_ULL(2)
#define SVM_NPT_A	BIT_ULL(5)
#define SVM_NPT_D	BIT_ULL(6)
#define SVM_NPT_PS	BIT_ULL(7)

/* root_level: set by svm_hardware_setup(). */
static struct vmem_tdp_format svm_npt_format __ro_after_init = {
	.present_mask	= SVM_NPT_P,
	.table_bits	= SVM_NPT_P | SVM_NPT_RW | SVM_NPT_US | SVM_NPT_A,
	.leaf_bits	= SVM_NPT_P | SVM_NPT_US,
	.write_bit	= SVM_NPT_RW,
	.large_bit	= SVM_NPT_PS,
	.ad_bits	= SVM_NPT_A | SVM_NPT_D,
	.root_level	= 4,
};

static int svm_hardware_setup(void)
{
	u32 edx = cpuid_edx(VMEM_SVM_CPUID_LEAF);
	u32 nr_asids = cpuid_ebx(VMEM_SVM_CPUID_LEAF);
	int cpu, r;

	vmem_svm_ops.has_tdp = edx & VMEM_SVM_CPUID_EDX_NPT;
	/*
	 * The CPU walks nested tables with the host's paging levels at
	 * VMRUN (as KVM's get_npt_level()): a 4-level tree on a 5-level
	 * host would be read one level too deep, down into guest memory.
	 */
	svm_npt_format.root_level = pgtable_l5_enabled() ? 5 : 4;
	/* The shadow MMU needs nothing beyond SVM itself. */
	vmem_svm_ops.has_shadow = true;
	vmem_svm_ops.real_mode_mmus = VMEM_VM_MMU_HW | VMEM_VM_MMU_SHADOW;
	vmem_svm_ops.nr_asids = nr_asids;
	svm_caps.nrips = edx & VMEM_SVM_CPUID_EDX_NRIPS;
	svm_caps.flush_by_asid = edx & VMEM_SVM_CPUID_EDX_FLUSHBYASID;
	svm_caps.decode_assists = edx & VMEM_SVM_CPUID_EDX_DECODEASSISTS;
	svm_caps.tsc_aux = boot_cpu_has(X86_FEATURE_RDTSCP) ||
			   boot_cpu_has(X86_FEATURE_RDPID);
	svm_caps.xsave = boot_cpu_has(X86_FEATURE_OSXSAVE);
	svm_caps.phys_bits = boot_cpu_data.x86_phys_bits;
	svm_caps.cr4_allowed = vmem_x86_cr4_allowed();

	/* ASID 0 is the host's: a guest needs at least one other. */
	if (nr_asids < 2) {
		pr_err("SVM: CPU offers %u ASIDs, need at least 2\n", nr_asids);
		return -EOPNOTSUPP;
	}
	svm_caps.max_asid = nr_asids - 1;

	r = svm_alloc_maps();
	if (r)
		return r;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sc = per_cpu_ptr(&svm_cpu, cpu);
		struct page *page;

		page = vmem_alloc_page_node(cpu_to_node(cpu),
					    GFP_KERNEL | __GFP_ZERO);
		if (!page)
			goto nomem;
		per_cpu(svm_hsave_page, cpu) = page;

		page = vmem_alloc_page_node(cpu_to_node(cpu),
					    GFP_KERNEL | __GFP_ZERO);
		if (!page)
			goto nomem;
		sc->host_save = page;
		sc->host_save_pa = __sme_set(page_to_phys(page));
	}

	pr_info("SVM: NPT %s, %u ASIDs, nrip-save %s, flush-by-ASID %s, decode assists %s\n",
		vmem_svm_ops.has_tdp ? "present" : "absent", nr_asids,
		svm_caps.nrips ? "yes" : "no",
		svm_caps.flush_by_asid ? "yes" : "no",
		svm_caps.decode_assists ? "yes" : "no");
	return 0;

nomem:
	svm_free_cpu_pages();
	svm_free_maps();
	return -ENOMEM;
}

static void svm_hardware_unsetup(void)
{
	svm_free_cpu_pages();
	svm_free_maps();
}

/* ---------------------------------------------------------------------- */
/* Per CPU                                                                 */

static int svm_cpu_enable(void)
{
	int cpu = smp_processor_id();
	struct page *hsave = per_cpu(svm_hsave_page, cpu);
	u64 efer;

	/* Firmware may lock SVM off per CPU, not only on the boot CPU. */
	if (svm_bios_disabled()) {
		pr_err("CPU %d: SVM disabled by BIOS\n", cpu);
		return -EOPNOTSUPP;
	}

	if (rdmsrl_safe(MSR_EFER, &efer))
		return -EIO;
	if (efer & EFER_SVME) {
		pr_err("CPU %d: SVM already enabled (EFER.SVME=1): another hypervisor owns it, most likely KVM (kvm_amd); unload it first\n",
		       cpu);
		return -EBUSY;
	}

	if (wrmsrl_safe(MSR_EFER, efer | EFER_SVME))
		return -EIO;
	/*
	 * Only meaningful once SVME is set (KVM uses the same order); the C-bit
	 * is needed when memory encryption is on.
	 */
	if (wrmsrl_safe(MSR_VM_HSAVE_PA, __sme_set(page_to_phys(hsave)))) {
		wrmsrl_safe(MSR_EFER, efer);
		return -EIO;
	}
	svm_cpu_init();
	return 0;
}

/*
 * Shared by the normal and the emergency path: only _safe MSR accesses and
 * a fixed-up STGI, no locks, no messages, idempotent.
 */
static void svm_cpu_off(void)
{
	u64 efer;

	wrmsrl_safe(MSR_VM_HSAVE_PA, 0);
	if (rdmsrl_safe(MSR_EFER, &efer))
		return;
	if (efer & EFER_SVME) {
		svm_stgi_safe();
		wrmsrl_safe(MSR_EFER, efer & ~EFER_SVME);
	}
}

static void svm_cpu_disable(void)
{
	svm_cpu_off();
}

static void svm_emergency_disable(void)
{
	svm_cpu_off();
}

/* Written by svm_hardware_setup() during module init only. */
struct vmem_backend_ops vmem_svm_ops __ro_after_init = {
	.name			= "svm",
	.id			= VMEM_BACKEND_SVM,
	.probe			= svm_probe,
	.hardware_setup		= svm_hardware_setup,
	.hardware_unsetup	= svm_hardware_unsetup,
	.cpu_enable		= svm_cpu_enable,
	.cpu_disable		= svm_cpu_disable,
	.emergency_disable	= svm_emergency_disable,

	.vm_init		= svm_vm_init,
	.vm_destroy		= svm_vm_destroy,
	.vcpu_create		= svm_vcpu_create,
	.vcpu_destroy		= svm_vcpu_destroy,
	.vcpu_reset		= svm_vcpu_reset,

	.get_rflags		= svm_get_rflags,
	.set_rflags		= svm_set_rflags,
	.get_segment		= svm_get_segment,
	.get_sregs		= svm_get_sregs,
	.set_sregs		= svm_set_sregs,
	.get_debugregs		= svm_get_debugregs,
	.set_debugregs		= svm_set_debugregs,
	.get_msr		= svm_get_msr,
	.set_msr		= svm_set_msr,
	.get_cpl		= svm_get_cpl,
	.get_cr8		= svm_get_cr8,

	.interrupt_allowed	= svm_interrupt_allowed,
	.nmi_allowed		= svm_nmi_allowed,
	.enable_irq_window	= svm_enable_irq_window,

	.run			= svm_vcpu_run,
	.handle_exit_fast	= svm_handle_exit_fast,
	.handle_exit		= svm_handle_exit,

	.tdp_format		= &svm_npt_format,
};
