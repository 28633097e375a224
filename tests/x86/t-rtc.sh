#!/usr/bin/env bash
# rtc: the CMOS clock seen by a guest: UIP around the seconds update, BCD/binary and 12/24 h
# readings that agree, UF/PF flags, setting the time through B.SET; and the clock's base:
# --rtc utc (default) follows the host clock, base=localtime follows TZ, base=YYYY-MM-DDTHH:MM:SS
# starts there. The guest's checks are cross-checked against QEMU's MC146818.
. "$(dirname "$0")/lib.sh"
require_kvm
require_minivmm "$MINIVMM"
elf=$(guest_elf rtc)

guest_start_time() { # OUT -> epoch seconds of the guest's first reading (the date is read as UTC)
	local t; t=$(sed -n 's/^rtc: time \([0-9T:-]*\)$/\1/p' "$1.txt" | head -1)
	[ -n "$t" ] && date -u -d "${t/T/ }" +%s
}

# run_rtc ID NAME WANT_FROM WANT_TO [args...]: the guest's first reading within [from, to] (epoch
# seconds; 0 = the host clock around the run).
run_rtc() {
	local out=$TMPDIR/rtc-$1 name=$2 lo=$3 hi=$4
	shift 4
	local t0; t0=$(date +%s)
	run_vmm "$MINIVMM" "$elf" "$out" "$@"
	local t1; t1=$(date +%s)
	expect_rc "$out" 129 "$name"
	expect_line "$out.txt" '^rtc: PASS' "$name: rtc: PASS"
	guest_fails "$out"
	local g; g=$(guest_start_time "$out")
	[ -z "$g" ] && { bad "$name: no 'rtc: time' line"; return; }
	lo=$((lo == 0 ? t0 - 2 : lo)); hi=$((hi == 0 ? t1 + 2 : hi + (t1 - t0) + 2))
	if [ "$g" -ge "$lo" ] && [ "$g" -le "$hi" ]; then
		ok "$name: guest clock $(grep -m1 '^rtc: time' "$out.txt" | cut -d' ' -f3) within the expected window"
	else
		bad "$name: guest clock $(date -u -d @"$g" +%FT%T), want $(date -u -d @"$lo" +%FT%T)..$(date -u -d @"$hi" +%FT%T)"
	fi
}

run_rtc default "default (utc)" 0 0
run_rtc utc "--rtc base=utc" 0 0 --rtc base=utc
fixed=$(date -u -d '2020-01-02 03:04:05' +%s)
run_rtc fixed "--rtc base=2020-01-02T03:04:05" "$fixed" "$fixed" --rtc base=2020-01-02T03:04:05
# An afternoon hour exercises the 12 h mode's PM bit.
pm=$(date -u -d '2021-06-30 15:59:58' +%s)
run_rtc pm "--rtc base=2021-06-30T15:59:58" "$pm" "$pm" --rtc base=2021-06-30T15:59:58
expect_line "$TMPDIR/rtc-pm.txt" '12 h BCD hour 0x8[0-9]' \
	"12 h mode sets the PM bit (bit 7) for 15 h"

if [ -e /usr/share/zoneinfo/Asia/Kolkata ]; then
	# UTC+05:30 all year: base=localtime must follow TZ.
	now=$(date +%s)
	TZ=Asia/Kolkata run_rtc localtime "--rtc base=localtime (TZ=Asia/Kolkata)" $((now + 19800 - 2)) \
		$((now + 19800)) --rtc base=localtime
else
	echo "NOTE: tzdata missing: --rtc base=localtime not checked against a non-UTC zone"
fi

if have_qemu; then
	run_qemu "$elf" "$TMPDIR/rtc-qemu" -rtc base=2020-01-02T03:04:05
	expect_rc "$TMPDIR/rtc-qemu" 129 "qemu (oracle)"
	norm() { grep -E '^  (ok|FAIL)' "$1" | sed -E 's/(0x)?[0-9a-f]*[0-9][0-9a-f]*/N/g'; }
	if diff -u <(norm "$TMPDIR/rtc-qemu.txt") <(norm "$TMPDIR/rtc-fixed.txt") \
		>"$TMPDIR/rtc.diff"; then
		ok "guest checks agree with QEMU's MC146818"
	else
		bad "guest checks differ from QEMU's (- qemu, + minivmm):"; cat "$TMPDIR/rtc.diff"
	fi
else
	echo "NOTE: $QEMU not installed: rtc not cross-checked against QEMU"
fi
finish
