// SPDX-License-Identifier: GPL-2.0
/*
 * vmem pool - resource pools: create, set (and move), rm, ls.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "nl_cli.h"

static void pool_usage(FILE *out)
{
	fprintf(out,
		"usage: vmem pool create NAME [--parent POOL] [OPTIONS]\n"
		"       vmem pool set NAME [--parent POOL] [OPTIONS]\n"
		"       vmem pool rm NAME\n"
		"       vmem pool ls\n"
		"\n"
		"Resource pools hold memory reservations for the VMs and pools in\n"
		"them (Documentation/pools.rst).  Changes are admitted or refused as\n"
		"a whole; a refusal names the pool that lacked memory and how much.\n"
		"Changes need CAP_NET_ADMIN; ls works for everyone.\n"
		"\n"
		"Pool names: 1 to 31 of A-Z a-z 0-9 . _ : -\n"
		"\n"
		"Options (sizes: 512M, 1.5G, or MiB):\n"
		"  -p, --parent POOL       parent pool (create; set: move there)\n"
		"  -r, --reservation SIZE  memory guaranteed to the pool\n"
		"  -l, --limit SIZE        most the pool may hold, or 'unlimited'\n"
		"  -s, --shares S          low, normal, high or a number\n"
		"  -e, --expandable        may borrow from its parent (default)\n"
		"  -f, --fixed             may not borrow\n"
		"  -h, --help              show this help\n"
		"\n"
		"Exit status: 0 done, 1 refused or failed, 2 bad usage.\n");
}

static int pool_parse(int argc, char **argv, struct vmem_nl_req *req)
{
	static const struct option opts[] = {
		{ "parent", required_argument, NULL, 'p' },
		{ "reservation", required_argument, NULL, 'r' },
		{ "limit", required_argument, NULL, 'l' },
		{ "shares", required_argument, NULL, 's' },
		{ "expandable", no_argument, NULL, 'e' },
		{ "fixed", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(req, 0, sizeof(*req));
	while ((c = getopt_long(argc, argv, "p:r:l:s:efh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (cli_check_pool_name(&cmd_pool, "--parent", optarg))
				return VMEM_EXIT_USAGE;
			req->set |= VMEM_REQ_PARENT;
			req->parent = optarg;
			break;
		case 'r':
			if (cli_parse_size(&cmd_pool, "reservation", optarg, 0,
					   &req->res))
				return VMEM_EXIT_USAGE;
			req->set |= VMEM_REQ_RES;
			break;
		case 'l':
			if (cli_parse_size(&cmd_pool, "limit", optarg, 1,
					   &req->limit))
				return VMEM_EXIT_USAGE;
			req->set |= VMEM_REQ_LIMIT;
			break;
		case 's':
			if (cli_parse_shares(&cmd_pool, optarg,
					     &req->shares_level, &req->shares))
				return VMEM_EXIT_USAGE;
			req->set |= VMEM_REQ_SHARES;
			break;
		case 'e':
		case 'f':
			req->set |= VMEM_REQ_EXPANDABLE;
			req->expandable = c == 'e';
			break;
		case 'h':
			pool_usage(stdout);
			return VMEM_EXIT_OK;
		default:
			pool_usage(stderr);
			return VMEM_EXIT_USAGE;
		}
	}
	return -1;
}

static void pool_print_one(const struct vmem_pool_info *p)
{
	printf("pool %s (id %u): reservation %s MiB, limit %s, %s, shares %s (%u), used %s MiB, unreserved %s MiB\n",
	       p->name, p->id, cli_mb(p->res), cli_mb(p->limit),
	       p->expandable ? "expandable" : "fixed",
	       vmem_shares_name(p->shares_level), p->shares, cli_mb(p->used),
	       cli_mb(p->unreserved));
}

/* The tree, parents before children, indented by depth. */
static void pool_print_tree(const struct vmem_pool_info *p, size_t n,
			    uint32_t parent, int depth)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i].parent_id != parent)
			continue;
		printf("%*s%-*s %5u %10s %10s %-5s %-7s %8u %10s %10s %4u\n",
		       depth * 2, "", 20 - depth * 2, p[i].name, p[i].id,
		       cli_mb(p[i].res), cli_mb(p[i].limit),
		       p[i].expandable ? "yes" : "no",
		       vmem_shares_name(p[i].shares_level), p[i].shares,
		       cli_mb(p[i].used), cli_mb(p[i].unreserved),
		       p[i].nr_vms);
		pool_print_tree(p, n, p[i].id, depth + 1);
	}
}

