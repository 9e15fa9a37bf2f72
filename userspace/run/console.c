// SPDX-License-Identifier: GPL-2.0
/*
 * console.c - stdio side of the guest console; see console.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "pit.h"
#include "uart.h"

static bool raw_active;
static char msg_prefix[128] = "vmem run";

void run_msg_set_name(const char *name)
{
	if (name && *name)
		snprintf(msg_prefix, sizeof(msg_prefix), "vmem run [%s]", name);
}

void run_msg(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s%s", msg_prefix, buf, raw_active ? "\r\n" : "\n");
}

void console_init(struct console *c, int in_fd, int out_fd,
		  const char *marker, uint64_t t0_ns)
{
	struct termios t;

	memset(c, 0, sizeof(*c));
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->marker = marker && *marker ? marker : NULL;
	c->t0_ns = t0_ns;
	if (isatty(in_fd) && tcgetattr(in_fd, &c->saved) == 0) {
		t = c->saved;
		cfmakeraw(&t);
		t.c_lflag |= ISIG;	/* Ctrl-C, Ctrl-\ end the VM */
		if (tcsetattr(in_fd, TCSANOW, &t) == 0) {
			c->tty_raw = true;
			raw_active = true;
		}
	}
}

void console_restore(struct console *c)
{
	if (c->tty_raw) {
		tcsetattr(c->in_fd, TCSANOW, &c->saved);
		c->tty_raw = false;
		raw_active = false;
	}
}

static void write_all(int fd, const void *p, size_t n)
{
	const char *b = p;

	while (n) {
		ssize_t w = write(fd, b, n);

		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return;		/* stdout gone: drop the output */
		}
		b += w;
		n -= w;
	}
}

static void console_line_done(struct console *c)
{
	c->line[c->line_len] = 0;
	if (c->marker && !c->marker_seen && strstr(c->line, c->marker)) {
		c->marker_seen = true;
		c->marker_ns = pit_monotonic_ns() - c->t0_ns;
	}
	c->line_len = 0;
}

void console_tx(struct console *c, uint8_t byte)
{
	write_all(c->out_fd, &byte, 1);
	c->out_bytes++;
	if (!c->marker || c->marker_seen)
		return;
	if (byte == '\n') {
		console_line_done(c);
	} else if (byte != '\r' && c->line_len < CONSOLE_LINE - 1) {
		c->line[c->line_len++] = byte;
		/* A marker may end a line that has not ended yet. */
		if (c->line_len >= strlen(c->marker)) {
			c->line[c->line_len] = 0;
			if (strstr(c->line, c->marker))
				console_line_done(c);
		}
	}
}

bool console_want_input(const struct console *c)
{
	return !c->in_eof && c->in_len < CONSOLE_INBUF;
}

/* One read: poll said there is data, so it does not block. */
bool console_read_input(struct console *c)
{
	size_t tail = (c->in_head + c->in_len) % CONSOLE_INBUF;
	size_t room = CONSOLE_INBUF - c->in_len;
	ssize_t r;

	if (!room)
		return true;
	if (tail + room > CONSOLE_INBUF)
		room = CONSOLE_INBUF - tail;
	r = read(c->in_fd, c->inbuf + tail, room);
	if (r > 0) {
		c->in_len += r;
		return true;
	}
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	c->in_eof = true;
	return false;
}

void console_feed(struct console *c, struct uart *u)
{
	while (c->in_len && uart_rx_room(u)) {
		if (!uart_rx_push(u, c->inbuf[c->in_head]))
			break;
		c->in_head = (c->in_head + 1) % CONSOLE_INBUF;
		c->in_len--;
	}
}
