/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tsc.h - the TSC frequency, for telling a Linux guest.
 *
 * This machine has no HPET, no ACPI PM timer and no paravirtual clock,
 * and a PIT read is a VM exit: Linux's calibration loops (thousands of
 * PIT reads in 10 ms) cannot succeed, so Linux marks the TSC unstable and
 * falls back to jiffies.  The launcher measures the TSC against
 * CLOCK_MONOTONIC instead and passes the result as tsc_early_khz=.  The
 * guest's TSC ticks at the host's rate (the hypervisor only offsets it).
 */
#ifndef VMEM_RUN_TSC_H
#define VMEM_RUN_TSC_H

#include <stdint.h>

/* The host TSC frequency in kHz, measured over ~20 ms; 0 on failure. */
uint64_t tsc_measure_khz(void);

#endif /* VMEM_RUN_TSC_H */
