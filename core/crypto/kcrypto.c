/* Kerberos' AES profile (RFC 3961, RFC 3962) over mbedTLS's AES and SHA-1. */
#include <string.h>

#include "config.h"
#include "mbedtls/aes.h"
#include "mbedtls/sha1.h"
#include "mbedtls/version.h"

#include "crypto/kcrypto.h"
#include "wrsh.h"

#if MBEDTLS_VERSION_MAJOR < 3
#define mbedtls_sha1_starts mbedtls_sha1_starts_ret
#define mbedtls_sha1_update mbedtls_sha1_update_ret
#define mbedtls_sha1_finish mbedtls_sha1_finish_ret
#endif

static int key_ok(size_t keylen)
{
	return keylen == 16 || keylen == 32;
}

/* Bit p (0: the most significant of byte 0) of the input. */
static unsigned in_bit(const uint8_t *in, size_t p)
{
	return (unsigned)(in[p >> 3] >> (7 - (p & 7))) & 1u;
}

void kcrypto_nfold(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen)
{
	/* RFC 3961 5.1: lcm(inlen, outlen) bytes of copies of the input, copy k
	 * rotated right by 13k bits, added in outlen-byte pieces with
	 * end-around carry. Each byte of a copy is read where it lies in the
	 * input, so no copy is stored. */
	size_t bits = inlen * 8, a = inlen, b = outlen, lcm, piece, i, k;
	memset(out, 0, outlen);
	while (b) {
		size_t t = a % b;
		a = b;
		b = t;
	}
	lcm = inlen / a * outlen;
	for (piece = 0; piece < lcm / outlen; piece++) {
		unsigned carry = 0;
		for (i = outlen; i-- > 0;) {
			size_t at = piece * outlen + i, shift = (13 * (at / inlen)) % bits;
			unsigned byte = 0;
			for (k = 0; k < 8; k++)
				byte = byte << 1 |
				       in_bit(in, ((at % inlen) * 8 + k + bits - shift) % bits);
			carry += out[i] + byte;
			out[i] = (uint8_t)carry;
			carry >>= 8;
		}
		while (carry) /* one's complement: the carry goes round */
			for (i = outlen; carry && i-- > 0;) {
				carry += out[i];
				out[i] = (uint8_t)carry;
				carry >>= 8;
			}
	}
}

/* One AES key schedule, encrypting. */
static int aes_enc(mbedtls_aes_context *c, const uint8_t *key, size_t keylen)
{
	mbedtls_aes_init(c);
	return mbedtls_aes_setkey_enc(c, key, (unsigned)keylen * 8) ? -1 : 0;
}

int kcrypto_dk(const uint8_t *base, size_t keylen, const uint8_t *constant, size_t clen,
	       uint8_t *out)
{
	mbedtls_aes_context c;
	uint8_t block[16];
	size_t off;
	int r = 0;
	if (!key_ok(keylen) || aes_enc(&c, base, keylen))
		return -1;
	/* DR: E(key, n-fold(constant)), then E of the last block, until keylen */
	kcrypto_nfold(constant, clen, block, 16);
	for (off = 0; !r && off < keylen; off += 16) {
		r = mbedtls_aes_crypt_ecb(&c, MBEDTLS_AES_ENCRYPT, block, block) ? -1 : 0;
		memcpy(out + off, block, 16);
	}
	mbedtls_aes_free(&c);
	wrsh_wipe(block, sizeof(block));
	return r;
}

int kcrypto_usage_key(const uint8_t *base, size_t keylen, uint32_t usage, enum kcrypto_kind kind,
		      uint8_t *out)
{
	uint8_t k[5] = {(uint8_t)(usage >> 24), (uint8_t)(usage >> 16), (uint8_t)(usage >> 8),
			(uint8_t)usage, (uint8_t)kind};
	return kcrypto_dk(base, keylen, k, sizeof(k), out);
}

