#!/bin/bash
# wrsh beside python3-winrm against the same test endpoint in the same run:
# client CPU (user+sys) and peak RSS for a one-shot `echo` and for
# streaming N MiB of stdout: over plain HTTP with NTLM sealing (Windows'
# default; pywinrm's "ntlm" transport), over HTTPS (Basic) and plain HTTP
# (Basic, allowed explicitly). Medians of RUNS runs; ratios side by side.
#
#   RUNS=3 MIB=100 scripts/bench.sh [WRSH]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
MIB=${MIB:-100}
ECHO_REPEAT=${ECHO_REPEAT:-20}
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

# Each client is measured from outside as a whole process (start-up and
# imports included: what a user pays per call) with GNU time.
TIMEF="%U %S %M"

# one wrsh run: "cpu_s maxrss_kb bytes arena_peak"
wrsh_run() {
	local transport=$1; shift
	local conn
	case $transport in
	https) conn=(-H localhost -p "$HTTPS" --https --cacert "$CERT" -a basic -u alice) ;;
	ntlm) conn=(-H 127.0.0.1 -p "$HTTP" -u alice) ;;
	*) conn=(-H 127.0.0.1 -p "$HTTP" -a basic -u alice --allow-unencrypted) ;;
	esac
	local n
	# The peak RSS comes from a direct run; for short calls the CPU comes
	# from REPEAT runs in one timed shell, as GNU time counts in 10 ms steps.
	n=$(/usr/bin/time -o "$dir/t" -f "$TIMEF" "$WRSH" cmd --stats -n "${conn[@]}" -- "$@" \
		2>"$dir/err" | wc -c)
	read -r u s m <"$dir/t"
	if [ "$REPEAT" -gt 1 ]; then
		/usr/bin/time -o "$dir/t" -f "$TIMEF" sh -c 'i=0; while [ $i -lt "$0" ]; do
			"$@" >/dev/null 2>&1 || exit 1; i=$((i + 1)); done' "$REPEAT" "$WRSH" cmd -n \
			"${conn[@]}" -- "$@"
		read -r u s _ <"$dir/t"
		n=$((n * REPEAT))
	fi
	printf '%s %s %s %s\n' "$(awk -v u="$u" -v s="$s" -v r="$REPEAT" 'BEGIN{print (u+s)/r}')" "$m" \
		"$((n / REPEAT))" "$(sed -n 's/.*arena_peak=\([0-9]*\).*/\1/p' "$dir/err" | tail -n 1)"
}

py_run() {
	local transport=$1; shift
	local url out
	local pt=plaintext
	case $transport in
	https) url=https://localhost:$HTTPS/wsman pt=ssl ;;
	ntlm) url=http://127.0.0.1:$HTTP/wsman pt=ntlm ;;
	*) url=http://127.0.0.1:$HTTP/wsman ;;
	esac
	# python3-ntlm-auth takes MD4 from OpenSSL 3's legacy provider
	out=$(OPENSSL_CONF=$PWD/tests/endpoint/openssl-legacy.cnf WRSH_BENCH_CA=$CERT /usr/bin/time -o "$dir/t" -f "$TIMEF" sh -c 'i=0; while [ $i -lt "$0" ]; do
		"$@" || exit 1; i=$((i + 1)); done' "$REPEAT" /usr/bin/python3 tests/bench/pywinrm_run.py \
		"$url" "$pt" alice "$@")
	read -r u s m <"$dir/t"
	printf '%s %s %s -\n' "$(awk -v u="$u" -v s="$s" -v r="$REPEAT" 'BEGIN{print (u+s)/r}')" "$m" \
		"$(echo "$out" | sed -n 's/.*bytes=\([0-9]*\).*/\1/p' | tail -n 1)"
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
	printf '%-22s %-5s %9.4f %9.4f %8s %9d %9d %8s %10s\n' "$name" "$transport" "$wc" "$pc" \
		"$(awk -v a="$pc" -v b="$wc" 'BEGIN{ if (b > 0) printf "%.1fx", a/b; else print "-" }')" \
		"$wr" "$pr" "$(awk -v a="$pr" -v b="$wr" 'BEGIN{ printf "%.1fx", a/b }')" "$wa"
}

echo "bench: $(date -u +%F) $(uname -m), $(nproc) cores, median of $RUNS runs (one-shot: of $ECHO_REPEAT calls each);"
echo "       client CPU user+sys in s per call, peak RSS in KiB, whole processes as a user runs them"
printf '%-22s %-5s %9s %9s %8s %9s %9s %8s %10s\n' scenario via wrsh_cpu py_cpu py/wrsh wrsh_rss py_rss py/wrsh arena_peak
REPEAT=$ECHO_REPEAT measure "cmd echo hi" ntlm echo hi
REPEAT=$ECHO_REPEAT measure "cmd echo hi" http echo hi
REPEAT=$ECHO_REPEAT measure "cmd echo hi" https echo hi
REPEAT=1 measure "stream ${MIB} MiB stdout" ntlm bigout "$MIB"
REPEAT=1 measure "stream ${MIB} MiB stdout" http bigout "$MIB"
REPEAT=1 measure "stream ${MIB} MiB stdout" https bigout "$MIB"
