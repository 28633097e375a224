# Shared helpers for the arm64 tests (sourced by tests/arm64/t-*.sh; not a test itself).
# Environment from tests/run-all.sh: ROOT, MINIVMM, MINIVMM_SAN, GUESTS, TMPDIR; defaults let a
# script run on its own: bash tests/arm64/t-timer.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
A64_GUESTS=$ROOT/build/guests/arm64
QEMU=${QEMU:-qemu-system-aarch64}
# The oracle: QEMU's virt board as minivmm models it (GICv2, Cortex-A57, EL1, PSCI over HVC).
QEMU_ARGS=(-M virt,gic-version=2 -cpu cortex-a57 -accel tcg -m 256 -nographic -no-reboot)

# guest_img NAME: a bare-metal guest image, built on demand.
guest_img() {
	local img=$A64_GUESTS/$1.img
	[ -f "$img" ] || make -C "$ROOT" -s arm64-baremetal >&2 || fail_now "cannot build the arm64 guests"
	[ -f "$img" ] || fail_now "$img missing after make arm64-baremetal"
	echo "$img"
}

# run_vmm BIN KERNEL OUT [minivmm args...]: OUT.txt = console (no CRs), OUT.err, OUT.rc.
run_vmm() {
	local bin=$1 kernel=$2 out=$3
	shift 3
	capture "$out" timeout -k 5 300 "$bin" --arch aarch64 --kernel "$kernel" --mem 256M --timeout 120 "$@"
}

# run_qemu KERNEL OUT [qemu args...]: the same files from the oracle.
run_qemu() {
	local kernel=$1 out=$2
	shift 2
	capture "$out" timeout -k 5 300 "$QEMU" "${QEMU_ARGS[@]}" -kernel "$kernel" "$@"
}

# check_baremetal NAME: run the guest under minivmm (and its ASan build when present), require
# exit 0 and "RESULT: PASS", and require the same console output as QEMU's.
check_baremetal() {
	local name=$1 img bin tag
	img=$(guest_img "$name") || exit 1
	require_minivmm "$MINIVMM"
	local bins=("$MINIVMM")
	[ -x "$MINIVMM_SAN" ] && bins+=("$MINIVMM_SAN")
	if have_qemu; then
		run_qemu "$img" "$TMPDIR/qemu"
		grep -q '^RESULT: PASS' "$TMPDIR/qemu.txt" ||
			{ sed 's/^/    qemu: /' "$TMPDIR/qemu.txt" | tail -20; fail_now "the oracle (QEMU) does not pass $name"; }
	fi
	for bin in "${bins[@]}"; do
		tag=$(basename "$(dirname "$bin")")/$(basename "$bin")
		run_vmm "$bin" "$img" "$TMPDIR/vmm"
		local rc; rc=$(cat "$TMPDIR/vmm.rc")
		grep '^FAIL' "$TMPDIR/vmm.txt" | sed 's/^/    /'
		if [ "$rc" = 0 ] && grep -q '^RESULT: PASS' "$TMPDIR/vmm.txt"; then
			ok "$tag: $name passes and powers off with exit 0"
		else
			bad "$tag: $name: exit $rc, result: $(grep '^RESULT' "$TMPDIR/vmm.txt" || echo none)"
			tail -5 "$TMPDIR/vmm.txt" "$TMPDIR/vmm.err" | sed 's/^/    /'
		fi
		if have_qemu; then
			if diff -u "$TMPDIR/qemu.txt" "$TMPDIR/vmm.txt" >"$TMPDIR/diff"; then
				ok "$tag: console output identical to QEMU's"
			else
				bad "$tag: console output differs from QEMU's"
				head -30 "$TMPDIR/diff" | sed 's/^/    /'
			fi
		fi
	done
	have_qemu || echo "NOTE: $QEMU not installed: $name checked without the oracle"
	finish
}
