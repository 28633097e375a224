#!/usr/bin/env bash
# Linux on the aarch64 interpreter makes an ext2 filesystem on a qcow2 virtio-blk disk, writes and
# verifies 200 files (and copies) across a remount while raw readers run in parallel, deletes half and fstrims
# (discard). The host then runs qemu-img check and e2fsck -fn on the converted image.
. "$(dirname "$0")/lib.sh"

command -v qemu-img >/dev/null || skip "qemu-img not installed (Debian package qemu-utils)"
[ -x "$MINIVMM" ] || fail_now "$MINIVMM is not built (make)"
kernel=$GUESTS/aarch64/Image
[ -f "$kernel" ] || skip "no aarch64 kernel: run guests/build-kernel.sh aarch64"
require_initramfs aarch64 virtio-blk-stress

d=$TMPDIR/stress; mkdir -p "$d"
qemu-img create -q -f qcow2 "$d/fs.qcow2" 256M || fail_now "qemu-img create failed"
t0=$SECONDS
"$MINIVMM" --arch aarch64 --accel interp --mem 256M --kernel "$kernel" \
	--initrd "$GUESTS/aarch64/initramfs.cpio.gz" --disk "$d/fs.qcow2,format=qcow2,serial=minivmm-fs" \
	--append "console=ttyAMA0 minivmm.test=virtio-blk-stress" --timeout 900 </dev/null >"$d/console.log" 2>&1
rc=$?
echo "minivmm exit $rc after $((SECONDS - t0)) s; console tail:"
tail -20 "$d/console.log" | sed 's/^/    /'
grep -q 'minivmm-init: reached init' "$d/console.log" ||
	skip "Linux on the aarch64 interpreter did not reach init (minivmm exit $rc)"
if grep -q '^minivmm-test: virtio-blk-stress exit=0' "$d/console.log"; then ok "guest: filesystem stress passed"
else bad "guest: $(grep -a '^minivmm-test:' "$d/console.log" || echo 'no result line')"; fi
grep -q 'DEVICE_NEEDS_RESET' "$d/console.log" && bad "a virtio device went to NEEDS_RESET"
if qemu-img check -q "$d/fs.qcow2"; then ok "qemu-img check finds the qcow2 clean"
else bad "qemu-img check: $(qemu-img check "$d/fs.qcow2" 2>&1 | head -3)"; fi
if command -v e2fsck >/dev/null || [ -x /usr/sbin/e2fsck ]; then
	qemu-img convert -f qcow2 -O raw "$d/fs.qcow2" "$d/fs.raw"
	if PATH=$PATH:/usr/sbin e2fsck -fn "$d/fs.raw" >"$d/fsck.log" 2>&1; then ok "e2fsck -fn finds the guest's filesystem clean"
	else bad "e2fsck: $(tail -5 "$d/fsck.log")"; fi
else
	echo "NOTE: e2fsck not installed: the filesystem was only checked from inside the guest"
fi
speed=$(grep -a 'virtio-blk-stress: write .* MB/s' "$d/console.log" | sed 's/^virtio-blk-stress: //')
[ -n "$speed" ] && echo "NOTE: virtio-blk in Linux on the aarch64 interpreter, raw dd: $speed"
finish
