/* libFuzzer: streaming base64. Decoding in two pieces must equal decoding
 * whole, and whatever decodes must encode back to the same canonical text
 * after whitespace removal. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t a[B64_DEC_MAX(4096)], b[B64_DEC_MAX(4096)];
	static char enc[B64_ENC_LEN(B64_DEC_MAX(4096))];
	struct b64_dec d1, d2;
	size_t n1, n2, n3, cut;
	wrsh_err e1, e2;
	if (size < 1 || size > 4096)
		return 0;
	cut = data[0] % size;
	b64_dec_init(&d1);
	e1 = b64_dec_push(&d1, (const char *)data, size, a, &n1);
	if (!e1)
		e1 = b64_dec_finish(&d1);
	b64_dec_init(&d2);
	e2 = b64_dec_push(&d2, (const char *)data, cut, b, &n2);
	if (!e2) {
		e2 = b64_dec_push(&d2, (const char *)data + cut, size - cut, b + n2, &n3);
		n2 += n3;
	}
	if (!e2)
		e2 = b64_dec_finish(&d2);
	if (e1 != e2 || (!e1 && (n1 != n2 || memcmp(a, b, n1))))
		__builtin_trap();
	if (!e1) {
		size_t k = b64_encode(a, n1, enc);
		struct b64_dec d3;
		b64_dec_init(&d3);
		if (b64_dec_push(&d3, enc, k, b, &n3) || n3 != n1 || memcmp(a, b, n1))
			__builtin_trap();
	}
	return 0;
}
