/*
 * The seam between the aarch64 interpreter (CPU: arch/arm64/cpu*.c, interp*.c, the "interp"
 * engine) and the QEMU-virt-compatible board (arch/arm64/board.c, gic.c, psci.c). The board never
 * looks inside struct a64_cpu; the CPU never looks inside the GIC.
 */
#ifndef MINIVMM_ARM64_H
#define MINIVMM_ARM64_H

#include <stdbool.h>
#include <stdint.h>

struct machine;
struct a64_cpu; /* interpreter-private, arch/arm64/cpu.h */

/* What the CPU calls out to; filled by the board in arm64_board_attach_cpu(). */
struct a64_platform {
	void *opaque;
	/*
	 * Generic timer outputs changed level (ARM ARM D11.2): timer 0 = EL1 physical (PPI 30),
	 * 1 = EL1 virtual (PPI 27). Called on the vCPU thread.
	 */
	void (*timer_irq)(void *opaque, int cpu_index, int timer, int level);
	/* HVC #0 (SMCCC / PSCI 0.2). Return false to make the HVC UNDEFINED. */
	bool (*hvc)(void *opaque, struct a64_cpu *cpu);
};

/* Implemented by the CPU. Thread-safe: the GIC calls them from any thread. */
void a64_cpu_set_irq(struct a64_cpu *cpu, int level); /* the CPU's IRQ input; wakes WFI */
uint64_t a64_cpu_get_x(const struct a64_cpu *cpu, unsigned n); /* n < 31 */
void a64_cpu_set_x(struct a64_cpu *cpu, unsigned n, uint64_t value);

/* Implemented by the board: called by the interp engine's vcpu_create for each CPU. */
void arm64_board_attach_cpu(struct machine *m, struct a64_cpu *cpu, int index,
                            struct a64_platform *plat);

/* QEMU virt memory map (hw/arm/virt.c), the part we implement. */
#define VIRT_GIC_DIST     0x08000000ULL
#define VIRT_GIC_CPU      0x08010000ULL
#define VIRT_UART         0x09000000ULL
#define VIRT_RTC          0x09010000ULL
#define VIRT_MMIO         0x0a000000ULL /* virtio-mmio slots, 0x200 apart */
#define VIRT_MMIO_SIZE    0x200ULL
#define VIRT_MMIO_SLOTS   32
#define VIRT_RAM          0x40000000ULL
#define VIRT_SPI_UART     1
#define VIRT_SPI_RTC      2
#define VIRT_SPI_MMIO     16 /* slot n uses SPI 16 + n */
#define VIRT_PPI_VTIMER   27
#define VIRT_PPI_PTIMER   30

/* Generic timer counter frequency (CNTFRQ_EL0): the counter is host ns / 16. */
#define A64_CNTFRQ        62500000ULL

#endif
