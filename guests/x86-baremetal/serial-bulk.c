/*
 * serial-bulk: 2000 numbered lines (about 100 KiB) through the polled 16550 as fast as LSR allows,
 * so the harness can check the VMM's console passes every byte, in order, when the guest outruns
 * the reader (stdout a pipe). The last line carries the count.
 */
#include "rt.h"

#define LINES 2000

void guest_main(struct hvm_start_info *si)
{
	serial_init();
	for (unsigned i = 0; i < LINES; i++)
		gprintf("bulk %04u abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 %08x\n",
			i, i * 2654435761u);
	gprintf("serial-bulk: %u lines sent\n", LINES);
	guest_exit(EXIT_PASS);
}
