/* SPDX-License-Identifier: GPL-2.0 */
/*
 * events.h - how devices tell the machine that the guest wants to end:
 * power off, reset, or report a panic.
 */
#ifndef VMEM_RUN_EVENTS_H
#define VMEM_RUN_EVENTS_H

enum guest_event {
	GUEST_POWEROFF = 1,	/* ACPI S5 */
	GUEST_RESET,		/* i8042 0xfe, port 0x92, ACPI reset register */
	GUEST_PANIC,		/* pvpanic: the guest kernel panicked */
	GUEST_CRASH_LOADED,	/* pvpanic: a crash kernel took over */
};

struct guest_events {
	/* Called with the device lock held; @how names the mechanism. */
	void (*event)(void *opaque, enum guest_event ev, const char *how);
	void *opaque;
};

static inline void guest_event(const struct guest_events *e,
			       enum guest_event ev, const char *how)
{
	if (e->event)
		e->event(e->opaque, ev, how);
}

#endif /* VMEM_RUN_EVENTS_H */
