#!/usr/bin/env bash
# uart: the 16550A register model seen by a guest (scratch, DLAB divisor latch, FIFO bits in IIR,
# LSR THRE/TEMT, loopback into RBR and MSR, FIFO overrun, IIR interrupt identification). The
# guest prints every register value it read; the output must equal QEMU's 16550A line for line.
. "$(dirname "$0")/lib.sh"
require_kvm
require_minivmm "$MINIVMM"
elf=$(guest_elf uart)

run_vmm "$MINIVMM" "$elf" "$TMPDIR/uart"
expect_rc "$TMPDIR/uart" 129 minivmm
expect_line "$TMPDIR/uart.txt" '^uart: PASS' "minivmm: uart: PASS"
guest_fails "$TMPDIR/uart"

if [ -x "$MINIVMM_SAN" ]; then
	run_vmm "$MINIVMM_SAN" "$elf" "$TMPDIR/uart-san"
	expect_rc "$TMPDIR/uart-san" 129 "minivmm (ASan/UBSan)"
	expect_line "$TMPDIR/uart-san.txt" '^uart: PASS' "minivmm (ASan/UBSan): uart: PASS"
	expect_clean_san "$TMPDIR/uart-san" "minivmm (ASan/UBSan)"
else
	bad "ASan/UBSan build $MINIVMM_SAN missing (make SANITIZE=1)"
fi

if have_qemu; then
	run_qemu "$elf" "$TMPDIR/uart-qemu"
	expect_rc "$TMPDIR/uart-qemu" 129 "qemu (oracle)"
	if diff -u "$TMPDIR/uart-qemu.txt" "$TMPDIR/uart.txt" >"$TMPDIR/uart.diff"; then
		ok "serial output identical to QEMU's ($(wc -l <"$TMPDIR/uart.txt") lines)"
	else
		bad "serial output differs from QEMU's (- qemu, + minivmm):"; cat "$TMPDIR/uart.diff"
	fi
else
	echo "NOTE: $QEMU not installed: uart not cross-checked against QEMU"
fi
finish
