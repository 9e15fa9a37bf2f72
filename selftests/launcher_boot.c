// SPDX-License-Identifier: GPL-2.0
/*
 * launcher_boot - the launcher's boot loader without a VM: bzImage setup
 * header checks, placement of kernel/initrd/command line, boot_params and
 * its e820 map, the 64-bit entry state, ACPI tables, the CPUID filter and
 * command-line sizes (userspace/run/).
 */
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "boot.h"
#include "cpuid.h"
#include "parse.h"
#include "tsc.h"
#include "vt.h"

#define MIB	(1ull << 20)

/* ---------------------------------------------------------------------- */
/* A fake bzImage and fake guest memory                                    */

struct fake {
	uint8_t *img;
	size_t size;
};

static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

/* A bzImage with protocol @version, 4 setup sectors, @pm bytes of kernel. */
static struct fake fake_bzimage(uint16_t version, size_t pm)
{
	struct fake f;
	size_t setup = 5 * 512;

	f.size = setup + pm;
	f.img = calloc(1, f.size);
	f.img[0x1f1] = 4;				/* setup_sects */
	put32(f.img + 0x1f4, pm / 16);			/* syssize */
	put16(f.img + 0x1fe, 0xaa55);
	f.img[0x200] = 0xeb;				/* jmp */
	f.img[0x201] = 0x6a;				/* header to 0x26c */
	memcpy(f.img + 0x202, "HdrS", 4);
	put16(f.img + 0x206, version);
	f.img[0x211] = 0x01;				/* LOADED_HIGH */
	put32(f.img + 0x214, 0x100000);			/* code32_start */
	put32(f.img + 0x22c, 0x7fffffff);		/* initrd_addr_max */
	put32(f.img + 0x230, 0x200000);			/* kernel_alignment */
	f.img[0x234] = 1;				/* relocatable */
	put16(f.img + 0x236, 0x3);			/* XLF_KERNEL_64 | above 4G */
	put32(f.img + 0x238, 2047);			/* cmdline_size */
	put32(f.img + 0x258, 0x1000000);		/* pref_address */
	put32(f.img + 0x260, 0x2000000);		/* init_size: 32 MiB */
	memset(f.img + setup, 0xcc, pm);
	return f;
}

struct mem {
	uint8_t *buf;
	uint64_t size;
};

static void *mem_map(void *ctx, uint64_t gpa, uint64_t len)
{
	struct mem *m = ctx;

	if (gpa > m->size || len > m->size - gpa)
		return NULL;
	return m->buf + gpa;
}

static int parse(struct fake *f, struct bzimage *bz, char *err)
{
	return bzimage_parse(f->img, f->size, bz, err, 256);
}

/* ---------------------------------------------------------------------- */
/* Setup header                                                            */

static int test_parse_good(void)
{
	struct fake f = fake_bzimage(0x020f, 64 * 1024);
	struct bzimage bz;
	char err[256] = "";

	ASSERT_EQ(parse(&f, &bz, err), 0);
	EXPECT_EQ(bz.version, 0x020f);
	EXPECT_EQ(bz.setup_size, 5 * 512);
	EXPECT_EQ(bz.pm_size, 64 * 1024);
	EXPECT_EQ(bz.init_size, 0x2000000);
	EXPECT_EQ(bz.pref_address, 0x1000000);
	EXPECT_EQ(bz.cmdline_size, 2047);
	EXPECT_TRUE(bz.relocatable);
	free(f.img);
	return VT_PASS;
}

static int expect_refused(struct fake *f, const char *words)
{
	struct bzimage bz;
	char err[256] = "";

	EXPECT_EQ(parse(f, &bz, err), -1);
	if (!strstr(err, words))
		FAIL("message \"%s\" lacks \"%s\"", err, words);
	return VT_PASS;
}

static int test_refuses_non_bzimages(void)
{
	struct fake f = fake_bzimage(0x020f, 4096);
	int ret;

	memcpy(f.img + 0x202, "XXXX", 4);
	ret = expect_refused(&f, "not a bzImage");
	memcpy(f.img, "\x7f" "ELF", 4);
	if (ret == VT_PASS)
		ret = expect_refused(&f, "ELF");
	free(f.img);
	return ret;
}

