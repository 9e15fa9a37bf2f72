/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmd.h - subcommands of the vmem tool.
 *
 * Each subcommand is one file, cmd_<name>.c, defining a struct vmem_cmd
 * named cmd_<name>; main.c lists them in its table.  run() gets argv with
 * argv[0] set to "vmem <name>" (so getopt messages name the command) and
 * returns an exit code.  Conventions: --help/-h prints usage() to stdout
 * and exits 0; bad usage prints to stderr and returns VMEM_EXIT_USAGE;
 * errors go to stderr as "vmem <name>: ..." with VMEM_EXIT_ERROR.
 */
#ifndef VMEM_CMD_H
#define VMEM_CMD_H

#include <stdio.h>

#define VMEM_TOOL_VERSION	"0.1.0"

#define VMEM_EXIT_OK		0
#define VMEM_EXIT_ERROR		1
#define VMEM_EXIT_USAGE		2

struct vmem_cmd {
	const char *name;
	const char *summary;			/* one line, for "vmem --help" */
	int (*run)(int argc, char **argv);
	void (*usage)(FILE *out);
};

extern const struct vmem_cmd cmd_info;
extern const struct vmem_cmd cmd_run;
extern const struct vmem_cmd cmd_version;

/*
 * For commands that take only --help: parses argv, prints usage or an
 * error.  Returns -1 to go on, or the exit code to return.
 */
int cmd_parse_no_args(int argc, char **argv, const struct vmem_cmd *cmd);

/* "vmem <cmd>: <message>\n" on stderr. */
void cmd_err(const struct vmem_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* VMEM_CMD_H */
