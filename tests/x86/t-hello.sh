#!/usr/bin/env bash
# hello: a PVH ELF boots, sees hvm_start_info (magic, our --append, a memory map matching --mem)
# and ends minivmm through the debug-exit port with the value it wrote (0x5a -> status 181).
# Also under the ASan/UBSan build, and cross-checked against QEMU's -kernel PVH boot.
. "$(dirname "$0")/lib.sh"
require_kvm
require_minivmm "$MINIVMM"
elf=$(guest_elf hello)
marker="minivmm-hello-marker=$$"

check_hello() { # OUT WHAT
	expect_rc "$1" 181 "$2"
	expect_line "$1.txt" '^Hello from a minivmm bare-metal guest' "$2: greeting"
	expect_line "$1.txt" '^  ok   start_info at .*magic 0x336ec578' "$2: hvm_start_info magic"
	expect_line "$1.txt" "^hello: cmdline \".*$marker.*\"" "$2: --append reached start_info"
	expect_line "$1.txt" '^hello: PASS, exiting through debug-exit with 0x5a' "$2: PASS line"
}

run_vmm "$MINIVMM" "$elf" "$TMPDIR/hello" --append "$marker"
check_hello "$TMPDIR/hello" minivmm
# 128 MiB: RAM from 1 MiB up to the end of the 128 MiB, and low RAM below 640 KiB.
expect_line "$TMPDIR/hello.txt" '^hello: memmap 0x0000000000100000-0x0000000007ffffff ram' \
	"memory map: RAM 1 MiB..128 MiB for --mem 128M"
expect_line "$TMPDIR/hello.txt" '^hello: memmap 0x0000000000000000-0x00000000000[0-9a-f]{5} ram' \
	"memory map: low RAM from 0"
expect_line "$TMPDIR/hello.txt" '^hello: modules none' "no --initrd: no PVH modules"

# --initrd becomes PVH module 0: same size and bytes (CRC-32), page-aligned, inside RAM.
head -c 5000 /dev/urandom >"$TMPDIR/module.bin"
crc=$(python3 -c 'import sys, zlib; print("%08x" % zlib.crc32(open(sys.argv[1], "rb").read()))' "$TMPDIR/module.bin")
run_vmm "$MINIVMM" "$elf" "$TMPDIR/hello-mod" --initrd "$TMPDIR/module.bin"
expect_rc "$TMPDIR/hello-mod" 181 "minivmm --initrd"
expect_line "$TMPDIR/hello-mod.txt" "^hello: module 0 at 0x[0-9a-f]*000 size 5000 crc32\(first 5000 bytes\) $crc\$" \
	"--initrd: module 0 holds the file's 5000 bytes (crc32 $crc), page-aligned"
addr=$(sed -n 's/^hello: module 0 at \(0x[0-9a-f]*\) .*/\1/p' "$TMPDIR/hello-mod.txt")
if [ -n "$addr" ] && [ $((addr)) -ge $((0x100000)) ] && [ $((addr + 5000)) -le $((128 << 20)) ]; then
	ok "--initrd: module at $addr lies in RAM between 1 MiB and 128 MiB"
else
	bad "--initrd: module at '${addr:-?}' outside RAM 1 MiB..128 MiB"
fi

# --console file:PATH puts the same serial output in the file; --console none drops it.
run_vmm "$MINIVMM" "$elf" "$TMPDIR/hello-file" --append "$marker" --console "file:$TMPDIR/console.log"
expect_rc "$TMPDIR/hello-file" 181 "--console file:PATH"
if [ -s "$TMPDIR/console.log" ] && diff <(tr -d '\r' <"$TMPDIR/console.log") "$TMPDIR/hello.txt" >/dev/null; then
	ok "--console file:PATH: the file holds the same serial output as stdio"
else
	bad "--console file:PATH: file differs from the stdio output"
fi
[ -s "$TMPDIR/hello-file.txt" ] && bad "--console file:PATH: serial output also on stdout" ||
	ok "--console file:PATH: nothing on stdout"
run_vmm "$MINIVMM" "$elf" "$TMPDIR/hello-none" --console none
expect_rc "$TMPDIR/hello-none" 181 "--console none"
[ -s "$TMPDIR/hello-none.txt" ] && bad "--console none: serial output on stdout" ||
	ok "--console none: no serial output"

# More RAM than fits below the 32-bit MMIO hole: the rest is mapped from 4 GiB (boot/boot.h).
run_vmm "$MINIVMM" "$elf" "$TMPDIR/hello-big" --mem 3200M
expect_rc "$TMPDIR/hello-big" 181 "minivmm --mem 3200M"
expect_line "$TMPDIR/hello-big.txt" '^hello: memmap 0x0000000000100000-0x00000000bfffffff ram' \
	"memory map, --mem 3200M: RAM 1 MiB..3 GiB below the MMIO hole"
expect_line "$TMPDIR/hello-big.txt" '^hello: memmap 0x0000000100000000-0x0000000107ffffff ram' \
	"memory map, --mem 3200M: the other 128 MiB from 4 GiB"
no_line "$TMPDIR/hello-big.txt" '^hello: memmap 0x00000000[c-f][0-9a-f]{7}-.* ram' \
	"memory map, --mem 3200M: no RAM in the hole"

if [ -x "$MINIVMM_SAN" ]; then
	run_vmm "$MINIVMM_SAN" "$elf" "$TMPDIR/hello-san" --append "$marker"
	check_hello "$TMPDIR/hello-san" "minivmm (ASan/UBSan)"
	expect_clean_san "$TMPDIR/hello-san" "minivmm (ASan/UBSan)"
else
	bad "ASan/UBSan build $MINIVMM_SAN missing (make SANITIZE=1)"
fi

if have_qemu; then
	run_qemu "$elf" "$TMPDIR/hello-qemu" -append "$marker"
	check_hello "$TMPDIR/hello-qemu" "qemu (oracle)"
else
	echo "NOTE: $QEMU not installed: hello not cross-checked against QEMU"
fi
finish
