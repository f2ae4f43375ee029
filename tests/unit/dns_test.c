/* port/dns.c against messages built by dnspython 2.3.0 (Debian's
 * python3-dnspython): its make_query('_kerberos._tcp.EXAMPLE.COM', 'SRV',
 * use_edns=0, payload=1232) with id 0x1234, and make_response() to it with
 * four SRV records (its name compression) and with NXDOMAIN; then hostile
 * variants of those bytes. */
#include <string.h>

#include "dns.h"
#include "harness.h"

static const char name[] = "_kerberos._tcp.EXAMPLE.COM";

#define QUESTION                    \
	"\x09_kerberos\x04_tcp\x07" \
	"EXAMPLE\x03"               \
	"COM\x00\x00\x21\x00\x01"

static const uint8_t query[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01" QUESTION
			       "\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00";

/* SRV 10 50 88 kdc2, 0 10 88 kdc1, 10 100 8888 kdc3, 0 0 0 "." */
static const uint8_t answer[] =
	"\x12\x34\x81\x00\x00\x01\x00\x04\x00\x00\x00\x01" QUESTION
	"\xc0\x0c\x00\x21\x00\x01\x00\x00\x02\x58\x00\x0d\x00\x00\x00\x0a\x00\x58\x04kdc1\xc0\x1b"
	"\xc0\x0c\x00\x21\x00\x01\x00\x00\x02\x58\x00\x0d\x00\x0a\x00\x32\x00\x58\x04kdc2\xc0\x1b"
	"\xc0\x0c\x00\x21\x00\x01\x00\x00\x02\x58\x00\x07\x00\x00\x00\x00\x00\x00\x00"
	"\xc0\x0c\x00\x21\x00\x01\x00\x00\x02\x58\x00\x0d\x00\x0a\x00\x64\x22\xb8\x04kdc3\xc0\x1b"
	"\x00\x00\x29\x20\x00\x00\x00\x00\x00\x00\x00";

static const uint8_t nxdomain[] = "\x12\x34\x81\x03\x00\x01\x00\x00\x00\x00\x00\x01" QUESTION
				  "\x00\x00\x29\x20\x00\x00\x00\x00\x00\x00\x00";

static void test_dns_query_is_dnspythons(void)
{
	uint8_t q[DNS_QUERY_MAX];
	size_t n = dns_srv_query(q, sizeof(q), 0x1234, name);
	CHECK_MEM(q, n, query, sizeof(query) - 1);
	CHECK_EQ(dns_srv_query(q, sizeof(q), 0x1234, "_kerberos._tcp.EXAMPLE.COM."), n);
	CHECK_EQ(dns_srv_query(q, 20, 1, name), 0);
	CHECK_EQ(dns_srv_query(q, sizeof(q), 1, ""), 0);
	CHECK_EQ(dns_srv_query(q, sizeof(q), 1, "a..b"), 0);
	CHECK_EQ(dns_srv_query(q, sizeof(q), 1, "a.."), 0);
	CHECK_EQ(dns_srv_query(q, sizeof(q), 1, ".a"), 0);
	CHECK_EQ(
		dns_srv_query(q, sizeof(q), 1,
			      "a234567890123456789012345678901234567890123456789012345678901234.b"),
		0); /* a label of 64 */
}

static void test_dns_answer_sorted_and_decompressed(void)
{
	struct wrsh_srv s[4];
	struct dns_answer a;
	CHECK_EQ(dns_srv_answer(answer, sizeof(answer) - 1, 0x1234, name, s, 4, &a), WRSH_OK);
	CHECK_EQ(a.rcode, 0);
	CHECK_EQ(a.truncated, 0);
	CHECK_EQ(a.n, 3); /* "." left out */
	CHECK_STR(s[0].target, "kdc1.EXAMPLE.COM");
	CHECK_EQ(s[0].port, 88);
	CHECK_STR(s[1].target, "kdc3.EXAMPLE.COM"); /* priority 10, weight 100 before 50 */
	CHECK_EQ(s[1].port, 8888);
	CHECK_STR(s[2].target, "kdc2.EXAMPLE.COM");
	/* a cap of 2 keeps the two most preferred */
	CHECK_EQ(dns_srv_answer(answer, sizeof(answer) - 1, 0x1234, name, s, 2, &a), WRSH_OK);
	CHECK_EQ(a.n, 2);
	CHECK_STR(s[0].target, "kdc1.EXAMPLE.COM");
	CHECK_STR(s[1].target, "kdc3.EXAMPLE.COM");
	CHECK_EQ(dns_srv_answer(nxdomain, sizeof(nxdomain) - 1, 0x1234, name, s, 4, &a), WRSH_OK);
	CHECK_EQ(a.rcode, 3);
	CHECK_EQ(a.n, 0);
}

static void test_dns_answer_hostile(void)
{
	uint8_t m[sizeof(answer)];
	struct wrsh_srv s[4];
	struct dns_answer a;
	size_t n = sizeof(answer) - 1, i;
	CHECK_EQ(dns_srv_answer(answer, n, 0x1235, name, s, 4, &a), WRSH_EPROTO); /* its ID */
	CHECK_EQ(dns_srv_answer(answer, n, 0x1234, "_kerberos._udp.EXAMPLE.COM", s, 4, &a),
		 WRSH_EPROTO);
	for (i = 0; i < n - 11; i++) /* a cut before the OPT: an error or fewer records */
		if (dns_srv_answer(answer, i, 0x1234, name, s, 4, &a) == WRSH_OK)
			CHECK(a.n < 3);
	memcpy(m, answer, n);
	m[44] = 0xc0, m[45] = 44; /* the first record's owner points at itself */
	CHECK_EQ(dns_srv_answer(m, n, 0x1234, name, s, 4, &a), WRSH_EPROTO);
	memcpy(m, answer, n);
	m[54] = 0xff; /* its RDLENGTH past the end */
	CHECK_EQ(dns_srv_answer(m, n, 0x1234, name, s, 4, &a), WRSH_EPROTO);
	memcpy(m, answer, n);
	m[62] = 0x05; /* its target's label runs past its RDATA */
	CHECK_EQ(dns_srv_answer(m, n, 0x1234, name, s, 4, &a), WRSH_EPROTO);
	memcpy(m, answer, n);
	m[2] = 0x01; /* a query, not a response */
	CHECK_EQ(dns_srv_answer(m, n, 0x1234, name, s, 4, &a), WRSH_EPROTO);
	memcpy(m, answer, n);
	m[2] |= 0x02; /* truncated: ask over TCP */
	CHECK_EQ(dns_srv_answer(m, n, 0x1234, name, s, 4, &a), WRSH_OK);
	CHECK_EQ(a.truncated, 1);
	CHECK_EQ(a.n, 0);
}

void dns_tests(void)
{
	RUN(test_dns_query_is_dnspythons);
	RUN(test_dns_answer_sorted_and_decompressed);
	RUN(test_dns_answer_hostile);
}
