// SPDX-License-Identifier: GPL-2.0
/*
 * bench_vm.c - vmem and KVM behind struct backend (bench_vm.h): the same
 * guest memory, vCPU state and exits on both drivers, so the benchmark
 * programs measure the drivers and nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/vmem.h>

#include "bench_vm.h"

void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", program_invocation_short_name);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void vm_close(struct vm *vm)
{
	if (vm->run && vm->run != MAP_FAILED)
		munmap(vm->run, vm->run_size);
	if (vm->mem && vm->mem != MAP_FAILED)
		munmap(vm->mem, vm->mem_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	memset(vm, 0, sizeof(*vm));
	vm->sys_fd = vm->vm_fd = vm->vcpu_fd = -1;
}

/* ---- KVM ---------------------------------------------------------------- */

static void kvm_seg(struct kvm_segment *k, const struct seg *s)
{
	memset(k, 0, sizeof(*k));
	k->base = s->base;
	k->limit = s->limit;
	k->selector = s->selector;
	k->type = s->type;
	k->s = s->s;
	k->dpl = s->dpl;
	k->present = s->present;
	k->avl = s->avl;
	k->l = s->l;
	k->db = s->db;
	k->g = s->g;
	k->unusable = s->unusable;
}

static int kvm_create(struct vm *vm, size_t mem_size, const struct vm_opts *o)
{
	struct kvm_userspace_memory_region region;
	int r;

	vm->sys_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->sys_fd < 0)
		return -errno;
	r = ioctl(vm->sys_fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION) {
		fail("KVM API version %d, expected %d", r, KVM_API_VERSION);
		return -EINVAL;
	}
	vm->vm_fd = ioctl(vm->sys_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return -errno;
	/* Needed by kvm_intel without unrestricted guest; harmless on AMD. */
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul) < 0)
		return -errno;

	/*
	 * 2 MiB aligned, as QEMU does: KVM maps a 2 MiB guest page only where
	 * guest-physical and host-virtual addresses agree modulo 2 MiB (6.1
	 * does not align large anonymous mappings by itself).
	 */
	{
		const size_t huge = 2ul << 20;
		uint8_t *raw, *aligned;

		raw = mmap(NULL, mem_size + huge, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (raw == MAP_FAILED)
			return -errno;
		aligned = (uint8_t *)(((uintptr_t)raw + huge - 1) & ~(huge - 1));
		if (aligned > raw)
			munmap(raw, aligned - raw);
		munmap(aligned + mem_size, raw + huge - aligned);
		vm->mem = aligned;
		vm->mem_size = mem_size;
	}
	/* 4 KiB pages unless the workload asks for THP. */
	madvise(vm->mem, mem_size, o->thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);

	memset(&region, 0, sizeof(region));
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = mem_size;
	region.userspace_addr = (uintptr_t)vm->mem;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return -errno;

	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		return -errno;
	r = ioctl(vm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r < 0)
		return -errno;
	vm->run_size = r;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED)
		return -errno;
	return 0;
}

static int kvm_setup(struct vm *vm, const struct boot_state *st)
{
	struct kvm_cpuid2 *cpuid;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int nent = 128, r;

	/* The guest sees what KVM supports, as a VMM would set it up. */
	for (;;) {
		cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));
		if (!cpuid)
			return -ENOMEM;
		cpuid->nent = nent;
		if (ioctl(vm->sys_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
			break;
		r = -errno;
		free(cpuid);
		if (r != -E2BIG)
			return r;
		nent *= 2;
	}
	r = ioctl(vm->vcpu_fd, KVM_SET_CPUID2, cpuid) < 0 ? -errno : 0;
	free(cpuid);
	if (r)
		return r;

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	kvm_seg(&sregs.cs, &st->cs);
	kvm_seg(&sregs.ds, &st->ds);
	kvm_seg(&sregs.es, &st->ds);
	kvm_seg(&sregs.fs, &st->ds);
	kvm_seg(&sregs.gs, &st->ds);
	kvm_seg(&sregs.ss, &st->ds);
	kvm_seg(&sregs.tr, &st->tr);
	kvm_seg(&sregs.ldt, &st->ldt);
	sregs.gdt.base = st->gdt_base;
	sregs.gdt.limit = st->gdt_limit;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = st->cr0;
	sregs.cr3 = st->cr3;
	sregs.cr4 = st->cr4;
	sregs.efer = st->efer;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;

	memset(&regs, 0, sizeof(regs));
	regs.rip = st->rip;
	regs.rsp = st->rsp;
	regs.rdi = st->rdi;
	regs.rsi = st->rsi;
	regs.rflags = st->rflags;
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

static int kvm_run(struct vm *vm, struct exit_info *ex)
{
	struct kvm_run *run = vm->run;

	if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0)
		return -errno;
	ex->raw = run->exit_reason;
	if (run->exit_reason == KVM_EXIT_IO &&
	    run->io.direction == KVM_EXIT_IO_OUT) {
		ex->kind = EX_OUT;
		ex->port = run->io.port;
		ex->value = *((uint8_t *)run + run->io.data_offset);
	} else if (run->exit_reason == KVM_EXIT_HYPERCALL) {
		ex->kind = EX_HYPERCALL;
	} else {
		ex->kind = EX_OTHER;
	}
	return 0;
}

