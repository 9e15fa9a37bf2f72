// SPDX-License-Identifier: GPL-2.0
/*
 * pit.c - i8254 timer and port 0x61; see pit.h.  After the Intel 82C54
 * data sheet; OpenBSD vmd's i8253.c is a model of the same size.
 */
#include <string.h>
#include <time.h>

#include "bus.h"
#include "pit.h"

uint64_t pit_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t ticks_to_ns(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * 1000000000ull +
			   PIT_HZ - 1) / PIT_HZ);
}

static uint64_t ns_to_ticks(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * PIT_HZ / 1000000000ull);
}

/* Ticks counted since the count was loaded (0 when not counting). */
static uint64_t ch_ticks(struct pit *pit, struct pit_channel *c)
{
	uint64_t now;

	if (!c->counting)
		return c->frozen_ticks;
	now = pit->now_ns();
	return now > c->load_ns ? ns_to_ticks(now - c->load_ns) : 0;
}

static bool has_gate(int n)
{
	return n == 2;		/* channels 0 and 1 are always gated on */
}

uint16_t pit_count(struct pit *pit, int n)
{
	struct pit_channel *c = &pit->ch[n];
	uint64_t t = ch_ticks(pit, c);

	if (!c->counting && !c->frozen_ticks)
		return (uint16_t)c->reload;
	switch (c->mode) {
	case 2:
	case 3:
		return (uint16_t)(c->reload - t % c->reload);
	default:	/* 0, 1, 4, 5: count down once, then wrap */
		return (uint16_t)(c->reload - t);
	}
}

int pit_out(struct pit *pit, int n)
{
	struct pit_channel *c = &pit->ch[n];
	uint64_t t;

	if (!c->counting) {
		/* Stopped: mode 0 holds low until its terminal count; the
		 * other modes rest high. */
		if (c->mode == 0 || c->mode == 1)
			return c->frozen_ticks >= c->reload;
		return 1;
	}
	t = ch_ticks(pit, c);
	switch (c->mode) {
	case 0:
	case 1:
		return t >= c->reload;
	case 2:
		return t % c->reload != c->reload - 1;
	case 3:
		return t % c->reload < (c->reload + 1) / 2;
	default:	/* 4, 5: a one-tick low strobe at terminal count */
		return t != c->reload;
	}
}

/* Channel 0 drives IRQ 0: arm the host timer for its next edges. */
static void pit_arm(struct pit *pit)
{
	struct pit_channel *c = &pit->ch[0];
	uint64_t first, period = 0;

	if (!pit->timer.arm)
		return;
	if (!c->counting) {
		pit->timer.arm(pit->timer.opaque, 0, 0);
		return;
	}
	first = c->load_ns + ticks_to_ns(c->reload);
	if (c->mode == 2 || c->mode == 3)
		period = ticks_to_ns(c->reload);
	pit->timer.arm(pit->timer.opaque, first, period);
}

void pit_timer_expired(struct pit *pit)
{
	irq_pulse(&pit->irq0);
}

static uint32_t bcd_to_bin(uint32_t v)
{
	return (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 +
	       ((v >> 12) & 0xf) * 1000;
}

static void ch_load(struct pit *pit, int n, uint32_t v)
{
	struct pit_channel *c = &pit->ch[n];

	if (c->bcd)
		v = bcd_to_bin(v);
	c->reload = v ? v : (c->bcd ? 10000 : 0x10000);
	c->null_count = false;
	c->frozen_ticks = 0;
	/* Modes 1 and 5 wait for a gate edge; the others start now. */
	c->counting = (c->mode != 1 && c->mode != 5) &&
		      (!has_gate(n) || c->gate);
	c->load_ns = pit->now_ns();
	if (n == 0)
		pit_arm(pit);
}

static void ch_write_data(struct pit *pit, int n, uint8_t v)
{
	struct pit_channel *c = &pit->ch[n];

	switch (c->access) {
	case 1:
		ch_load(pit, n, v);
		break;
	case 2:
		ch_load(pit, n, (uint32_t)v << 8);
		break;
	case 3:
		if (!c->write_hi) {
			c->write_lo = v;
			c->write_hi = true;
			if (c->mode == 0) {	/* the first byte stops it */
				c->frozen_ticks = 0;
				c->counting = false;
				if (n == 0)
					pit_arm(pit);
			}
		} else {
			c->write_hi = false;
			ch_load(pit, n, c->write_lo | (uint32_t)v << 8);
		}
		break;
	}
}

static uint8_t ch_read_data(struct pit *pit, int n)
{
	struct pit_channel *c = &pit->ch[n];
	uint16_t v;
	bool hi;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->count_latched) {
		v = c->latch;
		if (c->access == 3 && !c->latch_hi) {
			c->latch_hi = true;
			return v & 0xff;
		}
		c->count_latched = false;
		c->latch_hi = false;
		return c->access == 1 ? v & 0xff : v >> 8;
	}
	v = pit_count(pit, n);
	if (c->access == 3) {
		hi = c->read_hi;
		c->read_hi = !c->read_hi;
	} else {
		hi = c->access == 2;
	}
	return hi ? v >> 8 : v & 0xff;
}

