/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sysports.h - the small fixed ports of a PC that need no device of
 * their own:
 *   0x80         POST code / I/O delay: writes ignored, reads 0xff
 *   0x92         system control port A: bit 1 fast A20 (stored; A20 is
 *                always on), bit 0 fast reset
 *   0xcf8        PCI configuration address (a latch that reads back)
 *   0xcf9        reset control (bit 2 resets, as on Intel chipsets)
 *   0xcfc-0xcff  PCI configuration data: no device, all ones
 *   0x505        pvpanic (QEMU's protocol): reads the supported events
 *                (1 panicked, 2 crash loaded), writes report them
 *   0x600-0x603  ACPI PM1a event block (status, enable): nothing to report
 *   0x604-0x605  ACPI PM1a control: SLP_TYP 5 with SLP_EN is S5, power off
 *   0x608        ACPI reset register: 0x01 resets
 * (the ACPI ports are what the launcher's FADT points at; see acpi.h)
 */
#ifndef VMEM_RUN_SYSPORTS_H
#define VMEM_RUN_SYSPORTS_H

#include <stdint.h>

#include "events.h"

struct bus;

#define PORT_PVPANIC		0x505
#define PORT_ACPI_PM1_EVT	0x600	/* 4 bytes: status, enable */
#define PORT_ACPI_PM1_CNT	0x604	/* 2 bytes */
#define PORT_ACPI_RESET		0x608
#define ACPI_RESET_VALUE	0x01
#define ACPI_S5_TYPE		5	/* SLP_TYP of \_S5 in our DSDT */
#define ACPI_SCI_IRQ		9	/* never raised */

struct sysports {
	uint8_t port92;
	uint32_t pci_addr;
	uint16_t pm1_enable;
	uint16_t pm1_control;
	struct guest_events events;
};

void sysports_init(struct sysports *s, const struct guest_events *events);
int sysports_register(struct sysports *s, struct bus *bus);

uint32_t sysports_io_in(void *opaque, uint16_t port, unsigned int size);
void sysports_io_out(void *opaque, uint16_t port, unsigned int size,
		     uint32_t val);

#endif /* VMEM_RUN_SYSPORTS_H */
