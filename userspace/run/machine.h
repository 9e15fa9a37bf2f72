/* SPDX-License-Identifier: GPL-2.0 */
/*
 * machine.h - one virtual PC run by `vmem run`: the VM and its vCPU, the
 * devices on the port bus, and two threads:
 *
 *   the vCPU thread (main): enters the guest, handles its exits, injects
 *     interrupts, sleeps on @wake while the guest halts;
 *   the I/O thread: epoll on stdin, the PIT's timerfd, a signalfd
 *     (SIGINT, SIGTERM, SIGHUP) and an eventfd (stop); it raises IRQ
 *     lines and kicks the vCPU (VMM kick) or wakes it.
 *
 * Every device is touched only under @lock, by either thread.  Fields are
 * annotated: [I] set before the threads start, [l] under @lock.
 */
#ifndef VMEM_RUN_MACHINE_H
#define VMEM_RUN_MACHINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm.h"

#include "boot.h"
#include "bus.h"
#include "console.h"
#include "cpuid.h"
#include "i8042.h"
#include "msr.h"
#include "pic.h"
#include "pit.h"
#include "rtc.h"
#include "sysports.h"
#include "uart.h"

/* Exit statuses of `vmem run` (also in Documentation/launcher.rst). */
#define RUN_EXIT_OK		0	/* powered off */
#define RUN_EXIT_ERROR		1	/* bad input, hypervisor error */
#define RUN_EXIT_USAGE		2
#define RUN_EXIT_PANIC		3	/* the guest kernel panicked */
#define RUN_EXIT_TRIPLE_FAULT	4	/* shutdown without a reset request */
#define RUN_EXIT_HALTED		5	/* HLT with interrupts off: for good */
#define RUN_EXIT_SIGNAL_BASE	128	/* + the signal that ended it */

struct run_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	const char *flat;
	const char *name;
	uint64_t memory;
	uint64_t load_addr;
	uint64_t entry;
	bool have_load_addr, have_entry;
	enum boot_mode mode;
	enum vmm_backend backend;
	unsigned int vm_flags;		/* VMEM_VM_MMU_* */
	int reboot_status;
	long long tsc_khz;		/* -1 measure, 0 don't tell, N kHz */
	const char *time_line;
	bool stats;
	bool verbose;
	uint64_t t0_ns;			/* launch, CLOCK_MONOTONIC */
	/*
	 * Called once the VM has its memory slots and vCPU, before the
	 * guest is loaded into memory or runs: the command line's resource
	 * settings (pool, reservation, page sharing...), which need the
	 * control plane this directory does not link.  0, or RUN_EXIT_*
	 * with a message printed.  May be NULL.
	 */
	int (*vm_setup)(struct vmm_vm *vm, void *arg);
	void *vm_setup_arg;
};

enum machine_end {
	END_NONE = 0,
	END_POWEROFF,
	END_HALT,
	END_RESET,
	END_PANIC,
	END_TRIPLE_FAULT,
	END_SIGNAL,
	END_ERROR,
};

enum vcpu_state {
	VCPU_OUTSIDE = 0,	/* in the launcher, handling an exit */
	VCPU_RUNNING,		/* in VMM run (or about to be) */
	VCPU_HALTED,		/* waiting on @wake */
};

struct machine_counters {
	uint64_t exits, io, mmio, hlt, irq_window, kicked, msr, other;
	uint64_t injected, kicks;
};

struct machine {
	const struct run_config *cfg;			/* [I] */
	struct vmm_vm *vm;				/* [I] */
	struct vmm_vcpu *vcpu;				/* [I] */
	struct guest_layout layout;			/* [I] */

	pthread_mutex_t lock;
	pthread_cond_t wake;		/* a halted vCPU waits here */

	struct bus bus;					/* [l] */
	struct pic pic;					/* [l] */
	struct pit pit;					/* [l] */
	struct uart uart;				/* [l] */
	struct rtc rtc;					/* [l] */
	struct i8042 kbd;				/* [l] */
	struct sysports sys;				/* [l] */
	struct msr_state msr;				/* [l] */
	struct console con;				/* [l] */

	int epoll_fd, timer_fd, signal_fd, stop_fd;	/* [I] */
	bool stdin_polled;				/* [l] */
	bool stdin_paused;				/* [l] */

	enum vcpu_state vcpu_state;			/* [l] */
	bool kick_sent;		/* since the last entry */	/* [l] */
	bool window_requested;				/* [l] */
	int held_vector;	/* acked from the PIC, not yet injected [l] */

	enum machine_end end;				/* [l] */
	int end_signal;					/* [l] */
	char end_msg[256];				/* [l] */
	struct machine_counters n;			/* [l] */
};

/* Read the images, check they fit, create the VM and load the guest.
 * Returns 0, or RUN_EXIT_* with a message printed.  (machine.c) */
int machine_create(struct machine *m, const struct run_config *cfg);
void machine_destroy(struct machine *m);

/*
 * Read and check the images; when m->vm exists, also load them, the ACPI
 * tables and the boot tables, and fill the boot registers.  Returns 0 or
 * RUN_EXIT_ERROR with a message printed.  (loader.c)
 */
int machine_load_guest(struct machine *m, const struct run_config *cfg,
		       struct vmem_regs *regs, struct vmem_sregs *sregs);

/* Run until the guest ends; returns the exit status.  (machine_run.c) */
int machine_run(struct machine *m);

/* Record why the machine ends (first reason wins) and stop the vCPU.
 * Lock held. */
void machine_end(struct machine *m, enum machine_end why, const char *fmt,
		 ...) __attribute__((format(printf, 3, 4)));

/* An IRQ line changed: wake or kick the vCPU if it must take one.
 * Lock held. */
void machine_irq_notify(struct machine *m);

/* The vCPU thread's loop (vcpu_loop.c). */
void vcpu_loop(struct machine *m);
/* The I/O thread (iothread.c). */
int iothread_setup(struct machine *m);
void *iothread_main(void *arg);
void iothread_teardown(struct machine *m);

#endif /* VMEM_RUN_MACHINE_H */
