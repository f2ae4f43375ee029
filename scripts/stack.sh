#!/bin/bash
# Stack frames of the library (issue 13's bar: bounded and documented).
# Builds libwrsh.a with -fstack-usage into build/stack-<profile>, prints the
# largest frames and fails when one is above STACK_FRAME_MAX bytes (1024) or
# is of unbounded size (a VLA or alloca). Frames, not whole call chains
# (no call-graph analysis); mbedTLS and expat are not measured.
# docs/ARCHITECTURE.md ("Stack") gives the bound and what was moved off.
#   scripts/stack.sh [PROFILE] [N]      default: full 15
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-full} top=${2:-15}
max=${STACK_FRAME_MAX:-1024}
B=build/stack-$profile
make --no-print-directory -s B="$B" PROFILE="$profile" CFLAGS=-fstack-usage "$B/libwrsh.a"
su=$(find "$B/obj/core" "$B/obj/tls" "$B/obj/port" -name '*.su' -print0 | xargs -0 cat |
	sort -t$'\t' -k2,2 -n -r)
echo "stack: the $top largest frames of libwrsh.a ($profile profile, gcc -Os)"
echo "$su" | head -n "$top" | awk -F'\t' '{ printf "  %6d  %-18s %s\n", $2, $3, $1 }'
bad=$(echo "$su" | awk -F'\t' -v max="$max" '$2 > max || $3 !~ /^(static|dynamic,bounded)$/')
if [ -n "$bad" ]; then
	echo "stack: frames above $max bytes or unbounded:"
	echo "$bad"
	exit 1
fi
echo "stack: every frame within $max bytes, none unbounded"
