/* 16550A UART register model, driven through its bus ops with a fake interrupt controller. */
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "devices/serial.h"
#include "tests/unit/fakes.h"
#include "tests/unit/unit.h"
#include "vmm/console.h"

UNIT_SUITE(uart16550);

static struct fake_irq irqs;
static const struct irq_chip chip = FAKE_IRQ_CHIP(&irqs);

static struct fake_console sink;
#define out sink.out
#define out_len sink.len

static struct uart16550 *setup(void)
{
	memset(&irqs, 0, sizeof(irqs));
	out_len = 0;
	console_capture(fake_console_capture, &sink);
	return uart16550_new((struct irq_line){ .chip = &chip, .irq = 4 });
}

static void teardown(struct uart16550 *u)
{
	uart16550_free(u);
	console_capture(NULL, NULL);
}

static uint8_t rd(struct uart16550 *u, unsigned reg)
{
	uint8_t v = 0;
	uart16550_ops.read(u, reg, &v, 1);
	return v;
}

static void wr(struct uart16550 *u, unsigned reg, uint8_t v)
{
	uart16550_ops.write(u, reg, &v, 1);
}

enum { RBR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

UNIT_TEST(uart16550, reset_state_is_idle_with_empty_transmitter_and_connected_line)
{
	struct uart16550 *u = setup();
	CU_ASSERT_EQUAL(rd(u, IIR), 0x01);
	CU_ASSERT_EQUAL(rd(u, LSR), 0x60);
	CU_ASSERT_EQUAL(rd(u, MSR), 0xb0);
	CU_ASSERT_EQUAL(rd(u, IER), 0);
	CU_ASSERT_EQUAL(rd(u, LCR), 0);
	CU_ASSERT_EQUAL(rd(u, MCR), 0);
	CU_ASSERT_EQUAL(irqs.level, 0);
	teardown(u);
}

UNIT_TEST(uart16550, thr_writes_reach_the_console)
{
	struct uart16550 *u = setup();
	wr(u, RBR, 'o');
	wr(u, RBR, 'k');
	CU_ASSERT_EQUAL(out_len, 2);
	CU_ASSERT_NSTRING_EQUAL(out, "ok", 2);
	CU_ASSERT_EQUAL(rd(u, LSR) & 0x60, 0x60); /* THRE and TEMT stay set */
	teardown(u);
}

/* serial8250_do_startup: IER=THRI -> IIR shows THRI; IER=0; IER=THRI -> THRI again. */
UNIT_TEST(uart16550, thre_interrupt_reasserts_as_the_8250_probe_expects)
{
	struct uart16550 *u = setup();
	wr(u, IER, 0x02);
	CU_ASSERT_EQUAL(irqs.level, 1);
	CU_ASSERT_EQUAL(rd(u, IIR), 0x02);
	CU_ASSERT_EQUAL(irqs.level, 0); /* reading IIR with THRE as the source clears it */
	CU_ASSERT_EQUAL(rd(u, IIR), 0x01);
	wr(u, IER, 0x00);
	wr(u, IER, 0x02);
	CU_ASSERT_EQUAL(rd(u, IIR), 0x02);
	CU_ASSERT_EQUAL(irqs.rises, 2);
	teardown(u);
}

UNIT_TEST(uart16550, every_thr_write_raises_thre_again)
{
	struct uart16550 *u = setup();
	wr(u, IER, 0x02);
	CU_ASSERT_EQUAL(rd(u, IIR), 0x02);
	CU_ASSERT_EQUAL(irqs.level, 0);
	wr(u, RBR, 'x');
	CU_ASSERT_EQUAL(irqs.level, 1);
	CU_ASSERT_EQUAL(rd(u, IIR), 0x02);
	teardown(u);
}

UNIT_TEST(uart16550, dlab_maps_divisor_latch_over_rbr_and_ier)
{
	struct uart16550 *u = setup();
	wr(u, IER, 0x05);
	wr(u, LCR, 0x83);
	wr(u, 0, 0x01);
	wr(u, 1, 0x02);
	CU_ASSERT_EQUAL(rd(u, 0), 0x01);
	CU_ASSERT_EQUAL(rd(u, 1), 0x02);
	CU_ASSERT_EQUAL(out_len, 0); /* DLL write is not a THR write */
	wr(u, LCR, 0x03);
	CU_ASSERT_EQUAL(rd(u, IER), 0x05);
	CU_ASSERT_EQUAL(rd(u, LCR), 0x03);
	teardown(u);
}

UNIT_TEST(uart16550, rx_holds_one_byte_without_fifo_and_sixteen_with_it)
{
	struct uart16550 *u = setup();
	const uint8_t in[20] = "abcdefghijklmnopqrs";
	CU_ASSERT_EQUAL(uart16550_receive(u, in, 3), 1);
	CU_ASSERT_EQUAL(rd(u, LSR) & 0x01, 0x01);
	CU_ASSERT_EQUAL(rd(u, RBR), 'a');
	CU_ASSERT_EQUAL(rd(u, LSR) & 0x01, 0);
	wr(u, FCR, 0x01);
	CU_ASSERT_EQUAL(rd(u, IIR) & 0xc0, 0xc0); /* FIFOs enabled */
	CU_ASSERT_EQUAL(uart16550_receive(u, in, 20), 16);
	for (int i = 0; i < 16; i++)
		CU_ASSERT_EQUAL(rd(u, RBR), in[i]);
	CU_ASSERT_EQUAL(rd(u, LSR) & 0x01, 0);
	teardown(u);
}

UNIT_TEST(uart16550, rx_trigger_level_selects_data_available_over_char_timeout)
{
	struct uart16550 *u = setup();
	const uint8_t in[16] = "0123456789abcdef";
	wr(u, FCR, 0xc1); /* trigger 14 */
	wr(u, IER, 0x01);
	uart16550_receive(u, in, 3);
	CU_ASSERT_EQUAL(rd(u, IIR), 0xcc); /* fewer than 14: character timeout */
	CU_ASSERT_EQUAL(irqs.level, 1);
	uart16550_receive(u, in + 3, 11);
	CU_ASSERT_EQUAL(rd(u, IIR), 0xc4); /* 14: receive data available */
	rd(u, RBR);
	CU_ASSERT_EQUAL(rd(u, IIR), 0xcc);
	for (int i = 0; i < 13; i++)
		rd(u, RBR);
	CU_ASSERT_EQUAL(rd(u, IIR), 0xc1);
	CU_ASSERT_EQUAL(irqs.level, 0);
	wr(u, FCR, 0x41); /* trigger 4 */
	uart16550_receive(u, in, 4);
	CU_ASSERT_EQUAL(rd(u, IIR), 0xc4);
	teardown(u);
}

UNIT_TEST(uart16550, fcr_clears_rx_fifo_and_fifo_mode_change_empties_it)
{
	struct uart16550 *u = setup();
	const uint8_t in[4] = "wxyz";
	wr(u, FCR, 0x01);
	uart16550_receive(u, in, 4);
	wr(u, FCR, 0x03);
	CU_ASSERT_EQUAL(rd(u, LSR) & 0x01, 0);
	uart16550_receive(u, in, 4);
	wr(u, FCR, 0x00);
	CU_ASSERT_EQUAL(rd(u, LSR) & 0x01, 0);
	CU_ASSERT_EQUAL(rd(u, IIR) & 0xc0, 0);
	teardown(u);
}

/* Linux's autoconfig loopback test: MCR = LOOP|OUT2|RTS must read MSR & 0xf0 == 0x90. */
UNIT_TEST(uart16550, loopback_wires_modem_outputs_to_inputs_and_tx_to_rx)
{
	struct uart16550 *u = setup();
	wr(u, MCR, 0x1a);
	CU_ASSERT_EQUAL(rd(u, MSR) & 0xf0, 0x90);
	wr(u, MCR, 0x1f);
	CU_ASSERT_EQUAL(rd(u, MSR) & 0xf0, 0xf0);
	wr(u, RBR, 'L');
	CU_ASSERT_EQUAL(out_len, 0);
	CU_ASSERT_EQUAL(rd(u, LSR) & 0x01, 0x01);
	CU_ASSERT_EQUAL(rd(u, RBR), 'L');
	const uint8_t c = 'x';
	CU_ASSERT_EQUAL(uart16550_receive(u, &c, 1), 0); /* the line input is disconnected */
	wr(u, MCR, 0x0b);
	CU_ASSERT_EQUAL(rd(u, MSR) & 0xf0, 0xb0);
	CU_ASSERT_EQUAL(uart16550_receive(u, &c, 1), 1);
	teardown(u);
}

UNIT_TEST(uart16550, overrun_sets_oe_and_the_line_status_interrupt_until_lsr_is_read)
{
	struct uart16550 *u = setup();
	wr(u, FCR, 0x01);
	wr(u, MCR, 0x10);
	for (int i = 0; i < 17; i++)
		wr(u, RBR, (uint8_t)('a' + i));
	wr(u, IER, 0x05);
	CU_ASSERT_EQUAL(rd(u, IIR), 0xc6);
	CU_ASSERT_EQUAL(rd(u, LSR) & 0x03, 0x03);
	CU_ASSERT_EQUAL(rd(u, LSR) & 0x02, 0); /* OE clears on read */
	CU_ASSERT_EQUAL(rd(u, IIR), 0xc4);     /* data still there */
	CU_ASSERT_EQUAL(rd(u, RBR), 'a');      /* FIFO kept its first 16 bytes */
	teardown(u);
}

UNIT_TEST(uart16550, modem_status_deltas_raise_msi_and_clear_on_msr_read)
{
	struct uart16550 *u = setup();
	wr(u, MCR, 0x10);          /* loopback, all outputs off: CTS/DSR/DCD drop */
	CU_ASSERT_EQUAL(rd(u, MSR), 0x0b); /* DCTS | DDSR | DDCD */
	wr(u, IER, 0x08);
	CU_ASSERT_EQUAL(irqs.level, 0);
	wr(u, MCR, 0x14);          /* OUT1 -> RI rises: no TERI yet */
	CU_ASSERT_EQUAL(rd(u, IIR), 0x01);
	wr(u, MCR, 0x10);          /* RI falls: trailing edge */
	CU_ASSERT_EQUAL(irqs.level, 1);
	CU_ASSERT_EQUAL(rd(u, IIR), 0x00);
	CU_ASSERT_EQUAL(rd(u, MSR), 0x04);
	CU_ASSERT_EQUAL(irqs.level, 0);
	CU_ASSERT_EQUAL(rd(u, IIR), 0x01);
	teardown(u);
}

UNIT_TEST(uart16550, interrupt_identification_follows_priority_order)
{
	struct uart16550 *u = setup();
	wr(u, MCR, 0x10);
	wr(u, RBR, 'a');
	wr(u, RBR, 'b'); /* overrun without FIFO */
	wr(u, IER, 0x0f);
	CU_ASSERT_EQUAL(rd(u, IIR), 0x06);
	rd(u, LSR);
	CU_ASSERT_EQUAL(rd(u, IIR), 0x04);
	CU_ASSERT_EQUAL(rd(u, RBR), 'b'); /* RBR mode: the newer byte overwrote */
	CU_ASSERT_EQUAL(rd(u, IIR), 0x02);
	CU_ASSERT_EQUAL(rd(u, IIR), 0x00); /* MSI: deltas from entering loopback */
	rd(u, MSR);
	CU_ASSERT_EQUAL(rd(u, IIR), 0x01);
	CU_ASSERT_EQUAL(irqs.level, 0);
	teardown(u);
}

UNIT_TEST(uart16550, scratch_register_keeps_its_value)
{
	struct uart16550 *u = setup();
	wr(u, SCR, 0xa5);
	CU_ASSERT_EQUAL(rd(u, SCR), 0xa5);
	teardown(u);
}

UNIT_TEST(uart16550, wide_access_is_split_into_consecutive_ports)
{
	struct uart16550 *u = setup();
	uint16_t v = 0x0b03; /* LCR = 0x03, MCR = 0x0b */
	uart16550_ops.write(u, 3, &v, 2);
	CU_ASSERT_EQUAL(rd(u, LCR), 0x03);
	CU_ASSERT_EQUAL(rd(u, MCR), 0x0b);
	v = 0;
	uart16550_ops.read(u, 3, &v, 2);
	CU_ASSERT_EQUAL(v, 0x0b03);
	teardown(u);
}

UNIT_TEST(uart16550, received_data_interrupt_needs_erbfi_and_drops_when_drained)
{
	struct uart16550 *u = setup();
	const uint8_t c = 'q';
	uart16550_receive(u, &c, 1);
	CU_ASSERT_EQUAL(irqs.level, 0);
	wr(u, IER, 0x01);
	CU_ASSERT_EQUAL(irqs.level, 1);
	CU_ASSERT_EQUAL(rd(u, IIR), 0x04);
	CU_ASSERT_EQUAL(rd(u, RBR), 'q');
	CU_ASSERT_EQUAL(irqs.level, 0);
	teardown(u);
}

struct feeder {
	struct uart16550 *u;
	unsigned n;
};

static void *feed(void *arg)
{
	struct feeder *f = arg;
	for (unsigned i = 0; i < f->n;) {
		uint8_t c = (uint8_t)i;
		if (uart16550_receive(f->u, &c, 1))
			i++;
		else
			sched_yield();
	}
	return NULL;
}

/* The main loop feeds input while a vCPU thread drains it: nothing lost, nothing reordered. */
UNIT_TEST(uart16550, concurrent_input_and_guest_reads_keep_every_byte_in_order)
{
	struct uart16550 *u = setup();
	struct feeder f = { .u = u, .n = 20000 };
	pthread_t t;
	unsigned got = 0, bad = 0;

	wr(u, FCR, 0x01);
	wr(u, IER, 0x01);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, feed, &f), 0);
	while (got < f.n) {
		if (rd(u, LSR) & 0x01)
			bad += rd(u, RBR) != (uint8_t)got++;
		else
			sched_yield();
	}
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(rd(u, LSR) & 0x03, 0); /* no overrun: input waits for room */
	CU_ASSERT_EQUAL(irqs.level, 0);
	teardown(u);
}

