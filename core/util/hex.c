#include "hex.h"

char hex_digit_upper(uint8_t v)
{
	return "0123456789ABCDEF"[v & 15];
}

int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void hex_encode(const void *in, size_t n, char *out)
{
	const uint8_t *p = in;
	size_t i;
	for (i = 0; i < n; i++) {
		out[2 * i] = "0123456789abcdef"[p[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[p[i] & 15];
	}
}

wrsh_err hex_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
	size_t i;
	if (n != 2 * cap)
		return WRSH_EPROTO;
	for (i = 0; i < cap; i++) {
		int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return WRSH_EPROTO;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return WRSH_OK;
}
