#!/usr/bin/env bash
# Guest MIPS on a compute-bound bare-metal guest (guests/arm64-baremetal/mips.c: 200 M integer
# instructions in a fixed loop, timed by the guest with the virtual counter, which follows host
# time in both VMMs) under minivmm's interpreter and QEMU TCG. Median of RUNS (default 5). Not a test.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-5}
MINIVMM=${MINIVMM:-$ROOT/minivmm}
QEMU=${QEMU:-qemu-system-aarch64}
IMG=$ROOT/build/guests/arm64/mips.img
[ -f "$IMG" ] || make -C "$ROOT" -s arm64-baremetal
[ -x "$MINIVMM" ] || { echo "arm64-mips: $MINIVMM missing (make)" >&2; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mips_of() { tr -d '\r' | sed -n 's/^mips: .* \([0-9]*\) MIPS$/\1/p'; }

runs() { # CMD...: one MIPS figure per line
	for ((i = 0; i < RUNS; i++)); do
		m=$(timeout 600 "$@" </dev/null 2>/dev/null | mips_of)
		[ -n "$m" ] || { echo "arm64-mips: no MIPS line from: $*" >&2; exit 1; }
		echo "$m"
	done
}

echo "arm64 guest MIPS (200 M-instruction integer loop): $RUNS runs each, median"
v=$(runs "$MINIVMM" --arch aarch64 --mem 256M --kernel "$IMG" | median)
echo "  minivmm (interp): $v MIPS"
if command -v "$QEMU" >/dev/null; then
	q=$(runs "$QEMU" -M virt,gic-version=2 -cpu cortex-a57 -accel tcg -m 256 -nographic -no-reboot -kernel "$IMG" | median)
	echo "  qemu (TCG):       $q MIPS"
	awk -v a="$v" -v b="$q" 'BEGIN {printf "  ratio minivmm/qemu: %.3fx (qemu is %.1fx faster)\n", a/b, b/a}'
fi