static void kvm_complete_hypercall(struct vm *vm, uint64_t ret)
{
	((struct kvm_run *)vm->run)->hypercall.ret = ret;
}

static int kvm_keeper(void)
{
	int sys = open("/dev/kvm", O_RDWR | O_CLOEXEC), fd;

	if (sys < 0)
		return -errno;
	fd = ioctl(sys, KVM_CREATE_VM, 0);
	if (fd < 0)
		fd = -errno;
	close(sys);
	return fd;
}

/* ---- vmem --------------------------------------------------------------- */

static void vmem_seg(struct vmem_segment *v, const struct seg *s)
{
	memset(v, 0, sizeof(*v));
	v->base = s->base;
	v->limit = s->limit;
	v->selector = s->selector;
	v->type = s->type;
	v->s = s->s;
	v->dpl = s->dpl;
	v->present = s->present;
	v->avl = s->avl;
	v->l = s->l;
	v->db = s->db;
	v->g = s->g;
	v->unusable = s->unusable;
}

static int vmem_create(struct vm *vm, size_t mem_size, const struct vm_opts *o)
{
	struct vmem_memslot slot;
	int r;

	vm->sys_fd = open("/dev/vmem", O_RDWR | O_CLOEXEC);
	if (vm->sys_fd < 0)
		return -errno;
	r = ioctl(vm->sys_fd, VMEM_GET_API_VERSION, 0);
	if (r != VMEM_API_VERSION) {
		fail("vmem API version %d, expected %d", r, VMEM_API_VERSION);
		return -EINVAL;
	}
	vm->vm_fd = ioctl(vm->sys_fd, VMEM_CREATE_VM, o->vmem_mmu);
	if (vm->vm_fd < 0)
		return -errno;

	memset(&slot, 0, sizeof(slot));
	slot.slot = 0;
	slot.gpa = 0;
	slot.size = mem_size;
	/* 4 KiB pages unless the workload asks for large ones. */
	slot.flags = o->thp ? 0 : VMEM_MEMSLOT_SMALL_PAGES;
	if (ioctl(vm->vm_fd, VMEM_SET_MEMSLOT, &slot) < 0)
		return -errno;
	/* The VMM's view of guest RAM: offset = guest-physical address. */
	vm->mem_size = mem_size;
	vm->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vm_fd, 0);
	if (vm->mem == MAP_FAILED)
		return -errno;

	vm->vcpu_fd = ioctl(vm->vm_fd, VMEM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		return -errno;
	r = ioctl(vm->sys_fd, VMEM_CHECK_EXTENSION, VMEM_CAP_RUN_SIZE);
	if (r <= 0)
		return r < 0 ? -errno : -ENOSYS;
	vm->run_size = r;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED)
		return -errno;
	return 0;
}

