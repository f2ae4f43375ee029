/*
 * The one transaction every operation goes through: authenticate the
 * connection if it needs it, write the envelope, seal and frame it, send
 * it, stream the response through expat into the operation's consumer (or,
 * sealed, hold it, verify it, then parse it), and judge status and faults.
 * A request that met a server-closed idle connection is rebuilt and sent
 * once more.
 */
#include <string.h>

#include "wsman/crypt.h"
#include "wsman/session.h"

/* -v: credentials must never reach the trace, so the Authorization and
 * Proxy-Authorization lines of a request head are replaced. A request is
 * traced whole, in one call. */
void sess_trace_request(struct wrsh_session *s, const char *dir, const void *p, size_t n)
{
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
		else if (eol - line >= 20 && str_ieq(line, 20, "proxy-authorization:"))
			s->trace(s->trace_ctx, dir, "Proxy-Authorization: <redacted>\r\n", 33);
		else
			s->trace(s->trace_ctx, dir, line, (size_t)(eol - line));
		line = eol;
	}
	if (head_end < end)
		s->trace(s->trace_ctx, dir, head_end, (size_t)(end - head_end));
}

static void trace_http(void *ctx, const char *dir, const void *p, size_t n)
{
	struct wrsh_session *s = ctx;
	if (!s->seal) /* sealed bytes say nothing: the plaintext is traced instead */
		sess_trace_request(s, dir, p, n);
}

void sess_trace_hook(struct wrsh_session *s)
{
	s->conn.trace = trace_http;
	s->conn.trace_ctx = s;
}

/* ---- response sinks ---------------------------------------------------- */

static wrsh_err on_status(void *ctx, int status, const char *reason, size_t n)
{
	struct wrsh_session *s = ctx;
	s->status = status;
	str_copy(s->reason, sizeof(s->reason), reason, n);
	return WRSH_OK;
}

/* Remember the schemes a 401 offers, for the error message, and the
 * Negotiate token when one comes. */
static void add_offer(struct wrsh_session *s, const char *v, size_t n)
{
	size_t k = 0, len = strlen(s->offers);
	while (k < n && v[k] != ' ' && v[k] != ',')
		k++;
	if (str_ieq(v, k, "negotiate") && k < n && s->token) {
		const char *t = v + k;
		size_t tn = n - k;
		str_trim(&t, &tn);
		s->token_len = str_copy(s->token, CONFIG_WRSH_HTTP_MAX_LINE, t, tn);
	}
	if (!k || len + k + 3 > sizeof(s->offers))
		return;
	if (len)
		strcat(s->offers, ", ");
	len = strlen(s->offers);
	memcpy(s->offers + len, v, k);
	s->offers[len + k] = 0;
}

static bool has(const char *v, size_t n, const char *what)
{
	size_t k = strlen(what), i;
	for (i = 0; i + k <= n; i++)
		if (str_ieq(v + i, k, what))
			return true;
	return false;
}

/* "text/html; charset=..." -> "text/html", printable and bounded: it
 * only names what came in an error message. */
static void keep_media(struct wrsh_session *s, const char *v, size_t vl)
{
	size_t i, k = 0;
	str_trim(&v, &vl);
	for (i = 0; i < vl && v[i] != ';' && k + 1 < sizeof(s->media); i++)
		if (v[i] > ' ' && v[i] < 0x7f)
			s->media[k++] = v[i];
	s->media[k] = 0;
}

static wrsh_err on_header(void *ctx, const char *name, size_t nl, const char *v, size_t vl)
{
	struct wrsh_session *s = ctx;
	if (str_ieq(name, nl, "content-type")) {
		keep_media(s, v, vl);
		s->body_sealed = has(v, vl, "multipart/encrypted");
		s->body_xml = !s->body_sealed && has(v, vl, "xml");
	} else if (str_ieq(name, nl, "www-authenticate")) {
		add_offer(s, v, vl);
	}
	return WRSH_OK;
}

static bool soap_status(int status)
{
	return status == 200 || status == 400 || status == 500;
}

static wrsh_err begin_xml(struct wrsh_session *s)
{
	wsman_consumer(&s->env_c, &s->resp);
	/* only a 200 feeds the operation's consumer; other answers are
	 * faults or their status */
	wsman_resp_expect(&s->resp, s->status == 200 ? s->ws.action : NULL, &s->err);
	s->xml_on = true;
	return xml_begin(&s->xml, s->arena, s->salt, &s->env_c, s->status == 200 ? s->op : NULL,
			 &s->err);
}

