/* PL011 UART register model, driven through its MMIO ops with a fake interrupt controller. */
#include <string.h>

#include "devices/serial.h"
#include "tests/unit/fakes.h"
#include "tests/unit/unit.h"
#include "vmm/console.h"

UNIT_SUITE(pl011);

static struct fake_irq irqs;
static const struct irq_chip chip = FAKE_IRQ_CHIP(&irqs);

static struct fake_console sink;
#define out sink.out
#define out_len sink.len

static struct pl011 *setup(void)
{
	memset(&irqs, 0, sizeof(irqs));
	out_len = 0;
	console_capture(fake_console_capture, &sink);
	return pl011_new((struct irq_line){ .chip = &chip, .irq = 33 });
}

static void teardown(struct pl011 *p)
{
	pl011_free(p);
	console_capture(NULL, NULL);
}

static uint32_t rd(struct pl011 *p, uint64_t off)
{
	uint32_t v = 0xdeadbeef;
	pl011_ops.read(p, off, &v, 4);
	return v;
}

static void wr(struct pl011 *p, uint64_t off, uint32_t v)
{
	pl011_ops.write(p, off, &v, 4);
}

enum { DR = 0x00, RSR = 0x04, FR = 0x18, IBRD = 0x24, FBRD = 0x28, LCR_H = 0x2c, CR = 0x30, IFLS = 0x34,
       IMSC = 0x38, RIS = 0x3c, MIS = 0x40, ICR = 0x44, DMACR = 0x48 };
#define FR_CTS 0x01
#define FR_DSR 0x02
#define FR_DCD 0x04
#define FR_RXFE 0x10
#define FR_RXFF 0x40
#define FR_TXFE 0x80
#define INT_RX 0x10
#define INT_TX 0x20
#define INT_RT 0x40
#define INT_OE 0x400
#define ENABLED 0x301 /* UARTEN | TXE | RXE */

UNIT_TEST(pl011, primecell_id_registers_identify_an_arm_pl011)
{
	struct pl011 *p = setup();
	static const uint32_t id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };
	for (int i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(rd(p, 0xfe0 + 4 * i), id[i]);
	teardown(p);
}

UNIT_TEST(pl011, reset_values_match_the_trm)
{
	struct pl011 *p = setup();
	CU_ASSERT_EQUAL(rd(p, CR), 0x300);
	CU_ASSERT_EQUAL(rd(p, IFLS), 0x12);
	CU_ASSERT_EQUAL(rd(p, FR), FR_TXFE | FR_RXFE | FR_CTS | FR_DSR | FR_DCD);
	CU_ASSERT_EQUAL(rd(p, IMSC), 0);
	CU_ASSERT_EQUAL(rd(p, RIS), 0);
	CU_ASSERT_EQUAL(irqs.level, 0);
	teardown(p);
}

UNIT_TEST(pl011, data_writes_reach_the_console_with_byte_and_word_accesses)
{
	struct pl011 *p = setup();
	wr(p, DR, 'h');
	uint8_t b = 'i';
	pl011_ops.write(p, DR, &b, 1); /* earlycon uses writeb */
	CU_ASSERT_EQUAL(out_len, 2);
	CU_ASSERT_NSTRING_EQUAL(out, "hi", 2);
	CU_ASSERT_TRUE(rd(p, FR) & FR_TXFE);
	teardown(p);
}

UNIT_TEST(pl011, configuration_registers_read_back)
{
	struct pl011 *p = setup();
	wr(p, IBRD, 0x1234);
	wr(p, FBRD, 0xff);
	wr(p, LCR_H, 0x70);
	wr(p, IFLS, 0x24);
	wr(p, DMACR, 0x7);
	CU_ASSERT_EQUAL(rd(p, IBRD), 0x1234);
	CU_ASSERT_EQUAL(rd(p, FBRD), 0x3f);
	CU_ASSERT_EQUAL(rd(p, LCR_H), 0x70);
	CU_ASSERT_EQUAL(rd(p, IFLS), 0x24);
	CU_ASSERT_EQUAL(rd(p, DMACR), 0x7);
	uint16_t h = 0;
	pl011_ops.read(p, IBRD, &h, 2); /* readw as the driver does */
	CU_ASSERT_EQUAL(h, 0x1234);
	teardown(p);
}

