/*
 * The PowerShell runspace pool and its pipeline (MS-PSRP 3.1.4, 3.1.5.3)
 * over the session's shell slot: the pool is a WinRS shell of the
 * PowerShell resource whose creationXml carries SESSION_CAPABILITY and
 * INIT_RUNSPACEPOOL; a pipeline is a Command whose Arguments carry
 * CREATE_PIPELINE; everything the server says comes back as fragments in
 * the stdout stream of Receives and is dispatched message by message:
 * states to us, objects to the caller's sink as CLIXML events.
 */
#include <string.h>

#include "crypto/crypto.h"
#include "psrp/pool.h"
#include "psrp/secure.h"
#include "util/base64.h"
#include "winrs/shell.h"
#include "util/bytes.h"

#define PSRP_NS "http://schemas.microsoft.com/powershell"
#define STOP_SIGNAL "powershell/signal/crtl_c" /* sic: the spec's and Windows' spelling */
#define MAX_BLOB (32768 - PSRP_FRAG_HEAD)      /* MS-PSRP 3.1.4.1.1's default */
/* what an envelope needs around the fragments: headers, ids, elements */
#define ENVELOPE_RESERVE 2560
#define PSRP_SEALED_MAX 8 /* secure fields in one Prompt */

/* The session key exchange (MS-PSRP 3.1.4.8), in the arena from the first
 * secure answer (or the server's PUBLIC_KEY_REQUEST) to the pool's end:
 * the RSA pair only until the session key is in, then wiped and freed. */
struct psrp_keyx {
	struct crypto_rsa *rsa;
	uint8_t key[PSRP_SESSION_KEY];
	bool have_key, over;
	char esk[B64_ENC_LEN(PSRP_SESSKEY_BLOB) + 8]; /* EncryptedSessionKey, base64 */
	size_t esk_n;
};

/* RunspacePoolState (MS-PSRP 2.2.3.4) */
enum { POOL_OPENED = 2, POOL_CLOSED = 3, POOL_BROKEN = 5 };

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
	default: /* capabilities, private data, availability: nothing we use */
		return false;
	}
}

