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
#define KRB5_ERR_PREAUTH_FAILED 24
#define KRB5_ERR_PREAUTH_REQUIRED 25

struct krb5_key {
	int32_t etype; /* 17 or 18 (kcrypto) */
	size_t len;
	uint8_t v[32];
};

/* KerberosTime (5.2.3): "YYYYMMDDHHMMSSZ" of seconds since 1970. */
void krb5_time(uint64_t unix_s, char out[16]);

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

struct krb5_error {
	int64_t code;
	char text[128]; /* e-text, "" when none */
	/* from PA-ETYPE-INFO2 (19) of e-data, the first entry this side can do */
	int32_t etype; /* 0: none offered that kcrypto does */
	int32_t offered; /* the first etype offered at all (to name it) */
	uint8_t salt[256];
	size_t salt_n;
	int has_salt; /* 0: the default salt, realm and name */
	uint32_t iterations;
};

/* A KRB-ERROR: 0, or -1 when the message is not one or is malformed. */
int krb5_parse_error(const uint8_t *msg, size_t n, struct krb5_error *e);

struct krb5_as_rep {
	struct der ticket; /* the Ticket TLV, as it must be sent back */
	struct krb5_key session;
	char endtime[16];
	uint32_t flags;
};

/* An AS-REP: its encrypted part opened in place with k (usage 3) and
 * checked against the request's nonce. 0; -1 malformed; -2 the key does
 * not open it (a wrong password); -3 a nonce or etype that does not match. */
int krb5_parse_as_rep(uint8_t *msg, size_t n, const struct krb5_key *k, uint32_t nonce,
		      struct krb5_as_rep *r);

#endif
