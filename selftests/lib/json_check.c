// SPDX-License-Identifier: GPL-2.0
/*
 * json_check.c - see json_check.h.  Recursive descent, depth-limited.
 */
#include <ctype.h>
#include <string.h>

#include "json_check.h"

#define DEPTH_MAX	64

static const char *value(const char *p, int depth);

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *string(const char *p)
{
	int i;

	if (*p++ != '"')
		return NULL;
	for (;;) {
		unsigned char c = (unsigned char)*p++;

		if (c == '"')
			return p;
		if (c < 0x20)		/* NUL (the end) or a raw control */
			return NULL;
		if (c != '\\')
			continue;
		c = (unsigned char)*p++;
		if (c == 'u') {
			for (i = 0; i < 4; i++, p++)
				if (!isxdigit((unsigned char)*p))
					return NULL;
		} else if (!c || !strchr("\"\\/bfnrt", c)) {
			return NULL;
		}
	}
}

static const char *digits(const char *p)
{
	if (!isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p))
		p++;
	return p;
}

static const char *number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (!(p = digits(p)))
		return NULL;
	if (*p == '.' && !(p = digits(p + 1)))
		return NULL;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		p = digits(p);
	}
	return p;
}

static const char *members(const char *p, int depth, char close, int obj)
{
	p = ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (obj) {
			if (!(p = string(ws(p))))
				return NULL;
			p = ws(p);
			if (*p++ != ':')
				return NULL;
		}
		if (!(p = value(p, depth + 1)))
			return NULL;
		p = ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *value(const char *p, int depth)
{
	if (depth > DEPTH_MAX)
		return NULL;
	p = ws(p);
	switch (*p) {
	case '{': return members(p, depth, '}', 1);
	case '[': return members(p, depth, ']', 0);
	case '"': return string(p);
	case 't': return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f': return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n': return strncmp(p, "null", 4) ? NULL : p + 4;
	default:  return number(p);
	}
}

int json_check(const char *text, size_t *where)
{
	const char *p = value(text, 0);

	if (p && !*ws(p))
		return 0;
	/* The error is near where parsing stopped; the start is a bound. */
	if (where)
		*where = p ? (size_t)(ws(p) - text) : 0;
	return -1;
}
