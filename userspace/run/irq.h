/* SPDX-License-Identifier: GPL-2.0 */
/*
 * irq.h - an interrupt line from a device to the interrupt controller.
 *
 * Devices know only their line; the machine wires it to the PIC, and a
 * unit test to whatever it likes.  set() is called with the device lock
 * held, level 1 = asserted.
 */
#ifndef VMEM_RUN_IRQ_H
#define VMEM_RUN_IRQ_H

struct irq_line {
	void (*set)(void *opaque, int irq, int level);
	void *opaque;
	int irq;
};

static inline void irq_set(const struct irq_line *line, int level)
{
	if (line->set)
		line->set(line->opaque, line->irq, level);
}

/* An edge: the line goes up and down again (PIT output pulses). */
static inline void irq_pulse(const struct irq_line *line)
{
	irq_set(line, 1);
	irq_set(line, 0);
}

#endif /* VMEM_RUN_IRQ_H */
