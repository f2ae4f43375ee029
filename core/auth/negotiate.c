/*
 * Negotiate over HTTP (RFC 4559 with raw NTLM tokens, which WinRM accepts
 * under the Negotiate scheme): the handshake of each new connection, and
 * the credentials it needs. NTLM is connection-bound: a reconnect starts
 * over, and so do the sequence numbers of the sealing.
 *
 * The first leg goes out as an empty POST with the NEGOTIATE_MESSAGE (no
 * anonymous probe first); the server answers 401 with its challenge; the
 * AUTHENTICATE_MESSAGE rides on the real request, already sealed.
 */
#include <string.h>

#include "session.h"
#include "util/base64.h"

#define AUTH_PREFIX "Authorization: Negotiate "

/* VERSION (MS-NLMP 2.2.2.10): Windows 10, NTLMSSP revision 15 */
static const uint8_t ntlm_version[8] = {10, 0, 0x61, 0x4a, 0, 0, 0, 0x0f};

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

static wrsh_err first_leg(struct wrsh_session *s)
{
	uint8_t neg[NTLM_NEGOTIATE_LEN];
	char hdr[sizeof(AUTH_PREFIX) + B64_ENC_LEN(NTLM_NEGOTIATE_LEN) + 3];
	const uint8_t *req;
	size_t len, k = sizeof(AUTH_PREFIX) - 1;
	wrsh_err e;
	ntlm_negotiate(&s->ntlm, ntlm_version, neg);
	memcpy(hdr, AUTH_PREFIX, k);
	k += b64_encode(neg, sizeof(neg), hdr + k);
	memcpy(hdr + k, "\r\n", 3);
	if ((e = sess_frame(s, "application/soap+xml;charset=UTF-8", hdr, s->body_off, 0, &req,
			    &len)))
		return e;
	s->token_len = 0;
	e = sess_roundtrip(s, NULL, req, len, s->conn.timeout_ms, 0);
	if (e)
		return e;
	if (s->status == 401 && !s->token_len && offers_negotiate(s))
		/* a bare "Negotiate" again: NTLM refused, as where a domain
		 * policy allows Kerberos only */
		return err_set(&s->err, WRSH_EAUTH,
			       "auth: the server refused NTLM under Negotiate (Kerberos only?); "
			       "this wrsh does not speak Kerberos yet",
			       NULL);
	if (s->status != 401 || !s->token_len)
		return err_set(&s->err, WRSH_EAUTH,
			       s->status == 401 ? "auth: the server does not offer Negotiate"
						: "auth: the server did not challenge the NTLM "
						  "negotiation",
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

/* The server's challenge in, the AUTHENTICATE_MESSAGE out. */
static wrsh_err second_leg(struct wrsh_session *s, uint8_t *chal, uint8_t *out)
{
	struct ntlm_scratch *w;
	struct ntlm_input in;
	struct b64_dec d;
	uint8_t cbt[16];
	char computer[64];
	size_t cn, n;
	wrsh_err e;
	if (B64_DEC_MAX(s->token_len) > NTLM_MAX_CHALLENGE)
		return err_set(&s->err, WRSH_ELIMIT, "auth: challenge beyond NTLM_MAX_CHALLENGE",
			       NULL);
	b64_dec_init(&d);
	if (b64_dec_push(&d, s->token, s->token_len, chal, &cn) || b64_dec_finish(&d))
		return err_set(&s->err, WRSH_EPROTO, "auth: the challenge is not base64", NULL);
	/* decoded: the token's text is done with, and its block
	 * (CONFIG_WRSH_HTTP_MAX_LINE, 4 KB by default) can take NTLM's 3.7 KB
	 * scratch below without raising the arena's high-water mark */
	wrsh_arena_free(s->arena, s->token);
	s->token = NULL;
	s->token_len = 0;
	memset(&in, 0, sizeof(in));
	in.user = s->ntlm_user;
	in.domain = s->ntlm_domain;
	if (s->ntlm_local) { /* ".\user": the server's own accounts */
		if ((e = ntlm_challenge_computer(chal, cn, computer, sizeof(computer))))
			return err_set(&s->err, e, "auth: malformed challenge", NULL);
		in.domain = computer;
	}
	in.nt_hash = s->nt_hash;
	in.workstation = "";
	in.spn = s->spn;
	in.extend_av = true;
	in.cbt = channel_bindings(s, cbt) ? cbt : NULL;
	memcpy(in.version, ntlm_version, 8);
	in.filetime = s->port->filetime ? s->port->filetime(s->port->ctx) : 0;
	if (s->port->random(s->port->ctx, in.client_challenge, 8) ||
	    s->port->random(s->port->ctx, in.session_key, 16))
		return err_set(&s->err, WRSH_EIO, "auth: the port has no randomness", NULL);
	if (!(w = wrsh_arena_alloc(s->arena, sizeof(*w)))) {
		wrsh_wipe(&in, sizeof(in));
		return err_set(&s->err, WRSH_ENOMEM, "auth: arena exhausted", NULL);
	}
	e = ntlm_authenticate(&s->ntlm, w, &in, chal, cn, out, &n, &s->err);
	wrsh_arena_free(s->arena, w); /* ntlm_authenticate wiped it */
	wrsh_wipe(&in, sizeof(in));
	return e ? e : pending_header(s, out, n);
}

/* The server's token, its challenge, our answer and NTLM's working memory
 * (3.7 KB, in the arena rather than on the caller's stack, after the token
 * is freed) live only here: freed, their 9 KB take the XML parser that
 * comes next (sealed sessions stay under 64 KB of arena). */
static wrsh_err handshake(struct wrsh_session *s)
{
	uint8_t *chal = NULL, *out = NULL;
	wrsh_err e;
	sess_note(s, "negotiating NTLM on a new connection");
	s->token_len = 0;
	if (!(s->token = wrsh_arena_alloc(s->arena, CONFIG_WRSH_HTTP_MAX_LINE)))
		return err_set(&s->err, WRSH_ENOMEM, "auth: arena exhausted", NULL);
	if (!(e = first_leg(s))) {
		chal = wrsh_arena_alloc(s->arena, NTLM_MAX_CHALLENGE);
		out = wrsh_arena_alloc(s->arena, NTLM_MAX_AUTHENTICATE);
		if (!chal || !out)
			e = err_set(&s->err, WRSH_ENOMEM, "auth: arena exhausted", NULL);
		else
			e = second_leg(s, chal, out);
	}
	if (out)
		wrsh_wipe(out, NTLM_MAX_AUTHENTICATE);
	wrsh_arena_free(s->arena, out);
	wrsh_arena_free(s->arena, chal);
	wrsh_arena_free(s->arena, s->token);
	s->token = NULL;
	s->token_len = 0;
	if (!e)
		s->ntlm_epoch = s->conn.epoch;
	return e;
}

wrsh_err sess_negotiate(struct wrsh_session *s)
{
	wrsh_err e;
	if (s->conn.connected && s->ntlm_epoch == s->conn.epoch && s->ntlm.ready)
		return WRSH_OK;
	ntlm_wipe(&s->ntlm);
	e = handshake(s);
	if (e == WRSH_ECLOSED && s->conn.retryable) { /* an idle connection went away */
		err_clear(&s->err);
		ntlm_wipe(&s->ntlm);
		e = handshake(s);
	}
	if (e)
		ntlm_wipe(&s->ntlm);
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

/* "DOMAIN\user", ".\user", "user@domain" or "user"; the NT hash from the
 * password, or given. */
wrsh_err sess_ntlm_setup(struct wrsh_session *s, const struct wrsh_opts *o)
{
	const char *u = o->user, *bs = strchr(u, '\\');
	size_t ul = strlen(u);
	char *mem = wrsh_arena_alloc(s->arena, 2 * ul + 2 + 6 + sizeof(s->host));
	if (!mem)
		return err_set(&s->err, WRSH_ENOMEM, "open: arena exhausted", NULL);
	if (bs) {
		size_t dl = (size_t)(bs - u);
		memcpy(mem, u, dl);
		mem[dl] = 0;
		s->ntlm_domain = mem;
		s->ntlm_local = dl == 1 && u[0] == '.';
		s->ntlm_user = mem + dl + 1;
		strcpy(s->ntlm_user, bs + 1);
	} else { /* a UPN travels whole with an empty domain */
		mem[0] = 0;
		s->ntlm_domain = mem;
		s->ntlm_user = mem + 1;
		strcpy(s->ntlm_user, u);
	}
	s->spn = s->ntlm_user + strlen(s->ntlm_user) + 1;
	strcpy(s->spn, "HTTP/");
	strcat(s->spn, s->host);
	s->names_mem = mem;
	if (o->nt_hash) {
		memcpy(s->nt_hash, o->nt_hash, 16);
		return WRSH_OK;
	}
	if (ntlm_nt_hash(o->password ? o->password : "", s->nt_hash))
		return err_set(&s->err, WRSH_EINVAL, "auth: the password is not valid UTF-8", NULL);
	return WRSH_OK;
}
