#!/bin/sh
# Build a static musl C library for a cross target from Debian's musl source
# package (Debian ships musl only for the host architecture without
# multiarch), into .deps/musl-ARCH/, with a musl-gcc wrapper around the
# Debian cross compiler. About 25 s per target on 2 cores; kept between builds.
#
#   scripts/musl-cross.sh armhf|aarch64|mipsel|mips
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
arch=$1
case $arch in
armhf) triplet=arm-linux-gnueabihf ;;
aarch64) triplet=aarch64-linux-gnu ;;
mipsel) triplet=mipsel-linux-gnu ;;
mips) triplet=mips-linux-gnu ;;
*) echo "musl-cross: unknown arch $arch" >&2; exit 2 ;;
esac
prefix=$top/.deps/musl-$arch
[ -x "$prefix/bin/musl-gcc" ] && [ -f "$prefix/.built" ] && exit 0
"$top/scripts/deps.sh"
src=$(ls -d "$top"/.deps/musl-[0-9]* 2>/dev/null | head -n 1)
[ -n "$src" ] || { echo "musl-cross: no musl source in .deps" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$src"/. "$work"
cd "$work"
# a fresh make, not a job of the make that called us
unset MAKEFLAGS MFLAGS MAKELEVEL
{ ./configure --target="$triplet" CROSS_COMPILE="$triplet-" --prefix="$prefix" --disable-shared &&
	make -j"$(nproc)" && make install; } >"$work/log" 2>&1 || { tail -20 "$work/log" >&2; exit 1; }
touch "$prefix/.built"
echo "musl-cross: $prefix"
