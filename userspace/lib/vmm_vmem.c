// SPDX-License-Identifier: LGPL-2.1
/*
 * vmm_vmem.c - the /dev/vmem backend of libvmem's VM layer.
 *
 * Guest RAM is a memory slot; the VMM maps it with mmap() of the VM fd at
 * offset = guest-physical address, so VMM and guest share the module's
 * pages (allocated on first touch by either side).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libvmem.h"
#include "vmm_impl.h"

static struct vmem_run *run_of(struct vmm_vcpu *vcpu)
{
	return vcpu->run;
}

static int vmem_vm_create(struct vmm_vm *vm, unsigned int flags)
{
	int ret;

	vm->sys_fd = vmem_open();
	if (vm->sys_fd < 0)
		return vm->sys_fd;
	ret = vmem_api_version(vm->sys_fd);
	if (ret < 0)
		return ret;
	if (ret != VMEM_API_VERSION)
		return -EPROTO;
	vm->vm_fd = vmm_ioctl(vm->sys_fd, VMEM_CREATE_VM, flags);
	return vm->vm_fd < 0 ? vm->vm_fd : 0;
}

static int vmem_add_ram(struct vmm_vm *vm, unsigned int slot, uint64_t gpa,
			uint64_t size, void **hva)
{
	struct vmem_memslot ms = { .slot = slot, .gpa = gpa, .size = size };
	void *p;
	int ret;

	ret = vmm_ioctl(vm->vm_fd, VMEM_SET_MEMSLOT, (unsigned long)&ms);
	if (ret < 0)
		return ret;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vm_fd,
		 (off_t)gpa);
	if (p == MAP_FAILED) {
		ret = -errno;
		ms.size = 0;
		vmm_ioctl(vm->vm_fd, VMEM_SET_MEMSLOT, (unsigned long)&ms);
		return ret;
	}
	*hva = p;
	return 0;
}

static void vmem_unmap_ram(struct vmm_vm *vm, struct vmm_ram *ram)
{
	(void)vm;
	munmap(ram->hva, ram->size);
}

static int vmem_supported_cpuid(struct vmm_vm *vm,
				struct vmem_cpuid_entry *ents, unsigned int max)
{
	struct vmem_cpuid *c;
	unsigned int n = 256;
	int ret;

	c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = n;
	ret = vmm_ioctl(vm->sys_fd, VMEM_GET_SUPPORTED_CPUID, (unsigned long)c);
	if (ret >= 0) {
		n = c->nent < max ? c->nent : max;
		memcpy(ents, c->entries, n * sizeof(ents[0]));
		ret = n;
	}
	free(c);
	return ret;
}

static int vmem_stats(struct vmm_vm *vm, struct vmm_vm_stats *st)
{
	struct vmem_vm_stats s;
	int ret;

	memset(&s, 0, sizeof(s));
	ret = vmm_ioctl(vm->vm_fd, VMEM_GET_VM_STATS, (unsigned long)&s);
	if (ret < 0)
		return ret;
	st->granted = s.granted;
	st->consumed = s.consumed;
	st->shared = s.shared;
	st->zero = s.zero;
	st->swapped = s.swapped;
	st->overhead = s.overhead;
	st->configured = s.configured;
	return 0;
}

static int vmem_vcpu_create(struct vmm_vcpu *vcpu)
{
	struct vmm_vm *vm = vcpu->vm;
	int size;

	size = vmem_check_extension(vm->sys_fd, VMEM_CAP_RUN_SIZE);
	if (size < 0)
		return size;
	if ((size_t)size < sizeof(struct vmem_run))
		size = sizeof(struct vmem_run);
	vcpu->fd = vmm_ioctl(vm->vm_fd, VMEM_CREATE_VCPU, vcpu->id);
	if (vcpu->fd < 0)
		return vcpu->fd;
	vcpu->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vcpu->run = NULL;
		return -errno;
	}
	vcpu->run_size = size;
	return 0;
}

static int vmem_get_regs(struct vmm_vcpu *vcpu, struct vmem_regs *regs)
{
	return vmm_ioctl(vcpu->fd, VMEM_GET_REGS, (unsigned long)regs);
}

static int vmem_set_regs(struct vmm_vcpu *vcpu, const struct vmem_regs *regs)
{
	return vmm_ioctl(vcpu->fd, VMEM_SET_REGS, (unsigned long)regs);
}

static int vmem_get_sregs(struct vmm_vcpu *vcpu, struct vmem_sregs *sregs)
{
	return vmm_ioctl(vcpu->fd, VMEM_GET_SREGS, (unsigned long)sregs);
}

static int vmem_set_sregs(struct vmm_vcpu *vcpu,
			  const struct vmem_sregs *sregs)
{
	return vmm_ioctl(vcpu->fd, VMEM_SET_SREGS, (unsigned long)sregs);
}

static int vmem_set_cpuid(struct vmm_vcpu *vcpu,
			  const struct vmem_cpuid_entry *ents, unsigned int n)
{
	struct vmem_cpuid *c;
	int ret;

	c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = n;
	memcpy(c->entries, ents, n * sizeof(ents[0]));
	ret = vmm_ioctl(vcpu->fd, VMEM_SET_CPUID, (unsigned long)c);
	free(c);
	return ret;
}

static void vmem_decode_exit(struct vmm_vcpu *vcpu, struct vmm_exit *exit)
{
	struct vmem_run *run = run_of(vcpu);

	exit->raw_reason = run->exit_reason;
	switch (run->exit_reason) {
	case VMEM_EXIT_IO:
		exit->reason = VMM_EXIT_IO;
		exit->io.port = run->io.port;
		exit->io.size = run->io.size;
		exit->io.out = run->io.direction == VMEM_IO_OUT;
		exit->io.count = run->io.count;
		exit->io.data = (uint8_t *)run + run->io.data_offset;
		break;
	case VMEM_EXIT_MMIO:
		exit->reason = VMM_EXIT_MMIO;
		exit->mmio.gpa = run->mmio.gpa;
		exit->mmio.data = run->mmio.data;
		exit->mmio.len = run->mmio.len;
		exit->mmio.write = run->mmio.is_write;
		break;
	case VMEM_EXIT_HLT:
		exit->reason = VMM_EXIT_HLT;
		break;
	case VMEM_EXIT_SHUTDOWN:
		exit->reason = VMM_EXIT_SHUTDOWN;
		break;
	case VMEM_EXIT_IRQ_WINDOW:
		exit->reason = VMM_EXIT_IRQ_WINDOW;
		break;
	case VMEM_EXIT_STOPPED:
		/* Consume the kick; one that lands after this line makes the
		 * next RUN return at once, which is what we want. */
		__atomic_store_n(&run->stop, 0, __ATOMIC_SEQ_CST);
		exit->reason = VMM_EXIT_KICKED;
		break;
	case VMEM_EXIT_MSR:
		exit->reason = VMM_EXIT_MSR;
		exit->msr.index = run->msr.index;
		exit->msr.write = run->msr.is_write;
		exit->msr.data = (uint64_t *)&run->msr.data;
		exit->msr.error = &run->msr.error;
		run->msr.error = 0;
		break;
	case VMEM_EXIT_HYPERCALL:
		exit->reason = VMM_EXIT_HYPERCALL;
		exit->hypercall.nr = run->hypercall.nr;
		memcpy(exit->hypercall.args, run->hypercall.args,
		       sizeof(exit->hypercall.args));
		exit->hypercall.ret = (uint64_t *)&run->hypercall.ret;
		break;
	case VMEM_EXIT_FAIL_ENTRY:
		exit->reason = VMM_EXIT_FAIL_ENTRY;
		exit->fail_entry.hardware_reason =
			run->fail_entry.hardware_reason;
		exit->fail_entry.qualification = run->fail_entry.qualification;
		break;
	case VMEM_EXIT_INTERNAL:
		exit->reason = VMM_EXIT_INTERNAL;
		exit->internal.suberror = run->internal.suberror;
		exit->internal.hardware_exit = run->internal.hardware_exit;
		break;
	default:
		exit->reason = VMM_EXIT_OTHER;
		break;
	}
}

