/*
 * timer: the two clocks Linux needs. The i8254 PIT (in KVM's kernel): channel 0 as a 100 Hz rate
 * generator, its counter latched and read back, its IRQ 0 taken at the IOAPIC input the MP table
 * names (an ISA IRQ 0 -> pin 2 override on most PCs, else pin 0). The local APIC timer: periodic,
 * its current count running down, its interrupt arriving. Rates are printed against the RTC's
 * seconds for the harness to report; only "interrupts arrive" is checked.
 */
#include "irq32.h"
#include "mp.h"

#define PIT_HZ 1193182u
#define PIT_RATE 100u
#define PIT_VECTOR 0x30
#define LAPIC_TIMER_VECTOR 0x31
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0
#define LVT_PERIODIC (1u << 17)
#define LVT_MASKED (1u << 16)

static volatile unsigned pit_irqs, lapic_irqs;

static void pit_irq(unsigned vector) { pit_irqs++; irq_eoi(); }
static void lapic_timer_irq(unsigned vector) { lapic_irqs++; irq_eoi(); }

static uint8_t rtc_seconds(void)
{
	outb(0x70, 0x00);
	return inb(0x71);
}

static uint16_t pit_latch_count(void)
{
	outb(0x43, 0x00);                       /* counter latch command, channel 0 */
	uint8_t lo = inb(0x40), hi = inb(0x40);
	return (uint16_t)(lo | hi << 8);
}

/*
 * Sleep through interrupts from the next RTC second boundary to the one after; returns how many
 * *counter ticked in that second (0 if the interrupts stopped: bounded by wake-ups).
 */
static unsigned count_one_second(volatile unsigned *counter)
{
	uint8_t s0 = rtc_seconds();
	unsigned wakeups = 0, start = 0;

	while (rtc_seconds() == s0 && wakeups++ < 100000)
		wait_irq();
	start = *counter;
	uint8_t s1 = rtc_seconds();
	while (rtc_seconds() == s1 && wakeups++ < 100000)
		wait_irq();
	return *counter - start;
}

void guest_main(struct hvm_start_info *si)
{
	serial_init();
	irq_init();

	const uint8_t *mpf = mp_find_floating();
	uint16_t len = 0;
	const uint8_t *cfg = mpf ? mp_config(mpf, &len) : NULL;
	int pin = cfg ? mp_isa_irq_pin(cfg, len, 0) : -1;
	check(cfg != NULL, "MP table found");
	gprintf("timer: MP table routes ISA IRQ 0 to IOAPIC pin %d%s\n", pin < 0 ? 0 : pin,
		pin < 0 ? " (no entry: identity)" : "");
	if (pin < 0)
		pin = 0;

	/* PIT channel 0, mode 2 (rate generator), binary, lobyte/hibyte (8254 datasheet). */
	uint16_t divisor = (uint16_t)(PIT_HZ / PIT_RATE);
	irq_set_handler(PIT_VECTOR, pit_irq);
	irq_route((unsigned)pin, PIT_VECTOR);
	outb(0x43, 0x34);
	outb(0x40, (uint8_t)divisor);
	outb(0x40, (uint8_t)(divisor >> 8));
	/* The counter ticks at 1.19 MHz: a few latches apart it must read differently. */
	uint16_t c1 = pit_latch_count(), c2 = c1;
	for (unsigned i = 0; i < 10000 && c2 == c1; i++)
		c2 = pit_latch_count();
	check(c1 <= divisor && c2 <= divisor, "PIT counter latched within 0..%u", divisor);
	check(c1 != c2, "PIT counter runs");
	unsigned pit = count_one_second(&pit_irqs);
	gprintf("timer: PIT IRQ 0 at %u Hz programmed: %u interrupts in one RTC second\n", PIT_RATE, pit);
	check(pit > 0, "PIT interrupts arrive at IOAPIC pin %d", pin);
	outb(0x43, 0x30);                       /* mode 0, never reloaded: the PIT goes quiet */
	outb(0x40, 0xff);
	outb(0x40, 0xff);
	mmio_write32(IOAPIC_BASE, 0x10 + 2 * (unsigned)pin);
	mmio_write32(IOAPIC_BASE + 0x10, LVT_MASKED); /* mask the pin (bit 16 as in an LVT) */

	/* Local APIC timer, periodic, divide by 16, 1 ms at a 1 GHz bus clock (KVM's). */
	irq_set_handler(LAPIC_TIMER_VECTOR, lapic_timer_irq);
	lapic_write(LAPIC_TIMER_DIV, 0x3);
	lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | LAPIC_TIMER_VECTOR);
	lapic_write(LAPIC_TIMER_INIT, 62500);
	uint32_t t1 = lapic_read(LAPIC_TIMER_CUR), t2 = t1;
	for (unsigned i = 0; i < 10000 && t2 == t1; i++)
		t2 = lapic_read(LAPIC_TIMER_CUR);
	check(t1 <= 62500 && t2 <= 62500, "LAPIC timer current count within the initial count");
	check(t1 != t2, "LAPIC timer current count runs");
	unsigned lapic = count_one_second(&lapic_irqs);
	gprintf("timer: LAPIC timer periodic: %u interrupts in one RTC second\n", lapic);
	check(lapic > 0, "LAPIC timer interrupts arrive");
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	guest_finish("timer");
}
