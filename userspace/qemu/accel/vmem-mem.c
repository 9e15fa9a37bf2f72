/*
 * vmem accelerator: guest memory.
 *
 * Every RAM block QEMU allocates (guest RAM, ROMs, firmware, option ROMs)
 * is a range of the VM's backing (VMEM_SET_BACKING), which QEMU maps
 * with mmap() of the VM fd at the range's backing offset.  The memory
 * listener then shows the sections the guest sees with VMEM_MAP_MEMORY,
 * as many times as QEMU's aliases place them (ram-below-4g and
 * ram-above-4g, isa-bios, the PAM windows), and removes them with
 * VMEM_UNMAP_MEMORY; the backing keeps the contents across every change.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "qemu/error-report.h"
#include "qemu/queue.h"
#include "qemu/units.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "cpu.h"
#include "sysemu/vmem.h"

#include "vmem-int.h"

/* One RAM block's range of the backing. */
struct vmem_ram {
    void *host;                 /* QEMU's mapping */
    uint64_t size;
    uint64_t offset;            /* backing offset */
    QLIST_ENTRY(vmem_ram) next;
};

/* [BQL] RAM blocks are added and freed under the iothread lock. */
static QLIST_HEAD(, vmem_ram) vmem_rams = QLIST_HEAD_INITIALIZER(vmem_rams);
/*
 * [BQL] End of the backing.  Ranges are never reused: a freed block's
 * range is discarded (no memory) but stays in the backing.
 */
static uint64_t vmem_backing_end;

