#!/bin/bash
# `echo hi` on 100 hosts: wrsh's fan-out beside Ansible's winrm connection
# (Debian's ansible-core, `ansible -m raw` over python3-winrm, NTLM-sealed
# like wrsh) in the same run, on one test endpoint answering as 100
# loopback hosts (127.0.0.2 to 127.0.0.101), both 32 hosts at a time. Per
# client: wall seconds, CPU (user+sys of the whole process tree), the
# largest single process's peak RSS, and for wrsh the wall time beside
# ceil(hosts / throttle) times one host's. Ansible's raw module runs the
# command through `powershell -EncodedCommand` in the WinRS shell (real
# pwsh 7 behind the endpoint here, as a Windows host starts powershell.exe);
# wrsh's `cmd` runs it in cmd.exe's place: each what it does for `echo hi`.
#
#   scripts/bench-fanout.sh [WRSH]       (make bench-fanout)
#   HOSTS=20 scripts/bench-fanout.sh     a short pass
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=${HOSTS:-100}
T=32
sh scripts/bootstrap.sh bench-xfer >/dev/null # pwsh, Ansible
command -v ansible >/dev/null || apt-get install -y -qq ansible-core >/dev/null
WRSH=${1:-$(make -s print-B)/wrsh}
[ -x "$WRSH" ] || make --no-print-directory all >/dev/null
dir=$(mktemp -d)
trap 'kill $ep 2>/dev/null; wait $ep 2>/dev/null; rm -rf "$dir"' EXIT
addrs=$(seq -f '127.0.0.%g' 2 $((HOSTS + 1)) | paste -sd,)
/usr/bin/python3 tests/endpoint/winrm_endpoint.py --ready-file "$dir/ready" --state-dir "$dir" \
	--listen-v4 "127.0.0.1,$addrs" --psrp-server pwsh --max-shells-per-user 1000 \
	>/dev/null 2>"$dir/log" & # (one endpoint as 100 hosts: Windows' quota of 30 is per host)
ep=$!
for _ in $(seq 100); do [ -s "$dir/ready" ] && break; sleep 0.1; done
PORT=$(/usr/bin/python3 -c "import json; print(json.load(open('$dir/ready'))['http_port'])")
export WRSH_PASSWORD='Passw0rd!'
tr , '\n' <<<"$addrs" | sed "s/\$/:$PORT/" >"$dir/hosts.txt"
{
	echo "[win]"
	tr , '\n' <<<"$addrs"
	echo "[win:vars]"
	echo "ansible_connection=winrm"
	echo "ansible_port=$PORT"
	echo "ansible_user=alice"
	echo "ansible_password=$WRSH_PASSWORD"
	echo "ansible_winrm_scheme=http"
	echo "ansible_winrm_transport=ntlm"
	echo "ansible_winrm_message_encryption=always"
} >"$dir/inventory"
touch "$dir/ansible.cfg"
export ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_CONFIG=$dir/ansible.cfg ANSIBLE_HOME=$dir/ansible \
	ANSIBLE_LOCAL_TEMP=$dir/ansible/tmp ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3

# measure NAME OUTFILE CMD...: "wall cpu rss_kb" of one run
measure() {
	local out=$2
	shift 2
	/usr/bin/time -f '%e %U %S %M' -o "$dir/time" "$@" >"$out" 2>"$out.err" || true
	read -r wall user sys rss < <(tail -n 1 "$dir/time") # (time says "exited non-zero" first)
	echo "$wall $(awk "BEGIN { print $user + $sys }") $rss"
}
one=$(measure one "$dir/one" "$WRSH" cmd -H 127.0.0.2 -p "$PORT" -u alice 'echo hi')
read -r w1 _ _ <<<"$one"
fan=$(measure wrsh "$dir/fan" "$WRSH" cmd -H "@$dir/hosts.txt" -u alice --throttle $T 'echo hi')
ok_w=$(grep -c ': hi' "$dir/fan" || true)
ans=$(measure ansible "$dir/ans" ansible -i "$dir/inventory" win -f $T -m raw -a 'echo hi')
[ -n "${BENCH_DEBUG:-}" ] && head -20 "$dir/ans" "$dir/ans.err"
ok_a=$(grep -c 'CHANGED\|SUCCESS' "$dir/ans" || true)
printf 'fan-out: %d hosts, %d at a time, echo hi over NTLM-sealed HTTP\n' "$HOSTS" $T
printf '%-22s %8s %9s %12s %6s\n' client wall_s cpu_s peak_rss_kb hosts_ok
read -r w c r <<<"$fan"
printf '%-22s %8s %9s %12s %6s\n' "wrsh -H @hosts" "$w" "$c" "$r" "$ok_w"
read -r wa ca ra <<<"$ans"
printf '%-22s %8s %9s %12s %6s\n' "ansible -m raw (winrm)" "$wa" "$ca" "$ra" "$ok_a"
/usr/bin/python3 -c "
import math
w, c, wa, ca, w1 = map(float, '$w $c $wa $ca $w1'.split())
print('ratio ansible/wrsh: wall %.1fx, cpu %.1fx' % (wa / w, ca / max(c, 0.01)))
print('wrsh: one host %.3f s; ceil(%d/%d) x one host = %.2f s; fan-out %.2f s' % (
    w1, $HOSTS, $T, math.ceil($HOSTS / $T) * w1, w))"
echo "(peak RSS: the largest single process: a wrsh child, or an Ansible worker)"
