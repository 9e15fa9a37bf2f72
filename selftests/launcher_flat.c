// SPDX-License-Identifier: GPL-2.0
/*
 * launcher_flat - `vmem run --flat` with tiny hand-assembled guests, so
 * the launcher's machine is tested without Linux: console output, console
 * input (UART receive), ACPI power off, protected- and long-mode entry,
 * the ways a guest ends (halt with interrupts off, triple fault, keyboard
 * controller reset) with their exit statuses, and SIGTERM ending a guest
 * that spins or sleeps in HLT.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vmem.h>

#include "launcher_util.h"
#include "vt.h"
#include "vt_util.h"

#define T		60
#define FLAT_PATH	"/tmp/launcher_flat.bin"

/* mov dx, 0x604; mov ax, SLP_TYP 5 | SLP_EN; out dx, ax; hlt; jmp $-1 */
#define POWEROFF \
	"\x66\xba\x04\x06" "\x66\xb8\x00\x34" "\x66\xef" "\xf4" "\xeb\xfd"

/* mov dx, 0x3f8; mov al, 'o'; out; mov al, 'k'; out; mov al, 10; out */
#define PRINT_OK \
	"\x66\xba\xf8\x03" "\xb0\x6f\xee" "\xb0\x6b\xee" "\xb0\x0a\xee"

static const char prog_ok[] = PRINT_OK POWEROFF;
/* cli; hlt */
static const char prog_halt[] = "\xfa\xf4";
/* ud2 with an empty IDT: #UD, #DF, shutdown */
static const char prog_triple[] = "\x0f\x0b";
/* mov al, 0xfe; out 0x64, al; hlt */
static const char prog_reset[] = "\xb0\xfe\xe6\x64\xf4";
/* jmp $ */
static const char prog_spin[] = "\xeb\xfe";
/* sti; hlt; jmp back to hlt: no interrupt ever comes (PIC masked) */
static const char prog_sleep[] = "\xfb\xf4\xeb\xfd";
/*
 * Echo: poll LSR.DR, read RBR, write it back, until a newline; then
 * power off.
 */
static const char prog_echo[] =
	"\x66\xba\xfd\x03"	/* 0:  mov dx, 0x3fd */
	"\xec"			/* 4:  in al, dx */
	"\xa8\x01"		/* 5:  test al, 1 */
	"\x74\xf7"		/* 7:  jz 0 */
	"\x66\xba\xf8\x03"	/* 9:  mov dx, 0x3f8 */
	"\xec"			/* 13: in al, dx */
	"\xee"			/* 14: out dx, al */
	"\x3c\x0a"		/* 15: cmp al, 10 */
	"\x75\xed"		/* 17: jne 0 */
	POWEROFF;

/* Start `vmem run --flat` on @code with @extra options (NULL-ended). */
static int start(struct lrun *r, const char *code, size_t len,
		 const char *const extra[], bool pty)
{
	return lrun_start_flat(r, FLAT_PATH, code, len, extra, pty);
}

/* Run @code to its end and check the status and a phrase of output. */
static int expect_end(const char *code, size_t len, const char *const extra[],
		      int status, const char *text)
{
	struct lrun r;

	ASSERT_EQ(start(&r, code, len, extra, false), 0);
	EXPECT_EQ(lrun_finish(&r, T), status);
	if (text && !strstr(r.out, text))
		vt_fail_at(__FILE__, __LINE__, "output lacks \"%s\"", text);
	lrun_dump(&r, vt_case_failed() ? 20 : 3);
	lrun_free(&r);
	return VT_PASS;
}

static int setup(void)
{
	int ret = vt_require_dev();

	return ret == VT_PASS ? lrun_require_tool() : ret;
}

static void teardown(void)
{
	unlink(FLAT_PATH);
}

static int test_output_and_poweroff(void)
{
	return expect_end(prog_ok, sizeof(prog_ok) - 1, NULL, 0, "ok\n");
}

static int test_protected_mode_entry(void)
{
	/* The same bytes mean the same in 32-bit code. */
	const char *const extra[] = { "--boot-mode", "32", NULL };

	return expect_end(prog_ok, sizeof(prog_ok) - 1, extra, 0, "ok\n");
}

