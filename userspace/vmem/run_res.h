/* SPDX-License-Identifier: GPL-2.0 */
/*
 * run_res.h - the resource settings of the VM `vmem run` starts: its
 * name, pool, reservation, limit, shares, page sharing and swap file.
 *
 * They are parsed with the rest of the command line, checked before the
 * hypervisor is touched (the swap file is opened then too), and applied
 * by run_res_apply() once the VM has its memory slots and vCPU and
 * before the guest is loaded or runs: VMEM_SET_VM_NAME, one netlink
 * VM_SET (all or nothing: move, reservation, limit, shares), VMEM_PSHARE
 * (which netlink reports as the VM's PSHARE) and VMEM_SET_SWAP_FILE.  Lives here rather than in ../run/ because it
 * needs libvmem's netlink half (libnl), which the launcher's selftests
 * do not link.
 */
#ifndef VMEM_RUN_RES_H
#define VMEM_RUN_RES_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm.h"

/* Which settings the command line gave (struct run_res.given). */
#define RUN_RES_POOL		(1u << 0)
#define RUN_RES_RESERVATION	(1u << 1)
#define RUN_RES_LIMIT		(1u << 2)
#define RUN_RES_SHARES		(1u << 3)
#define RUN_RES_PSHARE		(1u << 4)
#define RUN_RES_SALT		(1u << 5)
#define RUN_RES_SWAP_FILE	(1u << 6)
/*
 * Settings that go through the netlink control plane (CAP_NET_ADMIN);
 * page sharing is the VM's own (VMEM_PSHARE), which any VMM may set.
 */
#define RUN_RES_NETLINK		(RUN_RES_POOL | RUN_RES_RESERVATION | \
				 RUN_RES_LIMIT | RUN_RES_SHARES)

struct run_res {
	unsigned int given;		/* RUN_RES_* */
	const char *name;		/* --name, or NULL */
	const char *pool;
	uint64_t res, limit;		/* 4 KiB pages; limit VMEM_UNLIMITED */
	uint32_t shares_level, shares;
	bool pshare;
	uint64_t salt;
	const char *swap_path;
	int swap_fd;			/* -1 until run_res_open_swap() */
	bool swap_created;		/* the launcher created the file */
};

/* Option numbers of cmd_run.c's getopt table that run_res_parse() takes. */
enum {
	RUN_RES_OPT_POOL = 512,
	RUN_RES_OPT_RESERVATION,
	RUN_RES_OPT_LIMIT,
	RUN_RES_OPT_SHARES,
	RUN_RES_OPT_PSHARE,
	RUN_RES_OPT_SALT,
	RUN_RES_OPT_SWAP_FILE,
};

void run_res_init(struct run_res *r);
/*
 * One option of the above (@opt) with its argument.  0, or -1 after a
 * message on stderr (a bad value; cmd_run.c refuses repeats).
 */
int run_res_parse(struct run_res *r, int opt, const char *arg);
/*
 * Checks across options once all are parsed: @memory is the guest's RAM
 * in bytes, @vmem whether the backend is vmem.  0, or -1 after a message.
 */
int run_res_check(struct run_res *r, uint64_t memory, bool vmem);
/* Whether @name is a VM name the kernel accepts ([A-Za-z0-9._:-]{1,31}). */
bool run_res_name_valid(const char *name);

/*
 * Create or open the swap file (O_RDWR | O_CREAT, mode 0600) and refuse
 * anything but a regular file.  0 (also when none was asked for), or -1
 * after a message.
 */
int run_res_open_swap(struct run_res *r);
/*
 * Close the swap file (vmem holds its own reference once given it); a
 * file the launcher created is removed unless @keep (the guest ran).
 */
void run_res_close(struct run_res *r, bool keep);

/*
 * The run_config.vm_setup hook: apply the settings to @vm (@arg is the
 * struct run_res).  0, or RUN_EXIT_ERROR after a message; an admission
 * refusal says which pool lacked how much.
 */
int run_res_apply(struct vmm_vm *vm, void *arg);

#endif /* VMEM_RUN_RES_H */
