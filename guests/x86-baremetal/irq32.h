/*
 * Interrupts for the 32-bit guests: an IDT with handlers for vectors 0x30-0x3f, IOAPIC routing,
 * the local APIC (enable, EOI) and wait_irq(), which sleeps in hlt until one interrupt has been
 * handled. Handlers never return with iret: this host's software KVM (PVM) cannot emulate a
 * 32-bit iret, and a test guest needs nothing from the interrupted context (it was hlt), so the
 * entry code jumps back into wait_irq's frame instead. Interrupts are only ever taken there.
 */
#ifndef GUEST_IRQ32_H
#define GUEST_IRQ32_H

#include "rt.h"

#define IOAPIC_BASE 0xfec00000u
#define LAPIC_BASE 0xfee00000u
#define IRQ_VECTOR_FIRST 0x30
#define IRQ_VECTORS 16

typedef void (*irq_handler_fn)(unsigned vector);

/* Mask both 8259s, load the IDT, software-enable the local APIC. */
void irq_init(void);
/* IOAPIC pin -> vector on APIC 0: fixed, physical, edge, active high, unmasked. */
void irq_route(unsigned pin, unsigned vector);
void irq_set_handler(unsigned vector, irq_handler_fn fn);
void irq_eoi(void);
/* sti; hlt until an interrupt ran its handler; returns with interrupts disabled. */
void wait_irq(void);

static inline uint32_t lapic_read(uint32_t reg) { return mmio_read32(LAPIC_BASE + reg); }
static inline void lapic_write(uint32_t reg, uint32_t v) { mmio_write32(LAPIC_BASE + reg, v); }

#endif
