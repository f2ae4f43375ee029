#!/bin/bash
# What each optional feature costs: the full profile built with the feature
# and without it (x86-64, musl, static), the difference in code and data
# (text + data of `size`; the stripped file grows in whole pages, so it
# hides features under 4 KB).
# These are the numbers in the Kconfig prompts ("(+11 KB)"); rerun after a
# change that moves them and update the prompts.
#
#   scripts/feature-size.sh [SYMBOL...]    default: every optional feature
# A symbol is given as NAME (built without it) or NAME=y (built with it,
# for features off by default); BASE=NAME,... sets symbols off in both
# builds, for a feature measured beside another (WinRS without PSRP).
set -euo pipefail
cd "$(dirname "$0")/.."
feats=("$@")
[ ${#feats[@]} -gt 0 ] || feats=(WRSH_WSMAN_IDENTIFY "WRSH_WINRS BASE=WRSH_PSRP" WRSH_PSRP WRSH_CIM
	WRSH_XFER WRSH_WSMAN_TRACE WRSH_XML_MIN_SIZE=y WRSH_AUTH_BASIC WRSH_AUTH_NTLM WRSH_AUTH_KERBEROS WRSH_AUTH_KRB5_RC4 WRSH_TLS WRSH_TLS_CRL WRSH_TLS_RESUME)
dir=build/feature-size
mkdir -p "$dir"

# size_of LINES...: build the full profile plus LINES, print the size;
# a profile is named by its content, so equal ones share one build
size_of() {
	local f B text
	text=$(cat configs/full_defconfig; printf '%s\n' "$@")
	f=$dir/fs-$(echo "$text" | md5sum | cut -c1-8).defconfig
	echo "$text" >"$f"
	make --no-print-directory -s LIBC=musl STATIC=1 DEFCONFIG="$f" all >/dev/null
	B=$(make -s LIBC=musl STATIC=1 DEFCONFIG="$f" print-B)
	size -B "$B/wrsh" | awk 'NR == 2 { print $1 + $2 }'
}

printf '%-22s %10s %10s %8s\n' feature with without KB
for spec in "${feats[@]}"; do
	set -- $spec
	sym=${1%=y} on=n base=()
	[ "$1" = "$sym" ] || on=y
	[ $# -lt 2 ] || for b in ${2#BASE=}; do base+=("# CONFIG_$b is not set"); done
	[ ${#base[@]} -gt 0 ] || base=("# base")
	if [ $on = n ]; then
		with=$(size_of "${base[@]}")
		without=$(size_of "${base[@]}" "# CONFIG_$sym is not set")
	else
		with=$(size_of "${base[@]}" "CONFIG_$sym=y")
		without=$(size_of "${base[@]}")
	fi
	printf '%-22s %10d %10d %+8.1f\n' "$sym" "$with" "$without" \
		"$(echo "($with - $without) / 1024" | bc -l)"
done
echo "(text + data bytes, x86-64 musl static, full profile otherwise)"
