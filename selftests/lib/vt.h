/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vt.h - test cases for the vmem selftests ("vt": vmem test).
 *
 * A test program is a table of named cases, each a function returning
 * VT_PASS, VT_FAIL or VT_SKIP, plus an optional setup and teardown:
 *
 *	static int test_version(void)
 *	{
 *		ASSERT_OK(fd = open(VT_DEV, O_RDWR));
 *		EXPECT_EQ(ioctl(fd, VMEM_GET_API_VERSION, 0), VMEM_API_VERSION);
 *		EXPECT_ERRNO(ioctl(fd, VMEM_GET_API_VERSION, 1), EINVAL);
 *		close(fd);
 *		return VT_PASS;
 *	}
 *
 *	static const struct vt_case cases[] = {
 *		VT_CASE(version),		// name "version", calls test_version
 *	};
 *	VT_MAIN(cases, setup, NULL);
 *
 * Each case is one numbered TAP result.  EXPECT_* report a failure (file,
 * line, expression, expected and got, errno by name) and go on; ASSERT_*
 * report it and return VT_FAIL from the case.  A case that hit any failed
 * EXPECT is reported "not ok" whatever it returns.  SKIP(fmt, ...) and
 * FAIL(fmt, ...) end the case with a reason.
 *
 * setup() runs once before the cases: VT_SKIP (or VT_FAIL) from it is the
 * result of every case, with its reason.  teardown() runs once after the
 * cases, also when a case crashed, so it must be able to repair state.
 *
 * A crash (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) inside a case fails
 * that case and the run goes on with the next one.
 *
 * The checks only work on the thread running the case (or in a child
 * started with vt_run_in_child()).
 */
#ifndef VMEM_VT_H
#define VMEM_VT_H

#include <errno.h>
#include <stdbool.h>

#include "kselftest.h"

enum vt_result {
	VT_PASS = KSFT_PASS,
	VT_FAIL = KSFT_FAIL,
	VT_SKIP = KSFT_SKIP,
};

struct vt_case {
	const char *name;
	int (*fn)(void);
};

#define VT_CASE(name)	{ #name, test_##name }

struct vt_suite {
	const struct vt_case *cases;
	unsigned int nr_cases;
	int (*setup)(void);		/* optional */
	void (*teardown)(void);		/* optional */
};

/* Runs the suite, prints the totals and exits with the kselftest code. */
void vt_run(const struct vt_suite *suite) __attribute__((noreturn));

#define VT_MAIN(cases_, setup_, teardown_)				\
	int main(void)							\
	{								\
		static const struct vt_suite vt_suite_ = {		\
			.cases = (cases_),				\
			.nr_cases = sizeof(cases_) / sizeof((cases_)[0]), \
			.setup = (setup_),				\
			.teardown = (teardown_),			\
		};							\
		vt_run(&vt_suite_);					\
	}

/* ---------------------------------------------------------------------- */
/* Reasons and diagnostics                                                 */

/* Record the reason and return VT_SKIP / VT_FAIL: "return vt_skip(...)". */
int vt_skip(const char *fmt, ...) KSFT_PRINTF(1, 2);
int vt_fail_at(const char *file, int line, const char *fmt, ...)
	KSFT_PRINTF(3, 4);

#define SKIP(...)	return vt_skip(__VA_ARGS__)
#define FAIL(...)	return vt_fail_at(__FILE__, __LINE__, __VA_ARGS__)

/* "# ..." diagnostic line. */
#define vt_diag(...)	ksft_print_msg(__VA_ARGS__)

/* "EINVAL"; "errno 1234" for unknown numbers. */
const char *vt_errno_name(int err);

/* True when a check of the current case failed so far. */
bool vt_case_failed(void);

/*
 * Run fn(arg) in a forked child (e.g. after dropping privileges) and
 * return its result; checks in the child print their diagnostics and
 * make it VT_FAIL.  A child killed by a signal or exiting with another
 * code is VT_FAIL.
 */
int vt_run_in_child(int (*fn)(void *arg), void *arg);

/* ---------------------------------------------------------------------- */
/* Checks                                                                  */

bool vt_check_errno(const char *file, int line, const char *expr,
		    long ret, int err, int want);
bool vt_check_ok(const char *file, int line, const char *expr,
		 long ret, int err);
bool vt_check_cmp(const char *file, int line, const char *expr_a,
		  const char *op, const char *expr_b,
		  long long a, long long b, int err, bool ok);
bool vt_check_true(const char *file, int line, const char *expr, bool ok);

/*
 * The public macros stringify their arguments themselves, so messages show
 * the source text (VMEM_GET_API_VERSION, not its expansion).
 */

/* expr must return -1 with errno == err (ioctl, open, syscall style). */
#define VT_ERRNO_(expr, str, err, on_fail) do {				\
	long vt_r_;							\
	int vt_e_;							\
	errno = 0;							\
	vt_r_ = (long)(expr);						\
	vt_e_ = errno;							\
	if (!vt_check_errno(__FILE__, __LINE__, str, vt_r_, vt_e_, (err))) \
		on_fail;						\
} while (0)

/* expr must not return -1 (a value >= 0 or a pointer; not MAP_FAILED). */
#define VT_OK_(expr, str, on_fail) do {					\
	long vt_r_;							\
	int vt_e_;							\
	errno = 0;							\
	vt_r_ = (long)(expr);						\
	vt_e_ = errno;							\
	if (!vt_check_ok(__FILE__, __LINE__, str, vt_r_, vt_e_))	\
		on_fail;						\
} while (0)

/* Compared as long long; a -1 is reported with the errno seen. */
#define VT_CMP_(a, op, b, str_a, str_b, on_fail) do {			\
	long long vt_a_, vt_b_;						\
	int vt_e_;							\
	errno = 0;							\
	vt_a_ = (long long)(a);						\
	vt_b_ = (long long)(b);						\
	vt_e_ = errno;							\
	if (!vt_check_cmp(__FILE__, __LINE__, str_a, #op, str_b,	\
			  vt_a_, vt_b_, vt_e_, vt_a_ op vt_b_))		\
		on_fail;						\
} while (0)

#define VT_TRUE_(cond, str, on_fail) do {				\
	if (!vt_check_true(__FILE__, __LINE__, str, !!(cond)))		\
		on_fail;						\
} while (0)

#define EXPECT_ERRNO(expr, err)	VT_ERRNO_(expr, #expr, err, (void)0)
#define ASSERT_ERRNO(expr, err)	VT_ERRNO_(expr, #expr, err, return VT_FAIL)
#define EXPECT_OK(expr)		VT_OK_(expr, #expr, (void)0)
#define ASSERT_OK(expr)		VT_OK_(expr, #expr, return VT_FAIL)
#define EXPECT_EQ(a, b)		VT_CMP_(a, ==, b, #a, #b, (void)0)
#define ASSERT_EQ(a, b)		VT_CMP_(a, ==, b, #a, #b, return VT_FAIL)
#define EXPECT_NE(a, b)		VT_CMP_(a, !=, b, #a, #b, (void)0)
#define ASSERT_NE(a, b)		VT_CMP_(a, !=, b, #a, #b, return VT_FAIL)
#define EXPECT_LE(a, b)		VT_CMP_(a, <=, b, #a, #b, (void)0)
#define EXPECT_GE(a, b)		VT_CMP_(a, >=, b, #a, #b, (void)0)
#define EXPECT_TRUE(cond)	VT_TRUE_(cond, #cond, (void)0)
#define ASSERT_TRUE(cond)	VT_TRUE_(cond, #cond, return VT_FAIL)

#endif /* VMEM_VT_H */
