/*
 * WinRM message encryption over HTTP (MS-WSMV 2.2.9.1.1): a SOAP body
 * sealed by the connection's authentication mechanism (auth/mech.h) and
 * framed as multipart/encrypted with HTTP-SPNEGO-session-encrypted parts.
 *
 * Requests are framed in place around the body the envelope writer left in
 * the send buffer; responses are unframed, unsealed and verified in place
 * before any byte of them is parsed.
 */
#ifndef WRSH_CRYPT_H
#define WRSH_CRYPT_H

#include <stddef.h>
#include <stdint.h>

#include "auth/mech.h"
#include "base/err.h"

#define CRYPT_CONTENT_TYPE                                                            \
	"multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\";" \
	"boundary=\"Encrypted Boundary\""
/* Bytes the framing adds before and after a body, at most. */
#define CRYPT_SIG_MAX 64     /* the longest signature (Kerberos' 60) */
#define CRYPT_PREFIX_MAX 288 /* 207 of text, up to 10 digits, 4 + the signature */
#define CRYPT_SUFFIX_LEN 24

/*
 * Seal buf[body_off .. body_off+body_len) and frame it in place: the prefix
 * goes into the CRYPT_PREFIX_MAX bytes before body_off, the suffix after the
 * body (the caller leaves CRYPT_SUFFIX_LEN bytes there). The framed message
 * is buf[*off .. *off+*len). The mechanism's errors (WRSH_EIO: no
 * randomness for a confounder).
 */
wrsh_err crypt_wrap(const struct auth_mech *m, void *ctx, uint8_t *buf, size_t body_off,
		    size_t body_len, size_t *off, size_t *len);

/*
 * Unframe, unseal and verify a multipart/encrypted response in place.
 * On WRSH_OK the SOAP text is buf[*off .. *off+*len). Errors:
 * WRSH_EPROTO (malformed framing, a Length that lies),
 * WRSH_EINTEGRITY (signature or sequence number wrong).
 */
wrsh_err crypt_unwrap(const struct auth_mech *m, void *ctx, uint8_t *buf, size_t n_bytes,
		      size_t *off, size_t *len, struct errbuf *e);

#endif
