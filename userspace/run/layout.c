// SPDX-License-Identifier: GPL-2.0
/*
 * layout.c - the guest's physical memory map: where RAM is, the e820 map
 * Linux gets, and flat images.  See boot.h.
 *
 *   0x00000000 - 0x0009fbff  RAM (GDT, page tables, boot_params, cmdline)
 *   0x0009fc00 - 0x0009ffff  reserved (where a BIOS keeps its EBDA)
 *   0x000a0000 - 0x000dffff  hole (VGA and option ROMs on a PC)
 *   0x000e0000 - 0x000fffff  reserved (BIOS area: the ACPI tables)
 *   0x00100000 - low_end     RAM (kernel at 1 MiB, initrd at the top)
 *   low_end    - 4 GiB       hole, when memory is larger than 3 GiB
 *   4 GiB      - ...         the rest of RAM
 *
 * All of it is backed by RAM slots; the e820 map only tells the guest
 * which parts to use.
 */
#include <stdio.h>
#include <string.h>

#include "boot.h"

void guest_layout_init(struct guest_layout *l, uint64_t mem_size)
{
	l->mem_size = mem_size;
	if (mem_size <= BOOT_LOW_MEM_MAX) {
		l->low_end = mem_size;
		l->high_size = 0;
	} else {
		l->low_end = BOOT_LOW_MEM_MAX;
		l->high_size = mem_size - BOOT_LOW_MEM_MAX;
	}
}

static unsigned int e820_add(struct e820_entry *tab, unsigned int n,
			     unsigned int max, uint64_t addr, uint64_t end,
			     uint32_t type)
{
	if (n < max && end > addr)
		tab[n++] = (struct e820_entry){ addr, end - addr, type };
	return n;
}

unsigned int e820_build(const struct guest_layout *l,
			struct e820_entry *tab, unsigned int max)
{
	unsigned int n = 0;

	n = e820_add(tab, n, max, 0, BOOT_EBDA_ADDR, E820_RAM);
	n = e820_add(tab, n, max, BOOT_EBDA_ADDR, 0xa0000, E820_RESERVED);
	n = e820_add(tab, n, max, BOOT_BIOS_ADDR, BOOT_HIGH_ADDR,
		     E820_RESERVED);
	n = e820_add(tab, n, max, BOOT_HIGH_ADDR, l->low_end, E820_RAM);
	if (l->high_size)
		n = e820_add(tab, n, max, BOOT_HIGH_MEM_ADDR,
			     BOOT_HIGH_MEM_ADDR + l->high_size, E820_RAM);
	return n;
}

int flat_check(uint64_t load_addr, uint64_t size, uint64_t entry,
	       const struct guest_layout *l, char *err, size_t errlen)
{
	if (!size) {
		snprintf(err, errlen, "the flat image is empty");
		return -1;
	}
	if (load_addr >= l->low_end || size > l->low_end - load_addr) {
		snprintf(err, errlen,
			 "the flat image (%llu bytes at 0x%llx) does not fit "
			 "below the end of RAM (0x%llx)",
			 (unsigned long long)size,
			 (unsigned long long)load_addr,
			 (unsigned long long)l->low_end);
		return -1;
	}
	if (entry >= l->low_end) {
		snprintf(err, errlen, "the entry point 0x%llx is not in RAM",
			 (unsigned long long)entry);
		return -1;
	}
	return 0;
}

int flat_load(const void *image, uint64_t size, uint64_t load_addr,
	      const struct guest_mem *mem, char *err, size_t errlen)
{
	void *dst = mem->map(mem->ctx, load_addr, size);

	if (!dst) {
		snprintf(err, errlen, "cannot map guest memory at 0x%llx",
			 (unsigned long long)load_addr);
		return -1;
	}
	memcpy(dst, image, size);
	return 0;
}
