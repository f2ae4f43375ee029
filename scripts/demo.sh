#!/bin/bash
# `make demo`: start the Windows-like test endpoint and show wrsh working
# against it. The password travels in WRSH_PASSWORD, never on the command
# line.
set -uo pipefail
cd "$(dirname "$0")/.."
WRSH=${1:-build/host-glibc-full/wrsh}
dir=$(mktemp -d)
trap 'kill $ep 2>/dev/null; wait $ep 2>/dev/null; rm -rf "$dir"' EXIT
/usr/bin/python3 tests/endpoint/winrm_endpoint.py --ready-file "$dir/ready" --state-dir "$dir" \
	--basic --allow-unencrypted >/dev/null 2>"$dir/log" &
ep=$!
for _ in $(seq 100); do [ -s "$dir/ready" ] && break; sleep 0.1; done
[ -s "$dir/ready" ] || { cat "$dir/log"; exit 1; }
json() { /usr/bin/python3 -c "import json,sys; print(json.load(open('$dir/ready'))['$1'])"; }
HTTP=$(json http_port) HTTPS=$(json https_port) CERT=$(json cert)
export WRSH_PASSWORD='Passw0rd!'

run() {
	printf '\n\033[1m$ %s\033[0m\n' "$*"
	"$@"
	local rc=$?
	[ $rc = 0 ] || printf '(exit status %d)\n' $rc
}
TLS=(-H localhost -p "$HTTPS" --https --cacert "$CERT" -a basic -u alice)

echo "wrsh demo: endpoint on 127.0.0.1 (HTTP $HTTP, HTTPS $HTTPS), user alice"
run "$WRSH" identify -H 127.0.0.1 -p "$HTTP"
run "$WRSH" cmd "${TLS[@]}" -- echo Hello from wrsh over HTTPS
run "$WRSH" cmd "${TLS[@]}" -- type 'C:\wrsh\hello.txt'
run "$WRSH" cmd "${TLS[@]}" -e GREETING=hi -d 'C:\Temp' -- 'cd & set GREETING'
run "$WRSH" cmd "${TLS[@]}" -- unicode
run "$WRSH" cmd "${TLS[@]}" -- exit /b 3
printf '\n\033[1m$ printf "one\\ntwo\\n" | wrsh cmd ... more\033[0m\n'
printf 'one\r\ntwo\r\n' | "$WRSH" cmd "${TLS[@]}" -- more
printf '\n\033[1m$ wrsh cmd --stats ... bigout 20 | wc -c\033[0m\n'
"$WRSH" cmd --stats "${TLS[@]}" -- bigout 20 | wc -c
run "$WRSH" cmd -H 127.0.0.1 -p "$HTTP" -a basic -u alice -- echo refused
run "$WRSH" cmd -H 127.0.0.1 -p "$HTTP" -a basic -u alice --allow-unencrypted --stats -- echo plain HTTP, explicitly allowed
exit 0
