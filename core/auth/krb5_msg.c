/* The AS exchange's messages (RFC 4120 5.4.1, 5.4.2, 5.9.1); see krb5_msg.h. */
#include <string.h>

#include "auth/krb5_msg.h"
#include "crypto/kcrypto.h"
#include "wrsh.h"

/* RFC 4120 5.2.2, 7.5.7, 7.5.8 */
#define NT_PRINCIPAL 1
#define NT_SRV_INST 2
#define PA_ENC_TIMESTAMP 2
#define PA_ETYPE_INFO2 19
#define USAGE_PA_ENC_TS 1
#define USAGE_AS_REP 3
/* a KDC asking for more PBKDF2 rounds than this is refused: a hostile one
 * could make the key take hours (Windows and MIT use 4096) */
#define MAX_ITERATIONS 1000000u

void krb5_time(uint64_t unix_s, char out[16])
{
	/* days to a civil date (proleptic Gregorian, from 1970-01-01) */
	uint64_t days = unix_s / 86400, secs = unix_s % 86400;
	uint64_t z = days + 719468, era = z / 146097, doe = z % 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	uint64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	uint64_t y = yoe + era * 400 + (m <= 2);
	uint64_t f[6] = {y, m, d, secs / 3600, secs / 60 % 60, secs % 60};
	int i, w[6] = {4, 2, 2, 2, 2, 2}, at = 0, k;
	for (i = 0; i < 6; i++)
		for (k = w[i] - 1; k >= 0; k--) {
			uint64_t v = f[i];
			int j;
			for (j = 0; j < k; j++)
				v /= 10;
			out[at++] = (char)('0' + v % 10);
		}
	out[14] = 'Z';
	out[15] = 0;
}

static void w_string(struct der_w *w, const char *s)
{
	der_w_prim(w, DER_GENERAL_STRING, s, strlen(s));
}

/* PrincipalName (5.2.2) */
static void w_principal(struct der_w *w, int type, const char *const *parts, size_t n)
{
	size_t seq = der_w_len(w), names, f;
	names = der_w_len(w);
	while (n--)
		w_string(w, parts[n]);
	der_w_wrap(w, names, DER_SEQUENCE);
	der_w_wrap(w, names, DER_CTX(1));
	f = der_w_len(w);
	der_w_int(w, type);
	der_w_wrap(w, f, DER_CTX(0));
	der_w_wrap(w, seq, DER_SEQUENCE);
}

/* [n] around what was written since mark */
static void w_field(struct der_w *w, size_t mark, unsigned n)
{
	der_w_wrap(w, mark, DER_CTX(n));
}

int krb5_as_req(struct der_w *w, const char *user, const char *realm, uint32_t nonce,
		const char *till, const int32_t *etypes, size_t netypes, const uint8_t *pa,
		size_t pa_n)
{
	/* forwardable, renewable, canonicalize, renewable-ok: what Windows
	 * and kinit ask (5.4.1 KDCOptions) */
	static const uint8_t options[5] = {0, 0x40, 0x81, 0x00, 0x10};
	const char *tgs[2] = {"krbtgt", realm}, *client[1] = {user};
	size_t top = der_w_len(w), seq, body, m, i;
	const uint8_t *out;
	seq = der_w_len(w);
	/* req-body [4], its fields last to first */
	body = der_w_len(w);
	m = der_w_len(w);
	for (i = netypes; i-- > 0;)
		der_w_int(w, etypes[i]);
	der_w_wrap(w, m, DER_SEQUENCE);
	w_field(w, m, 8);
	m = der_w_len(w);
	der_w_int(w, nonce);
	w_field(w, m, 7);
	m = der_w_len(w);
	der_w_prim(w, DER_GENERALIZED_TIME, till, strlen(till));
	w_field(w, m, 5);
	m = der_w_len(w);
	w_principal(w, NT_SRV_INST, tgs, 2);
	w_field(w, m, 3);
	m = der_w_len(w);
	w_string(w, realm);
	w_field(w, m, 2);
	m = der_w_len(w);
	w_principal(w, NT_PRINCIPAL, client, 1);
	w_field(w, m, 1);
	m = der_w_len(w);
	der_w_prim(w, DER_BIT_STRING, options, sizeof(options));
	w_field(w, m, 0);
	der_w_wrap(w, body, DER_SEQUENCE);
	w_field(w, body, 4);
	if (pa) { /* padata [3]: SEQUENCE OF PA-DATA */
		m = der_w_len(w);
		der_w_raw(w, pa, pa_n);
		der_w_wrap(w, m, DER_SEQUENCE);
		w_field(w, m, 3);
	}
	der_w_field_int(w, 2, 10); /* msg-type AS-REQ */
	der_w_field_int(w, 1, 5);  /* pvno */
	der_w_wrap(w, seq, DER_SEQUENCE);
	der_w_wrap(w, top, DER_APP(10));
	return der_w_done(w, &out, &m);
}

