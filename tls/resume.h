/*
 * TLS session resumption across connections and runs (CONFIG_WRSH_TLS_RESUME):
 * a session the server gave (a TLS 1.3 ticket, a TLS 1.2 ticket or session
 * ID) kept in the caller's buffer, and offered on the next connect, so the
 * handshake skips the server's certificate, its signature and the chain's
 * verification on both ends.
 *
 * A kept session is bound to what verified it: the server name and port, the
 * CA bundle, the CRLs, the pin, -k, the client certificate (a SHA-256 over
 * them heads the buffer). Changed settings mean a full handshake, never a
 * session verified under other rules. The age is checked against the
 * server's ticket lifetime, at most 7 days (RFC 8446 4.6.1), where the port
 * has a wall clock.
 */
#ifndef WRSH_TLS_RESUME_H
#define WRSH_TLS_RESUME_H

#include <stddef.h>
#include <stdint.h>

#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"
#include "tls.h"

struct tls_resume {
	uint8_t *buf; /* header, the server's certificate, then
		       * mbedtls_ssl_session_save()'s bytes */
	size_t cap;
	size_t *len;
	uint8_t bind[32];
	/* the kept certificate, parsed when offered: a TLS 1.3 session has
	 * none of its own (mbedTLS saves no certificate with it), and the pin,
	 * the channel binding and the next session want one */
	mbedtls_x509_crt cert;
};

/* Nonzero when o asks for it and it is built in. */
int tls_resume_init(struct tls_resume *r, const struct wrsh_tls_opts *o);
/* Before the handshake: the kept session, when it fits port and now
 * (a FILETIME, 0: no clock). */
void tls_resume_offer(struct tls_resume *r, mbedtls_ssl_context *ssl, uint16_t port, uint64_t now);
/* The server's certificate: the handshake's, else (a resumed TLS 1.3
 * session) the kept one; NULL: none. */
const mbedtls_x509_crt *tls_resume_peer(const struct tls_resume *r, const mbedtls_ssl_context *ssl);
/* After the handshake or a ticket: the connection's session, kept. */
void tls_resume_keep(struct tls_resume *r, mbedtls_ssl_context *ssl, uint16_t port, uint64_t now);
void tls_resume_free(struct tls_resume *r);

#endif
