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
	>/dev/null 2>"$dir/log" &
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
# The endpoint keeps Windows' defaults: Negotiate on, Basic off, no
# unencrypted traffic. wrsh's default (-a negotiate) seals every body over
# plain HTTP; over HTTPS TLS protects it and the channel binding ties the
# NTLM logon to the TLS channel.
NEG=(-H 127.0.0.1 -p "$HTTP" -u alice)
TLS=(-H localhost -p "$HTTPS" --https --cacert "$CERT" -u 'WRSH\alice')

echo "wrsh demo: endpoint on 127.0.0.1 (HTTP $HTTP, HTTPS $HTTPS), user alice"
run "$WRSH" identify -H 127.0.0.1 -p "$HTTP"
run "$WRSH" cmd "${NEG[@]}" -- echo Hello from wrsh, NTLM-sealed over HTTP
run "$WRSH" cmd "${TLS[@]}" -- echo Hello from wrsh over HTTPS
run "$WRSH" cmd "${NEG[@]}" -- type 'C:\wrsh\hello.txt'
run "$WRSH" cmd "${NEG[@]}" -e GREETING=hi -d 'C:\Temp' -- 'cd & set GREETING'
run "$WRSH" cmd "${NEG[@]}" -- unicode
run "$WRSH" cmd "${NEG[@]}" -- exit /b 3
printf '\n\033[1m$ printf "one\\ntwo\\n" | wrsh cmd ... more\033[0m\n'
printf 'one\r\ntwo\r\n' | "$WRSH" cmd "${NEG[@]}" -- more
printf '\n\033[1m$ wrsh cmd --stats ... bigout 20 | wc -c\033[0m\n'
"$WRSH" cmd --stats "${NEG[@]}" -- bigout 20 | wc -c
run "$WRSH" ps "${NEG[@]}" -- "'PowerShell says hi'; 1..3"
run "$WRSH" ps "${NEG[@]}" -- Get-Service
run "$WRSH" ps "${NEG[@]}" --json -- Get-Service
run "$WRSH" ps "${NEG[@]}" -- "Write-Warning 'careful'; throw 'boom'"
run "$WRSH" cmd -H 127.0.0.1 -p "$HTTP" -a basic -u alice -- echo refused
exit 0
