/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pit.h - the i8254 programmable interval timer (ports 0x40-0x43) and the
 * PC's system control port B (0x61), which gates channel 2 and shows its
 * output, so Linux can calibrate the TSC against it.
 *
 * Counters run at 1.193182 MHz derived from CLOCK_MONOTONIC: the model
 * keeps the time each count was loaded and computes counts and outputs
 * from it, never ticking.  Channel 0's output drives IRQ 0 through a host
 * timer (the launcher's timerfd) armed for the next edge: periodic in
 * modes 2 and 3, one-shot in modes 0 and 4 (Linux's one-shot clockevent
 * uses mode 4).  Modes 1 and 5 start on a gate edge (channel 2 only).
 * Counter latch, read-back (count and status), lobyte/hibyte/both access
 * and BCD counts are modelled; BCD counting wraps as binary.
 */
#ifndef VMEM_RUN_PIT_H
#define VMEM_RUN_PIT_H

#include <stdbool.h>
#include <stdint.h>

#include "irq.h"

struct bus;

#define PIT_HZ		1193182ull

struct pit_channel {
	uint8_t mode;		/* 0-5 */
	uint8_t access;		/* 1 lobyte, 2 hibyte, 3 lobyte then hibyte */
	bool bcd;
	bool counting;		/* a count is loaded and the gate let it go */
	bool gate;
	bool null_count;	/* count written but not yet loaded */
	uint32_t reload;	/* 1-65536 */
	uint64_t load_ns;	/* when counting (re)started */
	uint64_t frozen_ticks;	/* ticks done when the gate stopped us */
	bool write_hi;		/* next data write is the high byte */
	uint8_t write_lo;
	bool read_hi;		/* next live read is the high byte */
	bool count_latched;
	bool latch_hi;		/* next latched read is the high byte */
	uint16_t latch;
	bool status_latched;
	uint8_t status;
};

struct pit_timer_ops {
	/* Arm the host timer: first edge at @deadline_ns (CLOCK_MONOTONIC),
	 * then every @period_ns (0: one-shot); @deadline_ns 0 disarms. */
	void (*arm)(void *opaque, uint64_t deadline_ns, uint64_t period_ns);
	void *opaque;
};

struct pit {
	struct pit_channel ch[3];
	uint8_t port61;		/* bits 0-3 as written */
	bool refresh;		/* port 0x61 bit 4, toggles on reads */
	struct irq_line irq0;
	struct pit_timer_ops timer;
	uint64_t (*now_ns)(void);	/* the clock; tests replace it */
};

void pit_init(struct pit *pit, const struct irq_line *irq0,
	      const struct pit_timer_ops *timer, uint64_t (*now_ns)(void));
/* Claim ports 0x40-0x43 and 0x61. */
int pit_register(struct pit *pit, struct bus *bus);

/* The host timer fired: pulse IRQ 0 (one edge, however late we are). */
void pit_timer_expired(struct pit *pit);

/* Counter value and output of channel @n now (for tests and 0x61). */
uint16_t pit_count(struct pit *pit, int n);
int pit_out(struct pit *pit, int n);

uint32_t pit_io_in(void *opaque, uint16_t port, unsigned int size);
void pit_io_out(void *opaque, uint16_t port, unsigned int size, uint32_t val);

/* CLOCK_MONOTONIC in ns. */
uint64_t pit_monotonic_ns(void);

#endif /* VMEM_RUN_PIT_H */
