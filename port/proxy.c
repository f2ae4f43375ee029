/*
 * An HTTP proxy as a port (see proxy.h): CONNECT tunnels and forward
 * connections. Platform-free: all I/O goes through the lower port.
 */
#include <string.h>

#include "proxy.h"
#include "util/base64.h"
#include "util/str.h"

void proxy_resp_init(struct proxy_resp *r)
{
	memset(r, 0, sizeof(*r));
	r->bol = true;
}

/* RFC 9112 4: status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ];
 * an empty reason without its SP is let through. */
static wrsh_err status_line(struct proxy_resp *r)
{
	const char *l = r->line;
	size_t n = r->line_len;
	int i, v = 0;
	r->line[n] = 0;
	if (n < 12 || memcmp(l, "HTTP/1.", 7) || (l[7] != '0' && l[7] != '1') || l[8] != ' ' ||
	    (n > 12 && l[12] != ' '))
		return WRSH_EHTTP;
	for (i = 9; i < 12; i++) {
		if (l[i] < '0' || l[i] > '9')
			return WRSH_EHTTP;
		v = v * 10 + (l[i] - '0');
	}
	if (v < 100)
		return WRSH_EHTTP;
	r->status = v;
	return WRSH_OK;
}

/* see proxy.h. Lines end in LF with an optional CR before it (RFC 9112
 * 2.2); a CR anywhere else is refused. Headers are only counted: nothing
 * in them changes what a tunnel does. */
wrsh_err proxy_resp_push(struct proxy_resp *r, const uint8_t *p, size_t n, size_t *used)
{
	size_t i;
	for (i = 0; i < n && r->st != PROXY_DONE; i++) {
		uint8_t c = p[i];
		if (++r->total > PROXY_HEAD_MAX)
			return *used = i, WRSH_ELIMIT;
		if (c == '\n') {
			if (r->st == PROXY_STATUS && status_line(r))
				return *used = i, WRSH_EHTTP;
			if (r->st == PROXY_HEADERS && r->bol)
				r->st = PROXY_DONE; /* the empty line ends the head */
			else
				r->st = PROXY_HEADERS;
			r->bol = true;
			r->cr = false;
			continue;
		}
		if (r->cr)
			return *used = i, WRSH_EHTTP;
		if (c == '\r') {
			r->cr = true;
			continue;
		}
		r->bol = false;
		if (r->st == PROXY_STATUS && r->line_len < PROXY_LINE_MAX - 1)
			r->line[r->line_len++] = (char)c;
	}
	*used = i;
	return WRSH_OK;
}

/* ---- the port ----------------------------------------------------------- */

static void put_authority(struct sbuf *b, const char *host, uint16_t port)
{
	bool v6 = strchr(host, ':') != NULL; /* RFC 9112 3.2.3, RFC 3986 3.2.2 */
	if (v6)
		sb_putc(b, '[');
	sb_puts(b, host);
	if (v6)
		sb_putc(b, ']');
	sb_putc(b, ':');
	sb_put_u64(b, port);
}

/* x->err = "proxy: " a b " from HOST:PORT" */
static wrsh_err fail(struct wrsh_proxy *x, wrsh_err e, const char *a, const char *b)
{
	struct sbuf s;
	sb_init(&s, x->err, sizeof(x->err));
	sb_puts(&s, "proxy: ");
	sb_puts(&s, a);
	sb_puts(&s, b);
	sb_puts(&s, " from ");
	put_authority(&s, x->host, x->port);
	sb_cstr(&s);
	return e;
}

/* The lower port's words, named as the proxy's ("proxy: connect ..."). */
static wrsh_err lower_fail(struct wrsh_proxy *x, wrsh_err e, const char *what)
{
	const char *m = x->lower.errmsg ? x->lower.errmsg(x->lower.ctx) : NULL;
	struct sbuf s;
	if (!m || !*m)
		return fail(x, e, what, wrsh_strerror(e));
	sb_init(&s, x->err, sizeof(x->err));
	sb_puts(&s, "proxy: ");
	sb_puts(&s, m);
	sb_cstr(&s);
	return e;
}

static uint32_t left(const struct wrsh_proxy *x, uint64_t end)
{
	uint64_t now = x->lower.now_ms(x->lower.ctx);
	return now >= end ? 0 : (uint32_t)(end - now);
}

