/*
 * Kerberos behind the mechanism interface (auth/mech.h), as the GSS-API
 * Kerberos mechanism does it (RFC 4121) and Windows takes it under the
 * Negotiate scheme: the AP-REQ as the first token, with a subkey of ours
 * and the channel bindings in its checksum; the acceptor's AP-REP as the
 * one step (mutual authentication: the server proves it holds the
 * service's key); then wrap tokens under the acceptor's subkey, sequence
 * numbers checked on what comes back.
 */
#include <string.h>

#include "auth/krb5.h"
#include "crypto/kcrypto.h"
#include "util/utf.h"

#if KRB5_WRAP_ROOM != AUTH_WRAP_ROOM
#error "the wrap token's scratch is the room the framing leaves"
#endif

struct krb5_ctx {
	const struct wrsh_port *port; /* confounders for wrap */
	bool ready;
	struct krb5_key subkey; /* ours, in the authenticator */
	struct krb5_key key;	/* what both seal with once established */
	uint8_t flags;		/* KRB5_FLAG_ACCEPTOR_SUBKEY when key is the acceptor's */
	uint64_t send_seq, recv_seq;
	char ctime[16]; /* the authenticator's, which the AP-REP returns */
	uint32_t cusec;
};

#define TOKEN_MAX (CONFIG_WRSH_AUTH_KRB5_TICKET_MAX + 1024)
#define SERVER_TOKEN_MAX 2048 /* an AP-REP, or a KRB-ERROR with its text */

static wrsh_err set_password(void *cred, const char *password)
{
	struct krb5_cred *k = cred;
	size_t n = strlen(password);
	if (n >= sizeof(k->password) || utf8_validate(password, n))
		return WRSH_EINVAL;
	memcpy(k->password, password, n);
	k->password_n = n;
	return WRSH_OK;
}

static wrsh_err start(void *ctx, const struct auth_cred *c, uint8_t *out, size_t *out_len,
		      struct errbuf *e)
{
	static const uint8_t zeros[16];
	struct krb5_ctx *x = ctx;
	struct krb5_cred *k = c->cred;
	struct krb5_ap ap;
	struct der_w w;
	uint8_t ck[KRB5_GSS_CKSUM_LEN];
	const uint8_t *tok;
	uint32_t seq;
	int rc;
	memset(x, 0, sizeof(*x));
	x->port = c->port;
	krb5_time(krb5_now(c->port, &x->cusec), x->ctime);
	x->subkey.etype = k->session.etype, x->subkey.len = k->session.len;
	memset(&ap, 0, sizeof(ap));
	if (c->port->random(c->port->ctx, x->subkey.v, x->subkey.len) ||
	    c->port->random(c->port->ctx, &seq, sizeof(seq)) ||
	    c->port->random(c->port->ctx, ap.confounder, sizeof(ap.confounder)))
		return err_set(e, WRSH_EIO, "auth: the port has no randomness", NULL);
	/* 4.1.1: Bnd, the MD5 of the channel bindings, zeros without TLS */
	krb5_gss_cksum(c->cbt ? c->cbt : zeros,
		       KRB5_GSS_MUTUAL | KRB5_GSS_REPLAY | KRB5_GSS_SEQUENCE | KRB5_GSS_CONF |
			       KRB5_GSS_INTEG,
		       ck);
	x->send_seq = seq & 0x3fffffff; /* 4.2.3: the initiator's from its authenticator */
	ap.ticket = k->ticket, ap.ticket_n = k->ticket_n, ap.key = &k->session;
	ap.usage = 11, ap.user = k->name, ap.realm = k->realm; /* 7.5.1: AP-REQ authenticator */
	ap.ctime = x->ctime, ap.cusec = x->cusec;
	ap.cksum = ck, ap.cksum_n = sizeof(ck), ap.cksum_type = KRB5_GSS_CKSUM;
	ap.subkey = &x->subkey, ap.has_seq = 1, ap.seq = (uint32_t)x->send_seq, ap.mutual = 1;
	der_w_init(&w, out, TOKEN_MAX);
	rc = krb5_gss_ap_req(&w, &ap) || der_w_done(&w, &tok, out_len);
	wrsh_wipe(&ap, sizeof(ap));
	if (rc)
		return err_set(e, WRSH_ELIMIT, "auth: Kerberos: the AP-REQ is too long", NULL);
	memmove(out, tok, *out_len); /* the writer filled the buffer from its end */
	return WRSH_OK;
}

