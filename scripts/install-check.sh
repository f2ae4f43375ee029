#!/bin/bash
# make install into a scratch DESTDIR, then build the firmware example
# against the installed library and headers through pkg-config.
set -euo pipefail
cd "$(dirname "$0")/.."
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
make --no-print-directory -s install DESTDIR="$d" PREFIX=/usr
export PKG_CONFIG_SYSROOT_DIR=$d PKG_CONFIG_LIBDIR=$d/usr/lib/pkgconfig
flags=$(pkg-config --cflags wrsh) libs=$(pkg-config --static --libs wrsh)
# shellcheck disable=SC2086
gcc -std=c99 -Wall -Wextra -Werror $flags examples/firmware/main.c -o "$d/fw" $libs
test -x "$d/usr/bin/wrsh"
"$d/usr/bin/wrsh" --version
echo "install-check: installed tree builds a program with pkg-config ($libs)"
