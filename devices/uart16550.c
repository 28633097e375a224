/*
 * 16550A UART (TI PC16550D datasheet): RBR/THR, IER, IIR/FCR with 16-byte FIFOs and RX trigger
 * levels, LCR with the divisor latch, MCR with loopback, LSR, MSR with delta bits, SCR.
 *
 * Transmission is instantaneous, so THRE and TEMT are always set and every THR write ends with the
 * THR-empty interrupt pending (if ETBEI): the 8250 driver's probe sets IER.THRI with THR empty and
 * expects IIR to report it, twice (serial8250_do_startup's UART_BUG_THRE test). Console input
 * arrives in bursts, so the character-timeout interrupt (CTI) is treated as already elapsed whenever
 * the FIFO holds fewer bytes than the trigger level. The IRQ line is a level, recomputed on every
 * change (QEMU does not gate it with MCR.OUT2, and neither do we).
 */
#include "devices/serial.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "vmm/console.h"
#include "vmm/util.h"

enum { UART_RBR_THR = 0, UART_IER = 1, UART_IIR_FCR = 2, UART_LCR = 3, UART_MCR = 4, UART_LSR = 5,
       UART_MSR = 6, UART_SCR = 7 };

#define IER_ERBFI 0x01 /* received data available */
#define IER_ETBEI 0x02 /* THR empty */
#define IER_ELSI 0x04  /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */

#define IIR_NONE 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_CTI 0x0c
#define IIR_FIFO 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_DMA 0x08

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_PE 0x04
#define LSR_FE 0x08
#define LSR_BI 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRORS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
#define MSR_DELTAS 0x0f
/* What the other end of the line looks like: a connected terminal ready to receive (as QEMU). */
#define MSR_EXTERNAL (MSR_CTS | MSR_DSR | MSR_DCD)

#define FIFO_SIZE 16

struct uart16550 {
	pthread_mutex_t lock;
	struct irq_line irq;
	uint8_t rx[FIFO_SIZE];
	unsigned rx_head, rx_count;
	uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;
	uint8_t lsr_errors; /* sticky OE/PE/FE/BI, cleared by reading LSR */
	uint8_t msr_deltas; /* DCTS/DDSR/TERI/DDCD, cleared by reading MSR */
	uint8_t rbr;        /* last byte read, returned again when the FIFO is empty */
	bool thr_ipending;
	bool irq_level;
	bool receiver;      /* registered as the console's receiver */
};

static unsigned uart_rx_capacity(const struct uart16550 *u)
{
	return (u->fcr & FCR_ENABLE) ? FIFO_SIZE : 1;
}

static unsigned uart_rx_trigger(const struct uart16550 *u)
{
	static const unsigned levels[4] = { 1, 4, 8, 14 };
	return (u->fcr & FCR_ENABLE) ? levels[u->fcr >> 6] : 1;
}

/* Modem inputs: the line in normal mode; in loopback DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
static uint8_t uart_modem_inputs(const struct uart16550 *u)
{
	if (!(u->mcr & MCR_LOOP))
		return MSR_EXTERNAL;
	return ((u->mcr & MCR_DTR) ? MSR_DSR : 0) | ((u->mcr & MCR_RTS) ? MSR_CTS : 0) |
	       ((u->mcr & MCR_OUT1) ? MSR_RI : 0) | ((u->mcr & MCR_OUT2) ? MSR_DCD : 0);
}

/* Highest-priority pending interrupt (datasheet table 4): RLS > RDA/CTI > THRE > modem status. */
static uint8_t uart_iir_id(const struct uart16550 *u)
{
	if ((u->ier & IER_ELSI) && u->lsr_errors)
		return IIR_RLSI;
	if ((u->ier & IER_ERBFI) && u->rx_count) {
		if (u->rx_count >= uart_rx_trigger(u))
			return IIR_RDI;
		return IIR_CTI;
	}
	if ((u->ier & IER_ETBEI) && u->thr_ipending)
		return IIR_THRI;
	if ((u->ier & IER_EDSSI) && u->msr_deltas)
		return IIR_MSI;
	return IIR_NONE;
}

static void uart_update_irq(struct uart16550 *u)
{
	bool on = uart_iir_id(u) != IIR_NONE;

	if (on != u->irq_level) {
		u->irq_level = on;
		irq_set(&u->irq, on);
	}
}

static void uart_rx_clear(struct uart16550 *u)
{
	u->rx_head = u->rx_count = 0;
}

/* A received byte: into the FIFO, or an overrun (FIFO mode keeps the FIFO, RBR mode overwrites). */
static void uart_rx_push(struct uart16550 *u, uint8_t c)
{
	unsigned cap = uart_rx_capacity(u);

	if (u->rx_count >= cap) {
		u->lsr_errors |= LSR_OE;
		if (cap == 1)
			u->rx[u->rx_head] = c;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % FIFO_SIZE] = c;
	u->rx_count++;
}

size_t uart16550_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct uart16550 *u = opaque;
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	if (!(u->mcr & MCR_LOOP)) { /* loopback disconnects the serial input */
		while (n < len && u->rx_count < uart_rx_capacity(u))
			uart_rx_push(u, buf[n++]);
		uart_update_irq(u);
	}
	pthread_mutex_unlock(&u->lock);
	return n;
}