static void sha1_v(const struct cbuf *pre, const struct cbuf *parts, size_t n, uint8_t out[20])
{
	mbedtls_sha1_context c;
	size_t i;
	mbedtls_sha1_init(&c);
	(void)mbedtls_sha1_starts(&c);
	(void)mbedtls_sha1_update(&c, pre->p, pre->n);
	for (i = 0; i < n; i++)
		(void)mbedtls_sha1_update(&c, parts[i].p, parts[i].n);
	(void)mbedtls_sha1_finish(&c, out);
	mbedtls_sha1_free(&c); /* zeroes it */
}

/* HMAC-SHA1 (RFC 2104) with the key's two padded blocks hashed once:
 * PBKDF2 then costs two compressions an iteration, not four. */
struct hmac_sha1 {
	mbedtls_sha1_context in, out;
};

static void hmac_init(struct hmac_sha1 *h, const uint8_t *key, size_t klen)
{
	uint8_t pad[64], kh[20];
	struct cbuf k = {key, klen};
	size_t i;
	if (klen > 64) { /* RFC 2104 2: a longer key is hashed first */
		sha1_v(&k, NULL, 0, kh);
		key = kh;
		klen = 20;
	}
	memset(pad, 0x36, 64);
	for (i = 0; i < klen; i++)
		pad[i] ^= key[i];
	mbedtls_sha1_init(&h->in);
	(void)mbedtls_sha1_starts(&h->in);
	(void)mbedtls_sha1_update(&h->in, pad, 64);
	for (i = 0; i < 64; i++)
		pad[i] ^= 0x36 ^ 0x5C;
	mbedtls_sha1_init(&h->out);
	(void)mbedtls_sha1_starts(&h->out);
	(void)mbedtls_sha1_update(&h->out, pad, 64);
	wrsh_wipe(pad, sizeof(pad));
	wrsh_wipe(kh, sizeof(kh));
}

static void hmac_run(const struct hmac_sha1 *h, const struct cbuf *parts, size_t n, uint8_t out[20])
{
	mbedtls_sha1_context c;
	uint8_t inner[20];
	size_t i;
	mbedtls_sha1_init(&c);
	mbedtls_sha1_clone(&c, &h->in);
	for (i = 0; i < n; i++)
		(void)mbedtls_sha1_update(&c, parts[i].p, parts[i].n);
	(void)mbedtls_sha1_finish(&c, inner);
	mbedtls_sha1_clone(&c, &h->out);
	(void)mbedtls_sha1_update(&c, inner, 20);
	(void)mbedtls_sha1_finish(&c, out);
	mbedtls_sha1_free(&c); /* zeroes it */
	wrsh_wipe(inner, sizeof(inner));
}

static void hmac_free(struct hmac_sha1 *h)
{
	mbedtls_sha1_free(&h->in);
	mbedtls_sha1_free(&h->out);
}

void kcrypto_hmac_sha1(const uint8_t *key, size_t klen, const struct cbuf *parts, size_t n,
		       uint8_t out[20])
{
	struct hmac_sha1 h;
	hmac_init(&h, key, klen);
	hmac_run(&h, parts, n, out);
	hmac_free(&h);
}

void kcrypto_pbkdf2_sha1(const uint8_t *pw, size_t plen, const uint8_t *salt, size_t slen,
			 uint32_t iterations, uint8_t *out, size_t outlen)
{
	struct hmac_sha1 h;
	uint8_t u[20], t[20], idx[4];
	uint32_t block, j;
	size_t i, k;
	hmac_init(&h, pw, plen);
	for (block = 1; outlen; block++) {
		struct cbuf first[2] = {{salt, slen}, {idx, 4}}, next = {u, 20};
		idx[0] = (uint8_t)(block >> 24), idx[1] = (uint8_t)(block >> 16);
		idx[2] = (uint8_t)(block >> 8), idx[3] = (uint8_t)block;
		hmac_run(&h, first, 2, u);
		memcpy(t, u, 20);
		for (j = 1; j < iterations; j++) {
			hmac_run(&h, &next, 1, u);
			for (i = 0; i < 20; i++)
				t[i] ^= u[i];
		}
		k = outlen < 20 ? outlen : 20;
		memcpy(out, t, k);
		out += k;
		outlen -= k;
	}
	hmac_free(&h);
	wrsh_wipe(u, sizeof(u));
	wrsh_wipe(t, sizeof(t));
}

