#!/bin/bash
# wrsh beside two peers, python3-winrm and the Go client masterzen/winrm
# (tests/bench/gowinrm), against the same test endpoint in the same run:
# client CPU (user+sys), peak RSS and HTTP requests for a one-shot `echo`
# and for streaming N MiB of stdout: over plain HTTP with NTLM sealing
# (Windows' default; pywinrm's "ntlm" transport; the Go client cannot seal,
# so n/a), over HTTPS (Basic), plain HTTP (Basic, allowed explicitly) and,
# one-shot only, NTLM over HTTPS. Medians of RUNS runs; ratios peer/wrsh.
# Then, for wrsh alone: instructions (callgrind Ir) per operation, which
# repeat where CPU times do not, and a PSRP row (`wrsh ps`, no peer).
#
#   RUNS=3 MIB=100 scripts/bench.sh [WRSH]      (make bench)
#   BENCH_QUICK=1 scripts/bench.sh [WRSH]       a short pass: 1 run, 5 MiB
#
# Installs what is missing (scripts/bootstrap.sh bench: python3-winrm, Go,
# masterzen/winrm's Debian sources, valgrind); builds the Go peer once into
# build/bench/gowinrm, offline, in GOPATH mode.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${BENCH_QUICK:-}" ]; then
	RUNS=${RUNS:-1} MIB=${MIB:-5} ECHO_REPEAT=${ECHO_REPEAT:-3} PS_N=${PS_N:-10000} CG_MIB=${CG_MIB:-1}
fi
RUNS=${RUNS:-3}
MIB=${MIB:-100}
ECHO_REPEAT=${ECHO_REPEAT:-20}
PS_N=${PS_N:-100000}
CG_MIB=${CG_MIB:-4}
sh scripts/bootstrap.sh bench
WRSH=${1:-$(make -s print-B)/wrsh}
[ -x "$WRSH" ] || make --no-print-directory all >/dev/null

GO=build/bench/gowinrm
if [ ! -x "$GO" ] || [ tests/bench/gowinrm/main.go -nt "$GO" ]; then
	echo "bench: building $GO (masterzen/winrm from /usr/share/gocode, GOPATH mode)" >&2
	mkdir -p build/bench
	GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$PWD/build/bench/gocache \
		GOPROXY=off go build -o "$GO" ./tests/bench/gowinrm
fi

dir=$(mktemp -d)
master=''
trap 'rc=$?; kill $ep $kdc $master 2>/dev/null; wait $ep $kdc $master 2>/dev/null; rm -rf "$dir"; exit $rc' EXIT
# a realm of MIT's krb5kdc for the Kerberos rows (tests/endpoint/kdc.py);
# pywinrm's kerberos transport takes its TGT from a ccache kinit fills
mkdir "$dir/krb"
/usr/bin/python3 tests/endpoint/kdc.py "$dir/krb" >/dev/null 2>&1 &
kdc=$!
for _ in $(seq 100); do [ -s "$dir/krb/ready" ] && break; sleep 0.1; done
export KRB5_CONFIG=$dir/krb/krb5.conf KRB5CCNAME=FILE:$dir/krb/ccache
echo 'Passw0rd!' | kinit alice >/dev/null
/usr/bin/python3 tests/endpoint/winrm_endpoint.py --ready-file "$dir/ready" --state-dir "$dir" \
	--basic --allow-unencrypted --kerberos "$dir/krb" >/dev/null 2>"$dir/log" &
ep=$!
for _ in $(seq 100); do [ -s "$dir/ready" ] && break; sleep 0.1; done
json() { /usr/bin/python3 -c "import json; print(json.load(open('$dir/ready'))['$1'])"; }
HTTP=$(json http_port) HTTPS=$(json https_port) CERT=$(json cert)
export WRSH_PASSWORD='Passw0rd!'
# a warm session for the ntlm-warm row (wrsh master; not in the tiny profile)
if "$WRSH" --help 2>&1 | grep -q '^ *master '; then
	"$WRSH" master -H 127.0.0.1 -p "$HTTP" -u alice --control "$dir/ctl" --persist 1h 2>"$dir/master" &
	master=$!
	for _ in $(seq 100); do [ -S "$dir/ctl" ] && break; sleep 0.1; done
