// SPDX-License-Identifier: GPL-2.0
/*
 * vmem_main.c - module load and unload, module parameters.
 *
 * Parameters are documented in Documentation/module-parameters.rst.  All
 * are read-only after load: later objects size themselves from them, so
 * changing one under a live VM would break its invariants.
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <asm/processor.h>

#include "vmem_backend.h"
#include "vmem_core.h"
#include "pool.h"
#include "reclaim.h"
#include "vmem_share.h"

static unsigned int max_vms = 64;
module_param(max_vms, uint, 0444);
MODULE_PARM_DESC(max_vms, "VMs at once, host-wide (1-4096, default 64)");

static unsigned int max_vms_per_user = 16;
module_param(max_vms_per_user, uint, 0444);
MODULE_PARM_DESC(max_vms_per_user,
		 "VMs at once per owner uid; CAP_SYS_RESOURCE/CAP_SYS_ADMIN exempt (1-4096, default 16)");

static unsigned int max_vcpus = 16;
module_param(max_vcpus, uint, 0444);
MODULE_PARM_DESC(max_vcpus, "vCPUs per VM (1-1024, default 16)");

static unsigned int max_memslots = 32;
module_param(max_memslots, uint, 0444);
MODULE_PARM_DESC(max_memslots, "memory slots per VM (1-4096, default 32)");

static unsigned int max_mem_mb = 65536;
module_param(max_mem_mb, uint, 0444);
MODULE_PARM_DESC(max_mem_mb,
		 "guest memory per VM in MiB (up to the guest-physical space, default 65536)");

static bool tdp = true;
module_param(tdp, bool, 0444);
MODULE_PARM_DESC(tdp, "use NPT/EPT when the CPU has it (default true)");

/*
 * Upper bounds: well beyond anything the emulated test machines or a real
 * host needs, low enough that later per-VM arrays sized from them stay
 * small, and so that every value fits the int returned by
 * VMEM_CHECK_EXTENSION.
 */
#define VMEM_MAX_VMS_LIMIT	4096
#define VMEM_MAX_VCPUS_LIMIT	1024
#define VMEM_MAX_MEMSLOTS_LIMIT	4096

/*
 * 4-level NPT/EPT (and a 4-level shadow MMU) map 48 bits of
 * guest-physical space at most.
 */
#define VMEM_TDP_GPA_BITS	48

struct vmem_config vmem_config __ro_after_init;

static bool __init vmem_param_ok(const char *name, unsigned int val,
				 unsigned int max)
{
	if (val >= 1 && val <= max)
		return true;
	pr_err("%s=%u out of range (1-%u); not loading\n", name, val, max);
	return false;
}

static int __init vmem_check_params(void)
{
	u32 gpa_bits = min_t(u32, boot_cpu_data.x86_phys_bits,
			     VMEM_TDP_GPA_BITS);
	u64 mem_limit = min_t(u64, 1ULL << (gpa_bits - 20), INT_MAX);

	if (!vmem_param_ok("max_vms", max_vms, VMEM_MAX_VMS_LIMIT) ||
	    !vmem_param_ok("max_vms_per_user", max_vms_per_user,
			   VMEM_MAX_VMS_LIMIT) ||
	    !vmem_param_ok("max_vcpus", max_vcpus, VMEM_MAX_VCPUS_LIMIT) ||
	    !vmem_param_ok("max_memslots", max_memslots,
			   VMEM_MAX_MEMSLOTS_LIMIT) ||
	    !vmem_param_ok("max_mem_mb", max_mem_mb, mem_limit))
		return -EINVAL;

	vmem_config.max_vms = max_vms;
	vmem_config.max_vms_per_user = max_vms_per_user;
	vmem_config.max_vcpus = max_vcpus;
	vmem_config.max_memslots = max_memslots;
	vmem_config.max_mem_mb = max_mem_mb;
	vmem_config.max_gpa_bits = gpa_bits;
	return 0;
}

static int __init vmem_init(void)
{
	int r;

	r = vmem_check_params();
	if (r)
		return r;

	vmem_stats_init();

	r = vmem_virt_init();
	if (r)
		goto out_stats;

	vmem_config.tdp = tdp && vmem_backend->has_tdp;
	if (tdp && !vmem_backend->has_tdp)
		pr_info("tdp=1 but %s has no usable NPT/EPT: hardware MMU off\n",
			vmem_backend->name);

	r = vmem_cpuid_init();
	if (r)
		goto out_virt;
	r = vmem_vcpu_init();
	if (r)
		goto out_virt;
	r = vmem_vm_init();
	if (r)
		goto out_virt;

	/* Before the device: every VM is charged to a pool from creation. */
	r = vmem_pool_init();
	if (r)
		goto out_vm;
	r = vmem_netlink_init();
	if (r)
		goto out_pool;
	r = vmem_share_init();
	if (r)
		goto out_netlink;
	r = vmem_reclaim_init();
	if (r)
		goto out_share;
	r = vmem_dev_init();
	if (r)
		goto out_reclaim;

	pr_info("loaded: backend %s, hardware MMU %s, %u CPUs enabled\n",
		vmem_backend->name, vmem_config.tdp ? "on" : "off",
		vmem_virt_nr_cpus());
	return 0;

out_reclaim:
	vmem_reclaim_exit();
out_share:
	vmem_share_exit();
out_netlink:
	vmem_netlink_exit();
out_pool:
	vmem_pool_exit();
out_vm:
	vmem_vm_exit();
out_virt:
	vmem_virt_exit();
out_stats:
	vmem_stats_exit();
	return r;
}

static void __exit vmem_exit(void)
{
	vmem_dev_exit();
	/*
	 * No VM fd is left (each holds a module reference); a reclaim pass
	 * may still be ending the teardown of the VM it held.
	 */
	vmem_reclaim_exit();
	vmem_share_exit();
	vmem_netlink_exit();
	vmem_pool_exit();
	vmem_vm_exit();
	vmem_virt_exit();
	/* Last: every allocation must be back by now. */
	vmem_stats_exit();
}

module_init(vmem_init);
module_exit(vmem_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmem: hypervisor with ESX-style memory management");
MODULE_AUTHOR("The vmem authors");
