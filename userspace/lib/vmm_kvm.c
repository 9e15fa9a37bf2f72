// SPDX-License-Identifier: LGPL-2.1
/*
 * vmm_kvm.c - the /dev/kvm backend of libvmem's VM layer, for comparing
 * vmem with the distribution's KVM on the same guest and the same VMM.
 *
 * No in-kernel irqchip: HLT, port I/O and interrupt windows all exit to
 * the VMM, which injects with KVM_INTERRUPT, as it does with VMEM_INJECT.
 * KVM handles MSRs itself, so this backend never reports VMM_EXIT_MSR.
 * Kicks use the classic immediate_exit + signal pair.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "vmm_impl.h"

#define KVM_DEVICE	"/dev/kvm"
#define KVM_KICK_SIGNAL	SIGUSR1
/* The uapi header spells it this way. */
#ifndef KVM_CPUID_FLAG_SIGNIFCANT_INDEX
#define KVM_CPUID_FLAG_SIGNIFCANT_INDEX KVM_CPUID_FLAG_SIGNIFICANT_INDEX
#endif

static struct kvm_run *run_of(struct vmm_vcpu *vcpu)
{
	return vcpu->run;
}

int vmm_kvm_kick_signal(void)
{
	return KVM_KICK_SIGNAL;
}

static void kick_handler(int sig)
{
	(void)sig;
}

static int kvm_vm_create(struct vmm_vm *vm, unsigned int flags)
{
	int ret;

	if (flags)
		return -EINVAL;
	vm->sys_fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);
	if (vm->sys_fd < 0)
		return -errno;
	ret = vmm_ioctl(vm->sys_fd, KVM_GET_API_VERSION, 0);
	if (ret < 0)
		return ret;
	if (ret != KVM_API_VERSION)
		return -EPROTO;
	if (vmm_ioctl(vm->sys_fd, KVM_CHECK_EXTENSION,
		      KVM_CAP_IMMEDIATE_EXIT) <= 0)
		return -EOPNOTSUPP;
	vm->vm_fd = vmm_ioctl(vm->sys_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return vm->vm_fd;
	/* VMX needs a TSS for real mode; harmless elsewhere. */
	vmm_ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000);
	return 0;
}

static int kvm_add_ram(struct vmm_vm *vm, unsigned int slot, uint64_t gpa,
		       uint64_t size, void **hva)
{
	struct kvm_userspace_memory_region r;
	void *p;
	int ret;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	memset(&r, 0, sizeof(r));
	r.slot = slot;
	r.guest_phys_addr = gpa;
	r.memory_size = size;
	r.userspace_addr = (uintptr_t)p;
	ret = vmm_ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION,
			(unsigned long)&r);
	if (ret < 0) {
		munmap(p, size);
		return ret;
	}
	*hva = p;
	return 0;
}

static void kvm_unmap_ram(struct vmm_vm *vm, struct vmm_ram *ram)
{
	(void)vm;
	munmap(ram->hva, ram->size);
}

static int kvm_supported_cpuid(struct vmm_vm *vm,
			       struct vmem_cpuid_entry *ents, unsigned int max)
{
	struct kvm_cpuid2 *c;
	unsigned int i, n = 256;
	int ret;

	c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = n;
	ret = vmm_ioctl(vm->sys_fd, KVM_GET_SUPPORTED_CPUID, (unsigned long)c);
	if (ret >= 0) {
		n = c->nent < max ? c->nent : max;
		for (i = 0; i < n; i++) {
			struct kvm_cpuid_entry2 *k = &c->entries[i];

			ents[i] = (struct vmem_cpuid_entry){
				.function = k->function, .index = k->index,
				.flags = k->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX ?
					 VMEM_CPUID_SIGNIFICANT_INDEX : 0,
				.eax = k->eax, .ebx = k->ebx,
				.ecx = k->ecx, .edx = k->edx,
			};
		}
		ret = n;
	}
	free(c);
	return ret;
}

