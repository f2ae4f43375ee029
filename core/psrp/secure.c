/* The blobs and values of PSRP's secure strings: see secure.h. */
#include <string.h>

#include "config.h"

#include "crypto/crypto.h"
#include "psrp/secure.h"
#include "util/bytes.h"
#include "util/utf.h"

#if CONFIG_WRSH_PSRP_SECURE

static const uint8_t pubkey_head[12] = {0x06, 0x02, 0x00, 0x00, 0x00, 0xA4,
					0x00, 0x00, 0x52, 0x53, 0x41, 0x31}; /* ... "RSA1" */
static const uint8_t sesskey_head[12] = {0x01, 0x02, 0x00, 0x00, 0x10, 0x66,
					 0x00, 0x00, 0x00, 0xA4, 0x00, 0x00};
static const uint8_t zero_iv[16];

static void reverse(const uint8_t *in, uint8_t *out, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		out[i] = in[n - 1 - i];
}

void psrp_pubkey_blob(const uint8_t n_be[PSRP_RSA_BYTES], uint32_t e, uint8_t out[PSRP_PUBKEY_BLOB])
{
	memcpy(out, pubkey_head, sizeof(pubkey_head));
	put_le32(out + 12, PSRP_RSA_BITS);
	put_le32(out + 16, e);
	reverse(n_be, out + 20, PSRP_RSA_BYTES);
}

wrsh_err psrp_pubkey_parse(const uint8_t *blob, size_t n, uint8_t n_be[PSRP_RSA_BYTES], uint32_t *e,
			   struct errbuf *err)
{
	if (n != PSRP_PUBKEY_BLOB || memcmp(blob, pubkey_head, 4) ||
	    memcmp(blob + 8, pubkey_head + 8, 4) || get_le32(blob + 12) != PSRP_RSA_BITS)
		return err_set(err, WRSH_EPSRP,
			       "psrp: a public key that is not a 2048-bit "
			       "PUBLICKEYBLOB",
			       NULL);
	*e = get_le32(blob + 16);
	reverse(blob + 20, n_be, PSRP_RSA_BYTES);
	return WRSH_OK;
}

wrsh_err psrp_sesskey_parse(const uint8_t *blob, size_t n, uint8_t ct_be[PSRP_RSA_BYTES],
			    struct errbuf *err)
{
	if (n != PSRP_SESSKEY_BLOB || memcmp(blob, sesskey_head, sizeof(sesskey_head)))
		return err_set(err, WRSH_EPSRP,
			       "psrp: ENCRYPTED_SESSION_KEY is not an AES-256 SIMPLEBLOB "
			       "for a 2048-bit RSA key",
			       NULL);
	reverse(blob + 12, ct_be, PSRP_RSA_BYTES);
	return WRSH_OK;
}

wrsh_err psrp_ss_encrypt(const uint8_t key[PSRP_SESSION_KEY], const char *s, size_t n,
			 uint8_t *work, size_t work_cap, char *out, size_t out_cap,
			 struct errbuf *err)
{
	size_t len = 0, padded, pad;
	wrsh_err e = WRSH_OK;
	if (work_cap < PSRP_SS_WORK(n))
		return err_set(err, WRSH_ELIMIT, "psrp: a secure string beyond its buffer", NULL);
	if (utf8_to_utf16le(s, n, work, work_cap, &len)) {
		e = err_set(err, WRSH_EINVAL, "psrp: a secure string that is not UTF-8", NULL);
		goto out;
	}
	pad = 16 - len % 16; /* PKCS#7: always one to sixteen bytes */
	memset(work + len, (int)pad, pad);
	padded = len + pad;
	if (B64_ENC_LEN(padded) + 1 > out_cap) {
		e = err_set(err, WRSH_ELIMIT, "psrp: a secure string beyond its buffer", NULL);
		goto out;
	}
	if (crypto_aes256_cbc(key, zero_iv, 1, work, padded)) {
		e = err_set(err, WRSH_EPSRP, "psrp: AES failed", NULL);
		goto out;
	}
	out[b64_encode(work, padded, out)] = 0;
out:
	wrsh_wipe(work, work_cap);
	return e;
}

wrsh_err psrp_ss_decrypt(const uint8_t key[PSRP_SESSION_KEY], const char *b64, size_t n,
			 uint8_t *work, size_t work_cap, char *out, size_t cap, size_t *outlen,
			 struct errbuf *err)
{
	struct b64_dec d;
	size_t len = 0, pad, i, k = 0;
	wrsh_err e = WRSH_OK;
	*outlen = 0;
	if (B64_DEC_MAX(n) > work_cap || !cap)
		return err_set(err, WRSH_ELIMIT, "psrp: a secure string beyond its buffer", NULL);
	b64_dec_init(&d);
	if (b64_dec_push(&d, b64, n, work, &len) || b64_dec_finish(&d) || !len || len % 16) {
		e = err_set(err, WRSH_EPSRP, "psrp: a secure string that is not whole AES blocks",
			    NULL);
		goto out;
	}
	if (crypto_aes256_cbc(key, zero_iv, 0, work, len)) {
		e = err_set(err, WRSH_EPSRP, "psrp: AES failed", NULL);
		goto out;
	}
	pad = work[len - 1];
	for (i = 0; i < pad && pad <= 16; i++)
		if (work[len - 1 - i] != pad)
			break;
	if (!pad || pad > 16 || i != pad || (len - pad) % 2) {
		e = err_set(err, WRSH_EPSRP,
			    "psrp: a secure string with a bad padding "
			    "(another session key?)",
			    NULL);
		goto out;
	}
	if (utf16le_to_utf8(work, len - pad, out, cap - 1, &k)) {
		e = err_set(err, WRSH_EPSRP, "psrp: a secure string that is not UTF-16 or too long",
			    NULL);
		wrsh_wipe(out, cap);
		goto out;
	}
	out[k] = 0;
	*outlen = k;
out:
	wrsh_wipe(work, work_cap);
	return e;
}
#endif
