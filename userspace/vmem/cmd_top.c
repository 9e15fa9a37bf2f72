// SPDX-License-Identifier: GPL-2.0
/*
 * vmem top - a live memory screen in the manner of esxtop's "m" view:
 * the host lines (with PSHARE/MB: shared, common, saving) and one line
 * per VM with MEMSZ GRANT CNSM SHRD ZERO SWCUR and its pool figures.
 * curses on a terminal; --batch prints plain screens (for logs, tests).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "nl_cli.h"

static void top_usage(FILE *out)
{
	fprintf(out,
		"usage: vmem top [--delay SECS] [--iterations N] [--batch]\n"
		"\n"
		"A live memory screen, like esxtop's memory view (figures in MiB):\n"
		"  MEMSZ configured, GRANT granted, CNSM consumed, SHRD shared,\n"
		"  ZERO zero pages, SWCUR swapped, RESV reservation, LIMIT limit,\n"
		"  OVHD overhead; and the host line PSHARE/MB: shared, common,\n"
		"  saving.  LIMIT '-' is unlimited.  Keys: q quits.  Readable by\n"
		"  every user.  The table fits 80 columns.\n"
		"\n"
		"Options:\n"
		"  -d, --delay SECS      seconds between updates, 1 to 1000000\n"
		"                        (default 2)\n"
		"  -n, --iterations N    stop after N updates; 0, the default,\n"
		"                        runs until q (or a signal in batch mode)\n"
		"  -b, --batch           plain text to stdout instead of curses;\n"
		"                        also when stdout is not a terminal or the\n"
		"                        terminal has no terminfo entry\n"
		"  -h, --help            show this help\n");
}

/* One screen into @out (a curses window's printw, or stdout). */
struct screen {
	int (*line)(struct screen *s, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
};

static int line_stdout(struct screen *s, const char *fmt, ...)
{
	va_list ap;

	(void)s;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	return putchar('\n');
}

static int line_curses(struct screen *s, const char *fmt, ...)
{
	va_list ap;

	(void)s;
	va_start(ap, fmt);
	vw_printw(stdscr, fmt, ap);
	va_end(ap);
	return addch('\n');
}

static int top_draw(struct vmem_nl *nl, struct screen *s)
{
	struct vmem_vm_info *v = NULL;
	struct vmem_host_info h;
	time_t now = time(NULL);
	char when[32];
	size_t i, nv;
	int r;

	r = vmem_nl_stats(nl, &h);
	if (!r)
		r = vmem_nl_vm_list(nl, &v, &nv);
	if (r)
		return r;
	strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
	s->line(s, "%s  vmem memory: %u VMs", when, h.nr_vms);
	s->line(s, "PMEM  /MB: %8s total, %8s free", cli_mb(h.total),
		cli_mb(h.free));
	s->line(s, "VMKMEM/MB: %8s reservable, %8s reserved, %8s unreserved",
		cli_mb(h.res), cli_mb(h.used),
		cli_mb(h.res > h.used ? h.res - h.used : 0));
	s->line(s, "PSHARE/MB: %8s shared, %8s common: %8s saving",
		cli_mb(h.shared), cli_mb(h.shared_common), cli_mb(h.saving));
	s->line(s, "SWAP  /MB: %8s curr", cli_mb(h.swapped));
	s->line(s, "%s", "");
	/* 76 columns: an 80-column terminal does not wrap it. */
	s->line(s, "%4s %-9s %-7s %5s %5s %5s %5s %5s %5s %5s %5s %5s",
		"ID", "NAME", "POOL", "MEMSZ", "GRANT", "CNSM", "SHRD", "ZERO",
		"SWCUR", "RESV", "LIMIT", "OVHD");
	for (i = 0; i < nv; i++)
		s->line(s, "%4u %-9.9s %-7.7s %5s %5s %5s %5s %5s %5s %5s %5s %5s",
			v[i].id, v[i].name[0] ? v[i].name : "-",
			v[i].pool_name, cli_mb(v[i].configured),
			cli_mb(v[i].granted), cli_mb(v[i].consumed),
			cli_mb(v[i].shared), cli_mb(v[i].zero),
			cli_mb(v[i].swapped), cli_mb(v[i].res),
			v[i].limit == VMEM_UNLIMITED ? "-" : cli_mb(v[i].limit),
			cli_mb(v[i].overhead));
	free(v);
	return 0;
}

static int top_parse_uint(const char *what, const char *arg, unsigned long min,
			  unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || *v > 1000000 ||
	    (*v < min)) {
		cmd_err(&cmd_top, "bad %s '%s' (%lu to 1000000)", what, arg, min);
		return -1;
	}
	return 0;
}

static int top_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "batch", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long delay = 2, iters = 0, i;
	SCREEN *scr = NULL;
	struct screen s;
	struct vmem_nl *nl;
	int c, r = 0, batch = 0;

	while ((c = getopt_long(argc, argv, "d:n:bh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (top_parse_uint("delay", optarg, 1, &delay))
				return VMEM_EXIT_USAGE;
			break;
		case 'n':
			if (top_parse_uint("iterations", optarg, 0, &iters))
				return VMEM_EXIT_USAGE;
			break;
		case 'b':
			batch = 1;
			break;
		case 'h':
			top_usage(stdout);
			return VMEM_EXIT_OK;
		default:
			top_usage(stderr);
			return VMEM_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cmd_err(&cmd_top, "unexpected argument '%s'", argv[optind]);
		top_usage(stderr);
		return VMEM_EXIT_USAGE;
	}
	if (!batch && !isatty(STDOUT_FILENO))
		batch = 1;
	if (cli_nl_open(&cmd_top, &nl))
		return VMEM_EXIT_ERROR;
	/*
	 * newterm(), not initscr(): initscr() exits when the terminal has no
	 * terminfo entry, where the plain screens still work.
	 */
	if (!batch) {
		scr = newterm(NULL, stdout, stdin);
		if (!scr) {
			cmd_err(&cmd_top, "no terminfo entry for TERM '%s': plain screens",
				getenv("TERM") ? getenv("TERM") : "");
			batch = 1;
		}
	}

	if (batch) {
		s.line = line_stdout;
		for (i = 0; !iters || i < iters; i++) {
			if (i)
				sleep(delay);
			r = top_draw(nl, &s);
			if (r)
				break;
			putchar('\n');
			fflush(stdout);
		}
	} else {
		s.line = line_curses;
		cbreak();
		noecho();
		timeout(delay * 1000);
		for (i = 0; !iters || i < iters; i++) {
			erase();
			r = top_draw(nl, &s);
			if (r)
				break;
			refresh();
			if (getch() == 'q')
				break;
		}
		endwin();
		delscreen(scr);
	}
	if (r)
		r = cli_nl_fail(&cmd_top, nl, r, "top");
	vmem_nl_close(nl);
	return r;
}

const struct vmem_cmd cmd_top = {
	.name = "top",
	.summary = "live memory screen (esxtop-like): VMs, sharing, swap",
	.run = top_run,
	.usage = top_usage,
};
