#!/bin/bash
# `make install` into a scratch DESTDIR: only wrsh-named files, no
# libexpat.a or libmbedtls.a beside them; a program built from the
# installed headers and pkg-config alone runs; then `make uninstall`
# leaves no file.
#   tests/install/install.sh [make arguments: PROFILE=tiny ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
fail() { echo "install: $*"; exit 1; }

make --no-print-directory -s "$@" install DESTDIR="$d" PREFIX=/usr
files=$(cd "$d" && find . -type f -o -type l | sort | tr '\n' ' ')
want="./usr/bin/wrsh ./usr/include/wrsh.h ./usr/include/wrsh_port.h ./usr/include/wrsh_posix.h \
./usr/include/wrsh_tls.h ./usr/lib/libwrsh.a ./usr/lib/pkgconfig/wrsh.pc "
[ "$files" = "$want" ] || fail "installed $files; expected $want"

export PKG_CONFIG_SYSROOT_DIR=$d PKG_CONFIG_LIBDIR=$d/usr/lib/pkgconfig
flags=$(pkg-config --cflags wrsh) libs=$(pkg-config --static --libs wrsh)
case "$flags $libs" in *"$PWD"*) fail "pkg-config points into the source tree: $flags $libs" ;; esac
# shellcheck disable=SC2086
gcc -std=c99 -Wall -Wextra -Werror $flags tests/install/hello.c -o "$d/hello" $libs
"$d/hello"
"$d/usr/bin/wrsh" --version >/dev/null

make --no-print-directory -s "$@" uninstall DESTDIR="$d" PREFIX=/usr
rm -f "$d/hello"
left=$(cd "$d" && find . -type f -o -type l)
[ -z "$left" ] || fail "uninstall left: $left"
echo "install: $(echo $want | wc -w) files installed, a program built from them ($libs), all removed"
