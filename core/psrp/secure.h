/*
 * PSRP's secure strings (MS-PSRP 2.2.2.3-5, 2.2.5.1.24, 3.1.4.8): the key
 * blobs of the session key exchange, in CryptoAPI's layouts, and the
 * SecureString values, AES-256-CBC over the UTF-16LE text.
 *
 * PUBLIC_KEY carries a PUBLICKEYBLOB (20 + 256 bytes, little-endian):
 *   06 02 00 00 | 00 A4 00 00 (CALG_RSA_KEYX) | "RSA1" | bit length (2048)
 *   | public exponent (4) | modulus, least significant byte first
 * ENCRYPTED_SESSION_KEY a SIMPLEBLOB (12 + 256 bytes):
 *   01 02 00 00 | 10 66 00 00 (CALG_AES_256) | 00 A4 00 00 (CALG_RSA_KEYX)
 *   | the RSAES-PKCS1-v1_5 ciphertext, least significant byte first
 * A SecureString's <SS> text is base64 of AES-256-CBC with a zero IV and
 * PKCS#7 padding (the IV is PowerShell's PSRSACryptoServiceProvider's: the
 * spec does not name one). These functions only encode and decode; the
 * key exchange itself is the pool's (psrp/pool.c).
 */
#ifndef WRSH_PSRP_SECURE_H
#define WRSH_PSRP_SECURE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "base/err.h"
#include "util/base64.h"
#include "util/str.h"
#include "wrsh.h"

#define PSRP_RSA_BITS 2048
#define PSRP_RSA_BYTES (PSRP_RSA_BITS / 8)
#define PSRP_PUBKEY_BLOB (20 + PSRP_RSA_BYTES)
#define PSRP_SESSKEY_BLOB (12 + PSRP_RSA_BYTES)
#define PSRP_SESSION_KEY 32

/* The PUBLICKEYBLOB of a modulus (big-endian, as RFC 8017 writes it) and
 * its public exponent. */
void psrp_pubkey_blob(const uint8_t n_be[PSRP_RSA_BYTES], uint32_t e,
		      uint8_t out[PSRP_PUBKEY_BLOB]);
/* And back (what a server reads; the tests check our blob with it). */
wrsh_err psrp_pubkey_parse(const uint8_t *blob, size_t n, uint8_t n_be[PSRP_RSA_BYTES], uint32_t *e,
			   struct errbuf *err);
/* A SIMPLEBLOB: its header checked, the ciphertext out big-endian. */
wrsh_err psrp_sesskey_parse(const uint8_t *blob, size_t n, uint8_t ct_be[PSRP_RSA_BYTES],
			    struct errbuf *err);

/* Bytes of work buffer and of base64 that a secret of n UTF-8 bytes needs
 * (UTF-16 doubles at most, padding adds a block). */
#define PSRP_SS_WORK(n) (2 * (n) + 16)
#define PSRP_SS_B64(n) (B64_ENC_LEN(PSRP_SS_WORK(n)) + 1)

/* The <SS> text of secret s (UTF-8): into out (NUL-terminated), using
 * work[PSRP_SS_WORK(n)], which is wiped. Errors: WRSH_EINVAL (not UTF-8),
 * WRSH_ELIMIT (out too small). */
wrsh_err psrp_ss_encrypt(const uint8_t key[PSRP_SESSION_KEY], const char *s, size_t n,
			 uint8_t *work, size_t work_cap, char *out, size_t out_cap,
			 struct errbuf *err);
/* An <SS> text back to UTF-8 in out[cap] (NUL-terminated), through
 * work[cap_w] (wiped). Errors: WRSH_EPSRP (not base64, not whole blocks,
 * a bad padding, not UTF-16), WRSH_ELIMIT. The caller wipes out. */
wrsh_err psrp_ss_decrypt(const uint8_t key[PSRP_SESSION_KEY], const char *b64, size_t n,
			 uint8_t *work, size_t work_cap, char *out, size_t cap, size_t *outlen,
			 struct errbuf *err);
#if !CONFIG_WRSH_PSRP_SECURE /* callers check the option first */
#define psrp_pubkey_blob(n, e, out) ((void)(n), (void)(e), (void)(out))
#define psrp_sesskey_parse(b, n, ct, err) ((void)(b), (void)(n), (void)(ct), WRSH_EUNSUPPORTED)
#define psrp_ss_encrypt(k, s, n, w, wc, o, oc, err) ((void)(k), (void)(w), WRSH_EUNSUPPORTED)
#endif

#endif
