#!/bin/bash
# wrsh put / wrsh get beside Ansible's winrm connection plugin (put_file,
# fetch_file; Debian's ansible-core over python3-winrm, driven by
# tests/bench/ansible_xfer.py) moving the same random file through the same
# test endpoint in the same run, real PowerShell (pwsh 7) behind it writing
# and reading the file: PSRP for wrsh, `powershell -EncodedCommand` in a WinRS
# shell for Ansible. Over plain HTTP with NTLM sealing (Windows' default) and
# over HTTPS (Basic). Per client and direction: seconds, MB/s, client CPU
# (user+sys), client peak RSS, HTTP requests, bytes on the wire per byte of
# file (request and response bodies as sent: sealed, or inside TLS), and the
# server's CPU (the machine's CPU in the run less the client's: the endpoint
# and pwsh). Every copy is checked with sha256sum.
#
#   MIB=256 scripts/bench-xfer.sh [WRSH]     (make bench-xfer; ~30 min, Ansible's
#                                            fetch_file runs one pwsh per 512 KiB)
#   BENCH_QUICK=1 scripts/bench-xfer.sh      a short pass: 4 MiB
# The client's RSS as an appliance carries it: make LIBC=musl STATIC=1 bench-xfer
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${BENCH_QUICK:-}" ] && MIB=${MIB:-4}
MIB=${MIB:-256}
sh scripts/bootstrap.sh bench-xfer
WRSH=${1:-$(make -s print-B)/wrsh}
[ -x "$WRSH" ] || make --no-print-directory all >/dev/null

dir=$(mktemp -d)
trap 'kill $ep 2>/dev/null; wait $ep 2>/dev/null; rm -rf "$dir"' EXIT
mkdir "$dir/remote" "$dir/local"
/usr/bin/python3 tests/endpoint/winrm_endpoint.py --ready-file "$dir/ready" --state-dir "$dir" \
	--basic --psrp-server pwsh >/dev/null 2>"$dir/log" &
ep=$!
for _ in $(seq 100); do [ -s "$dir/ready" ] && break; sleep 0.1; done
json() { /usr/bin/python3 -c "import json; print(json.load(open('$dir/ready'))['$1'])"; }
HTTP=$(json http_port) HTTPS=$(json https_port) CERT=$(json cert)
export WRSH_PASSWORD='Passw0rd!'
# the endpoint's counters: "requests bytes" (bodies both ways)
counters() {
	/usr/bin/python3 -c "import json, urllib.request as u
s = json.load(u.urlopen('http://127.0.0.1:$HTTP/wrsh-test/state'))
print(s['requests'], s['body_bytes_in'] + s['body_bytes_out'])"
}
ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
HZ=$(getconf CLK_TCK)

src=$dir/local/src
head -c "$((MIB << 20))" /dev/urandom >"$src"
want=$(sha256sum <"$src" | cut -d' ' -f1)
bytes=$((MIB << 20))

