#!/usr/bin/env bash
# x86 boot benchmark (not a test): the same bare-metal PVH guests under minivmm and under
# qemu-system-x86_64 -accel kvm -M microvm (the closest peer: no PCI, no BIOS tables to speak of).
#   - process start -> first serial byte, and -> process exit (boot-time guest: one byte, then exit)
#   - PIO exit round trip: 100000 outb to an unused port (pio-loop guest), wall clock between its
#     "start" and "done" lines, and the guest's own rdtsc count
# Medians of RUNS runs (default 10). Prints a table and one NOTE line to paste into a report.
#   usage: bench/x86-boot.sh [RUNS]      (make bench-x86)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-10}
MINIVMM=${MINIVMM:-$ROOT/minivmm}
QEMU=${QEMU:-qemu-system-x86_64}
G=$ROOT/build/guests/x86
measure=$ROOT/bench/x86/measure.py

[ -x "$MINIVMM" ] || { echo "bench: $MINIVMM not built (make)" >&2; exit 1; }
[ -e /dev/kvm ] || { echo "bench: no /dev/kvm: both VMMs need KVM" >&2; exit 1; }
command -v "$QEMU" >/dev/null || { echo "bench: $QEMU not installed (apt-get install qemu-system-x86)" >&2; exit 1; }
make -C "$ROOT" -s guests-x86

vmm=("$MINIVMM" --mem 128M --timeout 60 --console stdio)
qemu=("$QEMU" -M microvm,x-option-roms=off,isa-serial=on,rtc=on -accel kvm -cpu host -m 128M
      -nodefaults -no-user-config -display none -no-reboot -serial stdio
      -device isa-debug-exit,iobase=0xf4,iosize=0x04)

# get FILE KEY -> median
get() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
span() { awk -v k="$2" '$1 == k { printf "%s-%s", $3, $4 }' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "-" }'; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$measure" firstbyte "$RUNS" -- "${vmm[@]}" --kernel "$G/boot-time.elf" >"$tmp/vmm-boot"
python3 "$measure" firstbyte "$RUNS" -- "${qemu[@]}" -kernel "$G/boot-time.elf" >"$tmp/qemu-boot"
python3 "$measure" pio "$RUNS" -- "${vmm[@]}" --kernel "$G/pio-loop.elf" >"$tmp/vmm-pio"
python3 "$measure" pio "$RUNS" -- "${qemu[@]}" -kernel "$G/pio-loop.elf" >"$tmp/qemu-pio"
for f in vmm-boot qemu-boot vmm-pio qemu-pio; do
	grep -q '^error' "$tmp/$f" && { echo "bench: $f: $(cat "$tmp/$f")" >&2; exit 1; }
done

kvm=hardware
[ -d /sys/module/kvm_pvm ] && kvm="software (PVM: guest ring 0 emulated)"
printf 'x86 bare-metal guests, median of %s runs (min-max); KVM: %s; %s\n' "$RUNS" "$kvm" \
	"$("$QEMU" --version | head -1)"
printf '%-34s %22s %22s %8s\n' "" "minivmm" "qemu -M microvm" "qemu/minivmm"
row() { # label key file-suffix
	local a b
	a=$(get "$tmp/vmm-$3" "$2"); b=$(get "$tmp/qemu-$3" "$2")
	printf '%-34s %10s %11s %10s %11s %8s\n' "$1" "$a" "($(span "$tmp/vmm-$3" "$2"))" "$b" \
		"($(span "$tmp/qemu-$3" "$2"))" "$(ratio "$a" "$b")"
}
row "start -> first serial byte (ms)" first_byte_ms boot
row "start -> process exit (ms)" exit_ms boot
row "PIO exit round trip (us, wall)" pio_exit_us pio
row "PIO exit round trip (TSC cycles)" pio_exit_cycles pio
printf 'exit status: minivmm %s, qemu %s (129 = guest PASS through debug-exit)\n' \
	"$(get "$tmp/vmm-boot" status)" "$(get "$tmp/qemu-boot" status)"
echo "NOTE: x86 bench ($kvm, median of $RUNS): first serial byte minivmm $(get "$tmp/vmm-boot" first_byte_ms) ms vs qemu microvm $(get "$tmp/qemu-boot" first_byte_ms) ms ($(ratio "$(get "$tmp/vmm-boot" first_byte_ms)" "$(get "$tmp/qemu-boot" first_byte_ms)")x); PIO exit $(get "$tmp/vmm-pio" pio_exit_us) us vs $(get "$tmp/qemu-pio" pio_exit_us) us ($(ratio "$(get "$tmp/vmm-pio" pio_exit_us)" "$(get "$tmp/qemu-pio" pio_exit_us)")x)"
