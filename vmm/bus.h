/*
 * The device bus: one PIO space and one MMIO space per machine. Devices register a range once
 * (base, length, ops, opaque) before the vCPUs start; lookups afterwards are lock-free (the table
 * is immutable) and a binary search. Offsets passed to devices are relative to their base.
 * Devices never see KVM or the interpreter: both engines dispatch exits/accesses through here.
 *
 * A device is called from vCPU threads and from the event loop; it protects its own state.
 */
#ifndef MINIVMM_BUS_H
#define MINIVMM_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct bus_ops {
	const char *name;
	/* len is 1, 2, 4 or 8; data is little-endian guest data of that length. */
	void (*read)(void *opaque, uint64_t offset, void *data, unsigned len);
	void (*write)(void *opaque, uint64_t offset, const void *data, unsigned len);
};

struct bus_range {
	uint64_t base, len;
	const struct bus_ops *ops;
	void *opaque;
};

#define BUS_LOGGED_MAX 32

struct bus {
	const char *name;          /* "pio" or "mmio", for log lines */
	uint8_t unmapped_fill;     /* what reads of unmapped addresses return: 0xff for PIO, 0 MMIO */
	struct bus_range *ranges;  /* sorted by base, non-overlapping */
	unsigned nr, cap;
	struct bus_log *log;       /* unmapped addresses already logged (written on the slow path) */
};

void bus_init(struct bus *b, const char *name, uint8_t unmapped_fill);
void bus_free(struct bus *b);

/* Returns 0, or -EINVAL for a zero-length/overflowing range, -EBUSY for an overlap. */
int bus_register(struct bus *b, uint64_t base, uint64_t len, const struct bus_ops *ops, void *opaque);

/* Find the range holding addr, or NULL. */
const struct bus_range *bus_find(const struct bus *b, uint64_t addr);

/*
 * Dispatch an access. An access to an unmapped address (or one that straddles the end of a device)
 * reads as unmapped_fill bytes, drops writes, logs once per address (rate-limited) and returns false.
 */
bool bus_read(const struct bus *b, uint64_t addr, void *data, unsigned len);
bool bus_write(const struct bus *b, uint64_t addr, const void *data, unsigned len);

/*
 * Interrupt lines. A device holds an irq_line handed to it by the board; raising or lowering it
 * goes to whatever interrupt controller the engine/board installed (KVM's in-kernel IOAPIC/PIC on
 * x86, the interpreter's GIC on arm64). level: 1 asserted, 0 deasserted.
 */
struct irq_chip {
	void (*set_level)(void *opaque, unsigned irq, int level);
	void *opaque;
};

struct irq_line {
	const struct irq_chip *chip;
	unsigned irq;
};

static inline void irq_set(const struct irq_line *l, int level)
{
	if (l && l->chip && l->chip->set_level)
		l->chip->set_level(l->chip->opaque, l->irq, level);
}

/* Edge-triggered users (e.g. PIT-style) pulse: assert then deassert. */
static inline void irq_pulse(const struct irq_line *l)
{
	irq_set(l, 1);
	irq_set(l, 0);
}

#endif
