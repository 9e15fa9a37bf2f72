// SPDX-License-Identifier: GPL-2.0
/*
 * acpi.c - minimal hardware-reduced ACPI tables; see acpi.h.  Layouts
 * from the ACPI 6.0 specification (5.2 tables, 20.2 AML encoding).
 */
#include <string.h>

#include "acpi.h"
#include "boot.h"
#include "sysports.h"

#define RSDP_OFF	0x000
#define RSDT_OFF	0x040
#define XSDT_OFF	0x080
#define FADT_OFF	0x100
#define FACS_OFF	0x240	/* 64-byte aligned */
#define DSDT_OFF	0x300
#define FACS_LEN	64

#define FADT_LEN	276
#define FADT_REV	6

/* FADT flags and IA-PC boot architecture flags */
#define FADT_WBINVD		(1u << 0)
#define FADT_PWR_BUTTON		(1u << 4)	/* no fixed power button */
#define FADT_SLP_BUTTON		(1u << 5)	/* no fixed sleep button */
#define FADT_RESET_REG_SUP	(1u << 10)
#define BOOT_ARCH_VGA_NOT_PRESENT (1u << 2)

#define GAS_IO		1

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

/* The 36-byte header every SDT starts with. */
static void sdt_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, "VMEM  ", 6);		/* OEM ID */
	memcpy(t + 16, "VMEMVM  ", 8);		/* OEM table ID */
	put32(t + 24, 1);			/* OEM revision */
	memcpy(t + 28, "VMEM", 4);		/* creator ID */
	put32(t + 32, 1);			/* creator revision */
}

static void sdt_finish(uint8_t *t, uint32_t len)
{
	t[9] = 0;
	t[9] = -acpi_checksum(t, len);
}

/* A Generic Address Structure: @width bits at I/O port @port. */
static void gas_io(uint8_t *g, uint8_t width, uint16_t port)
{
	g[0] = GAS_IO;
	g[1] = width;
	g[2] = 0;	/* bit offset */
	g[3] = width == 8 ? 1 : width == 16 ? 2 : 3;	/* access size */
	put64(g + 4, port);
}

/* ---------------------------------------------------------------------- */
/* AML                                                                     */

struct aml {
	uint8_t *buf;
	size_t len, max;
};

static void aml_byte(struct aml *a, uint8_t b)
{
	if (a->len < a->max)
		a->buf[a->len] = b;
	a->len++;
}

static void aml_bytes(struct aml *a, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		aml_byte(a, *b++);
}

/*
 * PkgLength covers itself and what follows to the end of the package.
 * Reserve 2 bytes (enough up to 4 KiB) and patch in aml_pkg_end().
 */
static size_t aml_pkg_begin(struct aml *a)
{
	size_t at = a->len;

	aml_byte(a, 0);
	aml_byte(a, 0);
	return at;
}

static void aml_pkg_end(struct aml *a, size_t at)
{
	size_t len = a->len - at;

	if (at + 1 >= a->max)
		return;
	/* Two-byte encoding: bits 7-6 = 1 byte follows, 3-0 low nibble. */
	a->buf[at] = 0x40 | (len & 0x0f);
	a->buf[at + 1] = (uint8_t)(len >> 4);
}

static void aml_name(struct aml *a, const char *seg4)
{
	aml_byte(a, 0x08);			/* NameOp */
	aml_bytes(a, seg4, 4);
}

size_t acpi_dsdt_aml(uint8_t *out, size_t max)
{
	static const uint8_t io_port_crs[] = {
		0x47, 0x01,			/* IO, 16-bit decode */
		PORT_PVPANIC & 0xff, PORT_PVPANIC >> 8,	/* min */
		PORT_PVPANIC & 0xff, PORT_PVPANIC >> 8,	/* max */
		0x01, 0x01,			/* alignment, length */
		0x79, 0x00,			/* end tag */
	};
	struct aml a = { out, 0, max };
	size_t pkg, dev, buf;

	/* Name (_S5, Package () { 5, 5 }): SLP_TYPa, SLP_TYPb for S5 */
	aml_name(&a, "_S5_");
	aml_byte(&a, 0x12);			/* PackageOp */
	pkg = aml_pkg_begin(&a);
	aml_byte(&a, 2);			/* NumElements */
	aml_byte(&a, 0x0a);			/* BytePrefix */
	aml_byte(&a, ACPI_S5_TYPE);
	aml_byte(&a, 0x0a);
	aml_byte(&a, ACPI_S5_TYPE);
	aml_pkg_end(&a, pkg);

	/* Device (PEVT) { _HID "QEMU0001", _STA 0xf, _CRS IO 0x505 } */
	aml_byte(&a, 0x5b);			/* ExtOpPrefix */
	aml_byte(&a, 0x82);			/* DeviceOp */
	dev = aml_pkg_begin(&a);
	aml_bytes(&a, "PEVT", 4);
	aml_name(&a, "_HID");
	aml_byte(&a, 0x0d);			/* StringPrefix */
	aml_bytes(&a, "QEMU0001", 9);		/* with its NUL */
	aml_name(&a, "_STA");
	aml_byte(&a, 0x0a);
	aml_byte(&a, 0x0f);
	aml_name(&a, "_CRS");
	aml_byte(&a, 0x11);			/* BufferOp */
	buf = aml_pkg_begin(&a);
	aml_byte(&a, 0x0a);			/* BufferSize */
	aml_byte(&a, sizeof(io_port_crs));
	aml_bytes(&a, io_port_crs, sizeof(io_port_crs));
	aml_pkg_end(&a, buf);
	aml_pkg_end(&a, dev);
	return a.len;
}

