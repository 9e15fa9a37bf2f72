// SPDX-License-Identifier: GPL-2.0
/*
 * iothread.c - the launcher's I/O thread: one epoll over stdin, the PIT's
 * timerfd, a signalfd and the stop eventfd; see machine.h.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "machine.h"

enum { EV_STDIN = 1, EV_TIMER, EV_SIGNAL, EV_STOP };

static int epoll_add(struct machine *m, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(m->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

/* Poll stdin or not (lock held). */
static void stdin_poll(struct machine *m, bool on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0,
				  .data.u32 = EV_STDIN };

	if (!m->stdin_polled || m->stdin_paused == !on)
		return;
	if (epoll_ctl(m->epoll_fd, EPOLL_CTL_MOD, m->con.in_fd, &ev) == 0)
		m->stdin_paused = !on;
}

int iothread_setup(struct machine *m)
{
	sigset_t sigs;

	m->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	m->timer_fd = timerfd_create(CLOCK_MONOTONIC,
				     TFD_NONBLOCK | TFD_CLOEXEC);
	m->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	m->signal_fd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (m->epoll_fd < 0 || m->timer_fd < 0 || m->stop_fd < 0 ||
	    m->signal_fd < 0 || epoll_add(m, m->timer_fd, EV_TIMER) ||
	    epoll_add(m, m->signal_fd, EV_SIGNAL) ||
	    epoll_add(m, m->stop_fd, EV_STOP)) {
		run_msg("cannot set up the I/O thread: %s", strerror(errno));
		iothread_teardown(m);
		return -1;
	}
	/* A stdin that cannot be polled (a regular file, /dev/null) gives
	 * the guest no input. */
	if (epoll_add(m, m->con.in_fd, EV_STDIN) == 0)
		m->stdin_polled = true;
	else if (m->cfg->verbose)
		run_msg("stdin cannot be polled (%s): no console input",
			strerror(errno));
	return 0;
}

void iothread_teardown(struct machine *m)
{
	int *fds[] = { &m->epoll_fd, &m->timer_fd, &m->stop_fd,
		       &m->signal_fd };
	unsigned int i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static void on_stdin(struct machine *m)
{
	if (!console_read_input(&m->con)) {
		/* End of input: the guest just gets no more. */
		epoll_ctl(m->epoll_fd, EPOLL_CTL_DEL, m->con.in_fd, NULL);
		m->stdin_polled = false;
	}
	console_feed(&m->con, &m->uart);
	if (!console_want_input(&m->con))
		stdin_poll(m, false);
}

static void on_timer(struct machine *m)
{
	uint64_t n;

	/* Re-armed since it fired?  Then the read fails: nothing to do. */
	if (read(m->timer_fd, &n, sizeof(n)) == sizeof(n) && n)
		pit_timer_expired(&m->pit);
}

static void on_signal(struct machine *m)
{
	struct signalfd_siginfo si;

	if (read(m->signal_fd, &si, sizeof(si)) != sizeof(si))
		return;
	m->end_signal = si.ssi_signo;
	machine_end(m, END_SIGNAL, "stopped by signal %d (%s)",
		    (int)si.ssi_signo, strsignal(si.ssi_signo));
}

static void on_stop(struct machine *m)
{
	uint64_t n;

	if (read(m->stop_fd, &n, sizeof(n)) < 0)
		return;
	/* Also the UART's "room again": resume reading stdin. */
	if (console_want_input(&m->con))
		stdin_poll(m, true);
}

void *iothread_main(void *arg)
{
	struct machine *m = arg;
	struct epoll_event evs[8];
	int i, n;

	for (;;) {
		n = epoll_wait(m->epoll_fd, evs, 8, -1);
		if (n < 0 && errno != EINTR)
			break;
		pthread_mutex_lock(&m->lock);
		for (i = 0; i < n; i++) {
			switch (evs[i].data.u32) {
			case EV_STDIN:	on_stdin(m); break;
			case EV_TIMER:	on_timer(m); break;
			case EV_SIGNAL:	on_signal(m); break;
			case EV_STOP:	on_stop(m); break;
			}
		}
		if (m->end != END_NONE) {
			pthread_mutex_unlock(&m->lock);
			break;
		}
		pthread_mutex_unlock(&m->lock);
	}
	return NULL;
}
