// SPDX-License-Identifier: GPL-2.0
/*
 * machine.c - build one virtual PC and tear it down: the VM, its memory,
 * CPUID and vCPU, and the devices wired to the PIC, the console and the
 * machine's ending; see machine.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "libvmem.h"
#include "machine.h"

/* ---------------------------------------------------------------------- */
/* Wiring                                                                  */

static void machine_set_irq(void *opaque, int irq, int level)
{
	struct machine *m = opaque;

	pic_set_irq(&m->pic, irq, level);
	machine_irq_notify(m);
}

static void machine_event(void *opaque, enum guest_event ev, const char *how)
{
	struct machine *m = opaque;

	switch (ev) {
	case GUEST_POWEROFF:
		machine_end(m, END_POWEROFF, "the guest powered off (%s)", how);
		break;
	case GUEST_RESET:
		machine_end(m, END_RESET, "the guest asked for a reset (%s)",
			    how);
		break;
	case GUEST_PANIC:
		machine_end(m, END_PANIC, "the guest kernel panicked (%s)",
			    how);
		break;
	case GUEST_CRASH_LOADED:
		run_msg("the guest loaded its crash kernel (%s)", how);
		break;
	}
}

static void uart_tx(void *opaque, uint8_t byte)
{
	struct machine *m = opaque;

	console_tx(&m->con, byte);
}

static void uart_rx_space(void *opaque)
{
	struct machine *m = opaque;

	console_feed(&m->con, &m->uart);
	if (m->stdin_paused && console_want_input(&m->con)) {
		/* iothread.c re-arms stdin when it next wakes. */
		uint64_t one = 1;

		if (write(m->stop_fd, &one, sizeof(one)) < 0)
			(void)0;
	}
}

static void pit_timer_arm(void *opaque, uint64_t deadline, uint64_t period);

static void devices_init(struct machine *m)
{
	const struct run_config *cfg = m->cfg;
	struct guest_events ev = { machine_event, m };
	struct irq_line irq0 = { machine_set_irq, m, 0 };
	struct irq_line irq4 = { machine_set_irq, m, 4 };
	struct pit_timer_ops timer = { pit_timer_arm, m };
	struct uart_host_ops host = { uart_tx, uart_rx_space, m };

	bus_init(&m->bus, cfg->verbose);
	pic_init(&m->pic);
	pit_init(&m->pit, &irq0, &timer, NULL);
	uart_init(&m->uart, &irq4, &host);
	rtc_init(&m->rtc, NULL);
	i8042_init(&m->kbd, &ev);
	sysports_init(&m->sys, &ev);
	msr_init(&m->msr, cfg->verbose);
	if (pic_register(&m->pic, &m->bus) ||
	    pit_register(&m->pit, &m->bus) ||
	    uart_register(&m->uart, &m->bus, 0x3f8) ||
	    rtc_register(&m->rtc, &m->bus) ||
	    i8042_register(&m->kbd, &m->bus) ||
	    sysports_register(&m->sys, &m->bus)) {
		run_msg("internal error: overlapping port ranges");
		abort();
	}
}

