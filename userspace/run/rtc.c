// SPDX-License-Identifier: GPL-2.0
/*
 * rtc.c - MC146818 CMOS clock; see rtc.h.  OpenBSD vmd's mc146818.c is a
 * model of the same size.
 */
#include <string.h>
#include <time.h>

#include "bus.h"
#include "rtc.h"

#define REG_SEC		0x00
#define REG_MIN		0x02
#define REG_HOUR	0x04
#define REG_WDAY	0x06
#define REG_MDAY	0x07
#define REG_MON		0x08
#define REG_YEAR	0x09
#define REG_A		0x0a
#define REG_B		0x0b
#define REG_C		0x0c
#define REG_D		0x0d
#define REG_CENTURY	0x32

#define A_UIP		0x80
#define B_SET		0x80
#define B_DM_BINARY	0x04
#define B_24H		0x02
#define D_VRT		0x80

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint8_t to_bcd(unsigned int v)
{
	return (uint8_t)((v / 10) << 4 | (v % 10));
}

static unsigned int from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

/* Encode a time field as register B says. */
static uint8_t enc(const struct rtc *rtc, unsigned int v)
{
	return rtc->cmos[REG_B] & B_DM_BINARY ? (uint8_t)v : to_bcd(v);
}

static unsigned int dec(const struct rtc *rtc, uint8_t v)
{
	return rtc->cmos[REG_B] & B_DM_BINARY ? v : from_bcd(v);
}

static uint8_t enc_hour(const struct rtc *rtc, unsigned int h)
{
	unsigned int h12;

	if (rtc->cmos[REG_B] & B_24H)
		return enc(rtc, h);
	h12 = h % 12 ? h % 12 : 12;
	return enc(rtc, h12) | (h >= 12 ? 0x80 : 0);
}

static unsigned int dec_hour(const struct rtc *rtc, uint8_t v)
{
	unsigned int h;

	if (rtc->cmos[REG_B] & B_24H)
		return dec(rtc, v);
	h = dec(rtc, v & 0x7f) % 12;
	return v & 0x80 ? h + 12 : h;
}

static void guest_tm(const struct rtc *rtc, struct tm *tm, uint64_t *ns)
{
	uint64_t now = rtc->now_ns();
	time_t t = (time_t)(now / 1000000000ull) + rtc->offset_s;

	gmtime_r(&t, tm);
	if (ns)
		*ns = now % 1000000000ull;
}

uint8_t rtc_read(struct rtc *rtc, uint8_t reg)
{
	struct tm tm;
	uint64_t ns;

	reg &= 0x7f;
	if (reg <= REG_YEAR || reg == REG_CENTURY || reg == REG_A)
		guest_tm(rtc, &tm, &ns);
	switch (reg) {
	case REG_SEC:		return enc(rtc, tm.tm_sec);
	case REG_MIN:		return enc(rtc, tm.tm_min);
	case REG_HOUR:		return enc_hour(rtc, tm.tm_hour);
	case REG_WDAY:		return enc(rtc, tm.tm_wday + 1);
	case REG_MDAY:		return enc(rtc, tm.tm_mday);
	case REG_MON:		return enc(rtc, tm.tm_mon + 1);
	case REG_YEAR:		return enc(rtc, tm.tm_year % 100);
	case REG_CENTURY:	return enc(rtc, (tm.tm_year + 1900) / 100);
	case REG_A:
		/* UIP: the 244 us before the seconds change. */
		return (rtc->cmos[REG_A] & 0x7f) |
		       (ns >= 1000000000ull - 244000 ? A_UIP : 0);
	case REG_C:
		return 0;	/* no interrupt flags: IRQ 8 not modelled */
	case REG_D:
		return D_VRT;
	case 0x01: case 0x03: case 0x05:	/* alarms: plain bytes */
	default:
		return rtc->cmos[reg];
	}
}

/* The guest set one field: move the offset so that field reads @v. */
static void rtc_set_field(struct rtc *rtc, uint8_t reg, uint8_t val)
{
	struct tm tm;
	time_t host, want;

	guest_tm(rtc, &tm, NULL);
	switch (reg) {
	case REG_SEC:	tm.tm_sec = dec(rtc, val); break;
	case REG_MIN:	tm.tm_min = dec(rtc, val); break;
	case REG_HOUR:	tm.tm_hour = dec_hour(rtc, val); break;
	case REG_MDAY:	tm.tm_mday = dec(rtc, val); break;
	case REG_MON:	tm.tm_mon = dec(rtc, val) - 1; break;
	case REG_YEAR:
		tm.tm_year = (tm.tm_year + 1900) / 100 * 100 +
			     dec(rtc, val) - 1900;
		break;
	case REG_CENTURY:
		tm.tm_year = dec(rtc, val) * 100 + tm.tm_year % 100 - 1900;
		break;
	default:
		return;		/* the weekday follows from the date */
	}
	want = timegm(&tm);
	if (want == (time_t)-1)
		return;
	host = (time_t)(rtc->now_ns() / 1000000000ull);
	rtc->offset_s = (int64_t)want - (int64_t)host;
}

void rtc_write(struct rtc *rtc, uint8_t reg, uint8_t val)
{
	reg &= 0x7f;
	switch (reg) {
	case REG_SEC: case REG_MIN: case REG_HOUR: case REG_WDAY:
	case REG_MDAY: case REG_MON: case REG_YEAR: case REG_CENTURY:
		rtc_set_field(rtc, reg, val);
		break;
	case REG_A:
		rtc->cmos[REG_A] = val & 0x7f;	/* UIP is read-only */
		break;
	case REG_B:
		/* Periodic/alarm/update interrupt enables are stored, but
		 * no interrupt is ever raised. */
		rtc->cmos[REG_B] = val;
		break;
	case REG_C:
	case REG_D:
		break;		/* read-only */
	default:
		rtc->cmos[reg] = val;
		break;
	}
}

static uint32_t rtc_io_in(void *opaque, uint16_t port, unsigned int size)
{
	struct rtc *rtc = opaque;

	(void)size;
	if (port == 0x70)
		return 0xff;	/* the index register is write-only */
	return rtc_read(rtc, rtc->index);
}

static void rtc_io_out(void *opaque, uint16_t port, unsigned int size,
		       uint32_t val)
{
	struct rtc *rtc = opaque;

	(void)size;
	if (port == 0x70) {
		rtc->index = val & 0x7f;
		rtc->nmi_masked = val & 0x80;
	} else {
		rtc_write(rtc, rtc->index, val);
	}
}

void rtc_init(struct rtc *rtc, uint64_t (*now_ns)(void))
{
	memset(rtc, 0, sizeof(*rtc));
	rtc->now_ns = now_ns ? now_ns : realtime_ns;
	rtc->cmos[REG_A] = 0x26;	/* 32.768 kHz base, 1024 Hz rate */
	rtc->cmos[REG_B] = B_24H;	/* BCD, 24-hour */
	/* What a BIOS leaves: 640 KiB base memory (0x15-0x16). */
	rtc->cmos[0x15] = 0x80;
	rtc->cmos[0x16] = 0x02;
}

int rtc_register(struct rtc *rtc, struct bus *bus)
{
	return bus_register(bus, 0x70, 2, rtc, rtc_io_in, rtc_io_out);
}
