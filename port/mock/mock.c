/* The scripted peer (see mock.h). */
#include <string.h>

#include "mock.h"

static const char *m_errmsg(void *ctx)
{
	struct mock_port *m = ctx;
	return m->err;
}

static void say(struct mock_port *m, const char *s)
{
	size_t n = strlen(s);
	if (n >= sizeof(m->err))
		n = sizeof(m->err) - 1;
	memcpy(m->err, s, n);
	m->err[n] = 0;
}

static wrsh_err m_connect(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms)
{
	struct mock_port *m = ctx;
	(void)host, (void)port, (void)timeout_ms;
	m->connects++;
	if (m->refuse_connects) {
		m->refuse_connects--;
		say(m, "mock: connect refused");
		return WRSH_EIO;
	}
	/* A request abandoned unanswered gets no response; a response cut in
	 * the middle is not resumed (arm() moves past any response begun). */
	m->awaiting = false;
	m->connected = true;
	return WRSH_OK;
}

static wrsh_err m_send(void *ctx, const void *buf, size_t len, size_t *sent, uint32_t timeout_ms)
{
	struct mock_port *m = ctx;
	(void)timeout_ms;
	if (!m->connected) {
		say(m, "mock: send on a closed connection");
		return WRSH_EIO;
	}
	if (m->accepted == m->send_cut_at) {
		m->send_cut_at = MOCK_NEVER;
		m->connected = false;
		say(m, "mock: connection reset while sending");
		return WRSH_EIO;
	}
	if (m->send_cut_at > m->accepted && len > m->send_cut_at - m->accepted)
		len = (size_t)(m->send_cut_at - m->accepted); /* a short write, then the reset */
	if (!m->awaiting) {
		if (m->requests < sizeof(m->req_off) / sizeof(m->req_off[0]))
			m->req_off[m->requests] = m->sent_len;
		m->requests++;
		m->awaiting = true;
	}
	if (len > m->sent_cap - m->sent_len) {
		say(m, "mock: sent buffer full");
		return WRSH_EIO;
	}
	memcpy(m->sent + m->sent_len, buf, len);
	m->sent_len += len;
	m->accepted += len;
	*sent = len;
	return WRSH_OK;
}

static const uint8_t *find(const uint8_t *p, size_t n, const char *pat)
{
	size_t k = strlen(pat);
	const uint8_t *end = p + n, *q = p;
	while (k && (size_t)(end - q) >= k && (q = memchr(q, pat[0], (size_t)(end - q) - k + 1))) {
		if (memcmp(q, pat, k) == 0)
			return q;
		q++;
	}
	return NULL;
}

/* The replay recipe of the recordings: the live MessageID goes into the
 * recorded RelatesTo (same length, so framing is unchanged). */
static void fix_relates(struct mock_port *m)
{
	const uint8_t *req = m->sent + m->req_off[m->requests - 1];
	const uint8_t *id = find(req, m->sent_len - (size_t)(req - m->sent), "MessageID>uuid:");
	uint8_t *resp = m->store + m->resp_off[m->cur];
	uint8_t *rel = (uint8_t *)find(resp, m->resp_len[m->cur], "RelatesTo>uuid:");
	if (!rel)
		rel = (uint8_t *)find(resp, m->resp_len[m->cur], "RelatesTo>\n");
	if (id && rel && rel[10] == 'u' && (size_t)(rel + 15 + 36 - resp) <= m->resp_len[m->cur])
		memcpy(rel + 15, id + 15, 36);
}

/* Start the response to the request just sent. */
static void arm(struct mock_port *m)
{
	if (!m->awaiting)
		return;
	m->awaiting = false;
	if (m->on_request)
		m->on_request(m->on_request_ctx, m);
	if (m->live)
		m->cur = m->nresp ? m->nresp - 1 : 0;
	else if (m->cur == (unsigned)-1 || m->cur_pos)
		m->cur = m->cur == (unsigned)-1 ? 0 : m->cur + 1;
	m->cur_pos = 0;
	if (m->cur < m->nresp && m->fix_relates_to)
		fix_relates(m);
}

static wrsh_err m_recv(void *ctx, void *buf, size_t cap, size_t *got, uint32_t timeout_ms,
		       unsigned flags)
{
	struct mock_port *m = ctx;
	size_t n;
	(void)timeout_ms;
	*got = 0;
	if (!m->connected) {
		say(m, "mock: recv on a closed connection");
		return WRSH_EIO;
	}
	if ((flags & WRSH_PORT_WAKEABLE) && m->awaiting && m->wake_at == m->requests) {
		m->wake_at = MOCK_NEVER;
		return WRSH_EINTR;
	}
	arm(m);
	if (m->cur >= m->nresp)
		return WRSH_OK; /* nothing left to say: the server closes */
	if (m->delivered == m->cut_at) {
		m->cut_at = MOCK_NEVER;
		m->connected = false;
		if (m->cut_code)
			say(m, "mock: connection reset");
		return m->cut_code;
	}
	if (m->delivered == m->stall_at) {
		m->stall_at = MOCK_NEVER;
		say(m, "mock: stalled");
		return WRSH_ETIMEDOUT;
	}
	n = m->resp_len[m->cur] - m->cur_pos;
	if (n == 0) {
		if (m->resp_close[m->cur])
			return WRSH_OK;
		say(m, "mock: client reads past the response");
		return WRSH_ETIMEDOUT;
	}
	if (n > cap)
		n = cap;
	if (m->chunk && n > m->chunk)
		n = m->chunk;
	if (m->cut_at > m->delivered && n > m->cut_at - m->delivered)
		n = (size_t)(m->cut_at - m->delivered);
	if (m->stall_at > m->delivered && n > m->stall_at - m->delivered)
		n = (size_t)(m->stall_at - m->delivered);
	memcpy(buf, m->store + m->resp_off[m->cur] + m->cur_pos, n);
	if (m->corrupt_at >= m->delivered && m->corrupt_at < m->delivered + n)
		((uint8_t *)buf)[m->corrupt_at - m->delivered] ^= 0x55;
	m->cur_pos += n;
	m->delivered += n;
	*got = n;
	return WRSH_OK;
}

