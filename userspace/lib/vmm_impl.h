/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * vmm_impl.h - what vmm.c shares with its backends (vmm_vmem.c,
 * vmm_kvm.c).  Not installed; VMMs include vmm.h only.
 *
 * Like NVMM's struct nvmm_impl: vmm.c owns the objects and the memory
 * ranges, and calls the backend only through struct vmm_ops.
 */
#ifndef LIBVMEM_VMM_IMPL_H
#define LIBVMEM_VMM_IMPL_H

#include <pthread.h>

#include "vmm.h"

#define VMM_MAX_RAM	8	/* RAM ranges per VM */
#define VMM_MAX_VCPUS	64

struct vmm_ram {
	uint64_t gpa;
	uint64_t size;
	void *hva;
};

/*
 * struct vmm_vm - one VM
 * @ops:	its backend  [I]
 * @sys_fd:	the device (/dev/vmem, /dev/kvm)  [I]
 * @vm_fd:	the VM  [I]
 * @ram:	RAM ranges, @nr_ram in use  [VMM's setup thread]
 */
struct vmm_vm {
	const struct vmm_ops *ops;
	int sys_fd;
	int vm_fd;
	struct vmm_ram ram[VMM_MAX_RAM];
	unsigned int nr_ram;
	struct vmm_vcpu *vcpus[VMM_MAX_VCPUS];
	unsigned int nr_vcpus;
};

/*
 * struct vmm_vcpu - one vCPU
 * @fd:		the vCPU fd  [I]
 * @run:	the mmap()ed run area, @run_size bytes  [I]
 * @thread:	the thread that last called vmm_vcpu_run() (KVM kicks)
 */
struct vmm_vcpu {
	struct vmm_vm *vm;
	unsigned int id;
	int fd;
	void *run;
	size_t run_size;
	pthread_t thread;
	bool thread_valid;
};

struct vmm_ops {
	const char *name;
	int (*vm_create)(struct vmm_vm *vm, unsigned int flags);
	int (*add_ram)(struct vmm_vm *vm, unsigned int slot, uint64_t gpa,
		       uint64_t size, void **hva);
	void (*unmap_ram)(struct vmm_vm *vm, struct vmm_ram *ram);
	int (*supported_cpuid)(struct vmm_vm *vm,
			       struct vmem_cpuid_entry *ents, unsigned int max);
	int (*stats)(struct vmm_vm *vm, struct vmm_vm_stats *st);
	int (*vcpu_create)(struct vmm_vcpu *vcpu);
	int (*get_regs)(struct vmm_vcpu *vcpu, struct vmem_regs *regs);
	int (*set_regs)(struct vmm_vcpu *vcpu, const struct vmem_regs *regs);
	int (*get_sregs)(struct vmm_vcpu *vcpu, struct vmem_sregs *sregs);
	int (*set_sregs)(struct vmm_vcpu *vcpu,
			 const struct vmem_sregs *sregs);
	int (*set_cpuid)(struct vmm_vcpu *vcpu,
			 const struct vmem_cpuid_entry *ents, unsigned int n);
	int (*run)(struct vmm_vcpu *vcpu, struct vmm_exit *exit);
	bool (*ready_for_interrupt)(struct vmm_vcpu *vcpu);
	bool (*if_flag)(struct vmm_vcpu *vcpu);
	void (*request_irq_window)(struct vmm_vcpu *vcpu, bool on);
	int (*inject_extint)(struct vmm_vcpu *vcpu, uint8_t vector);
	int (*kick)(struct vmm_vcpu *vcpu);
};

extern const struct vmm_ops vmm_vmem_ops;
extern const struct vmm_ops vmm_kvm_ops;

/* ioctl() as value-or--errno. */
int vmm_ioctl(int fd, unsigned long req, unsigned long arg);

#endif /* LIBVMEM_VMM_IMPL_H */
