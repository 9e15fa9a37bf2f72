// SPDX-License-Identifier: GPL-2.0
/*
 * nl_cli.c - helpers of the netlink subcommands (see nl_cli.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nl_cli.h"

int cli_nl_open(const struct vmem_cmd *cmd, struct vmem_nl **nl)
{
	int r = vmem_nl_open(nl);

	if (!r)
		return 0;
	if (r == -ENOENT)
		cmd_err(cmd, "no \"%s\" netlink family (is the vmem module loaded?)",
			VMEM_GENL_NAME);
	else
		cmd_err(cmd, "netlink: %s", strerror(-r));
	return VMEM_EXIT_ERROR;
}

int cli_parse_size(const struct vmem_cmd *cmd, const char *what,
		   const char *arg, int unlimited_ok, uint64_t *pages)
{
	unsigned long long v;
	char *end;
	uint64_t kib;

	if (unlimited_ok && (!strcmp(arg, "unlimited") || !strcmp(arg, "-1"))) {
		*pages = VMEM_UNLIMITED;
		return 0;
	}
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || arg[0] == '-')
		goto bad;
	switch (*end) {
	case 'K': case 'k': kib = v; end++; break;
	case 'G': case 'g': kib = v << 20; end++; break;
	case 'T': case 't': kib = v << 30; end++; break;
	case 'M': case 'm': end++; /* fall through */
	case 0:		    kib = v << 10; break;
	default:	    goto bad;
	}
	if (*end == 'i' || *end == 'B')
		end += *end == 'i' ? (end[1] == 'B' ? 2 : 1) : 1;
	if (*end || kib >> 54 || kib % 4)
		goto bad;
	*pages = kib / 4;
	return 0;
bad:
	cmd_err(cmd, "bad %s '%s' (a size like 512M, 2G, or MiB%s)", what, arg,
		unlimited_ok ? ", or unlimited" : "");
	return -1;
}

int cli_parse_shares(const struct vmem_cmd *cmd, const char *arg,
		     uint32_t *level, uint32_t *shares)
{
	unsigned long v;
	char *end;

	*level = vmem_shares_level(arg);
	*shares = 0;
	if (*level && *level != VMEM_SHARES_CUSTOM)
		return 0;
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || !v || v > UINT32_MAX ||
	    arg[0] == '-') {
		cmd_err(cmd, "bad shares '%s' (low, normal, high or a number)",
			arg);
		return -1;
	}
	*level = VMEM_SHARES_CUSTOM;
	*shares = v;
	return 0;
}

const char *cli_mb(uint64_t pages)
{
	static char bufs[8][24];
	static unsigned int i;
	char *b = bufs[i++ % 8];

	if (pages == VMEM_UNLIMITED)
		return "unlimited";
	snprintf(b, sizeof(bufs[0]), "%" PRIu64, pages / 256);
	return b;
}

int cli_nl_fail(const struct vmem_cmd *cmd, struct vmem_nl *nl, int err,
		const char *what)
{
	const struct vmem_refusal_info *ref = vmem_nl_refusal(nl);

	if (ref && (err == -ENOSPC || err == -EDQUOT)) {
		if (ref->why == VMEM_REFUSED_LIMIT)
			cmd_err(cmd, "%s: admission refused: pool '%s' would pass its limit by %.1f MiB",
				what, ref->pool_name, ref->need / 256.0);
		else
			cmd_err(cmd, "%s: admission refused: pool '%s' lacks %.1f MiB of unreserved memory",
				what, ref->pool_name, ref->need / 256.0);
		return VMEM_EXIT_ERROR;
	}
	switch (err) {
	case -EPERM:
		cmd_err(cmd, "%s: permission denied (changes need CAP_NET_ADMIN)",
			what);
		break;
	case -ENOENT:
		cmd_err(cmd, "%s: no such pool or VM", what);
		break;
	case -EEXIST:
		cmd_err(cmd, "%s: a pool of that name exists", what);
		break;
	case -EBUSY:
		cmd_err(cmd, "%s: in use (the pool has VMs or pools, or they hold more than that)",
			what);
		break;
	case -EINVAL:
		cmd_err(cmd, "%s: invalid (limit below reservation, reservation above the VM's memory, a pool moved into itself, a root change, or a bad name)",
			what);
		break;
	default:
		cmd_err(cmd, "%s: %s", what, strerror(-err));
	}
	return VMEM_EXIT_ERROR;
}
