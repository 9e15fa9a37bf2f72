/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uart.h - a 16550A UART (8250 family) for the guest console, COM1.
 *
 * Registers: RBR/THR, IER, IIR/FCR, LCR, MCR, LSR, MSR, SCR and the
 * divisor latch (DLL/DLM).  Transmission is instant: a byte written to
 * THR goes to the host at once and THR is empty again, so THRE stays set
 * and, with IER.THRI, interrupts again.  Reception uses a 16-byte FIFO the
 * host fills (uart_rx_push); the receive interrupt is raised while data
 * waits (the FIFO trigger level is taken as 1).  The interrupt output is
 * gated by MCR.OUT2, as on PCs.  Loopback (MCR.LOOP) returns THR bytes to
 * the receiver and MCR's outputs to MSR's inputs.  Not modelled: baud
 * timing, parity/framing errors, breaks, modem-status interrupts.
 */
#ifndef VMEM_RUN_UART_H
#define VMEM_RUN_UART_H

#include <stdbool.h>
#include <stdint.h>

#include "irq.h"

struct bus;

#define UART_FIFO_SIZE	16

struct uart_host_ops {
	void (*tx)(void *opaque, uint8_t byte);	/* a byte for the host */
	void (*rx_space)(void *opaque);		/* the FIFO has room again */
	void *opaque;
};

struct uart {
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thr_ipending;	/* THRE interrupt pending */
	bool overrun;
	uint8_t rx[UART_FIFO_SIZE];
	unsigned int rx_head, rx_count;
	struct irq_line irq;
	int irq_level;		/* last level driven */
	struct uart_host_ops host;
};

void uart_init(struct uart *u, const struct irq_line *irq,
	       const struct uart_host_ops *host);
/* Claim 8 ports at @base (0x3f8 for COM1). */
int uart_register(struct uart *u, struct bus *bus, uint16_t base);

/* Free places in the receive FIFO. */
unsigned int uart_rx_room(const struct uart *u);
/* Receive a byte from the host; false (and overrun) if the FIFO is full. */
bool uart_rx_push(struct uart *u, uint8_t byte);

/* Register access by offset 0-7 (for the bus and for tests). */
uint8_t uart_read(struct uart *u, unsigned int off);
void uart_write(struct uart *u, unsigned int off, uint8_t val);

#endif /* VMEM_RUN_UART_H */
