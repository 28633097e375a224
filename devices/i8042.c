/*
 * Intel 8042 keyboard controller as PCs implement it (IBM PC/AT technical reference; the command set
 * Linux's drivers/input/serio/i8042.c uses): status register, command byte (controller RAM 0),
 * self-test 0xaa -> 0x55, interface tests 0xab/0xa9 -> 0x00, port enable/disable, AUX loopback
 * 0xd3 (Linux's AUX detection and its IRQ 12 test), output port (A20, reset) and the pulse commands:
 * 0xfe pulses the CPU reset line, which is how Linux's "reboot=kbd" and most BIOSes reboot.
 *
 * Behind it sits a PS/2 keyboard that acknowledges atkbd's probe (reset, get ID, LEDs, scancode
 * set, typematic, enable) so the driver binds without waiting for timeouts. There is no mouse:
 * bytes sent to the AUX device (0xd4) come back as 0xfe with the timeout flag, which psmouse takes
 * as "no device" at once. The output buffer is one byte; controller replies go first, keyboard
 * bytes wait while the keyboard interface is disabled. IRQ 1 / 12 follow "output buffer full" for
 * their port when the command byte enables them.
 */
#include "devices/misc.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "vmm/machine.h"
#include "vmm/util.h"

#define STR_OBF 0x01
#define STR_SYS 0x04
#define STR_CMD 0x08
#define STR_UNLOCKED 0x10 /* keyboard not inhibited by the key lock */
#define STR_AUXDATA 0x20
#define STR_TIMEOUT 0x40

#define CTR_KBDINT 0x01
#define CTR_AUXINT 0x02
#define CTR_SYS 0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE 0x40

#define OUT_RESET 0x01 /* output port bit 0: low resets the CPU */
#define OUT_A20 0x02
#define OUT_KBD_OBF 0x10
#define OUT_AUX_OBF 0x20

#define BYTE_AUX 0x01
#define BYTE_TIMEOUT 0x02

#define KBD_ACK 0xfa
#define KBD_RESEND 0xfe
#define KBD_BAT_OK 0xaa

#define QUEUE_SIZE 16

struct byteq {
	uint8_t data[QUEUE_SIZE], flags[QUEUE_SIZE];
	unsigned head, count;
};

struct i8042 {
	pthread_mutex_t lock;
	struct machine *m;
	struct irq_line kbd_irq, aux_irq;
	uint8_t ram[32];        /* controller RAM; byte 0 is the command byte (CTR) */
	uint8_t outport;
	uint8_t pending;        /* command waiting for its data byte, 0 if none */
	bool last_was_cmd;
	struct byteq ctrl_q, kbd_q;
	bool obf;
	uint8_t out, out_flags; /* the output buffer */
	uint8_t kbd_param_cmd;  /* keyboard command waiting for its parameter */
	uint8_t kbd_set;        /* scancode set */
	bool kbd_irq_level, aux_irq_level;
	uint8_t port61;         /* bits 0-3 of system control port B */
};

static void byteq_push(struct byteq *q, uint8_t data, uint8_t flags)
{
	if (q->count == QUEUE_SIZE)
		return; /* a guest that never reads: drop, as a keyboard's own buffer overflows */
	unsigned i = (q->head + q->count++) % QUEUE_SIZE;
	q->data[i] = data;
	q->flags[i] = flags;
}

static bool byteq_pop(struct byteq *q, uint8_t *data, uint8_t *flags)
{
	if (!q->count)
		return false;
	*data = q->data[q->head];
	*flags = q->flags[q->head];
	q->head = (q->head + 1) % QUEUE_SIZE;
	q->count--;
	return true;
}

static void i8042_set_lines(struct i8042 *k)
{
	uint8_t ctr = k->ram[0];
	bool aux = k->out_flags & BYTE_AUX;
	bool kbd_on = k->obf && !aux && (ctr & CTR_KBDINT);
	bool aux_on = k->obf && aux && (ctr & CTR_AUXINT);

	if (kbd_on != k->kbd_irq_level) {
		k->kbd_irq_level = kbd_on;
		irq_set(&k->kbd_irq, kbd_on);
	}
	if (aux_on != k->aux_irq_level) {
		k->aux_irq_level = aux_on;
		irq_set(&k->aux_irq, aux_on);
	}
}

/*
 * Drop the line for a byte just read before loading the next one, so each byte is a new edge for
 * the (edge-triggered ISA) interrupt controller.
 */