static void uart_write_mcr(struct uart16550 *u, uint8_t val)
{
	uint8_t before = uart_modem_inputs(u), after;

	u->mcr = val & 0x1f;
	after = uart_modem_inputs(u);
	if ((before ^ after) & MSR_CTS)
		u->msr_deltas |= MSR_DCTS;
	if ((before ^ after) & MSR_DSR)
		u->msr_deltas |= MSR_DDSR;
	if ((before & MSR_RI) && !(after & MSR_RI))
		u->msr_deltas |= MSR_TERI; /* trailing edge of RI only */
	if ((before ^ after) & MSR_DCD)
		u->msr_deltas |= MSR_DDCD;
}

/* Returns true when the guest made room for more console input. */
static bool uart_write_reg(struct uart16550 *u, unsigned reg, uint8_t val)
{
	bool dlab = u->lcr & LCR_DLAB, room = false;

	switch (reg) {
	case UART_RBR_THR:
		if (dlab) {
			u->dll = val;
		} else if (u->mcr & MCR_LOOP) {
			uart_rx_push(u, val);
			u->thr_ipending = true;
		} else {
			console_write(&val, 1);
			u->thr_ipending = true; /* the byte left at once: THR empty again */
		}
		break;
	case UART_IER:
		if (dlab) {
			u->dlm = val;
			break;
		}
		/* Enabling ETBEI with THR empty raises THRE at once (8250 probe relies on it). */
		if (!(u->ier & IER_ETBEI) && (val & IER_ETBEI))
			u->thr_ipending = true;
		u->ier = val & 0x0f;
		break;
	case UART_IIR_FCR:
		if ((val ^ u->fcr) & FCR_ENABLE) { /* switching FIFO mode empties both FIFOs */
			uart_rx_clear(u);
			room = true;
		}
		if (val & FCR_ENABLE) {
			if (val & FCR_CLEAR_RX) {
				uart_rx_clear(u);
				room = true;
			}
			if (val & FCR_CLEAR_TX)
				u->thr_ipending = true;
			u->fcr = val & (FCR_ENABLE | FCR_DMA | 0xc0);
		} else {
			u->fcr = 0; /* other bits are only programmed together with bit 0 */
		}
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR: {
		bool was_loop = u->mcr & MCR_LOOP;
		uart_write_mcr(u, val);
		room = was_loop && !(u->mcr & MCR_LOOP);
		break;
	}
	case UART_LSR:
	case UART_MSR:
		break; /* read-only (factory test registers on some parts) */
	case UART_SCR:
		u->scr = val;
		break;
	}
	return room;
}

static uint8_t uart_read_reg(struct uart16550 *u, unsigned reg, bool *room)
{
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t v = 0;

	switch (reg) {
	case UART_RBR_THR:
		if (dlab)
			return u->dll;
		if (u->rx_count) {
			u->rbr = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % FIFO_SIZE;
			u->rx_count--;
			*room = !(u->mcr & MCR_LOOP);
		}
		return u->rbr;
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR_FCR:
		v = uart_iir_id(u);
		if (v == IIR_THRI)
			u->thr_ipending = false; /* reading IIR with THRE as the source clears it */
		return v | ((u->fcr & FCR_ENABLE) ? IIR_FIFO : 0);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		v = (u->rx_count ? LSR_DR : 0) | u->lsr_errors | LSR_THRE | LSR_TEMT;
		u->lsr_errors = 0;
		return v;
	case UART_MSR:
		v = uart_modem_inputs(u) | u->msr_deltas;
		u->msr_deltas = 0;
		return v;
	case UART_SCR:
		return u->scr;
	}
	return 0;
}

/* ISA byte registers: a wider access is split into byte accesses to consecutive ports. */
static void uart16550_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	struct uart16550 *u = opaque;
	uint8_t *out = data;
	bool room = false;

	pthread_mutex_lock(&u->lock);
	for (unsigned i = 0; i < len; i++)
		out[i] = offset + i < 8 ? uart_read_reg(u, (unsigned)(offset + i), &room) : 0xff;
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	if (room)
		console_rx_ready(); /* outside our lock: the console calls back into uart16550_receive */
}

static void uart16550_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	struct uart16550 *u = opaque;
	const uint8_t *in = data;
	bool room = false;

	pthread_mutex_lock(&u->lock);
	for (unsigned i = 0; i < len; i++)
		if (offset + i < 8)
			room |= uart_write_reg(u, (unsigned)(offset + i), in[i]);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	if (room)
		console_rx_ready();
}

const struct bus_ops uart16550_ops = {
	.name = "uart16550",
	.read = uart16550_read,
	.write = uart16550_write,
};

struct uart16550 *uart16550_new(struct irq_line irq)
{
	struct uart16550 *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	pthread_mutex_init(&u->lock, NULL);
	u->irq = irq;
	u->dll = 0x0c; /* 9600 baud from the 1.8432 MHz clock, as PC firmware leaves it */
	console_set_receiver(uart16550_receive, u);
	u->receiver = true;
	return u;
}

void uart16550_free(struct uart16550 *u)
{
	if (!u)
		return;
	if (u->receiver)
		console_set_receiver(NULL, NULL);
	pthread_mutex_destroy(&u->lock);
	free(u);
}
