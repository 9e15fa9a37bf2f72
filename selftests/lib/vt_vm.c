// SPDX-License-Identifier: GPL-2.0
/*
 * vt_vm.c - host side of the guest-code library; see vt_vm.h.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vt.h"
#include "vt_util.h"
#include "vt_vm.h"

/* Guest-side symbols (vt_guest.c, vt_guest_entry.S). */
extern vt_handler_t vt_guest_handlers[256];
extern uint64_t vt_guest_xcr0;
extern char vt_guest_entry[];
extern char vt_guest_isr_stubs[];

#define VT_ISR_STUB_SIZE	16

/* ---------------------------------------------------------------------- */
/* System fd                                                               */

long vt_check_extension(unsigned int cap)
{
	long ret;
	int fd;

	fd = vt_open_dev(O_RDWR);
	if (fd < 0)
		return -1;
	ret = ioctl(fd, VMEM_CHECK_EXTENSION, cap);
	close(fd);
	return ret;
}

struct vmem_cpuid *vt_cpuid_alloc(uint32_t nent)
{
	struct vmem_cpuid *c;

	c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
	if (c)
		c->nent = nent;
	return c;
}

const struct vmem_cpuid *vt_supported_cpuid(void)
{
	static struct vmem_cpuid *cached;
	struct vmem_cpuid *c;
	int fd;

	if (cached)
		return cached;
	c = vt_cpuid_alloc(256);
	if (!c)
		return NULL;
	fd = vt_open_dev(O_RDWR);
	if (fd < 0 || ioctl(fd, VMEM_GET_SUPPORTED_CPUID, c) < 0) {
		vt_diag("VMEM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		free(c);
		return NULL;
	}
	close(fd);
	cached = c;
	return cached;
}

const struct vmem_cpuid_entry *vt_cpuid_find(const struct vmem_cpuid *cpuid,
					     uint32_t function, uint32_t index)
{
	for (uint32_t i = 0; cpuid && i < cpuid->nent; i++) {
		const struct vmem_cpuid_entry *e = &cpuid->entries[i];

		if (e->function != function)
			continue;
		if ((e->flags & VMEM_CPUID_SIGNIFICANT_INDEX) && e->index != index)
			continue;
		return e;
	}
	return NULL;
}

int vt_require_vm(unsigned int mmu_flags)
{
	int dev, vm, ret;

	ret = vt_require_dev();
	if (ret != VT_PASS)
		return ret;
	dev = vt_open_dev(O_RDWR);
	if (dev < 0)
		FAIL("open %s: %s", VT_DEV, strerror(errno));
	vm = ioctl(dev, VMEM_CREATE_VM, mmu_flags);
	ret = errno;
	close(dev);
	if (vm >= 0) {
		close(vm);
		return VT_PASS;
	}
	if (ret == EOPNOTSUPP)
		SKIP("VMEM_CREATE_VM(0x%x): EOPNOTSUPP, this host cannot run guests",
		     mmu_flags);
	FAIL("VMEM_CREATE_VM(0x%x): %s", mmu_flags, vt_errno_name(ret));
}

int vt_require_real_mode(unsigned int mmu_flags)
{
	long modes = vt_check_extension(VMEM_CAP_REAL_MODE);
	unsigned int mmu = mmu_flags & VMEM_VM_MMU_MASK;

	if (modes < 0)
		FAIL("VMEM_CHECK_EXTENSION(VMEM_CAP_REAL_MODE): %s",
		     vt_errno_name(errno));
	if (mmu == VMEM_VM_MMU_AUTO)
		mmu = vt_check_extension(VMEM_CAP_HW_MMU) == 1 ?
		      VMEM_VM_MMU_HW : VMEM_VM_MMU_SHADOW;
	if (modes & mmu)
		return VT_PASS;
	SKIP("no real mode on %s-MMU VMs here (VMEM_CAP_REAL_MODE %#lx): VMX runs it only with unrestricted guest, which needs EPT",
	     mmu == VMEM_VM_MMU_HW ? "hardware" : "shadow", modes);
}

/* ---------------------------------------------------------------------- */
/* VMs and memory                                                          */

struct vt_vm *vm_create_bare(unsigned int mmu_flags)
{
	struct vt_vm *vm;
	int dev, err;

	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return NULL;
	dev = vt_open_dev(O_RDWR);
	if (dev < 0) {
		err = errno;
		vt_diag("open %s: %s", VT_DEV, strerror(err));
		free(vm);
		errno = err;
		return NULL;
	}
	vm->fd = ioctl(dev, VMEM_CREATE_VM, mmu_flags);
	err = errno;
	close(dev);
	if (vm->fd < 0) {
		vt_diag("VMEM_CREATE_VM(0x%x): %s", mmu_flags, vt_errno_name(err));
		free(vm);
		errno = err;
		return NULL;
	}
	vm->mmu_flags = mmu_flags;
	return vm;
}

static struct vt_slot *vt_find_slot(struct vt_vm *vm, uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < VT_MAX_SLOTS; i++) {
		struct vt_slot *s = &vm->slots[i];

		if (s->used && s->hva && gpa >= s->gpa && len <= s->size &&
		    gpa - s->gpa <= s->size - len)
			return s;
	}
	return NULL;
}

void *vm_gpa2hva(struct vt_vm *vm, uint64_t gpa)
{
	struct vt_slot *s = vt_find_slot(vm, gpa, 1);

	return s ? s->hva + (gpa - s->gpa) : NULL;
}

