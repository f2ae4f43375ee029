/* Streaming base64. The decoder works a quantum at a time from a table; the
 * fast path takes four characters at once when no state is pending. */
#include "base64.h"

static const char enc_tab[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63 value, 64 whitespace, 65 padding, 255 invalid */
#define WS 64
#define PAD 65
#define BAD 255
/* clang-format off */
static const uint8_t dec_tab[256] = {
#define R8(x) x, x, x, x, x, x, x, x
	R8(BAD), BAD, WS, WS, BAD, BAD, WS, BAD, BAD, R8(BAD), R8(BAD),
	WS, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, 62, BAD, BAD, BAD, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, BAD, BAD, BAD, PAD, BAD, BAD,
	BAD, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, BAD, BAD, BAD, BAD, BAD,
	BAD, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, BAD, BAD, BAD, BAD, BAD,
	R8(BAD), R8(BAD), R8(BAD), R8(BAD), R8(BAD), R8(BAD), R8(BAD), R8(BAD),
	R8(BAD), R8(BAD), R8(BAD), R8(BAD), R8(BAD), R8(BAD), R8(BAD), R8(BAD),
#undef R8
};
/* clang-format on */

void b64_dec_init(struct b64_dec *d)
{
	d->acc = 0;
	d->nacc = 0;
	d->pad = 0;
}

/* One character through the state machine. */
static wrsh_err dec_slow(struct b64_dec *d, uint8_t v, uint8_t **o)
{
	if (v == WS)
		return WRSH_OK;
	if (v == BAD)
		return WRSH_EPROTO;
	if (v == PAD) {
		/* "xx==" or "xxx=": padding only after two or three sextets */
		if (d->nacc + d->pad < 2)
			return WRSH_EPROTO;
		if (++d->pad + d->nacc > 4)
			return WRSH_EPROTO;
		if (d->nacc + d->pad == 4) {
			if (d->nacc == 2) {
				*(*o)++ = (uint8_t)(d->acc >> 4);
			} else {
				*(*o)++ = (uint8_t)(d->acc >> 10);
				*(*o)++ = (uint8_t)(d->acc >> 2);
			}
			d->nacc = 0;
			d->acc = 0;
			d->pad = 4; /* complete: nothing but whitespace may follow */
		}
		return WRSH_OK;
	}
	if (d->pad)
		return WRSH_EPROTO;
	d->acc = d->acc << 6 | v;
	if (++d->nacc == 4) {
		*(*o)++ = (uint8_t)(d->acc >> 16);
		*(*o)++ = (uint8_t)(d->acc >> 8);
		*(*o)++ = (uint8_t)d->acc;
		d->nacc = 0;
		d->acc = 0;
	}
	return WRSH_OK;
}

wrsh_err b64_dec_push(struct b64_dec *d, const char *s, size_t n, uint8_t *out, size_t *outlen)
{
	const uint8_t *p = (const uint8_t *)s, *end = p + n;
	uint8_t *o = out;
	wrsh_err err;

	while (p < end) {
		if (d->nacc == 0 && !d->pad) {
			/* fast path: whole quanta of plain alphabet characters */
			while (end - p >= 4) {
				uint32_t a = dec_tab[p[0]], b = dec_tab[p[1]];
				uint32_t c = dec_tab[p[2]], e = dec_tab[p[3]];
				if ((a | b | c | e) & 0xC0)
					break;
				a = a << 18 | b << 12 | c << 6 | e;
				o[0] = (uint8_t)(a >> 16);
				o[1] = (uint8_t)(a >> 8);
				o[2] = (uint8_t)a;
				o += 3;
				p += 4;
			}
			if (p == end)
				break;
		}
		err = dec_slow(d, dec_tab[*p++], &o);
		if (err) {
			*outlen = (size_t)(o - out);
			return err;
		}
	}
	*outlen = (size_t)(o - out);
	return WRSH_OK;
}

wrsh_err b64_dec_finish(const struct b64_dec *d)
{
	return d->nacc == 0 && (d->pad == 0 || d->pad == 4) ? WRSH_OK : WRSH_EPROTO;
}

void b64_enc_init(struct b64_enc *e)
{
	e->ncarry = 0;
}

static void enc3(const uint8_t *in, char *out)
{
	uint32_t v = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8 | in[2];
	out[0] = enc_tab[v >> 18];
	out[1] = enc_tab[(v >> 12) & 63];
	out[2] = enc_tab[(v >> 6) & 63];
	out[3] = enc_tab[v & 63];
}

size_t b64_enc_push(struct b64_enc *e, const void *in, size_t n, char *out)
{
	const uint8_t *p = in;
	char *o = out;
	while (e->ncarry > 0 && e->ncarry < 3 && n) {
		e->carry[e->ncarry++] = *p++;
		n--;
	}
	if (e->ncarry == 3) {
		enc3(e->carry, o);
		o += 4;
		e->ncarry = 0;
	}
	for (; n >= 3; n -= 3, p += 3, o += 4)
		enc3(p, o);
	while (n--)
		e->carry[e->ncarry++] = *p++;
	return (size_t)(o - out);
}

size_t b64_enc_finish(struct b64_enc *e, char *out)
{
	uint8_t q[3] = {0, 0, 0};
	if (!e->ncarry)
		return 0;
	q[0] = e->carry[0];
	if (e->ncarry == 2)
		q[1] = e->carry[1];
	enc3(q, out);
	out[3] = '=';
	if (e->ncarry == 1)
		out[2] = '=';
	e->ncarry = 0;
	return 4;
}

size_t b64_encode(const void *in, size_t n, char *out)
{
	struct b64_enc e;
	size_t k;
	b64_enc_init(&e);
	k = b64_enc_push(&e, in, n, out);
	return k + b64_enc_finish(&e, out + k);
}
