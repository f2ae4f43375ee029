/* libFuzzer: a DNS answer to an SRV query (port/dns.c), whatever the
 * network sends: it parses or is refused, and what it keeps is sorted,
 * NUL-ended, printable and within the cap. The first two bytes are the ID
 * asked for, so mutations reach the sections behind the header check. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wrsh_srv out[3];
	struct dns_answer a;
	size_t i, j;
	uint16_t id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
	if (dns_srv_answer(data, size, id, "_kerberos._tcp.EXAMPLE.COM", out, 3, &a))
		return 0;
	if (a.n > 3)
		__builtin_trap();
	for (i = 0; i < a.n; i++) {
		size_t n = strlen(out[i].target);
		if (!n || n > 253)
			__builtin_trap();
		for (j = 0; j < n; j++)
			if (out[i].target[j] <= ' ' || out[i].target[j] >= 0x7f)
				__builtin_trap();
		if (i &&
		    (out[i - 1].priority > out[i].priority ||
		     (out[i - 1].priority == out[i].priority && out[i - 1].weight < out[i].weight)))
			__builtin_trap();
	}
	return 0;
}
