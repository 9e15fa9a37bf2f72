/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmem_backend.h - the table through which the core drives SVM or VMX.
 *
 * As in NetBSD NVMM's struct nvmm_impl, the core picks one backend at load
 * and then only calls through this table: it never asks which backend is
 * in use.  VM and vCPU operations (create, run, get/set state, ...) will be
 * added here by later work; keep the groups below in that order.
 */
#ifndef _VMEM_BACKEND_H
#define _VMEM_BACKEND_H

#include <linux/types.h>

struct vmem_vm;
struct vmem_vcpu;
struct vmem_segment;
struct vmem_sregs;
struct vmem_debugregs;
struct vmem_tdp_format;

/**
 * struct vmem_backend_ops - one hardware virtualization backend
 * @name:		short name for messages ("svm", "vmx")  [I]
 * @id:			VMEM_BACKEND_SVM or VMEM_BACKEND_VMX, as
 *			reported by VMEM_CAP_BACKEND  [I]
 * @probe:		Called once at load, before anything else.  Returns 0
 *			if this CPU has the extension and it is usable,
 *			-ENODEV (silently) if the CPU does not have it at all,
 *			another negative errno after printing why if the CPU
 *			has it but it cannot be used (e.g. disabled by BIOS).
 *			The tri-state lets the core say "no SVM or VMX" only
 *			when that is the truth.
 * @hardware_setup:	Called once at load after a successful @probe, in
 *			process context: read capabilities (and fill the
 *			capability fields below), allocate per-CPU areas for
 *			every possible CPU.  Returns 0 or a negative errno,
 *			having freed what it allocated.
 * @hardware_unsetup:	Undo @hardware_setup; called at unload or load
 *			failure, after @cpu_disable ran on every CPU.
 * @cpu_enable:		Turn virtualization on for the calling CPU.
 *			Called with interrupts disabled, on the target CPU,
 *			from CPU hotplug, syscore resume or load.  Returns -EBUSY
 *			if another hypervisor already owns the CPU (after
 *			printing so), another negative errno on failure; on
 *			failure the CPU must be left as it was found.
 * @cpu_disable:	Turn virtualization off for the calling CPU; only
 *			called after @cpu_enable succeeded there.  Called
 *			with interrupts disabled (hotplug, IPI, syscore).
 * @emergency_disable:	Turn virtualization off for the calling CPU from
 *			crash, NMI shootdown or emergency reboot context: no
 *			locks, no allocation, no printing, must not fault
 *			(exception fixups), idempotent.  Only called on CPUs
 *			where the core has called (or is calling) @cpu_enable.
 * @has_tdp:		NPT or EPT present and usable; set by
 *			@hardware_setup  [I]
 * @has_shadow:		the backend runs shadow-MMU VMs (intercepts #PF, CR
 *			and INVLPG accesses and calls mmu/shadow.c)  [I]
 * @real_mode_mmus:	VMEM_VM_MMU_HW / VMEM_VM_MMU_SHADOW bits: VMs of
 *			those modes run real mode (VMEM_CAP_REAL_MODE)  [I]
 * @nr_asids:		Address-space tags available (SVM ASIDs; VMX VPIDs:
 *			65535 if VPID is usable, else 0); set by
 *			@hardware_setup, kept for the vCPU code  [I]
 *
 * The table is written only by @hardware_setup during module init and is
 * read-only afterwards (__ro_after_init in the backend files).
 */
struct vmem_backend_ops {
	const char *name;
	u32 id;

	/* Global, at load/unload. */
	int (*probe)(void);
	int (*hardware_setup)(void);
	void (*hardware_unsetup)(void);

	/* Per CPU. */
	int (*cpu_enable)(void);
	void (*cpu_disable)(void);
	void (*emergency_disable)(void);

	/*
	 * VMs and vCPUs.  Called by the core (vmem_vm.c, vmem_vcpu.c) in
	 * process context unless said otherwise.  Each vCPU op runs under
	 * vcpu->mutex.  Errors are negative errnos; state is unchanged on
	 * error.
	 */
	int (*vm_init)(struct vmem_vm *vm);
	void (*vm_destroy)(struct vmem_vm *vm);
	/* Allocate the VMCB/VMCS and put the vCPU in its reset state
	 * (real mode, CS:IP f000:fff0, as after INIT). */
	int (*vcpu_create)(struct vmem_vcpu *vcpu);
	void (*vcpu_destroy)(struct vmem_vcpu *vcpu);
	/* Back to that reset state, after a triple fault
	 * (vmem_exit_shutdown()); queued events are dropped. */
	void (*vcpu_reset)(struct vmem_vcpu *vcpu);