static wrsh_err on_head_done(void *ctx)
{
	struct wrsh_session *s = ctx;
	if (!soap_status(s->status))
		return WRSH_OK;
	if (s->seal && s->body_xml) { /* refused at its first byte, in on_body */
		s->body_clear = true;
		return WRSH_OK;
	}
	if (s->body_sealed && !s->seal)
		return err_set(&s->err, WRSH_EPROTO, "crypt: an encrypted answer nobody asked for",
			       NULL);
	if (s->relay) {
		s->relay_on = s->body_xml;
		return WRSH_OK;
	}
	return s->body_xml ? begin_xml(s) : WRSH_OK;
}

/* A server that honours the MaxEnvelopeSize every request announces never
 * sends a larger envelope; twice that leaves room for one that counts it
 * loosely, and still ends an endless or absurd body (a 1 GiB stdout element,
 * a chunked body that never ends) early instead of streaming it forever. */
#define ENVELOPE_SLACK 2

static wrsh_err on_body(void *ctx, const uint8_t *p, size_t n)
{
	struct wrsh_session *s = ctx;
	if (s->xml_on || s->relay_on) {
		s->body_len += n;
		if (s->body_len > (uint64_t)s->ws.max_envelope * ENVELOPE_SLACK) {
			char num[21];
			return err_set(
				&s->err, WRSH_ELIMIT,
				"wsman: a response larger than the MaxEnvelopeSize announced (",
				err_num(num, s->ws.max_envelope), " bytes)", NULL);
		}
		return s->relay_on ? s->relay(s->relay_ctx, p, n) : xml_push(&s->xml, p, n, false);
	}
	if (s->body_sealed && soap_status(s->status)) {
		/* held whole: its signature covers all of it (the request's
		 * MaxEnvelopeSize bounds it) */
		if (n > s->tx_cap - s->sealed_len)
			return err_set(
				&s->err, WRSH_ELIMIT,
				"crypt: sealed response larger than the MaxEnvelopeSize announced",
				NULL);
		memcpy(s->tx + s->sealed_len, p, n);
		s->sealed_len += n;
		return WRSH_OK;
	}
	/* never let a man in the middle strip the seal; an empty answer (OMI's
	 * 500 to what it has no provider for) says nothing but its status */
	if (s->body_clear && n)
		return err_set(&s->err, WRSH_EINTEGRITY,
			       "crypt: the server answered in clear on a sealed session", NULL);
	/* a body nobody reads (401, 404, ...): drained, within a cap */
	s->body_len += n;
	if (s->body_len > CONFIG_WRSH_HTTP_MAX_DRAIN)
		return err_set(&s->err, WRSH_ELIMIT,
			       "http: error body longer than CONFIG_WRSH_HTTP_MAX_DRAIN", NULL);
	return WRSH_OK;
}

/* ---- requests ----------------------------------------------------------- */

struct sbuf *sess_body(struct wrsh_session *s)
{
	sb_init(&s->body, s->tx + s->body_off, s->body_cap);
	return &s->body;
}

void sess_new_message_id(struct wrsh_session *s)
{
	uint8_t g[16];
	s->port->random(s->port->ctx, g, sizeof(g));
	guid_v4(g);
	guid_format(g, s->ws.message_id);
}

/* Put the HTTP head right before buf[off..off+len) so the request leaves in
 * one send. extra: whole header lines or NULL. */
wrsh_err sess_frame(struct wrsh_session *s, const char *content_type, const char *extra, size_t off,
		    size_t len, const uint8_t **req, size_t *req_len)
{
	struct http_req q;
	struct sbuf h;
	memset(&q, 0, sizeof(q));
	q.method = "POST";
	q.path = s->proxy_absolute ? s->to : s->path;
	q.proxy = s->proxy_hdr;
	q.host = s->host;
	q.port = s->port_no;
	q.content_type = content_type;
	q.content_length = len;
	q.extra = extra;
	sb_init(&h, s->tx, off);
	http_write_head(&h, &q);
	if (h.over) {
		wrsh_wipe(s->tx, off);
		return err_set(&s->err, WRSH_ELIMIT,
			       "http: request head larger than CONFIG_WRSH_HTTP_HEAD_MAX", NULL);
	}
	memmove(s->tx + off - h.len, s->tx, h.len);
	*req = (const uint8_t *)s->tx + off - h.len;
	*req_len = h.len + len;
	return WRSH_OK;
}

static const char *auth_header(struct wrsh_session *s, bool anonymous)
{
	if (anonymous) /* Windows answers an Identify without credentials so */
		return "WSMANIDENTIFY: unauthenticated\r\n";
	if (s->pending_auth) /* the last leg of a handshake rides on the request */
		return s->pending_auth;
	return s->mech ? NULL : s->auth_hdr;
}

