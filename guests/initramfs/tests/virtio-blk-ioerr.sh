# Host I/O errors reach Linux as I/O errors and the disk keeps working (minivmm.test=virtio-blk-ioerr;
# tests/virtio/t-linux-blk-ioerr.sh). The disk with serial "minivmm-err" is 64 MiB, but the host
# refuses writes at or beyond 8 MiB (RLIMIT_FSIZE): writes there must fail, everything else work.
fails=0
ok() { echo "virtio-blk-ioerr: $1 ok"; }
bad() { echo "virtio-blk-ioerr: $1 FAILED${2:+: $2}"; fails=$((fails + 1)); }

dev=
for s in /sys/block/vd*; do
	[ "$(cat "$s/serial" 2>/dev/null)" = minivmm-err ] && dev=/dev/${s##*/}
done
[ -b "$dev" ] || { bad "disk with serial minivmm-err"; exit 1; }

yes minivmm-ioerr | head -c 1048576 > /tmp/pat
dd if=/tmp/pat of="$dev" bs=65536 conv=fsync 2>/dev/null && ok "write below the host limit" ||
	bad "write below the host limit"
if dd if=/tmp/pat of="$dev" bs=65536 seek=256 conv=fsync 2>/tmp/err; then
	bad "write beyond the host limit fails"
else
	ok "write beyond the host limit fails ($(tail -1 /tmp/err))"
fi
dmesg | grep -q 'I/O error' && ok "the kernel logged the I/O error" || bad "the kernel logged the I/O error"
# The device still works: more writes below the limit, and everything reads back.
dd if=/tmp/pat of="$dev" bs=65536 seek=32 conv=fsync 2>/dev/null && ok "write after the error" ||
	bad "write after the error"
echo 3 > /proc/sys/vm/drop_caches
dd if="$dev" of=/tmp/b0 bs=65536 count=16 2>/dev/null
dd if="$dev" of=/tmp/b1 bs=65536 skip=32 count=16 2>/dev/null
cmp /tmp/pat /tmp/b0 && cmp /tmp/pat /tmp/b1 && ok "reads after the error" || bad "reads after the error"
echo "virtio-blk-ioerr: $fails failures"
[ "$fails" = 0 ]