fi
# the endpoint's count of POSTs so far (its GET /wrsh-test/state is not one)
requests() {
	/usr/bin/python3 -c "import json, urllib.request as u
print(json.load(u.urlopen('http://127.0.0.1:$HTTP/wrsh-test/state'))['requests'])"
}

# Each client is measured from outside as a whole process (start-up and
# imports included: what a user pays per call) with GNU time.
TIMEF="%U %S %M"

# argv of CLIENT over TRANSPORT, the command's words to follow; empty when
# the client cannot use that transport
client_argv() {
	local client=$1 transport=$2
	argv=()
	case $client/$transport in
	wrsh/ntlm) argv=("$WRSH" cmd -n -H 127.0.0.1 -p "$HTTP" -u alice --) ;;
	wrsh/http) argv=("$WRSH" cmd -n -H 127.0.0.1 -p "$HTTP" -a basic -u alice --allow-unencrypted --) ;;
	wrsh/https) argv=("$WRSH" cmd -n -H localhost -p "$HTTPS" --https --cacert "$CERT" -a basic -u alice --) ;;
	wrsh/https-resumed) argv=("$WRSH" cmd -n -H localhost -p "$HTTPS" --https --cacert "$CERT" -a basic -u alice \
		--tls-session "$dir/tls-session" --) ;;
	wrsh/ntlm-tls) argv=("$WRSH" cmd -n -H localhost -p "$HTTPS" --https --cacert "$CERT" -u alice --) ;;
	wrsh/ntlm-warm) [ -z "$master" ] || argv=("$WRSH" cmd -n --control "$dir/ctl" --) ;;
	wrsh/krb5) argv=("$WRSH" cmd -n -H localhost -p "$HTTP" -a kerberos -u alice --) ;;
	wrsh/krb5-tls) argv=("$WRSH" cmd -n -H localhost -p "$HTTPS" --https --cacert "$CERT" -a kerberos -u alice --) ;;
	wrsh/krb5cc-tls) argv=("$WRSH" cmd -n -H localhost -p "$HTTPS" --https --cacert "$CERT" -a kerberos -u alice \
		--ccache "$dir/krb/wrsh-cc" --) ;;
	# Debian's pykerberos lacks the WinRM wrap: pywinrm seals no Kerberos body;
	# neither peer keeps a session between processes
	py/krb5 | py/ntlm-warm | go/ntlm-warm) ;;
	# python3-ntlm-auth takes MD4 from OpenSSL 3's legacy provider
	py/*)
		local url=http://127.0.0.1:$HTTP/wsman pt=plaintext
		case $transport in
		ntlm) pt=ntlm ;;
		https | https-resumed) url=https://localhost:$HTTPS/wsman pt=ssl ;;
		ntlm-tls) url=https://localhost:$HTTPS/wsman pt=ntlm ;;
		krb5-tls | krb5cc-tls) url=https://localhost:$HTTPS/wsman pt=kerberos ;;
		esac
		argv=(env OPENSSL_CONF="$PWD/tests/endpoint/openssl-legacy.cnf" WRSH_BENCH_CA="$CERT"
			/usr/bin/python3 tests/bench/pywinrm_run.py "$url" "$pt" alice)
		;;
	# masterzen/winrm's NTLM authenticates only: plain bodies, which
	# AllowUnencrypted=false (Windows' default) refuses over HTTP
	go/ntlm | go/krb5*) ;;
	go/http) argv=("$GO" -host 127.0.0.1 -port "$HTTP" -user alice) ;;
	go/https | go/https-resumed) argv=("$GO" -host localhost -port "$HTTPS" -https -cacert "$CERT" -user alice) ;;
	go/ntlm-tls) argv=("$GO" -host localhost -port "$HTTPS" -https -cacert "$CERT" -auth ntlm -user alice) ;;
	esac
}

# one run of CLIENT: "cpu_s maxrss_kb bytes requests arena_peak", or "n/a"
client_run() {
	local client=$1 transport=$2; shift 2
	local argv n r0 r1 u s m a=-
	client_argv "$client" "$transport"
	if [ ${#argv[@]} = 0 ]; then
		echo n/a
		return
	fi
	# The peak RSS, output size and request count come from a direct run;
	# for short calls the CPU comes from REPEAT runs in one timed shell, as
	# GNU time counts in 10 ms steps.
	[ "$client" = wrsh ] && argv=("${argv[0]}" cmd --stats "${argv[@]:2}")
	r0=$(requests)
	if ! n=$(/usr/bin/time -o "$dir/t" -f "$TIMEF" "${argv[@]}" "$@" 2>"$dir/err" | case $client in
		py) sed -n 's/.*bytes=\([0-9]*\).*/\1/p' ;;
		*) wc -c ;;
		esac); then
		echo "bench: $client over $transport failed: $(tail -c 300 "$dir/err")" >&2
		exit 1
	fi
	r1=$(requests)
	read -r u s m <"$dir/t"
	[ "$client" = wrsh ] && a=$(sed -n 's/.*arena_peak=\([0-9]*\).*/\1/p' "$dir/err" | tail -n 1)
	# wrsh's one-shot takes a few ms: ten times the calls, so that GNU
	# time's 10 ms steps are 2 % of what it measures, not 20 %
	local rep=$REPEAT
	[ "$client" = wrsh ] && [ "$REPEAT" -gt 1 ] && rep=$((REPEAT * 10))
	if [ "$REPEAT" -gt 1 ]; then
		client_argv "$client" "$transport"
		# shellcheck disable=SC2016 # $i and $0 are the inner shell's
		/usr/bin/time -o "$dir/t" -f "$TIMEF" sh -c 'i=0; while [ $i -lt "$0" ]; do
			"$@" >/dev/null 2>&1 || exit 1; i=$((i + 1)); done' "$rep" "${argv[@]}" "$@"
		read -r u s _ <"$dir/t"
	fi
	printf '%s %s %s %s %s\n' "$(awk -v u="$u" -v s="$s" -v r="$rep" 'BEGIN{print (u+s)/r}')" \
		"$m" "$n" "$((r1 - r0))" "$a"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# column F of a client's runs, median ("n/a" for a transport it lacks)
