# Shared by tests/{x86,arm64,virtio}/lib.sh (sourced, not a test): the environment run-all.sh
# exports, with defaults so that a script also runs on its own, and the helpers every test reports with.
set -uo pipefail
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
MINIVMM=${MINIVMM:-$ROOT/minivmm}
MINIVMM_SAN=${MINIVMM_SAN:-$ROOT/build-san/minivmm}
GUESTS=${GUESTS:-$ROOT/guests/out}
TMPDIR=${TMPDIR:-/tmp}
failures=0

skip() { echo "$*"; exit 77; }     # run-all.sh shows the last line as the reason
fail_now() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; failures=$((failures + 1)); }
finish() { [ "$failures" = 0 ] && { echo "all checks passed"; exit 0; }; echo "$failures checks failed"; exit 1; }

require_minivmm() {
	[ -x "$1" ] || fail_now "$1 is not built (make; make SANITIZE=1 for build-san/)"
}

have_qemu() { command -v "$QEMU" >/dev/null; }    # QEMU: the oracle the area's lib.sh names

# capture OUT CMD...: run CMD without input; OUT.txt = its output without CRs, OUT.err, OUT.rc.
capture() {
	local out=$1
	shift
	"$@" </dev/null >"$out.raw" 2>"$out.err"
	echo $? >"$out.rc"
	tr -d '\r' <"$out.raw" >"$out.txt"
}
