// SPDX-License-Identifier: GPL-2.0
/*
 * run_res.c - the resource settings of the VM `vmem run` starts; see
 * run_res.h and Documentation/launcher.rst.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/vmem.h>

#include "console.h"
#include "machine.h"
#include "nl_cli.h"
#include "parse.h"
#include "run_res.h"

/* run_res_parse() turns an option number into its RUN_RES_* bit. */
#define OPT_BIT(opt)	(1u << ((opt) - RUN_RES_OPT_POOL))
_Static_assert(OPT_BIT(RUN_RES_OPT_POOL) == RUN_RES_POOL &&
	       OPT_BIT(RUN_RES_OPT_RESERVATION) == RUN_RES_RESERVATION &&
	       OPT_BIT(RUN_RES_OPT_LIMIT) == RUN_RES_LIMIT &&
	       OPT_BIT(RUN_RES_OPT_SHARES) == RUN_RES_SHARES &&
	       OPT_BIT(RUN_RES_OPT_PSHARE) == RUN_RES_PSHARE &&
	       OPT_BIT(RUN_RES_OPT_SALT) == RUN_RES_SALT &&
	       OPT_BIT(RUN_RES_OPT_SWAP_FILE) == RUN_RES_SWAP_FILE,
	       "RUN_RES_OPT_* and RUN_RES_* in the same order");

void run_res_init(struct run_res *r)
{
	memset(r, 0, sizeof(*r));
	r->limit = VMEM_UNLIMITED;
	r->pshare = true;
	r->swap_fd = -1;
}

bool run_res_name_valid(const char *name)
{
	size_t n = strlen(name);

	return n && n < VMEM_VM_NAME_MAX &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789._:-") == n;
}

int run_res_parse(struct run_res *r, int opt, const char *arg)
{
	unsigned int bit = OPT_BIT(opt);

	/* cmd_run.c refuses an option given twice, this one too. */
	r->given |= bit;
	switch (opt) {
	case RUN_RES_OPT_POOL:
		if (cli_check_pool_name(&cmd_run, "--pool", arg))
			return -1;
		r->pool = arg;
		return 0;
	case RUN_RES_OPT_RESERVATION:
		return cli_parse_size(&cmd_run, "--reservation", arg, 0,
				      &r->res);
	case RUN_RES_OPT_LIMIT:
		return cli_parse_size(&cmd_run, "--limit", arg, 1, &r->limit);
	case RUN_RES_OPT_SHARES:
		return cli_parse_shares(&cmd_run, arg, &r->shares_level,
					&r->shares);
	case RUN_RES_OPT_PSHARE:
		if (strcmp(arg, "on") && strcmp(arg, "off")) {
			cmd_err(&cmd_run, "bad --pshare '%s' (on or off)", arg);
			return -1;
		}
		r->pshare = !strcmp(arg, "on");
		return 0;
	case RUN_RES_OPT_SALT:
		if (parse_u64(arg, &r->salt)) {
			cmd_err(&cmd_run, "bad --salt '%s' (a number, 0 to 2^64-1)",
				arg);
			return -1;
		}
		return 0;
	case RUN_RES_OPT_SWAP_FILE:
		if (!*arg) {
			cmd_err(&cmd_run, "bad --swap-file '' (a path)");
			return -1;
		}
		r->swap_path = arg;
		return 0;
	}
	return -1;
}

int run_res_check(struct run_res *r, uint64_t memory, bool vmem)
{
	if (r->name && !run_res_name_valid(r->name)) {
		cmd_err(&cmd_run, "bad --name '%s' (1 to %d of A-Z a-z 0-9 . _ : -)",
			r->name, VMEM_VM_NAME_MAX - 1);
		return -1;
	}
	if (r->given && !vmem) {
		cmd_err(&cmd_run, "--pool, --reservation, --limit, --shares, --pshare, --salt and --swap-file are for the vmem backend");
		return -1;
	}
	if ((r->given & RUN_RES_RESERVATION) && r->res > memory / 4096) {
		cmd_err(&cmd_run, "--reservation %s MiB is more than --memory (%s MiB)",
			cli_mb(r->res), cli_mb(memory / 4096));
		return -1;
	}
	if (r->limit < r->res) {
		cmd_err(&cmd_run, "--limit %s MiB is below --reservation %s MiB",
			cli_mb(r->limit), cli_mb(r->res));
		return -1;
	}
	return 0;
}