	/* State, through the ABI's own structures.  GPRs and RIP live in
	 * vcpu->regs/vcpu->rip; RFLAGS and everything else here. */
	u64 (*get_rflags)(struct vmem_vcpu *vcpu);
	void (*set_rflags)(struct vmem_vcpu *vcpu, u64 rflags);
	void (*get_segment)(struct vmem_vcpu *vcpu, struct vmem_segment *seg,
			    int which);
	/* apic_base is the core's (vcpu->apic_base): get_sregs may leave
	 * it 0, set_sregs must ignore it.  The core has checked flags, pad
	 * and reserved fields before set_sregs.  get_sregs may be called
	 * with interrupts off (the core's exit paths read CR0/CR4/EFER/CS
	 * through it). */
	void (*get_sregs)(struct vmem_vcpu *vcpu, struct vmem_sregs *sregs);
	/* Refuses (-EINVAL) what the hardware would refuse at entry. */
	int (*set_sregs)(struct vmem_vcpu *vcpu, const struct vmem_sregs *sregs);
	void (*get_debugregs)(struct vmem_vcpu *vcpu,
			      struct vmem_debugregs *dregs);
	int (*set_debugregs)(struct vmem_vcpu *vcpu,
			     const struct vmem_debugregs *dregs);
	/* MSRs kept by the backend (VMCB/VMCS fields, switched MSRs):
	 * -ENOENT if @index is not one of them, -EINVAL for a bad value. */
	int (*get_msr)(struct vmem_vcpu *vcpu, u32 index, u64 *data);
	int (*set_msr)(struct vmem_vcpu *vcpu, u32 index, u64 data);
	/* Current CPL, from the hidden SS/CS state. */
	int (*get_cpl)(struct vmem_vcpu *vcpu);
	/* The guest's CR8 (TPR), for the run area after every exit: the
	 * one control register the VMM needs there, so no get_sregs. */
	u64 (*get_cr8)(struct vmem_vcpu *vcpu);

	/* Events: may the guest take an external interrupt / NMI now, and
	 * ask for an exit when it can. */
	bool (*interrupt_allowed)(struct vmem_vcpu *vcpu);
	bool (*nmi_allowed)(struct vmem_vcpu *vcpu);
	void (*enable_irq_window)(struct vmem_vcpu *vcpu, bool enable);

	/*
	 * Enter the guest once.  Called with preemption and interrupts
	 * disabled, the guest FPU loaded, and vcpu->mode == VMEM_IN_GUEST.
	 * Handles VMEM_REQ_TLB_FLUSH (test_and_clear_bit: the core's
	 * invalidations wait for every vCPU in the guest to exit, and
	 * rely on the flush happening before the next guest instruction),
	 * injects queued events (loading exception.cr2 into CR2 first when
	 * exception.cr2_valid), syncs
	 * vcpu->regs/rip in and out, runs the guest, and records the exit.
	 * Host interrupts and NMIs that arrive in the guest stay pending
	 * until the caller enables interrupts.
	 */
	void (*run)(struct vmem_vcpu *vcpu);
	/*
	 * Optional: handle the exit just recorded while still in the
	 * entry's context (interrupts off, guest FPU loaded), for exits
	 * that need nothing that sleeps (CPUID, MSRs in the allowed set).
	 * Returns true if handled and the guest may be entered again.
	 */
	bool (*handle_exit_fast)(struct vmem_vcpu *vcpu);
	/*
	 * Handle the exit recorded by @run: preemptible, may sleep.
	 * Returns 1 to enter the guest again, 0 to return to the VMM with
	 * vcpu->run->exit_reason set, or -errno.
	 */
	int (*handle_exit)(struct vmem_vcpu *vcpu);

	/* Capabilities, filled by hardware_setup. */
	bool has_tdp;
	bool has_shadow;
	u32 real_mode_mmus;
	u32 nr_asids;
	/* PTE format of the nested tables (NPT or EPT).  [I] */
	const struct vmem_tdp_format *tdp_format;
};

extern struct vmem_backend_ops vmem_svm_ops;
extern struct vmem_backend_ops vmem_vmx_ops;

/* The backend chosen at load; NULL before that.  [I] */
extern const struct vmem_backend_ops *vmem_backend;

#endif /* _VMEM_BACKEND_H */
