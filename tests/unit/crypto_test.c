/* MD4 and RC4 against RFC 1320 and RFC 6229 (tests/vectors/crypto.txt). */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "harness.h"
#include "vectors.h"

static void crypto_case(const char *desc, char **f, int nf)
{
	uint8_t key[32], want[64], got[4200];
	size_t kn, wn, n = strlen(f[2]), i;
	(void)desc;
	if (nf != 4) {
		CHECK(!"malformed crypto vector");
		return;
	}
	kn = vec_hex(f[1], key, sizeof(key));
	wn = vec_hex(f[3], want, sizeof(want));
	if (!strcmp(f[0], "md4")) {
		struct md4_ctx c;
		md4(f[2], n, got);
		CHECK_MEM(got, 16, want, wn);
		/* and streamed one byte at a time */
		md4_init(&c);
		for (i = 0; i < n; i++)
			md4_update(&c, f[2] + i, 1);
		md4_final(&c, got);
		CHECK_MEM(got, 16, want, wn);
	} else if (!strcmp(f[0], "rc4")) {
		struct rc4_ctx c;
		rc4_init(&c, key, kn);
		memcpy(got, f[2], n);
		rc4_crypt(&c, got, got, n); /* in place, as sealing does */
		CHECK_MEM(got, n, want, wn);
	} else if (!strcmp(f[0], "rc4s")) {
		struct rc4_ctx c;
		size_t off = (size_t)atoi(f[2]);
		memset(got, 0, off + 16);
		rc4_init(&c, key, kn);
		rc4_crypt(&c, got, got, off + 16); /* the key stream itself */
		CHECK_MEM(got + off, 16, want, wn);
	}
}

static void test_crypto_vectors(void)
{
	CHECK_EQ(vec_each("tests/vectors/crypto.txt", crypto_case), 14);
}

/* MD4 over more than one block, split at odd places. */
static void test_crypto_md4_long_split(void)
{
	static uint8_t buf[1000];
	uint8_t a[16], b[16];
	struct md4_ctx c;
	size_t i;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 31);
	md4(buf, sizeof(buf), a);
	md4_init(&c);
	md4_update(&c, buf, 63);
	md4_update(&c, buf + 63, 2);
	md4_update(&c, buf + 65, sizeof(buf) - 65);
	md4_final(&c, b);
	CHECK_MEM(a, 16, b, 16);
}

void crypto_tests(void)
{
	RUN(test_crypto_vectors);
	RUN(test_crypto_md4_long_split);
}
