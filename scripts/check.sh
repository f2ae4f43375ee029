#!/bin/bash
# Every test, as CI runs it (`make check`). Each step prints its name and how
# long it took; the first failure stops the run. Long fuzzing and
# benchmarks are `make fuzz` and `make bench`; here they get a short pass.
set -euo pipefail
cd "$(dirname "$0")/.."
export MAKEFLAGS="--no-print-directory -j$(nproc)"
FUZZ_TIME=${FUZZ_TIME:-15}
t0=$(date +%s)

step() {
	local name=$1 s
	shift
	s=$(date +%s)
	echo "=== check: $name"
	"$@"
	echo "=== check: $name ok ($(($(date +%s) - s)) s)"
}

step "deps" scripts/deps.sh
step "lint: allocation, layering, format" scripts/lint.sh
step "full profile, gcc: unit, replay, NTLM interop, endpoint, CLI, hostile server, lwIP port" make test
step "layers: no object references a higher layer" scripts/layers.sh
step "install, a program against it through pkg-config, uninstall" make test-install
step "tiny profile: unit, replay, CLI" make PROFILE=tiny test-unit test-cli
step "clang -Werror: unit, replay" make CC=clang test-unit
step "no mutable state in core/ and tls/ objects" make check-state
step "freestanding: core/, tls/, expat, mbedTLS for Cortex-M import no libc beyond pure string functions" make freestanding-check
step "firmware: Cortex-M4 images (tiny, full) under qemu-system-arm MPS2-AN386, lwIP, the endpoint" make qemu-check
step "stack: every library frame within 1 KB" make check-stack
step "ThreadSanitizer: sessions in parallel threads" make test-tsan
step "ASan+UBSan: unit, replay, NTLM interop, CLI (the imitation), hostile server" env WRSH_REAL_PWSH=skip make SAN=asan test-unit test-interop test-cli test-hostile
step "ASan+UBSan: put and get against real PowerShell" make SAN=asan test-xfer
step "ASan+UBSan: the lwIP port on a tap" make SAN=asan lwip-check
step "valgrind: unit, replay, a CLI session" scripts/valgrind-cli.sh
step "static glibc + musl" make static
step "musl static: unit, replay" make LIBC=musl test-unit
for a in armhf aarch64 mipsel; do
	step "cross $a: unit, replay under qemu" make ARCH=$a all test-unit
done
# big-endian: NTLM's little-endian fields against gss-ntlmssp and impacket
step "cross mips: unit, replay, NTLM interop under qemu" make ARCH=mips all test-unit test-interop
step "distribution mbedTLS 2.28 + expat (packagers)" make SYSTEM_LIBS=1 all test-unit
step "fuzz, ${FUZZ_TIME}s per target" env FUZZ_TIME="$FUZZ_TIME" scripts/fuzz.sh
step "bench-xfer, a short pass (4 MiB beside Ansible)" env BENCH_QUICK=1 scripts/bench-xfer.sh
step "size report" scripts/size.sh
echo "=== check: all passed in $(($(date +%s) - t0)) s"
