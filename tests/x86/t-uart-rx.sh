#!/usr/bin/env bash
# uart-rx: console input reaches the guest's 16550A. A 468-byte line (far more than the 16-byte
# receive FIFO) read by polling must arrive whole: the VMM holds input back until the FIFO has
# room. Then a line read under interrupts: IRQ 4 through the IOAPIC (and the RTC's periodic IRQ 8,
# which bounds the guest's wait). stdin is a pipe here; input is sent when the guest says it is
# ready. QEMU runs the same guest as the oracle.
. "$(dirname "$0")/lib.sh"
require_kvm
require_minivmm "$MINIVMM"
elf=$(guest_elf uart-rx)
long=$(printf 'polled-%s' {A..Z}{0..1})

# wait_for FILE ERE SECONDS: until a line matches (0) or time runs out (1).
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		tr -d '\r' <"$1" 2>/dev/null | grep -Eq -- "$2" && return 0
		sleep 0.1
	done
	return 1
}

# run_fed OUT CMD...: run CMD with stdin from a FIFO we write the two lines into.
run_fed() {
	local out=$1
	shift
	rm -f "$out.fifo"
	mkfifo "$out.fifo"
	"$@" <"$out.fifo" >"$out.raw" 2>"$out.err" &
	local pid=$!
	exec 3>"$out.fifo"
	if wait_for "$out.raw" 'ready for a polled line' 30; then printf '%s\n' "$long" >&3; fi
	if wait_for "$out.raw" 'ready for an interrupt-driven line' 30; then printf 'irq input line\n' >&3; fi
	wait_for "$out.raw" '^uart-rx: (PASS|FAIL)' 30
	wait "$pid"
	echo $? >"$out.rc"
	exec 3>&-
	tr -d '\r' <"$out.raw" >"$out.txt"
}

check_rx() { # OUT WHAT
	expect_rc "$1" 129 "$2"
	expect_line "$1.txt" "^uart-rx: polled line \\(468 bytes\\) '${long:0:127}'" \
		"$2: 468-byte line arrived whole by polling"
	expect_line "$1.txt" "^uart-rx: interrupt-driven line \\(14 bytes, interrupts seen\\) 'irq input line'" \
		"$2: line arrived under interrupts"
	expect_line "$1.txt" '^  ok   IRQ 4 \(UART\) delivered through the IOAPIC' "$2: UART IRQ 4 via the IOAPIC"
	expect_line "$1.txt" '^  ok   IRQ 8 \(RTC periodic\) delivered' "$2: RTC IRQ 8 via the IOAPIC"
	guest_fails "$1"
}

run_fed "$TMPDIR/rx" timeout -k 5 90 "$MINIVMM" --kernel "$elf" --mem 128M --timeout 60
check_rx "$TMPDIR/rx" minivmm
if [ -x "$MINIVMM_SAN" ]; then
	# The input path (console buffer -> UART FIFO) under ASan/UBSan.
	run_fed "$TMPDIR/rx-san" timeout -k 5 90 "$MINIVMM_SAN" --kernel "$elf" --mem 128M --timeout 60
	check_rx "$TMPDIR/rx-san" "minivmm (ASan/UBSan)"
	expect_clean_san "$TMPDIR/rx-san" "minivmm (ASan/UBSan)"
else
	bad "ASan/UBSan build $MINIVMM_SAN missing (make SANITIZE=1)"
fi
if have_qemu; then
	run_fed "$TMPDIR/rx-qemu" timeout -k 5 90 "$QEMU" "${QEMU_ARGS[@]}" -accel tcg -kernel "$elf"
	check_rx "$TMPDIR/rx-qemu" "qemu (oracle)"
fi
finish
