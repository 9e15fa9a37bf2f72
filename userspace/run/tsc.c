// SPDX-License-Identifier: GPL-2.0
/*
 * tsc.c - measure the TSC frequency; see tsc.h.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "tsc.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A (tsc, ns) pair read close together: the tightest of a few tries. */
static void sample(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = ~0ull;
	int i;

	for (i = 0; i < 5; i++) {
		uint64_t t0 = __rdtsc(), n = mono_ns(), t1 = __rdtsc();

		if (t1 - t0 < best) {
			best = t1 - t0;
			*tsc = t0 + (t1 - t0) / 2;
			*ns = n;
		}
	}
}

uint64_t tsc_measure_khz(void)
{
	struct timespec d = { 0, 20 * 1000 * 1000 };
	uint64_t t0, n0, t1, n1;

	sample(&t0, &n0);
	nanosleep(&d, NULL);
	sample(&t1, &n1);
	if (n1 <= n0 || t1 <= t0)
		return 0;
	return (uint64_t)((unsigned __int128)(t1 - t0) * 1000000 / (n1 - n0));
}

/* Whether @opt (e.g. "tsc=") starts a word of @cmdline. */
static int has_option(const char *cmdline, const char *opt)
{
	const char *p = cmdline;
	size_t n = strlen(opt);

	while ((p = strstr(p, opt))) {
		if (p == cmdline || p[-1] == ' ')
			return 1;
		p += n;
	}
	return 0;
}

void tsc_cmdline(const char *user, uint64_t khz, char *buf, size_t size)
{
	const char *sep = *user ? " " : "";

	if (!khz || has_option(user, "tsc_early_khz="))
		snprintf(buf, size, "%s", user);
	else if (has_option(user, "tsc="))
		snprintf(buf, size, "%s%stsc_early_khz=%llu", user, sep,
			 (unsigned long long)khz);
	else
		snprintf(buf, size, "%s%stsc_early_khz=%llu tsc=reliable",
			 user, sep, (unsigned long long)khz);
}
