// SPDX-License-Identifier: GPL-2.0
/*
 * bzimage.c - the Linux/x86 boot protocol (Documentation/arch/x86/
 * boot.rst in the kernel): parse a bzImage's setup header, place kernel,
 * initrd and command line, and write boot_params.  See boot.h.
 */
#include <stdio.h>
#include <string.h>

#include "boot.h"

/* Setup header fields: offsets in the image and in boot_params. */
#define HDR_SETUP_SECTS		0x1f1
#define HDR_SYSSIZE		0x1f4
#define HDR_VID_MODE		0x1fa
#define HDR_BOOT_FLAG		0x1fe
#define HDR_JUMP		0x200
#define HDR_MAGIC		0x202
#define HDR_VERSION		0x206
#define HDR_TYPE_OF_LOADER	0x210
#define HDR_LOADFLAGS		0x211
#define HDR_RAMDISK_IMAGE	0x218
#define HDR_RAMDISK_SIZE	0x21c
#define HDR_CMD_LINE_PTR	0x228
#define HDR_INITRD_ADDR_MAX	0x22c
#define HDR_KERNEL_ALIGNMENT	0x230
#define HDR_RELOCATABLE		0x234
#define HDR_XLOADFLAGS		0x236
#define HDR_CMDLINE_SIZE	0x238
#define HDR_PREF_ADDRESS	0x258
#define HDR_INIT_SIZE		0x260

/* boot_params fields outside the setup header. */
#define BP_ACPI_RSDP_ADDR	0x070
#define BP_EXT_RAMDISK_IMAGE	0x0c0
#define BP_EXT_RAMDISK_SIZE	0x0c4
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_E820_ENTRIES		0x1e8
#define BP_E820_TABLE		0x2d0
#define BP_SIZE			0x1000

#define LOADED_HIGH		0x01
#define CAN_USE_HEAP		0x80
#define XLF_KERNEL_64		0x01

static uint16_t get16(const uint8_t *p, size_t off)
{
	return p[off] | p[off + 1] << 8;
}

static uint32_t get32(const uint8_t *p, size_t off)
{
	return get16(p, off) | (uint32_t)get16(p, off + 2) << 16;
}

static uint64_t get64(const uint8_t *p, size_t off)
{
	return get32(p, off) | (uint64_t)get32(p, off + 4) << 32;
}

static void put16(uint8_t *p, size_t off, uint16_t v)
{
	p[off] = v;
	p[off + 1] = v >> 8;
}

static void put32(uint8_t *p, size_t off, uint32_t v)
{
	put16(p, off, v);
	put16(p, off + 2, v >> 16);
}

static void put64(uint8_t *p, size_t off, uint64_t v)
{
	put32(p, off, v);
	put32(p, off + 4, v >> 32);
}

#define MIB(x)	((unsigned long long)(((x) + (1 << 20) - 1) >> 20))

