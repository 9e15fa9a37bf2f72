/* SPDX-License-Identifier: GPL-2.0 */
/*
 * boot.h - loading a guest: the x86 Linux boot protocol (bzImage, setup
 * header, boot_params with an e820 map, command line, initrd) and flat
 * images, plus the CPU state to enter them in 32-bit protected mode or in
 * 64-bit long mode.  See Documentation/launcher.rst for the memory map.
 *
 * Nothing here talks to a hypervisor: it reads files already in memory
 * and writes guest memory through struct guest_mem, so unit tests run it
 * on a plain buffer.  Errors come back as a message in the caller's
 * buffer and -1.
 */
#ifndef VMEM_RUN_BOOT_H
#define VMEM_RUN_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/vmem.h>

/* The guest-physical memory map the launcher builds. */
#define BOOT_GDT_ADDR		0x1000ull
#define BOOT_STACK_TOP		0x7000ull	/* flat images' RSP */
#define BOOT_PARAMS_ADDR	0x7000ull	/* the "zero page" */
#define BOOT_PML4_ADDR		0x9000ull	/* then PDPT, 4 PDs */
#define BOOT_CMDLINE_ADDR	0x20000ull
#define BOOT_CMDLINE_MAX	0x10000ull
#define BOOT_EBDA_ADDR		0x9fc00ull	/* reserved to 640 KiB */
#define BOOT_BIOS_ADDR		0xe0000ull	/* reserved to 1 MiB: ACPI */
#define BOOT_HIGH_ADDR		0x100000ull
#define BOOT_KERNEL_ADDR	0x100000ull	/* protected-mode kernel */
#define BOOT_LOW_MEM_MAX	0xc0000000ull	/* RAM above this moves... */
#define BOOT_HIGH_MEM_ADDR	0x100000000ull	/* ...to 4 GiB */
#define BOOT_MIN_MEM		(2ull << 20)

#define GDT_SEL_CODE		0x10	/* __BOOT_CS */
#define GDT_SEL_DATA		0x18	/* __BOOT_DS */

enum boot_mode {
	BOOT_MODE_DEFAULT = 0,	/* 64-bit if the kernel has the entry */
	BOOT_MODE_32 = 32,
	BOOT_MODE_64 = 64,
};

/* Guest memory as the loader sees it: a pointer to [gpa, gpa + len) or
 * NULL when that is not RAM. */
struct guest_mem {
	void *(*map)(void *ctx, uint64_t gpa, uint64_t len);
	void *ctx;
};

/* RAM below 4 GiB ends at @low_end; @high_size bytes more at 4 GiB. */
struct guest_layout {
	uint64_t mem_size;
	uint64_t low_end;
	uint64_t high_size;
};

void guest_layout_init(struct guest_layout *l, uint64_t mem_size);

#define E820_RAM	1
#define E820_RESERVED	2
#define E820_MAX	128

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

/* The e820 map for @l; returns the number of entries. */
unsigned int e820_build(const struct guest_layout *l,
			struct e820_entry *tab, unsigned int max);

/* What the setup header of a bzImage says. */
struct bzimage {
	const uint8_t *data;
	size_t size;
	uint16_t version;		/* e.g. 0x020f for 2.15 */
	uint8_t setup_sects;
	uint8_t loadflags;
	uint16_t xloadflags;
	uint32_t kernel_alignment;
	bool relocatable;
	uint32_t cmdline_size;
	uint32_t initrd_addr_max;
	uint64_t pref_address;
	uint32_t init_size;
	size_t setup_size;		/* (setup_sects + 1) * 512 */
	const uint8_t *pm;		/* the protected-mode kernel */
	size_t pm_size;
	size_t hdr_end;			/* end of the setup header in the file */
};

int bzimage_parse(const void *data, size_t size, struct bzimage *bz,
		  char *err, size_t errlen);

/* Where a Linux boot puts things. */
struct linux_plan {
	enum boot_mode mode;
	uint64_t kernel_addr;
	uint64_t kernel_end;		/* highest byte the kernel needs + 1 */
	uint64_t initrd_addr;
	uint64_t initrd_size;
	uint64_t cmdline_addr;
	uint64_t entry;
};

/*
 * Check that the kernel, an initrd of @initrd_size bytes and a command
 * line of @cmdline_len characters fit in @l, and place them.
 */
int linux_plan(const struct bzimage *bz, const struct guest_layout *l,
	       enum boot_mode mode, uint64_t initrd_size, size_t cmdline_len,
	       struct linux_plan *plan, char *err, size_t errlen);

/*
 * Write the kernel, initrd, command line and boot_params (with the e820
 * map of @l and @rsdp_addr, 0 for none) into guest memory.
 */
int linux_load(const struct bzimage *bz, const struct linux_plan *plan,
	       const struct guest_layout *l, const void *initrd,
	       const char *cmdline, uint64_t rsdp_addr,
	       const struct guest_mem *mem, char *err, size_t errlen);

/* A flat image of @size bytes at @load_addr must fit in RAM. */
int flat_check(uint64_t load_addr, uint64_t size, uint64_t entry,
	       const struct guest_layout *l, char *err, size_t errlen);
int flat_load(const void *image, uint64_t size, uint64_t load_addr,
	      const struct guest_mem *mem, char *err, size_t errlen);

/*
 * Write the GDT (and, for 64-bit, identity page tables for the first
 * 4 GiB) and fill the registers to enter at @entry with RSI = @rsi.
 */
int boot_cpu_setup(enum boot_mode mode, uint64_t entry, uint64_t rsi,
		   uint64_t rsp, const struct guest_mem *mem,
		   struct vmem_regs *regs, struct vmem_sregs *sregs);

#endif /* VMEM_RUN_BOOT_H */
