// SPDX-License-Identifier: GPL-2.0
/*
 * vt_param.c - vmem's module parameters for the selftests; see vt_param.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vt_param.h"
#include "vt_util.h"

static void param_path(char *path, size_t len, const char *name)
{
	snprintf(path, len, VT_SYSFS_PARAM("%s"), name);
}

int vt_param_get(const char *name, long *val)
{
	char path[128], buf[32], *end;
	int r;

	param_path(path, sizeof(path), name);
	r = vt_read_file(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (buf[0] == 'Y' || buf[0] == 'N') {
		*val = buf[0] == 'Y';
		return 0;
	}
	errno = 0;
	*val = strtol(buf, &end, 10);
	if (errno)
		return -errno;
	if (end == buf || (*end && *end != '\n'))
		return -EINVAL;
	return 0;
}

int vt_param_set(const char *name, long val)
{
	char path[128];
	FILE *f;
	int r;

	param_path(path, sizeof(path), name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	r = fprintf(f, "%ld\n", val) < 0 ? -EIO : 0;
	/* sysfs reports a refused value when the buffer is flushed. */
	if (fclose(f) && !r)
		r = -errno;
	return r;
}

int vt_params_save(struct vt_params *p, const char *const names[], int n)
{
	int i, r;

	p->n = 0;
	if (n < 0 || n > VT_PARAMS_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		r = vt_param_get(names[i], &p->val[i]);
		if (r)
			return r;
		p->name[i] = names[i];
	}
	p->n = n;
	return 0;
}

void vt_params_restore(const struct vt_params *p)
{
	int i;

	for (i = 0; i < p->n; i++)
		vt_param_set(p->name[i], p->val[i]);
}

int vt_params_share_fast(void)
{
	int r = vt_param_set("share_scan_pages", 100000);

	if (!r)
		r = vt_param_set("share_scan_sleep_ms", 1);
	if (!r)
		r = vt_param_set("share_scan_ghz", 4);
	return r;
}