static int pool_ls(struct vmem_nl *nl)
{
	struct vmem_pool_info *p;
	size_t n;
	int r;

	r = vmem_nl_pool_list(nl, &p, &n);
	if (r)
		return cli_nl_fail(&cmd_pool, nl, r, "ls");
	printf("%-20s %5s %10s %10s %-5s %-7s %8s %10s %10s %4s\n", "NAME",
	       "ID", "RESV/MB", "LIMIT/MB", "EXP", "SHARES", "", "USED/MB",
	       "UNRES/MB", "VMS");
	pool_print_tree(p, n, 0, 0);
	free(p);
	return VMEM_EXIT_OK;
}

/*
 * A failed request on pool @name: ENOENT means a pool named on the
 * command line does not exist: @name itself when @exists (set, rm), or
 * @parent (--parent, may be NULL).  The rest is shared.
 */
static int pool_fail(struct vmem_nl *nl, int err, const char *name,
		     bool exists, const char *parent)
{
	if (err != -ENOENT || (!exists && !parent))
		return cli_nl_fail(&cmd_pool, nl, err, name);
	if (exists && parent)
		cmd_err(&cmd_pool, "no pool named '%s' or '%s' (see 'vmem pool ls')",
			name, parent);
	else
		cmd_err(&cmd_pool, "no pool named '%s' (see 'vmem pool ls')",
			exists ? name : parent);
	return VMEM_EXIT_ERROR;
}

static int pool_run(int argc, char **argv)
{
	struct vmem_pool_info info;
	struct vmem_nl_req req;
	struct vmem_nl *nl;
	const char *verb, *name = NULL;
	int r;

	if (argc < 2) {
		pool_usage(stderr);
		return VMEM_EXIT_USAGE;
	}
	verb = argv[1];
	if (!strcmp(verb, "-h") || !strcmp(verb, "--help")) {
		pool_usage(stdout);
		return VMEM_EXIT_OK;
	}
	if (strcmp(verb, "create") && strcmp(verb, "set") &&
	    strcmp(verb, "rm") && strcmp(verb, "ls")) {
		cmd_err(&cmd_pool, "unknown action '%s'", verb);
		pool_usage(stderr);
		return VMEM_EXIT_USAGE;
	}
	optind = 1;
	r = pool_parse(argc - 1, argv + 1, &req);
	if (r >= 0)
		return r;
	argc -= 1;
	argv += 1;
	if (!strcmp(verb, "ls")) {
		if (optind != argc || req.set) {
			cmd_err(&cmd_pool, "ls takes no arguments");
			return VMEM_EXIT_USAGE;
		}
	} else {
		if (optind != argc - 1) {
			cmd_err(&cmd_pool, "%s needs exactly one pool NAME", verb);
			return VMEM_EXIT_USAGE;
		}
		name = argv[optind];
		if (cli_check_pool_name(&cmd_pool, "pool name", name))
			return VMEM_EXIT_USAGE;
		if (!strcmp(verb, "rm") && req.set) {
			cmd_err(&cmd_pool, "rm takes no options");
			return VMEM_EXIT_USAGE;
		}
		if (!strcmp(verb, "set") && !req.set) {
			cmd_err(&cmd_pool, "set: nothing to change");
			return VMEM_EXIT_USAGE;
		}
	}

	if (cli_nl_open(&cmd_pool, &nl))
		return VMEM_EXIT_ERROR;
	if (!strcmp(verb, "ls"))
		r = pool_ls(nl);
	else if (!strcmp(verb, "rm")) {
		r = vmem_nl_pool_destroy(nl, name);
		if (r)
			r = pool_fail(nl, r, name, true, NULL);
	} else {
		r = !strcmp(verb, "create") ?
		    vmem_nl_pool_create(nl, name, &req, &info) :
		    vmem_nl_pool_set(nl, name, &req, &info);
		if (r)
			r = pool_fail(nl, r, name, !strcmp(verb, "set"),
				      req.set & VMEM_REQ_PARENT ? req.parent :
				      NULL);
		else
			pool_print_one(&info);
	}
	vmem_nl_close(nl);
	return r;
}

const struct vmem_cmd cmd_pool = {
	.name = "pool",
	.summary = "create, change, move, remove and list resource pools",
	.run = pool_run,
	.usage = pool_usage,
};