col() {
	case $1 in
	n/a*) echo n/a ;;
	*) printf '%s\n' "$1" | cut -d' ' -f"$2" | median ;;
	esac
}
ratio() { case "$1$2" in *n/a*) echo n/a ;; *) awk -v a="$1" -v b="$2" \
	'BEGIN{ if (b > 0) printf "%.1fx", a/b; else print "-" }' ;; esac; }
cpu() { case $1 in n/a) echo n/a ;; *) awk -v c="$1" 'BEGIN{ printf "%.5f", c }' ;; esac; }

ROWF='%-22s %-8s %8s %8s %8s %7s %7s %8s %8s %8s %7s %7s %7s %7s\n'
measure() { # name transport command...
	local name=$1 transport=$2; shift 2
	local w='' p='' g=''
	for _ in $(seq "$RUNS"); do
		w+="$(client_run wrsh "$transport" "$@")"$'\n'
		p+="$(client_run py "$transport" "$@")"$'\n'
		g+="$(client_run go "$transport" "$@")"$'\n'
	done
	w=${w%$'\n'} p=${p%$'\n'} g=${g%$'\n'}
	local wc wr wb wq wa pc pr pb pq gc gr gb gq
	wc=$(col "$w" 1) wr=$(col "$w" 2) wb=$(col "$w" 3) wq=$(col "$w" 4) wa=$(col "$w" 5)
	pc=$(col "$p" 1) pr=$(col "$p" 2) pb=$(col "$p" 3) pq=$(col "$p" 4)
	gc=$(col "$g" 1) gr=$(col "$g" 2) gb=$(col "$g" 3) gq=$(col "$g" 4)
	[ "$pb" = n/a ] || [ "$wb" = "$pb" ] || echo "bench: output sizes differ: wrsh $wb, pywinrm $pb" >&2
	[ "$gb" = n/a ] || [ "$wb" = "$gb" ] || echo "bench: output sizes differ: wrsh $wb, go $gb" >&2
	printf '%s|%s|%s|%s|%s\n' "$name" "$transport" "$wc" "$pc" "$gc" >>"$dir/rows"
	# shellcheck disable=SC2059
	printf "$ROWF" "$name" "$transport" "$(cpu "$wc")" "$(cpu "$pc")" "$(cpu "$gc")" \
		"$(ratio "$pc" "$wc")" "$(ratio "$gc" "$wc")" "$wr" "$pr" "$gr" \
		"$(ratio "$pr" "$wr")" "$(ratio "$gr" "$wr")" "$wq/$pq/$gq" "$wa"
}

