/* libFuzzer: the HTTP response parser. The first byte picks the piece size,
 * so splits are fuzzed too; the body sink discards. */
#include <stddef.h>
#include <stdint.h>

#include "wsman/http.h"

static wrsh_err body(void *ctx, const uint8_t *p, size_t n)
{
	(void)ctx, (void)p, (void)n;
	return WRSH_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[CONFIG_WRSH_HTTP_MAX_LINE];
	struct http_sink sink = {NULL, NULL, NULL, body, NULL};
	struct errbuf e = {WRSH_OK, ""};
	struct http_resp r;
	size_t step, off = 1, used;
	if (!size)
		return 0;
	step = (size_t)data[0] % 64 + 1;
	http_resp_init(&r, line, &sink, &e);
	while (off < size) {
		size_t k = size - off < step ? size - off : step;
		if (http_resp_push(&r, data + off, k, &used) || used < k)
			return 0;
		off += k;
	}
	(void)http_resp_eof(&r);
	return 0;
}