static int vmem_setup(struct vm *vm, const struct boot_state *st)
{
	struct vmem_cpuid *cpuid;
	struct vmem_sregs sregs;
	struct vmem_regs regs;
	const int nent = 256;	/* the ABI's maximum */
	int r;

	cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));
	if (!cpuid)
		return -ENOMEM;
	cpuid->nent = nent;
	if (ioctl(vm->sys_fd, VMEM_GET_SUPPORTED_CPUID, cpuid) < 0) {
		r = -errno;
		free(cpuid);
		return r;
	}
	r = ioctl(vm->vcpu_fd, VMEM_SET_CPUID, cpuid) < 0 ? -errno : 0;
	free(cpuid);
	if (r)
		return r;

	if (ioctl(vm->vcpu_fd, VMEM_GET_SREGS, &sregs) < 0)
		return -errno;
	vmem_seg(&sregs.cs, &st->cs);
	vmem_seg(&sregs.ds, &st->ds);
	vmem_seg(&sregs.es, &st->ds);
	vmem_seg(&sregs.fs, &st->ds);
	vmem_seg(&sregs.gs, &st->ds);
	vmem_seg(&sregs.ss, &st->ds);
	vmem_seg(&sregs.tr, &st->tr);
	vmem_seg(&sregs.ldt, &st->ldt);
	sregs.gdt.base = st->gdt_base;
	sregs.gdt.limit = st->gdt_limit;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = st->cr0;
	sregs.cr3 = st->cr3;
	sregs.cr4 = st->cr4;
	sregs.efer = st->efer;
	if (ioctl(vm->vcpu_fd, VMEM_SET_SREGS, &sregs) < 0)
		return -errno;

	memset(&regs, 0, sizeof(regs));
	regs.rip = st->rip;
	regs.rsp = st->rsp;
	regs.rdi = st->rdi;
	regs.rsi = st->rsi;
	regs.rflags = st->rflags;
	if (ioctl(vm->vcpu_fd, VMEM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

static int vmem_run(struct vm *vm, struct exit_info *ex)
{
	struct vmem_run *run = vm->run;

	if (ioctl(vm->vcpu_fd, VMEM_RUN, 0) < 0)
		return -errno;
	ex->raw = run->exit_reason;
	if (run->exit_reason == VMEM_EXIT_IO &&
	    run->io.direction == VMEM_IO_OUT) {
		ex->kind = EX_OUT;
		ex->port = run->io.port;
		ex->value = *((uint8_t *)run + run->io.data_offset);
	} else if (run->exit_reason == VMEM_EXIT_HYPERCALL) {
		ex->kind = EX_HYPERCALL;
	} else {
		ex->kind = EX_OTHER;
	}
	return 0;
}

static void vmem_complete_hypercall(struct vm *vm, uint64_t ret)
{
	((struct vmem_run *)vm->run)->hypercall.ret = ret;
}

static int vmem_keeper(void)
{
	int sys = open("/dev/vmem", O_RDWR | O_CLOEXEC), fd;

	if (sys < 0)
		return -errno;
	fd = ioctl(sys, VMEM_CREATE_VM, VMEM_VM_MMU_AUTO);
	if (fd < 0)
		fd = -errno;
	close(sys);
	return fd;
}

/*
 * The no-op hypercalls: vmem's VMEM_HC_PING, and KVM's
 * KVM_HC_VAPIC_POLL_IRQ, which KVM answers 0 in the kernel and whose
 * number no uapi header of the host need provide.
 */
#define KVM_HC_NOP	1

const struct backend backends[NR_BACKENDS] = {
	{ "vmem", "/dev/vmem", VMEM_HC_PING, vmem_create, vmem_setup,
	  vmem_run, vmem_complete_hypercall, vm_close, vmem_keeper },
	{ "kvm", "/dev/kvm", KVM_HC_NOP, kvm_create, kvm_setup, kvm_run,
	  kvm_complete_hypercall, vm_close, kvm_keeper },
};
uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void gdt_entry(uint64_t *gdt, int idx, uint32_t base, uint32_t limit,
		      uint8_t access, uint8_t flags)
{
	gdt[idx] = (uint64_t)(limit & 0xffff) |
		   ((uint64_t)(base & 0xffffff) << 16) |
		   ((uint64_t)access << 40) |
		   ((uint64_t)((limit >> 16) & 0xf) << 48) |
		   ((uint64_t)(flags & 0xf) << 52) |
		   ((uint64_t)(base >> 24) << 56);
}

void bench_image_base(void *mem, struct boot_state *st)
{
	uint64_t *gdt = (uint64_t *)((uint8_t *)mem + GDT_GPA);

	gdt[0] = 0;
	gdt_entry(gdt, 1, 0, 0xfffff, 0x9b, 0xa);	/* P, S, code RX-A; G, L */
	gdt_entry(gdt, 2, 0, 0xfffff, 0x93, 0xc);	/* P, S, data RW-A; G, D/B */
	gdt_entry(gdt, 3, TSS_GPA, 0x67, 0x8b, 0x0);	/* P, busy 64-bit TSS */
	gdt[4] = 0;					/* TSS base 63:32 */

	memset(st, 0, sizeof(*st));
	st->cs = (struct seg){ .base = 0, .limit = 0xffffffff,
		.selector = SEL_CODE, .type = 0xb, .s = 1, .present = 1,
		.l = 1, .g = 1 };
	st->ds = (struct seg){ .base = 0, .limit = 0xffffffff,
		.selector = SEL_DATA, .type = 0x3, .s = 1, .present = 1,
		.db = 1, .g = 1 };
	st->tr = (struct seg){ .base = TSS_GPA, .limit = 0x67,
		.selector = SEL_TSS, .type = 0xb, .present = 1 };
	st->ldt = (struct seg){ .type = 0x2, .unusable = 1 };
	st->gdt_base = GDT_GPA;
	st->gdt_limit = 5 * 8 - 1;
	st->cr0 = 0x80050033;	/* PG, AM, WP, NE, ET, MP, PE */
	st->cr4 = 0x20;		/* PAE */
	st->efer = 0x500;	/* LMA, LME */
	st->rflags = 0x2;
}
