/*
 * GICv2 model (arch/arm64/gic.c): the state machine of IHI 0048B driven through its registers; and
 * PSCI (arch/arm64/psci.c), the board's other guest-facing interface.
 */
#include "tests/unit/unit.h"

#include "arch/arm64/board.h"

UNIT_SUITE(gic);

#define GICD_CTLR       0x000
#define GICD_TYPER      0x004
#define GICD_IGROUPR    0x080
#define GICD_ISENABLER  0x100
#define GICD_ICENABLER  0x180
#define GICD_ISPENDR    0x200
#define GICD_ICPENDR    0x280
#define GICD_ISACTIVER  0x300
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR  0x800
#define GICD_ICFGR      0xc00
#define GICD_SGIR       0xf00
#define GICD_SPENDSGIR  0xf20
#define GICC_CTLR       0x00
#define GICC_PMR        0x04
#define GICC_IAR        0x0c
#define GICC_EOIR       0x10
#define GICC_RPR        0x14
#define GICC_HPPIR      0x18
#define GICC_AIAR       0x20
#define GICC_DIR        0x1000

static int out_level, out_changes;

static void record_output(void *opaque, int level)
{
	(void)opaque;
	out_level = level;
	out_changes++;
}

/* A GIC as Linux leaves it: distributor and CPU interface on, everything unmasked. */
static struct gic *gic_up(void)
{
	struct gic *g = gic_new(1);
	out_level = -1;
	out_changes = 0;
	gic_connect_cpu(g, 0, record_output, NULL);
	gic_dist_write(g, 0, GICD_CTLR, 1, 4);
	gic_cpu_write(g, 0, GICC_CTLR, 1);
	gic_cpu_write(g, 0, GICC_PMR, 0xf0);
	return g;
}

static void enable(struct gic *g, unsigned irq, uint8_t prio)
{
	gic_dist_write(g, 0, GICD_IPRIORITYR + irq, prio, 1);
	gic_dist_write(g, 0, GICD_ISENABLER + irq / 32 * 4, 1u << (irq % 32), 4);
}

static void set_edge(struct gic *g, unsigned irq)
{
	uint32_t v = gic_dist_read(g, 0, GICD_ICFGR + irq / 16 * 4, 4);
	gic_dist_write(g, 0, GICD_ICFGR + irq / 16 * 4, v | 2u << (irq % 16 * 2), 4);
}

UNIT_TEST(gic, typer_reports_256_spis_and_one_cpu)
{
	struct gic *g = gic_new(1);
	CU_ASSERT_EQUAL(gic_dist_read(g, 0, GICD_TYPER, 4), 8); /* ITLinesNumber 8: 288 IDs, CPUNumber 0 */
	CU_ASSERT_EQUAL(gic_dist_read(g, 0, 0xfe8, 4) >> 4, 2); /* PIDR2 ArchRev: GICv2 */
	CU_ASSERT_EQUAL(gic_dist_read(g, 0, 0xff0, 4), 0x0d);
	/* Uniprocessor: ITARGETSR is RAZ/WI, which Linux accepts on one CPU */
	gic_dist_write(g, 0, GICD_ITARGETSR + 40, 0xff, 1);
	CU_ASSERT_EQUAL(gic_dist_read(g, 0, GICD_ITARGETSR + 40, 1), 0);
	gic_free(g);
	CU_ASSERT_PTR_NULL(gic_new(9));
}

UNIT_TEST(gic, level_spi_stays_pending_while_line_high)
{
	struct gic *g = gic_up();
	enable(g, 33, 0xa0);
	CU_ASSERT_EQUAL(out_level, 0);
	gic_irqchip_set_level(g, 33, 1);
	CU_ASSERT_EQUAL(out_level, 1);
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_HPPIR), 33);
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_IAR), 33);
	CU_ASSERT_EQUAL(out_level, 0); /* active: not signalled again */
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_RPR), 0xa0);
	CU_ASSERT_EQUAL(gic_dist_read(g, 0, GICD_ISACTIVER + 4, 4), 1u << 1);
	/* line still high at EOI: pending again at once */
	gic_cpu_write(g, 0, GICC_EOIR, 33);
	CU_ASSERT_EQUAL(out_level, 1);
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_RPR), 0xff);
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_IAR), 33);
	gic_irqchip_set_level(g, 33, 0);
	gic_cpu_write(g, 0, GICC_EOIR, 33);
	CU_ASSERT_EQUAL(out_level, 0);
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_IAR), GIC_SPURIOUS);
	/* ICPENDR cannot clear a level interrupt whose line is high */
	gic_irqchip_set_level(g, 33, 1);
	gic_dist_write(g, 0, GICD_ICPENDR + 4, 1u << 1, 4);
	CU_ASSERT_EQUAL(gic_dist_read(g, 0, GICD_ISPENDR + 4, 4), 1u << 1);
	gic_free(g);
}

