/*
 * An authentication mechanism as the WS-Man core drives it, in GSS-API's
 * shape (RFC 2743): start and step make the tokens of the HTTP handshake
 * (RFC 4559: under the mechanism's scheme in Authorization and
 * WWW-Authenticate), then wrap and unwrap seal and verify messages on the
 * connection it authenticated (MS-WSMV 2.2.9.1, GSS_WrapEx/GSS_UnwrapEx).
 * NTLM implements it (auth/ntlm_mech.c); Kerberos and CredSSP are to. The
 * core holds one context of ctx_size bytes in the arena and never looks
 * inside it.
 */
#ifndef WRSH_AUTH_MECH_H
#define WRSH_AUTH_MECH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "port.h"

/* Who is authenticating, to whom, on what channel. */
struct auth_cred {
	const char *user, *domain;    /* domain "" for a UPN (user@realm) */
	bool local;		      /* ".\user": the server's own accounts */
	const uint8_t *nt_hash;	      /* NTOWFv1 (NTLM), 16 bytes */
	const char *spn;	      /* "HTTP/host" */
	const uint8_t *cbt;	      /* MD5 of the channel bindings (RFC 5929), or NULL */
	const struct wrsh_port *port; /* randomness, the wall clock */
};

struct auth_mech {
	const char *name;	 /* "NTLM": in errors and traces */
	size_t ctx_size;	 /* the context the core keeps for it */
	size_t token_max;	 /* the longest token start or step writes */
	size_t server_token_max; /* the longest server token step reads */
	size_t sig_len;		 /* the signature wrap writes */
	size_t scratch_size;	 /* working memory step needs (the core lends it) */
	/* The long-term key from a UTF-8 password (NTLM: NTOWFv1, 16 bytes),
	 * taken once at open: WRSH_EINVAL when it is not valid UTF-8. */
	wrsh_err (*password_key)(const char *password, uint8_t key[16]);
	/* The first token of a new connection's handshake. */
	void (*start)(void *ctx, uint8_t *out, size_t *out_len);
	/* The server's token in, the next token out; ready() once established.
	 * scratch: scratch_size bytes, wiped by the core afterwards. */
	wrsh_err (*step)(void *ctx, const struct auth_cred *c, const uint8_t *in, size_t in_len,
			 uint8_t *out, size_t *out_len, void *scratch, struct errbuf *e);
	bool (*ready)(const void *ctx);
	/* Seal msg in place and write its signature (sig_len bytes). */
	void (*wrap)(void *ctx, uint8_t *msg, size_t len, uint8_t *sig);
	/* Unseal msg in place and verify its signature: WRSH_EINTEGRITY when it
	 * does not verify, WRSH_EPROTO when the signature is not of this
	 * mechanism's form. */
	wrsh_err (*unwrap)(void *ctx, uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len);
	/* Forget every key (the context may be started again). */
	void (*wipe)(void *ctx);
};

extern const struct auth_mech auth_ntlm;

#endif
