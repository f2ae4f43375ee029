/*
 * Kerberos' AES encryption types (RFC 3962: aes128- and
 * aes256-cts-hmac-sha1-96, etypes 17 and 18) in RFC 3961's simplified
 * profile: n-fold, key derivation, string-to-key, CBC with ciphertext
 * stealing, and the encrypt/decrypt/checksum every Kerberos message and
 * RFC 4121 wrap token uses. AES and SHA-1 are mbedTLS's; nothing here
 * allocates, and every intermediate key is wiped before return.
 *
 * Keys are 16 or 32 bytes (keylen); anything else is refused (-1).
 */
#ifndef WRSH_KCRYPTO_H
#define WRSH_KCRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"

#define KCRYPTO_ETYPE_AES128 17
#define KCRYPTO_ETYPE_AES256 18
#define KCRYPTO_CONFOUNDER 16 /* the cipher's block: RFC 3961 5.3 */
#define KCRYPTO_MAC 12	      /* HMAC-SHA1-96 */
#define KCRYPTO_OVERHEAD (KCRYPTO_CONFOUNDER + KCRYPTO_MAC)
#define KCRYPTO_ITERATIONS 4096 /* RFC 3962 4: without s2kparams */

/* The derived keys of RFC 3961 5.3, by the constant's last byte. */
enum kcrypto_kind { KCRYPTO_KC = 0x99, KCRYPTO_KE = 0xAA, KCRYPTO_KI = 0x55 };

/* n-fold (RFC 3961 5.1): in folded, or replicated and folded, to outlen. */
void kcrypto_nfold(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen);

/* DK(base, constant) (RFC 3961 5.1): random-to-key of DR, which for AES is
 * DR itself. */
int kcrypto_dk(const uint8_t *base, size_t keylen, const uint8_t *constant, size_t clen,
	       uint8_t *out);

/* The key of one usage (RFC 3961 5.3): DK(base, usage (32 bits, big-endian)
 * || kind). */
int kcrypto_usage_key(const uint8_t *base, size_t keylen, uint32_t usage, enum kcrypto_kind kind,
		      uint8_t *out);

/* RFC 3962 4: PBKDF2-HMAC-SHA1 of the UTF-8 password with salt (the realm
 * and the principal's name, or what the KDC's ETYPE-INFO2 says) over
 * iterations (KCRYPTO_ITERATIONS by default), then DK(tkey, "kerberos"). */
int kcrypto_string_to_key(const char *password, size_t plen, const uint8_t *salt, size_t slen,
			  uint32_t iterations, size_t keylen, uint8_t *key);

/* AES-CBC with ciphertext stealing in Kerberos' form (RFC 3962 5: the last
 * two blocks swapped), in place, n >= 16; iv is updated to the next chaining
 * value as RFC 3962 B's vectors give it. */
int kcrypto_cts(const uint8_t *key, size_t keylen, int encrypt, uint8_t iv[16], uint8_t *buf,
		size_t n);

/* encrypt (RFC 3961 5.3): out = E(Ke, confounder | plain) | HMAC-SHA1-96(Ki,
 * confounder | plain), n + KCRYPTO_OVERHEAD bytes; out may not overlap
 * plain. The confounder is the caller's randomness. */
int kcrypto_encrypt(const uint8_t *key, size_t keylen, uint32_t usage,
		    const uint8_t confounder[KCRYPTO_CONFOUNDER], const uint8_t *plain, size_t n,
		    uint8_t *out);

/* decrypt in place: the MAC checked (in constant time) before anything is
 * believed; the plaintext is then buf[KCRYPTO_CONFOUNDER ..] of *plain_len
 * bytes. -1 for a short message, -2 for a MAC that does not verify. */
int kcrypto_decrypt(const uint8_t *key, size_t keylen, uint32_t usage, uint8_t *buf, size_t n,
		    size_t *plain_len);

/* get_mic (RFC 3961 5.4): HMAC-SHA1-96(Kc) over the pieces. */
int kcrypto_checksum(const uint8_t *key, size_t keylen, uint32_t usage, const struct cbuf *parts,
		     size_t nparts, uint8_t out[KCRYPTO_MAC]);

/* HMAC-SHA1 (RFC 2104) over the concatenation of the pieces; PBKDF2 (RFC
 * 8018 5.2) with it. */
void kcrypto_hmac_sha1(const uint8_t *key, size_t klen, const struct cbuf *parts, size_t n,
		       uint8_t out[20]);
void kcrypto_pbkdf2_sha1(const uint8_t *pw, size_t plen, const uint8_t *salt, size_t slen,
			 uint32_t iterations, uint8_t *out, size_t outlen);

#endif
