#!/bin/bash
# Static bars: no allocation outside the arena, the include graph is the
# layer graph, third-party headers stay in their modules, and the code is
# formatted. Prints what breaks a rule and fails.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0
bad() { echo "lint: $*"; fail=1; }

# 1. no malloc & co. in the library (the arena carves the caller's buffer)
hits=$(grep -nE '\b(malloc|calloc|realloc|strdup|free)\s*\(' core/*.c core/*/*.c port/*/*.c tls/*.c \
	2>/dev/null | grep -vE '^core/mem\.c:' | grep -vE '^\S+:\s*(/?\*|//)')
[ -z "$hits" ] || bad "allocation outside the arena:"$'\n'"$hits"

# 2. core/ makes no OS calls: only the port may include these
hits=$(grep -nE '#include <(sys/|unistd\.h|time\.h|stdio\.h|netdb\.h|poll\.h|fcntl\.h|signal\.h|pthread)' \
	core/*.c core/*.h core/*/*.c core/*/*.h 2>/dev/null | grep -v '^core/expat/')
[ -z "$hits" ] || bad "OS headers in core/:"$'\n'"$hits"

# 3. the include graph is the layer graph
layer_of() { # module -> rank; a module may include its rank or lower
	case $1 in
	mem|err|config|check_config|wrsh_config_defaults|wrsh_autoconf|wrsh|port|util/*) echo 0 ;;
	base64|bytes|guid|hex|str|utf|crypto) echo 0 ;;
	http|xml|auth/ntlm|crypt|psrp/fragment|psrp/message|psrp/clixml|psrp/build|psrp/secure) echo 1 ;;
	wsman) echo 2 ;;
	winrs|cim/instance) echo 3 ;;
	session|psrp/pool|cim/ops) echo 4 ;;
	*) echo 9 ;;
	esac
}
for f in core/*.c core/*.h core/util/*.c core/util/*.h core/auth/*.c core/auth/*.h core/psrp/*.c \
	core/psrp/*.h core/cim/*.c core/cim/*.h; do
	m=${f#core/}; m=${m%.*}
	# the session layer's parts: WinRS calls, transactions, the auth handshake
	case $m in shell|exchange|auth/negotiate|psrp/pool|cim/ops) m=session ;; esac
	mine=$(layer_of "$m")
	for inc in $(grep -oE '#include "[^"]+"' "$f" | sed 's/#include "//; s/"$//'); do
		case $inc in mbedtls/*) continue ;; esac # rule below
		i=${inc%.h}
		d=${f%/*} # an include beside the file, as "ntlm.h" in core/auth/
		[ "$d" != core ] && [ -f "$d/$inc" ] && i=${d#core/}/$i
		[ "$(layer_of "$i")" -le "$mine" ] || bad "$f includes $inc from a higher layer"
	done
done
grep -lE '#include [<"]expat' core/*.c | grep -vq '^core/xml\.c$' && bad "expat.h outside core/xml.c"
# mbedTLS belongs to tls/ and to the one crypto shim of core
hits=$(grep -rlE '#include [<"]mbedtls/' core port examples 2>/dev/null | grep -v '^core/crypto\.c$')
[ -z "$hits" ] || bad "mbedTLS headers outside tls/ and core/crypto.c: $hits"

# 4. no file-scope mutable state in core/ beyond the documented expat and mbedTLS hooks
hits=$(grep -nE '^static [a-z_ ]+\*?[a-z_]+( =|;|\[)' core/*.c core/util/*.c core/auth/*.c core/psrp/*.c \
	core/cim/*.c | grep -v 'const' |
	grep -v 'xml_cur_arena' | grep -v 'crypto_cur_arena')
[ -z "$hits" ] || bad "file-scope state in core/:"$'\n'"$hits"

# 5. formatting (the committed .clang-format)
if command -v clang-format >/dev/null; then
	files=$(git ls-files '*.c' '*.h' | grep -vE '^(core/expat/|tests/replay/windows/)')
	# shellcheck disable=SC2086
	clang-format --dry-run --Werror $files 2>/dev/null || bad "clang-format: run 'make format'"
fi
exit $fail
