/*
 * vmem accelerator: vCPU threads.
 *
 * One thread per vCPU runs the guest with VMEM_RUN; the I/O thread
 * reaches it with VMEM_KICK, which makes VMEM_RUN return
 * VMEM_EXIT_STOPPED without a signal.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/guest-random.h"
#include "sysemu/cpus.h"
#include "sysemu/vmem.h"

#include "vmem-int.h"

static void *vmem_vcpu_thread_fn(void *arg)
{
    CPUState *cpu = arg;
    int r;

    rcu_register_thread();

    qemu_mutex_lock_iothread();
    qemu_thread_get_self(cpu->thread);
    cpu->thread_id = qemu_get_thread_id();
    current_cpu = cpu;

    r = vmem_init_vcpu(cpu);
    if (r < 0) {
        error_report("vmem: cannot create vCPU %d: %s", cpu->cpu_index,
                     strerror(-r));
        exit(1);
    }

    cpu_thread_signal_created(cpu);
    qemu_guest_random_seed_thread_part2(cpu->random_seed);

    do {
        if (cpu_can_run(cpu)) {
            r = vmem_vcpu_exec(cpu);
            if (r == EXCP_DEBUG) {
                cpu_handle_guest_debug(cpu);
            }
        }
        while (cpu_thread_is_idle(cpu)) {
            qemu_cond_wait_iothread(cpu->halt_cond);
        }
        qemu_wait_io_event_common(cpu);
    } while (!cpu->unplug || cpu_can_run(cpu));

    vmem_destroy_vcpu(cpu);
    cpu_thread_signal_destroyed(cpu);
    qemu_mutex_unlock_iothread();
    rcu_unregister_thread();
    return NULL;
}

static void vmem_start_vcpu_thread(CPUState *cpu)
{
    char name[VCPU_THREAD_NAME_SIZE];

    cpu->thread = g_new0(QemuThread, 1);
    cpu->halt_cond = g_new0(QemuCond, 1);
    qemu_cond_init(cpu->halt_cond);
    snprintf(name, sizeof(name), "CPU %d/vmem", cpu->cpu_index);
    qemu_thread_create(cpu->thread, name, vmem_vcpu_thread_fn, cpu,
                       QEMU_THREAD_JOINABLE);
}

static void vmem_accel_ops_class_init(ObjectClass *oc, void *data)
{
    AccelOpsClass *ops = ACCEL_OPS_CLASS(oc);

    ops->create_vcpu_thread = vmem_start_vcpu_thread;
    ops->kick_vcpu_thread = vmem_kick_vcpu;
    ops->synchronize_post_reset = vmem_cpu_synchronize_post_reset;
    ops->synchronize_post_init = vmem_cpu_synchronize_post_init;
    ops->synchronize_state = vmem_cpu_synchronize_state;
    ops->synchronize_pre_loadvm = vmem_cpu_synchronize_pre_loadvm;
}

static const TypeInfo vmem_accel_ops_type = {
    .name = ACCEL_OPS_NAME("vmem"),
    .parent = TYPE_ACCEL_OPS,
    .class_init = vmem_accel_ops_class_init,
    .abstract = true,
};

static void vmem_accel_ops_register_types(void)
{
    type_register_static(&vmem_accel_ops_type);
}
type_init(vmem_accel_ops_register_types);
