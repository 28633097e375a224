/* The Intel MP configuration table (MP spec 1.4, chapter 4), found the way Linux finds it. */
#ifndef GUEST_MP_H
#define GUEST_MP_H

#include "rt.h"

/* The MP floating pointer: last KiB of base memory, the EBDA, 0xf0000-0xfffff; NULL if none. */
const uint8_t *mp_find_floating(void);
/* Its configuration table if signature and checksum are right, else NULL; *len its length. */
const uint8_t *mp_config(const uint8_t *mpf, uint16_t *len);
/* Size of the entry at e (processor 20 bytes, the others 8). */
static inline unsigned mp_entry_size(const uint8_t *e) { return e[0] == 0 ? 20 : 8; }
/* The IOAPIC input an ISA IRQ is wired to by the table's I/O interrupt entries, or -1. */
int mp_isa_irq_pin(const uint8_t *cfg, uint16_t len, unsigned irq);
uint8_t mp_checksum(const uint8_t *p, unsigned len);

#endif
