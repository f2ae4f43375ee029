/*
 * TLS over any port, with mbedTLS. The TLS port has the shape of the port it
 * wraps: connect() is TCP connect plus handshake, send/recv are records,
 * close() sends close_notify. All state lives in the session's arena.
 *
 * Built against wrsh's own mbedTLS 3.6 (tls/mbedtls_config.h): memory comes
 * from the arena, randomness from the port, trusted CAs are looked up in a
 * PEM bundle one issuer at a time. Built against a distribution's mbedTLS
 * (2.28 or 3.x, SYSTEM_LIBS=1) it still works, with what that library
 * has: its memory then comes from the C heap, and the CA bundle is parsed
 * whole.
 *
 * Threads: the mbedTLS allocation and PSA RNG hooks have no context
 * pointer, so every entry into mbedTLS first puts this session's arena and
 * port in the port's per-thread hook slot (port.h), where the hooks find
 * them. mbedTLS's own PSA key store is process-wide and, without
 * MBEDTLS_THREADING_C, unlocked: TLS sessions run in one thread at a time
 * (wrsh.h, "Threads").
 */
#include <string.h>

#include "mbedtls/asn1.h"
#include "mbedtls/constant_time.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"
#include "mbedtls/md.h"
#include "mbedtls/oid.h"
#include "mbedtls/platform.h"
#include "mbedtls/platform_util.h"
#include "mbedtls/version.h"
#if MBEDTLS_VERSION_MAJOR >= 3
#include "psa/crypto.h"
#endif

#include "config.h"
#include "crypto/crypto.h"
#include "resume.h"
#include "tls.h"
#include "util/base64.h"

#ifndef MBEDTLS_PRIVATE
#define MBEDTLS_PRIVATE(m) m /* 2.28 has no private-member markers */
#endif

#define BEGIN_CERT "-----BEGIN CERTIFICATE-----"
#define END_CERT "-----END CERTIFICATE-----"
#define CLOSE_TIMEOUT_MS 1000u

struct tls {
	struct wrsh_port lower;
	struct wrsh_arena *arena;
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
	mbedtls_x509_crt ca_chain; /* whole-bundle fallback (no CA callback) */
	mbedtls_x509_crt own_cert;
	mbedtls_pk_context own_key;
	bool ssl_ready, connected, pin_on, insecure, tls12_only, warned;
	uint8_t pin[32];
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
	unsigned why_rank; /* the verify callback's reason, most important first */
	char why[200];
	const mbedtls_x509_crt *above; /* while verifying: the certificate before */
	bool crl_on;
#if defined(MBEDTLS_X509_CRL_PARSE_C)
	mbedtls_x509_crl crl;
#endif
	const uint8_t *ca;
	size_t ca_len;
	char host[256];
	uint16_t port;
	bool resume_on;
	struct tls_resume resume; /* its certificate stands in for a resumed session's */
	uint32_t timeout_ms;
	uint64_t handshake_end; /* while connecting: the handshake as a whole */
	unsigned recv_flags;
	wrsh_err io_err; /* what the lower port said, to pass through */
	char err[200];
};

static void enter(struct tls *t)
{
	struct wrsh_hook_slot *s = wrsh_port_hook_slot();
	s->arena = t->arena;
	s->port = &t->lower;
}

#if defined(MBEDTLS_PLATFORM_NO_STD_FUNCTIONS) && !defined(WRSH_SYSTEM_MBEDTLS)
/* mbedtls_snprintf on a platform without the C library's (port_config.h):
 * only mbedTLS's text dumps use it, and wrsh calls none of them. Failing
 * (-1) rather than writing nothing makes each of them return an error. */
int wrsh_mbedtls_snprintf(char *s, size_t n, const char *fmt, ...)
{
	(void)fmt;
	if (n)
		*s = '\0';
	return -1;
}
#endif

#if defined(MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG)
/* PSA's random source is the port's (getrandom on POSIX, a TRNG on a board). */
psa_status_t mbedtls_psa_external_get_random(mbedtls_psa_external_random_context_t *context,
					     uint8_t *output, size_t output_size,
					     size_t *output_length)
{
	const struct wrsh_port *port = wrsh_port_hook_slot()->port;
	(void)context;
	if (!port || port->random(port->ctx, output, output_size))
		return PSA_ERROR_INSUFFICIENT_ENTROPY;
	*output_length = output_size;
	return PSA_SUCCESS;
}
#endif

static int rng(void *ctx, unsigned char *out, size_t n)
{
	struct tls *t = ctx;
	return t->lower.random(t->lower.ctx, out, n) ? MBEDTLS_ERR_SSL_INTERNAL_ERROR : 0;
}

static wrsh_err fail(struct tls *t, wrsh_err e, const char *a, const char *b)
{
	size_t n = strlen(a), m = b ? strlen(b) : 0;
	if (n > sizeof(t->err) - 1)
		n = sizeof(t->err) - 1;
	memcpy(t->err, a, n);
	if (m > sizeof(t->err) - 1 - n)
		m = sizeof(t->err) - 1 - n;
	if (m)
		memcpy(t->err + n, b, m);
	t->err[n + m] = 0;
	return e;
}

static wrsh_err fail_code(struct tls *t, wrsh_err e, const char *what, int ret)
{
	char num[16];
	unsigned v = (unsigned)-ret;
	int i;
	num[0] = ' ', num[1] = '(', num[2] = '-', num[3] = '0', num[4] = 'x';
	for (i = 0; i < 4; i++)
		num[5 + i] = "0123456789ABCDEF"[(v >> (12 - 4 * i)) & 15];
	num[9] = ')', num[10] = 0;
	return fail(t, e, what, num);
}

/* ---- BIO: the lower port under mbedTLS ------------------------------- */

/* Every lower failure becomes WANT_READ/WANT_WRITE for mbedTLS (so its state
 * stays sane) and is reported from io_err by the port functions. */
/* Each read and write within the timeout, and during the handshake no
 * later than its end: a peer trickling bytes cannot stretch it. */
static uint32_t io_ms(struct tls *t)
{
	uint64_t now;
	if (!t->handshake_end)
		return t->timeout_ms;
	now = t->lower.now_ms(t->lower.ctx);
	if (now >= t->handshake_end)
		return 0;
	return t->handshake_end - now < t->timeout_ms ? (uint32_t)(t->handshake_end - now)
						      : t->timeout_ms;
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct tls *t = ctx;
	size_t sent = 0;
	uint32_t ms = io_ms(t);
	t->io_err = ms ? t->lower.send(t->lower.ctx, buf, len, &sent, ms) : WRSH_ETIMEDOUT;
	if (t->io_err)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	return (int)sent;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct tls *t = ctx;
	size_t got = 0;
	uint32_t ms = io_ms(t);
	t->io_err = ms ? t->lower.recv(t->lower.ctx, buf, len, &got, ms, t->recv_flags)
		       : WRSH_ETIMEDOUT;
	if (t->io_err)
		return MBEDTLS_ERR_SSL_WANT_READ;
	return (int)got; /* 0: the peer closed the TCP stream */
}

