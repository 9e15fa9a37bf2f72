// SPDX-License-Identifier: GPL-2.0
/*
 * bench_share - transparent page sharing on vmem against Linux KSM on KVM:
 * the same guest memory content, the same scan rate, and what each saves,
 * how fast, and for how much scanner CPU.
 *
 *   bench_share --driver vmem|kvm [--vms N] [--pages P] [--rate R]
 *               [--sleep MS]
 *
 * Each of N VMs (default 2) gets P pages of guest RAM (default 4096),
 * written by this program, in four equal parts:
 *   - duplicates across VMs: page i has the same content in every VM;
 *   - duplicates inside a VM: 16 contents, each repeated, different per VM;
 *   - zero pages (written, so backed);
 *   - unique pages.
 * vmem: the VMs are created with sharing off, filled through the VM fd's
 * mapping, given one salt (so the cross-VM part may be shared), then
 * enabled; the daemon visits R / N pages of each VM every MS ms
 * (share_scan_pages, share_scan_sleep_ms; share_scan_ghz raised so the
 * ceiling does not bind).  KVM: the VMs' memory is anonymous memory of
 * this process, registered as KVM memory slots and filled the same way,
 * then MADV_MERGEABLE; ksmd scans R pages every MS ms
 * (/sys/kernel/mm/ksm/pages_to_scan, sleep_millisecs; run=1).  Both
 * therefore visit R pages per MS ms in total.
 *
 * Figures (one "@@BENCH" line each, format as bench_exits.c):
 *   share_save  pages saved at convergence: the "units/s" column is the
 *               number of pages (ns is fixed at 1 s)
 *   share_conv  time from enabling until converged (vmem: every VM's
 *               CONVERGED flag; KSM: pages_sharing unchanged over two
 *               full scans)
 *   share_cpu   scanner CPU time (vmem_share thread vs ksmd, from
 *               /proc/<pid>/schedstat, else utime+stime of /proc/<pid>/stat)
 *               per page saved
 * vmem's saving is the drop of machine pages backing guests
 * (/sys/kernel/debug/vmem/share "backing"); KSM's is pages_sharing.
 * Exit status: 0, 1 on failure, 4 when the driver's device is absent.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/vmem.h>

#define PG		4096ul
#define MAX_VMS		16
#define VMEM_PARAMS	"/sys/module/vmem/parameters/"
#define VMEM_SHARE	"/sys/kernel/debug/vmem/share"
#define KSM		"/sys/kernel/mm/ksm/"

static unsigned int nvms = 2;
static unsigned long npages = 4096;
static unsigned long rate = 1000;
static unsigned long sleep_ms = 20;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static long read_long(const char *path)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strtol(buf, NULL, 10);
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int r;

	if (!f)
		return -1;
	r = fprintf(f, "%ld\n", v) < 0 ? -1 : 0;
	if (fclose(f))
		r = -1;
	return r;
}

/* A "name value" line of the vmem share file. */
static long long share_field(const char *name)
{
	char line[128], key[64];
	long long v, found = -1;
	FILE *f = fopen(VMEM_SHARE, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld", key, &v) == 2 && !strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

/* CPU time of a thread in ns. */
static uint64_t cpu_ns(int pid)
{
	unsigned long long run = 0, ut = 0, st = 0;
	char path[64], buf[1024], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	f = fopen(path, "r");
	if (f) {
		int n = fscanf(f, "%llu", &run);

		fclose(f);
		if (n == 1)
			return run;
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	p = strrchr(buf, ')');
	/* Fields 14 and 15 (utime, stime), counting from the pid. */
	if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			&ut, &st) == 2)
		return (ut + st) * (1000000000ull / sysconf(_SC_CLK_TCK));
	return 0;
}

static int find_pid(const char *comm)
{
	struct dirent *d;
	DIR *dir = opendir("/proc");
	int pid = -1;

	if (!dir)
		return -1;
	while ((d = readdir(dir)) && pid < 0) {
		char path[300], name[64] = "";
		FILE *f;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f) && !strncmp(name, comm, strlen(comm)) &&
		    (name[strlen(comm)] == '\n' || !name[strlen(comm)]))
			pid = atoi(d->d_name);
		fclose(f);
	}
	closedir(dir);
	return pid;
}

static void fill_page(uint8_t *p, uint64_t word)
{
	uint64_t *q = (uint64_t *)p;

	for (unsigned int i = 0; i < PG / 8; i++)
		q[i] = word;
}

/* The content: see the header. */
static void fill_vm(uint8_t *mem, unsigned int vm)
{
	unsigned long q = npages / 4;

	for (unsigned long i = 0; i < npages; i++) {
		uint64_t w;

		if (i < q)
			w = 0x1111000000000000ull + i;
		else if (i < 2 * q)
			w = 0x2222000000000000ull + ((uint64_t)vm << 16) + i % 16;
		else if (i < 3 * q)
			w = 0;
		else
			w = 0x3333000000000000ull + ((uint64_t)vm << 32) + i;
		fill_page(mem + i * PG, w);
	}
}

