// SPDX-License-Identifier: GPL-2.0
/*
 * vt_util.c - host-side helpers for the vmem selftests; see vt_util.h.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vt.h"
#include "vt_util.h"

int vt_read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd, err;

	if (!size)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			close(fd);
			return -err;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return (int)len;
}

int vt_read_u64(const char *path, unsigned long long *val)
{
	char buf[64], *end;
	int ret;

	ret = vt_read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	if (!isdigit((unsigned char)buf[strspn(buf, " \t")]))
		return -EINVAL;
	errno = 0;
	*val = strtoull(buf, &end, 10);
	if (errno)
		return -errno;
	while (isspace((unsigned char)*end))
		end++;
	return *end ? -EINVAL : 0;
}

int vt_read_bool(const char *path, bool *val)
{
	char buf[16];
	int ret;

	ret = vt_read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	switch (buf[0]) {
	case 'Y': case 'y': case '1':
		*val = true;
		return 0;
	case 'N': case 'n': case '0':
		*val = false;
		return 0;
	}
	return -EINVAL;
}

/* Whether the space-separated list @list contains the word @word. */
static bool vt_word_in(const char *list, const char *word)
{
	size_t len = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		bool start = p == list || isspace((unsigned char)p[-1]);
		bool end = !p[len] || isspace((unsigned char)p[len]);

		if (start && end)
			return true;
		p += len;
	}
	return false;
}

int vt_cpu_has_flag(const char *flag)
{
	bool seen_flags = false, found = false;
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char *colon = strchr(line, ':');
		size_t keylen;

		if (!colon)
			continue;
		keylen = strcspn(line, "\t:");
		if (keylen == 5 && !strncmp(line, "flags", 5)) {
			if (seen_flags)
				break;		/* next CPU */
			seen_flags = true;
		} else if (!(keylen == 9 && !strncmp(line, "vmx flags", 9))) {
			continue;
		}
		if (vt_word_in(colon + 1, flag)) {
			found = true;
			break;
		}
	}
	free(line);
	fclose(f);
	return found;
}

int vt_dev_present(void)
{
	struct stat st;

	if (stat(VT_DEV, &st))
		return -errno;
	return S_ISCHR(st.st_mode) ? 0 : -ENODEV;
}

int vt_require_dev(void)
{
	int ret = vt_dev_present();

	if (ret == -ENODEV)
		return vt_skip(VT_DEV " is not a character device");
	if (ret)
		return vt_skip(VT_DEV ": %s (module not loaded?)",
			       strerror(-ret));
	return VT_PASS;
}

int vt_open_dev(int flags)
{
	return open(VT_DEV, flags | O_CLOEXEC);
}