static int test_halt_with_interrupts_off(void)
{
	return expect_end(prog_halt, sizeof(prog_halt) - 1, NULL, 5,
			  "halted with interrupts off: it will never run again");
}

/* --memory above vmem's per-VM maximum: the message names the maximum. */
static int test_memory_above_the_per_vm_maximum(void)
{
	const char *argv[16];
	char mem[32], text[96];
	int fd, max;

	ASSERT_OK(fd = open("/dev/vmem", O_RDWR));
	max = ioctl(fd, VMEM_CHECK_EXTENSION, VMEM_CAP_MAX_MEM_MB);
	close(fd);
	ASSERT_TRUE(max > 0);
	fd = open(FLAT_PATH, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_OK(fd);
	ASSERT_EQ(write(fd, prog_ok, sizeof(prog_ok) - 1),
		  (ssize_t)sizeof(prog_ok) - 1);
	close(fd);
	snprintf(mem, sizeof(mem), "%dM", max + 4);
	snprintf(text, sizeof(text), "per-VM maximum of %d MiB", max);
	lrun_flat_argv(argv, 16, FLAT_PATH, NULL);
	argv[9] = mem;		/* the value of --memory */
	EXPECT_TRUE(lrun_expect(1, text, argv, T));
	argv[9] = "1T";
	EXPECT_TRUE(lrun_expect(1, text, argv, T));
	return VT_PASS;
}

static int test_triple_fault_is_status_4(void)
{
	return expect_end(prog_triple, sizeof(prog_triple) - 1, NULL, 4,
			  "triple-faulted");
}

static int test_reset_gives_reboot_status(void)
{
	const char *const extra[] = { "--reboot-status", "9", NULL };

	return expect_end(prog_reset, sizeof(prog_reset) - 1, extra, 9,
			  "keyboard controller");
}

static int test_console_input(void)
{
	struct lrun r;

	ASSERT_EQ(start(&r, prog_echo, sizeof(prog_echo) - 1, NULL, true), 0);
	usleep(200000);
	ASSERT_EQ(lrun_type(&r, "vmem-echo-test\n"), 0);
	EXPECT_TRUE(lrun_wait_for(&r, "vmem-echo-test", T));
	EXPECT_EQ(lrun_finish(&r, T), 0);
	lrun_dump(&r, vt_case_failed() ? 20 : 3);
	lrun_free(&r);
	return VT_PASS;
}

/* SIGTERM ends a guest @code is running: status 128 + SIGTERM. */
static int expect_sigterm(const char *code, size_t len)
{
	struct lrun r;

	ASSERT_EQ(start(&r, code, len, NULL, false), 0);
	sleep(2);
	EXPECT_TRUE(!r.exited);
	kill(r.pid, SIGTERM);
	EXPECT_EQ(lrun_finish(&r, 20), 128 + SIGTERM);
	if (!strstr(r.out, "stopped by signal"))
		vt_fail_at(__FILE__, __LINE__, "no \"stopped by signal\"");
	lrun_dump(&r, vt_case_failed() ? 20 : 2);
	lrun_free(&r);
	return VT_PASS;
}

static int test_sigterm_stops_a_spinning_guest(void)
{
	return expect_sigterm(prog_spin, sizeof(prog_spin) - 1);
}

static int test_sigterm_stops_a_sleeping_guest(void)
{
	return expect_sigterm(prog_sleep, sizeof(prog_sleep) - 1);
}

static const struct vt_case cases[] = {
	VT_CASE(output_and_poweroff),
	VT_CASE(protected_mode_entry),
	VT_CASE(halt_with_interrupts_off),
	VT_CASE(memory_above_the_per_vm_maximum),
	VT_CASE(triple_fault_is_status_4),
	VT_CASE(reset_gives_reboot_status),
	VT_CASE(console_input),
	VT_CASE(sigterm_stops_a_spinning_guest),
	VT_CASE(sigterm_stops_a_sleeping_guest),
};

VT_MAIN(cases, setup, teardown)
