/* libFuzzer: the proxy's answer to CONNECT (port/proxy.c). The head parser
 * fed whole and in pieces (the first byte picks their size) must agree;
 * then the whole port connects over a fake lower port that answers with
 * the input, in reads of that size, and must end in a code, a NUL-ended
 * one-line message, and tunnel bytes that are exactly the input's rest. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proxy.h"

struct fake {
	const uint8_t *p;
	size_t n, piece;
};

static wrsh_err f_connect(void *ctx, const char *host, uint16_t port, uint32_t ms)
{
	(void)ctx, (void)host, (void)port, (void)ms;
	return WRSH_OK;
}

static wrsh_err f_send(void *ctx, const void *buf, size_t len, size_t *sent, uint32_t ms)
{
	(void)ctx, (void)buf, (void)ms;
	*sent = len;
	return WRSH_OK;
}

static wrsh_err f_recv(void *ctx, void *buf, size_t cap, size_t *got, uint32_t ms, unsigned fl)
{
	struct fake *f = ctx;
	size_t k = f->n < f->piece ? f->n : f->piece;
	(void)ms, (void)fl;
	k = k < cap ? k : cap;
	memcpy(buf, f->p, k);
	f->p += k, f->n -= k;
	*got = k;
	return WRSH_OK;
}

static void f_close(void *ctx)
{
	(void)ctx;
}

static uint64_t f_now(void *ctx)
{
	(void)ctx;
	return 0;
}

static void parse(const uint8_t *p, size_t n, size_t piece, struct proxy_resp *r, wrsh_err *e,
		  size_t *used)
{
	size_t off = 0;
	proxy_resp_init(r);
	*e = WRSH_OK;
	while (off < n && !*e && r->st != PROXY_DONE) {
		size_t k = n - off < piece ? n - off : piece, u = 0;
		*e = proxy_resp_push(r, p + off, k, &u);
		if (u > k)
			__builtin_trap();
		off += u;
	}
	*used = off;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wrsh_proxy x;
	struct proxy_resp a, b;
	struct wrsh_port lower, port;
	struct wrsh_proxy_opts o;
	struct fake f;
	wrsh_err ea, eb, e;
	size_t ua, ub, piece;
	uint8_t rest[64];
	if (size < 1 || size > 65536)
		return 0;
	piece = data[0] % 16 + 1;
	data++, size--;
	parse(data, size, size ? size : 1, &a, &ea, &ua);
	parse(data, size, piece, &b, &eb, &ub);
	if (ea != eb || a.st != b.st || a.status != b.status || (!ea && ua != ub))
		__builtin_trap();

	memset(&lower, 0, sizeof(lower));
	lower.connect = f_connect, lower.send = f_send, lower.recv = f_recv;
	lower.close = f_close, lower.now_ms = f_now;
	f.p = data, f.n = size, f.piece = piece * 97;
	lower.ctx = &f;
	memset(&o, 0, sizeof(o));
	o.host = "proxy.example", o.port = 3128, o.user = "u", o.password = "p", o.tunnel = true;
	if (wrsh_proxy_wrap(&port, &x, &lower, &o))
		__builtin_trap();
	/* now_ms stays 0: the deadline never passes; an input that ends
	 * early ends in a closed connection */
	e = port.connect(port.ctx, "server.example", 5986, 1000);
	if (memchr(x.err, 0, sizeof(x.err)) == NULL || memchr(x.err, '\n', strlen(x.err)))
		__builtin_trap();
	if (!e) {
		size_t got = 0, total = 0;
		if (!ea && a.st == PROXY_DONE && a.status / 100 != 2)
			__builtin_trap();
		while (port.recv(port.ctx, rest, sizeof(rest), &got, 1000, 0) == WRSH_OK && got) {
			if (memcmp(rest, data + ua + total, got))
				__builtin_trap();
			total += got;
		}
		if (ua + total != size)
			__builtin_trap();
	}
	wrsh_proxy_release(&x);
	return 0;
}