static void vt_mark_touched(struct vt_vm *vm, struct vt_slot *s, uint64_t gpa,
			    uint64_t len)
{
	uint64_t first, last;

	if (!len)
		return;
	if (!s->touched) {
		s->touched = calloc(1, s->size / VT_PAGE_SIZE / 8 + 1);
		if (!s->touched)
			return;
	}
	first = (gpa - s->gpa) / VT_PAGE_SIZE;
	last = (gpa + len - 1 - s->gpa) / VT_PAGE_SIZE;
	for (uint64_t p = first; p <= last; p++) {
		if (!(s->touched[p / 8] & (1u << (p % 8)))) {
			s->touched[p / 8] |= 1u << (p % 8);
			vm->touched_pages++;
		}
	}
}

int vm_write(struct vt_vm *vm, uint64_t gpa, const void *src, size_t len)
{
	struct vt_slot *s = vt_find_slot(vm, gpa, len);

	if (!s) {
		errno = EFAULT;
		return -1;
	}
	memcpy(s->hva + (gpa - s->gpa), src, len);
	vt_mark_touched(vm, s, gpa, len);
	return 0;
}

int vm_read(struct vt_vm *vm, uint64_t gpa, void *dst, size_t len)
{
	struct vt_slot *s = vt_find_slot(vm, gpa, len);

	if (!s) {
		errno = EFAULT;
		return -1;
	}
	memcpy(dst, s->hva + (gpa - s->gpa), len);
	return 0;
}

uint64_t vm_lib_touched_pages(struct vt_vm *vm)
{
	return vm->touched_pages;
}

int vm_add_slot(struct vt_vm *vm, uint32_t slot, uint64_t gpa, uint64_t size,
		uint32_t flags)
{
	struct vmem_memslot ms;
	struct vt_slot *s = NULL;
	void *hva;
	int err;

	for (int i = 0; i < VT_MAX_SLOTS; i++) {
		if (!vm->slots[i].used) {
			s = &vm->slots[i];
			break;
		}
	}
	if (!s) {
		errno = ENOSPC;
		return -1;
	}
	memset(&ms, 0, sizeof(ms));
	ms.slot = slot;
	ms.flags = flags;
	ms.gpa = gpa;
	ms.size = size;
	if (ioctl(vm->fd, VMEM_SET_MEMSLOT, &ms) < 0) {
		err = errno;
		vt_diag("VMEM_SET_MEMSLOT(slot %u, gpa 0x%llx, size 0x%llx, flags 0x%x): %s",
			slot, (unsigned long long)gpa, (unsigned long long)size,
			flags, vt_errno_name(err));
		errno = err;
		return -1;
	}
	hva = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->fd, gpa);
	if (hva == MAP_FAILED) {
		err = errno;
		vt_diag("mmap of the VM fd (offset 0x%llx, size 0x%llx): %s",
			(unsigned long long)gpa, (unsigned long long)size,
			vt_errno_name(err));
		ms.size = 0;
		ioctl(vm->fd, VMEM_SET_MEMSLOT, &ms);
		errno = err;
		return -1;
	}
	s->used = true;
	s->id = slot;
	s->flags = flags;
	s->gpa = gpa;
	s->size = size;
	s->hva = hva;
	s->touched = NULL;
	return 0;
}

int vm_delete_slot(struct vt_vm *vm, uint32_t slot)
{
	struct vmem_memslot ms;

	for (int i = 0; i < VT_MAX_SLOTS; i++) {
		struct vt_slot *s = &vm->slots[i];

		if (!s->used || s->id != slot)
			continue;
		munmap(s->hva, s->size);
		free(s->touched);
		memset(s, 0, sizeof(*s));
	}
	memset(&ms, 0, sizeof(ms));
	ms.slot = slot;
	return ioctl(vm->fd, VMEM_SET_MEMSLOT, &ms);
}

uint64_t vm_alloc(struct vt_vm *vm, uint64_t size)
{
	uint64_t gpa = vm->alloc_next;

	size = VT_ALIGN_UP(size, VT_PAGE_SIZE);
	if (size > vm->alloc_end - vm->alloc_next) {
		vt_diag("vm_alloc(0x%llx): out of guest memory",
			(unsigned long long)size);
		return 0;
	}
	vm->alloc_next += size;
	return gpa;
}

int vm_get_stats(struct vt_vm *vm, struct vmem_vm_stats *st)
{
	memset(st, 0, sizeof(*st));
	return ioctl(vm->fd, VMEM_GET_VM_STATS, st);
}

static uint64_t vm_share_passes(struct vt_vm *vm)
{
	struct vmem_vm_stats st;

	return vm_get_stats(vm, &st) ? 0 : st.full_scans;
}

bool vm_wait_share_passes(struct vt_vm *vm, uint64_t passes)
{
	uint64_t base = vm_share_passes(vm);

	for (int tries = 0; tries < 20000; tries++) {
		if (vm_share_passes(vm) >= base + passes)
			return true;
		usleep(1000);
	}
	return false;
}

int vm_install_exception_handler(struct vt_vm *vm, unsigned int vector,
				 vt_handler_t handler)
{
	if (vector >= 256) {
		errno = EINVAL;
		return -1;
	}
	return vm_write(vm, (uintptr_t)&vt_guest_handlers[vector], &handler,
			sizeof(handler));
}

