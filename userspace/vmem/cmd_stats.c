// SPDX-License-Identifier: GPL-2.0
/*
 * vmem stats - one-shot memory statistics: host, pools, VMs.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "nl_cli.h"

static void stats_usage(FILE *out)
{
	fprintf(out,
		"usage: vmem stats [--json] [--help]\n"
		"\n"
		"Memory statistics of the host, every pool and every VM, once.\n"
		"Text figures are MiB; --json gives 4 KiB pages, as the kernel\n"
		"reports them.  Readable by every user.\n"
		"\n"
		"Options:\n"
		"  -j, --json   one JSON object on stdout\n"
		"  -h, --help   show this help\n");
}

/*
 * A JSON string: quoted, with '"', '\\' and control characters escaped,
 * whatever the kernel's name rules allow today.
 */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void stats_json(const struct vmem_host_info *h,
		       const struct vmem_pool_info *p, size_t np,
		       const struct vmem_vm_info *v, size_t nv)
{
	size_t i;

	printf("{\"page_size\":4096,\"host\":{\"total\":%" PRIu64
	       ",\"free\":%" PRIu64 ",\"reservation\":%" PRIu64
	       ",\"reserved\":%" PRIu64 ",\"vms\":%u,\"granted\":%" PRIu64
	       ",\"consumed\":%" PRIu64 ",\"shared\":%" PRIu64
	       ",\"shared_common\":%" PRIu64 ",\"saving\":%" PRIu64
	       ",\"zero\":%" PRIu64 ",\"swapped\":%" PRIu64
	       ",\"overhead\":%" PRIu64 "},\n\"pools\":[",
	       h->total, h->free, h->res, h->used, h->nr_vms, h->granted,
	       h->consumed, h->shared, h->shared_common, h->saving, h->zero,
	       h->swapped, h->overhead);
	for (i = 0; i < np; i++) {
		printf("%s\n{\"id\":%u,\"name\":", i ? "," : "", p[i].id);
		json_str(p[i].name);
		printf(",\"parent\":%u,"
		       "\"reservation\":%" PRIu64 ",\"limit\":%" PRId64
		       ",\"expandable\":%s,\"shares_level\":\"%s\","
		       "\"shares\":%u,\"used\":%" PRIu64 ",\"unreserved\":%"
		       PRIu64 ",\"vms\":%u,\"pools\":%u}",
		       p[i].parent_id,
		       p[i].res, p[i].limit == VMEM_UNLIMITED ? (int64_t)-1 :
		       (int64_t)p[i].limit, p[i].expandable ? "true" : "false",
		       vmem_shares_name(p[i].shares_level), p[i].shares,
		       p[i].used, p[i].unreserved, p[i].nr_vms, p[i].nr_pools);
	}
	printf("],\n\"vms\":[");
	for (i = 0; i < nv; i++) {
		printf("%s\n{\"id\":%u,\"name\":", i ? "," : "", v[i].id);
		json_str(v[i].name);
		printf(",\"pid\":%u,\"pool\":%u,"
		       "\"configured\":%" PRIu64 ",\"reservation\":%" PRIu64
		       ",\"limit\":%" PRId64 ",\"shares_level\":\"%s\","
		       "\"shares\":%u,\"pshare\":%s,\"granted\":%" PRIu64
		       ",\"consumed\":%" PRIu64 ",\"shared\":%" PRIu64
		       ",\"zero\":%" PRIu64 ",\"swapped\":%" PRIu64
		       ",\"overhead\":%" PRIu64 ",\"charge\":%" PRIu64 "}",
		       v[i].pid, v[i].pool_id,
		       v[i].configured, v[i].res,
		       v[i].limit == VMEM_UNLIMITED ? (int64_t)-1 :
		       (int64_t)v[i].limit,
		       vmem_shares_name(v[i].shares_level), v[i].shares,
		       v[i].pshare ? "true" : "false", v[i].granted,
		       v[i].consumed, v[i].shared, v[i].zero, v[i].swapped,
		       v[i].overhead, v[i].charge);
	}
	printf("]}\n");
}

static void stats_text(const struct vmem_host_info *h,
		       const struct vmem_pool_info *p, size_t np,
		       const struct vmem_vm_info *v, size_t nv)
{
	size_t i;

	printf("host: %s MiB RAM, %s MiB free; vmem may give %s MiB, %s MiB reserved\n",
	       cli_mb(h->total), cli_mb(h->free), cli_mb(h->res),
	       cli_mb(h->used));
	printf("VMs: %u, granted %s MiB, consumed %s MiB, zero %s MiB, swapped %s MiB, overhead %s MiB\n",
	       h->nr_vms, cli_mb(h->granted), cli_mb(h->consumed),
	       cli_mb(h->zero), cli_mb(h->swapped), cli_mb(h->overhead));
	printf("PSHARE/MB: %s shared, %s common: %s saving\n",
	       cli_mb(h->shared), cli_mb(h->shared_common), cli_mb(h->saving));
	printf("\n%-16s %5s %10s %10s %10s %10s\n", "POOL", "ID", "RESV/MB",
	       "LIMIT/MB", "USED/MB", "UNRES/MB");
	for (i = 0; i < np; i++)
		printf("%-16s %5u %10s %10s %10s %10s\n", p[i].name, p[i].id,
		       cli_mb(p[i].res), cli_mb(p[i].limit), cli_mb(p[i].used),
		       cli_mb(p[i].unreserved));
	printf("\n%5s %-16s %-12s %8s %8s %8s %8s %8s %8s\n", "ID", "NAME",
	       "POOL", "MEMSZ", "GRANT", "CNSM", "SHRD", "ZERO", "SWCUR");
	for (i = 0; i < nv; i++)
		printf("%5u %-16s %-12s %8s %8s %8s %8s %8s %8s\n", v[i].id,
		       v[i].name[0] ? v[i].name : "-", v[i].pool_name,
		       cli_mb(v[i].configured), cli_mb(v[i].granted),
		       cli_mb(v[i].consumed), cli_mb(v[i].shared),
		       cli_mb(v[i].zero), cli_mb(v[i].swapped));
}

static int stats_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vmem_pool_info *p = NULL;
	struct vmem_vm_info *v = NULL;
	struct vmem_host_info h;
	struct vmem_nl *nl;
	size_t np = 0, nv = 0;
	int c, r, json = 0;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			stats_usage(stdout);
			return VMEM_EXIT_OK;
		default:
			stats_usage(stderr);
			return VMEM_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cmd_err(&cmd_stats, "unexpected argument '%s'", argv[optind]);
		stats_usage(stderr);
		return VMEM_EXIT_USAGE;
	}
	if (cli_nl_open(&cmd_stats, &nl))
		return VMEM_EXIT_ERROR;
	r = vmem_nl_stats(nl, &h);
	if (!r)
		r = vmem_nl_pool_list(nl, &p, &np);
	if (!r)
		r = vmem_nl_vm_list(nl, &v, &nv);
	if (r) {
		r = cli_nl_fail(&cmd_stats, nl, r, "stats");
	} else {
		if (json)
			stats_json(&h, p, np, v, nv);
		else
			stats_text(&h, p, np, v, nv);
		r = VMEM_EXIT_OK;
	}
	free(p);
	free(v);
	vmem_nl_close(nl);
	return r;
}

const struct vmem_cmd cmd_stats = {
	.name = "stats",
	.summary = "memory statistics of the host, pools and VMs (--json)",
	.run = stats_run,
	.usage = stats_usage,
};