UNIT_TEST(gic, edge_spi_latches_a_pulse_until_acknowledged)
{
	struct gic *g = gic_up();
	enable(g, 40, 0x80);
	set_edge(g, 40);
	gic_irqchip_set_level(g, 40, 1);
	gic_irqchip_set_level(g, 40, 0);
	CU_ASSERT_EQUAL(out_level, 1);
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_IAR), 40);
	/* a second edge while active makes it active and pending */
	gic_irqchip_set_level(g, 40, 1);
	gic_irqchip_set_level(g, 40, 0);
	CU_ASSERT_EQUAL(out_level, 0);
	gic_cpu_write(g, 0, GICC_EOIR, 40);
	CU_ASSERT_EQUAL(out_level, 1);
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_IAR), 40);
	gic_cpu_write(g, 0, GICC_EOIR, 40);
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_IAR), GIC_SPURIOUS);
	/* ICPENDR clears a latched edge */
	gic_irqchip_set_level(g, 40, 1);
	gic_dist_write(g, 0, GICD_ICPENDR + 4, 1u << 8, 4);
	CU_ASSERT_EQUAL(out_level, 0);
	gic_free(g);
}

UNIT_TEST(gic, disabled_or_masked_interrupts_are_not_signalled)
{
	struct gic *g = gic_up();
	gic_irqchip_set_level(g, 34, 1);
	CU_ASSERT_EQUAL(out_level, 0); /* not enabled */
	enable(g, 34, 0xf0);
	CU_ASSERT_EQUAL(out_level, 0); /* priority 0xf0 not below PMR 0xf0 */
	gic_cpu_write(g, 0, GICC_PMR, 0xf8);
	CU_ASSERT_EQUAL(out_level, 1);
	gic_dist_write(g, 0, GICD_ICENABLER + 4, 1u << 2, 4);
	CU_ASSERT_EQUAL(out_level, 0);
	gic_dist_write(g, 0, GICD_ISENABLER + 4, 1u << 2, 4);
	gic_dist_write(g, 0, GICD_CTLR, 0, 4);
	CU_ASSERT_EQUAL(out_level, 0); /* distributor off */
	gic_dist_write(g, 0, GICD_CTLR, 1, 4);
	gic_cpu_write(g, 0, GICC_CTLR, 0);
	CU_ASSERT_EQUAL(out_level, 0); /* CPU interface off */
	gic_free(g);
}

UNIT_TEST(gic, highest_priority_first_and_preemption_by_group_priority)
{
	struct gic *g = gic_up();
	enable(g, 50, 0xa0);
	enable(g, 51, 0x80);
	enable(g, 52, 0xa0);
	gic_irqchip_set_level(g, 50, 1);
	gic_irqchip_set_level(g, 52, 1);
	/* equal priority: lowest ID wins */
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_IAR), 50);
	/* 52 has the running priority: cannot preempt */
	CU_ASSERT_EQUAL(out_level, 0);
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_IAR), GIC_SPURIOUS);
	/* 51 is higher: it preempts, nests, and the drop order restores the running priority */
	gic_irqchip_set_level(g, 51, 1);
	CU_ASSERT_EQUAL(out_level, 1);
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_IAR), 51);
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_RPR), 0x80);
	gic_irqchip_set_level(g, 51, 0);
	gic_cpu_write(g, 0, GICC_EOIR, 51);
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_RPR), 0xa0);
	gic_irqchip_set_level(g, 50, 0);
	gic_cpu_write(g, 0, GICC_EOIR, 50);
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_IAR), 52);
	gic_free(g);
}

UNIT_TEST(gic, priority_and_config_registers_take_byte_accesses)
{
	struct gic *g = gic_new(1);
	gic_dist_write(g, 0, GICD_IPRIORITYR + 33, 0x5a, 1);
	gic_dist_write(g, 0, GICD_IPRIORITYR + 34, 0xa5c3, 2);
	CU_ASSERT_EQUAL(gic_dist_read(g, 0, GICD_IPRIORITYR + 32, 4), 0xa5c35a00u);
	/* SGIs are edge-triggered and read-only; PPIs/SPIs writable */
	CU_ASSERT_EQUAL(gic_dist_read(g, 0, GICD_ICFGR, 4), 0xaaaaaaaau);
	gic_dist_write(g, 0, GICD_ICFGR, 0, 4);
	CU_ASSERT_EQUAL(gic_dist_read(g, 0, GICD_ICFGR, 4), 0xaaaaaaaau);
	gic_free(g);
}

