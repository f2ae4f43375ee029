#!/bin/sh
# Build the MPS2 firmware and prove its network: qemu's mps2-an386 with the
# LAN9118 on qemu's user network (slirp) connects to a one-shot TCP server
# on the host's 127.0.0.1 (the guest's 10.0.2.2), sends "hello", and must
# print the answer and exit 0 through semihosting. Two cases: the short
# answer, then the same followed by 300 kB the guest must count and hash
# exactly (many frames through the RX FIFO and the TCP window).
#   examples/firmware/mps2/nettest.sh [MACHINE]   (default mps2-an386)
set -eu
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
MACHINE=${1:-mps2-an386}
OUT=$ROOT/build/mps2
CPU=cortex-m4
case $MACHINE in
mps2-an386) ;;
mps2-an385) CPU=cortex-m3 OUT=$ROOT/build/mps2-an385 ;;
*) echo "nettest: $MACHINE: not a board this firmware knows" >&2; exit 2 ;;
esac

make -s -f "$ROOT/examples/firmware/mps2/build.mk" OUT="$OUT" CPU="$CPU"

tmp=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"' EXIT

# run_case NAME BULK: one server connection, one qemu run, the checks
run_case() {
	name=$1
	rm -f "$tmp"/port "$tmp"/got "$tmp"/want "$tmp"/out
	# read to the first newline, answer, close; at most 30 s in all
	/usr/bin/python3 - "$tmp" "$2" <<'PY' &
import os, random, socket, sys
d, bulk = sys.argv[1], int(sys.argv[2])
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
s.settimeout(30)
open(d + "/port.tmp", "w").write(str(s.getsockname()[1]))
os.rename(d + "/port.tmp", d + "/port")
c, _ = s.accept()
c.settimeout(10)
got = b""
while not got.endswith(b"\n") and len(got) < 100:
    b = c.recv(100)
    if not b:
        break
    got += b
open(d + "/got", "wb").write(got)
msg = b"hi from host\n" + random.Random(1).randbytes(bulk)
h = 2166136261
for x in msg:
    h = ((h ^ x) * 16777619) & 0xffffffff
open(d + "/want", "w").write("received %d bytes, fnv1a %08x" % (len(msg), h))
c.sendall(msg)
c.close()
PY
	server=$!
	i=0
	while [ ! -s "$tmp/port" ]; do
		i=$((i + 1))
		[ $i -le 100 ] || { echo "nettest: server did not start" >&2; return 1; }
		sleep 0.1
	done
	port=$(cat "$tmp/port")

	set -- timeout 60 qemu-system-arm -M "$MACHINE" -display none -monitor none \
		-serial stdio -kernel "$OUT/nettest.elf" \
		-semihosting-config enable=on,target=native,arg=nettest,arg="$port" \
		-nic user,model=lan9118
	echo "$*"
	rc=0
	"$@" </dev/null >"$tmp/out" 2>&1 || rc=$?
	cat "$tmp/out"
	wait "$server" || true
	server=

	fail=0
	[ "$rc" -eq 0 ] || { echo "nettest: qemu exited $rc" >&2; fail=1; }
	grep -q "reply: hi from host" "$tmp/out" || { echo "nettest: no reply printed" >&2; fail=1; }
	grep -q "$(cat "$tmp/want" 2>/dev/null || echo "no server")" "$tmp/out" ||
		{ echo "nettest: the guest did not get the reply whole" >&2; fail=1; }
	[ "$(cat "$tmp/got" 2>/dev/null)" = hello ] ||
		{ echo "nettest: the server did not get hello" >&2; fail=1; }
	# the guest's wall clock is the host's (semihosting SYS_TIME), give or take
	t=$(sed -n 's/.*unix time \([0-9]*\),.*/\1/p' "$tmp/out")
	d=$(($(date +%s) - ${t:-0}))
	[ "$d" -ge -5 ] && [ "$d" -le 120 ] ||
		{ echo "nettest: guest time ${t:-none} is not the host's" >&2; fail=1; }
	if [ $fail -eq 0 ]; then
		echo "nettest: PASS $name ($MACHINE)"
		passed=$((passed + 1))
	else
		echo "nettest: FAIL $name ($MACHINE)"
		failed=$((failed + 1))
	fi
}

passed=0
failed=0
run_case short 0
run_case bulk 300000
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
