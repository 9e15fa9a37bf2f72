// SPDX-License-Identifier: GPL-2.0
/*
 * parse.c - command-line values; see parse.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#include "parse.h"

int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/* Digits of a decimal fraction kept: 1.5G and 0.25M are exact with six. */
#define FRAC_DIGITS_MAX	6

int parse_size_bytes(const char *s, uint64_t *out)
{
	unsigned long long whole, frac = 0, scale = 1;
	unsigned int shift;
	const char *p = s;
	int digits = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	whole = 0;
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > (~0ull - 9) / 10)
			return -1;
		whole = whole * 10 + (unsigned long long)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++) {
			if (++digits > FRAC_DIGITS_MAX)
				return -1;
			frac = frac * 10 + (unsigned long long)(*p - '0');
			scale *= 10;
		}
	}
	switch (toupper((unsigned char)*p)) {
	case 'K': shift = 10; p++; break;
	case 'M': shift = 20; p++; break;
	case 'G': shift = 30; p++; break;
	case 'T': shift = 40; p++; break;
	case '\0': shift = 20; break;	/* MiB, as QEMU's and kvmtool's -m */
	default: return -1;
	}
	if (*p && strcasecmp(p, "B") && strcasecmp(p, "iB"))
		return -1;
	if (whole > (~0ull >> shift))
		return -1;
	whole <<= shift;
	/* The fraction must come out in whole bytes: 1.5G yes, 0.3K no. */
	if ((frac << shift) % scale)
		return -1;
	frac = (frac << shift) / scale;
	if (whole + frac < whole)
		return -1;
	*out = whole + frac;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	uint64_t v;

	if (parse_size_bytes(s, &v) || !v)
		return -1;
	*out = v;
	return 0;
}
