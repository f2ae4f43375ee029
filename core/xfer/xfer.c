/*
 * What a transfer script prints, read as it streams: each output string is
 * either a control line (it starts with "!") collected whole, or base64
 * data decoded piece by piece to the data callback; the first error
 * record's text is kept for the message when the script itself failed.
 */
#include <string.h>

#include "wsman/session.h"
#include "xfer/xfer.h"

void xfer_rx_init(struct xfer_rx *r, struct wrsh_session *s, xfer_line_fn line, xfer_data_fn data,
		  void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->s = s;
	r->line = line;
	r->data = data;
	r->ctx = ctx;
}

wrsh_err xfer_fail(struct xfer_rx *r, wrsh_err e, const char *a, const char *b)
{
	struct sbuf m;
	if (r->err)
		return r->err;
	r->err = e;
	sb_init(&m, r->msg, sizeof(r->msg));
	sb_puts(&m, a);
	if (b)
		sb_puts(&m, b);
	sb_cstr(&m);
	return e;
}

static bool is_string(enum wrsh_ps_stream st, const struct wrsh_ps_node *n)
{
	return st == WRSH_PS_OUTPUT && n->depth == 1 && !strcmp(n->tag, "S");
}

static wrsh_err rx_open(void *ctx, enum wrsh_ps_stream st, const struct wrsh_ps_node *n)
{
	(void)ctx;
	(void)st;
	(void)n;
	return WRSH_OK;
}

/* The first error record's text (its ToString), for the message. */
static void why_text(struct xfer_rx *r, const char *p, size_t len, bool last)
{
	size_t k = sizeof(r->why) - 1 - r->why_n;
	if (r->why_done)
		return;
	k = len < k ? len : k;
	memcpy(r->why + r->why_n, p, k);
	r->why_n += k;
	r->why[r->why_n] = 0;
	r->why_done = last;
}

static void data_text(struct xfer_rx *r, const char *p, size_t len)
{
	while (len && !r->err) {
		size_t k = len < sizeof(r->out) / 3 * 4 - 4 ? len : sizeof(r->out) / 3 * 4 - 4, got;
		if (b64_dec_push(&r->dec, p, k, r->out, &got)) {
			xfer_fail(r, WRSH_EPROTO, "xfer: the host sent data that is not base64",
				  NULL);
			return;
		}
		if (got && r->data)
			(void)r->data(r, r->out, got);
		p += k;
		len -= k;
	}
}

static wrsh_err rx_text(void *ctx, enum wrsh_ps_stream st, const struct wrsh_ps_node *n,
			const char *p, size_t len, bool last)
{
	struct xfer_rx *r = ctx;
	if (st == WRSH_PS_ERROR && n->depth == 2 && !strcmp(n->tag, "ToString"))
		why_text(r, p, len, last);
	if (!is_string(st, n) || r->err || !len)
		return WRSH_OK;
	if (r->kind == RX_NONE) { /* a string's first piece (values have no open) */
		r->kind = p[0] == '!' ? RX_LINE : RX_DATA;
		r->n = 0;
		b64_dec_init(&r->dec);
	}
	if (r->kind == RX_DATA) {
		data_text(r, p, len);
	} else if (len > sizeof(r->buf) - 1 - r->n) {
		xfer_fail(r, WRSH_ELIMIT, "xfer: a line from the host longer than ",
			  "WRSH_XFER_NAME_MAX allows");
	} else {
		memcpy(r->buf + r->n, p, len);
		r->n += len;
	}
	return WRSH_OK;
}

static wrsh_err rx_close(void *ctx, enum wrsh_ps_stream st, const struct wrsh_ps_node *n)
{
	(void)ctx;
	(void)st;
	(void)n;
	return WRSH_OK;
}

static wrsh_err rx_end(void *ctx, enum wrsh_ps_stream st)
{
	struct xfer_rx *r = ctx;
	if (st != WRSH_PS_OUTPUT || r->err)
		return WRSH_OK;
	if (r->kind == RX_DATA && b64_dec_finish(&r->dec))
		xfer_fail(r, WRSH_EPROTO, "xfer: the host's data ended inside a base64 group",
			  NULL);
	else if (r->kind == RX_LINE) {
		r->buf[r->n] = 0;
		r->got_line = true;
		if (r->line)
			(void)r->line(r, r->buf + 1);
	}
	r->kind = RX_NONE;
	return WRSH_OK;
}

