// SPDX-License-Identifier: GPL-2.0
/*
 * share_saving - the host's sharing figures in debugfs
 * (/sys/kernel/debug/vmem/share) while VMs holding shared and zero pages
 * are torn down: "saving" (Shared - Shared Common) never exceeds
 * "shared".  A VM on its way out is off the sharing daemon's list while
 * its p2m still holds frames, so Shared Common can be the larger for a
 * moment; saving must then read 0, not wrap.  A reader thread reads the
 * file without pause while VMs whose pages the daemon merged (one frame
 * with many references, and the zero frame) are destroyed.  The figures
 * are read as unsigned, so a wrapped value shows as what it is.
 *
 * Changes the share_scan_* module parameters, restored at the end.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vmem.h>

#include "vt.h"
#include "vt_param.h"
#include "vt_util.h"
#include "vt_vm.h"

#define PG		4096ull
#define NPAGES		512
#define ROUNDS		8
#define SHARE_FILE	"/sys/kernel/debug/vmem/share"
#define DATA_GPA	(1ull << 30)

static const char *const knobs[] = {
	"share_scan_time", "share_scan_ghz", "share_scan_pages",
	"share_scan_sleep_ms", "share_scan_speedup",
};
static struct vt_params saved;

struct reader {
	volatile bool stop;
	unsigned long reads, bad;
	unsigned long long saving, shared;
};

static void *reader_fn(void *arg)
{
	struct reader *r = arg;
	char line[128];

	while (!r->stop) {
		unsigned long long saving = 0, shared = 0, v;
		FILE *f = fopen(SHARE_FILE, "r");

		if (!f)
			break;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "saving %llu", &v) == 1)
				saving = v;
			else if (sscanf(line, "shared %llu", &v) == 1)
				shared = v;
		}
		fclose(f);
		r->reads++;
		if (saving > shared) {
			r->bad++;
			r->saving = saving;
			r->shared = shared;
		}
	}
	return NULL;
}

/* A VM whose pages are half zero, half one content, sharing enabled. */
static struct vt_vm *sharing_vm(void)
{
	struct vmem_pshare ps = { .flags = VMEM_PSHARE_SET_ENABLE,
				  .enable = 1 };
	struct vt_vm *vm = vm_create_bare(VMEM_VM_MMU_AUTO);
	uint64_t *p;

	if (!vm)
		return NULL;
	if (vm_add_slot(vm, 1, DATA_GPA, NPAGES * PG, 0))
		goto fail;
	p = vm_gpa2hva(vm, DATA_GPA);
	for (uint64_t i = 0; i < NPAGES * PG / 8; i++)
		p[i] = (i / (PG / 8)) % 2 ? 0x5a5a000000000000ull : 0;
	if (ioctl(vm->fd, VMEM_PSHARE, &ps))
		goto fail;
	return vm;
fail:
	vm_free(vm);
	return NULL;
}

/* Wait (bounded, in polls) until the daemon merged most of the pages. */
static bool merged(struct vt_vm *vm)
{
	for (int tries = 0; tries < 20000; tries++) {
		struct vmem_vm_stats st;

		if (!vm_get_stats(vm, &st) && st.zero >= NPAGES / 2 &&
		    st.shared >= NPAGES / 2 - 1)
			return true;
		usleep(1000);
	}
	return false;
}

static int test_saving_never_above_shared(void)
{
	struct reader rd = { 0 };
	struct vt_leaks base;
	pthread_t t;
	int done = 0;

	ASSERT_OK(vt_leaks_read(&base));
	ASSERT_OK(vt_params_share_fast());
	ASSERT_EQ(pthread_create(&t, NULL, reader_fn, &rd), 0);
	for (int round = 0; round < ROUNDS; round++) {
		struct vt_vm *vm = sharing_vm();

		if (!vm)
			break;
		if (merged(vm))
			done++;
		vm_free(vm);
	}
	rd.stop = true;
	pthread_join(t, NULL);
	vt_diag("%d VMs merged and destroyed, %lu reads", done, rd.reads);
	if (rd.bad)
		vt_diag("%lu reads with saving %llu > shared %llu", rd.bad,
			rd.saving, rd.shared);
	EXPECT_EQ(done, ROUNDS);
	EXPECT_EQ(rd.bad, 0);
	EXPECT_TRUE(rd.reads > 0);
	vt_params_restore(&saved);
	EXPECT_NO_LEAKS(&base);
	return VT_PASS;
}

static int setup(void)
{
	int r = vt_require_vm(VMEM_VM_MMU_AUTO);

	if (r != VT_PASS)
		return r;
	if (vt_check_extension(VMEM_CAP_PSHARE) != 1)
		return vt_skip("no VMEM_CAP_PSHARE");
	if (vt_params_save(&saved, knobs, 5))
		return vt_fail_at(__FILE__, __LINE__,
				  "cannot read " VT_SYSFS_PARAM("share_scan_*"));
	if (access(SHARE_FILE, R_OK))
		return vt_fail_at(__FILE__, __LINE__, "no " SHARE_FILE);
	return VT_PASS;
}

static void teardown(void)
{
	vt_params_restore(&saved);
}

static const struct vt_case cases[] = {
	VT_CASE(saving_never_above_shared),
};

VT_MAIN(cases, setup, teardown);
