/*
 * HTTP/1.1 for WS-Man (RFC 9112). Only what a client of http.sys and other
 * WS-Man servers meets: POST requests, responses with a Content-Length, a
 * chunked or a close-delimited body, interim 1xx responses, keep-alive.
 */
#include <string.h>

#include "wsman/http.h"

#define MAX_CHUNK ((uint64_t)1 << 40)

void http_resp_init(struct http_resp *r, char *line, const struct http_sink *sink,
		    struct errbuf *err)
{
	memset(r, 0, sizeof(*r));
	r->line = line;
	r->sink = *sink;
	r->err = err;
	r->st = HTTP_STATUS;
}

static wrsh_err bad(struct http_resp *r, const char *what)
{
	return err_set(r->err, WRSH_EHTTP, "http: malformed response: ", what, NULL);
}

/* "HTTP/1.1 200 OK" */
static wrsh_err parse_status(struct http_resp *r, const char *s, size_t n)
{
	uint64_t code;
	size_t i;
	if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') || s[8] != ' ')
		return bad(r, "status line");
	if (str_to_u64(s + 9, 3, 999, &code) || code < 100 || (n > 12 && s[12] != ' '))
		return bad(r, "status code");
	r->http10 = s[7] == '0';
	r->close = r->http10; /* 1.0 closes unless it says keep-alive */
	r->status = (int)code;
	i = 12;
	if (i < n && s[i] == ' ')
		i++;
	if (r->sink.status)
		return r->sink.status(r->sink.ctx, r->status, s + i, n - i);
	return WRSH_OK;
}

/* Does the comma-separated list v contain token t (case-insensitive)? */
static bool has_token(const char *v, size_t n, const char *t)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i, k;
		const char *tok;
		while (j < n && v[j] != ',')
			j++;
		tok = v + i;
		k = j - i;
		str_trim(&tok, &k);
		if (str_ieq(tok, k, t))
			return true;
		i = j + 1;
	}
	return false;
}

static wrsh_err framing_header(struct http_resp *r, const char *name, size_t nl, const char *v,
			       size_t vl)
{
	uint64_t len;
	if (str_ieq(name, nl, "content-length")) {
		if (str_to_u64(v, vl, UINT64_MAX / 2, &len))
			return bad(r, "Content-Length");
		if (r->has_len && r->remaining != len)
			return bad(r, "conflicting Content-Length");
		r->has_len = true;
		r->remaining = len;
	} else if (str_ieq(name, nl, "transfer-encoding")) {
		if (!has_token(v, vl, "chunked"))
			return err_set(r->err, WRSH_EHTTP, "http: unsupported Transfer-Encoding",
				       NULL);
		r->chunked = true;
	} else if (str_ieq(name, nl, "connection")) {
		if (has_token(v, vl, "close"))
			r->close = true;
		else if (has_token(v, vl, "keep-alive"))
			r->close = false;
	}
	return WRSH_OK;
}

static wrsh_err parse_header(struct http_resp *r, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n), *v;
	size_t nl, vl;
	wrsh_err err;
	if (!colon || colon == s)
		return bad(r, "header line");
	if (++r->nheaders > CONFIG_WRSH_HTTP_MAX_HEADERS)
		return err_set(r->err, WRSH_ELIMIT,
			       "http: more headers than CONFIG_WRSH_HTTP_MAX_HEADERS", NULL);
	nl = (size_t)(colon - s);
	if (memchr(s, ' ', nl) || memchr(s, '\t', nl))
		return bad(r, "space in header name");
	v = colon + 1;
	vl = n - nl - 1;
	str_trim(&v, &vl);
	err = framing_header(r, s, nl, v, vl);
	if (!err && r->sink.header)
		err = r->sink.header(r->sink.ctx, s, nl, v, vl);
	return err;
}

