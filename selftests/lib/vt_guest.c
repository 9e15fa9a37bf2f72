// SPDX-License-Identifier: GPL-2.0
/*
 * vt_guest.c - code that runs inside the guest: ucall, GUEST_ASSERT,
 * a small printf, exception routing, "safe" instructions, and the string
 * functions of the whole test binary.
 *
 * Nothing here may call libc or touch TLS: it runs in a VM whose only
 * memory is the copy of this program's image, with no OS underneath.
 *
 * The string functions override glibc's (the test programs are linked
 * statically, and an object's own definition wins over the archive's):
 * glibc picks its memcpy/memset through ifuncs at startup, possibly AVX2
 * or AVX-512 variants, which would fault in a guest whose XCR0 does not
 * enable them.  The compiler may emit calls to them for structure copies
 * even with -fno-builtin, so they must exist and be guest-safe.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "vt_vm.h"

/* Written by the host through its mapping of guest memory. */
vt_handler_t vt_guest_handlers[256];
uint64_t vt_guest_xcr0;

/* ---------------------------------------------------------------------- */
/* String functions                                                        */

#define VT_NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

void *memcpy(void *dst, const void *src, size_t n)
{
	void *ret = dst;

	__asm__ __volatile__("rep movsb"
			     : "+D"(dst), "+S"(src), "+c"(n) :: "memory");
	return ret;
}

void *memmove(void *dst, const void *src, size_t n)
{
	void *ret = dst;

	if ((uintptr_t)dst <= (uintptr_t)src ||
	    (uintptr_t)dst >= (uintptr_t)src + n)
		return memcpy(dst, src, n);
	if (!n)
		return ret;
	dst = (char *)dst + n - 1;
	src = (const char *)src + n - 1;
	__asm__ __volatile__("std; rep movsb; cld"
			     : "+D"(dst), "+S"(src), "+c"(n) :: "memory", "cc");
	return ret;
}

void *memset(void *dst, int c, size_t n)
{
	void *ret = dst;

	__asm__ __volatile__("rep stosb"
			     : "+D"(dst), "+c"(n) : "a"(c) : "memory");
	return ret;
}

VT_NO_LIBCALL int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

VT_NO_LIBCALL size_t strlen(const char *s)
{
	const volatile char *p = s;
	size_t n = 0;

	while (p[n])
		n++;
	return n;
}

/* ---------------------------------------------------------------------- */
/* printf-lite                                                             */

struct vt_out {
	char *buf;
	size_t size, len;
};

