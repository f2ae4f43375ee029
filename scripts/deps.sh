#!/bin/sh
# Fetch and unpack the upstream sources of mbedTLS, expat, musl and lwIP from
# Debian's source packages into .deps/ (ignored by git, kept between builds).
#
#   scripts/deps.sh          fetch if missing, then unpack if missing
#
# mbedTLS 3.6 LTS comes from Debian 13 (trixie): bookworm only has 2.28, which
# is past its end of life and has no TLS 1.3. expat 2.5.0 comes from bookworm
# with Debian's CVE patches applied by dpkg-source. Versions are pinned; the
# suite name is the fallback for when the archive has moved on.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
deps=$top/.deps
src=$deps/src
MBEDTLS_VER=3.6.6
MBEDTLS_DEB=3.6.6-0.1~deb13u1
EXPAT_VER=2.5.0
EXPAT_DEB=2.5.0-1+deb12u2
MUSL_VER=1.2.5
MUSL_DEB=1.2.5-3.1~deb13u1
LWIP_VER=2.2.1
LWIP_DEB=2.2.1+dfsg1-1+deb13u1

mkdir -p "$src"

have_dsc() { ls "$src"/"$1"_*.dsc >/dev/null 2>&1; }

add_deb_src() {
	f=/etc/apt/sources.list.d/wrsh-src.sources
	[ -f "$f" ] && return 0
	[ "$(id -u)" = 0 ] || { echo "deps: need root to add a deb-src entry ($f)" >&2; exit 1; }
	cat >"$f" <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	apt-get update -qq
}

fetch() { # package pinned-version suite
	have_dsc "$1" && return 0
	add_deb_src
	(cd "$src" && { apt-get source --download-only -qq "$1=$2" 2>/dev/null ||
		apt-get source --download-only -qq "$1/$3"; })
}

unpack_mbedtls() {
	[ -f "$deps/mbedtls-$MBEDTLS_VER/include/mbedtls/ssl.h" ] && return 0
	tar -C "$deps" -xjf "$src/mbedtls_$MBEDTLS_VER.orig.tar.bz2"
}

unpack_expat() {
	[ -f "$deps/expat-$EXPAT_VER/expat/lib/xmlparse.c" ] && return 0
	command -v dpkg-source >/dev/null || { echo "deps: dpkg-source missing (apt-get install dpkg-dev)" >&2; exit 1; }
	rm -rf "$deps/expat-$EXPAT_VER"
	(cd "$deps" && dpkg-source -q -x "$src"/expat_*.dsc "expat-$EXPAT_VER" >/dev/null)
}

# musl, for static cross builds (scripts/musl-cross.sh); upstream tarball only
unpack_musl() {
	[ -f "$deps/musl-$MUSL_VER/configure" ] && return 0
	tar -C "$deps" -xzf "$src/musl_$MUSL_VER.orig.tar.gz"
}

# lwIP, for port/lwip (the NO_SYS raw-API port and the Cortex-M image);
# Debian's patches applied, as for expat
unpack_lwip() {
	[ -f "$deps/lwip-$LWIP_VER/src/core/tcp.c" ] && return 0
	rm -rf "$deps/lwip-$LWIP_VER"
	(cd "$deps" && dpkg-source -q -x "$src"/lwip_*.dsc "lwip-$LWIP_VER" >/dev/null)
}

fetch mbedtls "$MBEDTLS_DEB" trixie
fetch expat "$EXPAT_DEB" bookworm
fetch musl "$MUSL_DEB" trixie
fetch lwip "$LWIP_DEB" trixie
unpack_mbedtls
unpack_expat
unpack_musl
unpack_lwip
