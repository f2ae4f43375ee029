/* Kerberos' AES profile against RFC 3961, RFC 3962, MIT's derivation
 * vectors and MIT's own string-to-key (tests/vectors/kcrypto.txt); RC4-HMAC
 * against impacket's (tests/vectors/rc4hmac.txt). */
#include <stdlib.h>
#include <string.h>

#include "crypto/kcrypto.h"
#include "crypto/rc4hmac.h"
#include "harness.h"
#include "vectors.h"

static void kcrypto_case(const char *desc, char **f, int nf)
{
	uint8_t a[128], b[128], want[128], got[128], iv[16];
	size_t an, bn, wn, n;
	(void)desc;
	if (!strcmp(f[0], "nfold") && nf == 4) {
		an = vec_hex(f[1], a, sizeof(a));
		n = (size_t)atoi(f[2]) / 8;
		wn = vec_hex(f[3], want, sizeof(want));
		kcrypto_nfold(a, an, got, n);
		CHECK_MEM(got, n, want, wn);
	} else if (!strcmp(f[0], "s2k") && nf == 6) {
		an = vec_hex(f[1], a, sizeof(a));
		bn = vec_hex(f[2], b, sizeof(b));
		n = (size_t)atoi(f[4]);
		wn = vec_hex(f[5], want, sizeof(want));
		CHECK_EQ(kcrypto_string_to_key((const char *)a, an, b, bn, (uint32_t)atoi(f[3]), n,
					       got),
			 0);
		CHECK_MEM(got, n, want, wn);
	} else if (!strcmp(f[0], "cts") && nf == 5) {
		an = vec_hex(f[1], a, sizeof(a));
		bn = vec_hex(f[2], b, sizeof(b));
		wn = vec_hex(f[3], want, sizeof(want));
		memset(iv, 0, 16);
		memcpy(got, b, bn);
		CHECK_EQ(kcrypto_cts(a, an, 1, iv, got, bn), 0);
		CHECK_MEM(got, bn, want, wn);
		wn = vec_hex(f[4], want, sizeof(want));
		CHECK_MEM(iv, 16, want, wn);
		memset(iv, 0, 16); /* and back */
		CHECK_EQ(kcrypto_cts(a, an, 0, iv, got, bn), 0);
		CHECK_MEM(got, bn, b, bn);
		CHECK_MEM(iv, 16, want, wn);
	} else if (!strcmp(f[0], "dk") && nf == 4) {
		an = vec_hex(f[1], a, sizeof(a));
		bn = vec_hex(f[2], b, sizeof(b));
		wn = vec_hex(f[3], want, sizeof(want));
		CHECK_EQ(kcrypto_dk(a, an, b, bn, got), 0);
		CHECK_MEM(got, an, want, wn);
	} else {
		CHECK(!"malformed kcrypto vector");
	}
}

static void test_kcrypto_vectors(void)
{
	CHECK_EQ(vec_each("tests/vectors/kcrypto.txt", kcrypto_case), 39);
}

/* encrypt then decrypt at every length around the block edges; a flipped
 * bit anywhere, in the ciphertext or the MAC, is refused. */
static void test_kcrypto_encrypt_round_trip(void)
{
	static const uint8_t conf[16] = "0123456789abcdef";
	uint8_t key[32], msg[80], box[80 + KCRYPTO_OVERHEAD];
	size_t n, keylen, len, i;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 13);
	for (keylen = 16; keylen <= 32; keylen += 16)
		for (n = 0; n <= sizeof(msg); n++) {
			CHECK_EQ(kcrypto_encrypt(key, keylen, 3, conf, msg, n, box), 0);
			CHECK_EQ(kcrypto_decrypt(key, keylen, 3, box, n + KCRYPTO_OVERHEAD, &len),
				 0);
			CHECK_EQ(len, n);
			CHECK_MEM(box + KCRYPTO_CONFOUNDER, len, msg, n);
			CHECK_EQ(kcrypto_encrypt(key, keylen, 3, conf, msg, n, box), 0);
			box[(n * 5) % (n + KCRYPTO_OVERHEAD)] ^= 0x20;
			CHECK_EQ(kcrypto_decrypt(key, keylen, 3, box, n + KCRYPTO_OVERHEAD, &len),
				 -2);
			CHECK_EQ(kcrypto_encrypt(key, keylen, 3, conf, msg, n, box), 0);
			/* another usage's keys do not open it */
			CHECK_EQ(kcrypto_decrypt(key, keylen, 4, box, n + KCRYPTO_OVERHEAD, &len),
				 -2);
		}
	CHECK_EQ(kcrypto_decrypt(key, 32, 3, box, KCRYPTO_OVERHEAD - 1, &len), -1);
	CHECK_EQ(kcrypto_encrypt(key, 24, 3, conf, msg, 1, box), -1);
}

