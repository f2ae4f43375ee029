#!/bin/bash
# wrsh beside python3-winrm against the same test endpoint in the same run:
# client CPU (user+sys) and peak RSS for a one-shot `echo` and for
# streaming N MiB of stdout, over HTTPS (Basic) and plain HTTP (Basic,
# allowed explicitly). Medians of RUNS runs; ratios printed side by side.
#
#   RUNS=3 MIB=100 scripts/bench.sh [WRSH]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
MIB=${MIB:-100}
WRSH=${1:-$(make -s print-B)/wrsh}
[ -x "$WRSH" ] || make --no-print-directory all >/dev/null
dir=$(mktemp -d)
trap 'kill $ep 2>/dev/null; wait $ep 2>/dev/null; rm -rf "$dir"' EXIT
/usr/bin/python3 tests/endpoint/winrm_endpoint.py --ready-file "$dir/ready" --state-dir "$dir" \
	--basic --allow-unencrypted >/dev/null 2>"$dir/log" &
ep=$!
for _ in $(seq 100); do [ -s "$dir/ready" ] && break; sleep 0.1; done
json() { /usr/bin/python3 -c "import json; print(json.load(open('$dir/ready'))['$1'])"; }
HTTP=$(json http_port) HTTPS=$(json https_port) CERT=$(json cert)
export WRSH_PASSWORD='Passw0rd!'

# one wrsh run: "cpu_s maxrss_kb bytes arena_peak"
wrsh_run() {
	local transport=$1; shift
	local conn
	if [ "$transport" = https ]; then
		conn=(-H localhost -p "$HTTPS" --https --cacert "$CERT" -a basic -u alice)
	else
		conn=(-H 127.0.0.1 -p "$HTTP" -a basic -u alice --allow-unencrypted)
	fi
	/usr/bin/python3 - "$WRSH" "${conn[@]}" -- "$@" <<'PY'
import os, re, resource, subprocess, sys
wrsh = sys.argv[1]
p = subprocess.Popen([wrsh, "cmd", "--stats", "-n"] + sys.argv[2:], stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
n = 0
while True:
    b = p.stdout.read(1 << 20)
    if not b:
        break
    n += len(b)
err = p.stderr.read()
p.wait()
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
peak = re.search(rb"arena_peak=(\d+)", err)
print("%.3f %d %d %s" % (ru.ru_utime + ru.ru_stime, ru.ru_maxrss, n, peak.group(1).decode() if peak else "-"))
PY
}

py_run() {
	local transport=$1; shift
	local url
	if [ "$transport" = https ]; then url=https://localhost:$HTTPS/wsman; else url=http://127.0.0.1:$HTTP/wsman; fi
	WRSH_BENCH_CA=$CERT /usr/bin/python3 tests/bench/pywinrm_run.py "$url" "$( [ "$transport" = https ] && echo basic || echo plaintext)" alice "$@" |
		sed -E 's/bytes=([0-9]+) cpu_s=([0-9.]+) maxrss_kb=([0-9]+).*/\2 \3 \1 -/'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

measure() { # name transport command...
	local name=$1 transport=$2; shift 2
	local w=() p=() i
	for i in $(seq "$RUNS"); do
		w+=("$(wrsh_run "$transport" "$@")")
		p+=("$(py_run "$transport" "$@")")
	done
	local wc wr wb wa pc pr pb
	wc=$(printf '%s\n' "${w[@]}" | cut -d' ' -f1 | median)
	wr=$(printf '%s\n' "${w[@]}" | cut -d' ' -f2 | median)
	wb=$(printf '%s\n' "${w[@]}" | cut -d' ' -f3 | median)
	wa=$(printf '%s\n' "${w[@]}" | cut -d' ' -f4 | median)
	pc=$(printf '%s\n' "${p[@]}" | cut -d' ' -f1 | median)
	pr=$(printf '%s\n' "${p[@]}" | cut -d' ' -f2 | median)
	pb=$(printf '%s\n' "${p[@]}" | cut -d' ' -f3 | median)
	[ "$wb" = "$pb" ] || echo "bench: output sizes differ: wrsh $wb, pywinrm $pb" >&2
	printf '%-22s %-5s %9.3f %9.3f %8s %9d %9d %8s %10s\n' "$name" "$transport" "$wc" "$pc" \
		"$(awk -v a="$pc" -v b="$wc" 'BEGIN{ if (b > 0) printf "%.1fx", a/b; else print "-" }')" \
		"$wr" "$pr" "$(awk -v a="$pr" -v b="$wr" 'BEGIN{ printf "%.1fx", a/b }')" "$wa"
}

echo "bench: $(date -u +%F) $(uname -m), $(nproc) cores, median of $RUNS runs; client CPU user+sys in s, peak RSS in KiB"
printf '%-22s %-5s %9s %9s %8s %9s %9s %8s %10s\n' scenario via wrsh_cpu py_cpu py/wrsh wrsh_rss py_rss py/wrsh arena_peak
measure "cmd echo hi" http echo hi
measure "cmd echo hi" https echo hi
measure "stream ${MIB} MiB stdout" http bigout "$MIB"
measure "stream ${MIB} MiB stdout" https bigout "$MIB"
