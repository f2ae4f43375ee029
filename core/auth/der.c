/* DER, read and written (X.690 8.1 and 10.1); see der.h. */
#include <string.h>

#include "auth/der.h"

int der_next(struct der *in, unsigned *tag, struct der *content)
{
	size_t len, hdr = 2, i;
	if (in->n < 2 || (in->p[0] & 0x1F) == 0x1F) /* 8.1.2.4: tags above 30 */
		return -1;
	len = in->p[1];
	if (len & 0x80) {
		size_t k = len & 0x7F;
		/* 10.1: definite and minimal; 8.1.3.5: 0x80 is indefinite. Four
		 * bytes of length are more than any Kerberos message needs. */
		if (k == 0 || k > 4 || in->n < 2 + k || in->p[2] == 0)
			return -1;
		for (len = 0, i = 0; i < k; i++)
			len = len << 8 | in->p[2 + i];
		if (len < 0x80)
			return -1;
		hdr += k;
	}
	if (len > in->n - hdr)
		return -1;
	*tag = in->p[0];
	content->p = in->p + hdr;
	content->n = len;
	in->p += hdr + len;
	in->n -= hdr + len;
	return 0;
}

int der_expect(struct der *in, unsigned tag, struct der *content)
{
	unsigned t;
	return der_next(in, &t, content) || t != tag ? -1 : 0;
}

int der_field(const struct der *seq, unsigned n, struct der *content)
{
	struct der rest = *seq;
	unsigned t;
	while (rest.n) {
		if (der_next(&rest, &t, content))
			return -1;
		if ((t & 0xE0) != 0xA0) /* a SEQUENCE of EXPLICIT fields only */
			return -1;
		if ((t & 0x1F) == n)
			return 1;
		if ((t & 0x1F) > n) /* fields come in tag order */
			return 0;
	}
	return 0;
}

int der_field_value(const struct der *seq, unsigned n, unsigned tag, struct der *value)
{
	struct der wrap;
	int r = der_field(seq, n, &wrap);
	if (r <= 0)
		return r;
	/* the wrapper holds exactly one value */
	return der_expect(&wrap, tag, value) || wrap.n ? -1 : 1;
}

int der_int32(const struct der *v, int64_t *out)
{
	int64_t x;
	size_t i;
	/* 8.3.2: minimal two's complement; five bytes hold 0..2^32-1 */
	if (v->n == 0 || v->n > 5 ||
	    (v->n > 1 &&
	     ((v->p[0] == 0 && !(v->p[1] & 0x80)) || (v->p[0] == 0xFF && (v->p[1] & 0x80)))))
		return -1;
	if (v->n == 5 && v->p[0] != 0)
		return -1;
	x = (v->p[0] & 0x80) ? -1 : 0;
	for (i = 0; i < v->n; i++)
		x = (int64_t)((uint64_t)x << 8) | v->p[i];
	if (x < -2147483648LL || x > 4294967295LL)
		return -1;
	*out = x;
	return 0;
}

int der_field_int(const struct der *seq, unsigned n, int64_t *out)
{
	struct der v;
	int r = der_field_value(seq, n, DER_INTEGER, &v);
	if (r <= 0)
		return r;
	return der_int32(&v, out) ? -1 : 1;
}

void der_w_init(struct der_w *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->p = w->end = buf + cap;
	w->err = 0;
}

size_t der_w_len(const struct der_w *w)
{
	return (size_t)(w->end - w->p);
}

void der_w_raw(struct der_w *w, const void *p, size_t n)
{
	if (w->err || n > (size_t)(w->p - w->buf)) {
		w->err = -1;
		return;
	}
	w->p -= n;
	if (n)
		memcpy(w->p, p, n);
}

void der_w_wrap(struct der_w *w, size_t mark, unsigned tag)
{
	uint8_t h[6];
	size_t len = der_w_len(w) - mark, k = 0, i;
	if (w->err)
		return;
	/* 8.1.3: short form below 128, else the fewest bytes after 0x8k */
	while (len >> (8 * k) && k < 4)
		k++;
	if (len < 0x80) {
		h[0] = (uint8_t)tag;
		h[1] = (uint8_t)len;
		der_w_raw(w, h, 2);
		return;
	}
	h[0] = (uint8_t)tag;
	h[1] = (uint8_t)(0x80 | k);
	for (i = 0; i < k; i++)
		h[2 + i] = (uint8_t)(len >> (8 * (k - 1 - i)));
	der_w_raw(w, h, 2 + k);
}

void der_w_prim(struct der_w *w, unsigned tag, const void *p, size_t n)
{
	size_t mark = der_w_len(w);
	der_w_raw(w, p, n);
	der_w_wrap(w, mark, tag);
}

void der_w_int(struct der_w *w, int64_t v)
{
	uint8_t b[9];
	size_t n = 9, i;
	b[0] = v < 0 ? 0xFF : 0; /* room for a UInt64's sign byte */
	for (i = 0; i < 8; i++)
		b[8 - i] = (uint8_t)((uint64_t)v >> (8 * i));
	/* 8.3.2: drop a leading byte that only repeats the next one's sign */
	while (n > 1 &&
	       ((b[9 - n] == 0 && !(b[10 - n] & 0x80)) || (b[9 - n] == 0xFF && (b[10 - n] & 0x80))))
		n--;
	der_w_prim(w, DER_INTEGER, b + 9 - n, n);
}

void der_w_field_int(struct der_w *w, unsigned n, int64_t v)
{
	size_t mark = der_w_len(w);
	der_w_int(w, v);
	der_w_wrap(w, mark, DER_CTX(n));
}

int der_w_done(const struct der_w *w, const uint8_t **out, size_t *n)
{
	if (w->err)
		return -1;
	*out = w->p;
	*n = der_w_len(w);
	return 0;
}
