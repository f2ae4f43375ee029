#!/bin/sh
# Install the Debian packages wrsh needs, if they are missing.
#
#   scripts/bootstrap.sh demo    build + the test endpoint
#   scripts/bootstrap.sh check   everything `make check` uses (cross, sanitizers, ...,
#                                PowerShell 7 as a .NET global tool)
#   scripts/bootstrap.sh bench   build, the endpoint and the peers of `make bench`
#   scripts/bootstrap.sh bench-xfer   the same for `make bench-xfer` (Ansible, PowerShell 7)
#
# Runs as root (CI) or through sudo. Debian 12 (bookworm) package names.
set -eu

DEMO="gcc make dpkg-dev ca-certificates python3-kconfiglib python3-cryptography gss-ntlmssp python3-gssapi"
CHECK="$DEMO python3-winrm python3-impacket dnsmasq-base krb5-kdc krb5-admin-server krb5-user python3-requests-kerberos faketime musl-tools valgrind clang libclang-rt-14-dev openssl time pkg-config tinyproxy squid
 libmbedtls-dev libexpat1-dev qemu-user-static
 gcc-arm-linux-gnueabihf libc6-dev-armhf-cross gcc-aarch64-linux-gnu libc6-dev-arm64-cross
 gcc-mipsel-linux-gnu libc6-dev-mipsel-cross gcc-mips-linux-gnu libc6-dev-mips-cross
 gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm iproute2
 ansible-core ansible"
# the peers: python3-winrm, and masterzen/winrm's Go sources built in GOPATH mode
BENCH="$DEMO python3-winrm time valgrind golang-go golang-github-masterzen-winrm-dev krb5-kdc krb5-admin-server krb5-user python3-requests-kerberos"
# make bench-xfer's peer: Ansible's winrm connection plugin
BENCH_XFER="$DEMO python3-winrm time ansible-core"

case "${1:-check}" in
demo) want=$DEMO ;;
check) want=$CHECK ;;
bench) want=$BENCH ;;
bench-xfer) want=$BENCH_XFER ;;
*) echo "usage: $0 demo|check|bench|bench-xfer" >&2; exit 2 ;;
esac

# PowerShell 7 (a .NET global tool) for the real-PowerShell tests: the
# user's own tool, installed without sudo; fatal only under CI=true
pwsh_tool() {
	pwsh=${WRSH_PWSH:-$HOME/.dotnet/tools/pwsh}
	"$pwsh" -NoLogo -NoProfile -c 'exit 0' >/dev/null 2>&1 && return 0
	if ! command -v dotnet >/dev/null 2>&1; then
		why="no dotnet (the .NET SDK) on PATH to install PowerShell with"
	elif out=$(dotnet tool install --global PowerShell --version 7.6.9 2>&1); then
		if "$pwsh" -NoLogo -NoProfile -c 'exit 0' >/dev/null 2>&1; then
			echo "bootstrap: installed PowerShell 7.6.9 ($pwsh)"
			return 0
		fi
		why="PowerShell 7.6.9 installed ($out) but $pwsh does not run"
	else
		why="dotnet tool install --global PowerShell --version 7.6.9 failed: $out"
	fi
	if [ "${CI:-}" = true ]; then
		echo "bootstrap: $why" >&2
		exit 1
	fi
	echo "bootstrap: warning: $why; the real-PowerShell tests (tests/cli/test_ps_real.py) are skipped" >&2
}

missing=
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	SUDO=
	[ "$(id -u)" = 0 ] || SUDO=sudo
	echo "bootstrap: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
case "${1:-check}" in check | bench-xfer) pwsh_tool ;; esac
exit 0