void *vmem_ram_alloc(size_t size, uint64_t *align)
{
    struct vmem_backing b = { 0 };
    struct vmem_ram *r;
    uint64_t off, al;
    void *reserve, *host;
    int err;

    if (vmem_vm.vm_fd < 0) {
        errno = ENODEV;
        return NULL;
    }
    /*
     * A block of 2 MiB or more starts at a 2 MiB aligned offset and host
     * address, so the guest may get large pages where its mappings are
     * aligned too; small blocks (ROMs) are packed by page.
     */
    al = size >= 2 * MiB ? 2 * MiB : qemu_real_host_page_size();
    size = ROUND_UP(size, qemu_real_host_page_size());
    off = ROUND_UP(vmem_backing_end, al);

    b.offset = 0;
    b.size = off + size;
    if (ioctl(vmem_vm.vm_fd, VMEM_SET_BACKING, &b) < 0) {
        return NULL;
    }

    reserve = mmap(NULL, size + al, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (reserve == MAP_FAILED) {
        return NULL;
    }
    host = (void *)ROUND_UP((uintptr_t)reserve, al);
    if (mmap(host, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
             vmem_vm.vm_fd, off) == MAP_FAILED) {
        err = errno;
        munmap(reserve, size + al);
        errno = err;
        return NULL;
    }
    /* Give back the reservation around the mapping. */
    if (host != reserve) {
        munmap(reserve, (uintptr_t)host - (uintptr_t)reserve);
    }
    if ((uintptr_t)host + size < (uintptr_t)reserve + size + al) {
        munmap((char *)host + size,
               (uintptr_t)reserve + size + al - ((uintptr_t)host + size));
    }

    r = g_new0(struct vmem_ram, 1);
    r->host = host;
    r->size = size;
    r->offset = off;
    QLIST_INSERT_HEAD(&vmem_rams, r, next);
    vmem_backing_end = off + size;
    if (align && *align < al) {
        *align = al;
    }
    return host;
}

static struct vmem_ram *vmem_ram_find(void *host, uint64_t size)
{
    struct vmem_ram *r;

    QLIST_FOREACH(r, &vmem_rams, next) {
        if ((uintptr_t)host >= (uintptr_t)r->host &&
            (uintptr_t)host + size <= (uintptr_t)r->host + r->size) {
            return r;
        }
    }
    return NULL;
}

bool vmem_ram_free(void *host, size_t size)
{
    struct vmem_backing b = { 0 };
    struct vmem_ram *r = vmem_ram_find(host, 1);

    if (!r || r->host != host) {
        return false;
    }
    b.offset = r->offset;
    b.size = r->size;
    if (ioctl(vmem_vm.vm_fd, VMEM_DISCARD_BACKING, &b) < 0) {
        warn_report("vmem: VMEM_DISCARD_BACKING 0x%" PRIx64 "+0x%" PRIx64
                    ": %s", r->offset, r->size, strerror(errno));
    }
    munmap(r->host, r->size);
    QLIST_REMOVE(r, next);
    g_free(r);
    return true;
}

/*
 * The guest-physical range of a section, trimmed to whole pages; false
 * when nothing of it is a whole page (vmem maps pages; QEMU handles the
 * rest as MMIO).
 */
static bool vmem_section_range(MemoryRegionSection *section, hwaddr *gpa,
                               uint64_t *size, uint64_t *delta)
{
    uint64_t page = qemu_real_host_page_size();
    hwaddr start = section->offset_within_address_space;
    uint64_t len = int128_get64(section->size);
    hwaddr first = ROUND_UP(start, page);
    hwaddr end = ROUND_DOWN(start + len, page);

    if (end <= first) {
        return false;
    }
    *gpa = first;
    *size = end - first;
    *delta = first - start;
    return true;
}

static void vmem_process_section(MemoryRegionSection *section, bool add)
{
    MemoryRegion *mr = section->mr;
    struct vmem_memory_map m = { 0 };
    struct vmem_ram *r;
    uint64_t size, delta;
    hwaddr gpa;
    void *host;
    bool readonly;

    if (memory_region_is_ram(mr)) {
        /* Read-only through an alias too: PAM's pam-rom windows. */
        readonly = mr->readonly || section->readonly;
    } else if (memory_region_is_romd(mr)) {
        /* A ROM device reads as memory while in romd mode. */
        readonly = true;
    } else {
        return;
    }
    if (!vmem_section_range(section, &gpa, &size, &delta)) {
        return;
    }

    m.gpa = gpa;
    m.size = size;
    if (!add) {
        if (ioctl(vmem_vm.vm_fd, VMEM_UNMAP_MEMORY, &m) < 0) {
            error_report("vmem: VMEM_UNMAP_MEMORY '%s' gpa 0x%" PRIx64
                         " size 0x%" PRIx64 ": %s", memory_region_name(mr),
                         gpa, size, strerror(errno));
        }
        return;
    }

    host = (char *)memory_region_get_ram_ptr(mr) +
           section->offset_within_region + delta;
    r = vmem_ram_find(host, size);
    if (!r) {
        /* Memory QEMU did not allocate through vmem_ram_alloc(). */
        error_report("vmem: memory region '%s' is not in the VM's backing "
                     "(file or pointer backed memory is not supported); "
                     "the guest sees it as MMIO", memory_region_name(mr));
        return;
    }
    m.offset = r->offset + ((uintptr_t)host - (uintptr_t)r->host);
    m.flags = readonly ? VMEM_MAP_READONLY : 0;
    if (vmem_vm.trace) {
        fprintf(stderr, "vmem: map '%s' gpa 0x%" PRIx64 " size 0x%" PRIx64
                " backing 0x%" PRIx64 "%s\n", memory_region_name(mr),
                gpa, size, (uint64_t)m.offset, readonly ? " ro" : "");
    }
    if (ioctl(vmem_vm.vm_fd, VMEM_MAP_MEMORY, &m) < 0) {
        error_report("vmem: VMEM_MAP_MEMORY '%s' gpa 0x%" PRIx64
                     " size 0x%" PRIx64 " backing 0x%" PRIx64 ": %s%s",
                     memory_region_name(mr), gpa, size,
                     (uint64_t)m.offset, strerror(errno),
                     errno == ENOSPC ? " (more guest-physical mappings "
                     "than VMEM_CAP_BACKING: load vmem with a larger "
                     "max_memslots)" : "");
    }
}

static void vmem_region_add(MemoryListener *listener,
                            MemoryRegionSection *section)
{
    memory_region_ref(section->mr);
    vmem_process_section(section, true);
}

static void vmem_region_del(MemoryListener *listener,
                            MemoryRegionSection *section)
{
    if (vmem_vm.trace) {
        fprintf(stderr, "vmem: unmap '%s' gpa 0x%" PRIx64 "\n",
                memory_region_name(section->mr),
                (uint64_t)section->offset_within_address_space);
    }
    vmem_process_section(section, false);
    memory_region_unref(section->mr);
}

/* vmem tracks no dirty pages: every page of a logged region is dirty. */
static void vmem_log_sync(MemoryListener *listener,
                          MemoryRegionSection *section)
{
    MemoryRegion *mr = section->mr;

    if (memory_region_is_ram(mr)) {
        memory_region_set_dirty(mr, section->offset_within_region,
                                int128_get64(section->size));
    }
}

static MemoryListener vmem_memory_listener = {
    .name = "vmem",
    .region_add = vmem_region_add,
    .region_del = vmem_region_del,
    .log_sync = vmem_log_sync,
    .priority = 10,
};

void vmem_memory_init(void)
{
    memory_listener_register(&vmem_memory_listener, &address_space_memory);
}