# argv of CLIENT moving the file OP (put|get) over TRANSPORT (ntlm|https)
xfer_argv() {
	local client=$1 op=$2 transport=$3 from to
	if [ "$op" = put ]; then from=$src to=$dir/remote/$client-$transport; else
		from=$dir/remote/src to=$dir/local/$client-$transport; fi
	out=$to
	case $client/$transport in
	wrsh/ntlm) argv=("$WRSH" "$op" --stats -H 127.0.0.1 -p "$HTTP" -u alice "$from" "$to") ;;
	wrsh/https) argv=("$WRSH" "$op" --stats -H localhost -p "$HTTPS" --https --cacert "$CERT" -a basic \
		-u alice "$from" "$to") ;;
	ansible/*)
		local url=http://127.0.0.1:$HTTP/wsman auth=ntlm
		[ "$transport" = https ] && url=https://localhost:$HTTPS/wsman auth=basic
		[ "$op" = put ] && op=put || op=fetch
		# python3-ntlm-auth takes MD4 from OpenSSL 3's legacy provider
		argv=(env OPENSSL_CONF="$PWD/tests/endpoint/openssl-legacy.cnf" WRSH_BENCH_CA="$CERT"
			/usr/bin/python3 tests/bench/ansible_xfer.py "$url" "$auth" alice "$op")
		if [ "$op" = put ]; then argv+=("$src" "$to"); else argv+=("$to" "$from"); fi
		;;
	esac
}

# one copy: "seconds cpu_s rss_kb requests wire_bytes server_cpu_s arena_peak"
run() {
	local client=$1 op=$2 transport=$3 argv out r0 w0 r1 w1 k0 k1 t0 t1 u s m a=-
	xfer_argv "$client" "$op" "$transport"
	rm -f "$out"
	read -r r0 w0 < <(counters)
	k0=$(ticks) t0=$(date +%s.%N)
	if ! /usr/bin/time -o "$dir/t" -f "%U %S %M" "${argv[@]}" >"$dir/out" 2>"$dir/err"; then
		echo "bench-xfer: $client $op over $transport failed: $(tail -c 400 "$dir/err")" >&2
		exit 1
	fi
	t1=$(date +%s.%N) k1=$(ticks)
	read -r r1 w1 < <(counters)
	read -r u s m <"$dir/t"
	if [ "$(sha256sum <"$out" | cut -d' ' -f1)" != "$want" ]; then
		echo "bench-xfer: $client $op over $transport: $out differs from the source" >&2
		exit 1
	fi
	[ "$client" = wrsh ] && a=$(sed -n 's/.*arena_peak=\([0-9]*\).*/\1/p' "$dir/err" | tail -n 1)
	awk -v t0="$t0" -v t1="$t1" -v u="$u" -v s="$s" -v m="$m" -v rq=$((r1 - r0)) -v w=$((w1 - w0)) \
		-v k=$((k1 - k0)) -v hz="$HZ" -v a="$a" \
		'BEGIN { c = u + s; sv = k / hz - c; if (sv < 0) sv = 0
		printf "%.2f %.2f %d %d %d %.2f %s\n", t1 - t0, c, m, rq, w, sv, a }'
}

ROWF='%-5s %-6s %-8s %8s %7s %7s %8s %8s %6s %9s %9s\n'
row() { # op transport client figures... [ratio]
	local op=$1 transport=$2 client=$3 t c m rq w sv a
	read -r t c m rq w sv a <<<"$4"
	# shellcheck disable=SC2059
	printf "$ROWF" "$op" "$transport" "$client" "$t" "$(awk -v b="$bytes" -v t="$t" \
		'BEGIN{printf "%.1f", b / 1e6 / t}')" "$c" "$m" "$rq" "$(awk -v w="$w" -v b="$bytes" \
		'BEGIN{printf "%.2fx", w / b}')" "$sv" "$a"
}

echo "bench-xfer: $(date -u +%F) $(uname -m), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg); one $MIB MiB random file"
echo "  wrsh: $WRSH; ansible: ansible-core $(dpkg-query -W -f='${Version}' ansible-core)," \
	"python3-winrm $(dpkg-query -W -f='${Version}' python3-winrm); server: the endpoint + pwsh $("${WRSH_PWSH:-$HOME/.dotnet/tools/pwsh}" -NoLogo -NoProfile -c '$PSVersionTable.PSVersion.ToString()')"
echo "  s: wall seconds; cpu: client user+sys s; rss: client peak KiB; req: HTTP requests;"
echo "  wire: request+response bodies per byte of file; srv_cpu: machine CPU less the client's (endpoint + pwsh)"
# shellcheck disable=SC2059
printf "$ROWF" op via client s MB/s cpu rss_kib req wire srv_cpu arena_peak
cp "$src" "$dir/remote/src"
summary=()
for transport in ntlm https; do
	for op in put get; do
		w=$(run wrsh "$op" "$transport")
		p=$(run ansible "$op" "$transport")
		row "$op" "$transport" wrsh "$w"
		row "$op" "$transport" ansible "$p"
		summary+=("$(awk -v a="${w%% *}" -v b="${p%% *}" -v op="$op" -v tr="$transport" \
			'BEGIN{printf "%-3s over %-5s: Ansible takes %.1fx the time of wrsh", op, tr, b / a}')")
	done
done
echo
echo "wall time, Ansible / wrsh, same run:"
printf '  %s\n' "${summary[@]}"
