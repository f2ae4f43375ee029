/* The DER reader (core/auth/der.c) over any bytes: every TLV walked,
 * constructed ones entered (as deep as 16), every field asked for as
 * Kerberos' decoders ask, every INTEGER read. Under ASan a read past
 * the input is a crash. */
#include <stddef.h>
#include <stdint.h>

#include "auth/der.h"

static void walk(struct der in, int depth)
{
	struct der c, f;
	unsigned tag, n;
	int64_t v;
	while (in.n && !der_next(&in, &tag, &c)) {
		if (tag == DER_INTEGER)
			(void)der_int32(&c, &v);
		if (!(tag & 0x20) || depth >= 16)
			continue;
		for (n = 0; n < 13; n++) {
			(void)der_field(&c, n, &f);
			(void)der_field_int(&c, n, &v);
			(void)der_field_value(&c, n, DER_OCTET_STRING, &f);
		}
		walk(c, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct der in = {data, size};
	walk(in, 0);
	return 0;
}
