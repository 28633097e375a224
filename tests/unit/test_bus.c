/* The device bus: registration rules, lookup, dispatch with relative offsets, unmapped accesses. */
#include <errno.h>
#include <string.h>

#include "tests/unit/unit.h"
#include "vmm/bus.h"

struct fake_dev {
	uint64_t last_off;
	unsigned last_len;
	uint32_t value;
	int writes;
};

static void fake_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct fake_dev *d = opaque;
	d->last_off = off;
	d->last_len = len;
	memcpy(data, &d->value, len > 4 ? 4 : len);
}

static void fake_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	struct fake_dev *d = opaque;
	d->last_off = off;
	d->last_len = len;
	d->value = 0;
	memcpy(&d->value, data, len > 4 ? 4 : len);
	d->writes++;
}

static const struct bus_ops fake_ops = { .name = "fake", .read = fake_read, .write = fake_write };

UNIT_SUITE(bus);

UNIT_TEST(bus, register_rejects_zero_length_and_overflow)
{
	struct bus b;
	bus_init(&b, "mmio", 0);
	CU_ASSERT_EQUAL(bus_register(&b, 0x1000, 0, &fake_ops, NULL), -EINVAL);
	CU_ASSERT_EQUAL(bus_register(&b, UINT64_MAX - 3, 8, &fake_ops, NULL), -EINVAL);
	CU_ASSERT_EQUAL(bus_register(&b, UINT64_MAX - 7, 8, &fake_ops, NULL), 0); /* ends exactly at the top */
	CU_ASSERT_EQUAL(bus_register(&b, 0x1000, 8, NULL, NULL), -EINVAL);
	bus_free(&b);
}

UNIT_TEST(bus, register_rejects_overlap_on_either_side)
{
	struct bus b;
	bus_init(&b, "mmio", 0);
	CU_ASSERT_EQUAL(bus_register(&b, 0x1000, 0x100, &fake_ops, NULL), 0);
	CU_ASSERT_EQUAL(bus_register(&b, 0x10ff, 1, &fake_ops, NULL), -EBUSY);
	CU_ASSERT_EQUAL(bus_register(&b, 0x0f00, 0x101, &fake_ops, NULL), -EBUSY);
	CU_ASSERT_EQUAL(bus_register(&b, 0x0000, 0x10000, &fake_ops, NULL), -EBUSY);
	CU_ASSERT_EQUAL(bus_register(&b, 0x0f00, 0x100, &fake_ops, NULL), 0); /* adjacent below */
	CU_ASSERT_EQUAL(bus_register(&b, 0x1100, 0x100, &fake_ops, NULL), 0); /* adjacent above */
	CU_ASSERT_EQUAL(b.nr, 3);
	bus_free(&b);
}

UNIT_TEST(bus, dispatch_passes_offset_relative_to_base)
{
	struct bus b;
	struct fake_dev d1 = { .value = 0x11223344 }, d2 = { .value = 0x55 };
	bus_init(&b, "pio", 0xff);
	/* Registered out of order: lookup must still find both. */
	CU_ASSERT_EQUAL(bus_register(&b, 0x3f8, 8, &fake_ops, &d1), 0);
	CU_ASSERT_EQUAL(bus_register(&b, 0x70, 2, &fake_ops, &d2), 0);
	uint32_t v = 0;
	CU_ASSERT_TRUE(bus_read(&b, 0x3fd, &v, 1));
	CU_ASSERT_EQUAL(d1.last_off, 5);
	CU_ASSERT_EQUAL(v, 0x44);
	uint8_t w = 0x8f;
	CU_ASSERT_TRUE(bus_write(&b, 0x71, &w, 1));
	CU_ASSERT_EQUAL(d2.last_off, 1);
	CU_ASSERT_EQUAL(d2.value, 0x8f);
	bus_free(&b);
}

UNIT_TEST(bus, unmapped_reads_fill_and_writes_are_dropped)
{
	struct bus b;
	struct fake_dev d = { .value = 1 };
	bus_init(&b, "pio", 0xff);
	CU_ASSERT_EQUAL(bus_register(&b, 0x60, 1, &fake_ops, &d), 0);
	uint32_t v = 0;
	CU_ASSERT_FALSE(bus_read(&b, 0x61, &v, 4));
	CU_ASSERT_EQUAL(v, 0xffffffff);
	CU_ASSERT_FALSE(bus_write(&b, 0x1234, &v, 2));
	/* An access straddling the end of a device does not reach it. */
	CU_ASSERT_FALSE(bus_read(&b, 0x60, &v, 2));
	CU_ASSERT_EQUAL(d.writes, 0);
	bus_free(&b);

	bus_init(&b, "mmio", 0);
	uint64_t q = 1;
	CU_ASSERT_FALSE(bus_read(&b, 0xfee00000, &q, 8));
	CU_ASSERT_EQUAL(q, 0);
	bus_free(&b);
}

UNIT_TEST(bus, lookup_scales_to_many_devices)
{
	struct bus b;
	static struct fake_dev devs[200];
	bus_init(&b, "mmio", 0);
	for (int i = 199; i >= 0; i--)
		CU_ASSERT_EQUAL(bus_register(&b, 0xa000000 + (uint64_t)i * 0x200, 0x200, &fake_ops, &devs[i]), 0);
	for (int i = 0; i < 200; i++) {
		const struct bus_range *r = bus_find(&b, 0xa000000 + (uint64_t)i * 0x200 + 0x1ff);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		CU_ASSERT_PTR_EQUAL(r->opaque, &devs[i]);
	}
	CU_ASSERT_PTR_NULL(bus_find(&b, 0xa000000 + 200 * 0x200));
	CU_ASSERT_PTR_NULL(bus_find(&b, 0x9ffffff));
	bus_free(&b);
}

struct irq_rec {
	unsigned irq;
	int level;
};

static void rec_set(void *opaque, unsigned irq, int level)
{
	struct irq_rec *r = opaque;
	r->irq = irq;
	r->level = level;
}

UNIT_TEST(bus, irq_line_reaches_the_installed_chip)
{
	struct irq_rec rec = { 0, -1 };
	struct irq_chip chip = { .set_level = rec_set, .opaque = &rec };
	struct irq_line l = { .chip = &chip, .irq = 4 };
	irq_set(&l, 1);
	CU_ASSERT_EQUAL(rec.irq, 4);
	CU_ASSERT_EQUAL(rec.level, 1);
	irq_pulse(&l);
	CU_ASSERT_EQUAL(rec.level, 0);
	struct irq_line none = { 0 };
	irq_set(&none, 1); /* no chip installed: harmless */
}

UNIT_TEST(bus, unmapped_logging_keeps_state_per_bus)
{
	struct bus b;
	uint8_t v;
	bus_init(&b, "pio", 0xff);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.log);
	/* The same address twice, then more distinct addresses than are named: nothing breaks. */
	for (int round = 0; round < 2; round++)
		for (unsigned a = 0; a < BUS_LOGGED_MAX + 8; a++)
			CU_ASSERT_FALSE(bus_read(&b, 0x100 + a, &v, 1));
	CU_ASSERT_EQUAL(v, 0xff);
	bus_free(&b);
}
