/*
 * Kerberos' AS exchange as bytes (RFC 4120 5.4, 5.9; RFC 6113 for
 * ETYPE-INFO2 as KDCs send it): the AS-REQ for a client's TGT, with the
 * encrypted-timestamp pre-authentication (PA-ENC-TIMESTAMP, 5.2.7.2), and
 * the two answers a KDC gives it: a KRB-ERROR (with the etype, salt and
 * iterations the client's key needs) or an AS-REP, opened with that key.
 * No transport and no clock: the caller sends the bytes to the KDC (TCP,
 * a 4-byte length first) and says what time it is.
 */
#ifndef WRSH_AUTH_KRB5_MSG_H
#define WRSH_AUTH_KRB5_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "auth/der.h"

/* RFC 4120 7.5.9 */
#define KRB5_ERR_C_PRINCIPAL_UNKNOWN 6
#define KRB5_ERR_S_PRINCIPAL_UNKNOWN 7
#define KRB5_ERR_ETYPE_NOSUPP 14
#define KRB5_ERR_CLIENT_REVOKED 18
#define KRB5_ERR_KEY_EXPIRED 23
#define KRB5_ERR_PREAUTH_FAILED 24
#define KRB5_ERR_PREAUTH_REQUIRED 25
#define KRB5_ERR_TKT_EXPIRED 32
#define KRB5_ERR_RESPONSE_TOO_BIG 52 /* RFC 4120 7.5.9: ask again over TCP */
#define KRB5_ERR_SKEW 37
#define KRB5_ERR_WRONG_REALM 68

struct krb5_key {
	int32_t etype; /* 17 or 18 (kcrypto), 23 (rc4hmac: a user's key only) */
	size_t len;
	uint8_t v[32];
};

/* KerberosTime (5.2.3): "YYYYMMDDHHMMSSZ" of seconds since 1970. */
void krb5_time(uint64_t unix_s, char out[16]);
/* The other way (15 characters): 0, or -1 when it is not one. */
int krb5_parse_time(const char *t, uint64_t *unix_s);

/*
 * The AS-REQ for user@realm's TGT (krbtgt/realm), valid until `till`
 * (KerberosTime), for these etypes in order of preference; pa: one
 * PA-DATA (krb5_pa_timestamp's) or NULL. Returns 0, or -1 when w is full.
 */
int krb5_as_req(struct der_w *w, const char *user, const char *realm, uint32_t nonce,
		const char *till, const int32_t *etypes, size_t netypes, const uint8_t *pa,
		size_t pa_n);

/* PA-ENC-TIMESTAMP: PA-ENC-TS-ENC {now, usec} encrypted under the client's
 * key, usage 1, with the caller's random confounder. */
int krb5_pa_timestamp(struct der_w *w, const struct krb5_key *k, const char *now, uint32_t usec,
		      const uint8_t confounder[16]);

/* An AP-REQ (RFC 4120 5.5.1) with its authenticator, encrypted under the
 * ticket's session key with usage (7 in a TGS-REQ, 11 for an application). */
#define KRB5_AUTH_MAX 256 /* the authenticator, written before it is encrypted */
struct krb5_ap {
	const uint8_t *ticket; /* the Ticket TLV as the KDC sent it */
	size_t ticket_n;
	const struct krb5_key *key; /* the ticket's session key */
	uint32_t usage;
	const char *user, *realm; /* the client, as in the ticket */
	const char *ctime;	  /* KerberosTime */
	uint32_t cusec;
	const uint8_t *cksum; /* NULL: none */
	size_t cksum_n;
	int32_t cksum_type;
	const struct krb5_key *subkey; /* NULL: none */
	int has_seq;
	uint32_t seq;
	int mutual; /* ap-options mutual-required */
	uint8_t confounder[16];
};
int krb5_ap_req(struct der_w *w, const struct krb5_ap *a);

/* A TGS-REQ (5.4.1) for sname (two parts: "HTTP", host) in realm, with the
 * TGT in ap (its usage, checksum and options are set here). */
struct krb5_tgs {
	struct krb5_ap ap;
	const char *realm;
	const char *sname[2];
	uint32_t nonce;
	const char *till;
	const int32_t *etypes;
	size_t netypes;
};
int krb5_tgs_req(struct der_w *w, const struct krb5_tgs *q);

/* The GSS-API initial token of the Kerberos mechanism (RFC 4121 4.1, RFC
 * 2743 3.1): the mechanism's OID, TOK_ID 01 00, the AP-REQ. */
int krb5_gss_ap_req(struct der_w *w, const struct krb5_ap *a);

/* The authenticator checksum of RFC 4121 4.1.1 (type 0x8003): Bnd (the
 * MD5 of the channel bindings, or zeros) and the GSS flags. */
#define KRB5_GSS_CKSUM 0x8003
#define KRB5_GSS_CKSUM_LEN 24
#define KRB5_GSS_MUTUAL 2
#define KRB5_GSS_REPLAY 4
#define KRB5_GSS_SEQUENCE 8
#define KRB5_GSS_CONF 16
#define KRB5_GSS_INTEG 32
void krb5_gss_cksum(const uint8_t bnd[16], uint32_t flags, uint8_t out[KRB5_GSS_CKSUM_LEN]);