/* Copy every PT_LOAD segment of this program to GPA == its address. */
static int vt_load_image(struct vt_vm *vm, uint64_t *image_end)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
	unsigned long n = getauxval(AT_PHNUM);

	*image_end = 0;
	if (!ph || !n) {
		vt_diag("no program headers (AT_PHDR)");
		errno = ENOEXEC;
		return -1;
	}
	for (unsigned long i = 0; i < n; i++) {
		uint64_t start, end;

		if (ph[i].p_type != PT_LOAD)
			continue;
		start = VT_ALIGN_DOWN(ph[i].p_vaddr, VT_PAGE_SIZE);
		end = VT_ALIGN_UP(ph[i].p_vaddr + ph[i].p_memsz, VT_PAGE_SIZE);
		if (vm_write(vm, start, (const void *)(uintptr_t)start,
			     end - start) < 0) {
			vt_diag("image segment 0x%llx-0x%llx does not fit the main slot (is the test linked -static -no-pie?)",
				(unsigned long long)start,
				(unsigned long long)end);
			errno = ENOEXEC;
			return -1;
		}
		if (end > *image_end)
			*image_end = end;
	}
	return 0;
}

static int vt_write_u64(struct vt_vm *vm, uint64_t gpa, uint64_t v)
{
	return vm_write(vm, gpa, &v, sizeof(v));
}

/* Identity map [0, VT_IDMAP_SIZE) with 2 MiB pages. */
static int vt_build_page_tables(struct vt_vm *vm)
{
	unsigned int nr_pd = VT_IDMAP_SIZE >> 30;
	uint64_t pdpt, pd;

	vm->pml4 = vm_alloc(vm, VT_PAGE_SIZE);
	pdpt = vm_alloc(vm, VT_PAGE_SIZE);
	pd = vm_alloc(vm, nr_pd * VT_PAGE_SIZE);
	if (!vm->pml4 || !pdpt || !pd)
		return -1;
	if (vt_write_u64(vm, vm->pml4, pdpt | PTE_P | PTE_W) < 0)
		return -1;
	for (unsigned int i = 0; i < nr_pd; i++) {
		uint64_t table[512];

		if (vt_write_u64(vm, pdpt + 8 * i,
				 (pd + i * VT_PAGE_SIZE) | PTE_P | PTE_W) < 0)
			return -1;
		for (unsigned int j = 0; j < 512; j++)
			table[j] = ((uint64_t)i << 30) + j * VT_LARGE_PAGE_SIZE +
				   (PTE_P | PTE_W | PTE_PS);
		if (vm_write(vm, pd + i * VT_PAGE_SIZE, table, sizeof(table)) < 0)
			return -1;
	}
	return 0;
}

static int vt_build_descriptor_tables(struct vt_vm *vm)
{
	uint64_t gdt[7] = {
		0,
		0x00af9b000000ffffull,	/* 0x08: 64-bit code */
		0x00cf93000000ffffull,	/* 0x10: data, 4 GiB */
		0x00cf9b000000ffffull,	/* 0x18: 32-bit code, 4 GiB */
		0x00009b000000ffffull,	/* 0x20: 16-bit code, 64 KiB */
	};
	uint64_t idt[2 * 256];

	vm->gdt = vm_alloc(vm, VT_PAGE_SIZE);
	vm->idt = vm_alloc(vm, VT_PAGE_SIZE);
	vm->tss = vm_alloc(vm, VT_PAGE_SIZE);
	if (!vm->gdt || !vm->idt || !vm->tss)
		return -1;
	/* 0x28: 64-bit TSS, busy (TR is loaded), limit 0x67. */
	gdt[5] = 0x67 | (vm->tss & 0xffffff) << 16 | 0xbull << 40 |
		 1ull << 47 | ((vm->tss >> 24) & 0xff) << 56;
	gdt[6] = vm->tss >> 32;
	if (vm_write(vm, vm->gdt, gdt, sizeof(gdt)) < 0)
		return -1;
	for (unsigned int v = 0; v < 256; v++) {
		uint64_t off = (uintptr_t)vt_guest_isr_stubs + v * VT_ISR_STUB_SIZE;

		/* Interrupt gate, present, DPL 0, selector 0x08, IST 0. */
		idt[2 * v] = (off & 0xffff) | (uint64_t)VT_SEL_CODE64 << 16 |
			     0x8eull << 40 | ((off >> 16) & 0xffff) << 48;
		idt[2 * v + 1] = off >> 32;
	}
	if (vm_write(vm, vm->idt, idt, sizeof(idt)) < 0)
		return -1;
	/* I/O map base past the limit: no I/O bitmap. */
	return vt_write_u64(vm, vm->tss + 0x60, 0x68ull << 48);
}

/* XCR0 for the guest: x87, SSE and AVX as far as CPUID 0xD offers them. */
static uint64_t vt_guest_xcr0_from_cpuid(void)
{
	const struct vmem_cpuid *c = vt_supported_cpuid();
	const struct vmem_cpuid_entry *e1 = vt_cpuid_find(c, 1, 0);
	const struct vmem_cpuid_entry *ed = vt_cpuid_find(c, 0xd, 0);

	if (!e1 || !(e1->ecx & CPUID_1_ECX_XSAVE) || !ed)
		return 0;
	return ed->eax & (XFEATURE_X87 | XFEATURE_SSE | XFEATURE_AVX);
}

struct vt_vm *vm_create(unsigned int mmu_flags)
{
	uint64_t image_end;
	struct vt_vm *vm;
	int err;

