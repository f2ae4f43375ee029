#!/bin/bash
# Stripped static sizes of wrsh per profile and architecture, with the share
# of wrsh's own code, mbedTLS, expat and the C library (from the link map).
#
#   scripts/size.sh [PROFILE...]     default: full tiny
set -euo pipefail
cd "$(dirname "$0")/.."
profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(full tiny)
targets=("host musl" "armhf musl" "mipsel musl" "aarch64 musl" "mips musl")
printf '%-6s %-16s %10s %9s %9s %9s %9s\n' profile target stripped own mbedtls expat libc
for p in "${profiles[@]}"; do
	for t in "${targets[@]}"; do
		set -- $t
		arch=$1 libc=$2
		[ "$arch" = host ] && name="x86-64 $libc" || name="$arch $libc"
		make --no-print-directory -s ARCH="$arch" LIBC="$libc" STATIC=1 PROFILE="$p" all >/dev/null 2>&1
		B=$(make -s ARCH="$arch" LIBC="$libc" STATIC=1 PROFILE="$p" print-B)
		strip_=$( [ "$arch" = host ] && echo strip || echo "$(make -s ARCH="$arch" print-CROSS)strip" )
		$strip_ -o "$B/wrsh.stripped" "$B/wrsh"
		share=$(scripts/mapshare.py "$B/wrsh.map")
		get() { echo "$share" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
		printf '%-6s %-16s %10d %9d %9d %9d %9d\n' "$p" "$name" "$(stat -c %s "$B/wrsh.stripped")" \
			"$(get own)" "$(get mbedtls)" "$(get expat)" "$(get libc)"
	done
done
echo "(bytes; own/mbedtls/expat/libc: allocated section sizes from the link map, before stripping)"
