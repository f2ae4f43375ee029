/*
 * The session: options, buffers and credentials carved from the arena, and
 * the one transaction every operation goes through (write an envelope, frame
 * it, exchange it, stream the response through expat into a consumer,
 * judge the status and any fault).
 */
#include <string.h>

#include "session.h"
#include "util/base64.h"

#define DEFAULT_TIMEOUT_MS 30000u
#define DEFAULT_OP_TIMEOUT_MS 20000u
#define CLEANUP_TIMEOUT_MS 10000u

static wrsh_err fail(struct wrsh_session *s, wrsh_err e)
{
	if (e != WRSH_OK && e != WRSH_EINTR && !s->sticky)
		s->sticky = e;
	return e;
}

/* Every public call starts here: a sticky error answers for it. */
wrsh_err sess_enter(struct wrsh_session *s)
{
	if (s->sticky)
		return s->sticky;
	err_clear(&s->err);
	return WRSH_OK;
}

wrsh_err sess_leave(struct wrsh_session *s, wrsh_err e)
{
	return fail(s, e);
}

/* -v: credentials must never reach the trace, so the Authorization line of
 * a request head is replaced. A request is traced whole, in one call. */
static void trace_bytes(void *ctx, const char *dir, const void *p, size_t n)
{
	struct wrsh_session *s = ctx;
	const char *t = p, *end = t + n, *head_end = end, *line, *q;
	if (!s->trace)
		return;
	if (*dir != '>') {
		s->trace(s->trace_ctx, dir, t, n);
		return;
	}
	for (q = t; q + 4 <= end; q++)
		if (q[0] == '\r' && q[1] == '\n' && q[2] == '\r' && q[3] == '\n') {
			head_end = q + 2;
			break;
		}
	for (line = t; line < head_end;) {
		const char *eol = memchr(line, '\n', (size_t)(head_end - line));
		eol = eol ? eol + 1 : head_end;
		if (eol - line >= 14 && str_ieq(line, 14, "authorization:"))
			s->trace(s->trace_ctx, dir, "Authorization: <redacted>\r\n", 27);
		else
			s->trace(s->trace_ctx, dir, line, (size_t)(eol - line));
		line = eol;
	}
	if (head_end < end)
		s->trace(s->trace_ctx, dir, head_end, (size_t)(end - head_end));
}

void sess_note(struct wrsh_session *s, const char *text)
{
	if (CONFIG_WRSH_TRACE && s->trace)
		s->trace(s->trace_ctx, "*", text, strlen(text));
}

/* ---- response sinks ---------------------------------------------------- */

static wrsh_err on_status(void *ctx, int status, const char *reason, size_t n)
{
	struct wrsh_session *s = ctx;
	s->status = status;
	str_copy(s->reason, sizeof(s->reason), reason, n);
	return WRSH_OK;
}

/* Remember the schemes a 401 offers, for the error message. */
static void add_offer(struct wrsh_session *s, const char *v, size_t n)
{
	size_t k = 0, len = strlen(s->offers);
	while (k < n && v[k] != ' ' && v[k] != ',')
		k++;
	if (!k || len + k + 3 > sizeof(s->offers))
		return;
	if (len)
		strcat(s->offers, ", ");
	len = strlen(s->offers);
	memcpy(s->offers + len, v, k);
	s->offers[len + k] = 0;
}

static wrsh_err on_header(void *ctx, const char *name, size_t nl, const char *v, size_t vl)
{
	struct wrsh_session *s = ctx;
	if (str_ieq(name, nl, "content-type")) {
		size_t i;
		s->body_xml = false;
		for (i = 0; i + 3 <= vl; i++)
			if (str_ieq(v + i, 3, "xml"))
				s->body_xml = true;
	} else if (str_ieq(name, nl, "www-authenticate")) {
		add_offer(s, v, vl);
	}
	return WRSH_OK;
}

