/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * vmm.h - libvmem's VM layer: one API over two hypervisors.
 *
 * A VMM written against this header drives /dev/vmem (VMM_BACKEND_VMEM)
 * or the distribution's /dev/kvm (VMM_BACKEND_KVM) with the same code, so
 * the two can be compared on the same guest.  KVM is used without its
 * in-kernel interrupt controllers (no KVM_CREATE_IRQCHIP): devices and
 * interrupt injection stay in the VMM, exactly as with vmem.
 *
 * Register state uses vmem's ABI types (struct vmem_regs, vmem_sregs,
 * vmem_cpuid_entry); the KVM backend converts.  Exits are normalized into
 * struct vmm_exit.
 *
 * Functions returning int return 0 (or a value >= 0) on success and a
 * negative errno on failure; none prints.  Threads: everything on a vCPU
 * is called from the thread that runs it, except vmm_vcpu_kick(), which
 * any thread may call.
 */
#ifndef LIBVMEM_VMM_H
#define LIBVMEM_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/vmem.h>

enum vmm_backend {
	VMM_BACKEND_VMEM = 0,
	VMM_BACKEND_KVM = 1,
};

/* "vmem" / "kvm"; NULL for an unknown value. */
const char *vmm_backend_name(enum vmm_backend backend);
/* Parse "vmem" or "kvm": 0 and *out set, or -EINVAL. */
int vmm_backend_parse(const char *name, enum vmm_backend *out);

/* Normalized exit reasons. */
enum vmm_exit_reason {
	VMM_EXIT_IO = 1,	/* port I/O: exit.io */
	VMM_EXIT_MMIO,		/* access outside RAM: exit.mmio */
	VMM_EXIT_HLT,		/* HLT with nothing pending */
	VMM_EXIT_SHUTDOWN,	/* triple fault */
	VMM_EXIT_IRQ_WINDOW,	/* the guest can take an interrupt */
	VMM_EXIT_KICKED,	/* vmm_vcpu_kick() (or a signal) stopped RUN */
	VMM_EXIT_MSR,		/* MSR outside the kernel's set: exit.msr */
	VMM_EXIT_HYPERCALL,	/* VMMCALL/VMCALL: exit.hypercall */
	VMM_EXIT_FAIL_ENTRY,	/* the hardware refused the state */
	VMM_EXIT_INTERNAL,	/* the kernel could not handle an exit */
	VMM_EXIT_OTHER,		/* anything else: see raw_reason */
};

/*
 * struct vmm_exit - why RUN returned, with pointers into the run area for
 * the answers (valid until the next vmm_vcpu_run()).
 */
struct vmm_exit {
	enum vmm_exit_reason reason;
	uint32_t raw_reason;		/* the backend's own exit code */
	union {
		struct {
			uint16_t port;
			uint8_t size;		/* 1, 2 or 4 */
			bool out;
			uint32_t count;		/* items of @size bytes */
			uint8_t *data;		/* count * size bytes */
		} io;
		struct {
			uint64_t gpa;
			uint8_t *data;		/* reads: fill @len bytes */
			uint32_t len;
			bool write;
		} mmio;
		struct {
			uint32_t index;
			bool write;
			uint64_t *data;		/* value written / to return */
			uint8_t *error;		/* set nonzero to inject #GP */
		} msr;
		struct {
			uint64_t nr;
			uint64_t args[5];
			uint64_t *ret;
		} hypercall;
		struct {
			uint64_t hardware_reason;
			uint64_t qualification;
		} fail_entry;
		struct {
			uint32_t suberror;
			uint64_t hardware_exit;
		} internal;
	};
};

/* Memory statistics in 4 KiB pages (vmem's VMEM_GET_VM_STATS). */
struct vmm_vm_stats {
	uint64_t granted, consumed, shared, zero, swapped, overhead;
	uint64_t configured;
};

struct vmm_vm;
struct vmm_vcpu;

/* Open the backend's device and create a VM.  @flags: VMEM_VM_MMU_* for
 * vmem, must be 0 for KVM.  *@vmp on success. */
int vmm_vm_create(enum vmm_backend backend, unsigned int flags,
		  struct vmm_vm **vmp);
