/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json_check.h - a strict JSON syntax check (RFC 8259) for tests of the
 * tool's --json output: objects, arrays, strings with their escapes,
 * numbers, true, false, null.  No values are built.
 */
#ifndef VMEM_JSON_CHECK_H
#define VMEM_JSON_CHECK_H

#include <stddef.h>

/*
 * 0 when @text is exactly one JSON value with optional white space
 * around it; else -1 with the offset of the first error in @where.
 */
int json_check(const char *text, size_t *where);

#endif /* VMEM_JSON_CHECK_H */