static int port_rng(void *ctx, unsigned char *out, size_t n)
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
	if (crypto_rsa_decrypt(p->s->arena, k->rsa, port_rng, p->s, ct, key, sizeof(key), &klen) ||
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
		     h->type != PSRP_ENCRYPTED_SESSION_KEY && h->type != PSRP_PUBLIC_KEY_REQUEST;
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
static wrsh_err on_stream(void *ctx, int stream, const void *buf, size_t len)
{
	struct psrp_pool *p = ctx;
	if (stream != 1)
		return WRSH_OK;
	return psrp_defrag_push(&p->defrag, buf, len);
}

static void reader_reset(struct psrp_pool *p)
{
	if (p->cx_on)
		clixml_abort(&p->cx);
	p->cx_on = false;
	p->msg_sink = msg_sink_proto;
	p->msg_sink.ctx = p;
	psrp_msg_reader_init(&p->reader, &p->msg_sink, PSRP_TO_CLIENT, p->err);
	psrp_defrag_init(&p->defrag, &p->reader.obj, p->err);
}

/* ---- outgoing: messages as fragments, base64 in the envelope ------------ */

/* The message was written at p->out's end, after room for one fragment
 * header; a message longer than a blob gets the headers of its further
 * fragments moved in, last first. */
static wrsh_err fragment_in_place(struct psrp_pool *p, size_t start, size_t len)
{
	size_t blob = p->blob_max, nfrag = len ? (len + blob - 1) / blob : 1, i;
	uint8_t *base = (uint8_t *)p->out.p + start;
	if (p->out.len + (nfrag - 1) * PSRP_FRAG_HEAD > p->out.cap)
		return err_set(p->err, WRSH_ELIMIT,
			       "psrp: a message (input or host answer) beyond one request", NULL);
	for (i = nfrag; i-- > 0;) {
		size_t off = i * blob, k = len - off < blob ? len - off : blob;
		unsigned flags =
			(i == 0 ? PSRP_FRAG_START : 0) | (i + 1 == nfrag ? PSRP_FRAG_END : 0);
		uint8_t *dst = base + i * (PSRP_FRAG_HEAD + blob);
		memmove(dst + PSRP_FRAG_HEAD, base + PSRP_FRAG_HEAD + off, k);
		psrp_frag_head(dst, p->next_object, i, flags, (uint32_t)k);
	}
	p->out.len += (nfrag - 1) * PSRP_FRAG_HEAD;
	p->next_object++;
	return WRSH_OK;
}

/* Whole fragments from send_off that fit one request: [send_off, send_end). */
static void next_batch(struct psrp_pool *p)
{
	const uint8_t *o = (const uint8_t *)p->out.p;
	size_t end = p->send_off;
	while (end + PSRP_FRAG_HEAD <= p->out.len) {
		size_t n = PSRP_FRAG_HEAD + (size_t)get_be(o + end + 17, 4);
		if (end > p->send_off && end + n - p->send_off > p->frag_room)
			break;
		end += n;
	}
	p->send_end = end;
}

static void put_fragments(struct sbuf *b, const struct psrp_pool *p)
{
	size_t n = p->send_end - p->send_off;
	if (!b->over && B64_ENC_LEN(n) <= b->cap - b->len)
		b->len += b64_encode(p->out.p + p->send_off, n, b->p + b->len);
	else
		b->over = true;
}

enum preq_kind { P_CREATE, P_COMMAND, P_RECEIVE, P_SIGNAL, P_SEND_PR, P_SEND_IN, P_SEND_POOL };

static void pool_gone(struct wrsh_session *s, struct sess_part *part);

static struct psrp_pool *pool_of(const struct wrsh_session *s)
{
	struct sess_part *p = sess_part_of(s, pool_gone);
	return p ? SESS_STATE(p, struct psrp_pool) : NULL;
}

const struct psrp_ids *psrp_pool_ids(const struct wrsh_session *s)
{
	return pool_of(s) ? &pool_of(s)->ids : NULL;
}

static void hdr(struct wsman_hdr *h, const char *action, const struct wrsh_session *s,
		struct wsman_kv *sel)
{
	memset(h, 0, sizeof(*h));
	h->action = action;
	h->resource_uri = pool_of(s)->uri;
	h->op_timeout_ms = s->op_ms;
	if (winrs_shell(s) && winrs_shell(s)->open) {
		sel->name = "ShellId";
		sel->value = winrs_shell(s)->id;
		sel->must_comply = false;
		h->selectors = sel;
		h->nselectors = 1;
	}
}

static void write_req(struct wrsh_session *s, struct sbuf *b, void *ctx)
{
	struct psrp_pool *p = pool_of(s);
	struct winrs_parse *wp = &winrs_shell(s)->wp;
	enum preq_kind kind = *(enum preq_kind *)ctx;
	struct wsman_hdr h;
	struct wsman_kv sel, opt = {"protocolversion", PSRP_PROTOCOL_VERSION, true};
	char rpid[GUID_STR_LEN + 1];
	winrs_parse_init(wp, &s->err);
	wp->out = on_stream;
	wp->out_ctx = p;
	wp->cmd_id = kind == P_RECEIVE && p->pipeline && !p->pool_rx ? p->pid_text : NULL;
	sess_new_message_id(s);
	switch (kind) {
	case P_CREATE:
		hdr(&h, WSMAN_ACTION_CREATE, s, &sel);
		h.options = &opt;
		h.noptions = 1;
		wsman_write_begin(b, &s->ws, &h);
		psrp_guid_format(p->ids.rpid, rpid);
		sb_puts(b, "<rsp:Shell ShellId=\"");
		sb_puts(b, rpid);
		sb_puts(b, "\"><rsp:InputStreams>stdin pr</rsp:InputStreams>"
			   "<rsp:OutputStreams>stdout</rsp:OutputStreams>"
			   "<creationXml xmlns=\"" PSRP_NS "\">");
		put_fragments(b, p);
		sb_puts(b, "</creationXml></rsp:Shell>");
		break;
	case P_COMMAND:
		hdr(&h, WINRS_NS "/Command", s, &sel);
		wsman_write_begin(b, &s->ws, &h);
		sb_puts(b, "<rsp:CommandLine CommandId=\"");
		sb_puts(b, p->pid_text);
		sb_puts(b, "\"><rsp:Command></rsp:Command><rsp:Arguments>");
		put_fragments(b, p);
		sb_puts(b, "</rsp:Arguments></rsp:CommandLine>");
		break;
	case P_RECEIVE:
		hdr(&h, WINRS_NS "/Receive", s, &sel);
		opt.name = "WSMAN_CMDSHELL_OPTION_KEEPALIVE";
		opt.value = "TRUE";
		opt.must_comply = false;
		h.options = &opt;
		h.noptions = 1;
		wsman_write_begin(b, &s->ws, &h);
		sb_puts(b, "<rsp:Receive><rsp:DesiredStream");
		if (p->pipeline && !p->pool_rx) {
			sb_puts(b, " CommandId=\"");
			sb_puts(b, p->pid_text);
			sb_putc(b, '"');
		}
		sb_puts(b, ">stdout</rsp:DesiredStream></rsp:Receive>");
		break;
	case P_SEND_PR: /* prompt responses: host call answers (MS-PSRP 3.1.5.3.7) */
	case P_SEND_IN: /* what did not fit in the Command (3.1.5.3.5) */
		hdr(&h, WINRS_NS "/Send", s, &sel);
		wsman_write_begin(b, &s->ws, &h);
		sb_puts(b, kind == P_SEND_PR ? "<rsp:Send><rsp:Stream Name=\"pr\" CommandId=\""
					     : "<rsp:Send><rsp:Stream Name=\"stdin\" CommandId=\"");
		sb_puts(b, p->pid_text);
		sb_puts(b, "\">");
		put_fragments(b, p);
		sb_puts(b, "</rsp:Stream></rsp:Send>");
		break;
	case P_SEND_POOL: /* the pool's own messages (PUBLIC_KEY): no CommandId */
		hdr(&h, WINRS_NS "/Send", s, &sel);
		wsman_write_begin(b, &s->ws, &h);
		sb_puts(b, "<rsp:Send><rsp:Stream Name=\"stdin\">");
		put_fragments(b, p);
		sb_puts(b, "</rsp:Stream></rsp:Send>");
		break;
	case P_SIGNAL:
		hdr(&h, WINRS_NS "/Signal", s, &sel);
		wsman_write_begin(b, &s->ws, &h);
		sb_puts(b, "<rsp:Signal CommandId=\"");
		sb_puts(b, p->pid_text);
		sb_puts(b, "\"><rsp:Code>" STOP_SIGNAL "</rsp:Code></rsp:Signal>");
		break;
	}
	wsman_write_end(b);
}

static wrsh_err call(struct wrsh_session *s, enum preq_kind kind, uint32_t wait_ms, unsigned flags)
{
	struct xml_consumer c;
	winrs_consumer(&c, &winrs_shell(s)->wp);
	return sess_transact(s, &c, write_req, &kind, false, wait_ms, flags);
}

/* The outgoing buffer, for the length of one request. */
static wrsh_err out_begin(struct psrp_pool *p, size_t cap)
{
	char *m = wrsh_arena_alloc(p->s->arena, cap);
	if (!m)
		return err_set(p->err, WRSH_ENOMEM, "psrp: arena exhausted (outgoing message)",
			       NULL);
	sb_init(&p->out, m, cap);
	p->send_off = p->send_end = 0;
	return WRSH_OK;
}

static void out_end(struct psrp_pool *p)
{
	wrsh_arena_free(p->s->arena, p->out.p);
	memset(&p->out, 0, sizeof(p->out));
}

/* A message into the outgoing buffer, written where it will be sent. */
static wrsh_err queue(struct psrp_pool *p,
		      void (*build)(struct sbuf *, const struct psrp_ids *, const void *),
		      const void *arg)
{
	size_t start = p->out.len;
	struct sbuf m;
	if (p->out.cap - p->out.len < PSRP_FRAG_HEAD + PSRP_MSG_HEAD)
		return err_set(p->err, WRSH_ELIMIT, "psrp: outgoing buffer full", NULL);
	sb_init(&m, p->out.p + start + PSRP_FRAG_HEAD, p->out.cap - start - PSRP_FRAG_HEAD);
	build(&m, &p->ids, arg);
	if (m.over)
		return err_set(p->err, WRSH_ELIMIT,
			       "psrp: a message (input or host answer) beyond one request", NULL);
	p->out.len = start + PSRP_FRAG_HEAD + m.len;
	return fragment_in_place(p, start, m.len);
}

static void b_capability(struct sbuf *b, const struct psrp_ids *id, const void *arg)
{
	(void)arg;
	psrp_build_session_capability(b, id);
}

static void b_init(struct sbuf *b, const struct psrp_ids *id, const void *arg)
{
	(void)arg;
	psrp_build_init_runspacepool(b, id, 1, 1);
}

struct input_arg {
	const char *s;
	size_t n;
};

static void b_input(struct sbuf *b, const struct psrp_ids *id, const void *arg)
{
	const struct input_arg *a = arg;
	psrp_build_input_string(b, id, a->s, a->n);
}

static void b_end_of_input(struct sbuf *b, const struct psrp_ids *id, const void *arg)
{
	(void)arg;
	psrp_build_end_of_input(b, id);
}

struct reply_arg {
	const struct psrp_pool *p;
	const struct wrsh_ps_answer *a;
};

static void b_reply(struct sbuf *b, const struct psrp_ids *id, const void *arg)
{
	const struct reply_arg *a = arg;
	psrp_build_host_response(b, id, a->p->hc_ci, a->p->hc_method, a->p->hc_name, a->a);
}

static wrsh_err answer_key_request(struct wrsh_session *s, struct psrp_pool *p);

/* ---- the API ----------------------------------------------------------- */

static wrsh_err random_guid(struct wrsh_session *s, uint8_t g[16])
{
	if (s->port->random(s->port->ctx, g, 16))
		return err_set(&s->err, WRSH_EIO, "psrp: the port has no randomness", NULL);
	guid_v4(g); /* text order; the wire wants .NET order */
	psrp_guid_from_text_order(g, g);
	return WRSH_OK;
}

/* The pool's memory goes when its shell does (wrsh_ps_close, wrsh_close). */
static void pool_gone(struct wrsh_session *s, struct sess_part *part)
{
	struct psrp_pool *p = SESS_STATE(part, struct psrp_pool);
	if (p->cx_on)
		clixml_abort(&p->cx);
	if (p->kx) {
		crypto_rsa_free(s->arena, p->kx->rsa);
		wrsh_wipe(p->kx, sizeof(*p->kx));
		wrsh_arena_free(s->arena, p->kx);
	}
	sess_detach(s, part);
	wrsh_arena_free(s->arena, p);
}

static wrsh_err open_pool(struct wrsh_session *s)
{
	struct psrp_pool *p = pool_of(s);
	struct winrs_shell *sh = winrs_shell_new(s, p->uri);
	bool done = false;
	wrsh_err e;
	if (!sh)
		return s->err.code;
	sh->is_pool = true;
	if ((e = out_begin(p, 2048)))
		return e;
	e = queue(p, b_capability, NULL);
	if (!e)
		e = queue(p, b_init, NULL);
	if (!e) {
		next_batch(p);
		e = call(s, P_CREATE, s->conn.timeout_ms, 0);
	}
	out_end(p);
	if (e)
		return e;
	if (!sh->wp.id_seen)
		return err_set(&s->err, WRSH_EPROTO, "psrp: CreateResponse without a ShellId",
			       NULL);
	strcpy(sh->id, sh->wp.id);
	sh->open = true;
	/* the server answers with its capability, private data and the
	 * pool's state; wait for Opened */
	while (!done) {
		e = call(s, P_RECEIVE, s->op_ms + s->conn.timeout_ms, 0);
		if (e == WRSH_EFAULT && wsman_fault_is(&s->resp, "TimedOut")) {
			err_clear(&s->err);
			continue;
		}
		if (e)
			return e;
		if (p->pool_state == POOL_OPENED)
			done = true;
		else if (p->pool_state == POOL_BROKEN || p->pool_state == POOL_CLOSED)
			return err_set(&s->err, WRSH_EPSRP,
				       "psrp: the server could not open the "
				       "runspace pool",
				       NULL);
		else if (sh->wp.done)
			return err_set(&s->err, WRSH_EPSRP,
				       "psrp: the pool's shell ended before it opened", NULL);
	}
	return WRSH_OK;
}

static bool config_name_ok(const char *n)
{
	size_t i;
	for (i = 0; n[i]; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
		      (n[i] >= '0' && n[i] <= '9') || n[i] == '.' || n[i] == '_' || n[i] == '-'))
			return false;
	return i <= WRSH_PS_CONFIGURATION_MAX;
}

