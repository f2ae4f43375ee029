/* HTTP response parser: framing, caps and malformed input, each case fed
 * whole, byte by byte, and split at every offset (expat's runtests idea). */
#include <string.h>

#include "harness.h"
#include "wsman/http.h"

struct collect {
	int status;
	char body[512];
	size_t body_n;
	unsigned headers;
	bool head_done;
};

static wrsh_err c_status(void *ctx, int status, const char *r, size_t n)
{
	struct collect *c = ctx;
	(void)r, (void)n;
	c->status = status;
	return WRSH_OK;
}

static wrsh_err c_header(void *ctx, const char *name, size_t nl, const char *v, size_t vl)
{
	struct collect *c = ctx;
	(void)name, (void)nl, (void)v, (void)vl;
	c->headers++;
	return WRSH_OK;
}

static wrsh_err c_head_done(void *ctx)
{
	((struct collect *)ctx)->head_done = true;
	return WRSH_OK;
}

static wrsh_err c_body(void *ctx, const uint8_t *p, size_t n)
{
	struct collect *c = ctx;
	if (n > sizeof(c->body) - c->body_n)
		return WRSH_ELIMIT;
	memcpy(c->body + c->body_n, p, n);
	c->body_n += n;
	return WRSH_OK;
}

static char line[CONFIG_WRSH_HTTP_MAX_LINE];

/* Push msg in pieces: the split offset first, then `step` bytes at a time.
 * eof: the stream ends after msg. Returns the parse result. */
static wrsh_err run(const char *msg, size_t n, size_t split, size_t step, bool eof,
		    struct collect *c, struct http_resp *r)
{
	struct http_sink sink = {c_status, c_header, c_head_done, c_body, NULL};
	struct errbuf e = {WRSH_OK, ""};
	size_t off = 0, used;
	wrsh_err err;
	memset(c, 0, sizeof(*c));
	sink.ctx = c;
	http_resp_init(r, line, &sink, &e);
	while (off < n) {
		size_t k = off < split ? split - off : step;
		if (k > n - off)
			k = n - off;
		err = http_resp_push(r, (const uint8_t *)msg + off, k, &used);
		if (err)
			return err;
		if (used < k)
			return WRSH_EPROTO; /* bytes past the end */
		off += k;
	}
	if (eof)
		return http_resp_eof(r);
	return r->st == HTTP_DONE ? WRSH_OK : WRSH_ETIMEDOUT;
}

/* Every split and step gives the same status and body. */
static void all_splits(const char *msg, bool eof, wrsh_err want, int status, const char *body)
{
	size_t n = strlen(msg), split, step;
	for (step = 1; step <= 7; step += 3)
		for (split = 0; split <= n; split++) {
			struct collect c;
			struct http_resp r;
			wrsh_err e = run(msg, n, split, step, eof, &c, &r);
			CHECK_EQ(e, want);
			if (e != want) {
				fprintf(stderr, "  split %zu step %zu\n", split, step);
				return;
			}
			if (!want) {
				CHECK_EQ(c.status, status);
				CHECK_MEM(c.body, c.body_n, body, strlen(body));
			}
		}
}

static void test_http_content_length_body(void)
{
	all_splits("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: x\r\n\r\nhello", false,
		   WRSH_OK, 200, "hello");
}

static void test_http_chunked_body_with_extensions_and_trailer(void)
{
	all_splits("HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n"
		   "3;ext=1\r\nhel\r\n2\r\nlo\r\n0\r\nX-Trailer: 1\r\n\r\n",
		   false, WRSH_OK, 500, "hello");
}

static void test_http_close_delimited_body(void)
{
	all_splits("HTTP/1.0 200 OK\r\n\r\nuntil close", true, WRSH_OK, 200, "until close");
}

static void test_http_interim_100_is_skipped(void)
{
	all_splits("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n"
		   "WWW-Authenticate: Negotiate\r\n\r\n",
		   false, WRSH_OK, 401, "");
}

/* LF-only line ends are tolerated (some embedded servers). */
static void test_http_bare_lf(void)
{
	all_splits("HTTP/1.1 200 OK\nContent-Length: 2\n\nok", false, WRSH_OK, 200, "ok");
}

static void test_http_connection_close_flag(void)
{
	struct collect c;
	struct http_resp r;
	const char *m = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
	CHECK_EQ(run(m, strlen(m), 0, 100, false, &c, &r), WRSH_OK);
	CHECK(r.close);
	m = "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n";
	CHECK_EQ(run(m, strlen(m), 0, 100, false, &c, &r), WRSH_OK);
	CHECK(!r.close);
}

static void test_http_malformed_status_lines(void)
{
	all_splits("HTTP/2 200 OK\r\n\r\n", false, WRSH_EHTTP, 0, "");
	all_splits("HTTP/1.1 20 OK\r\n\r\n", false, WRSH_EHTTP, 0, "");
	all_splits("HTTP/1.1 2000 OK\r\n\r\n", false, WRSH_EHTTP, 0, "");
	all_splits("SSH-2.0-OpenSSH\r\n", false, WRSH_EHTTP, 0, "");
}

