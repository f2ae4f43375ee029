/* DER, read (X.690 8.1 and 10.1); see der.h. */
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
