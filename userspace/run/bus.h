/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bus.h - the launcher's port I/O bus: which device answers which ports.
 *
 * Devices register ranges of ports with an in() and an out() callback.
 * A port nobody claimed reads as all ones and ignores writes, like an
 * empty ISA bus (logged once per port with --verbose).
 */
#ifndef VMEM_RUN_BUS_H
#define VMEM_RUN_BUS_H

#include <stdbool.h>
#include <stdint.h>

#define BUS_MAX_RANGES	32

struct bus_range {
	uint16_t base;
	uint16_t len;
	void *opaque;
	/* @port is absolute; @size 1, 2 or 4; returns the value read. */
	uint32_t (*in)(void *opaque, uint16_t port, unsigned int size);
	void (*out)(void *opaque, uint16_t port, unsigned int size,
		    uint32_t val);
};

struct bus {
	struct bus_range ranges[BUS_MAX_RANGES];
	unsigned int nr;
	bool verbose;			/* log unclaimed ports once */
	uint8_t logged[65536 / 8];	/* ports already logged */
};

void bus_init(struct bus *bus, bool verbose);
/* 0, or -1 when full or overlapping (a programming error). */
int bus_register(struct bus *bus, uint16_t base, uint16_t len, void *opaque,
		 uint32_t (*in)(void *, uint16_t, unsigned int),
		 void (*out)(void *, uint16_t, unsigned int, uint32_t));
uint32_t bus_in(struct bus *bus, uint16_t port, unsigned int size);
void bus_out(struct bus *bus, uint16_t port, unsigned int size, uint32_t val);

#endif /* VMEM_RUN_BUS_H */
