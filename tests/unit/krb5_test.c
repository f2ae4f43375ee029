/* The AS exchange's messages (core/auth/krb5_msg.c) on what MIT's KDC sent
 * (tests/vectors/krb5/); the live exchange is tests/interop/krb5_kdc.py. */
#include <stdio.h>
#include <string.h>

#include "auth/krb5.h"
#include "auth/krb5_msg.h"
#include "crypto/kcrypto.h"
#include "harness.h"

static size_t load(const char *name, uint8_t *buf, size_t cap)
{
	char path[128];
	size_t n;
	FILE *f;
	snprintf(path, sizeof(path), "tests/vectors/krb5/%s", name);
	if (!(f = fopen(path, "rb")))
		return 0;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void test_krb5_reads_the_kdc_errors(void)
{
	static uint8_t m[1024];
	struct krb5_error e;
	uint64_t t;
	size_t n = load("01-rep.der", m, sizeof(m));
	CHECK_EQ(krb5_parse_error(m, n, &e), 0);
	CHECK_EQ(e.code, KRB5_ERR_PREAUTH_REQUIRED);
	CHECK_EQ(e.etype, KCRYPTO_ETYPE_AES256);
	CHECK_EQ(e.has_salt, 1);
	CHECK_MEM(e.salt, e.salt_n, "WRSH.TESTalice", 14);
	CHECK_EQ(e.iterations, KCRYPTO_ITERATIONS);
	CHECK_EQ(krb5_parse_time(e.stime, &t), 0); /* the KDC's clock, as recorded */
	CHECK(t > 1700000000ull && t < 4102444800ull);
	n = load("11-rep.der", m, sizeof(m));
	CHECK_EQ(krb5_parse_error(m, n, &e), 0);
	CHECK_EQ(e.code, KRB5_ERR_PREAUTH_FAILED);
	/* the same inside a GSS token (RFC 4121 4.1: TOK_ID 03 00), as an
	 * acceptor refuses an AP-REQ */
	CHECK(n + 13 >= 128 && n + 13 < 256); /* one length byte after 0x81 */
	memmove(m + 16, m, n);
	memcpy(m, "\x60\x81\x00\x06\x09\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x03\x00", 16);
	m[2] = (uint8_t)(n + 13);
	CHECK_EQ(krb5_gss_error(m, n + 16, &e), 0);
	CHECK_EQ(e.code, KRB5_ERR_PREAUTH_FAILED);
	m[14] = 2; /* TOK_ID 02 00: an AP-REP, not an error */
	CHECK_EQ(krb5_gss_error(m, n + 16, &e), -1);
	n = load("03-rep.der", m, sizeof(m)); /* an AS-REP is no KRB-ERROR */
	CHECK_EQ(krb5_parse_error(m, n, &e), -1);
	CHECK_EQ(krb5_parse_error(m, 3, &e), -1);
}

/* What kinit and kvno wrote (tests/vectors/krb5/README.md); every
 * truncation of it is refused or found short, never overrun. */
static void test_krb5_reads_kinits_ccache(void)
{
	static uint8_t m[4096];
	struct krb5_ccache cc;
	size_t n = load("kinit-kvno.ccache", m, sizeof(m)), k;
	CHECK(n > 1000);
	CHECK_EQ(krb5_ccache_find(m, n, "krbtgt/WRSH.TEST", NULL, &cc), 0);
	CHECK_STR(cc.name, "alice");
	CHECK_STR(cc.realm, "WRSH.TEST");
	CHECK_EQ(cc.key.etype, KCRYPTO_ETYPE_AES256);
	CHECK_EQ(cc.key.len, 32);
	CHECK(cc.ticket_n > 200 && cc.ticket[0] == 0x61); /* Ticket ::= [APPLICATION 1] */
	CHECK(cc.endtime > 1796000000ull);
	CHECK_EQ(krb5_ccache_find(m, n, "HTTP/localhost", NULL, &cc), 0);
	CHECK(cc.ticket_n > 200 && cc.ticket[0] == 0x61);
	CHECK_EQ(krb5_ccache_find(m, n, "HTTP/elsewhere", NULL, &cc), 1);
	CHECK_EQ(krb5_ccache_find(m, n, "HTTP", NULL, &cc), 1);
	CHECK_EQ(krb5_ccache_find(m, n, "HTTP/localhost/x", NULL, &cc), 1);
	for (k = 0; k < n; k++)
		CHECK(krb5_ccache_find(m, k, "HTTP/localhost", NULL, &cc) != 0);
	m[1] = 2; /* version 0x0502: host byte order, refused */
	CHECK_EQ(krb5_ccache_find(m, n, "HTTP/localhost", NULL, &cc), -1);
}

/* A ccache image (MIT's klist and kvno read these in tests/cli/test_krb5.py):
 * read back, and refused whole when it does not fit. */
static void test_krb5_writes_a_ccache(void)
{
	static uint8_t buf[2048];
	static const uint8_t tkt[3] = {0x61, 1, 0};
	struct krb5_ccache cc;
	struct krb5_key k = {KCRYPTO_ETYPE_AES128, 16, {1, 2, 3}};
	size_t n = krb5_ccache_begin(buf, sizeof(buf), "alice", "WRSH.TEST"), m;
	CHECK(n > 0);
	n = krb5_ccache_add(buf, sizeof(buf), n, "alice", "WRSH.TEST", "krbtgt/WRSH.TEST",
			    "WRSH.TEST", &k, 1796000000ull, 1796036000ull, 0x40e10000, tkt,
			    sizeof(tkt));
	m = krb5_ccache_add(buf, sizeof(buf), n, "alice", "WRSH.TEST", "HTTP/localhost",
			    "WRSH.TEST", &k, 1796000000ull, 1796036000ull, 0, tkt, 2);
	CHECK(m > n);
	CHECK_EQ(krb5_ccache_find(buf, m, "HTTP/localhost", NULL, &cc), 0);
	CHECK_EQ(cc.ticket_n, 2);
	CHECK_EQ(cc.endtime, 1796036000ull);
	CHECK_EQ(krb5_ccache_find(buf, m, "krbtgt/WRSH.TEST", NULL, &cc), 0);
	CHECK_MEM(cc.key.v, 16, k.v, 16);
	/* a service of another realm: found in it, or in any ("") */
	n = krb5_ccache_add(buf, sizeof(buf), m, "alice", "WRSH.TEST", "HTTP/web.forest.test",
			    "FOREST.TEST", &k, 1796000000ull, 1796036000ull, 0, tkt, 3);
	CHECK(n > m);
	CHECK_EQ(krb5_ccache_find(buf, n, "HTTP/web.forest.test", NULL, &cc), 1);
	CHECK_EQ(krb5_ccache_find(buf, n, "HTTP/web.forest.test", "FOREST.TEST", &cc), 0);
	CHECK_EQ(cc.ticket_n, 3);
	CHECK_EQ(krb5_ccache_find(buf, n, "HTTP/web.forest.test", "", &cc), 0);
	CHECK_EQ(krb5_ccache_find(buf, n, "HTTP/localhost", "FOREST.TEST", &cc), 1);
	CHECK_EQ(krb5_ccache_find(buf, n, "HTTP/localhost", "", &cc), 0);
	n = m;
	CHECK_EQ(krb5_ccache_add(buf, n + 10, n, "alice", "WRSH.TEST", "HTTP/x", "WRSH.TEST", &k, 0,
				 0, 0, tkt, 3),
		 0);
	CHECK_EQ(krb5_ccache_add(buf, sizeof(buf), 0, "alice", "WRSH.TEST", "HTTP/x", "WRSH.TEST",
				 &k, 0, 0, 0, tkt, 3),
		 0);
	CHECK_EQ(krb5_ccache_begin(buf, 10, "alice", "WRSH.TEST"), 0);
}

/* What kadmin wrote (tests/vectors/krb5/README.md): its keys are the ones
 * RFC 3962's string-to-key makes of the password and the default salt. */
static void test_krb5_reads_kadmins_keytab(void)
{
	static const char pw[] = "Passw0rd!";
	static uint8_t m[1024];
	struct krb5_key k;
	uint8_t want[32];
	size_t n = load("alice.keytab", m, sizeof(m)), i;
	CHECK(n > 100);
	CHECK_EQ(krb5_keytab_key(m, n, "alice", "WRSH.TEST", KCRYPTO_ETYPE_AES256, &k), 0);
	CHECK_EQ(k.len, 32);
	CHECK_EQ(kcrypto_string_to_key(pw, strlen(pw), (const uint8_t *)"WRSH.TESTalice", 14,
				       KCRYPTO_ITERATIONS, 32, want),
		 0);
	CHECK_MEM(k.v, 32, want, 32);
	CHECK_EQ(krb5_keytab_key(m, n, "alice", "WRSH.TEST", KCRYPTO_ETYPE_AES128, &k), 0);
	CHECK_EQ(kcrypto_string_to_key(pw, strlen(pw), (const uint8_t *)"WRSH.TESTalice", 14,
				       KCRYPTO_ITERATIONS, 16, want),
		 0);
	CHECK_MEM(k.v, 16, want, 16);
	CHECK_EQ(krb5_keytab_key(m, n, "bob", "WRSH.TEST", KCRYPTO_ETYPE_AES256, &k), 1);
	CHECK_EQ(krb5_keytab_key(m, n, "alice", "OTHER.TEST", KCRYPTO_ETYPE_AES256, &k), 1);
	CHECK_EQ(krb5_keytab_key(m, n, "alice/admin", "WRSH.TEST", KCRYPTO_ETYPE_AES256, &k), 1);
	CHECK_EQ(krb5_keytab_key(m, n, "alic", "WRSH.TEST", KCRYPTO_ETYPE_AES256, &k), 1);
	for (i = 0; i < n; i++) /* every truncation: refused or short, never overrun */
		(void)krb5_keytab_key(m, i, "alice", "WRSH.TEST", KCRYPTO_ETYPE_AES256, &k);
	m[1] = 1; /* 0x0501: host byte order */
	CHECK_EQ(krb5_keytab_key(m, n, "alice", "WRSH.TEST", KCRYPTO_ETYPE_AES256, &k), -1);
}

/* The nonce kinit chose: KDC-REQ-BODY's [7] in its second request. */
static uint32_t kinit_nonce(void)
{
	static uint8_t m[1024];
	struct der in, a, seq, body;
	int64_t nonce = 0;
	in.p = m, in.n = load("02-req.der", m, sizeof(m));
	if (der_expect(&in, DER_APP(10), &a) || der_expect(&a, DER_SEQUENCE, &seq) ||
	    der_field_value(&seq, 4, DER_SEQUENCE, &body) != 1 ||
	    der_field_int(&body, 7, &nonce) != 1)
		return 0;
	return (uint32_t)nonce;
}

static void test_krb5_opens_the_as_rep(void)
{
	static uint8_t m[1024], copy[1024];
	struct krb5_as_rep r;
	struct krb5_key k, wrong;
	uint32_t nonce = kinit_nonce();
	size_t n = load("03-rep.der", m, sizeof(m));
	k.etype = KCRYPTO_ETYPE_AES256, k.len = 32;
	CHECK_EQ(kcrypto_string_to_key("Passw0rd!", 9, (const uint8_t *)"WRSH.TESTalice", 14,
				       KCRYPTO_ITERATIONS, 32, k.v),
		 0);
	memcpy(copy, m, n);
	CHECK_EQ(krb5_parse_as_rep(copy, n, &k, nonce, &r), 0);
	CHECK_EQ(r.session.etype, KCRYPTO_ETYPE_AES256);
	CHECK_EQ(r.session.len, 32);
	CHECK_EQ(r.ticket.p[0], DER_APP(1)); /* the Ticket, whole */
	{ /* MIT's TGT names its realm and krbtgt/WRSH.TEST (what referrals are told by) */
		static char realm[KRB5_PART_MAX], svc[KRB5_PART_MAX], host[KRB5_PART_MAX];
		struct der t = r.ticket;
		CHECK_EQ(krb5_ticket_server(&t, realm, svc, host), 0);
		CHECK_STR(realm, "WRSH.TEST");
		CHECK_STR(svc, "krbtgt");
		CHECK_STR(host, "WRSH.TEST");
		t.n--;
		CHECK_EQ(krb5_ticket_server(&t, realm, svc, host), -1);
	}
	CHECK_EQ(strlen(r.endtime), 15);
	CHECK(r.flags & 0x00200000u); /* pre-authent */
	memcpy(copy, m, n);
	CHECK_EQ(krb5_parse_as_rep(copy, n, &k, nonce + 1, &r), -3); /* not our request */
	wrong = k;
	wrong.v[0] ^= 1;
	memcpy(copy, m, n);
	CHECK_EQ(krb5_parse_as_rep(copy, n, &wrong, nonce, &r), -2); /* a wrong password */
	wrong = k;
	wrong.etype = KCRYPTO_ETYPE_AES128, wrong.len = 16;
	memcpy(copy, m, n);
	CHECK_EQ(krb5_parse_as_rep(copy, n, &wrong, nonce, &r), -3);
	memcpy(copy, m, n);
	CHECK_EQ(krb5_parse_as_rep(copy, n - 1, &k, nonce, &r), -1);
}

/* What the builders write reads back as RFC 4120 says, and the KDC's key
 * opens our timestamp. */
static void test_krb5_builds_an_as_req(void)
{
	static const int32_t etypes[2] = {18, 17};
	static const uint8_t conf[16] = "confounder-16by.";
	uint8_t buf[1024], pab[256], box[256];
	struct der_w w, pw;
	struct der in, a, seq, body, v, pa, ed, cipher;
	const uint8_t *out, *pao;
	struct krb5_key k;
	char till[16];
	size_t n, pn, len;
	int64_t x;
	krb5_time(951782400, till); /* 2000-02-29: a leap day */
	CHECK_STR(till, "20000229000000Z");
	krb5_time(4102444799ull, till);
	CHECK_STR(till, "20991231235959Z");
	{ /* and back, for every day of a leap cycle and its edges */
		uint64_t t, u;
		for (t = 0; t < 4102444800ull; t += 86400 * 13 + 3607) {
			krb5_time(t, till);
			CHECK_EQ(krb5_parse_time(till, &u), 0);
			CHECK_EQ(u, t);
		}
		CHECK_EQ(krb5_parse_time("20000229000000Z", &u), 0);
		CHECK_EQ(u, 951782400);
		CHECK_EQ(krb5_parse_time("20001301000000Z", &u), -1); /* month 13 */
		CHECK_EQ(krb5_parse_time("2000010100000Z", &u), -1);  /* short */
		CHECK_EQ(krb5_parse_time("20000101000000+", &u), -1); /* not UTC */
		krb5_time(4102444799ull, till);
	}
	k.etype = 18, k.len = 32;
	memset(k.v, 7, 32);
	der_w_init(&pw, pab, sizeof(pab));
	CHECK_EQ(krb5_pa_timestamp(&pw, &k, "20261203120000Z", 123456, conf), 0);
	CHECK_EQ(der_w_done(&pw, &pao, &pn), 0);
	der_w_init(&w, buf, sizeof(buf));
	CHECK_EQ(krb5_as_req(&w, "alice", "WRSH.TEST", 77, till, etypes, 2, pao, pn), 0);
	CHECK_EQ(der_w_done(&w, &out, &n), 0);
	in.p = out, in.n = n;
	CHECK_EQ(der_expect(&in, DER_APP(10), &a), 0);
	CHECK_EQ(der_expect(&a, DER_SEQUENCE, &seq), 0);
	CHECK_EQ(der_field_int(&seq, 1, &x), 1);
	CHECK_EQ(x, 5);
	CHECK_EQ(der_field_int(&seq, 2, &x), 1);
	CHECK_EQ(x, 10);
	CHECK_EQ(der_field_value(&seq, 4, DER_SEQUENCE, &body), 1);
	CHECK_EQ(der_field_int(&body, 7, &x), 1);
	CHECK_EQ(x, 77);
	CHECK_EQ(der_field_value(&body, 2, DER_GENERAL_STRING, &v), 1);
	CHECK_MEM(v.p, v.n, "WRSH.TEST", 9);
	CHECK_EQ(der_field_value(&seq, 3, DER_SEQUENCE, &v), 1);
	CHECK_EQ(der_expect(&v, DER_SEQUENCE, &pa), 0);
	CHECK_EQ(der_field_int(&pa, 1, &x), 1);
	CHECK_EQ(x, 2);
	CHECK_EQ(der_field_value(&pa, 2, DER_OCTET_STRING, &v), 1);
	CHECK_EQ(der_expect(&v, DER_SEQUENCE, &ed), 0);
	CHECK_EQ(der_field_value(&ed, 2, DER_OCTET_STRING, &cipher), 1);
	memcpy(box, cipher.p, cipher.n);
	CHECK_EQ(kcrypto_decrypt(k.v, 32, 1, box, cipher.n, &len), 0);
	/* too small a buffer: refused */
	der_w_init(&w, buf, 40);
	CHECK_EQ(krb5_as_req(&w, "alice", "WRSH.TEST", 77, till, etypes, 2, NULL, 0), -1);
}

/* The GSS AP-REQ reads back as RFC 4121 4.1 and RFC 4120 5.5.1 say: the
 * token's framing, the ticket as given, and an authenticator that opens
 * under the session key with usage 11 and carries the 0x8003 checksum. */
static void test_krb5_builds_a_gss_ap_req(void)
{
	static const uint8_t ticket[] = {0x61, 0x03, 0x02, 0x01, 0x05}; /* a stand-in Ticket */
	static uint8_t buf[1024], box[512];
	struct krb5_key k, sub;
	struct krb5_ap a;
	struct der_w w;
	struct der in, tok, ap, seq, v, ed, cipher, auth, ck;
	const uint8_t *out;
	uint8_t gss[KRB5_GSS_CKSUM_LEN];
	size_t n, len;
	int64_t x;
	k.etype = 18, k.len = 32;
	memset(k.v, 3, 32);
	sub = k;
	memset(sub.v, 9, 32);
	krb5_gss_cksum(NULL, KRB5_GSS_MUTUAL | KRB5_GSS_CONF, gss);
	memset(&a, 0, sizeof(a));
	a.ticket = ticket, a.ticket_n = sizeof(ticket), a.key = &k, a.usage = 11;
	a.user = "alice", a.realm = "WRSH.TEST", a.ctime = "20261203120000Z", a.cusec = 42;
	a.cksum = gss, a.cksum_n = sizeof(gss), a.cksum_type = KRB5_GSS_CKSUM;
	a.subkey = &sub, a.has_seq = 1, a.seq = 1234, a.mutual = 1;
	der_w_init(&w, buf, sizeof(buf));
	CHECK_EQ(krb5_gss_ap_req(&w, &a), 0);
	CHECK_EQ(der_w_done(&w, &out, &n), 0);
	in.p = out, in.n = n;
	CHECK_EQ(der_expect(&in, DER_APP(0), &tok), 0);
	CHECK_EQ(der_expect(&tok, DER_OID, &v), 0);
	CHECK_MEM(v.p, v.n, "\x2a\x86\x48\x86\xf7\x12\x01\x02\x02", 9);
	CHECK_MEM(tok.p, 2, "\x01\x00", 2);
	tok.p += 2, tok.n -= 2;
	CHECK_EQ(der_expect(&tok, DER_APP(14), &ap), 0);
	CHECK_EQ(der_expect(&ap, DER_SEQUENCE, &seq), 0);
	CHECK_EQ(der_field_int(&seq, 1, &x), 1);
	CHECK_EQ(x, 14);
	CHECK_EQ(der_field_value(&seq, 2, DER_BIT_STRING, &v), 1);
	CHECK_MEM(v.p, v.n, "\0\x20\0\0\0", 5); /* mutual-required */
	CHECK_EQ(der_field(&seq, 3, &v), 1);
	CHECK_MEM(v.p, v.n, ticket, sizeof(ticket));
	CHECK_EQ(der_field_value(&seq, 4, DER_SEQUENCE, &ed), 1);
	CHECK_EQ(der_field_value(&ed, 2, DER_OCTET_STRING, &cipher), 1);
	memcpy(box, cipher.p, cipher.n);
	CHECK_EQ(kcrypto_decrypt(k.v, 32, 11, box, cipher.n, &len), 0);
	in.p = box + KCRYPTO_CONFOUNDER, in.n = len;
	CHECK_EQ(der_expect(&in, DER_APP(2), &v), 0);
	CHECK_EQ(der_expect(&v, DER_SEQUENCE, &auth), 0);
	CHECK_EQ(der_field_int(&auth, 0, &x), 1);
	CHECK_EQ(x, 5);
	CHECK_EQ(der_field_value(&auth, 3, DER_SEQUENCE, &ck), 1);
	CHECK_EQ(der_field_int(&ck, 0, &x), 1);
	CHECK_EQ(x, KRB5_GSS_CKSUM);
	CHECK_EQ(der_field_value(&ck, 1, DER_OCTET_STRING, &v), 1);
	CHECK_MEM(v.p, v.n, gss, sizeof(gss));
	CHECK_EQ(v.p[0], 16);  /* Lgth */
	CHECK_EQ(v.p[20], 18); /* mutual | conf, little-endian */
	CHECK_EQ(der_field_int(&auth, 4, &x), 1);
	CHECK_EQ(x, 42);
	CHECK_EQ(der_field_int(&auth, 7, &x), 1);
	CHECK_EQ(x, 1234);
	CHECK_EQ(der_field_value(&auth, 6, DER_SEQUENCE, &v), 1);
}

/* Wrap tokens both ways at lengths around the block edges; what another
 * RRC (a peer's own choice, RFC 4121 4.2.5) puts in front still opens;
 * a flipped bit, a wrong usage or key does not. */
static void test_krb5_wrap_round_trip(void)
{
	static const uint8_t conf[16] = "0123456789abcdef";
	static uint8_t buf[KRB5_WRAP_SIG + 200 + 2 * KRB5_WRAP_ROOM], tok[KRB5_WRAP_SIG + 200];
	uint8_t sig[KRB5_WRAP_SIG], flags;
	struct krb5_key k;
	size_t n, i, off, pn;
	uint64_t seq;
	k.etype = 17, k.len = 16;
	memset(k.v, 0x42, 16);
	for (n = 0; n <= 200; n += 7) {
		for (i = 0; i < n; i++)
			buf[KRB5_WRAP_ROOM + i] = (uint8_t)(i + n);
		CHECK_EQ(krb5_wrap(&k, KRB5_USAGE_INITIATOR_SEAL, 0, 77 + n, conf, buf, n, sig), 0);
		memcpy(tok, sig, KRB5_WRAP_SIG);
		memcpy(tok + KRB5_WRAP_SIG, buf + KRB5_WRAP_ROOM, n);
		memcpy(buf, tok, KRB5_WRAP_SIG + n);
		CHECK_EQ(krb5_unwrap(&k, KRB5_USAGE_INITIATOR_SEAL, buf, KRB5_WRAP_SIG, n, &off,
				     &pn, &seq, &flags),
			 0);
		CHECK_EQ(pn, n);
		CHECK_EQ(seq, 77 + n);
		CHECK_EQ(flags, KRB5_FLAG_SEALED);
		for (i = 0; i < n; i++)
			CHECK_EQ(buf[off + i], (uint8_t)(i + n));
		/* RRC 0: the same token un-rotated, all of it "signature" */
		memcpy(buf, tok, 16);
		memcpy(buf + 16, tok + 16 + 28, KRB5_WRAP_SIG - 16 - 28 + n);
		memcpy(buf + KRB5_WRAP_SIG - 28 + n, tok + 16, 28);
		buf[6] = buf[7] = 0;
		CHECK_EQ(krb5_unwrap(&k, KRB5_USAGE_INITIATOR_SEAL, buf, KRB5_WRAP_SIG + n, 0, &off,
				     &pn, &seq, &flags),
			 0);
		CHECK_EQ(pn, n);
		memcpy(buf, tok, KRB5_WRAP_SIG + n);
		buf[(KRB5_WRAP_SIG + n) / 2] ^= 4;
		CHECK(krb5_unwrap(&k, KRB5_USAGE_INITIATOR_SEAL, buf, KRB5_WRAP_SIG, n, &off, &pn,
				  &seq, &flags) < 0);
		memcpy(buf, tok, KRB5_WRAP_SIG + n);
		CHECK_EQ(krb5_unwrap(&k, KRB5_USAGE_ACCEPTOR_SEAL, buf, KRB5_WRAP_SIG, n, &off, &pn,
				     &seq, &flags),
			 -2);
	}
	memcpy(buf, tok, 8);
	CHECK_EQ(krb5_unwrap(&k, KRB5_USAGE_INITIATOR_SEAL, buf, 8, 0, &off, &pn, &seq, &flags),
		 -1);
}

void krb5_tests(void)
{
	RUN(test_krb5_reads_the_kdc_errors);
	RUN(test_krb5_reads_kinits_ccache);
	RUN(test_krb5_writes_a_ccache);
	RUN(test_krb5_reads_kadmins_keytab);
	RUN(test_krb5_opens_the_as_rep);
	RUN(test_krb5_builds_an_as_req);
	RUN(test_krb5_builds_a_gss_ap_req);
	RUN(test_krb5_wrap_round_trip);
}