/* see wrsh.h */
wrsh_err wrsh_ps_open(struct wrsh_session *s)
{
	return wrsh_ps_open_configuration(s, NULL);
}

/* see wrsh.h */
wrsh_err wrsh_ps_open_configuration(struct wrsh_session *s, const char *name)
{
	struct psrp_pool *p;
	size_t body;
	wrsh_err e;
	if (!s)
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	if (!CONFIG_WRSH_PSRP)
		return err_set(&s->err, WRSH_EUNSUPPORTED, "psrp: not built in", NULL);
	if (winrs_shell(s))
		return err_set(&s->err, WRSH_ESTATE, "psrp: a shell is already open", NULL);
	if (!name || !*name)
		name = "Microsoft.PowerShell";
	if (!config_name_ok(name))
		return err_set(&s->err, WRSH_EINVAL,
			       "psrp: a session configuration is a name of up to 64 letters, "
			       "digits and ._-",
			       NULL);
	p = wrsh_arena_calloc(s->arena, 1, sizeof(*p));
	if (!p)
		return err_set(&s->err, WRSH_ENOMEM, "psrp: arena exhausted", NULL);
	strcpy(p->uri, PSRP_URI_BASE);
	strcat(p->uri, name);
	p->part.close = pool_gone;
	sess_attach(s, &p->part);
	p->s = s;
	p->err = &s->err;
	p->next_object = 1;
	/* fragments sized so that whole ones fill a request */
	body = s->body_cap < WSMAN_REQUEST_MAX ? s->body_cap : WSMAN_REQUEST_MAX;
	p->frag_room = body > ENVELOPE_RESERVE + 1024 ? (body - ENVELOPE_RESERVE) / 4 * 3 : 768;
	p->blob_max =
		p->frag_room - PSRP_FRAG_HEAD < MAX_BLOB ? p->frag_room - PSRP_FRAG_HEAD : MAX_BLOB;
	reader_reset(p);
	if ((e = random_guid(s, p->ids.rpid)))
		return sess_leave(s, e);
	e = open_pool(s);
	if (e && !(winrs_shell(s) && winrs_shell(s)->open)) { /* nothing to delete */
		if (winrs_shell(s))
			(void)winrs_delete_shell(s);
		pool_gone(s, &p->part);
	}
	return sess_leave(s, e);
}

