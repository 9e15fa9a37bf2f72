// SPDX-License-Identifier: GPL-2.0
/*
 * bench_boot - how long `vmem run` takes to boot Linux: from launch to the
 * guest's first userspace line, and to its power-off, with the same
 * launcher, kernel and initramfs on vmem (--backend vmem) and on the
 * distribution's KVM (--backend kvm, without KVM's in-kernel irqchip, so
 * both sides use the launcher's devices).
 *
 *   bench_boot --driver vmem|kvm [--repeat R] [--only NAME[,NAME...]]
 *              [--list] [--scale S] [--cpu C]
 *
 * The guest is the one of scripts/guest/build.sh, in $VMEM_GUEST_DIR or
 * /guest; the tool is $VMEM_TOOL or /bin/vmem.  Each repetition is a fresh
 * `vmem run`; the median is reported.  --scale and --cpu are accepted for
 * symmetry with the other benchmarks and ignored.
 *
 * Output: a line per boot, then one "@@BENCH" line per workload (format
 * in bench_exits.c): "boot" (launch to first userspace line) and
 * "boot_off" (launch to exit), both one unit per boot, with the exits
 * that reached the VMM during the whole run.
 *
 * Exit status: 0 when every boot powered off, 1 on a failure, 4 when the
 * driver's device, the tool or the guest is absent.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BANNER		"vmem-guest: hello from userspace"
#define MAX_REPEAT	32

struct boot_result {
	double first_line_s;	/* from the launcher's --time-line report */
	double total_s;		/* launch to exit, measured here */
	unsigned long long exits;
	int status;
};

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int read_cmdline(const char *dir, char *buf, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cmdline", dir);
	f = fopen(path, "r");
	if (!f || !fgets(buf, len, f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* One `vmem run`; its stderr (the launcher's reports) is parsed. */
static int boot_once(const char *driver, const char *dir, const char *cmdline,
		     struct boot_result *res)
{
	char kernel[512], initrd[512], errbuf[8192];
	const char *tool = env_or("VMEM_TOOL", "/bin/vmem");
	int errp[2], st, fd;
	size_t n = 0;
	double t0;
	ssize_t r;
	pid_t pid;
	char *p;

	snprintf(kernel, sizeof(kernel), "%s/vmlinuz", dir);
	snprintf(initrd, sizeof(initrd), "%s/initrd.gz", dir);
	if (pipe(errp))
		return -1;
	t0 = now_s();
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);		/* the guest console is not measured */
		dup2(errp[1], 2);
		close(errp[0]);
		execl(tool, "vmem", "run", "--backend", driver, "--kernel",
		      kernel, "--initrd", initrd, "--memory", "256M",
		      "--cmdline", cmdline, "--time-line", BANNER, "--stats",
		      (char *)NULL);
		_exit(127);
	}
	close(errp[1]);
	while (n < sizeof(errbuf) - 1 &&
	       (r = read(errp[0], errbuf + n, sizeof(errbuf) - 1 - n)) > 0)
		n += r;
	errbuf[n] = 0;
	close(errp[0]);
	waitpid(pid, &st, 0);
	res->total_s = now_s() - t0;
	res->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	res->first_line_s = -1;
	res->exits = 0;
	p = strstr(errbuf, "\" after ");
	if (p)
		res->first_line_s = strtod(p + 8, NULL);
	p = strstr(errbuf, " s: ");
	if (p)
		res->exits = strtoull(p + 4, NULL, 10);
	if (res->status || res->first_line_s < 0) {
		fprintf(stderr, "bench_boot: %s: vmem run exited %d:\n%s",
			driver, res->status, errbuf);
		return -1;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool wanted(const char *only, const char *name)
{
	char buf[256], *tok, *save;

	if (!only)
		return true;
	snprintf(buf, sizeof(buf), "%s", only);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, name))
			return true;
	return false;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: bench_boot --driver vmem|kvm [--repeat R] "
		"[--only boot,boot_off] [--list]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "driver", required_argument, NULL, 'd' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "only", required_argument, NULL, 'o' },
		{ "scale", required_argument, NULL, 's' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *driver = NULL, *only = NULL, *dir;
	double first[MAX_REPEAT], total[MAX_REPEAT];
	unsigned long long exits = 0;
	char cmdline[1024];
	int repeat = 3, c, i, ok = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': driver = optarg; break;
		case 'r': repeat = atoi(optarg); break;
		case 'o': only = optarg; break;
		case 's': case 'c': break;
		case 'l':
			printf("boot\nboot_off\n");
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!driver || (strcmp(driver, "vmem") && strcmp(driver, "kvm"))) {
		usage(stderr);
		return 2;
	}
	if (!wanted(only, "boot") && !wanted(only, "boot_off"))
		return 0;
	if (repeat < 1)
		repeat = 1;
	if (repeat > MAX_REPEAT)
		repeat = MAX_REPEAT;
	if (access(!strcmp(driver, "kvm") ? "/dev/kvm" : "/dev/vmem", F_OK)) {
		printf("bench_boot: no device for %s: skipped\n", driver);
		return 4;
	}
	dir = env_or("VMEM_GUEST_DIR", "/guest");
	if (access(env_or("VMEM_TOOL", "/bin/vmem"), X_OK) ||
	    read_cmdline(dir, cmdline, sizeof(cmdline))) {
		printf("bench_boot: no vmem tool or no guest in %s: skipped\n",
		       dir);
		return 4;
	}
	for (i = 0; i < repeat; i++) {
		struct boot_result r;

		if (boot_once(driver, dir, cmdline, &r))
			return 1;
		printf("bench_boot: %s boot %d: first userspace line %.3f s, "
		       "exit %.3f s, %llu exits\n", driver, i + 1,
		       r.first_line_s, r.total_s, r.exits);
		fflush(stdout);
		first[ok] = r.first_line_s;
		total[ok] = r.total_s;
		exits = r.exits;
		ok++;
	}
	if (wanted(only, "boot"))
		printf("@@BENCH\t%s\tboot\t1\t%.0f\t%llu\tboot\tlaunch to the "
		       "guest's first userspace line (Linux, %s)\n", driver,
		       median(first, ok) * 1e9, exits, "vmem run");
	if (wanted(only, "boot_off"))
		printf("@@BENCH\t%s\tboot_off\t1\t%.0f\t%llu\tboot\tlaunch to "
		       "the guest's power-off and vmem run's exit\n", driver,
		       median(total, ok) * 1e9, exits);
	return 0;
}
