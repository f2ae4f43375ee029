#!/bin/bash
# Build the libFuzzer targets of tests/fuzz/ with clang (ASan+UBSan) and run
# each for FUZZ_TIME seconds (default 60), seeded from the recorded Windows
# responses and from tests/fuzz/regress/ (inputs that once found a bug; they
# are replayed first, every run).
#
#   FUZZ_TIME=10 scripts/fuzz.sh [TARGET...]
#   FUZZ_RUNS=10000000 FUZZ_TIME=3600 scripts/fuzz.sh   (make fuzz-long: each
#   target until 10 million executions or an hour, whichever comes first)
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_TIME=${FUZZ_TIME:-60}
B=build/fuzz
EXPAT=.deps/expat-2.5.0/expat/lib
MBEDTLS=.deps/mbedtls-3.6.6
mkdir -p $B/obj
scripts/deps.sh
make --no-print-directory build/applets.h >/dev/null
[ -f $B/wrsh_autoconf.h ] || {
	/usr/bin/python3 scripts/kconfig.py defconfig Kconfig configs/full_defconfig $B/.config
	KCONFIG_CONFIG=$B/.config /usr/bin/python3 scripts/kconfig.py header Kconfig $B/wrsh_autoconf.h
}
CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE
 -DWRSH_HAVE_AUTOCONF -Icore -Iport -Iport/mock -Iport/posix -I$B -I.deps/expat-2.5.0/expat/lib
 -Itls -I$MBEDTLS/include -DMBEDTLS_CONFIG_FILE=\"wrsh_mbedtls_config.h\""
objs=()
# an object older than any header is rebuilt too: a struct that grew in a
# header would otherwise meet objects compiled with its old layout
newest_h=$(ls -t core/*.h core/*/*.h port/*.h port/*/*.h tls/*.h $B/wrsh_autoconf.h | head -1)
for f in core/*/*.c port/mock/mock.c port/posix/slot.c port/proxy.c port/dns.c; do
	[ "${f#core/expat/}" = "$f" ] || continue # expat's, built below
	o=$B/obj/$(echo "$f" | tr / _).o
	[ "$o" -nt "$f" ] && [ "$o" -nt "$newest_h" ] || clang $CFLAGS -std=c99 -c "$f" -o "$o"
	objs+=("$o")
done
# xmlparse.c through core/expat/xmlparse_wrsh.c, as the Makefile builds it
for f in core/expat/xmlparse_wrsh.c $EXPAT/xmlrole.c $EXPAT/xmltok.c; do
	o=$B/obj/expat_$(basename "$f" .c).o
	[ "$o" -nt "$f" ] || clang -g -O1 -fsanitize=fuzzer-no-link,address,undefined -w -Icore/expat \
		-Iport/posix -I$EXPAT -c "$f" -o "$o"
	objs+=("$o")
done
# core/crypto/crypto.c takes MD5 from mbedTLS (the same file the real build links),
# and RSA and AES for PSRP's secure strings
for f in md5 platform platform_util rsa rsa_alt_helpers bignum bignum_core constant_time aes \
	aesni aesce md sha1 sha256 sha512 oid asn1parse asn1write psa_util; do
	o=$B/obj/mbedtls_$f.o
	[ -f "$o" ] || clang -g -O1 -fsanitize=fuzzer-no-link,address,undefined -w -Itls -Iport/posix -I$MBEDTLS/include \
		-DMBEDTLS_CONFIG_FILE='"wrsh_mbedtls_config.h"' -c $MBEDTLS/library/$f.c -o "$o"
	objs+=("$o")
done
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(http wsman base64 session ntlm crypt psrp clixml cim secure xfer der krb5 proxy park dns)
status=0
for t in "${targets[@]}"; do
	extra=() # the CLI's own parser of server answers: the master's park
	[ "$t" != park ] || extra=(-Iexamples/cli -Ibuild examples/cli/park.c)
	clang $CFLAGS -fsanitize=fuzzer tests/fuzz/${t}_fuzz.c tests/fuzz/psa_stub.c "${extra[@]}" "${objs[@]}" -o $B/$t
	corpus=$B/corpus/$t
	mkdir -p "$corpus" tests/fuzz/regress/$t
	case $t in
	wsman) # the first byte picks the piece size and the request answered
		i=0
		for x in tests/replay/windows/*/*-response.xml; do
			f=$corpus/$(basename "$(dirname "$x")")-$(basename "$x")
			[ -f "$f" ] || { printf "\\$(printf %o $((i % 8 * 16 + 1)))"; cat "$x"; } >"$f"
			i=$((i + 1))
		done ;;
	session)
		for x in tests/replay/windows/*winrs*/*-response.xml; do
			f=$corpus/$(basename "$(dirname "$x")")-$(basename "$x")
			[ -f "$f" ] || { printf 'HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nContent-Length: %d\r\n\r\n' \
				"$(stat -c %s "$x")"; cat "$x"; } >"$f"
		done ;;
	http) printf 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' >"$corpus/seed1"
	      printf 'HTTP/1.1 500 E\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n' >"$corpus/seed2" ;;
	base64) printf 'aGkNCg==' >"$corpus/seed1" ;;
	proxy) # the first byte picks the piece size; what tinyproxy and squid answer
		printf '\x03HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03' >"$corpus/seed1"
		printf '\x07HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\nContent-Length: 3\r\n\r\nabc' >"$corpus/seed2"
		printf '\x00HTTP/1.1 403 Access violation\nServer: tinyproxy/1.11.1\n\n' >"$corpus/seed3" ;;
	dns) # dnspython 2.3.0's answer with four SRV records (tests/unit/dns_test.c)
		printf '\x12\x34\x81\x00\x00\x01\x00\x02\x00\x00\x00\x00\x09_kerberos\x04_tcp\x07EXAMPLE\x03COM\x00\x00\x21\x00\x01\xc0\x0c\x00\x21\x00\x01\x00\x00\x02\x58\x00\x0d\x00\x00\x00\x0a\x00\x58\x04kdc1\xc0\x1b\xc0\x0c\x00\x21\x00\x01\x00\x00\x02\x58\x00\x07\x00\x00\x00\x00\x00\x00\x00' >"$corpus/seed1" ;;
	ntlm) /usr/bin/python3 -c "import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))" \
		"$(grep '^challenge:' tests/vectors/ntlm.txt | cut -d: -f2)" >"$corpus/seed1" ;;
	psrp) # the PSRP streams Windows sent, decoded from the recordings
		/usr/bin/python3 - "$corpus" tests/replay/windows/pypsrp-psrp-*/*-response.xml <<'PY'
import base64, re, sys
for i, path in enumerate(sys.argv[2:]):
    data = b"".join(base64.b64decode(m) for m in re.findall(
        rb'<rsp:Stream Name="stdout"[^>]*>([^<]+)</rsp:Stream>', open(path, "rb").read()))
    if data:
        open("%s/seed%03d" % (sys.argv[1], i), "wb").write(b"\x07" + data)
PY
		;;
	clixml) # the CLIXML of the messages Windows sent (decoded.txt shows it)
		/usr/bin/python3 - "$corpus" tests/replay/windows/*/decoded.txt <<'PY'
