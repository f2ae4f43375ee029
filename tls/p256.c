/*
 * The ECDH shared secret for mbedTLS (MBEDTLS_ECDH_COMPUTE_SHARED_ALT,
 * tls/wrsh_mbedtls_config.h): on P-256, the curve every TLS handshake of
 * wrsh's offers first, a field of four 64-bit limbs in Montgomery form and
 * Renes, Costello and Batina's complete projective formulas for a = -3
 * ("Complete addition formulas for prime order elliptic curves", 2016,
 * algorithms 4 and 6): no exceptional cases, so a fixed 4-bit window and a
 * table read in full at every step keep time and memory access independent
 * of the secret. mbedTLS's generic bignum spends 10 M instructions here, 70 %
 * of a handshake's; this takes about 0.4 M. Other curves, and targets
 * without a 128-bit product (__int128: armhf, mips, Cortex-M), take mbedTLS's
 * own multiplication, as its compute_shared would.
 *
 * Constants: p, b and the generator are SEC 2's (2.4.2), checked against
 * mbedTLS's group in tests/unit/tls_test.c; R^2 mod p, b*R mod p and R mod p
 * (R = 2^256) were computed from them.
 */
#include <string.h>

#include "mbedtls/ecdh.h"
#include "mbedtls/platform.h"
#include "mbedtls/platform_util.h"

#if defined(MBEDTLS_ECDH_COMPUTE_SHARED_ALT)

#if defined(__SIZEOF_INT128__) && defined(MBEDTLS_ECP_DP_SECP256R1_ENABLED)
#define P256_FAST 1

typedef unsigned __int128 u128;

/* -O2 -funroll-loops (the Makefile) would copy the additions into each of
 * the formulas' 40 steps: 8 KB of code for 3 % of the time */
#define NOINLINE __attribute__((noinline))
typedef uint64_t fe[4]; /* little-endian limbs, Montgomery form a*R mod p */

struct pt {
	fe x, y, z; /* projective: (x/z, y/z); z = 0 is the point at infinity */
};

static const fe P = {0xffffffffffffffffu, 0x00000000ffffffffu, 0, 0xffffffff00000001u};
static const fe R2 = {3, 0xfffffffbffffffffu, 0xfffffffffffffffeu, 0x00000004fffffffdu};
static const fe B = {0xd89cdf6229c4bddfu, 0xacf005cd78843090u, 0xe5a220abf7212ed6u,
		     0xdc30061d04874834u};
static const fe ONE = {1, 0xffffffff00000000u, 0xffffffffffffffffu, 0x00000000fffffffeu};

/* r = a mod p for a < 2p, a's 257th bit in carry */
static void fe_reduce(fe r, const uint64_t a[4], uint64_t carry)
{
	uint64_t t[4], borrow = 0, keep;
	u128 d;
	int i;
	for (i = 0; i < 4; i++) {
		d = (u128)a[i] - P[i] - borrow;
		t[i] = (uint64_t)d;
		borrow = (uint64_t)(d >> 64) & 1;
	}
	keep = 0 - (borrow & ~carry & 1); /* a < p: a itself */
	for (i = 0; i < 4; i++)
		r[i] = (a[i] & keep) | (t[i] & ~keep);
}

static NOINLINE void fe_add(fe r, const fe a, const fe b)
{
	uint64_t t[4], carry = 0;
	u128 s;
	int i;
	for (i = 0; i < 4; i++) {
		s = (u128)a[i] + b[i] + carry;
		t[i] = (uint64_t)s;
		carry = (uint64_t)(s >> 64);
	}
	fe_reduce(r, t, carry);
}

static NOINLINE void fe_sub(fe r, const fe a, const fe b)
{
	uint64_t t[4], borrow = 0, carry = 0, mask;
	u128 d;
	int i;
	for (i = 0; i < 4; i++) {
		d = (u128)a[i] - b[i] - borrow;
		t[i] = (uint64_t)d;
		borrow = (uint64_t)(d >> 64) & 1;
	}
	mask = 0 - borrow; /* below zero: add p back */
	for (i = 0; i < 4; i++) {
		d = (u128)t[i] + (P[i] & mask) + carry;
		r[i] = (uint64_t)d;
		carry = (uint64_t)(d >> 64);
	}
}

