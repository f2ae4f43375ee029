/* base64, UTF-8/UTF-16LE, GUIDs, hex and the bounded string writer, against
 * the RFC vectors in tests/vectors/. */
#include <string.h>

#include "harness.h"
#include "util/base64.h"
#include "util/guid.h"
#include "util/hex.h"
#include "util/str.h"
#include "util/utf.h"
#include "vectors.h"

/* Decode s split into pieces of `step` characters through one decoder. */
static wrsh_err b64_decode_split(const char *s, size_t n, size_t step, uint8_t *out, size_t *len)
{
	struct b64_dec d;
	size_t off = 0, got;
	wrsh_err e;
	b64_dec_init(&d);
	*len = 0;
	while (off < n) {
		size_t k = n - off < step ? n - off : step;
		if ((e = b64_dec_push(&d, s + off, k, out + *len, &got)))
			return e;
		*len += got;
		off += k;
	}
	return b64_dec_finish(&d);
}

static void b64_case(const char *desc, char **f, int nf)
{
	uint8_t want[256], got[512];
	char enc[512];
	size_t wn, gn, step, bn;
	wrsh_err expect;
	(void)desc;
	if (nf != 4) {
		CHECK(!"malformed base64 vector");
		return;
	}
	wn = vec_hex(f[1], want, sizeof(want));
	expect = vec_err(f[3]);
	bn = vec_unescape(f[2]);
	CHECK(expect != WRSH_ERR_COUNT);
	for (step = 1; step <= bn + 1; step++) {
		wrsh_err e = b64_decode_split(f[2], bn, step, got, &gn);
		CHECK_EQ(e, expect);
		if (!e && expect == WRSH_OK)
			CHECK_MEM(got, gn, want, wn);
	}
	if (strcmp(f[0], "b64") == 0) {
		/* encoding, whole and streamed byte by byte */
		struct b64_enc e;
		size_t i, k = 0;
		CHECK_MEM(enc, b64_encode(want, wn, enc), f[2], bn);
		b64_enc_init(&e);
		for (i = 0; i < wn; i++)
			k += b64_enc_push(&e, want + i, 1, enc + k);
		k += b64_enc_finish(&e, enc + k);
		CHECK_MEM(enc, k, f[2], bn);
	}
}

/* RFC 4648 vectors, each decoded in every split. */
static void test_util_base64_vectors(void)
{
	CHECK(vec_each("tests/vectors/base64.txt", b64_case) >= 14);
}

/* A long random round trip through unequal pushes. */
static void test_util_base64_long_roundtrip(void)
{
	static uint8_t in[3000], out[3000];
	static char enc[4100];
	struct b64_enc e;
	size_t i, k = 0, n, off = 0, got;
	struct b64_dec d;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + (i >> 5));
	b64_enc_init(&e);
	for (i = 0; i < sizeof(in); i += 7)
		k += b64_enc_push(&e, in + i, sizeof(in) - i < 7 ? sizeof(in) - i : 7, enc + k);
	k += b64_enc_finish(&e, enc + k);
	CHECK_EQ(k, B64_ENC_LEN(sizeof(in)));
	b64_dec_init(&d);
	for (i = 0, n = 0; i < k; i += 13) {
		size_t step = k - i < 13 ? k - i : 13;
		CHECK_EQ(b64_dec_push(&d, enc + i, step, out + off, &got), WRSH_OK);
		off += got;
		n++;
	}
	CHECK_EQ(b64_dec_finish(&d), WRSH_OK);
	CHECK_MEM(out, off, in, sizeof(in));
}

static void utf_case(const char *desc, char **f, int nf)
{
	uint8_t a[64], b[64], c[64];
	size_t an, bn, cn;
	wrsh_err expect = vec_err(f[3]);
	(void)desc;
	if (nf != 4) {
		CHECK(!"malformed utf16 vector");
		return;
	}
	an = vec_hex(f[1], a, sizeof(a));
	bn = vec_hex(f[2], b, sizeof(b));
	if (strcmp(f[0], "u16") == 0) {
		CHECK_EQ(utf8_to_utf16le(a, an, c, sizeof(c), &cn), expect);
		if (expect == WRSH_OK) {
			CHECK_MEM(c, cn, b, bn);
			/* and back */
			CHECK_EQ(utf16le_to_utf8(b, bn, (char *)c, sizeof(c), &cn), WRSH_OK);
			CHECK_MEM(c, cn, a, an);
		}
		CHECK_EQ(utf8_validate(a, an), expect);
	} else {
		CHECK_EQ(utf16le_to_utf8(a, an == (size_t)-1 ? 0 : an, (char *)c, sizeof(c), &cn),
			 expect);
	}
}

static void test_util_utf16_vectors(void)
{
	CHECK(vec_each("tests/vectors/utf16.txt", utf_case) >= 14);
}

