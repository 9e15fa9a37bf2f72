/* SPDX-License-Identifier: GPL-2.0 */
/*
 * parse.h - command-line values: sizes ("256M", "1.5G", "256") and
 * numbers ("0x100000", "1048576").
 */
#ifndef VMEM_RUN_PARSE_H
#define VMEM_RUN_PARSE_H

#include <stdint.h>

/*
 * A size in bytes, one rule for every size the vmem tool takes: a
 * decimal number, optionally with a fraction of up to six digits
 * ("1.5G"), and an optional suffix K, M, G or T (powers of 1024,
 * case-insensitive, an optional trailing "B" or "iB").  No suffix means
 * MiB, as with QEMU's and kvmtool's -m.  The value must be a whole number
 * of bytes.  Returns 0, or -1 for anything else (including overflow).
 * parse_size() also refuses 0.
 */
int parse_size_bytes(const char *s, uint64_t *out);
int parse_size(const char *s, uint64_t *out);

/* A number in C notation (decimal, 0x hex, 0 octal); -1 if not one. */
int parse_u64(const char *s, uint64_t *out);

#endif /* VMEM_RUN_PARSE_H */
