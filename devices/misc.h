/*
 * PC legacy odds and ends: the i8042 keyboard controller (ports 0x60 and 0x64) with its reset line,
 * a PS/2 keyboard behind it that answers the commands Linux's atkbd sends (no keys are ever pressed;
 * there is no mouse), and system control port B (0x61), which lies inside the i8042's range.
 */
#ifndef MINIVMM_MISC_H
#define MINIVMM_MISC_H

#include "vmm/bus.h"

struct machine;

/*
 * IRQ 1 (keyboard) and 12 (aux) come from machine_irq_line(). Pulsing the reset line (command 0xfe,
 * any 0xf0-0xfe with bit 0 clear, or output-port bit 0 cleared via 0xd1) requests
 * machine_request_exit(m, MEXIT_RESET, 0).
 */
struct i8042 *i8042_new(struct machine *m);
void i8042_free(struct i8042 *k);
/* Registered at 0x60 with len 5: offset 0 data, 1 port 0x61 (as port61_ops), 4 status/command. */
extern const struct bus_ops i8042_ops;

/*
 * Port 0x61 (opaque = the i8042), for a board that registers 0x60 and 0x64 one by one: bits 0-3
 * read back as written (PIT channel 2 gate, speaker, NMI check enables); bit 4 toggles every 15 us
 * (refresh); bit 5 is channel 2's output, which without a PIT model here reads as "count expired"
 * while the gate is high. KVM's in-kernel PIT handles this port itself.
 */
extern const struct bus_ops port61_ops;

#endif
