#!/bin/bash
# The layer bar on the objects, not just the includes: no object of a core/
# folder references a symbol defined by a higher layer's objects (ranks as
# in scripts/lint.sh). Usage: scripts/layers.sh [build dir]
set -euo pipefail
cd "$(dirname "$0")/.."
obj=${1:-build/host-glibc-full}/obj/core
rank_of() {
	case $1 in
	base | util | crypto) echo 0 ;;
	auth) echo 1 ;;
	wsman) echo 2 ;;
	winrs | cim) echo 3 ;;
	psrp) echo 4 ;;
	xfer) echo 5 ;;
	*) echo 9 ;;
	esac
}
folders=(base util crypto auth wsman winrs cim psrp xfer)
objs() { # the objects of a folder whose sources exist (a build dir may hold stale ones)
	local f
	for f in core/"$1"/*.c; do
		f=$obj/$1/$(basename "${f%.c}").o
		[ -f "$f" ] && echo "$f"
	done
}
fail=0
for low in "${folders[@]}"; do
	[ -d "$obj/$low" ] || continue
	for high in "${folders[@]}"; do
		[ "$(rank_of "$high")" -gt "$(rank_of "$low")" ] && [ -d "$obj/$high" ] || continue
		# shellcheck disable=SC2046
		defined=$(nm --defined-only $(objs "$high") 2>/dev/null | awk '$2 ~ /[TDBR]/ {print $3}' | sort -u)
		[ -n "$defined" ] || continue
		for o in $(objs "$low"); do
			hits=$(nm -u "$o" | awk '{print $2}' | sort -u | comm -12 - <(echo "$defined"))
			[ -z "$hits" ] || { echo "layers: ${o#"$obj"/} uses $high/: $hits"; fail=1; }
		done
	done
done
[ $fail = 0 ] && echo "layers: no object references a higher layer"
exit $fail