static void m_close(void *ctx)
{
	struct mock_port *m = ctx;
	if (m->connected)
		m->closes++;
	m->connected = false;
}

static uint64_t m_now(void *ctx)
{
	struct mock_port *m = ctx;
	return m->clock_ms += 1;
}

static wrsh_err m_random(void *ctx, void *buf, size_t len)
{
	struct mock_port *m = ctx;
	uint8_t *p = buf;
	while (len--) {
		m->rnd ^= m->rnd << 13;
		m->rnd ^= m->rnd >> 17;
		m->rnd ^= m->rnd << 5;
		*p++ = (uint8_t)m->rnd;
	}
	return WRSH_OK;
}

static uint64_t m_filetime(void *ctx)
{
	return ((struct mock_port *)ctx)->filetime;
}

void mock_init(struct mock_port *m, struct wrsh_port *port, uint8_t *store, size_t store_cap,
	       uint8_t *sent, size_t sent_cap)
{
	memset(m, 0, sizeof(*m));
	m->store = store;
	m->store_cap = store_cap;
	m->sent = sent;
	m->sent_cap = sent_cap;
	m->cur = (unsigned)-1;
	m->cut_at = m->send_cut_at = m->stall_at = m->corrupt_at = m->wake_at = MOCK_NEVER;
	m->fix_relates_to = true;
	m->rnd = 0x2545F491u;
	memset(port, 0, sizeof(*port));
	port->ctx = m;
	port->connect = m_connect;
	port->send = m_send;
	port->recv = m_recv;
	port->close = m_close;
	port->now_ms = m_now;
	port->random = m_random;
	port->filetime = m_filetime;
	port->errmsg = m_errmsg;
}

bool mock_add_raw(struct mock_port *m, const void *p, size_t n, bool close_after)
{
	if (m->nresp >= MOCK_MAX_RESPONSES || n > m->store_cap - m->store_len)
		return false;
	memcpy(m->store + m->store_len, p, n);
	m->resp_off[m->nresp] = m->store_len;
	m->resp_len[m->nresp] = n;
	m->resp_close[m->nresp] = close_after;
	m->store_len += n;
	m->nresp++;
	return true;
}

static size_t put_dec(char *out, size_t v, int base)
{
	char t[24];
	size_t i = sizeof(t), k = 0;
	do {
		t[--i] = "0123456789abcdef"[v % (size_t)base];
		v /= (size_t)base;
	} while (v);
	while (i < sizeof(t))
		out[k++] = t[i++];
	return k;
}

static bool append(struct mock_port *m, const void *p, size_t n)
{
	if (n > m->store_cap - m->store_len)
		return false;
	memcpy(m->store + m->store_len, p, n);
	m->store_len += n;
	return true;
}

static bool append_s(struct mock_port *m, const char *s)
{
	return append(m, s, strlen(s));
}

bool mock_add_http(struct mock_port *m, int status, const char *content_type, const void *body,
		   size_t n, size_t chunk)
{
	size_t start = m->store_len, off;
	char num[24];
	bool ok;
	if (m->nresp >= MOCK_MAX_RESPONSES)
		return false;
	ok = append_s(m, "HTTP/1.1 ") && append(m, num, put_dec(num, (size_t)status, 10)) &&
	     append_s(m, status == 200 ? " OK\r\n" : " Error\r\n") &&
	     append_s(m, "Server: Microsoft-HTTPAPI/2.0\r\n");
	if (ok && content_type)
		ok = append_s(m, "Content-Type: ") && append_s(m, content_type) &&
		     append_s(m, "\r\n");
	if (ok && !chunk)
		ok = append_s(m, "Content-Length: ") && append(m, num, put_dec(num, n, 10)) &&
		     append_s(m, "\r\n\r\n") && append(m, body, n);
	if (ok && chunk) {
		ok = append_s(m, "Transfer-Encoding: chunked\r\n\r\n");
		for (off = 0; ok && off < n; off += chunk) {
			size_t k = n - off < chunk ? n - off : chunk;
			ok = append(m, num, put_dec(num, k, 16)) && append_s(m, "\r\n") &&
			     append(m, (const uint8_t *)body + off, k) && append_s(m, "\r\n");
		}
		ok = ok && append_s(m, "0\r\n\r\n");
	}
	if (!ok) {
		m->store_len = start;
		return false;
	}
	m->resp_off[m->nresp] = start;
	m->resp_len[m->nresp] = m->store_len - start;
	m->resp_close[m->nresp] = false;
	m->nresp++;
	return true;
}

bool mock_request(const struct mock_port *m, unsigned n, const uint8_t **p, size_t *len)
{
	size_t end;
	if (n >= m->requests || n >= sizeof(m->req_off) / sizeof(m->req_off[0]))
		return false;
	end = n + 1 < m->requests ? m->req_off[n + 1] : m->sent_len;
	*p = m->sent + m->req_off[n];
	*len = end - m->req_off[n];
	return true;
}

void mock_clear_responses(struct mock_port *m)
{
	m->store_len = 0;
	m->nresp = 0;
	m->cur = (unsigned)-1;
	m->cur_pos = 0;
	m->sent_len = 0;
	m->requests = 0;
}