/*
 * CREATE_PIPELINE made as it is sent, so that a script of any length costs
 * one request's buffer: the pipeline's description before the script
 * (head) and after it (tail) are written into a small stage, the script is
 * read from the caller and escaped straight into the fragment. Fragments
 * carry their own lengths (MS-PSRP 2.2.4): the message's length is never
 * needed, and a fragment is known to be the last once the tail is in it.
 */
enum { SRC_HEAD, SRC_SCRIPT, SRC_TAIL, SRC_DONE };
#define STAGE_MAX 3072 /* head and tail: about 2 KB each */

struct script_src {
	wrsh_ps_read_fn read;
	void *ctx;
	int phase;
	bool format;
	struct psrp_str_esc esc;
	struct psrp_pipe_state st;
	char stage[STAGE_MAX];
	size_t stage_len, stage_off;
	char in[512]; /* script bytes read, not yet written */
	size_t in_len, in_off;
};

static wrsh_err stage_done(struct psrp_pool *p, struct script_src *src, struct sbuf *b)
{
	if (b->over) /* our own description: a fixed size */
		return err_set(p->err, WRSH_ELIMIT,
			       "psrp: the pipeline's description beyond its stage", NULL);
	src->stage_len = b->len;
	src->stage_off = 0;
	return WRSH_OK;
}

