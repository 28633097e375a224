#!/usr/bin/env bash
# The arm64 Image loader: files that are not a usable arm64 Image stop minivmm with exit 1 and one
# line saying what the file is and what to pass instead; a gzip'd Image (Image.gz) boots; RAM too
# small for kernel + initrd is reported with the --mem to use.
. "$(dirname "$0")/lib.sh"
require_minivmm "$MINIVMM"
hello=$(guest_img hello) || exit 1

# rejects FILE PATTERN [args]: exit 1 and PATTERN in stderr
rejects() {
	local file=$1 pattern=$2
	shift 2
	timeout 30 "$MINIVMM" --arch aarch64 --kernel "$file" --timeout 10 "$@" </dev/null \
		>"$TMPDIR/out" 2>"$TMPDIR/err"
	local rc=$?
	if [ "$rc" = 1 ] && grep -q "$pattern" "$TMPDIR/err"; then
		ok "$(basename "$file"): exit 1: $(grep -m1 "$pattern" "$TMPDIR/err")"
	else
		bad "$(basename "$file"): exit $rc, want 1 with '$pattern'; stderr:"
		sed 's/^/    /' "$TMPDIR/err" | head -5
	fi
}

head -c 65536 /dev/urandom >"$TMPDIR/garbage.bin"
rejects "$TMPDIR/garbage.bin" "not an arm64 Image"
rejects "$A64_GUESTS/hello.elf" "vmlinux"
[ -f "$GUESTS/x86_64/bzImage" ] && rejects "$GUESTS/x86_64/bzImage" "x86 bzImage"
cp "$hello" "$TMPDIR/be.img"
printf '\x03' | dd of="$TMPDIR/be.img" bs=1 seek=$((0x18)) conv=notrunc status=none
rejects "$TMPDIR/be.img" "big-endian"
cp "$hello" "$TMPDIR/off.img"
printf '\x10' | dd of="$TMPDIR/off.img" bs=1 seek=$((0x08)) conv=notrunc status=none
rejects "$TMPDIR/off.img" "text_offset"
head -c 40 "$hello" >"$TMPDIR/short.img"
rejects "$TMPDIR/short.img" "not an arm64 Image"
gzip -c "$hello" | head -c 1000 >"$TMPDIR/trunc.img.gz"
rejects "$TMPDIR/trunc.img.gz" "gzip"
xz -c "$hello" >"$TMPDIR/hello.img.xz" 2>/dev/null && rejects "$TMPDIR/hello.img.xz" "decompress it first"
head -c $((30 << 20)) /dev/zero >"$TMPDIR/big-initrd"
rejects "$hello" "use at least --mem" --mem 32M --initrd "$TMPDIR/big-initrd"

# Image.gz: inflated with zlib and booted
gzip -c "$hello" >"$TMPDIR/hello.img.gz"
run_vmm "$MINIVMM" "$TMPDIR/hello.img.gz" "$TMPDIR/gz"
[ "$(cat "$TMPDIR/gz.rc")" = 0 ] && grep -q '^RESULT: PASS' "$TMPDIR/gz.txt" &&
	ok "a gzip'd Image boots (exit 0, RESULT: PASS)" ||
	{ bad "gzip'd Image: exit $(cat "$TMPDIR/gz.rc")"; tail -3 "$TMPDIR/gz.txt" "$TMPDIR/gz.err"; }
finish
