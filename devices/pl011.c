/*
 * ARM PrimeCell UART PL011 (ARM DDI 0183, r1p5 register map): DR, RSR/ECR, FR, ILPR, IBRD, FBRD,
 * LCR_H, CR, IFLS, IMSC, RIS, MIS, ICR, DMACR and the peripheral/PrimeCell ID registers the AMBA
 * bus probes (0x00041011: ARM, part 0x011, rev 1 -> Linux's amba-pl011 "vendor_arm").
 *
 * 32-entry RX FIFO (1 entry with LCR_H.FEN clear). Transmission is instantaneous: TXFE always set,
 * TXIS raised by every DR write (the FIFO drained through its trigger level) and cleared by ICR.
 * RXIS is raised when the RX FIFO fills up to its trigger level and cleared when it falls below it
 * (or by ICR), as the driver's comment in pl011_enable_interrupts() describes. Console input comes
 * in bursts, so the receive timeout (RTIS) is taken as already elapsed while the FIFO holds data.
 * The IRQ output is the level (RIS & IMSC) != 0, recomputed on every change.
 */
#include "devices/serial.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/console.h"
#include "vmm/util.h"

enum {
	PL011_DR = 0x000, PL011_RSR = 0x004, PL011_FR = 0x018, PL011_ILPR = 0x020, PL011_IBRD = 0x024,
	PL011_FBRD = 0x028, PL011_LCR_H = 0x02c, PL011_CR = 0x030, PL011_IFLS = 0x034,
	PL011_IMSC = 0x038, PL011_RIS = 0x03c, PL011_MIS = 0x040, PL011_ICR = 0x044,
	PL011_DMACR = 0x048, PL011_ID = 0xfe0,
};

#define FR_CTS 0x001
#define FR_DSR 0x002
#define FR_DCD 0x004
#define FR_BUSY 0x008
#define FR_RXFE 0x010
#define FR_TXFF 0x020
#define FR_RXFF 0x040
#define FR_TXFE 0x080
#define FR_RI 0x100

#define LCR_H_FEN 0x10

#define CR_UARTEN 0x0001
#define CR_LBE 0x0080
#define CR_TXE 0x0100
#define CR_RXE 0x0200
#define CR_DTR 0x0400
#define CR_RTS 0x0800
#define CR_OUT1 0x1000
#define CR_OUT2 0x2000

#define INT_RI 0x001
#define INT_CTS 0x002
#define INT_DCD 0x004
#define INT_DSR 0x008
#define INT_RX 0x010
#define INT_TX 0x020
#define INT_RT 0x040
#define INT_OE 0x400
#define INT_ALL 0x7ff

#define RSR_OE 0x8

#define FIFO_SIZE 32

/* Peripheral ID 0-3 then PrimeCell ID 0-3, at 0xfe0..0xffc (TRM 3.3.14-15). */
static const uint8_t pl011_id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

struct pl011 {
	pthread_mutex_t lock;
	struct irq_line irq;
	uint8_t rx[FIFO_SIZE];
	unsigned rx_head, rx_count;
	uint32_t rsr, ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, ris, dmacr;
	bool irq_level;
	bool receiver;
};

static unsigned pl011_rx_capacity(const struct pl011 *p)
{
	return (p->lcr_h & LCR_H_FEN) ? FIFO_SIZE : 1;
}

/* IFLS.RXIFLSEL: 1/8, 1/4, 1/2, 3/4, 7/8 full; reserved encodings act as 1/2. */
static unsigned pl011_rx_trigger(const struct pl011 *p)
{
	static const unsigned eighths[8] = { 1, 2, 4, 6, 7, 4, 4, 4 };
	if (!(p->lcr_h & LCR_H_FEN))
		return 1;
	return FIFO_SIZE * eighths[(p->ifls >> 3) & 7] / 8;
}

/* Modem inputs as FR bits: a connected line, or in loopback RTS->CTS, DTR->DSR, OUT1->DCD, OUT2->RI. */
static uint32_t pl011_modem_inputs(const struct pl011 *p)
{
	if (!(p->cr & CR_LBE))
		return FR_CTS | FR_DSR | FR_DCD;
	return ((p->cr & CR_RTS) ? FR_CTS : 0) | ((p->cr & CR_DTR) ? FR_DSR : 0) |
	       ((p->cr & CR_OUT1) ? FR_DCD : 0) | ((p->cr & CR_OUT2) ? FR_RI : 0);
}

