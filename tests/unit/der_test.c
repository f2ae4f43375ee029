/* The DER reader against what MIT's kinit and krb5kdc said to each other
 * (tests/vectors/krb5/, recorded by record.py there), read the way a
 * Kerberos client must: the pre-authentication hint of the KDC's error,
 * the key from the password and that salt, the client's own encrypted
 * timestamp and the AS-REP's encrypted part opened with it (so
 * kcrypto_decrypt against MIT's encryption), and the malformed forms the
 * reader refuses. */
#include <stdio.h>
#include <string.h>

#include "auth/der.h"
#include "crypto/kcrypto.h"
#include "harness.h"

static uint8_t msg[4][1024];
static size_t msg_n[4];

static int load(int slot, const char *name)
{
	char path[128];
	FILE *f;
	snprintf(path, sizeof(path), "tests/vectors/krb5/%s", name);
	if (!(f = fopen(path, "rb")))
		return -1;
	msg_n[slot] = fread(msg[slot], 1, sizeof(msg[slot]), f);
	fclose(f);
	return msg_n[slot] ? 0 : -1;
}

/* The contents of a message's outer [APPLICATION n] SEQUENCE. */
static int outer(int slot, unsigned app, struct der *seq)
{
	struct der in = {msg[slot], msg_n[slot]}, a;
	return der_expect(&in, DER_APP(app), &a) || in.n || der_expect(&a, DER_SEQUENCE, seq) || a.n
		       ? -1
		       : 0;
}

/* The value of the PA-DATA of this type in a SEQUENCE OF PA-DATA. */
static int padata(struct der list, int64_t type, struct der *value)
{
	struct der pa;
	int64_t t;
	while (list.n) {
		if (der_expect(&list, DER_SEQUENCE, &pa) || der_field_int(&pa, 1, &t) != 1)
			return -1;
		if (t == type)
			return der_field_value(&pa, 2, DER_OCTET_STRING, value) == 1 ? 0 : -1;
	}
	return -1;
}

/* EncryptedData (RFC 4120 5.2.9): its etype and cipher. */
static int encrypted(const struct der *ed, int64_t *etype, struct der *cipher)
{
	return der_field_int(ed, 0, etype) == 1 &&
			       der_field_value(ed, 2, DER_OCTET_STRING, cipher) == 1
		       ? 0
		       : -1;
}