static void i8042_update(struct i8042 *k)
{
	i8042_set_lines(k);
	if (!k->obf && (byteq_pop(&k->ctrl_q, &k->out, &k->out_flags) ||
			(!(k->ram[0] & CTR_KBDDIS) && byteq_pop(&k->kbd_q, &k->out, &k->out_flags)))) {
		k->obf = true;
		i8042_set_lines(k);
	}
}

static void i8042_reply(struct i8042 *k, uint8_t data, uint8_t flags)
{
	byteq_push(&k->ctrl_q, data, flags);
}

static void i8042_reset_line(struct i8042 *k)
{
	log_debug("i8042: CPU reset requested by the guest");
	if (k->m)
		machine_request_exit(k->m, MEXIT_RESET, 0);
}

/* The PS/2 keyboard: a byte the guest sent it through port 0x60. */
static void kbd_command(struct i8042 *k, uint8_t c)
{
	struct byteq *q = &k->kbd_q;
	uint8_t param_cmd = k->kbd_param_cmd;

	k->kbd_param_cmd = 0;
	if (param_cmd) {
		if (param_cmd == 0xf0 && c == 0) { /* get scancode set */
			byteq_push(q, KBD_ACK, 0);
			byteq_push(q, (k->ram[0] & CTR_XLATE) ? (uint8_t[]){ 0, 0x43, 0x41, 0x3f }[k->kbd_set] : k->kbd_set, 0);
			return;
		}
		if (param_cmd == 0xf0 && c >= 1 && c <= 3)
			k->kbd_set = c;
		byteq_push(q, (param_cmd == 0xf0 && c > 3) ? KBD_RESEND : KBD_ACK, 0);
		return;
	}
	switch (c) {
	case 0xed: /* set LEDs */
	case 0xf3: /* typematic rate */
	case 0xf0: /* scancode set */
		k->kbd_param_cmd = c;
		byteq_push(q, KBD_ACK, 0);
		break;
	case 0xee: /* echo */
		byteq_push(q, 0xee, 0);
		break;
	case 0xf2: /* identify: MF2 keyboard, 0x83 translated to 0x41 */
		byteq_push(q, KBD_ACK, 0);
		byteq_push(q, 0xab, 0);
		byteq_push(q, (k->ram[0] & CTR_XLATE) ? 0x41 : 0x83, 0);
		break;
	case 0xf4: case 0xf5: case 0xf6: case 0xf7: case 0xf8: case 0xf9: case 0xfa: case 0xfb:
	case 0xfc: case 0xfd: case 0xfe:
		byteq_push(q, KBD_ACK, 0);
		break;
	case 0xff: /* reset and self-test (BAT) */
		k->kbd_set = 2;
		byteq_push(q, KBD_ACK, 0);
		byteq_push(q, KBD_BAT_OK, 0);
		break;
	default:
		byteq_push(q, KBD_RESEND, 0);
		break;
	}
}

static void i8042_command(struct i8042 *k, uint8_t cmd)
{
	uint8_t *ctr = &k->ram[0];

	k->pending = 0;
	if (cmd >= 0x20 && cmd <= 0x3f) {
		i8042_reply(k, k->ram[cmd & 0x1f], 0);
		return;
	}
	if ((cmd >= 0x60 && cmd <= 0x7f) || (cmd >= 0xd1 && cmd <= 0xd4)) {
		k->pending = cmd;
		return;
	}
	if (cmd >= 0xf0) { /* pulse output lines low for 6 us; bit 0 is the CPU reset */
		if (!(cmd & 1))
			i8042_reset_line(k);
		return;
	}
	switch (cmd) {
	case 0xa7: *ctr |= CTR_AUXDIS; break;
	case 0xa8: *ctr &= ~CTR_AUXDIS; break;
	case 0xa9: i8042_reply(k, 0x00, 0); break; /* AUX interface test: OK */
	case 0xaa: i8042_reply(k, 0x55, 0); break; /* self-test passed */
	case 0xab: i8042_reply(k, 0x00, 0); break; /* keyboard interface test: OK */
	case 0xad: *ctr |= CTR_KBDDIS; break;
	case 0xae: *ctr &= ~CTR_KBDDIS; break;
	case 0xc0: i8042_reply(k, 0x80, 0); break; /* input port: keyboard not inhibited */
	case 0xd0:
		i8042_reply(k, (uint8_t)((k->outport & ~(OUT_KBD_OBF | OUT_AUX_OBF)) |
					 (k->obf ? ((k->out_flags & BYTE_AUX) ? OUT_AUX_OBF : OUT_KBD_OBF) : 0)), 0);
		break;
	case 0xdd: k->outport &= ~OUT_A20; break;
	case 0xdf: k->outport |= OUT_A20; break;
	default:
		log_guest("i8042: unknown controller command 0x%02x", cmd);
		break;
	}
}

