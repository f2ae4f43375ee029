/*
 * TLS as a port: wrsh_tls_wrap() turns a plain stream port into a TLS port
 * of the same shape, whose state lives in the session's arena.
 *
 * Without a pin or insecure, the server's chain is verified as OpenSSL 3's
 * default verification does at security level 2: every certificate's dates
 * against the lower port's filetime() (a port without a wall clock fails
 * closed), a chain to ca_pem through the intermediates the server sends,
 * CA:TRUE on every issuer, keyUsage and extendedKeyUsage allowing a TLS
 * server, the name against subjectAltName (the CN only without one), SHA-2
 * signatures and RSA keys of 2048 bits or more. A refusal is WRSH_ECERT with
 * one line naming the cause in the port's errmsg().
 */
#ifndef WRSH_TLS_H
#define WRSH_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "port.h"
#include "wrsh.h"

struct wrsh_tls_opts {
	const char *server_name; /* SNI and name check; an IP literal checks IP SANs */
	const void *ca_pem;	 /* trusted CAs, PEM, may hold hundreds */
	size_t ca_pem_len;
	const uint8_t *pin_sha256; /* 32 bytes: accept exactly this leaf certificate,
				    * whatever its dates and issuer */
	bool insecure;		   /* no verification at all */
	/* Called with one line of text the user should see though the
	 * connection goes on (a pinned certificate that has expired). The text
	 * is valid during the call only. NULL: such warnings are dropped. */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
	/* Certificate revocation lists (CONFIG_WRSH_TLS_CRL): PEM (one or
	 * more) or one DER CRL, parsed at wrap time into the arena. The
	 * server's certificate must then be covered by a current CRL of its
	 * issuer and not be on it. NULL: no revocation check. */
	const void *crl;
	size_t crl_len;
	/* TLS client certificate (-a certificate): PEM with its NUL counted in
	 * the length, or DER; the key unencrypted. Parsed at wrap time: the
	 * caller may wipe its copy of the key as soon as wrsh_tls_wrap returns. */
	const void *client_cert_pem;
	size_t client_cert_pem_len;
	const void *client_key_pem;
	size_t client_key_pem_len;
	/* Session resumption (CONFIG_WRSH_TLS_RESUME, tls/resume.h): in and
	 * out. A session kept here (*session_len bytes) by an earlier
	 * connection, of this or another run, is offered on connect; each
	 * session the server gives replaces it (*session_len 0: none kept).
	 * It holds the session's master secret, and mbedTLS trusts its bytes:
	 * keep it where only the user can read and write it, and wipe it.
	 * NULL: every connection makes a full handshake. */
	uint8_t *session;
	size_t session_cap;
	size_t *session_len;
};

wrsh_err wrsh_tls_wrap(struct wrsh_port *out, struct wrsh_arena *a, const struct wrsh_port *lower,
		       const struct wrsh_tls_opts *o);
void wrsh_tls_release(struct wrsh_port *tls_port);

#endif
