#!/usr/bin/env bash
# Build a minimal Linux kernel from Debian's linux-source-6.1 with a config fragment kept in this
# repository. The build happens once, in a cache outside the tree keyed by the fragment's hash, and
# the results are linked into guests/out/ARCH/.
#   usage: guests/build-kernel.sh x86_64|aarch64
set -euo pipefail
arch=${1:?usage: build-kernel.sh x86_64|aarch64}
here=$(cd "$(dirname "$0")" && pwd)
cache=${MINIVMM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/minivmm}
src_tar=/usr/src/linux-source-6.1.tar.xz
[ -f "$src_tar" ] || { echo "build-kernel: $src_tar missing: apt-get install linux-source-6.1" >&2; exit 1; }

case "$arch" in
  x86_64)  karch=x86_64; frag=$here/kernel/x86_64.fragment; cross=;  targets="bzImage vmlinux"; ;;
  aarch64) karch=arm64;  frag=$here/kernel/arm64.fragment;  cross=aarch64-linux-gnu-; targets="Image"; ;;
  *) echo "build-kernel: unknown arch '$arch' (x86_64 or aarch64)" >&2; exit 1 ;;
esac

key=$( (cat "$frag"; echo "$karch"; sha256sum "$src_tar" | cut -c1-16) | sha256sum | cut -c1-16)
out=$cache/kernel-$arch-$key
mkdir -p "$here/out/$arch"
if [ ! -f "$out/done" ]; then
  echo "build-kernel: building $arch kernel into $out (a few minutes)"
  src=$cache/linux-source-6.1
  if [ ! -f "$src/.extracted" ]; then
    rm -rf "$src"; mkdir -p "$cache"
    tar -C "$cache" -xf "$src_tar"
    touch "$src/.extracted"
  fi
  build=$out/build
  rm -rf "$out"; mkdir -p "$build"
  mk() { make -C "$src" O="$build" ARCH=$karch ${cross:+CROSS_COMPILE=$cross} "$@"; }
  mk -s tinyconfig
  (cd "$build" && "$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "$frag" >/dev/null)
  mk -s olddefconfig
  # Every option in the fragment must have survived olddefconfig; a silent drop means a broken guest.
  missing=0
  while IFS= read -r line; do
    case "$line" in CONFIG_*=y) grep -qx "$line" "$build/.config" || { echo "build-kernel: $line did not stick" >&2; missing=1; } ;; esac
  done < "$frag"
  [ $missing = 0 ] || exit 1
  mk -s -j"$(nproc)" $targets
  case "$arch" in
    x86_64)  cp "$build/arch/x86/boot/bzImage" "$out/bzImage"; cp "$build/vmlinux" "$out/vmlinux" ;;
    aarch64) cp "$build/arch/arm64/boot/Image" "$out/Image" ;;
  esac
  cp "$build/.config" "$out/config"
  rm -rf "$build"
  touch "$out/done"
fi
for f in bzImage vmlinux Image config; do
  [ -f "$out/$f" ] && ln -sfn "$out/$f" "$here/out/$arch/$f"
done
echo "build-kernel: $arch ready in guests/out/$arch"