int krb5_pa_timestamp(struct der_w *w, const struct krb5_key *k, const char *now, uint32_t usec,
		      const uint8_t confounder[16])
{
	uint8_t ts[64], box[64 + KCRYPTO_OVERHEAD];
	struct der_w t;
	const uint8_t *plain, *out;
	size_t n, mark, seq, f;
	/* PA-ENC-TS-ENC, written apart: it is encrypted whole */
	der_w_init(&t, ts, sizeof(ts));
	der_w_field_int(&t, 1, usec);
	mark = der_w_len(&t);
	der_w_prim(&t, DER_GENERALIZED_TIME, now, strlen(now));
	w_field(&t, mark, 0);
	der_w_wrap(&t, 0, DER_SEQUENCE);
	if (der_w_done(&t, &plain, &n) ||
	    kcrypto_encrypt(k->v, k->len, USAGE_PA_ENC_TS, confounder, plain, n, box))
		return -1;
	/* PA-DATA { [1] 2, [2] OCTET STRING EncryptedData { [0] etype, [2] cipher } } */
	seq = der_w_len(w);
	f = der_w_len(w);
	mark = der_w_len(w);
	der_w_prim(w, DER_OCTET_STRING, box, n + KCRYPTO_OVERHEAD);
	w_field(w, mark, 2);
	der_w_field_int(w, 0, k->etype);
	der_w_wrap(w, mark, DER_SEQUENCE);
	der_w_wrap(w, f, DER_OCTET_STRING);
	w_field(w, f, 2);
	der_w_field_int(w, 1, PA_ENC_TIMESTAMP);
	der_w_wrap(w, seq, DER_SEQUENCE);
	wrsh_wipe(ts, sizeof(ts));
	wrsh_wipe(box, sizeof(box));
	return der_w_done(w, &out, &n);
}

/* The contents of msg's [APPLICATION app] SEQUENCE, which must be all of it. */
static int outer(const uint8_t *msg, size_t n, unsigned app, struct der *seq)
{
	struct der in = {msg, n}, a;
	return der_expect(&in, DER_APP(app), &a) || in.n || der_expect(&a, DER_SEQUENCE, seq) ||
			       a.n
		       ? -1
		       : 0;
}

/* One ETYPE-INFO2-ENTRY: taken when kcrypto does its etype. */
static int etype_entry(struct der entry, struct krb5_error *e)
{
	struct der v;
	int64_t et;
	int r;
	if (der_field_int(&entry, 0, &et) != 1)
		return -1;
	if (!e->offered)
		e->offered = (int32_t)et;
	if (e->etype || (et != KCRYPTO_ETYPE_AES256 && et != KCRYPTO_ETYPE_AES128))
		return 0;
	e->etype = (int32_t)et;
	if ((r = der_field_value(&entry, 1, DER_GENERAL_STRING, &v)) < 0 || v.n > sizeof(e->salt))
		return -1;
	if (r == 1) {
		memcpy(e->salt, v.p, v.n);
		e->salt_n = v.n;
		e->has_salt = 1;
	}
	if ((r = der_field_value(&entry, 2, DER_OCTET_STRING, &v)) < 0 || (r == 1 && v.n != 4))
		return -1;
	if (r == 1) { /* RFC 3962 4: the iteration count, big-endian */
		e->iterations = (uint32_t)v.p[0] << 24 | (uint32_t)v.p[1] << 16 |
				(uint32_t)v.p[2] << 8 | v.p[3];
		if (!e->iterations || e->iterations > MAX_ITERATIONS)
			return -1;
	}
	return 0;
}

/* METHOD-DATA: the PA-ETYPE-INFO2 in it, if any. */
static int method_data(struct der md, struct krb5_error *e)
{
	struct der list, pa, info, entry;
	int64_t type;
	if (der_expect(&md, DER_SEQUENCE, &list) || md.n)
		return -1;
	while (list.n) {
		if (der_expect(&list, DER_SEQUENCE, &pa) || der_field_int(&pa, 1, &type) != 1)
			return -1;
		if (type != PA_ETYPE_INFO2)
			continue;
		if (der_field_value(&pa, 2, DER_OCTET_STRING, &info) != 1 ||
		    der_expect(&info, DER_SEQUENCE, &list) || info.n)
			return -1;
		while (list.n)
			if (der_expect(&list, DER_SEQUENCE, &entry) || etype_entry(entry, e))
				return -1;
		return 0;
	}
	return 0;
}

