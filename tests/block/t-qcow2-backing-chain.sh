#!/usr/bin/env bash
# Backing chain of three (raw base <- qcow2 <- qcow2, relative names): reads match qemu; writes
# copy-on-write partial clusters exactly as qemu-io does; commit folds the top into its backing.
. "$(dirname "$0")/lib.sh"
make_src
mkdir d; cp src.raw d/base.raw
qemu-img create -q -f qcow2 -b base.raw -F raw d/mid.qcow2
qemu-io -c "write -P 0x22 4M 2M" -c "write -z 8M 64k" d/mid.qcow2 >/dev/null
qemu-img create -q -f qcow2 -o cluster_size=4096 -b mid.qcow2 -F qcow2 d/top.qcow2
qemu-io -c "write -P 0x33 5M 100k" -c "write -z 20M 1M" d/top.qcow2 >/dev/null
qemu-img convert -O raw d/top.qcow2 ref.raw
read_back d/top.qcow2 ref.raw
"$IMG" info --backing-chain d/top.qcow2 | has 'image: d/base.raw' || fail "backing chain not resolved relative to the image"
cp d/top.qcow2 d/a.qcow2; cp d/top.qcow2 d/b.qcow2
"$IMG" bench -t write -s 3000 -c 40 -o 1000 -S 577777 --pattern=90 d/a.qcow2 >/dev/null
cmds=(); off=1000; for i in $(seq 1 40); do cmds+=(-c "write -P 90 $off 3000"); off=$((off+577777)); done
qemu-io "${cmds[@]}" d/b.qcow2 >/dev/null
qemu-img check -q d/a.qcow2 || fail "COW writes: check"
qemu-img compare -q d/a.qcow2 d/b.qcow2 || fail "COW writes differ from qemu's"
# Our overlay over their chain.
"$IMG" create -q -f qcow2 -b top.qcow2 -F qcow2 d/ours.qcow2
qemu-img compare -q d/ours.qcow2 ref.raw || fail "overlay"
# commit top into mid; reading mid then equals reading top.
cp d/mid.qcow2 d/mid.orig
"$IMG" commit d/a.qcow2 >/dev/null || fail "commit"
qemu-img check -q d/mid.qcow2 || fail "commit: check"
qemu-img compare -q d/mid.qcow2 d/b.qcow2 || fail "commit: mid differs from top"
cmp d/base.raw src.raw || fail "commit touched the base"
qemu-img check -q d/a.qcow2 || fail "emptied top: check"
qemu-img compare -q d/a.qcow2 d/b.qcow2 || fail "emptied top no longer reads the same"
[ "$(qemu-img map --output=json d/a.qcow2 | python3 -c 'import json,sys;print(sum(1 for e in json.load(sys.stdin) if e["depth"]==0 and e["data"]))')" = 0 ] || fail "commit did not empty the top"
cp d/top.qcow2 d/k.qcow2; cp d/mid.orig d/mid.qcow2
"$IMG" commit -d d/k.qcow2 >/dev/null; qemu-img compare -q d/k.qcow2 d/mid.qcow2 || fail "commit -d"
[ "$(qemu-img map --output=json d/k.qcow2 | python3 -c 'import json,sys;print(sum(1 for e in json.load(sys.stdin) if e["depth"]==0 and e["data"]))')" != 0 ] || fail "commit -d emptied the top"
echo "NOTE: 3-deep backing chain (raw base) read, COW-written and committed identically to qemu"