/* The blank line ended the head: decide how the body is delimited. */
static wrsh_err head_done(struct http_resp *r)
{
	wrsh_err err;
	if (r->status < 200) { /* interim: another head follows */
		r->st = HTTP_STATUS;
		r->nheaders = 0;
		r->chunked = r->has_len = false;
		return WRSH_OK;
	}
	if (r->sink.head_done && (err = r->sink.head_done(r->sink.ctx)))
		return err;
	if (r->no_body || r->status == 204 || r->status == 304)
		r->st = HTTP_DONE;
	else if (r->chunked)
		r->st = HTTP_CHUNK_SIZE;
	else if (r->has_len)
		r->st = r->remaining ? HTTP_BODY_LEN : HTTP_DONE;
	else {
		r->st = HTTP_BODY_EOF;
		r->close = true;
	}
	return WRSH_OK;
}

static wrsh_err chunk_size(struct http_resp *r, const char *s, size_t n)
{
	uint64_t v = 0;
	size_t i;
	for (i = 0; i < n && s[i] != ';'; i++) {
		int d = s[i] >= '0' && s[i] <= '9'		   ? s[i] - '0'
			: (s[i] | 32) >= 'a' && (s[i] | 32) <= 'f' ? (s[i] | 32) - 'a' + 10
								   : -1;
		if (d < 0) {
			if (s[i] == ' ' || s[i] == '\t')
				continue;
			return bad(r, "chunk size");
		}
		v = v * 16 + (unsigned)d;
		if (v > MAX_CHUNK)
			return err_set(r->err, WRSH_ELIMIT, "http: chunk size beyond 2^40", NULL);
	}
	if (i == 0)
		return bad(r, "empty chunk size");
	r->remaining = v;
	r->st = v ? HTTP_CHUNK_DATA : HTTP_TRAILER;
	return WRSH_OK;
}

/* A complete line (CRLF stripped) in the state that expects one. */
static wrsh_err line_done(struct http_resp *r, const char *s, size_t n)
{
	switch (r->st) {
	case HTTP_STATUS:
		if (n == 0 && r->status == 0 && !r->nheaders)
			return WRSH_OK; /* tolerate a stray CRLF before the status */
		r->st = HTTP_HEADER;
		return parse_status(r, s, n);
	case HTTP_HEADER:
		return n ? parse_header(r, s, n) : head_done(r);
	case HTTP_CHUNK_SIZE:
		return chunk_size(r, s, n);
	case HTTP_CHUNK_END:
		if (n)
			return bad(r, "data after chunk");
		r->st = HTTP_CHUNK_SIZE;
		return WRSH_OK;
	case HTTP_TRAILER:
		if (!n)
			r->st = HTTP_DONE;
		return WRSH_OK;
	default:
		return bad(r, "state");
	}
}

static bool line_state(enum http_state st)
{
	return st == HTTP_STATUS || st == HTTP_HEADER || st == HTTP_CHUNK_SIZE ||
	       st == HTTP_CHUNK_END || st == HTTP_TRAILER;
}

/* Gather bytes up to LF into r->line; returns bytes taken. */
static wrsh_err take_line(struct http_resp *r, const uint8_t *p, size_t n, size_t *used)
{
	const uint8_t *lf = memchr(p, '\n', n);
	size_t take = lf ? (size_t)(lf - p) + 1 : n;
	size_t keep = lf ? take - 1 : take;
	*used = take;
	if (keep > CONFIG_WRSH_HTTP_MAX_LINE - r->line_len)
		return err_set(r->err, WRSH_ELIMIT,
			       "http: header line longer than CONFIG_WRSH_HTTP_MAX_LINE", NULL);
	memcpy(r->line + r->line_len, p, keep);
	r->line_len += keep;
	if (!lf)
		return WRSH_OK;
	if (r->line_len && r->line[r->line_len - 1] == '\r')
		r->line_len--;
	keep = r->line_len;
	r->line_len = 0;
	return line_done(r, r->line, keep);
}