/* drivers/tty/serial/8250/8250_port.c autoconfig() and autoconfig_16550a(), replayed. */
UNIT_TEST(uart16550, linux_autoconfig_sequence_detects_a_16550a_with_a_16_byte_fifo)
{
	struct uart16550 *u = setup();
	uint8_t s, s2, s3, save_mcr, save_lcr;

	s = rd(u, IER); /* IER existence test */
	wr(u, IER, 0);
	s2 = rd(u, IER) & 0x0f;
	wr(u, IER, 0x0f);
	s3 = rd(u, IER) & 0x0f;
	wr(u, IER, s);
	CU_ASSERT_EQUAL(s2, 0);
	CU_ASSERT_EQUAL(s3, 0x0f);
	save_mcr = rd(u, MCR);
	save_lcr = rd(u, LCR);
	wr(u, MCR, 0x10 | 0x0a); /* loopback test */
	CU_ASSERT_EQUAL(rd(u, MSR) & 0xf0, 0x90);
	wr(u, MCR, save_mcr);
	wr(u, LCR, 0xbf);
	wr(u, 2, 0);
	wr(u, LCR, 0);
	wr(u, FCR, 0x01);
	CU_ASSERT_EQUAL(rd(u, IIR) >> 6, 3); /* -> autoconfig_16550a */
	wr(u, LCR, 0x80);
	CU_ASSERT_NOT_EQUAL(rd(u, 2), 0); /* no EFR with DLAB (not an ST16C650V1) */
	wr(u, LCR, 0xbf);
	CU_ASSERT_NOT_EQUAL(rd(u, 2), 0); /* no EFR with 0xbf either */
	wr(u, LCR, 0);
	s = rd(u, MCR); /* National SuperIO: EXCR1 must not follow MCR.LOOP */
	wr(u, LCR, 0xe0);
	s2 = rd(u, 2);
	wr(u, LCR, 0);
	wr(u, MCR, s ^ 0x10);
	wr(u, LCR, 0xe0);
	s3 = rd(u, 2);
	wr(u, LCR, 0);
	wr(u, MCR, s);
	CU_ASSERT_FALSE(((s2 ^ s) & 0x10) && ((s3 ^ s) & 0x10));
	wr(u, FCR, 0x21); /* TI16750: 64-byte mode must not show in IIR bit 5 */
	s2 = rd(u, IIR) >> 5;
	wr(u, FCR, 0x01);
	wr(u, LCR, 0x80);
	wr(u, FCR, 0x21);
	s3 = rd(u, IIR) >> 5;
	wr(u, FCR, 0x01);
	wr(u, LCR, 0);
	CU_ASSERT_FALSE(s2 == 6 && s3 == 7);
	s = rd(u, IER); /* XScale UUE bit must not stick */
	wr(u, IER, s | 0x40);
	CU_ASSERT_FALSE(rd(u, IER) & 0x40);
	wr(u, IER, s);

	/* size_fifo(): 256 bytes into the loopback, count what comes back */
	wr(u, FCR, 0x07);
	wr(u, MCR, 0x10);
	wr(u, LCR, 0x80);
	wr(u, 0, 1);
	wr(u, 1, 0);
	wr(u, LCR, 0x03);
	for (int i = 0; i < 256; i++)
		wr(u, RBR, (uint8_t)i);
	int count = 0;
	while ((rd(u, LSR) & 0x01) && count < 512) {
		rd(u, RBR);
		count++;
	}
	CU_ASSERT_EQUAL(count, 16);
	CU_ASSERT_EQUAL(out_len, 0); /* nothing leaked to the console during the probe */
	wr(u, MCR, save_mcr);
	wr(u, LCR, save_lcr);

	/* serial8250_do_startup's TXEN test: IER=THRI must show an interrupt in IIR */
	rd(u, LSR);
	rd(u, RBR);
	rd(u, IIR);
	rd(u, MSR);
	CU_ASSERT_NOT_EQUAL(rd(u, LSR), 0xff);
	wr(u, IER, 0x02);
	s = rd(u, LSR);
	s2 = rd(u, IIR);
	wr(u, IER, 0);
	CU_ASSERT_FALSE((s & 0x40) && (s2 & 0x01));
	teardown(u);
}
