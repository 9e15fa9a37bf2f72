/* SPDX-License-Identifier: GPL-2.0 */
/*
 * launcher_util.h - the selftests' command runner: run the `vmem` tool
 * (launcher_*, boot_*, pool_cli, tunable_cli) with its output captured,
 * wait for text, type into its console, collect its exit status, or run
 * it to the end and check both.
 *
 * The tool is $VMEM_TOOL, else /bin/vmem (where the harness puts it);
 * the Linux guest (scripts/guest/build.sh) is in $VMEM_GUEST_DIR, else
 * /guest.
 */
#ifndef VMEM_LAUNCHER_UTIL_H
#define VMEM_LAUNCHER_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct lrun {
	pid_t pid;
	int fd;			/* stdout+stderr (and stdin with a pty) */
	char *out;		/* everything read so far, NUL-terminated */
	size_t len, cap;
	int status;		/* exit status; 128+N when killed by N */
	bool exited;
};

const char *lrun_tool(void);
/* Setup helper: VT_PASS, or vt_skip() when the tool is not executable. */
int lrun_require_tool(void);
const char *lrun_guest_dir(void);
/* "DIR/NAME" of the guest, or NULL when the guest is missing. */
const char *lrun_guest_file(const char *name);
/* The guest's command line (DIR/cmdline) plus @extra; static buffer. */
const char *lrun_guest_cmdline(const char *extra);

/*
 * Start argv (argv[0] is replaced by the tool).  With @pty the tool's
 * stdin, stdout and stderr are a new pseudo-terminal; otherwise stdin is
 * /dev/null and output a pipe.  0 or -errno.
 */
int lrun_start(struct lrun *r, const char *const argv[], bool pty);
/* The same with the program @exe (argv[0] is passed as given). */
int lrun_start_exe(struct lrun *r, const char *exe, const char *const argv[],
		   bool pty);
/* Read output until it contains @text (true), the tool exits or
 * @timeout_s passes (false). */
bool lrun_wait_for(struct lrun *r, const char *text, int timeout_s);
/* Type @s into the console (pty only). */
int lrun_type(struct lrun *r, const char *s);
/* Wait for the exit (killing it after @timeout_s); returns the status. */
int lrun_finish(struct lrun *r, int timeout_s);
/* Print the last @lines lines of output as diagnostics. */
void lrun_dump(const struct lrun *r, int lines);
void lrun_free(struct lrun *r);

/*
 * The argv of `vmem run --flat @path --load-addr 0x100000 --entry 0x100000
 * --memory 16M` plus @extra (NULL-ended, may be NULL) in @argv, which
 * has room for @max pointers; the tiny flat guests of launcher_*.
 */
void lrun_flat_argv(const char **argv, unsigned int max, const char *path,
		    const char *const extra[]);
/* Write @code to @path and start `vmem run --flat` on it (as above). */
int lrun_start_flat(struct lrun *r, const char *path, const void *code,
		    size_t len, const char *const extra[], bool pty);

/* Run to the end without input; returns the status, output in @r. */
int lrun_run(struct lrun *r, const char *const argv[], int timeout_s);
/*
 * Run to the end: true when it exits with @code and (if not NULL) @text
 * is in its output; else false, with diagnostics and the output's end.
 */
bool lrun_expect(int code, const char *text, const char *const argv[],
		 int timeout_s);

/* EXPECT (vt.h) that `vmem ARGS...` exits with @code, printing @text. */
#define LRUN_EXPECT(code, text, ...)					\
	EXPECT_TRUE(lrun_expect((code), (text),				\
				(const char *const[]){ "vmem", __VA_ARGS__, NULL }, \
				30))

#endif /* VMEM_LAUNCHER_UTIL_H */
