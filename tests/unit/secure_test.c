#define _POSIX_C_SOURCE 200809L /* clock_gettime, for the printed figure */
/*
 * PSRP secure strings (psrp/secure.c, the RSA and AES of core/crypto.c):
 * the key blobs against the examples of MS-PSRP 2.2.2.3 and 2.2.2.4, the
 * SecureString encoding against python3-cryptography, the wipes (no
 * plaintext or key left in the arena), and the host answers that carry
 * secrets. The whole exchange against an independent RSA (python3-
 * cryptography in the endpoint) is in tests/cli/test_secure.py.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#include "crypto/crypto.h"
#include "psrp/build.h"
#include "psrp/secure.h"
#include "util/base64.h"

#if CONFIG_WRSH_PSRP_SECURE

/* MS-PSRP 2.2.2.3's example PUBLIC_KEY (a 2048-bit key, e = 65537) */
static const char spec_pubkey[] =
	"BgIAAACkAABSU0ExAAgAAAEAAQBxLtiI7U4s5gkx4zzFaRyhCgTwSYWBdxx6MfjJMXcuLewnq7RvIo6yfgcN2s8FXr"
	"elHs8y34S0fdvM/fbSXjaacKOQoLVvOgyVf1x7EODpDADW2Tj9RIz52hcsVzNFfkfT4EhMvcJbDIqtEwIF6BmjHc5y"
	"NPsywTFD6QU50BIySeV7IT3qhjxihQEbMt/"
	"shf0DcFX07JIs37FPPZpesaviyG3RZjhQbfCbJ66vlea+1ocVYgqM7W98"
	"ZIeHlRT2XhrPSD+hwriUcfG3oOJIILpo2acpAxcz8KCEOkpocH4wA/"
	"IgF+9UcaeanOkBXqK3xc9LPtVuQ7otZYa+zvrT"
	"ZXe4";
/* MS-PSRP 2.2.2.4's example ENCRYPTED_SESSION_KEY */
static const char spec_sesskey[] =
	"AQIAABBmAAAApAAAgY6iLhsPXjMGza6Rc6JeEfezwTaZjJhm+"
	"gj55YRVzv6QTyRkl3j9XuESv5WhNwHHZD0pAwDC5iZc"
	"xFCKtZ4PSuBIy6EULAuvxUCvREZ2NueMLUzbOaLviFc4Y2Qf9rPEBfjK/"
	"iKyudKTiF4bY92RTZxoxVECaT4Z9EJI4Qyi"
	"gCIUfjY7oXzcntkc09Its+v9HgoQY50qXCtqB+r1Npdx3gYPvtuTPsRGGPlmKnns6gVALeh8Tw/"
	"FPo8EMk+oGpfAUZjh"
	"xcNpmrniujs8UTlDzV8JWa/sEjrpewEGTBRWs0AQ3yEj2ALZzpwDa+bHhSp8TtJV+V6ZN7MvTX2igcAwQA==";

static size_t unb64(const char *s, uint8_t *out, size_t cap)
{
	struct b64_dec d;
	size_t n = 0;
	if (B64_DEC_MAX(strlen(s)) > cap)
		return 0;
	b64_dec_init(&d);
	if (b64_dec_push(&d, s, strlen(s), out, &n) || b64_dec_finish(&d))
		return 0;
	return n;
}

