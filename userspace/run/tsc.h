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

#include <stddef.h>
#include <stdint.h>

/* The host TSC frequency in kHz, measured over ~20 ms; 0 on failure. */
uint64_t tsc_measure_khz(void);

/*
 * The guest's command line: @user, plus "tsc_early_khz=@khz" when @khz
 * and @user has none, and then "tsc=reliable" when @user has no "tsc=":
 * the clocksource watchdog has only jiffies to compare the TSC with here
 * (6.12 calls the skew "too large" and drops the TSC), and a TSC whose
 * rate the launcher gave is the better clock.  Truncated to @size.
 */
void tsc_cmdline(const char *user, uint64_t khz, char *buf, size_t size);

#endif /* VMEM_RUN_TSC_H */
