/* SPDX-License-Identifier: GPL-2.0 */
/*
 * msr.h - answers for the MSRs the kernel side leaves to the VMM
 * (VMEM_EXIT_MSR): the ones Linux touches at boot get what real hardware
 * without those features would give, a few are stored; anything else is
 * #GP, as on a CPU that lacks the MSR.  The table is in msr.c.
 */
#ifndef VMEM_RUN_MSR_H
#define VMEM_RUN_MSR_H

#include <stdbool.h>
#include <stdint.h>

#define MSR_STORE_MAX	32

struct msr_state {
	struct {
		uint32_t index;
		uint64_t value;
	} store[MSR_STORE_MAX];		/* values written to stored MSRs */
	unsigned int nr;
	bool verbose;
};

void msr_init(struct msr_state *s, bool verbose);
/* 0 with *@val set, or -1 for #GP. */
int msr_read(struct msr_state *s, uint32_t index, uint64_t *val);
/* 0, or -1 for #GP. */
int msr_write(struct msr_state *s, uint32_t index, uint64_t val);

#endif /* VMEM_RUN_MSR_H */
