// SPDX-License-Identifier: GPL-2.0
/*
 * loader.c - read the guest's images, check they fit, and load them:
 * kernel, initrd and command line (with tsc_early_khz=), or a flat image,
 * plus the ACPI tables and the boot CPU state.  See machine.h.
 */
#include <errno.h>
#include <fcntl.h>
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
 * The command line the kernel gets: the user's, plus tsc_early_khz= (see
 * tsc.h) unless --tsc-khz off or the user gave one.  Measured once.
 */
static const char *kernel_cmdline(const struct run_config *cfg)
{
	static char buf[BOOT_CMDLINE_MAX];
	static bool done;
	long long khz = cfg->tsc_khz;

	if (done)
		return buf;
	done = true;
	snprintf(buf, sizeof(buf), "%s", cfg->cmdline);
	if (!khz || strstr(cfg->cmdline, "tsc_early_khz="))
		return buf;
	if (khz < 0)
		khz = (long long)tsc_measure_khz();
	if (khz > 0)
		snprintf(buf, sizeof(buf), "%s%stsc_early_khz=%lld",
			 cfg->cmdline, *cfg->cmdline ? " " : "", khz);
	if (cfg->verbose)
		run_msg("kernel command line: %s", buf);
	return buf;
}

int machine_load_guest(struct machine *m, const struct run_config *cfg,
		      struct vmem_regs *regs, struct vmem_sregs *sregs)
{
	struct guest_mem mem = { guest_map, m };
	struct file_buf kernel = { 0 }, initrd = { 0 }, flat = { 0 };
	struct linux_plan plan;
	struct bzimage bz;
	enum boot_mode mode;
	uint64_t rsdp, entry, rsi = 0, rsp = 0, isize = 0;
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

	rsdp = acpi_build(&mem, BOOT_BIOS_ADDR);
	if (cfg->kernel) {
		if (linux_load(&bz, &plan, &m->layout, initrd.data,
			       kernel_cmdline(cfg), rsdp, &mem, err,
			       sizeof(err))) {
			run_msg("%s", err);
			goto out;
		}
		mode = plan.mode;
		entry = plan.entry;
		rsi = BOOT_PARAMS_ADDR;
	} else {
		if (flat_load(flat.data, flat.size, cfg->load_addr, &mem, err,
			      sizeof(err))) {
			run_msg("%s", err);
			goto out;
		}
		mode = cfg->mode == BOOT_MODE_DEFAULT ? BOOT_MODE_64 : cfg->mode;
		entry = cfg->entry;
		rsp = BOOT_STACK_TOP;
	}
	if (boot_cpu_setup(mode, entry, rsi, rsp, &mem, regs, sregs)) {
		run_msg("cannot map guest memory for the boot tables");
		goto out;
	}
	ret = 0;
out:
	free(kernel.data);
	free(initrd.data);
	free(flat.data);
	return ret;
}