static wrsh_err frame_request(struct wrsh_session *s, bool anonymous, const uint8_t **req,
			      size_t *len)
{
	size_t off = s->body_off, n = s->body.len;
	const char *ct = "application/soap+xml;charset=UTF-8";
	if (s->body.over)
		return err_set(&s->err, WRSH_ELIMIT,
			       "wsman: request larger than CONFIG_WRSH_WSMAN_TX_BUF", NULL);
	if (s->seal && !anonymous) {
		if (s->trace)
			s->trace(s->trace_ctx, ">", s->tx + off, n);
		wrsh_err e = crypt_wrap(s->mech, s->mech_ctx, (uint8_t *)s->tx, s->body_off,
					s->body.len, &off, &n);
		if (e)
			return err_set(&s->err, e, "auth: cannot seal: the port has no randomness",
				       NULL);
		ct = CRYPT_CONTENT_TYPE;
	}
	return sess_frame(s, ct, auth_header(s, anonymous), off, n, req, len);
}

/* ---- responses ---------------------------------------------------------- */

/* A status other than 200 and 401, without a fault: what came with it
 * says why ("http: 500 Internal Server Error with an empty body"). */
static wrsh_err status_error(struct wrsh_session *s)
{
	char num[21];
	const char *why = "";
	if (s->status == 413)
		why = " (request above the server's MaxEnvelopeSizekb)";
	else if (!s->body_len)
		why = " with an empty body";
	else if (!s->xml_on)
		return err_set(&s->err, WRSH_EHTTP, "http: ", err_num(num, (uint64_t)s->status),
			       s->reason[0] ? " " : "", s->reason,
			       " (not a SOAP answer: ", s->media[0] ? s->media : "no Content-Type",
			       ")", NULL);
	return err_set(&s->err, WRSH_EHTTP, "http: ", err_num(num, (uint64_t)s->status),
		       s->reason[0] ? " " : "", s->reason, why, NULL);
}

/* A forward proxy's 407 (RFC 9110 15.5.8), told from the server's 401. */
wrsh_err sess_proxy_refused(struct wrsh_session *s)
{
	if (s->status != 407 || !s->proxy_absolute)
		return WRSH_OK;
	return err_set(&s->err, WRSH_EAUTH, "proxy: 407 Proxy Authentication Required: ",
		       s->proxy_hdr ? "the proxy refused its credentials"
				    : "the proxy wants credentials",
		       NULL);
}

/* Turn a finished exchange into an error code, or OK. */
static wrsh_err judge(struct wrsh_session *s, bool anonymous)
{
	if (s->status == 401)
		return err_set(&s->err, WRSH_EAUTH, "http: 401 Unauthorized: the server refused ",
			       anonymous || (!s->auth_hdr && !s->mech)
				       ? "a request without credentials"
				       : "the credentials: wrong user or password, or an account "
					 "without WinRM access",
			       s->offers[0] ? " (it offers " : "", s->offers,
			       s->offers[0] ? ")" : "", NULL);
	if (sess_proxy_refused(s))
		return s->err.code;
	if (s->xml_on && s->resp.fault)
		return wsman_fault_error(&s->resp, &s->err);
	if (s->status != 200)
		return status_error(s);
	if (!s->xml_on)
		return err_set(&s->err, WRSH_EHTTP, "http: 200 without a SOAP body", NULL);
	if (wsman_check_action(&s->resp, &s->err))
		return s->err.code;
	return wsman_check_relates(&s->resp, &s->ws, &s->err);
}

/* A sealed answer: verified whole, then parsed. */
static wrsh_err parse_sealed(struct wrsh_session *s)
{
	size_t off, len;
	wrsh_err e = crypt_unwrap(s->mech, s->mech_ctx, (uint8_t *)s->tx, s->sealed_len, &off, &len,
				  &s->err);
	if (e)
		return e;
	if (s->trace) {
		char num[21];
		/* the number first: the order arguments are evaluated in is
		 * unspecified, and strlen(num) may run before err_num wrote it */
		const char *st = err_num(num, (uint64_t)s->status);
		s->trace(s->trace_ctx, "<", "HTTP status ", 12);
		s->trace(s->trace_ctx, "<", st, strlen(st));
		s->trace(s->trace_ctx, "<", ", sealed body:\n", 15);
		s->trace(s->trace_ctx, "<", s->tx + off, len);
	}
	s->body_len = len;
	if (s->relay)
		return s->relay(s->relay_ctx, s->tx + off, len);
	if ((e = begin_xml(s)))
		return e;
	return xml_push(&s->xml, s->tx + off, len, false);
}

