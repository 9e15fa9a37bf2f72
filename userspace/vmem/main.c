// SPDX-License-Identifier: GPL-2.0
/*
 * vmem - control the vmem hypervisor.
 *
 *	vmem [--help] [--version] <command> [<args>]
 *
 * The subcommands are in cmd_<name>.c; to add one, write that file and
 * list it in commands[] below.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "nl_cli.h"

static const struct vmem_cmd *const commands[] = {
	&cmd_info,
	&cmd_pool,
	&cmd_run,
	&cmd_stats,
	&cmd_top,
	&cmd_tunable,
	&cmd_version,
	&cmd_vm,
};

#define NR_COMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"usage: vmem [--help] [--version] <command> [<args>]\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name,
			commands[i]->summary);
	fprintf(out, "  %-10s %s\n", "help", "show the help of a command");
	fprintf(out,
		"\n"
		"Run 'vmem <command> --help' for the options of a command.\n");
}

static const struct vmem_cmd *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

void cmd_err(const struct vmem_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vmem %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cmd_parse_no_args(int argc, char **argv, const struct vmem_cmd *cmd)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			cmd->usage(stdout);
			return VMEM_EXIT_OK;
		default:
			cmd->usage(stderr);
			return VMEM_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cmd_err(cmd, "unexpected argument '%s'", argv[optind]);
		cmd->usage(stderr);
		return VMEM_EXIT_USAGE;
	}
	return -1;
}

/* vmem help [<command>] */
static int run_help(int argc, char **argv)
{
	const struct vmem_cmd *cmd;

	if (argc < 2) {
		usage(stdout);
		return VMEM_EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "vmem help: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return VMEM_EXIT_USAGE;
	}
	cmd->usage(stdout);
	return VMEM_EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct vmem_cmd *cmd;
	char prog[64];
	const char *name;

	if (argc < 2) {
		usage(stderr);
		return VMEM_EXIT_USAGE;
	}
	name = argv[1];
	if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
		usage(stdout);
		return VMEM_EXIT_OK;
	}
	if (!strcmp(name, "-V") || !strcmp(name, "--version"))
		name = "version";
	if (!strcmp(name, "help"))
		return run_help(argc - 1, argv + 1);
	if (name[0] == '-') {
		fprintf(stderr, "vmem: unknown option '%s'\n", name);
		usage(stderr);
		return VMEM_EXIT_USAGE;
	}
	cmd = find_command(name);
	if (!cmd) {
		fprintf(stderr, "vmem: unknown command '%s'\n", name);
		usage(stderr);
		return VMEM_EXIT_USAGE;
	}
	snprintf(prog, sizeof(prog), "vmem %s", cmd->name);
	argv[1] = prog;
	optind = 1;
	return cmd->run(argc - 1, argv + 1);
}
