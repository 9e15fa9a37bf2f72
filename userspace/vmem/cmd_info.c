// SPDX-License-Identifier: GPL-2.0
/*
 * vmem info - what the vmem module offers on this host.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cmd.h"
#include "libvmem.h"

static void info_usage(FILE *out)
{
	fprintf(out,
		"usage: vmem info [--device PATH] [--help]\n"
		"\n"
		"Show the API version, backend, MMU modes, limits and CPUs of the\n"
		"vmem module.\n"
		"\n"
		"Options:\n"
		"  -d, --device PATH   the vmem device (default " VMEM_DEVICE ")\n"
		"  -h, --help          show this help\n");
}

/* A capability, or a message and -1 when the ioctl failed. */
static long cap(int fd, unsigned int nr, const char *what)
{
	int ret = vmem_check_extension(fd, nr);

	if (ret < 0) {
		cmd_err(&cmd_info, "CHECK_EXTENSION(%s): %s", what,
			strerror(-ret));
		return -1;
	}
	return ret;
}

static int info_show(int fd, const char *path)
{
	long backend, hw_mmu, shadow_mmu, nr_cpus;
	struct vmem_limits lim;
	int api, ret;

	api = vmem_api_version(fd);
	if (api < 0) {
		cmd_err(&cmd_info, "%s: GET_API_VERSION: %s", path,
			strerror(-api));
		return VMEM_EXIT_ERROR;
	}
	ret = vmem_get_limits(fd, &lim);
	if (ret < 0) {
		cmd_err(&cmd_info, "%s: GET_LIMITS: %s", path, strerror(-ret));
		return VMEM_EXIT_ERROR;
	}
	backend = cap(fd, VMEM_CAP_BACKEND, "BACKEND");
	hw_mmu = cap(fd, VMEM_CAP_HW_MMU, "HW_MMU");
	shadow_mmu = cap(fd, VMEM_CAP_SHADOW_MMU, "SHADOW_MMU");
	nr_cpus = cap(fd, VMEM_CAP_NR_CPUS, "NR_CPUS");
	if (backend < 0 || hw_mmu < 0 || shadow_mmu < 0 || nr_cpus < 0)
		return VMEM_EXIT_ERROR;

	printf("device:         %s\n", path);
	printf("api version:    %d\n", api);
	printf("backend:        %s (%s)\n", vmem_backend_name(backend),
	       vmem_backend_desc(backend));
	if (hw_mmu)
		printf("hw mmu:         yes (%s)\n",
		       vmem_backend_hw_mmu_name(backend));
	else
		printf("hw mmu:         no\n");
	printf("shadow mmu:     %s\n", shadow_mmu ? "yes" : "no");
	printf("max vms:        %u\n", lim.max_vms);
	printf("max vcpus:      %u per VM\n", lim.max_vcpus);
	printf("max memslots:   %u per VM\n", lim.max_memslots);
	printf("max memory:     %llu MiB per VM\n",
	       (unsigned long long)lim.max_mem_bytes >> 20);
	printf("max gpa bits:   %u\n", lim.max_gpa_bits);
	printf("cpus:           %ld\n", nr_cpus);
	if (api != VMEM_API_VERSION)
		cmd_err(&cmd_info, "warning: module API %d, tool built for %d",
			api, VMEM_API_VERSION);
	return VMEM_EXIT_OK;
}

static int info_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = VMEM_DEVICE;
	int c, fd, ret;

	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			path = optarg;
			break;
		case 'h':
			info_usage(stdout);
			return VMEM_EXIT_OK;
		default:
			info_usage(stderr);
			return VMEM_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cmd_err(&cmd_info, "unexpected argument '%s'", argv[optind]);
		info_usage(stderr);
		return VMEM_EXIT_USAGE;
	}

	fd = vmem_open_path(path);
	if (fd < 0) {
		cmd_err(&cmd_info, "%s: %s%s", path, strerror(-fd),
			fd == -ENOENT ? " (is the vmem module loaded?)" : "");
		return VMEM_EXIT_ERROR;
	}
	ret = info_show(fd, path);
	vmem_close(fd);
	return ret;
}

const struct vmem_cmd cmd_info = {
	.name = "info",
	.summary = "show what the vmem module offers on this host",
	.run = info_run,
	.usage = info_usage,
};
