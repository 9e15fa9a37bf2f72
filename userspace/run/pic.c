// SPDX-License-Identifier: GPL-2.0
/*
 * pic.c - i8259A pair; see pic.h.  After the Intel 8259A data sheet;
 * OpenBSD vmd's i8259.c is a model of the same size.
 */
#include <string.h>

#include "bus.h"
#include "pic.h"

/* ---------------------------------------------------------------------- */
/* Priority resolution                                                     */

/* Priority (0 = highest) of the best bit in @mask, 8 if none. */
static int chip_priority(const struct pic_chip *c, uint8_t mask)
{
	int p;

	if (!mask)
		return 8;
	for (p = 0; p < 8; p++)
		if (mask & (1u << ((p + c->priority_add) & 7)))
			return p;
	return 8;
}

/* The IRQ (0-7) this chip would raise now, or -1. */
static int chip_best(const struct pic_chip *c)
{
	int req, cur;
	uint8_t in_service;

	req = chip_priority(c, c->irr & ~c->imr);
	if (req == 8)
		return -1;
	in_service = c->isr;
	if (c->special_mask)
		in_service &= ~c->imr;
	/* Special fully nested: the slave may interrupt its own service. */
	if (c->special_fully_nested && c->is_master)
		in_service &= ~(1u << 2);
	cur = chip_priority(c, in_service);
	return req < cur ? (req + c->priority_add) & 7 : -1;
}

/* Edge detection on one input of one chip. */
static void chip_set_input(struct pic_chip *c, int irq, int level)
{
	uint8_t bit = 1u << irq;

	if (level) {
		if (!(c->lines & bit))
			c->irr |= bit;
		c->lines |= bit;
	} else {
		c->lines &= ~bit;
	}
}

/*
 * The slave's INT output drives the master's IRQ 2.  That input acts as
 * level-sensitive here: it requests service as long as the slave has an
 * unmasked request it would deliver, so a slave request that follows an
 * auto-EOI acknowledge at once is not lost for want of a new edge.
 */
static void pic_update_cascade(struct pic *pic)
{
	struct pic_chip *m = &pic->chip[0];

	if (chip_best(&pic->chip[1]) >= 0) {
		m->irr |= 1u << 2;
		m->lines |= 1u << 2;
	} else {
		m->irr &= ~(1u << 2);
		m->lines &= ~(1u << 2);
	}
}

void pic_set_irq(struct pic *pic, int irq, int level)
{
	if (irq < 0 || irq > 15)
		return;
	chip_set_input(&pic->chip[irq >> 3], irq & 7, level);
	pic_update_cascade(pic);
}

bool pic_pending(const struct pic *pic)
{
	return chip_best(&pic->chip[0]) >= 0;
}

/* Acknowledge @irq on @c: ISR set (unless auto-EOI), IRR cleared. */
static void chip_ack_irq(struct pic_chip *c, int irq)
{
	uint8_t bit = 1u << irq;

	if (c->auto_eoi) {
		if (c->rotate_on_auto_eoi)
			c->priority_add = (irq + 1) & 7;
	} else {
		c->isr |= bit;
	}
	c->irr &= ~bit;		/* edge triggered */
}

uint8_t pic_ack(struct pic *pic)
{
	struct pic_chip *m = &pic->chip[0], *s = &pic->chip[1];
	int irq, sirq;
	uint8_t vec;

	irq = chip_best(m);
	if (irq < 0)
		return m->vector_base | 7;	/* spurious */
	if (irq == 2 && !m->single) {
		sirq = chip_best(s);
		if (sirq >= 0) {
			chip_ack_irq(s, sirq);
			vec = s->vector_base | sirq;
		} else {
			vec = s->vector_base | 7;	/* spurious */
		}
		chip_ack_irq(m, 2);
	} else {
		chip_ack_irq(m, irq);
		vec = m->vector_base | irq;
	}
	pic_update_cascade(pic);
	return vec;
}

/* ---------------------------------------------------------------------- */
/* Programming                                                             */

static void chip_reset(struct pic_chip *c)
{
	bool master = c->is_master;

	memset(c, 0, sizeof(*c));
	c->is_master = master;
}

void pic_init(struct pic *pic)
{
	memset(pic, 0, sizeof(*pic));
	pic->chip[0].is_master = true;
	chip_reset(&pic->chip[0]);
	chip_reset(&pic->chip[1]);
}