static wrsh_err body_bytes(struct http_resp *r, const uint8_t *p, size_t n, size_t *used)
{
	size_t take = n;
	if (r->st != HTTP_BODY_EOF && take > r->remaining)
		take = (size_t)r->remaining;
	*used = take;
	if (r->st != HTTP_BODY_EOF) {
		r->remaining -= take;
		if (!r->remaining)
			r->st = r->st == HTTP_CHUNK_DATA ? HTTP_CHUNK_END : HTTP_DONE;
	}
	return r->sink.body && take ? r->sink.body(r->sink.ctx, p, take) : WRSH_OK;
}

wrsh_err http_resp_push(struct http_resp *r, const uint8_t *p, size_t n, size_t *used)
{
	size_t off = 0, k;
	wrsh_err err;
	if (n)
		r->any_byte = true;
	while (off < n && r->st != HTTP_DONE) {
		if (line_state(r->st))
			err = take_line(r, p + off, n - off, &k);
		else
			err = body_bytes(r, p + off, n - off, &k);
		if (err)
			return err;
		off += k;
	}
	*used = off;
	return WRSH_OK;
}

wrsh_err http_resp_eof(struct http_resp *r)
{
	if (r->st == HTTP_BODY_EOF) {
		r->st = HTTP_DONE;
		return WRSH_OK;
	}
	if (r->st == HTTP_DONE)
		return WRSH_OK;
	return err_set(r->err, WRSH_ECLOSED,
		       r->any_byte ? "http: connection closed in the middle of the response"
				   : "http: connection closed before the response",
		       NULL);
}

void http_write_head(struct sbuf *b, const struct http_req *q)
{
	bool v6 = strchr(q->host, ':') != NULL;
	sb_puts(b, q->method);
	sb_putc(b, ' ');
	sb_puts(b, q->path);
	sb_puts(b, " HTTP/1.1\r\nHost: ");
	/* absolute form: Host still names the server (RFC 9112 3.2.2) */
	if (v6)
		sb_putc(b, '[');
	sb_puts(b, q->host);
	if (v6)
		sb_putc(b, ']');
	sb_putc(b, ':');
	sb_put_u64(b, q->port);
	sb_puts(b, "\r\nUser-Agent: wrsh/" WRSH_VERSION "\r\nConnection: Keep-Alive\r\n");
	if (q->content_type) {
		sb_puts(b, "Content-Type: ");
		sb_puts(b, q->content_type);
		sb_puts(b, "\r\n");
	}
	sb_puts(b, "Content-Length: ");
	sb_put_u64(b, q->content_length);
	sb_puts(b, "\r\n");
	if (q->extra)
		sb_puts(b, q->extra);
	if (q->proxy)
		sb_puts(b, q->proxy);
	sb_puts(b, "\r\n");
}

void http_close(struct http_conn *c)
{
	if (c->connected)
		c->port->close(c->port->ctx);
	c->connected = false;
	c->served = 0;
}

/* The port's own words about a failure, after ours. */
static wrsh_err port_fail(struct http_conn *c, wrsh_err e, const char *what)
{
	const char *detail = c->port->errmsg ? c->port->errmsg(c->port->ctx) : NULL;
	if (detail && *detail)
		return err_set(c->err, e, detail, NULL);
	return err_set(c->err, e, "http: ", what, ": ", wrsh_strerror(e), NULL);
}

wrsh_err http_connect(struct http_conn *c)
{
	wrsh_err e;
	if (c->connected)
		return WRSH_OK;
	e = c->port->connect(c->port->ctx, c->host, c->port_no, c->timeout_ms);
	if (e)
		return port_fail(c, e, "connect");
	c->connected = true;
	c->served = 0;
	c->epoch++; /* connection-bound authentication starts over */
	return WRSH_OK;
}

/* What is left until end, in ms (0: none). A step as a whole, not only
 * each read, must end in time: a server that trickles a byte per read
 * timeout would otherwise hold the client for days. */
