// SPDX-License-Identifier: GPL-2.0
/*
 * vt.c - test cases for the vmem selftests; see vt.h.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vt.h"

static struct {
	bool failed;		/* a check of this case failed */
	char reason[512];	/* from vt_skip() / vt_fail_at() */
	bool in_case;		/* crash handler may jump back */
	sigjmp_buf jmp;
} vt_cur;

static const int vt_crash_signals[] = {
	SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT,
};

/* ---------------------------------------------------------------------- */
/* Reasons and diagnostics                                                 */

static void vt_set_reason(const char *fmt, va_list ap)
{
	vsnprintf(vt_cur.reason, sizeof(vt_cur.reason), fmt, ap);
}

int vt_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vt_set_reason(fmt, ap);
	va_end(ap);
	return VT_SKIP;
}

int vt_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vt_set_reason(fmt, ap);
	va_end(ap);
	ksft_print_msg("%s:%d: %s", file, line, vt_cur.reason);
	vt_cur.failed = true;
	return VT_FAIL;
}

const char *vt_errno_name(int err)
{
	static char buf[32];
	const char *name = err ? strerrorname_np(err) : "0";

	if (name)
		return name;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

bool vt_case_failed(void)
{
	return vt_cur.failed;
}

/* ---------------------------------------------------------------------- */
/* Checks                                                                  */

static void vt_describe(char *buf, size_t len, long ret, int err)
{
	if (ret == -1)
		snprintf(buf, len, "-1 with %s (%s)", vt_errno_name(err),
			 strerror(err));
	else
		snprintf(buf, len, "%ld", ret);
}

bool vt_check_errno(const char *file, int line, const char *expr,
		    long ret, int err, int want)
{
	char got[128];

	if (ret == -1 && err == want)
		return true;
	vt_describe(got, sizeof(got), ret, err);
	ksft_print_msg("%s:%d: %s: expected -1 with %s, got %s",
		       file, line, expr, vt_errno_name(want), got);
	vt_cur.failed = true;
	return false;
}

bool vt_check_ok(const char *file, int line, const char *expr,
		 long ret, int err)
{
	if (ret != -1)
		return true;
	ksft_print_msg("%s:%d: %s: expected success, got -1 with %s (%s)",
		       file, line, expr, vt_errno_name(err), strerror(err));
	vt_cur.failed = true;
	return false;
}

bool vt_check_cmp(const char *file, int line, const char *expr_a,
		  const char *op, const char *expr_b,
		  long long a, long long b, int err, bool ok)
{
	char errs[64] = "";

	if (ok)
		return true;
	if (a == -1 && err)
		snprintf(errs, sizeof(errs), ", errno %s", vt_errno_name(err));
	ksft_print_msg("%s:%d: expected %s %s %s, got %lld (0x%llx) vs %lld (0x%llx)%s",
		       file, line, expr_a, op, expr_b,
		       a, (unsigned long long)a, b, (unsigned long long)b,
		       errs);
	vt_cur.failed = true;
	return false;
}

bool vt_check_true(const char *file, int line, const char *expr, bool ok)
{
	if (ok)
		return true;
	ksft_print_msg("%s:%d: expected %s", file, line, expr);
	vt_cur.failed = true;
	return false;
}

/* ---------------------------------------------------------------------- */
/* Crashes and children                                                    */

static void vt_crash_handler(int sig)
{
	if (vt_cur.in_case) {
		vt_cur.in_case = false;
		siglongjmp(vt_cur.jmp, sig);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void vt_set_crash_handlers(bool on)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on ? vt_crash_handler : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	for (i = 0; i < sizeof(vt_crash_signals) / sizeof(vt_crash_signals[0]); i++)
		sigaction(vt_crash_signals[i], &sa, NULL);
}

int vt_run_in_child(int (*fn)(void *arg), void *arg)
{
	int status, ret;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		vt_set_crash_handlers(false);
		vt_cur.in_case = false;
		vt_cur.failed = false;
		vt_cur.reason[0] = '\0';
		ret = fn(arg);
		if (vt_cur.failed)
			ret = VT_FAIL;
		if (ret == VT_SKIP && vt_cur.reason[0])
			ksft_print_msg("child skipped: %s", vt_cur.reason);
		fflush(stdout);
		_exit(ret == VT_PASS || ret == VT_SKIP ? ret : VT_FAIL);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			FAIL("waitpid: %s", strerror(errno));
	}
	if (WIFSIGNALED(status))
		FAIL("child killed by signal %d (%s)", WTERMSIG(status),
		     strsignal(WTERMSIG(status)));
	ret = WEXITSTATUS(status);
	if (ret != VT_PASS && ret != VT_SKIP) {
		vt_cur.failed = true;
		return VT_FAIL;
	}
	return ret;
}

/* ---------------------------------------------------------------------- */
/* Runner                                                                  */

static void vt_report(const struct vt_case *c, int ret)
{
	if (vt_cur.failed)
		ret = VT_FAIL;
	switch (ret) {
	case VT_PASS:
		ksft_test_result_pass("%s", c->name);
		break;
	case VT_SKIP:
		ksft_test_result_skip(vt_cur.reason, "%s", c->name);
		break;
	default:
		if (ret != VT_FAIL)
			ksft_print_msg("%s returned %d", c->name, ret);
		ksft_test_result_fail("%s", c->name);
		break;
	}
}

static int vt_run_case(const struct vt_case *c)
{
	int sig, ret;

	vt_cur.failed = false;
	vt_cur.reason[0] = '\0';
	sig = sigsetjmp(vt_cur.jmp, 1);
	if (sig) {
		fflush(stdout);
		ksft_print_msg("%s: crashed with signal %d (%s)", c->name, sig,
			       strsignal(sig));
		return VT_FAIL;
	}
	vt_cur.in_case = true;
	ret = c->fn();
	vt_cur.in_case = false;
	return ret;
}

void vt_run(const struct vt_suite *suite)
{
	int setup_ret = VT_PASS;
	char setup_reason[sizeof(vt_cur.reason)] = "";
	unsigned int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ksft_print_header();
	ksft_set_plan(suite->nr_cases);
	vt_set_crash_handlers(true);

	if (suite->setup) {
		const struct vt_case setup = { "setup", suite->setup };

		setup_ret = vt_run_case(&setup);
		if (vt_cur.failed)
			setup_ret = VT_FAIL;
		memcpy(setup_reason, vt_cur.reason, sizeof(setup_reason));
		if (setup_ret == VT_FAIL)
			ksft_print_msg("setup failed%s%s, failing all cases",
				       setup_reason[0] ? ": " : "",
				       setup_reason);
	}

	for (i = 0; i < suite->nr_cases; i++) {
		const struct vt_case *c = &suite->cases[i];

		if (setup_ret != VT_PASS) {
			vt_cur.failed = setup_ret == VT_FAIL;
			memcpy(vt_cur.reason, setup_reason, sizeof(setup_reason));
			vt_report(c, setup_ret);
			continue;
		}
		vt_report(c, vt_run_case(c));
	}

	if (suite->teardown) {
		vt_cur.failed = false;
		suite->teardown();
		if (vt_cur.failed)
			ksft_print_msg("teardown reported a failure");
	}
	vt_set_crash_handlers(false);
	if (vt_cur.failed && !ksft_get_fail_cnt()) {
		/* A failed teardown must not let the program pass. */
		ksft_print_cnts();
		exit(KSFT_FAIL);
	}
	ksft_finished();
}
