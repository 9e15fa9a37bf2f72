/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vt_param.h - vmem's module parameters (VT_SYSFS_PARAM) as the
 * selftests read, change and put back: a test that tunes the sharing
 * daemon or large pages saves the parameters in setup() and restores them
 * in teardown(), so the tests after it see the defaults.
 *
 * Functions return 0 or -errno and never print.
 */
#ifndef VMEM_VT_PARAM_H
#define VMEM_VT_PARAM_H

/* The value of parameter @name: a number, or a bool's Y/N as 1/0. */
int vt_param_get(const char *name, long *val);
int vt_param_set(const char *name, long val);

#define VT_PARAMS_MAX	8

/* Saved values of some parameters. */
struct vt_params {
	int n;				/* 0: nothing to put back */
	const char *name[VT_PARAMS_MAX];
	long val[VT_PARAMS_MAX];
};

/*
 * Save the @n (at most VT_PARAMS_MAX) parameters @names; on an error
 * nothing is saved.  _restore puts back what was saved (as often as a
 * test needs: a case may restore before teardown() does).
 */
int vt_params_save(struct vt_params *p, const char *const names[], int n);
void vt_params_restore(const struct vt_params *p);

/*
 * The sharing daemon fast (share_scan_pages 100000, share_scan_sleep_ms 1,
 * share_scan_ghz 4): every VM scanned whole at each wake-up, about every
 * jiffy.  The caller saved those three first.
 */
int vt_params_share_fast(void);

#endif /* VMEM_VT_PARAM_H */