static wrsh_err on_head_done(void *ctx)
{
	struct wrsh_session *s = ctx;
	bool parse = s->body_xml && (s->status == 200 || s->status == 400 || s->status == 500);
	if (!parse)
		return WRSH_OK;
	wsman_consumer(&s->env_c, &s->resp);
	s->xml_on = true;
	return xml_begin(&s->xml, s->arena, s->salt, &s->env_c, s->status == 200 ? s->op : NULL,
			 &s->err);
}

static wrsh_err on_body(void *ctx, const uint8_t *p, size_t n)
{
	struct wrsh_session *s = ctx;
	if (s->xml_on)
		return xml_push(&s->xml, p, n, false);
	/* a body nobody reads (401, 404, ...): drained, within a cap */
	s->drained += n;
	if (s->drained > CONFIG_WRSH_HTTP_MAX_DRAIN)
		return err_set(&s->err, WRSH_ELIMIT,
			       "http: error body longer than CONFIG_WRSH_HTTP_MAX_DRAIN", NULL);
	return WRSH_OK;
}

/* ---- the transaction --------------------------------------------------- */

struct sbuf *sess_body(struct wrsh_session *s)
{
	sb_init(&s->body, s->tx + s->head_max, s->tx_cap - s->head_max);
	return &s->body;
}

void sess_new_message_id(struct wrsh_session *s)
{
	uint8_t g[16];
	s->port->random(s->port->ctx, g, sizeof(g));
	guid_v4(g);
	guid_format(g, s->ws.message_id);
}

/* Frame the body written by sess_body() with an HTTP head placed right
 * before it, so the request leaves in one send. */
static wrsh_err frame(struct wrsh_session *s, bool anonymous, const uint8_t **req, size_t *len)
{
	struct http_req q;
	struct sbuf h;
	if (s->body.over)
		return err_set(&s->err, WRSH_ELIMIT,
			       "wsman: request larger than CONFIG_WRSH_TX_BUF", NULL);
	memset(&q, 0, sizeof(q));
	q.method = "POST";
	q.path = s->path;
	q.host = s->host;
	q.port = s->port_no;
	q.content_type = "application/soap+xml;charset=UTF-8";
	q.content_length = s->body.len;
	/* Windows answers an Identify without credentials when asked so */
	q.extra = anonymous ? "WSMANIDENTIFY: unauthenticated\r\n" : s->auth_hdr;
	sb_init(&h, s->tx, s->head_max);
	http_write_head(&h, &q);
	if (h.over) {
		wrsh_wipe(s->tx, s->head_max);
		return err_set(&s->err, WRSH_ELIMIT,
			       "http: request head larger than CONFIG_WRSH_HTTP_HEAD_MAX", NULL);
	}
	memmove(s->tx + s->head_max - h.len, s->tx, h.len);
	*req = (const uint8_t *)s->tx + s->head_max - h.len;
	*len = h.len + s->body.len;
	return WRSH_OK;
}

/* Turn a finished exchange into an error code, or OK. */
static wrsh_err judge(struct wrsh_session *s)
{
	char num[21];
	if (s->status == 401)
		return err_set(&s->err, WRSH_EAUTH, "http: 401 Unauthorized: the server refused ",
			       s->auth_hdr ? "the credentials" : "a request without credentials",
			       s->offers[0] ? " (it offers " : "", s->offers,
			       s->offers[0] ? ")" : "", NULL);
	if (s->xml_on && s->resp.fault)
		return wsman_fault_error(&s->resp, &s->err);
	if (s->status != 200)
		return err_set(&s->err, WRSH_EHTTP, "http: ", err_num(num, (uint64_t)s->status),
			       " ", s->reason,
			       s->status == 413 ? " (request above the server's MaxEnvelopeSizekb)"
						: "",
			       NULL);
	if (!s->xml_on)
		return err_set(&s->err, WRSH_EHTTP, "http: 200 without a SOAP body", NULL);
	return wsman_check_relates(&s->resp, &s->ws, &s->err);
}