/* ---- trusted CAs: one issuer at a time from a PEM bundle --------------------- */

static const uint8_t *find(const uint8_t *p, const uint8_t *end, const char *s)
{
	size_t n = strlen(s);
	for (; p + n <= end; p++)
		if (*p == (uint8_t)*s && memcmp(p, s, n) == 0)
			return p;
	return NULL;
}

#if defined(MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK)
/* The raw subject Name of a DER certificate (RFC 5280 4.1). */
static bool der_subject(const uint8_t *der, size_t n, const uint8_t **subj, size_t *slen)
{
	unsigned char *p = (unsigned char *)der, *end = p + n, *tbs_end;
	size_t len;
	int skip;
	if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) ||
	    mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		return false;
	tbs_end = p + len;
	if (*p == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0)) { /* version */
		if (mbedtls_asn1_get_tag(&p, tbs_end, &len,
					 MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED))
			return false;
		p += len;
	}
	/* serial, signature, issuer, validity: skipped; subject: kept */
	for (skip = 0; skip < 5; skip++) {
		unsigned char *start = p, tag;
		if (p >= tbs_end)
			return false;
		tag = *p++;
		if (mbedtls_asn1_get_len(&p, tbs_end, &len))
			return false;
		if (skip == 4) {
			if (tag != (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
				return false;
			*subj = start;
			*slen = (size_t)(p + len - start);
			return true;
		}
		p += len;
	}
	return false;
}

#endif

/* Decode one PEM body; the caller frees *der with mbedtls_free. */
static bool pem_body(const uint8_t *b, const uint8_t *e, uint8_t **der, size_t *n)
{
	struct b64_dec d;
	size_t cap = (size_t)(e - b) / 4 * 3 + 3;
	*der = mbedtls_calloc(1, cap);
	if (!*der)
		return false;
	b64_dec_init(&d);
	if (b64_dec_push(&d, (const char *)b, (size_t)(e - b), *der, n) || b64_dec_finish(&d)) {
		mbedtls_free(*der);
		*der = NULL;
		return false;
	}
	return true;
}

#if defined(MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK)
static int ca_lookup(void *ctx, mbedtls_x509_crt const *child, mbedtls_x509_crt **out)
{
	struct tls *t = ctx;
	const uint8_t *p = t->ca, *end = t->ca + t->ca_len;
	*out = NULL;
	while ((p = find(p, end, BEGIN_CERT)) != NULL) {
		const uint8_t *b = p + strlen(BEGIN_CERT), *e = find(b, end, END_CERT), *s;
		uint8_t *der;
		size_t n, sn;
		if (!e)
			break;
		p = e + strlen(END_CERT);
		if (!pem_body(b, e, &der, &n))
			continue;
		if (der_subject(der, n, &s, &sn) && sn == child->issuer_raw.len &&
		    memcmp(s, child->issuer_raw.p, sn) == 0) {
			if (!*out) {
				*out = mbedtls_calloc(1, sizeof(**out));
				if (*out)
					mbedtls_x509_crt_init(*out);
			}
			if (*out)
				(void)mbedtls_x509_crt_parse_der(*out, der, n);
		}
		mbedtls_free(der);
	}
	if (*out && !(*out)->raw.p) { /* nothing parsed */
		mbedtls_x509_crt_free(*out);
		mbedtls_free(*out);
		*out = NULL;
	}
	return 0;
}
#endif

#if !defined(MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK)
/* Without the CA callback: parse every certificate of the bundle. */
static wrsh_err load_bundle(struct tls *t)
{
	const uint8_t *p = t->ca, *end = t->ca + t->ca_len;
	unsigned ok = 0;
	while ((p = find(p, end, BEGIN_CERT)) != NULL) {
		const uint8_t *b = p + strlen(BEGIN_CERT), *e = find(b, end, END_CERT);
		uint8_t *der;
		size_t n;
		if (!e)
			break;
		p = e + strlen(END_CERT);
		if (pem_body(b, e, &der, &n)) {
			ok += mbedtls_x509_crt_parse_der(&t->ca_chain, der, n) == 0;
			mbedtls_free(der);
		}
	}
	return ok ? WRSH_OK
		  : fail(t, WRSH_ECERT, "tls: no usable certificate in the CA bundle", NULL);
}
#endif

/* ---- verification -------------------------------------------------------- */

static wrsh_err sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	return md && mbedtls_md(md, p, n, out) == 0 ? WRSH_OK : WRSH_ETLS;
}

static wrsh_err check_pin(struct tls *t)
{
	const mbedtls_x509_crt *crt = tls_resume_peer(&t->resume, &t->ssl);
	uint8_t h[32];
	char hex[65];
	int i;
	if (!crt || sha256(crt->raw.p, crt->raw.len, h))
		return fail(t, WRSH_ECERT, "tls: no server certificate to check the pin against",
			    NULL);
	if (mbedtls_ct_memcmp(h, t->pin, 32) == 0)
		return WRSH_OK;
	for (i = 0; i < 32; i++) {
		hex[2 * i] = "0123456789abcdef"[h[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[h[i] & 15];
	}
	hex[64] = 0;
	return fail(t, WRSH_ECERT,
		    "tls: pinned SHA-256 does not match the server certificate, got ", hex);
}

/* ---- the server's chain, judged as OpenSSL 3 does at security level 2 ---- */

/* Explicit, so that a distribution's mbedTLS (whose default differs by
 * version) judges as ours does: SHA-2 signatures (OpenSSL's level 2 takes
 * SHA-224 too), RSA keys from 2048 bits, any key type and curve built in. */
static const mbedtls_x509_crt_profile level2 = {
	MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA224) | MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA256) |
		MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA384) | MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA512),
	0xFFFFFFF, 0xFFFFFFF, 2048};

/* Reasons, the one most worth telling first: a chain that leads nowhere
 * trusted makes every other finding moot. Of two of a kind, the server's
 * own certificate's (a self-signed one is its own root, too). */
enum { WHY_TRUST = 1, WHY_CLOCK, WHY_REVOKED, WHY_CRYPTO, WHY_DATE, WHY_PURPOSE, WHY_HOST };
#define AT(why, depth) ((why)*2u + ((depth) != 0))

static void cat(char *buf, size_t cap, const char *s)
{
	size_t n = strlen(buf), m = strlen(s);
	if (m > cap - 1 - n)
		m = cap - 1 - n;
	memcpy(buf + n, s, m);
	buf[n + m] = 0;
}

/* Bytes from a certificate, which the server chose: printable ASCII only,
 * at most 64 of them, so a message stays one short line. */
static void cat_text(char *buf, size_t cap, const unsigned char *p, size_t len)
{
	char c[2] = {0, 0};
	size_t i;
	for (i = 0; i < len && i < 64; i++) {
		c[0] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
		cat(buf, cap, c);
	}
	if (len > 64)
		cat(buf, cap, "...");
}