static void vt_putc(struct vt_out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void vt_put_num(struct vt_out *o, unsigned long long v, unsigned int base,
		       bool upper, bool neg, int width, bool zero, const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, plen = 0, pad;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (neg)
		plen = 1;
	else if (prefix)
		plen = 2;
	pad = width - n - plen;
	if (!zero)
		for (; pad > 0; pad--)
			vt_putc(o, ' ');
	if (neg)
		vt_putc(o, '-');
	else if (prefix) {
		vt_putc(o, prefix[0]);
		vt_putc(o, prefix[1]);
	}
	if (zero)
		for (; pad > 0; pad--)
			vt_putc(o, '0');
	while (n)
		vt_putc(o, tmp[--n]);
}

static int vt_guest_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct vt_out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		bool zero = false, alt = false, upper = false, neg = false;
		int width = 0, lng = 0;
		unsigned long long v;
		const char *s;

		if (*fmt != '%') {
			vt_putc(&o, *fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '0')
				zero = true;
			else if (*fmt == '#')
				alt = true;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		for (;; fmt++) {
			if (*fmt == 'l')
				lng++;
			else if (*fmt == 'z')
				lng = 2;
			else
				break;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			long long sv = lng ? va_arg(ap, long long) : va_arg(ap, int);

			neg = sv < 0;
			v = neg ? -(unsigned long long)sv : (unsigned long long)sv;
			vt_put_num(&o, v, 10, false, neg, width, zero, NULL);
			break;
		}
		case 'u':
			v = lng ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int);
			vt_put_num(&o, v, 10, false, false, width, zero, NULL);
			break;
		case 'X':
			upper = true;
			/* fall through */
		case 'x':
			v = lng ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int);
			vt_put_num(&o, v, 16, upper, false, width, zero,
				   alt ? (upper ? "0X" : "0x") : NULL);
			break;
		case 'p':
			v = (uintptr_t)va_arg(ap, void *);
			vt_put_num(&o, v, 16, false, false, width, zero, "0x");
			break;
		case 'c':
			vt_putc(&o, (char)va_arg(ap, int));
			break;
		case 's':
			s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			for (int n = (int)strlen(s); n < width; n++)
				vt_putc(&o, ' ');
			while (*s)
				vt_putc(&o, *s++);
			break;
		case '%':
			vt_putc(&o, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			vt_putc(&o, '%');
			vt_putc(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int vt_guest_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vt_guest_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* ---------------------------------------------------------------------- */
/* ucall                                                                   */

static void vt_guest_ucall_struct(struct vt_ucall *uc)
{
	__asm__ __volatile__("outb %%al, %%dx"
			     :: "a"(0), "d"(VT_UCALL_PORT), "D"(uc)
			     : "memory");
}

void vt_guest_ucall(uint64_t cmd, uint64_t a0, uint64_t a1, uint64_t a2,
		    uint64_t a3)
{
	struct vt_ucall uc;

	memset(&uc, 0, sizeof(uc));
	uc.cmd = cmd;
	uc.args[0] = a0;
	uc.args[1] = a1;
	uc.args[2] = a2;
	uc.args[3] = a3;
	vt_guest_ucall_struct(&uc);
}

void vt_guest_printf(const char *fmt, ...)
{
	struct vt_ucall uc;
	va_list ap;

	memset(&uc, 0, sizeof(uc));
	uc.cmd = UCALL_PRINTF;
	va_start(ap, fmt);
	vt_guest_vsnprintf(uc.msg, sizeof(uc.msg), fmt, ap);
	va_end(ap);
	vt_guest_ucall_struct(&uc);
}

void vt_guest_assert_fail(const char *file, int line, const char *expr,
			  const char *fmt, ...)
{
	struct vt_ucall uc;
	va_list ap;

	memset(&uc, 0, sizeof(uc));
	uc.cmd = UCALL_ABORT;
	uc.file = (uintptr_t)file;
	uc.line = line;
	uc.expr = (uintptr_t)expr;
	if (fmt) {
		va_start(ap, fmt);
		vt_guest_vsnprintf(uc.msg, sizeof(uc.msg), fmt, ap);
		va_end(ap);
	}
	/* The host never resumes an aborted guest; if it does, same again. */
	for (;;)
		vt_guest_ucall_struct(&uc);
}

void vt_guest_done(void)
{
	for (;;)
		vt_guest_ucall(UCALL_DONE, 0, 0, 0, 0);
}

/* Called by vt_guest_entry when the guest function returns. */
void vt_guest_returned(void) __attribute__((noreturn));
void vt_guest_returned(void)
{
	vt_guest_done();
}

/* ---------------------------------------------------------------------- */
/* Exceptions                                                              */

/* Called by the common stub (vt_guest_entry.S) for every vector. */
void vt_guest_route_exception(struct vt_ex_regs *regs);
void vt_guest_route_exception(struct vt_ex_regs *regs)
{
	vt_handler_t h = vt_guest_handlers[regs->vector & 0xff];

	/* A "safe" instruction faulted: resume at its fixup. */
	if (regs->vector < 32 && regs->r11 == VT_SAFE_MAGIC) {
		regs->rip = regs->r10;
		regs->r11 = regs->vector;
		regs->r10 = regs->error_code;
		return;
	}
	if (h) {
		h(regs);
		return;
	}
	for (;;)
		vt_guest_ucall(UCALL_UNHANDLED, regs->vector, regs->error_code,
			       regs->rip, get_cr2());
}

#define VT_SAFE_BEGIN							\
	"lea 1f(%%rip), %%r10\n\t"					\
	"movabs $0x5afe5afe5afe5afe, %%r11\n\t"
#define VT_SAFE_END							\
	"mov $0xff, %%r11d\n\t"						\
	"1: mov %%r11, %[vec]\n\t"

_Static_assert(VT_SAFE_MAGIC == 0x5afe5afe5afe5afeull, "VT_SAFE_BEGIN");

uint8_t vt_rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;
	uint64_t vec;

	__asm__ __volatile__(VT_SAFE_BEGIN "rdmsr\n\t" VT_SAFE_END
			     : [vec] "=r"(vec), "+a"(lo), "+d"(hi)
			     : "c"(msr)
			     : "r10", "r11", "memory");
	*val = lo | (uint64_t)hi << 32;
	return (uint8_t)vec;
}

uint8_t vt_wrmsr_safe(uint32_t msr, uint64_t val)
{
	uint64_t vec;

	__asm__ __volatile__(VT_SAFE_BEGIN "wrmsr\n\t" VT_SAFE_END
			     : [vec] "=r"(vec)
			     : "c"(msr), "a"((uint32_t)val),
			       "d"((uint32_t)(val >> 32))
			     : "r10", "r11", "memory");
	return (uint8_t)vec;
}

uint8_t vt_xsetbv_safe(uint32_t index, uint64_t val)
{
	uint64_t vec;

	__asm__ __volatile__(VT_SAFE_BEGIN "xsetbv\n\t" VT_SAFE_END
			     : [vec] "=r"(vec)
			     : "c"(index), "a"((uint32_t)val),
			       "d"((uint32_t)(val >> 32))
			     : "r10", "r11", "memory");
	return (uint8_t)vec;
}
