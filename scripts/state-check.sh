#!/bin/bash
# Issue 13's bars: no mutable file-scope state in core/ and tls/, and no
# test hook in the library that ships. Lists every
# object symbol of build/<variant>/obj/{core,tls} that sits in a writable
# section (.data, .bss, thread-local, common) and fails if there is one.
# Tables of pointers land in .data.rel.ro under PIE: read-only once
# relocated, so they pass. The one slot the library needs is the port's
# (port.h, wrsh_port_hook_slot).
#   scripts/state-check.sh build/host-glibc-full
set -uo pipefail
B=${1:?usage: state-check.sh build/<variant>}
OBJDUMP=${OBJDUMP:-objdump}
# the objects of sources that exist (a build dir may keep stale ones)
objs=$(find "$B/obj/core" "$B/obj/tls" -name '*.o' 2>/dev/null | while read -r o; do
	src=${o#"$B"/obj/}
	[ -f "${src%.o}.c" ] && echo "$o"
done)
[ -n "$objs" ] || { echo "state-check: no objects under $B/obj/{core,tls}"; exit 1; }
bad=$(for o in $objs; do
	# objdump -t: value, 7 flag columns, section<TAB>size name
	$OBJDUMP -t "$o" | awk -v o="${o#$B/obj/}" '
		/^[0-9a-f]+ / {
			flags = substr($0, index($0, " ") + 1, 7)
			rest = substr($0, index($0, " ") + 9)
			split(rest, f, "\t")
			sec = f[1]; name = f[2]; sub(/^[0-9a-f]+ +/, "", name)
			if (flags ~ /[df]/) next # section and file names
			if (sec ~ /^\.(data|bss|tdata|tbss)($|\.)/ && sec !~ /^\.data\.rel\.ro/ || sec == "*COM*")
				print o ": " name " (" sec ")"
		}'
done)
if [ -n "$bad" ]; then
	echo "state-check: mutable file-scope state in core/ or tls/:"
	echo "$bad"
	exit 1
fi
# the test-only allocation-failure hook is compiled out of what ships
if ${NM:-nm} "$B/libwrsh.a" 2>/dev/null | grep -qw mem_fail_after; then
	echo "state-check: $B/libwrsh.a has the test hook mem_fail_after (build it without WRSH_TESTING)"
	exit 1
fi
echo "state-check: $(echo "$objs" | wc -l) objects, no writable data or bss, no test hook"