int bzimage_parse(const void *data, size_t size, struct bzimage *bz,
		  char *err, size_t errlen)
{
	const uint8_t *p = data;
	size_t hdr_end, want;

	memset(bz, 0, sizeof(*bz));
	if (size >= 4 && !memcmp(p, "\x7f" "ELF", 4)) {
		snprintf(err, errlen, "an ELF file, not a bzImage (pass the "
			 "compressed kernel, e.g. /boot/vmlinuz-*)");
		return -1;
	}
	if (size < 0x264) {
		snprintf(err, errlen, "not a bzImage: %zu bytes is too small "
			 "for the setup header (truncated?)", size);
		return -1;
	}
	if (get16(p, HDR_BOOT_FLAG) != 0xaa55 ||
	    memcmp(p + HDR_MAGIC, "HdrS", 4)) {
		snprintf(err, errlen, "not a bzImage: no Linux setup header "
			 "(boot flag 0xaa55 and magic \"HdrS\")");
		return -1;
	}
	bz->version = get16(p, HDR_VERSION);
	if (bz->version < 0x0206) {
		snprintf(err, errlen, "boot protocol %u.%02u is too old: 2.06 "
			 "or later is needed", bz->version >> 8,
			 bz->version & 0xff);
		return -1;
	}
	hdr_end = 0x202 + p[HDR_JUMP + 1];
	if (hdr_end > size || hdr_end < 0x23c) {
		snprintf(err, errlen, "setup header ends at 0x%zx, past the "
			 "file (truncated?)", hdr_end);
		return -1;
	}
	bz->hdr_end = hdr_end;
	bz->setup_sects = p[HDR_SETUP_SECTS] ? p[HDR_SETUP_SECTS] : 4;
	bz->setup_size = ((size_t)bz->setup_sects + 1) * 512;
	bz->loadflags = p[HDR_LOADFLAGS];
	if (!(bz->loadflags & LOADED_HIGH)) {
		snprintf(err, errlen, "a zImage (loaded low): only bzImages "
			 "are supported");
		return -1;
	}
	want = bz->setup_size + (size_t)get32(p, HDR_SYSSIZE) * 16;
	if (bz->setup_size >= size || want > size) {
		snprintf(err, errlen, "truncated: the setup header promises "
			 "%zu bytes, the file has %zu", want, size);
		return -1;
	}
	bz->initrd_addr_max = get32(p, HDR_INITRD_ADDR_MAX);
	bz->kernel_alignment = get32(p, HDR_KERNEL_ALIGNMENT);
	bz->relocatable = p[HDR_RELOCATABLE];
	bz->cmdline_size = get32(p, HDR_CMDLINE_SIZE);
	if (bz->version >= 0x020a) {
		bz->pref_address = get64(p, HDR_PREF_ADDRESS);
		bz->init_size = get32(p, HDR_INIT_SIZE);
	}
	if (bz->version >= 0x020c)
		bz->xloadflags = get16(p, HDR_XLOADFLAGS);
	if (bz->relocatable && (bz->kernel_alignment & (bz->kernel_alignment - 1))) {
		snprintf(err, errlen, "bad kernel_alignment 0x%x in the setup "
			 "header", bz->kernel_alignment);
		return -1;
	}
	bz->data = p;
	bz->size = size;
	bz->pm = p + bz->setup_size;
	bz->pm_size = size - bz->setup_size;
	return 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return a > 1 ? (v + a - 1) & ~(a - 1) : v;
}

int linux_plan(const struct bzimage *bz, const struct guest_layout *l,
	       enum boot_mode mode, uint64_t initrd_size, size_t cmdline_len,
	       struct linux_plan *plan, char *err, size_t errlen)
{
	uint64_t end, top, run_at;

	memset(plan, 0, sizeof(*plan));
	if (mode == BOOT_MODE_DEFAULT)
		mode = bz->xloadflags & XLF_KERNEL_64 ? BOOT_MODE_64 :
							BOOT_MODE_32;
	if (mode == BOOT_MODE_64 && !(bz->xloadflags & XLF_KERNEL_64)) {
		snprintf(err, errlen, "this kernel has no 64-bit entry point "
			 "(xloadflags); use --boot-mode 32");
		return -1;
	}
	plan->mode = mode;
	if (cmdline_len > bz->cmdline_size || cmdline_len >= BOOT_CMDLINE_MAX) {
		snprintf(err, errlen, "the command line is %zu characters; "
			 "this kernel takes at most %u", cmdline_len,
			 bz->cmdline_size);
		return -1;
	}
	plan->cmdline_addr = BOOT_CMDLINE_ADDR;

	/*
	 * The kernel runs where it decompresses: a relocatable kernel at
	 * its preferred address or higher, aligned; it needs init_size
	 * bytes there (the whole image when the header is too old to say).
	 */
	plan->kernel_addr = BOOT_KERNEL_ADDR;
	run_at = bz->pref_address ? bz->pref_address : BOOT_KERNEL_ADDR;
	if (bz->relocatable && run_at < BOOT_KERNEL_ADDR)
		run_at = align_up(BOOT_KERNEL_ADDR, bz->kernel_alignment);
	end = run_at + (bz->init_size ? bz->init_size : 4 * bz->pm_size);
	if (end < BOOT_KERNEL_ADDR + bz->pm_size)
		end = BOOT_KERNEL_ADDR + bz->pm_size;
	plan->kernel_end = end;
	/* Some room for the kernel to start in: 4 MiB at least. */
	if (l->low_end < end + (4ull << 20)) {
		snprintf(err, errlen, "memory too small for the kernel: it "
			 "needs at least %llu MiB (have %llu MiB)",
			 MIB(end + (4ull << 20)), MIB(l->mem_size));
		return -1;
	}
	plan->entry = mode == BOOT_MODE_64 ? plan->kernel_addr + 0x200 :
					     plan->kernel_addr;
	if (!initrd_size)
		return 0;

