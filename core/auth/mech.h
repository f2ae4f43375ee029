/*
 * An authentication mechanism as the WS-Man core drives it, in GSS-API's
 * shape (RFC 2743): start and step make the tokens of the HTTP handshake
 * (RFC 4559: under the Negotiate scheme in Authorization and
 * WWW-Authenticate), then wrap and unwrap seal and verify messages on the
 * connection it authenticated (MS-WSMV 2.2.9.1, GSS_WrapEx/GSS_UnwrapEx).
 * NTLM (auth/ntlm_mech.c) and Kerberos (auth/krb5_mech.c) implement it.
 *
 * Two pieces of state, both in the arena, opaque to the core: the
 * credential (cred_size bytes, the session's lifetime: NTLM's NT hash,
 * Kerberos' key and service ticket) and the security context (ctx_size
 * bytes, one connection's: wiped and started again on a reconnect).
 */
#ifndef WRSH_AUTH_MECH_H
#define WRSH_AUTH_MECH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "port.h"

/* Bytes on each side of a message that wrap may use as scratch (the
 * framing's prefix and suffix are written after it). */
#define AUTH_WRAP_ROOM 16

/* Who is authenticating, to whom, on what channel. */
struct auth_cred {
	const char *user, *domain;    /* domain "" for a UPN (user@realm) */
	bool local;		      /* ".\user": the server's own accounts */
	void *cred;		      /* the mechanism's credential, cred_size bytes */
	const char *spn;	      /* "HTTP/host" */
	const uint8_t *cbt;	      /* MD5 of the channel bindings (RFC 5929), or NULL */
	const struct wrsh_port *port; /* randomness, the wall clock */
	uint32_t timeout_ms;
	/* Kerberos: the realm (NULL: the user's), the KDC and a plain stream
	 * port to reach it (one connection at a time, as any port) */
	const char *realm, *kdc_host;
	uint16_t kdc_port_no;
	bool kdc_udp;		   /* UDP first (TCP when too big) */
	const char *service_realm; /* "" or NULL: the user's (or a referral's) */
	int (*realm_kdc)(void *ctx, const char *realm, char *host, size_t cap, uint16_t *port,
			 bool *udp); /* another realm's KDC (wrsh_opts'), or NULL */
	void *realm_kdc_ctx;
	const struct wrsh_port *kdc; /* kdc_host "": its resolve_srv finds one */
	const uint8_t *ccache;	     /* a FILE: credential cache's bytes, or NULL */
	size_t ccache_n;
	const uint8_t *keytab; /* a keytab's bytes (the client's key), or NULL */
	size_t keytab_n;
	uint8_t *ccache_out; /* where the tickets from the KDC go as a ccache, or NULL */
	size_t ccache_out_cap, *ccache_out_len;
};

struct auth_mech {
	const char *name;	 /* "NTLM": in errors and traces */
	const char *refusal;	 /* why a server may refuse it, for the error: " (...)" */
	size_t cred_size;	 /* the credential the core keeps for it */
	size_t ctx_size;	 /* the context the core keeps for it */
	size_t token_max;	 /* the longest token start or step writes */
	size_t server_token_max; /* the longest server token step reads */
	size_t sig_len;		 /* the signature wrap writes */
	size_t scratch_size;	 /* working memory step and acquire need (the core lends it) */
	/* At open: the credential from a UTF-8 password (NTLM: its NTOWFv1;
	 * Kerberos keeps it until acquire, whose key needs the KDC's salt).
	 * WRSH_EINVAL when it is not valid UTF-8 or too long. */
	wrsh_err (*set_password)(void *cred, const char *password);
	/* Before each handshake: whatever the credential still lacks
	 * (Kerberos: a service ticket for c->spn, from the KDC). NULL: none.
	 * WRSH_EAUTH when the credentials were refused (a wrong password);
	 * other errors say the mechanism cannot be had here (no KDC, a name
	 * it does not know), and Negotiate then falls back to NTLM. */
	wrsh_err (*acquire)(const struct auth_cred *c, void *scratch, struct errbuf *e);
	/* The first token of a new connection's handshake. */
	wrsh_err (*start)(void *ctx, const struct auth_cred *c, uint8_t *out, size_t *out_len,
			  struct errbuf *e);
	/* The server's token in (the core's copy: it may be decrypted in
	 * place), the next token out (*out_len 0: none); ready() once
	 * established. scratch: scratch_size bytes, wiped by the core
	 * afterwards. */
	wrsh_err (*step)(void *ctx, const struct auth_cred *c, uint8_t *in, size_t in_len,
			 uint8_t *out, size_t *out_len, void *scratch, struct errbuf *e);
	bool (*ready)(const void *ctx);
	/* Seal msg in place and write its signature (sig_len bytes); the
	 * AUTH_WRAP_ROOM bytes around msg are scratch. */
	wrsh_err (*wrap)(void *ctx, uint8_t *msg, size_t len, uint8_t *sig);
	/* Unseal and verify a signature and the n sealed bytes right after it
	 * (buf, sig_len + n bytes): the plaintext is then buf + *off, *len
	 * bytes. WRSH_EINTEGRITY when it does not verify, WRSH_EPROTO when the
	 * signature is not of this mechanism's form. */
	wrsh_err (*unwrap)(void *ctx, uint8_t *buf, size_t sig_len, size_t n, size_t *off,
			   size_t *len);
	/* Forget every key of the context (it may be started again). */
	void (*wipe)(void *ctx);
};

extern const struct auth_mech auth_ntlm;
extern const struct auth_mech auth_krb5;

#endif
