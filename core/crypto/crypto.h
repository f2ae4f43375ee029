/*
 * The hash and cipher primitives of NTLM. MD4 (RFC 1320, the NT hash) and
 * RC4 (sealing) are built in: mbedTLS 3.x dropped both; they are broken as
 * general-purpose crypto and here only because MS-NLMP requires them. MD5
 * and HMAC-MD5 come from mbedTLS, which every build links for them.
 */
#ifndef WRSH_CRYPTO_H
#define WRSH_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

struct md4_ctx {
	uint32_t h[4];
	uint64_t len;
	uint8_t block[64];
};

void md4_init(struct md4_ctx *c);
void md4_update(struct md4_ctx *c, const void *p, size_t n);
/* Writes the digest and wipes the context. */
void md4_final(struct md4_ctx *c, uint8_t out[16]);
void md4(const void *p, size_t n, uint8_t out[16]);

void md5(const void *p, size_t n, uint8_t out[16]);

/* A piece of a message that is hashed as the concatenation of pieces. */
struct cbuf {
	const void *p;
	size_t n;
};

/* MD5 and HMAC-MD5 (RFC 2104) over the concatenation of n pieces. */
void md5_v(const struct cbuf *parts, size_t n, uint8_t out[16]);
void hmac_md5(const uint8_t *key, size_t klen, const struct cbuf *parts, size_t n, uint8_t out[16]);

struct rc4_ctx {
	uint8_t s[256];
	uint8_t i, j;
};

void rc4_init(struct rc4_ctx *c, const uint8_t *key, size_t n);
/* in and out may be the same buffer (sealing works in place). */
void rc4_crypt(struct rc4_ctx *c, const uint8_t *in, uint8_t *out, size_t n);

#endif