static void test_secure_public_key_blob_is_the_spec_s(void)
{
	uint8_t blob[300], n[PSRP_RSA_BYTES], again[PSRP_PUBKEY_BLOB];
	struct errbuf e = {WRSH_OK, ""};
	size_t len = unb64(spec_pubkey, blob, sizeof(blob));
	uint32_t pe = 0;
	CHECK_EQ(len, PSRP_PUBKEY_BLOB);
	CHECK_EQ(psrp_pubkey_parse(blob, len, n, &pe, &e), WRSH_OK);
	CHECK_EQ(pe, 65537);
	/* the modulus read big-endian: its top byte has the high bit set (a
	 * 2048-bit number), its last one is the blob's first modulus byte */
	CHECK_EQ(n[0], 0xb8);
	CHECK_EQ(n[PSRP_RSA_BYTES - 1], blob[20]);
	/* and written back, byte for byte the spec's */
	psrp_pubkey_blob(n, pe, again);
	CHECK_MEM(again, sizeof(again), blob, len);
	/* not a PUBLICKEYBLOB of 2048 bits: refused */
	blob[0] = 0x07;
	CHECK_EQ(psrp_pubkey_parse(blob, len, n, &pe, &e), WRSH_EPSRP);
	blob[0] = 0x06;
	blob[13] = 0x04; /* 1024 bits */
	CHECK_EQ(psrp_pubkey_parse(blob, len, n, &pe, &e), WRSH_EPSRP);
	CHECK_EQ(psrp_pubkey_parse(blob, len - 1, n, &pe, &e), WRSH_EPSRP);
}

static void test_secure_session_key_blob_is_the_spec_s(void)
{
	uint8_t blob[300], ct[PSRP_RSA_BYTES];
	struct errbuf e = {WRSH_OK, ""};
	size_t len = unb64(spec_sesskey, blob, sizeof(blob)), i;
	bool reversed = true;
	CHECK_EQ(len, PSRP_SESSKEY_BLOB);
	CHECK_EQ(psrp_sesskey_parse(blob, len, ct, &e), WRSH_OK);
	for (i = 0; i < PSRP_RSA_BYTES; i++)
		reversed = reversed && ct[i] == blob[len - 1 - i];
	CHECK(reversed);
	/* the header names AES-256 and RSA key exchange; anything else is
	 * refused with one line */
	blob[4] = 0x0e; /* CALG_AES_128 */
	CHECK_EQ(psrp_sesskey_parse(blob, len, ct, &e), WRSH_EPSRP);
	CHECK(strstr(e.msg, "ENCRYPTED_SESSION_KEY") != NULL);
	blob[4] = 0x10;
	CHECK_EQ(psrp_sesskey_parse(blob, len - 2, ct, &e), WRSH_EPSRP);
	CHECK_EQ(psrp_sesskey_parse(blob, 0, ct, &e), WRSH_EPSRP);
}

/*
 * AES-256-CBC, zero IV, PKCS#7, over UTF-16LE, from python3-cryptography:
 *   key = bytes(range(32)); p = PKCS7(128).padder()
 *   d = p.update(text.encode("utf-16-le")) + p.finalize()
 *   e = Cipher(AES(key), CBC(b"\0" * 16)).encryptor()
 *   base64.b64encode(e.update(d) + e.finalize())
 */
static const struct {
	const char *text, *b64;
} ss_vectors[] = {
	{"Secret_\xc3\xa9\xe2\x82\xac", "2sQETLUjjdd8DgsqSN0d3YhLslS/lU3i0hJw3Xr9t/w="},
	{"", "nzt1BJJvi9NuMRjpA6TNSg=="},
	{"0123456\xc3\xa9", "PL9k3dk4w+JlYJosaeExeyp1Zn5/AYx5VoEDfz0hP14="},
};

static void test_secure_string_against_python_cryptography(void)
{
	uint8_t key[32], work[64];
	char out[128], back[64];
	struct errbuf e = {WRSH_OK, ""};
	size_t i, n;
	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < sizeof(ss_vectors) / sizeof(ss_vectors[0]); i++) {
		const char *t = ss_vectors[i].text;
		CHECK_EQ(psrp_ss_encrypt(key, t, strlen(t), work, sizeof(work), out, sizeof(out),
					 &e),
			 WRSH_OK);
		CHECK_STR(out, ss_vectors[i].b64);
		CHECK_EQ(psrp_ss_decrypt(key, ss_vectors[i].b64, strlen(ss_vectors[i].b64), work,
					 sizeof(work), back, sizeof(back), &n, &e),
			 WRSH_OK);
		CHECK_MEM(back, n, t, strlen(t));
	}
	/* another key: the padding does not check out (one line, no crash) */
	key[0] ^= 1;
	CHECK_EQ(psrp_ss_decrypt(key, ss_vectors[0].b64, strlen(ss_vectors[0].b64), work,
				 sizeof(work), back, sizeof(back), &n, &e),
		 WRSH_EPSRP);
	/* not whole blocks, not base64, too long, not UTF-8 */
	CHECK_EQ(psrp_ss_decrypt(key, "AAAA", 4, work, sizeof(work), back, sizeof(back), &n, &e),
		 WRSH_EPSRP);
	CHECK_EQ(psrp_ss_decrypt(key, "!!!!", 4, work, sizeof(work), back, sizeof(back), &n, &e),
		 WRSH_EPSRP);
	CHECK_EQ(psrp_ss_encrypt(key, "0123456789abcdef0123456789", 26, work, sizeof(work), out,
				 sizeof(out), &e),
		 WRSH_ELIMIT);
	CHECK_EQ(psrp_ss_encrypt(key, "\xff", 1, work, sizeof(work), out, sizeof(out), &e),
		 WRSH_EINVAL);
}