static bool pl011_accepts_input(const struct pl011 *p)
{
	return (p->cr & (CR_UARTEN | CR_RXE)) == (CR_UARTEN | CR_RXE) && !(p->cr & CR_LBE);
}

static void pl011_update_irq(struct pl011 *p)
{
	p->ris = (p->ris & ~INT_RT) | (p->rx_count ? INT_RT : 0);
	bool on = (p->ris & p->imsc) != 0;
	if (on != p->irq_level) {
		p->irq_level = on;
		irq_set(&p->irq, on);
	}
}

static void pl011_rx_push(struct pl011 *p, uint8_t c)
{
	if (p->rx_count >= pl011_rx_capacity(p)) {
		p->rsr |= RSR_OE; /* the FIFO keeps its contents; this character is lost */
		p->ris |= INT_OE;
		return;
	}
	p->rx[(p->rx_head + p->rx_count) % FIFO_SIZE] = c;
	p->rx_count++;
	if (p->rx_count == pl011_rx_trigger(p))
		p->ris |= INT_RX;
}

size_t pl011_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct pl011 *p = opaque;
	size_t n = 0;

	pthread_mutex_lock(&p->lock);
	if (pl011_accepts_input(p)) {
		while (n < len && p->rx_count < pl011_rx_capacity(p))
			pl011_rx_push(p, buf[n++]);
		pl011_update_irq(p);
	}
	pthread_mutex_unlock(&p->lock);
	return n;
}

static uint32_t pl011_read_reg(struct pl011 *p, uint64_t reg, bool *room)
{
	uint32_t v;

	if (reg >= PL011_ID)
		return pl011_id[(reg - PL011_ID) / 4];
	switch (reg) {
	case PL011_DR:
		if (!p->rx_count)
			return 0;
		v = p->rx[p->rx_head];
		p->rx_head = (p->rx_head + 1) % FIFO_SIZE;
		p->rx_count--;
		if (p->rx_count < pl011_rx_trigger(p))
			p->ris &= ~INT_RX;
		*room = pl011_accepts_input(p);
		return v;
	case PL011_RSR:
		return p->rsr;
	case PL011_FR:
		v = pl011_modem_inputs(p) | FR_TXFE;
		v |= p->rx_count ? 0 : FR_RXFE;
		v |= p->rx_count >= pl011_rx_capacity(p) ? FR_RXFF : 0;
		return v;
	case PL011_ILPR:
		return p->ilpr;
	case PL011_IBRD:
		return p->ibrd;
	case PL011_FBRD:
		return p->fbrd;
	case PL011_LCR_H:
		return p->lcr_h;
	case PL011_CR:
		return p->cr;
	case PL011_IFLS:
		return p->ifls;
	case PL011_IMSC:
		return p->imsc;
	case PL011_RIS:
		return p->ris;
	case PL011_MIS:
		return p->ris & p->imsc;
	case PL011_DMACR:
		return p->dmacr;
	}
	log_guest("pl011: read of unknown register 0x%03llx", (unsigned long long)reg);
	return 0;
}

static void pl011_write_cr(struct pl011 *p, uint32_t val, bool *room)
{
	uint32_t before = pl011_modem_inputs(p), after;
	bool accepted = pl011_accepts_input(p);

	p->cr = val & 0xffff;
	after = pl011_modem_inputs(p);
	p->ris |= ((before ^ after) & FR_CTS) ? INT_CTS : 0;
	p->ris |= ((before ^ after) & FR_DSR) ? INT_DSR : 0;
	p->ris |= ((before ^ after) & FR_DCD) ? INT_DCD : 0;
	p->ris |= ((before ^ after) & FR_RI) ? INT_RI : 0;
	*room = !accepted && pl011_accepts_input(p);
}

