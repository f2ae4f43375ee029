/* The AS exchange's messages (RFC 4120 5.4.1, 5.4.2, 5.9.1); see krb5_msg.h. */
#include <string.h>

#include "auth/krb5_msg.h"
#include "crypto/kcrypto.h"
#include "crypto/rc4hmac.h"
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

int krb5_parse_time(const char *t, uint64_t *unix_s)
{
	static const int w[6] = {4, 2, 2, 2, 2, 2};
	static const uint64_t lim[6] = {9999, 12, 31, 23, 59, 60};
	uint64_t f[6], y, m, era, yoe, doy, doe;
	int i, k, at = 0;
	for (i = 0; i < 6; i++) {
		for (f[i] = 0, k = 0; k < w[i]; k++, at++) {
			if (t[at] < '0' || t[at] > '9')
				return -1;
			f[i] = f[i] * 10 + (uint64_t)(t[at] - '0');
		}
		if (f[i] > lim[i] || (i == 0 && f[i] < 1970) || ((i == 1 || i == 2) && !f[i]))
			return -1;
	}
	if (t[14] != 'Z')
		return -1;
	/* a civil date to days (the inverse of krb5_time's) */
	y = f[0] - (f[1] <= 2), m = f[1];
	era = y / 400, yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + f[2] - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	*unix_s = (era * 146097 + doe - 719468) * 86400 + f[3] * 3600 + f[4] * 60 + f[5];
	return 0;
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

/* KDC-REQ-BODY (5.4.1), its fields last to first; user NULL: no cname
 * (a TGS-REQ's client is in its ticket). */
static void w_req_body(struct der_w *w, const char *user, const char *realm,
		       const char *const *sname, uint32_t nonce, const char *till,
		       const int32_t *etypes, size_t netypes)
{
	/* forwardable, renewable, canonicalize, renewable-ok: what Windows
	 * and kinit ask (5.4.1 KDCOptions) */
	static const uint8_t options[5] = {0, 0x40, 0x81, 0x00, 0x10};
	size_t body = der_w_len(w), m = der_w_len(w), i;
	for (i = netypes; i-- > 0;)
		der_w_int(w, etypes[i]);
	der_w_wrap(w, m, DER_SEQUENCE);
	w_field(w, m, 8);
	der_w_field_int(w, 7, nonce);
	m = der_w_len(w);
	der_w_prim(w, DER_GENERALIZED_TIME, till, strlen(till));
	w_field(w, m, 5);
	m = der_w_len(w);
	w_principal(w, NT_SRV_INST, sname, 2);
	w_field(w, m, 3);
	m = der_w_len(w);
	w_string(w, realm);
	w_field(w, m, 2);
	if (user) {
		m = der_w_len(w);
		w_principal(w, NT_PRINCIPAL, &user, 1);
		w_field(w, m, 1);
	}
	m = der_w_len(w);
	der_w_prim(w, DER_BIT_STRING, options, sizeof(options));
	w_field(w, m, 0);
	der_w_wrap(w, body, DER_SEQUENCE);
}

/* The rest of a KDC-REQ whose [4] req-body and [3] padata are written
 * (top: before them): [2] msg-type, [1] pvno, then [APPLICATION app]. */
static int w_kdc_req_tail(struct der_w *w, size_t top, int app)
{
	const uint8_t *out;
	size_t n;
	der_w_field_int(w, 2, app); /* msg-type: 10 AS-REQ, 12 TGS-REQ */
	der_w_field_int(w, 1, 5);   /* pvno */
	der_w_wrap(w, top, DER_SEQUENCE);
	der_w_wrap(w, top, DER_APP(app));
	return der_w_done(w, &out, &n);
}

int krb5_as_req(struct der_w *w, const char *user, const char *realm, uint32_t nonce,
		const char *till, const int32_t *etypes, size_t netypes, const uint8_t *pa,
		size_t pa_n)
{
	const char *tgs[2] = {"krbtgt", realm};
	size_t top = der_w_len(w), m;
	w_req_body(w, user, realm, tgs, nonce, till, etypes, netypes);
	w_field(w, top, 4);
	if (pa) { /* padata [3]: SEQUENCE OF PA-DATA */
		m = der_w_len(w);
		der_w_raw(w, pa, pa_n);
		der_w_wrap(w, m, DER_SEQUENCE);
		w_field(w, m, 3);
	}
	return w_kdc_req_tail(w, top, 10);
}

/* Checksum, EncryptionKey (5.2.9: [1] the bytes) and EncryptedData
 * (5.2.9: [2], no kvno) are one shape: SEQUENCE { [0] type, [field] bytes } */
static void w_typed(struct der_w *w, int32_t type, unsigned field, const uint8_t *p, size_t n)
{
	size_t seq = der_w_len(w), m = der_w_len(w);
	der_w_prim(w, DER_OCTET_STRING, p, n);
	w_field(w, m, field);
	der_w_field_int(w, 0, type);
	der_w_wrap(w, seq, DER_SEQUENCE);
}

int krb5_ap_req(struct der_w *w, const struct krb5_ap *a)
{
	uint8_t plain[KRB5_AUTH_MAX], box[KRB5_AUTH_MAX + KCRYPTO_OVERHEAD];
	static const uint8_t mutual[5] = {0, 0x20, 0, 0, 0}; /* mutual-required */
	const char *cname[1] = {a->user};
	const uint8_t *auth, *out;
	struct der_w t;
	size_t n, top = der_w_len(w), m, seq;
	int r;
	/* Authenticator (5.5.1), last field first, then encrypted whole */
	der_w_init(&t, plain, sizeof(plain));
	seq = 0;
	if (a->has_seq)
		der_w_field_int(&t, 7, a->seq);
	if (a->subkey) {
		m = der_w_len(&t);
		w_typed(&t, a->subkey->etype, 1, a->subkey->v, a->subkey->len);
		w_field(&t, m, 6);
	}
	m = der_w_len(&t);
	der_w_prim(&t, DER_GENERALIZED_TIME, a->ctime, strlen(a->ctime));
	w_field(&t, m, 5);
	der_w_field_int(&t, 4, a->cusec);
	if (a->cksum) {
		m = der_w_len(&t);
		w_typed(&t, a->cksum_type, 1, a->cksum, a->cksum_n);
		w_field(&t, m, 3);
	}
	m = der_w_len(&t);
	w_principal(&t, NT_PRINCIPAL, cname, 1);
	w_field(&t, m, 2);
	m = der_w_len(&t);
	w_string(&t, a->realm);
	w_field(&t, m, 1);
	der_w_field_int(&t, 0, 5);
	der_w_wrap(&t, seq, DER_SEQUENCE);
	der_w_wrap(&t, seq, DER_APP(2));
	if (der_w_done(&t, &auth, &n) || n > KRB5_AUTH_MAX)
		return -1;
	r = kcrypto_encrypt(a->key->v, a->key->len, a->usage, a->confounder, auth, n, box);
	wrsh_wipe(plain, sizeof(plain));
	if (r)
		return -1;
	/* AP-REQ (5.5.1) */
	m = der_w_len(w);
	w_typed(w, a->key->etype, 2, box, n + KCRYPTO_OVERHEAD);
	w_field(w, m, 4);
	m = der_w_len(w);
	der_w_raw(w, a->ticket, a->ticket_n);
	w_field(w, m, 3);
	m = der_w_len(w);
	der_w_prim(w, DER_BIT_STRING, a->mutual ? mutual : (const uint8_t *)"\0\0\0\0\0", 5);
	w_field(w, m, 2);
	der_w_field_int(w, 1, 14);
	der_w_field_int(w, 0, 5);
	der_w_wrap(w, top, DER_SEQUENCE);
	der_w_wrap(w, top, DER_APP(14));
	wrsh_wipe(box, sizeof(box));
	return der_w_done(w, &out, &n);
}

int krb5_tgs_req(struct der_w *w, const struct krb5_tgs *q)
{
	/* written backwards: the body first, whose checksum the authenticator
	 * carries, taken where the body lies; then the AP-REQ as PA-TGS-REQ */
	uint8_t ck[KCRYPTO_MAC];
	size_t top = der_w_len(w), list, pa, o;
	struct krb5_ap a = q->ap;
	struct cbuf body;
	w_req_body(w, NULL, q->realm, q->sname, q->nonce, q->till, q->etypes, q->netypes);
	if (w->err)
		return -1;
	body.p = w->p;
	body.n = der_w_len(w) - top;
	/* hmac-sha1-96-aes (RFC 3962 7: types 15 and 16) under the TGT's
	 * session key, usage 6 (RFC 4120 7.5.1) */
	if (kcrypto_checksum(a.key->v, a.key->len, 6, &body, 1, ck))
		return -1;
	w_field(w, top, 4);
	a.cksum = ck;
	a.cksum_n = KCRYPTO_MAC;
	a.cksum_type = a.key->etype == KCRYPTO_ETYPE_AES256 ? 16 : 15;
	a.usage = 7;
	a.mutual = 0;
	list = pa = o = der_w_len(w);
	if (krb5_ap_req(w, &a))
		return -1;
	der_w_wrap(w, o, DER_OCTET_STRING);
	w_field(w, o, 2);
	der_w_field_int(w, 1, 1); /* PA-TGS-REQ */
	der_w_wrap(w, pa, DER_SEQUENCE);
	der_w_wrap(w, list, DER_SEQUENCE);
	w_field(w, list, 3);
	return w_kdc_req_tail(w, top, 12);
}

/* The user's long-term key encrypts with AES (RFC 3962), or with RC4-HMAC
 * (RFC 4757) where the KDC keeps nothing else; *n grows by the overhead. */
static int key_encrypt(const struct krb5_key *k, uint32_t usage, const uint8_t *confounder,
		       const uint8_t *plain, size_t *n, uint8_t *out)
{
	if (CONFIG_WRSH_AUTH_KRB5_RC4 && k->etype == RC4HMAC_ETYPE) {
		rc4hmac_encrypt(k->v, usage, confounder, plain, *n, out);
		*n += RC4HMAC_OVERHEAD;
		return 0;
	}
	if (kcrypto_encrypt(k->v, k->len, usage, confounder, plain, *n, out))
		return -1;
	*n += KCRYPTO_OVERHEAD;
	return 0;
}

/* In place; plain: where the plaintext then lies. -2: the MAC is wrong. */
static int key_decrypt(const struct krb5_key *k, uint32_t usage, uint8_t *buf, size_t n,
		       struct der *plain)
{
	int e;
	if (CONFIG_WRSH_AUTH_KRB5_RC4 && k->etype == RC4HMAC_ETYPE) {
		e = rc4hmac_decrypt(k->v, usage, buf, n, &plain->n);
		plain->p = buf + RC4HMAC_OVERHEAD;
	} else {
		e = kcrypto_decrypt(k->v, k->len, usage, buf, n, &plain->n);
		plain->p = buf + KCRYPTO_CONFOUNDER;
	}
	return e;
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
	    key_encrypt(k, USAGE_PA_ENC_TS, confounder, plain, &n, box))
		return -1;
	/* PA-DATA { [1] 2, [2] OCTET STRING EncryptedData { [0] etype, [2] cipher } } */
	seq = f = der_w_len(w);
	w_typed(w, k->etype, 2, box, n);
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
	return der_expect(&in, DER_APP(app), &a) || in.n || der_expect(&a, DER_SEQUENCE, seq) || a.n
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
	if (et == RC4HMAC_ETYPE && CONFIG_WRSH_AUTH_KRB5_RC4)
		e->rc4 = 1; /* no salt, no parameters: the key is the NT hash */
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
		if (!e->etype && e->rc4) /* AES whenever the KDC has it, whatever its order */
			e->etype = RC4HMAC_ETYPE;
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
	if (der_field_value(&seq, 4, DER_GENERALIZED_TIME, &v) != 1 || v.n != 15)
		return -1;
	memcpy(e->stime, v.p, 15);
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
	if (der_field_value(&seq, 0, DER_SEQUENCE, &key) != 1 || der_field_int(&key, 0, &x) != 1 ||
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

static int kdc_rep(uint8_t *msg, size_t n, int app, uint32_t usage, const struct krb5_key *k,
		   uint32_t nonce, struct krb5_as_rep *r)
{
	struct der seq, ed, cipher, plain;
	int64_t x;
	int e;
	memset(r, 0, sizeof(*r));
	if (outer(msg, n, (unsigned)app, &seq) || der_field_int(&seq, 0, &x) != 1 || x != 5 ||
	    der_field_int(&seq, 1, &x) != 1 || x != app || der_field(&seq, 5, &r->ticket) != 1 ||
	    der_field_value(&seq, 6, DER_SEQUENCE, &ed) != 1 || der_field_int(&ed, 0, &x) != 1 ||
	    der_field_value(&ed, 2, DER_OCTET_STRING, &cipher) != 1)
		return -1;
	if (x != k->etype)
		return -3;
	/* decrypted where it lies: the message is the caller's */
	e = key_decrypt(k, usage, (uint8_t *)cipher.p, cipher.n, &plain);
	if (e)
		return e == -2 ? -2 : -1;
	e = enc_part(plain, nonce, r);
	if (e)
		wrsh_wipe(r, sizeof(*r));
	return e;
}

static int part(struct der *in, char *out)
{
	struct der v;
	if (der_expect(in, DER_GENERAL_STRING, &v) || !v.n || v.n >= KRB5_PART_MAX ||
	    memchr(v.p, 0, v.n))
		return -1;
	if (out)
		memcpy(out, v.p, v.n), out[v.n] = 0;
	return 0;
}

int krb5_ticket_server(const struct der *ticket, char realm[KRB5_PART_MAX], char svc[KRB5_PART_MAX],
		       char host[KRB5_PART_MAX])
{
	struct der in = *ticket, app, seq, name, parts, r;
	/* Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1],
	 * sname [2] PrincipalName, ... } */
	if (der_expect(&in, DER_APP(1), &app) || der_expect(&app, DER_SEQUENCE, &seq) ||
	    der_field(&seq, 1, &r) != 1 || der_field_value(&seq, 2, DER_SEQUENCE, &name) != 1 ||
	    der_field_value(&name, 1, DER_SEQUENCE, &parts) != 1)
		return -1;
	if (part(&r, realm) || r.n || part(&parts, svc) || part(&parts, host))
		return -1;
	return parts.n ? -1 : 0;
}

int32_t krb5_as_rep_etype(const uint8_t *msg, size_t n)
{
	struct der seq, ed;
	int64_t x;
	if (outer(msg, n, 11, &seq) || der_field_value(&seq, 6, DER_SEQUENCE, &ed) != 1 ||
	    der_field_int(&ed, 0, &x) != 1 || x < 0 || x > 0xffff)
		return -1;
	return (int32_t)x;
}

int krb5_parse_as_rep(uint8_t *msg, size_t n, const struct krb5_key *k, uint32_t nonce,
		      struct krb5_as_rep *r)
{
	return kdc_rep(msg, n, 11, USAGE_AS_REP, k, nonce, r);
}

int krb5_parse_tgs_rep(uint8_t *msg, size_t n, const struct krb5_key *k, uint32_t nonce,
		       struct krb5_as_rep *r)
{
	return kdc_rep(msg, n, 13, 8, k, nonce, r); /* 7.5.1: TGS-REP, session key */
}

void krb5_gss_cksum(const uint8_t bnd[16], uint32_t flags, uint8_t out[KRB5_GSS_CKSUM_LEN])
{
	/* Lgth (16), Bnd, Flags: little-endian, as RFC 4121 4.1.1 has them */
	memset(out, 0, KRB5_GSS_CKSUM_LEN);
	out[0] = 16;
	if (bnd)
		memcpy(out + 4, bnd, 16);
	out[20] = (uint8_t)flags;
	out[21] = (uint8_t)(flags >> 8);
	out[22] = (uint8_t)(flags >> 16);
	out[23] = (uint8_t)(flags >> 24);
}

int krb5_gss_ap_req(struct der_w *w, const struct krb5_ap *a)
{
	static const uint8_t krb5_oid[9] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
	const uint8_t *out;
	size_t top = der_w_len(w), n;
	if (krb5_ap_req(w, a))
		return -1;
	der_w_raw(w, "\x01\x00", 2); /* TOK_ID: KRB_AP_REQ */
	der_w_prim(w, DER_OID, krb5_oid, sizeof(krb5_oid));
	der_w_wrap(w, top, DER_APP(0)); /* 0x60, RFC 2743 3.1 */
	return der_w_done(w, &out, &n);
}

int krb5_gss_error(const uint8_t *tok, size_t n, struct krb5_error *e)
{
	struct der in = {tok, n}, c, v;
	if (der_expect(&in, DER_APP(0), &c) || in.n || der_expect(&c, DER_OID, &v) || c.n < 2 ||
	    c.p[0] != 3 || c.p[1] != 0)
		return -1;
	return krb5_parse_error(c.p + 2, c.n - 2, e);
}

int krb5_gss_ap_rep(uint8_t *tok, size_t n, const struct krb5_key *k, const char *ctime,
		    uint32_t cusec, struct krb5_ap_rep *r)
{
	struct der in = {tok, n}, c, v, ap, seq, ed, cipher, part, key, plain;
	unsigned tag;
	int64_t x;
	size_t len;
	int e;
	memset(r, 0, sizeof(*r));
	/* RFC 2743 3.1 framing, RFC 4121 4.1: TOK_ID 02 00 (03 00: an error) */
	if (der_expect(&in, DER_APP(0), &c) || in.n || der_expect(&c, DER_OID, &v) || c.n < 2 ||
	    c.p[0] != 2 || c.p[1] != 0)
		return -1;
	c.p += 2, c.n -= 2;
	if (der_expect(&c, DER_APP(15), &ap) || c.n || der_expect(&ap, DER_SEQUENCE, &seq) ||
	    der_field_int(&seq, 1, &x) != 1 || x != 15 ||
	    der_field_value(&seq, 2, DER_SEQUENCE, &ed) != 1 || der_field_int(&ed, 0, &x) != 1 ||
	    der_field_value(&ed, 2, DER_OCTET_STRING, &cipher) != 1)
		return -1;
	if (x != k->etype)
		return -3;
	e = kcrypto_decrypt(k->v, k->len, 12, (uint8_t *)cipher.p, cipher.n, &len);
	if (e)
		return e == -2 ? -2 : -1;
	plain.p = cipher.p + KCRYPTO_CONFOUNDER, plain.n = len;
	/* EncAPRepPart (5.5.2): our ctime and cusec back */
	if (der_next(&plain, &tag, &part) || tag != DER_APP(27) ||
	    der_expect(&part, DER_SEQUENCE, &seq) ||
	    der_field_value(&seq, 0, DER_GENERALIZED_TIME, &v) != 1 ||
	    der_field_int(&seq, 1, &x) != 1)
		return -1;
	if (v.n != strlen(ctime) || memcmp(v.p, ctime, v.n) || x != (int64_t)cusec)
		return -3;
	if ((e = der_field_value(&seq, 2, DER_SEQUENCE, &key)) < 0)
		return -1;
	if (e == 1) {
		if (der_field_int(&key, 0, &x) != 1 ||
		    der_field_value(&key, 1, DER_OCTET_STRING, &v) != 1)
			return -1;
		if ((x != KCRYPTO_ETYPE_AES256 || v.n != 32) &&
		    (x != KCRYPTO_ETYPE_AES128 || v.n != 16))
			return -3;
		r->subkey.etype = (int32_t)x;
		r->subkey.len = v.n;
		memcpy(r->subkey.v, v.p, v.n);
	}
	if ((e = der_field_int(&seq, 3, &x)) < 0)
		return -1;
	r->has_seq = e == 1;
	r->seq = (uint32_t)x;
	return 0;
}
