#define _GNU_SOURCE /* memmem */
/*
 * Message encryption: the multipart/encrypted framing on its own (round
 * trips, every truncation, lying lengths), then whole Negotiate sessions
 * through the mock port, where the test plays a server that seals its
 * answers, and a hostile one that strips, flips, replays or mis-frames them.
 *
 * The server's keys: a first, rehearsal run of the same deterministic
 * session (the mock's randomness and clock repeat) stops right after the
 * AUTHENTICATE_MESSAGE; the client context it leaves, with its directions
 * swapped, is the server of every later run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/ntlm.h"
#include "wsman/crypt.h"
#include "fixture.h"
#include "harness.h"
#include "base/mem.h"
#include "mock.h"
#include "wsman/session.h"
#include "util/base64.h"
#include "vectors.h"
#include "wrsh.h"

/* ntlm_authenticate()'s working memory (the library takes it from the arena) */
static struct ntlm_scratch ntlm_w;

#define STD "tests/replay/windows/pypsrp-winrs-standard/"

static uint8_t chal[512], frame[64 * 1024];
static size_t chal_n;
static struct ntlm_ctx server0; /* the server's context before its first seal */
static bool have_server;

static void load(const char *desc, char **f, int nf)
{
	(void)desc, (void)nf;
	if (!strcmp(f[0], "challenge"))
		chal_n = vec_hex(f[1], chal, sizeof(chal));
}

static void as_server(struct ntlm_ctx *srv, const struct ntlm_ctx *cli)
{
	*srv = *cli;
	memcpy(srv->client_sign, cli->server_sign, 16);
	memcpy(srv->server_sign, cli->client_sign, 16);
	srv->client_seal = cli->server_seal;
	srv->server_seal = cli->client_seal;
	srv->client_seq = cli->server_seq;
}

/* Frame and seal body as a server would; returns the framed length. */
static size_t seal_as(struct ntlm_ctx *srv, const void *body, size_t n)
{
	size_t off, len;
	CHECK(CRYPT_PREFIX_MAX + n + CRYPT_SUFFIX_LEN <= sizeof(frame));
	memcpy(frame + CRYPT_PREFIX_MAX, body, n);
	crypt_wrap(&auth_ntlm, srv, frame, CRYPT_PREFIX_MAX, n, &off, &len);
	memmove(frame, frame + off, len);
	return len;
}

/* ---- framing ------------------------------------------------------------- */

static void pair(struct ntlm_ctx *cli, struct ntlm_ctx *srv)
{
	uint8_t neg[NTLM_NEGOTIATE_LEN], out[NTLM_MAX_AUTHENTICATE], hash[16];
	static const uint8_t version[8] = {6, 0, 0x70, 0x17, 0, 0, 0, 0x0f};
	struct ntlm_input in;
	struct errbuf e = {WRSH_OK, ""};
	size_t len;
	memset(&in, 0, sizeof(in));
	CHECK_EQ(ntlm_nt_hash("Password", hash), WRSH_OK);
	in.user = "User";
	in.domain = "Domain";
	in.nt_hash = hash;
	in.workstation = "COMPUTER";
	memset(in.session_key, 0x55, 16);
	memcpy(in.version, version, 8);
	ntlm_negotiate(cli, version, neg);
	CHECK_EQ(ntlm_authenticate(cli, &ntlm_w, &in, chal, chal_n, out, &len, &e), WRSH_OK);
	as_server(srv, cli);
}

