// SPDX-License-Identifier: GPL-2.0
/*
 * bus.c - port I/O dispatch; see bus.h.
 */
#include <stdio.h>
#include <string.h>

#include "bus.h"

void bus_init(struct bus *bus, bool verbose)
{
	memset(bus, 0, sizeof(*bus));
	bus->verbose = verbose;
}

int bus_register(struct bus *bus, uint16_t base, uint16_t len, void *opaque,
		 uint32_t (*in)(void *, uint16_t, unsigned int),
		 void (*out)(void *, uint16_t, unsigned int, uint32_t))
{
	unsigned int i;

	if (bus->nr == BUS_MAX_RANGES || !len || base + len > 0x10000)
		return -1;
	for (i = 0; i < bus->nr; i++) {
		struct bus_range *r = &bus->ranges[i];

		if (base < r->base + r->len && r->base < base + len)
			return -1;
	}
	bus->ranges[bus->nr++] = (struct bus_range){
		.base = base, .len = len, .opaque = opaque, .in = in, .out = out,
	};
	return 0;
}

static struct bus_range *bus_find(struct bus *bus, uint16_t port)
{
	unsigned int i;

	for (i = 0; i < bus->nr; i++) {
		struct bus_range *r = &bus->ranges[i];

		if (port >= r->base && port - r->base < r->len)
			return r;
	}
	return NULL;
}

static void bus_log_once(struct bus *bus, uint16_t port, const char *what,
			 unsigned int size, uint32_t val)
{
	if (!bus->verbose || bus->logged[port / 8] & (1u << (port % 8)))
		return;
	bus->logged[port / 8] |= 1u << (port % 8);
	if (*what == 'o')
		fprintf(stderr, "vmem run: unhandled out%c 0x%x <- 0x%x (logged once)\r\n",
			"?bw?l"[size], port, val);
	else
		fprintf(stderr, "vmem run: unhandled in%c 0x%x (logged once)\r\n",
			"?bw?l"[size], port);
}

static uint32_t size_mask(unsigned int size)
{
	return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

uint32_t bus_in(struct bus *bus, uint16_t port, unsigned int size)
{
	struct bus_range *r = bus_find(bus, port);

	if (!r || !r->in) {
		bus_log_once(bus, port, "in", size, 0);
		return size_mask(size);
	}
	return r->in(r->opaque, port, size) & size_mask(size);
}

void bus_out(struct bus *bus, uint16_t port, unsigned int size, uint32_t val)
{
	struct bus_range *r = bus_find(bus, port);

	if (!r || !r->out) {
		bus_log_once(bus, port, "out", size, val);
		return;
	}
	r->out(r->opaque, port, size, val & size_mask(size));
}