static void cat_num(char *buf, size_t cap, unsigned v, int width)
{
	char d[12];
	int i = (int)sizeof(d) - 1;
	d[i] = 0;
	do
		d[--i] = (char)('0' + v % 10), v /= 10, width--;
	while ((v || width > 0) && i > 0);
	cat(buf, cap, d + i);
}

static void cat_cn(char *buf, size_t cap, const mbedtls_x509_name *n)
{
	for (; n; n = n->next)
		if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
			cat(buf, cap, "CN=");
			cat_text(buf, cap, n->val.p, n->val.len);
			return;
		}
	cat(buf, cap, "(no CN)");
}

static void cat_time(char *buf, size_t cap, const mbedtls_x509_time *t)
{
	cat_num(buf, cap, (unsigned)t->year, 4), cat(buf, cap, "-");
	cat_num(buf, cap, (unsigned)t->mon, 2), cat(buf, cap, "-");
	cat_num(buf, cap, (unsigned)t->day, 2), cat(buf, cap, " ");
	cat_num(buf, cap, (unsigned)t->hour, 2), cat(buf, cap, ":");
	cat_num(buf, cap, (unsigned)t->min, 2), cat(buf, cap, ":");
	cat_num(buf, cap, (unsigned)t->sec, 2), cat(buf, cap, " UTC");
}

/* An IP address SAN (RFC 5280 4.2.1.6: 4 or 16 octets) as text. */
static void cat_ip(char *buf, size_t cap, const unsigned char *p, size_t len)
{
	size_t i;
	for (i = 0; len == 4 && i < 4; i++) {
		if (i)
			cat(buf, cap, ".");
		cat_num(buf, cap, p[i], 1);
	}
	for (i = 0; len == 16 && i < 16; i += 2) {
		char h[6] = {0}, *q = h;
		unsigned v = (unsigned)p[i] << 8 | p[i + 1];
		int s;
		for (s = 12; s > 0 && !(v >> s); s -= 4)
			;
		for (; s >= 0; s -= 4)
			*q++ = "0123456789abcdef"[(v >> s) & 15];
		if (i)
			cat(buf, cap, ":");
		cat(buf, cap, h);
	}
}

/* The names a certificate is for: its DNS and IP SANs, else its CN. */
static void cat_names(char *buf, size_t cap, const mbedtls_x509_crt *c)
{
	const mbedtls_x509_sequence *s;
	unsigned n = 0;
	if (!(c->MBEDTLS_PRIVATE(ext_types) & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME)) {
		cat_cn(buf, cap, &c->subject);
		return;
	}
	for (s = &c->subject_alt_names; s && s->buf.p; s = s->next) {
		/* GeneralName tags 2 and 7: dNSName, iPAddress */
		unsigned tag = s->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK;
		if (tag != 2 && tag != 7)
			continue;
		if (n++ == 4) {
			cat(buf, cap, ", ...");
			return;
		}
		if (n > 1)
			cat(buf, cap, ", ");
		if (tag == 2)
			cat_text(buf, cap, s->buf.p, s->buf.len);
		else
			cat_ip(buf, cap, s->buf.p, s->buf.len);
	}
	if (!n)
		cat(buf, cap, "no DNS name or IP address");
}

/* The reason buffer, when this reason is worth more than the one held. */
static char *why(struct tls *t, unsigned rank, const char *start)
{
	if (t->why_rank && t->why_rank <= rank)
		return NULL;
	t->why_rank = rank;
	t->why[0] = 0;
	cat(t->why, sizeof(t->why), start);
	return t->why;
}

/* "certificate" for the server's own, "CA certificate CN=..." above it */
static void cat_which(char *buf, size_t cap, const mbedtls_x509_crt *c, int depth)
{
	if (depth == 0) {
		cat(buf, cap, "certificate");
		return;
	}
	cat(buf, cap, "CA certificate ");
	cat_cn(buf, cap, &c->subject);
}

/* FILETIME (100 ns since 1601-01-01) as a UTC calendar time: the days are
 * counted from 0000-03-01 so that leap days fall at the end of a year. */
static void filetime_to_x509(uint64_t ft, mbedtls_x509_time *t)
{
	uint64_t secs = ft / 10000000u, z = secs / 86400 + 584694; /* 1601-01-01 is day 584694 */
	uint64_t era = z / 146097, doe = z % 146097, yoe, doy, mp;
	unsigned rem = (unsigned)(secs % 86400);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	t->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	t->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	t->year = (int)(era * 400 + yoe) + (t->mon <= 2);
	t->hour = (int)(rem / 3600), t->min = (int)(rem / 60 % 60), t->sec = (int)(rem % 60);
}

static int time_cmp(const mbedtls_x509_time *a, const mbedtls_x509_time *b)
{
	int d[6] = {a->year - b->year, a->mon - b->mon, a->day - b->day,
		    a->hour - b->hour, a->min - b->min, a->sec - b->sec};
	int i;
	for (i = 0; i < 6; i++)
		if (d[i])
			return d[i];
	return 0;
}

/* The port's wall clock, or false without one. */
static bool port_now(struct tls *t, mbedtls_x509_time *now)
{
	uint64_t ft = t->lower.filetime ? t->lower.filetime(t->lower.ctx) : 0;
	if (!ft)
		return false;
	filetime_to_x509(ft, now);
	return true;
}

/* 1: not valid after, -1: not valid before, 0: in its dates */
static int date_state(const mbedtls_x509_crt *c, const mbedtls_x509_time *now)
{
	if (time_cmp(now, &c->valid_to) > 0)
		return 1;
	return time_cmp(now, &c->valid_from) < 0 ? -1 : 0;
}

static void cat_dates(char *buf, size_t cap, const mbedtls_x509_crt *c, int state)
{
	if (state > 0) {
		cat(buf, cap, " expired on ");
		cat_time(buf, cap, &c->valid_to);
		cat(buf, cap, " (not valid after)");
	} else {
		cat(buf, cap, " is not valid before ");
		cat_time(buf, cap, &c->valid_from);
	}
}

/* Dates against the port's clock, never libc's: a distribution's mbedTLS
 * (MBEDTLS_HAVE_TIME_DATE) has already judged them by time(), so its
 * verdict is replaced; ours has no clock of its own. No clock: refused. */
static void check_dates(struct tls *t, const mbedtls_x509_crt *c, int depth, uint32_t *flags)
{
	mbedtls_x509_time now;
	char *w;
	int st;
	*flags &= ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE);
	if (!port_now(t, &now)) {
		*flags |= MBEDTLS_X509_BADCERT_OTHER;
		why(t, AT(WHY_CLOCK, 0),
		    "tls: no clock to check the certificate's dates against (the port has no "
		    "filetime); pin the certificate or turn verification off");
		return;
	}
	st = date_state(c, &now);
	if (!st)
		return;
	*flags |= st > 0 ? MBEDTLS_X509_BADCERT_EXPIRED : MBEDTLS_X509_BADCERT_FUTURE;
	if ((w = why(t, AT(WHY_DATE, depth), "tls: ")) != NULL) {
		cat_which(w, sizeof(t->why), c, depth);
		cat_dates(w, sizeof(t->why), c, st);
	}
}