	vm = vm_create_bare(mmu_flags);
	if (!vm)
		return NULL;
	if (vm_add_slot(vm, VT_SLOT_MAIN, 0, VT_MAIN_SIZE, 0) < 0)
		goto fail;
	if (vt_load_image(vm, &image_end) < 0)
		goto fail;
	vm->alloc_next = VT_ALIGN_UP(image_end, VT_LARGE_PAGE_SIZE);
	vm->alloc_end = VT_MAIN_SIZE;
	if (vt_build_page_tables(vm) < 0 || vt_build_descriptor_tables(vm) < 0) {
		errno = ENOMEM;
		goto fail;
	}
	vm->xcr0 = vt_guest_xcr0_from_cpuid();
	if (vm_write(vm, (uintptr_t)&vt_guest_xcr0, &vm->xcr0,
		     sizeof(vm->xcr0)) < 0)
		goto fail;
	return vm;
fail:
	err = errno;
	vm_free(vm);
	errno = err;
	return NULL;
}

void vm_free(struct vt_vm *vm)
{
	if (!vm)
		return;
	for (int i = 0; i < VT_MAX_VCPUS; i++) {
		struct vt_vcpu *v = vm->vcpus[i];

		if (!v)
			continue;
		if (v->run)
			munmap(v->run, v->run_size);
		close(v->fd);
		free(v);
	}
	for (int i = 0; i < VT_MAX_SLOTS; i++) {
		if (vm->slots[i].used) {
			munmap(vm->slots[i].hva, vm->slots[i].size);
			free(vm->slots[i].touched);
		}
	}
	close(vm->fd);
	free(vm);
}

/* ---------------------------------------------------------------------- */
/* vCPUs                                                                   */

struct vt_vcpu *vcpu_add_bare(struct vt_vm *vm, uint32_t id)
{
	struct vt_vcpu *v;
	int slot = -1, err;
	long size;

	for (int i = 0; i < VT_MAX_VCPUS; i++) {
		if (!vm->vcpus[i]) {
			slot = i;
			break;
		}
	}
	if (slot < 0) {
		errno = ENOSPC;
		return NULL;
	}
	size = vt_check_extension(VMEM_CAP_RUN_SIZE);
	if (size <= 0) {
		vt_diag("VMEM_CAP_RUN_SIZE: %ld", size);
		errno = EINVAL;
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->vm = vm;
	v->id = id;
	v->fd = ioctl(vm->fd, VMEM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0) {
		err = errno;
		vt_diag("VMEM_CREATE_VCPU(%u): %s", id, vt_errno_name(err));
		free(v);
		errno = err;
		return NULL;
	}
	v->run_size = size;
	v->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		err = errno;
		vt_diag("mmap of the vCPU fd (run area, %ld bytes): %s", size,
			vt_errno_name(err));
		close(v->fd);
		free(v);
		errno = err;
		return NULL;
	}
	vm->vcpus[slot] = v;
	return v;
}

static void vt_seg(struct vmem_segment *s, uint16_t sel, uint64_t base,
		   uint32_t limit, uint8_t type, uint8_t l, uint8_t db, uint8_t g)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = base;
	s->limit = limit;
	s->type = type;
	s->s = 1;
	s->present = 1;
	s->l = l;
	s->db = db;
	s->g = g;
}

static void vt_sregs_tables(struct vt_vm *vm, struct vmem_sregs *sr)
{
	memset(&sr->tr, 0, sizeof(sr->tr));
	sr->tr.selector = VT_SEL_TSS;
	sr->tr.base = vm->tss;
	sr->tr.limit = 0x67;
	sr->tr.type = 0xb;
	sr->tr.present = 1;
	memset(&sr->ldt, 0, sizeof(sr->ldt));
	sr->ldt.type = 0x2;
	sr->ldt.unusable = 1;
	memset(&sr->gdt, 0, sizeof(sr->gdt));
	sr->gdt.base = vm->gdt;
	sr->gdt.limit = 7 * 8 - 1;
	memset(&sr->idt, 0, sizeof(sr->idt));
	sr->idt.base = vm->idt;
	sr->idt.limit = 256 * 16 - 1;
}

int vcpu_set_long_mode(struct vt_vcpu *vcpu)
{
	const struct vmem_cpuid *c = vt_supported_cpuid();
	const struct vmem_cpuid_entry *e;
	struct vt_vm *vm = vcpu->vm;
	struct vmem_sregs sr;

	if (vcpu_get_sregs(vcpu, &sr) < 0)
		return -1;
	vt_seg(&sr.cs, VT_SEL_CODE64, 0, 0xffffffff, 0xb, 1, 0, 1);
	vt_seg(&sr.ds, VT_SEL_DATA, 0, 0xffffffff, 0x3, 0, 1, 1);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	vt_sregs_tables(vm, &sr);
	sr.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
		 X86_CR0_WP | X86_CR0_PG;
	sr.cr2 = 0;
	sr.cr3 = vm->pml4;
	sr.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	if (vm->xcr0)
		sr.cr4 |= X86_CR4_OSXSAVE;
	sr.cr8 = 0;
	sr.efer = EFER_LME | EFER_LMA;
	e = vt_cpuid_find(c, 0x80000001, 0);
	if (e && (e->edx & (1u << 20)))
		sr.efer |= EFER_NXE;
	return vcpu_set_sregs(vcpu, &sr);
}

