/* MD4 after RFC 1320 section 3; MD5 from mbedTLS. RC4 is in rc4.c. */
#include <string.h>

#include "config.h"
#include "mbedtls/md5.h"
#include "mbedtls/sha256.h"
#include "mbedtls/version.h"
#if CONFIG_WRSH_PSRP_SECURE
#include "mbedtls/aes.h"
#include "mbedtls/platform.h"
#include "mbedtls/rsa.h"
#endif

#include "crypto/crypto.h"
#include "port.h"
#include "util/bytes.h"
#include "wrsh.h"

/* mbedTLS 2.x named the returning variants *_ret */
#if MBEDTLS_VERSION_MAJOR < 3
#define mbedtls_md5_starts mbedtls_md5_starts_ret
#define mbedtls_md5_update mbedtls_md5_update_ret
#define mbedtls_md5_finish mbedtls_md5_finish_ret
#define mbedtls_sha256_starts mbedtls_sha256_starts_ret
#define mbedtls_sha256_update mbedtls_sha256_update_ret
#define mbedtls_sha256_finish mbedtls_sha256_finish_ret
#endif

#define ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define F(x, y, z) (((x) & (y)) | (~(x) & (z)))
#define G(x, y, z) (((x) & (y)) | ((x) & (z)) | ((y) & (z)))
#define H(x, y, z) ((x) ^ (y) ^ (z))

