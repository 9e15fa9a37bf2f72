/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmem's generic-netlink control plane: resource pools, per-VM resource
 * settings, statistics, tunables and events.  Documented in
 * Documentation/api.rst, section 8; the model behind it (admission
 * control, reservations, limits, shares) in Documentation/pools.rst.
 *
 * Conventions:
 *   - family VMEM_GENL_NAME, version VMEM_GENL_VERSION, one attribute
 *     space (enum vmem_nl_attr) shared by every command;
 *   - memory amounts are __u64 counts of 4 KiB pages, as in
 *     struct vmem_vm_stats; VMEM_UNLIMITED means "no limit";
 *   - attributes are validated strictly: an unknown attribute or a wrong
 *     length is -EINVAL, a value outside its policy range -ERANGE, each
 *     with an extack message naming the attribute;
 *   - commands that change anything need CAP_NET_ADMIN (GENL_ADMIN_PERM);
 *     reads (GET, dumps, the event group) are open to every user.
 */
#ifndef _UAPI_LINUX_VMEM_NETLINK_H
#define _UAPI_LINUX_VMEM_NETLINK_H

#include <linux/types.h>

#define VMEM_GENL_NAME		"vmem"
#define VMEM_GENL_VERSION	1
/* Multicast group of enum vmem_event messages. */
#define VMEM_GENL_MCGRP_EVENTS	"events"

/* Longest pool or VM name, terminating NUL included. */
#define VMEM_NAME_MAX		32

/* VMEM_A_LIMIT: no limit. */
#define VMEM_UNLIMITED		(~(__u64)0)

/* The root pool: always id 1, named "root". */
#define VMEM_POOL_ROOT_ID	1

enum vmem_nl_cmd {
	VMEM_CMD_UNSPEC,
	VMEM_CMD_POOL_NEW,	/* admin: create a pool; replies POOL_GET */
	VMEM_CMD_POOL_DEL,	/* admin: destroy an empty pool */
	VMEM_CMD_POOL_SET,	/* admin: change or move a pool */
	VMEM_CMD_POOL_GET,	/* one pool, or dump all (by id) */
	VMEM_CMD_VM_GET,	/* one VM, or dump all */
	VMEM_CMD_VM_SET,	/* admin: VM reservation/limit/shares/pool */
	VMEM_CMD_STATS_GET,	/* host statistics */
	VMEM_CMD_TUNABLE_GET,	/* one tunable, or dump all */
	VMEM_CMD_TUNABLE_SET,	/* admin: set a tunable */
	VMEM_CMD_EVENT,		/* multicast on "events" only */
	VMEM_CMD_REFUSED,	/* unicast before an admission refusal */
	__VMEM_CMD_MAX,
};
#define VMEM_CMD_MAX		(__VMEM_CMD_MAX - 1)

/* VMEM_A_SHARES_LEVEL: low:normal:high = 1:2:4 (Documentation/pools.rst). */
enum vmem_shares_level {
	VMEM_SHARES_LOW = 1,
	VMEM_SHARES_NORMAL,
	VMEM_SHARES_HIGH,
	VMEM_SHARES_CUSTOM,	/* VMEM_A_SHARES gives the value */
};

/* VMEM_A_EVENT. */
enum vmem_nl_event {
	VMEM_EVENT_ADMISSION_REFUSED = 1,	/* POOL_*, NEED, ERRNO, VM_ID? */
	VMEM_EVENT_LIMIT_REACHED,		/* VM_ID or POOL_ID */
	VMEM_EVENT_SWAP_STARTED,		/* VM_ID */
	VMEM_EVENT_SWAP_STOPPED,		/* VM_ID */
};

/* VMEM_A_REFUSED_WHY. */
enum vmem_refused_why {
	VMEM_REFUSED_UNRESERVED = 1,	/* a fixed pool lacked NEED pages (ENOSPC) */
	VMEM_REFUSED_LIMIT,		/* NEED pages more would pass a limit (EDQUOT) */
};

enum vmem_nl_attr {
	VMEM_A_UNSPEC,
	VMEM_A_POOL_ID,		/* u32 */
	VMEM_A_POOL_NAME,	/* NUL-terminated string, < VMEM_NAME_MAX */
	VMEM_A_PARENT_ID,	/* u32: a pool's parent */
	VMEM_A_RESERVATION,	/* u64 pages */
	VMEM_A_LIMIT,		/* u64 pages or VMEM_UNLIMITED */
	VMEM_A_SHARES_LEVEL,	/* u32 enum vmem_shares_level */
	VMEM_A_SHARES,		/* u32: custom value in; effective value out */
	VMEM_A_EXPANDABLE,	/* u8 0/1: expandable reservation */
	VMEM_A_USED,		/* u64 pages, out: charges of the children */
	VMEM_A_UNRESERVED,	/* u64 pages, out: what the pool can still admit */
	VMEM_A_NR_VMS,		/* u32, out: VMs directly in the pool */
	VMEM_A_NR_POOLS,	/* u32, out: child pools */
	VMEM_A_VM_ID,		/* u32 */
	VMEM_A_VM_NAME,		/* string, out (set with VMEM_SET_VM_NAME) */
	VMEM_A_VM_PID,		/* u32, out: the creating process (tgid) */
	VMEM_A_CONFIGURED,	/* u64 pages, out */
	VMEM_A_OVERHEAD,	/* u64 pages, out: overhead now */
	VMEM_A_OVERHEAD_ADMITTED, /* u64 pages, out: overhead in the charge */
	VMEM_A_CHARGE,		/* u64 pages, out: charge to the parent pool */
	VMEM_A_GRANTED,		/* u64 pages, out */
	VMEM_A_CONSUMED,	/* u64 pages, out */
	VMEM_A_SHARED,		/* u64 pages, out */
	VMEM_A_ZERO,		/* u64 pages, out */
	VMEM_A_SWAPPED,		/* u64 pages, out */
	VMEM_A_PSHARE,		/* u8 0/1: page sharing on for the VM */
	VMEM_A_HOST_TOTAL,	/* u64 pages, out: host RAM */
	VMEM_A_HOST_FREE,	/* u64 pages, out: host free RAM */
	VMEM_A_SHARED_COMMON,	/* u64 pages, out (host) */
	VMEM_A_SAVING,		/* u64 pages, out (host): SHARED - SHARED_COMMON */
	VMEM_A_NR_VMS_TOTAL,	/* u32, out (host) */
	VMEM_A_TUNABLE_NAME,	/* string, < VMEM_NAME_MAX */
	VMEM_A_TUNABLE_VALUE,	/* u64 */
	VMEM_A_TUNABLE_MIN,	/* u64, out */
	VMEM_A_TUNABLE_MAX,	/* u64, out */
	VMEM_A_EVENT,		/* u32 enum vmem_nl_event */
	VMEM_A_NEED,		/* u64 pages: what a refusal lacked */
	VMEM_A_ERRNO,		/* u32: the positive errno of a refusal */
	VMEM_A_REFUSED_WHY,	/* u32 enum vmem_refused_why */
	VMEM_A_PAD,		/* 64-bit alignment padding, never sent by users */
	__VMEM_A_MAX,
};
#define VMEM_A_MAX		(__VMEM_A_MAX - 1)

#endif /* _UAPI_LINUX_VMEM_NETLINK_H */
