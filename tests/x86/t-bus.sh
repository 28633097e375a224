#!/usr/bin/env bash
# bus: unmapped I/O ports read all ones, unmapped MMIO reads zeros (vmm/bus.h), writes are dropped;
# minivmm logs the accesses (rate-limited: 200 writes to one port must not give 200 lines) and
# keeps running. Port results are cross-checked against QEMU.
. "$(dirname "$0")/lib.sh"
require_kvm
require_minivmm "$MINIVMM"
elf=$(guest_elf bus)

check_bus() { # OUT WHAT
	expect_rc "$1" 129 "$2"
	expect_line "$1.txt" '^bus: PASS' "$2: bus: PASS"
	guest_fails "$1"
	expect_line "$1.err" 'unmapped.*0x100\b' "$2: logs the unmapped port 0x100"
	expect_line "$1.err" 'unmapped.*0xc8000000' "$2: logs the unmapped MMIO address 0xc8000000"
	# Hundreds of unmapped accesses: the log must stay short (log_guest: 10 lines per kind + 1).
	local n; n=$(grep -c 'unmapped' "$1.err")
	if [ "$n" -le 30 ]; then ok "$2: log rate-limited ($n lines about unmapped accesses for ~280)"
	else bad "$2: $n log lines about unmapped accesses: not rate-limited"; fi
}

run_vmm "$MINIVMM" "$elf" "$TMPDIR/bus"
check_bus "$TMPDIR/bus" minivmm
if [ -x "$MINIVMM_SAN" ]; then
	run_vmm "$MINIVMM_SAN" "$elf" "$TMPDIR/bus-san"
	check_bus "$TMPDIR/bus-san" "minivmm (ASan/UBSan)"
	expect_clean_san "$TMPDIR/bus-san" "minivmm (ASan/UBSan)"
else
	bad "ASan/UBSan build $MINIVMM_SAN missing (make SANITIZE=1)"
fi

if have_qemu; then
	run_qemu "$elf" "$TMPDIR/bus-qemu"
	expect_rc "$TMPDIR/bus-qemu" 129 "qemu (oracle)"
	if diff -u <(grep -E '^  (ok|FAIL) +in' "$TMPDIR/bus-qemu.txt") \
		   <(grep -E '^  (ok|FAIL) +in' "$TMPDIR/bus.txt") >"$TMPDIR/bus.diff"; then
		ok "unmapped port reads identical to QEMU's"
	else
		bad "unmapped port reads differ from QEMU's:"; cat "$TMPDIR/bus.diff"
	fi
else
	echo "NOTE: $QEMU not installed: bus not cross-checked against QEMU"
fi
finish