static int vmem_run(struct vmm_vcpu *vcpu, struct vmm_exit *exit)
{
	int ret = vmm_ioctl(vcpu->fd, VMEM_RUN, 0);

	if (ret == -EINTR) {
		/* A signal: report it like a kick. */
		exit->reason = VMM_EXIT_KICKED;
		return 0;
	}
	if (ret < 0)
		return ret;
	vmem_decode_exit(vcpu, exit);
	return 0;
}

static bool vmem_ready_for_interrupt(struct vmm_vcpu *vcpu)
{
	return run_of(vcpu)->ready_for_interrupt;
}

static bool vmem_if_flag(struct vmm_vcpu *vcpu)
{
	return run_of(vcpu)->if_flag;
}

static void vmem_request_irq_window(struct vmm_vcpu *vcpu, bool on)
{
	run_of(vcpu)->request_interrupt_window = on;
}

static int vmem_inject_extint(struct vmm_vcpu *vcpu, uint8_t vector)
{
	struct vmem_event ev = { .type = VMEM_EVENT_EXTINT, .vector = vector };

	return vmm_ioctl(vcpu->fd, VMEM_INJECT, (unsigned long)&ev);
}

static int vmem_kick(struct vmm_vcpu *vcpu)
{
	return vmm_ioctl(vcpu->fd, VMEM_KICK, 0);
}

const struct vmm_ops vmm_vmem_ops = {
	.name = "vmem",
	.vm_create = vmem_vm_create,
	.add_ram = vmem_add_ram,
	.unmap_ram = vmem_unmap_ram,
	.supported_cpuid = vmem_supported_cpuid,
	.stats = vmem_stats,
	.vcpu_create = vmem_vcpu_create,
	.get_regs = vmem_get_regs,
	.set_regs = vmem_set_regs,
	.get_sregs = vmem_get_sregs,
	.set_sregs = vmem_set_sregs,
	.set_cpuid = vmem_set_cpuid,
	.run = vmem_run,
	.ready_for_interrupt = vmem_ready_for_interrupt,
	.if_flag = vmem_if_flag,
	.request_irq_window = vmem_request_irq_window,
	.inject_extint = vmem_inject_extint,
	.kick = vmem_kick,
};