/* r = a*b/R mod p (Montgomery, CIOS); -p^-1 mod 2^64 is 1 */
static void fe_mul(fe r, const fe a, const fe b)
{
	uint64_t t[6] = {0}, c, m;
	u128 x;
	int i, j;
	for (i = 0; i < 4; i++) {
		for (c = 0, j = 0; j < 4; j++) {
			x = (u128)a[j] * b[i] + t[j] + c;
			t[j] = (uint64_t)x;
			c = (uint64_t)(x >> 64);
		}
		x = (u128)t[4] + c;
		t[4] = (uint64_t)x;
		t[5] = (uint64_t)(x >> 64);
		m = t[0];
		x = (u128)m * P[0] + t[0];
		for (c = (uint64_t)(x >> 64), j = 1; j < 4; j++) {
			x = (u128)m * P[j] + t[j] + c;
			t[j - 1] = (uint64_t)x;
			c = (uint64_t)(x >> 64);
		}
		x = (u128)t[4] + c;
		t[3] = (uint64_t)x;
		t[4] = t[5] + (uint64_t)(x >> 64);
	}
	fe_reduce(r, t, t[4]);
}

/* r = a^(p-2) = 1/a (Fermat; the exponent is public) */
static void fe_inv(fe r, const fe a)
{
	static const fe E = {0xfffffffffffffffdu, 0x00000000ffffffffu, 0, 0xffffffff00000001u};
	fe t;
	int i;
	memcpy(t, ONE, sizeof(t));
	for (i = 255; i >= 0; i--) {
		fe_mul(t, t, t);
		if (E[i / 64] >> (i % 64) & 1)
			fe_mul(t, t, a);
	}
	memcpy(r, t, sizeof(t));
}

static void fe_from_be(fe r, const unsigned char b[32])
{
	int i, j;
	for (i = 0; i < 4; i++)
		for (r[i] = 0, j = 0; j < 8; j++)
			r[i] |= (uint64_t)b[31 - 8 * i - j] << (8 * j);
	fe_mul(r, r, R2);
}

static void fe_to_be(unsigned char b[32], const fe a)
{
	static const fe one = {1, 0, 0, 0};
	fe t;
	int i, j;
	fe_mul(t, a, one);
	for (i = 0; i < 4; i++)
		for (j = 0; j < 8; j++)
			b[31 - 8 * i - j] = (unsigned char)(t[i] >> (8 * j));
}

/* algorithm 4: r = a + b, for any a and b (r may be either) */
static void pt_add(struct pt *r, const struct pt *a, const struct pt *b)
{
	fe t0, t1, t2, t3, t4, x3, y3, z3;
	fe_mul(t0, a->x, b->x);
	fe_mul(t1, a->y, b->y);
	fe_mul(t2, a->z, b->z);
	fe_add(t3, a->x, a->y);
	fe_add(t4, b->x, b->y);
	fe_mul(t3, t3, t4);
	fe_add(t4, t0, t1);
	fe_sub(t3, t3, t4);
	fe_add(t4, a->y, a->z);
	fe_add(x3, b->y, b->z);
	fe_mul(t4, t4, x3);
	fe_add(x3, t1, t2);
	fe_sub(t4, t4, x3);
	fe_add(x3, a->x, a->z);
	fe_add(y3, b->x, b->z);
	fe_mul(x3, x3, y3);
	fe_add(y3, t0, t2);
	fe_sub(y3, x3, y3);
	fe_mul(z3, B, t2);
	fe_sub(x3, y3, z3);
	fe_add(z3, x3, x3);
	fe_add(x3, x3, z3);
	fe_sub(z3, t1, x3);
	fe_add(x3, t1, x3);
	fe_mul(y3, B, y3);
	fe_add(t1, t2, t2);
	fe_add(t2, t1, t2);
	fe_sub(y3, y3, t2);
	fe_sub(y3, y3, t0);
	fe_add(t1, y3, y3);
	fe_add(y3, t1, y3);
	fe_add(t1, t0, t0);
	fe_add(t0, t1, t0);
	fe_sub(t0, t0, t2);
	fe_mul(t1, t4, y3);
	fe_mul(t2, t0, y3);
	fe_mul(y3, x3, z3);
	fe_add(y3, y3, t2);
	fe_mul(x3, t3, x3);
	fe_sub(x3, x3, t1);
	fe_mul(z3, t4, z3);
	fe_mul(t1, t3, t0);
	fe_add(z3, z3, t1);
	memcpy(r->x, x3, sizeof(fe));
	memcpy(r->y, y3, sizeof(fe));
	memcpy(r->z, z3, sizeof(fe));
}