static int kvm_stats(struct vmm_vm *vm, struct vmm_vm_stats *st)
{
	(void)vm;
	(void)st;
	return -EOPNOTSUPP;
}

static int kvm_vcpu_create(struct vmm_vcpu *vcpu)
{
	static bool handler_installed;
	struct vmm_vm *vm = vcpu->vm;
	int size;

	if (!handler_installed) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = kick_handler;	/* no SA_RESTART: EINTR */
		sigemptyset(&sa.sa_mask);
		if (sigaction(KVM_KICK_SIGNAL, &sa, NULL) < 0)
			return -errno;
		handler_installed = true;
	}
	size = vmm_ioctl(vm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < 0)
		return size;
	vcpu->fd = vmm_ioctl(vm->vm_fd, KVM_CREATE_VCPU, vcpu->id);
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

/*
 * struct kvm_regs holds the registers of struct vmem_regs in the same
 * order, without vmem's flags, pad and reserved words.
 */
#define VMM_KVM_REGS(X) \
	X(rax) X(rbx) X(rcx) X(rdx) X(rsi) X(rdi) X(rsp) X(rbp) \
	X(r8) X(r9) X(r10) X(r11) X(r12) X(r13) X(r14) X(r15) \
	X(rip) X(rflags)

static int kvm_get_regs(struct vmm_vcpu *vcpu, struct vmem_regs *regs)
{
	struct kvm_regs k;
	int r;

	r = vmm_ioctl(vcpu->fd, KVM_GET_REGS, (unsigned long)&k);
	if (r)
		return r;
	memset(regs, 0, sizeof(*regs));
#define X(f) regs->f = k.f;
	VMM_KVM_REGS(X)
#undef X
	return 0;
}

static int kvm_set_regs(struct vmm_vcpu *vcpu, const struct vmem_regs *regs)
{
	struct kvm_regs k;
	unsigned int i;

	/* The rule vmem applies: a flag or reserved word KVM lacks is refused. */
	if (regs->flags || regs->pad)
		return -EINVAL;
	for (i = 0; i < sizeof(regs->reserved) / sizeof(regs->reserved[0]); i++)
		if (regs->reserved[i])
			return -EINVAL;
#define X(f) k.f = regs->f;
	VMM_KVM_REGS(X)
#undef X
	return vmm_ioctl(vcpu->fd, KVM_SET_REGS, (unsigned long)&k);
}

static void seg_from_kvm(struct vmem_segment *v, const struct kvm_segment *k)
{
	*v = (struct vmem_segment){
		.base = k->base, .limit = k->limit, .selector = k->selector,
		.type = k->type, .s = k->s, .dpl = k->dpl,
		.present = k->present, .avl = k->avl, .l = k->l, .db = k->db,
		.g = k->g, .unusable = k->unusable,
	};
}

static void seg_to_kvm(struct kvm_segment *k, const struct vmem_segment *v)
{
	*k = (struct kvm_segment){
		.base = v->base, .limit = v->limit, .selector = v->selector,
		.type = v->type, .s = v->s, .dpl = v->dpl,
		.present = v->present, .avl = v->avl, .l = v->l, .db = v->db,
		.g = v->g, .unusable = v->unusable,
	};
}

static int kvm_get_sregs(struct vmm_vcpu *vcpu, struct vmem_sregs *s)
{
	struct kvm_sregs k;
	int ret;

	ret = vmm_ioctl(vcpu->fd, KVM_GET_SREGS, (unsigned long)&k);
	if (ret < 0)
		return ret;
	memset(s, 0, sizeof(*s));
	seg_from_kvm(&s->cs, &k.cs);
	seg_from_kvm(&s->ds, &k.ds);
	seg_from_kvm(&s->es, &k.es);
	seg_from_kvm(&s->fs, &k.fs);
	seg_from_kvm(&s->gs, &k.gs);
	seg_from_kvm(&s->ss, &k.ss);
	seg_from_kvm(&s->tr, &k.tr);
	seg_from_kvm(&s->ldt, &k.ldt);
	s->gdt.base = k.gdt.base;
	s->gdt.limit = k.gdt.limit;
	s->idt.base = k.idt.base;
	s->idt.limit = k.idt.limit;
	s->cr0 = k.cr0;
	s->cr2 = k.cr2;
	s->cr3 = k.cr3;
	s->cr4 = k.cr4;
	s->cr8 = k.cr8;
	s->efer = k.efer;
	s->apic_base = k.apic_base;
	return 0;
}

