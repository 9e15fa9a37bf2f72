// SPDX-License-Identifier: GPL-2.0
/*
 * sysports.c - POST, port A, PCI "no device", pvpanic and ACPI sleep and
 * reset registers; see sysports.h.
 */
#include <string.h>

#include "bus.h"
#include "sysports.h"

#define PM1_SCI_EN	0x0001
#define PM1_SLP_EN	0x2000
#define PM1_SLP_TYP(v)	(((v) >> 10) & 7)

/* The PM1 registers, byte-addressable: @off from PORT_ACPI_PM1_EVT. */
static uint32_t pm1_read(struct sysports *s, unsigned int off,
			 unsigned int size)
{
	uint8_t regs[6];
	uint32_t v = 0;
	unsigned int i;

	regs[0] = regs[1] = 0;				/* PM1 status */
	regs[2] = s->pm1_enable;
	regs[3] = s->pm1_enable >> 8;
	regs[4] = s->pm1_control | PM1_SCI_EN;
	regs[5] = s->pm1_control >> 8;
	for (i = 0; i < size && off + i < sizeof(regs); i++)
		v |= (uint32_t)regs[off + i] << (8 * i);
	return v;
}

static void pm1_write(struct sysports *s, unsigned int off, unsigned int size,
		      uint32_t val)
{
	unsigned int i;

	for (i = 0; i < size; i++, off++, val >>= 8) {
		uint8_t b = val;

		switch (off) {
		case 2: s->pm1_enable = (s->pm1_enable & 0xff00) | b; break;
		case 3: s->pm1_enable = (s->pm1_enable & 0xff) | b << 8; break;
		case 4: s->pm1_control = (s->pm1_control & 0xff00) | b; break;
		case 5: s->pm1_control = (s->pm1_control & 0xff) | b << 8; break;
		default: break;		/* status: write-1-to-clear, empty */
		}
	}
	if ((s->pm1_control & PM1_SLP_EN) &&
	    PM1_SLP_TYP(s->pm1_control) == ACPI_S5_TYPE) {
		s->pm1_control &= ~PM1_SLP_EN;
		guest_event(&s->events, GUEST_POWEROFF, "ACPI S5");
	}
	s->pm1_control &= ~PM1_SLP_EN;		/* write-only bit */
}

uint32_t sysports_io_in(void *opaque, uint16_t port, unsigned int size)
{
	struct sysports *s = opaque;

	if (port >= PORT_ACPI_PM1_EVT && port < PORT_ACPI_PM1_CNT + 2)
		return pm1_read(s, port - PORT_ACPI_PM1_EVT, size);
	switch (port) {
	case 0x92:
		return s->port92 | 0x02;	/* A20 is on */
	case 0xcf8:
		return size == 4 ? s->pci_addr : 0xffffffff;
	case PORT_PVPANIC:
		return 0x03;			/* panicked, crash loaded */
	default:
		return 0xffffffff;		/* 0x80, 0xcfc-0xcff, ... */
	}
}

void sysports_io_out(void *opaque, uint16_t port, unsigned int size,
		     uint32_t val)
{
	struct sysports *s = opaque;

	if (port >= PORT_ACPI_PM1_EVT && port < PORT_ACPI_PM1_CNT + 2) {
		pm1_write(s, port - PORT_ACPI_PM1_EVT, size, val);
		return;
	}
	switch (port) {
	case 0x92:
		if ((val & 0x01) && !(s->port92 & 0x01))
			guest_event(&s->events, GUEST_RESET,
				    "port 0x92 fast reset");
		s->port92 = val & 0x03;
		break;
	case 0xcf8:
		if (size == 4)
			s->pci_addr = val;
		break;
	case 0xcf9:
		/* The PIIX reset control register: bit 2 resets the CPU. */
		if (size == 1 && (val & 0x04))
			guest_event(&s->events, GUEST_RESET,
				    "reset control register 0xcf9");
		break;
	case PORT_PVPANIC:
		if (val & 0x01)
			guest_event(&s->events, GUEST_PANIC, "pvpanic");
		else if (val & 0x02)
			guest_event(&s->events, GUEST_CRASH_LOADED, "pvpanic");
		break;
	case PORT_ACPI_RESET:
		if (val == ACPI_RESET_VALUE)
			guest_event(&s->events, GUEST_RESET,
				    "ACPI reset register");
		break;
	default:
		break;		/* 0x80, 0xcfc-0xcff */
	}
}

void sysports_init(struct sysports *s, const struct guest_events *events)
{
	memset(s, 0, sizeof(*s));
	if (events)
		s->events = *events;
}

int sysports_register(struct sysports *s, struct bus *bus)
{
	if (bus_register(bus, 0x80, 1, s, sysports_io_in, sysports_io_out) ||
	    bus_register(bus, 0x92, 1, s, sysports_io_in, sysports_io_out) ||
	    bus_register(bus, 0xcf8, 8, s, sysports_io_in, sysports_io_out) ||
	    bus_register(bus, PORT_PVPANIC, 1, s, sysports_io_in,
			 sysports_io_out) ||
	    bus_register(bus, PORT_ACPI_PM1_EVT, 6, s, sysports_io_in,
			 sysports_io_out) ||
	    bus_register(bus, PORT_ACPI_RESET, 1, s, sysports_io_in,
			 sysports_io_out))
		return -1;
	return 0;
}