/* The checksum is HMAC-SHA1-96 under Kc: computed here from its parts
 * (kcrypto_dk of the usage constant, then kcrypto_hmac_sha1), so that a
 * piece split anywhere gives the same MIC. */
static void test_kcrypto_checksum_pieces(void)
{
	static const uint8_t key[16] = "abcdefghijklmnop", usage2[5] = {0, 0, 0, 2, 0x99};
	static const char text[] = "a message in three pieces";
	uint8_t kc[16], mac[20], a[KCRYPTO_MAC], b[KCRYPTO_MAC];
	struct cbuf one = {text, sizeof(text) - 1};
	struct cbuf three[3] = {{text, 2}, {text + 2, 9}, {text + 11, sizeof(text) - 12}};
	CHECK_EQ(kcrypto_checksum(key, 16, 2, &one, 1, a), 0);
	CHECK_EQ(kcrypto_checksum(key, 16, 2, three, 3, b), 0);
	CHECK_MEM(a, KCRYPTO_MAC, b, KCRYPTO_MAC);
	CHECK_EQ(kcrypto_dk(key, 16, usage2, 5, kc), 0);
	kcrypto_hmac_sha1(kc, 16, &one, 1, mac);
	CHECK_MEM(a, KCRYPTO_MAC, mac, KCRYPTO_MAC);
}

/* Each vector encrypts to impacket's bytes and decrypts back; any flipped
 * bit, or another usage's keys, and the MAC refuses it (nothing left). */
static void rc4hmac_case(const char *desc, char **f, int nf)
{
	uint8_t key[16], conf[8], plain[64], want[96], got[96];
	size_t kn, cn, pn, wn, len, i;
	uint32_t usage;
	(void)desc;
	if (!strcmp(f[0], "rc4s2k") && nf == 3) {
		pn = vec_hex(f[1], plain, sizeof(plain) - 1);
		wn = vec_hex(f[2], want, sizeof(want));
		CHECK_EQ(rc4hmac_string_to_key((const char *)plain, pn, got), WRSH_OK);
		CHECK_MEM(got, 16, want, wn);
		return;
	}
	if (strcmp(f[0], "rc4hmac") || nf != 6) {
		CHECK(!"malformed rc4hmac vector");
		return;
	}
	kn = vec_hex(f[1], key, sizeof(key));
	usage = (uint32_t)atoi(f[2]);
	cn = vec_hex(f[3], conf, sizeof(conf));
	pn = vec_hex(f[4], plain, sizeof(plain));
	wn = vec_hex(f[5], want, sizeof(want));
	CHECK(kn == 16 && cn == 8 && wn == pn + RC4HMAC_OVERHEAD);
	rc4hmac_encrypt(key, usage, conf, plain, pn, got);
	CHECK_MEM(got, wn, want, wn);
	CHECK_EQ(rc4hmac_decrypt(key, usage, got, wn, &len), 0);
	CHECK_EQ(len, pn);
	CHECK_MEM(got + RC4HMAC_OVERHEAD, len, plain, pn);
	for (i = 0; i < wn; i += 7) {
		memcpy(got, want, wn);
		got[i] ^= 0x01;
		CHECK_EQ(rc4hmac_decrypt(key, usage, got, wn, &len), -2);
	}
	memcpy(got, want, wn);
	CHECK_EQ(rc4hmac_decrypt(key, usage == 1 ? 7 : 1, got, wn, &len), -2);
	for (i = RC4HMAC_OVERHEAD; i < wn; i++)
		CHECK_EQ(got[i], 0); /* the unverified plaintext wiped */
	CHECK_EQ(rc4hmac_decrypt(key, usage, got, RC4HMAC_OVERHEAD - 1, &len), -1);
}

static void test_rc4hmac_vectors(void)
{
	uint8_t key[16];
	CHECK_EQ(vec_each("tests/vectors/rc4hmac.txt", rc4hmac_case), 6);
	CHECK_EQ(rc4hmac_string_to_key("\xff", 1, key), WRSH_EINVAL); /* not UTF-8 */
}

void kcrypto_tests(void)
{
	RUN(test_kcrypto_vectors);
	RUN(test_kcrypto_encrypt_round_trip);
	RUN(test_kcrypto_checksum_pieces);
	RUN(test_rc4hmac_vectors);
}