static wrsh_err send_connect(struct wrsh_proxy *x, const char *host, uint16_t port, uint64_t end)
{
	struct sbuf b;
	size_t off = 0;
	wrsh_err e = WRSH_OK;
	sb_init(&b, (char *)x->buf, sizeof(x->buf));
	sb_puts(&b, "CONNECT ");
	put_authority(&b, host, port);
	sb_puts(&b, " HTTP/1.1\r\nHost: ");
	put_authority(&b, host, port);
	sb_puts(&b, "\r\n");
	sb_puts(&b, x->auth);
	sb_puts(&b, "User-Agent: wrsh/" WRSH_VERSION "\r\n\r\n");
	if (b.over)
		e = fail(x, WRSH_EINVAL, "CONNECT request too long", "");
	while (!e && off < b.len) {
		size_t k = 0;
		uint32_t ms = left(x, end);
		if (!ms)
			e = fail(x, WRSH_ETIMEDOUT, "no answer to CONNECT in time", "");
		else if ((e = x->lower.send(x->lower.ctx, x->buf + off, b.len - off, &k, ms)))
			e = lower_fail(x, e, "sending CONNECT: ");
		off += k;
	}
	wrsh_wipe(x->buf, sizeof(x->buf)); /* Proxy-Authorization */
	return e;
}

/* The status, the reason's bytes made printable for a one-line message. */
static wrsh_err refused(struct wrsh_proxy *x)
{
	char *s = x->resp.line + 9;
	size_t i;
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			s[i] = '?';
	return fail(x, x->resp.status == 407 ? WRSH_EAUTH : WRSH_EHTTP, s, "");
}

/* RFC 9110 9.3.6: a 2xx switches to tunnel mode right after the header
 * section (no body); anything else refuses the tunnel. */
static wrsh_err read_answer(struct wrsh_proxy *x, uint64_t end)
{
	proxy_resp_init(&x->resp);
	while (x->resp.st != PROXY_DONE) {
		size_t got = 0, used = 0;
		uint32_t ms = left(x, end);
		wrsh_err e;
		if (!ms)
			return fail(x, WRSH_ETIMEDOUT, "no answer to CONNECT in time", "");
		e = x->lower.recv(x->lower.ctx, x->buf, sizeof(x->buf), &got, ms, 0);
		if (e == WRSH_ETIMEDOUT)
			return fail(x, e, "no answer to CONNECT in time", "");
		if (e)
			return lower_fail(x, e, "reading the answer to CONNECT: ");
		if (!got)
			return fail(x, WRSH_EIO, "connection closed before answering CONNECT", "");
		e = proxy_resp_push(&x->resp, x->buf, got, &used);
		if (e == WRSH_ELIMIT)
			return fail(x, e, "answer head above PROXY_HEAD_MAX", "");
		if (e)
			return fail(x, e, "malformed answer to CONNECT", "");
		x->pend_off = used;
		x->pend_len = got - used;
	}
	if (x->resp.status / 100 != 2)
		return x->pend_len = 0, refused(x);
	return WRSH_OK;
}

static wrsh_err px_connect(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms)
{
	struct wrsh_proxy *x = ctx;
	uint64_t end = x->lower.now_ms(x->lower.ctx) + timeout_ms;
	wrsh_err e;
	x->err[0] = 0;
	x->pend_len = 0;
	if ((e = x->lower.connect(x->lower.ctx, x->host, x->port, timeout_ms)))
		return lower_fail(x, e, "connect: ");
	if (!x->tunnel)
		return WRSH_OK; /* forward: the session names the server in each request */
	if ((e = send_connect(x, host, port, end)) || (e = read_answer(x, end)))
		x->lower.close(x->lower.ctx);
	return e;
}

static wrsh_err px_send(void *ctx, const void *buf, size_t len, size_t *sent, uint32_t timeout_ms)
{
	struct wrsh_proxy *x = ctx;
	return x->lower.send(x->lower.ctx, buf, len, sent, timeout_ms);
}

