#!/usr/bin/env bash
# serial-bulk: about 170 KB of guest console output through the 16550 into a pipe arrives whole
# and in order (compared with the expected text byte for byte), also under ASan/UBSan and QEMU.
. "$(dirname "$0")/lib.sh"
require_kvm
require_minivmm "$MINIVMM"
elf=$(guest_elf serial-bulk)
python3 - "$TMPDIR/expected.txt" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(2000):
        f.write("bulk %04u abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 %08x\n"
                % (i, (i * 2654435761) & 0xffffffff))
    f.write("serial-bulk: 2000 lines sent\n")
PY

check_bulk() { # OUT WHAT
	expect_rc "$1" 129 "$2"
	if cmp -s "$TMPDIR/expected.txt" "$1.txt"; then
		ok "$2: all $(wc -c <"$1.txt") bytes arrived, in order"
	else
		bad "$2: console output differs from the expected text:"
		diff "$TMPDIR/expected.txt" "$1.txt" | head -10
	fi
}

t0=$(date +%s%N)
run_vmm "$MINIVMM" "$elf" "$TMPDIR/bulk"
t1=$(date +%s%N)
check_bulk "$TMPDIR/bulk" minivmm
echo "NOTE: serial-bulk: $(wc -c <"$TMPDIR/bulk.raw") bytes of polled 16550 output in $(((t1 - t0) / 1000000)) ms (two exits per byte)"
if [ -x "$MINIVMM_SAN" ]; then
	run_vmm "$MINIVMM_SAN" "$elf" "$TMPDIR/bulk-san"
	check_bulk "$TMPDIR/bulk-san" "minivmm (ASan/UBSan)"
	expect_clean_san "$TMPDIR/bulk-san" "minivmm (ASan/UBSan)"
else
	bad "ASan/UBSan build $MINIVMM_SAN missing (make SANITIZE=1)"
fi
if have_qemu; then
	run_qemu "$elf" "$TMPDIR/bulk-qemu"
	check_bulk "$TMPDIR/bulk-qemu" "qemu (oracle)"
fi
finish