/* mbedTLS flags a weak hash on the certificate it signs and a short key on
 * the certificate below it; each is named here on the certificate itself. */
static void check_crypto(struct tls *t, const mbedtls_x509_crt *c, int depth, uint32_t *flags)
{
	mbedtls_md_type_t md = c->MBEDTLS_PRIVATE(sig_md);
	size_t bits = mbedtls_pk_get_bitlen(&c->pk);
	char *w;
	if ((*flags & MBEDTLS_X509_BADCERT_BAD_MD) &&
	    (w = why(t, AT(WHY_CRYPTO, depth), "tls: ")) != NULL) {
		cat_which(w, sizeof(t->why), c, depth);
		cat(w, sizeof(t->why),
		    md == MBEDTLS_MD_SHA1  ? " signed with SHA-1"
		    : md == MBEDTLS_MD_MD5 ? " signed with MD5"
					   : " signed with a hash other than SHA-2");
	}
	if (mbedtls_pk_get_type(&c->pk) != MBEDTLS_PK_RSA || bits >= level2.rsa_min_bitlen)
		return;
	*flags |= MBEDTLS_X509_BADCERT_BAD_KEY;
	if ((w = why(t, AT(WHY_CRYPTO, depth), "tls: ")) != NULL) {
		if (depth)
			cat_which(w, sizeof(t->why), c, depth), cat(w, sizeof(t->why), ": ");
		cat(w, sizeof(t->why), "RSA key of ");
		cat_num(w, sizeof(t->why), (unsigned)bits, 1);
		cat(w, sizeof(t->why), " bits (2048 needed)");
	}
}

/* OpenSSL's -purpose sslserver: serverAuth in any extendedKeyUsage of the
 * chain, and a keyUsage of the server's own that allows a TLS key exchange
 * (mbedTLS checks the latter per cipher suite after this, too). */
static void check_purpose(struct tls *t, const mbedtls_x509_crt *c, int depth, uint32_t *flags)
{
	const unsigned ku = MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_ENCIPHERMENT |
			    MBEDTLS_X509_KU_KEY_AGREEMENT;
	char *w;
	if (mbedtls_x509_crt_check_extended_key_usage(c, MBEDTLS_OID_SERVER_AUTH,
						      MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH))) {
		*flags |= MBEDTLS_X509_BADCERT_EXT_KEY_USAGE;
		if ((w = why(t, AT(WHY_PURPOSE, depth), "tls: ")) != NULL) {
			cat_which(w, sizeof(t->why), c, depth);
			cat(w, sizeof(t->why),
			    " is not for TLS servers (its extendedKeyUsage lacks serverAuth)");
		}
	}
	if (depth || !(c->MBEDTLS_PRIVATE(ext_types) & MBEDTLS_X509_EXT_KEY_USAGE) ||
	    (c->MBEDTLS_PRIVATE(key_usage) & ku))
		return;
	*flags |= MBEDTLS_X509_BADCERT_KEY_USAGE;
	why(t, AT(WHY_PURPOSE, depth),
	    "tls: certificate's keyUsage does not allow a TLS server key");
}

/* Where the chain stops short of a trusted CA: name the gap. An issuer
 * the server sent that is no CA is not taken as a parent by mbedTLS; find
 * it among the certificates sent after this one. */
static void trust_reason(struct tls *t, const mbedtls_x509_crt *c)
{
	const mbedtls_x509_crt *p;
	size_t cap = sizeof(t->why);
	char *w = why(t, AT(WHY_TRUST, 0), "tls: ");
	if (!w)
		return;
	for (p = c->next; p; p = p->next)
		if (p->subject_raw.len == c->issuer_raw.len &&
		    memcmp(p->subject_raw.p, c->issuer_raw.p, c->issuer_raw.len) == 0 &&
		    !p->MBEDTLS_PRIVATE(ca_istrue)) {
			cat(w, cap, "issuer of "), cat_cn(w, cap, &c->subject);
			cat(w, cap, " is not a CA ("), cat_cn(w, cap, &p->subject);
			cat(w, cap, " lacks basicConstraints CA:TRUE)");
			return;
		}
	if (c->issuer_raw.len == c->subject_raw.len &&
	    memcmp(c->issuer_raw.p, c->subject_raw.p, c->subject_raw.len) == 0) {
		cat(w, cap, "certificate not trusted: "), cat_cn(w, cap, &c->subject);
		cat(w, cap, " is self-signed and not among the trusted CAs");
		return;
	}
	cat(w, cap, "certificate not trusted: issuer "), cat_cn(w, cap, &c->issuer);
	cat(w, cap, " of "), cat_cn(w, cap, &c->subject);
	cat(w, cap, " is not among the trusted CAs");
}

static void host_reason(struct tls *t, const mbedtls_x509_crt *c)
{
	char *w = why(t, AT(WHY_HOST, 0), "tls: certificate not for host ");
	if (!w)
		return;
	cat(w, sizeof(t->why), t->host);
	cat(w, sizeof(t->why), " (it names ");
	cat_names(w, sizeof(t->why), c);
	cat(w, sizeof(t->why), ")");
}

