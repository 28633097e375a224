/* The x86 board's own ports (see ports.h). */
#include "arch/x86/ports.h"

#include <errno.h>
#include <string.h>

#include "vmm/util.h"

static uint32_t le_value(const void *data, unsigned len)
{
	uint32_t v = 0;
	memcpy(&v, data, MIN(len, 4u)); /* x86 hosts are little-endian, as is guest data */
	return v;
}

/* isa-debug-exit: a write of v ends minivmm with status (v << 1) | 1, as QEMU's device does. */
static void debug_exit_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	memset(data, 0, len); /* QEMU's device reads as 0 */
}

static void debug_exit_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	uint32_t v = le_value(data, len);
	machine_request_exit(opaque, MEXIT_DEBUG_EXIT, (int)((v << 1) | 1));
}

static const struct bus_ops debug_exit_ops = {
	.name = "debug-exit", .read = debug_exit_read, .write = debug_exit_write,
};

/* POST codes and the classic "io_delay" write: accepted, ignored, never logged. */
static void ignore_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	memset(data, 0xff, len);
}

static void ignore_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
}

static const struct bus_ops post_ops = { .name = "post", .read = ignore_read, .write = ignore_write };

/* Absent legacy hardware: reads all-ones (floating ISA bus), writes dropped, quietly. */
static const struct bus_ops absent_ops = { .name = "absent", .read = ignore_read, .write = ignore_write };

/* Port A: bit 1 A20 (always on here), bit 0 a rising edge resets the machine. */
static void port_a_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	memset(data, 0, len);
	((uint8_t *)data)[0] = 0x02;
}

static void port_a_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	if (le_value(data, len) & 1)
		machine_request_exit(opaque, MEXIT_RESET, 0);
}

static const struct bus_ops port_a_ops = { .name = "port-a", .read = port_a_read, .write = port_a_write };

/*
 * Ranges Linux probes and finds empty on this board: COM2-COM4, the parallel ports, PCI
 * configuration mechanism #1 (no PCI host bridge: 0xcf8 reads back all-ones), the DMA page
 * registers and the second DMA controller, the math coprocessor error port.
 */
static const struct { uint16_t base, len; } absent_ranges[] = {
	{ 0x2e8, 8 }, { 0x2f8, 8 }, { 0x3e8, 8 },  /* COM4, COM2, COM3 */
	{ 0x278, 3 }, { 0x378, 3 }, { 0x3bc, 3 },  /* LPT */
	{ 0xcf8, 8 },                              /* PCI conf1 */
	{ 0x81, 0xf },                             /* DMA page registers (0x80 is POST) */
	{ 0xc0, 0x20 },                            /* DMA controller 2 */
	{ 0xf0, 2 },                               /* FPU error / busy */
};

int x86_ports_register(struct machine *m)
{
	int r = bus_register(&m->pio, X86_DEBUG_EXIT_PORT, 4, &debug_exit_ops, m);
	if (r == 0)
		r = bus_register(&m->pio, X86_POST_PORT, 1, &post_ops, NULL);
	if (r == 0)
		r = bus_register(&m->pio, X86_PORT_A, 1, &port_a_ops, m);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(absent_ranges); i++)
		r = bus_register(&m->pio, absent_ranges[i].base, absent_ranges[i].len, &absent_ops, NULL);
	if (r < 0)
		log_error("x86 board: cannot register its ports: %s", strerror(-r));
	return r;
}