int vcpu_set_real_mode(struct vt_vcpu *vcpu, uint16_t cs, uint16_t ip,
		       uint16_t ss, uint16_t sp, uint16_t ds)
{
	struct vmem_sregs sr;
	struct vmem_regs regs;

	if (vcpu_get_sregs(vcpu, &sr) < 0)
		return -1;
	vt_seg(&sr.cs, cs, (uint64_t)cs << 4, 0xffff, 0xb, 0, 0, 0);
	vt_seg(&sr.ss, ss, (uint64_t)ss << 4, 0xffff, 0x3, 0, 0, 0);
	vt_seg(&sr.ds, ds, (uint64_t)ds << 4, 0xffff, 0x3, 0, 0, 0);
	sr.es = sr.fs = sr.gs = sr.ds;
	memset(&sr.tr, 0, sizeof(sr.tr));
	sr.tr.type = 0xb;
	sr.tr.present = 1;
	sr.tr.limit = 0xffff;
	memset(&sr.ldt, 0, sizeof(sr.ldt));
	sr.ldt.type = 0x2;
	sr.ldt.present = 1;
	sr.ldt.limit = 0xffff;
	memset(&sr.gdt, 0, sizeof(sr.gdt));
	memset(&sr.idt, 0, sizeof(sr.idt));
	sr.idt.limit = 0x3ff;
	sr.cr0 = X86_CR0_ET;
	sr.cr2 = sr.cr3 = sr.cr4 = sr.cr8 = 0;
	sr.efer = 0;
	if (vcpu_set_sregs(vcpu, &sr) < 0)
		return -1;
	memset(&regs, 0, sizeof(regs));
	regs.rip = ip;
	regs.rsp = sp;
	regs.rflags = X86_EFLAGS_FIXED;
	return vcpu_set_regs(vcpu, &regs);
}

int vcpu_set_protected_mode(struct vt_vcpu *vcpu, uint32_t eip, uint32_t esp,
			    uint32_t cr3)
{
	struct vmem_sregs sr;
	struct vmem_regs regs;

	if (vcpu_get_sregs(vcpu, &sr) < 0)
		return -1;
	vt_seg(&sr.cs, VT_SEL_CODE32, 0, 0xffffffff, 0xb, 0, 1, 1);
	vt_seg(&sr.ds, VT_SEL_DATA, 0, 0xffffffff, 0x3, 0, 1, 1);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	vt_sregs_tables(vcpu->vm, &sr);
	sr.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_MP;
	sr.cr4 = X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	sr.cr2 = sr.cr3 = sr.cr8 = 0;
	if (cr3) {
		sr.cr0 |= X86_CR0_PG | X86_CR0_WP;
		sr.cr3 = cr3;
		sr.cr4 |= X86_CR4_PSE;
	}
	sr.efer = 0;
	if (vcpu_set_sregs(vcpu, &sr) < 0)
		return -1;
	memset(&regs, 0, sizeof(regs));
	regs.rip = eip;
	regs.rsp = esp;
	regs.rflags = X86_EFLAGS_FIXED;
	return vcpu_set_regs(vcpu, &regs);
}

struct vt_vcpu *vcpu_add(struct vt_vm *vm, uint32_t id, void *guest_code)
{
	const struct vmem_cpuid *cpuid;
	struct vt_vcpu *v;
	uint64_t stack;
	void *hva;

	v = vcpu_add_bare(vm, id);
	if (!v)
		return NULL;
	stack = vm_alloc(vm, VT_STACK_SIZE);
	hva = stack ? vm_gpa2hva(vm, stack) : NULL;
	if (!hva) {
		errno = ENOMEM;
		return NULL;
	}
	/* Touch the whole stack now, so the guest allocates nothing there
	 * (memory accounting tests count exactly). */
	memset(hva, 0, VT_STACK_SIZE);
	vt_mark_touched(vm, vt_find_slot(vm, stack, VT_STACK_SIZE), stack,
			VT_STACK_SIZE);
	v->stack_top = stack + VT_STACK_SIZE;

	cpuid = vt_supported_cpuid();
	if (!cpuid || vcpu_set_cpuid(v, cpuid) < 0)
		return NULL;
	if (vcpu_set_entry(v, guest_code) < 0)
		return NULL;
	return v;
}

int vcpu_set_entry(struct vt_vcpu *vcpu, void *guest_code)
{
	struct vmem_regs regs;

	if (vcpu_set_long_mode(vcpu) < 0)
		return -1;
	memset(&regs, 0, sizeof(regs));
	regs.rip = (uintptr_t)vt_guest_entry;
	regs.rsp = vcpu->stack_top;
	regs.r12 = (uintptr_t)guest_code;
	regs.rflags = X86_EFLAGS_FIXED;
	return vcpu_set_regs(vcpu, &regs);
}

int vt_vcpu_args_set(struct vt_vcpu *vcpu, unsigned int n,
		     const uint64_t *args)
{
	struct vmem_regs regs;

	if (n > 6) {
		errno = EINVAL;
		return -1;
	}
	if (vcpu_get_regs(vcpu, &regs) < 0)
		return -1;
	for (unsigned int i = 0; i < n; i++) {
		uint64_t a = args[i];

		switch (i) {
		case 0: regs.rdi = a; break;
		case 1: regs.rsi = a; break;
		case 2: regs.rdx = a; break;
		case 3: regs.rcx = a; break;
		case 4: regs.r8 = a; break;
		case 5: regs.r9 = a; break;
		}
	}
	return vcpu_set_regs(vcpu, &regs);
}

#define VT_IOCTL(vcpu, nr, arg, what) ({				\
	int vt_r_ = ioctl((vcpu)->fd, (nr), (arg));			\
	if (vt_r_ < 0) {						\
		int vt_e_ = errno;					\
		vt_diag("%s on vCPU %u: %s", what, (vcpu)->id,		\
			vt_errno_name(vt_e_));				\
		errno = vt_e_;						\
	}								\
	vt_r_;								\
})

int vcpu_get_regs(struct vt_vcpu *vcpu, struct vmem_regs *regs)
{
	return VT_IOCTL(vcpu, VMEM_GET_REGS, regs, "VMEM_GET_REGS");
}