UNIT_TEST(gic, sgi_reports_its_source_cpu_and_is_cleared_by_ack)
{
	struct gic *g = gic_up();
	enable(g, 3, 0x10);
	gic_dist_write(g, 0, GICD_SGIR, (2u << 24) | 3, 4); /* to self */
	CU_ASSERT_EQUAL(out_level, 1);
	CU_ASSERT_EQUAL(gic_dist_read(g, 0, GICD_SPENDSGIR, 4), 0x01000000u); /* SGI 3 from CPU 0 */
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_IAR), 3); /* CPUID field 0 */
	CU_ASSERT_EQUAL(gic_dist_read(g, 0, GICD_SPENDSGIR, 4), 0);
	gic_cpu_write(g, 0, GICC_EOIR, 3);
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_IAR), GIC_SPURIOUS);
	/* ISPENDR does not set SGIs; SPENDSGIR does */
	gic_dist_write(g, 0, GICD_ISPENDR, 1u << 3, 4);
	CU_ASSERT_EQUAL(out_level, 0);
	gic_dist_write(g, 0, GICD_SPENDSGIR, 0x01000000u, 4);
	CU_ASSERT_EQUAL(out_level, 1);
	gic_free(g);
}

UNIT_TEST(gic, smp_sgi_goes_to_the_target_cpu_with_source_id)
{
	struct gic *g = gic_new(2);
	gic_dist_write(g, 0, GICD_CTLR, 1, 4);
	for (unsigned c = 0; c < 2; c++) {
		gic_cpu_write(g, c, GICC_CTLR, 1);
		gic_cpu_write(g, c, GICC_PMR, 0xff);
		gic_dist_write(g, c, GICD_ISENABLER, 0xffff, 4);
	}
	gic_dist_write(g, 0, GICD_SGIR, (1u << 24) | 5, 4); /* all but self */
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_HPPIR), GIC_SPURIOUS);
	CU_ASSERT_EQUAL(gic_cpu_read(g, 1, GICC_IAR), 5); /* source CPU 0 */
	gic_dist_write(g, 1, GICD_SGIR, (1u << 16) | 6, 4); /* CPU 1 -> CPU 0 */
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_IAR), (1u << 10) | 6);
	/* ITARGETSR0..7 read back the reading CPU's own bit */
	CU_ASSERT_EQUAL(gic_dist_read(g, 1, GICD_ITARGETSR, 1), 2);
	gic_free(g);
}

UNIT_TEST(gic, timer_ppi_is_banked_per_cpu)
{
	struct gic *g = gic_up();
	enable(g, 27, 0xa0);
	gic_set_irq(g, 0, 27, 1);
	CU_ASSERT_EQUAL(out_level, 1);
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_IAR), 27);
	gic_set_irq(g, 0, 27, 0);
	gic_cpu_write(g, 0, GICC_EOIR, 27);
	CU_ASSERT_EQUAL(out_level, 0);
	/* a PPI number from a device is refused, not turned into an SPI */
	gic_irqchip_set_level(g, 27, 1);
	CU_ASSERT_EQUAL(out_level, 0);
	gic_free(g);
}

UNIT_TEST(gic, eoimode_splits_priority_drop_from_deactivation)
{
	struct gic *g = gic_up();
	gic_cpu_write(g, 0, GICC_CTLR, 1 | (1u << 9));
	enable(g, 60, 0x40);
	set_edge(g, 60);
	gic_irqchip_set_level(g, 60, 1);
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_IAR), 60);
	gic_cpu_write(g, 0, GICC_EOIR, 60);
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_RPR), 0xff);
	CU_ASSERT_EQUAL(gic_dist_read(g, 0, GICD_ISACTIVER + 4, 4), 1u << 28); /* still active */
	gic_cpu_write(g, 0, GICC_DIR, 60);
	CU_ASSERT_EQUAL(gic_dist_read(g, 0, GICD_ISACTIVER + 4, 4), 0);
	gic_free(g);
}

UNIT_TEST(gic, group1_needs_ackctl_on_iar_and_is_taken_by_aiar)
{
	struct gic *g = gic_up();
	gic_dist_write(g, 0, GICD_CTLR, 3, 4);
	gic_cpu_write(g, 0, GICC_CTLR, 3);
	gic_dist_write(g, 0, GICD_IGROUPR + 4, 1u << 6, 4); /* SPI 38 -> Group 1 */
	enable(g, 38, 0x20);
	gic_irqchip_set_level(g, 38, 1);
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_IAR), 1022);
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_AIAR), 38);
	gic_free(g);
}

