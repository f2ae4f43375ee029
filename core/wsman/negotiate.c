/*
 * Negotiate over HTTP (RFC 4559, with the mechanism's raw tokens, which
 * WinRM accepts under the Negotiate scheme): the handshake of each new
 * connection for the session's mechanism (auth/mech.h), and the
 * credentials it needs. The context is connection-bound: a reconnect starts
 * over, and so do the sequence numbers of the sealing.
 *
 * The first token goes out on an empty POST (no anonymous probe first).
 * NTLM: the server answers 401 with its challenge; the answer to that rides
 * on the real request, already sealed. Kerberos: the server answers 200
 * with its AP-REP, and the context is established. Before either, the
 * mechanism gets what its credential lacks (Kerberos: a ticket from the
 * KDC), with the handshake's memory not yet taken.
 */
#include <string.h>

#include "crypto/crypto.h" /* MD5 of the channel bindings */
#include "wsman/session.h"
#include "util/base64.h"

#define AUTH_PREFIX "Authorization: Negotiate "

/* MS-NLMP 2.2.2.1 MsvAvChannelBindings: MD5 of a gss_channel_bindings_struct
 * (RFC 2744 3.11) with no addresses and the RFC 5929 application data. */
static bool channel_bindings(struct wrsh_session *s, uint8_t out[16])
{
	static const char label[] = "tls-server-end-point:";
	uint8_t hash[64], head[20];
	size_t n = 0;
	struct cbuf v[3];
	if (!s->port->channel_binding ||
	    s->port->channel_binding(s->port->ctx, hash, sizeof(hash), &n) || !n)
		return false;
	memset(head, 0, sizeof(head));
	head[16] = (uint8_t)(sizeof(label) - 1 + n); /* application_data length */
	v[0].p = head, v[0].n = sizeof(head);
	v[1].p = label, v[1].n = sizeof(label) - 1;
	v[2].p = hash, v[2].n = n;
	md5_v(v, 3, out);
	return true;
}

static bool offers_negotiate(const struct wrsh_session *s)
{
	const char *p;
	for (p = s->offers; *p; p++)
		if ((p == s->offers || p[-1] == ' ') &&
		    str_ieq(p, strlen(p) < 9 ? strlen(p) : 9, "negotiate"))
			return true;
	return false;
}

/* Who we are, to whom, on which channel: for every call into the mechanism. */
static void cred_of(struct wrsh_session *s, struct auth_cred *c, uint8_t cbt[16])
{
	memset(c, 0, sizeof(*c));
	c->user = s->user;
	c->domain = s->domain;
	c->local = s->local;
	c->cred = s->cred;
	c->spn = s->spn;
	c->cbt = cbt && channel_bindings(s, cbt) ? cbt : NULL;
	c->port = s->port;
	c->timeout_ms = s->conn.timeout_ms;
	c->realm = s->realm;
	c->kdc_host = s->kdc_host;
	c->kdc_port_no = s->kdc_port_no;
	c->kdc_udp = s->kdc_udp;
	c->service_realm = s->service_realm;
	c->realm_kdc = s->realm_kdc;
	c->realm_kdc_ctx = s->realm_kdc_ctx;
	c->kdc = s->kdc;
	c->ccache = s->ccache;
	c->ccache_n = s->ccache_n;
	c->keytab = s->keytab;
	c->keytab_n = s->keytab_n;
	c->ccache_out = s->ccache_out;
	c->ccache_out_cap = s->ccache_out_cap;
	c->ccache_out_len = s->ccache_out_len;
}

/* Kerberos could not be had: NTLM from now on, for the whole session (as
 * Windows' Negotiate does), its reason in the trace. */
static void fall_back(struct wrsh_session *s)
{
	sess_note(s, s->err.msg);
	sess_note(s, "Negotiate: NTLM instead of Kerberos");
	err_clear(&s->err);
	s->mech->wipe(s->mech_ctx);
	wrsh_wipe(s->cred, s->mech->cred_size);
	wrsh_arena_free(s->arena, s->cred);
	s->cred = s->fallback_cred;
	s->mech = s->fallback;
	s->fallback = NULL;
	s->fallback_cred = NULL;
}

