#!/bin/bash
# The Cortex-M images of examples/firmware/mps2: for each profile, the
# library's objects as `make freestanding-check` builds them (PORT=lwip,
# newlib, no OS) linked with lwIP, the LAN9118 driver, the board and app.c
# into build/mps2-<profile>/wrsh.elf. The link fails on any heap, stdio,
# environment, file or exit call (build.mk's FORBID).
#   scripts/firmware.sh [PROFILE...]      default: tiny full
set -euo pipefail
cd "$(dirname "$0")/.."
CROSS=${CROSS:-arm-none-eabi-}
CPU=${CPU:-cortex-m4}
OPT="-Os -mcpu=$CPU -mthumb -ffunction-sections -fdata-sections"
profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(tiny full)
scripts/deps.sh
for profile in "${profiles[@]}"; do
	B=build/freestanding-$profile
	mk=(make --no-print-directory -s B="$B" PROFILE="$profile" PORT=lwip CC="${CROSS}gcc"
		AR="${CROSS}ar" STATIC=1 OPT="$OPT")
	"${mk[@]}" -j"$(nproc)" freestanding-objs
	# one make each: two print targets in one -j make print in either order
	read -r -a objs < <("${mk[@]}" -j1 print-FREE_OBJ)
	read -r -a libs < <("${mk[@]}" -j1 print-DEP_LIBS)
	# the arena and stack each profile's jobs need on this 32-bit target,
	# with room: peaks measured under qemu (make qemu-check prints them):
	# tiny's cmd 36,288 and 2,568; full's ps 73,264 and HTTPS 4,796
	case $profile in
	tiny) arena=40960 stack=6144 ;;
	*) arena=81920 stack=8192 ;;
	esac
	# ARENA and STACK are flags, not files: what they shape is rebuilt
	rm -f "build/mps2-$profile/app.o" "build/mps2-$profile/wrsh.elf"
	make --no-print-directory -s -f examples/firmware/mps2/build.mk -j"$(nproc)" \
		OUT="build/mps2-$profile" CPU="$CPU" WRSH_B="$B" WRSH_OBJS="${objs[*]}" \
		WRSH_LIBS="${libs[*]}" ARENA=$arena STACK=$stack "build/mps2-$profile/wrsh.elf" >/dev/null
done
