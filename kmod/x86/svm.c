// SPDX-License-Identifier: GPL-2.0
/*
 * x86/svm.c - AMD SVM backend.
 *
 * References: AMD64 Architecture Programmer's Manual vol. 2 (24593),
 * "15.4 Enabling SVM" and "15.30.4 VM_HSAVE_PA MSR".
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

#include <linux/vmem.h>

#include "vmem_backend.h"
#include "vmem_core.h"

/* CPUID 0x80000001 ECX: SVM supported. */
#define VMEM_SVM_CPUID_SVM		BIT(2)
/* CPUID 0x8000000A: SVM revision and features. */
#define VMEM_SVM_CPUID_LEAF		0x8000000a
#define VMEM_SVM_CPUID_EDX_NPT		BIT(0)
/* VM_CR: SVMDIS, set by firmware to forbid EFER.SVME (APM 15.30.1). */
#define VMEM_SVM_VM_CR_SVMDIS		BIT_ULL(4)

/*
 * Host save area, one page per possible CPU, where VMRUN stores host state
 * (APM 15.30.4).  [I] allocated at hardware_setup, freed at unsetup; the
 * hardware writes it while the CPU is in a guest.
 */
static DEFINE_PER_CPU(struct page *, svm_hsave_page);

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

static void svm_free_hsave_pages(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		vmem_free_page(per_cpu(svm_hsave_page, cpu));
		per_cpu(svm_hsave_page, cpu) = NULL;
	}
}

static int svm_hardware_setup(void)
{
	int cpu;

	vmem_svm_ops.has_tdp = cpuid_edx(VMEM_SVM_CPUID_LEAF) &
			       VMEM_SVM_CPUID_EDX_NPT;
	vmem_svm_ops.nr_asids = cpuid_ebx(VMEM_SVM_CPUID_LEAF);

	for_each_possible_cpu(cpu) {
		struct page *page;

		page = vmem_alloc_page_node(cpu_to_node(cpu),
					    GFP_KERNEL | __GFP_ZERO);
		if (!page) {
			svm_free_hsave_pages();
			return -ENOMEM;
		}
		per_cpu(svm_hsave_page, cpu) = page;
	}

	pr_info("SVM: NPT %s, %u ASIDs\n",
		vmem_svm_ops.has_tdp ? "present" : "absent",
		vmem_svm_ops.nr_asids);
	return 0;
}

static void svm_hardware_unsetup(void)
{
	svm_free_hsave_pages();
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
};