/* The acceptor's answer: its AP-REP, or its KRB-ERROR. */
static wrsh_err step(void *ctx, const struct auth_cred *c, uint8_t *in, size_t in_len, uint8_t *out,
		     size_t *out_len, void *scratch, struct errbuf *e)
{
	struct krb5_ctx *x = ctx;
	struct krb5_cred *k = c->cred;
	struct krb5_ap_rep r;
	struct krb5_error *ke = scratch;
	int rc;
	(void)out;
	*out_len = 0;
	if (!krb5_gss_error(in, in_len, ke)) {
		if (ke->code == KRB5_ERR_TKT_EXPIRED)
			k->ticket_n = 0; /* the next handshake fetches another */
		return krb5_error_text(e, ke, c->spn, krb5_now(c->port, NULL));
	}
	rc = krb5_gss_ap_rep(in, in_len, &k->session, x->ctime, x->cusec, &r);
	if (rc)
		return err_set(e, WRSH_EAUTH,
			       rc == -1 ? "auth: Kerberos: the server's answer is not an AP-REP"
					: "auth: Kerberos: the server did not prove it holds the "
					  "service's key (mutual authentication failed)",
			       NULL);
	/* 4.2.2: the acceptor's subkey when it sent one, else ours */
	if (r.subkey.etype) {
		x->key = r.subkey;
		x->flags = KRB5_FLAG_ACCEPTOR_SUBKEY;
	} else {
		x->key = x->subkey;
	}
	x->recv_seq = r.has_seq ? r.seq : 0;
	x->ready = true;
	wrsh_wipe(&r, sizeof(r));
	return WRSH_OK;
}

static bool ready(const void *ctx)
{
	return ((const struct krb5_ctx *)ctx)->ready;
}

static wrsh_err wrap(void *ctx, uint8_t *msg, size_t len, uint8_t *sig)
{
	struct krb5_ctx *x = ctx;
	uint8_t conf[16];
	int rc;
	if (x->port->random(x->port->ctx, conf, sizeof(conf)))
		return WRSH_EIO;
	rc = krb5_wrap(&x->key, KRB5_USAGE_INITIATOR_SEAL, x->flags, x->send_seq++, conf,
		       msg - KRB5_WRAP_ROOM, len, sig);
	wrsh_wipe(conf, sizeof(conf));
	return rc ? WRSH_EINVAL : WRSH_OK;
}

static wrsh_err unwrap(void *ctx, uint8_t *buf, size_t sig_len, size_t n, size_t *off, size_t *len)
{
	struct krb5_ctx *x = ctx;
	uint64_t seq;
	uint8_t flags;
	int rc = krb5_unwrap(&x->key, KRB5_USAGE_ACCEPTOR_SEAL, buf, sig_len, n, off, len, &seq,
			     &flags);
	if (rc)
		return rc == -1 ? WRSH_EPROTO : WRSH_EINTEGRITY;
	/* 4.2.2: sent by the acceptor, sealed; in order (4.2.6.2 replay and
	 * sequence detection, which the AP-REQ asked for) */
	if (!(flags & KRB5_FLAG_SENT_BY_ACCEPTOR) || !(flags & KRB5_FLAG_SEALED) ||
	    seq != x->recv_seq)
		return WRSH_EINTEGRITY;
	x->recv_seq++;
	return WRSH_OK;
}

static void wipe(void *ctx)
{
	wrsh_wipe(ctx, sizeof(struct krb5_ctx));
}

const struct auth_mech auth_krb5 = {
	.name = "Kerberos",
	/* the KDC issued the ticket, so the service's key or the channel: */
	.refusal = " (a channel binding that differs, or an account without WinRM access?)",
	.cred_size = sizeof(struct krb5_cred),
	.ctx_size = sizeof(struct krb5_ctx),
	.token_max = TOKEN_MAX,
	.server_token_max = SERVER_TOKEN_MAX,
	.sig_len = KRB5_WRAP_SIG,
	.scratch_size = sizeof(struct krb5_scratch),
	.set_password = set_password,
	.acquire = krb5_acquire,
	.start = start,
	.step = step,
	.ready = ready,
	.wrap = wrap,
	.unwrap = unwrap,
	.wipe = wipe,
};
