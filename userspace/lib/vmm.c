// SPDX-License-Identifier: LGPL-2.1
/*
 * vmm.c - libvmem's VM layer: objects, RAM ranges, dispatch to the
 * backend; see vmm.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm_impl.h"

int vmm_ioctl(int fd, unsigned long req, unsigned long arg)
{
	int ret = ioctl(fd, req, arg);

	return ret < 0 ? -errno : ret;
}

const char *vmm_backend_name(enum vmm_backend backend)
{
	switch (backend) {
	case VMM_BACKEND_VMEM:	return "vmem";
	case VMM_BACKEND_KVM:	return "kvm";
	}
	return NULL;
}

int vmm_backend_parse(const char *name, enum vmm_backend *out)
{
	if (!strcmp(name, "vmem"))
		*out = VMM_BACKEND_VMEM;
	else if (!strcmp(name, "kvm"))
		*out = VMM_BACKEND_KVM;
	else
		return -EINVAL;
	return 0;
}

static const struct vmm_ops *ops_of(enum vmm_backend backend)
{
	switch (backend) {
	case VMM_BACKEND_VMEM:	return &vmm_vmem_ops;
	case VMM_BACKEND_KVM:	return &vmm_kvm_ops;
	}
	return NULL;
}

int vmm_vm_create(enum vmm_backend backend, unsigned int flags,
		  struct vmm_vm **vmp)
{
	const struct vmm_ops *ops = ops_of(backend);
	struct vmm_vm *vm;
	int ret;

	if (!ops)
		return -EINVAL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->ops = ops;
	vm->sys_fd = -1;
	vm->vm_fd = -1;
	ret = ops->vm_create(vm, flags);
	if (ret < 0) {
		vmm_vm_destroy(vm);
		return ret;
	}
	*vmp = vm;
	return 0;
}

void vmm_vm_destroy(struct vmm_vm *vm)
{
	unsigned int i;

	if (!vm)
		return;
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vmm_vcpu *vcpu = vm->vcpus[i];

		if (vcpu->run)
			munmap(vcpu->run, vcpu->run_size);
		if (vcpu->fd >= 0)
			close(vcpu->fd);
		free(vcpu);
	}
	for (i = 0; i < vm->nr_ram; i++)
		vm->ops->unmap_ram(vm, &vm->ram[i]);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	free(vm);
}

enum vmm_backend vmm_vm_backend(const struct vmm_vm *vm)
{
	return vm->ops == &vmm_kvm_ops ? VMM_BACKEND_KVM : VMM_BACKEND_VMEM;
}

int vmm_vm_add_ram(struct vmm_vm *vm, uint64_t gpa, uint64_t size, void **hva)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned int i;
	int ret;

	if (!size || (gpa | size) & (page - 1) || gpa + size < gpa)
		return -EINVAL;
	if (vm->nr_ram == VMM_MAX_RAM)
		return -ENOSPC;
	for (i = 0; i < vm->nr_ram; i++)
		if (gpa < vm->ram[i].gpa + vm->ram[i].size &&
		    vm->ram[i].gpa < gpa + size)
			return -EEXIST;
	ret = vm->ops->add_ram(vm, vm->nr_ram, gpa, size, hva);
	if (ret < 0)
		return ret;
	vm->ram[vm->nr_ram++] = (struct vmm_ram){ gpa, size, *hva };
	return 0;
}

void *vmm_vm_gpa_to_hva(struct vmm_vm *vm, uint64_t gpa, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < vm->nr_ram; i++) {
		struct vmm_ram *r = &vm->ram[i];

		if (gpa >= r->gpa && len <= r->size &&
		    gpa - r->gpa <= r->size - len)
			return (char *)r->hva + (gpa - r->gpa);
	}
	return NULL;
}

int vmm_vm_supported_cpuid(struct vmm_vm *vm, struct vmem_cpuid_entry *ents,
			   unsigned int max)
{
	return vm->ops->supported_cpuid(vm, ents, max);
}

int vmm_vm_stats(struct vmm_vm *vm, struct vmm_vm_stats *st)
{
	memset(st, 0, sizeof(*st));
	return vm->ops->stats(vm, st);
}

int vmm_vm_fd(const struct vmm_vm *vm)
{
	return vm->vm_fd;
}

int vmm_vcpu_create(struct vmm_vm *vm, unsigned int id,
		    struct vmm_vcpu **vcpup)
{
	struct vmm_vcpu *vcpu;
	int ret;

	if (vm->nr_vcpus == VMM_MAX_VCPUS)
		return -ENOSPC;
	vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu)
		return -ENOMEM;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = -1;
	ret = vm->ops->vcpu_create(vcpu);
	if (ret < 0) {
		if (vcpu->fd >= 0)
			close(vcpu->fd);
		free(vcpu);
		return ret;
	}
	vm->vcpus[vm->nr_vcpus++] = vcpu;
	*vcpup = vcpu;
	return 0;
}

int vmm_vcpu_get_regs(struct vmm_vcpu *vcpu, struct vmem_regs *regs)
{
	return vcpu->vm->ops->get_regs(vcpu, regs);
}

int vmm_vcpu_set_regs(struct vmm_vcpu *vcpu, const struct vmem_regs *regs)
{
	return vcpu->vm->ops->set_regs(vcpu, regs);
}

int vmm_vcpu_get_sregs(struct vmm_vcpu *vcpu, struct vmem_sregs *sregs)
{
	return vcpu->vm->ops->get_sregs(vcpu, sregs);
}

int vmm_vcpu_set_sregs(struct vmm_vcpu *vcpu, const struct vmem_sregs *sregs)
{
	return vcpu->vm->ops->set_sregs(vcpu, sregs);
}

int vmm_vcpu_set_cpuid(struct vmm_vcpu *vcpu,
		       const struct vmem_cpuid_entry *ents, unsigned int n)
{
	return vcpu->vm->ops->set_cpuid(vcpu, ents, n);
}

int vmm_vcpu_run(struct vmm_vcpu *vcpu, struct vmm_exit *exit)
{
	memset(exit, 0, sizeof(*exit));
	return vcpu->vm->ops->run(vcpu, exit);
}

bool vmm_vcpu_ready_for_interrupt(struct vmm_vcpu *vcpu)
{
	return vcpu->vm->ops->ready_for_interrupt(vcpu);
}

bool vmm_vcpu_if_flag(struct vmm_vcpu *vcpu)
{
	return vcpu->vm->ops->if_flag(vcpu);
}

void vmm_vcpu_request_irq_window(struct vmm_vcpu *vcpu, bool on)
{
	vcpu->vm->ops->request_irq_window(vcpu, on);
}

int vmm_vcpu_inject_extint(struct vmm_vcpu *vcpu, uint8_t vector)
{
	return vcpu->vm->ops->inject_extint(vcpu, vector);
}

int vmm_vcpu_kick(struct vmm_vcpu *vcpu)
{
	return vcpu->vm->ops->kick(vcpu);
}