static void pl011_write_reg(struct pl011 *p, uint64_t reg, uint32_t val, bool *room)
{
	switch (reg) {
	case PL011_DR: {
		uint8_t c = (uint8_t)val;
		/* Sent even before UARTEN, as QEMU: firmware and earlycon assume a usable UART. */
		if (p->cr & CR_LBE)
			pl011_rx_push(p, c);
		else
			console_write(&c, 1);
		p->ris |= INT_TX;
		return;
	}
	case PL011_RSR:
		p->rsr = 0; /* ECR: any write clears the error flags */
		return;
	case PL011_ILPR:
		p->ilpr = val & 0xff;
		return;
	case PL011_IBRD:
		p->ibrd = val & 0xffff;
		return;
	case PL011_FBRD:
		p->fbrd = val & 0x3f;
		return;
	case PL011_LCR_H:
		if ((val ^ p->lcr_h) & LCR_H_FEN) { /* switching FIFO mode flushes it (as QEMU) */
			p->rx_head = p->rx_count = 0;
			p->ris &= ~INT_RX;
			*room = pl011_accepts_input(p);
		}
		p->lcr_h = val & 0xff;
		return;
	case PL011_CR:
		pl011_write_cr(p, val, room);
		return;
	case PL011_IFLS:
		p->ifls = val & 0x3f;
		if (p->rx_count < pl011_rx_trigger(p))
			p->ris &= ~INT_RX;
		return;
	case PL011_IMSC:
		p->imsc = val & INT_ALL;
		return;
	case PL011_ICR:
		p->ris &= ~(val & INT_ALL);
		return;
	case PL011_DMACR:
		p->dmacr = val & 0x7; /* no DMA engine: the driver falls back to PIO */
		return;
	}
	log_guest("pl011: write of 0x%x to %s register 0x%03llx", val,
		  reg >= PL011_ID || reg == PL011_FR || reg == PL011_RIS || reg == PL011_MIS ? "read-only" : "unknown",
		  (unsigned long long)reg);
}

/* Registers are 32-bit words; byte and halfword reads see the word's low lanes (as Linux's readb/readw). */
static bool pl011_access_ok(uint64_t offset, unsigned len, bool write)
{
	if (len != 1 && len != 2 && len != 4)
		return false;
	if ((offset & 3) + len > 4)
		return false;
	return !write || (offset & 3) == 0;
}

static void pl011_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	struct pl011 *p = opaque;
	bool room = false;
	uint32_t v = 0;

	if (!pl011_access_ok(offset, len, false)) {
		log_guest("pl011: bad %u-byte read at offset 0x%llx", len, (unsigned long long)offset);
		memset(data, 0, len);
		return;
	}
	pthread_mutex_lock(&p->lock);
	v = pl011_read_reg(p, offset & ~3ull, &room) >> (8 * (offset & 3));
	pl011_update_irq(p);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < len; i++)
		((uint8_t *)data)[i] = (uint8_t)(v >> (8 * i));
	if (room)
		console_rx_ready(); /* outside our lock: the console calls back into pl011_receive */
}

static void pl011_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	struct pl011 *p = opaque;
	bool room = false;
	uint32_t v = 0;

	if (!pl011_access_ok(offset, len, true)) {
		log_guest("pl011: bad %u-byte write at offset 0x%llx", len, (unsigned long long)offset);
		return;
	}
	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)((const uint8_t *)data)[i] << (8 * i);
	pthread_mutex_lock(&p->lock);
	pl011_write_reg(p, offset, v, &room);
	pl011_update_irq(p);
	pthread_mutex_unlock(&p->lock);
	if (room)
		console_rx_ready();
}

const struct bus_ops pl011_ops = {
	.name = "pl011",
	.read = pl011_read,
	.write = pl011_write,
};

struct pl011 *pl011_new(struct irq_line irq)
{
	struct pl011 *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	p->irq = irq;
	p->cr = CR_TXE | CR_RXE; /* reset values (TRM 3.3) */
	p->ifls = 0x12;          /* both trigger levels at 1/2 */
	console_set_receiver(pl011_receive, p);
	p->receiver = true;
	return p;
}

void pl011_free(struct pl011 *p)
{
	if (!p)
		return;
	if (p->receiver)
		console_set_receiver(NULL, NULL);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
