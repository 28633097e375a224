#!/usr/bin/env bash
# PSCI SYSTEM_RESET from a bare-metal guest: minivmm exits 0 as QEMU -no-reboot does; with
# --reboot the guest starts again from a fresh machine (the banner repeats) until --timeout (124).
. "$(dirname "$0")/lib.sh"
require_minivmm "$MINIVMM"
img=$(guest_img reset) || exit 1
banner='^reset: calling PSCI SYSTEM_RESET$'

run_vmm "$MINIVMM" "$img" "$TMPDIR/once"
rc=$(cat "$TMPDIR/once.rc")
n=$(grep -c "$banner" "$TMPDIR/once.txt")
[ "$rc" = 0 ] && [ "$n" = 1 ] && ok "SYSTEM_RESET without --reboot: one run, exit 0" ||
	{ bad "SYSTEM_RESET without --reboot: exit $rc, $n runs"; tail -5 "$TMPDIR/once.txt" "$TMPDIR/once.err"; }
grep -q '^FAIL' "$TMPDIR/once.txt" && bad "the guest reports: $(grep -m1 '^FAIL' "$TMPDIR/once.txt")"

timeout -k 5 60 "$MINIVMM" --arch aarch64 --kernel "$img" --reboot --timeout 2 </dev/null \
	>"$TMPDIR/again.raw" 2>"$TMPDIR/again.err"
rc=$?
n=$(tr -d '\r' <"$TMPDIR/again.raw" | grep -c "$banner")
[ "$rc" = 124 ] && [ "$n" -ge 2 ] && ok "SYSTEM_RESET with --reboot: the guest ran again ($n runs), then --timeout: 124" ||
	{ bad "SYSTEM_RESET with --reboot: exit $rc, $n runs"; tail -5 "$TMPDIR/again.err"; }

if have_qemu; then
	run_qemu "$img" "$TMPDIR/qemu"
	[ "$(cat "$TMPDIR/qemu.rc")" = 0 ] && diff -q "$TMPDIR/qemu.txt" "$TMPDIR/once.txt" >/dev/null &&
		ok "same output and exit status as QEMU -no-reboot" || bad "QEMU -no-reboot differs (exit $(cat "$TMPDIR/qemu.rc"))"
fi
finish