static void test_der_reads_mit_kdc_exchange(void)
{
	struct der seq, edata, info, entry, salt, body, ed, cipher, v, key, ts, part;
	unsigned tag;
	uint8_t k[32], box[1024];
	int64_t x, etype, nonce;
	size_t n;
	CHECK_EQ(load(0, "01-rep.der"), 0);
	CHECK_EQ(load(1, "02-req.der"), 0);
	CHECK_EQ(load(2, "03-rep.der"), 0);
	CHECK_EQ(load(3, "11-rep.der"), 0);
	/* KRB-ERROR (RFC 4120 5.9.1): KDC_ERR_PREAUTH_REQUIRED, with the
	 * salt in PA-ETYPE-INFO2 (19) of its METHOD-DATA */
	CHECK_EQ(outer(0, 30, &seq), 0);
	CHECK_EQ(der_field_int(&seq, 6, &x), 1);
	CHECK_EQ(x, 25);
	CHECK_EQ(der_field_value(&seq, 12, DER_OCTET_STRING, &edata), 1);
	CHECK_EQ(der_expect(&edata, DER_SEQUENCE, &v), 0);
	CHECK_EQ(padata(v, 19, &info), 0);
	CHECK_EQ(der_expect(&info, DER_SEQUENCE, &v), 0);
	CHECK_EQ(der_expect(&v, DER_SEQUENCE, &entry), 0);
	CHECK_EQ(der_field_int(&entry, 0, &etype), 1);
	CHECK_EQ(etype, KCRYPTO_ETYPE_AES256);
	CHECK_EQ(der_field_value(&entry, 1, DER_GENERAL_STRING, &salt), 1);
	CHECK_MEM(salt.p, salt.n, "WRSH.TESTalice", 14);
	CHECK_EQ(kcrypto_string_to_key("Passw0rd!", 9, salt.p, salt.n, KCRYPTO_ITERATIONS, 32, k),
		 0);
	/* AS-REQ (5.4.1): kinit's PA-ENC-TIMESTAMP (2), key usage 1 */
	CHECK_EQ(outer(1, 10, &seq), 0);
	CHECK_EQ(der_field_int(&seq, 2, &x), 1);
	CHECK_EQ(x, 10);
	CHECK_EQ(der_field_value(&seq, 3, DER_SEQUENCE, &v), 1);
	CHECK_EQ(padata(v, 2, &v), 0);
	CHECK_EQ(der_expect(&v, DER_SEQUENCE, &ed), 0);
	CHECK_EQ(encrypted(&ed, &etype, &cipher), 0);
	memcpy(box, cipher.p, cipher.n);
	CHECK_EQ(kcrypto_decrypt(k, 32, 1, box, cipher.n, &n), 0);
	v.p = box + KCRYPTO_CONFOUNDER, v.n = n; /* PA-ENC-TS-ENC */
	CHECK_EQ(der_expect(&v, DER_SEQUENCE, &ts), 0);
	CHECK_EQ(der_field_value(&ts, 0, DER_GENERALIZED_TIME, &v), 1);
	CHECK_EQ(v.n, 15); /* YYYYMMDDHHMMSSZ */
	CHECK_EQ(v.p[14], 'Z');
	CHECK_EQ(der_field_value(&seq, 4, DER_SEQUENCE, &body), 1);
	CHECK_EQ(der_field_int(&body, 7, &nonce), 1);
	/* AS-REP (5.4.2): its enc-part under the same key, usage 3, holds the
	 * session key and the request's nonce */
	CHECK_EQ(outer(2, 11, &seq), 0);
	CHECK_EQ(der_field_int(&seq, 0, &x), 1);
	CHECK_EQ(x, 5);
	CHECK_EQ(der_field_value(&seq, 3, DER_GENERAL_STRING, &v), 1);
	CHECK_MEM(v.p, v.n, "WRSH.TEST", 9);
	CHECK_EQ(der_field_value(&seq, 6, DER_SEQUENCE, &ed), 1);
	CHECK_EQ(encrypted(&ed, &etype, &cipher), 0);
	CHECK_EQ(etype, KCRYPTO_ETYPE_AES256);
	memcpy(box, cipher.p, cipher.n);
	CHECK_EQ(kcrypto_decrypt(k, 32, 3, box, cipher.n, &n), 0);
	v.p = box + KCRYPTO_CONFOUNDER, v.n = n;
	/* EncASRepPart, [APPLICATION 25]; RFC 4120 5.4.2: accept EncTGSRepPart
	 * (26) too, which some KDCs send in either reply */
	CHECK_EQ(der_next(&v, &tag, &part), 0);
	CHECK(tag == DER_APP(25) || tag == DER_APP(26));
	CHECK_EQ(der_expect(&part, DER_SEQUENCE, &seq), 0);
	CHECK_EQ(der_field_value(&seq, 0, DER_SEQUENCE, &key), 1);
	CHECK_EQ(der_field_int(&key, 0, &x), 1);
	CHECK_EQ(x, KCRYPTO_ETYPE_AES256);
	CHECK_EQ(der_field_value(&key, 1, DER_OCTET_STRING, &v), 1);
	CHECK_EQ(v.n, 32);
	CHECK_EQ(der_field_int(&seq, 2, &x), 1);
	CHECK_EQ(x, nonce);
	/* one bit off anywhere and the MAC refuses it */
	memcpy(box, cipher.p, cipher.n);
	box[cipher.n / 2] ^= 1;
	CHECK_EQ(kcrypto_decrypt(k, 32, 3, box, cipher.n, &n), -2);
	/* a wrong password: KDC_ERR_PREAUTH_FAILED */
	CHECK_EQ(outer(3, 30, &seq), 0);
	CHECK_EQ(der_field_int(&seq, 6, &x), 1);
	CHECK_EQ(x, 24);
}