wrsh_err sess_transact(struct wrsh_session *s, const struct xml_consumer *op, bool anonymous,
		       uint32_t wait_ms, unsigned flags)
{
	struct http_resp r;
	struct http_sink sink = {on_status, on_header, on_head_done, on_body, NULL};
	const uint8_t *req = NULL;
	size_t len = 0;
	wrsh_err e;

	if ((e = frame(s, anonymous, &req, &len)))
		return e;
	sink.ctx = s;
	s->op = op;
	s->status = 0;
	s->reason[0] = 0;
	s->offers[0] = 0;
	s->body_xml = false;
	s->xml_on = false;
	s->drained = 0;
	wsman_resp_init(&s->resp);
	http_resp_init(&r, s->line, &sink, &s->err);
	e = http_exchange(&s->conn, req, len, &r, wait_ms, flags);
	if (s->auth_hdr)
		wrsh_wipe(s->tx, s->head_max); /* the head held the credentials */
	if (s->xml_on) {
		if (!e)
			e = xml_push(&s->xml, NULL, 0, true);
		xml_end(&s->xml);
	}
	if (e)
		return e;
	return judge(s);
}

/* ---- open / close ------------------------------------------------------- */

static wrsh_err set_host(struct wrsh_session *s, const struct wrsh_opts *o)
{
	const char *h = o->host;
	size_t n;
	if (!h || !*h)
		return err_set(&s->err, WRSH_EINVAL, "open: no host", NULL);
	n = strlen(h);
	if (h[0] == '[' && n > 2 && h[n - 1] == ']')
		h++, n -= 2;
	if (n >= sizeof(s->host))
		return err_set(&s->err, WRSH_EINVAL, "open: host name too long", NULL);
	memcpy(s->host, h, n);
	s->host[n] = 0;
	s->port_no = o->port ? o->port : o->https ? 5986 : 5985;
	return WRSH_OK;
}

static wrsh_err set_url(struct wrsh_session *s, const struct wrsh_opts *o)
{
	struct sbuf b;
	const char *path = o->path ? o->path : "/wsman";
	if (path[0] != '/' || strlen(path) >= sizeof(s->path))
		return err_set(&s->err, WRSH_EINVAL, "open: path must start with / and be short",
			       NULL);
	strcpy(s->path, path);
	sb_init(&b, s->to, sizeof(s->to));
	sb_puts(&b, o->https ? "https://" : "http://");
	if (strchr(s->host, ':'))
		sb_putc(&b, '[');
	sb_puts(&b, s->host);
	if (strchr(s->host, ':'))
		sb_putc(&b, ']');
	sb_putc(&b, ':');
	sb_put_u64(&b, s->port_no);
	sb_puts(&b, s->path);
	if (b.over)
		return err_set(&s->err, WRSH_EINVAL, "open: URL too long", NULL);
	sb_cstr(&b);
	return WRSH_OK;
}

/* "Authorization: Basic base64(user:password)" kept in the arena. */
static wrsh_err set_basic(struct wrsh_session *s, const struct wrsh_opts *o)
{
	size_t ul = strlen(o->user), pl = o->password ? strlen(o->password) : 0;
	size_t raw = ul + 1 + pl, need = 23 + B64_ENC_LEN(raw) + 3;
	struct b64_enc e;
	char *h, *p;
	if (need > CONFIG_WRSH_HTTP_HEAD_MAX / 2)
		return err_set(&s->err, WRSH_EINVAL, "auth: user name and password too long", NULL);
	h = wrsh_arena_alloc(s->arena, need);
	if (!h)
		return err_set(&s->err, WRSH_ENOMEM, "open: arena exhausted", NULL);
	memcpy(h, "Authorization: Basic ", 21);
	p = h + 21;
	b64_enc_init(&e);
	p += b64_enc_push(&e, o->user, ul, p);
	p += b64_enc_push(&e, ":", 1, p);
	p += b64_enc_push(&e, o->password ? o->password : "", pl, p);
	p += b64_enc_finish(&e, p);
	memcpy(p, "\r\n", 3);
	wrsh_wipe(&e, sizeof(e));
	s->auth_hdr = h;
	s->auth_hdr_cap = need;
	return WRSH_OK;
}

