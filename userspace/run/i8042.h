/* SPDX-License-Identifier: GPL-2.0 */
/*
 * i8042.h - just enough of the PC keyboard controller (ports 0x60, 0x64)
 * for Linux: the status register, the controller commands a probe uses
 * (self test 0xaa, interface tests 0xab/0xa9, read/write the command byte
 * 0x20/0x60, port enables/disables), and pulse-reset 0xfe, which resets
 * the machine.  No keyboard or mouse is attached: bytes for the devices
 * are dropped.  With the launcher's ACPI tables Linux does not probe it at
 * all (FADT says "no 8042"), but it still uses 0xfe to reboot.
 */
#ifndef VMEM_RUN_I8042_H
#define VMEM_RUN_I8042_H

#include <stdint.h>

#include "events.h"

struct bus;

struct i8042 {
	uint8_t cmd_byte;	/* the controller's command byte */
	uint8_t pending_cmd;	/* a command waiting for its data byte */
	uint8_t out[4];		/* output buffer queue */
	unsigned int out_count;
	uint8_t out_port;	/* last value written with command 0xd1 */
	struct guest_events events;
};

void i8042_init(struct i8042 *k, const struct guest_events *events);
int i8042_register(struct i8042 *k, struct bus *bus);

uint32_t i8042_io_in(void *opaque, uint16_t port, unsigned int size);
void i8042_io_out(void *opaque, uint16_t port, unsigned int size,
		  uint32_t val);

#endif /* VMEM_RUN_I8042_H */