static int test_refuses_truncated(void)
{
	struct fake f = fake_bzimage(0x020f, 64 * 1024);
	int ret;

	/* Cut inside the kernel, then inside the setup header. */
	f.size = 5 * 512 + 1000;
	ret = expect_refused(&f, "truncated");
	f.size = 0x100;
	if (ret == VT_PASS)
		ret = expect_refused(&f, "too small");
	f.size = 0;
	if (ret == VT_PASS)
		ret = expect_refused(&f, "too small");
	free(f.img);
	return ret;
}

static int test_refuses_old_protocol(void)
{
	struct fake f = fake_bzimage(0x0205, 4096);
	int ret = expect_refused(&f, "2.06");

	free(f.img);
	return ret;
}

static int test_refuses_zimage(void)
{
	struct fake f = fake_bzimage(0x020f, 4096);
	int ret;

	f.img[0x211] = 0;			/* not LOADED_HIGH */
	ret = expect_refused(&f, "zImage");
	free(f.img);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* Placement                                                               */

static int test_plan_places_initrd_high(void)
{
	struct fake f = fake_bzimage(0x020f, 64 * 1024);
	struct guest_layout l;
	struct linux_plan p;
	struct bzimage bz;
	char err[256] = "";

	ASSERT_EQ(parse(&f, &bz, err), 0);
	guest_layout_init(&l, 256 * MIB);
	ASSERT_EQ(linux_plan(&bz, &l, BOOT_MODE_DEFAULT, 3 * MIB + 5, 100,
			     &p, err, sizeof(err)), 0);
	EXPECT_EQ(p.mode, BOOT_MODE_64);
	EXPECT_EQ(p.entry, 0x100200);
	EXPECT_EQ(p.kernel_end, 0x1000000 + 0x2000000);
	EXPECT_EQ(p.initrd_addr & 0xfff, 0);
	EXPECT_LE(p.initrd_addr + p.initrd_size, 256 * MIB);
	EXPECT_GE(p.initrd_addr, 256 * MIB - 4 * MIB);
	/* initrd_addr_max caps it. */
	put32(f.img + 0x22c, 128 * MIB - 1);
	ASSERT_EQ(parse(&f, &bz, err), 0);
	ASSERT_EQ(linux_plan(&bz, &l, BOOT_MODE_32, MIB, 0, &p, err,
			     sizeof(err)), 0);
	EXPECT_LE(p.initrd_addr + p.initrd_size, 128 * MIB);
	EXPECT_EQ(p.entry, 0x100000);
	free(f.img);
	return VT_PASS;
}

static int test_plan_refuses_what_does_not_fit(void)
{
	struct fake f = fake_bzimage(0x020f, 64 * 1024);
	struct guest_layout l;
	struct linux_plan p;
	struct bzimage bz;
	char err[256] = "";

	ASSERT_EQ(parse(&f, &bz, err), 0);
	/* The kernel needs 16 MiB + 32 MiB + slack. */
	guest_layout_init(&l, 32 * MIB);
	EXPECT_EQ(linux_plan(&bz, &l, BOOT_MODE_DEFAULT, 0, 10, &p, err,
			     sizeof(err)), -1);
	EXPECT_TRUE(strstr(err, "memory too small") != NULL);
	/* An initrd larger than memory. */
	guest_layout_init(&l, 128 * MIB);
	EXPECT_EQ(linux_plan(&bz, &l, BOOT_MODE_DEFAULT, 200 * MIB, 10, &p,
			     err, sizeof(err)), -1);
	EXPECT_TRUE(strstr(err, "initrd") != NULL);
	/* One that would overlap the kernel. */
	EXPECT_EQ(linux_plan(&bz, &l, BOOT_MODE_DEFAULT, 90 * MIB, 10, &p,
			     err, sizeof(err)), -1);
	/* A command line longer than cmdline_size. */
	EXPECT_EQ(linux_plan(&bz, &l, BOOT_MODE_DEFAULT, 0, 2048, &p, err,
			     sizeof(err)), -1);
	EXPECT_TRUE(strstr(err, "command line") != NULL);
	/* 64-bit entry asked of a kernel without one. */
	put16(f.img + 0x236, 0);
	ASSERT_EQ(parse(&f, &bz, err), 0);
	EXPECT_EQ(linux_plan(&bz, &l, BOOT_MODE_64, 0, 10, &p, err,
			     sizeof(err)), -1);
	EXPECT_EQ(linux_plan(&bz, &l, BOOT_MODE_DEFAULT, 0, 10, &p, err,
			     sizeof(err)), 0);
	EXPECT_EQ(p.mode, BOOT_MODE_32);
	free(f.img);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* boot_params, e820, entry state                                          */

static int test_boot_params(void)
{
	struct fake f = fake_bzimage(0x020f, 64 * 1024);
	struct mem m = { calloc(1, 64 * MIB), 64 * MIB };
	struct guest_mem gm = { mem_map, &m };
	static const char initrd[] = "070701 an initrd";
	struct e820_entry *e;
	struct guest_layout l;
	struct linux_plan p;
	struct bzimage bz;
	char err[256] = "";
	uint8_t *bp;
	uint64_t rsdp;

	ASSERT_TRUE(m.buf != NULL);
	put32(f.img + 0x260, 0x1000000);	/* init_size 16 MiB */
	ASSERT_EQ(parse(&f, &bz, err), 0);
	guest_layout_init(&l, 64 * MIB);
	ASSERT_EQ(linux_plan(&bz, &l, BOOT_MODE_DEFAULT, sizeof(initrd),
			     strlen("console=ttyS0"), &p, err, sizeof(err)), 0);
	rsdp = acpi_build(&gm, BOOT_BIOS_ADDR);
	EXPECT_EQ(rsdp, BOOT_BIOS_ADDR);
	ASSERT_EQ(linux_load(&bz, &p, &l, initrd, "console=ttyS0", rsdp, &gm,
			     err, sizeof(err)), 0);
	bp = m.buf + BOOT_PARAMS_ADDR;
	EXPECT_TRUE(!memcmp(bp + 0x202, "HdrS", 4));
	EXPECT_EQ(bp[0x210], 0xff);			/* type_of_loader */
	EXPECT_EQ(get32(bp + 0x228), BOOT_CMDLINE_ADDR);
	EXPECT_TRUE(!strcmp((char *)m.buf + BOOT_CMDLINE_ADDR, "console=ttyS0"));
	EXPECT_EQ(get32(bp + 0x218), p.initrd_addr);
	EXPECT_EQ(get32(bp + 0x21c), sizeof(initrd));
	EXPECT_TRUE(!memcmp(m.buf + p.initrd_addr, initrd, sizeof(initrd)));
	EXPECT_EQ(get32(bp + 0x070), rsdp);		/* acpi_rsdp_addr */
	EXPECT_EQ(m.buf[0x100000], 0xcc);		/* the kernel */
	/* e820: low RAM, EBDA, BIOS area, RAM from 1 MiB to the end. */
	ASSERT_EQ(bp[0x1e8], 4);
	e = (struct e820_entry *)(bp + 0x2d0);
	EXPECT_EQ(e[0].addr, 0);
	EXPECT_EQ(e[0].size, BOOT_EBDA_ADDR);
	EXPECT_EQ(e[0].type, E820_RAM);
	EXPECT_EQ(e[1].type, E820_RESERVED);
	EXPECT_EQ(e[2].addr, BOOT_BIOS_ADDR);
	EXPECT_EQ(e[2].type, E820_RESERVED);
	EXPECT_EQ(e[3].addr, 0x100000);
	EXPECT_EQ(e[3].addr + e[3].size, 64 * MIB);
	EXPECT_EQ(e[3].type, E820_RAM);
	free(m.buf);
	free(f.img);
	return VT_PASS;
}

static int test_e820_above_4g(void)
{
	struct e820_entry e[E820_MAX];
	struct guest_layout l;
	unsigned int n;

	guest_layout_init(&l, 4096 * MIB);
	EXPECT_EQ(l.low_end, 3072 * MIB);
	EXPECT_EQ(l.high_size, 1024 * MIB);
	n = e820_build(&l, e, E820_MAX);
	ASSERT_EQ(n, 5);
	EXPECT_EQ(e[3].addr + e[3].size, 3072 * MIB);
	EXPECT_EQ(e[4].addr, 4096 * MIB);
	EXPECT_EQ(e[4].size, 1024 * MIB);
	return VT_PASS;
}

static int test_long_mode_entry_state(void)
{
	struct mem m = { calloc(1, 2 * MIB), 2 * MIB };
	struct guest_mem gm = { mem_map, &m };
	struct vmem_sregs s;
	struct vmem_regs r;
	uint64_t *pml4, *pdpt, *pd;

	ASSERT_EQ(boot_cpu_setup(BOOT_MODE_64, 0x100200, BOOT_PARAMS_ADDR, 0,
				 &gm, &r, &s), 0);
	EXPECT_EQ(r.rip, 0x100200);
	EXPECT_EQ(r.rsi, BOOT_PARAMS_ADDR);
	EXPECT_EQ(r.rflags, 2);
	EXPECT_EQ(s.cs.selector, 0x10);
	EXPECT_EQ(s.cs.l, 1);
	EXPECT_EQ(s.ds.selector, 0x18);
	EXPECT_EQ(s.efer & 0x500, 0x500);		/* LME, LMA */
	EXPECT_EQ(s.cr0 & 0x80000001u, 0x80000001u);	/* PG, PE */
	EXPECT_EQ(s.cr4 & 0x20, 0x20);			/* PAE */
	EXPECT_EQ(s.cr3, BOOT_PML4_ADDR);
	/* Identity map: 3 GiB + 6 MiB -> itself, 2 MiB page. */
	pml4 = (uint64_t *)(m.buf + BOOT_PML4_ADDR);
	pdpt = (uint64_t *)(m.buf + (pml4[0] & ~0xfffull));
	pd = (uint64_t *)(m.buf + (pdpt[3] & ~0xfffull));
	EXPECT_EQ(pd[3] & ~0xfffull, 3ull * 1024 * MIB + 6 * MIB);
	EXPECT_EQ(pd[3] & 0x83, 0x83);
	/* GDT: 64-bit code at 0x10. */
	EXPECT_EQ(((uint64_t *)(m.buf + BOOT_GDT_ADDR))[2], 0x00af9b000000ffffull);
	ASSERT_EQ(boot_cpu_setup(BOOT_MODE_32, 0x100000, BOOT_PARAMS_ADDR, 0,
				 &gm, &r, &s), 0);
	EXPECT_EQ(s.cs.db, 1);
	EXPECT_EQ(s.cs.l, 0);
	EXPECT_EQ(s.efer, 0);
	EXPECT_EQ(s.cr0 & 0x80000000u, 0);
	free(m.buf);
	return VT_PASS;
}

static int test_flat_checks(void)
{
	struct guest_layout l;
	char err[256];

	guest_layout_init(&l, 16 * MIB);
	EXPECT_EQ(flat_check(0x100000, 4096, 0x100000, &l, err, sizeof(err)), 0);
	EXPECT_EQ(flat_check(15 * MIB, 2 * MIB, 15 * MIB, &l, err, sizeof(err)), -1);
	EXPECT_EQ(flat_check(0x100000, 4096, 17 * MIB, &l, err, sizeof(err)), -1);
	EXPECT_EQ(flat_check(0x100000, 0, 0x100000, &l, err, sizeof(err)), -1);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* ACPI, CPUID, sizes                                                      */

static int test_acpi_tables_checksum(void)
{
	struct mem m = { calloc(1, 2 * MIB), 2 * MIB };
	struct guest_mem gm = { mem_map, &m };
	uint8_t *rsdp, *xsdt, *fadt, *dsdt;
	uint64_t a;

	ASSERT_EQ(acpi_build(&gm, BOOT_BIOS_ADDR), BOOT_BIOS_ADDR);
	rsdp = m.buf + BOOT_BIOS_ADDR;
	EXPECT_TRUE(!memcmp(rsdp, "RSD PTR ", 8));
	EXPECT_EQ(acpi_checksum(rsdp, 20), 0);
	EXPECT_EQ(acpi_checksum(rsdp, 36), 0);
	memcpy(&a, rsdp + 24, 8);
	xsdt = m.buf + a;
	EXPECT_TRUE(!memcmp(xsdt, "XSDT", 4));
	EXPECT_EQ(acpi_checksum(xsdt, get32(xsdt + 4)), 0);
	memcpy(&a, xsdt + 36, 8);
	fadt = m.buf + a;
	EXPECT_TRUE(!memcmp(fadt, "FACP", 4));
	EXPECT_EQ(acpi_checksum(fadt, get32(fadt + 4)), 0);
	EXPECT_EQ(get32(fadt + 112) & (1u << 20), 0);	/* not HW-reduced */
	EXPECT_NE(get32(fadt + 64), 0);			/* PM1a_CNT_BLK */
	memcpy(&a, fadt + 140, 8);
	dsdt = m.buf + a;
	EXPECT_TRUE(!memcmp(dsdt, "DSDT", 4));
	EXPECT_EQ(acpi_checksum(dsdt, get32(dsdt + 4)), 0);
	EXPECT_TRUE(memmem(dsdt, get32(dsdt + 4), "_S5_", 4) != NULL);
	EXPECT_TRUE(memmem(dsdt, get32(dsdt + 4), "QEMU0001", 8) != NULL);
	free(m.buf);
	return VT_PASS;
}

static int test_dsdt_aml_encoding(void)
{
	uint8_t aml[256];
	size_t n = acpi_dsdt_aml(aml, sizeof(aml));

	ASSERT_TRUE(n > 20 && n < sizeof(aml));
	/* Name(_S5_, Package(2){5, 5}) with a 2-byte PkgLength of 7. */
	EXPECT_EQ(aml[0], 0x08);
	EXPECT_TRUE(!memcmp(aml + 1, "_S5_", 4));
	EXPECT_EQ(aml[5], 0x12);
	EXPECT_EQ(aml[6], 0x47);
	EXPECT_EQ(aml[7], 0x00);
	EXPECT_EQ(aml[8], 2);
	/* Device(PEVT): its PkgLength reaches the end of the AML. */
	EXPECT_EQ(aml[13], 0x5b);
	EXPECT_EQ(aml[14], 0x82);
	EXPECT_EQ((aml[15] & 0x0f) | aml[16] << 4, n - 15);
	return VT_PASS;
}

static int test_cpuid_filter(void)
{
	struct vmem_cpuid_entry sup[] = {
		{ .function = 0, .eax = 0xd, .ebx = 0x68747541 },
		{ .function = 1, .ebx = 0x02080800, .ecx = 0x7ed8320b | (1u << 21) | (1u << 24),
		  .edx = 0x178bfbff },
		{ .function = 0x40000000, .ebx = 0x54474354 },	/* TCGT... */
		{ .function = 0x80000001, .ecx = 0x75c237ff },
	};
	struct vmem_cpuid_entry out[16];
	const struct vmem_cpuid_entry *e;
	unsigned int n;
	char sig[13];

	n = cpuid_build(sup, 4, out, 16);
	EXPECT_EQ(n, 5);	/* host 0x40000000 dropped, ours added twice */
	e = cpuid_find(out, n, 1, 0);
	ASSERT_TRUE(e != NULL);
	EXPECT_EQ(e->edx & (1u << 9), 0);		/* APIC */
	EXPECT_EQ(e->ecx & (1u << 21), 0);		/* x2APIC */
	EXPECT_EQ(e->ecx & (1u << 24), 0);		/* TSC deadline */
	EXPECT_EQ(e->ecx & (1u << 3), 0);		/* MONITOR */
	EXPECT_NE(e->ecx & (1u << 31), 0);		/* hypervisor */
	EXPECT_EQ(e->ebx >> 16, 1);			/* 1 CPU, APIC id 0 */
	e = cpuid_find(out, n, 0x80000001, 0);
	ASSERT_TRUE(e != NULL);
	EXPECT_EQ(e->ecx & (1u << 2), 0);		/* SVM */
	e = cpuid_find(out, n, 0x40000000, 0);
	ASSERT_TRUE(e != NULL);
	memcpy(sig, &e->ebx, 4);
	memcpy(sig + 4, &e->ecx, 4);
	memcpy(sig + 8, &e->edx, 4);
	sig[12] = 0;
	EXPECT_TRUE(!strcmp(sig, "VmemVmemVmem"));
	EXPECT_EQ(e->eax, 0x40000001);
	return VT_PASS;
}

static int test_parse_sizes(void)
{
	uint64_t v = 0;

	EXPECT_EQ(parse_size("256M", &v), 0);
	EXPECT_EQ(v, 256 * MIB);
	EXPECT_EQ(parse_size("2G", &v), 0);
	EXPECT_EQ(v, 2048 * MIB);
	EXPECT_EQ(parse_size("2g", &v), 0);
	EXPECT_EQ(parse_size("512MiB", &v), 0);
	EXPECT_EQ(v, 512 * MIB);
	/* A bare number is MiB, as for QEMU's -m and --reservation. */
	EXPECT_EQ(parse_size("256", &v), 0);
	EXPECT_EQ(v, 256 * MIB);
	EXPECT_EQ(parse_size("1.5G", &v), 0);
	EXPECT_EQ(v, 1536 * MIB);
	EXPECT_EQ(parse_size("0.5", &v), 0);
	EXPECT_EQ(v, MIB / 2);
	EXPECT_EQ(parse_size("2.25m", &v), 0);
	EXPECT_EQ(v, 2 * MIB + MIB / 4);
	EXPECT_EQ(parse_size_bytes("0", &v), 0);
	EXPECT_EQ(v, 0);
	EXPECT_EQ(parse_size("64K", &v), 0);
	EXPECT_EQ(v, 65536);
	EXPECT_EQ(parse_size("", &v), -1);
	EXPECT_EQ(parse_size("M", &v), -1);
	EXPECT_EQ(parse_size("-1G", &v), -1);
	EXPECT_EQ(parse_size("0", &v), -1);
	EXPECT_EQ(parse_size("12Q", &v), -1);
	EXPECT_EQ(parse_size("1.", &v), -1);
	EXPECT_EQ(parse_size(".5G", &v), -1);
	EXPECT_EQ(parse_size("1.5.5G", &v), -1);
	EXPECT_EQ(parse_size("0.3K", &v), -1);	/* not whole bytes */
	EXPECT_EQ(parse_size("1.0000001G", &v), -1);
	EXPECT_EQ(parse_size("99999999999999999999G", &v), -1);
	EXPECT_EQ(parse_size("99999999999T", &v), -1);
	EXPECT_EQ(parse_u64("0x100000", &v), 0);
	EXPECT_EQ(v, 0x100000);
	EXPECT_EQ(parse_u64("x", &v), -1);
	return VT_PASS;
}

/*
 * The Linux command line: tsc_early_khz= and tsc=reliable added, unless
 * the user gave them (6.12 drops a TSC the jiffies watchdog doubts).
 */
#define EXPECT_STR(a, b) do {						\
	if (strcmp((a), (b)))						\
		vt_fail_at(__FILE__, __LINE__, "\"%s\", expected \"%s\"",	\
			   (a), (b));					\
} while (0)

static int test_tsc_cmdline(void)
{
	char b[256];

	tsc_cmdline("console=ttyS0", 2000000, b, sizeof(b));
	EXPECT_STR(b, "console=ttyS0 tsc_early_khz=2000000 tsc=reliable");
	tsc_cmdline("", 1000, b, sizeof(b));
	EXPECT_STR(b, "tsc_early_khz=1000 tsc=reliable");
	tsc_cmdline("quiet tsc=unstable", 1000, b, sizeof(b));
	EXPECT_STR(b, "quiet tsc=unstable tsc_early_khz=1000");
	tsc_cmdline("quiet tsc_early_khz=5", 1000, b, sizeof(b));
	EXPECT_STR(b, "quiet tsc_early_khz=5");
	tsc_cmdline("quiet", 0, b, sizeof(b));	/* --tsc-khz off */
	EXPECT_STR(b, "quiet");
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(parse_good),
	VT_CASE(refuses_non_bzimages),
	VT_CASE(refuses_truncated),
	VT_CASE(refuses_old_protocol),
	VT_CASE(refuses_zimage),
	VT_CASE(plan_places_initrd_high),
	VT_CASE(plan_refuses_what_does_not_fit),
	VT_CASE(boot_params),
	VT_CASE(e820_above_4g),
	VT_CASE(long_mode_entry_state),
	VT_CASE(flat_checks),
	VT_CASE(acpi_tables_checksum),
	VT_CASE(dsdt_aml_encoding),
	VT_CASE(cpuid_filter),
	VT_CASE(parse_sizes),
	VT_CASE(tsc_cmdline),
};

VT_MAIN(cases, NULL, NULL)
