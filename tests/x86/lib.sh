# Shared helpers for the x86 guest tests (sourced by tests/x86/t-*.sh; not a test itself).
# Environment from tests/run-all.sh: ROOT, MINIVMM, MINIVMM_SAN, GUESTS, TMPDIR; defaults let a
# script run on its own: bash tests/x86/t-hello.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
X86_GUESTS=$ROOT/build/guests/x86
QEMU=${QEMU:-qemu-system-x86_64}
# The oracle: QEMU's microvm with the same devices at the same places; TCG (QEMU_ACCEL) so it
# works anywhere.
QEMU_ARGS=(-M microvm,x-option-roms=off,isa-serial=on,rtc=on,pit=on,pic=on -m 128M
	   -nodefaults -nographic -no-reboot -serial stdio
	   -device isa-debug-exit,iobase=0xf4,iosize=0x04)

software_kvm() { [ -d /sys/module/kvm_pvm ]; }

require_kvm() {
	[ -e /dev/kvm ] || skip "no /dev/kvm on this host: the x86 guests need KVM"
	[ -r /dev/kvm ] && [ -w /dev/kvm ] ||
		skip "no read/write permission on /dev/kvm (add the user to group kvm)"
}

# guest_elf NAME: path of a bare-metal guest, built on demand (cheap and reproducible).
guest_elf() {
	local elf=$X86_GUESTS/$1.elf
	[ -f "$elf" ] || make -C "$ROOT" -s guests-x86 >&2 || fail_now "cannot build the x86 guests"
	[ -f "$elf" ] || fail_now "$elf missing after make guests-x86"
	echo "$elf"
}

# run_vmm BIN ELF OUT [minivmm args...]: OUT.txt = serial (no CRs), OUT.err = stderr, OUT.rc = status.
# The guest gets --timeout 30 (a later --timeout overrides it); OUTER_TIMEOUT kills a VMM that
# ignores it.
run_vmm() {
	local bin=$1 elf=$2 out=$3
	shift 3
	capture "$out" timeout -k 5 "${OUTER_TIMEOUT:-90}" "$bin" --kernel "$elf" --mem 128M --timeout 30 "$@"
}

# run_qemu ELF OUT [qemu args...]: the same files from the oracle.
run_qemu() {
	local elf=$1 out=$2
	shift 2
	capture "$out" timeout -k 5 90 "$QEMU" "${QEMU_ARGS[@]}" -accel "${QEMU_ACCEL:-tcg}" -kernel "$elf" "$@"
}

# expect_rc OUT WANT WHAT
expect_rc() {
	local rc; rc=$(cat "$1.rc")
	if [ "$rc" = "$2" ]; then ok "$3: exit status $rc"; else
		bad "$3: exit status $rc, want $2"
		sed 's/^/    serial: /' "$1.txt" | tail -20
		sed 's/^/    stderr: /' "$1.err" | tail -20
	fi
}

# expect_line FILE ERE WHAT
expect_line() {
	if grep -Eq -- "$2" "$1"; then ok "$3"; else bad "$3 (no line matching /$2/ in ${1##*/})"; fi
}
no_line() {
	if grep -Eq -- "$2" "$1"; then bad "$3: $(grep -Em1 -- "$2" "$1")"; else ok "$3"; fi
}

# Sanitizer reports in a stderr file.
expect_clean_san() {
	if grep -Eq 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$1.err"; then
		bad "$2: sanitizer report"; grep -E -A8 'Sanitizer|runtime error' "$1.err" | head -30
	else ok "$2: no sanitizer report"; fi
}

# The guest's "  FAIL ..." check lines, for messages.
guest_fails() { grep -E '^  FAIL' "$1.txt" | sed 's/^  FAIL /    guest: /'; }
