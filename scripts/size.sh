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
# issue 19's goals (bytes, KB = 1000): full at most 400 KB on x86-64 and
# mipsel (the routers' architecture), tiny at most 200 KB everywhere
goal() {
	case $1/$2 in
	tiny/*) echo 200000 ;;
	full/host | full/mipsel) echo 400000 ;;
	*) echo - ;;
	esac
}
printf '%-6s %-16s %10s %9s %9s %9s %9s %9s %s\n' profile target stripped own mbedtls expat libc goal met
for p in "${profiles[@]}"; do
	for t in "${targets[@]}"; do
		set -- $t
		arch=$1 libc=$2
		[ "$arch" = host ] && name="x86-64 $libc" || name="$arch $libc"
		B=$(make -s ARCH="$arch" LIBC="$libc" STATIC=1 PROFILE="$p" print-B)
		# the binary alone: the rest of `all` (the lwIP tap board) is not measured here
		make --no-print-directory -s ARCH="$arch" LIBC="$libc" STATIC=1 PROFILE="$p" "$B/wrsh" \
			>/dev/null 2>&1
		strip_=$( [ "$arch" = host ] && echo strip || echo "$(make -s ARCH="$arch" print-CROSS)strip" )
		$strip_ -o "$B/wrsh.stripped" "$B/wrsh"
		share=$(scripts/mapshare.py "$B/wrsh.map")
		get() { echo "$share" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
		n=$(stat -c %s "$B/wrsh.stripped") g=$(goal "$p" "$arch")
		met=-
		[ "$g" = - ] || { [ "$n" -le "$g" ] && met=yes || met="no (+$((n - g)))"; }
		printf '%-6s %-16s %10d %9d %9d %9d %9d %9s %s\n' "$p" "$name" "$n" \
			"$(get own)" "$(get mbedtls)" "$(get expat)" "$(get libc)" "$g" "$met"
	done
done
echo "(bytes; own/mbedtls/expat/libc: allocated section sizes from the link map, before stripping)"

# what full carries beyond tiny, symbol by symbol (make baseline and make
# bloatcheck compare two builds of one profile the same way)
if [[ " ${profiles[*]} " == *" full "* && " ${profiles[*]} " == *" tiny "* ]]; then
	echo
	scripts/bloatcheck.py --top 12 "$(make -s LIBC=musl STATIC=1 PROFILE=tiny print-B)/wrsh" \
		"$(make -s LIBC=musl STATIC=1 PROFILE=full print-B)/wrsh"
fi

# The firmware images: what a Cortex-M4 board carries (flash: .text and
# .data's initial values; RAM: .data, .bss and the stack), the arena and
# lwIP's pools inside that RAM, and whose code the flash is.
scripts/firmware.sh >/dev/null
echo
echo "firmware: Cortex-M4 Thumb-2 -Os, newlib, no OS: build/mps2-<profile>/wrsh.elf (wrsh, lwIP, LAN9118, board, app)"
printf '%-6s %8s %8s %8s %8s %8s | flash: %7s %7s %7s %7s %7s\n' profile flash ram arena lwip-ram stack \
	own lwip mbedtls expat libc
for p in tiny full; do
	elf=build/mps2-$p/wrsh.elf
	sec() { arm-none-eabi-size -A "$elf" | awk -v s="$1" '$1 == s { print $2 }'; }
	sym() { arm-none-eabi-nm -S --radix=d "$elf" | awk -v y="$1" '$4 ~ y { n += $2 } END { print n + 0 }'; }
	share=$(scripts/mapshare.py --flash "build/mps2-$p/wrsh.map")
	get() { echo "$share" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
	printf '%-6s %8d %8d %8d %8d %8d | flash: %7d %7d %7d %7d %7d\n' "$p" \
		$(($(sec .text) + $(sec .ARM.exidx) + $(sec .data))) \
		$(($(sec .data) + $(sec .bss) + $(sec .stack))) "$(sym '^arena$')" \
		"$(sym '^(ram_heap|memp_memory_.*)$')" "$(sec .stack)" \
		"$(get own)" "$(get lwip)" "$(get mbedtls)" "$(get expat)" "$(get libc)"
done
echo "(bytes; goals: tiny 160 KB flash, 96 KB RAM; full 320 KB flash, 160 KB RAM. The arena and stack are"
echo " sized from the peaks make qemu-check measures on the board: see scripts/firmware.sh)"
