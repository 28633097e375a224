#!/usr/bin/env bash
# Every bad input gets one clear error line that names the problem, exit status 1, and no guest run.
set -u
fails=0
t=$TMPDIR
# expect NAME KEYWORD -- minivmm args...
expect() {
  local name=$1 keyword=$2; shift 3
  local err rc
  err=$("$@" 2>&1 >/dev/null </dev/null); rc=$?
  local lines; lines=$(printf '%s\n' "$err" | grep -c 'minivmm: error:')
  if [ "$rc" = 1 ] && [ "$lines" = 1 ] && grep -qi -- "$keyword" <<<"$err"; then
    echo "ok   $name: $(grep 'minivmm: error:' <<<"$err")"
  else
    echo "FAIL $name: exit $rc, expected 1 and one error line containing '$keyword'; got:"
    printf '%s\n' "$err" | sed 's/^/       /'
    fails=$((fails+1))
  fi
}
M=$MINIVMM
K=$GUESTS/x86_64/bzImage
head -c 4096 /dev/urandom > "$t/random.bin"
printf 'hello' | gzip > "$t/kernel.gz"
: > "$t/empty"
mkdir -p "$t/dir"; chmod 755 "$t"
cp "$t/random.bin" "$t/noperm"; chmod 000 "$t/noperm"

expect no-kernel-option      "--kernel"          -- $M
expect missing-kernel        "no such file"      -- $M --kernel "$t/nonexistent"
expect missing-initrd        "--initrd"          -- $M --kernel "$K" --initrd "$t/nonexistent"
expect kernel-is-directory   "directory"         -- $M --kernel "$t/dir"
expect empty-kernel          "empty"             -- $M --kernel "$t/empty"
expect unknown-option        "--bogus"           -- $M --kernel "$K" --bogus
expect malformed-mem         "--mem"             -- $M --kernel "$K" --mem 12Q
expect mem-too-small         "too small"         -- $M --kernel "$K" --mem 1M
expect mem-too-large         "more than this host" -- $M --kernel "$K" --mem 100T
expect malformed-cpus        "--cpus"            -- $M --kernel "$K" --cpus two
expect malformed-timeout     "--timeout"         -- $M --kernel "$K" --timeout soon
expect bad-rtc               "--rtc"             -- $M --kernel "$K" --rtc base=yesterday
expect bad-arch              "--arch"            -- $M --kernel "$K" --arch mips
expect bad-disk-format       "unknown format"    -- $M --kernel "$K" --disk "$t/random.bin,format=vdi"
expect missing-disk          "no such file"      -- $M --kernel "$K" --disk "$t/nonexistent.qcow2"
if [ "$(id -u)" = 0 ]; then
  # root reads anything; check the message with an unprivileged user instead
  expect unreadable-kernel   "not readable"      -- setpriv --reuid=nobody --regid=nogroup --clear-groups $M --kernel "$t/noperm"
else
  expect unreadable-kernel   "not readable"      -- $M --kernel "$t/noperm"
fi
expect random-kernel         "neither\|not a\|unrecogni\|looks like" -- $M --kernel "$t/random.bin" --arch x86_64
expect gzip-kernel           "gzip"              -- $M --kernel "$t/kernel.gz" --arch x86_64
if [ -e "$GUESTS/aarch64/Image" ]; then
  expect arm64-image-as-x86  "aarch64\|arm64"    -- $M --kernel "$GUESTS/aarch64/Image" --arch x86_64
fi
# KVM missing: hide /dev in a private mount namespace. The message must say how to fix it and that
# aarch64 guests still run on the interpreter.
if unshare -m true 2>/dev/null; then
  expect no-dev-kvm          "/dev/kvm"          -- unshare -m sh -c "mount -t tmpfs none /dev && exec $M --kernel $K --accel kvm"
  err=$(unshare -m sh -c "mount -t tmpfs none /dev && exec $M --kernel $K" 2>&1 </dev/null)
  grep -qi 'interp' <<<"$err" || { echo "FAIL no-dev-kvm: the message does not mention the interpreter: $err"; fails=$((fails+1)); }
else
  echo "NOTE: cannot create a mount namespace here: the missing-/dev/kvm message was not checked"
fi
if [ "$(id -u)" = 0 ] && [ -e /dev/kvm ] && ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -r /dev/kvm; then
  pub=$(mktemp -d /tmp/minivmm-pub.XXXXXX); chmod 755 "$pub"; cp "$K" "$pub/bzImage"; chmod 644 "$pub/bzImage"
  expect kvm-no-permission   "/dev/kvm" -- setpriv --reuid=nobody --regid=nogroup --clear-groups $M --kernel "$pub/bzImage"
  rm -rf "$pub"
fi
echo "$fails failures"
[ "$fails" = 0 ]
