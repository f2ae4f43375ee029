#!/bin/bash
# Static bars: no allocation outside the arena, the include graph is the
# layer graph, third-party headers stay in their modules, and the code is
# formatted. Prints what breaks a rule and fails.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0
bad() { echo "lint: $*"; fail=1; }

# 1. no malloc & co. in the library (the arena carves the caller's buffer)
hits=$(grep -nE '\b(malloc|calloc|realloc|strdup|free)\s*\(' core/*/*.c port/*.c port/*/*.c tls/*.c \
	2>/dev/null | grep -vE '^core/base/mem\.c:' | grep -vE '^\S+:\s*(/?\*|//)')
[ -z "$hits" ] || bad "allocation outside the arena:"$'\n'"$hits"

# 2. core/ makes no OS calls: only the port may include these
hits=$(grep -nE '#include <(sys/|unistd\.h|time\.h|stdio\.h|netdb\.h|poll\.h|fcntl\.h|signal\.h|pthread)' \
	core/*.c core/*.h core/*/*.c core/*/*.h 2>/dev/null | grep -v '^core/expat/')
[ -z "$hits" ] || bad "OS headers in core/:"$'\n'"$hits"

# 3. the include graph is the layer graph: a folder of core/ is a layer, and
# a file includes only its own folder's headers or a lower layer's
rank_of() { # folder of core/ -> rank
	case $1 in
	base|util|crypto) echo 0 ;; # the arena, errors, strings, hashes, the build's facts
	auth) echo 1 ;;		    # authentication mechanisms (NTLM)
	wsman) echo 2 ;;	    # the WS-Man client core: HTTP, XML, envelopes, sealing, session
	winrs|cim) echo 3 ;;	    # protocols on WS-Man
	psrp) echo 4 ;;		    # PowerShell Remoting, on WinRS
	xfer) echo 5 ;;		    # file transfer, on PSRP
	*) echo 9 ;;
	esac
}
for f in core/*/*.c core/*/*.h; do
	d=${f#core/}; d=${d%%/*}
	[ "$d" = expat ] && continue
	mine=$(rank_of "$d")
	for inc in $(grep -oE '#include "[^"]+"' "$f" | sed 's/#include "//; s/"$//'); do
		case $inc in
		mbedtls/*) continue ;; # rule below
		*/*) r=$(rank_of "${inc%%/*}") ;;
		wrsh.h | config.h | check_config.h | wrsh_config_defaults.h | wrsh_autoconf.h | port.h | tls.h) r=0 ;;
		*) if [ -f "core/$d/$inc" ]; then r=$mine; else r=9; fi ;;
		esac
		[ "$r" -le "$mine" ] || bad "$f includes $inc from a higher layer"
	done
done
# (core/expat/ is expat's build glue, not a user of its API)
grep -lE '#include [<"]expat' core/*/*.c | grep -v '^core/expat/' | grep -vq '^core/wsman/xml\.c$' &&
	bad "expat.h outside core/wsman/xml.c"
# mbedTLS belongs to tls/ and to core's crypto shims (core/crypto/*.c)
hits=$(grep -rlE '#include [<"]mbedtls/' core port examples 2>/dev/null | grep -v '^core/crypto/[a-z0-9_]*\.c$')
[ -z "$hits" ] || bad "mbedTLS headers outside tls/ and core/crypto/*.c: $hits"

# 4. no file-scope mutable state in core/ beyond the documented expat hook
hits=$(grep -nE '^static [a-z_ ]+\*?[a-z_]+( =|;|\[)' core/*/*.c | grep -v 'const')
[ -z "$hits" ] || bad "file-scope state in core/:"$'\n'"$hits"

# 5. formatting (the committed .clang-format)
if command -v clang-format >/dev/null; then
	files=$(git ls-files '*.c' '*.h' | grep -vE '^(core/expat/|tests/replay/windows/)')
	# shellcheck disable=SC2086
	clang-format --dry-run --Werror $files 2>/dev/null || bad "clang-format: run 'make format'"
fi
exit $fail
