#!/usr/bin/env bash
# bad-images: broken PVH ELF images get one clear error line and exit status 1, never a crash or
# a sanitizer report: no PVH note, truncated files, a segment outside guest RAM, a segment whose
# file range lies past the end of the file, an entry point outside every segment, an empty file.
# Each image is the hello guest with one thing broken; each runs under both builds.
. "$(dirname "$0")/lib.sh"
require_kvm
require_minivmm "$MINIVMM"
elf=$(guest_elf hello)
d=$TMPDIR/img
mkdir -p "$d"

objcopy --remove-section .note.pvh "$elf" "$d/no-note.elf"
head -c 200 "$elf" >"$d/truncated-phdrs.elf"
head -c $(($(stat -c %s "$elf") / 2)) "$elf" >"$d/truncated-segment.elf"
: >"$d/empty.elf"
# ELF32 program header fields patched in place (System V gABI: e_phoff at 28, p_offset at +4,
# p_paddr at +12, p_filesz at +16).
python3 - "$elf" "$d" <<'PY'
import struct, sys
src, d = sys.argv[1], sys.argv[2]
img = bytearray(open(src, "rb").read())
phoff, = struct.unpack_from("<I", img, 28)
phentsize, phnum = struct.unpack_from("<HH", img, 42)
load = next(phoff + i * phentsize for i in range(phnum)
            if struct.unpack_from("<I", img, phoff + i * phentsize)[0] == 1)
def variant(name, off, value):
    b = bytearray(img)
    struct.pack_into("<I", b, off, value)
    open(f"{d}/{name}.elf", "wb").write(b)
variant("segment-beyond-ram", load + 12, 0x40000000)     # p_paddr at 1 GiB, RAM is 128 MiB
variant("segment-in-hole", load + 12, 0xfee00000)        # p_paddr on the local APIC
variant("filesz-past-eof", load + 16, 0x7fffff00)        # p_filesz far beyond the file
variant("offset-past-eof", load + 4, 0x7ffff000)         # p_offset beyond the file
PY
# An entry note that points outside every loaded segment.
python3 - "$elf" "$d/entry-outside.elf" <<'PY'
import sys
img = bytearray(open(sys.argv[1], "rb").read())
i = img.find(b"Xen\0")
img[i + 4:i + 8] = (0x07000000).to_bytes(4, "little")     # entry at 112 MiB: RAM, but not ours
open(sys.argv[2], "wb").write(img)
PY

for bin in "$MINIVMM" "$MINIVMM_SAN"; do
	[ -x "$bin" ] || { bad "$bin missing (make SANITIZE=1)"; continue; }
	tag=minivmm; [ "$bin" = "$MINIVMM_SAN" ] && tag="minivmm (ASan/UBSan)"
	for img in no-note truncated-phdrs truncated-segment empty segment-beyond-ram segment-in-hole \
		   filesz-past-eof offset-past-eof; do
		out=$d/$img-$([ "$bin" = "$MINIVMM" ] && echo n || echo s)
		run_vmm "$bin" "$d/$img.elf" "$out" --timeout 10
		rc=$(cat "$out.rc")
		nerr=$(grep -c 'error' "$out.err")
		if [ "$rc" = 1 ] && [ "$nerr" -ge 1 ]; then
			ok "$tag $img: exit 1: $(grep -m1 error "$out.err" | cut -c1-150)"
		else
			bad "$tag $img: exit status $rc, want 1 with an error line"; head -5 "$out.err"
		fi
		[ "$bin" = "$MINIVMM_SAN" ] && expect_clean_san "$out" "$tag $img"
	done
	# A wrong entry is not detectable by a loader in general: the guest runs into zeroed RAM and
	# must end as a guest crash or at --timeout, not take the VMM down.
	out=$d/entry-outside-$([ "$bin" = "$MINIVMM" ] && echo n || echo s)
	run_vmm "$bin" "$d/entry-outside.elf" "$out" --timeout 5
	rc=$(cat "$out.rc")
	case $rc in
	1|3|124) ok "$tag entry-outside: exit status $rc (refused, guest crash or --timeout)" ;;
	*) bad "$tag entry-outside: exit status $rc"; head -5 "$out.err" ;;
	esac
	[ "$bin" = "$MINIVMM_SAN" ] && expect_clean_san "$out" "$tag entry-outside"
done
finish