/* The next piece of the script into in[], or the tail when it ended. */
static wrsh_err src_read(struct psrp_pool *p, struct script_src *src, struct sbuf *m)
{
	struct sbuf t;
	size_t n = 0;
	wrsh_err e = src->read(src->ctx, src->in, sizeof(src->in), &n);
	if (e)
		return err_set(p->err, e, "psrp: reading the script failed (", wrsh_strerror(e),
			       ")", NULL);
	if (n > sizeof(src->in))
		return err_set(p->err, WRSH_EINVAL,
			       "psrp: the script's reader gave more than asked", NULL);
	src->in_len = n;
	src->in_off = 0;
	if (n)
		return WRSH_OK;
	psrp_put_string_end(m, &src->esc);
	sb_init(&t, src->stage, sizeof(src->stage));
	psrp_build_create_pipeline_tail(&t, src->format, &src->st);
	src->phase = SRC_TAIL;
	return stage_done(p, src, &t);
}

/* Message bytes into m, as many as it holds; the phase moves on as each
 * part is written whole. */
static wrsh_err src_fill(struct psrp_pool *p, struct script_src *src, struct sbuf *m)
{
	wrsh_err e;
	while (src->phase != SRC_DONE && m->len < m->cap) {
		size_t room = m->cap - m->len, k;
		if (src->phase == SRC_SCRIPT) {
			if (room < PSRP_ESC_HELD + 8)
				break; /* the next fragment */
			if (src->in_off == src->in_len) {
				if ((e = src_read(p, src, m)))
					return e;
				continue;
			}
			k = (room - PSRP_ESC_HELD) / 7; /* 7 bytes a character at worst */
			k = k < src->in_len - src->in_off ? k : src->in_len - src->in_off;
			psrp_put_string_piece(m, &src->esc, src->in + src->in_off, k);
			src->in_off += k;
			continue;
		}
		k = src->stage_len - src->stage_off;
		k = k < room ? k : room;
		sb_put(m, src->stage + src->stage_off, k);
		src->stage_off += k;
		if (src->stage_off == src->stage_len)
			src->phase = src->phase == SRC_HEAD ? SRC_SCRIPT : SRC_DONE;
	}
	return m->over ? err_set(p->err, WRSH_ELIMIT, "psrp: a fragment overran its buffer", NULL)
		       : WRSH_OK;
}

/* One fragment of the message, a request's worth, into the outgoing
 * buffer; the fragment is the last when the message ended in it. */
static wrsh_err next_fragment(struct psrp_pool *p, struct script_src *src, uint64_t frag)
{
	struct sbuf m;
	wrsh_err e;
	sb_init(&m, p->out.p + PSRP_FRAG_HEAD, p->blob_max);
	if ((e = src_fill(p, src, &m)))
		return e;
	psrp_frag_head((uint8_t *)p->out.p, p->next_object, frag,
		       (frag == 0 ? PSRP_FRAG_START : 0) |
			       (src->phase == SRC_DONE ? PSRP_FRAG_END : 0),
		       (uint32_t)m.len);
	p->out.len = PSRP_FRAG_HEAD + m.len;
	p->send_off = 0;
	p->send_end = p->out.len;
	return WRSH_OK;
}

/* The Command with the first fragment, Sends on stdin with the rest
 * (MS-PSRP 3.1.5.3.5). */
static wrsh_err send_pipeline(struct wrsh_session *s, struct psrp_pool *p, struct script_src *src)
{
	enum preq_kind kind = P_COMMAND;
	uint64_t frag = 0;
	wrsh_err e;
	do {
		if ((e = next_fragment(p, src, frag++)))
			return e;
		if ((e = call(s, kind, s->conn.timeout_ms, 0)))
			return e;
		kind = P_SEND_IN;
	} while (src->phase != SRC_DONE);
	return WRSH_OK;
}

static wrsh_err start_pipeline(struct wrsh_session *s, struct psrp_pool *p, struct script_src *src,
			       unsigned flags)
{
	struct sbuf t;
	wrsh_err e;
	if ((e = random_guid(s, p->ids.pid)))
		return e;
	psrp_guid_format(p->ids.pid, p->pid_text);
	p->host_ui = flags & WRSH_PS_HOST_UI;
	p->input_open = flags & WRSH_PS_INPUT;
	p->hc_pending = false;
	src->format = flags & WRSH_PS_FORMAT;
	sb_init(&t, src->stage, sizeof(src->stage));
	psrp_build_create_pipeline_head(&t, &p->ids, p->input_open, p->host_ui, &src->st);
	if ((e = stage_done(p, src, &t)))
		return e;
	if ((e = out_begin(p, p->frag_room)))
		return e;
	p->pipeline = true; /* the Receive filter and the Command's id */
	p->pipe_state = 0;
	e = send_pipeline(s, p, src);
	p->next_object++;
	if (e) /* half sent or not at all: wrsh_close removes the pool */
		p->pipeline = false;
	out_end(p);
	return e;
}