	/* The initrd goes as high as allowed, page aligned. */
	top = l->low_end;
	if ((uint64_t)bz->initrd_addr_max + 1 < top)
		top = (uint64_t)bz->initrd_addr_max + 1;
	if (initrd_size > top || ((top - initrd_size) & ~0xfffull) < end) {
		snprintf(err, errlen, "the initrd (%llu MiB) does not fit: "
			 "it must lie between the kernel's end (%llu MiB) and "
			 "%llu MiB; give more --memory",
			 MIB(initrd_size), MIB(end), MIB(top));
		return -1;
	}
	plan->initrd_addr = (top - initrd_size) & ~0xfffull;
	plan->initrd_size = initrd_size;
	return 0;
}

int linux_load(const struct bzimage *bz, const struct linux_plan *plan,
	       const struct guest_layout *l, const void *initrd,
	       const char *cmdline, uint64_t rsdp_addr,
	       const struct guest_mem *mem, char *err, size_t errlen)
{
	struct e820_entry e820[E820_MAX];
	size_t cmdlen = strlen(cmdline);
	uint8_t *bp, *dst;
	unsigned int n;

	dst = mem->map(mem->ctx, plan->kernel_addr, bz->pm_size);
	if (!dst)
		goto nomap;
	memcpy(dst, bz->pm, bz->pm_size);

	if (plan->initrd_size) {
		dst = mem->map(mem->ctx, plan->initrd_addr, plan->initrd_size);
		if (!dst)
			goto nomap;
		memcpy(dst, initrd, plan->initrd_size);
	}

	dst = mem->map(mem->ctx, plan->cmdline_addr, cmdlen + 1);
	if (!dst)
		goto nomap;
	memcpy(dst, cmdline, cmdlen + 1);

	bp = mem->map(mem->ctx, BOOT_PARAMS_ADDR, BP_SIZE);
	if (!bp)
		goto nomap;
	memset(bp, 0, BP_SIZE);
	/* The setup header as the image has it, then our changes. */
	memcpy(bp + HDR_SETUP_SECTS, bz->data + HDR_SETUP_SECTS,
	       bz->hdr_end - HDR_SETUP_SECTS);
	put16(bp, HDR_VID_MODE, 0xffff);		/* "normal" */
	bp[HDR_TYPE_OF_LOADER] = 0xff;			/* undefined loader */
	bp[HDR_LOADFLAGS] |= CAN_USE_HEAP;
	put32(bp, HDR_CMD_LINE_PTR, (uint32_t)plan->cmdline_addr);
	put32(bp, BP_EXT_CMD_LINE_PTR, (uint32_t)(plan->cmdline_addr >> 32));
	put32(bp, HDR_RAMDISK_IMAGE, (uint32_t)plan->initrd_addr);
	put32(bp, HDR_RAMDISK_SIZE, (uint32_t)plan->initrd_size);
	put32(bp, BP_EXT_RAMDISK_IMAGE, (uint32_t)(plan->initrd_addr >> 32));
	put32(bp, BP_EXT_RAMDISK_SIZE, (uint32_t)(plan->initrd_size >> 32));
	if (rsdp_addr && bz->version >= 0x020e)
		put64(bp, BP_ACPI_RSDP_ADDR, rsdp_addr);
	n = e820_build(l, e820, E820_MAX);
	bp[BP_E820_ENTRIES] = n;
	memcpy(bp + BP_E820_TABLE, e820, n * sizeof(e820[0]));
	return 0;
nomap:
	snprintf(err, errlen, "cannot map guest memory for the kernel");
	return -1;
}
