// SPDX-License-Identifier: GPL-2.0
/*
 * launcher_util.c - run the vmem tool from tests; see launcher_util.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launcher_util.h"
#include "vt.h"

const char *lrun_tool(void)
{
	const char *t = getenv("VMEM_TOOL");

	return t && *t ? t : "/bin/vmem";
}

int lrun_require_tool(void)
{
	if (access(lrun_tool(), X_OK))
		return vt_skip("no vmem tool at %s", lrun_tool());
	return VT_PASS;
}

const char *lrun_guest_dir(void)
{
	const char *d = getenv("VMEM_GUEST_DIR");

	return d && *d ? d : "/guest";
}

const char *lrun_guest_file(const char *name)
{
	static char paths[4][512];
	static int next;
	char *p = paths[next++ % 4];

	snprintf(p, 512, "%s/%s", lrun_guest_dir(), name);
	return access(p, R_OK) == 0 ? p : NULL;
}

const char *lrun_guest_cmdline(const char *extra)
{
	static char buf[1024];
	const char *path = lrun_guest_file("cmdline");
	FILE *f = path ? fopen(path, "r") : NULL;
	size_t n = 0;

	buf[0] = 0;
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			n = strcspn(buf, "\n");
		buf[n] = 0;
		fclose(f);
	}
	if (extra && *extra)
		snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? " " : "", extra);
	return buf;
}

/*
 * A pseudo-terminal pair.  The harness's minimal /init mounts no devpts:
 * mount an instance of our own on /dev/pts when there is none.
 */
static int open_pty(int *master, char *slave, size_t len)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (m < 0 && access("/dev/pts/ptmx", F_OK)) {
		mkdir("/dev/pts", 0755);
		if (mount("devpts", "/dev/pts", "devpts", 0,
			  "newinstance,ptmxmode=0666,mode=0620"))
			vt_diag("mount devpts: %s", strerror(errno));
		m = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	}
	if (m < 0)
		return -errno;
	if (grantpt(m) || unlockpt(m) || ptsname_r(m, slave, len)) {
		close(m);
		return -errno;
	}
	*master = m;
	return 0;
}

