// SPDX-License-Identifier: GPL-2.0
/*
 * vmem_virt.c - hardware virtualization on and off on every host CPU.
 *
 * vmem turns SVM/VMX on for every online CPU at load and keeps it on until
 * unload, like KVM with enable_virt_at_load.  Four paths change a CPU's
 * state, and each must leave it consistent with the others:
 *
 *   - CPU hotplug (cpuhp dynamic AP state): a CPU coming online is enabled
 *     (and fails to come online if that fails), a CPU going down is
 *     disabled.  Registering the state at load enables all online CPUs and
 *     rolls back by itself if one fails.
 *   - syscore: suspend turns the last CPU off (the others were already
 *     unplugged), resume turns it back on, shutdown/reboot turns all off.
 *   - the kernel's emergency callback: crash, NMI shootdown and emergency
 *     reboot must get VMX off (VMX root blocks INIT, so kdump and reboot
 *     would hang) and EFER.SVME clear.
 *   - module load/unload.
 *
 * The per-CPU vmem_cpu_on flag says whether vmem owns the CPU's
 * virtualization; every path goes through vmem_cpu_enable/disable_this(),
 * which run with interrupts off so an IPI (shutdown) cannot land halfway.
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/irqflags.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <linux/string.h>

#include "vmem_backend.h"
#include "vmem_compat.h"
#include "vmem_core.h"

const struct vmem_backend_ops *vmem_backend __ro_after_init;

/*
 * True from just before the backend's cpu_enable until cpu_disable has
 * finished, so the emergency path, which may interrupt either, errs on the
 * side of turning virtualization off.  [p] written with interrupts off on
 * the owning CPU; read by that CPU's NMI/crash path.
 */
static DEFINE_PER_CPU(bool, vmem_cpu_on);

/* CPUs with virtualization on, for VMEM_CAP_NR_CPUS.  [a] */
static atomic_t vmem_nr_cpus_on = ATOMIC_INIT(0);

/* Dynamic hotplug state from cpuhp_setup_state(), 0 when not set up.  [I] */
static int vmem_cpuhp_state;

/*
 * Whether the CPU that ran syscore suspend had virtualization on, so that
 * resume restores exactly that.  Syscore runs on one CPU with interrupts
 * off, so no lock.  [s] syscore context only
 */
static bool vmem_on_at_suspend;

/* ---------------------------------------------------------------------- */
/* One CPU                                                                 */

static int vmem_cpu_enable_this(void)
{
	unsigned long flags;
	int r = 0;

	local_irq_save(flags);
	if (__this_cpu_read(vmem_cpu_on))
		goto out;

	/* Publish before touching the hardware: see vmem_cpu_on. */
	__this_cpu_write(vmem_cpu_on, true);
	barrier();
	r = vmem_backend->cpu_enable();
	barrier();
	if (r)
		__this_cpu_write(vmem_cpu_on, false);
	else
		atomic_inc(&vmem_nr_cpus_on);
out:
	local_irq_restore(flags);
	return r;
}

static void vmem_cpu_disable_this(void)
{
	unsigned long flags;

	local_irq_save(flags);
	if (__this_cpu_read(vmem_cpu_on)) {
		vmem_backend->cpu_disable();
		barrier();
		__this_cpu_write(vmem_cpu_on, false);
		atomic_dec(&vmem_nr_cpus_on);
	}
	local_irq_restore(flags);
}

unsigned int vmem_virt_nr_cpus(void)
{
	return atomic_read(&vmem_nr_cpus_on);
}

/* ---------------------------------------------------------------------- */
/* CPU hotplug                                                             */

/*
 * Runs on @cpu itself.  An error makes that CPU fail to come online (or,
 * during cpuhp_setup_state(), makes the load fail after the core rolled
 * back the CPUs already done).
 */
static int vmem_cpu_online(unsigned int cpu)
{
	int r;

	r = vmem_cpu_enable_this();
	if (r)
		pr_err("CPU %u: could not enable %s (error %d)\n",
		       cpu, vmem_backend->name, r);
	return r;
}

