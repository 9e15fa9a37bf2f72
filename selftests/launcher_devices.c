// SPDX-License-Identifier: GPL-2.0
/*
 * launcher_devices - the launcher's device models without a VM: the port
 * bus, 8259 PIC pair, 8254 PIT (on a fake clock), 16550A UART, CMOS RTC,
 * i8042 and the small system ports (userspace/run/).  The sequences are
 * the ones Linux uses at boot.
 */
#include <string.h>

#include "bus.h"
#include "i8042.h"
#include "pic.h"
#include "pit.h"
#include "rtc.h"
#include "sysports.h"
#include "uart.h"
#include "vt.h"

/* ---------------------------------------------------------------------- */
/* Bus                                                                     */

static uint32_t dummy_in(void *o, uint16_t port, unsigned int size)
{
	(void)o; (void)size;
	return port;
}

static int test_bus_unclaimed_ports(void)
{
	static struct bus bus;

	bus_init(&bus, false);
	ASSERT_EQ(bus_register(&bus, 0x100, 4, NULL, dummy_in, NULL), 0);
	EXPECT_EQ(bus_register(&bus, 0x102, 4, NULL, dummy_in, NULL), -1);
	EXPECT_EQ(bus_in(&bus, 0x101, 1), 0x01);	/* masked to a byte */
	EXPECT_EQ(bus_in(&bus, 0x103, 2), 0x103);
	EXPECT_EQ(bus_in(&bus, 0x200, 1), 0xff);
	EXPECT_EQ(bus_in(&bus, 0x200, 2), 0xffff);
	EXPECT_EQ(bus_in(&bus, 0x200, 4), 0xffffffffu);
	bus_out(&bus, 0x200, 1, 0x12);			/* ignored */
	bus_out(&bus, 0x100, 1, 0x12);			/* no out(): ignored */
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* PIC                                                                     */

/* What Linux's init_8259A() writes (vectors 0x30 and 0x38). */
static void pic_linux_init(struct pic *p)
{
	pic_init(p);
	pic_io_out(p, 0x21, 1, 0xff);
	pic_io_out(p, 0xa1, 1, 0xff);
	pic_io_out(p, 0x20, 1, 0x11);	/* ICW1: edge, cascade, ICW4 */
	pic_io_out(p, 0x21, 1, 0x30);	/* ICW2 */
	pic_io_out(p, 0x21, 1, 0x04);	/* ICW3: slave on IR2 */
	pic_io_out(p, 0x21, 1, 0x01);	/* ICW4: 8086, normal EOI */
	pic_io_out(p, 0xa0, 1, 0x11);
	pic_io_out(p, 0xa1, 1, 0x38);
	pic_io_out(p, 0xa1, 1, 0x02);
	pic_io_out(p, 0xa1, 1, 0x01);
	pic_io_out(p, 0x21, 1, 0xfb);	/* all masked but the cascade */
	pic_io_out(p, 0xa1, 1, 0xff);
}

static int test_pic_imr_probe(void)
{
	struct pic p;

	pic_init(&p);
	/* Linux's probe_8259A(): the mask must read back. */
	pic_io_out(&p, 0x21, 1, 0xa5);
	EXPECT_EQ(pic_io_in(&p, 0x21, 1), 0xa5);
	pic_io_out(&p, 0xa1, 1, 0x5a);
	EXPECT_EQ(pic_io_in(&p, 0xa1, 1), 0x5a);
	return VT_PASS;
}

static int test_pic_edge_mask_ack_eoi(void)
{
	struct pic p;

	pic_linux_init(&p);
	pic_set_irq(&p, 0, 1);
	EXPECT_TRUE(!pic_pending(&p));		/* masked */
	pic_io_out(&p, 0x21, 1, 0xfa);		/* unmask IRQ 0 */
	EXPECT_TRUE(pic_pending(&p));		/* IRR kept while masked */
	EXPECT_EQ(pic_ack(&p), 0x30);
	EXPECT_TRUE(!pic_pending(&p));
	/* The line is still high: no new edge, no new request. */
	pic_set_irq(&p, 0, 1);
	EXPECT_TRUE(!pic_pending(&p));
	pic_set_irq(&p, 0, 0);
	pic_set_irq(&p, 0, 1);
	/* In service: IRQ 0 blocks itself until EOI. */
	EXPECT_TRUE(!pic_pending(&p));
	/* OCW3 read ISR, as i8259A_irq_real() does. */
	pic_io_out(&p, 0x20, 1, 0x0b);
	EXPECT_EQ(pic_io_in(&p, 0x20, 1), 0x01);
	pic_io_out(&p, 0x20, 1, 0x0a);
	EXPECT_EQ(pic_io_in(&p, 0x20, 1) & 1, 1);	/* IRR */
	pic_io_out(&p, 0x20, 1, 0x60);		/* specific EOI, IRQ 0 */
	EXPECT_TRUE(pic_pending(&p));
	EXPECT_EQ(pic_ack(&p), 0x30);
	pic_io_out(&p, 0x20, 1, 0x20);		/* non-specific EOI */
	pic_io_out(&p, 0x20, 1, 0x0b);
	EXPECT_EQ(pic_io_in(&p, 0x20, 1), 0);
	return VT_PASS;
}

static int test_pic_priority_and_cascade(void)
{
	struct pic p;

	pic_linux_init(&p);
	pic_io_out(&p, 0x21, 1, 0x00);
	pic_io_out(&p, 0xa1, 1, 0x00);
	pic_set_irq(&p, 4, 1);
	pic_set_irq(&p, 9, 1);
	pic_set_irq(&p, 1, 1);
	EXPECT_EQ(pic_ack(&p), 0x31);		/* IRQ 1 first */
	/* IRQ 1 in service blocks 2 (slave) and 4 (lower priority). */
	EXPECT_TRUE(!pic_pending(&p));
	pic_io_out(&p, 0x20, 1, 0x20);
	EXPECT_EQ(pic_ack(&p), 0x39);		/* IRQ 9 via the cascade */
	pic_io_out(&p, 0xa0, 1, 0x20);		/* EOI slave, then master */
	pic_io_out(&p, 0x20, 1, 0x20);
	EXPECT_EQ(pic_ack(&p), 0x34);
	pic_io_out(&p, 0x20, 1, 0x20);
	EXPECT_TRUE(!pic_pending(&p));
	/* A request that vanishes before INTA is a spurious IRQ 7. */
	EXPECT_EQ(pic_ack(&p), 0x37);
	return VT_PASS;
}

static int test_pic_poll_and_auto_eoi(void)
{
	struct pic p;

	pic_linux_init(&p);
	pic_io_out(&p, 0x21, 1, 0x00);
	pic_set_irq(&p, 3, 1);
	pic_io_out(&p, 0x20, 1, 0x0c);		/* OCW3 poll */
	EXPECT_EQ(pic_io_in(&p, 0x20, 1), 0x83);
	pic_io_out(&p, 0x20, 1, 0x0c);
	EXPECT_EQ(pic_io_in(&p, 0x20, 1), 0x00);	/* in service now */
	/* Reprogram with auto-EOI: no ISR bits stay set. */
	pic_io_out(&p, 0x20, 1, 0x11);
	pic_io_out(&p, 0x21, 1, 0x30);
	pic_io_out(&p, 0x21, 1, 0x04);
	pic_io_out(&p, 0x21, 1, 0x03);
	pic_io_out(&p, 0x21, 1, 0x00);		/* ICW1 cleared the IMR too */
	pic_set_irq(&p, 3, 0);
	pic_set_irq(&p, 3, 1);
	EXPECT_EQ(pic_ack(&p), 0x33);
	pic_io_out(&p, 0x20, 1, 0x0b);
	EXPECT_EQ(pic_io_in(&p, 0x20, 1), 0);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* PIT                                                                     */

static uint64_t fake_now;
static uint64_t fake_clock(void) { return fake_now; }

struct arm_log {
	uint64_t deadline, period;
	int calls;
};

static void fake_arm(void *opaque, uint64_t deadline, uint64_t period)
{
	struct arm_log *a = opaque;

	a->deadline = deadline;
	a->period = period;
	a->calls++;
}

static int irq_edges;
static void count_irq(void *o, int irq, int level)
{
	(void)o; (void)irq;
	if (level)
		irq_edges++;
}

static int test_pit_periodic_mode2(void)
{
	struct arm_log arm = { 0 };
	struct pit_timer_ops t = { fake_arm, &arm };
	struct irq_line l = { count_irq, NULL, 0 };
	struct pit pit;

	fake_now = 1000000000ull;
	pit_init(&pit, &l, &t, fake_clock);
	/* Linux's pit_set_periodic(): mode 2, lobyte/hibyte, 250 Hz. */
	pit_io_out(&pit, 0x43, 1, 0x34);
	pit_io_out(&pit, 0x40, 1, 4772 & 0xff);
	pit_io_out(&pit, 0x40, 1, 4772 >> 8);
	/* 4772 ticks in ns, rounded up */
	EXPECT_EQ(arm.deadline, fake_now + (4772 * 1000000000ull + PIT_HZ - 1) / PIT_HZ);
	EXPECT_EQ(arm.period, (4772 * 1000000000ull + PIT_HZ - 1) / PIT_HZ);
	/* Counter latch halfway. */
	fake_now += 2000000;
	pit_io_out(&pit, 0x43, 1, 0x00);
	fake_now += 1000000;		/* the latch holds */
	{
		unsigned int lo = pit_io_in(&pit, 0x40, 1);
		unsigned int hi = pit_io_in(&pit, 0x40, 1);

		EXPECT_EQ(lo | hi << 8, 4772 - 2386);
	}
	irq_edges = 0;
	pit_timer_expired(&pit);
	EXPECT_EQ(irq_edges, 1);
	return VT_PASS;
}

static int test_pit_oneshot_mode4(void)
{
	struct arm_log arm = { 0 };
	struct pit_timer_ops t = { fake_arm, &arm };
	struct pit pit;

	fake_now = 5000000000ull;
	pit_init(&pit, NULL, &t, fake_clock);
	/* Linux's pit_set_oneshot() and pit_next_event(1193). */
	pit_io_out(&pit, 0x43, 1, 0x38);
	EXPECT_EQ(arm.deadline, 0);			/* stopped */
	pit_io_out(&pit, 0x40, 1, 1193 & 0xff);
	pit_io_out(&pit, 0x40, 1, 1193 >> 8);
	EXPECT_EQ(arm.deadline, fake_now + 999848);
	EXPECT_EQ(arm.period, 0);
	return VT_PASS;
}

static int test_pit_channel2_gate_and_out(void)
{
	struct pit pit;

	fake_now = 7000000000ull;
	pit_init(&pit, NULL, NULL, fake_clock);
	/* pit_calibrate_tsc(): gate on, speaker off, mode 0, 10 ms. */
	pit_io_out(&pit, 0x61, 1, (pit_io_in(&pit, 0x61, 1) & ~0x02) | 0x01);
	pit_io_out(&pit, 0x43, 1, 0xb0);
	pit_io_out(&pit, 0x42, 1, 11932 & 0xff);
	pit_io_out(&pit, 0x42, 1, 11932 >> 8);
	EXPECT_EQ(pit_io_in(&pit, 0x61, 1) & 0x20, 0);	/* OUT2 low */
	fake_now += 5000000;
	EXPECT_EQ(pit_io_in(&pit, 0x61, 1) & 0x20, 0);
	/* quick_pit_calibrate() reads the MSB as the count goes down. */
	{
		unsigned int lo = pit_io_in(&pit, 0x42, 1);
		unsigned int hi = pit_io_in(&pit, 0x42, 1);

		EXPECT_EQ(lo | hi << 8, 11932 - 5965);
	}
	fake_now += 5100000;
	EXPECT_EQ(pit_io_in(&pit, 0x61, 1) & 0x20, 0x20);	/* terminal */
	/* Gate off freezes mode 0. */
	pit_io_out(&pit, 0x43, 1, 0xb0);
	pit_io_out(&pit, 0x42, 1, 0xff);
	pit_io_out(&pit, 0x42, 1, 0xff);
	fake_now += 1000000;
	pit_io_out(&pit, 0x61, 1, 0x00);
	fake_now += 50000000;
	EXPECT_EQ(pit_count(&pit, 2), 0xffff - 1193);
	/* Read-back of status: OUT low, mode 0, lobyte/hibyte. */
	pit_io_out(&pit, 0x43, 1, 0xe8);
	EXPECT_EQ(pit_io_in(&pit, 0x42, 1), 0x30);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* UART                                                                    */

struct uart_host {
	char out[64];
	int n;
	int level, edges;
};

static void host_tx(void *o, uint8_t b)
{
	struct uart_host *h = o;

	if (h->n < 63)
		h->out[h->n++] = b;
}

static void host_irq(void *o, int irq, int level)
{
	struct uart_host *h = o;

	(void)irq;
	if (level && !h->level)
		h->edges++;
	h->level = level;
}

static int test_uart_autoconfig(void)
{
	struct uart_host h = { 0 };
	struct uart_host_ops ops = { host_tx, NULL, &h };
	struct uart u;

	uart_init(&u, NULL, &ops);
	/* autoconfig(): IER scratch test. */
	uart_write(&u, 1, 0);
	EXPECT_EQ(uart_read(&u, 1) & 0x0f, 0);
	uart_write(&u, 1, 0x0f);
	EXPECT_EQ(uart_read(&u, 1) & 0x0f, 0x0f);
	uart_write(&u, 1, 0);
	/* Loopback: MCR OUT2|RTS must show as DCD|CTS. */
	uart_write(&u, 4, 0x10 | 0x0a);
	EXPECT_EQ(uart_read(&u, 6) & 0xf0, 0x90);
	uart_write(&u, 4, 0);
	/* FIFO enabled: IIR bits 7-6 set means 16550A. */
	uart_write(&u, 2, 0x01);
	EXPECT_EQ(uart_read(&u, 2) >> 6, 3);
	/* Divisor latch. */
	uart_write(&u, 3, 0x80);
	uart_write(&u, 0, 0x01);
	uart_write(&u, 1, 0x00);
	EXPECT_EQ(uart_read(&u, 0), 1);
	uart_write(&u, 3, 0x03);
	/* Scratch register. */
	uart_write(&u, 7, 0x5a);
	EXPECT_EQ(uart_read(&u, 7), 0x5a);
	uart_write(&u, 0, 'h');
	uart_write(&u, 0, 'i');
	EXPECT_EQ(h.n, 2);
	EXPECT_TRUE(!memcmp(h.out, "hi", 2));
	EXPECT_EQ(uart_read(&u, 5) & 0x60, 0x60);	/* THRE, TEMT */
	return VT_PASS;
}

static int test_uart_interrupts(void)
{
	struct uart_host h = { 0 };
	struct uart_host_ops ops = { host_tx, NULL, &h };
	struct irq_line l = { host_irq, &h, 4 };
	struct uart u;
	uint8_t i;

	uart_init(&u, &l, &ops);
	uart_write(&u, 2, 0x07);		/* FIFO on, cleared */
	uart_write(&u, 1, 0x02);		/* THRI with THR empty */
	EXPECT_EQ(h.level, 0);			/* OUT2 gates the line */
	uart_write(&u, 4, 0x08);		/* OUT2 */
	EXPECT_EQ(h.level, 1);
	EXPECT_EQ(uart_read(&u, 2) & 0x0f, 0x02);	/* THRE; acks it */
	EXPECT_EQ(h.level, 0);
	EXPECT_EQ(uart_read(&u, 2) & 0x0f, 0x01);
	uart_write(&u, 0, 'x');			/* sent: THRE again */
	EXPECT_EQ(h.level, 1);
	uart_write(&u, 1, 0x01);		/* RX only */
	EXPECT_EQ(h.level, 0);
	EXPECT_TRUE(uart_rx_push(&u, 'a'));
	EXPECT_EQ(h.level, 1);
	EXPECT_EQ(uart_read(&u, 2) & 0x0f, 0x04);
	EXPECT_EQ(uart_read(&u, 5) & 0x01, 1);	/* DR */
	EXPECT_EQ(uart_read(&u, 0), 'a');
	EXPECT_EQ(h.level, 0);
	EXPECT_EQ(uart_read(&u, 5) & 0x01, 0);
	/* A full FIFO refuses more and reports the overrun. */
	for (i = 0; i < UART_FIFO_SIZE; i++)
		EXPECT_TRUE(uart_rx_push(&u, 'A' + i));
	EXPECT_TRUE(!uart_rx_push(&u, '!'));
	EXPECT_EQ(uart_rx_room(&u), 0);
	EXPECT_EQ(uart_read(&u, 5) & 0x02, 0x02);
	EXPECT_EQ(uart_read(&u, 0), 'A');
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* RTC                                                                     */

static uint64_t fake_wall;
static uint64_t fake_wall_clock(void) { return fake_wall; }

static int test_rtc_time_formats(void)
{
	struct rtc rtc;

	/* 2024-02-29 13:45:56 UTC, a Thursday. */
	fake_wall = 1709214356ull * 1000000000ull;
	rtc_init(&rtc, fake_wall_clock);
	EXPECT_EQ(rtc_read(&rtc, 0x00), 0x56);		/* BCD */
	EXPECT_EQ(rtc_read(&rtc, 0x02), 0x45);
	EXPECT_EQ(rtc_read(&rtc, 0x04), 0x13);
	EXPECT_EQ(rtc_read(&rtc, 0x06), 0x05);		/* Thursday = 5 */
	EXPECT_EQ(rtc_read(&rtc, 0x07), 0x29);
	EXPECT_EQ(rtc_read(&rtc, 0x08), 0x02);
	EXPECT_EQ(rtc_read(&rtc, 0x09), 0x24);
	EXPECT_EQ(rtc_read(&rtc, 0x32), 0x20);
	EXPECT_EQ(rtc_read(&rtc, 0x0d), 0x80);		/* valid */
	/* Binary, 12-hour: 1 PM. */
	rtc_write(&rtc, 0x0b, 0x04);
	EXPECT_EQ(rtc_read(&rtc, 0x00), 56);
	EXPECT_EQ(rtc_read(&rtc, 0x04), 0x81);
	/* UIP only in the last 244 us of a second. */
	EXPECT_EQ(rtc_read(&rtc, 0x0a) & 0x80, 0);
	fake_wall += 999900000ull;
	EXPECT_EQ(rtc_read(&rtc, 0x0a) & 0x80, 0x80);
	/* Setting the time moves an offset. */
	rtc_write(&rtc, 0x0b, 0x06);			/* binary, 24 h */
	rtc_write(&rtc, 0x09, 28);		/* 2028 is a leap year too */
	EXPECT_EQ(rtc_read(&rtc, 0x09), 28);
	EXPECT_EQ(rtc_read(&rtc, 0x08), 2);
	return VT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Reset and power paths                                                   */

struct ev_log {
	enum guest_event last;
	int n;
};

static void log_event(void *o, enum guest_event ev, const char *how)
{
	struct ev_log *l = o;

	(void)how;
	l->last = ev;
	l->n++;
}

static int test_i8042_reset_and_selftest(void)
{
	struct ev_log log = { 0 };
	struct guest_events ev = { log_event, &log };
	struct i8042 k;

	i8042_init(&k, &ev);
	EXPECT_EQ(i8042_io_in(&k, 0x64, 1) & 0x03, 0);	/* buffers empty */
	i8042_io_out(&k, 0x64, 1, 0xaa);
	EXPECT_EQ(i8042_io_in(&k, 0x64, 1) & 0x01, 1);
	EXPECT_EQ(i8042_io_in(&k, 0x60, 1), 0x55);
	i8042_io_out(&k, 0x64, 1, 0x60);
	i8042_io_out(&k, 0x60, 1, 0x47);
	i8042_io_out(&k, 0x64, 1, 0x20);
	EXPECT_EQ(i8042_io_in(&k, 0x60, 1), 0x47);
	EXPECT_EQ(log.n, 0);
	i8042_io_out(&k, 0x64, 1, 0xfe);
	EXPECT_EQ(log.n, 1);
	EXPECT_EQ(log.last, GUEST_RESET);
	return VT_PASS;
}

static int test_sysports(void)
{
	struct ev_log log = { 0 };
	struct guest_events ev = { log_event, &log };
	struct sysports s;

	sysports_init(&s, &ev);
	/* PCI: the address latches, data is "no device". */
	sysports_io_out(&s, 0xcf8, 4, 0x80000000);
	EXPECT_EQ(sysports_io_in(&s, 0xcf8, 4), 0x80000000);
	EXPECT_EQ(sysports_io_in(&s, 0xcfc, 4), 0xffffffffu);
	/* pvpanic: capabilities, then a panic. */
	EXPECT_EQ(sysports_io_in(&s, PORT_PVPANIC, 1), 0x03);
	sysports_io_out(&s, PORT_PVPANIC, 1, 0x01);
	EXPECT_EQ(log.last, GUEST_PANIC);
	/* ACPI: SCI_EN reads set; SLP_TYP 5 without SLP_EN does nothing. */
	EXPECT_EQ(sysports_io_in(&s, PORT_ACPI_PM1_CNT, 2) & 1, 1);
	log.n = 0;
	sysports_io_out(&s, PORT_ACPI_PM1_CNT, 2, 5 << 10);
	EXPECT_EQ(log.n, 0);
	sysports_io_out(&s, PORT_ACPI_PM1_CNT, 2, 5 << 10 | 0x2000);
	EXPECT_EQ(log.n, 1);
	EXPECT_EQ(log.last, GUEST_POWEROFF);
	sysports_io_out(&s, PORT_ACPI_RESET, 1, 0x01);
	EXPECT_EQ(log.last, GUEST_RESET);
	log.n = 0;
	sysports_io_out(&s, 0x92, 1, 0x02);		/* A20 only */
	EXPECT_EQ(log.n, 0);
	EXPECT_EQ(sysports_io_in(&s, 0x92, 1) & 0x02, 0x02);
	sysports_io_out(&s, 0x92, 1, 0x03);
	EXPECT_EQ(log.n, 1);
	EXPECT_EQ(sysports_io_in(&s, 0x80, 1) & 0xff, 0xff);
	return VT_PASS;
}

static const struct vt_case cases[] = {
	VT_CASE(bus_unclaimed_ports),
	VT_CASE(pic_imr_probe),
	VT_CASE(pic_edge_mask_ack_eoi),
	VT_CASE(pic_priority_and_cascade),
	VT_CASE(pic_poll_and_auto_eoi),
	VT_CASE(pit_periodic_mode2),
	VT_CASE(pit_oneshot_mode4),
	VT_CASE(pit_channel2_gate_and_out),
	VT_CASE(uart_autoconfig),
	VT_CASE(uart_interrupts),
	VT_CASE(rtc_time_formats),
	VT_CASE(i8042_reset_and_selftest),
	VT_CASE(sysports),
};

VT_MAIN(cases, NULL, NULL)
