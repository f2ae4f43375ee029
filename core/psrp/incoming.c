/*
 * What the server says, read: a Receive's stdout bytes as PSRP fragments,
 * messages and CLIXML (MS-PSRP 2.2.4, 3.1.5.3), dispatched message by
 * message: pool and pipeline states to the pool, host calls and the key
 * exchange's messages to their state, objects and records to the caller's
 * sink as CLIXML events.
 */
#include <string.h>

#include "crypto/crypto.h"
#include "psrp/pool.h"
#include "psrp/secure.h"
#include "util/base64.h"
#include "util/bytes.h"
#include "winrs/shell.h"

/* ---- incoming: fragments -> messages -> CLIXML -> states or the sink ---- */

static enum wrsh_ps_stream stream_of(uint32_t type)
{
	switch (type) {
	case PSRP_ERROR_RECORD:
		return WRSH_PS_ERROR;
	case PSRP_WARNING_RECORD:
		return WRSH_PS_WARNING;
	case PSRP_VERBOSE_RECORD:
		return WRSH_PS_VERBOSE;
	case PSRP_DEBUG_RECORD:
		return WRSH_PS_DEBUG;
	case PSRP_INFORMATION_RECORD:
		return WRSH_PS_INFORMATION;
	case PSRP_PROGRESS_RECORD:
		return WRSH_PS_PROGRESS;
	case PSRP_PIPELINE_STATE:
		return WRSH_PS_STATE;
	case PSRP_PIPELINE_HOST_CALL:
		return WRSH_PS_HOST;
	default:
		return WRSH_PS_OUTPUT;
	}
}

static wrsh_err cx_open(void *ctx, const struct wrsh_ps_node *n)
{
	struct psrp_pool *p = ctx;
	if (n->depth == 3 && n->name && !strcmp(n->name, "mi"))
		p->in_mi = true;
	return p->to_user && p->user && p->user->open ? p->user->open(p->user->ctx, p->stream, n)
						      : WRSH_OK;
}

/* A host call's id (ci) and method (mi: an enum, its number and name). */
static wrsh_err host_call_text(struct psrp_pool *p, const struct wrsh_ps_node *n, const char *s,
			       size_t len, bool last)
{
	bool ci = n->depth == 3 && n->name && !strcmp(n->name, "ci");
	bool mi = n->depth == 4 && p->in_mi && !strcmp(n->tag, "I32");
	if (n->depth == 4 && p->in_mi && !strcmp(n->tag, "ToString")) {
		size_t k = sizeof(p->hc_name) - 1 - p->hc_name_n;
		k = len < k ? len : k;
		memcpy(p->hc_name + p->hc_name_n, s, k);
		p->hc_name_n += k;
		p->hc_name[p->hc_name_n] = 0;
		return WRSH_OK;
	}
	if (!ci && !mi)
		return WRSH_OK;
	if (len > sizeof(p->num) - 1 - p->num_n)
		return err_set(p->err, WRSH_EPSRP, "psrp: a host call id out of range", NULL);
	memcpy(p->num + p->num_n, s, len);
	p->num_n += len;
	if (last) {
		bool neg = p->num_n && p->num[0] == '-';
		uint64_t v;
		if (str_to_u64(p->num + neg, p->num_n - neg, INT32_MAX, &v))
			return err_set(p->err, WRSH_EPSRP,
				       "psrp: a host call id that is not a number", NULL);
		if (ci)
			p->hc_ci = neg ? -(int64_t)v : (int64_t)v;
		else
			p->hc_method = (int)v;
		p->num_n = 0;
	}
	return WRSH_OK;
}

/* The server's protocolversion ("2.3") as 203: what it may be sent. */
static wrsh_err capability_text(struct psrp_pool *p, const struct wrsh_ps_node *n, const char *s,
				size_t len, bool last)
{
	unsigned part[2] = {0, 0}, k = 0;
	size_t i;
	if (n->depth != 3 || !n->name || strcmp(n->name, "protocolversion"))
		return WRSH_OK;
	if (len > sizeof(p->num) - 1 - p->num_n)
		return err_set(p->err, WRSH_EPSRP, "psrp: a protocolversion out of range", NULL);
	memcpy(p->num + p->num_n, s, len);
	p->num_n += len;
	if (!last)
		return WRSH_OK;
	for (i = 0; i < p->num_n && !(p->num[i] == '.' && k); i++) {
		if (p->num[i] == '.')
			k = 1;
		else if (p->num[i] >= '0' && p->num[i] <= '9' && part[k] < 100)
			part[k] = part[k] * 10 + (unsigned)(p->num[i] - '0');
		else
			return err_set(p->err, WRSH_EPSRP,
				       "psrp: a protocolversion that is not a version", NULL);
	}
	p->num_n = 0;
	p->server_version = part[0] * 100 + part[1];
	return WRSH_OK;
}

