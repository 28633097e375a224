/* Runtime for the bare-metal guests: console output, printf, checks and exits (see rt.h). */
#include "rt.h"

/* 16550 registers (offsets from COM1) and the LSR bit we poll. */
#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_THRE 0x20

unsigned guest_failures;

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n--; p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

void serial_init(void)
{
	outb(COM1 + UART_IER, 0x00);            /* polled: no interrupts */
	outb(COM1 + UART_LCR, 0x80);            /* DLAB: divisor 1 = 115200 baud */
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + UART_LCR, 0x03);            /* 8N1 */
	outb(COM1 + UART_FCR, 0x07);            /* FIFO on, both cleared */
	outb(COM1 + UART_MCR, 0x03);            /* DTR, RTS */
}

void serial_putc(char c)
{
	/* Bounded: a VMM whose LSR never shows THRE must not hang the guest forever. */
	for (unsigned i = 0; i < 100000; i++)
		if (inb(COM1 + UART_LSR) & LSR_THRE)
			break;
	outb(COM1 + UART_THR, (uint8_t)c);
}

void serial_puts(const char *s)
{
	while (*s) {
		if (*s == '\n')
			serial_putc('\r');
		serial_putc(*s++);
	}
}

uint32_t udivmod64(uint64_t *v, uint32_t d)
{
#ifdef __x86_64__
	uint32_t r = (uint32_t)(*v % d);

	*v /= d;
	return r;
#else
	/* No libgcc for -m32 here: divide the high half, then edx:eax by d (edx < d, no overflow). */
	uint32_t hi = (uint32_t)(*v >> 32), lo = (uint32_t)*v, qlo, r = hi % d;

	__asm__("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
	*v = ((uint64_t)(hi / d) << 32) | qlo;
	return r;
#endif
}

static void put_num(unsigned long long v, unsigned base, int width, char pad, bool neg)
{
	char buf[24];
	int n = 0;

	do {
		uint64_t q = v;

		buf[n++] = "0123456789abcdef"[udivmod64(&q, base)];
		v = q;
	} while (v);
	if (neg)
		buf[n++] = '-';
	while (width-- > n)
		serial_putc(pad);
	while (n--)
		serial_putc(buf[n]);
}

static void vgprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			if (*fmt == '\n')
				serial_putc('\r');
			serial_putc(*fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, longs = 0;

		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			longs++, fmt++;
		unsigned long long u;
		long long s;

		switch (*fmt) {
		case 's': {
			const char *str = va_arg(ap, const char *);
			serial_puts(str ? str : "(null)");
			break;
		}
		case 'c':
			serial_putc((char)va_arg(ap, int));
			break;
		case 'd':
			s = longs == 2 ? va_arg(ap, long long) : longs == 1 ? va_arg(ap, long) : va_arg(ap, int);
			put_num(s < 0 ? -(unsigned long long)s : (unsigned long long)s, 10, width, pad, s < 0);
			break;
		case 'u':
		case 'x':
			u = longs == 2 ? va_arg(ap, unsigned long long)
			  : longs == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
			put_num(u, *fmt == 'u' ? 10 : 16, width, pad, false);
			break;
		case 'p':
			serial_puts("0x");
			put_num((uintptr_t)va_arg(ap, void *), 16, 0, '0', false);
			break;
		case '%':
			serial_putc('%');
			break;
		default:
			serial_putc('?');
			break;
		}
	}
}

void gprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vgprintf(fmt, ap);
	va_end(ap);
}

bool check(bool cond, const char *fmt, ...)
{
	va_list ap;

	serial_puts(cond ? "  ok   " : "  FAIL ");
	va_start(ap, fmt);
	vgprintf(fmt, ap);
	va_end(ap);
	serial_puts("\n");
	if (!cond)
		guest_failures++;
	return cond;
}

void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

void guest_exit(uint8_t v)
{
	outb(DEBUG_EXIT_PORT, v);
	/* Still here: no debug-exit device. Say so; the harness's --timeout ends us. */
	serial_puts("guest: debug-exit port 0xf4 did not stop the VM; halting\n");
	halt_forever();
}

void guest_finish(const char *name)
{
	if (guest_failures)
		gprintf("%s: FAIL (%u checks failed)\n", name, guest_failures);
	else
		gprintf("%s: PASS\n", name);
	guest_exit(guest_failures ? EXIT_FAIL : EXIT_PASS);
}

void i8042_reset(void)
{
	/* i8042 command 0xfe pulses the CPU reset line. Wait for the input buffer first (bounded). */
	for (unsigned i = 0; i < 10000 && (inb(0x64) & 0x02); i++)
		;
	outb(0x64, 0xfe);
	serial_puts("guest: i8042 reset did not reset the VM\n");
	guest_exit(EXIT_FAIL);
}
