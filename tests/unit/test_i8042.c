/* i8042 keyboard controller: the sequences Linux's i8042/atkbd/psmouse probes and reboot use. */
#include <string.h>

#include "devices/misc.h"
#include "tests/unit/unit.h"
#include "vmm/machine.h"

UNIT_SUITE(i8042);

struct fake_irq {
	int level[16], rises[16];
};

static void fake_set_level(void *opaque, unsigned irq, int level)
{
	struct fake_irq *f = opaque;
	if (irq >= 16)
		return;
	if (level && !f->level[irq])
		f->rises[irq]++;
	f->level[irq] = level;
}

static struct fake_irq irqs;
static struct machine m;

static struct i8042 *setup(void)
{
	memset(&irqs, 0, sizeof(irqs));
	memset(&m, 0, sizeof(m));
	m.wake_fd = -1;
	m.irqchip = (struct irq_chip){ .set_level = fake_set_level, .opaque = &irqs };
	return i8042_new(&m);
}

static uint8_t status(struct i8042 *k)
{
	uint8_t v = 0;
	i8042_ops.read(k, 4, &v, 1);
	return v;
}

static uint8_t data(struct i8042 *k)
{
	uint8_t v = 0;
	i8042_ops.read(k, 0, &v, 1);
	return v;
}

static void cmd(struct i8042 *k, uint8_t c)
{
	i8042_ops.write(k, 4, &c, 1);
}

static void put(struct i8042 *k, uint8_t c)
{
	i8042_ops.write(k, 0, &c, 1);
}

#define STR_OBF 0x01
#define STR_SYS 0x04
#define STR_CMD 0x08
#define STR_AUXDATA 0x20
#define STR_TIMEOUT 0x40

UNIT_TEST(i8042, status_at_reset_has_empty_buffers_and_system_flag)
{
	struct i8042 *k = setup();
	CU_ASSERT_EQUAL(status(k) & (STR_OBF | 0x02), 0); /* nothing to read, ready for input */
	CU_ASSERT_TRUE(status(k) & STR_SYS);
	cmd(k, 0xaa);
	CU_ASSERT_TRUE(status(k) & STR_CMD);
	i8042_free(k);
}

UNIT_TEST(i8042, self_test_answers_0x55_and_interface_tests_answer_zero)
{
	struct i8042 *k = setup();
	cmd(k, 0xaa);
	CU_ASSERT_TRUE(status(k) & STR_OBF);
	CU_ASSERT_EQUAL(data(k), 0x55);
	CU_ASSERT_FALSE(status(k) & STR_OBF);
	cmd(k, 0xab);
	CU_ASSERT_EQUAL(data(k), 0x00);
	cmd(k, 0xa9);
	CU_ASSERT_EQUAL(data(k), 0x00);
	i8042_free(k);
}

UNIT_TEST(i8042, command_byte_reads_and_writes_through_0x20_and_0x60)
{
	struct i8042 *k = setup();
	cmd(k, 0x20);
	CU_ASSERT_EQUAL(data(k), 0x47);
	cmd(k, 0x60);
	put(k, 0x65);
	cmd(k, 0x20);
	CU_ASSERT_EQUAL(data(k), 0x65);
	cmd(k, 0xa7); /* disable AUX -> CTR bit 5 */
	cmd(k, 0x20);
	CU_ASSERT_EQUAL(data(k) & 0x20, 0x20);
	cmd(k, 0xa8);
	cmd(k, 0xad); /* disable keyboard -> CTR bit 4 */
	cmd(k, 0x20);
	CU_ASSERT_EQUAL(data(k) & 0x30, 0x10);
	i8042_free(k);
}

/* Linux i8042_check_aux: 0xd3 loopback must come back as AUX data, and with IRQ 12 (irq test). */
UNIT_TEST(i8042, aux_loopback_returns_aux_data_and_raises_irq12)
{
	struct i8042 *k = setup();
	cmd(k, 0xd3);
	put(k, 0xa5);
	CU_ASSERT_EQUAL(status(k) & (STR_OBF | STR_AUXDATA), STR_OBF | STR_AUXDATA);
	CU_ASSERT_EQUAL(irqs.level[12], 1);
	CU_ASSERT_EQUAL(irqs.level[1], 0);
	CU_ASSERT_EQUAL(data(k), 0xa5);
	CU_ASSERT_EQUAL(irqs.level[12], 0);
	i8042_free(k);
}

UNIT_TEST(i8042, interrupts_follow_the_command_byte_enables)
{
	struct i8042 *k = setup();
	cmd(k, 0x60);
	put(k, 0x44); /* no KBDINT/AUXINT */
	cmd(k, 0xd2);
	put(k, 0x12);
	CU_ASSERT_TRUE(status(k) & STR_OBF);
	CU_ASSERT_EQUAL(irqs.level[1], 0);
	CU_ASSERT_EQUAL(data(k), 0x12);
	i8042_free(k);
}

