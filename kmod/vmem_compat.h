/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmem_compat.h - every difference between the supported kernels.
 *
 * Supported hosts are Debian 12's 6.1 and its 6.12 backport.  Code outside
 * this header uses only the vmem_* names below, so that the day an API
 * moves (upstream is narrowing the CR4 and emergency-virt helpers to KVM
 * around 6.19) only this file changes.
 */
#ifndef _VMEM_COMPAT_H
#define _VMEM_COMPAT_H

#include <linux/version.h>

/* ---------------------------------------------------------------------- */
/* Usable from assembly too (x86/vmx_entry.S)                             */

/*
 * The kernel's NMI entry that KVM's VMX calls, with a hand-built interrupt
 * frame, to run the host's NMI handler for an NMI that made a VM exit (see
 * __vmx_do_nmi).  Exported (GPL) on both Debian kernels because
 * CONFIG_KVM_INTEL=m; renamed in 6.3.  Without FRED (off in Debian's
 * 6.12) this is the way; a FRED host would need fred_entry_from_kvm().
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define VMEM_NMI_ENTRY	asm_exc_nmi_kvm_vmx
#else
#define VMEM_NMI_ENTRY	asm_exc_nmi_noist
#endif

#ifdef __ASSEMBLY__
#include <linux/stringify.h>
#include <asm/alternative.h>
#include <asm/cpufeatures.h>
#include <asm/nospec-branch.h>

/*
 * What KVM's svm/vmenter.S does after #VMEXIT, before the first RET or
 * indirect branch, on the kernel it is built for.  The guest ran with the
 * host's return predictions in reach: it may have filled the return stack
 * buffer with its own targets (Spectre-RSB) and trained the BTB so that a
 * host RET speculates to a gadget (Retbleed, SRSO/Inception).
 *
 * VMEM_SVM_FILL_RSB reg overwrites the RSB with harmless entries.  KVM
 * fills on X86_FEATURE_RETPOLINE in 6.1 and 6.12 (newer kernels switched
 * to X86_FEATURE_RSB_VMEXIT, which 6.1 and 6.12 set in the same retpoline
 * modes): either feature fills here.  Clobbers @reg.
 */
.macro VMEM_SVM_FILL_RSB reg:req
	ALTERNATIVE_2 "jmp .Lvmem_skip_rsb_\@", \
		__stringify(__FILL_RETURN_BUFFER(\reg, RSB_CLEAR_LOOPS)), \
		X86_FEATURE_RETPOLINE, \
		__stringify(__FILL_RETURN_BUFFER(\reg, RSB_CLEAR_LOOPS)), \
		X86_FEATURE_RSB_VMEXIT
.Lvmem_skip_rsb_\@:
.endm

/*
 * VMEM_SVM_UNTRAIN_RET untrains the return predictor the way the kernel's
 * Retbleed/SRSO mitigation chose (entry_untrain_ret, srso_alias_untrain_ret,
 * or an IBPB where the mitigation is "IBPB on VM exit"), patched in by
 * alternatives.  6.12 names that UNTRAIN_RET_VM; 6.1 has no such macro and
 * KVM writes out UNTRAIN_RET plus the IBPB_ON_VMEXIT alternative.  Needs
 * the host's GS (6.12's call-depth reset is per CPU); clobbers RAX, RCX,
 * RDX (entry_ibpb).
 */
#ifdef UNTRAIN_RET_VM
#define VMEM_SVM_UNTRAIN_RET	UNTRAIN_RET_VM
#else
.macro VMEM_SVM_UNTRAIN_RET
	UNTRAIN_RET
	ALTERNATIVE "", "call entry_ibpb", X86_FEATURE_IBPB_ON_VMEXIT
.endm
#endif

#else /* !__ASSEMBLY__ */

#include <linux/mm.h>
#include <linux/syscore_ops.h>
#include <linux/user-return-notifier.h>
#include <asm/fpu/api.h>
#include <asm/reboot.h>
#include <asm/tlbflush.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#include <asm/gsseg.h>
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "vmem supports Linux 6.1 and newer"
#endif

