// SPDX-License-Identifier: GPL-2.0
/*
 * vmem run - boot a guest: a Linux bzImage (with initrd and command line)
 * or a flat binary, on a virtual PC with a 16550A console on stdio, 8259
 * PICs, an 8254 PIT, a CMOS clock and minimal ACPI.  The machine lives in
 * ../run/; this file is the command line.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "machine.h"
#include "parse.h"
#include "run_res.h"

#define DEFAULT_CMDLINE	"console=ttyS0"

static void run_usage(FILE *out)
{
	fprintf(out,
"usage: vmem run --kernel BZIMAGE [--initrd FILE] [--cmdline STR]\n"
"                --memory SIZE [options]\n"
"       vmem run --flat FILE --load-addr ADDR --entry ADDR --memory SIZE\n"
"                [options]\n"
"\n"
"Boot a guest on a small virtual PC: one vCPU, a 16550A UART on stdin and\n"
"stdout (COM1, IRQ 4), 8259 PICs, an 8254 PIT, a CMOS clock, ACPI power\n"
"off/reset and pvpanic.  Ctrl-C (SIGINT) or SIGTERM stops the guest.\n"
"\n"
"Guest:\n"
"  -k, --kernel FILE      a Linux bzImage (x86 boot protocol 2.06 or later)\n"
"  -i, --initrd FILE      an initramfs/initrd for the kernel\n"
"  -c, --cmdline STR      kernel command line (default \"" DEFAULT_CMDLINE "\")\n"
"  -f, --flat FILE        a raw binary instead of a kernel, loaded at\n"
"      --load-addr ADDR   this guest-physical address and entered at\n"
"      --entry ADDR       this address (flat segments, RSP 0x%llx)\n"
"  -b, --boot-mode MODE   32 or 64: protected or long mode entry (default:\n"
"                         64 when the kernel has a 64-bit entry, and for\n"
"                         flat images)\n"
"  -m, --memory SIZE      guest RAM, e.g. 256M, 1.5G, 256 (MiB) (required)\n"
"  -n, --name NAME        the VM's name: in messages and in 'vmem vm ls'\n"
"                         (1-31 of A-Z a-z 0-9 . _ : -)\n"
"\n"
"Resources (vmem backend; sizes like 512M, 1.5G, or MiB; see 'vmem vm'):\n"
"      --pool NAME        start the VM in this resource pool (default root)\n"
"      --reservation SIZE memory guaranteed to the VM (default 0); refused,\n"
"                         before the guest runs, if the pool cannot admit it\n"
"      --limit SIZE|unlimited  most the VM may consume (default unlimited)\n"
"      --shares S         low, normal (default), high or a number\n"
"      --pshare on|off    transparent page sharing (default on)\n"
"      --salt N           share pages only with VMs of the same salt\n"
"                         (default: a random salt, sharing within the VM)\n"
"      --swap-file PATH   vmem's hypervisor-swap file for the VM, created\n"
"                         (mode 0600) if missing; a regular file\n"
"\n"
"Hypervisor:\n"
"      --backend NAME     vmem (default) or kvm: the same machine on the\n"
"                         distribution's KVM, for comparisons\n"
"      --mmu MODE         auto (default), hw (NPT/EPT) or shadow (vmem)\n"
"\n"
"Behaviour and reports:\n"
"      --reboot-status N  exit status when the guest resets (default 0)\n"
"      --tsc-khz N|auto|off  append tsc_early_khz=N to a Linux command\n"
"                         line that has none (auto, the default: the\n"
"                         host TSC's measured rate; this machine gives\n"
"                         Linux nothing else to calibrate the TSC with)\n"
"      --time-line TEXT   report when the first console line containing\n"
"                         TEXT appears, in seconds from launch\n"
"      --stats            at the end, print exit counts and the VM's\n"
"                         memory statistics\n"
"  -v, --verbose          log unhandled ports, MSRs and MMIO (once each)\n"
"  -h, --help             show this help\n"
"\n"
"Each option may be given once (a repeat is bad usage, status 2).\n"
"\n"
"Exit status: 0 the guest powered off; N from --reboot-status when it\n"
"reset; 1 an error (bad input, hypervisor, an admission refusal); 2 bad\n"
"usage; 3 the guest kernel panicked (pvpanic); 4 the guest\n"
"triple-faulted; 5 the guest halted with interrupts off (for good);\n"
"128+N stopped by signal N.\n"
"See Documentation/launcher.rst.\n",
		(unsigned long long)BOOT_STACK_TOP);
}

enum {
	OPT_LOAD_ADDR = 256, OPT_ENTRY, OPT_BACKEND, OPT_MMU,
	OPT_REBOOT_STATUS, OPT_TIME_LINE, OPT_STATS, OPT_TSC_KHZ,
};

static void usage_hint(void)
{
	fprintf(stderr, "Run 'vmem run --help' for the options.\n");
}

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "vmem run: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	usage_hint();
	return VMEM_EXIT_USAGE;
}

/* "--name" of option @val in @opts, for messages. */
static const char *opt_name(const struct option *opts, int val)
{
	static char buf[32];

	for (; opts->name; opts++)
		if (opts->val == val) {
			snprintf(buf, sizeof(buf), "--%s", opts->name);
			return buf;
		}
	return "an option";
}

