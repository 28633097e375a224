#!/usr/bin/env bash
# A host I/O error (EFBIG from RLIMIT_FSIZE: the raw image may not be written at or beyond 8 MiB)
# reaches Linux as an I/O error over virtio-blk; minivmm logs it, keeps running, the disk keeps
# working, and the guest powers off normally. The data written below the limit is on the image.
. "$(dirname "$0")/lib.sh"

[ -x "$MINIVMM" ] || fail_now "$MINIVMM is not built (make)"
kernel=$GUESTS/aarch64/Image
[ -f "$kernel" ] || skip "no aarch64 kernel: run guests/build-kernel.sh aarch64"
require_initramfs aarch64 virtio-blk-ioerr

d=$TMPDIR/ioerr; mkdir -p "$d"
truncate -s 64M "$d/err.raw"
(
	trap '' XFSZ            # ignored, so an oversized write returns EFBIG instead of killing us
	ulimit -f 8192          # KiB: 8 MiB
	exec "$MINIVMM" --arch aarch64 --accel interp --mem 256M --kernel "$kernel" \
		--initrd "$GUESTS/aarch64/initramfs.cpio.gz" --disk "$d/err.raw,format=raw,serial=minivmm-err" \
		--append "console=ttyAMA0 minivmm.test=virtio-blk-ioerr" --timeout 600
) </dev/null >"$d/console.log" 2>&1
rc=$?
echo "minivmm exit $rc; console tail:"
tail -15 "$d/console.log" | sed 's/^/    /'
grep -q 'minivmm-init: reached init' "$d/console.log" ||
	skip "Linux on the aarch64 interpreter did not reach init (minivmm exit $rc)"
[ "$rc" = 0 ] && ok "minivmm kept running and exited 0 when the guest powered off" || bad "minivmm exit $rc"
grep -q '^minivmm-test: virtio-blk-ioerr exit=0' "$d/console.log" && ok "guest: errors seen, device still works" ||
	bad "guest: $(grep -a '^minivmm-test:' "$d/console.log" || echo 'no result line')"
grep -q 'guest sees IOERR' "$d/console.log" && ok "minivmm logged the host error: $(grep -m1 'guest sees IOERR' "$d/console.log")" ||
	bad "no 'guest sees IOERR' line from minivmm"
grep -q 'DEVICE_NEEDS_RESET' "$d/console.log" && bad "the device went to NEEDS_RESET on a host error"
yes minivmm-ioerr | head -c 1048576 >"$d/pat"
cmp -s -n 1048576 "$d/err.raw" "$d/pat" && ok "the data written below the limit is on the image" ||
	bad "image content below the limit differs"
finish