/* ---------------------------------------------------------------------- */
/* Generic netlink                                                        */

/*
 * Only CAP_NET_ADMIN may join the events multicast group (its events
 * name every user's VMs): genetlink's GENL_MCAST_CAP_NET_ADMIN, upstream
 * since 6.7 and in Debian's 6.1 (stable backport) and 6.12.  A 6.1
 * without it offers no other hook (no mcast_bind since 5.x, no filtered
 * multicast until 6.10), so vmem does not build there rather than send
 * every VM's events to every user.
 */
#include <net/genetlink.h>
#ifndef GENL_MCAST_CAP_NET_ADMIN
#error "vmem needs GENL_MCAST_CAP_NET_ADMIN (6.7, or 6.1.y with the backport)"
#endif
#define VMEM_GENL_MCAST_ADMIN	GENL_MCAST_CAP_NET_ADMIN

/* ---------------------------------------------------------------------- */
/* System core (suspend/resume/shutdown) hooks                            */

/*
 * Debian's 6.12.117 carries the newer "struct syscore" API (callbacks take
 * a data pointer, register_syscore() replaces register_syscore_ops()),
 * while a vanilla 6.12.0 does not: the stable sublevel where it arrived is
 * not something LINUX_VERSION_CODE can tell us reliably, so Kbuild probes
 * the header and defines VMEM_HAVE_STRUCT_SYSCORE.  Without the probe
 * (e.g. someone builds with a hand-written command line) fall back to the
 * version number of the one kernel we know has it.
 */
#if !defined(VMEM_HAVE_STRUCT_SYSCORE) && !defined(VMEM_NO_STRUCT_SYSCORE) && \
	LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 117)
#define VMEM_HAVE_STRUCT_SYSCORE 1
#endif

/*
 * VMEM_DEFINE_SYSCORE(name, suspend, resume, shutdown) defines, in the one
 * file that uses it, the registration object for callbacks written with
 * the old signatures (int suspend(void), void resume(void), ...), plus
 * vmem_register_syscore_<name>() and vmem_unregister_syscore_<name>().  A
 * macro rather than inlines so that files including this header do not
 * get unused statics.
 */
#ifdef VMEM_HAVE_STRUCT_SYSCORE