/* The poll command: acknowledge as INTA would, return 0x80 | irq or 0. */
static uint8_t pic_poll(struct pic *pic, int which)
{
	struct pic_chip *c = &pic->chip[which];
	int irq = chip_best(c);

	c->poll = false;
	if (irq < 0)
		return 0;
	if (which == 0 && irq == 2) {
		/* Polling the master for a slave request: ack both. */
		struct pic_chip *s = &pic->chip[1];
		int sirq = chip_best(s);

		if (sirq >= 0)
			chip_ack_irq(s, sirq);
	}
	chip_ack_irq(c, irq);
	pic_update_cascade(pic);
	return 0x80 | irq;
}

static void chip_eoi(struct pic_chip *c, int irq, bool rotate)
{
	c->isr &= ~(1u << irq);
	if (rotate)
		c->priority_add = (irq + 1) & 7;
}

static void chip_write_cmd(struct pic_chip *c, uint8_t val)
{
	int irq;

	if (val & 0x10) {			/* ICW1 */
		uint8_t lines = c->lines;

		chip_reset(c);
		c->lines = lines;		/* the wires stay where they are */
		c->icw4_needed = val & 0x01;
		c->single = val & 0x02;
		c->init_state = 1;
		return;
	}
	if (val & 0x08) {			/* OCW3 */
		if (val & 0x04)
			c->poll = true;
		if (val & 0x02)
			c->read_isr = val & 0x01;
		if (val & 0x40)
			c->special_mask = val & 0x20;
		return;
	}
	switch (val >> 5) {			/* OCW2 */
	case 0:	/* rotate in auto-EOI mode: clear */
		c->rotate_on_auto_eoi = false;
		break;
	case 4:	/* rotate in auto-EOI mode: set */
		c->rotate_on_auto_eoi = true;
		break;
	case 1:	/* non-specific EOI */
	case 5:	/* rotate on non-specific EOI */
		irq = chip_priority(c, c->isr);
		if (irq != 8)
			chip_eoi(c, (irq + c->priority_add) & 7, val >> 5 == 5);
		break;
	case 3:	/* specific EOI */
		chip_eoi(c, val & 7, false);
		break;
	case 7:	/* rotate on specific EOI */
		chip_eoi(c, val & 7, true);
		break;
	case 6:	/* set priority: IRQ val & 7 becomes the lowest */
		c->priority_add = ((val & 7) + 1) & 7;
		break;
	case 2:	/* no operation */
		break;
	}
}

static void chip_write_data(struct pic_chip *c, uint8_t val)
{
	switch (c->init_state) {
	case 0:					/* OCW1 */
		c->imr = val;
		break;
	case 1:					/* ICW2 */
		c->vector_base = val & 0xf8;
		c->init_state = c->single ? (c->icw4_needed ? 3 : 0) : 2;
		break;
	case 2:					/* ICW3: wiring, fixed here */
		c->init_state = c->icw4_needed ? 3 : 0;
		break;
	case 3:					/* ICW4 */
		c->auto_eoi = val & 0x02;
		c->special_fully_nested = val & 0x10;
		c->init_state = 0;
		break;
	}
}

uint32_t pic_io_in(void *opaque, uint16_t port, unsigned int size)
{
	struct pic *pic = opaque;
	int which = port >= 0xa0;
	struct pic_chip *c = &pic->chip[which];

	(void)size;
	if (port >= 0x4d0)
		return pic->elcr[port & 1];
	if (c->poll)
		return pic_poll(pic, which);
	if (port & 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

void pic_io_out(void *opaque, uint16_t port, unsigned int size, uint32_t val)
{
	struct pic *pic = opaque;
	struct pic_chip *c = &pic->chip[port >= 0xa0];

	(void)size;
	if (port >= 0x4d0) {
		/* IRQ 0-2, 8 and 13 are edge-only on real chipsets. */
		pic->elcr[port & 1] = val & (port & 1 ? 0xde : 0xf8);
		return;
	}
	if (port & 1)
		chip_write_data(c, val);
	else
		chip_write_cmd(c, val);
	pic_update_cascade(pic);
}

int pic_register(struct pic *pic, struct bus *bus)
{
	if (bus_register(bus, 0x20, 2, pic, pic_io_in, pic_io_out) ||
	    bus_register(bus, 0xa0, 2, pic, pic_io_in, pic_io_out) ||
	    bus_register(bus, 0x4d0, 2, pic, pic_io_in, pic_io_out))
		return -1;
	return 0;
}