UNIT_TEST(pl011, receiver_takes_input_only_when_uart_and_rx_enabled)
{
	struct pl011 *p = setup();
	const uint8_t c = 'a';
	CU_ASSERT_EQUAL(pl011_receive(p, &c, 1), 0); /* UARTEN clear at reset */
	wr(p, CR, 0x101);
	CU_ASSERT_EQUAL(pl011_receive(p, &c, 1), 0); /* RXE clear */
	wr(p, CR, ENABLED);
	CU_ASSERT_EQUAL(pl011_receive(p, &c, 1), 1);
	CU_ASSERT_EQUAL(rd(p, FR) & FR_RXFE, 0);
	CU_ASSERT_EQUAL(rd(p, DR), 'a');
	CU_ASSERT_TRUE(rd(p, FR) & FR_RXFE);
	teardown(p);
}

UNIT_TEST(pl011, rx_fifo_holds_32_with_fen_and_1_without)
{
	struct pl011 *p = setup();
	uint8_t in[40];
	for (int i = 0; i < 40; i++)
		in[i] = (uint8_t)i;
	wr(p, CR, ENABLED);
	CU_ASSERT_EQUAL(pl011_receive(p, in, 40), 1);
	CU_ASSERT_TRUE(rd(p, FR) & FR_RXFF);
	CU_ASSERT_EQUAL(rd(p, DR), 0);
	wr(p, LCR_H, 0x70);
	CU_ASSERT_EQUAL(pl011_receive(p, in, 40), 32);
	CU_ASSERT_TRUE(rd(p, FR) & FR_RXFF);
	int bad = 0;
	for (int i = 0; i < 32; i++)
		bad += rd(p, DR) != (uint32_t)i;
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_TRUE(rd(p, FR) & FR_RXFE);
	teardown(p);
}

UNIT_TEST(pl011, rx_interrupt_rises_at_the_trigger_level_and_clears_below_it)
{
	struct pl011 *p = setup();
	uint8_t in[32] = { 0 };
	wr(p, CR, ENABLED);
	wr(p, LCR_H, 0x70);  /* FIFO on; IFLS 1/2 -> 16 */
	wr(p, IMSC, INT_RX);
	pl011_receive(p, in, 15);
	CU_ASSERT_EQUAL(rd(p, RIS) & INT_RX, 0);
	CU_ASSERT_EQUAL(irqs.level, 0);
	pl011_receive(p, in, 1);
	CU_ASSERT_EQUAL(rd(p, RIS) & INT_RX, INT_RX);
	CU_ASSERT_EQUAL(rd(p, MIS), INT_RX);
	CU_ASSERT_EQUAL(irqs.level, 1);
	rd(p, DR);
	CU_ASSERT_EQUAL(rd(p, RIS) & INT_RX, 0);
	CU_ASSERT_EQUAL(irqs.level, 0);
	wr(p, IFLS, 0x00); /* 1/8 -> 4: no transition, no interrupt */
	CU_ASSERT_EQUAL(rd(p, RIS) & INT_RX, 0);
	teardown(p);
}

UNIT_TEST(pl011, receive_timeout_interrupt_stays_until_the_fifo_is_drained)
{
	struct pl011 *p = setup();
	const uint8_t in[3] = "abc";
	wr(p, CR, ENABLED);
	wr(p, LCR_H, 0x70);
	wr(p, IMSC, INT_RX | INT_RT);
	pl011_receive(p, in, 3);
	CU_ASSERT_EQUAL(rd(p, MIS), INT_RT);
	CU_ASSERT_EQUAL(irqs.level, 1);
	wr(p, ICR, INT_RT | INT_RX); /* the driver clears first, then drains */
	rd(p, DR);
	rd(p, DR);
	CU_ASSERT_EQUAL(irqs.level, 1);
	CU_ASSERT_EQUAL(rd(p, DR), 'c');
	CU_ASSERT_EQUAL(rd(p, RIS), 0);
	CU_ASSERT_EQUAL(irqs.level, 0);
	teardown(p);
}

