/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pic.h - the i8259A programmable interrupt controller pair of a PC:
 * master at ports 0x20-0x21 (IRQ 0-7), slave at 0xa0-0xa1 (IRQ 8-15)
 * cascaded on the master's IRQ 2.
 *
 * Modelled: ICW1-4 (vector base from ICW2, single/cascade, auto-EOI,
 * special fully nested mode), OCW1 (IMR), OCW2 (non-specific, specific
 * and rotating EOIs, set priority), OCW3 (read IRR/ISR, poll, special
 * mask mode), edge-triggered inputs, priority resolution with rotation,
 * spurious IRQ 7/15, and the edge/level control registers (ELCR, ports
 * 0x4d0-0x4d1) as plain registers.  Not modelled: level-triggered inputs
 * (ELCR bits are stored, every input stays edge-triggered), 8080 mode,
 * buffered mode (the bits are accepted and ignored).
 */
#ifndef VMEM_RUN_PIC_H
#define VMEM_RUN_PIC_H

#include <stdbool.h>
#include <stdint.h>

struct bus;

struct pic_chip {
	uint8_t irr;		/* interrupt request register */
	uint8_t isr;		/* in-service register */
	uint8_t imr;		/* interrupt mask register */
	uint8_t lines;		/* input levels, for edge detection */
	uint8_t vector_base;	/* ICW2 & 0xf8 */
	uint8_t priority_add;	/* lowest-priority rotation */
	uint8_t init_state;	/* 0: ready; 1-3: expecting ICW2-4 */
	bool icw4_needed;
	bool single;
	bool auto_eoi;
	bool rotate_on_auto_eoi;
	bool special_mask;
	bool special_fully_nested;
	bool read_isr;		/* OCW3 selected ISR for reads of port 0 */
	bool poll;		/* OCW3 poll command pending */
	bool is_master;
};

struct pic {
	struct pic_chip chip[2];	/* [0] master, [1] slave */
	uint8_t elcr[2];		/* edge/level control, stored only */
};

void pic_init(struct pic *pic);
/* Claim ports 0x20-0x21, 0xa0-0xa1 and 0x4d0-0x4d1. */
int pic_register(struct pic *pic, struct bus *bus);

/* Drive input @irq (0-15) to @level; a rising edge requests it. */
void pic_set_irq(struct pic *pic, int irq, int level);

/* True when the master's INT output is asserted (an IRQ awaits INTA). */
bool pic_pending(const struct pic *pic);
/*
 * The INTA cycle: acknowledge the highest-priority request and return
 * its vector (a spurious IRQ 7 or 15 if the request went away).
 */
uint8_t pic_ack(struct pic *pic);

/* Port handlers, exposed for unit tests. */
uint32_t pic_io_in(void *opaque, uint16_t port, unsigned int size);
void pic_io_out(void *opaque, uint16_t port, unsigned int size, uint32_t val);

#endif /* VMEM_RUN_PIC_H */
