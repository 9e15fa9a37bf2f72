/*
 * vmem accelerator: what its files share.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */

#ifndef TARGET_I386_VMEM_INT_H
#define TARGET_I386_VMEM_INT_H

#include "sysemu/cpus.h"
#include "vmem-uapi.h"

/* The VM; set up once by the accelerator's init_machine. */
struct vmem_vm {
    int sys_fd;                 /* /dev/vmem */
    int vm_fd;
    size_t run_size;            /* VMEM_CAP_RUN_SIZE */
    int max_vcpus;
    bool trace;                 /* VMEM_QEMU_TRACE: one line per exit */
};

extern struct vmem_vm vmem_vm;

/* vmem-mem.c */
void vmem_memory_init(void);

/* vmem-all.c, for vmem-accel-ops.c */
int vmem_init_vcpu(CPUState *cpu);
int vmem_vcpu_exec(CPUState *cpu);
void vmem_destroy_vcpu(CPUState *cpu);
void vmem_kick_vcpu(CPUState *cpu);
void vmem_cpu_synchronize_state(CPUState *cpu);
void vmem_cpu_synchronize_post_reset(CPUState *cpu);
void vmem_cpu_synchronize_post_init(CPUState *cpu);
void vmem_cpu_synchronize_pre_loadvm(CPUState *cpu);

#endif /* TARGET_I386_VMEM_INT_H */