#if MBEDTLS_VERSION_NUMBER < 0x03050000
static bool isxdigit_(char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* mbedTLS before 3.5 (Debian's 2.28) matches DNS names only; an IP literal
 * is matched here against the iPAddress SANs, as 3.5 and OpenSSL do. */
static size_t parse_ipv4(const char *s, uint8_t ip[4])
{
	unsigned i, v;
	for (i = 0; i < 4; i++, s++) {
		if (*s < '0' || *s > '9')
			return 0;
		for (v = 0; *s >= '0' && *s <= '9' && v <= 255; s++)
			v = v * 10 + (unsigned)(*s - '0');
		if (v > 255 || *s != (i < 3 ? '.' : 0))
			return 0;
		ip[i] = (uint8_t)v;
	}
	return 4;
}

/* hex groups, one "::" at most; no embedded IPv4 (not a Windows listener's) */
static size_t parse_ipv6(const char *s, uint8_t ip[16])
{
	uint8_t g[16];
	size_t n = 0, gap = (size_t)-1, i;
	if (s[0] == ':' && s[1] == ':')
		gap = 0, s += 2;
	while (*s && n < 16) {
		unsigned v = 0, d = 0;
		for (; d < 4 && isxdigit_(*s); s++, d++)
			v = v << 4 | (unsigned)(*s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10);
		if (!d)
			return 0;
		g[n++] = (uint8_t)(v >> 8), g[n++] = (uint8_t)v;
		if (s[0] == ':' && s[1] == ':' && gap == (size_t)-1)
			gap = n, s += 2;
		else if (*s == ':' && s[1])
			s++;
		else if (*s)
			return 0;
	}
	if (*s || (gap == (size_t)-1 && n != 16) || (gap != (size_t)-1 && n > 14))
		return 0;
	memset(ip, 0, 16);
	if (gap == (size_t)-1)
		gap = n;
	memcpy(ip, g, gap);
	for (i = gap; i < n; i++)
		ip[16 - (n - i)] = g[i];
	return 16;
}

static bool ip_san_matches(const mbedtls_x509_crt *c, const char *host)
{
	const mbedtls_x509_sequence *s;
	uint8_t ip[16];
	size_t n = parse_ipv4(host, ip);
	if (!n)
		n = parse_ipv6(host, ip);
	for (s = &c->subject_alt_names; n && s && s->buf.p; s = s->next)
		if ((s->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK) == 7 && s->buf.len == n &&
		    memcmp(s->buf.p, ip, n) == 0)
			return true;
	return false;
}
#endif

#if defined(MBEDTLS_X509_CRL_PARSE_C)
/* The CRL's signature by the issuer's key. */
static bool crl_signed_by(const mbedtls_x509_crl *crl, const mbedtls_x509_crt *issuer)
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(crl->MBEDTLS_PRIVATE(sig_md));
	unsigned char h[MBEDTLS_MD_MAX_SIZE];
	if (!md || mbedtls_md(md, crl->tbs.p, crl->tbs.len, h))
		return false;
	return mbedtls_pk_verify_ext(crl->MBEDTLS_PRIVATE(sig_pk), crl->MBEDTLS_PRIVATE(sig_opts),
				     (mbedtls_pk_context *)&issuer->pk,
				     crl->MBEDTLS_PRIVATE(sig_md), h, mbedtls_md_get_size(md),
				     crl->MBEDTLS_PRIVATE(sig).p,
				     crl->MBEDTLS_PRIVATE(sig).len) == 0;
}

/* The server's certificate against its issuer's CRL, as OpenSSL's
 * -crl_check: with CRLs given, an issuer without a current CRL signed by
 * it is a refusal too (revocation could not be checked). The CA callback
 * makes mbedTLS skip CRLs, hence here; the clock is the port's. */
static void check_revoked(struct tls *t, const mbedtls_x509_crt *c, const mbedtls_x509_crt *issuer,
			  uint32_t *flags)
{
	const mbedtls_x509_crl *crl;
	mbedtls_x509_time now;
	const char *bad = " in the revocation lists";
	char *w;
	for (crl = &t->crl; crl && crl->raw.p; crl = crl->next) {
		if (crl->issuer_raw.len != c->issuer_raw.len ||
		    memcmp(crl->issuer_raw.p, c->issuer_raw.p, c->issuer_raw.len) != 0)
			continue;
		if (!crl_signed_by(crl, issuer)) {
			bad = " whose signature verifies";
			continue;
		}
		if (!port_now(t, &now))
			return; /* refused for that already */
		if (time_cmp(&now, &crl->this_update) < 0 ||
		    (crl->next_update.year && time_cmp(&now, &crl->next_update) > 0)) {
			bad = " that is current (a CRL is past its nextUpdate, or not yet valid)";
			continue;
		}
		if (!mbedtls_x509_crt_is_revoked(c, crl))
			return;
		*flags |= MBEDTLS_X509_BADCERT_REVOKED;
		if ((w = why(t, AT(WHY_REVOKED, 0), "tls: certificate revoked by its issuer ")))
			cat_cn(w, sizeof(t->why), &c->issuer), cat(w, sizeof(t->why), " (CRL)");
		return;
	}
	*flags |= MBEDTLS_X509_BADCRL_NOT_TRUSTED;
	if ((w = why(t, AT(WHY_REVOKED, 0), "tls: no CRL of "))) {
		cat_cn(w, sizeof(t->why), &c->issuer);
		cat(w, sizeof(t->why), bad);
		cat(w, sizeof(t->why), ": revocation not checked");
	}
}

/* One DER CRL, or PEM blocks anywhere in the text (no NUL needed, unlike
 * mbedtls_x509_crl_parse). */
static wrsh_err load_crl(struct tls *t, const uint8_t *p, size_t n)
{
	static const char begin[] = "-----BEGIN X509 CRL-----", end_[] = "-----END X509 CRL-----";
	const uint8_t *end = p + n, *b, *e;
	unsigned ok = 0;
	int ret = 0;
	if (!find(p, end, begin))
		ret = mbedtls_x509_crl_parse_der(&t->crl, p, n), ok = !ret;
	while ((p = find(p, end, begin)) != NULL && (e = find(b = p + strlen(begin), end, end_))) {
		uint8_t *der;
		size_t len;
		p = e + strlen(end_);
		if (!pem_body(b, e, &der, &len))
			return fail(t, WRSH_ENOMEM, "tls: arena exhausted (CRL)", NULL);
		ret = mbedtls_x509_crl_parse_der(&t->crl, der, len);
		mbedtls_free(der);
		if (ret)
			break;
		ok++;
	}
	if (ret == MBEDTLS_ERR_X509_ALLOC_FAILED)
		return fail(t, WRSH_ENOMEM, "tls: arena exhausted (CRL)", NULL);
	if (ret || !ok)
		return fail_code(t, WRSH_EINVAL, "tls: the CRL is not a usable PEM or DER CRL",
				 ret);
	t->crl_on = true;
	return WRSH_OK;
}
#endif

/* mbedTLS calls this for each certificate of the chain it built, from the
 * top (the trusted root, or where the chain broke off) down to the
 * server's own (depth 0), with what it found wrong in flags. The first
 * reason worth telling is kept for verify_error(). */
static int verify_cb(void *ctx, mbedtls_x509_crt *c, int depth, uint32_t *flags)
{
	struct tls *t = ctx;
	check_dates(t, c, depth, flags);
	check_crypto(t, c, depth, flags);
	check_purpose(t, c, depth, flags);
	if (*flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		trust_reason(t, c);
#if defined(MBEDTLS_X509_CRL_PARSE_C)
	if (CONFIG_WRSH_TLS_CRL && t->crl_on && depth == 0)
		check_revoked(t, c, t->above ? t->above : c, flags);
#endif
	t->above = c;
#if MBEDTLS_VERSION_NUMBER < 0x03050000
	if (depth == 0 && ip_san_matches(c, t->host))
		*flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
#endif
	if (depth == 0 && (*flags & MBEDTLS_X509_BADCERT_CN_MISMATCH))
		host_reason(t, c);
	return 0;
}

/* A pinned certificate is taken whatever its dates (Windows' self-signed
 * listener certificates expire and stay in use), but not silently. */
static void warn_pinned_dates(struct tls *t, const mbedtls_x509_crt *c)
{
	mbedtls_x509_time now;
	char msg[120] = "tls: the pinned certificate";
	int st;
	if (t->warned || !t->warn || !port_now(t, &now) || !(st = date_state(c, &now)))
		return;
	cat_dates(msg, sizeof(msg), c, st);
	cat(msg, sizeof(msg), "; accepted by its pin");
	t->warned = true;
	t->warn(t->warn_ctx, msg);
}

static wrsh_err verify_error(struct tls *t)
{
	uint32_t f = mbedtls_ssl_get_verify_result(&t->ssl);
	if (t->why_rank)
		return fail(t, WRSH_ECERT, t->why, NULL);
	if (f & MBEDTLS_X509_BADCERT_CN_MISMATCH)
		return fail(t, WRSH_ECERT, "tls: certificate not for host ", t->host);
	if (f & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		return fail(t, WRSH_ECERT, "tls: certificate not trusted (issuer unknown)", NULL);
	if (f & (MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE))
		return fail(t, WRSH_ECERT, "tls: certificate is not for TLS servers (key usage)",
			    NULL);
	return fail_code(t, WRSH_ECERT, "tls: certificate rejected, flags", -(int)(f & 0xffff));
}

/* usage extensions refused after the chain (mbedTLS 3: BAD_CERTIFICATE,
 * 2.28: BAD_HS_CERTIFICATE, which also means a malformed message) */
#if defined(MBEDTLS_ERR_SSL_BAD_CERTIFICATE)
#define ERR_USAGE MBEDTLS_ERR_SSL_BAD_CERTIFICATE
#else
#define ERR_USAGE MBEDTLS_ERR_SSL_BAD_HS_CERTIFICATE
#endif

static wrsh_err handshake_error(struct tls *t, int ret)
{
	if (t->why_rank || (ret == ERR_USAGE && mbedtls_ssl_get_verify_result(&t->ssl) + 1u > 1u))
		return verify_error(t); /* 0: none, -1u: no result */
	switch (ret) {
	case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
		return verify_error(t);
#if MBEDTLS_VERSION_MAJOR >= 3
	case MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION:
#else
	case MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION:
#endif
		return fail(t, WRSH_ETLS, "tls: protocol version not supported by the server",
			    NULL);
	case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
		return fail(t, WRSH_ETLS, "tls: the server refused the handshake (fatal alert)",
			    NULL);
#if MBEDTLS_VERSION_MAJOR >= 3
	case MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE:
		return fail(t, WRSH_ETLS, "tls: no common cipher suite or group", NULL);
#endif
	case MBEDTLS_ERR_SSL_CONN_EOF:
		return fail(t, WRSH_ETLS, "tls: the server closed the connection in the handshake",
			    NULL);
	case MBEDTLS_ERR_SSL_ALLOC_FAILED:
		return fail(t, WRSH_ENOMEM, "tls: arena exhausted in the handshake", NULL);
	default:
		return fail_code(t, WRSH_ETLS, "tls: handshake failed, mbedTLS error", ret);
	}
}

/* ---- the port ----------------------------------------------------------- */

static wrsh_err io_fail(struct tls *t, const char *what)
{
	const char *m = t->lower.errmsg ? t->lower.errmsg(t->lower.ctx) : NULL;
	if (t->io_err == WRSH_EINTR)
		return WRSH_EINTR;
	if (m && *m)
		return fail(t, t->io_err, m, NULL);
	return fail(t, t->io_err, what, wrsh_strerror(t->io_err));
}

/* A TLS 1.2 server that insists on signing with rsa_pss_rsae_* (which
 * mbedTLS 3.6.6 offers but refuses in TLS 1.2, see sig_algs) fails the
 * first handshake after choosing TLS 1.2 itself. The retry offers TLS 1.2
 * alone, without PSS; no downgrade beyond the server's own choice, which
 * TLS 1.3's downgrade sentinel already checked. Sticky for the session. */
static bool retry_tls12(struct tls *t, int ret)
{
#if MBEDTLS_VERSION_MAJOR >= 3 && defined(MBEDTLS_SSL_PROTO_TLS1_3)
	if (ret != MBEDTLS_ERR_SSL_ILLEGAL_PARAMETER || t->tls12_only ||
	    mbedtls_ssl_get_version_number(&t->ssl) != MBEDTLS_SSL_VERSION_TLS1_2)
		return false;
	t->tls12_only = true;
	mbedtls_ssl_conf_max_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_2);
	return true;
#else
	(void)t, (void)ret;
	return false;
#endif
}

static uint64_t t_filetime(void *ctx);

static bool tls13(struct tls *t)
{
#if MBEDTLS_VERSION_MAJOR >= 3 && defined(MBEDTLS_SSL_PROTO_TLS1_3)
	return mbedtls_ssl_get_version_number(&t->ssl) == MBEDTLS_SSL_VERSION_TLS1_3;
#else
	(void)t;
	return false;
#endif
}

static wrsh_err t_connect(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms)
{
	struct tls *t = ctx;
	wrsh_err e;
	int ret;
	uint64_t end;
	enter(t);
	t->err[0] = 0;
	if (t->connected)
		t->lower.close(t->lower.ctx);
	t->connected = false;
	end = t->lower.now_ms(t->lower.ctx) + timeout_ms; /* a retry shares it */
again:
	if ((e = t->lower.connect(t->lower.ctx, host, port, timeout_ms)))
		return fail(t, e, t->lower.errmsg ? t->lower.errmsg(t->lower.ctx) : "tls: connect",
			    NULL);
	mbedtls_ssl_session_reset(&t->ssl);
	t->port = port;
	if (t->resume_on)
		tls_resume_offer(&t->resume, &t->ssl, port, t_filetime(t));
	t->why_rank = 0;
	t->above = NULL;
	t->timeout_ms = timeout_ms;
	t->recv_flags = 0;
	t->io_err = WRSH_OK;
	t->handshake_end = end;
	while ((ret = mbedtls_ssl_handshake(&t->ssl)) != 0) {
		if ((ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) &&
		    !t->io_err)
			continue;
		t->handshake_end = 0;
		t->lower.close(t->lower.ctx);
		if (t->io_err == WRSH_ETIMEDOUT) /* a read, or the whole handshake */
			return fail(t, WRSH_ETIMEDOUT,
				    "tls: handshake: timed out: the server is too slow", NULL);
		if (t->io_err)
			return io_fail(t, "tls: handshake: ");
		if (retry_tls12(t, ret))
			goto again;
		return handshake_error(t, ret);
	}
	t->handshake_end = 0;
	if (t->pin_on && (e = check_pin(t))) {
		t->lower.close(t->lower.ctx);
		return e;
	}
	if (t->pin_on)
		warn_pinned_dates(t, tls_resume_peer(&t->resume, &t->ssl));
	if (t->resume_on && !tls13(t)) /* TLS 1.3's tickets come after */
		tls_resume_keep(&t->resume, &t->ssl, port, t_filetime(t));
	t->connected = true;
	return WRSH_OK;
}

static wrsh_err t_send(void *ctx, const void *buf, size_t len, size_t *sent, uint32_t timeout_ms)
{
	struct tls *t = ctx;
	int ret;
	enter(t);
	t->timeout_ms = timeout_ms;
	t->io_err = WRSH_OK;
	do
		ret = mbedtls_ssl_write(&t->ssl, buf, len);
	while ((ret == MBEDTLS_ERR_SSL_WANT_WRITE || ret == MBEDTLS_ERR_SSL_WANT_READ) &&
	       !t->io_err);
	if (ret > 0) {
		*sent = (size_t)ret;
		return WRSH_OK;
	}
	if (t->io_err)
		return io_fail(t, "tls: send: ");
	return fail_code(t, WRSH_ETLS, "tls: send failed, mbedTLS error", ret);
}

static wrsh_err t_recv(void *ctx, void *buf, size_t cap, size_t *got, uint32_t timeout_ms,
		       unsigned flags)
{
	struct tls *t = ctx;
	int ret;
	enter(t);
	*got = 0;
	t->timeout_ms = timeout_ms;
	t->recv_flags = flags;
	for (;;) {
		t->io_err = WRSH_OK;
		ret = mbedtls_ssl_read(&t->ssl, buf, cap);
		if (ret > 0) {
			*got = (size_t)ret;
			return WRSH_OK;
		}
		if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
			return WRSH_OK; /* orderly end of the stream */
		if (t->io_err)
			return io_fail(t, "tls: receive: ");
		if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
#if defined(MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
		if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
			if (t->resume_on)
				tls_resume_keep(&t->resume, &t->ssl, t->port, t_filetime(t));
			continue;
		}
#endif
		if (ret == MBEDTLS_ERR_SSL_CONN_EOF)
			return fail(t, WRSH_ECLOSED, "tls: connection closed without close_notify",
				    NULL);
		return fail_code(t, WRSH_ETLS, "tls: receive failed, mbedTLS error", ret);
	}
}

static void t_close(void *ctx)
{
	struct tls *t = ctx;
	enter(t);
	if (t->connected) {
		t->timeout_ms = CLOSE_TIMEOUT_MS;
		t->recv_flags = 0;
		(void)mbedtls_ssl_close_notify(&t->ssl);
	}
	t->connected = false;
	t->lower.close(t->lower.ctx);
}

static uint64_t t_now(void *ctx)
{
	struct tls *t = ctx;
	return t->lower.now_ms(t->lower.ctx);
}

static wrsh_err t_random(void *ctx, void *buf, size_t len)
{
	struct tls *t = ctx;
	return t->lower.random(t->lower.ctx, buf, len);
}

static uint64_t t_filetime(void *ctx)
{
	struct tls *t = ctx;
	return t->lower.filetime ? t->lower.filetime(t->lower.ctx) : 0;
}

static const char *t_errmsg(void *ctx)
{
	return ((struct tls *)ctx)->err;
}

/* RFC 5929 4.1: the certificate hashed with its signature's hash, where
 * MD5 and SHA-1 become SHA-256. */
static wrsh_err t_channel_binding(void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
	struct tls *t = ctx;
	const mbedtls_x509_crt *crt;
	const mbedtls_md_info_t *md;
	mbedtls_md_type_t type;
	enter(t);
	crt = t->connected ? tls_resume_peer(&t->resume, &t->ssl) : NULL;
	if (!crt)
		return WRSH_ESTATE;
	type = crt->MBEDTLS_PRIVATE(sig_md);
	if (type == MBEDTLS_MD_MD5 || type == MBEDTLS_MD_SHA1 || type == MBEDTLS_MD_NONE)
		type = MBEDTLS_MD_SHA256;
	md = mbedtls_md_info_from_type(type);
	if (!md)
		return WRSH_EUNSUPPORTED;
	if (cap < mbedtls_md_get_size(md))
		return WRSH_ELIMIT;
	if (mbedtls_md(md, crt->raw.p, crt->raw.len, buf))
		return WRSH_ETLS;
	*len = mbedtls_md_get_size(md);
	return WRSH_OK;
}

/* ---- setup --------------------------------------------------------------- */

static wrsh_err setup_auth(struct tls *t, const struct wrsh_tls_opts *o)
{
	int mode = MBEDTLS_SSL_VERIFY_REQUIRED;
	if (o->insecure || o->pin_sha256) {
		/* -k: nothing checked. --pin: the leaf is compared after the
		 * handshake, which has already proven the server holds its key. */
		mode = MBEDTLS_SSL_VERIFY_NONE;
		t->insecure = o->insecure;
		if (o->pin_sha256) {
			memcpy(t->pin, o->pin_sha256, 32);
			t->pin_on = true;
		}
	} else if (!o->ca_pem || !o->ca_pem_len) {
		return fail(t, WRSH_ECERT, "tls: no trusted CA certificates given", NULL);
	} else {
		t->ca = o->ca_pem;
		t->ca_len = o->ca_pem_len;
		mbedtls_ssl_conf_cert_profile(&t->conf, &level2);
		mbedtls_ssl_conf_verify(&t->conf, verify_cb, t);
#if defined(MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK)
		mbedtls_ssl_conf_ca_cb(&t->conf, ca_lookup, t);
#else
		{
			wrsh_err e = load_bundle(t);
			if (e)
				return e;
			mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca_chain, NULL);
		}
#endif
	}
	mbedtls_ssl_conf_authmode(&t->conf, mode);
	return WRSH_OK;
}