static void i8042_data(struct i8042 *k, uint8_t val)
{
	uint8_t cmd = k->pending;

	k->pending = 0;
	switch (cmd) {
	case 0:
		kbd_command(k, val);
		break;
	case 0xd1:
		k->outport = val;
		if (!(val & OUT_RESET))
			i8042_reset_line(k);
		break;
	case 0xd2: i8042_reply(k, val, 0); break;        /* as if from the keyboard */
	case 0xd3: i8042_reply(k, val, BYTE_AUX); break; /* as if from the AUX device */
	case 0xd4: i8042_reply(k, KBD_RESEND, BYTE_AUX | BYTE_TIMEOUT); break; /* no mouse */
	default: /* 0x60-0x7f: write controller RAM */
		k->ram[cmd & 0x1f] = val;
		break;
	}
}

static uint8_t port61_read_locked(struct i8042 *k)
{
	uint64_t t = now_ns();
	uint8_t v = k->port61 & 0x0f;

	v |= ((t / 15085) & 1) ? 0x10 : 0; /* refresh request toggles every 15.085 us */
	v |= (v & 0x01) ? 0x20 : 0;        /* channel 2 output: count taken as expired while gated */
	return v;
}

static uint8_t i8042_read_port(struct i8042 *k, uint64_t port)
{
	switch (port) {
	case 0: /* data: a read empties the output buffer; an empty one repeats its last byte */
		k->obf = false;
		return k->out;
	case 1:
		return port61_read_locked(k);
	case 4:
		return (k->obf ? STR_OBF : 0) | (k->ram[0] & CTR_SYS ? STR_SYS : 0) |
		       (k->last_was_cmd ? STR_CMD : 0) | STR_UNLOCKED |
		       (k->obf && (k->out_flags & BYTE_AUX) ? STR_AUXDATA : 0) |
		       (k->obf && (k->out_flags & BYTE_TIMEOUT) ? STR_TIMEOUT : 0);
	}
	return 0xff;
}

static void i8042_write_port(struct i8042 *k, uint64_t port, uint8_t val)
{
	switch (port) {
	case 0:
		k->last_was_cmd = false;
		i8042_data(k, val);
		break;
	case 1:
		k->port61 = val & 0x0f;
		break;
	case 4:
		k->last_was_cmd = true;
		i8042_command(k, val);
		break;
	}
}

static void i8042_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	struct i8042 *k = opaque;

	pthread_mutex_lock(&k->lock);
	for (unsigned i = 0; i < len; i++) {
		((uint8_t *)data)[i] = i8042_read_port(k, offset + i);
		i8042_update(k);
	}
	pthread_mutex_unlock(&k->lock);
}

static void i8042_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	struct i8042 *k = opaque;

	pthread_mutex_lock(&k->lock);
	for (unsigned i = 0; i < len; i++) {
		i8042_write_port(k, offset + i, ((const uint8_t *)data)[i]);
		i8042_update(k);
	}
	pthread_mutex_unlock(&k->lock);
}

const struct bus_ops i8042_ops = {
	.name = "i8042",
	.read = i8042_read,
	.write = i8042_write,
};

static void port61_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	struct i8042 *k = opaque;

	pthread_mutex_lock(&k->lock);
	for (unsigned i = 0; i < len; i++)
		((uint8_t *)data)[i] = offset + i == 0 ? port61_read_locked(k) : 0xff;
	pthread_mutex_unlock(&k->lock);
}

static void port61_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	struct i8042 *k = opaque;

	pthread_mutex_lock(&k->lock);
	if (offset == 0)
		k->port61 = ((const uint8_t *)data)[0] & 0x0f;
	pthread_mutex_unlock(&k->lock);
}

const struct bus_ops port61_ops = {
	.name = "port61",
	.read = port61_read,
	.write = port61_write,
};

struct i8042 *i8042_new(struct machine *m)
{
	struct i8042 *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	pthread_mutex_init(&k->lock, NULL);
	k->m = m;
	if (m) {
		k->kbd_irq = machine_irq_line(m, 1);
		k->aux_irq = machine_irq_line(m, 12);
	}
	/* As firmware leaves it: both ports' interrupts on, POST passed, set 2 translated to set 1. */
	k->ram[0] = CTR_KBDINT | CTR_AUXINT | CTR_SYS | CTR_XLATE;
	k->outport = OUT_RESET | OUT_A20;
	k->kbd_set = 2;
	return k;
}

void i8042_free(struct i8042 *k)
{
	if (!k)
		return;
	pthread_mutex_destroy(&k->lock);
	free(k);
}
