#!/usr/bin/env bash
# pio-loop: 100000 PIO exits to an unused port and 20000 MMIO exits to unmapped memory complete,
# the VMM stays up, the guest exits cleanly.
# The cost per exit is reported as a NOTE (a measurement, never asserted); see bench/x86-boot.sh.
. "$(dirname "$0")/lib.sh"
require_kvm
require_minivmm "$MINIVMM"
elf=$(guest_elf pio-loop)

t0=$(date +%s%N)
run_vmm "$MINIVMM" "$elf" "$TMPDIR/pio"
t1=$(date +%s%N)
expect_rc "$TMPDIR/pio" 129 minivmm
expect_line "$TMPDIR/pio.txt" '^pio-loop: done n=100000' "all PIO exits completed"
expect_line "$TMPDIR/pio.txt" '^mmio-loop: done n=20000' "all MMIO exits completed"
pio=$(sed -n 's/^pio-loop: done.*cycles_per_exit=\([0-9]*\).*/\1/p' "$TMPDIR/pio.txt")
mmio=$(sed -n 's/^mmio-loop: done.*cycles_per_exit=\([0-9]*\).*/\1/p' "$TMPDIR/pio.txt")
echo "NOTE: pio-loop: TSC cycles per exit round trip: PIO ${pio:-?}, MMIO ${mmio:-?}; whole run $(((t1 - t0) / 1000000)) ms"
finish