static void reset_response(struct wrsh_session *s, const struct xml_consumer *op)
{
	s->op = op;
	s->status = 0;
	s->reason[0] = 0;
	s->offers[0] = 0;
	s->body_xml = s->body_sealed = s->body_clear = false;
	s->media[0] = 0;
	s->xml_on = s->relay_on = false;
	s->body_len = 0;
	s->sealed_len = 0;
	wsman_resp_init(&s->resp);
}

/* One exchange of a prepared request; the response fills the session's
 * response state (status, offers, token, fault, consumer). */
wrsh_err sess_roundtrip(struct wrsh_session *s, const struct xml_consumer *op, const uint8_t *req,
			size_t len, uint32_t wait_ms, unsigned flags)
{
	struct http_resp r;
	struct http_sink sink = {on_status, on_header, on_head_done, on_body, NULL};
	wrsh_err e;
	sink.ctx = s;
	reset_response(s, op);
	http_resp_init(&r, s->line, &sink, &s->err);
	e = http_exchange(&s->conn, req, len, &r, wait_ms, flags);
	if (!e && s->body_sealed && soap_status(s->status))
		e = parse_sealed(s);
	if (s->xml_on) {
		/* an empty body is no document: judged by its status, not as XML */
		if (!e && s->body_len)
			e = xml_push(&s->xml, NULL, 0, true);
		xml_end(&s->xml);
		s->xml_on = s->body_len > 0;
	}
	return e;
}

static wrsh_err attempt(struct wrsh_session *s, const struct xml_consumer *op, sess_writer writer,
			void *wctx, bool anonymous, uint32_t wait_ms, unsigned flags)
{
	const uint8_t *req = NULL;
	size_t len = 0;
	wrsh_err e;
	s->ws.action = NULL; /* the writer names the answer it expects */
	if (s->mech && !anonymous && (e = sess_negotiate(s)))
		return e;
	writer(s, sess_body(s), wctx);
	e = frame_request(s, anonymous, &req, &len);
	if (!e)
		e = sess_roundtrip(s, op, req, len, wait_ms, flags);
	wrsh_wipe(s->tx, s->body_off); /* the head may have held credentials */
	sess_auth_done(s);
	if (e)
		return e;
	return judge(s, anonymous);
}

wrsh_err sess_transact(struct wrsh_session *s, const struct xml_consumer *op, sess_writer writer,
		       void *wctx, bool anonymous, uint32_t wait_ms, unsigned flags)
{
	wrsh_err e = attempt(s, op, writer, wctx, anonymous, wait_ms, flags);
	if (e == WRSH_ECLOSED && s->conn.retryable) {
		sess_note(s, "the server closed the idle connection: sending again");
		err_clear(&s->err);
		e = attempt(s, op, writer, wctx, anonymous, wait_ms, flags);
	}
	return e;
}

/* ---- relaying ----------------------------------------------------------- */

struct relayed {
	const void *p;
	size_t n;
};

static void write_relayed(struct wrsh_session *s, struct sbuf *b, void *ctx)
{
	const struct relayed *r = ctx;
	(void)s;
	sb_put(b, r->p, r->n);
}

static wrsh_err relay_once(struct wrsh_session *s, struct relayed *r, uint32_t wait_ms, int *status)
{
	const uint8_t *req = NULL;
	size_t len = 0;
	wrsh_err e;
	if (s->mech && (e = sess_negotiate(s)))
		return e;
	write_relayed(s, sess_body(s), r);
	e = frame_request(s, false, &req, &len);
	if (!e)
		e = sess_roundtrip(s, NULL, req, len, wait_ms, 0);
	wrsh_wipe(s->tx, s->body_off);
	sess_auth_done(s);
	if (e)
		return e;
	if (s->status == 401)
		return judge(s, false);
	if ((e = sess_proxy_refused(s)))
		return e;
	*status = s->status;
	return soap_status(s->status) ? WRSH_OK : status_error(s);
}

/* see wrsh.h */
wrsh_err wrsh_relay(struct wrsh_session *s, const void *envelope, size_t len, uint32_t wait_ms,
		    wrsh_relay_fn body, void *ctx, int *status)
{
	struct relayed r = {envelope, len};
	wrsh_err e;
	if (!s || !envelope || !body || !status)
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	s->relay = body;
	s->relay_ctx = ctx;
	s->ws.action = NULL;
	e = relay_once(s, &r, wait_ms, status);
	if (e == WRSH_ECLOSED && s->conn.retryable) {
		sess_note(s, "the server closed the idle connection: sending again");
		err_clear(&s->err);
		e = relay_once(s, &r, wait_ms, status);
	}
	s->relay = NULL;
	if (e)
		http_close(&s->conn); /* not sticky: the next call starts afresh */
	return e;
}