static int parse_args(int argc, char **argv, struct run_config *cfg,
		      struct run_res *res)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "flat", required_argument, NULL, 'f' },
		{ "load-addr", required_argument, NULL, OPT_LOAD_ADDR },
		{ "entry", required_argument, NULL, OPT_ENTRY },
		{ "boot-mode", required_argument, NULL, 'b' },
		{ "memory", required_argument, NULL, 'm' },
		{ "name", required_argument, NULL, 'n' },
		{ "backend", required_argument, NULL, OPT_BACKEND },
		{ "mmu", required_argument, NULL, OPT_MMU },
		{ "reboot-status", required_argument, NULL, OPT_REBOOT_STATUS },
		{ "time-line", required_argument, NULL, OPT_TIME_LINE },
		{ "tsc-khz", required_argument, NULL, OPT_TSC_KHZ },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "pool", required_argument, NULL, RUN_RES_OPT_POOL },
		{ "reservation", required_argument, NULL,
		  RUN_RES_OPT_RESERVATION },
		{ "limit", required_argument, NULL, RUN_RES_OPT_LIMIT },
		{ "shares", required_argument, NULL, RUN_RES_OPT_SHARES },
		{ "pshare", required_argument, NULL, RUN_RES_OPT_PSHARE },
		{ "salt", required_argument, NULL, RUN_RES_OPT_SALT },
		{ "swap-file", required_argument, NULL, RUN_RES_OPT_SWAP_FILE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* Every option may be given once: a repeat is bad usage, whichever. */
	bool seen[RUN_RES_OPT_SWAP_FILE + 1] = { false };
	const char *memory_arg = NULL;
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "k:i:c:f:b:m:n:vh", opts,
				NULL)) != -1) {
		if (c > 0 && c < (int)(sizeof(seen) / sizeof(seen[0])) &&
		    c != 'h') {
			if (seen[c])
				return bad("%s given twice", opt_name(opts, c));
			seen[c] = true;
		}
		switch (c) {
		case 'k': cfg->kernel = optarg; break;
		case 'i': cfg->initrd = optarg; break;
		case 'c': cfg->cmdline = optarg; break;
		case 'f': cfg->flat = optarg; break;
		case 'n': cfg->name = optarg; break;
		case 'v': cfg->verbose = true; break;
		case OPT_STATS: cfg->stats = true; break;
		case OPT_TIME_LINE: cfg->time_line = optarg; break;
		case OPT_LOAD_ADDR:
			if (parse_u64(optarg, &cfg->load_addr))
				return bad("bad --load-addr '%s'", optarg);
			cfg->have_load_addr = true;
			break;
		case OPT_ENTRY:
			if (parse_u64(optarg, &cfg->entry))
				return bad("bad --entry '%s'", optarg);
			cfg->have_entry = true;
			break;
		case 'b':
			if (!strcmp(optarg, "32"))
				cfg->mode = BOOT_MODE_32;
			else if (!strcmp(optarg, "64"))
				cfg->mode = BOOT_MODE_64;
			else
				return bad("bad --boot-mode '%s' (32 or 64)",
					   optarg);
			break;
		case 'm':
			memory_arg = optarg;
			if (parse_size(optarg, &cfg->memory))
				return bad("bad --memory '%s' (e.g. 256M, 1.5G, or a number of MiB)",
					   optarg);
			break;
		case OPT_BACKEND:
			if (vmm_backend_parse(optarg, &cfg->backend))
				return bad("bad --backend '%s' (vmem or kvm)",
					   optarg);
			break;
		case OPT_MMU:
			if (!strcmp(optarg, "auto"))
				cfg->vm_flags = VMEM_VM_MMU_AUTO;
			else if (!strcmp(optarg, "hw"))
				cfg->vm_flags = VMEM_VM_MMU_HW;
			else if (!strcmp(optarg, "shadow"))
				cfg->vm_flags = VMEM_VM_MMU_SHADOW;
			else
				return bad("bad --mmu '%s' (auto, hw, shadow)",
					   optarg);
			break;
		case OPT_REBOOT_STATUS:
			if (parse_u64(optarg, &v) || v > 255)
				return bad("bad --reboot-status '%s' (0-255)",
					   optarg);
			cfg->reboot_status = (int)v;
			break;
		case OPT_TSC_KHZ:
			if (!strcmp(optarg, "auto"))
				cfg->tsc_khz = -1;
			else if (!strcmp(optarg, "off"))
				cfg->tsc_khz = 0;
			else if (parse_u64(optarg, &v) || !v || v > 100000000)
				return bad("bad --tsc-khz '%s' (kHz, auto, off)",
					   optarg);
			else
				cfg->tsc_khz = (long long)v;
			break;
		case RUN_RES_OPT_POOL:
		case RUN_RES_OPT_RESERVATION:
		case RUN_RES_OPT_LIMIT:
		case RUN_RES_OPT_SHARES:
		case RUN_RES_OPT_PSHARE:
		case RUN_RES_OPT_SALT:
		case RUN_RES_OPT_SWAP_FILE:
			if (run_res_parse(res, c, optarg)) {
				usage_hint();
				return VMEM_EXIT_USAGE;
			}
			break;
		case 'h':
			run_usage(stdout);
			return VMEM_EXIT_OK;
		default:	/* getopt said what was wrong */
			usage_hint();
			return VMEM_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return bad("unexpected argument '%s'", argv[optind]);
	if (!cfg->kernel == !cfg->flat)
		return bad("%sgive either --kernel or --flat",
			   cfg->kernel ? "both --kernel and --flat: " : "");
	if (cfg->flat && (cfg->initrd || cfg->cmdline))
		return bad("%s--initrd and --cmdline go with --kernel", "");
	if (cfg->flat && (!cfg->have_load_addr || !cfg->have_entry))
		return bad("%s--flat needs --load-addr and --entry", "");
	if (cfg->kernel && (cfg->have_load_addr || cfg->have_entry))
		return bad("%s--load-addr and --entry go with --flat", "");
	if (!cfg->memory)
		return bad("%s--memory is required (e.g. --memory 256M)", "");
	if (cfg->memory < BOOT_MIN_MEM || cfg->memory & 0xfff)
		return bad("bad --memory '%s': at least 2M, in whole 4 KiB pages",
			   memory_arg);
	if (cfg->backend == VMM_BACKEND_KVM && cfg->vm_flags)
		return bad("%s--mmu is for the vmem backend", "");
	res->name = cfg->name;
	if (run_res_check(res, cfg->memory,
			  cfg->backend == VMM_BACKEND_VMEM)) {
		usage_hint();
		return VMEM_EXIT_USAGE;
	}
	if (!cfg->cmdline)
		cfg->cmdline = DEFAULT_CMDLINE;
	return -1;
}

static int run_run(int argc, char **argv)
{
	struct run_config cfg;
	struct run_res res;
	struct machine *m;
	bool started = false;
	int ret;

	memset(&cfg, 0, sizeof(cfg));
	cfg.t0_ns = pit_monotonic_ns();
	cfg.tsc_khz = -1;
	run_res_init(&res);
	ret = parse_args(argc, argv, &cfg, &res);
	if (ret >= 0)
		return ret;
	run_msg_set_name(cfg.name);
	if (cfg.backend == VMM_BACKEND_VMEM) {
		cfg.vm_setup = run_res_apply;
		cfg.vm_setup_arg = &res;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		cmd_err(&cmd_run, "out of memory");
		return VMEM_EXIT_ERROR;
	}
	/* Input first, as with the images: nothing touched on failure. */
	ret = run_res_open_swap(&res) ? RUN_EXIT_ERROR : 0;
	if (!ret)
		ret = machine_create(m, &cfg);
	if (!ret) {
		started = true;
		ret = machine_run(m);
	}
	machine_destroy(m);
	run_res_close(&res, started);
	free(m);
	return ret;
}

const struct vmem_cmd cmd_run = {
	.name = "run",
	.summary = "boot a guest (a Linux bzImage or a flat binary)",
	.run = run_run,
	.usage = run_usage,
};
