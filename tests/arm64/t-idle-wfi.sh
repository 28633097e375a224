#!/usr/bin/env bash
# An idle guest costs ~0% host CPU: WFI sleeps until the next timer deadline or device input.
# The same boot is run with the guest idle for 0 s and for 8 s; the extra host CPU time the idle
# seconds cost (user+sys of minivmm) must stay a small fraction of them.
. "$(dirname "$0")/lib.sh"
require_minivmm "$MINIVMM"
[ -f "$GUESTS/aarch64/Image" ] || skip "no arm64 kernel: run make guests"
cpu_of() { # idle-seconds -> "cpu-seconds exit-status"
	local t0 rc
	/usr/bin/time -f '%U %S' -o "$TMPDIR/time.$1" timeout -k 5 300 "$MINIVMM" --arch aarch64 \
		--kernel "$GUESTS/aarch64/Image" --initrd "$GUESTS/aarch64/initramfs.cpio.gz" \
		--append "console=ttyAMA0 minivmm.test=idle minivmm.idle=$1" --timeout 200 \
		</dev/null >"$TMPDIR/idle.$1.log" 2>&1
	rc=$?
	awk -v rc=$rc '{ printf "%.2f %d\n", $1 + $2, rc }' "$TMPDIR/time.$1"
}
command -v /usr/bin/time >/dev/null || skip "/usr/bin/time missing (apt-get install time)"
read -r base rc0 < <(cpu_of 0)
read -r idle rc8 < <(cpu_of 8)
[ "$rc0" = 0 ] && [ "$rc8" = 0 ] || { tail -5 "$TMPDIR"/idle.*.log; fail_now "guest runs ended with $rc0 / $rc8"; }
grep -q 'idle: done' "$TMPDIR/idle.8.log" || fail_now "the idle guest did not finish its sleep"
extra=$(awk -v a="$idle" -v b="$base" 'BEGIN { d = a - b; if (d < 0) d = 0; printf "%.2f", d }')
pct=$(awk -v e="$extra" 'BEGIN { printf "%.1f", 100 * e / 8 }')
echo "NOTE: idle arm64 guest: 8 s of guest sleep cost ${extra} s of host CPU (${pct}%); boot alone ${base} s"
# Generous bound (a loaded CI machine adds noise): a spinning WFI would cost ~100%.
awk -v p="$pct" 'BEGIN { exit !(p < 25) }' || fail_now "idle guest used ${pct}% of a host CPU while sleeping"
ok "idle guest sleeps: ${pct}% host CPU"
finish