void xfer_rx_sink(struct xfer_rx *r, struct wrsh_ps_sink *sink)
{
	sink->open = rx_open;
	sink->text = rx_text;
	sink->close = rx_close;
	sink->object_end = rx_end;
	sink->ctx = r;
}

wrsh_err xfer_receive(struct xfer_rx *r)
{
	struct wrsh_ps_sink sink;
	wrsh_err e = WRSH_OK;
	xfer_rx_sink(r, &sink);
	r->got_line = false;
	while (!e && !r->done && !r->err && !(r->want_line && r->got_line))
		e = wrsh_ps_receive(r->s, &sink, WRSH_WAKEABLE, &r->done, &r->state);
	return e;
}

wrsh_err xfer_start(struct wrsh_session *s, const struct sbuf *script, unsigned flags)
{
	if (script->over)
		return err_set(&s->err, WRSH_ELIMIT, "xfer: the script outgrew its buffer", NULL);
	return wrsh_ps_start(s, script->p, flags);
}

void xfer_stop(struct xfer_rx *r)
{
	wrsh_err kept = r->err;
	r->line = NULL;
	r->data = NULL;
	if (r->done || wrsh_ps_stop(r->s))
		return;
	r->want_line = false;
	do /* read to the end, whatever it holds */
		r->err = WRSH_OK;
	while (!r->done && !xfer_receive(r));
	r->err = kept;
}

/* The host's KIND words, in the message as people say them */
static const char *kind_text(const char *k)
{
	static const char *const names[][2] = {
		{"missing", "no such file or folder"},
		{"access", "access denied"},
		{"exists", "the target exists (--no-clobber)"},
		{"isdir", "is a folder"},
		{"full", "the disk is full"},
		{"inuse", "in use by another process"},
		{"toolong", "the path is too long"},
	};
	size_t i;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(k, names[i][0]))
			return names[i][1];
	return "failed";
}

void xfer_why(char *out, size_t cap, char *rest)
{
	char *kind = xfer_word(&rest);
	struct sbuf m;
	sb_init(&m, out, cap);
	sb_puts(&m, kind_text(kind));
	if (*rest) {
		sb_puts(&m, ": ");
		sb_puts(&m, rest);
	}
	if (m.over && m.cap > 4)
		memcpy(m.p + m.cap - 4, "...", 3), m.len = m.cap - 1;
	sb_cstr(&m);
}

wrsh_err xfer_remote_error(struct xfer_rx *r, const char *op, char *rest)
{
	size_t n = strlen(op) < sizeof(r->msg) - 1 ? strlen(op) : sizeof(r->msg) - 1;
	if (r->err)
		return r->err;
	r->err = WRSH_EFILE;
	memcpy(r->msg, op, n);
	xfer_why(r->msg + n, sizeof(r->msg) - n, rest);
	return WRSH_EFILE;
}

wrsh_err xfer_report(struct xfer_rx *r, wrsh_err e)
{
	if (e)
		return e; /* the session's own error, with its message */
	if (!r->err && r->done && r->state != WRSH_PS_COMPLETED) {
		xfer_fail(r, WRSH_EFILE, "xfer: the host's script failed: ",
			  r->why_n ? r->why : "no reason given");
		r->err = WRSH_EFILE;
	}
	if (!r->err)
		return WRSH_OK;
	return err_set(&r->s->err, r->err, r->msg, NULL);
}

void xfer_hex(const uint8_t h[32], char out[65])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;
	for (i = 0; i < 32; i++) {
		out[2 * i] = digits[h[i] >> 4];
		out[2 * i + 1] = digits[h[i] & 15];
	}
	out[64] = 0;
}

char *xfer_word(char **p)
{
	char *w = *p, *sp = strchr(w, ' ');
	if (sp) {
		*sp = 0;
		*p = sp + 1;
	} else {
		*p = w + strlen(w);
	}
	return w;
}
