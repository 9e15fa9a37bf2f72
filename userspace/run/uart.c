// SPDX-License-Identifier: GPL-2.0
/*
 * uart.c - 16550A UART; see uart.h.  After the National Semiconductor
 * PC16550D data sheet; OpenBSD vmd's ns8250.c is a model of the same size.
 */
#include <string.h>

#include "bus.h"
#include "uart.h"

#define IER_RDI		0x01	/* receive data available */
#define IER_THRI	0x02	/* transmit holding register empty */
#define IER_RLSI	0x04	/* receiver line status */
#define IER_MSI		0x08	/* modem status */

#define IIR_NO_INT	0x01
#define IIR_MSI		0x00
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_RLSI	0x06
#define IIR_FIFO	0xc0

#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define FCR_CLEAR_TX	0x04

#define LCR_DLAB	0x80

#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10

#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_THRE	0x20
#define LSR_TEMT	0x40

#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80

static uint8_t uart_iir(const struct uart *u)
{
	uint8_t fifo = u->fcr & FCR_ENABLE ? IIR_FIFO : 0;

	if ((u->ier & IER_RLSI) && u->overrun)
		return fifo | IIR_RLSI;
	if ((u->ier & IER_RDI) && u->rx_count)
		return fifo | IIR_RDI;
	if ((u->ier & IER_THRI) && u->thr_ipending)
		return fifo | IIR_THRI;
	return fifo | IIR_NO_INT;
}

/* Drive the interrupt line from the current state. */
static void uart_update_irq(struct uart *u)
{
	int level = !(uart_iir(u) & IIR_NO_INT) && (u->mcr & MCR_OUT2);

	if (level != u->irq_level) {
		u->irq_level = level;
		irq_set(&u->irq, level);
	}
}

unsigned int uart_rx_room(const struct uart *u)
{
	return UART_FIFO_SIZE - u->rx_count;
}

static bool rx_put(struct uart *u, uint8_t byte)
{
	if (u->rx_count == UART_FIFO_SIZE) {
		u->overrun = true;
		return false;
	}
	u->rx[(u->rx_head + u->rx_count++) % UART_FIFO_SIZE] = byte;
	return true;
}

bool uart_rx_push(struct uart *u, uint8_t byte)
{
	bool ok;

	if (u->mcr & MCR_LOOP)
		return false;	/* the line is disconnected in loopback */
	ok = rx_put(u, byte);
	uart_update_irq(u);
	return ok;
}

static uint8_t rx_pop(struct uart *u)
{
	uint8_t b;

	if (!u->rx_count)
		return 0;
	b = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
	u->rx_count--;
	return b;
}

static uint8_t uart_msr(const struct uart *u)
{
	uint8_t m = 0;

	if (!(u->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;	/* a cable is in */
	if (u->mcr & MCR_DTR)
		m |= MSR_DSR;
	if (u->mcr & MCR_RTS)
		m |= MSR_CTS;
	if (u->mcr & MCR_OUT1)
		m |= MSR_RI;
	if (u->mcr & MCR_OUT2)
		m |= MSR_DCD;
	return m;
}

uint8_t uart_read(struct uart *u, unsigned int off)
{
	uint8_t v = 0xff;

	switch (off) {
	case 0:
		if (u->lcr & LCR_DLAB)
			return u->dll;
		v = rx_pop(u);
		uart_update_irq(u);
		/* Let the host refill what the guest took. */
		if (u->host.rx_space && !(u->mcr & MCR_LOOP))
			u->host.rx_space(u->host.opaque);
		return v;
	case 1:
		return u->lcr & LCR_DLAB ? u->dlm : u->ier;
	case 2:
		v = uart_iir(u);
		/* Reading IIR acknowledges a THRE interrupt it reports. */
		if ((v & 0x0f) == IIR_THRI) {
			u->thr_ipending = false;
			uart_update_irq(u);
		}
		return v;
	case 3:
		return u->lcr;
	case 4:
		return u->mcr;
	case 5:
		v = LSR_THRE | LSR_TEMT;
		if (u->rx_count)
			v |= LSR_DR;
		if (u->overrun)
			v |= LSR_OE;
		u->overrun = false;
		uart_update_irq(u);
		return v;
	case 6:
		return uart_msr(u);
	case 7:
		return u->scr;
	}
	return v;
}

void uart_write(struct uart *u, unsigned int off, uint8_t val)
{
	switch (off) {
	case 0:
		if (u->lcr & LCR_DLAB) {
			u->dll = val;
			return;
		}
		if (u->mcr & MCR_LOOP)
			rx_put(u, val);
		else if (u->host.tx)
			u->host.tx(u->host.opaque, val);
		/* Sent at once: THR is empty again. */
		u->thr_ipending = true;
		break;
	case 1:
		if (u->lcr & LCR_DLAB) {
			u->dlm = val;
			return;
		}
		/* Enabling THRI with THR empty raises THRE at once. */
		if ((val & IER_THRI) && !(u->ier & IER_THRI))
			u->thr_ipending = true;
		u->ier = val & 0x0f;
		break;
	case 2:
		if (val & FCR_CLEAR_RX) {
			u->rx_head = u->rx_count = 0;
			if (u->host.rx_space)
				u->host.rx_space(u->host.opaque);
		}
		u->fcr = val & (FCR_ENABLE | 0xc0);
		break;
	case 3:
		u->lcr = val;
		return;
	case 4:
		u->mcr = val & 0x1f;
		break;
	case 7:
		u->scr = val;
		return;
	default:
		return;		/* LSR and MSR are read-only */
	}
	uart_update_irq(u);
}

static uint32_t uart_io_in(void *opaque, uint16_t port, unsigned int size)
{
	struct uart *u = opaque;

	(void)size;
	return uart_read(u, port & 7);
}

static void uart_io_out(void *opaque, uint16_t port, unsigned int size,
			uint32_t val)
{
	struct uart *u = opaque;

	(void)size;
	uart_write(u, port & 7, val);
}

void uart_init(struct uart *u, const struct irq_line *irq,
	       const struct uart_host_ops *host)
{
	memset(u, 0, sizeof(*u));
	if (irq)
		u->irq = *irq;
	if (host)
		u->host = *host;
	u->dll = 12;	/* 9600 baud, as after a PC BIOS */
}

int uart_register(struct uart *u, struct bus *bus, uint16_t base)
{
	return bus_register(bus, base, 8, u, uart_io_in, uart_io_out);
}
