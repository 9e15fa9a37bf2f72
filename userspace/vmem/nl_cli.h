/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nl_cli.h - what the netlink subcommands (pool, vm, stats, top) share:
 * opening the family, sizes on the command line, and error messages.
 */
#ifndef VMEM_NL_CLI_H
#define VMEM_NL_CLI_H

#include <stdint.h>

#include "cmd.h"
#include "vmem_nl.h"

extern const struct vmem_cmd cmd_pool;
extern const struct vmem_cmd cmd_vm;
extern const struct vmem_cmd cmd_stats;
extern const struct vmem_cmd cmd_top;
extern const struct vmem_cmd cmd_tunable;

/* Open the family or say why not; 0 or VMEM_EXIT_ERROR. */
int cli_nl_open(const struct vmem_cmd *cmd, struct vmem_nl **nl);

/*
 * "512M", "1.5G", "1024" (MiB), "4096K" into pages (parse.h's rule); "unlimited" (if
 * @unlimited_ok) into VMEM_UNLIMITED.  0, or -1 after a message.
 */
int cli_parse_size(const struct vmem_cmd *cmd, const char *what,
		   const char *arg, int unlimited_ok, uint64_t *pages);
/*
 * A pool name the kernel accepts: 1 to VMEM_NAME_MAX - 1 of
 * [A-Za-z0-9._:-] (the rule of kmod/pool.c).  0, or -1 after a message
 * that states the rule; @what names the argument ("pool name", "--pool").
 */
int cli_check_pool_name(const struct vmem_cmd *cmd, const char *what,
			const char *name);
/* "low", "normal", "high" or a number (custom). 0 or -1. */
int cli_parse_shares(const struct vmem_cmd *cmd, const char *arg,
		     uint32_t *level, uint32_t *shares);

/*
 * Pages as MiB ("1024", "unlimited").  The text lives in the returned
 * value, so any number of cli_mb() in one printf are all right:
 * cli_mb(p) is a temporary's array, valid to the end of the statement.
 */
struct cli_mb_str {
	char s[24];
};
struct cli_mb_str cli_mb_fmt(uint64_t pages);
#define cli_mb(pages)	(cli_mb_fmt(pages).s)

/*
 * Report a failed request on stderr: the refusal (which pool lacked how
 * much), or a hint for EPERM/ENOENT/EBUSY..., else strerror.  Returns
 * VMEM_EXIT_ERROR.
 */
int cli_nl_fail(const struct vmem_cmd *cmd, struct vmem_nl *nl, int err,
		const char *what);

#endif /* VMEM_NL_CLI_H */
