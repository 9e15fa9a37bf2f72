/* SPDX-License-Identifier: GPL-2.0 */
/*
 * console.h - the host side of the guest console: UART output to stdout,
 * stdin (raw mode when it is a terminal) to the UART, and the launcher's
 * own messages, which must end in "\r\n" while the terminal is raw.
 *
 * Input is buffered here (4 KiB) and fed into the UART's 16-byte FIFO as
 * the guest drains it; while the buffer is full, stdin is not read.
 */
#ifndef VMEM_RUN_CONSOLE_H
#define VMEM_RUN_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>

struct uart;

#define CONSOLE_INBUF	4096
#define CONSOLE_LINE	512

struct console {
	int in_fd, out_fd;
	bool tty_raw;			/* we changed the terminal */
	struct termios saved;
	uint8_t inbuf[CONSOLE_INBUF];
	size_t in_head, in_len;
	bool in_eof;
	/* --time-line: report when a line containing @marker appears */
	const char *marker;
	char line[CONSOLE_LINE];
	size_t line_len;
	bool marker_seen;
	uint64_t t0_ns;
	uint64_t marker_ns;		/* when it was seen, from t0 */
	uint64_t out_bytes;
};

/* Set up on stdin/stdout; raw mode if stdin is a terminal (Ctrl-C still
 * raises SIGINT, which ends the VM). */
void console_init(struct console *c, int in_fd, int out_fd,
		  const char *marker, uint64_t t0_ns);
void console_restore(struct console *c);

/* A byte from the guest. */
void console_tx(struct console *c, uint8_t byte);
/* One read() of what stdin has (call when poll says readable), as far
 * as the buffer has room.  Returns false at end of file or on error. */
bool console_read_input(struct console *c);
/* Move buffered input into the UART while its FIFO has room. */
void console_feed(struct console *c, struct uart *u);
/* Whether the input buffer can take more bytes. */
bool console_want_input(const struct console *c);

/* "vmem run: ..." on stderr, with "\r\n" when the terminal is raw. */
void run_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Messages say "vmem run [NAME]: ..." from now on. */
void run_msg_set_name(const char *name);

#endif /* VMEM_RUN_CONSOLE_H */
