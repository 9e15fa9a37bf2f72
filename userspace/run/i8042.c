// SPDX-License-Identifier: GPL-2.0
/*
 * i8042.c - keyboard controller, minimal; see i8042.h.
 */
#include <string.h>

#include "bus.h"
#include "i8042.h"

#define STATUS_OBF	0x01	/* output buffer full */
#define STATUS_SYS	0x04	/* system flag: POST passed */
#define STATUS_CMD	0x08	/* last write was a command */

static void out_push(struct i8042 *k, uint8_t v)
{
	if (k->out_count < sizeof(k->out))
		k->out[k->out_count++] = v;
}

static void i8042_command(struct i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case 0x20:			/* read command byte */
		out_push(k, k->cmd_byte);
		break;
	case 0x60:			/* write command byte: data follows */
	case 0xd1:			/* write output port: data follows */
	case 0xd2: case 0xd3: case 0xd4:	/* write to a device */
		k->pending_cmd = cmd;
		break;
	case 0xa7: k->cmd_byte |= 0x20; break;	/* disable aux */
	case 0xa8: k->cmd_byte &= ~0x20; break;	/* enable aux */
	case 0xad: k->cmd_byte |= 0x10; break;	/* disable keyboard */
	case 0xae: k->cmd_byte &= ~0x10; break;	/* enable keyboard */
	case 0xaa:			/* controller self test */
		out_push(k, 0x55);
		break;
	case 0xa9:			/* aux interface test */
	case 0xab:			/* keyboard interface test */
		out_push(k, 0x00);
		break;
	case 0xd0:			/* read output port */
		out_push(k, k->out_port);
		break;
	default:
		/* 0xf0-0xff pulse output lines; bit 0 low is CPU reset. */
		if (cmd >= 0xf0 && !(cmd & 0x01))
			guest_event(&k->events, GUEST_RESET,
				    "keyboard controller reset (0xfe)");
		break;
	}
}

static void i8042_data(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending_cmd;

	k->pending_cmd = 0;
	switch (cmd) {
	case 0x60:
		k->cmd_byte = v;
		break;
	case 0xd1:
		k->out_port = v;
		if (!(v & 0x01))
			guest_event(&k->events, GUEST_RESET,
				    "keyboard controller output port reset");
		break;
	default:
		break;		/* no keyboard, no mouse: dropped */
	}
}

uint32_t i8042_io_in(void *opaque, uint16_t port, unsigned int size)
{
	struct i8042 *k = opaque;
	uint8_t v;

	(void)size;
	if (port == 0x64)
		return STATUS_SYS | (k->pending_cmd ? STATUS_CMD : 0) |
		       (k->out_count ? STATUS_OBF : 0);
	if (!k->out_count)
		return 0;
	v = k->out[0];
	memmove(k->out, k->out + 1, --k->out_count);
	return v;
}

void i8042_io_out(void *opaque, uint16_t port, unsigned int size,
		  uint32_t val)
{
	struct i8042 *k = opaque;

	(void)size;
	if (port == 0x64)
		i8042_command(k, val);
	else
		i8042_data(k, val);
}

void i8042_init(struct i8042 *k, const struct guest_events *events)
{
	memset(k, 0, sizeof(*k));
	k->cmd_byte = 0x30;	/* both ports disabled, no interrupts */
	k->out_port = 0x01;
	if (events)
		k->events = *events;
}

int i8042_register(struct i8042 *k, struct bus *bus)
{
	if (bus_register(bus, 0x60, 1, k, i8042_io_in, i8042_io_out) ||
	    bus_register(bus, 0x64, 1, k, i8042_io_in, i8042_io_out))
		return -1;
	return 0;
}