int lrun_start_exe(struct lrun *r, const char *exe, const char *const argv[],
		   bool pty)
{
	char slave[128];
	int fds[2], in;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	if (pty) {
		if (open_pty(&fds[0], slave, sizeof(slave)))
			return -errno;
	} else if (pipe2(fds, O_CLOEXEC)) {
		return -errno;
	}
	fflush(stdout);
	r->pid = fork();
	if (r->pid < 0)
		return -errno;
	if (!r->pid) {
		/*
		 * The VMM dies with the test: a test killed by the runner's
		 * timeout must not leave a guest running that keeps vmem
		 * busy for the tests after it (load_unload).
		 */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(126);
		if (pty) {
			setsid();
			in = open(slave, O_RDWR);	/* our controlling tty */
			if (in < 0)
				_exit(126);
			dup2(in, 0);
			dup2(in, 1);
			dup2(in, 2);
		} else {
			in = open("/dev/null", O_RDONLY);
			dup2(in, 0);
			dup2(fds[1], 1);
			dup2(fds[1], 2);
		}
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	if (!pty)
		close(fds[1]);
	r->fd = fds[0];
	r->cap = 65536;
	r->out = calloc(1, r->cap);
	return r->out ? 0 : -ENOMEM;
}

int lrun_start(struct lrun *r, const char *const argv[], bool pty)
{
	return lrun_start_exe(r, lrun_tool(), argv, pty);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Read what is there (waiting up to @ms); false at EOF. */
static bool lrun_read(struct lrun *r, int ms)
{
	struct pollfd p = { .fd = r->fd, .events = POLLIN };
	ssize_t n;

	if (r->fd < 0)
		return false;
	if (poll(&p, 1, ms) <= 0)
		return true;
	if (r->len + 4096 + 1 > r->cap) {
		char *o = realloc(r->out, r->cap * 2);

		if (!o)
			return false;
		r->out = o;
		r->cap *= 2;
	}
	n = read(r->fd, r->out + r->len, r->cap - r->len - 1);
	if (n <= 0) {
		/* EOF (pipe) or EIO (pty with no slave left) */
		close(r->fd);
		r->fd = -1;
		return false;
	}
	r->len += n;
	r->out[r->len] = 0;
	return true;
}

static void lrun_reap(struct lrun *r, int options)
{
	int st;

	if (r->exited || r->pid <= 0)
		return;
	if (waitpid(r->pid, &st, options) == r->pid) {
		r->exited = true;
		r->status = WIFEXITED(st) ? WEXITSTATUS(st) :
			    128 + WTERMSIG(st);
	}
}

bool lrun_wait_for(struct lrun *r, const char *text, int timeout_s)
{
	double end = now_s() + timeout_s;

	while (!strstr(r->out, text)) {
		if (now_s() > end)
			return false;
		if (!lrun_read(r, 200)) {
			lrun_reap(r, 0);
			return strstr(r->out, text) != NULL;
		}
	}
	return true;
}

int lrun_type(struct lrun *r, const char *s)
{
	size_t n = strlen(s);

	return write(r->fd, s, n) == (ssize_t)n ? 0 : -1;
}

int lrun_finish(struct lrun *r, int timeout_s)
{
	double end = now_s() + timeout_s;

	while (!r->exited) {
		if (r->fd >= 0)
			lrun_read(r, 200);
		else
			usleep(100000);
		lrun_reap(r, WNOHANG);
		if (!r->exited && now_s() > end) {
			vt_diag("vmem did not end within %d s: SIGTERM", timeout_s);
			kill(r->pid, SIGTERM);
			sleep(5);
			kill(r->pid, SIGKILL);
			lrun_reap(r, 0);
		}
	}
	/* What is left in the pipe. */
	while (r->fd >= 0 && lrun_read(r, 100))
		;
	return r->status;
}

void lrun_dump(const struct lrun *r, int lines)
{
	const char *p = r->out + r->len;
	int n = 0;

	while (p > r->out && n <= lines)
		if (*--p == '\n')
			n++;
	vt_diag("---- last output of vmem ----");
	while (*p) {
		size_t l = strcspn(p, "\n");

		if (l)
			vt_diag("| %.*s", (int)(l && p[l - 1] == '\r' ? l - 1 : l), p);
		p += l + (p[l] == '\n');
	}
}

void lrun_free(struct lrun *r)
{
	if (r->fd >= 0)
		close(r->fd);
	if (!r->exited && r->pid > 0) {
		kill(r->pid, SIGKILL);
		lrun_reap(r, 0);
	}
	free(r->out);
	r->out = NULL;
}

void lrun_flat_argv(const char **argv, unsigned int max, const char *path,
		    const char *const extra[])
{
	static const char *const head[] = {
		"vmem", "run", "--flat", NULL, "--load-addr", "0x100000",
		"--entry", "0x100000", "--memory", "16M",
	};
	unsigned int n, i;

	for (n = 0; n < sizeof(head) / sizeof(head[0]) && n + 1 < max; n++)
		argv[n] = n == 3 ? path : head[n];
	for (i = 0; extra && extra[i] && n + 1 < max; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
}

int lrun_start_flat(struct lrun *r, const char *path, const void *code,
		    size_t len, const char *const extra[], bool pty)
{
	const char *argv[32];
	char tmp[PATH_MAX];
	int fd, ok;

	/*
	 * Written beside and renamed over @path: a `vmem run` started a
	 * moment ago on the same image may not have read it yet, and must
	 * not find it truncated (it said "the flat image is empty").
	 */
	if (snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid()) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ok = write(fd, code, len) == (ssize_t)len;
	if (close(fd))
		ok = 0;
	if (!ok || rename(tmp, path)) {
		unlink(tmp);
		return -EIO;
	}
	lrun_flat_argv(argv, sizeof(argv) / sizeof(argv[0]), path, extra);
	return lrun_start(r, argv, pty);
}

int lrun_run(struct lrun *r, const char *const argv[], int timeout_s)
{
	int ret = lrun_start(r, argv, false);

	if (ret)
		return -1;
	return lrun_finish(r, timeout_s);
}

bool lrun_expect(int code, const char *text, const char *const argv[],
		 int timeout_s)
{
	struct lrun r;
	int st = lrun_run(&r, argv, timeout_s);
	bool ok = st == code && (!text || (r.out && strstr(r.out, text)));

	if (!ok) {
		vt_diag("vmem %s %s: exit %d (want %d), want \"%s\"",
			argv[1] ? argv[1] : "",
			argv[1] && argv[2] ? argv[2] : "", st, code,
			text ? text : "");
		if (r.out)
			lrun_dump(&r, 20);
	}
	lrun_free(&r);
	return ok;
}
