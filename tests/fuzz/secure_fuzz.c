/* libFuzzer: what a server sends for secure strings (MS-PSRP 2.2.2.4,
 * 2.2.5.1.24), through the parsers the pool uses. The first byte picks:
 * 0 an EncryptedSessionKey's base64 text (decoded, the SIMPLEBLOB checked,
 * the ciphertext through RSA PKCS#1 v1.5 decryption with a fixed key pair),
 * 1 a PUBLICKEYBLOB, 2 a SecureString's <SS> text under a fixed session key.
 * Every input ends in WRSH_OK or a one-line error, never a crash, and a
 * decrypted value fits its buffer. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto/crypto.h"
#include "psrp/secure.h"
#include "util/base64.h"

static int det_rng(void *ctx, unsigned char *out, size_t n)
{
	uint64_t *x = ctx;
	size_t i;
	for (i = 0; i < n; i++) {
		*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
		out[i] = (unsigned char)(*x >> 32);
	}
	return 0;
}

/* one key pair for the whole run: making one per input would be all the
 * fuzzer did */
static struct crypto_rsa *key_pair(struct wrsh_arena **arena)
{
	static uint8_t mem[16384];
	static struct wrsh_arena *a;
	static struct crypto_rsa *k;
	static uint64_t seed = 0x2545f4914f6cdd1dull;
	if (!a) {
		a = wrsh_arena_init(mem, sizeof(mem));
		if (crypto_rsa_generate(a, det_rng, &seed, PSRP_RSA_BITS, &k))
			__builtin_trap();
	}
	*arena = a;
	return k;
}

static void session_key(const uint8_t *p, size_t n, struct errbuf *e)
{
	uint8_t blob[PSRP_SESSKEY_BLOB + 8], ct[PSRP_RSA_BYTES], key[PSRP_RSA_BYTES];
	struct wrsh_arena *a;
	struct crypto_rsa *k = key_pair(&a);
	struct b64_dec d;
	size_t len = 0, klen = 0;
	static uint64_t seed = 7;
	if (B64_DEC_MAX(n) > sizeof(blob))
		return;
	b64_dec_init(&d);
	if (b64_dec_push(&d, (const char *)p, n, blob, &len) || b64_dec_finish(&d))
		return;
	if (psrp_sesskey_parse(blob, len, ct, e))
		return;
	if (!crypto_rsa_decrypt(a, k, det_rng, &seed, ct, key, sizeof(key), &klen) &&
	    klen > sizeof(key))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[PSRP_SESSION_KEY] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct errbuf e = {WRSH_OK, ""};
	uint8_t work[4096], n_be[PSRP_RSA_BYTES];
	char out[2048];
	size_t n = 0;
	uint32_t pe;
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		session_key(data + 1, size - 1, &e);
		break;
	case 1:
		(void)psrp_pubkey_parse(data + 1, size - 1, n_be, &pe, &e);
		break;
	default:
		if (!psrp_ss_decrypt(key, (const char *)data + 1, size - 1, work, sizeof(work), out,
				     sizeof(out), &n, &e) &&
		    (n >= sizeof(out) || out[n]))
			__builtin_trap();
	}
	if (e.code && !memchr(e.msg, 0, sizeof(e.msg)))
		__builtin_trap();
	return 0;
}
