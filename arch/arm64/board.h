/*
 * Internals of the arm64 "virt" board: the GICv2 model (gic.c) and the PSCI firmware interface
 * (psci.c). The CPU sees neither; it talks to the board through arch/arm64/arm64.h.
 */
#ifndef MINIVMM_ARM64_BOARD_H
#define MINIVMM_ARM64_BOARD_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/bus.h"

struct machine;

/* ---- GICv2 (ARM IHI 0048B) ---- */

#define GIC_NR_IRQS      288  /* 32 private + 256 SPIs, as QEMU virt (ITLinesNumber = 8) */
#define GIC_MAX_CPUS     8
#define GIC_SPURIOUS     1023
#define GIC_DIST_SIZE    0x10000ULL
#define GIC_CPU_SIZE     0x10000ULL

struct gic;

/* The GIC's IRQ output to one CPU changed level. Called with the GIC lock held. */
typedef void (*gic_output_fn)(void *opaque, int level);

struct gic *gic_new(unsigned nr_cpus);
void gic_free(struct gic *g);

/* Connect CPU index's IRQ input; the current level is delivered at once. */
void gic_connect_cpu(struct gic *g, unsigned cpu, gic_output_fn fn, void *opaque);

/* An SPI or PPI input line changed level; irq is the GIC interrupt ID (PPIs: 16..31 on cpu). */
void gic_set_irq(struct gic *g, unsigned cpu, unsigned irq, int level);

/* m->irqchip hook: irq is a GIC interrupt ID >= 32 (an SPI). */
void gic_irqchip_set_level(void *opaque, unsigned irq, int level);

/*
 * Which CPU interface an access comes from. Defaults to CPU 0; an SMP board sets a function that
 * maps the calling vCPU thread to its index.
 */
void gic_set_cpu_lookup(struct gic *g, int (*lookup)(void *opaque), void *opaque);

/* Register accessors for a given CPU (the bus ops below call them with the looked-up CPU). */
uint32_t gic_dist_read(struct gic *g, unsigned cpu, uint64_t offset, unsigned len);
void gic_dist_write(struct gic *g, unsigned cpu, uint64_t offset, uint32_t value, unsigned len);
uint32_t gic_cpu_read(struct gic *g, unsigned cpu, uint64_t offset);
void gic_cpu_write(struct gic *g, unsigned cpu, uint64_t offset, uint32_t value);

extern const struct bus_ops gic_dist_ops, gic_cpu_ops;

/* ---- PSCI 0.2 / SMCCC over HVC ---- */

/* PSCI return codes (DEN0022D §5.2.2) */
#define PSCI_SUCCESS            0
#define PSCI_NOT_SUPPORTED     -1
#define PSCI_INVALID_PARAMS    -2
#define PSCI_DENIED            -3
#define PSCI_ALREADY_ON        -4

#define PSCI_0_2_FN_BASE        0x84000000u
#define PSCI_0_2_FN64_BASE      0xc4000000u
#define PSCI_FN_VERSION             (PSCI_0_2_FN_BASE + 0)
#define PSCI_FN_CPU_SUSPEND         (PSCI_0_2_FN_BASE + 1)
#define PSCI_FN_CPU_OFF             (PSCI_0_2_FN_BASE + 2)
#define PSCI_FN_CPU_ON              (PSCI_0_2_FN_BASE + 3)
#define PSCI_FN_AFFINITY_INFO       (PSCI_0_2_FN_BASE + 4)
#define PSCI_FN_MIGRATE             (PSCI_0_2_FN_BASE + 5)
#define PSCI_FN_MIGRATE_INFO_TYPE   (PSCI_0_2_FN_BASE + 6)
#define PSCI_FN_MIGRATE_INFO_UP_CPU (PSCI_0_2_FN_BASE + 7)
#define PSCI_FN_SYSTEM_OFF          (PSCI_0_2_FN_BASE + 8)
#define PSCI_FN_SYSTEM_RESET        (PSCI_0_2_FN_BASE + 9)
#define PSCI_FN64_CPU_SUSPEND       (PSCI_0_2_FN64_BASE + 1)
#define PSCI_FN64_CPU_ON            (PSCI_0_2_FN64_BASE + 3)
#define PSCI_FN64_AFFINITY_INFO     (PSCI_0_2_FN64_BASE + 4)
#define PSCI_FN64_MIGRATE           (PSCI_0_2_FN64_BASE + 5)
#define PSCI_FN64_MIGRATE_INFO_UP_CPU (PSCI_0_2_FN64_BASE + 7)

#define SMCCC_VERSION           0x80000000u
#define SMCCC_ARCH_FEATURES     0x80000001u

/*
 * Handle one SMCCC call from CPU cpu_index (of nr_cpus) with arguments x0..x3; returns the value
 * for x0. SYSTEM_OFF / SYSTEM_RESET request the machine exit through m (may be NULL in tests).
 */
int64_t psci_call(struct machine *m, unsigned cpu_index, unsigned nr_cpus, const uint64_t x[4]);

#endif