/* Destroy the VM: unmaps memory, closes every fd (vCPUs included). */
void vmm_vm_destroy(struct vmm_vm *vm);
enum vmm_backend vmm_vm_backend(const struct vmm_vm *vm);

/*
 * Add guest RAM [@gpa, @gpa + @size) (page aligned) and map it into the
 * VMM: *@hva is where the VMM sees it.  vmem: a memory slot and an mmap of
 * the VM fd at offset @gpa; KVM: anonymous memory and a user memory region.
 */
int vmm_vm_add_ram(struct vmm_vm *vm, uint64_t gpa, uint64_t size,
		   void **hva);
/* The VMM's pointer to [@gpa, @gpa + @len) if it lies in one RAM range,
 * else NULL. */
void *vmm_vm_gpa_to_hva(struct vmm_vm *vm, uint64_t gpa, uint64_t len);

/*
 * The CPUID leaves the hypervisor can offer (vmem: VMEM_GET_SUPPORTED_
 * CPUID; KVM: KVM_GET_SUPPORTED_CPUID), at most @max entries into @ents.
 * Returns the number of entries.
 */
int vmm_vm_supported_cpuid(struct vmm_vm *vm, struct vmem_cpuid_entry *ents,
			   unsigned int max);

/* Memory statistics; -EOPNOTSUPP on KVM. */
int vmm_vm_stats(struct vmm_vm *vm, struct vmm_vm_stats *st);

/*
 * The VM fd, for the backend's own ioctls that this layer does not wrap
 * (vmem's VM id, name, page sharing, swap file).  Owned by @vm: do not
 * close it.
 */
int vmm_vm_fd(const struct vmm_vm *vm);

int vmm_vcpu_create(struct vmm_vm *vm, unsigned int id,
		    struct vmm_vcpu **vcpup);

int vmm_vcpu_get_regs(struct vmm_vcpu *vcpu, struct vmem_regs *regs);
int vmm_vcpu_set_regs(struct vmm_vcpu *vcpu, const struct vmem_regs *regs);
int vmm_vcpu_get_sregs(struct vmm_vcpu *vcpu, struct vmem_sregs *sregs);
int vmm_vcpu_set_sregs(struct vmm_vcpu *vcpu, const struct vmem_sregs *sregs);
int vmm_vcpu_set_cpuid(struct vmm_vcpu *vcpu,
		       const struct vmem_cpuid_entry *ents, unsigned int n);

/*
 * Enter the guest until the next exit the VMM must handle.  Answers to
 * the previous exit (IN data, MMIO read data, MSR values) must be written
 * through the exit's pointers before calling it again.  A kick makes it
 * return VMM_EXIT_KICKED (the kick is consumed).  Returns 0 with *@exit
 * filled, or -errno.
 */
int vmm_vcpu_run(struct vmm_vcpu *vcpu, struct vmm_exit *exit);

/* Interrupt state from the last exit. */
bool vmm_vcpu_ready_for_interrupt(struct vmm_vcpu *vcpu);
bool vmm_vcpu_if_flag(struct vmm_vcpu *vcpu);
/* Ask for VMM_EXIT_IRQ_WINDOW as soon as the guest can take one. */
void vmm_vcpu_request_irq_window(struct vmm_vcpu *vcpu, bool on);
/* Deliver external interrupt @vector at the next entry; -EBUSY when the
 * guest cannot take one now. */
int vmm_vcpu_inject_extint(struct vmm_vcpu *vcpu, uint8_t vector);

/*
 * Make the vCPU leave the guest (or not enter it) soon: its vmm_vcpu_run()
 * returns VMM_EXIT_KICKED.  Any thread; a kick before RUN is not lost.
 * vmem: VMEM_KICK; KVM: immediate_exit and a signal (SIGUSR1 by default,
 * see vmm_kvm_kick_signal()) to the thread that last ran the vCPU.
 */
int vmm_vcpu_kick(struct vmm_vcpu *vcpu);

/*
 * KVM only: the signal used for kicks.  libvmem installs an empty handler
 * for it (without SA_RESTART) at the first KVM vCPU; the VMM must not
 * block it in vCPU threads.
 */
int vmm_kvm_kick_signal(void);

#endif /* LIBVMEM_VMM_H */
