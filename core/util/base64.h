/* Streaming base64 (RFC 4648 section 4 alphabet), both directions. */
#ifndef WRSH_BASE64_H
#define WRSH_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wrsh.h"

/* Decoder state: text may arrive in pieces of any size (expat splits
 * character data wherever its buffer ends). */
struct b64_dec {
	uint32_t acc; /* bits not yet emitted */
	uint8_t nacc; /* sextets in acc (0..3) */
	uint8_t pad;  /* '=' seen */
};

/* Largest output of one push of n characters. */
#define B64_DEC_MAX(n) (((n) / 4 + 1) * 3)
/* Output of encoding n bytes, padding included. */
#define B64_ENC_LEN(n) (((n) + 2) / 3 * 4)

void b64_dec_init(struct b64_dec *d);
/* Decode s[0..n) into out (room for B64_DEC_MAX(n) bytes), skipping XML
 * whitespace. WRSH_EPROTO on a character outside the alphabet or data after
 * padding. */
wrsh_err b64_dec_push(struct b64_dec *d, const char *s, size_t n, uint8_t *out, size_t *outlen);
/* WRSH_EPROTO when the input stopped in the middle of a quantum. */
wrsh_err b64_dec_finish(const struct b64_dec *d);

struct b64_enc {
	uint8_t carry[3];
	uint8_t ncarry;
};

void b64_enc_init(struct b64_enc *e);
/* Encode in[0..n) into out (room for B64_ENC_LEN(n + 2)); returns chars
 * written. Up to two bytes wait in the state for the next push. */
size_t b64_enc_push(struct b64_enc *e, const void *in, size_t n, char *out);
/* Flush the last 1-2 bytes with padding; returns chars written (0 or 4). */
size_t b64_enc_finish(struct b64_enc *e, char *out);
/* One-shot: out needs B64_ENC_LEN(n) bytes; returns that length. */
size_t b64_encode(const void *in, size_t n, char *out);

#endif
