/*
 * The PowerShell runspace pool and its pipeline (MS-PSRP 3.1.4, 3.1.5.3)
 * over the session's shell slot: the pool is a WinRS shell of the
 * PowerShell resource whose creationXml carries SESSION_CAPABILITY and
 * INIT_RUNSPACEPOOL; a pipeline is a Command whose Arguments carry
 * CREATE_PIPELINE; everything the server says comes back as fragments in
 * the stdout stream of Receives and is dispatched message by message:
 * states to us, objects to the caller's sink as CLIXML events. The public
 * API (wrsh_ps_*) is here; what is read is incoming.c's, what is written
 * outgoing.c's.
 */
#include <string.h>

#include "crypto/crypto.h"
#include "psrp/pool.h"
#include "psrp/secure.h"
#include "util/base64.h"
#include "winrs/shell.h"
#include "util/bytes.h"

#define MAX_BLOB (32768 - PSRP_FRAG_HEAD) /* MS-PSRP 3.1.4.1.1's default */
/* what an envelope needs around the fragments: headers, ids, elements */
#define ENVELOPE_RESERVE 2560
#define PSRP_SEALED_MAX 8 /* secure fields in one Prompt */

/* ---- the API ----------------------------------------------------------- */

static wrsh_err answer_key_request(struct wrsh_session *s, struct psrp_pool *p);

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

struct psrp_pool *psrp_pool_of(const struct wrsh_session *s)
{
	struct sess_part *p = sess_part_of(s, pool_gone);
	return p ? SESS_STATE(p, struct psrp_pool) : NULL;
}

const struct psrp_ids *psrp_pool_ids(const struct wrsh_session *s)
{
	return psrp_pool_of(s) ? &psrp_pool_of(s)->ids : NULL;
}

static wrsh_err open_pool(struct wrsh_session *s)
{
	struct psrp_pool *p = psrp_pool_of(s);
	struct winrs_shell *sh = winrs_shell_new(s, p->uri);
	bool done = false;
	wrsh_err e;
	if (!sh)
		return s->err.code;
	sh->is_pool = true;
	if ((e = psrp_out_begin(p, 2048)))
		return e;
	e = psrp_queue(p, psrp_b_capability, NULL);
	if (!e)
		e = psrp_queue(p, psrp_b_init, NULL);
	if (!e) {
		psrp_next_batch(p);
		e = psrp_call(s, P_CREATE, s->conn.timeout_ms, 0);
	}
	psrp_out_end(p);
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
		e = psrp_call(s, P_RECEIVE, s->op_ms + s->conn.timeout_ms, 0);
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

void psrp_request_room(struct psrp_pool *p, size_t body)
{
	p->request_body = body;
	p->frag_room = body > ENVELOPE_RESERVE + 1024 ? (body - ENVELOPE_RESERVE) / 4 * 3 : 768;
	p->blob_max =
		p->frag_room - PSRP_FRAG_HEAD < MAX_BLOB ? p->frag_room - PSRP_FRAG_HEAD : MAX_BLOB;
}

/*
 * Requests as large as the server takes, once its capability is known:
 * MaxEnvelopeSizekb is 500 by default since WinRM 3.0 (PowerShell 3,
 * protocol 2.2) and 150 before; pypsrp sizes its requests by the same rule
 * (a Windows Server 2019 answers its requests announcing 512000 after the
 * 2.3 capability: testdata/windows/pypsrp-client-copy-file). Never beyond the session's
 * send buffer, nor beyond the envelope we announce as our own limit; a
 * server set lower answers EncodingLimit, and input.c shrinks again.
 */
static void size_requests(struct wrsh_session *s, struct psrp_pool *p)
{
	size_t server = p->server_version >= 202 ? 512000 : 153600, body = s->body_cap;
	size_t ours =
		s->ws.max_envelope > WSMAN_REQUEST_MAX ? s->ws.max_envelope : WSMAN_REQUEST_MAX;
	body = body < server ? body : server;
	psrp_request_room(p, body < ours ? body : ours);
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
	psrp_request_room(p, s->body_cap < WSMAN_REQUEST_MAX ? s->body_cap : WSMAN_REQUEST_MAX);
	psrp_reader_reset(p);
	if ((e = random_guid(s, p->ids.rpid)))
		return sess_leave(s, e);
	if (!(e = open_pool(s)))
		size_requests(s, p);
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
		if ((e = psrp_call(s, kind, s->conn.timeout_ms, 0)))
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
	if ((e = psrp_out_begin(p, p->frag_room)))
		return e;
	p->pipeline = true; /* the Receive filter and the Command's id */
	p->pipe_state = 0;
	e = send_pipeline(s, p, src);
	p->next_object++;
	if (e) /* half sent or not at all: wrsh_close removes the pool */
		p->pipeline = false;
	psrp_out_end(p);
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
	p = psrp_pool_of(s);
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
	p = psrp_pool_of(s);
	if (!p || !p->pipeline)
		return err_set(&s->err, WRSH_ESTATE, "psrp: no pipeline to receive from", NULL);
	p->user = sink;
	e = psrp_call(s, P_RECEIVE, s->op_ms + s->conn.timeout_ms,
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
		psrp_reader_reset(p);
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
	if (crypto_rsa_generate(s->arena, psrp_port_rng, s, PSRP_RSA_BITS, &p->kx->rsa) ||
	    crypto_rsa_public(s->arena, p->kx->rsa, nbe, sizeof(nbe), &pe))
		return err_set(&s->err, WRSH_ENOMEM,
			       "psrp: no RSA key pair (arena exhausted or no randomness)", NULL);
	psrp_pubkey_blob(nbe, pe, blob);
	b64[b64_encode(blob, sizeof(blob), b64)] = 0;
	if ((e = psrp_out_begin(p, 2048)))
		return e;
	e = psrp_queue(p, b_public_key, b64);
	if (!e) {
		psrp_next_batch(p);
		e = psrp_call(s, P_SEND_POOL, s->conn.timeout_ms, 0);
	}
	psrp_out_end(p);
	p->pool_rx = true;
	while (!e && !p->kx->have_key) {
		e = psrp_call(s, P_RECEIVE, s->op_ms + s->conn.timeout_ms, 0);
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
		psrp_reader_reset(p);
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
	const struct psrp_pool *p = s ? psrp_pool_of(s) : NULL;
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
	if ((e = psrp_out_begin(p, answer_room(p, answer))))
		return e;
	e = psrp_queue(p, psrp_b_reply, &a);
	if (!e) {
		psrp_next_batch(p);
		e = psrp_call(s, P_SEND_PR, s->conn.timeout_ms, 0);
	}
	psrp_out_end(p);
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
	p = psrp_pool_of(s);
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
	if (!psrp_pool_of(s) || !psrp_pool_of(s)->pipeline)
		return err_set(&s->err, WRSH_ESTATE, "psrp: no pipeline to stop", NULL);
	return sess_leave(s, psrp_call(s, P_SIGNAL, s->conn.timeout_ms, 0));
}

/* see wrsh.h */
wrsh_err wrsh_ps_close(struct wrsh_session *s)
{
	wrsh_err e;
	if (!s)
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	if (!psrp_pool_of(s))
		return WRSH_OK;
	e = winrs_delete_shell(s);
	pool_gone(s, &psrp_pool_of(s)->part);
	return sess_leave(s, e);
}