static void test_secure_string_leaves_no_plaintext(void)
{
	static const char secret[] = "hunter2-plain";
	static const uint8_t u16[] = {'h', 0, 'u', 0, 'n', 0, 't', 0, 'e', 0, 'r', 0};
	static uint8_t mem[4096];
	struct wrsh_arena *a = wrsh_arena_init(mem, sizeof(mem));
	struct errbuf e = {WRSH_OK, ""};
	uint8_t key[32] = {1}, *work = wrsh_arena_alloc(a, PSRP_SS_WORK(sizeof(secret)));
	char out[PSRP_SS_B64(sizeof(secret))];
	size_t i;
	bool found = false;
	CHECK(work != NULL);
	CHECK_EQ(psrp_ss_encrypt(key, secret, strlen(secret), work, PSRP_SS_WORK(sizeof(secret)),
				 out, sizeof(out), &e),
		 WRSH_OK);
	wrsh_arena_free(a, work);
	for (i = 0; i + sizeof(u16) <= sizeof(mem); i++)
		found = found || !memcmp(mem + i, u16, sizeof(u16));
	CHECK(!found);
}

/* a deterministic generator is enough to make primes for a test */
static int test_rng(void *ctx, unsigned char *out, size_t n)
{
	uint64_t *x = ctx;
	size_t i;
	for (i = 0; i < n; i++) {
		*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
		out[i] = (unsigned char)(*x >> 32);
	}
	return 0;
}