/* algorithm 6: r = 2a */
static void pt_dbl(struct pt *r, const struct pt *a)
{
	fe t0, t1, t2, t3, x3, y3, z3;
	fe_mul(t0, a->x, a->x);
	fe_mul(t1, a->y, a->y);
	fe_mul(t2, a->z, a->z);
	fe_mul(t3, a->x, a->y);
	fe_add(t3, t3, t3);
	fe_mul(z3, a->x, a->z);
	fe_add(z3, z3, z3);
	fe_mul(y3, B, t2);
	fe_sub(y3, y3, z3);
	fe_add(x3, y3, y3);
	fe_add(y3, x3, y3);
	fe_sub(x3, t1, y3);
	fe_add(y3, t1, y3);
	fe_mul(y3, x3, y3);
	fe_mul(x3, x3, t3);
	fe_add(t3, t2, t2);
	fe_add(t2, t2, t3);
	fe_mul(z3, B, z3);
	fe_sub(z3, z3, t2);
	fe_sub(z3, z3, t0);
	fe_add(t3, z3, z3);
	fe_add(z3, z3, t3);
	fe_add(t3, t0, t0);
	fe_add(t0, t3, t0);
	fe_sub(t0, t0, t2);
	fe_mul(t0, t0, z3);
	fe_add(y3, y3, t0);
	fe_mul(t0, a->y, a->z);
	fe_add(t0, t0, t0);
	fe_mul(z3, t0, z3);
	fe_sub(x3, x3, z3);
	fe_mul(z3, t0, t1);
	fe_add(z3, z3, z3);
	fe_add(z3, z3, z3);
	memcpy(r->x, x3, sizeof(fe));
	memcpy(r->y, y3, sizeof(fe));
	memcpy(r->z, z3, sizeof(fe));
}

/* r = t[idx], every entry read */
static void pt_select(struct pt *r, const struct pt t[16], unsigned idx)
{
	uint64_t *o = (uint64_t *)(void *)r, mask;
	const uint64_t *s;
	unsigned i, k;
	memset(r, 0, sizeof(*r));
	for (i = 0; i < 16; i++) {
		mask = 0 - (((uint64_t)(i ^ idx) - 1) >> 63);
		s = (const uint64_t *)(const void *)&t[i];
		for (k = 0; k < 12; k++)
			o[k] |= s[k] & mask;
	}
}

/* x of k*Q, big-endian; -1 for the point at infinity. t: 16 points of
 * scratch (the arena's, so the frame stays within 1 KB). */
