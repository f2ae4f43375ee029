#include <string.h>

#include "psrp/fragment.h"
#include "util/bytes.h"

void psrp_frag_head(uint8_t out[PSRP_FRAG_HEAD], uint64_t object_id, uint64_t fragment_id,
		    unsigned flags, uint32_t blob_len)
{
	put_be(out, object_id, 8);
	put_be(out + 8, fragment_id, 8);
	out[16] = (uint8_t)flags;
	put_be(out + 17, blob_len, 4);
}

void psrp_defrag_init(struct psrp_defrag *d, const struct psrp_obj_sink *sink, struct errbuf *e)
{
	memset(d, 0, sizeof(*d));
	d->sink = sink;
	d->err = e;
}

bool psrp_defrag_idle(const struct psrp_defrag *d)
{
	return !d->in_msg && d->head_n == 0;
}

static wrsh_err bad(struct psrp_defrag *d, const char *what)
{
	return err_set(d->err, WRSH_EPSRP, "psrp: ", what, NULL);
}

/* A whole header: check it continues what came before. */
static wrsh_err on_head(struct psrp_defrag *d)
{
	uint64_t obj = get_be(d->head, 8), frag = get_be(d->head + 8, 8);
	unsigned flags = d->head[16];
	wrsh_err e;
	d->head_n = 0;
	d->blob_left = (uint32_t)get_be(d->head + 17, 4);
	d->last = flags & PSRP_FRAG_END;
	if (flags & ~(unsigned)(PSRP_FRAG_START | PSRP_FRAG_END))
		return bad(d, "fragment with unknown flags");
	if (d->blob_left > PSRP_FRAG_BLOB_MAX)
		return err_set(d->err, WRSH_ELIMIT, "psrp: a fragment claims a blob beyond 16 MiB",
			       NULL);
	if (flags & PSRP_FRAG_START) {
		if (d->in_msg)
			return bad(d, "a message began before the last one ended");
		if (frag != 0)
			return bad(d, "a message's first fragment is not fragment 0");
		d->in_msg = true;
		d->object_id = obj;
		d->msg_len = 0;
		if ((e = d->sink->begin(d->sink->ctx, obj)))
			return e;
	} else if (!d->in_msg || obj != d->object_id || frag != d->next_fragment) {
		return bad(d, d->in_msg ? "fragment out of order or of another message"
					: "a fragment without the start of its message");
	}
	d->next_fragment = frag + 1;
	return WRSH_OK;
}

static wrsh_err end_fragment(struct psrp_defrag *d)
{
	if (!d->last)
		return WRSH_OK;
	d->in_msg = false;
	return d->sink->end(d->sink->ctx);
}

wrsh_err psrp_defrag_push(struct psrp_defrag *d, const uint8_t *p, size_t n)
{
	wrsh_err e;
	while (n) {
		size_t k;
		if (d->blob_left == 0 && d->head_n < PSRP_FRAG_HEAD) {
			k = PSRP_FRAG_HEAD - d->head_n;
			k = k < n ? k : n;
			memcpy(d->head + d->head_n, p, k);
			d->head_n = (uint8_t)(d->head_n + k);
			p += k, n -= k;
			if (d->head_n < PSRP_FRAG_HEAD)
				break;
			if ((e = on_head(d)))
				return e;
			if (d->blob_left == 0 && (e = end_fragment(d)))
				return e;
			continue;
		}
		k = d->blob_left < n ? d->blob_left : n;
		d->msg_len += k;
		if (d->max_message && d->msg_len > d->max_message)
			return err_set(d->err, WRSH_ELIMIT, "psrp: message beyond its cap", NULL);
		if ((e = d->sink->data(d->sink->ctx, p, k)))
			return e;
		d->blob_left -= (uint32_t)k;
		p += k, n -= k;
		if (d->blob_left == 0 && (e = end_fragment(d)))
			return e;
	}
	return WRSH_OK;
}
