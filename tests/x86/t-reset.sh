#!/usr/bin/env bash
# reset: a guest reset through the i8042 (0xfe to port 0x64) ends minivmm with status 0 when
# --reboot is not given (QEMU with -no-reboot does the same); with --reboot the guest starts again.
. "$(dirname "$0")/lib.sh"
require_kvm
require_minivmm "$MINIVMM"
elf=$(guest_elf reset)

run_vmm "$MINIVMM" "$elf" "$TMPDIR/reset"
expect_rc "$TMPDIR/reset" 0 "minivmm, no --reboot"
expect_line "$TMPDIR/reset.txt" '^reset: resetting through the i8042' "guest asked for the reset"
no_line "$TMPDIR/reset.txt" 'did not reset' "the reset took effect"
guest_fails "$TMPDIR/reset"

if "$MINIVMM" --help 2>&1 | grep -q -- '--reboot'; then
	OUTER_TIMEOUT=30 run_vmm "$MINIVMM" "$elf" "$TMPDIR/reboot" --reboot --timeout 5
	n=$(grep -c '^reset: resetting' "$TMPDIR/reboot.txt")
	if [ "$n" -ge 2 ]; then ok "--reboot: the guest ran again after its reset ($n runs in 5 s)"
	else bad "--reboot: the guest ran $n times in 5 s, want >= 2"; fi
	expect_rc "$TMPDIR/reboot" 124 "--reboot: a guest that keeps resetting ends at --timeout (5 s)"
fi

if have_qemu; then
	# microvm has no i8042: the oracle is QEMU's pc machine.
	timeout -k 5 90 "$QEMU" -M pc -accel tcg -m 128M -nodefaults -nographic -no-reboot \
		-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$elf" \
		</dev/null >"$TMPDIR/reset-qemu.raw" 2>"$TMPDIR/reset-qemu.err"
	echo $? >"$TMPDIR/reset-qemu.rc"
	tr -d '\r' <"$TMPDIR/reset-qemu.raw" >"$TMPDIR/reset-qemu.txt"
	expect_rc "$TMPDIR/reset-qemu" 0 "qemu -M pc -no-reboot (oracle)"
	expect_line "$TMPDIR/reset-qemu.txt" 'reset: resetting through the i8042' "qemu: guest asked for the reset"
fi
finish
