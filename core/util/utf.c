#include <stdbool.h>

#include "utf.h"

wrsh_err utf8_next(const uint8_t *s, size_t n, uint32_t *cp, size_t *used)
{
	uint32_t c, min;
	size_t len, i;
	if (!n)
		return WRSH_EPROTO;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		*used = 1;
		return WRSH_OK;
	}
	if ((c & 0xE0) == 0xC0) {
		len = 2, c &= 0x1F, min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		len = 3, c &= 0x0F, min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return WRSH_EPROTO;
	}
	if (n < len)
		return WRSH_EPROTO;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return WRSH_EPROTO;
		c = c << 6 | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return WRSH_EPROTO;
	*cp = c;
	*used = len;
	return WRSH_OK;
}

wrsh_err utf8_validate(const void *s, size_t n)
{
	const uint8_t *p = s;
	size_t used;
	uint32_t cp;
	while (n) {
		if (*p < 0x80) {
			p++, n--;
			continue;
		}
		if (utf8_next(p, n, &cp, &used))
			return WRSH_EPROTO;
		p += used, n -= used;
	}
	return WRSH_OK;
}

static void put16(uint8_t *o, uint32_t v)
{
	o[0] = (uint8_t)v;
	o[1] = (uint8_t)(v >> 8);
}

wrsh_err utf8_to_utf16le(const void *in, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
	const uint8_t *p = in;
	size_t o = 0, used;
	uint32_t cp;
	while (n) {
		if (utf8_next(p, n, &cp, &used))
			return WRSH_EPROTO;
		p += used, n -= used;
		if (cp >= 0x10000) {
			if (out && o + 4 <= cap) {
				cp -= 0x10000;
				put16(out + o, 0xD800 | cp >> 10);
				put16(out + o + 2, 0xDC00 | (cp & 0x3FF));
			}
			o += 4;
		} else {
			if (out && o + 2 <= cap)
				put16(out + o, cp);
			o += 2;
		}
	}
	*outlen = o;
	return o > cap ? WRSH_ELIMIT : WRSH_OK;
}

size_t utf8_put(uint32_t c, char *o)
{
	uint8_t *u = (uint8_t *)o;
	if (c < 0x80) {
		u[0] = (uint8_t)c;
		return 1;
	}
	if (c < 0x800) {
		u[0] = (uint8_t)(0xC0 | c >> 6);
		u[1] = (uint8_t)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		u[0] = (uint8_t)(0xE0 | c >> 12);
		u[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
		u[2] = (uint8_t)(0x80 | (c & 0x3F));
		return 3;
	}
	u[0] = (uint8_t)(0xF0 | c >> 18);
	u[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
	u[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
	u[3] = (uint8_t)(0x80 | (c & 0x3F));
	return 4;
}

static size_t len8(uint32_t c)
{
	return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

wrsh_err utf16le_to_utf8(const uint8_t *in, size_t n, char *out, size_t cap, size_t *outlen)
{
	size_t i = 0, o = 0;
	if (n & 1)
		return WRSH_EPROTO;
	while (i < n) {
		uint32_t c = (uint32_t)in[i] | (uint32_t)in[i + 1] << 8;
		i += 2;
		if (c >= 0xDC00 && c <= 0xDFFF)
			return WRSH_EPROTO;
		if (c >= 0xD800 && c <= 0xDBFF) {
			uint32_t d;
			if (i + 2 > n)
				return WRSH_EPROTO;
			d = (uint32_t)in[i] | (uint32_t)in[i + 1] << 8;
			if (d < 0xDC00 || d > 0xDFFF)
				return WRSH_EPROTO;
			i += 2;
			c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
		}
		if (out && o + len8(c) <= cap)
			utf8_put(c, out + o);
		o += len8(c);
	}
	*outlen = o;
	return o > cap ? WRSH_ELIMIT : WRSH_OK;
}

static uint32_t upper(uint32_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7))
		return c - 0x20;
	if (c == 0xFF)
		return 0x178;
	if (c >= 0x100 && c <= 0x17E && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149) {
		/* Latin Extended-A pairs: even upper, odd lower, except the
		 * 0x139..0x148 and 0x179..0x17E runs, which are odd upper */
		bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
		if (odd_upper ? !(c & 1) : (c & 1))
			return c - 1;
		return c;
	}
	if ((c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) || (c >= 0x430 && c <= 0x44F))
		return c - 0x20;
	if (c >= 0x450 && c <= 0x45F)
		return c - 0x50;
	return c;
}

void utf16le_upper(uint8_t *p, size_t n)
{
	size_t i;
	for (i = 0; i + 1 < n; i += 2) {
		uint32_t c = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8, u = upper(c);
		p[i] = (uint8_t)u;
		p[i + 1] = (uint8_t)(u >> 8);
	}
}
