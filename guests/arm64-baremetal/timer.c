/*
 * The EL1 virtual timer (PPI 27) through the GICv2: ten ticks at 100 Hz, each acknowledged with
 * GICC_IAR and completed with GICC_EOIR, taken while the CPU sleeps in WFI; then the timer's
 * IMASK keeps the interrupt from the GIC.
 */
#include "rt.h"

#define GICD_CTLR       (GICD_BASE + 0x000)
#define GICD_ISENABLER0 (GICD_BASE + 0x100)
#define GICD_ISPENDR0   (GICD_BASE + 0x200)
#define GICD_IPRIORITYR (GICD_BASE + 0x400)
#define GICC_CTLR       (GICC_BASE + 0x00)
#define GICC_PMR        (GICC_BASE + 0x04)
#define GICC_IAR        (GICC_BASE + 0x0c)
#define GICC_EOIR       (GICC_BASE + 0x10)
#define VTIMER_IRQ      27
#define PTIMER_IRQ      30
#define TICKS           10

static volatile int ticks, wrong_irqs, pticks;
static volatile uint64_t ctl_in_irq;
static uint64_t interval;

static void on_irq(struct rt_frame *f)
{
	uint32_t iar = mmio_read32(GICC_IAR);
	(void)f;
	if ((iar & 0x3ff) == 1023)
		return; /* spurious */
	if ((iar & 0x3ff) == PTIMER_IRQ) {
		pticks++;
		write_sysreg(cntp_ctl_el0, 0);
		isb();
	} else if ((iar & 0x3ff) != VTIMER_IRQ) {
		wrong_irqs++;
	} else {
		ctl_in_irq = read_sysreg(cntv_ctl_el0);
		if (++ticks < TICKS)
			write_sysreg(cntv_tval_el0, interval);
		else
			write_sysreg(cntv_ctl_el0, 0);
		isb();
	}
	mmio_write32(GICC_EOIR, iar);
}

int main(void)
{
	uint64_t freq = read_sysreg(cntfrq_el0);
	rt_check(freq >= 1000000, "CNTFRQ_EL0 is set (at least 1 MHz)");
	interval = freq / 100;

	mmio_write32(GICD_CTLR, 1);
	*(volatile uint8_t *)(GICD_IPRIORITYR + VTIMER_IRQ) = 0x80;
	mmio_write32(GICD_ISENABLER0, 1u << VTIMER_IRQ);
	mmio_write32(GICC_PMR, 0xf0);
	mmio_write32(GICC_CTLR, 1);
	rt_irq_hook = on_irq;

	uint64_t t0 = read_sysreg(cntvct_el0);
	write_sysreg(cntv_tval_el0, interval);
	write_sysreg(cntv_ctl_el0, 1);
	isb();
	__asm__ volatile("msr daifclr, #2" ::: "memory");
	while (ticks < TICKS)
		__asm__ volatile("wfi" ::: "memory");
	__asm__ volatile("msr daifset, #2" ::: "memory");
	uint64_t elapsed = read_sysreg(cntvct_el0) - t0;

	CHECK_EQ(ticks, TICKS, "ten virtual timer interrupts");
	CHECK_EQ(wrong_irqs, 0, "no other interrupt IDs");
	CHECK_EQ(ctl_in_irq, 5, "CNTV_CTL in the handler: ENABLE and ISTATUS");
	rt_check(elapsed >= TICKS * interval, "the ticks took at least 100 ms of counter time");
	CHECK_EQ(mmio_read32(GICD_ISPENDR0) & (1u << VTIMER_IRQ), 0, "timer off: PPI 27 not pending");

	/* Fired but masked: ISTATUS set, the GIC sees nothing (ARM ARM D11.2.4). */
	write_sysreg(cntv_tval_el0, 0);
	write_sysreg(cntv_ctl_el0, 3);
	isb();
	CHECK_EQ(read_sysreg(cntv_ctl_el0), 7, "masked timer: ISTATUS set");
	CHECK_EQ(mmio_read32(GICD_ISPENDR0) & (1u << VTIMER_IRQ), 0, "masked timer: PPI 27 not pending");
	write_sysreg(cntv_ctl_el0, 1);
	isb();
	CHECK_EQ(mmio_read32(GICD_ISPENDR0) & (1u << VTIMER_IRQ), 1u << VTIMER_IRQ,
		 "unmasked timer: PPI 27 pending at the GIC");
	write_sysreg(cntv_ctl_el0, 0);
	isb();

	/* The EL1 physical timer is wired to PPI 30. */
	*(volatile uint8_t *)(GICD_IPRIORITYR + PTIMER_IRQ) = 0x80;
	mmio_write32(GICD_ISENABLER0, 1u << PTIMER_IRQ);
	write_sysreg(cntp_tval_el0, interval);
	write_sysreg(cntp_ctl_el0, 1);
	isb();
	__asm__ volatile("msr daifclr, #2" ::: "memory");
	while (pticks < 1)
		__asm__ volatile("wfi" ::: "memory");
	__asm__ volatile("msr daifset, #2" ::: "memory");
	CHECK_EQ(pticks, 1, "physical timer interrupt on PPI 30");
	CHECK_EQ(wrong_irqs, 0, "no other interrupt IDs");
	return 0;
}
