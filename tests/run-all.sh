#!/usr/bin/env bash
# Run every minivmm test and print one summary line "N passed, N failed, N skipped".
#   - CUnit unit tests (normal and ASan/UBSan builds), each CUnit test counted;
#   - unicorn differential tests (build/test-diff), if built;
#   - every tests/*/t-*.sh script: exit 0 pass, 77 skip (with the reason on its last line), else fail.
# Scripts get: ROOT, MINIVMM, MINIVMM_SAN, MINIVMM_IMG, GUESTS (guests/out), TMPDIR (scratch).
# Usage: tests/run-all.sh [PATTERN]   run only scripts whose path contains PATTERN
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export ROOT MINIVMM=$ROOT/minivmm MINIVMM_SAN=$ROOT/build-san/minivmm MINIVMM_IMG=$ROOT/minivmm-img
export GUESTS=$ROOT/guests/out
logs=$ROOT/build/test-logs
mkdir -p "$logs"
pattern=${1:-}
pass=0 fail=0 skip=0 failed=()
scratch_base=${TMPDIR:-/tmp}

count_cunit() { # name binary
  local name=$1 bin=$2 log=$logs/$1.log
  if [ ! -x "$bin" ]; then echo "FAIL $name: $bin not built"; fail=$((fail+1)); failed+=("$name"); return; fi
  local t0=$SECONDS
  "$bin" >"$log" 2>&1; local rc=$?
  local line; line=$(awk '$1=="tests"{print $2, $4, $5}' "$log" | tail -1)
  local total=0 passed=0 nfail=0
  [ -n "$line" ] && read -r total passed nfail <<<"$line"
  [ "$nfail" = "n/a" ] && nfail=0
  if [ "$rc" != 0 ] || [ "$total" = 0 ]; then
    echo "FAIL $name: exit $rc, $passed of $total CUnit tests passed ($((SECONDS-t0)) s); log: $log"
    grep -E 'Test:|FAILED|ERROR|runtime error|Sanitizer' "$log" | head -20 | sed 's/^/    /'
    fail=$((fail + (nfail > 0 ? nfail : 1))); pass=$((pass+passed)); failed+=("$name")
  else
    echo "ok   $name: $passed CUnit tests passed ($((SECONDS-t0)) s)"
    pass=$((pass+passed))
  fi
}

if [ -z "$pattern" ] || [[ unit == *"$pattern"* ]]; then
  count_cunit unit "$ROOT/build/test-unit"
  count_cunit unit-asan "$ROOT/build-san/test-unit"
fi
if [ -z "$pattern" ] || [[ diff == *"$pattern"* ]]; then
  [ -x "$ROOT/build/test-diff" ] && count_cunit diff-unicorn "$ROOT/build/test-diff"
fi

for t in $(ls "$ROOT"/tests/*/t-*.sh 2>/dev/null | sort); do
  rel=${t#"$ROOT"/}
  [ -n "$pattern" ] && [[ $rel != *"$pattern"* ]] && continue
  name=${rel%.sh}; name=${name//\//-}
  log=$logs/$name.log
  export TMPDIR; TMPDIR=$(mktemp -d -p "$scratch_base" minivmm-test.XXXXXX)
  t0=$SECONDS
  bash "$t" >"$log" 2>&1; rc=$?
  rm -rf "$TMPDIR"
  dt=$((SECONDS-t0))
  case $rc in
    0)  echo "ok   $rel ($dt s)"; pass=$((pass+1)) ;;
    77) echo "skip $rel: $(tail -1 "$log")"; skip=$((skip+1)) ;;
    *)  echo "FAIL $rel: exit $rc ($dt s); log: $log"; tail -15 "$log" | sed 's/^/    /'
        fail=$((fail+1)); failed+=("$rel") ;;
  esac
  # Notes a test wants in the summary (what this host could not show, measurements).
  grep -h '^NOTE: ' "$log" | sed 's/^/     /'
done

echo
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
