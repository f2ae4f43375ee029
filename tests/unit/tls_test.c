/*
 * Certificate dates through the real TLS port over the mock: the mock
 * plays a TLS 1.2 server's first flight (ServerHello, Certificate), which
 * the client verifies before it needs anything the mock cannot fake. What
 * is checked is the wall clock: the port's filetime, or none.
 */
#include <string.h>

#include "config.h"
#include "harness.h"
#include "mock.h"
#include "tls.h"
#include "util/base64.h"
#include "wrsh.h"

/* Self-signed P-256, CN and SAN win.example, valid 2025-01-01 00:00:00 to
 * 2035-01-01 00:00:00 UTC; made by python3-cryptography. */
static const char cert_pem[] = "-----BEGIN CERTIFICATE-----\n"
			       "MIIBRTCB7KADAgECAgEMMAoGCCqGSM49BAMCMBYxFDASBgNVBAMMC3dpbi5leGFt\n"
			       "cGxlMB4XDTI1MDEwMTAwMDAwMFoXDTM1MDEwMTAwMDAwMFowFjEUMBIGA1UEAwwL\n"
			       "d2luLmV4YW1wbGUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASerGYZswMvdNgK\n"
			       "DXwnH7fQ69z2m1p/Tp/N9w1vfiLXAmn+YMaGH9yTu348pkhZiXwv+maMwCCZ0ZZp\n"
			       "nEGG5qlGoyswKTAPBgNVHRMBAf8EBTADAQH/MBYGA1UdEQQPMA2CC3dpbi5leGFt\n"
			       "cGxlMAoGCCqGSM49BAMCA0gAMEUCIQCrhNisohe/nF0YAHTyt2j7L3HoWW2l2Rlc\n"
			       "TruIf5tnXwIgVsJkqBY5Hx0/OgY1b0xwFOrZ4UZ0aqDHBT2X7Z/EJdQ=\n"
			       "-----END CERTIFICATE-----\n";

/* FILETIMEs, computed with Python's datetime */
#define FT_2030_06_15_12_34_56 135522308960000000ull
#define FT_2040_02_29_23_59_59 138586463990000000ull
#define FT_2024_12_31_23_59_59 133801631990000000ull

static uint8_t store[8192], sent[8192];
static unsigned char arena_buf[160 * 1024] __attribute__((aligned(16)));

static void put24(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 16), p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)v;
}

/* One record: ServerHello (TLS 1.2, ECDHE-ECDSA-AES128-GCM-SHA256, no
 * extensions) and Certificate (cert_pem). */
static size_t flight(uint8_t *out)
{
	const char *b = strchr(cert_pem, '\n') + 1, *e = strstr(cert_pem, "-----END");
	struct b64_dec d;
	size_t der = 0, hs;
	uint8_t *p = out + 5;
	static const uint8_t hello[] = {2, 0, 0, 38, 3, 3};
	memcpy(p, hello, sizeof(hello)), p += sizeof(hello);
	memset(p, 0x5a, 32), p += 32;	    /* server random */
	*p++ = 0;			    /* no session id */
	*p++ = 0xc0, *p++ = 0x2b, *p++ = 0; /* the suite, no compression */
	b64_dec_init(&d);
	if (b64_dec_push(&d, b, (size_t)(e - b), p + 10, &der) || b64_dec_finish(&d))
		return 0;
	p[0] = 11, put24(p + 1, der + 6), put24(p + 4, der + 3), put24(p + 7, der);
	p += 10 + der;
	hs = (size_t)(p - out) - 5;
	out[0] = 22, out[1] = 3, out[2] = 3, out[3] = (uint8_t)(hs >> 8), out[4] = (uint8_t)hs;
	return hs + 5;
}

/* Handshake against the flight with the given clock (NULL filetime when
 * !clock); the result and the port's message. */