static wrsh_err set_auth(struct wrsh_session *s, const struct wrsh_opts *o)
{
	switch (o->auth) {
	case WRSH_AUTH_NONE:
		return WRSH_OK;
	case WRSH_AUTH_BASIC:
		if (!CONFIG_WRSH_AUTH_BASIC)
			return err_set(&s->err, WRSH_EUNSUPPORTED, "auth: Basic is not built in",
				       NULL);
		if (!o->user || !*o->user)
			return err_set(&s->err, WRSH_EINVAL, "auth: Basic needs a user name", NULL);
		if (!s->port->secure && !o->allow_unencrypted)
			return err_set(
				&s->err, WRSH_EAUTH,
				"auth: Basic over plain HTTP would send the password and every "
				"message in clear; use HTTPS, or allow it explicitly",
				NULL);
		return set_basic(s, o);
	case WRSH_AUTH_CERTIFICATE:
		if (!s->port->secure)
			return err_set(&s->err, WRSH_EINVAL, "auth: certificates need HTTPS", NULL);
		/* MS-WSMV 2.2.9.1.2: the header that asks for the client certificate */
		s->auth_hdr =
			"Authorization: http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/"
			"https/mutual\r\n";
		return WRSH_OK;
	case WRSH_AUTH_NTLM:
	case WRSH_AUTH_NEGOTIATE:
		return err_set(&s->err, WRSH_EUNSUPPORTED,
			       "auth: NTLM and Negotiate are not built yet; use Basic over HTTPS",
			       NULL);
	}
	return err_set(&s->err, WRSH_EINVAL, "auth: unknown method", NULL);
}

static wrsh_err alloc_buffers(struct wrsh_session *s)
{
	s->head_max = CONFIG_WRSH_HTTP_HEAD_MAX;
	s->tx_cap = CONFIG_WRSH_TX_BUF + s->head_max;
	s->tx = wrsh_arena_alloc(s->arena, s->tx_cap);
	s->rx = wrsh_arena_alloc(s->arena, CONFIG_WRSH_RX_BUF);
	s->line = wrsh_arena_alloc(s->arena, CONFIG_WRSH_HTTP_MAX_LINE);
	if (!s->tx || !s->rx || !s->line)
		return err_set(&s->err, WRSH_ENOMEM, "open: arena too small for the buffers", NULL);
	return WRSH_OK;
}

static void init_conn(struct wrsh_session *s, const struct wrsh_opts *o)
{
	struct http_conn *c = &s->conn;
	c->port = s->port;
	c->host = s->host;
	c->port_no = s->port_no;
	c->timeout_ms = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	c->rx = s->rx;
	c->rx_cap = CONFIG_WRSH_RX_BUF;
	c->err = &s->err;
	if (CONFIG_WRSH_TRACE && o->trace) {
		c->trace = trace_bytes;
		c->trace_ctx = s;
	}
}

static wrsh_err init_ids(struct wrsh_session *s)
{
	uint8_t g[16];
	wrsh_err e = s->port->random(s->port->ctx, g, sizeof(g));
	if (e)
		return err_set(&s->err, e, "open: the port has no randomness", NULL);
	guid_v4(g);
	guid_format(g, s->ws.session_id);
	e = s->port->random(s->port->ctx, &s->salt, sizeof(s->salt));
	return e ? err_set(&s->err, e, "open: the port has no randomness", NULL) : WRSH_OK;
}

static void release(struct wrsh_session *s)
{
	if (s->auth_hdr && s->auth_hdr_cap) {
		wrsh_wipe(s->auth_hdr, s->auth_hdr_cap);
		wrsh_arena_free(s->arena, s->auth_hdr);
	}
	if (s->tx)
		wrsh_wipe(s->tx, s->tx_cap);
	wrsh_arena_free(s->arena, s->tx);
	wrsh_arena_free(s->arena, s->rx);
	wrsh_arena_free(s->arena, s->line);
	wrsh_arena_free(s->arena, s);
}

