// SPDX-License-Identifier: GPL-2.0
/*
 * loader.c - read the guest's images, check they fit, and load them:
 * kernel, initrd and command line (with tsc_early_khz=), or a flat image,
 * plus the ACPI tables and the boot CPU state.  See machine.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acpi.h"
#include "machine.h"
#include "tsc.h"

/* ---------------------------------------------------------------------- */
/* Files                                                                   */

struct file_buf {
	void *data;
	size_t size;
};

/* Read a whole file; prints and returns -1 on failure. */
static int read_file(const char *what, const char *path, struct file_buf *f)
{
	struct stat st;
	size_t done = 0;
	int fd;

	f->data = NULL;
	f->size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		run_msg("%s %s: %s", what, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		run_msg("%s %s: not a regular file", what, path);
		close(fd);
		return -1;
	}
	f->size = st.st_size;
	f->data = malloc(f->size ? f->size : 1);
	if (!f->data) {
		run_msg("%s %s: out of memory", what, path);
		close(fd);
		return -1;
	}
	while (done < f->size) {
		ssize_t r = read(fd, (char *)f->data + done, f->size - done);

		if (r <= 0) {
			run_msg("%s %s: %s", what, path,
				r < 0 ? strerror(errno) : "short read");
			close(fd);
			free(f->data);
			f->data = NULL;
			return -1;
		}
		done += r;
	}
	close(fd);
	return 0;
}

/* The size of a regular file; prints and returns -1 on failure. */
static int file_size(const char *what, const char *path, uint64_t *size)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		run_msg("%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		run_msg("%s %s: not a regular file", what, path);
		return -1;
	}
	*size = st.st_size;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Loading                                                                 */

static void *guest_map(void *ctx, uint64_t gpa, uint64_t len)
{
	struct machine *m = ctx;

	return vmm_vm_gpa_to_hva(m->vm, gpa, len);
}

/*
 * The command line the kernel gets: the user's, plus tsc_early_khz= and
 * tsc=reliable (see tsc.h) unless --tsc-khz off or the user gave them.
 * Measured once.
 */
static const char *kernel_cmdline(const struct run_config *cfg)
{
	static char buf[BOOT_CMDLINE_MAX];
	static bool done;
	long long khz = cfg->tsc_khz;

	if (done)
		return buf;
	done = true;
	if (khz < 0 && !strstr(cfg->cmdline, "tsc_early_khz="))
		khz = (long long)tsc_measure_khz();
	tsc_cmdline(cfg->cmdline, khz > 0 ? (uint64_t)khz : 0, buf,
		    sizeof(buf));
	if (cfg->verbose)
		run_msg("kernel command line: %s", buf);
	return buf;
}

/*
 * Guest memory may refuse a page: under a --limit below what the images
 * need (and no swap file), vmem answers the launcher's own first touch
 * with SIGBUS.  The loading runs under this guard, which turns the signal
 * into an error with a message instead of a death by signal.
 */
static sigjmp_buf load_jmp;
static volatile sig_atomic_t load_armed;

static void load_sigbus(int sig)
{
	if (load_armed)
		siglongjmp(load_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

struct load_args {
	struct machine *m;
	const struct run_config *cfg;
	struct file_buf *initrd, *flat;
	struct bzimage *bz;
	struct linux_plan *plan;
	struct vmem_regs *regs;
	struct vmem_sregs *sregs;
};

static int load_images(struct load_args *a)
{
	struct guest_mem mem = { guest_map, a->m };
	const struct run_config *cfg = a->cfg;
	uint64_t rsdp, entry, rsi = 0, rsp = 0;
	enum boot_mode mode;
	char err[256];

	rsdp = acpi_build(&mem, BOOT_BIOS_ADDR);
	if (cfg->kernel) {
		if (linux_load(a->bz, a->plan, &a->m->layout, a->initrd->data,
			       kernel_cmdline(cfg), rsdp, &mem, err,
			       sizeof(err))) {
			run_msg("%s", err);
			return -1;
		}
		mode = a->plan->mode;
		entry = a->plan->entry;
		rsi = BOOT_PARAMS_ADDR;
	} else {
		if (flat_load(a->flat->data, a->flat->size, cfg->load_addr,
			      &mem, err, sizeof(err))) {
			run_msg("%s", err);
			return -1;
		}
		mode = cfg->mode == BOOT_MODE_DEFAULT ? BOOT_MODE_64 : cfg->mode;
		entry = cfg->entry;
		rsp = BOOT_STACK_TOP;
	}
	if (boot_cpu_setup(mode, entry, rsi, rsp, &mem, a->regs, a->sregs)) {
		run_msg("cannot map guest memory for the boot tables");
		return -1;
	}
	return 0;
}

static int load_guarded(struct load_args *a)
{
	struct sigaction sa, old;
	volatile int ret = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = load_sigbus;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	if (!sigsetjmp(load_jmp, 1)) {
		load_armed = 1;
		ret = load_images(a);
	} else {
		run_msg("the VM's memory refused a page while the launcher "
			"loaded the guest (SIGBUS): a --limit below what the "
			"guest's images need?  The guest was not started");
	}
	load_armed = 0;
	sigaction(SIGBUS, &old, NULL);
	return ret;
}

int machine_load_guest(struct machine *m, const struct run_config *cfg,
		      struct vmem_regs *regs, struct vmem_sregs *sregs)
{
	struct file_buf kernel = { 0 }, initrd = { 0 }, flat = { 0 };
	struct linux_plan plan;
	struct bzimage bz;
	uint64_t isize = 0;
	char err[256];
	int ret = RUN_EXIT_ERROR;

	guest_layout_init(&m->layout, cfg->memory);
	if (cfg->kernel) {
		if (read_file("kernel", cfg->kernel, &kernel))
			goto out;
		if (bzimage_parse(kernel.data, kernel.size, &bz, err,
				  sizeof(err))) {
			run_msg("kernel %s: %s", cfg->kernel, err);
			goto out;
		}
		if (cfg->initrd && file_size("initrd", cfg->initrd, &isize))
			goto out;
		if (linux_plan(&bz, &m->layout, cfg->mode, isize,
			       strlen(kernel_cmdline(cfg)), &plan, err,
			       sizeof(err))) {
			run_msg("%s", err);
			goto out;
		}
		/* Read the initrd only once it is known to fit. */
		if (m->vm && cfg->initrd &&
		    read_file("initrd", cfg->initrd, &initrd))
			goto out;
		if (m->vm && initrd.size != isize) {
			run_msg("initrd %s: changed size while loading",
				cfg->initrd);
			goto out;
		}
	} else {
		if (read_file("flat image", cfg->flat, &flat))
			goto out;
		if (flat_check(cfg->load_addr, flat.size, cfg->entry,
			       &m->layout, err, sizeof(err))) {
			run_msg("%s: %s", cfg->flat, err);
			goto out;
		}
	}
	if (!m->vm) {	/* first pass, before the VM exists: input is fine */
		ret = 0;
		goto out;
	}

	{
		struct load_args a = { m, cfg, &initrd, &flat, &bz, &plan,
				       regs, sregs };

		if (load_guarded(&a))
			goto out;
	}
	ret = 0;
out:
	free(kernel.data);
	free(initrd.data);
	free(flat.data);
	return ret;
}