static int kvm_set_sregs(struct vmm_vcpu *vcpu, const struct vmem_sregs *s)
{
	struct kvm_sregs k;
	int ret;

	/* Start from KVM's view: keeps fields vmem has no notion of. */
	ret = vmm_ioctl(vcpu->fd, KVM_GET_SREGS, (unsigned long)&k);
	if (ret < 0)
		return ret;
	seg_to_kvm(&k.cs, &s->cs);
	seg_to_kvm(&k.ds, &s->ds);
	seg_to_kvm(&k.es, &s->es);
	seg_to_kvm(&k.fs, &s->fs);
	seg_to_kvm(&k.gs, &s->gs);
	seg_to_kvm(&k.ss, &s->ss);
	seg_to_kvm(&k.tr, &s->tr);
	seg_to_kvm(&k.ldt, &s->ldt);
	k.gdt.base = s->gdt.base;
	k.gdt.limit = s->gdt.limit;
	k.idt.base = s->idt.base;
	k.idt.limit = s->idt.limit;
	k.cr0 = s->cr0;
	k.cr2 = s->cr2;
	k.cr3 = s->cr3;
	k.cr4 = s->cr4;
	k.cr8 = s->cr8;
	k.efer = s->efer;
	if (s->apic_base)
		k.apic_base = s->apic_base;
	memset(k.interrupt_bitmap, 0, sizeof(k.interrupt_bitmap));
	return vmm_ioctl(vcpu->fd, KVM_SET_SREGS, (unsigned long)&k);
}

static int kvm_set_cpuid(struct vmm_vcpu *vcpu,
			 const struct vmem_cpuid_entry *ents, unsigned int n)
{
	struct kvm_cpuid2 *c;
	unsigned int i;
	int ret;

	c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = n;
	for (i = 0; i < n; i++) {
		c->entries[i] = (struct kvm_cpuid_entry2){
			.function = ents[i].function, .index = ents[i].index,
			.flags = ents[i].flags & VMEM_CPUID_SIGNIFICANT_INDEX ?
				 KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
			.eax = ents[i].eax, .ebx = ents[i].ebx,
			.ecx = ents[i].ecx, .edx = ents[i].edx,
		};
	}
	ret = vmm_ioctl(vcpu->fd, KVM_SET_CPUID2, (unsigned long)c);
	free(c);
	return ret;
}

static void kvm_decode_exit(struct vmm_vcpu *vcpu, struct vmm_exit *exit)
{
	struct kvm_run *run = run_of(vcpu);

	exit->raw_reason = run->exit_reason;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		exit->reason = VMM_EXIT_IO;
		exit->io.port = run->io.port;
		exit->io.size = run->io.size;
		exit->io.out = run->io.direction == KVM_EXIT_IO_OUT;
		exit->io.count = run->io.count;
		exit->io.data = (uint8_t *)run + run->io.data_offset;
		break;
	case KVM_EXIT_MMIO:
		exit->reason = VMM_EXIT_MMIO;
		exit->mmio.gpa = run->mmio.phys_addr;
		exit->mmio.data = run->mmio.data;
		exit->mmio.len = run->mmio.len;
		exit->mmio.write = run->mmio.is_write;
		break;
	case KVM_EXIT_HLT:
		exit->reason = VMM_EXIT_HLT;
		break;
	case KVM_EXIT_SHUTDOWN:
		exit->reason = VMM_EXIT_SHUTDOWN;
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		exit->reason = VMM_EXIT_IRQ_WINDOW;
		break;
	case KVM_EXIT_INTR:
		exit->reason = VMM_EXIT_KICKED;
		break;
	case KVM_EXIT_HYPERCALL:
		exit->reason = VMM_EXIT_HYPERCALL;
		exit->hypercall.nr = run->hypercall.nr;
		memcpy(exit->hypercall.args, run->hypercall.args,
		       sizeof(exit->hypercall.args));
		exit->hypercall.ret = (uint64_t *)&run->hypercall.ret;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		exit->reason = VMM_EXIT_FAIL_ENTRY;
		exit->fail_entry.hardware_reason =
			run->fail_entry.hardware_entry_failure_reason;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		exit->reason = VMM_EXIT_INTERNAL;
		exit->internal.suberror = run->internal.suberror;
		break;
	default:
		exit->reason = VMM_EXIT_OTHER;
		break;
	}
}