int run_res_open_swap(struct run_res *r)
{
	const int flags = O_RDWR | O_CLOEXEC | O_NOCTTY;
	struct stat st;
	int fd;

	if (!r->swap_path)
		return 0;
	/* O_EXCL first, to know whether a failed start should remove it. */
	fd = open(r->swap_path, flags | O_CREAT | O_EXCL, 0600);
	if (fd >= 0)
		r->swap_created = true;
	else if (errno == EEXIST)
		fd = open(r->swap_path, flags);
	if (fd < 0) {
		run_msg("cannot open swap file %s: %s", r->swap_path,
			strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		run_msg("swap file %s: not a regular file", r->swap_path);
		close(fd);
		return -1;
	}
	r->swap_fd = fd;
	return 0;
}

void run_res_close(struct run_res *r, bool keep)
{
	if (r->swap_fd >= 0)
		close(r->swap_fd);
	r->swap_fd = -1;
	if (!keep && r->swap_created && unlink(r->swap_path))
		run_msg("cannot remove swap file %s: %s", r->swap_path,
			strerror(errno));
	r->swap_created = false;
}

/* ---------------------------------------------------------------------- */
/* Applying them                                                           */

static int set_name(int vm_fd, const char *name)
{
	struct vmem_vm_name n;

	memset(&n, 0, sizeof(n));
	strcpy(n.name, name);	/* checked by run_res_check() */
	if (ioctl(vm_fd, VMEM_SET_VM_NAME, &n)) {
		run_msg("cannot name the VM '%s' (VMEM_SET_VM_NAME): %s", name,
			strerror(errno));
		return -1;
	}
	return 0;
}

static void nl_error(struct vmem_nl *nl, const struct run_res *r, int err)
{
	const struct vmem_refusal_info *ref = vmem_nl_refusal(nl);

	if (ref && (err == -ENOSPC || err == -EDQUOT)) {
		if (ref->why == VMEM_REFUSED_LIMIT)
			run_msg("admission refused: pool '%s' would pass its limit by %.1f MiB; the guest was not started",
				ref->pool_name, ref->need / 256.0);
		else
			run_msg("admission refused: pool '%s' lacks %.1f MiB of unreserved memory; the guest was not started",
				ref->pool_name, ref->need / 256.0);
		return;
	}
	switch (err) {
	case -ENOENT:
		/* The VM exists (we hold it): the pool is what is missing. */
		run_msg("no pool named '%s' (see 'vmem pool ls')", r->pool);
		break;
	case -EPERM:
		run_msg("setting the VM's pool or resources needs CAP_NET_ADMIN: %s",
			strerror(-err));
		break;
	default:
		run_msg("the control plane refused the VM's settings: %s",
			strerror(-err));
	}
}

static int set_resources(int vm_fd, const struct run_res *r)
{
	struct vmem_nl_req req = { 0 };
	struct vmem_vm_info info;
	struct vmem_nl *nl;
	int id, err;

	id = ioctl(vm_fd, VMEM_GET_VM_ID, 0);
	if (id < 0) {
		run_msg("VMEM_GET_VM_ID: %s", strerror(errno));
		return -1;
	}
	if (cli_nl_open(&cmd_run, &nl))
		return -1;
	if (r->given & RUN_RES_POOL) {
		req.set |= VMEM_REQ_PARENT;
		req.parent = r->pool;
	}
	if (r->given & RUN_RES_RESERVATION) {
		req.set |= VMEM_REQ_RES;
		req.res = r->res;
	}
	if (r->given & RUN_RES_LIMIT) {
		req.set |= VMEM_REQ_LIMIT;
		req.limit = r->limit;
	}
	if (r->given & RUN_RES_SHARES) {
		req.set |= VMEM_REQ_SHARES;
		req.shares_level = r->shares_level;
		req.shares = r->shares;
	}
	/* One request: the kernel admits all of it or none. */
	err = vmem_nl_vm_set(nl, id, &req, &info);
	if (err) {
		nl_error(nl, r, err);
		vmem_nl_close(nl);
		return -1;
	}
	vmem_nl_close(nl);
	run_msg("vm %u in pool '%s': reservation %s MiB, limit %s%s, shares %s",
		info.id, info.pool_name, cli_mb(info.res), cli_mb(info.limit),
		info.limit == VMEM_UNLIMITED ? "" : " MiB",
		vmem_shares_name(info.shares_level));
	return 0;
}

static int set_pshare(int vm_fd, const struct run_res *r)
{
	struct vmem_pshare ps;

	memset(&ps, 0, sizeof(ps));
	if (r->given & RUN_RES_PSHARE) {
		ps.flags |= VMEM_PSHARE_SET_ENABLE;
		ps.enable = r->pshare;
	}
	if (r->given & RUN_RES_SALT) {
		ps.flags |= VMEM_PSHARE_SET_SALT;
		ps.salt = r->salt;
	}
	if (ioctl(vm_fd, VMEM_PSHARE, &ps)) {
		run_msg("cannot set page sharing (VMEM_PSHARE): %s",
			strerror(errno));
		return -1;
	}
	return 0;
}

static int set_swap_file(int vm_fd, const struct run_res *r)
{
	struct vmem_swap_file sf;

	memset(&sf, 0, sizeof(sf));
	sf.fd = r->swap_fd;
	if (!ioctl(vm_fd, VMEM_SET_SWAP_FILE, &sf))
		return 0;
	if (errno == ENOTTY)
		run_msg("this vmem module has no hypervisor swap (VMEM_SET_SWAP_FILE: %s); the guest was not started",
			strerror(errno));
	else if (errno == EINVAL)
		run_msg("vmem refused swap file %s (VMEM_SET_SWAP_FILE: %s): it needs a regular file that can be read and written at any offset",
			r->swap_path, strerror(errno));
	else
		run_msg("cannot give vmem swap file %s (VMEM_SET_SWAP_FILE): %s",
			r->swap_path, strerror(errno));
	return -1;
}

int run_res_apply(struct vmm_vm *vm, void *arg)
{
	const struct run_res *r = arg;
	int fd = vmm_vm_fd(vm);

	if (r->name && set_name(fd, r->name))
		return RUN_EXIT_ERROR;
	if ((r->given & RUN_RES_NETLINK) && set_resources(fd, r))
		return RUN_EXIT_ERROR;
	if ((r->given & (RUN_RES_PSHARE | RUN_RES_SALT)) && set_pshare(fd, r))
		return RUN_EXIT_ERROR;
	if (r->swap_fd >= 0 && set_swap_file(fd, r))
		return RUN_EXIT_ERROR;
	return 0;
}