int krb5_parse_error(const uint8_t *msg, size_t n, struct krb5_error *e)
{
	struct der seq, v;
	int r;
	memset(e, 0, sizeof(*e));
	e->iterations = KCRYPTO_ITERATIONS;
	if (outer(msg, n, 30, &seq) || der_field_int(&seq, 6, &e->code) != 1)
		return -1;
	if ((r = der_field_value(&seq, 11, DER_GENERAL_STRING, &v)) < 0)
		return -1;
	if (r == 1) {
		size_t k = v.n < sizeof(e->text) - 1 ? v.n : sizeof(e->text) - 1;
		memcpy(e->text, v.p, k);
		e->text[k] = 0;
	}
	/* e-data: METHOD-DATA with the key's parameters (RFC 6113 5.2) */
	if ((r = der_field_value(&seq, 12, DER_OCTET_STRING, &v)) < 0)
		return -1;
	return r == 1 && e->code == KRB5_ERR_PREAUTH_REQUIRED ? method_data(v, e) : 0;
}

/* EncASRepPart's fields, in place in the decrypted buffer. */
static int enc_part(struct der plain, uint32_t nonce, struct krb5_as_rep *r)
{
	struct der part, seq, key, v;
	unsigned tag;
	int64_t x;
	/* 5.4.2: EncASRepPart (25), or EncTGSRepPart (26) as some KDCs send */
	if (der_next(&plain, &tag, &part) || (tag != DER_APP(25) && tag != DER_APP(26)) ||
	    der_expect(&part, DER_SEQUENCE, &seq))
		return -1;
	if (der_field_value(&seq, 0, DER_SEQUENCE, &key) != 1 ||
	    der_field_int(&key, 0, &x) != 1 ||
	    der_field_value(&key, 1, DER_OCTET_STRING, &v) != 1)
		return -1;
	if ((x != KCRYPTO_ETYPE_AES256 || v.n != 32) && (x != KCRYPTO_ETYPE_AES128 || v.n != 16))
		return -3; /* a session key of a type this side cannot use */
	r->session.etype = (int32_t)x;
	r->session.len = v.n;
	memcpy(r->session.v, v.p, v.n);
	if (der_field_int(&seq, 2, &x) != 1)
		return -1;
	if (x != (int64_t)nonce)
		return -3; /* 5.4.2: not the answer to this request */
	if (der_field_value(&seq, 4, DER_BIT_STRING, &v) != 1 || v.n != 5)
		return -1;
	r->flags = (uint32_t)v.p[1] << 24 | (uint32_t)v.p[2] << 16 | (uint32_t)v.p[3] << 8 | v.p[4];
	if (der_field_value(&seq, 7, DER_GENERALIZED_TIME, &v) != 1 || v.n != 15)
		return -1;
	memcpy(r->endtime, v.p, 15);
	r->endtime[15] = 0;
	return 0;
}

int krb5_parse_as_rep(uint8_t *msg, size_t n, const struct krb5_key *k, uint32_t nonce,
		      struct krb5_as_rep *r)
{
	struct der seq, ed, cipher, plain;
	int64_t x;
	size_t len;
	int e;
	memset(r, 0, sizeof(*r));
	if (outer(msg, n, 11, &seq) || der_field_int(&seq, 0, &x) != 1 || x != 5 ||
	    der_field_int(&seq, 1, &x) != 1 || x != 11 || der_field(&seq, 5, &r->ticket) != 1 ||
	    der_field_value(&seq, 6, DER_SEQUENCE, &ed) != 1 || der_field_int(&ed, 0, &x) != 1 ||
	    der_field_value(&ed, 2, DER_OCTET_STRING, &cipher) != 1)
		return -1;
	if (x != k->etype)
		return -3;
	/* decrypted where it lies: the message is the caller's */
	e = kcrypto_decrypt(k->v, k->len, USAGE_AS_REP, (uint8_t *)cipher.p, cipher.n, &len);
	if (e)
		return e == -2 ? -2 : -1;
	plain.p = cipher.p + KCRYPTO_CONFOUNDER;
	plain.n = len;
	e = enc_part(plain, nonce, r);
	if (e)
		wrsh_wipe(r, sizeof(*r));
	return e;
}