/* The acceptor's GSS token with its AP-REP (RFC 4121 4.1, TOK_ID 02 00):
 * opened with the service ticket's session key (usage 12), its ctime and
 * cusec ours (mutual authentication); its subkey, when it sends one, is
 * what both sides then seal with. 0, -1 malformed, -2 the key does not
 * open it, -3 not the answer to our authenticator. */
struct krb5_ap_rep {
	struct krb5_key subkey; /* etype 0: none */
	int has_seq;
	uint32_t seq;
};
int krb5_gss_ap_rep(uint8_t *tok, size_t n, const struct krb5_key *k, const char *ctime,
		    uint32_t cusec, struct krb5_ap_rep *r);

/*
 * RFC 4121 4.2.6.2 Wrap tokens with confidentiality, split as MS-WSMV's
 * multipart/encrypted carries them (the form Windows and gss_wrap_iov's
 * DCE style write): a 60-byte "signature" (the token header, then the
 * encrypted header copy and the MAC rotated to the front, RRC 28, then the
 * encrypted confounder) and the data encrypted where it lies. buf holds
 * KRB5_WRAP_ROOM bytes, then the n bytes of data, then KRB5_WRAP_ROOM more:
 * scratch for the confounder and the header copy.
 */
#define KRB5_WRAP_SIG 60
#define KRB5_WRAP_ROOM 16
#define KRB5_FLAG_SENT_BY_ACCEPTOR 1
#define KRB5_FLAG_SEALED 2
#define KRB5_FLAG_ACCEPTOR_SUBKEY 4
#define KRB5_USAGE_ACCEPTOR_SEAL 22
#define KRB5_USAGE_INITIATOR_SEAL 24
int krb5_wrap(const struct krb5_key *k, uint32_t usage, uint8_t flags, uint64_t seq,
	      const uint8_t confounder[16], uint8_t *buf, size_t n, uint8_t sig[KRB5_WRAP_SIG]);
/* The other way, for any RRC and EC the peer chose: sig (the header and
 * whatever it rotated in front) and the n bytes after it, contiguous in
 * buf (sig_n + n bytes); the plaintext is then buf + *off, *plain_n bytes.
 * *seq and *flags are the peer's. 0; -1 malformed; -2 does not verify. */
int krb5_unwrap(const struct krb5_key *k, uint32_t usage, uint8_t *buf, size_t sig_n, size_t n,
		size_t *off, size_t *plain_n, uint64_t *seq, uint8_t *flags);

struct krb5_error {
	int64_t code;
	char stime[16]; /* the KDC's clock, KerberosTime */
	char text[128]; /* e-text, "" when none */
	/* from PA-ETYPE-INFO2 (19) of e-data, the first entry this side can do */
	int32_t etype;	 /* 0: none offered that this side does (AES before RC4) */
	int32_t offered; /* the first etype offered at all (to name it) */
	int rc4;	 /* RC4-HMAC offered (and built in) */
	uint8_t salt[256];
	size_t salt_n;
	int has_salt; /* 0: the default salt, realm and name */
	uint32_t iterations;
};

/* A KRB-ERROR: 0, or -1 when the message is not one or is malformed. */
int krb5_parse_error(const uint8_t *msg, size_t n, struct krb5_error *e);

/* A KRB-ERROR in a GSS token (RFC 4121 4.1, TOK_ID 03 00), as acceptors
 * answer an AP-REQ they refuse. */
int krb5_gss_error(const uint8_t *tok, size_t n, struct krb5_error *e);

struct krb5_as_rep {
	struct der ticket; /* the Ticket TLV, as it must be sent back */
	struct krb5_key session;
	char endtime[16];
	uint32_t flags;
};

/* A Ticket's realm and the two parts of its sname ("HTTP", "host";
 * "krbtgt", "REALM" for a ticket-granting one), each into its buffer
 * unless NULL: 0, or -1 when the sname has not exactly two parts. */
#define KRB5_PART_MAX 256 /* KRB5_NAME_MAX's */
int krb5_ticket_server(const struct der *ticket, char realm[KRB5_PART_MAX], char svc[KRB5_PART_MAX],
		       char host[KRB5_PART_MAX]);

/* The etype of an AS-REP's encrypted part (the key it needs when no
 * pre-authentication told it before); -1 when the message is not one. */
int32_t krb5_as_rep_etype(const uint8_t *msg, size_t n);

/* An AS-REP: its encrypted part opened in place with k (usage 3) and
 * checked against the request's nonce. 0; -1 malformed; -2 the key does
 * not open it (a wrong password); -3 a nonce or etype that does not match. */
int krb5_parse_as_rep(uint8_t *msg, size_t n, const struct krb5_key *k, uint32_t nonce,
		      struct krb5_as_rep *r);
/* A TGS-REP the same way: under the TGT's session key, usage 8. */
int krb5_parse_tgs_rep(uint8_t *msg, size_t n, const struct krb5_key *k, uint32_t nonce,
		       struct krb5_as_rep *r);

#endif
