// SPDX-License-Identifier: GPL-2.0
/*
 * kselftest.c - TAP 13 reporting for the vmem selftests; see kselftest.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest.h"

static struct {
	unsigned int plan;	/* 0: no plan printed yet */
	unsigned int pass, fail, skip;
} ksft;

static unsigned int ksft_next_nr(void)
{
	return ksft.pass + ksft.fail + ksft.skip + 1;
}

void ksft_print_header(void)
{
	printf("TAP version 13\n");
	fflush(stdout);
}

void ksft_set_plan(unsigned int plan)
{
	ksft.plan = plan;
	printf("1..%u\n", plan);
	fflush(stdout);
}

static void ksft_vprint_msg(const char *fmt, va_list ap)
{
	size_t len = strlen(fmt);

	fputs("# ", stdout);
	vprintf(fmt, ap);
	if (!len || fmt[len - 1] != '\n')
		putchar('\n');
	fflush(stdout);
}

void ksft_print_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ksft_vprint_msg(fmt, ap);
	va_end(ap);
}

/* Prints "<status> <nr> <description>[ # SKIP reason]". */
static void ksft_vresult(const char *status, const char *skip_reason,
			 const char *fmt, va_list ap)
{
	printf("%s %u ", status, ksft_next_nr());
	vprintf(fmt, ap);
	if (skip_reason)
		printf(" # SKIP %s", skip_reason);
	putchar('\n');
	fflush(stdout);
}

void ksft_test_result_pass(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ksft_vresult("ok", NULL, fmt, ap);
	va_end(ap);
	ksft.pass++;
}

void ksft_test_result_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ksft_vresult("not ok", NULL, fmt, ap);
	va_end(ap);
	ksft.fail++;
}

void ksft_test_result_skip(const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ksft_vresult("ok", reason && *reason ? reason : "-", fmt, ap);
	va_end(ap);
	ksft.skip++;
}

void ksft_print_cnts(void)
{
	printf("# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:%u error:0\n",
	       ksft.pass, ksft.fail, ksft.skip);
	fflush(stdout);
}

unsigned int ksft_get_pass_cnt(void) { return ksft.pass; }
unsigned int ksft_get_fail_cnt(void) { return ksft.fail; }
unsigned int ksft_get_skip_cnt(void) { return ksft.skip; }

void ksft_finished(void)
{
	unsigned int ran = ksft.pass + ksft.fail + ksft.skip;
	int code;

	if (ran != ksft.plan) {
		ksft_print_msg("planned %u tests but ran %u", ksft.plan, ran);
		code = KSFT_FAIL;
	} else if (ksft.fail) {
		code = KSFT_FAIL;
	} else if (ran && ksft.skip == ran) {
		code = KSFT_SKIP;
	} else {
		code = KSFT_PASS;
	}
	ksft_print_cnts();
	exit(code);
}

void ksft_exit_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (!ksft.plan && ksft_next_nr() == 1) {
		printf("1..0 # SKIP ");
		vprintf(fmt, ap);
		putchar('\n');
	} else {
		ksft_vprint_msg(fmt, ap);
	}
	va_end(ap);
	ksft_print_cnts();
	exit(KSFT_SKIP);
}

void ksft_exit_fail_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ksft_vprint_msg(fmt, ap);
	va_end(ap);
	ksft_print_cnts();
	exit(KSFT_FAIL);
}
