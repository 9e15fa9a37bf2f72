/* SPDX-License-Identifier: GPL-2.0 */
/*
 * acpi.h - the launcher's minimal ACPI tables.
 *
 * Why ACPI at all: it is how Debian's kernel powers off without a full
 * chipset, and how it finds a pvpanic device.  The tables:
 *   RSDP -> RSDT/XSDT -> FADT (revision 6; PM1a event and control blocks
 *   and a reset register in I/O space; no PM timer, no GPEs, no SMI
 *   command port, so ACPI mode is always on; "no 8042", "no VGA", CMOS
 *   century at 0x32) -> FACS, and DSDT with \_S5 and a pvpanic device
 *   (_HID QEMU0001, I/O port 0x505).
 * Not hardware-reduced ACPI: on x86 that flag makes Linux drop the 8259
 * PIC and the PIT, which are this machine's only interrupt controller
 * and timer.  There is no MADT: without a local APIC (CPUID says none)
 * the guest runs on the PIC.  The SCI (IRQ 9) is never raised.
 */
#ifndef VMEM_RUN_ACPI_H
#define VMEM_RUN_ACPI_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem;

/* Room the tables take from @base. */
#define ACPI_TABLES_SIZE	0x1000

/*
 * Write the tables at guest-physical @base (16-byte aligned, below
 * 1 MiB so legacy RSDP scans find it too).  Returns the RSDP's address,
 * or 0 if the memory could not be mapped.
 */
uint64_t acpi_build(const struct guest_mem *mem, uint64_t base);

/* The DSDT's AML body (for tests): writes at most @max bytes to @out and
 * returns the length. */
size_t acpi_dsdt_aml(uint8_t *out, size_t max);

/* Sum of bytes (tables must sum to 0). */
uint8_t acpi_checksum(const void *p, size_t len);

#endif /* VMEM_RUN_ACPI_H */
