#!/usr/bin/env bash
# Every image minivmm-img writes passes qemu-img check and compares equal to its source.
. "$(dirname "$0")/lib.sh"
make_src
chk() { qemu-img check -q "$1" || fail "qemu-img check $1: exit $?"; qemu-img compare -q "$2" "$1" || fail "qemu-img compare $2 $1"; }
for cs in 512 4096 65536 2M; do
  "$IMG" convert -O qcow2 -o cluster_size=$cs src.raw m$cs.qcow2; chk m$cs.qcow2 src.raw
done
"$IMG" convert -O qcow2 -o compat=0.10 src.raw v2.qcow2; chk v2.qcow2 src.raw
qemu-img info v2.qcow2 | has 'compat: 0.10' || fail "compat=0.10 not honoured"
"$IMG" convert -c -O qcow2 src.raw c.qcow2; chk c.qcow2 src.raw
"$IMG" convert -c -O qcow2 -o compression_type=zstd src.raw cz.qcow2; chk cz.qcow2 src.raw
qemu-img info c.qcow2 >/dev/null
[ "$(stat -c %s c.qcow2)" -lt "$(stat -c %s m65536.qcow2)" ] || fail "-c did not compress"
"$IMG" convert -p -O raw m4096.qcow2 back.raw 2>progress.txt; cmp back.raw src.raw || fail "qcow2->raw"
grep -q '100.00/100%' progress.txt || fail "no progress bar"
"$IMG" convert -O raw src.raw sparse.raw; cmp sparse.raw src.raw
[ "$(du -k sparse.raw | cut -f1)" -lt 20000 ] || fail "convert to raw is not sparse"
# create: sizes, options, backing; info matches qemu-img's JSON fields.
"$IMG" create -q -f qcow2 -o cluster_size=4k e.qcow2 1G; qemu-img check -q e.qcow2
"$IMG" create -q -f raw e.raw 10M; [ "$(stat -c %s e.raw)" = 10485760 ] || fail "raw size"
"$IMG" create -q -f qcow2 -b m65536.qcow2 -F qcow2 ov.qcow2; chk ov.qcow2 src.raw
for f in e.qcow2 ov.qcow2 c.qcow2 v2.qcow2 e.raw; do
  python3 - "$f" "$IMG" <<'PY' || fail "info --output=json differs from qemu-img for $f"
import json, subprocess, sys
f, img = sys.argv[1], sys.argv[2]
ours = json.loads(subprocess.check_output([img, "info", "--output=json", f]))
ref = json.loads(subprocess.check_output(["qemu-img", "info", "--output=json", f]))
keys = ["filename", "format", "virtual-size", "cluster-size", "backing-filename", "backing-filename-format", "dirty-flag"]
bad = [k for k in keys if ours.get(k) != ref.get(k)]
if "format-specific" in ref:
    for k in ["compat", "refcount-bits", "corrupt", "compression-type"]:
        if ours["format-specific"]["data"].get(k) != ref["format-specific"]["data"].get(k): bad.append(k)
if abs(ours["actual-size"] - ref["actual-size"]) > 1 << 20: bad.append("actual-size")
if bad: print(f, bad, ours, ref); sys.exit(1)
PY
done
# resize: grow qcow2 and raw, shrink raw only with --shrink.
"$IMG" resize m65536.qcow2 +40M >/dev/null; qemu-img check -q m65536.qcow2
[ "$(qemu-img info --output=json m65536.qcow2 | python3 -c 'import json,sys;print(json.load(sys.stdin)["virtual-size"])')" = $((64<<20)) ] || fail "qcow2 resize"
"$IMG" resize m512.qcow2 3G >/dev/null; qemu-img check -q m512.qcow2; truncate -s 3G src3.raw; dd if=src.raw of=src3.raw conv=notrunc status=none; qemu-img compare -q m512.qcow2 src3.raw
cp src.raw s.raw; if "$IMG" resize s.raw -1M 2>/dev/null; then fail "shrink without --shrink"; fi
"$IMG" resize --shrink s.raw -1M >/dev/null; [ "$(stat -c %s s.raw)" = $((23<<20)) ] || fail "raw shrink"
echo "NOTE: minivmm-img images (4 cluster sizes, v2, zlib/zstd compressed, backing, resized) pass qemu-img check and compare"
