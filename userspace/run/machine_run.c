// SPDX-License-Identifier: GPL-2.0
/*
 * machine_run.c - run the machine: start the I/O thread, run the vCPU
 * loop, decide how it ended and report; see machine.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "machine.h"

/* ---------------------------------------------------------------------- */
/* Ending                                                                  */

void machine_end(struct machine *m, enum machine_end why, const char *fmt, ...)
{
	va_list ap;

	if (m->end != END_NONE)
		return;
	m->end = why;
	va_start(ap, fmt);
	vsnprintf(m->end_msg, sizeof(m->end_msg), fmt, ap);
	va_end(ap);
	if (m->vcpu_state == VCPU_RUNNING) {
		vmm_vcpu_kick(m->vcpu);
		m->n.kicks++;
	}
	pthread_cond_broadcast(&m->wake);
}

void machine_irq_notify(struct machine *m)
{
	if (!pic_pending(&m->pic))
		return;
	switch (m->vcpu_state) {
	case VCPU_HALTED:
		pthread_cond_signal(&m->wake);
		break;
	case VCPU_RUNNING:
		/* An interrupt window already asked for will come anyway. */
		if (!m->kick_sent && !m->window_requested) {
			m->kick_sent = true;
			m->n.kicks++;
			vmm_vcpu_kick(m->vcpu);
		}
		break;
	case VCPU_OUTSIDE:
		break;	/* it checks the PIC before entering */
	}
}

/* ---------------------------------------------------------------------- */
/* Running                                                                 */

static double secs(uint64_t ns)
{
	return ns / 1e9;
}

static void print_stats(struct machine *m, uint64_t run_ns)
{
	const struct machine_counters *n = &m->n;
	struct vmm_vm_stats st;
	int ret;

	run_msg("ran %.3f s: %llu exits (io %llu, mmio %llu, hlt %llu, "
		"irq window %llu, kicked %llu, msr %llu, other %llu), "
		"%llu interrupts injected, %llu kicks",
		secs(run_ns), (unsigned long long)n->exits,
		(unsigned long long)n->io, (unsigned long long)n->mmio,
		(unsigned long long)n->hlt, (unsigned long long)n->irq_window,
		(unsigned long long)n->kicked, (unsigned long long)n->msr,
		(unsigned long long)n->other, (unsigned long long)n->injected,
		(unsigned long long)n->kicks);
	ret = vmm_vm_stats(m->vm, &st);
	if (ret == -EOPNOTSUPP) {
		run_msg("memory statistics: not available on %s",
			vmm_backend_name(m->cfg->backend));
		return;
	}
	if (ret < 0) {
		run_msg("memory statistics: %s", strerror(-ret));
		return;
	}
	run_msg("memory (4 KiB pages): configured %llu (%llu MiB), granted "
		"%llu (%llu MiB), consumed %llu, shared %llu, zero %llu, "
		"swapped %llu, overhead %llu",
		(unsigned long long)st.configured,
		(unsigned long long)(st.configured >> 8),
		(unsigned long long)st.granted,
		(unsigned long long)(st.granted >> 8),
		(unsigned long long)st.consumed, (unsigned long long)st.shared,
		(unsigned long long)st.zero, (unsigned long long)st.swapped,
		(unsigned long long)st.overhead);
}

static int end_status(struct machine *m)
{
	switch (m->end) {
	case END_POWEROFF:
		return RUN_EXIT_OK;
	case END_HALT:
		return RUN_EXIT_HALTED;
	case END_RESET:
		return m->cfg->reboot_status;
	case END_PANIC:
		return RUN_EXIT_PANIC;
	case END_TRIPLE_FAULT:
		return RUN_EXIT_TRIPLE_FAULT;
	case END_SIGNAL:
		return RUN_EXIT_SIGNAL_BASE + m->end_signal;
	default:
		return RUN_EXIT_ERROR;
	}
}

int machine_run(struct machine *m)
{
	const struct run_config *cfg = m->cfg;
	sigset_t block;
	pthread_t io;
	uint64_t t_start;
	int ret, status;

	/* The I/O thread takes these through its signalfd. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	signal(SIGPIPE, SIG_IGN);

	console_init(&m->con, STDIN_FILENO, STDOUT_FILENO, cfg->time_line,
		     cfg->t0_ns);
	if (iothread_setup(m)) {
		console_restore(&m->con);
		return RUN_EXIT_ERROR;
	}
	ret = pthread_create(&io, NULL, iothread_main, m);
	if (ret) {
		run_msg("cannot start the I/O thread: %s", strerror(ret));
		iothread_teardown(m);
		console_restore(&m->con);
		return RUN_EXIT_ERROR;
	}

	t_start = pit_monotonic_ns();
	vcpu_loop(m);

	/* Stop the I/O thread: the stop eventfd with end set. */
	{
		uint64_t one = 1;

		if (write(m->stop_fd, &one, sizeof(one)) < 0)
			run_msg("eventfd: %s", strerror(errno));
	}
	pthread_join(io, NULL);
	iothread_teardown(m);
	console_restore(&m->con);

	status = end_status(m);
	if (m->end != END_POWEROFF || cfg->verbose)
		run_msg("%s", m->end_msg);
	if (cfg->time_line) {
		if (m->con.marker_seen)
			run_msg("first line with \"%s\" after %.3f s",
				cfg->time_line, secs(m->con.marker_ns));
		else
			run_msg("no line with \"%s\" was seen", cfg->time_line);
	}
	if (cfg->stats)
		print_stats(m, pit_monotonic_ns() - t_start);
	/* The signals stay blocked: a second Ctrl-C must not kill us
	 * before the status is returned. */
	return status;
}

