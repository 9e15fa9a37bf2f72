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
 * "512M", "2G", "1024" (MiB), "4096K" into pages; "unlimited" (if
 * @unlimited_ok) into VMEM_UNLIMITED.  0, or -1 after a message.
 */
int cli_parse_size(const struct vmem_cmd *cmd, const char *what,
		   const char *arg, int unlimited_ok, uint64_t *pages);
/* "low", "normal", "high" or a number (custom). 0 or -1. */
int cli_parse_shares(const struct vmem_cmd *cmd, const char *arg,
		     uint32_t *level, uint32_t *shares);

/* Pages as MiB ("1024", "unlimited"), in a static rotating buffer. */
const char *cli_mb(uint64_t pages);

/*
 * Report a failed request on stderr: the refusal (which pool lacked how
 * much), or a hint for EPERM/ENOENT/EBUSY..., else strerror.  Returns
 * VMEM_EXIT_ERROR.
 */
int cli_nl_fail(const struct vmem_cmd *cmd, struct vmem_nl *nl, int err,
		const char *what);

#endif /* VMEM_NL_CLI_H */