static void test_crypt_round_trip_and_layout(void)
{
	struct ntlm_ctx cli, srv;
	struct errbuf e = {WRSH_OK, ""};
	static uint8_t buf[8192];
	const char *body = "<s:Envelope>sealed</s:Envelope>";
	const char *head = "--Encrypted Boundary\r\n"
			   "Content-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
			   "OriginalContent: type=application/soap+xml;charset=UTF-8;Length=31\r\n"
			   "--Encrypted Boundary\r\n"
			   "Content-Type: application/octet-stream\r\n"
			   "\x10\0\0\0";
	size_t off, len, n = strlen(body), hl = strlen(head) + 3; /* + the NULs */
	CHECK(vec_each("tests/vectors/ntlm.txt", load) == 4);
	pair(&cli, &srv);
	memcpy(buf + CRYPT_PREFIX_MAX, body, n);
	crypt_wrap(&auth_ntlm, &cli, buf, CRYPT_PREFIX_MAX, n, &off, &len);
	/* MS-WSMV 2.2.9.1.1.1 framing, the part headers at the start of their
	 * lines as OMI reads them (issue 12); 16 bytes of signature, then the
	 * body */
	CHECK_MEM(buf + off, hl, head, hl);
	CHECK_EQ(len, hl + 16 + n + 24);
	CHECK_MEM(buf + off + len - 24, 24, "--Encrypted Boundary--\r\n", 24);
	CHECK(memcmp(buf + off + hl + 16, body, n) != 0); /* sealed, not clear */
	{
		size_t o2, l2;
		CHECK_EQ(crypt_unwrap(&auth_ntlm, &srv, buf + off, len, &o2, &l2, &e), WRSH_OK);
		CHECK_MEM(buf + off + o2, l2, body, n);
	}
	/* the server's answers, in order, all verify at the client */
	for (n = 0; n < 3; n++) {
		size_t fl = seal_as(&srv, "<answer/>", 9), o2, l2;
		CHECK_EQ(crypt_unwrap(&auth_ntlm, &cli, frame, fl, &o2, &l2, &e), WRSH_OK);
		CHECK_MEM(frame + o2, l2, "<answer/>", 9);
	}
}

/* Insert a tab before each part header of a framed message: the form
 * Windows writes (MS-WSMV 2.2.9.1.1.2's grammar). */
static size_t with_tabs(uint8_t *buf, size_t n, size_t cap)
{
	static const char *const hdr[] = {"\nContent-Type: application/HTTP",
					  "\nOriginalContent:", "\nContent-Type: application/oct"};
	size_t i;
	for (i = 0; i < 3; i++) {
		uint8_t *p = memmem(buf, n, hdr[i], strlen(hdr[i]));
		CHECK(p != NULL && n < cap);
		if (!p || n >= cap)
			return n;
		memmove(p + 2, p + 1, n - (size_t)(p + 1 - buf));
		p[1] = '\t';
		n++;
	}
	return n;
}

/* The reader takes the part headers at a line's start (OMI, and what wrsh
 * writes) and after a tab (Windows), the same message either way. */
static void test_crypt_reads_both_forms(void)
{
	struct ntlm_ctx cli, srv, c;
	struct errbuf e = {WRSH_OK, ""};
	static uint8_t tabbed[4096];
	const char *body = "<s:Envelope>either form</s:Envelope>";
	size_t n, tn, off, len;
	pair(&cli, &srv);
	n = seal_as(&srv, body, strlen(body));
	CHECK(memmem(frame, n, "\r\nContent-Type: application/octet-stream\r\n", 42) != NULL);
	CHECK(memmem(frame, 120, "\t", 1) == NULL); /* the headers are text: no tab */
	memcpy(tabbed, frame, n);
	tn = with_tabs(tabbed, n, sizeof(tabbed));
	CHECK_EQ(tn, n + 3);
	CHECK(memmem(tabbed, tn, "\r\n\tOriginalContent: type=", 25) != NULL);
	c = cli;
	CHECK_EQ(crypt_unwrap(&auth_ntlm, &c, frame, n, &off, &len, &e), WRSH_OK);
	CHECK_MEM(frame + off, len, body, strlen(body));
	c = cli;
	CHECK_EQ(crypt_unwrap(&auth_ntlm, &c, tabbed, tn, &off, &len, &e), WRSH_OK);
	CHECK_MEM(tabbed + off, len, body, strlen(body));
}