int kcrypto_string_to_key(const char *password, size_t plen, const uint8_t *salt, size_t slen,
			  uint32_t iterations, size_t keylen, uint8_t *key)
{
	uint8_t tkey[32];
	int r;
	if (!key_ok(keylen) || !iterations)
		return -1;
	kcrypto_pbkdf2_sha1((const uint8_t *)password, plen, salt, slen, iterations, tkey, keylen);
	r = kcrypto_dk(tkey, keylen, (const uint8_t *)"kerberos", 8, key);
	wrsh_wipe(tkey, sizeof(tkey));
	return r;
}

static void xor16(uint8_t *d, const uint8_t *s)
{
	int i;
	for (i = 0; i < 16; i++)
		d[i] ^= s[i];
}

/* The full blocks before the last two, CBC; iv carries the chain. */
static int cbc_head(mbedtls_aes_context *c, int encrypt, uint8_t iv[16], uint8_t *b, size_t n)
{
	uint8_t next[16];
	size_t off;
	for (off = 0; off < n; off += 16) {
		if (encrypt) {
			xor16(b + off, iv);
			if (mbedtls_aes_crypt_ecb(c, MBEDTLS_AES_ENCRYPT, b + off, b + off))
				return -1;
			memcpy(iv, b + off, 16);
		} else {
			memcpy(next, b + off, 16);
			if (mbedtls_aes_crypt_ecb(c, MBEDTLS_AES_DECRYPT, b + off, b + off))
				return -1;
			xor16(b + off, iv);
			memcpy(iv, next, 16);
		}
	}
	return 0;
}

static int cts_tail_enc(mbedtls_aes_context *c, uint8_t iv[16], uint8_t *t, size_t r)
{
	/* t: one full block and r (1..16) bytes. CBC over both (the short one
	 * zero-padded), then the last ciphertext block first and the other
	 * cut to r bytes. */
	uint8_t x[16], y[16];
	memcpy(x, t, 16);
	xor16(x, iv);
	if (mbedtls_aes_crypt_ecb(c, MBEDTLS_AES_ENCRYPT, x, x))
		return -1;
	memset(y, 0, 16);
	memcpy(y, t + 16, r);
	xor16(y, x);
	if (mbedtls_aes_crypt_ecb(c, MBEDTLS_AES_ENCRYPT, y, y))
		return -1;
	memcpy(t, y, 16);
	memcpy(t + 16, x, r);
	memcpy(iv, y, 16);
	return 0;
}

static int cts_tail_dec(mbedtls_aes_context *dec, uint8_t iv[16], uint8_t *t, size_t r)
{
	/* D(the full block) is the short block (zero-padded) xor the other
	 * block's ciphertext, whose first r bytes are the short piece we hold
	 * and whose rest D leaves in place */
	uint8_t d[16], cprev[16];
	size_t i;
	if (mbedtls_aes_crypt_ecb(dec, MBEDTLS_AES_DECRYPT, t, d))
		return -1;
	memcpy(cprev, t + 16, r);
	memcpy(cprev + r, d + r, 16 - r);
	memcpy(iv + 0, t, 16); /* the next chaining value: the block sent first */
	for (i = 0; i < r; i++)
		t[16 + i] = d[i] ^ cprev[i];
	if (mbedtls_aes_crypt_ecb(dec, MBEDTLS_AES_DECRYPT, cprev, d))
		return -1;
	memcpy(t, d, 16);
	return 0;
}

