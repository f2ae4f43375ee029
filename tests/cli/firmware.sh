#!/bin/bash
# The firmware example (static arena, its own port, callbacks) against the
# test endpoint: output, exit code, and the arena it needed.
set -euo pipefail
cd "$(dirname "$0")/../.."
FW=$1
dir=$(mktemp -d)
trap 'kill $ep 2>/dev/null; wait $ep 2>/dev/null; rm -rf "$dir"' EXIT
/usr/bin/python3 tests/endpoint/winrm_endpoint.py --ready-file "$dir/ready" --state-dir "$dir" \
	--basic --allow-unencrypted >/dev/null 2>"$dir/log" &
ep=$!
for _ in $(seq 100); do [ -s "$dir/ready" ] && break; sleep 0.1; done
port=$(/usr/bin/python3 -c "import json; print(json.load(open('$dir/ready'))['http_port'])")
out=$(WRSH_PASSWORD='Passw0rd!' "$FW" 127.0.0.1 "$port" alice "exit /b 3")
echo "$out" | grep -q '^exit code 3, arena peak [0-9]* of 65536 bytes$' ||
	{ echo "firmware: unexpected output: $out"; exit 1; }
out=$(WRSH_PASSWORD='Passw0rd!' "$FW" 127.0.0.1 "$port" alice "echo from firmware")
[ "$(echo "$out" | head -n 1)" = $'from firmware\r' ] || { echo "firmware: output: $out"; exit 1; }
shells=$(/usr/bin/python3 -c "import json,urllib.request; print(len(json.load(urllib.request.urlopen('http://127.0.0.1:$port/wrsh-test/state'))['shells']))")
[ "$shells" = 0 ] || { echo "firmware: $shells shells left"; exit 1; }
echo "firmware: ok ($(echo "$out" | tail -n 1))"