static wrsh_err acquire(struct wrsh_session *s, struct auth_cred *c)
{
	void *w;
	wrsh_err e;
	if (!s->mech->acquire)
		return WRSH_OK;
	if (!(w = wrsh_arena_alloc(s->arena, s->mech->scratch_size)))
		return err_set(&s->err, WRSH_ENOMEM, "auth: arena exhausted", NULL);
	e = s->mech->acquire(c, w, &s->err);
	wrsh_wipe(w, s->mech->scratch_size);
	wrsh_arena_free(s->arena, w);
	if (e && s->fallback && e != WRSH_EAUTH && e != WRSH_ENOMEM && e != WRSH_EINTR) {
		fall_back(s);
		c->cred = s->cred;
		e = WRSH_OK;
	}
	return e;
}

/* The mechanism's first token; the server's answer lands in s->token. */
static wrsh_err first_leg(struct wrsh_session *s, const struct auth_cred *c, uint8_t *tok)
{
	const uint8_t *req;
	size_t n, len, cap, k = sizeof(AUTH_PREFIX) - 1;
	char *hdr;
	wrsh_err e = s->mech->start(s->mech_ctx, c, tok, &n, &s->err);
	if (e)
		return e;
	cap = sizeof(AUTH_PREFIX) + B64_ENC_LEN(n) + 3;
	if (!(hdr = wrsh_arena_alloc(s->arena, cap)))
		return err_set(&s->err, WRSH_ENOMEM, "auth: arena exhausted", NULL);
	memcpy(hdr, AUTH_PREFIX, k);
	k += b64_encode(tok, n, hdr + k);
	memcpy(hdr + k, "\r\n", 3);
	/* no body: the whole send buffer takes the head (a Kerberos ticket
	 * with its PAC is longer than the head of a request) */
	e = sess_frame(s, "application/soap+xml;charset=UTF-8", hdr, s->tx_cap, 0, &req, &len);
	wrsh_wipe(hdr, cap);
	wrsh_arena_free(s->arena, hdr); /* sess_frame copied it into the send buffer */
	if (e)
		return e;
	s->token_len = 0;
	e = sess_roundtrip(s, NULL, req, len, s->conn.timeout_ms, 0);
	if (e || (e = sess_proxy_refused(s)))
		return e;
	if (s->status == 401 && !s->token_len && offers_negotiate(s))
		/* a bare "Negotiate" again: the mechanism refused, as NTLM is
		 * where a domain policy allows Kerberos only */
		return err_set(&s->err, WRSH_EAUTH, "auth: the server refused ", s->mech->name,
			       " for ", s->spn, s->mech->refusal, NULL);
	if ((s->status != 401 && s->status != 200) || !s->token_len)
		return err_set(&s->err, WRSH_EAUTH,
			       s->status == 401 ? "auth: the server does not offer Negotiate"
			       : s->status == 200
				       ? "auth: the server accepted without proving itself (no "
				       : "auth: the server did not answer the ",
			       s->status == 401 ? "" : s->mech->name,
			       s->status == 401	  ? ""
			       : s->status == 200 ? " token back)"
						  : " negotiation",
			       s->offers[0] ? " (it offers " : "", s->offers,
			       s->offers[0] ? ")" : "", NULL);
	if (!s->conn.connected)
		return err_set(&s->err, WRSH_EAUTH,
			       "auth: the server closed the connection in the handshake", NULL);
	return WRSH_OK;
}

static wrsh_err pending_header(struct wrsh_session *s, const uint8_t *msg, size_t n)
{
	size_t cap = sizeof(AUTH_PREFIX) + B64_ENC_LEN(n) + 3, k = sizeof(AUTH_PREFIX) - 1;
	char *h = wrsh_arena_alloc(s->arena, cap);
	if (!h)
		return err_set(&s->err, WRSH_ENOMEM, "auth: arena exhausted", NULL);
	memcpy(h, AUTH_PREFIX, k);
	k += b64_encode(msg, n, h + k);
	memcpy(h + k, "\r\n", 3);
	s->pending_auth = h;
	s->pending_cap = cap;
	return WRSH_OK;
}

