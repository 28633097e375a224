/*
 * Small x86 ports the board owns: QEMU-compatible isa-debug-exit (0xf4), the POST port (0x80),
 * System Control Port A (0x92: A20 gate and fast reset) and the quiet "nothing here" ranges for
 * legacy hardware Linux probes at boot (a missing device reads all-ones, as on real ISA).
 */
#ifndef MINIVMM_ARCH_X86_PORTS_H
#define MINIVMM_ARCH_X86_PORTS_H

#include "vmm/machine.h"

#define X86_DEBUG_EXIT_PORT 0xf4
#define X86_POST_PORT 0x80
#define X86_PORT_A 0x92

/* Register the board's own ports on m->pio. 0 or -errno. */
int x86_ports_register(struct machine *m);

#endif
