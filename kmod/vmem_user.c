// SPDX-License-Identifier: GPL-2.0
/*
 * vmem_user.c - VMs per user, against the max_vms_per_user parameter
 * (Documentation/module-parameters.rst), so that one user cannot take
 * all of max_vms from the others.
 *
 * Like RLIMIT_NPROC: every VM counts against its owner, the effective
 * uid of the process that created it (kept in vm->owner, since the last
 * reference may be dropped by another task); a process with
 * CAP_SYS_RESOURCE or CAP_SYS_ADMIN in the initial user namespace may go
 * past the limit, its VMs still counted.  The host-wide max_vms holds for
 * everybody.
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/mutex.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>

#include "vmem_core.h"

static DEFINE_MUTEX(vmem_user_lock);
/* VMs alive by owner (uid in the initial namespace), value entries.  [vmem_user_lock] */
static DEFINE_XARRAY(vmem_user_vms);

/* Whether the caller may go past max_vms_per_user; asked only there. */
static bool vmem_user_exempt(void)
{
	return capable(CAP_SYS_RESOURCE) || capable(CAP_SYS_ADMIN);
}

int vmem_user_vm_add(kuid_t owner)
{
	unsigned long uid = from_kuid(&init_user_ns, owner);
	unsigned long n;
	void *e;
	int r;

	mutex_lock(&vmem_user_lock);
	e = xa_load(&vmem_user_vms, uid);
	n = e ? xa_to_value(e) : 0;
	if (n >= vmem_config.max_vms_per_user && !vmem_user_exempt())
		r = -EDQUOT;
	else
		r = xa_err(xa_store(&vmem_user_vms, uid, xa_mk_value(n + 1),
				    GFP_KERNEL_ACCOUNT));
	mutex_unlock(&vmem_user_lock);
	return r;
}

void vmem_user_vm_del(kuid_t owner)
{
	unsigned long uid = from_kuid(&init_user_ns, owner);
	unsigned long n;
	void *e;

	mutex_lock(&vmem_user_lock);
	e = xa_load(&vmem_user_vms, uid);
	n = e ? xa_to_value(e) : 0;
	if (WARN_ON_ONCE(!n) || n == 1)
		xa_erase(&vmem_user_vms, uid);
	else
		/* Replaces an entry in place: allocates nothing. */
		xa_store(&vmem_user_vms, uid, xa_mk_value(n - 1), GFP_KERNEL);
	mutex_unlock(&vmem_user_lock);
}