static int next_of(const uint8_t *p, size_t n)
{
	struct der in = {p, n}, c;
	unsigned t;
	return der_next(&in, &t, &c);
}

static void test_der_refuses_malformed(void)
{
	static const uint8_t ok[] = {0x04, 0x81, 0x80}, big[3 + 128] = {0x04, 0x81, 0x80};
	static const uint8_t indefinite[] = {0x30, 0x80, 0, 0}, long_tag[] = {0x1F, 0x01, 0x00};
	static const uint8_t non_minimal[] = {0x04, 0x81, 0x05, 1, 2, 3, 4, 5};
	static const uint8_t zero_lead[] = {0x04, 0x82, 0x00, 0x90}, five[] = {0x04, 0x85, 1};
	static const uint8_t beyond[] = {0x04, 0x03, 1, 2};
	struct der v;
	int64_t x;
	CHECK_EQ(next_of(ok, sizeof(ok)), -1); /* 128 bytes announced, none there */
	CHECK_EQ(next_of(big, sizeof(big)), 0);
	CHECK_EQ(next_of(indefinite, sizeof(indefinite)), -1);
	CHECK_EQ(next_of(long_tag, sizeof(long_tag)), -1);
	CHECK_EQ(next_of(non_minimal, sizeof(non_minimal)), -1);
	CHECK_EQ(next_of(zero_lead, sizeof(zero_lead)), -1);
	CHECK_EQ(next_of(five, sizeof(five)), -1);
	CHECK_EQ(next_of(beyond, sizeof(beyond)), -1);
	CHECK_EQ(next_of(beyond, 1), -1);
	/* INTEGER: minimal, within Int32..UInt32 */
	v.p = (const uint8_t *)"\x00\x80", v.n = 2;
	CHECK_EQ(der_int32(&v, &x), 0);
	CHECK_EQ(x, 128);
	v.p = (const uint8_t *)"\x00\x7f", v.n = 2;
	CHECK_EQ(der_int32(&v, &x), -1);
	v.p = (const uint8_t *)"\xff\x80", v.n = 2;
	CHECK_EQ(der_int32(&v, &x), -1);
	v.p = (const uint8_t *)"\x80\x00\x00\x00", v.n = 4;
	CHECK_EQ(der_int32(&v, &x), 0);
	CHECK_EQ(x, -2147483648LL);
	v.p = (const uint8_t *)"\x00\xff\xff\xff\xff", v.n = 5;
	CHECK_EQ(der_int32(&v, &x), 0);
	CHECK_EQ(x, 4294967295LL);
	v.p = (const uint8_t *)"\x01\x00\x00\x00\x00", v.n = 5;
	CHECK_EQ(der_int32(&v, &x), -1);
	v.n = 0;
	CHECK_EQ(der_int32(&v, &x), -1);
}

/* Fields: found, absent (OPTIONAL, or past in tag order), or malformed. */
static void test_der_fields(void)
{
	/* SEQUENCE contents: [0] INTEGER 5, [2] OCTET STRING "ab" */
	static const uint8_t s[] = {0xA0, 3, 0x02, 1, 5, 0xA2, 4, 0x04, 2, 'a', 'b'};
	static const uint8_t not_explicit[] = {0x02, 1, 5};
	static const uint8_t two_values[] = {0xA0, 6, 0x02, 1, 5, 0x02, 1, 6};
	struct der seq = {s, sizeof(s)}, v;
	int64_t x;
	CHECK_EQ(der_field_int(&seq, 0, &x), 1);
	CHECK_EQ(x, 5);
	CHECK_EQ(der_field(&seq, 1, &v), 0);
	CHECK_EQ(der_field_value(&seq, 2, DER_OCTET_STRING, &v), 1);
	CHECK_MEM(v.p, v.n, "ab", 2);
	CHECK_EQ(der_field_value(&seq, 2, DER_INTEGER, &v), -1);
	CHECK_EQ(der_field(&seq, 7, &v), 0);
	seq.p = not_explicit, seq.n = sizeof(not_explicit);
	CHECK_EQ(der_field(&seq, 0, &v), -1);
	seq.p = two_values, seq.n = sizeof(two_values);
	CHECK_EQ(der_field_int(&seq, 0, &x), -1);
}