/* see wrsh.h */
wrsh_err wrsh_ps_start_read(struct wrsh_session *s, wrsh_ps_read_fn read, void *ctx, unsigned flags)
{
	struct script_src *src;
	struct psrp_pool *p;
	wrsh_err e;
	if (!s || !read)
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	p = pool_of(s);
	if (!p || p->pipeline)
		return err_set(&s->err, WRSH_ESTATE,
			       p ? "psrp: a pipeline is still running" : "psrp: no runspace pool",
			       NULL);
	src = wrsh_arena_calloc(s->arena, 1, sizeof(*src));
	if (!src)
		return sess_leave(s, err_set(&s->err, WRSH_ENOMEM,
					     "psrp: arena exhausted (the script's stage)", NULL));
	src->read = read;
	src->ctx = ctx;
	e = start_pipeline(s, p, src, flags);
	wrsh_arena_free(s->arena, src);
	return sess_leave(s, e);
}

struct str_reader {
	const char *s;
	size_t left;
};

static wrsh_err read_string(void *ctx, char *buf, size_t cap, size_t *len)
{
	struct str_reader *r = ctx;
	*len = r->left < cap ? r->left : cap;
	memcpy(buf, r->s, *len);
	r->s += *len;
	r->left -= *len;
	return WRSH_OK;
}

/* see wrsh.h */
wrsh_err wrsh_ps_start(struct wrsh_session *s, const char *script, unsigned flags)
{
	struct str_reader r;
	if (!script)
		return WRSH_EINVAL;
	r.s = script;
	r.left = strlen(script);
	return wrsh_ps_start_read(s, read_string, &r, flags);
}

/* see wrsh.h */
wrsh_err wrsh_ps_receive(struct wrsh_session *s, const struct wrsh_ps_sink *sink, unsigned flags,
			 bool *done, enum wrsh_ps_state *state)
{
	struct psrp_pool *p;
	wrsh_err e;
	if (!s || !done || !state)
		return WRSH_EINVAL;
	*done = false;
	if ((e = sess_enter(s)))
		return e;
	p = pool_of(s);
	if (!p || !p->pipeline)
		return err_set(&s->err, WRSH_ESTATE, "psrp: no pipeline to receive from", NULL);
	p->user = sink;
	e = call(s, P_RECEIVE, s->op_ms + s->conn.timeout_ms,
		 flags & WRSH_WAKEABLE ? WRSH_PORT_WAKEABLE : 0);
	p->user = NULL;
	if (!e && (e = answer_key_request(s, p))) /* it was read whole in this Receive */
		return sess_leave(s, e);
	if (e == WRSH_EFAULT && wsman_fault_is(&s->resp, "TimedOut")) {
		err_clear(&s->err);
		return WRSH_OK;
	}
	if (e == WRSH_EINTR)
		return e;
	if (!e && (p->pipe_state == WRSH_PS_COMPLETED || p->pipe_state == WRSH_PS_FAILED ||
		   p->pipe_state == WRSH_PS_STOPPED)) {
		*done = true;
		*state = (enum wrsh_ps_state)p->pipe_state;
		p->pipeline = false;
	} else if (!e && winrs_shell(s)->wp.done) {
		e = err_set(&s->err, WRSH_EPSRP, "psrp: the pipeline ended without its state",
			    NULL);
	}
	if (e) /* a message may be half read: the stream cannot be trusted */
		reader_reset(p);
	return sess_leave(s, e);
}

/* Send what the outgoing buffer holds, as whole-fragment requests. */
static wrsh_err send_input(struct wrsh_session *s, struct psrp_pool *p)
{
	wrsh_err e = WRSH_OK;
	for (p->send_off = 0; !e && p->send_off < p->out.len; p->send_off = p->send_end) {
		next_batch(p);
		e = call(s, P_SEND_IN, s->conn.timeout_ms, 0);
	}
	p->out.len = 0;
	return e;
}

/* see wrsh.h */
wrsh_err wrsh_ps_input(struct wrsh_session *s, const char *const *items, const size_t *lens,
		       size_t n, bool end)
{
	struct psrp_pool *p;
	size_t i, cap;
	wrsh_err e = WRSH_OK;
	if (!s || (n && (!items || !lens)))
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	p = pool_of(s);
	if (!p || !p->pipeline || !p->input_open)
		return err_set(&s->err, WRSH_ESTATE, "psrp: no pipeline reading input", NULL);
	/* one request's worth at a time: messages are small, a batch goes whole */
	cap = p->frag_room;
	for (i = 0; i < n; i++)
		if (lens[i] > cap / 2 - 256) /* escaped, it could double */
			return err_set(&s->err, WRSH_ELIMIT,
				       "psrp: an input object larger than one request holds", NULL);
	if ((e = out_begin(p, cap)))
		return sess_leave(s, e);
	for (i = 0; !e && i <= n; i++) {
		struct input_arg a;
		size_t mark = p->out.len;
		if (i == n && !end)
			break;
		a.s = i < n ? items[i] : NULL;
		a.n = i < n ? lens[i] : 0;
		e = queue(p, i < n ? b_input : b_end_of_input, &a);
		if (e == WRSH_ELIMIT && mark > 0) { /* full: send, then this one again */
			err_clear(&s->err);
			p->out.len = mark;
			e = send_input(s, p);
			i--;
		}
	}
	if (!e && p->out.len)
		e = send_input(s, p);
	if (!e && end)
		p->input_open = false;
	out_end(p);
	return sess_leave(s, e);
}

static void b_public_key(struct sbuf *b, const struct psrp_ids *id, const void *arg)
{
	psrp_build_public_key(b, id, arg);
}