static uint32_t time_left(const struct http_conn *c, uint64_t end)
{
	uint64_t now = c->port->now_ms(c->port->ctx);
	if (now >= end)
		return 0;
	return end - now < c->timeout_ms ? (uint32_t)(end - now) : c->timeout_ms;
}

static wrsh_err too_slow(struct http_conn *c, const char *what)
{
	char num[21];
	return err_set(c->err, WRSH_ETIMEDOUT, "http: ", what, " did not complete within ",
		       err_num(num, c->timeout_ms / 1000), " s: the server is too slow", NULL);
}

static wrsh_err send_all(struct http_conn *c, const uint8_t *p, size_t n)
{
	uint64_t end = c->port->now_ms(c->port->ctx) + c->timeout_ms;
	while (n) {
		size_t k = 0;
		uint32_t ms = time_left(c, end);
		wrsh_err e =
			ms ? c->port->send(c->port->ctx, p, n, &k, ms) : too_slow(c, "sending");
		if (e == WRSH_ETIMEDOUT && !time_left(c, end))
			return too_slow(c, "sending");
		if (e)
			return e;
		if (!k || k > n)
			return WRSH_EIO;
		p += k, n -= k;
		c->sent += k;
	}
	return WRSH_OK;
}

/* Read until r is DONE. Returns WRSH_ECLOSED/EIO/ETIMEDOUT from the port
 * without a message when nothing arrived, so the caller can retry. */
static wrsh_err read_resp(struct http_conn *c, struct http_resp *r, uint32_t first_wait_ms,
			  unsigned flags)
{
	uint64_t end = 0; /* the rest of the answer, once it has begun */
	while (r->st != HTTP_DONE) {
		size_t got = 0, used;
		bool first = !r->any_byte;
		uint32_t ms = first ? first_wait_ms : time_left(c, end);
		wrsh_err e;
		if (!first && !ms)
			return too_slow(c, "the answer");
		e = c->port->recv(c->port->ctx, c->rx, c->rx_cap, &got, ms, first ? flags : 0);
		if (e == WRSH_ETIMEDOUT && !first && !time_left(c, end))
			return too_slow(c, "the answer");
		if (first && got)
			end = c->port->now_ms(c->port->ctx) + c->timeout_ms;
		if (e == WRSH_OK && got == 0)
			e = http_resp_eof(r);
		if (e)
			return e;
		c->received += got;
		if (c->trace)
			c->trace(c->trace_ctx, "<", c->rx, got);
		e = http_resp_push(r, c->rx, got, &used);
		if (e)
			return e;
		if (used < got)
			return bad(r, "bytes after the end of the response");
	}
	return WRSH_OK;
}

wrsh_err http_exchange(struct http_conn *c, const uint8_t *req, size_t len, struct http_resp *r,
		       uint32_t first_wait_ms, unsigned flags)
{
	bool reused;
	wrsh_err e;

	c->retryable = false;
	if ((e = http_connect(c)))
		return e;
	reused = c->served > 0;
	c->requests++;
	if (c->trace)
		c->trace(c->trace_ctx, ">", req, len);
	e = send_all(c, req, len);
	if (!e)
		e = read_resp(c, r, first_wait_ms, flags);
	if (!e) {
		c->served++;
		if (r->close)
			http_close(c);
		return WRSH_OK;
	}
	http_close(c);
	if (e == WRSH_EINTR && !r->any_byte)
		return WRSH_EINTR;
	/* A kept-alive connection the server closed while idle: nothing of the
	 * request was processed, so the caller may send it again, once, on a
	 * new connection. */
	if (reused && !r->any_byte && (e == WRSH_ECLOSED || e == WRSH_EIO)) {
		c->retryable = true;
		err_clear(c->err);
		return WRSH_ECLOSED;
	}
	if (c->err->code)
		return c->err->code;
	return port_fail(c, e, r->any_byte ? "receive" : "send or first receive");
}
