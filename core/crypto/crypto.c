/* MD4 after RFC 1320 section 3; MD5 from mbedTLS. RC4 is in rc4.c. */
#include <string.h>

#include "mbedtls/md5.h"
#include "mbedtls/version.h"

#include "crypto/crypto.h"
#include "util/bytes.h"
#include "wrsh.h"

/* mbedTLS 2.x named the returning variants *_ret */
#if MBEDTLS_VERSION_MAJOR < 3
#define mbedtls_md5_starts mbedtls_md5_starts_ret
#define mbedtls_md5_update mbedtls_md5_update_ret
#define mbedtls_md5_finish mbedtls_md5_finish_ret
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