/* atkbd_probe: GETID must be acknowledged, then 0xab and a translated 0x41. */
UNIT_TEST(i8042, keyboard_answers_getid_with_a_new_irq1_edge_per_byte)
{
	struct i8042 *k = setup();
	put(k, 0xf2);
	CU_ASSERT_EQUAL(irqs.level[1], 1);
	CU_ASSERT_EQUAL(data(k), 0xfa);
	CU_ASSERT_EQUAL(data(k) , 0xab);
	CU_ASSERT_EQUAL(data(k), 0x41);
	CU_ASSERT_EQUAL(irqs.rises[1], 3);
	CU_ASSERT_EQUAL(irqs.level[1], 0);
	cmd(k, 0x60);
	put(k, 0x07); /* translation off */
	put(k, 0xf2);
	data(k);
	data(k);
	CU_ASSERT_EQUAL(data(k), 0x83);
	i8042_free(k);
}

UNIT_TEST(i8042, keyboard_reset_leds_and_unknown_commands)
{
	struct i8042 *k = setup();
	put(k, 0xff);
	CU_ASSERT_EQUAL(data(k), 0xfa);
	CU_ASSERT_EQUAL(data(k), 0xaa);
	put(k, 0xed);
	CU_ASSERT_EQUAL(data(k), 0xfa);
	put(k, 0x07);
	CU_ASSERT_EQUAL(data(k), 0xfa);
	put(k, 0xee);
	CU_ASSERT_EQUAL(data(k), 0xee);
	put(k, 0x42);
	CU_ASSERT_EQUAL(data(k), 0xfe);
	put(k, 0xf0);
	data(k);
	put(k, 0x00);
	CU_ASSERT_EQUAL(data(k), 0xfa);
	CU_ASSERT_EQUAL(data(k), 0x41); /* set 2, as seen through translation */
	CU_ASSERT_FALSE(status(k) & STR_OBF);
	i8042_free(k);
}

UNIT_TEST(i8042, disabled_keyboard_port_holds_keyboard_bytes)
{
	struct i8042 *k = setup();
	cmd(k, 0xad);
	put(k, 0xf4);
	CU_ASSERT_FALSE(status(k) & STR_OBF);
	cmd(k, 0xae);
	CU_ASSERT_TRUE(status(k) & STR_OBF);
	CU_ASSERT_EQUAL(data(k), 0xfa);
	i8042_free(k);
}

UNIT_TEST(i8042, aux_device_writes_time_out_because_there_is_no_mouse)
{
	struct i8042 *k = setup();
	cmd(k, 0xd4);
	put(k, 0xf2);
	CU_ASSERT_EQUAL(status(k) & (STR_OBF | STR_AUXDATA | STR_TIMEOUT), STR_OBF | STR_AUXDATA | STR_TIMEOUT);
	CU_ASSERT_EQUAL(data(k), 0xfe);
	CU_ASSERT_FALSE(status(k) & STR_TIMEOUT);
	i8042_free(k);
}

UNIT_TEST(i8042, command_0xfe_pulses_reset_and_requests_machine_reset)
{
	struct i8042 *k = setup();
	cmd(k, 0xff); /* no line pulsed */
	CU_ASSERT_EQUAL(m.exit_reason, MEXIT_NONE);
	cmd(k, 0xfe);
	CU_ASSERT_EQUAL(m.exit_reason, MEXIT_RESET);
	i8042_free(k);
}

UNIT_TEST(i8042, output_port_write_with_bit0_clear_resets)
{
	struct i8042 *k = setup();
	cmd(k, 0xd0);
	CU_ASSERT_EQUAL(data(k) & 0x03, 0x03);
	cmd(k, 0xd1);
	put(k, 0xdf); /* A20 on, reset high: nothing */
	CU_ASSERT_EQUAL(m.exit_reason, MEXIT_NONE);
	cmd(k, 0xd1);
	put(k, 0xde);
	CU_ASSERT_EQUAL(m.exit_reason, MEXIT_RESET);
	i8042_free(k);
}

UNIT_TEST(i8042, unknown_commands_are_ignored)
{
	struct i8042 *k = setup();
	cmd(k, 0xb5);
	CU_ASSERT_FALSE(status(k) & STR_OBF);
	cmd(k, 0xaa);
	CU_ASSERT_EQUAL(data(k), 0x55);
	i8042_free(k);
}

