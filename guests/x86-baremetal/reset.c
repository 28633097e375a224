/*
 * reset: asks the i8042 keyboard controller to pulse the CPU reset line (command 0xfe to port
 * 0x64), the way Linux's "reboot=k" does. Without --reboot minivmm then exits 0 (QEMU: -no-reboot).
 * Reaching the line after the reset is a failure.
 */
#include "rt.h"

void guest_main(struct hvm_start_info *si)
{
	serial_init();
	/* Status register: with nothing pending, the input buffer (bit 1) is empty. */
	uint8_t st = inb(0x64);
	check(!(st & 0x02), "i8042 status 0x%02x: input buffer empty", st);
	gprintf("reset: resetting through the i8042 (0xfe -> port 0x64)\n");
	i8042_reset();
}