UNIT_TEST(gic, bad_guest_accesses_are_ignored)
{
	struct gic *g = gic_up();
	uint8_t buf[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	gic_dist_ops.read(g, GICD_CTLR, buf, 8); /* 64-bit: RAZ */
	CU_ASSERT_EQUAL(buf[0], 0);
	gic_cpu_ops.write(g, GICC_PMR, buf, 2); /* halfword to the CPU interface: WI */
	CU_ASSERT_EQUAL(gic_cpu_read(g, 0, GICC_PMR), 0xf0);
	gic_cpu_write(g, 0, GICC_EOIR, 1023); /* spurious EOI */
	gic_cpu_write(g, 0, GICC_DIR, 900);   /* no such interrupt */
	gic_set_irq(g, 0, 5000, 1);
	CU_ASSERT_EQUAL(out_level, 0);
	gic_free(g);
}

/* The board's other guest-facing interface, PSCI 0.2 over HVC (arch/arm64/psci.c, DEN0022D). */
UNIT_SUITE(psci);

static int64_t psci(uint64_t fn, uint64_t a1, uint64_t a2)
{
	const uint64_t x[4] = { fn, a1, a2, 0 };
	return psci_call(NULL, 0, 1, x);
}

UNIT_TEST(psci, version_and_migration_as_linux_probes_them)
{
	CU_ASSERT_EQUAL(psci(PSCI_FN_VERSION, 0, 0), 2);
	CU_ASSERT_EQUAL(psci(PSCI_FN_MIGRATE_INFO_TYPE, 0, 0), 2);
	CU_ASSERT_EQUAL(psci(PSCI_FN_MIGRATE, 0, 0), PSCI_NOT_SUPPORTED);
	CU_ASSERT_EQUAL(psci(PSCI_FN64_MIGRATE_INFO_UP_CPU, 0, 0), PSCI_NOT_SUPPORTED);
	/* upper half of x0 ignored: the function ID is w0 (SMCCC §2.5) */
	CU_ASSERT_EQUAL(psci(0xffffffff00000000ull | PSCI_FN_VERSION, 0, 0), 2);
}

UNIT_TEST(psci, cpu_on_and_affinity_info_on_one_cpu)
{
	CU_ASSERT_EQUAL(psci(PSCI_FN64_CPU_ON, 0, 0x40080000), PSCI_ALREADY_ON);
	CU_ASSERT_EQUAL(psci(PSCI_FN64_CPU_ON, 1, 0x40080000), PSCI_INVALID_PARAMS);
	CU_ASSERT_EQUAL(psci(PSCI_FN64_CPU_ON, 0x100, 0x40080000), PSCI_INVALID_PARAMS); /* Aff1 */
	/* SMC32 CPU_ON: upper bits of the target are ignored */
	CU_ASSERT_EQUAL(psci(PSCI_FN_CPU_ON, 0xff00000000ull, 0), PSCI_ALREADY_ON);
	CU_ASSERT_EQUAL(psci(PSCI_FN64_AFFINITY_INFO, 0, 0), 0);
	CU_ASSERT_EQUAL(psci(PSCI_FN64_AFFINITY_INFO, 3, 0), PSCI_INVALID_PARAMS);
	CU_ASSERT_EQUAL(psci(PSCI_FN64_AFFINITY_INFO, 0, 1), 0); /* the cluster is on */
	CU_ASSERT_EQUAL(psci(PSCI_FN64_AFFINITY_INFO, 5, 1), 0); /* Aff0 ignored at level 1 */
	CU_ASSERT_EQUAL(psci(PSCI_FN64_AFFINITY_INFO, 0x100, 1), PSCI_INVALID_PARAMS); /* no cluster 1 */
	CU_ASSERT_EQUAL(psci(PSCI_FN64_AFFINITY_INFO, 0x100, 2), 0);
	CU_ASSERT_EQUAL(psci(PSCI_FN64_AFFINITY_INFO, 0, 4), PSCI_INVALID_PARAMS);
	CU_ASSERT_EQUAL(psci(PSCI_FN_CPU_OFF, 0, 0), PSCI_DENIED);
	CU_ASSERT_EQUAL(psci(PSCI_FN64_CPU_SUSPEND, 0, 0), PSCI_SUCCESS);
}

UNIT_TEST(psci, unknown_functions_are_not_supported)
{
	CU_ASSERT_EQUAL(psci(0x8400ff00u, 0, 0), PSCI_NOT_SUPPORTED);
	CU_ASSERT_EQUAL(psci(0xc2000000u, 0, 0), PSCI_NOT_SUPPORTED);
	CU_ASSERT_EQUAL(psci(0x8400000au, 0, 0), PSCI_NOT_SUPPORTED); /* PSCI_FEATURES is 1.0 */
	CU_ASSERT_EQUAL(psci(SMCCC_VERSION, 0, 0), 0x10001);
	CU_ASSERT_EQUAL(psci(SMCCC_ARCH_FEATURES, SMCCC_ARCH_FEATURES, 0), 0);
	CU_ASSERT_EQUAL(psci(SMCCC_ARCH_FEATURES, 0x80008000u, 0), PSCI_NOT_SUPPORTED); /* WORKAROUND_1 */
}
