/* Bare-metal guest runtime: PL011 output, printf, checks, PSCI, exception dispatch. */
#include "rt.h"

bool (*rt_sync_hook)(struct rt_frame *f, uint64_t esr, uint64_t far);
void (*rt_irq_hook)(struct rt_frame *f);
int rt_failures;

void *memset(void *s, int c, size_t n)
{
	unsigned char *p = s;
	while (n--)
		*p++ = (unsigned char)c;
	return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;
	while (n--)
		*dp++ = *sp++;
	return d;
}

void rt_putc(char c)
{
	static bool up;
	if (!up) {
		mmio_write32(UART_BASE + 0x30, 0x301); /* UARTCR: UARTEN | TXE | RXE */
		up = true;
	}
	if (c == '\n')
		rt_putc('\r');
	while (mmio_read32(UART_BASE + 0x18) & (1u << 5)) /* UARTFR.TXFF */
		;
	mmio_write8(UART_BASE, (uint8_t)c);
}

void rt_puts(const char *s)
{
	while (*s)
		rt_putc(*s++);
}

static void put_num(unsigned long long v, unsigned base, int width, bool neg)
{
	char buf[24];
	int n = 0;
	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		buf[n++] = '-';
	while (n < width)
		buf[n++] = '0';
	while (n)
		rt_putc(buf[--n]);
}

static void rt_vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			rt_putc(*fmt);
			continue;
		}
		int width = 0, longs = 0;
		fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			longs++, fmt++;
		unsigned long long u;
		long long s;
		switch (*fmt) {
		case 'd':
			s = longs ? va_arg(ap, long long) : va_arg(ap, int);
			put_num(s < 0 ? (unsigned long long)-s : (unsigned long long)s, 10, width, s < 0);
			break;
		case 'u':
		case 'x':
			u = longs ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
			put_num(u, *fmt == 'x' ? 16 : 10, width, false);
			break;
		case 's':
			rt_puts(va_arg(ap, const char *));
			break;
		case 'c':
			rt_putc((char)va_arg(ap, int));
			break;
		default:
			rt_putc(*fmt);
			break;
		}
	}
}

void rt_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rt_vprintf(fmt, ap);
	va_end(ap);
}

void rt_check(bool cond, const char *fmt, ...)
{
	va_list ap;
	rt_puts(cond ? "ok - " : "FAIL - ");
	va_start(ap, fmt);
	rt_vprintf(fmt, ap);
	va_end(ap);
	rt_putc('\n');
	if (!cond)
		rt_failures++;
}

int64_t rt_psci(uint32_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;
	__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
	return (int64_t)x0;
}

void rt_exit(void)
{
	if (rt_failures)
		rt_printf("RESULT: FAIL %d\n", rt_failures);
	else
		rt_puts("RESULT: PASS\n");
	rt_psci(PSCI_SYSTEM_OFF, 0, 0, 0);
	rt_puts("FAIL - PSCI SYSTEM_OFF returned\n");
	for (;;)
		__asm__ volatile("wfi");
}

static const char *const vector_names[16] = {
	"sync/SP0", "irq/SP0", "fiq/SP0", "serror/SP0", "sync", "irq", "fiq", "serror",
	"sync/lower64", "irq/lower64", "fiq/lower64", "serror/lower64",
	"sync/lower32", "irq/lower32", "fiq/lower32", "serror/lower32",
};

/* Called by the vectors in rt_start.S with the saved frame. */
void rt_exception(struct rt_frame *f, uint64_t idx)
{
	uint64_t esr = read_sysreg(esr_el1), far = read_sysreg(far_el1);
	if (idx == 4 && rt_sync_hook && rt_sync_hook(f, esr, far))
		return;
	if (idx == 5 && rt_irq_hook) {
		rt_irq_hook(f);
		return;
	}
	rt_printf("FAIL - unexpected exception %s: ESR 0x%lx ELR 0x%lx FAR 0x%lx\n",
		  vector_names[idx & 15], (unsigned long)esr, (unsigned long)f->elr, (unsigned long)far);
	rt_failures++;
	rt_exit();
}
