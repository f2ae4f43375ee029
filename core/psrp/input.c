/*
 * Pipeline input (MS-PSRP 3.1.5.3.5): PIPELINE_INPUT messages on the
 * pipeline's stdin, strings given whole or bytes read from the caller and
 * sent as the base64 text of one string each (what a script turns back
 * into bytes with [Convert]::FromBase64String), a request's worth at a
 * time, in requests as large as the server takes.
 */
#include <string.h>

#include "psrp/pool.h"
#include "util/base64.h"

/* An answer that says the request was larger than the server's
 * MaxEnvelopeSizekb: a w:EncodingLimit fault (MS-WSMV 2.2.4.10), or 413
 * from what stands in front of it. */
static bool too_large(const struct wrsh_session *s, wrsh_err e)
{
	return (e == WRSH_EFAULT && wsman_fault_is(&s->resp, "EncodingLimit")) ||
	       (e == WRSH_EHTTP && s->status == 413);
}

/* Send what the outgoing buffer holds, as whole-fragment requests; a
 * request the server finds too large is cut in half and sent again (its
 * fragments are whole: nothing reached the pipeline), down to the least
 * envelope a server may be set to. */
static wrsh_err send_input(struct wrsh_session *s, struct psrp_pool *p)
{
	wrsh_err e = WRSH_OK;
	for (p->send_off = 0; !e && p->send_off < p->out.len; p->send_off = p->send_end) {
		psrp_next_batch(p);
		e = psrp_call(s, P_SEND_IN, s->conn.timeout_ms, 0);
		if (too_large(s, e) && p->request_body > WSMAN_REQUEST_MAX) {
			size_t half = p->request_body / 2;
			err_clear(&s->err);
			psrp_request_room(p, half > WSMAN_REQUEST_MAX ? half : WSMAN_REQUEST_MAX);
			p->send_end = p->send_off;
			e = WRSH_OK;
		}
	}
	p->out.len = 0;
	return e;
}

static struct psrp_pool *reading_pool(struct wrsh_session *s)
{
	struct psrp_pool *p = psrp_pool_of(s);
	if (!p || !p->pipeline || !p->input_open) {
		err_set(&s->err, WRSH_ESTATE, "psrp: no pipeline reading input", NULL);
		return NULL;
	}
	return p;
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
	if (!(p = reading_pool(s)))
		return s->err.code;
	/* one request's worth at a time: messages are small, a batch goes whole */
	cap = p->frag_room;
	for (i = 0; i < n; i++)
		if (lens[i] > cap / 2 - 256) /* escaped, it could double */
			return err_set(&s->err, WRSH_ELIMIT,
				       "psrp: an input object larger than one request holds", NULL);
	if ((e = psrp_out_begin(p, cap)))
		return sess_leave(s, e);
	for (i = 0; !e && i <= n; i++) {
		struct input_arg a;
		size_t mark = p->out.len;
		if (i == n && !end)
			break;
		a.s = i < n ? items[i] : NULL;
		a.n = i < n ? lens[i] : 0;
		e = psrp_queue(p, i < n ? psrp_b_input : psrp_b_end_of_input, &a);
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
	psrp_out_end(p);
	return sess_leave(s, e);
}

/* Up to cap bytes from read, fewer only at its end. */
static wrsh_err read_full(struct psrp_pool *p, wrsh_ps_read_fn read, void *ctx, uint8_t *buf,
			  size_t cap, size_t *got)
{
	*got = 0;
	while (*got < cap) {
		size_t k = 0;
		wrsh_err e = read(ctx, (char *)buf + *got, cap - *got, &k);
		if (e)
			return err_set(p->err, e, "psrp: reading the input failed (",
				       wrsh_strerror(e), ")", NULL);
		if (k > cap - *got)
			return err_set(p->err, WRSH_EINVAL,
				       "psrp: the input's reader gave more than asked", NULL);
		if (!k)
			break;
		*got += k;
	}
	return WRSH_OK;
}

/*
 * The message is written where it is sent: the header and "<S>", then the
 * bytes read into the end of the string's room and base64-encoded forward
 * in place (each group of three is read before its four characters are
 * written, and the characters never catch up with bytes not yet read),
 * then "</S>"; the fragments' headers are moved in after.
 */
static wrsh_err queue_bytes(struct psrp_pool *p, wrsh_ps_read_fn read, void *ctx, size_t max,
			    size_t *n)
{
	struct sbuf m;
	size_t room, raw, enc, got;
	uint8_t *text;
	wrsh_err e;
	sb_init(&m, p->out.p + PSRP_FRAG_HEAD, p->out.cap - PSRP_FRAG_HEAD);
	psrp_build_input_head(&m, &p->ids);
	/* "</S>" and the headers of the further fragments */
	room = m.cap - m.len;
	room = room > 4 + (room / p->blob_max + 2) * PSRP_FRAG_HEAD
		       ? room - 4 - (room / p->blob_max + 2) * PSRP_FRAG_HEAD
		       : 0;
	raw = room / 4 * 3;
	raw = raw < max ? raw : max;
	if (m.over || !raw)
		return err_set(p->err, WRSH_ELIMIT, "psrp: no room for input in one request", NULL);
	enc = B64_ENC_LEN(raw);
	text = (uint8_t *)m.p + m.len;
	if ((e = read_full(p, read, ctx, text + enc - raw, raw, &got)))
		return e;
	*n = got;
	if (!got)
		return WRSH_OK;
	m.len += b64_encode(text + enc - raw, got, (char *)text);
	sb_puts(&m, "</S>");
	p->out.len = PSRP_FRAG_HEAD + m.len;
	return psrp_fragment(p, 0, m.len);
}

/* see wrsh.h */
wrsh_err wrsh_ps_input_bytes(struct wrsh_session *s, wrsh_ps_read_fn read, void *ctx, size_t max,
			     size_t *n)
{
	struct psrp_pool *p;
	wrsh_err e;
	if (!s || !read || !n)
		return WRSH_EINVAL;
	*n = 0;
	if ((e = sess_enter(s)))
		return e;
	if (!(p = reading_pool(s)))
		return s->err.code;
	if ((e = psrp_out_begin(p, p->frag_room)))
		return sess_leave(s, e);
	e = queue_bytes(p, read, ctx, max ? max : (size_t)-1, n);
	if (!e && *n)
		e = send_input(s, p);
	psrp_out_end(p);
	return sess_leave(s, e);
}