/* CRLs matter only where the chain is verified (not with a pin or -k). */
static wrsh_err setup_crl(struct tls *t, const struct wrsh_tls_opts *o)
{
	if (!o->crl || !o->crl_len || t->pin_on || t->insecure)
		return WRSH_OK;
#if defined(MBEDTLS_X509_CRL_PARSE_C)
	if (CONFIG_WRSH_TLS_CRL)
		return load_crl(t, o->crl, o->crl_len);
#endif
	return fail(t, WRSH_EUNSUPPORTED, "tls: revocation lists (CRLs) are not built in", NULL);
}

static wrsh_err setup_client_cert(struct tls *t, const struct wrsh_tls_opts *o)
{
	int ret;
	if (!o->client_cert_pem || !o->client_key_pem)
		return WRSH_OK;
	ret = mbedtls_x509_crt_parse(&t->own_cert, o->client_cert_pem, o->client_cert_pem_len);
#if MBEDTLS_VERSION_MAJOR >= 3
	if (!ret)
		ret = mbedtls_pk_parse_key(&t->own_key, o->client_key_pem, o->client_key_pem_len,
					   NULL, 0, rng, t);
#else
	if (!ret)
		ret = mbedtls_pk_parse_key(&t->own_key, o->client_key_pem, o->client_key_pem_len,
					   NULL, 0);
#endif
	if (ret)
		return fail_code(t, WRSH_EINVAL, "tls: client certificate or key unusable", ret);
		/* caught here, a mismatch is named; at the server it is a bare alert */
#if MBEDTLS_VERSION_MAJOR >= 3
	ret = mbedtls_pk_check_pair(&t->own_cert.pk, &t->own_key, rng, t);
#else
	ret = mbedtls_pk_check_pair(&t->own_cert.pk, &t->own_key);
#endif
	if (ret)
		return fail_code(t, WRSH_EINVAL,
				 "tls: the client key does not match the certificate", ret);
	ret = mbedtls_ssl_conf_own_cert(&t->conf, &t->own_cert, &t->own_key);
	return ret ? fail_code(t, WRSH_ENOMEM, "tls: arena exhausted (client certificate)", ret)
		   : WRSH_OK;
}