/* RunspaceState / PipelineState: an I32 property of the message's object */
static wrsh_err cx_text(void *ctx, const struct wrsh_ps_node *n, const char *s, size_t len,
			bool last)
{
	struct psrp_pool *p = ctx;
	bool state = n->depth == 3 && n->name && !strcmp(n->tag, "I32") &&
		     (!strcmp(n->name, "RunspaceState") || !strcmp(n->name, "PipelineState"));
	wrsh_err e;
	if (p->type == PSRP_PIPELINE_HOST_CALL && (e = host_call_text(p, n, s, len, last)))
		return e;
	if (p->type == PSRP_SESSION_CAPABILITY)
		return capability_text(p, n, s, len, last);
	if (p->type == PSRP_ENCRYPTED_SESSION_KEY) {
		struct psrp_keyx *k = p->kx;
		if (n->depth != 3 || !n->name || strcmp(n->name, "EncryptedSessionKey"))
			return WRSH_OK;
		if (!k || !k->rsa)
			return err_set(p->err, WRSH_EPSRP,
				       "psrp: ENCRYPTED_SESSION_KEY, but no PUBLIC_KEY was sent",
				       NULL);
		if (len > sizeof(k->esk) - 1 - k->esk_n)
			k->over = true;
		else
			memcpy(k->esk + k->esk_n, s, len), k->esk_n += len;
		return WRSH_OK;
	}
	if (state) {
		uint64_t v;
		if (len > sizeof(p->num) - 1 - p->num_n)
			len = sizeof(p->num) - 1 - p->num_n;
		memcpy(p->num + p->num_n, s, len);
		p->num_n += len;
		if (last) {
			if (str_to_u64(p->num, p->num_n, 100, &v))
				return err_set(p->err, WRSH_EPSRP,
					       "psrp: a state that is not a number", NULL);
			p->state_read = (int)v; /* taken when the message is whole */
			p->num_n = 0;
		}
	}
	return p->to_user && p->user && p->user->text
		       ? p->user->text(p->user->ctx, p->stream, n, s, len, last)
		       : WRSH_OK;
}

static wrsh_err cx_close(void *ctx, const struct wrsh_ps_node *n)
{
	struct psrp_pool *p = ctx;
	if (n->depth == 3)
		p->in_mi = false;
	return p->to_user && p->user && p->user->close ? p->user->close(p->user->ctx, p->stream, n)
						       : WRSH_OK;
}

static const struct clixml_sink cx_sink_proto = {cx_open, cx_text, cx_close, NULL};

static bool wanted(uint32_t type)
{
	switch (type) {
	case PSRP_SESSION_CAPABILITY:
	case PSRP_RUNSPACEPOOL_STATE:
	case PSRP_PIPELINE_STATE:
	case PSRP_PIPELINE_OUTPUT:
	case PSRP_ERROR_RECORD:
	case PSRP_WARNING_RECORD:
	case PSRP_VERBOSE_RECORD:
	case PSRP_DEBUG_RECORD:
	case PSRP_INFORMATION_RECORD:
	case PSRP_PROGRESS_RECORD:
	case PSRP_PIPELINE_HOST_CALL:
	case PSRP_ENCRYPTED_SESSION_KEY:
	case PSRP_PUBLIC_KEY_REQUEST:
		return true;
	default: /* private data, availability: nothing we use */
		return false;
	}
}

int psrp_port_rng(void *ctx, unsigned char *out, size_t n)
{
	const struct wrsh_session *s = ctx;
	return s->port->random(s->port->ctx, out, n) ? -1 : 0;
}

/* ENCRYPTED_SESSION_KEY's blob, decrypted with our private key: the
 * session key; the key pair is done with (wiped and freed). */
static wrsh_err keyx_import(struct psrp_pool *p)
{
	struct psrp_keyx *k = p->kx;
	uint8_t blob[PSRP_SESSKEY_BLOB + 8], ct[PSRP_RSA_BYTES], key[PSRP_RSA_BYTES];
	struct b64_dec d;
	size_t n = 0, klen = 0;
	wrsh_err e = WRSH_OK;
	if (!k || !k->rsa)
		return err_set(p->err, WRSH_EPSRP,
			       "psrp: ENCRYPTED_SESSION_KEY, but no PUBLIC_KEY was sent", NULL);
	b64_dec_init(&d);
	if (k->over || B64_DEC_MAX(k->esk_n) > sizeof(blob) ||
	    b64_dec_push(&d, k->esk, k->esk_n, blob, &n) || b64_dec_finish(&d))
		return err_set(p->err, WRSH_EPSRP,
			       "psrp: ENCRYPTED_SESSION_KEY without a base64 key blob", NULL);
	if ((e = psrp_sesskey_parse(blob, n, ct, p->err)))
		return e;
	if (crypto_rsa_decrypt(p->s->arena, k->rsa, psrp_port_rng, p->s, ct, key, sizeof(key),
			       &klen) ||
	    klen != PSRP_SESSION_KEY)
		e = err_set(p->err, WRSH_EPSRP,
			    "psrp: ENCRYPTED_SESSION_KEY does not decrypt to an AES-256 key", NULL);
	else
		memcpy(k->key, key, PSRP_SESSION_KEY), k->have_key = true;
	wrsh_wipe(key, sizeof(key));
	crypto_rsa_free(p->s->arena, k->rsa);
	k->rsa = NULL;
	return e;
}

