/* SPDX-License-Identifier: GPL-2.0 */
/*
 * parse.h - command-line values: sizes ("256M", "2G", "4096") and
 * numbers ("0x100000", "1048576").
 */
#ifndef VMEM_RUN_PARSE_H
#define VMEM_RUN_PARSE_H

#include <stdint.h>

/*
 * A size in bytes: a decimal number with an optional suffix K, M, G or T
 * (powers of 1024, case-insensitive, an optional trailing "B" or "iB").
 * No suffix means bytes.  Returns 0, or -1 for anything else (including
 * overflow and 0).
 */
int parse_size(const char *s, uint64_t *out);

/* A number in C notation (decimal, 0x hex, 0 octal); -1 if not one. */
int parse_u64(const char *s, uint64_t *out);

#endif /* VMEM_RUN_PARSE_H */
