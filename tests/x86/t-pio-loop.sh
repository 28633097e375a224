#!/usr/bin/env bash
# pio-loop: 100000 PIO exits to an unused port complete, the VMM stays up, the guest exits cleanly.
# The cost per exit is reported as a NOTE (a measurement, never asserted); see bench/x86-boot.sh.
. "$(dirname "$0")/lib.sh"
require_kvm
require_minivmm "$MINIVMM"
elf=$(guest_elf pio-loop)

t0=$(date +%s%N)
run_vmm "$MINIVMM" "$elf" "$TMPDIR/pio"
t1=$(date +%s%N)
expect_rc "$TMPDIR/pio" 129 minivmm
expect_line "$TMPDIR/pio.txt" '^pio-loop: done n=100000' "all exits completed"
per=$(sed -n 's/.*cycles_per_exit=\([0-9]*\).*/\1/p' "$TMPDIR/pio.txt")
[ -n "$per" ] && echo "NOTE: pio-loop: $per TSC cycles per PIO exit round trip, whole run $(((t1 - t0) / 1000000)) ms"
finish