int vcpu_set_regs(struct vt_vcpu *vcpu, const struct vmem_regs *regs)
{
	return VT_IOCTL(vcpu, VMEM_SET_REGS, regs, "VMEM_SET_REGS");
}

int vcpu_get_sregs(struct vt_vcpu *vcpu, struct vmem_sregs *sregs)
{
	return VT_IOCTL(vcpu, VMEM_GET_SREGS, sregs, "VMEM_GET_SREGS");
}

int vcpu_set_sregs(struct vt_vcpu *vcpu, const struct vmem_sregs *sregs)
{
	return VT_IOCTL(vcpu, VMEM_SET_SREGS, sregs, "VMEM_SET_SREGS");
}

int vcpu_set_cpuid(struct vt_vcpu *vcpu, const struct vmem_cpuid *cpuid)
{
	return VT_IOCTL(vcpu, VMEM_SET_CPUID, cpuid, "VMEM_SET_CPUID");
}

static int vt_msr_one(struct vt_vcpu *vcpu, unsigned long nr, uint32_t index,
		      uint64_t *data)
{
	struct {
		struct vmem_msrs hdr;
		struct vmem_msr_entry e;
	} m;
	int ret;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.e.index = index;
	m.e.data = *data;
	ret = ioctl(vcpu->fd, nr, &m);
	if (ret < 0)
		return -1;
	if (ret != 1) {
		errno = EIO;
		return -1;
	}
	*data = m.e.data;
	return 0;
}

int vcpu_get_msr(struct vt_vcpu *vcpu, uint32_t index, uint64_t *data)
{
	*data = 0;
	return vt_msr_one(vcpu, VMEM_GET_MSRS, index, data);
}

int vcpu_set_msr(struct vt_vcpu *vcpu, uint32_t index, uint64_t data)
{
	return vt_msr_one(vcpu, VMEM_SET_MSRS, index, &data);
}

int vcpu_inject(struct vt_vcpu *vcpu, uint32_t type, uint32_t vector,
		bool has_error, uint32_t error_code)
{
	struct vmem_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.vector = vector;
	ev.flags = has_error ? VMEM_EVENT_ERROR_CODE : 0;
	ev.error_code = error_code;
	return ioctl(vcpu->fd, VMEM_INJECT, &ev);
}

/* ---------------------------------------------------------------------- */
/* Modes                                                                   */

int vm_load_blob(struct vt_vm *vm, uint64_t gpa, const void *start,
		 const void *end)
{
	return vm_write(vm, gpa, start, (const char *)end - (const char *)start);
}

/* ---------------------------------------------------------------------- */
/* Running                                                                 */

int vcpu_run(struct vt_vcpu *vcpu)
{
	return ioctl(vcpu->fd, VMEM_RUN, 0);
}

uint64_t vcpu_get_ucall(struct vt_vcpu *vcpu, struct vt_ucall *uc)
{
	struct vmem_run *run = vcpu->run;
	struct vmem_regs regs;
	struct vt_ucall tmp;

	if (!uc)
		uc = &tmp;
	memset(uc, 0, sizeof(*uc));
	if (run->exit_reason != VMEM_EXIT_IO || run->io.port != VT_UCALL_PORT ||
	    run->io.direction != VMEM_IO_OUT || run->io.size != 1)
		return UCALL_NONE;
	if (vcpu_get_regs(vcpu, &regs) < 0)
		return UCALL_NONE;
	if (vm_read(vcpu->vm, regs.rdi, uc, sizeof(*uc)) < 0) {
		vt_diag("ucall from vCPU %u: RDI 0x%llx is not guest RAM",
			vcpu->id, (unsigned long long)regs.rdi);
		return UCALL_NONE;
	}
	uc->msg[sizeof(uc->msg) - 1] = '\0';
	return uc->cmd;
}

uint64_t vcpu_run_ucall(struct vt_vcpu *vcpu, struct vt_ucall *uc)
{
	struct vt_ucall tmp;
	uint64_t cmd;

	if (!uc)
		uc = &tmp;
	for (;;) {
		if (vcpu_run(vcpu) < 0) {
			memset(uc, 0, sizeof(*uc));
			return UCALL_NONE;
		}
		cmd = vcpu_get_ucall(vcpu, uc);
		if (cmd != UCALL_PRINTF) {
			errno = 0;
			return cmd;
		}
		vt_diag("guest vCPU %u: %s", vcpu->id, uc->msg);
	}
}

void *vcpu_io_data(struct vt_vcpu *vcpu)
{
	struct vmem_run *run = vcpu->run;
	uint64_t len = (uint64_t)run->io.size * run->io.count;

	if (run->io.data_offset > vcpu->run_size ||
	    len > vcpu->run_size - run->io.data_offset)
		return NULL;
	return (char *)run + run->io.data_offset;
}

