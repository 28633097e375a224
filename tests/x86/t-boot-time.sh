#!/usr/bin/env bash
# boot-time: the smallest guest (one byte to COM1, then debug-exit) prints its byte and exits 129;
# the time from process start to that byte is measured by bench/x86-boot.sh, not asserted here.
. "$(dirname "$0")/lib.sh"
require_kvm
require_minivmm "$MINIVMM"
elf=$(guest_elf boot-time)

run_vmm "$MINIVMM" "$elf" "$TMPDIR/bt"
expect_rc "$TMPDIR/bt" 129 minivmm
if [ "$(head -c1 "$TMPDIR/bt.raw")" = "!" ]; then ok "first serial byte is the guest's '!'"
else bad "first serial byte is '$(head -c1 "$TMPDIR/bt.raw" | od -An -c)', want '!'"; fi
if have_qemu; then
	run_qemu "$elf" "$TMPDIR/bt-qemu"
	expect_rc "$TMPDIR/bt-qemu" 129 "qemu (oracle)"
	cmp -s "$TMPDIR/bt-qemu.raw" "$TMPDIR/bt.raw" && ok "serial output identical to QEMU's" ||
		bad "serial output differs from QEMU's"
fi
finish
