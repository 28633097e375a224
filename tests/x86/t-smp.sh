#!/usr/bin/env bash
# smp: --cpus N gives the guest N CPUs: an Intel MP table (found where Linux looks, checksums
# right) listing N processors and an IOAPIC, and N-1 APs that start with INIT + STARTUP IPIs and
# report distinct APIC IDs. QEMU (microvm + qboot's MP table, -smp 4) runs the same guest.
. "$(dirname "$0")/lib.sh"
require_kvm
require_minivmm "$MINIVMM"
elf=$(guest_elf smp)

for n in 1 4 8; do
	out=$TMPDIR/smp-$n
	run_vmm "$MINIVMM" "$elf" "$out" --cpus "$n"
	expect_rc "$out" 129 "--cpus $n"
	expect_line "$out.txt" "^  ok   MP table lists $n enabled processors" "--cpus $n: MP table lists $n CPUs"
	expect_line "$out.txt" "^smp: $n CPUs running" "--cpus $n: $n CPUs running"
	guest_fails "$out"
done
if [ -x "$MINIVMM_SAN" ]; then
	run_vmm "$MINIVMM_SAN" "$elf" "$TMPDIR/smp-san" --cpus 4
	expect_rc "$TMPDIR/smp-san" 129 "minivmm (ASan/UBSan) --cpus 4"
	expect_clean_san "$TMPDIR/smp-san" "minivmm (ASan/UBSan) --cpus 4"
else
	bad "ASan/UBSan build $MINIVMM_SAN missing (make SANITIZE=1)"
fi
if have_qemu; then
	run_qemu "$elf" "$TMPDIR/smp-qemu" -smp 4
	expect_rc "$TMPDIR/smp-qemu" 129 "qemu -smp 4 (oracle)"
	expect_line "$TMPDIR/smp-qemu.txt" '^smp: 4 CPUs running' "qemu: 4 CPUs running"
fi
finish