/* The three rounds of RFC 1320 3.4, each over its order of the words. */
static void md4_block(uint32_t h[4], const uint8_t *p)
{
	static const uint8_t r2[16] = {0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15};
	static const uint8_t r3[16] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
	static const uint8_t s1[4] = {3, 7, 11, 19}, s2[4] = {3, 5, 9, 13}, s3[4] = {3, 9, 11, 15};
	uint32_t x[16], a = h[0], b = h[1], c = h[2], d = h[3], t;
	int i;
	for (i = 0; i < 16; i++)
		x[i] = get_le32(p + 4 * i);
	for (i = 0; i < 16; i++) {
		t = a + F(b, c, d) + x[i];
		a = d, d = c, c = b, b = ROTL(t, s1[i & 3]);
	}
	for (i = 0; i < 16; i++) {
		t = a + G(b, c, d) + x[r2[i]] + 0x5A827999u;
		a = d, d = c, c = b, b = ROTL(t, s2[i & 3]);
	}
	for (i = 0; i < 16; i++) {
		t = a + H(b, c, d) + x[r3[i]] + 0x6ED9EBA1u;
		a = d, d = c, c = b, b = ROTL(t, s3[i & 3]);
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d;
	wrsh_wipe(x, sizeof(x));
}

void md4_init(struct md4_ctx *c)
{
	c->h[0] = 0x67452301u;
	c->h[1] = 0xEFCDAB89u;
	c->h[2] = 0x98BADCFEu;
	c->h[3] = 0x10325476u;
	c->len = 0;
}

void md4_update(struct md4_ctx *c, const void *p, size_t n)
{
	const uint8_t *s = p;
	size_t used = (size_t)(c->len & 63);
	c->len += n;
	if (used) {
		size_t k = 64 - used < n ? 64 - used : n;
		memcpy(c->block + used, s, k);
		s += k, n -= k;
		if (used + k < 64)
			return;
		md4_block(c->h, c->block);
	}
	for (; n >= 64; s += 64, n -= 64)
		md4_block(c->h, s);
	memcpy(c->block, s, n);
}

void md4_final(struct md4_ctx *c, uint8_t out[16])
{
	uint64_t bits = c->len * 8;
	uint8_t pad[72] = {0x80};
	size_t used = (size_t)(c->len & 63), k = used < 56 ? 56 - used : 120 - used;
	int i;
	for (i = 0; i < 8; i++)
		pad[k + (size_t)i] = (uint8_t)(bits >> (8 * i));
	md4_update(c, pad, k + 8);
	for (i = 0; i < 16; i++)
		out[i] = (uint8_t)(c->h[i / 4] >> (8 * (i % 4)));
	wrsh_wipe(c, sizeof(*c));
}

void md4(const void *p, size_t n, uint8_t out[16])
{
	struct md4_ctx c;
	md4_init(&c);
	md4_update(&c, p, n);
	md4_final(&c, out);
}

void md5_v(const struct cbuf *parts, size_t n, uint8_t out[16])
{
	mbedtls_md5_context c;
	size_t i;
	mbedtls_md5_init(&c);
	(void)mbedtls_md5_starts(&c);
	for (i = 0; i < n; i++)
		(void)mbedtls_md5_update(&c, parts[i].p, parts[i].n);
	(void)mbedtls_md5_finish(&c, out);
	mbedtls_md5_free(&c);
}

void md5(const void *p, size_t n, uint8_t out[16])
{
	struct cbuf b = {p, n};
	md5_v(&b, 1, out);
}

/* RFC 2104: H(K ^ opad, H(K ^ ipad, text)); keys over 64 bytes are hashed */
void hmac_md5(const uint8_t *key, size_t klen, const struct cbuf *parts, size_t n, uint8_t out[16])
{
	uint8_t k[64], pad[64], inner[16];
	struct cbuf v[9];
	size_t i;
	memset(k, 0, sizeof(k));
	if (klen > 64)
		md5(key, klen, k);
	else
		memcpy(k, key, klen);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	v[0].p = pad, v[0].n = 64;
	for (i = 0; i < n && i < 8; i++)
		v[i + 1] = parts[i];
	md5_v(v, i + 1, inner);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	v[1].p = inner, v[1].n = 16;
	md5_v(v, 2, out);
	wrsh_wipe(k, sizeof(k));
	wrsh_wipe(pad, sizeof(pad));
	wrsh_wipe(inner, sizeof(inner));
}

#if defined(MBEDTLS_PLATFORM_MEMORY)
void *crypto_mbedtls_calloc(size_t n, size_t size)
{
	return wrsh_arena_calloc(wrsh_port_hook_slot()->arena, n, size);
}

void crypto_mbedtls_free(void *p)
{
	wrsh_arena_free(wrsh_port_hook_slot()->arena, p);
}
#endif

#if CONFIG_WRSH_PSRP_SECURE
/* mbedTLS's bignums allocate; during these calls from the caller's arena,
 * through the port's hook slot as every mbedTLS call of tls/ does: the
 * same two hooks (crypto_mbedtls_calloc/free) serve both, so whichever
 * installed them last, each call allocates from its own session's arena. */
static void crypto_enter(struct wrsh_arena *a)
{
	wrsh_port_hook_slot()->arena = a;
#if defined(MBEDTLS_PLATFORM_MEMORY)
	mbedtls_platform_set_calloc_free(crypto_mbedtls_calloc, crypto_mbedtls_free);
#endif
}

struct crypto_rsa {
	mbedtls_rsa_context ctx;
};

int crypto_rsa_generate(struct wrsh_arena *a, crypto_rng_fn rng, void *rng_ctx, unsigned bits,
			struct crypto_rsa **out)
{
	struct crypto_rsa *k = wrsh_arena_calloc(a, 1, sizeof(*k));
	*out = NULL;
	if (!k)
		return -1;
	crypto_enter(a);
#if MBEDTLS_VERSION_MAJOR < 3
	mbedtls_rsa_init(&k->ctx, MBEDTLS_RSA_PKCS_V15, 0);
#else
	mbedtls_rsa_init(&k->ctx);
#endif
	if (mbedtls_rsa_gen_key(&k->ctx, rng, rng_ctx, bits, 65537)) {
		crypto_rsa_free(a, k);
		return -1;
	}
	*out = k;
	return 0;
}

size_t crypto_rsa_len(const struct crypto_rsa *k)
{
	return mbedtls_rsa_get_len(&k->ctx);
}

int crypto_rsa_public(struct wrsh_arena *a, struct crypto_rsa *k, uint8_t *n, size_t nlen,
		      uint32_t *e)
{
	uint8_t eb[4];
	crypto_enter(a);
	if (nlen != (size_t)mbedtls_rsa_get_len(&k->ctx) ||
	    mbedtls_rsa_export_raw(&k->ctx, n, nlen, NULL, 0, NULL, 0, NULL, 0, eb, sizeof(eb)))
		return -1;
	*e = (uint32_t)get_be(eb, 4);
	return 0;
}

int crypto_rsa_decrypt(struct wrsh_arena *a, struct crypto_rsa *k, crypto_rng_fn rng, void *rng_ctx,
		       const uint8_t *in, uint8_t *out, size_t cap, size_t *outlen)
{
	crypto_enter(a);
#if MBEDTLS_VERSION_MAJOR < 3
	return mbedtls_rsa_pkcs1_decrypt(&k->ctx, rng, rng_ctx, MBEDTLS_RSA_PRIVATE, outlen, in,
					 out, cap)
		       ? -1
		       : 0;
#else
	return mbedtls_rsa_pkcs1_decrypt(&k->ctx, rng, rng_ctx, outlen, in, out, cap) ? -1 : 0;
#endif
}

void crypto_rsa_free(struct wrsh_arena *a, struct crypto_rsa *k)
{
	if (!k)
		return;
	crypto_enter(a);
	mbedtls_rsa_free(&k->ctx); /* zeroes and frees every bignum */
	wrsh_wipe(k, sizeof(*k));
	wrsh_arena_free(a, k);
}

/* CBC (SP 800-38A 6.2) chained here over mbedTLS's AES blocks: its own
 * CBC mode (MBEDTLS_CIPHER_MODE_CBC) would also turn on TLS's CBC cipher
 * suites, which wrsh does not offer. */
int crypto_aes256_cbc(const uint8_t key[32], const uint8_t iv[16], int encrypt, uint8_t *buf,
		      size_t n)
{
	mbedtls_aes_context c;
	uint8_t prev[16], next[16];
	size_t off, i;
	int r;
	if (n % 16)
		return -1;
	memcpy(prev, iv, 16);
	mbedtls_aes_init(&c);
	r = encrypt ? mbedtls_aes_setkey_enc(&c, key, 256) : mbedtls_aes_setkey_dec(&c, key, 256);
	for (off = 0; !r && off < n; off += 16) {
		uint8_t *b = buf + off;
		if (encrypt) {
			for (i = 0; i < 16; i++)
				b[i] ^= prev[i];
			r = mbedtls_aes_crypt_ecb(&c, MBEDTLS_AES_ENCRYPT, b, b);
			memcpy(prev, b, 16);
		} else {
			memcpy(next, b, 16);
			r = mbedtls_aes_crypt_ecb(&c, MBEDTLS_AES_DECRYPT, b, b);
			for (i = 0; i < 16; i++)
				b[i] ^= prev[i];
			memcpy(prev, next, 16);
		}
	}
	mbedtls_aes_free(&c); /* zeroes the round keys */
	wrsh_wipe(prev, sizeof(prev));
	wrsh_wipe(next, sizeof(next));
	return r ? -1 : 0;
}
#endif

typedef char sha256_fits[sizeof(mbedtls_sha256_context) <= sizeof(struct crypto_sha256) ? 1 : -1];

void crypto_sha256_init(struct crypto_sha256 *c)
{
	mbedtls_sha256_context *m = (mbedtls_sha256_context *)(void *)c->u.b;
	mbedtls_sha256_init(m);
	(void)mbedtls_sha256_starts(m, 0);
}

void crypto_sha256_update(struct crypto_sha256 *c, const void *p, size_t n)
{
	(void)mbedtls_sha256_update((mbedtls_sha256_context *)(void *)c->u.b, p, n);
}

void crypto_sha256_final(struct crypto_sha256 *c, uint8_t out[32])
{
	mbedtls_sha256_context *m = (mbedtls_sha256_context *)(void *)c->u.b;
	(void)mbedtls_sha256_finish(m, out);
	mbedtls_sha256_free(m);
	wrsh_wipe(c, sizeof(*c));
}