/* The server's token in, the mechanism's answer (if any) out. */
static wrsh_err second_leg(struct wrsh_session *s, const struct auth_cred *c, uint8_t *in,
			   uint8_t *out)
{
	void *w = NULL;
	struct b64_dec d;
	size_t cn, n = 0;
	wrsh_err e;
	if (B64_DEC_MAX(s->token_len) > s->mech->server_token_max)
		return err_set(&s->err, WRSH_ELIMIT, "auth: the server's ", s->mech->name,
			       " token is beyond its cap", NULL);
	b64_dec_init(&d);
	if (b64_dec_push(&d, s->token, s->token_len, in, &cn) || b64_dec_finish(&d))
		return err_set(&s->err, WRSH_EPROTO, "auth: the server's token is not base64",
			       NULL);
	/* decoded: the token's text is done with, and its block
	 * (CONFIG_WRSH_HTTP_MAX_LINE, 4 KB by default) can take the mechanism's
	 * scratch (NTLM's 3.7 KB) without raising the arena's high-water mark */
	wrsh_arena_free(s->arena, s->token);
	s->token = NULL;
	s->token_len = 0;
	if (s->mech->scratch_size && !(w = wrsh_arena_alloc(s->arena, s->mech->scratch_size)))
		return err_set(&s->err, WRSH_ENOMEM, "auth: arena exhausted", NULL);
	e = s->mech->step(s->mech_ctx, c, in, cn, out, &n, w, &s->err);
	if (w) {
		wrsh_wipe(w, s->mech->scratch_size);
		wrsh_arena_free(s->arena, w);
	}
	if (!e && !s->mech->ready(s->mech_ctx))
		e = err_set(&s->err, WRSH_EAUTH, "auth: ", s->mech->name,
			    " needs more than two legs", NULL);
	return e || !n ? e : pending_header(s, out, n);
}

/* The server's token, its challenge, our answer and the mechanism's
 * working memory (NTLM's 3.7 KB, in the arena rather than on the caller's
 * stack, after the token is freed) live only here: freed, their 9 KB take
 * the XML parser that comes next (sealed sessions stay under 64 KB of
 * arena). */
static wrsh_err handshake(struct wrsh_session *s)
{
	const struct auth_mech *m = s->mech;
	uint8_t *in = NULL, *out = NULL;
	struct auth_cred c;
	uint8_t cbt[16];
	wrsh_err e;
	sess_note(s, "negotiating on a new connection");
	cred_of(s, &c, NULL);
	if ((e = acquire(s, &c)) || (e = http_connect(&s->conn)))
		return e;
	cred_of(s, &c, cbt); /* connected: the channel's bindings (Kerberos sends them first) */
	s->token_len = 0;
	if (!(s->token = wrsh_arena_alloc(s->arena, CONFIG_WRSH_HTTP_MAX_LINE)) ||
	    !(out = wrsh_arena_alloc(s->arena, m->token_max)))
		e = err_set(&s->err, WRSH_ENOMEM, "auth: arena exhausted", NULL);
	else
		e = first_leg(s, &c, out);
	if (!e) {
		in = wrsh_arena_alloc(s->arena, m->server_token_max);
		if (!in)
			e = err_set(&s->err, WRSH_ENOMEM, "auth: arena exhausted", NULL);
		else
			e = second_leg(s, &c, in, out);
	}
	wrsh_wipe(&c, sizeof(c));
	if (out)
		wrsh_wipe(out, m->token_max);
	if (in)
		wrsh_wipe(in, m->server_token_max);
	wrsh_arena_free(s->arena, out);
	wrsh_arena_free(s->arena, in);
	wrsh_arena_free(s->arena, s->token);
	s->token = NULL;
	s->token_len = 0;
	if (!e)
		s->mech_epoch = s->conn.epoch;
	return e;
}

wrsh_err sess_negotiate(struct wrsh_session *s)
{
	wrsh_err e;
	if (s->conn.connected && s->mech_epoch == s->conn.epoch && s->mech->ready(s->mech_ctx))
		return WRSH_OK;
	s->mech->wipe(s->mech_ctx);
	e = handshake(s);
	if (e == WRSH_ECLOSED && s->conn.retryable) { /* an idle connection went away */
		err_clear(&s->err);
		s->mech->wipe(s->mech_ctx);
		e = handshake(s);
	}
	if (e)
		s->mech->wipe(s->mech_ctx);
	return e;
}

void sess_auth_done(struct wrsh_session *s)
{
	if (!s->pending_auth)
		return;
	wrsh_wipe(s->pending_auth, s->pending_cap);
	wrsh_arena_free(s->arena, s->pending_auth);
	s->pending_auth = NULL;
}