#if MBEDTLS_VERSION_MAJOR >= 3 && defined(MBEDTLS_SSL_PROTO_TLS1_3)
/* PKCS#1 v1.5 before PSS. mbedTLS 3.6.6 offers rsa_pss_rsae_* (TLS 1.3
 * needs them) but refuses them in a TLS 1.2 ServerKeyExchange (upstream
 * issue 10668, fixed after 3.6.6). A TLS 1.2 server that follows the
 * client's order (OpenSSL's and GnuTLS's default) then signs with PKCS#1;
 * TLS 1.3 never signs a handshake with PKCS#1, so it still takes PSS. */
static const uint16_t sig_algs[] = {MBEDTLS_TLS1_3_SIG_ECDSA_SECP256R1_SHA256,
				    MBEDTLS_TLS1_3_SIG_ECDSA_SECP384R1_SHA384,
				    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA256,
				    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA384,
				    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA512,
				    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA256,
				    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA384,
				    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA512,
				    MBEDTLS_TLS1_3_SIG_NONE};
#endif

#if MBEDTLS_VERSION_MAJOR >= 3
/* P-256 first: TLS 1.3 sends a key share for the first group only, and
 * mbedTLS makes a P-256 key from a precomputed table, where X25519 costs a
 * full ladder. Schannel and OpenSSL accept either share. */
