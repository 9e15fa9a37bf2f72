// SPDX-License-Identifier: GPL-2.0
/*
 * vmem tunable - host-wide settings of vmem by their ESX names
 * (Mem.ShareScanTime...): ls, get, set.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "nl_cli.h"
#include "parse.h"

static void tunable_usage(FILE *out)
{
	fprintf(out,
		"usage: vmem tunable [ls]\n"
		"       vmem tunable get NAME\n"
		"       vmem tunable set NAME VALUE\n"
		"       vmem tunable [ls|get|set] --help\n"
		"\n"
		"Host-wide settings registered by the parts of vmem that own them,\n"
		"by their ESX names, e.g. Mem.ShareScanTime (minutes within which\n"
		"the sharing daemon scans each VM) and Mem.ShareScanGHz (its ceiling\n"
		"in MB/s per GHz of host CPU; 0 stops sharing).  'ls' shows each\n"
		"with its accepted range.  Setting needs CAP_NET_ADMIN.\n"
		"\n"
		"Exit status: 0 done, 1 refused or failed, 2 bad usage.\n");
}

static int tunable_find(struct vmem_nl *nl, const char *name,
			struct vmem_tunable_info *out)
{
	struct vmem_tunable_info *t;
	size_t i, n;
	int r;

	r = vmem_nl_tunable_list(nl, &t, &n);
	if (r)
		return r;
	r = -ENOENT;
	for (i = 0; i < n; i++) {
		if (!strcmp(t[i].name, name)) {
			*out = t[i];
			r = 0;
			break;
		}
	}
	free(t);
	return r;
}

static int tunable_ls(struct vmem_nl *nl)
{
	struct vmem_tunable_info *t;
	size_t i, n;
	int r;

	r = vmem_nl_tunable_list(nl, &t, &n);
	if (r)
		return cli_nl_fail(&cmd_tunable, nl, r, "ls");
	printf("%-24s %12s %12s %12s\n", "NAME", "VALUE", "MIN", "MAX");
	for (i = 0; i < n; i++)
		printf("%-24s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n",
		       t[i].name, t[i].value, t[i].min, t[i].max);
	free(t);
	return VMEM_EXIT_OK;
}

static int tunable_fail(struct vmem_nl *nl, const char *name, int err)
{
	struct vmem_tunable_info t;

	if (err == -ENOENT) {
		cmd_err(&cmd_tunable, "no tunable named '%s' (see 'vmem tunable ls')",
			name);
		return VMEM_EXIT_ERROR;
	}
	if (err == -ERANGE && !tunable_find(nl, name, &t)) {
		cmd_err(&cmd_tunable, "%s: out of range (%" PRIu64 " to %" PRIu64 ")",
			name, t.min, t.max);
		return VMEM_EXIT_ERROR;
	}
	return cli_nl_fail(&cmd_tunable, nl, err, name);
}

static int tunable_run(int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "ls";
	struct vmem_tunable_info t;
	struct vmem_nl *nl;
	uint64_t val = 0;
	int i, nargs, r;

	/* --help anywhere (vmem tunable set --help): the help, nothing else. */
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			tunable_usage(stdout);
			return VMEM_EXIT_OK;
		}
	if (!strcmp(verb, "ls"))
		nargs = 0;
	else if (!strcmp(verb, "get"))
		nargs = 1;
	else if (!strcmp(verb, "set"))
		nargs = 2;
	else {
		cmd_err(&cmd_tunable, "unknown action '%s'", verb);
		tunable_usage(stderr);
		return VMEM_EXIT_USAGE;
	}
	if (argc > 1 && argc - 2 != nargs) {
		cmd_err(&cmd_tunable, "%s takes %d argument%s", verb, nargs,
			nargs == 1 ? "" : "s");
		return VMEM_EXIT_USAGE;
	}
	if (nargs == 2 && parse_u64(argv[3], &val)) {
		cmd_err(&cmd_tunable, "bad value '%s' (a number)", argv[3]);
		return VMEM_EXIT_USAGE;
	}

	if (cli_nl_open(&cmd_tunable, &nl))
		return VMEM_EXIT_ERROR;
	if (!nargs) {
		r = tunable_ls(nl);
	} else {
		r = nargs == 2 ? vmem_nl_tunable_set(nl, argv[2], val) : 0;
		if (!r)
			r = tunable_find(nl, argv[2], &t);
		if (r) {
			r = tunable_fail(nl, argv[2], r);
		} else {
			printf("%s %" PRIu64 "\n", t.name, t.value);
			r = VMEM_EXIT_OK;
		}
	}
	vmem_nl_close(nl);
	return r;
}

const struct vmem_cmd cmd_tunable = {
	.name = "tunable",
	.summary = "list and set host-wide tunables (Mem.ShareScanTime...)",
	.run = tunable_run,
	.usage = tunable_usage,
};