const char *vt_exit_name(uint32_t reason)
{
	static const char *const names[] = {
		[VMEM_EXIT_NONE] = "NONE",
		[VMEM_EXIT_IO] = "IO",
		[VMEM_EXIT_MMIO] = "MMIO",
		[VMEM_EXIT_HLT] = "HLT",
		[VMEM_EXIT_HYPERCALL] = "HYPERCALL",
		[VMEM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[VMEM_EXIT_IRQ_WINDOW] = "IRQ_WINDOW",
		[VMEM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[VMEM_EXIT_INTERNAL] = "INTERNAL",
		[VMEM_EXIT_STOPPED] = "STOPPED",
		[VMEM_EXIT_MSR] = "MSR",
	};

	if (reason < VT_ARRAY_SIZE(names) && names[reason])
		return names[reason];
	return "unknown";
}

const char *vt_ucall_name(uint64_t cmd)
{
	switch (cmd) {
	case UCALL_NONE: return "none (not a ucall)";
	case UCALL_SYNC: return "UCALL_SYNC";
	case UCALL_DONE: return "UCALL_DONE";
	case UCALL_ABORT: return "UCALL_ABORT";
	case UCALL_PRINTF: return "UCALL_PRINTF";
	case UCALL_UNHANDLED: return "UCALL_UNHANDLED";
	}
	return "unknown ucall";
}

const char *vt_vector_name(unsigned int vector)
{
	static const char *const names[32] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
		"#DF", "vector 9", "#TS", "#NP", "#SS", "#GP", "#PF", "vector 15",
		"#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
	};

	if (vector < 32 && names[vector])
		return names[vector];
	return vector < 32 ? "reserved exception" : "interrupt";
}

static void vt_hex(char *buf, size_t size, const uint8_t *p, unsigned int n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < n && len + 4 < size; i++)
		len += snprintf(buf + len, size - len, "%s%02x", i ? " " : "", p[i]);
}

void vcpu_describe_exit(struct vt_vcpu *vcpu)
{
	struct vmem_run *run = vcpu->run;
	struct vmem_regs regs;
	char hex[64];

	vt_diag("vCPU %u exit %s (%u)", vcpu->id, vt_exit_name(run->exit_reason),
		run->exit_reason);
	switch (run->exit_reason) {
	case VMEM_EXIT_IO:
		vt_diag("  io: %s port 0x%x size %u count %u data_offset %llu",
			run->io.direction == VMEM_IO_OUT ? "out" : "in",
			run->io.port, run->io.size, run->io.count,
			(unsigned long long)run->io.data_offset);
		break;
	case VMEM_EXIT_MMIO:
		vt_hex(hex, sizeof(hex), run->mmio.data, 8);
		vt_diag("  mmio: %s gpa 0x%llx len %u data %s",
			run->mmio.is_write ? "write" : "read",
			(unsigned long long)run->mmio.gpa, run->mmio.len, hex);
		break;
	case VMEM_EXIT_HYPERCALL:
		vt_diag("  hypercall: nr 0x%llx args 0x%llx 0x%llx 0x%llx",
			(unsigned long long)run->hypercall.nr,
			(unsigned long long)run->hypercall.args[0],
			(unsigned long long)run->hypercall.args[1],
			(unsigned long long)run->hypercall.args[2]);
		break;
	case VMEM_EXIT_FAIL_ENTRY:
		vt_diag("  fail_entry: hardware_reason 0x%llx qualification 0x%llx",
			(unsigned long long)run->fail_entry.hardware_reason,
			(unsigned long long)run->fail_entry.qualification);
		break;
	case VMEM_EXIT_INTERNAL:
		vt_hex(hex, sizeof(hex), run->internal.insn,
		       run->internal.insn_len < 16 ? run->internal.insn_len : 16);
		vt_diag("  internal: suberror %u hardware_exit 0x%llx gpa 0x%llx insn [%s]",
			run->internal.suberror,
			(unsigned long long)run->internal.hardware_exit,
			(unsigned long long)run->internal.gpa, hex);
		break;
	case VMEM_EXIT_MSR:
		vt_diag("  msr: %s 0x%x data 0x%llx",
			run->msr.is_write ? "wrmsr" : "rdmsr", run->msr.index,
			(unsigned long long)run->msr.data);
		break;
	}
	if (ioctl(vcpu->fd, VMEM_GET_REGS, &regs) == 0)
		vt_diag("  rip 0x%llx rsp 0x%llx rax 0x%llx rflags 0x%llx",
			(unsigned long long)regs.rip, (unsigned long long)regs.rsp,
			(unsigned long long)regs.rax,
			(unsigned long long)regs.rflags);
}

/* A NUL-terminated string from guest memory (bounded). */
static const char *vt_guest_str(struct vt_vm *vm, uint64_t gva, char *buf,
				size_t size)
{
	size_t i;

	if (!gva)
		return "";
	for (i = 0; i + 1 < size; i++) {
		const char *p = vm_gpa2hva(vm, gva + i);

		if (!p) {
			snprintf(buf, size, "<bad guest pointer 0x%llx>",
				 (unsigned long long)gva);
			return buf;
		}
		buf[i] = *p;
		if (!*p)
			break;
	}
	buf[i] = '\0';
	return buf;
}

void vcpu_describe_ucall(struct vt_vcpu *vcpu, const struct vt_ucall *uc)
{
	char file[256], expr[512];

	switch (uc->cmd) {
	case UCALL_ABORT:
		vt_diag("guest assertion failed on vCPU %u at %s:%llu: %s%s%s",
			vcpu->id, vt_guest_str(vcpu->vm, uc->file, file, sizeof(file)),
			(unsigned long long)uc->line,
			vt_guest_str(vcpu->vm, uc->expr, expr, sizeof(expr)),
			uc->msg[0] ? ": " : "", uc->msg);
		break;
	case UCALL_UNHANDLED:
		vt_diag("guest vCPU %u: unexpected %s (vector %llu), error code 0x%llx, at RIP 0x%llx, CR2 0x%llx (addr2line -e <test> 0x%llx)",
			vcpu->id, vt_vector_name(uc->args[0]),
			(unsigned long long)uc->args[0],
			(unsigned long long)uc->args[1],
			(unsigned long long)uc->args[2],
			(unsigned long long)uc->args[3],
			(unsigned long long)uc->args[2]);
		break;
	case UCALL_SYNC:
		vt_diag("guest vCPU %u: GUEST_SYNC(%llu)", vcpu->id,
			(unsigned long long)uc->args[0]);
		break;
	case UCALL_DONE:
		vt_diag("guest vCPU %u: GUEST_DONE", vcpu->id);
		break;
	case UCALL_NONE:
		vcpu_describe_exit(vcpu);
		break;
	default:
		vt_diag("guest vCPU %u: %s", vcpu->id, vt_ucall_name(uc->cmd));
		break;
	}
}