int kcrypto_cts(const uint8_t *key, size_t keylen, int encrypt, uint8_t iv[16], uint8_t *buf,
		size_t n)
{
	mbedtls_aes_context c;
	uint8_t chain[16], next[16];
	size_t r, head;
	int e;
	if (!key_ok(keylen) || n < 16)
		return -1;
	mbedtls_aes_init(&c);
	e = encrypt ? mbedtls_aes_setkey_enc(&c, key, (unsigned)keylen * 8)
		    : mbedtls_aes_setkey_dec(&c, key, (unsigned)keylen * 8);
	if (e) {
		mbedtls_aes_free(&c);
		return -1;
	}
	if (n == 16) { /* one block: plain CBC */
		e = cbc_head(&c, encrypt, iv, buf, 16);
		mbedtls_aes_free(&c);
		return e;
	}
	r = n % 16 ? n % 16 : 16;
	head = n - 16 - r;
	memcpy(chain, iv, 16);
	e = cbc_head(&c, encrypt, chain, buf, head);
	if (!e && encrypt) {
		e = cts_tail_enc(&c, chain, buf + head, r);
		memcpy(iv, chain, 16);
	} else if (!e) {
		/* decrypting, the last block's chaining value is the block before
		 * the tail; what follows (the next IV) is the tail's first block */
		memcpy(next, chain, 16);
		e = cts_tail_dec(&c, chain, buf + head, r);
		if (!e)
			xor16(buf + head, next);
		memcpy(iv, chain, 16);
	}
	mbedtls_aes_free(&c);
	wrsh_wipe(chain, sizeof(chain));
	wrsh_wipe(next, sizeof(next));
	return e;
}

int kcrypto_encrypt(const uint8_t *key, size_t keylen, uint32_t usage,
		    const uint8_t confounder[KCRYPTO_CONFOUNDER], const uint8_t *plain, size_t n,
		    uint8_t *out)
{
	uint8_t ke[32], ki[32], mac[20], iv[16] = {0};
	struct cbuf parts[2] = {{confounder, KCRYPTO_CONFOUNDER}, {plain, n}};
	int r = -1;
	if (!kcrypto_usage_key(key, keylen, usage, KCRYPTO_KE, ke) &&
	    !kcrypto_usage_key(key, keylen, usage, KCRYPTO_KI, ki)) {
		kcrypto_hmac_sha1(ki, keylen, parts, 2, mac);
		memcpy(out, confounder, KCRYPTO_CONFOUNDER);
		memcpy(out + KCRYPTO_CONFOUNDER, plain, n);
		r = kcrypto_cts(ke, keylen, 1, iv, out, n + KCRYPTO_CONFOUNDER);
		memcpy(out + KCRYPTO_CONFOUNDER + n, mac, KCRYPTO_MAC);
	}
	wrsh_wipe(ke, sizeof(ke));
	wrsh_wipe(ki, sizeof(ki));
	wrsh_wipe(mac, sizeof(mac));
	return r;
}

int kcrypto_decrypt(const uint8_t *key, size_t keylen, uint32_t usage, uint8_t *buf, size_t n,
		    size_t *plain_len)
{
	uint8_t ke[32], ki[32], mac[20], iv[16] = {0}, diff = 0;
	size_t len, i;
	int r = -1;
	if (n < KCRYPTO_OVERHEAD)
		return -1;
	len = n - KCRYPTO_MAC;
	if (!kcrypto_usage_key(key, keylen, usage, KCRYPTO_KE, ke) &&
	    !kcrypto_usage_key(key, keylen, usage, KCRYPTO_KI, ki) &&
	    !kcrypto_cts(ke, keylen, 0, iv, buf, len)) {
		struct cbuf part = {buf, len};
		kcrypto_hmac_sha1(ki, keylen, &part, 1, mac);
		for (i = 0; i < KCRYPTO_MAC; i++)
			diff |= (uint8_t)(mac[i] ^ buf[len + i]);
		r = diff ? -2 : 0;
		*plain_len = len - KCRYPTO_CONFOUNDER;
		if (r)
			wrsh_wipe(buf, len); /* nothing of a forgery is handed on */
	}
	wrsh_wipe(ke, sizeof(ke));
	wrsh_wipe(ki, sizeof(ki));
	wrsh_wipe(mac, sizeof(mac));
	return r;
}

int kcrypto_checksum(const uint8_t *key, size_t keylen, uint32_t usage, const struct cbuf *parts,
		     size_t nparts, uint8_t out[KCRYPTO_MAC])
{
	uint8_t kc[32], mac[20];
	int r = kcrypto_usage_key(key, keylen, usage, KCRYPTO_KC, kc);
	if (!r) {
		kcrypto_hmac_sha1(kc, keylen, parts, nparts, mac);
		memcpy(out, mac, KCRYPTO_MAC);
	}
	wrsh_wipe(kc, sizeof(kc));
	wrsh_wipe(mac, sizeof(mac));
	return r;
}
