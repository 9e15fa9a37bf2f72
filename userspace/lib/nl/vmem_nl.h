/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * vmem_nl.h - libvmem's netlink half: resource pools, VM resource
 * settings, host statistics and tunables over the "vmem" generic-netlink
 * family (<linux/vmem_netlink.h>), with libnl-genl-3.
 *
 * This header exposes no libnl types: callers need neither its headers
 * nor its include path; the vmem binary links libnl statically.  Every
 * function returns >= 0 or a negative errno and never prints; after an
 * admission refusal (-ENOSPC, -EDQUOT) vmem_nl_refusal() says which pool
 * lacked how much.  Amounts are 4 KiB pages, as in the kernel ABI.
 */
#ifndef LIBVMEM_NL_H
#define LIBVMEM_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/vmem_netlink.h>

struct vmem_nl;

struct vmem_pool_info {
	uint32_t id;
	uint32_t parent_id;		/* 0 for the root */
	char name[VMEM_NAME_MAX];
	uint64_t res, limit, used, charge, unreserved;
	uint32_t shares_level, shares;
	uint32_t nr_vms, nr_pools;
	bool expandable;
};

struct vmem_vm_info {
	uint32_t id, pid, pool_id;
	char name[VMEM_NAME_MAX];
	char pool_name[VMEM_NAME_MAX];
	uint64_t res, limit, charge, overhead_admitted;
	uint64_t configured, overhead, granted, consumed, shared, zero,
		 swapped;
	uint32_t shares_level, shares;
	bool pshare;
};

struct vmem_host_info {
	uint64_t total, free, res, used;
	uint32_t nr_vms;
	uint64_t granted, consumed, shared, zero, swapped, overhead;
	uint64_t shared_common, saving;
};

struct vmem_tunable_info {
	char name[VMEM_NAME_MAX];
	uint64_t value, min, max;
};

struct vmem_refusal_info {
	int err;			/* ENOSPC or EDQUOT */
	uint32_t why;			/* VMEM_REFUSED_* */
	uint32_t pool_id;
	char pool_name[VMEM_NAME_MAX];
	uint64_t need;			/* pages */
};

/* Which fields of struct vmem_nl_req apply. */
#define VMEM_REQ_RES		(1u << 0)
#define VMEM_REQ_LIMIT		(1u << 1)
#define VMEM_REQ_SHARES		(1u << 2)	/* level (+ shares if custom) */
#define VMEM_REQ_EXPANDABLE	(1u << 3)
#define VMEM_REQ_PARENT		(1u << 4)	/* pools: parent; VMs: pool */
#define VMEM_REQ_PSHARE		(1u << 5)

struct vmem_nl_req {
	uint32_t set;
	uint64_t res, limit;
	uint32_t shares_level, shares;
	const char *parent;		/* a pool name */
	bool expandable, pshare;
};

/* Connect and resolve the family: -ENOENT when vmem is not loaded. */
int vmem_nl_open(struct vmem_nl **nl);
void vmem_nl_close(struct vmem_nl *nl);
/* After -ENOSPC/-EDQUOT from the last call: the details, else NULL. */
const struct vmem_refusal_info *vmem_nl_refusal(const struct vmem_nl *nl);

int vmem_nl_pool_create(struct vmem_nl *nl, const char *name,
			const struct vmem_nl_req *req,
			struct vmem_pool_info *out);
int vmem_nl_pool_set(struct vmem_nl *nl, const char *name,
		     const struct vmem_nl_req *req, struct vmem_pool_info *out);
int vmem_nl_pool_destroy(struct vmem_nl *nl, const char *name);
int vmem_nl_pool_get(struct vmem_nl *nl, const char *name,
		     struct vmem_pool_info *out);
/* All pools (*@out malloc'ed, free() it), by id. */
int vmem_nl_pool_list(struct vmem_nl *nl, struct vmem_pool_info **out,
		      size_t *n);

int vmem_nl_vm_get(struct vmem_nl *nl, uint32_t id, struct vmem_vm_info *out);
int vmem_nl_vm_list(struct vmem_nl *nl, struct vmem_vm_info **out, size_t *n);
/* VMEM_REQ_PARENT moves the VM into pool req->parent. */
int vmem_nl_vm_set(struct vmem_nl *nl, uint32_t id,
		   const struct vmem_nl_req *req, struct vmem_vm_info *out);

int vmem_nl_stats(struct vmem_nl *nl, struct vmem_host_info *out);

int vmem_nl_tunable_list(struct vmem_nl *nl, struct vmem_tunable_info **out,
			 size_t *n);
int vmem_nl_tunable_set(struct vmem_nl *nl, const char *name, uint64_t val);

/* "low", "normal", "high", "custom"; and back (0 if unknown). */
const char *vmem_shares_name(uint32_t level);
uint32_t vmem_shares_level(const char *name);

#endif /* LIBVMEM_NL_H */
