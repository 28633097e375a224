#!/usr/bin/env bash
# Boot-to-init wall time of the arm64 Image + initramfs under minivmm (interpreter) and QEMU TCG
# (virt, gic-version=2, cortex-a57): time from starting the VMM to the init's
# "minivmm-init: reached init" line, and to the VMM's exit after the guest powers off.
# Several runs each (RUNS, default 5); prints the medians and the ratio. Not a test.
#   usage: bench/arm64-boot.sh            env: RUNS, MINIVMM, QEMU, KERNEL, INITRD
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-5}
MINIVMM=${MINIVMM:-$ROOT/minivmm}
QEMU=${QEMU:-qemu-system-aarch64}
KERNEL=${KERNEL:-$ROOT/guests/out/aarch64/Image}
INITRD=${INITRD:-$ROOT/guests/out/aarch64/initramfs.cpio.gz}
APPEND="console=ttyAMA0 panic=-1 minivmm.test=arm64-boot"
for f in "$MINIVMM" "$KERNEL" "$INITRD"; do
	[ -e "$f" ] || { echo "arm64-boot: $f missing (make; make guests)" >&2; exit 1; }
done

# timed CMD...: print "<seconds to marker> <seconds to exit> <exit status>"
timed() {
	python3 - "$@" <<'PY'
import subprocess, sys, time
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL)
marker = None
for line in p.stdout:
    if marker is None and b"minivmm-init: reached init" in line:
        marker = time.monotonic() - t0
rc = p.wait()
print("%.3f %.3f %d" % (marker if marker is not None else -1, time.monotonic() - t0, rc))
PY
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

run() { # NAME CMD...
	local name=$1 i r init=() total=()
	shift
	for ((i = 0; i < RUNS; i++)); do
		r=$(timed timeout 600 "$@")
		read -r m t rc <<<"$r"
		[ "$rc" = 0 ] && [ "$m" != -1.000 ] || { echo "arm64-boot: $name run $i failed: $r" >&2; exit 1; }
		init+=("$m")
		total+=("$t")
	done
	echo "$name $(printf '%s\n' "${init[@]}" | median) $(printf '%s\n' "${total[@]}" | median) ${init[*]}"
}

echo "arm64 boot to init: $RUNS runs each, median wall seconds"
v=$(run minivmm "$MINIVMM" --arch aarch64 --mem 256M --kernel "$KERNEL" --initrd "$INITRD" --append "$APPEND")
read -r _ v_init v_total v_all <<<"$v"
printf '  minivmm (interp): init %6.3f s  exit %6.3f s   runs: %s\n' "$v_init" "$v_total" "$v_all"
# One more run for the interpreter's own counters (instructions executed, MIPS, IRQs, WFI sleeps).
stats=$(MINIVMM_STATS=1 timeout 600 "$MINIVMM" --arch aarch64 --mem 256M --kernel "$KERNEL" \
	--initrd "$INITRD" --append "$APPEND" </dev/null 2>&1 >/dev/null | tr -d '\r' | sed -n 's/^minivmm: interp: //p')
[ -n "$stats" ] && echo "  minivmm counters, boot to power-off: $stats"
if command -v "$QEMU" >/dev/null; then
	q=$(run qemu "$QEMU" -M virt,gic-version=2 -cpu cortex-a57 -accel tcg -m 256 -nographic -no-reboot \
		-kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND")
	read -r _ q_init q_total q_all <<<"$q"
	printf '  qemu (TCG):       init %6.3f s  exit %6.3f s   runs: %s\n' "$q_init" "$q_total" "$q_all"
	awk -v a="$v_init" -v b="$q_init" -v c="$v_total" -v d="$q_total" \
		'BEGIN {printf "  ratio minivmm/qemu: boot-to-init %.2fx, whole run %.2fx\n", a/b, c/d}'
else
	echo "  $QEMU not installed: no ratio"
fi