bool vt_expect_ucall(const char *file, int line, struct vt_vcpu *vcpu,
		     uint64_t want, struct vt_ucall *uc)
{
	struct vt_ucall tmp;
	char what[128];
	uint64_t cmd;
	int err;

	if (!uc)
		uc = &tmp;
	cmd = vcpu_run_ucall(vcpu, uc);
	err = errno;
	if (cmd == want)
		return true;
	if (cmd == UCALL_NONE && err)
		vt_diag("VMEM_RUN on vCPU %u failed: %s (%s)", vcpu->id,
			vt_errno_name(err), strerror(err));
	else
		vcpu_describe_ucall(vcpu, uc);
	snprintf(what, sizeof(what), "vCPU %u to report %s, got %s", vcpu->id,
		 vt_ucall_name(want), vt_ucall_name(cmd));
	return vt_check_true(file, line, what, false);
}

bool vt_expect_exit(const char *file, int line, struct vt_vcpu *vcpu,
		    uint32_t want)
{
	struct vt_ucall uc;
	char what[128];

	if (vcpu_run(vcpu) < 0) {
		int err = errno;

		snprintf(what, sizeof(what), "VMEM_RUN on vCPU %u to exit %s, it failed with %s",
			 vcpu->id, vt_exit_name(want), vt_errno_name(err));
		return vt_check_true(file, line, what, false);
	}
	if (vcpu->run->exit_reason == want)
		return true;
	if (vcpu_get_ucall(vcpu, &uc) != UCALL_NONE)
		vcpu_describe_ucall(vcpu, &uc);
	else
		vcpu_describe_exit(vcpu);
	snprintf(what, sizeof(what), "vCPU %u to exit %s (%u), got %s (%u)",
		 vcpu->id, vt_exit_name(want), want,
		 vt_exit_name(vcpu->run->exit_reason), vcpu->run->exit_reason);
	return vt_check_true(file, line, what, false);
}

bool vt_expect_io(const char *file, int line, struct vt_vcpu *vcpu,
		  uint8_t dir, uint16_t port, uint8_t size, uint32_t count,
		  const void *data)
{
	struct vmem_run *run = vcpu->run;
	char what[256], want_hex[64], got_hex[64];
	const void *got;
	size_t len = (size_t)size * count;

	if (!vt_expect_exit(file, line, vcpu, VMEM_EXIT_IO))
		return false;
	if (run->io.direction != dir || run->io.port != port ||
	    run->io.size != size || run->io.count != count) {
		vcpu_describe_exit(vcpu);
		snprintf(what, sizeof(what),
			 "an %s of %u x %u bytes at port 0x%x, got %s of %u x %u bytes at port 0x%x",
			 dir == VMEM_IO_OUT ? "OUT" : "IN", count, size, port,
			 run->io.direction == VMEM_IO_OUT ? "OUT" : "IN",
			 run->io.count, run->io.size, run->io.port);
		return vt_check_true(file, line, what, false);
	}
	got = vcpu_io_data(vcpu);
	if (!got) {
		snprintf(what, sizeof(what), "io.data_offset %llu inside the run area (%zu bytes)",
			 (unsigned long long)run->io.data_offset, vcpu->run_size);
		return vt_check_true(file, line, what, false);
	}
	if (dir == VMEM_IO_OUT && data && memcmp(got, data, len)) {
		vt_hex(want_hex, sizeof(want_hex), data, len < 16 ? len : 16);
		vt_hex(got_hex, sizeof(got_hex), got, len < 16 ? len : 16);
		snprintf(what, sizeof(what), "OUT data at port 0x%x to be [%s], got [%s]",
			 port, want_hex, got_hex);
		return vt_check_true(file, line, what, false);
	}
	return true;
}

/* ---------------------------------------------------------------------- */
/* Leak counters                                                           */

static int vt_read_ll(const char *path, long long *v)
{
	char buf[64], *end;
	int ret;

	ret = vt_read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	errno = 0;
	*v = strtoll(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

int vt_leaks_read(struct vt_leaks *l)
{
	int ret;

	ret = vt_read_ll(VT_DEBUGFS_PAGES, &l->pages);
	if (ret < 0)
		return ret;
	return vt_read_ll(VT_DEBUGFS_OBJECTS, &l->objects);
}

bool vt_leaks_check(const char *file, int line, const struct vt_leaks *base)
{
	struct vt_leaks now = { 0, 0 };
	char what[160];
	int ret = 0;

	/* Teardown may finish asynchronously (RCU, work items): wait a bit. */
	for (int i = 0; i < 500; i++) {
		ret = vt_leaks_read(&now);
		if (ret < 0)
			break;
		if (now.pages == base->pages && now.objects == base->objects)
			return true;
		usleep(10000);
	}
	if (ret < 0)
		snprintf(what, sizeof(what), "the leak counters to be readable (%s)",
			 vt_errno_name(-ret));
	else
		snprintf(what, sizeof(what),
			 "leak counters back at baseline after 5 s: pages %lld -> %lld, objects %lld -> %lld",
			 base->pages, now.pages, base->objects, now.objects);
	return vt_check_true(file, line, what, false);
}