UNIT_TEST(i8042, port61_keeps_gate_and_speaker_bits_and_reports_channel2_output)
{
	struct i8042 *k = setup();
	uint8_t v = 0x03;
	i8042_ops.write(k, 1, &v, 1);
	i8042_ops.read(k, 1, &v, 1);
	CU_ASSERT_EQUAL(v & 0x0f, 0x03);
	CU_ASSERT_EQUAL(v & 0x20, 0x20);
	v = 0x00;
	port61_ops.write(k, 0, &v, 1);
	port61_ops.read(k, 0, &v, 1);
	CU_ASSERT_EQUAL(v & 0x2f, 0x00);
	i8042_free(k);
}

/* Linux's __i8042_command(): command, (command >> 12) parameters out, (command >> 8) & 0xf back. */
static int linux_command(struct i8042 *k, uint8_t *param, int command)
{
	if (status(k) & 0x02)
		return -1; /* input buffer full: i8042_wait_write would time out */
	cmd(k, (uint8_t)command);
	for (int i = 0; i < ((command >> 12) & 0xf); i++)
		put(k, param[i]);
	for (int i = 0; i < ((command >> 8) & 0xf); i++) {
		if (!(status(k) & STR_OBF))
			return -1; /* i8042_wait_read timeout */
		if ((command & 0xff) == 0xd3 && !(status(k) & STR_AUXDATA))
			return -1;
		param[i] = data(k);
	}
	return 0;
}

/* The probe order of i8042_controller_check/selftest/init, i8042_check_mux and i8042_check_aux. */
UNIT_TEST(i8042, linux_probe_sequence_finds_a_controller_with_aux_and_no_mux)
{
	struct i8042 *k = setup();
	uint8_t p[2], ctr;
	int flushed = 0;

	while ((status(k) & STR_OBF) && flushed++ < 16) /* i8042_flush */
		data(k);
	CU_ASSERT_TRUE(flushed < 16);
	CU_ASSERT_EQUAL(linux_command(k, p, 0x01aa), 0); /* CTL_TEST */
	CU_ASSERT_EQUAL(p[0], 0x55);
	CU_ASSERT_EQUAL(linux_command(k, p, 0x0120), 0); /* RCTR, twice, must agree */
	CU_ASSERT_EQUAL(linux_command(k, p + 1, 0x0120), 0);
	CU_ASSERT_EQUAL(p[0], p[1]);
	ctr = (uint8_t)((p[0] | 0x30) & ~0x03); /* both ports off while probing */
	CU_ASSERT_EQUAL(linux_command(k, &ctr, 0x1060), 0);

	uint8_t mux[3] = { 0xf0, 0x56, 0xa4 }; /* i8042_set_mux_mode(true): a plain 8042 echoes */
	for (int i = 0; i < 3; i++) {
		p[0] = mux[i];
		CU_ASSERT_EQUAL(linux_command(k, p, 0x11d3), 0);
		CU_ASSERT_EQUAL(p[0], mux[i]); /* third equal to 0xa4: "no MUX" */
	}

	p[0] = 0x5a; /* i8042_check_aux: internal loopback */
	CU_ASSERT_EQUAL(linux_command(k, p, 0x11d3), 0);
	CU_ASSERT_EQUAL(p[0], 0x5a);
	CU_ASSERT_EQUAL(linux_command(k, &ctr, 0x00a7), 0);
	CU_ASSERT_EQUAL(linux_command(k, &ctr, 0x0120), 0);
	CU_ASSERT_TRUE(ctr & 0x20);
	CU_ASSERT_EQUAL(linux_command(k, &ctr, 0x00a8), 0);
	CU_ASSERT_EQUAL(linux_command(k, &ctr, 0x0120), 0);
	CU_ASSERT_FALSE(ctr & 0x20);

	/* i8042_aux_irq_test: AUX interrupt on, loop 0xa5 without reading, expect IRQ 12. */
	ctr |= 0x02;
	CU_ASSERT_EQUAL(linux_command(k, &ctr, 0x1060), 0);
	p[0] = 0xa5;
	CU_ASSERT_EQUAL(linux_command(k, p, 0x10d3), 0);
	CU_ASSERT_EQUAL(irqs.level[12], 1);
	CU_ASSERT_EQUAL(status(k) & (STR_OBF | STR_AUXDATA), STR_OBF | STR_AUXDATA);
	CU_ASSERT_EQUAL(data(k), 0xa5);

	/* i8042_enable_kbd_port, then atkbd's first command through the serio port */
	ctr = (uint8_t)((ctr & ~0x10) | 0x01);
	CU_ASSERT_EQUAL(linux_command(k, &ctr, 0x1060), 0);
	put(k, 0xf5);
	CU_ASSERT_EQUAL(irqs.level[1], 1);
	CU_ASSERT_EQUAL(data(k), 0xfa);
	i8042_free(k);
}
