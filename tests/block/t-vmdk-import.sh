#!/usr/bin/env bash
# VMDK written by qemu-img (monolithicSparse, monolithicFlat, streamOptimized, twoGbMaxExtentFlat)
# reads back byte-identical; VMDK is read-only and a read-write open says so.
. "$(dirname "$0")/lib.sh"
make_src
for sf in monolithicSparse monolithicFlat streamOptimized twoGbMaxExtentSparse twoGbMaxExtentFlat; do
  qemu-img convert -O vmdk -o subformat=$sf src.raw v-$sf.vmdk
  read_back v-$sf.vmdk src.raw
  "$IMG" convert -O qcow2 v-$sf.vmdk v-$sf.qcow2; qemu-img check -q v-$sf.qcow2; qemu-img compare -q v-$sf.qcow2 src.raw
done
"$IMG" info v-monolithicSparse.vmdk | has 'file format: vmdk' || fail "probe"
if "$IMG" resize v-monolithicSparse.vmdk 48M 2>err.txt; then fail "vmdk opened read-write"; fi
grep -q 'read-only' err.txt || fail "no clear read-only message: $(cat err.txt)"
echo "NOTE: VMDK sparse, flat, streamOptimized and split extents read back identical"