static void pit_timer_arm(void *opaque, uint64_t deadline, uint64_t period)
{
	struct machine *m = opaque;
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = deadline / 1000000000ull;
	its.it_value.tv_nsec = deadline % 1000000000ull;
	its.it_interval.tv_sec = period / 1000000000ull;
	its.it_interval.tv_nsec = period % 1000000000ull;
	if (timerfd_settime(m->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		run_msg("timerfd_settime: %s", strerror(errno));
}

/* ---------------------------------------------------------------------- */
/* Creation                                                                */

static int setup_cpuid(struct machine *m)
{
	static struct vmem_cpuid_entry sup[CPUID_MAX_ENTRIES];
	static struct vmem_cpuid_entry tab[CPUID_MAX_ENTRIES];
	unsigned int n;
	int ret;

	ret = vmm_vm_supported_cpuid(m->vm, sup, CPUID_MAX_ENTRIES);
	if (ret < 0) {
		run_msg("GET_SUPPORTED_CPUID: %s", strerror(-ret));
		return -1;
	}
	n = cpuid_build(sup, ret, tab, CPUID_MAX_ENTRIES);
	ret = vmm_vcpu_set_cpuid(m->vcpu, tab, n);
	if (ret < 0) {
		run_msg("SET_CPUID (%u entries): %s", n, strerror(-ret));
		return -1;
	}
	return 0;
}

/*
 * vmem's per-VM maximum (VMEM_CAP_MAX_MEM_MB), to name it when --memory
 * is above it; 0 when unknown (KVM, or an old module).
 */
static uint64_t vmem_max_mem_mb(enum vmm_backend b)
{
	int fd, mb;

	if (b != VMM_BACKEND_VMEM)
		return 0;
	fd = vmem_open();
	if (fd < 0)
		return 0;
	mb = vmem_check_extension(fd, VMEM_CAP_MAX_MEM_MB);
	vmem_close(fd);
	return mb > 0 ? (uint64_t)mb : 0;
}

static int add_ram(struct machine *m)
{
	struct guest_layout *l = &m->layout;
	uint64_t max_mb = vmem_max_mem_mb(m->cfg->backend);
	void *hva;
	int ret;

	if (max_mb && m->cfg->memory > max_mb << 20) {
		run_msg("--memory %.1f GiB is more than vmem's per-VM maximum "
			"of %llu MiB (VMEM_CAP_MAX_MEM_MB, module parameter "
			"max_mem_mb)", m->cfg->memory / 1073741824.0,
			(unsigned long long)max_mb);
		return -1;
	}

	ret = vmm_vm_add_ram(m->vm, 0, l->low_end, &hva);
	if (!ret && l->high_size)
		ret = vmm_vm_add_ram(m->vm, BOOT_HIGH_MEM_ADDR, l->high_size,
				     &hva);
	if (ret < 0) {
		run_msg("cannot give the VM %llu MiB of memory: %s",
			(unsigned long long)(m->cfg->memory >> 20),
			strerror(-ret));
		return -1;
	}
	return 0;
}

static const char *device_hint(enum vmm_backend b, int err)
{
	if (err == -ENOENT)
		return b == VMM_BACKEND_KVM ? " (is kvm loaded?)" :
					      " (is the vmem module loaded?)";
	if (err == -EACCES)
		return " (permission denied: are you in the right group?)";
	if (err == -EBUSY)
		return " (the other hypervisor owns the CPU's virtualization?)";
	return "";
}

int machine_create(struct machine *m, const struct run_config *cfg)
{
	struct vmem_regs regs;
	struct vmem_sregs sregs;
	int ret;

	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	m->held_vector = -1;
	m->epoll_fd = m->timer_fd = m->signal_fd = m->stop_fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->wake, NULL);

	/* Check the input before touching the hypervisor. */
	ret = machine_load_guest(m, cfg, &regs, &sregs);
	if (ret)
		return ret;

	ret = vmm_vm_create(cfg->backend, cfg->vm_flags, &m->vm);
	if (ret < 0) {
		run_msg("cannot create a VM on %s: %s%s",
			cfg->backend == VMM_BACKEND_KVM ? "/dev/kvm" : "/dev/vmem",
			strerror(-ret), device_hint(cfg->backend, ret));
		return RUN_EXIT_ERROR;
	}
	if (add_ram(m))
		return RUN_EXIT_ERROR;
	ret = vmm_vcpu_create(m->vm, 0, &m->vcpu);
	if (ret < 0) {
		run_msg("cannot create a vCPU: %s", strerror(-ret));
		return RUN_EXIT_ERROR;
	}
	if (setup_cpuid(m))
		return RUN_EXIT_ERROR;
	/*
	 * Before the loader touches guest memory: pages are charged and
	 * scanned for sharing under the settings the VM has then, and an
	 * admission refusal costs no copying.
	 */
	if (cfg->vm_setup) {
		ret = cfg->vm_setup(m->vm, cfg->vm_setup_arg);
		if (ret)
			return ret;
	}
	if (machine_load_guest(m, cfg, &regs, &sregs))
		return RUN_EXIT_ERROR;
	ret = vmm_vcpu_set_sregs(m->vcpu, &sregs);
	if (!ret)
		ret = vmm_vcpu_set_regs(m->vcpu, &regs);
	if (ret < 0) {
		run_msg("cannot set the vCPU's boot state: %s", strerror(-ret));
		return RUN_EXIT_ERROR;
	}
	devices_init(m);
	return 0;
}

void machine_destroy(struct machine *m)
{
	vmm_vm_destroy(m->vm);
	m->vm = NULL;
	pthread_cond_destroy(&m->wake);
	pthread_mutex_destroy(&m->lock);
}