/* Our key pair, made now (2048-bit RSA: the costly part, about a tenth of
 * a second on a PC, seconds on a microcontroller), its public half sent in
 * PUBLIC_KEY on the pool's stdin; then the pool's Receives until the
 * server's ENCRYPTED_SESSION_KEY is in (MS-PSRP 3.1.4.8, 3.1.5.4.4). */
static wrsh_err key_exchange(struct wrsh_session *s, struct psrp_pool *p)
{
	uint8_t nbe[PSRP_RSA_BYTES], blob[PSRP_PUBKEY_BLOB];
	char b64[B64_ENC_LEN(PSRP_PUBKEY_BLOB) + 1];
	unsigned waits = 0;
	uint32_t pe = 0;
	wrsh_err e;
	if (!CONFIG_WRSH_PSRP_SECURE)
		return err_set(&s->err, WRSH_EUNSUPPORTED,
			       "psrp: secure strings are not built in (CONFIG_WRSH_PSRP_SECURE)",
			       NULL);
	if (!p->kx && !(p->kx = wrsh_arena_calloc(s->arena, 1, sizeof(*p->kx))))
		return err_set(&s->err, WRSH_ENOMEM, "psrp: arena exhausted (key exchange)", NULL);
	p->kx->have_key = false;
	crypto_rsa_free(s->arena, p->kx->rsa);
	if (crypto_rsa_generate(s->arena, port_rng, s, PSRP_RSA_BITS, &p->kx->rsa) ||
	    crypto_rsa_public(s->arena, p->kx->rsa, nbe, sizeof(nbe), &pe))
		return err_set(&s->err, WRSH_ENOMEM,
			       "psrp: no RSA key pair (arena exhausted or no randomness)", NULL);
	psrp_pubkey_blob(nbe, pe, blob);
	b64[b64_encode(blob, sizeof(blob), b64)] = 0;
	if ((e = out_begin(p, 2048)))
		return e;
	e = queue(p, b_public_key, b64);
	if (!e) {
		next_batch(p);
		e = call(s, P_SEND_POOL, s->conn.timeout_ms, 0);
	}
	out_end(p);
	p->pool_rx = true;
	while (!e && !p->kx->have_key) {
		e = call(s, P_RECEIVE, s->op_ms + s->conn.timeout_ms, 0);
		if (e == WRSH_EFAULT && wsman_fault_is(&s->resp, "TimedOut") && ++waits < 3) {
			err_clear(&s->err);
			e = WRSH_OK;
		} else if (e == WRSH_EFAULT && wsman_fault_is(&s->resp, "TimedOut")) {
			err_clear(&s->err);
			e = err_set(&s->err, WRSH_EPSRP,
				    "psrp: no ENCRYPTED_SESSION_KEY from the server", NULL);
		}
	}
	p->pool_rx = false;
	if (e)
		reader_reset(p);
	return e;
}

/* A PUBLIC_KEY_REQUEST read in the last Receive: the server wants to send
 * a secure string (MS-PSRP 3.1.5.4.5). */
static wrsh_err answer_key_request(struct wrsh_session *s, struct psrp_pool *p)
{
	if (!p->key_requested)
		return WRSH_OK;
	p->key_requested = false;
	return key_exchange(s, p);
}

/* see wrsh.h */
bool wrsh_ps_host_call(const struct wrsh_session *s, int *method, const char **name)
{
	const struct psrp_pool *p = s ? pool_of(s) : NULL;
	if (!p || !p->hc_pending)
		return false;
	if (method)
		*method = p->hc_method;
	if (name)
		*name = p->hc_name;
	return true;
}

/* see wrsh.h */
wrsh_err wrsh_ps_host_reply(struct wrsh_session *s, const char *result)
{
	struct wrsh_ps_answer a = {WRSH_PS_ANSWER_TEXT, result, 0, NULL, NULL, 0, NULL, NULL};
	if (!result)
		a.kind = WRSH_PS_ANSWER_NIL;
	return wrsh_ps_host_answer(s, &a);
}

/* What an answer may take in CLIXML, each character escaped at worst, up
 * to what one request carries (an answer goes in one Send). */
static size_t answer_room(const struct psrp_pool *p, const struct wrsh_ps_answer *a)
{
	size_t n = 2048, i;
	if (a->text)
		n += 8 * strlen(a->text);
	if (a->secret)
		n += strlen(a->secret); /* already the <SS> text */
	for (i = 0; a->kind == WRSH_PS_ANSWER_FIELDS && i < a->n; i++)
		n += 64 + 8 * ((a->names[i] ? strlen(a->names[i]) : 0) +
			       (a->values[i] ? strlen(a->values[i]) : 0));
	return n < p->frag_room ? n : p->frag_room;
}

static wrsh_err send_answer(struct wrsh_session *s, struct psrp_pool *p,
			    const struct wrsh_ps_answer *answer)
{
	struct reply_arg a = {p, answer};
	wrsh_err e;
	if ((e = out_begin(p, answer_room(p, answer))))
		return e;
	e = queue(p, b_reply, &a);
	if (!e) {
		next_batch(p);
		e = call(s, P_SEND_PR, s->conn.timeout_ms, 0);
	}
	out_end(p);
	if (!e)
		p->hc_pending = false;
	return e;
}