static void test_http_malformed_headers(void)
{
	all_splits("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", false, WRSH_EHTTP, 0, "");
	all_splits("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", false, WRSH_EHTTP, 0, "");
	all_splits("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false, WRSH_EHTTP, 0, "");
	all_splits("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", false,
		   WRSH_EHTTP, 0, "");
	all_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false, WRSH_EHTTP, 0, "");
}

static void test_http_bad_chunks(void)
{
	all_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false, WRSH_EHTTP,
		   0, "");
	all_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", false,
		   WRSH_EHTTP, 0, "");
	all_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n",
		   false, WRSH_ELIMIT, 0, "");
	all_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;x\r\n", false, WRSH_EHTTP,
		   0, "");
}

/* Caps: one line longer than the line buffer, too many headers. */
static void test_http_caps(void)
{
	static char big[CONFIG_WRSH_HTTP_MAX_LINE + 64];
	char many[CONFIG_WRSH_HTTP_MAX_HEADERS * 8 + 64];
	struct collect c;
	struct http_resp r;
	size_t i, n;
	strcpy(big, "HTTP/1.1 200 OK\r\nX: ");
	n = strlen(big);
	memset(big + n, 'a', CONFIG_WRSH_HTTP_MAX_LINE);
	strcpy(big + n + CONFIG_WRSH_HTTP_MAX_LINE, "\r\n\r\n");
	CHECK_EQ(run(big, strlen(big), 0, 1000, false, &c, &r), WRSH_ELIMIT);
	strcpy(many, "HTTP/1.1 200 OK\r\n");
	for (i = 0; i <= CONFIG_WRSH_HTTP_MAX_HEADERS; i++)
		strcat(many, "X: 1\r\n");
	strcat(many, "\r\n");
	CHECK_EQ(run(many, strlen(many), 0, 1000, false, &c, &r), WRSH_ELIMIT);
}

/* EOF in the middle: a clear ECLOSED at every cut point. */
static void test_http_eof_mid_response_is_closed(void)
{
	const char *m = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	size_t cut;
	for (cut = 0; cut < strlen(m); cut++) {
		struct collect c;
		struct http_resp r;
		CHECK_EQ(run(m, cut, 0, 3, true, &c, &r), WRSH_ECLOSED);
	}
}

/* A sink error stops the parse with that error. */
static void test_http_sink_error_propagates(void)
{
	static char m[1024];
	struct collect c;
	struct http_resp r;
	size_t n;
	strcpy(m, "HTTP/1.1 200 OK\r\nContent-Length: 600\r\n\r\n");
	n = strlen(m);
	memset(m + n, 'x', 600);
	CHECK_EQ(run(m, n + 600, 0, 1000, false, &c, &r), WRSH_ELIMIT);
}

static void test_http_request_head(void)
{
	char buf[256];
	struct sbuf b;
	struct http_req q = {
		"POST", "/wsman",     "::1", 5985, "application/soap+xml;charset=UTF-8",
		12,	"X-A: 1\r\n", NULL};
	sb_init(&b, buf, sizeof(buf));
	http_write_head(&b, &q);
	CHECK(!b.over);
	CHECK(strstr(sb_cstr(&b), "POST /wsman HTTP/1.1\r\nHost: [::1]:5985\r\n") == buf);
	CHECK(strstr(buf, "Content-Length: 12\r\nX-A: 1\r\n\r\n") != NULL);
	/* to a forward proxy: the absolute URI, Host still the server's */
	q.path = "http://[::1]:5985/wsman";
	q.proxy = "Proxy-Authorization: Basic dTpw\r\n";
	sb_init(&b, buf, sizeof(buf));
	http_write_head(&b, &q);
	CHECK(strstr(sb_cstr(&b),
		     "POST http://[::1]:5985/wsman HTTP/1.1\r\nHost: [::1]:5985\r\n") == buf);
	CHECK(strstr(buf, "X-A: 1\r\nProxy-Authorization: Basic dTpw\r\n\r\n") != NULL);
}

void http_tests(void)
{
	RUN(test_http_content_length_body);
	RUN(test_http_chunked_body_with_extensions_and_trailer);
	RUN(test_http_close_delimited_body);
	RUN(test_http_interim_100_is_skipped);
	RUN(test_http_bare_lf);
	RUN(test_http_connection_close_flag);
	RUN(test_http_malformed_status_lines);
	RUN(test_http_malformed_headers);
	RUN(test_http_bad_chunks);
	RUN(test_http_caps);
	RUN(test_http_eof_mid_response_is_closed);
	RUN(test_http_sink_error_propagates);
	RUN(test_http_request_head);
}