static void ch_latch_count(struct pit *pit, int n)
{
	struct pit_channel *c = &pit->ch[n];

	if (c->count_latched)
		return;		/* the first latch holds until read */
	c->latch = pit_count(pit, n);
	c->count_latched = true;
	c->latch_hi = false;
}

static void ch_latch_status(struct pit *pit, int n)
{
	struct pit_channel *c = &pit->ch[n];

	if (c->status_latched)
		return;
	c->status = (pit_out(pit, n) ? 0x80 : 0) | (c->null_count ? 0x40 : 0) |
		    c->access << 4 | c->mode << 1 | c->bcd;
	c->status_latched = true;
}

static void pit_write_control(struct pit *pit, uint8_t v)
{
	int n = v >> 6, i;
	struct pit_channel *c;

	if (n == 3) {				/* read-back */
		for (i = 0; i < 3; i++) {
			if (!(v & (2 << i)))
				continue;
			if (!(v & 0x20))
				ch_latch_count(pit, i);
			if (!(v & 0x10))
				ch_latch_status(pit, i);
		}
		return;
	}
	c = &pit->ch[n];
	if (!(v & 0x30)) {			/* counter latch */
		ch_latch_count(pit, n);
		return;
	}
	c->access = (v >> 4) & 3;
	c->mode = (v >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;			/* 6, 7 are 2, 3 */
	c->bcd = v & 1;
	c->write_hi = false;
	c->read_hi = false;
	c->count_latched = false;
	c->status_latched = false;
	c->null_count = true;
	/* A new mode stops the counter until a count is written. */
	c->counting = false;
	c->frozen_ticks = 0;
	if (n == 0)
		pit_arm(pit);
}

/* Channel 2's gate changed (port 0x61 bit 0). */
static void pit_set_gate2(struct pit *pit, bool gate)
{
	struct pit_channel *c = &pit->ch[2];

	if (gate == c->gate)
		return;
	c->gate = gate;
	if (c->null_count && !gate)
		return;
	switch (c->mode) {
	case 0:
	case 4:		/* gate low suspends counting, high resumes */
		if (!gate) {
			c->frozen_ticks = ch_ticks(pit, c);
			c->counting = false;
		} else if (!c->null_count) {
			c->load_ns = pit->now_ns() - ticks_to_ns(c->frozen_ticks);
			c->counting = true;
		}
		break;
	default:	/* 1, 2, 3, 5: a rising edge (re)starts the count */
		if (gate && !c->null_count) {
			c->frozen_ticks = 0;
			c->load_ns = pit->now_ns();
			c->counting = true;
		} else if (!gate && (c->mode == 2 || c->mode == 3)) {
			c->frozen_ticks = 0;
			c->counting = false;
		}
		break;
	}
}

uint32_t pit_io_in(void *opaque, uint16_t port, unsigned int size)
{
	struct pit *pit = opaque;
	uint8_t v;

	(void)size;
	if (port == 0x61) {
		pit->refresh = !pit->refresh;
		v = pit->port61 & 0x0f;
		if (pit->refresh)
			v |= 0x10;
		if (pit_out(pit, 2))
			v |= 0x20;
		return v;
	}
	if (port == 0x43)
		return 0xff;			/* write-only */
	return ch_read_data(pit, port - 0x40);
}

void pit_io_out(void *opaque, uint16_t port, unsigned int size, uint32_t val)
{
	struct pit *pit = opaque;

	(void)size;
	if (port == 0x61) {
		pit->port61 = val & 0x0f;
		pit_set_gate2(pit, val & 1);
		return;
	}
	if (port == 0x43)
		pit_write_control(pit, val);
	else
		ch_write_data(pit, port - 0x40, val);
}

void pit_init(struct pit *pit, const struct irq_line *irq0,
	      const struct pit_timer_ops *timer, uint64_t (*now_ns)(void))
{
	int i;

	memset(pit, 0, sizeof(*pit));
	if (irq0)
		pit->irq0 = *irq0;
	if (timer)
		pit->timer = *timer;
	pit->now_ns = now_ns ? now_ns : pit_monotonic_ns;
	for (i = 0; i < 3; i++) {
		pit->ch[i].reload = 0x10000;
		pit->ch[i].access = 3;
		pit->ch[i].mode = 3;
		pit->ch[i].null_count = true;
	}
}

int pit_register(struct pit *pit, struct bus *bus)
{
	if (bus_register(bus, 0x40, 4, pit, pit_io_in, pit_io_out) ||
	    bus_register(bus, 0x61, 1, pit, pit_io_in, pit_io_out))
		return -1;
	return 0;
}