UNIT_TEST(pl011, tx_interrupt_follows_each_write_until_cleared)
{
	struct pl011 *p = setup();
	wr(p, CR, ENABLED);
	wr(p, IMSC, INT_TX);
	CU_ASSERT_EQUAL(irqs.level, 0);
	wr(p, DR, 'x');
	CU_ASSERT_EQUAL(rd(p, MIS), INT_TX);
	CU_ASSERT_EQUAL(irqs.level, 1);
	wr(p, ICR, INT_TX);
	CU_ASSERT_EQUAL(irqs.level, 0);
	wr(p, IMSC, 0);
	wr(p, DR, 'y');
	CU_ASSERT_EQUAL(rd(p, RIS), INT_TX);
	CU_ASSERT_EQUAL(rd(p, MIS), 0);
	CU_ASSERT_EQUAL(irqs.level, 0);
	teardown(p);
}

UNIT_TEST(pl011, loopback_returns_tx_data_and_modem_outputs)
{
	struct pl011 *p = setup();
	wr(p, CR, ENABLED | 0x80); /* LBE: all modem outputs off, inputs drop */
	CU_ASSERT_EQUAL(rd(p, FR) & (FR_CTS | FR_DSR | FR_DCD), 0);
	CU_ASSERT_EQUAL(rd(p, RIS) & 0x0e, 0x0e); /* CTS, DCD, DSR changed */
	wr(p, ICR, 0x7ff);
	wr(p, DR, 'L');
	CU_ASSERT_EQUAL(out_len, 0);
	CU_ASSERT_EQUAL(rd(p, DR), 'L');
	wr(p, CR, ENABLED | 0x80 | 0x0800); /* RTS -> CTS */
	CU_ASSERT_EQUAL(rd(p, FR) & FR_CTS, FR_CTS);
	CU_ASSERT_EQUAL(rd(p, RIS) & 0x02, 0x02);
	const uint8_t c = 'z';
	CU_ASSERT_EQUAL(pl011_receive(p, &c, 1), 0); /* the line input is disconnected */
	teardown(p);
}

UNIT_TEST(pl011, overrun_sets_rsr_and_oe_interrupt_and_ecr_write_clears)
{
	struct pl011 *p = setup();
	wr(p, CR, ENABLED | 0x80);
	wr(p, LCR_H, 0x70);
	for (int i = 0; i < 33; i++)
		wr(p, DR, (uint32_t)i);
	CU_ASSERT_EQUAL(rd(p, RSR) & 0x8, 0x8);
	CU_ASSERT_EQUAL(rd(p, RIS) & INT_OE, INT_OE);
	wr(p, RSR, 0);
	CU_ASSERT_EQUAL(rd(p, RSR), 0);
	CU_ASSERT_EQUAL(rd(p, DR), 0); /* the FIFO kept the first 32 */
	teardown(p);
}

UNIT_TEST(pl011, changing_fifo_enable_flushes_the_rx_fifo)
{
	struct pl011 *p = setup();
	const uint8_t in[4] = "abcd";
	wr(p, CR, ENABLED);
	wr(p, LCR_H, 0x70);
	pl011_receive(p, in, 4);
	wr(p, LCR_H, 0x60);
	CU_ASSERT_TRUE(rd(p, FR) & FR_RXFE);
	teardown(p);
}

UNIT_TEST(pl011, misuse_reads_zero_and_ignores_writes)
{
	struct pl011 *p = setup();
	CU_ASSERT_EQUAL(rd(p, 0x08), 0);
	CU_ASSERT_EQUAL(rd(p, 0x100), 0);
	uint64_t q = 0x55;
	pl011_ops.read(p, FR, &q, 8);
	CU_ASSERT_EQUAL(q, 0);
	uint16_t h = 0x1;
	pl011_ops.write(p, IBRD + 2, &h, 2); /* not at the register's start */
	CU_ASSERT_EQUAL(rd(p, IBRD), 0);
	wr(p, FR, 0xffff);
	wr(p, 0xfe0, 0);
	CU_ASSERT_EQUAL(rd(p, 0xfe0), 0x11);
	uint32_t v = 0;
	pl011_ops.read(p, 0xffe, &v, 4); /* straddles the word */
	CU_ASSERT_EQUAL(v, 0);
	teardown(p);
}
