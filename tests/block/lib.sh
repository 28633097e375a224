# Shared setup for tests/block/t-*.sh: qemu-img is the oracle; skip (77) where it is missing.
set -euo pipefail
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
IMG=${MINIVMM_IMG:-$ROOT/minivmm-img}
TMPDIR=${TMPDIR:-/tmp}
W=$(mktemp -d "$TMPDIR/blk.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"
if ! command -v qemu-img >/dev/null; then echo "qemu-img (qemu-utils) not installed"; exit 77; fi
[ -x "$IMG" ] || { echo "FAIL: $IMG not built"; exit 1; }
fail() { echo "FAIL: $*"; exit 1; }
# A 24 MiB raw source with random data, zero holes and compressible text.
make_src() {
  head -c 6M /dev/urandom > src.raw
  truncate -s 24M src.raw
  dd if=/dev/zero of=src.raw bs=1M seek=1 count=2 conv=notrunc status=none
  (yes minivmm || true) | head -c 3M | dd of=src.raw bs=1M seek=14 conv=notrunc status=none
  printf 'tail' | dd of=src.raw bs=1 seek=$((24*1024*1024-4)) conv=notrunc status=none
}
# Our backend reads the image back as raw; must be byte-identical to $2.
read_back() { "$IMG" convert -O raw "$1" "$1.out.raw" && cmp "$1.out.raw" "$2" || fail "$1 does not read back as $2"; rm -f "$1.out.raw"; }
# grep -q on a pipe can SIGPIPE the writer under pipefail: read everything first.
has() { local all; all=$(cat); grep -q -- "$1" <<<"$all"; }
