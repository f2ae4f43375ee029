/*
 * The session: options, buffers and credentials carved from the arena,
 * sticky errors, statistics, and Identify. The transaction every operation
 * goes through lives in exchange.c.
 */
#include <string.h>

#include "wsman/crypt.h"
#include "wsman/session.h"
#include "util/base64.h"

#define DEFAULT_TIMEOUT_MS 30000u
#define DEFAULT_OP_TIMEOUT_MS 20000u
#define CLEANUP_TIMEOUT_MS 10000u

static wrsh_err fail(struct wrsh_session *s, wrsh_err e)
{
	if (e != WRSH_OK && e != WRSH_EINTR && e != WRSH_EFILE && !s->sticky)
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

void sess_note(struct wrsh_session *s, const char *text)
{
	if (CONFIG_WRSH_WSMAN_TRACE && s->trace)
		s->trace(s->trace_ctx, "*", text, strlen(text));
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

/* Kerberos can ask a KDC: one named, or one the KDC's port can look up. */
static bool kdc_reachable(const struct wrsh_opts *o)
{
	return o->kdc_stream && ((o->kdc_host && *o->kdc_host) || o->kdc_stream->resolve_srv);
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
		if (!CONFIG_WRSH_AUTH_NTLM)
			return err_set(&s->err, WRSH_EUNSUPPORTED, "auth: NTLM is not built in",
				       NULL);
		if (!o->user || !*o->user)
			return err_set(&s->err, WRSH_EINVAL, "auth: NTLM needs a user name", NULL);
		/* MS-WSMV 2.2.9.1: over HTTP the body is sealed by the mechanism's
		 * context, always; over HTTPS when asked (some hosts require it) */
		s->seal = !s->port->secure || o->seal_https;
		/* Negotiate prefers Kerberos where it can be had: a KDC or a
		 * ticket cache given (SPNEGO's choice, made by the client) */
		if (CONFIG_WRSH_AUTH_KERBEROS && o->auth == WRSH_AUTH_NEGOTIATE && !o->nt_hash &&
		    (o->krb5_ccache || kdc_reachable(o)))
			return sess_mech_setup_negotiate(s, o);
		return sess_mech_setup(s, &auth_ntlm, o);
	case WRSH_AUTH_KERBEROS:
		if (!CONFIG_WRSH_AUTH_KERBEROS)
			return err_set(&s->err, WRSH_EUNSUPPORTED, "auth: Kerberos is not built in",
				       NULL);
		if (!o->krb5_ccache && (!o->user || !*o->user))
			return err_set(&s->err, WRSH_EINVAL, "auth: Kerberos needs a user name",
				       NULL);
		if (!o->krb5_ccache && !kdc_reachable(o))
			return err_set(
				&s->err, WRSH_EINVAL,
				"auth: Kerberos needs a port to reach the KDC, and its address "
				"or the port's resolve_srv to find it",
				NULL);
		s->seal = !s->port->secure || o->seal_https;
		return sess_mech_setup(s, &auth_krb5, o);
	}
	return err_set(&s->err, WRSH_EINVAL, "auth: unknown method", NULL);
}

/* The MaxEnvelopeSize to announce. A sealed answer is held whole until its
 * signature verifies, in a buffer as large as the envelope: by default
 * CONFIG_WRSH_WSMAN_SEAL_MAX (an embedded arena's worth), larger when the caller
 * asks (fewer Receives per MiB on a slow link), never beyond the build's
 * largest envelope. Unsealed answers stream whatever their size. */
static uint32_t envelope(const struct wrsh_session *s, const struct wrsh_opts *o)
{
	uint32_t cap = CONFIG_WRSH_WSMAN_MAX_ENVELOPE > CONFIG_WRSH_WSMAN_SEAL_MAX
			       ? CONFIG_WRSH_WSMAN_MAX_ENVELOPE
			       : CONFIG_WRSH_WSMAN_SEAL_MAX;
	if (!s->seal)
		return o->max_envelope ? o->max_envelope : CONFIG_WRSH_WSMAN_MAX_ENVELOPE;
	if (!o->max_envelope)
		return CONFIG_WRSH_WSMAN_SEAL_MAX;
	return o->max_envelope < cap ? o->max_envelope : cap;
}

static wrsh_err alloc_buffers(struct wrsh_session *s, const struct wrsh_opts *o)
{
	size_t seal_in = s->ws.max_envelope + 1024; /* a sealed answer and its framing */
	s->head_max = CONFIG_WRSH_HTTP_HEAD_MAX;
	s->body_off = s->head_max + (s->seal ? CRYPT_PREFIX_MAX : 0);
	s->body_cap = o->send_buf ? o->send_buf : CONFIG_WRSH_WSMAN_TX_BUF;
	if (s->body_cap < 2048 || s->body_cap > SESS_SEND_BUF_MAX)
		return err_set(&s->err, WRSH_EINVAL, "open: a send buffer of 2 KB to 16 MB", NULL);
	s->tx_cap = s->body_off + s->body_cap + (s->seal ? CRYPT_SUFFIX_LEN : 0);
	if (s->seal && s->tx_cap < seal_in)
		s->tx_cap = seal_in;
	s->tx = wrsh_arena_alloc(s->arena, s->tx_cap);
	s->rx = wrsh_arena_alloc(s->arena, CONFIG_WRSH_WSMAN_RX_BUF);
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
	c->rx_cap = CONFIG_WRSH_WSMAN_RX_BUF;
	c->err = &s->err;
	if (CONFIG_WRSH_WSMAN_TRACE && o->trace)
		sess_trace_hook(s);
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
	sess_auth_done(s);
	if (s->mech_ctx) {
		s->mech->wipe(s->mech_ctx);
		wrsh_arena_free(s->arena, s->mech_ctx);
	}
	if (s->cred) {
		wrsh_wipe(s->cred, s->mech->cred_size);
		wrsh_arena_free(s->arena, s->cred);
	}
	if (s->fallback_cred) {
		wrsh_wipe(s->fallback_cred, s->fallback->cred_size);
		wrsh_arena_free(s->arena, s->fallback_cred);
	}
	wrsh_arena_free(s->arena, s->names_mem);
	if (s->auth_hdr && s->auth_hdr_cap) {
		wrsh_wipe(s->auth_hdr, s->auth_hdr_cap);
		wrsh_arena_free(s->arena, s->auth_hdr);
	}
	if (s->proxy_hdr) {
		wrsh_wipe(s->proxy_hdr, s->proxy_hdr_cap);
		wrsh_arena_free(s->arena, s->proxy_hdr);
	}
	if (s->tx)
		wrsh_wipe(s->tx, s->tx_cap);
	wrsh_arena_free(s->arena, s->tx);
	wrsh_arena_free(s->arena, s->rx);
	wrsh_arena_free(s->arena, s->line);
	wrsh_arena_free(s->arena, s);
}

/* The first required callback (port.h: all but filetime, errmsg and
 * channel_binding) the port lacks: refused at open, not called through
 * NULL on the first exchange. */
static const char *missing_callback(const struct wrsh_port *p)
{
	if (!p->connect)
		return "connect";
	if (!p->send)
		return "send";
	if (!p->recv)
		return "recv";
	if (!p->close)
		return "close";
	if (!p->now_ms)
		return "now_ms";
	if (!p->random)
		return "random";
	return NULL;
}

/* A forward proxy's header lines, kept (they hold its credentials). */
static wrsh_err set_proxy(struct wrsh_session *s, const struct wrsh_opts *o)
{
	size_t n = o->proxy_header ? strlen(o->proxy_header) + 1 : 0;
	s->proxy_absolute = o->proxy_absolute && !o->https;
	if (!s->proxy_absolute || n < 2)
		return WRSH_OK;
	if (n > CONFIG_WRSH_HTTP_HEAD_MAX / 2)
		return err_set(&s->err, WRSH_EINVAL, "open: proxy header too long", NULL);
	s->proxy_hdr = wrsh_arena_alloc(s->arena, n);
	if (!s->proxy_hdr)
		return err_set(&s->err, WRSH_ENOMEM, "open: arena exhausted", NULL);
	memcpy(s->proxy_hdr, o->proxy_header, n);
	s->proxy_hdr_cap = n;
	return WRSH_OK;
}

static wrsh_err open_steps(struct wrsh_session *s, const struct wrsh_opts *o)
{
	const char *cb = missing_callback(s->port);
	wrsh_err e;
	if (cb)
		return err_set(&s->err, WRSH_EINVAL, "port: no ", cb, " callback", NULL);
	if (o->https != s->port->secure)
		return err_set(&s->err, WRSH_EINVAL,
			       o->https ? "open: https needs a TLS port"
					: "open: a TLS port needs https",
			       NULL);
	if ((e = set_host(s, o)) || (e = set_url(s, o)) || (e = set_auth(s, o)) ||
	    (e = set_proxy(s, o)))
		return e;
	s->ws.max_envelope = envelope(s, o);
	if ((e = alloc_buffers(s, o)) || (e = init_ids(s)))
		return e;
	s->ws.to = s->to;
	s->ws.locale = o->locale ? o->locale : "en-US";
	s->op_ms = o->operation_timeout_ms ? o->operation_timeout_ms : DEFAULT_OP_TIMEOUT_MS;
	s->trace = CONFIG_WRSH_WSMAN_TRACE ? o->trace : NULL;
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
	if (!a || !port || !o)
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

/* Before a clean-up request, whatever went wrong: the sticky error set
 * aside and a short timeout (the server may be gone). Returns the timeout
 * to restore. */
static uint32_t for_cleanup(struct wrsh_session *s)
{
	uint32_t keep = s->conn.timeout_ms;
	s->sticky = WRSH_OK;
	err_clear(&s->err);
	if (s->conn.timeout_ms > CLEANUP_TIMEOUT_MS)
		s->conn.timeout_ms = CLEANUP_TIMEOUT_MS;
	return keep;
}

void sess_attach(struct wrsh_session *s, struct sess_part *p)
{
	p->next = s->parts;
	s->parts = p;
}

void sess_detach(struct wrsh_session *s, struct sess_part *p)
{
	struct sess_part **q;
	for (q = &s->parts; *q; q = &(*q)->next)
		if (*q == p) {
			*q = p->next;
			return;
		}
}

struct sess_part *sess_part_of(const struct wrsh_session *s, sess_close_fn close)
{
	struct sess_part *p;
	for (p = s->parts; p; p = p->next)
		if (p->close == close)
			return p;
	return NULL;
}

/* see wrsh.h */
void wrsh_close(struct wrsh_session *s)
{
	uint32_t keep;
	if (!s)
		return;
	while (s->parts) {
		struct sess_part *p = s->parts;
		keep = for_cleanup(s);
		p->close(s, p); /* detaches p (and may free it) */
		if (s->parts == p)
			s->parts = p->next;
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

static void write_identify(struct wrsh_session *s, struct sbuf *b, void *ctx)
{
	(void)ctx;
	s->ws.message_id[0] = 0; /* Identify carries no addressing headers */
	wsman_write_identify(b);
}

/* see wrsh.h */
wrsh_err wrsh_identify(struct wrsh_session *s, bool authenticated, wrsh_prop_fn fn, void *ctx)
{
	struct wsman_identify st;
	struct xml_consumer c;
	bool anon;
	wrsh_err e;
	if (!s)
		return WRSH_EINVAL;
	if (!CONFIG_WRSH_WSMAN_IDENTIFY)
		return WRSH_EUNSUPPORTED;
	if ((e = sess_enter(s)))
		return e;
	memset(&st, 0, sizeof(st));
	st.fn = fn;
	st.fn_ctx = ctx;
	wsman_identify_consumer(&c, &st);
	anon = !(authenticated && (s->auth_hdr || s->mech));
	e = sess_transact(s, &c, write_identify, NULL, anon, s->conn.timeout_ms, 0);
	if (!e && !st.seen)
		e = err_set(&s->err, WRSH_EPROTO, "wsman: the response holds no IdentifyResponse",
			    NULL);
	return sess_leave(s, e);
}
