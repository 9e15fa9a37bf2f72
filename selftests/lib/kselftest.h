/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kselftest.h - TAP 13 reporting for the vmem selftests.
 *
 * Our own small library with the output format and exit codes of the
 * kernel's tools/testing/selftests/kselftest.h, so any kselftest-aware
 * runner understands it:
 *
 *	TAP version 13
 *	1..N
 *	ok 1 name
 *	not ok 2 name
 *	ok 3 name # SKIP reason
 *	# diagnostics
 *	# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:1 error:0
 *
 * Exit codes: KSFT_PASS 0, KSFT_FAIL 1, KSFT_SKIP 4.
 *
 * Most tests do not call this layer directly: they use the test-case
 * table of vt.h, which is built on it.
 */
#ifndef VMEM_KSELFTEST_H
#define VMEM_KSELFTEST_H

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_XFAIL	2
#define KSFT_XPASS	3
#define KSFT_SKIP	4

#define KSFT_PRINTF(a, b)	__attribute__((format(printf, a, b)))

/* "TAP version 13" */
void ksft_print_header(void);
/* "1..N" */
void ksft_set_plan(unsigned int plan);
/* "# ..." on stdout; a trailing newline is added when missing. */
void ksft_print_msg(const char *fmt, ...) KSFT_PRINTF(1, 2);

/* One numbered result each; numbers are assigned in call order. */
void ksft_test_result_pass(const char *fmt, ...) KSFT_PRINTF(1, 2);
void ksft_test_result_fail(const char *fmt, ...) KSFT_PRINTF(1, 2);
void ksft_test_result_skip(const char *reason, const char *fmt, ...)
	KSFT_PRINTF(2, 3);

/* "# Totals: ..." */
void ksft_print_cnts(void);

unsigned int ksft_get_pass_cnt(void);
unsigned int ksft_get_fail_cnt(void);
unsigned int ksft_get_skip_cnt(void);

/*
 * Print the totals and exit: KSFT_FAIL if anything failed or the number
 * of results differs from the plan, KSFT_SKIP if everything was skipped,
 * KSFT_PASS otherwise.
 */
void ksft_finished(void) __attribute__((noreturn));

/*
 * Skip the whole program before any result: prints "1..0 # SKIP reason"
 * when no plan was printed yet, and exits KSFT_SKIP.
 */
void ksft_exit_skip(const char *fmt, ...) KSFT_PRINTF(1, 2)
	__attribute__((noreturn));
/* Abort with a diagnostic; exits KSFT_FAIL. */
void ksft_exit_fail_msg(const char *fmt, ...) KSFT_PRINTF(1, 2)
	__attribute__((noreturn));

#endif /* VMEM_KSELFTEST_H */