echo "bench: $(date -u +%F) $(uname -m), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), median of $RUNS runs (one-shot: of $ECHO_REPEAT calls each, wrsh's of $((ECHO_REPEAT * 10)));"
echo "       client CPU user+sys in s per call, peak RSS in KiB, whole processes as a user runs them;"
echo "       req: HTTP requests wrsh/py/go; via: ntlm = Negotiate sealed over HTTP, http|https = Basic, ntlm-tls = Negotiate over HTTPS,"
echo "       krb5 = Kerberos sealed over HTTP, krb5-tls = over HTTPS (wrsh: AS and TGS exchanges with the KDC in every call; pywinrm: a TGT from kinit's ccache),"
echo "       krb5cc-tls = the same with wrsh's --ccache (its tickets kept from the first call: no KDC exchange after it),"
echo "       https-resumed = https with wrsh's --tls-session (the TLS session kept from the first call: no certificate exchange; the peers keep none between processes),"
echo "       ntlm-warm = through a wrsh master's warm ntlm session (--control; req counts the server's, the master's Signal included)"
echo "       wrsh: $WRSH; py: python3-winrm $(dpkg-query -W -f='${Version}' python3-winrm);" \
	"go: masterzen/winrm $(dpkg-query -W -f='${Version}' golang-github-masterzen-winrm-dev), $(go version | cut -d' ' -f3)"
# shellcheck disable=SC2059
printf "$ROWF" scenario via wrsh_cpu py_cpu go_cpu py/wrsh go/wrsh wrsh_rss py_rss go_rss py/wrsh go/wrsh req arena
REPEAT=$ECHO_REPEAT measure "cmd echo hi" ntlm echo hi
[ -z "$master" ] || REPEAT=$ECHO_REPEAT measure "cmd echo hi" ntlm-warm echo hi
REPEAT=$ECHO_REPEAT measure "cmd echo hi" http echo hi
REPEAT=$ECHO_REPEAT measure "cmd echo hi" https echo hi
REPEAT=$ECHO_REPEAT measure "cmd echo hi" https-resumed echo hi
REPEAT=$ECHO_REPEAT measure "cmd echo hi" ntlm-tls echo hi
REPEAT=$ECHO_REPEAT measure "cmd echo hi" krb5 echo hi
REPEAT=$ECHO_REPEAT measure "cmd echo hi" krb5-tls echo hi
REPEAT=$ECHO_REPEAT measure "cmd echo hi" krb5cc-tls echo hi
REPEAT=1 measure "stream ${MIB} MiB stdout" ntlm bigout "$MIB"
REPEAT=1 measure "stream ${MIB} MiB stdout" http bigout "$MIB"
REPEAT=1 measure "stream ${MIB} MiB stdout" https bigout "$MIB"

# ---- wrsh alone: instructions (callgrind Ir, the client process only) ----
ir() { # transport command...: Ir of one wrsh run
	local transport=$1 argv; shift
	client_argv wrsh "$transport"
	valgrind --tool=callgrind --callgrind-out-file="$dir/cg" "${argv[@]}" "$@" >/dev/null 2>"$dir/err" ||
		{ echo "bench: callgrind run failed: $(tail -c 300 "$dir/err")" >&2; exit 1; }
	sed -n 's/^summary: //p' "$dir/cg"
}
echo
echo "wrsh instructions (valgrind --tool=callgrind, Ir; per MiB = (Ir of $((2 * CG_MIB)) MiB - Ir of $CG_MIB MiB) / $CG_MIB)"
printf '%-8s %14s %14s\n' via "cmd echo hi" "per MiB"
for t in ntlm ${master:+ntlm-warm} http https; do
	e=$(ir "$t" echo hi)
	m1=$(ir "$t" bigout "$CG_MIB")
	m2=$(ir "$t" bigout "$((2 * CG_MIB))")
	printf '%-8s %14s %14s\n' "$t" "$(printf "%'d" "$e")" "$(printf "%'d" "$(((m2 - m1) / CG_MIB))")"