static bool has_secret(const struct wrsh_ps_answer *a)
{
	size_t i;
	if (a->kind == WRSH_PS_ANSWER_SECURE || a->kind == WRSH_PS_ANSWER_CREDENTIAL)
		return true;
	for (i = 0; a->kind == WRSH_PS_ANSWER_FIELDS && a->secure && i < a->n; i++)
		if (a->secure[i])
			return true;
	return false;
}

/* One secret as its <SS> text, in the arena (*out; the caller frees). */
static wrsh_err seal(struct wrsh_session *s, struct psrp_pool *p, const char *secret, char **out)
{
	size_t n = secret ? strlen(secret) : 0, wn = PSRP_SS_WORK(n), bn = PSRP_SS_B64(n);
	uint8_t *work;
	wrsh_err e;
	*out = NULL;
	if (n > CONFIG_WRSH_PSRP_SECRET_MAX)
		return err_set(&s->err, WRSH_ELIMIT,
			       "psrp: a secret longer than CONFIG_WRSH_PSRP_SECRET_MAX", NULL);
	work = wrsh_arena_alloc(s->arena, wn + bn);
	if (!work)
		return err_set(&s->err, WRSH_ENOMEM, "psrp: arena exhausted (a secure string)",
			       NULL);
	/* the plaintext's UTF-16 lives in work only, wiped by psrp_ss_encrypt */
	e = psrp_ss_encrypt(p->kx->key, secret ? secret : "", n, work, wn, (char *)work + wn, bn,
			    &s->err);
	if (e) {
		wrsh_arena_free(s->arena, work);
		return e;
	}
	memmove(work, work + wn, strlen((char *)work + wn) + 1); /* keep one block */
	*out = (char *)work;
	return WRSH_OK;
}

/* An answer carrying secrets: the session key first (the exchange if
 * there is none yet), then each secret encrypted into the copy sent. */
static wrsh_err answer_secret(struct wrsh_session *s, struct psrp_pool *p,
			      const struct wrsh_ps_answer *answer)
{
	struct wrsh_ps_answer a = *answer;
	const char **vals = NULL;
	char *sealed[PSRP_SEALED_MAX] = {NULL};
	size_t i, ns = 0;
	wrsh_err e = WRSH_OK;
	if (!CONFIG_WRSH_PSRP_SECURE)
		return err_set(&s->err, WRSH_EUNSUPPORTED,
			       "psrp: secure strings are not built in (CONFIG_WRSH_PSRP_SECURE)",
			       NULL);
	if ((!p->kx || !p->kx->have_key) && (e = key_exchange(s, p)))
		return e;
	if (a.kind == WRSH_PS_ANSWER_FIELDS) {
		vals = wrsh_arena_calloc(s->arena, a.n ? a.n : 1, sizeof(*vals));
		if (!vals)
			return err_set(&s->err, WRSH_ENOMEM, "psrp: arena exhausted", NULL);
		for (i = 0; !e && i < a.n; i++) {
			vals[i] = a.values[i];
			if (!a.secure[i])
				continue;
			if (ns == PSRP_SEALED_MAX)
				e = err_set(&s->err, WRSH_ELIMIT, "psrp: too many secure fields",
					    NULL);
			else if (!(e = seal(s, p, a.values[i], &sealed[ns])))
				vals[i] = sealed[ns++];
		}
		a.values = vals;
	} else if (!(e = seal(s, p, a.secret, &sealed[0]))) {
		a.secret = sealed[ns++];
	}
	if (!e)
		e = send_answer(s, p, &a);
	while (ns)
		wrsh_arena_free(s->arena, sealed[--ns]);
	if (vals)
		wrsh_arena_free(s->arena, vals);
	return e;
}

/* see wrsh.h */
wrsh_err wrsh_ps_host_answer(struct wrsh_session *s, const struct wrsh_ps_answer *answer)
{
	struct psrp_pool *p;
	wrsh_err e;
	if (!s || !answer ||
	    (answer->kind == WRSH_PS_ANSWER_FIELDS && answer->n &&
	     (!answer->names || !answer->values)))
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	p = pool_of(s);
	if (!p || !p->hc_pending)
		return err_set(&s->err, WRSH_ESTATE, "psrp: no host call to answer", NULL);
	if (has_secret(answer))
		return sess_leave(s, answer_secret(s, p, answer));
	return sess_leave(s, send_answer(s, p, answer));
}

/* see wrsh.h */
wrsh_err wrsh_ps_stop(struct wrsh_session *s)
{
	wrsh_err e;
	if (!s)
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	if (!pool_of(s) || !pool_of(s)->pipeline)
		return err_set(&s->err, WRSH_ESTATE, "psrp: no pipeline to stop", NULL);
	return sess_leave(s, call(s, P_SIGNAL, s->conn.timeout_ms, 0));
}

/* see wrsh.h */
wrsh_err wrsh_ps_close(struct wrsh_session *s)
{
	wrsh_err e;
	if (!s)
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	if (!pool_of(s))
		return WRSH_OK;
	e = winrs_delete_shell(s);
	pool_gone(s, &pool_of(s)->part);
	return sess_leave(s, e);
}
