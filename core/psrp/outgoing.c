/*
 * What the client says, written: PSRP messages queued as fragments in the
 * request being built, base64 straight into the envelope, and the WS-Man
 * requests of the pool (Create, Command, Receive, Signal, Send on stdin and
 * pr) written by callbacks, so that a renewed connection writes them again.
 */
#include <string.h>

#include "crypto/crypto.h"
#include "psrp/pool.h"
#include "psrp/secure.h"
#include "util/base64.h"
#include "util/bytes.h"
#include "winrs/shell.h"

#define PSRP_NS "http://schemas.microsoft.com/powershell"
#define STOP_SIGNAL "powershell/signal/crtl_c" /* sic: the spec's and Windows' spelling */

/* ---- outgoing: messages as fragments, base64 in the envelope ------------ */

/* The message was written at p->out's end, after room for one fragment
 * header; a message longer than a blob gets the headers of its further
 * fragments moved in, last first. */
wrsh_err psrp_fragment(struct psrp_pool *p, size_t start, size_t len)
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
void psrp_next_batch(struct psrp_pool *p)
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

static void hdr(struct wsman_hdr *h, const char *action, const struct wrsh_session *s,
		struct wsman_kv *sel)
{
	memset(h, 0, sizeof(*h));
	h->action = action;
	h->resource_uri = psrp_pool_of(s)->uri;
	h->op_timeout_ms = s->op_ms;
	if (winrs_shell(s) && winrs_shell(s)->open) {
		sel->name = "ShellId";
		sel->value = winrs_shell(s)->id;
		sel->must_comply = false;
		h->selectors = sel;
		h->nselectors = 1;
	}
}

static void frags(struct sbuf *b, const void *p)
{
	put_fragments(b, p);
}

/* The pool's requests: Create here (its creationXml is PSRP's), the rest by
 * the WinRS writers with the pool's resource URI */
static void write_req(struct wrsh_session *s, struct sbuf *b, void *ctx)
{
	struct psrp_pool *p = psrp_pool_of(s);
	struct winrs_parse *wp = &winrs_shell(s)->wp;
	enum preq_kind kind = *(enum preq_kind *)ctx;
	struct wsman_hdr h;
	struct wsman_kv sel, opt = {"protocolversion", PSRP_PROTOCOL_VERSION, true};
	char rpid[GUID_STR_LEN + 1];
	struct winrs_to to;
	to.uri = p->uri;
	to.shell_id = winrs_shell(s)->open ? winrs_shell(s)->id : NULL;
	to.cmd_id = p->pid_text;
	to.op_ms = s->op_ms;
	winrs_parse_init(wp, &s->err);
	wp->out = psrp_on_stream;
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
		winrs_write_command_to(b, &s->ws, &to, frags, p);
		return;
	case P_RECEIVE:
		if (!p->pipeline || p->pool_rx)
			to.cmd_id = NULL; /* the pool's own messages */
		winrs_write_receive_to(b, &s->ws, &to, "stdout");
		return;
	case P_SEND_PR: /* prompt responses: host call answers (MS-PSRP 3.1.5.3.7) */
	case P_SEND_IN: /* what did not fit in the Command (3.1.5.3.5) */
		winrs_write_send_to(b, &s->ws, &to, kind == P_SEND_PR ? "pr" : "stdin", false,
				    frags, p);
		return;
	case P_SEND_POOL: /* the pool's own messages (PUBLIC_KEY): no CommandId */
		to.cmd_id = NULL;
		winrs_write_send_to(b, &s->ws, &to, "stdin", false, frags, p);
		return;
	case P_SIGNAL:
		winrs_write_signal_to(b, &s->ws, &to, STOP_SIGNAL);
		return;
	}
	wsman_write_end(b);
}

wrsh_err psrp_call(struct wrsh_session *s, enum preq_kind kind, uint32_t wait_ms, unsigned flags)
{
	struct xml_consumer c;
	winrs_consumer(&c, &winrs_shell(s)->wp);
	return sess_transact(s, &c, write_req, &kind, false, wait_ms, flags);
}

/* The outgoing buffer, for the length of one request. */
wrsh_err psrp_out_begin(struct psrp_pool *p, size_t cap)
{
	char *m = wrsh_arena_alloc(p->s->arena, cap);
	if (!m)
		return err_set(p->err, WRSH_ENOMEM, "psrp: arena exhausted (outgoing message)",
			       NULL);
	sb_init(&p->out, m, cap);
	p->send_off = p->send_end = 0;
	return WRSH_OK;
}

void psrp_out_end(struct psrp_pool *p)
{
	wrsh_arena_free(p->s->arena, p->out.p);
	memset(&p->out, 0, sizeof(p->out));
}

/* A message into the outgoing buffer, written where it will be sent. */
wrsh_err psrp_queue(struct psrp_pool *p,
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
	return psrp_fragment(p, start, m.len);
}

void psrp_b_capability(struct sbuf *b, const struct psrp_ids *id, const void *arg)
{
	(void)arg;
	psrp_build_session_capability(b, id);
}

void psrp_b_init(struct sbuf *b, const struct psrp_ids *id, const void *arg)
{
	(void)arg;
	psrp_build_init_runspacepool(b, id, 1, 1);
}

void psrp_b_input(struct sbuf *b, const struct psrp_ids *id, const void *arg)
{
	const struct input_arg *a = arg;
	psrp_build_input_string(b, id, a->s, a->n);
}

void psrp_b_end_of_input(struct sbuf *b, const struct psrp_ids *id, const void *arg)
{
	(void)arg;
	psrp_build_end_of_input(b, id);
}

void psrp_b_reply(struct sbuf *b, const struct psrp_ids *id, const void *arg)
{
	const struct reply_arg *a = arg;
	psrp_build_host_response(b, id, a->p->hc_ci, a->p->hc_method, a->p->hc_name, a->a);
}
