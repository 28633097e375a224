/*
 * pio-loop: the cost of an exit round trip. N one-byte writes to an unused port, each a full
 * exit to the VMM and back, timed with rdtsc; then the same with 32-bit writes to unmapped MMIO
 * (KVM decodes the instruction before it exits: virtio-mmio pays this). Prints "start" and "done"
 * lines per phase so a harness can also time each loop by wall clock (bench/x86-boot.sh).
 */
#include "rt.h"

#define PIO_LOOP_PORT 0x2e0       /* decoded by no device (see bus.c) */
#define MMIO_LOOP_ADDR 0xc8000000 /* nothing mapped there (see bus.c) */
#define PIO_LOOP_N 100000
#define MMIO_LOOP_N 20000

static void report(const char *what, unsigned n, uint64_t cycles)
{
	uint64_t per = cycles;

	udivmod64(&per, n);
	gprintf("%s: done n=%u tsc_cycles=%llu cycles_per_exit=%llu\n", what, n,
		(unsigned long long)cycles, (unsigned long long)per);
}

void guest_main(struct hvm_start_info *si)
{
	serial_init();
	gprintf("pio-loop: start n=%u port=0x%x\n", PIO_LOOP_N, PIO_LOOP_PORT);
	uint64_t t0 = rdtsc();
	for (unsigned i = 0; i < PIO_LOOP_N; i++)
		outb(PIO_LOOP_PORT, (uint8_t)i);
	report("pio-loop", PIO_LOOP_N, rdtsc() - t0);

	gprintf("mmio-loop: start n=%u addr=0x%x\n", MMIO_LOOP_N, MMIO_LOOP_ADDR);
	t0 = rdtsc();
	for (unsigned i = 0; i < MMIO_LOOP_N; i++)
		mmio_write32(MMIO_LOOP_ADDR, i);
	report("mmio-loop", MMIO_LOOP_N, rdtsc() - t0);
	guest_exit(EXIT_PASS);
}