static int p256_mul_x(unsigned char x[32], const unsigned char k[32], const unsigned char qx[32],
		      const unsigned char qy[32], struct pt t[16])
{
	struct pt r, s;
	fe zi;
	int i, j, inf;
	memset(&t[0], 0, sizeof(t[0]));
	memcpy(t[0].y, ONE, sizeof(fe));
	fe_from_be(t[1].x, qx);
	fe_from_be(t[1].y, qy);
	memcpy(t[1].z, ONE, sizeof(fe));
	for (i = 2; i < 16; i++) {
		if (i % 2)
			pt_add(&t[i], &t[i - 1], &t[1]);
		else
			pt_dbl(&t[i], &t[i / 2]);
	}
	r = t[0];
	for (i = 0; i < 64; i++) {
		for (j = 0; j < 4; j++)
			pt_dbl(&r, &r);
		pt_select(&s, t, (unsigned)(k[i / 2] >> (i % 2 ? 0 : 4)) & 15);
		pt_add(&r, &r, &s);
	}
	for (inf = 1, i = 0; i < 4; i++)
		inf &= r.z[i] == 0;
	fe_inv(zi, r.z);
	fe_mul(r.x, r.x, zi);
	fe_to_be(x, r.x);
	mbedtls_platform_zeroize(&r, sizeof(r));
	mbedtls_platform_zeroize(&s, sizeof(s));
	return inf ? -1 : 0;
}

static int p256_shared(mbedtls_ecp_group *grp, mbedtls_mpi *z, const mbedtls_ecp_point *Q,
		       const mbedtls_mpi *d)
{
	unsigned char k[32], qx[32], qy[32], x[32];
	struct pt *t;
	int ret;
	/* what mbedtls_ecp_mul checks: 1 <= d < n, Q on the curve, affine */
	if ((ret = mbedtls_ecp_check_privkey(grp, d)) || (ret = mbedtls_ecp_check_pubkey(grp, Q)))
		return ret;
	if ((ret = mbedtls_mpi_write_binary(d, k, 32)) ||
	    (ret = mbedtls_mpi_write_binary(&Q->MBEDTLS_PRIVATE(X), qx, 32)) ||
	    (ret = mbedtls_mpi_write_binary(&Q->MBEDTLS_PRIVATE(Y), qy, 32)))
		goto out;
	t = mbedtls_calloc(16, sizeof(*t));
	if (!t) {
		ret = MBEDTLS_ERR_ECP_ALLOC_FAILED;
		goto out;
	}
	ret = p256_mul_x(x, k, qx, qy, t) ? MBEDTLS_ERR_ECP_BAD_INPUT_DATA
					  : mbedtls_mpi_read_binary(z, x, 32);
	mbedtls_platform_zeroize(t, 16 * sizeof(*t));
	mbedtls_free(t);
out:
	mbedtls_platform_zeroize(k, sizeof(k));
	mbedtls_platform_zeroize(x, sizeof(x));
	return ret;
}
#endif

/* mbedTLS's own way, for every other curve (SEC1 3.3.1: z = x(d*Q)) */
static int generic_shared(mbedtls_ecp_group *grp, mbedtls_mpi *z, const mbedtls_ecp_point *Q,
			  const mbedtls_mpi *d, int (*f_rng)(void *, unsigned char *, size_t),
			  void *p_rng)
{
	mbedtls_ecp_point dq;
	int ret;
	mbedtls_ecp_point_init(&dq);
	ret = mbedtls_ecp_mul(grp, &dq, d, Q, f_rng, p_rng);
	if (!ret && mbedtls_ecp_is_zero(&dq))
		ret = MBEDTLS_ERR_ECP_BAD_INPUT_DATA;
	if (!ret)
		ret = mbedtls_mpi_copy(z, &dq.MBEDTLS_PRIVATE(X));
	mbedtls_ecp_point_free(&dq);
	return ret;
}

int mbedtls_ecdh_compute_shared(mbedtls_ecp_group *grp, mbedtls_mpi *z, const mbedtls_ecp_point *Q,
				const mbedtls_mpi *d, int (*f_rng)(void *, unsigned char *, size_t),
				void *p_rng)
{
#if defined(P256_FAST)
	if (grp->id == MBEDTLS_ECP_DP_SECP256R1)
		return p256_shared(grp, z, Q, d);
#endif
	return generic_shared(grp, z, Q, d, f_rng, p_rng);
}

#endif
