#!/usr/bin/env bash
# Build guests/out/ARCH/initramfs.cpio.gz: Debian's busybox-static for ARCH, /init, the scripted
# tests in guests/initramfs/tests. Cached by content hash; takes a second.
#   usage: guests/build-initramfs.sh x86_64|aarch64
set -euo pipefail
arch=${1:?usage: build-initramfs.sh x86_64|aarch64}
here=$(cd "$(dirname "$0")" && pwd)
cache=${MINIVMM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/minivmm}
case "$arch" in
  x86_64)  busybox=/bin/busybox ;;
  aarch64) busybox=$cache/busybox-arm64/bin/busybox ;;
  *) echo "build-initramfs: unknown arch '$arch'" >&2; exit 1 ;;
esac
[ -x "$busybox" ] || { echo "build-initramfs: $busybox missing: run scripts/install-deps.sh" >&2; exit 1; }

spec=$(mktemp); trap 'rm -f "$spec"' EXIT
{
  for d in bin sbin usr usr/bin usr/sbin proc sys dev tmp etc root tests mnt; do echo "dir /$d 755"; done
  echo "nod /dev/console 600 c 5 1"
  echo "nod /dev/null 666 c 1 3"
  echo "file /bin/busybox $busybox 755"
  echo "file /init $here/initramfs/init 755"
  echo "file /etc/profile $here/initramfs/profile 644"
  for t in "$here"/initramfs/tests/*.sh; do echo "file /tests/$(basename "$t") $t 644"; done
  # The applet list is the same for both architectures (same Debian package and config).
  for a in $(/bin/busybox --list-full); do
    [ "$a" = bin/busybox ] || echo "slink /$a /bin/busybox"
  done
} > "$spec"
key=$( (cat "$spec"; cat $(awk '$1=="file"{print $3}' "$spec")) | sha256sum | cut -c1-16)
out=$cache/initramfs-$arch-$key.cpio.gz
if [ ! -f "$out" ]; then
  python3 "$here/mkcpio.py" "$spec" | gzip -9n > "$out.tmp"
  mv "$out.tmp" "$out"
fi
mkdir -p "$here/out/$arch"
ln -sfn "$out" "$here/out/$arch/initramfs.cpio.gz"
echo "build-initramfs: guests/out/$arch/initramfs.cpio.gz ($(stat -c %s "$out") bytes)"
