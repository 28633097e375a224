#!/usr/bin/env bash
# Internal snapshots both ways: qemu's snapshots list/apply through minivmm-img, ours through
# qemu-img; refcounts stay exact (qemu-img check clean) after create/apply/delete.
. "$(dirname "$0")/lib.sh"
make_src
qemu-img convert -O qcow2 src.raw q.qcow2
qemu-img snapshot -c first q.qcow2
qemu-io -c "write -P 0xab 0 3M" -c "write -P 0xcd 20M 1M" -c "write -z 14M 1M" q.qcow2 >/dev/null
qemu-img snapshot -c second q.qcow2
qemu-io -c "write -P 0xef 8M 64k" q.qcow2 >/dev/null
qemu-img convert -O raw q.qcow2 cur.raw
qemu-img snapshot -a second q.qcow2; qemu-img convert -O raw q.qcow2 second.raw
"$IMG" snapshot -l q.qcow2 | has 'second' || fail "snapshot -l misses qemu's snapshot"
"$IMG" snapshot -a first q.qcow2 && qemu-img check -q q.qcow2 || fail "apply first: check"
read_back q.qcow2 src.raw
"$IMG" snapshot -a second q.qcow2 && qemu-img check -q q.qcow2 && read_back q.qcow2 second.raw
"$IMG" snapshot -d first q.qcow2 && qemu-img check -q q.qcow2 || fail "delete: check"
read_back q.qcow2 second.raw
qemu-img snapshot -l q.qcow2 | has first && fail "first not deleted"
# Our snapshots, applied and deleted by qemu-img.
"$IMG" convert -O qcow2 -o cluster_size=4096 src.raw m.qcow2
"$IMG" snapshot -c one m.qcow2
"$IMG" bench -t write -s 8192 -c 200 -o 4096 -S 100000 --pattern=7 m.qcow2 >/dev/null
qemu-img check -q m.qcow2 || fail "write after snapshot: check"
qemu-img convert -O raw m.qcow2 two.raw
"$IMG" snapshot -c two m.qcow2
qemu-img snapshot -l m.qcow2 | has two || fail "qemu does not list ours"
if "$IMG" snapshot -c two m.qcow2 2>/dev/null; then fail "duplicate name accepted"; fi
qemu-img snapshot -a one m.qcow2; qemu-img compare -q m.qcow2 src.raw || fail "qemu applies ours"
"$IMG" snapshot -a two m.qcow2; qemu-img check -q m.qcow2; qemu-img compare -q m.qcow2 two.raw || fail "apply two"
"$IMG" snapshot -d one m.qcow2; "$IMG" snapshot -d two m.qcow2
qemu-img check -q m.qcow2 || fail "after deleting all: check"
qemu-img compare -q m.qcow2 two.raw
echo "NOTE: internal snapshots interoperate with qemu-img both ways"