/* Every prefix of a valid framed message, and every single-byte change:
 * an error code (EPROTO or EINTEGRITY), never a read outside the bytes.
 * A message cut in its final CRLF is whole: everything signed is there. */
static void test_crypt_truncations_and_flips(void)
{
	struct ntlm_ctx cli, srv, c, s;
	struct errbuf e = {WRSH_OK, ""};
	static uint8_t good[4096], buf[4096];
	size_t n, k, off, len;
	pair(&cli, &srv);
	s = srv;
	n = seal_as(&s, "<s:Envelope>the answer</s:Envelope>", 35);
	memcpy(good, frame, n);
	for (k = 0; k < n; k++) {
		wrsh_err r;
		uint8_t *p = malloc(k ? k : 1); /* exact size: ASan sees any overread */
		memcpy(p, good, k);
		c = cli;
		r = crypt_unwrap(&auth_ntlm, &c, p, k, &off, &len, &e);
		if (k >= n - 2) /* only the CRLF after the end boundary missing */
			CHECK_EQ(r, WRSH_OK);
		else
			CHECK(r == WRSH_EPROTO || r == WRSH_EINTEGRITY);
		free(p);
	}
	for (k = 0; k < n; k++) {
		wrsh_err r;
		memcpy(buf, good, n);
		buf[k] ^= 0x01;
		c = cli;
		r = crypt_unwrap(&auth_ntlm, &c, buf, n, &off, &len, &e);
		/* a flip in a header's free text may leave it readable; it must
		 * then still verify to the very same plaintext */
		if (r == WRSH_OK)
			CHECK_MEM(buf + off, len, "<s:Envelope>the answer</s:Envelope>", 35);
		else
			CHECK(r == WRSH_EPROTO || r == WRSH_EINTEGRITY);
	}
	c = cli;
	CHECK_EQ(crypt_unwrap(&auth_ntlm, &c, good, n, &off, &len, &e), WRSH_OK);
	memcpy(buf, good, n); /* the same message twice: a replay */
	CHECK_EQ(crypt_unwrap(&auth_ntlm, &c, buf, n, &off, &len, &e), WRSH_EINTEGRITY);
}

static void test_crypt_lying_lengths(void)
{
	struct ntlm_ctx cli, srv, c, s;
	struct errbuf e = {WRSH_OK, ""};
	static uint8_t buf[4096];
	size_t n, off, len;
	char *l;
	pair(&cli, &srv);
	s = srv;
	n = seal_as(&s, "<x>0123456789</x>", 17);
	memcpy(buf, frame, n);
	l = memmem(buf, n, "Length=17", 9);
	CHECK(l != NULL);
	if (!l)
		return;
	l[7] = '9'; /* 97: past the end */
	c = cli;
	CHECK_EQ(crypt_unwrap(&auth_ntlm, &c, buf, n, &off, &len, &e), WRSH_EPROTO);
	CHECK(strstr(e.msg, "Length") != NULL);
	l[7] = '0', l[8] = '9'; /* 09: short of the boundary */
	c = cli;
	CHECK_EQ(crypt_unwrap(&auth_ntlm, &c, buf, n, &off, &len, &e), WRSH_EPROTO);
	memcpy(l, "Length=99999999999999999999999", 9); /* overflows */
	c = cli;
	CHECK_EQ(crypt_unwrap(&auth_ntlm, &c, buf, n, &off, &len, &e), WRSH_EPROTO);
	memcpy(buf, frame, n);
	l = memmem(buf, n, "\x10\0\0\0", 4);
	l[0] = 0x20; /* a signature length other than 16 */
	c = cli;
	CHECK_EQ(crypt_unwrap(&auth_ntlm, &c, buf, n, &off, &len, &e), WRSH_EPROTO);
}

/* ---- whole sessions ------------------------------------------------------ */

