#!/usr/bin/env bash
# A hostile bare-metal aarch64 guest (tests/virtio/hostile.h, hostile-arm64.c) feeds the real virtio-blk device 15
# kinds of broken virtqueue on the interpreter: each must give DEVICE_NEEDS_RESET with a config
# interrupt and no completion, a reset must recover the device, and minivmm must keep running and
# exit 0. Runs the ASan build too when it is built. QEMU virt runs the same guest as the oracle for
# the guest's good path (init, reads, reset); where QEMU is more lenient than minivmm it is a NOTE.
. "$(dirname "$0")/lib.sh"
MINIVMM_SAN=${MINIVMM_SAN:-$ROOT/build-san/minivmm}

[ -x "$MINIVMM" ] || fail_now "$MINIVMM is not built (make)"
img=$ROOT/build/guests/virtio/hostile-arm64.img
if [ ! -f "$img" ]; then
	command -v aarch64-linux-gnu-gcc >/dev/null || skip "no aarch64-linux-gnu-gcc to build the hostile guest"
	make -C "$ROOT" -s virtio-guests >&2 || fail_now "cannot build $img"
fi
sector_disk

run_minivmm() { # binary tag
	local out=$TMPDIR/$2
	timeout -k 5 300 "$1" --arch aarch64 --kernel "$img" --mem 256M --disk "$TMPDIR/sectors.raw,format=raw" \
		--timeout 240 </dev/null >"$out.log" 2>&1
	local rc=$?
	grep -E '^(FAIL|RESULT)|runtime error|Sanitizer' "$out.log" | head -20 | sed "s/^/    [$2] /"
	[ "$rc" = 0 ] && ok "$2: minivmm survived and exited 0" || bad "$2: minivmm exit $rc (log $out.log)"
	grep -q '^RESULT: PASS' "$out.log" && ok "$2: guest: $(grep -c '^ok - ' "$out.log") checks passed" ||
		bad "$2: the guest's checks failed"
	local n; n=$(grep -c 'DEVICE_NEEDS_RESET until the driver resets it' "$out.log")
	[ "$n" -ge 10 ] && ok "$2: NEEDS_RESET logged once per broken queue, rate-limited ($n lines)" ||
		bad "$2: expected the NEEDS_RESET log lines, saw $n"
	grep -qE 'runtime error|AddressSanitizer' "$out.log" && bad "$2: sanitizer report"
}

run_minivmm "$MINIVMM" minivmm
if [ -x "$MINIVMM_SAN" ]; then
	if "$MINIVMM_SAN" --help >/dev/null 2>&1; then run_minivmm "$MINIVMM_SAN" minivmm-asan
	else echo "NOTE: $MINIVMM_SAN does not run; hostile guest checked on the normal build only"; fi
fi
cmp -s "$TMPDIR/sectors.raw" "$TMPDIR/sectors.orig" && ok "the disk was not written" || bad "the disk changed"

if command -v qemu-system-aarch64 >/dev/null; then
	timeout -k 5 300 qemu-system-aarch64 -M virt,gic-version=2 -cpu cortex-a57 -accel tcg -m 256 -nographic \
		-no-reboot -global virtio-mmio.force-legacy=false -kernel "$img" \
		-drive file="$TMPDIR/sectors.orig",if=none,id=d0,format=raw,readonly=on -device virtio-blk-device,drive=d0 \
		</dev/null >"$TMPDIR/qemu.log" 2>&1
	qemu_hostile_verdict "$TMPDIR/qemu.log" 'FAIL - ' 'NOTE: '
fi
finish
