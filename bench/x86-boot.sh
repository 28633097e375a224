#!/usr/bin/env bash
# x86 boot benchmark (not a test): the same bare-metal PVH guests under minivmm and under
# qemu-system-x86_64 -accel kvm -M microvm (the closest peer: no PCI, no BIOS tables to speak of).
#   - process start -> first serial byte, and -> process exit (boot-time guest: one byte, then exit)
#   - PIO exit round trip: 100000 outb to an unused port (pio-loop guest), wall clock between its
#     "start" and "done" lines, and the guest's own rdtsc count; the same for 20000 MMIO writes
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

# get FILE N KEY -> median (N: 1 minivmm, 2 qemu); span FILE N KEY -> min-max
get() { awk -v n="$2" -v k="$3" '$1 == n && $2 == k { print $3 }' "$1"; }
span() { awk -v n="$2" -v k="$3" '$1 == n && $2 == k { printf "%s-%s", $4, $5 }' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "-" }'; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Alternating runs (minivmm, qemu, minivmm ...): load elsewhere on the host hits both alike.
python3 "$measure" firstbyte "$RUNS" -- "${vmm[@]}" --kernel "$G/boot-time.elf" \
	-- "${qemu[@]}" -kernel "$G/boot-time.elf" >"$tmp/boot"
python3 "$measure" pio "$RUNS" -- "${vmm[@]}" --kernel "$G/pio-loop.elf" \
	-- "${qemu[@]}" -kernel "$G/pio-loop.elf" >"$tmp/pio"
for f in boot pio; do
	grep -q '^error' "$tmp/$f" && { echo "bench: $(cat "$tmp/$f")" >&2; exit 1; }
done

kvm=hardware
[ -d /sys/module/kvm_pvm ] && kvm="software (PVM: guest ring 0 emulated)"
printf 'x86 bare-metal guests, median of %s runs (min-max); KVM: %s; %s\n' "$RUNS" "$kvm" \
	"$("$QEMU" --version | head -1)"
printf '%-34s %22s %22s %8s\n' "" "minivmm" "qemu -M microvm" "qemu/minivmm"
row() { # label key file
	local a b
	a=$(get "$tmp/$3" 1 "$2"); b=$(get "$tmp/$3" 2 "$2")
	printf '%-34s %10s %11s %10s %11s %8s\n' "$1" "$a" "($(span "$tmp/$3" 1 "$2"))" "$b" \
		"($(span "$tmp/$3" 2 "$2"))" "$(ratio "$a" "$b")"
}
row "start -> first serial byte (ms)" first_byte_ms boot
row "start -> process exit (ms)" exit_ms boot
row "PIO exit round trip (us, wall)" pio_exit_us pio
row "PIO exit round trip (TSC cycles)" pio_exit_cycles pio
row "MMIO exit round trip (us, wall)" mmio_exit_us pio
row "MMIO exit round trip (TSC cycles)" mmio_exit_cycles pio
printf 'exit status: minivmm %s, qemu %s (129 = guest PASS through debug-exit); load average %s\n' \
	"$(get "$tmp/boot" 1 status)" "$(get "$tmp/boot" 2 status)" "$(cut -d' ' -f1-3 /proc/loadavg)"
fb1=$(get "$tmp/boot" 1 first_byte_ms) fb2=$(get "$tmp/boot" 2 first_byte_ms)
pio1=$(get "$tmp/pio" 1 pio_exit_us) pio2=$(get "$tmp/pio" 2 pio_exit_us)
mmio1=$(get "$tmp/pio" 1 mmio_exit_us) mmio2=$(get "$tmp/pio" 2 mmio_exit_us)
echo "NOTE: x86 bench ($kvm, median of $RUNS): first serial byte minivmm $fb1 ms vs qemu microvm $fb2 ms (qemu/minivmm $(ratio "$fb1" "$fb2")); PIO exit round trip $pio1 us vs $pio2 us (qemu/minivmm $(ratio "$pio1" "$pio2")); MMIO exit $mmio1 us vs $mmio2 us (qemu/minivmm $(ratio "$mmio1" "$mmio2"))"