/* What an ideal deduplicator saves: used to show how close each gets. */
static unsigned long ideal_saving(void)
{
	unsigned long q = npages / 4;

	return (nvms - 1) * q +			/* across VMs */
	       nvms * (q - (q < 16 ? q : 16)) +	/* inside each VM */
	       nvms * q - 1;			/* zero pages on one frame */
}

struct result {
	long saved;
	uint64_t conv_ns;
	uint64_t cpu_ns;
};

static void report(const char *driver, const struct result *r)
{
	unsigned long saved = r->saved > 0 ? r->saved : 1;

	printf("# %s: saved %ld pages (ideal %lu), converged in %.3f s, scanner CPU %.3f ms (%.2f us per page saved)\n",
	       driver, r->saved, ideal_saving(), r->conv_ns / 1e9,
	       r->cpu_ns / 1e6, r->cpu_ns / 1e3 / saved);
	printf("@@BENCH\t%s\tshare_save\t%lu\t%llu\t0\tpage\tpages saved at convergence (units/s column = pages; ideal %lu)\n",
	       driver, saved, 1000000000ull, ideal_saving());
	printf("@@BENCH\t%s\tshare_conv\t1\t%llu\t0\trun\ttime to converge (%u VMs x %lu pages, %lu pages per %lu ms)\n",
	       driver, (unsigned long long)r->conv_ns, nvms, npages, rate, sleep_ms);
	printf("@@BENCH\t%s\tshare_cpu\t%lu\t%llu\t0\tpage\tscanner CPU time per page saved (vmem_share vs ksmd)\n",
	       driver, saved, (unsigned long long)r->cpu_ns);
	fflush(stdout);
}

/* ---------------------------------------------------------------------- */

static int run_vmem(struct result *res)
{
	static const char *const knobs[] = {
		"share_scan_pages", "share_scan_sleep_ms", "share_scan_ghz",
	};
	long saved[3];
	int dev, vm[MAX_VMS], pid, r = 1;
	long long backing0, backing;
	uint64_t t0, c0;
	char path[128];

	dev = open("/dev/vmem", O_RDWR);
	if (dev < 0)
		return 4;
	pid = (int)share_field("pid");
	if (pid <= 0) {
		fprintf(stderr, "bench_share: no %s\n", VMEM_SHARE);
		return 1;
	}
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), VMEM_PARAMS "%s", knobs[i]);
		saved[i] = read_long(path);
	}
	for (unsigned int v = 0; v < nvms; v++) {
		struct vmem_memslot ms = { .slot = 0, .gpa = 0, .size = npages * PG };
		struct vmem_pshare ps = { .flags = VMEM_PSHARE_SET_ENABLE |
						   VMEM_PSHARE_SET_SALT,
					  .enable = 0, .salt = 0xbe7c };
		uint8_t *mem;

		vm[v] = ioctl(dev, VMEM_CREATE_VM, VMEM_VM_MMU_AUTO);
		if (vm[v] < 0 || ioctl(vm[v], VMEM_PSHARE, &ps) ||
		    ioctl(vm[v], VMEM_SET_MEMSLOT, &ms)) {
			perror("bench_share: vmem VM");
			return 1;
		}
		mem = mmap(NULL, npages * PG, PROT_READ | PROT_WRITE, MAP_SHARED,
			   vm[v], 0);
		if (mem == MAP_FAILED) {
			perror("bench_share: mmap");
			return 1;
		}
		fill_vm(mem, v);
		munmap(mem, npages * PG);
	}
	write_long(VMEM_PARAMS "share_scan_pages", (rate + nvms - 1) / nvms);
	write_long(VMEM_PARAMS "share_scan_sleep_ms", sleep_ms);
	write_long(VMEM_PARAMS "share_scan_ghz", 100000);

	backing0 = share_field("backing");
	c0 = cpu_ns(pid);
	t0 = now_ns();
	for (unsigned int v = 0; v < nvms; v++) {
		struct vmem_pshare ps = { .flags = VMEM_PSHARE_SET_ENABLE,
					  .enable = 1 };

		ioctl(vm[v], VMEM_PSHARE, &ps);
	}
	/* Converged: every VM's flag (bounded: 10 minutes). */
	for (int tries = 0; tries < 600000; tries++) {
		unsigned int done = 0;

		for (unsigned int v = 0; v < nvms; v++) {
			struct vmem_vm_stats st;

			memset(&st, 0, sizeof(st));
			if (!ioctl(vm[v], VMEM_GET_VM_STATS, &st) &&
			    (st.share_flags & VMEM_STATS_CONVERGED))
				done++;
		}
		if (done == nvms) {
			r = 0;
			break;
		}
		usleep(1000);
	}
	res->conv_ns = now_ns() - t0;
	res->cpu_ns = cpu_ns(pid) - c0;
	backing = share_field("backing");
	res->saved = backing0 - backing;

	for (unsigned int v = 0; v < nvms; v++)
		close(vm[v]);
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), VMEM_PARAMS "%s", knobs[i]);
		if (saved[i] >= 0)
			write_long(path, saved[i]);
	}
	close(dev);
	if (r)
		fprintf(stderr, "bench_share: vmem did not converge\n");
	return r;
}

