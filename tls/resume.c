/* TLS session resumption: see resume.h. */
#include <string.h>

#include "mbedtls/platform_util.h"

#include "config.h"
#include "crypto/crypto.h"
#include "resume.h"

#ifndef MBEDTLS_PRIVATE
#define MBEDTLS_PRIVATE(m) m /* 2.28 has no private-member markers */
#endif

#if CONFIG_WRSH_TLS_RESUME && defined(MBEDTLS_SSL_SESSION_TICKETS) && defined(MBEDTLS_SSL_CLI_C)

/* "WTS1", the binding (32), port (2), kept at (FILETIME, 8), lifetime in
 * seconds (4), the certificate's length (2), all big-endian; then the
 * certificate (DER) and mbedTLS's serialized session */
#define HDR 52
#define WEEK (7ull * 86400 * 10000000) /* FILETIME: 100 ns */

static void put_be(uint8_t *p, uint64_t v, int n)
{
	while (n--) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	while (n--)
		v = v << 8 | *p++;
	return v;
}

/* a field by its length, so no two settings hash alike */
static void bind_field(struct crypto_sha256 *h, const void *p, size_t n)
{
	uint8_t len[8];
	put_be(len, p ? n : 0, 8);
	crypto_sha256_update(h, len, 8);
	if (p && n)
		crypto_sha256_update(h, p, n);
}

int tls_resume_init(struct tls_resume *r, const struct wrsh_tls_opts *o)
{
	struct crypto_sha256 h;
	uint8_t how = (uint8_t)(o->insecure | (o->pin_sha256 ? 2 : 0));
	memset(r, 0, sizeof(*r));
	mbedtls_x509_crt_init(&r->cert);
	if (!o->session || !o->session_len || o->session_cap < HDR)
		return 0;
	r->buf = o->session, r->cap = o->session_cap, r->len = o->session_len;
	crypto_sha256_init(&h);
	bind_field(&h, "wrsh tls session 1", 18);
	bind_field(&h, o->server_name, strlen(o->server_name));
	bind_field(&h, &how, 1);
	bind_field(&h, o->pin_sha256, o->pin_sha256 ? 32 : 0);
	bind_field(&h, o->ca_pem, o->ca_pem_len);
	bind_field(&h, o->crl, o->crl_len);
	bind_field(&h, o->client_cert_pem, o->client_cert_pem_len);
	crypto_sha256_final(&h, r->bind);
	if (*r->len > r->cap)
		*r->len = 0;
	return 1;
}

void tls_resume_offer(struct tls_resume *r, mbedtls_ssl_context *ssl, uint16_t port, uint64_t now)
{
	mbedtls_ssl_session s;
	const uint8_t *p = r->buf;
	uint64_t kept, life;
	size_t cert_n;
	mbedtls_x509_crt_free(&r->cert);
	mbedtls_x509_crt_init(&r->cert);
	if (!r->buf || *r->len <= HDR || memcmp(p, "WTS1", 4) || memcmp(p + 4, r->bind, 32) ||
	    get_be(p + 36, 2) != port)
		return;
	kept = get_be(p + 38, 8);
	life = get_be(p + 46, 4) * 10000000ull;
	cert_n = (size_t)get_be(p + 50, 2);
	if (!life || life > WEEK)
		life = WEEK;
	if (now && (now < kept || now - kept > life))
		return; /* the server would refuse it: a full handshake at once */
	if (cert_n >= *r->len - HDR || mbedtls_x509_crt_parse_der(&r->cert, p + HDR, cert_n)) {
		mbedtls_x509_crt_free(&r->cert);
		mbedtls_x509_crt_init(&r->cert);
		return;
	}
	mbedtls_ssl_session_init(&s);
	if (mbedtls_ssl_session_load(&s, p + HDR + cert_n, *r->len - HDR - cert_n) == 0)
		(void)mbedtls_ssl_set_session(ssl, &s); /* refused: a full handshake */
	mbedtls_ssl_session_free(&s);
}

const mbedtls_x509_crt *tls_resume_peer(const struct tls_resume *r, const mbedtls_ssl_context *ssl)
{
	const mbedtls_x509_crt *c = mbedtls_ssl_get_peer_cert(ssl);
	return c ? c : r->cert.raw.p ? &r->cert : NULL;
}

void tls_resume_keep(struct tls_resume *r, mbedtls_ssl_context *ssl, uint16_t port, uint64_t now)
{
	const mbedtls_x509_crt *cert = tls_resume_peer(r, ssl);
	mbedtls_ssl_session s;
	size_t n = 0, cert_n = cert ? cert->raw.len : 0;
	int ret;
	if (!r->buf || !cert || cert_n > 0xffff || HDR + cert_n >= r->cap)
		return;
	mbedtls_ssl_session_init(&s);
	ret = mbedtls_ssl_get_session(ssl, &s);
	if (ret == MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE) /* kept already */
		return;
	/* the kept certificate was parsed into a copy: the buffer is free */
	if (!ret &&
	    !mbedtls_ssl_session_save(&s, r->buf + HDR + cert_n, r->cap - HDR - cert_n, &n)) {
		memcpy(r->buf, "WTS1", 4);
		memcpy(r->buf + 4, r->bind, 32);
		put_be(r->buf + 36, port, 2);
		put_be(r->buf + 38, now, 8);
		put_be(r->buf + 46, s.MBEDTLS_PRIVATE(ticket_lifetime), 4);
		put_be(r->buf + 50, cert_n, 2);
		memcpy(r->buf + HDR, cert->raw.p, cert_n);
		*r->len = HDR + cert_n + n;
	} else {
		mbedtls_platform_zeroize(r->buf, r->cap); /* half written: none */
		*r->len = 0;
	}
	mbedtls_ssl_session_free(&s);
}

void tls_resume_free(struct tls_resume *r)
{
	mbedtls_x509_crt_free(&r->cert);
}

#else

int tls_resume_init(struct tls_resume *r, const struct wrsh_tls_opts *o)
{
	memset(r, 0, sizeof(*r));
	mbedtls_x509_crt_init(&r->cert);
	if (o->session_len)
		*o->session_len = 0;
	return 0;
}

void tls_resume_offer(struct tls_resume *r, mbedtls_ssl_context *ssl, uint16_t port, uint64_t now)
{
	(void)r, (void)ssl, (void)port, (void)now;
}

const mbedtls_x509_crt *tls_resume_peer(const struct tls_resume *r, const mbedtls_ssl_context *ssl)
{
	(void)r;
	return mbedtls_ssl_get_peer_cert(ssl);
}

void tls_resume_keep(struct tls_resume *r, mbedtls_ssl_context *ssl, uint16_t port, uint64_t now)
{
	(void)r, (void)ssl, (void)port, (void)now;
}

void tls_resume_free(struct tls_resume *r)
{
	mbedtls_x509_crt_free(&r->cert);
}

#endif