static int kvm_run(struct vmm_vcpu *vcpu, struct vmm_exit *exit)
{
	struct kvm_run *run = run_of(vcpu);
	int ret;

	if (!vcpu->thread_valid || !pthread_equal(vcpu->thread, pthread_self())) {
		vcpu->thread = pthread_self();
		__atomic_store_n(&vcpu->thread_valid, true, __ATOMIC_SEQ_CST);
	}
	ret = vmm_ioctl(vcpu->fd, KVM_RUN, 0);
	if (ret == -EINTR) {
		/* A kick (immediate_exit and/or the signal) or a signal. */
		__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);
		exit->reason = VMM_EXIT_KICKED;
		exit->raw_reason = KVM_EXIT_INTR;
		return 0;
	}
	if (ret < 0)
		return ret;
	kvm_decode_exit(vcpu, exit);
	return 0;
}

static bool kvm_ready_for_interrupt(struct vmm_vcpu *vcpu)
{
	return run_of(vcpu)->ready_for_interrupt_injection;
}

static bool kvm_if_flag(struct vmm_vcpu *vcpu)
{
	return run_of(vcpu)->if_flag;
}

static void kvm_request_irq_window(struct vmm_vcpu *vcpu, bool on)
{
	run_of(vcpu)->request_interrupt_window = on;
}

static int kvm_inject_extint(struct vmm_vcpu *vcpu, uint8_t vector)
{
	struct kvm_interrupt irq = { .irq = vector };
	int ret;

	ret = vmm_ioctl(vcpu->fd, KVM_INTERRUPT, (unsigned long)&irq);
	/* KVM refuses with -ENXIO while one is queued: same meaning. */
	return ret == -ENXIO ? -EBUSY : ret;
}

static int kvm_kick(struct vmm_vcpu *vcpu)
{
	__atomic_store_n(&run_of(vcpu)->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&vcpu->thread_valid, __ATOMIC_SEQ_CST)) {
		int err = pthread_kill(vcpu->thread, KVM_KICK_SIGNAL);

		if (err)
			return -err;
	}
	return 0;
}

const struct vmm_ops vmm_kvm_ops = {
	.name = "kvm",
	.vm_create = kvm_vm_create,
	.add_ram = kvm_add_ram,
	.unmap_ram = kvm_unmap_ram,
	.supported_cpuid = kvm_supported_cpuid,
	.stats = kvm_stats,
	.vcpu_create = kvm_vcpu_create,
	.get_regs = kvm_get_regs,
	.set_regs = kvm_set_regs,
	.get_sregs = kvm_get_sregs,
	.set_sregs = kvm_set_sregs,
	.set_cpuid = kvm_set_cpuid,
	.run = kvm_run,
	.ready_for_interrupt = kvm_ready_for_interrupt,
	.if_flag = kvm_if_flag,
	.request_irq_window = kvm_request_irq_window,
	.inject_extint = kvm_inject_extint,
	.kick = kvm_kick,
};