#define VMEM_DEFINE_SYSCORE(name, suspend_fn, resume_fn, shutdown_fn)	\
static int name##_scadapt_suspend(void *data)				\
{									\
	return suspend_fn();						\
}									\
static void name##_scadapt_resume(void *data)				\
{									\
	resume_fn();							\
}									\
static void name##_scadapt_shutdown(void *data)				\
{									\
	shutdown_fn();							\
}									\
static const struct syscore_ops name##_syscore_ops = {			\
	.suspend	= name##_scadapt_suspend,			\
	.resume		= name##_scadapt_resume,			\
	.shutdown	= name##_scadapt_shutdown,			\
};									\
static struct syscore name##_syscore = {				\
	.ops		= &name##_syscore_ops,			\
};									\
static void vmem_register_syscore_##name(void)				\
{									\
	register_syscore(&name##_syscore);				\
}									\
static void vmem_unregister_syscore_##name(void)			\
{									\
	unregister_syscore(&name##_syscore);				\
}

#else /* !VMEM_HAVE_STRUCT_SYSCORE */

#define VMEM_DEFINE_SYSCORE(name, suspend_fn, resume_fn, shutdown_fn)	\
static struct syscore_ops name##_syscore_ops = {			\
	.suspend	= suspend_fn,					\
	.resume		= resume_fn,				\
	.shutdown	= shutdown_fn,					\
};									\
static void vmem_register_syscore_##name(void)				\
{									\
	register_syscore_ops(&name##_syscore_ops);			\
}									\
static void vmem_unregister_syscore_##name(void)			\
{									\
	unregister_syscore_ops(&name##_syscore_ops);			\
}

#endif /* VMEM_HAVE_STRUCT_SYSCORE */

/* ---------------------------------------------------------------------- */
/* Emergency (crash/NMI shootdown/emergency reboot) virtualization off    */

/*
 * Exported GPL on both Debian kernels (6.1 has it backported).  The kernel
 * holds exactly one callback and WARNs if a second one is registered, which
 * is why vmem refuses to load beside KVM (see vmem_virt.c).
 */
typedef cpu_emergency_virt_cb vmem_emergency_cb;

static inline void vmem_emergency_register(vmem_emergency_cb *cb)
{
	cpu_emergency_register_virt_callback(cb);
}

static inline void vmem_emergency_unregister(vmem_emergency_cb *cb)
{
	cpu_emergency_unregister_virt_callback(cb);
}

/* ---------------------------------------------------------------------- */
/* CR4                                                                     */

/*
 * cr4_set_bits()/cr4_clear_bits() are inlines over the exported
 * cr4_update_irqsoff(); they keep the per-CPU CR4 shadow coherent, which a
 * raw write to CR4 would not.  Same on 6.1 and 6.12.
 */
static inline unsigned long vmem_cr4_read(void)
{
	return cr4_read_shadow();
}

static inline void vmem_cr4_set(unsigned long mask)
{
	cr4_set_bits(mask);
}

static inline void vmem_cr4_clear(unsigned long mask)
{
	cr4_clear_bits(mask);
}

/* ---------------------------------------------------------------------- */
/* VMAs                                                                    */

/* vm_flags became read-only behind vm_flags_set() in 6.3. */
static inline void vmem_vm_flags_set(struct vm_area_struct *vma,
				     vm_flags_t flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/*
 * A fault handler about to return VM_FAULT_RETRY drops the lock it was
 * called with: mmap_lock, or from 6.4 on possibly the per-VMA lock.
 */
static inline void vmem_release_fault_lock(struct vm_fault *vmf)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	release_fault_lock(vmf);
#else
	mmap_read_unlock(vmf->vma->vm_mm);
#endif
}

/* ---------------------------------------------------------------------- */
/* Guest FPU                                                               */

/*
 * The window in which the guest's XSAVE state lives in the registers.
 * kernel_fpu_begin_mask() saves the task's user state (restored on return
 * to user space) and keeps interrupt handlers off the FPU; mask 0 skips
 * the MXCSR/FCW reset, since the guest's XRSTOR follows at once.  The
 * KVM-only helpers (fpu_swap_kvm_fpstate) are not for us (DESIGN.md).
 */
static inline void vmem_fpu_begin(void)
{
	kernel_fpu_begin_mask(0);
}

static inline void vmem_fpu_end(void)
{
	kernel_fpu_end();
}

/* ---------------------------------------------------------------------- */
/* VMX host state                                                          */

/*
 * User-return notifiers: the VMX backend leaves the guest's SYSCALL MSRs
 * and TSC_AUX loaded until the next return to user space, as KVM does.
 * Exported (GPL) while CONFIG_USER_RETURN_NOTIFIER=y, which KVM selects;
 * Debian's 6.1 and 6.12 have it.
 */
static inline void vmem_user_return_register(struct user_return_notifier *urn)
{
	user_return_notifier_register(urn);
}

static inline void vmem_user_return_unregister(struct user_return_notifier *urn)
{
	user_return_notifier_unregister(urn);
}

/*
 * Reload a user GS selector after a VM exit zeroed it (the swapgs dance
 * is the kernel's); the header moved to <asm/gsseg.h> in 6.3.
 */
static inline void vmem_load_gs_index(unsigned int sel)
{
	load_gs_index(sel);
}

/* ---------------------------------------------------------------------- */
/* Netlink                                                                 */

/*
 * NL_SET_ERR_MSG_FMT (a formatted extack message, 6.2): without it
 * netlink.c sets a fixed message and relies on its REFUSED reply.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define VMEM_HAVE_NL_ERR_MSG_FMT
#endif

#endif /* __ASSEMBLY__ */

#endif /* _VMEM_COMPAT_H */