static void test_secure_rsa_key_lives_and_dies_in_the_arena(void)
{
	static uint8_t mem[32768];
	struct wrsh_arena *a = wrsh_arena_init(mem, sizeof(mem));
	struct crypto_rsa *k = NULL;
	uint8_t n[PSRP_RSA_BYTES], le[32], blob[PSRP_PUBKEY_BLOB], got[PSRP_RSA_BYTES];
	struct errbuf e = {WRSH_OK, ""};
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	size_t before = wrsh_arena_in_use(a), i;
	uint32_t pe = 0;
	bool found = false;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(crypto_rsa_generate(a, test_rng, &seed, PSRP_RSA_BITS, &k), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* a figure for the README, not a bar: keygen time varies with the primes */
	printf("secure: RSA-2048 key pair in %ld ms, arena peak %zu bytes\n",
	       (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000),
	       wrsh_arena_peak(a));
	CHECK(k != NULL);
	if (!k)
		return;
	CHECK_EQ(crypto_rsa_len(k), PSRP_RSA_BYTES);
	CHECK_EQ(crypto_rsa_public(a, k, n, sizeof(n), &pe), 0);
	CHECK_EQ(pe, 65537);
	CHECK(n[0] & 0x80);
	/* the blob of our key reads back as our key */
	psrp_pubkey_blob(n, pe, blob);
	CHECK_EQ(psrp_pubkey_parse(blob, sizeof(blob), got, &pe, &e), WRSH_OK);
	CHECK_MEM(got, sizeof(got), n, sizeof(n));
	/* garbage does not decrypt */
	memset(got, 0x5a, sizeof(got));
	got[0] = 0x01;
	{
		uint8_t out[PSRP_RSA_BYTES];
		size_t olen = 0;
		CHECK_EQ(crypto_rsa_decrypt(a, k, test_rng, &seed, got, out, sizeof(out), &olen),
			 -1);
	}
	crypto_rsa_free(a, k);
	CHECK_EQ(wrsh_arena_in_use(a), before);
	/* the bignums were zeroed when freed: the modulus's low limbs (little-
	 * endian in memory) are nowhere in the arena's bytes */
	for (i = 0; i < sizeof(le); i++)
		le[i] = n[PSRP_RSA_BYTES - 1 - i];
	for (i = 0; i + sizeof(le) <= sizeof(mem); i++)
		found = found || !memcmp(mem + i, le, sizeof(le));
	CHECK(!found);
}

static void test_secure_answers_carry_ciphertext_only(void)
{
	char buf[4096];
	struct psrp_ids id;
	struct sbuf b;
	const char *names[2] = {"User", "Pin"}, *values[2] = {"bob", "AAAAsealed"};
	const bool secure[2] = {false, true};
	struct wrsh_ps_answer a = {WRSH_PS_ANSWER_SECURE, NULL, 0, NULL, NULL, 0, "c2VhbGVk", NULL};
	memset(&id, 0x11, sizeof(id));
	sb_init(&b, buf, sizeof(buf));
	psrp_build_host_response(&b, &id, 3, 12, "ReadLineAsSecureString", &a);
	buf[b.len] = 0;
	CHECK(strstr(buf + PSRP_MSG_HEAD, "<SS N=\"mr\">c2VhbGVk</SS>") != NULL);
	/* MS-PSRP 2.2.3.25: a PSCredential with its type names and Props */
	a.kind = WRSH_PS_ANSWER_CREDENTIAL;
	a.text = "bob";
	sb_init(&b, buf, sizeof(buf));
	psrp_build_host_response(&b, &id, 4, 24, "PromptForCredential1", &a);
	buf[b.len] = 0;
	CHECK(strstr(buf + PSRP_MSG_HEAD,
		     "<T>System.Management.Automation.PSCredential</T><T>System.Object</T></TN>"
		     "<ToString>System.Management.Automation.PSCredential</ToString><Props>"
		     "<S N=\"UserName\">bob</S><SS N=\"Password\">c2VhbGVk</SS></Props>") != NULL);
	a.kind = WRSH_PS_ANSWER_FIELDS;
	a.names = names, a.values = values, a.n = 2, a.secure = secure;
	sb_init(&b, buf, sizeof(buf));
	psrp_build_host_response(&b, &id, 5, 23, "Prompt", &a);
	buf[b.len] = 0;
	CHECK(strstr(buf + PSRP_MSG_HEAD, "<S N=\"Key\">User</S><S N=\"Value\">bob</S>") != NULL);
	CHECK(strstr(buf + PSRP_MSG_HEAD, "<S N=\"Key\">Pin</S><SS N=\"Value\">AAAAsealed</SS>") !=
	      NULL);
	/* PUBLIC_KEY: a pool message (nil PID), MS-PSRP 2.2.2.3's shape */
	sb_init(&b, buf, sizeof(buf));
	psrp_build_public_key(&b, &id, "QkxPQg==");
	buf[b.len] = 0;
	CHECK_EQ(buf[4], 0x05);
	CHECK_EQ(buf[6], 0x01);
	CHECK(!memcmp(buf + 24, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16));
	CHECK_STR(buf + PSRP_MSG_HEAD,
		  "<Obj RefId=\"0\"><MS><S N=\"PublicKey\">QkxPQg==</S></MS></Obj>");
}
#endif

void secure_tests(void)
{
#if CONFIG_WRSH_PSRP_SECURE
	RUN(test_secure_public_key_blob_is_the_spec_s);
	RUN(test_secure_session_key_blob_is_the_spec_s);
	RUN(test_secure_string_against_python_cryptography);
	RUN(test_secure_string_leaves_no_plaintext);
	RUN(test_secure_rsa_key_lives_and_dies_in_the_arena);
	RUN(test_secure_answers_carry_ciphertext_only);
#endif
}