/* Measuring with a NULL buffer and too small buffers report the need. */
static void test_util_utf16_capacity(void)
{
	uint8_t out[3];
	size_t n;
	CHECK_EQ(utf8_to_utf16le("abc", 3, NULL, 0, &n), WRSH_ELIMIT);
	CHECK_EQ(n, 6);
	CHECK_EQ(utf8_to_utf16le("abc", 3, out, sizeof(out), &n), WRSH_ELIMIT);
	CHECK_EQ(utf8_to_utf16le("", 0, NULL, 0, &n), WRSH_OK);
}

/* GUID text round trip, prefixes, braces and rejects. */
static void test_util_guid(void)
{
	uint8_t g[16], h[16];
	char s[GUID_STR_LEN + 1];
	const char *txt = "4283cbdc-3706-415b-88bd-b385f3e51a53";
	CHECK_EQ(guid_parse(txt, strlen(txt), g), WRSH_OK);
	guid_format(g, s);
	CHECK_STR(s, "4283CBDC-3706-415B-88BD-B385F3E51A53");
	CHECK_EQ(guid_parse("uuid:4283CBDC-3706-415B-88BD-B385F3E51A53", 41, h), WRSH_OK);
	CHECK_MEM(g, 16, h, 16);
	CHECK_EQ(guid_parse("{4283CBDC-3706-415B-88BD-B385F3E51A53}", 38, h), WRSH_OK);
	CHECK_EQ(guid_parse("4283CBDC-3706-415B-88BD-B385F3E51A5", 35, h), WRSH_EPROTO);
	CHECK_EQ(guid_parse("4283CBDC+3706-415B-88BD-B385F3E51A53", 36, h), WRSH_EPROTO);
	CHECK_EQ(guid_parse("4283CBDC-3706-415B-88BD-B385F3E51A5G", 36, h), WRSH_EPROTO);
	memset(g, 0xff, 16);
	guid_v4(g);
	CHECK_EQ(g[6] >> 4, 4);
	CHECK_EQ(g[8] >> 6, 2);
}

static void test_util_hex(void)
{
	uint8_t b[4];
	char s[8];
	CHECK_EQ(hex_decode("00fFa5", 6, b, 3), WRSH_OK);
	CHECK_EQ(b[1], 0xff);
	hex_encode(b, 3, s);
	CHECK_MEM(s, 6, "00ffa5", 6);
	CHECK_EQ(hex_decode("0g", 2, b, 1), WRSH_EPROTO);
	CHECK_EQ(hex_decode("000", 3, b, 1), WRSH_EPROTO);
}

/* The writer stops at its capacity and says so; escaping is XML-safe. */
static void test_util_sbuf_bounds_and_escape(void)
{
	char buf[40];
	struct sbuf b;
	sb_init(&b, buf, sizeof(buf));
	sb_puts_xml(&b, "a<b>&\"'\r");
	CHECK(!b.over);
	CHECK_STR(sb_cstr(&b), "a&lt;b&gt;&amp;&quot;&apos;&#13;");
	sb_init(&b, buf, 8);
	sb_puts(&b, "0123456789");
	CHECK(b.over);
	CHECK_EQ(b.len, 0);
	sb_init(&b, buf, 16);
	sb_put_u64(&b, 0);
	sb_putc(&b, ' ');
	sb_put_u64(&b, 18446744073709551615ull);
	CHECK(b.over); /* 22 chars do not fit 16 */
	sb_init(&b, buf, sizeof(buf));
	sb_put_u64(&b, 4294967295u);
	CHECK_STR(sb_cstr(&b), "4294967295");
}

static void test_util_str_parse(void)
{
	uint64_t v;
	const char *s = "  42\r\n";
	size_t n = strlen(s);
	CHECK_EQ(str_to_u64(s, n, 100, &v), WRSH_OK);
	CHECK_EQ(v, 42);
	CHECK_EQ(str_to_u64("101", 3, 100, &v), WRSH_EPROTO);
	CHECK_EQ(str_to_u64("18446744073709551616", 20, UINT64_MAX, &v), WRSH_EPROTO);
	CHECK_EQ(str_to_u64("18446744073709551615", 20, UINT64_MAX, &v), WRSH_OK);
	CHECK_EQ(str_to_u64("", 0, 10, &v), WRSH_EPROTO);
	CHECK_EQ(str_to_u64("1 2", 3, 100, &v), WRSH_EPROTO);
	CHECK_EQ(str_to_u64("5", 1, 3, &v), WRSH_EPROTO);
	CHECK(str_ieq("Content-LENGTH", 14, "content-length"));
	CHECK(!str_ieq("Content", 7, "content-length"));
	str_trim(&s, &n);
	CHECK_MEM(s, n, "42", 2);
}

void util_tests(void)
{
	RUN(test_util_base64_vectors);
	RUN(test_util_base64_long_roundtrip);
	RUN(test_util_utf16_vectors);
	RUN(test_util_utf16_capacity);
	RUN(test_util_guid);
	RUN(test_util_hex);
	RUN(test_util_sbuf_bounds_and_escape);
	RUN(test_util_str_parse);
}