static wrsh_err px_recv(void *ctx, void *buf, size_t cap, size_t *got, uint32_t timeout_ms,
			unsigned flags)
{
	struct wrsh_proxy *x = ctx;
	if (x->pend_len && cap) {
		size_t n = x->pend_len < cap ? x->pend_len : cap;
		memcpy(buf, x->buf + x->pend_off, n);
		x->pend_off += n;
		x->pend_len -= n;
		*got = n;
		return WRSH_OK;
	}
	return x->lower.recv(x->lower.ctx, buf, cap, got, timeout_ms, flags);
}

static void px_close(void *ctx)
{
	struct wrsh_proxy *x = ctx;
	x->pend_len = 0;
	x->lower.close(x->lower.ctx);
}

static uint64_t px_now_ms(void *ctx)
{
	struct wrsh_proxy *x = ctx;
	return x->lower.now_ms(x->lower.ctx);
}

static wrsh_err px_random(void *ctx, void *buf, size_t len)
{
	struct wrsh_proxy *x = ctx;
	return x->lower.random(x->lower.ctx, buf, len);
}

static uint64_t px_filetime(void *ctx)
{
	struct wrsh_proxy *x = ctx;
	return x->lower.filetime(x->lower.ctx);
}

static const char *px_errmsg(void *ctx)
{
	struct wrsh_proxy *x = ctx;
	if (x->err[0] || !x->lower.errmsg)
		return x->err;
	return x->lower.errmsg(x->lower.ctx);
}

static wrsh_err px_channel_binding(void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
	struct wrsh_proxy *x = ctx;
	if (!x->lower.channel_binding)
		return WRSH_EUNSUPPORTED;
	return x->lower.channel_binding(x->lower.ctx, buf, cap, len);
}

/* "Proxy-Authorization: Basic base64(user:password)" (RFC 9110 11.7.2,
 * RFC 7617), kept to be sent on each CONNECT or forwarded request. */
static wrsh_err set_auth(struct wrsh_proxy *x, const char *user, const char *pw)
{
	size_t ul = strlen(user), pl = pw ? strlen(pw) : 0;
	struct b64_enc e;
	char *p = x->auth + 27;
	if (ul + pl > 300 || 27 + B64_ENC_LEN(ul + pl + 3) + 3 > sizeof(x->auth))
		return WRSH_EINVAL;
	memcpy(x->auth, "Proxy-Authorization: Basic ", 27);
	b64_enc_init(&e);
	p += b64_enc_push(&e, user, ul, p);
	p += b64_enc_push(&e, ":", 1, p);
	p += b64_enc_push(&e, pw ? pw : "", pl, p);
	p += b64_enc_finish(&e, p);
	memcpy(p, "\r\n", 3);
	wrsh_wipe(&e, sizeof(e));
	return WRSH_OK;
}

/* see proxy.h */
wrsh_err wrsh_proxy_wrap(struct wrsh_port *out, struct wrsh_proxy *ctx,
			 const struct wrsh_port *lower, const struct wrsh_proxy_opts *o)
{
	size_t n = o && o->host ? strlen(o->host) : 0;
	if (!out || !ctx || !lower || !n || n >= sizeof(ctx->host) || !o->port || !lower->connect ||
	    !lower->send || !lower->recv || !lower->close || !lower->now_ms)
		return WRSH_EINVAL;
	memset(ctx, 0, sizeof(*ctx));
	ctx->lower = *lower;
	memcpy(ctx->host, o->host, n + 1);
	ctx->port = o->port;
	ctx->tunnel = o->tunnel;
	if (o->user && set_auth(ctx, o->user, o->password))
		return wrsh_proxy_release(ctx), WRSH_EINVAL;
	memset(out, 0, sizeof(*out));
	out->ctx = ctx;
	out->secure = lower->secure;
	out->connect = px_connect;
	out->send = px_send;
	out->recv = px_recv;
	out->close = px_close;
	out->now_ms = px_now_ms;
	out->random = lower->random ? px_random : NULL;
	out->filetime = lower->filetime ? px_filetime : NULL;
	out->errmsg = px_errmsg;
	out->channel_binding = px_channel_binding;
	return WRSH_OK;
}

const char *wrsh_proxy_header(const struct wrsh_proxy *ctx)
{
	return ctx->auth[0] ? ctx->auth : NULL;
}

void wrsh_proxy_release(struct wrsh_proxy *ctx)
{
	wrsh_wipe(ctx->auth, sizeof(ctx->auth));
	wrsh_wipe(ctx->buf, sizeof(ctx->buf));
}
