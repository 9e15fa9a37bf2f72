// SPDX-License-Identifier: GPL-2.0
/*
 * ksft_runner - run_kselftest.sh, what "make -C selftests run_tests" and
 * an installed copy run (the test machines have no make): TAP 13 with one
 * "ok N selftests: vmem: NAME" per program, exit 4 as SKIP, a missing
 * program and a timeout as "not ok", and at the timeout the program killed
 * with everything it started (no `vmem run` left behind).
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vt.h"
#include "vt_util.h"

static char runner[PATH_MAX + 32];

static int setup(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return vt_skip("no /proc/self/exe");
	self[n] = 0;
	slash = strrchr(self, '/');
	if (!slash)
		return vt_skip("odd /proc/self/exe");
	*slash = 0;
	snprintf(runner, sizeof(runner), "%s/run_kselftest.sh", self);
	if (access(runner, X_OK))
		return vt_skip("no %s", runner);
	return vt_require_dev();
}

/* Run the runner with @args; its status, stdout+stderr in @out. */
static int run(const char *const args[], char *out, size_t size)
{
	const char *argv[16] = { "/bin/sh", runner };
	unsigned int n = 2;
	int fds[2], st;
	size_t len = 0;
	ssize_t r;
	pid_t pid;

	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		/* Outside the harness's view: harness_session skips. */
		unsetenv("VMEM_TEST_TIMEOUT");
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(fds[1]);
	while (len + 1 < size && (r = read(fds[0], out + len, size - 1 - len)) > 0)
		len += r;
	out[len] = 0;
	close(fds[0]);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define EXPECT_OUT(out, text) do {					\
	if (!strstr((out), (text)))					\
		vt_fail_at(__FILE__, __LINE__, "no \"%s\" in:\n%s", (text), \
			   (out));					\
} while (0)

static char out[1 << 16];

static int test_pass_and_skip(void)
{
	const char *const a[] = { "-t", "api_version", "-t", "harness_session",
				  NULL };

	EXPECT_EQ(run(a, out, sizeof(out)), 0);
	EXPECT_OUT(out, "TAP version 13\n1..2\n# selftests: vmem: api_version\n");
	EXPECT_OUT(out, "\nok 1 selftests: vmem: api_version\n");
	EXPECT_OUT(out, "\nok 2 selftests: vmem: harness_session # SKIP\n");
	return VT_PASS;
}

static int test_missing_program(void)
{
	const char *const a[] = { "-t", "no_such_test", NULL };

	EXPECT_EQ(run(a, out, sizeof(out)), 1);
	EXPECT_OUT(out, "not ok 1 selftests: vmem: no_such_test # no such program");
	return VT_PASS;
}

/* Whether a process whose command line mentions @what exists. */
static bool process_with(const char *what)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		char path[300], cmd[512];
		ssize_t n, i;
		int fd;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, cmd, sizeof(cmd) - 1);
		close(fd);
		if (n <= 0)
			continue;
		for (i = 0; i < n; i++)
			if (!cmd[i])
				cmd[i] = ' ';
		cmd[n] = 0;
		found = strstr(cmd, what) != NULL;
	}
	if (d)
		closedir(d);
	return found;
}

/*
 * launcher_flat runs `vmem run` guests for several seconds: a 1 s limit
 * stops it, as TIMEOUT, and kills the `vmem run` it had started.
 */
static int test_timeout_kills_the_whole_program(void)
{
	const char *const a[] = { "-o", "1", "-t", "launcher_flat", NULL };

	EXPECT_EQ(run(a, out, sizeof(out)), 1);
	EXPECT_OUT(out, "not ok 1 selftests: vmem: launcher_flat # TIMEOUT 1 seconds");
	usleep(200000);
	EXPECT_TRUE(!process_with("launcher_flat.bin"));
	unlink("/tmp/launcher_flat.bin");
	return VT_PASS;
}

/*
 * The runner's per-program watchdog must not hold the runner's output
 * open: a watchdog stopped before its trap was set left its sleep behind
 * with the pipe, and a reader of the runner (a CI log, this test) waited
 * the whole timeout (300 s) for the end of a one-second run; about one
 * run in eight of a program that ends at once.  Thirty runs, each read to
 * its end: a held pipe makes this case overrun the harness's limit.
 */
static int test_output_ends_with_the_run(void)
{
	const char *const a[] = { "-t", "api_version", NULL };
	int i;

	for (i = 0; i < 30; i++) {
		EXPECT_EQ(run(a, out, sizeof(out)), 0);
		EXPECT_OUT(out, "\nok 1 selftests: vmem: api_version\n");
	}
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(pass_and_skip),
	VT_CASE(missing_program),
	VT_CASE(timeout_kills_the_whole_program),
	VT_CASE(output_ends_with_the_run),
};

VT_MAIN(cases, setup, NULL)
