/*
 * uart: the 16550A at 0x3f8 register by register (TI/NatSemi PC16550D datasheet): scratch, LCR and
 * the DLAB divisor latch, FCR/IIR FIFO bits, LSR THRE/TEMT, loopback (MCR bit 4: THR -> RBR and
 * MCR outputs -> MSR inputs), the receive FIFO and its overrun, and the IIR interrupt identification
 * for THR-empty, received data and line status. While in loopback nothing reaches the console, so
 * results are recorded and printed afterwards, each with the value read, so that the output can be
 * compared line by line with another VMM's.
 */
#include "rt.h"

#define RBR 0
#define THR 0
#define DLL 0
#define IER 1
#define DLM 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

struct result {
	const char *what;
	uint32_t got, want;
};
static struct result results[64];
static unsigned nr_results;

static uint8_t rd(unsigned reg) { return inb(COM1 + reg); }
static void wr(unsigned reg, uint8_t v) { outb(COM1 + reg, v); }

static void expect(const char *what, uint32_t got, uint32_t want)
{
	if (nr_results < sizeof(results) / sizeof(results[0]))
		results[nr_results++] = (struct result){ what, got, want };
}

static void test_scratch_and_lcr(void)
{
	wr(SCR, 0x55);
	expect("SCR holds 0x55", rd(SCR), 0x55);
	wr(SCR, 0xaa);
	expect("SCR holds 0xaa", rd(SCR), 0xaa);
	wr(LCR, 0x1b);                          /* 8 bits, 1 stop, even parity */
	expect("LCR reads back 0x1b", rd(LCR), 0x1b);
	wr(IER, 0x00);
	wr(LCR, 0x83);                          /* DLAB: offsets 0/1 are the divisor latch */
	wr(DLL, 0x0c);
	wr(DLM, 0x01);
	expect("DLL reads back 0x0c with DLAB", rd(DLL), 0x0c);
	expect("DLM reads back 0x01 with DLAB", rd(DLM), 0x01);
	wr(LCR, 0x03);
	expect("offset 1 is IER again without DLAB", rd(IER), 0x00);
	wr(LCR, 0x83);
	expect("divisor survives DLAB off/on (DLL)", rd(DLL), 0x0c);
	wr(DLL, 0x01);                          /* back to 115200 baud */
	wr(DLM, 0x00);
	wr(LCR, 0x03);
}

static void test_fifo_and_lsr(void)
{
	wr(FCR, 0x00);
	expect("IIR bits 7:6 clear with FIFO off", rd(IIR) & 0xc0, 0x00);
	wr(FCR, 0x07);
	expect("IIR bits 7:6 set with FIFO on", rd(IIR) & 0xc0, 0xc0);
	expect("LSR THRE|TEMT when idle", rd(LSR) & (LSR_THRE | LSR_TEMT), LSR_THRE | LSR_TEMT);
	expect("LSR DR clear with nothing received", rd(LSR) & LSR_DR, 0);
}

static void test_loopback(void)
{
	wr(MCR, 0x10);
	expect("loopback, no outputs: MSR 7:4 = 0", rd(MSR) & 0xf0, 0x00);
	wr(MCR, 0x11);
	expect("loopback DTR -> DSR (MSR bit 5)", rd(MSR) & 0xf0, 0x20);
	wr(MCR, 0x12);
	expect("loopback RTS -> CTS (MSR bit 4)", rd(MSR) & 0xf0, 0x10);
	wr(MCR, 0x14);
	expect("loopback OUT1 -> RI (MSR bit 6)", rd(MSR) & 0xf0, 0x40);
	wr(MCR, 0x18);
	expect("loopback OUT2 -> DCD (MSR bit 7)", rd(MSR) & 0xf0, 0x80);
	wr(MCR, 0x1f);
	expect("loopback all outputs -> MSR 7:4 = 0xf", rd(MSR) & 0xf0, 0xf0);

	static const char msg[] = "loop";
	for (unsigned i = 0; i < 4; i++)
		wr(THR, (uint8_t)msg[i]);
	expect("loopback: LSR DR after 4 bytes", rd(LSR) & LSR_DR, LSR_DR);
	expect("loopback: RBR byte 0 ('l')", rd(RBR), 'l');
	expect("loopback: RBR byte 1 ('o')", rd(RBR), 'o');
	expect("loopback: RBR byte 2 ('o')", rd(RBR), 'o');
	expect("loopback: RBR byte 3 ('p')", rd(RBR), 'p');
	expect("loopback: LSR DR clear when drained", rd(LSR) & LSR_DR, 0);

	/* 17 bytes into a 16-byte receive FIFO: the last one overruns (LSR.OE, cleared by reading). */
	for (unsigned i = 0; i < 17; i++)
		wr(THR, (uint8_t)('a' + i));
	uint8_t lsr = rd(LSR);
	expect("loopback: 17 bytes set LSR OE", lsr & LSR_OE, LSR_OE);
	expect("loopback: LSR OE clears on read", rd(LSR) & LSR_OE, 0);
	unsigned n = 0, in_order = 1;
	while ((rd(LSR) & LSR_DR) && n < 32) {
		if (rd(RBR) != (uint8_t)('a' + n))
			in_order = 0;
		n++;
	}
	expect("loopback: FIFO held 16 bytes", n, 16);
	expect("loopback: FIFO kept them in order", in_order, 1);
}

static void test_interrupt_ids(void)
{
	wr(IER, 0x02);                          /* ETBEI with THR empty: THRE interrupt pending */
	expect("IER=0x02: IIR = THR empty (0x2)", rd(IIR) & 0x0f, 0x02);
	expect("reading IIR cleared it: none (0x1)", rd(IIR) & 0x0f, 0x01);
	wr(THR, 'x');                           /* loopback: THR empties at once, raises THRE again */
	rd(RBR);
	expect("THR empty again after a byte", rd(IIR) & 0x0f, 0x02);
	wr(IER, 0x00);
	expect("IER=0: no interrupt (0x1)", rd(IIR) & 0x0f, 0x01);

	wr(IER, 0x01);                          /* ERBFI; FIFO trigger level 1 byte */
	expect("IER=0x01, empty: no interrupt", rd(IIR) & 0x0f, 0x01);
	wr(THR, 'r');
	expect("received byte: IIR = data (0x4)", rd(IIR) & 0x0f, 0x04);
	rd(RBR);
	expect("read RBR: no interrupt", rd(IIR) & 0x0f, 0x01);

	wr(IER, 0x05);                          /* + ELSI: an overrun is a line status interrupt */
	for (unsigned i = 0; i < 17; i++)
		wr(THR, '0');
	expect("overrun: IIR = line status (0x6)", rd(IIR) & 0x0f, 0x06);
	rd(LSR);
	expect("LSR read: IIR = data (0x4)", rd(IIR) & 0x0f, 0x04);
	wr(FCR, 0x07);                          /* clear the receive FIFO */
	expect("FIFO reset: no interrupt", rd(IIR) & 0x0f, 0x01);
	wr(IER, 0x00);
}

void guest_main(struct hvm_start_info *si)
{
	serial_init();
	gprintf("uart: 16550A register tests at 0x%x\n", COM1);
	test_scratch_and_lcr();
	test_fifo_and_lsr();
	test_loopback();
	test_interrupt_ids();
	serial_init();                          /* loopback off, back to 8N1 with FIFO */
	for (unsigned i = 0; i < nr_results; i++)
		check(results[i].got == results[i].want, "%s: got 0x%02x want 0x%02x",
		      results[i].what, results[i].got, results[i].want);
	guest_finish("uart");
}