static int vmem_cpu_offline(unsigned int cpu)
{
	vmem_cpu_disable_this();
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Suspend, resume, shutdown                                               */

static int vmem_syscore_suspend(void)
{
	vmem_on_at_suspend = __this_cpu_read(vmem_cpu_on);
	vmem_cpu_disable_this();
	return 0;
}

static void vmem_syscore_resume(void)
{
	/* Resume cannot fail; the CPU simply stays without vmem. */
	if (vmem_on_at_suspend && vmem_cpu_enable_this())
		pr_err("CPU %d: could not re-enable %s after resume\n",
		       smp_processor_id(), vmem_backend->name);
}

static void vmem_disable_ipi(void *unused)
{
	vmem_cpu_disable_this();
}

/*
 * Reboot and power-off: get every CPU out of VMX root / SVM before the
 * firmware or the next kernel sees it; the other CPUs are still online
 * here.
 */
static void vmem_syscore_shutdown(void)
{
	on_each_cpu(vmem_disable_ipi, NULL, 1);
}

VMEM_DEFINE_SYSCORE(vmem, vmem_syscore_suspend, vmem_syscore_resume,
		    vmem_syscore_shutdown)

/* ---------------------------------------------------------------------- */
/* Emergency                                                               */

/*
 * Called by the kernel on each CPU from crash/NMI shootdown/emergency
 * reboot, possibly in NMI context with any lock held: only the backend's
 * fault-proof, lock-free emergency_disable.
 */
static void vmem_emergency_disable(void)
{
	if (this_cpu_read(vmem_cpu_on))
		vmem_backend->emergency_disable();
}

/* ---------------------------------------------------------------------- */
/* Living beside KVM                                                       */

/*
 * vmem and KVM cannot both own SVM/VMX, and the kernel keeps a single
 * emergency callback that WARNs when a second one is registered (fatal
 * with panic_on_warn).  KVM registers it while its vendor module is loaded
 * (6.1) or while it has virtualization enabled (6.12), which vmem cannot
 * see, so vmem refuses to load while kvm.ko is present and refuses to let
 * it load while vmem is loaded.  The per-CPU EFER.SVME/CR4.VMXE checks in
 * the backends still catch other hypervisors.
 */
static const char * const vmem_rivals[] = { "kvm", "kvm_amd", "kvm_intel" };

static bool vmem_is_rival(const char *name)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(vmem_rivals); i++)
		if (!strcmp(name, vmem_rivals[i]))
			return true;
	return false;
}

static int vmem_module_notify(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	struct module *mod = data;

	if (action != MODULE_STATE_COMING || !vmem_is_rival(mod->name))
		return NOTIFY_DONE;

	pr_err("refusing to let %s load: vmem owns hardware virtualization; unload vmem first\n",
	       mod->name);
	return notifier_from_errno(-EBUSY);
}

static struct notifier_block vmem_module_nb = {
	.notifier_call = vmem_module_notify,
};

/* kvm.ko exports kvm_rebooting on every supported kernel. */
static bool vmem_kvm_loaded(void)
{
	if (!__symbol_get("kvm_rebooting"))
		return false;
	__symbol_put("kvm_rebooting");
	return true;
}

/* ---------------------------------------------------------------------- */
/* Load and unload                                                         */

static int vmem_pick_backend(void)
{
	struct vmem_backend_ops *candidates[] = {
		&vmem_svm_ops,
		&vmem_vmx_ops,
	};
	int i, r, ret = -ENODEV;

	for (i = 0; i < ARRAY_SIZE(candidates); i++) {
		r = candidates[i]->probe();
		if (!r) {
			vmem_backend = candidates[i];
			return 0;
		}
		/* Present but unusable: the backend said why. */
		if (r != -ENODEV)
			ret = r;
	}
	if (ret == -ENODEV)
		pr_err("no SVM or VMX on this CPU\n");
	return ret;
}

int vmem_virt_init(void)
{
	int r;

	r = vmem_pick_backend();
	if (r)
		return r;

	/* Before the check, so a KVM loading meanwhile is caught by one. */
	r = register_module_notifier(&vmem_module_nb);
	if (r)
		return r;
	if (vmem_kvm_loaded()) {
		pr_err("KVM is loaded and may own %s; unload kvm_amd/kvm_intel and kvm first\n",
		       vmem_backend->name);
		r = -EBUSY;
		goto out_notifier;
	}

	r = vmem_backend->hardware_setup();
	if (r) {
		pr_err("%s setup failed (error %d)\n", vmem_backend->name, r);
		goto out_notifier;
	}

	/*
	 * Both before any CPU is turned on: no window where a crash or a
	 * suspend finds a CPU on that these paths do not know about.
	 */
	vmem_emergency_register(vmem_emergency_disable);
	vmem_register_syscore_vmem();

	r = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "vmem/virt:online",
			      vmem_cpu_online, vmem_cpu_offline);
	if (r < 0) {
		pr_err("could not enable %s on every online CPU; not loading\n",
		       vmem_backend->name);
		goto out_syscore;
	}
	vmem_cpuhp_state = r;
	return 0;

out_syscore:
	vmem_unregister_syscore_vmem();
	vmem_emergency_unregister(vmem_emergency_disable);
	vmem_backend->hardware_unsetup();
out_notifier:
	unregister_module_notifier(&vmem_module_nb);
	return r;
}

void vmem_virt_exit(void)
{
	/* Turns every CPU off; syscore then finds nothing to do. */
	cpuhp_remove_state(vmem_cpuhp_state);
	vmem_unregister_syscore_vmem();
	vmem_emergency_unregister(vmem_emergency_disable);
	vmem_backend->hardware_unsetup();
	unregister_module_notifier(&vmem_module_nb);
	WARN_ON(atomic_read(&vmem_nr_cpus_on));
}