static const uint16_t groups[] = {
	MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1, MBEDTLS_SSL_IANA_TLS_GROUP_X25519,
	MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1, MBEDTLS_SSL_IANA_TLS_GROUP_NONE};
#endif

static wrsh_err setup(struct tls *t, const struct wrsh_tls_opts *o)
{
	wrsh_err e;
	int ret;
#if MBEDTLS_VERSION_MAJOR >= 3
	if (psa_crypto_init() != PSA_SUCCESS)
		return fail(t, WRSH_ETLS, "tls: PSA crypto did not start (randomness?)", NULL);
#endif
	if (mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT,
					MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT))
		return fail(t, WRSH_ETLS, "tls: configuration failed", NULL);
#if MBEDTLS_VERSION_MAJOR >= 3
	mbedtls_ssl_conf_min_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_2);
#else
	mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
#endif
	mbedtls_ssl_conf_rng(&t->conf, rng, t);
#if MBEDTLS_VERSION_MAJOR >= 3 && defined(MBEDTLS_SSL_PROTO_TLS1_3)
	mbedtls_ssl_conf_sig_algs(&t->conf, sig_algs);
#endif
#if MBEDTLS_VERSION_MAJOR >= 3
	mbedtls_ssl_conf_groups(&t->conf, groups);
#endif
	if ((e = setup_auth(t, o)) || (e = setup_crl(t, o)) || (e = setup_client_cert(t, o)))
		return e;
	t->resume_on = tls_resume_init(&t->resume, o);
#if MBEDTLS_VERSION_MAJOR >= 3 && defined(MBEDTLS_SSL_PROTO_TLS1_3) && \
	defined(MBEDTLS_SSL_SESSION_TICKETS)
	mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
		&t->conf, t->resume_on ? MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED
				       : MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_DISABLED);
#endif
	if ((ret = mbedtls_ssl_setup(&t->ssl, &t->conf)))
		return fail_code(t, ret == MBEDTLS_ERR_SSL_ALLOC_FAILED ? WRSH_ENOMEM : WRSH_ETLS,
				 "tls: setup failed", ret);
	t->ssl_ready = true;
	/* SNI and the name check (an IP literal is checked against IP SANs) */
	if (mbedtls_ssl_set_hostname(&t->ssl, t->host))
		return fail(t, WRSH_ENOMEM, "tls: arena exhausted (host name)", NULL);
	mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
	return WRSH_OK;
}

/* see tls.h */
wrsh_err wrsh_tls_wrap(struct wrsh_port *out, struct wrsh_arena *a, const struct wrsh_port *lower,
		       const struct wrsh_tls_opts *o)
{
	struct tls *t;
	size_t n;
	wrsh_err e;
	if (!out || !a || !lower || !o || !o->server_name)
		return WRSH_EINVAL;
	/* what the TLS port forwards must be there: wrsh_open checks the TLS
	 * port, whose own callbacks are never NULL */
	if (!lower->connect || !lower->send || !lower->recv || !lower->close || !lower->now_ms ||
	    !lower->random)
		return WRSH_EINVAL;
	n = strlen(o->server_name);
	if (n == 0 || n >= sizeof(t->host))
		return WRSH_EINVAL;
	t = wrsh_arena_calloc(a, 1, sizeof(*t));
	if (!t)
		return WRSH_ENOMEM;
	t->lower = *lower;
	t->arena = a;
	memcpy(t->host, o->server_name, n + 1);
	t->warn = o->warn;
	t->warn_ctx = o->warn_ctx;
	enter(t);
#if defined(MBEDTLS_PLATFORM_MEMORY)
	/* the same hooks core/crypto's RSA installs: the slot's arena */
	mbedtls_platform_set_calloc_free(crypto_mbedtls_calloc, crypto_mbedtls_free);
#endif
	mbedtls_ssl_config_init(&t->conf);
	mbedtls_ssl_init(&t->ssl);
	mbedtls_x509_crt_init(&t->ca_chain);
#if defined(MBEDTLS_X509_CRL_PARSE_C)
	mbedtls_x509_crl_init(&t->crl);
#endif
	mbedtls_x509_crt_init(&t->own_cert);
	mbedtls_pk_init(&t->own_key);
	mbedtls_x509_crt_init(&t->resume.cert);
	memset(out, 0, sizeof(*out));
	out->ctx = t;
	out->secure = true;
	out->connect = t_connect;
	out->send = t_send;
	out->recv = t_recv;
	out->close = t_close;
	out->now_ms = t_now;
	out->random = t_random;
	out->filetime = t_filetime;
	out->errmsg = t_errmsg;
	out->channel_binding = t_channel_binding;
	if ((e = setup(t, o)))
		return e; /* out->errmsg explains; wrsh_tls_release() frees */
	return WRSH_OK;
}

/* see tls.h */
void wrsh_tls_release(struct wrsh_port *p)
{
	struct wrsh_arena *a;
	struct tls *t;
	if (!p || !p->ctx)
		return;
	t = p->ctx;
	enter(t);
	if (t->connected)
		t_close(t);
	mbedtls_ssl_free(&t->ssl);
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_x509_crt_free(&t->ca_chain);
#if defined(MBEDTLS_X509_CRL_PARSE_C)
	mbedtls_x509_crl_free(&t->crl);
#endif
	mbedtls_x509_crt_free(&t->own_cert);
	mbedtls_pk_free(&t->own_key);
	tls_resume_free(&t->resume);
	a = t->arena;
	mbedtls_platform_zeroize(t, sizeof(*t));
	wrsh_arena_free(a, t);
	p->ctx = NULL;
}
