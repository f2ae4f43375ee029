/* port/proxy.c: the CONNECT request, the answer's head, the one-line
 * refusals, and the tunnel's first bytes, over the mock port. */
#include <string.h>

#include "harness.h"
#include "mock.h"
#include "proxy.h"

static uint8_t store[4096], sent[4096];

static wrsh_err tunnel(struct mock_port *m, struct wrsh_port *p, struct wrsh_proxy *x,
		       const char *answer, const char *user)
{
	struct wrsh_port lower;
	struct wrsh_proxy_opts o = {"proxy.example", 3128, user, "p", true};
	mock_init(m, &lower, store, sizeof(store), sent, sizeof(sent));
	m->chunk = 5;
	if (answer)
		mock_add_raw(m, answer, strlen(answer), false);
	if (wrsh_proxy_wrap(p, x, &lower, &o))
		return WRSH_EINVAL;
	return p->connect(p->ctx, "::1", 5986, 1000);
}

/* CONNECT names the server (bracketed), carries Basic, and bytes that
 * came with the answer are the tunnel's first */
static void test_proxy_tunnel_request_and_first_bytes(void)
{
	static struct mock_port m;
	static struct wrsh_proxy x;
	struct wrsh_port p;
	char buf[16];
	size_t got = 0, n = 0;
	CHECK_EQ(tunnel(&m, &p, &x, "HTTP/1.1 200 Connection established\r\n\r\nTLS!", "u"),
		 WRSH_OK);
	CHECK_MEM(sent, m.sent_len,
		  "CONNECT [::1]:5986 HTTP/1.1\r\nHost: [::1]:5986\r\n"
		  "Proxy-Authorization: Basic dTpw\r\nUser-Agent: wrsh/" WRSH_VERSION "\r\n\r\n",
		  strlen("CONNECT [::1]:5986 HTTP/1.1\r\nHost: [::1]:5986\r\n"
			 "Proxy-Authorization: Basic dTpw\r\nUser-Agent: wrsh/" WRSH_VERSION
			 "\r\n\r\n"));
	while (got < 4 && p.recv(p.ctx, buf + got, sizeof(buf) - got, &n, 100, 0) == WRSH_OK && n)
		got += n;
	CHECK_MEM(buf, got, "TLS!", 4);
	wrsh_proxy_release(&x);
	CHECK(x.auth[0] == 0);
}

/* a refusal is one line naming the status and the proxy */
static void test_proxy_refusals_are_one_line(void)
{
	static struct mock_port m;
	static struct wrsh_proxy x;
	struct wrsh_port p;
	CHECK_EQ(tunnel(&m, &p, &x,
			"HTTP/1.0 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n",
			NULL),
		 WRSH_EAUTH);
	CHECK_STR(p.errmsg(p.ctx),
		  "proxy: 407 Proxy Authentication Required from proxy.example:3128");
	CHECK_EQ(tunnel(&m, &p, &x, "HTTP/1.1 403 Access\x01violation\n\n", NULL), WRSH_EHTTP);
	CHECK_STR(p.errmsg(p.ctx), "proxy: 403 Access?violation from proxy.example:3128");
	CHECK_EQ(tunnel(&m, &p, &x, "SSH-2.0-OpenSSH\r\n", NULL), WRSH_EHTTP);
	CHECK_STR(p.errmsg(p.ctx), "proxy: malformed answer to CONNECT from proxy.example:3128");
	CHECK(tunnel(&m, &p, &x, NULL, NULL) != WRSH_OK); /* the mock has no answer */
	CHECK(strncmp(p.errmsg(p.ctx), "proxy: ", 7) == 0);
	m.refuse_connects = 1;
	CHECK_EQ(p.connect(p.ctx, "h", 1, 1000), WRSH_EIO);
	CHECK(strncmp(p.errmsg(p.ctx), "proxy: ", 7) == 0);
}

/* the head parser: status lines, a bare CR, the cap */
static void test_proxy_resp_parser(void)
{
	static const char *bad[] = {"HTTP/2 200 OK\r\n",
				    "HTTP/1.1 20 OK\r\n",
				    "HTTP/1.1 2000 OK\r\n",
				    "HTTP/1.1 099 x\r\n",
				    "HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n",
				    "\r\n"};
	struct proxy_resp r;
	static uint8_t big[PROXY_HEAD_MAX + 1];
	size_t i, used;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		proxy_resp_init(&r);
		CHECK_EQ(proxy_resp_push(&r, (const uint8_t *)bad[i], strlen(bad[i]), &used),
			 WRSH_EHTTP);
	}
	proxy_resp_init(&r);
	CHECK_EQ(proxy_resp_push(&r, (const uint8_t *)"HTTP/1.1 200\r\n\r\nX", 17, &used), WRSH_OK);
	CHECK(r.st == PROXY_DONE && r.status == 200 && used == 16);
	memset(big, 'a', sizeof(big));
	memcpy(big, "HTTP/1.1 200 OK\r\nA: ", 20);
	proxy_resp_init(&r);
	CHECK_EQ(proxy_resp_push(&r, big, sizeof(big), &used), WRSH_ELIMIT);
}

/* forward mode connects to the proxy and says nothing */
static void test_proxy_forward_sends_nothing(void)
{
	static struct mock_port m;
	static struct wrsh_proxy x;
	struct wrsh_port lower, p;
	struct wrsh_proxy_opts o = {"proxy.example", 3128, "u", "p", false};
	mock_init(&m, &lower, store, sizeof(store), sent, sizeof(sent));
	CHECK_EQ(wrsh_proxy_wrap(&p, &x, &lower, &o), WRSH_OK);
	CHECK_EQ(p.connect(p.ctx, "server", 5985, 1000), WRSH_OK);
	CHECK_EQ(m.sent_len, 0);
	CHECK_STR(wrsh_proxy_header(&x), "Proxy-Authorization: Basic dTpw\r\n");
	o.host = "";
	CHECK_EQ(wrsh_proxy_wrap(&p, &x, &lower, &o), WRSH_EINVAL);
}

void proxy_tests(void)
{
	RUN(test_proxy_tunnel_request_and_first_bytes);
	RUN(test_proxy_refusals_are_one_line);
	RUN(test_proxy_resp_parser);
	RUN(test_proxy_forward_sends_nothing);
}