/* Every TLV of the message again, constructed ones from their children:
 * MIT's DER is minimal, so the writer must give its bytes back exactly. */
static void rewrite(struct der_w *w, struct der in)
{
	struct der c, items[64];
	unsigned tags[64], t;
	size_t n = 0, mark;
	while (in.n && n < 64 && !der_next(&in, &t, &c)) {
		tags[n] = t;
		items[n++] = c;
	}
	CHECK_EQ(in.n, 0);
	while (n--) { /* backwards: the last TLV first */
		if (tags[n] & 0x20) {
			mark = der_w_len(w);
			rewrite(w, items[n]);
			der_w_wrap(w, mark, tags[n]);
		} else {
			der_w_prim(w, tags[n], items[n].p, items[n].n);
		}
	}
}

static void test_der_writer_gives_mit_bytes_back(void)
{
	static const char *const files[] = {"00-req.der", "01-rep.der", "02-req.der",
					    "03-rep.der", "07-rep.der", "11-rep.der"};
	static uint8_t buf[2048];
	const uint8_t *out;
	struct der_w w;
	size_t i, n;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct der in;
		CHECK_EQ(load(0, files[i]), 0);
		in.p = msg[0], in.n = msg_n[0];
		der_w_init(&w, buf, sizeof(buf));
		rewrite(&w, in);
		CHECK_EQ(der_w_done(&w, &out, &n), 0);
		CHECK_MEM(out, n, msg[0], msg_n[0]);
	}
	der_w_init(&w, buf, 10); /* too small: refused, not overrun */
	{
		struct der in = {msg[0], msg_n[0]};
		rewrite(&w, in);
		CHECK_EQ(der_w_done(&w, &out, &n), -1);
	}
}

/* INTEGER encodings (X.690 8.3): minimal, signed. */
static void test_der_writer_integers(void)
{
	static const struct {
		int64_t v;
		const char *der;
		size_t n;
	} cases[] = {
		{0, "\x02\x01\x00", 3},
		{127, "\x02\x01\x7f", 3},
		{128, "\x02\x02\x00\x80", 4},
		{-1, "\x02\x01\xff", 3},
		{-128, "\x02\x01\x80", 3},
		{-129, "\x02\x02\xff\x7f", 4},
		{4294967295LL, "\x02\x05\x00\xff\xff\xff\xff", 7},
		{-2147483648LL, "\x02\x04\x80\x00\x00\x00", 6},
	};
	uint8_t buf[16];
	const uint8_t *out;
	struct der_w w;
	size_t i, n;
	int64_t x;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct der in, v;
		der_w_init(&w, buf, sizeof(buf));
		der_w_int(&w, cases[i].v);
		CHECK_EQ(der_w_done(&w, &out, &n), 0);
		CHECK_MEM(out, n, cases[i].der, cases[i].n);
		in.p = out, in.n = n; /* and read back */
		CHECK_EQ(der_expect(&in, DER_INTEGER, &v), 0);
		CHECK_EQ(der_int32(&v, &x), 0);
		CHECK_EQ(x, cases[i].v);
	}
}

void der_tests(void)
{
	RUN(test_der_reads_mit_kdc_exchange);
	RUN(test_der_refuses_malformed);
	RUN(test_der_fields);
	RUN(test_der_writer_gives_mit_bytes_back);
	RUN(test_der_writer_integers);
}
