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
#include "parse.h"

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
	uint64_t bytes;

	if (unlimited_ok && (!strcmp(arg, "unlimited") || !strcmp(arg, "-1"))) {
		*pages = VMEM_UNLIMITED;
		return 0;
	}
	/* One rule with vmem run --memory: parse.h. */
	if (parse_size_bytes(arg, &bytes) || bytes % 4096 ||
	    bytes / 4096 >= VMEM_UNLIMITED)
		goto bad;
	*pages = bytes / 4096;
	return 0;
bad:
	cmd_err(cmd, "bad %s '%s' (a size in whole 4 KiB pages like 512M, 1.5G, or MiB%s)",
		what, arg, unlimited_ok ? ", or unlimited" : "");
	return -1;
}

int cli_check_pool_name(const struct vmem_cmd *cmd, const char *what,
			const char *name)
{
	size_t n = strlen(name);

	if (n && n < VMEM_NAME_MAX &&
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "abcdefghijklmnopqrstuvwxyz0123456789._:-") == n)
		return 0;
	cmd_err(cmd, "bad %s '%s' (1 to %d of A-Z a-z 0-9 . _ : -)", what,
		name, VMEM_NAME_MAX - 1);
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

struct cli_mb_str cli_mb_fmt(uint64_t pages)
{
	struct cli_mb_str r;

	if (pages == VMEM_UNLIMITED)
		snprintf(r.s, sizeof(r.s), "unlimited");
	else
		snprintf(r.s, sizeof(r.s), "%" PRIu64, pages / 256);
	return r;
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