static wrsh_err m_begin(void *ctx, const struct psrp_msg_head *h)
{
	struct psrp_pool *p = ctx;
	wrsh_err e;
	/* a message of another pipeline taken as ours would mix two outputs */
	if ((e = psrp_msg_check_ids(h, p->ids.rpid, p->pipeline ? p->ids.pid : NULL, p->err)))
		return e;
	p->type = h->type;
	p->parse = wanted(h->type);
	if (h->type == PSRP_RUNSPACEPOOL_HOST_CALL ||
	    (h->type == PSRP_PIPELINE_HOST_CALL && !p->host_ui))
		/* we announced no host: a server that calls one anyway would
		 * wait for an answer forever */
		return err_set(p->err, WRSH_EPSRP, "psrp: a host call, but this client has no host",
			       NULL);
	if (h->type == PSRP_PIPELINE_HOST_CALL) {
		if (p->hc_pending)
			return err_set(p->err, WRSH_EPSRP,
				       "psrp: a host call before the last one was answered", NULL);
		p->hc_ci = -1;
		p->hc_method = 0;
		p->hc_name_n = 0;
		p->hc_name[0] = 0;
		p->in_mi = false;
	}
	p->to_user = p->parse && h->type != PSRP_RUNSPACEPOOL_STATE &&
		     h->type != PSRP_SESSION_CAPABILITY && h->type != PSRP_ENCRYPTED_SESSION_KEY &&
		     h->type != PSRP_PUBLIC_KEY_REQUEST;
	if (h->type == PSRP_ENCRYPTED_SESSION_KEY && p->kx)
		p->kx->esk_n = 0, p->kx->over = false;
	p->stream = stream_of(h->type);
	p->num_n = 0;
	p->state_read = 0;
	if (!p->parse)
		return WRSH_OK;
	p->cx_sink = cx_sink_proto;
	p->cx_sink.ctx = p;
	p->cx_on = true;
	return clixml_begin(&p->cx, p->s->arena, &p->cx_sink, p->err);
}

static wrsh_err m_data(void *ctx, const uint8_t *d, size_t n)
{
	struct psrp_pool *p = ctx;
	return p->cx_on ? clixml_push(&p->cx, d, n) : WRSH_OK;
}

static wrsh_err m_end(void *ctx)
{
	struct psrp_pool *p = ctx;
	wrsh_err e;
	if (!p->cx_on)
		return WRSH_OK;
	p->cx_on = false;
	if ((e = clixml_finish(&p->cx)))
		return e;
	if (p->type == PSRP_ENCRYPTED_SESSION_KEY)
		return keyx_import(p);
	if (p->type == PSRP_PUBLIC_KEY_REQUEST)
		p->key_requested = true; /* answered once this Receive is read */
	if (p->type == PSRP_RUNSPACEPOOL_STATE)
		p->pool_state = p->state_read;
	else if (p->type == PSRP_PIPELINE_STATE)
		p->pipe_state = p->state_read;
	/* ci -100: a method without an answer (the Write family) */
	if (p->type == PSRP_PIPELINE_HOST_CALL && p->hc_ci >= 0)
		p->hc_pending = true;
	if (p->to_user && p->user && p->user->object_end)
		return p->user->object_end(p->user->ctx, p->stream);
	return WRSH_OK;
}

static const struct psrp_msg_sink msg_sink_proto = {m_begin, m_data, m_end, NULL};

/* WinRS stdout bytes of a Receive: the fragment stream */
wrsh_err psrp_on_stream(void *ctx, int stream, const void *buf, size_t len)
{
	struct psrp_pool *p = ctx;
	if (stream != 1)
		return WRSH_OK;
	return psrp_defrag_push(&p->defrag, buf, len);
}

void psrp_reader_reset(struct psrp_pool *p)
{
	if (p->cx_on)
		clixml_abort(&p->cx);
	p->cx_on = false;
	p->msg_sink = msg_sink_proto;
	p->msg_sink.ctx = p;
	psrp_msg_reader_init(&p->reader, &p->msg_sink, PSRP_TO_CLIENT, p->err);
	psrp_defrag_init(&p->defrag, &p->reader.obj, p->err);
}
