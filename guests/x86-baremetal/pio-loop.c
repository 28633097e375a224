/*
 * pio-loop: the cost of a PIO exit round trip. N one-byte writes to an unused port, each a full
 * exit to the VMM and back, timed with rdtsc. Prints "pio-loop: start" and "pio-loop: done" lines
 * so a harness can also time the loop by wall clock from the serial stream (bench/x86-boot.sh).
 */
#include "rt.h"

#define PIO_LOOP_PORT 0x2e0 /* decoded by no device (see bus.c) */
#define PIO_LOOP_N 100000

void guest_main(struct hvm_start_info *si)
{
	serial_init();
	gprintf("pio-loop: start n=%u port=0x%x\n", PIO_LOOP_N, PIO_LOOP_PORT);
	uint64_t t0 = rdtsc();
	for (unsigned i = 0; i < PIO_LOOP_N; i++)
		outb(PIO_LOOP_PORT, (uint8_t)i);
	uint64_t cycles = rdtsc() - t0, per = cycles;

	udivmod64(&per, PIO_LOOP_N);
	gprintf("pio-loop: done n=%u tsc_cycles=%llu cycles_per_exit=%llu\n", PIO_LOOP_N,
		(unsigned long long)cycles, (unsigned long long)per);
	guest_exit(EXIT_PASS);
}