wrsh_err sess_mech_setup_negotiate(struct wrsh_session *s, const struct wrsh_opts *o)
{
	const struct auth_mech *n = &auth_ntlm;
	wrsh_err e = sess_mech_setup(s, &auth_krb5, o);
	if (e || !CONFIG_WRSH_AUTH_NTLM || o->no_ntlm || o->krb5_ccache || o->krb5_keytab)
		return e;
	/* the context holds either mechanism's */
	if (n->ctx_size > auth_krb5.ctx_size) {
		wrsh_arena_free(s->arena, s->mech_ctx);
		if (!(s->mech_ctx = wrsh_arena_calloc(s->arena, 1, n->ctx_size)))
			return err_set(&s->err, WRSH_ENOMEM, "open: arena exhausted", NULL);
	}
	if (!(s->fallback_cred = wrsh_arena_calloc(s->arena, 1, n->cred_size)))
		return err_set(&s->err, WRSH_ENOMEM, "open: arena exhausted", NULL);
	s->fallback = n;
	if (n->set_password(s->fallback_cred, o->password ? o->password : ""))
		return err_set(&s->err, WRSH_EINVAL,
			       "auth: the password is not valid UTF-8 or is too long", NULL);
	return WRSH_OK;
}

static char *keep(char **p, const char *str)
{
	char *at = *p;
	size_t n = strlen(str) + 1;
	memcpy(at, str, n);
	*p += n;
	return at;
}

/* "DOMAIN\user", ".\user", "user@domain" or "user"; the SPN, the realm and
 * the KDC; the mechanism's credential from the password (or the NT hash
 * given) and its context, in the arena. */
wrsh_err sess_mech_setup(struct wrsh_session *s, const struct auth_mech *m,
			 const struct wrsh_opts *o)
{
	const char *u = o->user ? o->user : "", *bs = strchr(u, '\\');
	const char *realm = o->realm ? o->realm : "", *kdc = o->kdc_host ? o->kdc_host : "";
	const char *srealm = o->service_realm ? o->service_realm : "";
	size_t need = 2 * strlen(u) + 2 + 6 + sizeof(s->host) + (o->spn ? strlen(o->spn) : 0) +
		      strlen(realm) + 1 + strlen(kdc) + 1 + strlen(srealm) + 1;
	char *mem = wrsh_arena_alloc(s->arena, need), *p = mem;
	s->names_mem = mem;
	if (!mem || !(s->mech_ctx = wrsh_arena_calloc(s->arena, 1, m->ctx_size)) ||
	    !(s->cred = wrsh_arena_calloc(s->arena, 1, m->cred_size)))
		return err_set(&s->err, WRSH_ENOMEM, "open: arena exhausted", NULL);
	s->mech = m;
	if (bs) {
		size_t dl = (size_t)(bs - u);
		memcpy(p, u, dl);
		p[dl] = 0;
		s->domain = p;
		p += dl + 1;
		s->local = dl == 1 && u[0] == '.';
		s->user = keep(&p, bs + 1);
	} else { /* a UPN travels whole with an empty domain */
		s->domain = keep(&p, "");
		s->user = keep(&p, u);
	}
	if (o->spn) {
		s->spn = keep(&p, o->spn);
	} else {
		s->spn = p;
		p += 5 + strlen(s->host) + 1;
		strcpy(s->spn, "HTTP/");
		strcat(s->spn, s->host);
	}
	s->realm = keep(&p, realm);
	s->kdc_host = keep(&p, kdc);
	s->kdc_port_no = o->kdc_port;
	s->kdc_udp = o->kdc_udp;
	s->service_realm = keep(&p, srealm);
	s->realm_kdc = o->realm_kdc;
	s->realm_kdc_ctx = o->realm_kdc_ctx;
	s->kdc = o->kdc_stream;
	s->ccache = o->krb5_ccache;
	s->ccache_n = o->krb5_ccache_len;
	s->keytab = o->krb5_keytab;
	s->keytab_n = o->krb5_keytab_len;
	if (o->krb5_ccache_out && o->krb5_ccache_out_len) {
		s->ccache_out = o->krb5_ccache_out;
		s->ccache_out_cap = o->krb5_ccache_out_cap;
		s->ccache_out_len = o->krb5_ccache_out_len;
		*s->ccache_out_len = 0;
	}
	if ((s->ccache && !o->password) || s->keytab)
		return WRSH_OK; /* the cache's logon, or the keytab's key: no password */
	if (o->nt_hash) {
		if (m->cred_size != 16)
			return err_set(&s->err, WRSH_EINVAL, "auth: an NT hash serves NTLM only",
				       NULL);
		memcpy(s->cred, o->nt_hash, 16);
		return WRSH_OK;
	}
	if (m->set_password(s->cred, o->password ? o->password : ""))
		return err_set(&s->err, WRSH_EINVAL,
			       "auth: the password is not valid UTF-8 or is too long", NULL);
	return WRSH_OK;
}
