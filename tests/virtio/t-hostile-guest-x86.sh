#!/usr/bin/env bash
# The hostile virtio guest (tests/virtio/hostile.h) as a 32-bit x86 PVH guest under KVM: the same 15
# broken virtqueues against the device in the x86 board's first slot (0xd0000000); each must give
# DEVICE_NEEDS_RESET, a reset must recover it, minivmm must survive (the guest exits through the
# debug-exit port: status 129 = pass). QEMU microvm runs the guest as the oracle for its good path.
. "$(dirname "$0")/lib.sh"
MINIVMM_SAN=${MINIVMM_SAN:-$ROOT/build-san/minivmm}

[ -x "$MINIVMM" ] || fail_now "$MINIVMM is not built (make)"
[ -e /dev/kvm ] || skip "no /dev/kvm: x86 guests need KVM"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "no read/write permission on /dev/kvm"
elf=$ROOT/build/guests/virtio/hostile-x86.elf
[ -f "$elf" ] || make -C "$ROOT" -s virtio-guests >&2 || fail_now "cannot build $elf"
sector_disk

run_minivmm() { # binary tag
	local out=$TMPDIR/$2
	timeout -k 5 120 "$1" --kernel "$elf" --mem 256M --disk "$TMPDIR/sectors.raw,format=raw" --timeout 100 \
		</dev/null >"$out.log" 2>&1
	local rc=$?
	grep -E '^  FAIL|PASS|runtime error|Sanitizer' "$out.log" | head -20 | sed "s/^/    [$2] /"
	[ "$rc" = 129 ] && ok "$2: the guest passed and minivmm exited through debug-exit (129)" ||
		bad "$2: minivmm exit $rc, want 129 (log $out.log)"
	local n; n=$(grep -c 'DEVICE_NEEDS_RESET until the driver resets it' "$out.log")
	[ "$n" -ge 10 ] && ok "$2: NEEDS_RESET logged per broken queue, rate-limited ($n lines)" ||
		bad "$2: expected the NEEDS_RESET log lines, saw $n"
	grep -qE 'runtime error|AddressSanitizer' "$out.log" && bad "$2: sanitizer report"
}

run_minivmm "$MINIVMM" minivmm
[ -x "$MINIVMM_SAN" ] && "$MINIVMM_SAN" --help >/dev/null 2>&1 && run_minivmm "$MINIVMM_SAN" minivmm-asan
cmp -s "$TMPDIR/sectors.raw" "$TMPDIR/sectors.orig" && ok "the disk was not written" || bad "the disk changed"

if command -v qemu-system-x86_64 >/dev/null; then
	timeout -k 5 120 qemu-system-x86_64 -M microvm,x-option-roms=off,isa-serial=on,rtc=on,pit=on,pic=on \
		-accel tcg -m 256M -nodefaults -nographic -no-reboot -serial stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -global virtio-mmio.force-legacy=false \
		-kernel "$elf" -drive file="$TMPDIR/sectors.orig",if=none,id=d0,format=raw,readonly=on \
		-device virtio-blk-device,drive=d0 </dev/null >"$TMPDIR/qemu.log" 2>&1
	qemu_hostile_verdict "$TMPDIR/qemu.log" '  FAIL ' 'NOTE: x86: '
fi
finish
