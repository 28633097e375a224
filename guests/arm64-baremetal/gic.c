/*
 * The GICv2 as the guest programs it (ARM IHI 0048B): SGIs to self with the source CPU in IAR,
 * priority order of pending SPIs, the priority mask, enable and pending bits, and preemption: a
 * higher-priority interrupt nests inside a lower one's handler, an equal one waits for its EOI.
 * SPIs 40-44 have no device behind them; ISPENDR makes them pending.
 */
#include "rt.h"

#define GICD_CTLR       (GICD_BASE + 0x000)
#define GICD_TYPER      (GICD_BASE + 0x004)
#define GICD_ISENABLER  (GICD_BASE + 0x100)
#define GICD_ICENABLER  (GICD_BASE + 0x180)
#define GICD_ISPENDR    (GICD_BASE + 0x200)
#define GICD_ICPENDR    (GICD_BASE + 0x280)
#define GICD_IPRIORITYR (GICD_BASE + 0x400)
#define GICD_SGIR       (GICD_BASE + 0xf00)
#define GICC_CTLR       (GICC_BASE + 0x00)
#define GICC_PMR        (GICC_BASE + 0x04)
#define GICC_IAR        (GICC_BASE + 0x0c)
#define GICC_EOIR       (GICC_BASE + 0x10)
#define GICC_RPR        (GICC_BASE + 0x14)
#define GICC_HPPIR      (GICC_BASE + 0x18)

#define irq_enable()  __asm__ volatile("msr daifclr, #2" ::: "memory")
#define irq_disable() __asm__ volatile("msr daifset, #2" ::: "memory")

static void set_bit_reg(uintptr_t base, unsigned irq)
{
	mmio_write32(base + irq / 32 * 4, 1u << (irq % 32));
}

static bool bit_set(uintptr_t base, unsigned irq)
{
	return mmio_read32(base + irq / 32 * 4) & (1u << (irq % 32));
}

static void prio(unsigned irq, uint8_t p)
{
	*(volatile uint8_t *)(GICD_IPRIORITYR + irq) = p;
}

static volatile uint32_t order[8];
static volatile unsigned nr_order;

static void log_irq(uint32_t v)
{
	if (nr_order < 8)
		order[nr_order++] = v;
}

/*
 * An interrupt is taken "in finite time" after it becomes pending (ARM ARM D1.13.4); wait for it
 * with a generous bound rather than assume the next instruction.
 */
static void wait_events(unsigned n)
{
	for (volatile unsigned long i = 0; i < 10 && nr_order < n; i++)
		;
}

static void on_irq(struct rt_frame *f)
{
	uint32_t iar = mmio_read32(GICC_IAR), id = iar & 0x3ff;
	(void)f;
	if (id == 1023)
		return;
	log_irq(iar);
	if (id == 40) {
		/* nest: a higher priority SPI preempts, an equal one must wait */
		set_bit_reg(GICD_ISPENDR, 42);
		set_bit_reg(GICD_ISPENDR, 41);
		irq_enable();
		wait_events(2);
		irq_disable();
		log_irq(0x1000 | id);
	}
	mmio_write32(GICC_EOIR, iar);
}

int main(void)
{
	CHECK_EQ(mmio_read32(GICD_TYPER) & 0xff, 8, "GICD_TYPER: 288 interrupt IDs, one CPU");
	mmio_write32(GICD_CTLR, 1);
	mmio_write32(GICC_PMR, 0xff);
	mmio_write32(GICC_CTLR, 1);
	prio(1, 0x80);
	prio(40, 0xa0);
	prio(41, 0x40);
	prio(42, 0xa0);
	prio(43, 0x60);
	prio(44, 0x60);
	for (unsigned irq = 40; irq <= 43; irq++)
		set_bit_reg(GICD_ISENABLER, irq);
	CHECK_EQ(bit_set(GICD_ISENABLER, 41), 1, "ISENABLER reads back the enable bit");

	/* polled, IRQs masked: priority order and the running priority */
	set_bit_reg(GICD_ISPENDR, 40);
	set_bit_reg(GICD_ISPENDR, 41);
	CHECK_EQ(mmio_read32(GICC_HPPIR), 41, "HPPIR: the higher-priority SPI");
	uint32_t a = mmio_read32(GICC_IAR);
	CHECK_EQ(a, 41, "IAR: the higher-priority SPI first");
	CHECK_EQ(mmio_read32(GICC_RPR), 0x40, "RPR: its priority while active");
	CHECK_EQ(mmio_read32(GICC_IAR), 1023, "IAR: the lower one cannot preempt");
	mmio_write32(GICC_EOIR, a);
	CHECK_EQ(mmio_read32(GICC_RPR), 0xff, "RPR: idle after EOI");
	a = mmio_read32(GICC_IAR);
	CHECK_EQ(a, 40, "IAR: then the lower-priority SPI");
	mmio_write32(GICC_EOIR, a);

	/* priority mask, disabled and cleared interrupts */
	mmio_write32(GICC_PMR, 0x50);
	set_bit_reg(GICD_ISPENDR, 43);
	CHECK_EQ(mmio_read32(GICC_IAR), 1023, "PMR 0x50 masks priority 0x60");
	mmio_write32(GICC_PMR, 0xff);
	set_bit_reg(GICD_ICPENDR, 43);
	CHECK_EQ(bit_set(GICD_ISPENDR, 43), 0, "ICPENDR clears the pending bit");
	CHECK_EQ(mmio_read32(GICC_IAR), 1023, "nothing pending after ICPENDR");
	set_bit_reg(GICD_ISPENDR, 44);
	CHECK_EQ(mmio_read32(GICC_IAR), 1023, "a pending but disabled SPI is not delivered");
	set_bit_reg(GICD_ISENABLER, 44);
	a = mmio_read32(GICC_IAR);
	CHECK_EQ(a, 44, "enabling it delivers it");
	mmio_write32(GICC_EOIR, a);

	/* taken as IRQ exceptions */
	rt_irq_hook = on_irq;
	set_bit_reg(GICD_ISENABLER, 1);
	irq_enable();
	mmio_write32(GICD_SGIR, (2u << 24) | 1); /* SGI 1 to this CPU */
	wait_events(1);
	irq_disable();
	CHECK_EQ(nr_order, 1, "SGI to self taken");
	CHECK_EQ(order[0], 1, "IAR for the SGI: ID 1 from CPU 0");

	nr_order = 0;
	set_bit_reg(GICD_ISPENDR, 40);
	irq_enable();
	wait_events(4);
	irq_disable();
	CHECK_EQ(nr_order, 4, "four handler events");
	CHECK_EQ(order[0], 40, "SPI 40 taken");
	CHECK_EQ(order[1], 41, "SPI 41 (higher priority) preempts its handler");
	CHECK_EQ(order[2], 0x1000 | 40, "SPI 40's handler finishes");
	CHECK_EQ(order[3], 42, "SPI 42 (same priority) waited for the EOI");
	return 0;
}
