#!/usr/bin/env bash
# kill -9 at random points during heavy allocating writes, 20 times: qemu-img check never reports
# corruption (leaks are allowed), every block written before the last completed flush is intact,
# and the next read-write open repairs the leaks of the dirty image.
. "$(dirname "$0")/lib.sh"
leaky=0
for cs in 4096 65536 512; do
  qemu-img create -q -f qcow2 -o cluster_size=$cs crash.qcow2 48M
  for it in $(seq 1 7); do
    seed=$((cs + it))
    "$IMG" stress --seed $seed crash.qcow2 >log 2>err & pid=$!
    sleep "0.$((RANDOM % 6 + 1))"
    kill -9 $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    R=$(awk '/^flushed/ {r=$2} END {print r+0}' log)
    rc=0; qemu-img check crash.qcow2 >check.txt 2>&1 || rc=$?
    case $rc in
      0) ;;
      3) leaky=$((leaky+1)) ;;
      *) cat check.txt err; fail "cluster $cs iteration $it: qemu-img check exit $rc after kill -9" ;;
    esac
    ours=0; "$IMG" check -q crash.qcow2 2>/dev/null || ours=$?
    [ "$ours" = "$rc" ] || fail "cluster $cs iteration $it: minivmm-img check exit $ours, qemu-img $rc"
    "$IMG" stress --seed $seed --verify "$R" crash.qcow2 >/dev/null || fail "cluster $cs iteration $it: flushed data lost (round $R)"
  done
  # A read-write open repairs the dirty image.
  "$IMG" check -r leaks crash.qcow2 >/dev/null 2>&1 || true
  qemu-img check -q crash.qcow2 || fail "repair left errors"
  qemu-img info crash.qcow2 | has 'dirty bit' && fail "dirty bit left set"
done
# QEMU crashing with lazy refcounts leaves a dirty image with stale refcounts: our read-write
# open rebuilds them (qemu's rule) and the data survives.
qemu-img create -q -f qcow2 -o lazy_refcounts=on lazy.qcow2 64M
qemu-io -c "write -P 0x55 0 4M" -c "write -P 0x66 10M 1M" -c abort lazy.qcow2 >/dev/null 2>&1 || true
rc=0; qemu-img check lazy.qcow2 >/dev/null 2>&1 || rc=$?
ours=0; "$IMG" check -q lazy.qcow2 2>/dev/null || ours=$?
[ "$rc" = "$ours" ] || fail "lazy-refcount crash image: minivmm-img check exit $ours, qemu-img $rc"
"$IMG" resize lazy.qcow2 +1M >/dev/null 2>&1 || fail "rw open of qemu's crashed image"
qemu-img check -q lazy.qcow2 || fail "our repair of qemu's crashed image left errors"
qemu-io -c "read -P 0x55 0 4M" -c "read -P 0x66 10M 1M" lazy.qcow2 | has "Pattern verification failed" && fail "data lost in repair"
echo "NOTE: 21 kill -9 runs: no corruption, flushed data intact, $leaky runs left leaks (allowed, repaired on open); a qemu-io abort with lazy refcounts is repaired on our rw open"