/* ---------------------------------------------------------------------- */
/* Tables                                                                  */

static void build_fadt(uint8_t *t, uint64_t facs, uint64_t dsdt)
{
	memset(t, 0, FADT_LEN);
	sdt_header(t, "FACP", FADT_LEN, FADT_REV);
	put32(t + 36, (uint32_t)facs);		/* FIRMWARE_CTRL */
	put32(t + 40, (uint32_t)dsdt);		/* DSDT */
	put16(t + 46, ACPI_SCI_IRQ);		/* SCI_INT */
	/* SMI_CMD 0: ACPI mode is always on, nothing to enable. */
	put32(t + 56, PORT_ACPI_PM1_EVT);	/* PM1a_EVT_BLK */
	put32(t + 64, PORT_ACPI_PM1_CNT);	/* PM1a_CNT_BLK */
	t[88] = 4;				/* PM1_EVT_LEN */
	t[89] = 2;				/* PM1_CNT_LEN */
	put16(t + 96, 101);			/* P_LVL2_LAT: no C2 */
	put16(t + 98, 1001);			/* P_LVL3_LAT: no C3 */
	t[108] = 0x32;				/* CMOS century index */
	put16(t + 109, BOOT_ARCH_VGA_NOT_PRESENT);	/* no 8042 either */
	put32(t + 112, FADT_WBINVD | FADT_PWR_BUTTON | FADT_SLP_BUTTON |
		       FADT_RESET_REG_SUP);
	gas_io(t + 116, 8, PORT_ACPI_RESET);	/* RESET_REG */
	t[128] = ACPI_RESET_VALUE;		/* RESET_VALUE */
	t[131] = 0;				/* FADT minor version */
	put64(t + 132, facs);			/* X_FIRMWARE_CTRL */
	put64(t + 140, dsdt);			/* X_DSDT */
	gas_io(t + 148, 32, PORT_ACPI_PM1_EVT);	/* X_PM1a_EVT_BLK */
	gas_io(t + 172, 16, PORT_ACPI_PM1_CNT);	/* X_PM1a_CNT_BLK */
	memcpy(t + 268, "VMEM\0\0\0\0", 8);	/* hypervisor vendor */
	sdt_finish(t, FADT_LEN);
}

static void build_facs(uint8_t *t)
{
	memcpy(t, "FACS", 4);
	put32(t + 4, FACS_LEN);
	t[32] = 2;				/* version */
}

uint64_t acpi_build(const struct guest_mem *mem, uint64_t base)
{
	uint8_t *p = mem->map(mem->ctx, base, ACPI_TABLES_SIZE);
	uint8_t *rsdp, *rsdt, *xsdt, *dsdt;
	size_t aml_len;

	if (!p)
		return 0;
	memset(p, 0, ACPI_TABLES_SIZE);

	dsdt = p + DSDT_OFF;
	aml_len = acpi_dsdt_aml(dsdt + 36, ACPI_TABLES_SIZE - DSDT_OFF - 36);
	sdt_header(dsdt, "DSDT", 36 + aml_len, 2);
	sdt_finish(dsdt, 36 + aml_len);

	build_facs(p + FACS_OFF);
	build_fadt(p + FADT_OFF, base + FACS_OFF, base + DSDT_OFF);

	rsdt = p + RSDT_OFF;
	sdt_header(rsdt, "RSDT", 36 + 4, 1);
	put32(rsdt + 36, (uint32_t)(base + FADT_OFF));
	sdt_finish(rsdt, 40);

	xsdt = p + XSDT_OFF;
	sdt_header(xsdt, "XSDT", 36 + 8, 1);
	put64(xsdt + 36, base + FADT_OFF);
	sdt_finish(xsdt, 44);

	rsdp = p + RSDP_OFF;
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "VMEM  ", 6);
	rsdp[15] = 2;				/* ACPI 2.0+ */
	put32(rsdp + 16, (uint32_t)(base + RSDT_OFF));
	put32(rsdp + 20, 36);			/* length */
	put64(rsdp + 24, base + XSDT_OFF);
	rsdp[8] = -acpi_checksum(rsdp, 20);
	rsdp[32] = -acpi_checksum(rsdp, 36);
	return base + RSDP_OFF;
}
