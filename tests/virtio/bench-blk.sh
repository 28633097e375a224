#!/usr/bin/env bash
# virtio-blk request round trip, minivmm vs qemu-system-x86_64 -accel kvm -M microvm (not a test):
# the bare-metal guest build/guests/virtio/blkbench-x86.elf issues synchronous requests (queue
# depth 1, polled) on a 64 MiB raw image in the page cache and prints TSC cycles per request.
# Prints the median of RUNS runs (default 3) per VMM and the ratio qemu/minivmm (>1: minivmm faster).
#   usage: tests/virtio/bench-blk.sh [RUNS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${1:-3}
MINIVMM=${MINIVMM:-$ROOT/minivmm}
QEMU=${QEMU:-qemu-system-x86_64}
[ -e /dev/kvm ] || { echo "bench-blk: no /dev/kvm" >&2; exit 1; }
make -C "$ROOT" -s virtio-guests
elf=$ROOT/build/guests/virtio/blkbench-x86.elf
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
truncate -s 64M "$tmp/disk.raw"

for i in $(seq "$RUNS"); do
	# The guest ends through debug-exit (status 129 from both VMMs): not an error here.
	{ "$MINIVMM" --kernel "$elf" --mem 256M --disk "$tmp/disk.raw,format=raw" --timeout 300 </dev/null 2>&1 || true; } |
		grep '^blkbench: .* cycles/request' | sed 's/^/minivmm /' >>"$tmp/results"
	{ "$QEMU" -M microvm,x-option-roms=off,isa-serial=on,rtc=on -accel kvm -cpu host -m 256M -nodefaults \
		-no-user-config -display none -no-reboot -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-global virtio-mmio.force-legacy=false -kernel "$elf" \
		-drive file="$tmp/disk.raw",if=none,id=d0,format=raw -device virtio-blk-device,drive=d0 </dev/null 2>&1 ||
		true; } |
		grep '^blkbench: .* cycles/request' | sed 's/^/qemu /' >>"$tmp/results"
done
# "minivmm blkbench: read 20000 x 4096 bytes: 200758 cycles/request" -> median per (vmm, op, size)
python3 - "$tmp/results" <<'PY'
import sys, statistics, collections
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    w = line.split()
    d[(w[0], w[2], int(w[5]))].append(int(w[7]))
keys = sorted({(op, size) for _, op, size in d})
print(f"{'request':<16}{'minivmm':>12}{'qemu':>12}{'qemu/minivmm':>14}   (TSC cycles per request, median)")
notes = []
for op, size in keys:
    m = statistics.median(d.get(("minivmm", op, size), [0]))
    q = statistics.median(d.get(("qemu", op, size), [0]))
    r = q / m if m else 0
    print(f"{op + ' ' + str(size):<16}{m:>12.0f}{q:>12.0f}{r:>14.2f}")
    notes.append(f"{op} {size // 1024 if size else 0}K {r:.2f}")
print("NOTE: virtio-blk QD1 round trip vs QEMU microvm/KVM (qemu/minivmm cycles, >1 = minivmm faster): " + ", ".join(notes))
PY