struct t {
	struct mock_port m;
	struct wrsh_port port;
	struct wrsh_arena *a;
	struct wrsh_session *s;
	struct wrsh_opts o;
	char out[256];
	size_t out_n;
};
static struct t T;

static wrsh_err collect(void *ctx, int stream, const void *p, size_t n)
{
	struct t *t = ctx;
	(void)stream;
	if (n > sizeof(t->out) - t->out_n)
		n = sizeof(t->out) - t->out_n;
	memcpy(t->out + t->out_n, p, n);
	t->out_n += n;
	return WRSH_OK;
}

static struct t *setup(void)
{
	struct t *t = &T;
	char b64[1024], resp[1200];
	size_t n;
	memset(t, 0, sizeof(*t));
	fixture_port(&t->m, &t->port, &t->a);
	t->o.host = "win.example";
	t->o.auth = WRSH_AUTH_NEGOTIATE;
	t->o.user = "Domain\\User";
	t->o.password = "Password";
	/* the answer to the empty NEGOTIATE POST: MS-NLMP 4.2.4's challenge */
	n = b64_encode(chal, chal_n, b64);
	b64[n] = 0;
	n = (size_t)snprintf(resp, sizeof(resp),
			     "HTTP/1.1 401 \r\nWWW-Authenticate: Negotiate %s\r\n"
			     "Content-Length: 0\r\n\r\n",
			     b64);
	CHECK(mock_add_raw(&t->m, resp, n, false));
	return t;
}

static size_t load_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, cap, f) : 0;
	char *a, *b;
	if (f)
		fclose(f);
	CHECK(n > 0);
	/* RelatesTo would name the recorded request's id, not ours */
	a = memmem(buf, n, "<a:RelatesTo>", 13);
	b = a ? memmem(a, n - (size_t)(a - buf), "</a:RelatesTo>", 14) : NULL;
	if (a && b) {
		b += 14;
		memmove(a, b, n - (size_t)(b - buf));
		n -= (size_t)(b - a);
	}
	return n;
}

static void add_sealed(struct t *t, struct ntlm_ctx *srv, const char *path)
{
	static char body[16384];
	size_t n = load_file(path, body, sizeof(body));
	n = seal_as(srv, body, n);
	CHECK(mock_add_http(&t->m, 200, CRYPT_CONTENT_TYPE, frame, n, 0));
}

static bool req_has(struct t *t, unsigned n, const char *s)
{
	const uint8_t *p;
	size_t len;
	return mock_request(&t->m, n, &p, &len) && memmem(p, len, s, strlen(s)) != NULL;
}

/* The rehearsal: the handshake, then a 503 to the sealed Create. */
static void rehearse(void)
{
	struct t *t;
	if (have_server)
		return;
	CHECK(vec_each("tests/vectors/ntlm.txt", load) == 4);
	t = setup();
	CHECK(mock_add_http(&t->m, 503, "text/plain", "busy", 4, 0));
	CHECK_EQ(wrsh_open(&t->s, t->a, &t->port, &t->o), WRSH_OK);
	CHECK_EQ(wrsh_shell_open(t->s, NULL), WRSH_EHTTP);
	as_server(&server0, t->s->mech_ctx);
	have_server = true;
	wrsh_close(t->s);
}

