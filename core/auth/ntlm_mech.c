/*
 * NTLM behind the mechanism interface (auth/mech.h): NEGOTIATE_MESSAGE as
 * the first token, the server's CHALLENGE_MESSAGE in and the
 * AUTHENTICATE_MESSAGE out as the one step, then NTLMv2 session security
 * for wrap and unwrap.
 */
#include <string.h>

#include "auth/mech.h"
#include "auth/ntlm.h"

/* VERSION (MS-NLMP 2.2.2.10): Windows 10, NTLMSSP revision 15 */
static const uint8_t ntlm_version[8] = {10, 0, 0x61, 0x4a, 0, 0, 0, 0x0f};

static wrsh_err set_password(void *cred, const char *password)
{
	return ntlm_nt_hash(password, cred);
}

static wrsh_err start(void *ctx, const struct auth_cred *c, uint8_t *out, size_t *out_len,
		      struct errbuf *e)
{
	(void)c, (void)e;
	ntlm_negotiate(ctx, ntlm_version, out);
	*out_len = NTLM_NEGOTIATE_LEN;
	return WRSH_OK;
}

static wrsh_err step(void *ctx, const struct auth_cred *c, uint8_t *chal, size_t cn, uint8_t *out,
		     size_t *out_len, void *scratch, struct errbuf *e)
{
	struct ntlm_input in;
	char computer[64];
	wrsh_err r;
	memset(&in, 0, sizeof(in));
	in.user = c->user;
	in.domain = c->domain;
	if (c->local) { /* ".\user": the server's own accounts */
		if ((r = ntlm_challenge_computer(chal, cn, computer, sizeof(computer))))
			return err_set(e, r, "auth: malformed challenge", NULL);
		in.domain = computer;
	}
	in.nt_hash = c->cred;
	in.workstation = "";
	in.spn = c->spn;
	in.extend_av = true;
	in.cbt = c->cbt;
	memcpy(in.version, ntlm_version, 8);
	in.filetime = c->port->filetime ? c->port->filetime(c->port->ctx) : 0;
	if (c->port->random(c->port->ctx, in.client_challenge, 8) ||
	    c->port->random(c->port->ctx, in.session_key, 16))
		r = err_set(e, WRSH_EIO, "auth: the port has no randomness", NULL);
	else
		r = ntlm_authenticate(ctx, scratch, &in, chal, cn, out, out_len, e);
	wrsh_wipe(&in, sizeof(in));
	return r;
}

static bool ready(const void *ctx)
{
	return ((const struct ntlm_ctx *)ctx)->ready;
}

static wrsh_err wrap(void *ctx, uint8_t *msg, size_t len, uint8_t *sig)
{
	ntlm_seal(ctx, msg, len, sig);
	return WRSH_OK;
}

/* MS-WSMV 2.2.9.1.1.2: the 16-byte signature, then the sealed text. */
static wrsh_err unwrap(void *ctx, uint8_t *buf, size_t sig_len, size_t n, size_t *off, size_t *len)
{
	if (sig_len != NTLM_SIG_LEN)
		return WRSH_EPROTO;
	*off = sig_len;
	*len = n;
	return ntlm_unseal(ctx, buf + sig_len, n, buf);
}

static void wipe(void *ctx)
{
	ntlm_wipe(ctx);
}

const struct auth_mech auth_ntlm = {
	.name = "NTLM",
	/* where a domain policy allows Kerberos only */
	.refusal = " (Kerberos only?)",
	.cred_size = 16,
	.ctx_size = sizeof(struct ntlm_ctx),
	.token_max = NTLM_MAX_AUTHENTICATE,
	.server_token_max = NTLM_MAX_CHALLENGE,
	.sig_len = NTLM_SIG_LEN,
	.scratch_size = sizeof(struct ntlm_scratch),
	.set_password = set_password,
	.start = start,
	.step = step,
	.ready = ready,
	.wrap = wrap,
	.unwrap = unwrap,
	.wipe = wipe,
};
