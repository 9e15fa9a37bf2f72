// SPDX-License-Identifier: GPL-2.0
/*
 * vmem vm - the resource settings of running VMs: ls, set, mv.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "nl_cli.h"

static void vm_usage(FILE *out)
{
	fprintf(out,
		"usage: vmem vm ls\n"
		"       vmem vm set ID [--reservation SIZE] [--limit SIZE]\n"
		"                      [--shares S] [--pshare on|off]\n"
		"       vmem vm mv ID POOL\n"
		"\n"
		"VMs are named by the id 'vmem vm ls' shows.  A VM is charged to its\n"
		"pool from creation: its reservation plus vmem's overhead for it.\n"
		"Moving a VM keeps its reservation and limit; its shares then count\n"
		"against its new siblings.  Changes need CAP_NET_ADMIN.\n"
		"\n"
		"Options (sizes: 512M, 2G, or MiB):\n"
		"  -r, --reservation SIZE  memory guaranteed to the VM\n"
		"  -l, --limit SIZE        most the VM may consume, or 'unlimited'\n"
		"  -s, --shares S          low, normal, high or a number\n"
		"  -P, --pshare on|off     transparent page sharing for the VM\n"
		"  -h, --help              show this help\n"
		"\n"
		"Exit status: 0 done, 1 refused or failed, 2 bad usage.\n");
}

static int vm_ls(struct vmem_nl *nl)
{
	struct vmem_vm_info *v;
	size_t i, n;
	int r;

	r = vmem_nl_vm_list(nl, &v, &n);
	if (r)
		return cli_nl_fail(&cmd_vm, nl, r, "ls");
	printf("%5s %-16s %7s %-12s %9s %9s %9s %-6s %8s %9s %9s %6s\n", "ID",
	       "NAME", "PID", "POOL", "MEMSZ/MB", "RESV/MB", "LIMIT/MB",
	       "SHARES", "", "GRANT/MB", "CNSM/MB", "PSHARE");
	for (i = 0; i < n; i++)
		printf("%5u %-16s %7u %-12s %9s %9s %9s %-6s %8u %9s %9s %6s\n",
		       v[i].id, v[i].name[0] ? v[i].name : "-", v[i].pid,
		       v[i].pool_name, cli_mb(v[i].configured),
		       cli_mb(v[i].res), cli_mb(v[i].limit),
		       vmem_shares_name(v[i].shares_level), v[i].shares,
		       cli_mb(v[i].granted), cli_mb(v[i].consumed),
		       v[i].pshare ? "on" : "off");
	free(v);
	return VMEM_EXIT_OK;
}

static int vm_parse_id(const char *arg, uint32_t *id)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || !v || v > UINT32_MAX ||
	    arg[0] == '-') {
		cmd_err(&cmd_vm, "bad VM id '%s'", arg);
		return -1;
	}
	*id = v;
	return 0;
}

static void vm_print_one(const struct vmem_vm_info *v)
{
	printf("vm %u%s%s%s: pool %s, reservation %s MiB, limit %s, shares %s (%u), pshare %s\n",
	       v->id, v->name[0] ? " (" : "", v->name, v->name[0] ? ")" : "",
	       v->pool_name, cli_mb(v->res), cli_mb(v->limit),
	       vmem_shares_name(v->shares_level), v->shares,
	       v->pshare ? "on" : "off");
}

static int vm_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reservation", required_argument, NULL, 'r' },
		{ "limit", required_argument, NULL, 'l' },
		{ "shares", required_argument, NULL, 's' },
		{ "pshare", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vmem_nl_req req = { 0 };
	struct vmem_vm_info info;
	struct vmem_nl *nl;
	const char *verb;
	uint32_t id = 0;
	int c, r, nargs;

	if (argc < 2) {
		vm_usage(stderr);
		return VMEM_EXIT_USAGE;
	}
	verb = argv[1];
	if (!strcmp(verb, "-h") || !strcmp(verb, "--help")) {
		vm_usage(stdout);
		return VMEM_EXIT_OK;
	}
	if (!strcmp(verb, "ls"))
		nargs = 0;
	else if (!strcmp(verb, "set"))
		nargs = 1;
	else if (!strcmp(verb, "mv"))
		nargs = 2;
	else {
		cmd_err(&cmd_vm, "unknown action '%s'", verb);
		vm_usage(stderr);
		return VMEM_EXIT_USAGE;
	}
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:l:s:P:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (cli_parse_size(&cmd_vm, "reservation", optarg, 0,
					   &req.res))
				return VMEM_EXIT_USAGE;
			req.set |= VMEM_REQ_RES;
			break;
		case 'l':
			if (cli_parse_size(&cmd_vm, "limit", optarg, 1,
					   &req.limit))
				return VMEM_EXIT_USAGE;
			req.set |= VMEM_REQ_LIMIT;
			break;
		case 's':
			if (cli_parse_shares(&cmd_vm, optarg, &req.shares_level,
					     &req.shares))
				return VMEM_EXIT_USAGE;
			req.set |= VMEM_REQ_SHARES;
			break;
		case 'P':
			if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
				cmd_err(&cmd_vm, "--pshare takes on or off");
				return VMEM_EXIT_USAGE;
			}
			req.set |= VMEM_REQ_PSHARE;
			req.pshare = !strcmp(optarg, "on");
			break;
		case 'h':
			vm_usage(stdout);
			return VMEM_EXIT_OK;
		default:
			vm_usage(stderr);
			return VMEM_EXIT_USAGE;
		}
	}
	if (argc - optind != nargs) {
		cmd_err(&cmd_vm, "%s takes %d argument%s", verb, nargs,
			nargs == 1 ? "" : "s");
		vm_usage(stderr);
		return VMEM_EXIT_USAGE;
	}
	if ((nargs != 1 && req.set) || (nargs == 1 && !req.set)) {
		cmd_err(&cmd_vm, nargs == 1 ? "set: nothing to change" :
					      "%s takes no options", verb);
		return VMEM_EXIT_USAGE;
	}
	if (nargs && vm_parse_id(argv[optind], &id))
		return VMEM_EXIT_USAGE;
	if (nargs == 2) {
		req.set |= VMEM_REQ_PARENT;
		req.parent = argv[optind + 1];
	}

	if (cli_nl_open(&cmd_vm, &nl))
		return VMEM_EXIT_ERROR;
	if (!nargs) {
		r = vm_ls(nl);
	} else {
		r = vmem_nl_vm_set(nl, id, &req, &info);
		if (r) {
			char what[32];

			snprintf(what, sizeof(what), "vm %u", id);
			r = cli_nl_fail(&cmd_vm, nl, r, what);
		} else {
			vm_print_one(&info);
		}
	}
	vmem_nl_close(nl);
	return r;
}

const struct vmem_cmd cmd_vm = {
	.name = "vm",
	.summary = "list VMs, change their reservation, limit, shares, pool",
	.run = vm_run,
	.usage = vm_usage,
};