import sys
n = 0
for path in sys.argv[2:]:
    lines = open(path, encoding="utf-8").read().split("\n")
    for i, l in enumerate(lines[:-1]):
        if l.startswith("  MESSAGE ") and "truncated here" not in lines[i + 1] and n < 300:
            open("%s/seed%03d" % (sys.argv[1], n), "wb").write(b"\x05" + lines[i + 1][13:].encode())
            n += 1
PY
		;;
	cim) # the recorded enumeration pages and OMI answers, as both body kinds
		for x in tests/replay/windows/winrb-wql-enumerate-pull/*-response.xml \
			tests/replay/windows/winrb-omi-linux-responses/*-response.xml; do
			n=$(basename "$(dirname "$x")")-$(basename "$x")
			{ printf '\x20\x01'; cat "$x"; } >"$corpus/enum-$n"
			{ printf '\x03\x00'; cat "$x"; } >"$corpus/transfer-$n"
		done ;;
	crypt) printf '\x00<s:Envelope/>' >"$corpus/seed1"; printf '\x0f<s:Envelope/>X' >"$corpus/seed2" ;;
	secure) cp tests/fuzz/seeds/secure/[a-z]* "$corpus"/; rm -f "$corpus"/README ;;
	xfer) cp tests/fuzz/seeds/xfer/* "$corpus"/ ;; # what the get script prints, a line each
	park) # Windows' CreateResponse, then its CommandResponse (the first byte: where to cut)
		w=tests/replay/windows/pypsrp-winrs-standard
		c=$(stat -c %s $w/001-response.xml) all=$((c + $(stat -c %s $w/002-response.xml)))
		{ printf "\\$(printf %o $((c * 256 / all + 1)))"; cat $w/001-response.xml $w/002-response.xml; } >"$corpus/seed1" ;;
	der | krb5) cp tests/vectors/krb5/*.der tests/vectors/krb5/*.ccache tests/vectors/krb5/*.keytab "$corpus"/ ;; # what MIT's kinit and KDC said
	esac
	if [ -n "$(ls tests/fuzz/regress/$t)" ]; then
		$B/$t tests/fuzz/regress/$t/* >/dev/null 2>&1 || { echo "fuzz: $t regression input fails"; status=1; }
	fi
	echo "fuzz: $t for ${FUZZ_TIME}s${FUZZ_RUNS:+ or $FUZZ_RUNS runs}"
	if ! $B/$t -max_total_time="$FUZZ_TIME" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} -print_final_stats=1 \
		-artifact_prefix=$B/$t- "$corpus" 2>$B/$t.log; then
		echo "fuzz: $t found a crash:"; grep -E "ERROR|SUMMARY|Test unit written" $B/$t.log | head -5
		status=1
	fi
	grep -E "^stat::number_of_executed_units|^cov:|#[0-9]+.*DONE" $B/$t.log | tail -2 | sed "s/^/fuzz: $t /"
done
exit $status
