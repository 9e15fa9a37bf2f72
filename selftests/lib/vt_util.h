/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vt_util.h - small host-side helpers shared by the vmem selftests:
 * reading sysfs/debugfs/procfs values and finding the vmem device.
 *
 * Functions returning int return 0 (or a count) on success and -errno on
 * failure; they never print.
 */
#ifndef VMEM_VT_UTIL_H
#define VMEM_VT_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#define VT_DEV			"/dev/vmem"
#define VT_MODULE		"vmem"
#define VT_SYSFS_MODULE		"/sys/module/vmem"
#define VT_SYSFS_PARAM(name)	"/sys/module/vmem/parameters/" name
#define VT_DEBUGFS		"/sys/kernel/debug/vmem"
#define VT_DEBUGFS_PAGES	VT_DEBUGFS "/pages"
#define VT_DEBUGFS_OBJECTS	VT_DEBUGFS "/objects"

/* Read a whole small file, NUL-terminated; returns its length. */
int vt_read_file(const char *path, char *buf, size_t size);
/* Read one unsigned decimal (surrounding whitespace allowed). */
int vt_read_u64(const char *path, unsigned long long *val);
/* Read a bool module parameter: "Y"/"N" (or "1"/"0"). */
int vt_read_bool(const char *path, bool *val);

/*
 * Whether /proc/cpuinfo lists @flag in the "flags" line or in the
 * "vmx flags" line of the first CPU; -errno when it cannot be read.
 */
int vt_cpu_has_flag(const char *flag);

/* 0 when VT_DEV is a character device, else -errno (-ENODEV: not chr). */
int vt_dev_present(void);

/*
 * Setup helper: VT_PASS when VT_DEV exists, else vt_skip() with the reason.
 * Use as "return vt_require_dev();" or check its result.
 */
int vt_require_dev(void);

/* open(VT_DEV, flags | O_CLOEXEC): fd or -1 with errno, like open(). */
int vt_open_dev(int flags);

#endif /* VMEM_VT_UTIL_H */
