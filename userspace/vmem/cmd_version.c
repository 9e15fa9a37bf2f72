// SPDX-License-Identifier: GPL-2.0
/*
 * vmem version - the tool's version and the API it was built for.
 * Needs no device: "vmem info" shows what the loaded module answers.
 */
#include <linux/vmem.h>

#include "cmd.h"

static void version_usage(FILE *out)
{
	fprintf(out,
		"usage: vmem version [--help]\n"
		"\n"
		"Print the version of the vmem tool and the vmem API version it\n"
		"was built against.\n");
}

static int version_run(int argc, char **argv)
{
	int ret = cmd_parse_no_args(argc, argv, &cmd_version);

	if (ret >= 0)
		return ret;
	printf("vmem %s (API %d)\n", VMEM_TOOL_VERSION, VMEM_API_VERSION);
	return VMEM_EXIT_OK;
}

const struct vmem_cmd cmd_version = {
	.name = "version",
	.summary = "print the tool and API versions",
	.run = version_run,
	.usage = version_usage,
};
