#!/usr/bin/env bash
# timer: the in-kernel i8254 PIT (counter latch and readback, IRQ 0 at the IOAPIC pin the MP
# table names) and the local APIC timer (periodic, current count, interrupts) both deliver
# interrupts to the guest. Rates against the RTC are reported in a NOTE, never asserted.
. "$(dirname "$0")/lib.sh"
require_kvm
require_minivmm "$MINIVMM"
elf=$(guest_elf timer)

run_vmm "$MINIVMM" "$elf" "$TMPDIR/timer"
expect_rc "$TMPDIR/timer" 129 minivmm
expect_line "$TMPDIR/timer.txt" '^timer: PASS' "minivmm: timer: PASS"
expect_line "$TMPDIR/timer.txt" '^  ok   PIT interrupts arrive' "PIT IRQ 0 delivered through the IOAPIC"
expect_line "$TMPDIR/timer.txt" '^  ok   LAPIC timer interrupts arrive' "LAPIC timer interrupts delivered"
guest_fails "$TMPDIR/timer"
pit=$(sed -n 's/^timer: PIT IRQ 0 at 100 Hz programmed: \([0-9]*\) interrupts.*/\1/p' "$TMPDIR/timer.txt")
lapic=$(sed -n 's/^timer: LAPIC timer periodic: \([0-9]*\) interrupts.*/\1/p' "$TMPDIR/timer.txt")
pin=$(sed -n 's/^timer: MP table routes ISA IRQ 0 to IOAPIC pin \([0-9]*\).*/\1/p' "$TMPDIR/timer.txt")
echo "NOTE: timer: PIT at 100 Hz gave ${pit:-?} IRQs per RTC second (IOAPIC pin ${pin:-?}); LAPIC timer at 1 kHz gave ${lapic:-?}"
if have_qemu; then
	run_qemu "$elf" "$TMPDIR/timer-qemu"
	expect_rc "$TMPDIR/timer-qemu" 129 "qemu (oracle)"
	guest_fails "$TMPDIR/timer-qemu"
fi
finish
