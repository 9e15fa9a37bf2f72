/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtc.h - the MC146818 CMOS real-time clock (ports 0x70-0x71).
 *
 * The time registers read the host's current time (UTC), in BCD or binary
 * and 12- or 24-hour format as register B says, century in 0x32.  Writes
 * to the time registers set an offset from the host clock, so a guest's
 * hwclock -w sticks for the life of the VM.  Register A's update-in-
 * progress bit is set in the last 244 us before each second, as on the
 * chip, so a guest that waits for it to clear reads a stable time.
 * Register C reads 0 (no alarm, periodic or update interrupts: IRQ 8 is
 * not modelled) and D reports valid RAM and time.  Bit 7 of port 0x70 is
 * the NMI mask: stored and otherwise ignored (no NMIs are sent).  The
 * remaining CMOS bytes are plain RAM.
 */
#ifndef VMEM_RUN_RTC_H
#define VMEM_RUN_RTC_H

#include <stdbool.h>
#include <stdint.h>

struct bus;

struct rtc {
	uint8_t index;		/* selected register, 0-127 */
	bool nmi_masked;
	uint8_t cmos[128];
	int64_t offset_s;	/* guest time minus host time */
	/* The clock (realtime, ns); tests replace it. */
	uint64_t (*now_ns)(void);
};

void rtc_init(struct rtc *rtc, uint64_t (*now_ns)(void));
int rtc_register(struct rtc *rtc, struct bus *bus);

uint8_t rtc_read(struct rtc *rtc, uint8_t reg);
void rtc_write(struct rtc *rtc, uint8_t reg, uint8_t val);

#endif /* VMEM_RUN_RTC_H */
