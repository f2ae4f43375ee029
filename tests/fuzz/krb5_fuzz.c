/* What a KDC answers (core/auth/krb5_msg.c) from any bytes: read as a
 * KRB-ERROR and as an AS-REP (whose encrypted part a fixed key cannot
 * open, so the reading up to the MAC is what runs here). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "auth/krb5_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t copy[1 << 16];
	struct krb5_error e;
	struct krb5_as_rep r;
	struct krb5_key k;
	if (size > sizeof(copy))
		return 0;
	(void)krb5_parse_error(data, size, &e);
	memset(&k, 0x5a, sizeof(k));
	k.etype = 18;
	k.len = 32;
	memcpy(copy, data, size);
	(void)krb5_parse_as_rep(copy, size, &k, 1, &r);
	return 0;
}
