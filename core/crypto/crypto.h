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

#include "config.h"

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

/* SHA-256 (FIPS 180-4) in pieces, mbedTLS's: file transfers verify with
 * it. The context is mbedTLS's, held here so that callers need not see
 * its headers (crypto.c checks that it fits). */
struct crypto_sha256 {
	union {
		uint64_t align;
		unsigned char b[128];
	} u;
};
void crypto_sha256_init(struct crypto_sha256 *c);
void crypto_sha256_update(struct crypto_sha256 *c, const void *p, size_t n);
/* The digest; the context is wiped. */
void crypto_sha256_final(struct crypto_sha256 *c, uint8_t out[32]);

struct rc4_ctx {
	uint8_t s[256];
	uint8_t i, j;
};

void rc4_init(struct rc4_ctx *c, const uint8_t *key, size_t n);
/* in and out may be the same buffer (sealing works in place). */
void rc4_crypt(struct rc4_ctx *c, const uint8_t *in, uint8_t *out, size_t n);

/*
 * What PSRP's secure strings need (CONFIG_WRSH_PSRP_SECURE): an RSA key
 * pair of the client's own (MS-PSRP 3.1.1.1.3), PKCS#1 v1.5 decryption of
 * the session key the server sends (RFC 8017 7.2), AES-256-CBC for the
 * values. mbedTLS takes its memory from the arena given to each call
 * (through the port's hook slot, as xml.c's expat does); every bignum is freed
 * (and so zeroed by mbedTLS) before the call returns or in rsa_free.
 */
struct wrsh_arena;
struct crypto_rsa;
/* mbedTLS's calloc and free, from the arena in the port's hook slot: tls/
 * installs the same two (MBEDTLS_PLATFORM_MEMORY). */
void *crypto_mbedtls_calloc(size_t n, size_t size);
void crypto_mbedtls_free(void *p);
typedef int (*crypto_rng_fn)(void *ctx, unsigned char *out, size_t n);
#if CONFIG_WRSH_PSRP_SECURE

/* bits (2048 for PSRP) and e = 65537. Returns 0 or -1 (no memory, no
 * randomness). */
int crypto_rsa_generate(struct wrsh_arena *a, crypto_rng_fn rng, void *rng_ctx, unsigned bits,
			struct crypto_rsa **out);
/* The modulus big-endian into n[nlen] (nlen: the key's bytes), and e. */
int crypto_rsa_public(struct wrsh_arena *a, struct crypto_rsa *k, uint8_t *n, size_t nlen,
		      uint32_t *e);
size_t crypto_rsa_len(const struct crypto_rsa *k);
/* RSAES-PKCS1-v1_5 decryption of in[crypto_rsa_len] (big-endian) into
 * out[cap]; -1 on a bad padding or length. */
int crypto_rsa_decrypt(struct wrsh_arena *a, struct crypto_rsa *k, crypto_rng_fn rng, void *rng_ctx,
		       const uint8_t *in, uint8_t *out, size_t cap, size_t *outlen);
void crypto_rsa_free(struct wrsh_arena *a, struct crypto_rsa *k);
/* AES-256-CBC in place over n bytes (a multiple of 16), from iv. */
int crypto_aes256_cbc(const uint8_t key[32], const uint8_t iv[16], int encrypt, uint8_t *buf,
		      size_t n);
#else /* callers check CONFIG_WRSH_PSRP_SECURE first; these keep them linking */
static inline int crypto_rsa_generate(struct wrsh_arena *a, crypto_rng_fn rng, void *c,
				      unsigned bits, struct crypto_rsa **out)
{
	(void)a, (void)rng, (void)c, (void)bits, *out = NULL;
	return -1;
}
static inline int crypto_rsa_public(struct wrsh_arena *a, struct crypto_rsa *k, uint8_t *n,
				    size_t nlen, uint32_t *e)
{
	(void)a, (void)k, (void)n, (void)nlen, (void)e;
	return -1;
}
static inline int crypto_rsa_decrypt(struct wrsh_arena *a, struct crypto_rsa *k, crypto_rng_fn rng,
				     void *c, const uint8_t *in, uint8_t *out, size_t cap,
				     size_t *outlen)
{
	(void)a, (void)k, (void)rng, (void)c, (void)in, (void)out, (void)cap, *outlen = 0;
	return -1;
}
static inline void crypto_rsa_free(struct wrsh_arena *a, struct crypto_rsa *k)
{
	(void)a, (void)k;
}
#endif

#endif