static void test_seal_whole_session(void)
{
	struct t *t;
	struct ntlm_ctx srv;
	const char *args[] = {"/c", "echo", "hi"};
	bool done = false;
	uint32_t code = 99;
	unsigned i;
	rehearse();
	t = setup();
	srv = server0;
	add_sealed(t, &srv, STD "001-response.xml");
	add_sealed(t, &srv, STD "002-response.xml");
	add_sealed(t, &srv, STD "003-response.xml");
	add_sealed(t, &srv, STD "005-response.xml");
	CHECK_EQ(wrsh_open(&t->s, t->a, &t->port, &t->o), WRSH_OK);
	CHECK_EQ(wrsh_shell_open(t->s, NULL), WRSH_OK);
	CHECK_EQ(wrsh_cmd_start(t->s, "cmd.exe", args, 3), WRSH_OK);
	CHECK_EQ(wrsh_cmd_receive(t->s, collect, t, 0, &done, &code), WRSH_OK);
	CHECK(done);
	CHECK_EQ(code, 0);
	CHECK_MEM(t->out, t->out_n, "hi\r\n", 4);
	CHECK_EQ(wrsh_shell_close(t->s), WRSH_OK);
	wrsh_close(t->s);
	CHECK_EQ(t->m.requests, 5);
	CHECK_EQ(t->m.connects, 1);
	/* NEGOTIATE_MESSAGE on an empty POST, AUTHENTICATE on the sealed Create */
	CHECK(req_has(t, 0, "Authorization: Negotiate TlRMTVNTUAABAAAA"));
	CHECK(req_has(t, 0, "Content-Length: 0\r\n"));
	CHECK(req_has(t, 1, "Authorization: Negotiate TlRMTVNTUAADAAAA"));
	for (i = 1; i < 5; i++) {
		CHECK(req_has(t, i,
			      "Content-Type: multipart/encrypted;protocol=\"application/"
			      "HTTP-SPNEGO-session-encrypted\";boundary=\"Encrypted Boundary\""));
		CHECK(!req_has(t, i, "Envelope")); /* no SOAP in clear */
		CHECK(!req_has(t, i, "Password")); /* nor the password, anywhere */
		if (i > 1)
			CHECK(!req_has(t, i, "Authorization"));
	}
	CHECK_EQ(wrsh_arena_in_use(t->a), 0);
}

/* Run a session whose Create answer is `create` (n bytes, content type ct). */
static wrsh_err create_answered(const char *ct, const void *create, size_t n, struct t **out)
{
	struct t *t = setup();
	wrsh_err e;
	CHECK(mock_add_http(&t->m, 200, ct, create, n, 0));
	CHECK_EQ(wrsh_open(&t->s, t->a, &t->port, &t->o), WRSH_OK);
	e = wrsh_shell_open(t->s, NULL);
	*out = t;
	return e;
}

#define OMI_EMPTY_500                                                                       \
	"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/soap+xml;charset=" \
	"UTF-8\r\nContent-Length: 0\r\n\r\n"

static void test_seal_hostile_answers(void)
{
	static char body[16384];
	struct ntlm_ctx srv;
	struct t *t;
	size_t n, fl;
	char *p;
	rehearse();
	n = load_file(STD "001-response.xml", body, sizeof(body));
	/* stripped: a man in the middle answers in clear */
	CHECK_EQ(create_answered("application/soap+xml;charset=UTF-8", body, n, &t),
		 WRSH_EINTEGRITY);
	CHECK(strstr(wrsh_errmsg(t->s), "in clear") != NULL);
	wrsh_close(t->s);
	/* an empty answer in clear has nothing to strip: its status counts */
	t = setup();
	CHECK(mock_add_raw(&t->m, OMI_EMPTY_500, strlen(OMI_EMPTY_500), false));
	CHECK_EQ(wrsh_open(&t->s, t->a, &t->port, &t->o), WRSH_OK);
	CHECK_EQ(wrsh_shell_open(t->s, NULL), WRSH_EHTTP);
	CHECK_STR(wrsh_errmsg(t->s), "http: 500 Internal Server Error with an empty body");
	wrsh_close(t->s);
	/* ... but one with a body is refused at its first byte */
	CHECK_EQ(create_answered("application/soap+xml", "<", 1, &t), WRSH_EINTEGRITY);
	wrsh_close(t->s);
	/* one bit of the sealed SOAP flipped */
	srv = server0;
	fl = seal_as(&srv, body, n);
	frame[fl - 30] ^= 0x04;
	CHECK_EQ(create_answered(CRYPT_CONTENT_TYPE, frame, fl, &t), WRSH_EINTEGRITY);
	CHECK(strstr(wrsh_errmsg(t->s), "signature") != NULL);
	wrsh_close(t->s);
	/* sealed with the wrong sequence number: the server's second message */
	srv = server0;
	seal_as(&srv, "<x/>", 4);
	fl = seal_as(&srv, body, n);
	CHECK_EQ(create_answered(CRYPT_CONTENT_TYPE, frame, fl, &t), WRSH_EINTEGRITY);
	wrsh_close(t->s);
	/* a Length that points past the body */
	srv = server0;
	fl = seal_as(&srv, body, n);
	p = memmem(frame, fl, "Length=", 7);
	CHECK(p != NULL);
	if (p)
		p[7] = '9';
	CHECK_EQ(create_answered(CRYPT_CONTENT_TYPE, frame, fl, &t), WRSH_EPROTO);
	wrsh_close(t->s);
	/* garbage under the encrypted content type */
	CHECK_EQ(create_answered(CRYPT_CONTENT_TYPE, "hello", 5, &t), WRSH_EPROTO);
	wrsh_close(t->s);
}