done

# ---- wrsh alone: PSRP (no Debian peer speaks it) ----
echo
echo "wrsh ps --no-format 'BigOutput $PS_N' (N strings of 100 characters), Negotiate sealed over HTTP, median of $RUNS runs"
printf '%-8s %10s %10s %10s %10s %11s\n' via cpu_s rss_kib bytes requests arena_peak
rows=''
for _ in $(seq "$RUNS"); do
	n=$(/usr/bin/time -o "$dir/t" -f "$TIMEF" "$WRSH" ps --stats --no-format -H 127.0.0.1 -p "$HTTP" -u alice \
		"BigOutput $PS_N" 2>"$dir/err" | wc -c) ||
		{ echo "bench: wrsh ps failed: $(tail -c 300 "$dir/err")" >&2; exit 1; }
	read -r u s m <"$dir/t"
	rows+="$(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}') $m $n $(sed -n \
		's/.*arena_peak=\([0-9]*\).*requests=\([0-9]*\).*/\2 \1/p' "$dir/err" | tail -n 1)"$'\n'
done
rows=${rows%$'\n'}
printf '%-8s %10s %10s %10s %10s %11s\n' ntlm "$(cpu "$(col "$rows" 1)")" "$(col "$rows" 2)" "$(col "$rows" 3)" \
	"$(col "$rows" 4)" "$(col "$rows" 5)"

# ---- issue 19's targets beside this run's figures ----
# row NAME VIA FIELD: a measured row's wrsh (3), py (4) or go (5) CPU
row() { awk -F'|' -v n="$1" -v t="$2" -v f="$3" '$1 == n && $2 == t { print $f }' "$dir/rows"; }
# goal TEXT TARGET MEASURED: "met" when the measured figure reaches the target
goal() {
	printf '%-58s %8s %8s  %s\n' "$1" "$2" "$3" "$(awk -v t="$2" -v m="$3" \
		'BEGIN { if (m == "n/a" || m == "") print "n/a"; else print (m + 0 >= t + 0) ? "met" : "no" }')"
}
# per-core stdout rate: MB of output per second of wrsh CPU
rate() { awk -v c="$1" -v m="$MIB" 'BEGIN { if (c > 0) printf "%.0f", m * 1.048576 / c; else print "n/a" }'; }
times() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "n/a") printf "%.1f", a / b; else print "n/a" }'; }
s="stream ${MIB} MiB stdout" o="cmd echo hi"
echo
echo "targets (issue 19) beside this run's figures"
printf '%-58s %8s %8s  %s\n' target goal measured ""
goal "stdout over TLS, MB/s per core (wrsh CPU)" 200 "$(rate "$(row "$s" https 3)")"
goal "stdout NTLM-sealed over HTTP, MB/s per core" 200 "$(rate "$(row "$s" ntlm 3)")"
goal "stdout over TLS, Go CPU / wrsh CPU" 8 "$(times "$(row "$s" https 5)" "$(row "$s" https 3)")"
goal "one-shot over HTTPS, Go CPU / wrsh CPU (same CA, requests)" 5 \
	"$(times "$(row "$o" https 5)" "$(row "$o" https 3)")"
goal "one-shot over HTTPS, --tls-session, Go CPU / wrsh CPU" 5 \
	"$(times "$(row "$o" https-resumed 5)" "$(row "$o" https-resumed 3)")"
goal "one-shot over HTTPS, pywinrm CPU / wrsh CPU (issue 7)" 50 \
	"$(times "$(row "$o" https 4)" "$(row "$o" https 3)")"
