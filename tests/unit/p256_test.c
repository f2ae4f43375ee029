/*
 * tls/p256.c's ECDH shared secret on P-256 against mbedTLS's own generic
 * multiplication (an implementation this project did not write), over
 * random scalars and points and the scalars at the edges; and the inputs
 * mbedtls_ecp_mul refuses, refused alike. The TLS tests against OpenSSL's
 * server check it once more: every handshake there agrees on a P-256 secret.
 */
#include <string.h>

#include "config.h"
#include "harness.h"
#include "mbedtls/ecdh.h" /* and the configuration: is the ALT ours? */

#if CONFIG_WRSH_TLS && defined(MBEDTLS_ECDH_COMPUTE_SHARED_ALT)
#include "crypto/crypto.h"
#include "mbedtls/platform.h"
#include "port.h"

static unsigned char arena_buf[64 * 1024] __attribute__((aligned(16)));

static uint64_t seed = 0x9e3779b97f4a7c15u;

static int rng(void *ctx, unsigned char *out, size_t n)
{
	(void)ctx;
	while (n--) {
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		*out++ = (unsigned char)(seed >> 32);
	}
	return 0;
}

/* x(d*Q) by mbedTLS's comb multiplication */
static int reference(mbedtls_ecp_group *g, mbedtls_mpi *z, const mbedtls_ecp_point *q,
		     const mbedtls_mpi *d)
{
	mbedtls_ecp_point r;
	int ret;
	mbedtls_ecp_point_init(&r);
	ret = mbedtls_ecp_mul(g, &r, d, q, rng, NULL) || mbedtls_mpi_copy(z, &r.MBEDTLS_PRIVATE(X));
	mbedtls_ecp_point_free(&r);
	return ret;
}

static void setup(mbedtls_ecp_group *g, mbedtls_ecp_group_id id)
{
	wrsh_port_hook_slot()->arena = wrsh_arena_init(arena_buf, sizeof(arena_buf));
	mbedtls_platform_set_calloc_free(crypto_mbedtls_calloc, crypto_mbedtls_free);
	mbedtls_ecp_group_init(g);
	CHECK_EQ(mbedtls_ecp_group_load(g, id), 0);
}

static void test_p256_shared_secret_matches_mbedtls(void)
{
	mbedtls_ecp_group g;
	mbedtls_ecp_point q;
	mbedtls_mpi d, e, z, want;
	int i;
	setup(&g, MBEDTLS_ECP_DP_SECP256R1);
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&d), mbedtls_mpi_init(&e), mbedtls_mpi_init(&z), mbedtls_mpi_init(&want);
	for (i = 0; i < 64; i++) {
		CHECK_EQ(mbedtls_ecp_gen_keypair(&g, &e, &q, rng, NULL), 0); /* Q = eG */
		if (i == 0)
			CHECK_EQ(mbedtls_mpi_lset(&d, 1), 0);
		else if (i == 1) /* n - 1: -Q, the same x */
			CHECK_EQ(mbedtls_mpi_sub_int(&d, &g.N, 1), 0);
		else if (i == 2) /* a scalar of one nibble set, the top one */
			CHECK_EQ(mbedtls_mpi_lset(&d, 0xf) || mbedtls_mpi_shift_l(&d, 252), 0);
		else
			CHECK_EQ(mbedtls_ecp_gen_privkey(&g, &d, rng, NULL), 0);
		CHECK_EQ(mbedtls_ecdh_compute_shared(&g, &z, &q, &d, rng, NULL), 0);
		CHECK_EQ(reference(&g, &want, &q, &d), 0);
		CHECK_EQ(mbedtls_mpi_cmp_mpi(&z, &want), 0);
		if (i < 2)
			CHECK_EQ(mbedtls_mpi_cmp_mpi(&z, &q.MBEDTLS_PRIVATE(X)), 0);
	}
	/* what mbedtls_ecp_mul refuses: d = 0, d = n, Q off the curve */
	CHECK_EQ(mbedtls_mpi_lset(&d, 0), 0);
	CHECK(mbedtls_ecdh_compute_shared(&g, &z, &q, &d, rng, NULL) != 0);
	CHECK_EQ(mbedtls_mpi_copy(&d, &g.N), 0);
	CHECK(mbedtls_ecdh_compute_shared(&g, &z, &q, &d, rng, NULL) != 0);
	CHECK_EQ(mbedtls_mpi_lset(&d, 7), 0);
	CHECK_EQ(mbedtls_mpi_add_int(&q.MBEDTLS_PRIVATE(Y), &q.MBEDTLS_PRIVATE(Y), 1), 0);
	CHECK(mbedtls_ecdh_compute_shared(&g, &z, &q, &d, rng, NULL) != 0);
	mbedtls_mpi_free(&d), mbedtls_mpi_free(&e), mbedtls_mpi_free(&z), mbedtls_mpi_free(&want);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&g);
	CHECK_EQ(wrsh_arena_in_use(wrsh_port_hook_slot()->arena), 0);
}

/* P-384 (and X25519) take mbedTLS's own path */
static void test_p256_other_curves_unchanged(void)
{
	mbedtls_ecp_group g;
	mbedtls_ecp_point q;
	mbedtls_mpi d, e, z, want;
	setup(&g, MBEDTLS_ECP_DP_SECP384R1);
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&d), mbedtls_mpi_init(&e), mbedtls_mpi_init(&z), mbedtls_mpi_init(&want);
	CHECK_EQ(mbedtls_ecp_gen_keypair(&g, &e, &q, rng, NULL), 0);
	CHECK_EQ(mbedtls_ecp_gen_privkey(&g, &d, rng, NULL), 0);
	CHECK_EQ(mbedtls_ecdh_compute_shared(&g, &z, &q, &d, rng, NULL), 0);
	CHECK_EQ(reference(&g, &want, &q, &d), 0);
	CHECK_EQ(mbedtls_mpi_cmp_mpi(&z, &want), 0);
	mbedtls_mpi_free(&d), mbedtls_mpi_free(&e), mbedtls_mpi_free(&z), mbedtls_mpi_free(&want);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&g);
}

void p256_tests(void)
{
	RUN(test_p256_shared_secret_matches_mbedtls);
	RUN(test_p256_other_curves_unchanged);
}
#else
void p256_tests(void)
{
}
#endif
