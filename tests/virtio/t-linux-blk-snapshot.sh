#!/usr/bin/env bash
# --snapshot end to end: Linux writes and reads back its pattern over virtio-blk (the writes land
# in a temporary qcow2 overlay), the read-only disk stays read-only, and afterwards the images are
# byte-for-byte untouched and no overlay file is left behind.
. "$(dirname "$0")/lib.sh"

command -v qemu-img >/dev/null || skip "qemu-img not installed (Debian package qemu-utils)"
[ -x "$MINIVMM" ] || fail_now "$MINIVMM is not built (make)"
kernel=$GUESTS/aarch64/Image
[ -f "$kernel" ] || skip "no aarch64 kernel: run guests/build-kernel.sh aarch64"
require_initramfs aarch64

d=$TMPDIR/snap; mkdir -p "$d" "$d/tmp"
make_disks "$d"
before=$(sha256sum "$d/rw.qcow2" "$d/ro.raw" | cut -c1-64)
TMPDIR=$d/tmp "$MINIVMM" --arch aarch64 --accel interp --mem 256M --kernel "$kernel" \
	--initrd "$GUESTS/aarch64/initramfs.cpio.gz" --snapshot \
	--disk "$d/rw.qcow2,format=qcow2,serial=minivmm-rw" --disk "$d/ro.raw,format=raw,readonly,serial=minivmm-ro" \
	--append "console=ttyAMA0 minivmm.test=virtio-blk" --timeout 900 </dev/null >"$d/console.log" 2>&1
rc=$?
echo "minivmm exit $rc; console tail:"
tail -15 "$d/console.log" | sed 's/^/    /'
grep -q 'minivmm-init: reached init' "$d/console.log" ||
	skip "Linux on the aarch64 interpreter did not reach init (minivmm exit $rc)"
guest_result "$d/console.log" "minivmm --snapshot"
after=$(sha256sum "$d/rw.qcow2" "$d/ro.raw" | cut -c1-64)
[ "$before" = "$after" ] && ok "both images are byte-for-byte unchanged" || bad "an image changed under --snapshot"
qemu-img create -q -f qcow2 "$d/empty.qcow2" 64M
qemu-img compare -q "$d/rw.qcow2" "$d/empty.qcow2" && ok "qemu-img compare: the disk still reads as empty" ||
	bad "qemu-img compare: the disk content changed"
left=$(ls -A "$d/tmp")
[ -z "$left" ] && ok "no overlay left in TMPDIR" || bad "files left in TMPDIR: $left"
finish
