#!/usr/bin/env bash
# Block backend benchmark (not a test): minivmm-img bench vs qemu-img bench on the same files,
# sequential 64 KiB and strided ("random") 4 KiB reads and writes, raw and qcow2, plus convert wall
# time. One run each; prints a pasteable table of times and ratios (qemu time / our time, >1 = we
# are faster). Both tools run at queue depth 1 with the host page cache (qemu-img bench -d 1).
#   usage: bench/block-bench.sh [SIZE_MiB]     (default 256)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IMG=${MINIVMM_IMG:-$ROOT/minivmm-img}
command -v qemu-img >/dev/null || { echo "qemu-img not installed (apt-get install qemu-utils)"; exit 1; }
MB=${1:-256}
W=$(mktemp -d "${TMPDIR:-/tmp}/block-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"
secs() { awk '/Run completed in/ {print $4}'; }
now() { date +%s.%N; }
rows=()
row() { rows+=("$(printf '| %-34s | %9.3f | %9.3f | %6.2f |' "$1" "$2" "$3" "$(echo "$3 / $2" | bc -l)")"); }

mkimg() { # fmt name
  if [ "$1" = raw ]; then head -c $((MB << 20)) /dev/urandom > "$2"; else qemu-img convert -O qcow2 base.raw "$2"; fi
}
head -c $((MB << 20)) /dev/urandom > base.raw
n64=$((MB * 16)); n4=$((MB * 64))
for fmt in raw qcow2; do
  mkimg $fmt a.$fmt
  ours=$("$IMG" bench -f $fmt -t read -s 64k -c $n64 a.$fmt | secs)
  theirs=$(qemu-img bench -f $fmt -d 1 -s 64k -c $n64 a.$fmt | secs)
  row "$fmt seq read 64k" "$ours" "$theirs"
  ours=$("$IMG" bench -f $fmt -t read -s 4k -S 1052672 -c $n4 a.$fmt | secs)
  theirs=$(qemu-img bench -f $fmt -d 1 -s 4k -S 1052672 -c $n4 a.$fmt | secs)
  row "$fmt strided read 4k" "$ours" "$theirs"
  # Writes into freshly created images (qcow2: every write allocates).
  for who in ours theirs; do
    if [ $fmt = raw ]; then truncate -s ${MB}M w-$who.raw; else qemu-img create -q -f qcow2 w-$who.qcow2 ${MB}M; fi
  done
  ours=$("$IMG" bench -f $fmt -t write -s 64k -c $n64 w-ours.$fmt | secs)
  theirs=$(qemu-img bench -f $fmt -d 1 -w -s 64k -c $n64 w-theirs.$fmt | secs)
  row "$fmt seq write 64k (allocating)" "$ours" "$theirs"
  ours=$("$IMG" bench -f $fmt -t write -s 4k -S 1052672 -c $n4 w-ours.$fmt | secs)
  theirs=$(qemu-img bench -f $fmt -d 1 -w -s 4k -S 1052672 -c $n4 w-theirs.$fmt | secs)
  row "$fmt strided write 4k" "$ours" "$theirs"
done
# convert: half-empty qcow2 -> raw and raw -> qcow2
qemu-img create -q -f qcow2 half.qcow2 $((MB * 2))M
qemu-img convert -n -O qcow2 base.raw half.qcow2 2>/dev/null || qemu-img dd -O qcow2 if=base.raw of=half.qcow2 2>/dev/null || true
t0=$(now); "$IMG" convert -O raw half.qcow2 o1.raw; t1=$(now); qemu-img convert -O raw half.qcow2 o2.raw; t2=$(now)
row "convert qcow2 -> raw ($((MB * 2)) MiB)" "$(echo "$t1 - $t0" | bc -l)" "$(echo "$t2 - $t1" | bc -l)"
t0=$(now); "$IMG" convert -O qcow2 base.raw o1.qcow2; t1=$(now); qemu-img convert -O qcow2 base.raw o2.qcow2; t2=$(now)
row "convert raw -> qcow2 ($MB MiB)" "$(echo "$t1 - $t0" | bc -l)" "$(echo "$t2 - $t1" | bc -l)"
t0=$(now); "$IMG" convert -c -O qcow2 o1.raw c1.qcow2; t1=$(now); qemu-img convert -c -O qcow2 o1.raw c2.qcow2; t2=$(now)
row "convert -c raw -> qcow2 ($((MB * 2)) MiB)" "$(echo "$t1 - $t0" | bc -l)" "$(echo "$t2 - $t1" | bc -l)"
echo "Block backends, one run, $MB MiB images, $(nproc) CPUs, queue depth 1, page cache on:"
echo "| test                               | minivmm s | qemu-img s | ratio  |"
echo "|------------------------------------|-----------|------------|--------|"
printf '%s\n' "${rows[@]}"
echo "ratio = qemu-img time / minivmm time (>1: minivmm faster)"
