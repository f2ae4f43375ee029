#include <string.h>

#include "guid.h"
#include "hex.h"

/* dash positions in the text form */
static int is_dash_at(size_t i)
{
	return i == 8 || i == 13 || i == 18 || i == 23;
}

void guid_format(const uint8_t g[16], char out[GUID_STR_LEN + 1])
{
	size_t i, k = 0;
	for (i = 0; i < GUID_STR_LEN; i++) {
		if (is_dash_at(i)) {
			out[i] = '-';
			continue;
		}
		out[i] = hex_digit_upper((k & 1) ? g[k / 2] & 15 : g[k / 2] >> 4);
		k++;
	}
	out[GUID_STR_LEN] = 0;
}

wrsh_err guid_parse(const char *s, size_t n, uint8_t g[16])
{
	size_t i, k = 0;
	if (n >= 5 && (memcmp(s, "uuid:", 5) == 0 || memcmp(s, "UUID:", 5) == 0))
		s += 5, n -= 5;
	if (n == GUID_STR_LEN + 2 && s[0] == '{' && s[n - 1] == '}')
		s++, n -= 2;
	if (n != GUID_STR_LEN)
		return WRSH_EPROTO;
	for (i = 0; i < n; i++) {
		int v;
		if (is_dash_at(i)) {
			if (s[i] != '-')
				return WRSH_EPROTO;
			continue;
		}
		v = hex_value(s[i]);
		if (v < 0)
			return WRSH_EPROTO;
		if (k & 1)
			g[k / 2] = (uint8_t)(g[k / 2] | v);
		else
			g[k / 2] = (uint8_t)(v << 4);
		k++;
	}
	return WRSH_OK;
}

void guid_v4(uint8_t g[16])
{
	g[6] = (uint8_t)((g[6] & 0x0F) | 0x40);
	g[8] = (uint8_t)((g[8] & 0x3F) | 0x80);
}
