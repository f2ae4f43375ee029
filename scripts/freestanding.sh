#!/bin/bash
# The freestanding bar (issue 17): libwrsh's core/ and tls/ with the bundled
# expat and mbedTLS, built by the Makefile for a Cortex-M4 (Thumb-2, newlib,
# no OS; PORT=lwip, so port/lwip/port_config.h), import nothing but the
# allowlist below: no heap, no stdio, no environment, no clock, no exit.
# Each profile's objects are linked into one relocatable object with
# --gc-sections from the library's wrsh_* functions, which keeps what a
# firmware image would; every symbol the kept code takes from outside and
# the allowlist lacks fails the check, one line each with its importers.
# Objects are cached in build/freestanding-<profile>/.
#   scripts/freestanding.sh [PROFILE...]      default: full tiny
set -euo pipefail
cd "$(dirname "$0")/.."
# a calling make's variables (CC=clang, SAN=asan, ...) are not this build's
unset MAKEFLAGS MAKEOVERRIDES MFLAGS
CROSS=${CROSS:-arm-none-eabi-}
CPU=${CPU:-cortex-m4}
OPT="-Os -mcpu=$CPU -mthumb -ffunction-sections -fdata-sections"
# newlib's functions with nothing behind them (no heap, errno, locale or
# stdio), libgcc's arithmetic, and the port's one link-time function
ALLOW="memchr memcmp memcpy memmove memset strcat strchr strcmp strcpy strcspn strlen
	strncmp strncpy strnlen strrchr strspn strstr wrsh_port_hook_slot"
ALLOW_GLOB='__aeabi_* __clz?i2 __ctz?i2 __popcount?i2 __bswap?i2'

allowed() {
	local a
	for a in $ALLOW; do [ "$1" = "$a" ] && return 0; done
	# shellcheck disable=SC2254
	for a in $ALLOW_GLOB; do case $1 in $a) return 0 ;; esac; done
	return 1
}

command -v "${CROSS}gcc" >/dev/null || {
	echo "freestanding: ${CROSS}gcc not found (gcc-arm-none-eabi, libnewlib-arm-none-eabi)"
	exit 1
}
profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(full tiny)
status=0
for profile in "${profiles[@]}"; do
	B=build/freestanding-$profile
	mk=(make --no-print-directory -s B="$B" PROFILE="$profile" PORT=lwip CC="${CROSS}gcc"
		AR="${CROSS}ar" STATIC=1 OPT="$OPT")
	"${mk[@]}" -j"$(nproc)" freestanding-objs
	# one make each: two print targets in one -j make print in either order
	read -r -a objs < <("${mk[@]}" -j1 print-FREE_OBJ)
	read -r -a libs < <("${mk[@]}" -j1 print-DEP_LIBS)
	mapfile -t roots < <("${CROSS}nm" -g --defined-only "${objs[@]}" |
		awk '$2 == "T" && $3 ~ /^wrsh_/ { print "-u" $3 }')
	out=$B/freestanding.o
	"${CROSS}ld" -r --gc-sections -Map="$B/freestanding.map" "${roots[@]}" -o "$out" \
		"${objs[@]}" --whole-archive "${libs[@]}" --no-whole-archive
	# what the kept code refers to (an undefined symbol of a dropped
	# section stays in the table), as "symbol section"
	"${CROSS}readelf" -rW "$out" | awk '
		/^Relocation section/ { s = $3; gsub(/\047/, "", s); sub(/^\.rela?/, "", s); next }
		$1 ~ /^[0-9a-f]+$/ && NF >= 5 { print $5, s }' | sort -u >"$B/refs"
	# which input file each kept section came from, as "section file"
	awk '/^ \.[^ ]+$/ { s = $1; next }
		/^ \.[^ ]+ +0x/ && NF >= 4 { print $1, $4; s = ""; next }
		s != "" && NF >= 3 && $1 ~ /^0x/ { print s, $3 }
		{ s = "" }' "$B/freestanding.map" | sort -u >"$B/sections"
	imports=()
	for sym in $("${CROSS}nm" -u "$out" | awk '{ print $2 }'); do
		grep -q "^$sym " "$B/refs" || continue
		imports+=("$sym")
		allowed "$sym" && continue
		who=$(awk -v y="$sym" '$1 == y { print $2 }' "$B/refs" | while read -r sec; do
			f=$(awk -v s="$sec" '$1 == s { print $2 }' "$B/sections" | sed 's|^build/[^/]*/||' |
				paste -sd, -)
			echo "${f:-?} (${sec#.text.})"
		done | paste -sd';' - | sed 's/;/; /g')
		echo "freestanding: $profile: $sym imported by $who"
		status=1
	done
	echo "freestanding: $profile: imports ${imports[*]}"
done
[ $status = 0 ] && echo "freestanding: every import within the allowlist"
exit $status