static wrsh_err open_steps(struct wrsh_session *s, const struct wrsh_opts *o)
{
	wrsh_err e;
	if (o->https != s->port->secure)
		return err_set(&s->err, WRSH_EINVAL,
			       o->https ? "open: https needs a TLS port"
					: "open: a TLS port needs https",
			       NULL);
	if ((e = set_host(s, o)) || (e = set_url(s, o)) || (e = alloc_buffers(s)) ||
	    (e = set_auth(s, o)) || (e = init_ids(s)))
		return e;
	s->ws.to = s->to;
	s->ws.locale = o->locale ? o->locale : "en-US";
	s->ws.max_envelope = o->max_envelope ? o->max_envelope : CONFIG_WRSH_MAX_ENVELOPE;
	s->op_ms = o->operation_timeout_ms ? o->operation_timeout_ms : DEFAULT_OP_TIMEOUT_MS;
	s->trace = CONFIG_WRSH_TRACE ? o->trace : NULL;
	s->trace_ctx = o->trace_ctx;
	init_conn(s, o);
	return WRSH_OK;
}

/* see wrsh.h */
wrsh_err wrsh_open(struct wrsh_session **out, struct wrsh_arena *a, const struct wrsh_port *port,
		   const struct wrsh_opts *o)
{
	struct wrsh_session *s;
	if (!out)
		return WRSH_EINVAL;
	*out = NULL;
	if (!a || !port || !o || !port->connect || !port->send || !port->recv || !port->close ||
	    !port->random)
		return WRSH_EINVAL;
	s = wrsh_arena_calloc(a, 1, sizeof(*s));
	if (!s)
		return WRSH_ENOMEM;
	s->arena = a;
	s->port = port;
	/* even on error the caller gets s, for wrsh_errmsg(), and closes it */
	*out = s;
	return fail(s, open_steps(s, o));
}

/* see wrsh.h */
void wrsh_close(struct wrsh_session *s)
{
	if (!s)
		return;
	if (CONFIG_WRSH_WINRS && s->shell_open) {
		uint32_t keep = s->conn.timeout_ms;
		s->sticky = WRSH_OK;
		err_clear(&s->err);
		if (s->conn.timeout_ms > CLEANUP_TIMEOUT_MS)
			s->conn.timeout_ms = CLEANUP_TIMEOUT_MS;
		(void)winrs_delete_shell(s);
		s->conn.timeout_ms = keep;
	}
	http_close(&s->conn);
	release(s);
}

/* see wrsh.h */
const char *wrsh_errmsg(const struct wrsh_session *s)
{
	return s ? s->err.msg : "";
}

/* see wrsh.h */
void wrsh_set_operation_timeout(struct wrsh_session *s, uint32_t ms)
{
	if (s)
		s->op_ms = ms ? ms : DEFAULT_OP_TIMEOUT_MS;
}

/* see wrsh.h */
void wrsh_get_stats(const struct wrsh_session *s, struct wrsh_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!s)
		return;
	st->arena_peak = wrsh_arena_peak(s->arena);
	st->arena_size = wrsh_arena_size(s->arena);
	st->requests = s->conn.requests;
	st->bytes_sent = s->conn.sent;
	st->bytes_received = s->conn.received;
}

/* ---- Identify ------------------------------------------------------------ */

/* see wrsh.h */
wrsh_err wrsh_identify(struct wrsh_session *s, bool authenticated, wrsh_prop_fn fn, void *ctx)
{
	struct wsman_identify st;
	struct xml_consumer c;
	wrsh_err e;
	if (!s)
		return WRSH_EINVAL;
	if (!CONFIG_WRSH_IDENTIFY)
		return WRSH_EUNSUPPORTED;
	if ((e = sess_enter(s)))
		return e;
	memset(&st, 0, sizeof(st));
	st.fn = fn;
	st.fn_ctx = ctx;
	wsman_identify_consumer(&c, &st);
	wsman_write_identify(sess_body(s));
	s->ws.message_id[0] = 0;
	e = sess_transact(s, &c, !(authenticated && s->auth_hdr), s->conn.timeout_ms, 0);
	if (!e && !st.seen)
		e = err_set(&s->err, WRSH_EPROTO, "wsman: the response holds no IdentifyResponse",
			    NULL);
	return sess_leave(s, e);
}