static int run_kvm(struct result *res)
{
	int dev, vm[MAX_VMS], pid, r = 1;
	uint8_t *mem[MAX_VMS];
	long last = -1, full0, full_seen = -1;
	uint64_t t0, c0;

	dev = open("/dev/kvm", O_RDWR);
	if (dev < 0)
		return 4;
	if (read_long(KSM "run") < 0) {
		fprintf(stderr, "bench_share: no KSM in this kernel\n");
		return 1;
	}
	write_long(KSM "run", 2);	/* unmerge anything from before */
	write_long(KSM "run", 0);
	for (unsigned int v = 0; v < nvms; v++) {
		struct kvm_userspace_memory_region reg;

		vm[v] = ioctl(dev, KVM_CREATE_VM, 0);
		mem[v] = mmap(NULL, npages * PG, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (vm[v] < 0 || mem[v] == MAP_FAILED) {
			perror("bench_share: KVM VM");
			return 1;
		}
		reg = (struct kvm_userspace_memory_region){
			.slot = 0, .guest_phys_addr = 0,
			.memory_size = npages * PG,
			.userspace_addr = (uintptr_t)mem[v],
		};
		if (ioctl(vm[v], KVM_SET_USER_MEMORY_REGION, &reg)) {
			perror("bench_share: KVM_SET_USER_MEMORY_REGION");
			return 1;
		}
		fill_vm(mem[v], v);
		if (madvise(mem[v], npages * PG, MADV_MERGEABLE)) {
			perror("bench_share: MADV_MERGEABLE");
			return 1;
		}
	}
	write_long(KSM "pages_to_scan", rate);
	write_long(KSM "sleep_millisecs", sleep_ms);
	pid = find_pid("ksmd");
	if (pid <= 0) {
		fprintf(stderr, "bench_share: no ksmd\n");
		return 1;
	}
	full0 = read_long(KSM "full_scans");
	c0 = cpu_ns(pid);
	t0 = now_ns();
	write_long(KSM "run", 1);
	/* Converged: pages_sharing unchanged across two full scans. */
	for (int tries = 0; tries < 600000; tries++) {
		long full = read_long(KSM "full_scans");
		long sharing = read_long(KSM "pages_sharing");

		if (full != full_seen) {
			full_seen = full;
			if (full >= full0 + 2 && sharing > 0 && sharing == last) {
				r = 0;
				break;
			}
			last = sharing;
		}
		usleep(1000);
	}
	res->conv_ns = now_ns() - t0;
	res->cpu_ns = cpu_ns(pid) - c0;
	res->saved = read_long(KSM "pages_sharing");
	write_long(KSM "run", 2);
	for (unsigned int v = 0; v < nvms; v++) {
		munmap(mem[v], npages * PG);
		close(vm[v]);
	}
	write_long(KSM "run", 0);
	close(dev);
	if (r)
		fprintf(stderr, "bench_share: KSM did not converge\n");
	return r;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "driver", required_argument, NULL, 'd' },
		{ "vms", required_argument, NULL, 'n' },
		{ "pages", required_argument, NULL, 'p' },
		{ "rate", required_argument, NULL, 'r' },
		{ "sleep", required_argument, NULL, 's' },
		/* bench.sh passes these to every program: accepted, unused. */
		{ "repeat", required_argument, NULL, 'R' },
		{ "scale", required_argument, NULL, 'S' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "only", required_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 }
	};
	const char *driver = NULL;
	struct result res = { 0 };
	int c, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': driver = optarg; break;
		case 'n': nvms = strtoul(optarg, NULL, 0); break;
		case 'p': npages = strtoul(optarg, NULL, 0); break;
		case 'r': rate = strtoul(optarg, NULL, 0); break;
		case 's': sleep_ms = strtoul(optarg, NULL, 0); break;
		case 'R': case 'S': case 'C': case 'O': break;
		default: goto usage;
		}
	}
	if (!driver || nvms < 1 || nvms > MAX_VMS || npages < 64 || !rate ||
	    !sleep_ms)
		goto usage;
	printf("# bench_share: driver %s, %u VMs x %lu pages, %lu pages per %lu ms\n",
	       driver, nvms, npages, rate, sleep_ms);
	if (!strcmp(driver, "vmem"))
		r = run_vmem(&res);
	else if (!strcmp(driver, "kvm"))
		r = run_kvm(&res);
	else
		goto usage;
	if (r == 4) {
		printf("# bench_share: no device for %s\n", driver);
		return 4;
	}
	if (r)
		return 1;
	report(driver, &res);
	return 0;
usage:
	fprintf(stderr,
		"usage: bench_share --driver vmem|kvm [--vms N] [--pages P] [--rate R] [--sleep MS]\n");
	return 2;
}
