/*
 * uart-rx: input from the VMM's console into the 16550A. First polled: read a line through
 * LSR.DR/RBR (a line longer than the 16-byte FIFO, so the VMM must hold back what does not fit
 * rather than drop it). Then interrupt-driven, the way Linux's 8250 driver runs: IER.ERBFI, COM1's
 * IRQ 4 routed through the IOAPIC (pin 4, MP table) to a vector, hlt until it arrives, drain RBR
 * in the handler, EOI; the RTC's periodic interrupt (IRQ 8) bounds the wait. Prints each line it
 * got (the first 127 bytes, and the count); the harness feeds them on stdin.
 */
#include "irq32.h"

#define UART_IRQ 4
#define UART_VECTOR 0x34
#define RTC_IRQ 8
#define RTC_VECTOR 0x38

static char irq_line[128];
static volatile unsigned irq_len, irq_count, rtc_count;
static volatile bool irq_line_done;

static void uart_irq(unsigned vector)
{
	irq_count++;
	while (inb(COM1 + 5) & 0x01) {             /* LSR.DR: drain everything that arrived */
		char c = (char)inb(COM1);
		if (c == '\n')
			irq_line_done = true;
		else if (c != '\r' && irq_len < sizeof(irq_line) - 1)
			irq_line[irq_len++] = c;
	}
	irq_eoi();
}

/* The RTC's 2 Hz periodic interrupt bounds the wait; reading register C acknowledges it. */
static void rtc_irq(unsigned vector)
{
	rtc_count++;
	outb(0x70, 0x0c);
	(void)inb(0x71);
	irq_eoi();
}

/* Read one line by polling, bounded by RTC seconds (at most ~20 s without input). */
static unsigned read_line_polled(char *buf, unsigned max, unsigned *total)
{
	unsigned n = 0, changes = 0;

	*total = 0;

	outb(0x70, 0x00);
	uint8_t sec = inb(0x71);
	for (unsigned i = 0; changes < 20; i++) {
		if (inb(COM1 + 5) & 0x01) {
			char c = (char)inb(COM1);
			if (c == '\n')
				break;
			if (c != '\r' && n < max - 1)
				buf[n++] = c;
			if (c != '\r')
				(*total)++;
			continue;
		}
		if ((i & 0xff) == 0) {
			outb(0x70, 0x00);
			uint8_t s = inb(0x71);
			if (s != sec)
				changes++, sec = s;
		}
	}
	buf[n] = 0;
	return n;
}

void guest_main(struct hvm_start_info *si)
{
	static char line[128];

	serial_init();
	while (inb(COM1 + 5) & 0x01)                  /* nothing from before we were ready */
		(void)inb(COM1);
	gprintf("uart-rx: ready for a polled line\n");
	unsigned total, n = read_line_polled(line, sizeof(line), &total);
	gprintf("uart-rx: polled line (%u bytes) '%s'\n", total, n ? line : "");

	/* IRQ 4 -> IOAPIC pin 4 -> vector 0x34, IRQ 8 -> pin 8 -> 0x38 (identity, as the MP table). */
	irq_init();
	irq_set_handler(UART_VECTOR, uart_irq);
	irq_set_handler(RTC_VECTOR, rtc_irq);
	irq_route(UART_IRQ, UART_VECTOR);
	irq_route(RTC_IRQ, RTC_VECTOR);
	outb(0x70, 0x0a);                             /* RTC: 2 Hz periodic interrupt */
	uint8_t rtc_a = inb(0x71);
	outb(0x70, 0x0a);
	outb(0x71, (rtc_a & 0xf0) | 0x0f);
	outb(0x70, 0x0b);
	uint8_t rtc_b = inb(0x71);
	outb(0x70, 0x0b);
	outb(0x71, rtc_b | 0x40);
	outb(0x70, 0x0c);
	(void)inb(0x71);
	/* One RTC tick first (if it never comes, the harness's timeout ends us: the wait is hlt). */
	gprintf("uart-rx: waiting for the RTC's periodic interrupt\n");
	while (!rtc_count)
		wait_irq();
	outb(COM1 + 4, 0x0b);                         /* MCR: DTR, RTS, OUT2 (IRQ enable on a PC) */
	outb(COM1 + 1, 0x01);                         /* IER: received data available */
	gprintf("uart-rx: ready for an interrupt-driven line\n");

	/* Sleep until the UART handler saw a newline, at most 40 RTC ticks (20 s). */
	while (!irq_line_done && rtc_count < 40)
		wait_irq();
	outb(0x70, 0x0b);
	outb(0x71, rtc_b);
	outb(COM1 + 1, 0x00);
	irq_line[irq_len] = 0;
	gprintf("uart-rx: interrupt-driven line (%u bytes, %s) '%s'\n", irq_len,
		irq_count ? "interrupts seen" : "no interrupt", irq_line);
	check(irq_count > 0, "IRQ 4 (UART) delivered through the IOAPIC (%u interrupts)", irq_count);
	check(rtc_count > 0, "IRQ 8 (RTC periodic) delivered through the IOAPIC (%u interrupts)",
	      rtc_count);
	check(irq_line_done, "a whole line arrived by interrupt");
	guest_finish("uart-rx");
}
