/*
 * Serial ports: the 16550A UART of PCs (x86 board, 8 ports at 0x3f8, IRQ 4) and the ARM PL011
 * (arm64 virt board, 4 KiB MMIO window at 0x09000000, SPI 1). Both send guest output to
 * console_write() and take guest input from the console (console_set_receiver(); each new device
 * becomes the console's receiver). Transmission is instantaneous: the transmitter is always empty.
 * Each device has its own lock; vCPU threads and the main loop call in concurrently.
 */
#ifndef MINIVMM_SERIAL_H
#define MINIVMM_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/bus.h"

struct uart16550;
struct uart16550 *uart16550_new(struct irq_line irq); /* NULL on allocation failure */
void uart16550_free(struct uart16550 *u);
/* The console receiver, also usable directly (tests): takes bytes while the RX FIFO has room. */
size_t uart16550_receive(void *opaque, const uint8_t *buf, size_t len);
extern const struct bus_ops uart16550_ops; /* opaque = the uart; 8 ports */

struct pl011;
struct pl011 *pl011_new(struct irq_line irq);
void pl011_free(struct pl011 *p);
size_t pl011_receive(void *opaque, const uint8_t *buf, size_t len);
extern const struct bus_ops pl011_ops; /* 0x1000 MMIO window */

#endif