/* The server refuses the AUTHENTICATE_MESSAGE (a wrong password). */
static void test_seal_wrong_password(void)
{
	struct t *t = setup();
	char resp[] = "HTTP/1.1 401 \r\nWWW-Authenticate: Negotiate\r\nContent-Length: 0\r\n\r\n";
	CHECK(mock_add_raw(&t->m, resp, strlen(resp), false));
	CHECK(vec_each("tests/vectors/ntlm.txt", load) == 4);
	t->o.password = "wrong";
	CHECK_EQ(wrsh_open(&t->s, t->a, &t->port, &t->o), WRSH_OK);
	CHECK_EQ(wrsh_shell_open(t->s, NULL), WRSH_EAUTH);
	CHECK(strstr(wrsh_errmsg(t->s), "refused the credentials") != NULL);
	wrsh_close(t->s);
	CHECK_EQ(wrsh_arena_in_use(t->a), 0);
}

/* A server offering only Basic, and one refusing NTLM under Negotiate
 * (Kerberos only): the default auth says what is missing. */
static void refused_first_leg(const char *resp, const char *says)
{
	struct t *t = &T;
	memset(t, 0, sizeof(*t));
	fixture_port(&t->m, &t->port, &t->a);
	t->o.host = "win.example";
	t->o.auth = WRSH_AUTH_NEGOTIATE;
	t->o.user = "alice";
	t->o.password = "x";
	CHECK(mock_add_raw(&t->m, resp, strlen(resp), false));
	CHECK_EQ(wrsh_open(&t->s, t->a, &t->port, &t->o), WRSH_OK);
	CHECK_EQ(wrsh_shell_open(t->s, NULL), WRSH_EAUTH);
	CHECK(strstr(wrsh_errmsg(t->s), says) != NULL);
	wrsh_close(t->s);
}

static void test_seal_first_leg_refused(void)
{
	refused_first_leg("HTTP/1.1 401 \r\nWWW-Authenticate: Basic realm=\"WSMAN\"\r\n"
			  "Content-Length: 0\r\n\r\n",
			  "does not offer Negotiate (it offers Basic)");
	refused_first_leg("HTTP/1.1 401 \r\nWWW-Authenticate: Negotiate\r\n"
			  "Content-Length: 0\r\n\r\n",
			  "Kerberos");
}

void seal_tests(void)
{
	RUN(test_crypt_round_trip_and_layout);
	RUN(test_crypt_reads_both_forms);
	RUN(test_crypt_truncations_and_flips);
	RUN(test_crypt_lying_lengths);
	RUN(test_seal_whole_session);
	RUN(test_seal_hostile_answers);
	RUN(test_seal_wrong_password);
	RUN(test_seal_first_leg_refused);
}