static wrsh_err handshake(bool clock, uint64_t ft, char *msg, size_t cap)
{
	struct mock_port m;
	struct wrsh_port lower, tls;
	struct wrsh_tls_opts o;
	struct wrsh_arena *a = wrsh_arena_init(arena_buf, sizeof(arena_buf));
	uint8_t rec[1024];
	size_t n = flight(rec);
	wrsh_err e;
	mock_init(&m, &lower, store, sizeof(store), sent, sizeof(sent));
	m.filetime = ft;
	if (!clock)
		lower.filetime = NULL;
	CHECK(n > 0 && mock_add_raw(&m, rec, n, true));
	memset(&o, 0, sizeof(o));
	o.server_name = "win.example";
	o.ca_pem = cert_pem;
	o.ca_pem_len = sizeof(cert_pem);
	e = wrsh_tls_wrap(&tls, a, &lower, &o);
	if (!e)
		e = tls.connect(tls.ctx, "win.example", 5986, 5000);
	snprintf(msg, cap, "%s", tls.errmsg ? tls.errmsg(tls.ctx) : "");
	wrsh_tls_release(&tls);
	return e;
}

/* A port without filetime, and one whose clock answers 0: refused, said so. */
static void test_tls_no_clock_fails_closed(void)
{
	char msg[256];
	CHECK_EQ(handshake(false, 0, msg, sizeof(msg)), WRSH_ECERT);
	CHECK(strstr(msg, "tls: no clock to check the certificate's dates") == msg);
	CHECK_EQ(handshake(true, 0, msg, sizeof(msg)), WRSH_ECERT);
	CHECK(strstr(msg, "tls: no clock") == msg);
}

/* Within its dates the certificate passes: the handshake goes on and
 * only then finds the mock's server gone. */
static void test_tls_dates_valid_pass(void)
{
	char msg[256];
	CHECK_EQ(handshake(true, FT_2030_06_15_12_34_56, msg, sizeof(msg)), WRSH_ETLS);
	CHECK_STR(msg, "tls: the server closed the connection in the handshake");
}

/* After not-after (a leap day, to try the calendar) and before
 * not-before: each refused with the date. */
static void test_tls_dates_expired_and_future_refused(void)
{
	char msg[256];
	CHECK_EQ(handshake(true, FT_2040_02_29_23_59_59, msg, sizeof(msg)), WRSH_ECERT);
	CHECK_STR(msg, "tls: certificate expired on 2035-01-01 00:00:00 UTC (not valid after)");
	CHECK_EQ(handshake(true, FT_2024_12_31_23_59_59, msg, sizeof(msg)), WRSH_ECERT);
	CHECK_STR(msg, "tls: certificate is not valid before 2025-01-01 00:00:00 UTC");
}

/* A lower port lacking a callback the TLS port forwards is refused at
 * wrap, before the TLS port (complete itself) could pass wrsh_open. */
static void test_tls_wrap_refuses_an_incomplete_lower_port(void)
{
	struct mock_port m;
	struct wrsh_port lower, tls;
	struct wrsh_tls_opts o;
	struct wrsh_arena *a = wrsh_arena_init(arena_buf, sizeof(arena_buf));
	mock_init(&m, &lower, store, sizeof(store), sent, sizeof(sent));
	memset(&o, 0, sizeof(o));
	o.server_name = "win.example";
	o.insecure = true;
	lower.now_ms = NULL;
	CHECK_EQ(wrsh_tls_wrap(&tls, a, &lower, &o), WRSH_EINVAL);
	mock_init(&m, &lower, store, sizeof(store), sent, sizeof(sent));
	lower.random = NULL;
	CHECK_EQ(wrsh_tls_wrap(&tls, a, &lower, &o), WRSH_EINVAL);
	CHECK_EQ(wrsh_arena_in_use(a), 0);
}

void tls_tests(void)
{
	if (!CONFIG_WRSH_TLS)
		return;
	RUN(test_tls_wrap_refuses_an_incomplete_lower_port);
	RUN(test_tls_no_clock_fails_closed);
	RUN(test_tls_dates_valid_pass);
	RUN(test_tls_dates_expired_and_future_refused);
}
