#!/usr/bin/env bash
# Clear errors, never crashes: format mismatch, locking, bad headers, corrupt refcounts
# (check exit codes 0/2/3 like qemu-img, -r all repairs), compare exit codes.
. "$(dirname "$0")/lib.sh"
make_src
expect_err() { # pattern cmd...
  local pat=$1; shift
  if "$@" >out.txt 2>&1; then fail "'$*' succeeded"; fi
  grep -q -- "$pat" out.txt || fail "'$*': expected '$pat', got: $(cat out.txt)"
  grep -qiE 'sanitizer|segmentation|core dumped' out.txt && fail "'$*' crashed"
  return 0
}
expect_err "format=qcow2 given but the file has no qcow2 header (it looks like raw data)" "$IMG" info -f qcow2 src.raw
qemu-img convert -O qcow2 src.raw q.qcow2
"$IMG" info -f raw q.qcow2 2>&1 | has 'opening as raw as requested' || fail "explicit raw on qcow2 is silent"
# Locking: a writer holds the image; a second read-write opener is refused with advice.
cp q.qcow2 lock.qcow2
"$IMG" bench -t write -c 4000000 -s 512 lock.qcow2 >/dev/null 2>&1 & pid=$!
sleep 0.3
expect_err "in use by another process (locked); use readonly or --snapshot" "$IMG" resize lock.qcow2 +1M
# QEMU's byte-range locks interoperate: qemu-img refuses the image we write, and the reverse.
if qemu-img info lock.qcow2 >/dev/null 2>&1; then fail "qemu-img opened an image minivmm is writing"; fi
"$IMG" info -U lock.qcow2 >/dev/null || fail "info -U"
kill $pid; wait $pid 2>/dev/null || true
qemu-img create -q -f qcow2 qlock.qcow2 16M
qemu-io -c "sleep 3000" -c "write 0 512" qlock.qcow2 >/dev/null 2>&1 & qpid=$!
sleep 0.7
expect_err "in use by another process (locked)" "$IMG" resize qlock.qcow2 +1M
expect_err "open read-write by another process" "$IMG" info qlock.qcow2
wait $qpid || true
# Bad headers.
bad() { cp q.qcow2 bad.qcow2; printf "$2" | dd of=bad.qcow2 bs=1 seek=$1 conv=notrunc status=none; }
bad 20 '\x00\x00\x00\x1f'; expect_err "cluster_bits 31 out of range" "$IMG" info bad.qcow2
bad 36 '\x7f\xff\xff\xff'; expect_err "L1 size .* is absurd" "$IMG" info bad.qcow2
bad 40 '\x00\x00\x7f\x00\x00\x00\x00\x00'; expect_err "L1 table at .* past the end of the file" "$IMG" info bad.qcow2
bad 48 '\x00\x00\x7f\x00\x00\x00\x00\x00'; expect_err "refcount table .* outside the file" "$IMG" info bad.qcow2
bad 4 '\x00\x00\x00\x07'; expect_err "version 7 is not supported" "$IMG" info bad.qcow2
bad 32 '\x00\x00\x00\x01'; expect_err "encrypted qcow2 images are not supported" "$IMG" info bad.qcow2
bad 72 '\x00\x00\x00\x00\x00\x00\x00\x10'; expect_err "extended L2 entries" "$IMG" info bad.qcow2
head -c 100 q.qcow2 > trunc.qcow2; expect_err "qcow2" "$IMG" info trunc.qcow2
bad 72 '\x00\x00\x00\x00\x00\x00\x00\x02'; expect_err "marked corrupt" "$IMG" resize bad.qcow2 +1M
"$IMG" info bad.qcow2 | has 'corrupt: true' || fail "corrupt bit not shown"
# Refcount errors: check exit codes match qemu-img; -r all repairs.
"$IMG" check q.qcow2 >/dev/null || fail "clean image: check exit $?"
rt=$(qemu-img info --output=json q.qcow2 >/dev/null; python3 -c "import struct;h=open('q.qcow2','rb').read(64);print(struct.unpack('>Q',h[48:56])[0])")
rb=$(python3 -c "import struct;f=open('q.qcow2','rb');f.seek($rt);print(struct.unpack('>Q',f.read(8))[0])")
cp q.qcow2 leak.qcow2; printf '\x00\x05' | dd of=leak.qcow2 bs=1 seek=$((rb + 2*200)) conv=notrunc status=none
truncate -s $((201*65536)) leak.qcow2 2>/dev/null || true
rc=0; "$IMG" check leak.qcow2 >/dev/null 2>&1 || rc=$?; qrc=0; qemu-img check leak.qcow2 >/dev/null 2>&1 || qrc=$?
[ "$rc" = "$qrc" ] && [ "$rc" = 3 ] || fail "leak: check exit $rc, qemu-img $qrc"
cp q.qcow2 cor.qcow2; printf '\x00\x00' | dd of=cor.qcow2 bs=1 seek=$((rb + 2*10)) conv=notrunc status=none
rc=0; "$IMG" check cor.qcow2 >/dev/null 2>&1 || rc=$?; qrc=0; qemu-img check cor.qcow2 >/dev/null 2>&1 || qrc=$?
[ "$rc" = "$qrc" ] && [ "$rc" = 2 ] || fail "corruption: check exit $rc, qemu-img $qrc"
"$IMG" check -r leaks leak.qcow2 >/dev/null 2>&1; qemu-img check -q leak.qcow2 || fail "-r leaks did not repair"
"$IMG" check -r all cor.qcow2 >/dev/null 2>&1; qemu-img check -q cor.qcow2 || fail "-r all did not repair"
qemu-img compare -q cor.qcow2 src.raw
# compare: 0 same, 1 different with the first differing offset, 2 error.
cp src.raw d.raw; printf 'X' | dd of=d.raw bs=1 seek=5000000 conv=notrunc status=none
"$IMG" compare src.raw q.qcow2 >/dev/null || fail "compare same"
rc=0; "$IMG" compare src.raw d.raw >cmp.txt || rc=$?
[ $rc = 1 ] && grep -q "Content mismatch at offset 4999680!" cmp.txt || fail "compare different: $rc $(cat cmp.txt)"
(qemu-img compare src.raw d.raw || true) | has "offset 4999680" || fail "qemu-img reports a different first mismatch offset"
rc=0; "$IMG" compare src.raw nonexist.raw 2>/dev/null || rc=$?; [ $rc = 2 ] || fail "compare error exit $rc"
"$IMG" --help | has convert || fail "--help"
echo "NOTE: format mismatch, locking, 8 bad-header cases, leak/corruption exit codes and repair all match qemu-img"
