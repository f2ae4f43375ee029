/*
 * wrsh_put: one file up. The first pipeline opens NAME.wrsh-part beside
 * the target (and says what a resumable partial holds), then takes base64
 * input; every CONFIG_WRSH_XFER_SEGMENT bytes the input ends and another
 * pipeline carries on with the same open stream; the last one ends with
 * "!end HASH MTIME", on which the host verifies and renames.
 */
#include <string.h>

#include "config.h"
#include "wsman/session.h"
#include "xfer/xfer.h"

struct put {
	struct xfer_rx rx;
	const struct wrsh_xfer_io *io;
	struct wrsh_xfer *x;
	const char *remote, *leaf;
	struct crypto_sha256 sha;
	uint64_t sent, host_at;
	bool eof, ready, finished;
	char host_hash[65], prefix[65];
};

static wrsh_err on_line(struct xfer_rx *r, char *line)
{
	struct put *u = r->ctx;
	char *p = line, *w = xfer_word(&p);
	uint64_t v = 0;
	if (!strcmp(w, "err"))
		return xfer_remote_error(r, "put: ", p);
	if (!strcmp(w, "ready") || !strcmp(w, "at")) {
		char *num = xfer_word(&p);
		if (str_to_u64(num, strlen(num), UINT64_MAX, &v))
			return xfer_fail(r, WRSH_EPROTO,
					 "xfer: the host's byte count is not a number", NULL);
		if (!strcmp(w, "at")) {
			u->host_at = v;
			return WRSH_OK;
		}
		u->host_at = v;
		str_copy(u->prefix, sizeof(u->prefix), xfer_word(&p), 64);
		str_copy(u->x->remote, sizeof(u->x->remote), p, strlen(p));
		u->ready = true;
		return WRSH_OK;
	}
	if (!strcmp(w, "done") || !strcmp(w, "bad")) {
		str_copy(u->host_hash, sizeof(u->host_hash), xfer_word(&p), 64);
		u->finished = true;
		if (!strcmp(w, "bad"))
			return xfer_fail(r, WRSH_EFILE, "put: the copy did not verify, deleted: ",
					 "the host's SHA-256 differs from ours");
		xfer_word(&p);
		if (*p)
			str_copy(u->x->remote, sizeof(u->x->remote), p, strlen(p));
		return WRSH_OK;
	}
	return xfer_fail(r, WRSH_EPROTO, "xfer: the host said something unknown: !", w);
}

/* The source's bytes, hashed and counted as they go. */
static wrsh_err read_source(void *ctx, char *buf, size_t cap, size_t *len)
{
	struct put *u = ctx;
	wrsh_err e = u->io->read(u->io->ctx, buf, cap, len);
	if (e)
		return e;
	crypto_sha256_update(&u->sha, buf, *len);
	u->sent += *len;
	if (u->io->progress)
		u->io->progress(u->io->ctx, u->sent, u->x->size);
	return WRSH_OK;
}

static wrsh_err start(struct put *u, bool open, char *script, size_t cap)
{
	struct sbuf b;
	sb_init(&b, script, cap);
	xfer_script_put(&b, u->remote, u->leaf, open, u->x->flags);
	sb_cstr(&b);
	u->rx.done = false;
	return xfer_start(u->rx.s, &b, WRSH_PS_INPUT);
}

/* The local partial's first `have` bytes against the host's hash of its
 * own: resume after them, or start again from nothing. */
static wrsh_err match_prefix(struct put *u, uint64_t have)
{
	struct crypto_sha256 pre;
	char *buf, hex[65];
	uint8_t h[32];
	uint64_t left = have;
	wrsh_err e = WRSH_OK;
	if (!(buf = wrsh_arena_alloc(u->rx.s->arena, XFER_READ_BUF)))
		return xfer_fail(&u->rx, WRSH_ENOMEM, "put: arena exhausted", NULL);
	crypto_sha256_init(&pre);
	while (left && !e) {
		size_t n = 0, want = left < XFER_READ_BUF ? (size_t)left : XFER_READ_BUF;
		if ((e = read_source(u, buf, want, &n)) || !n)
			break;
		crypto_sha256_update(&pre, buf, n);
		left -= n;
	}
	crypto_sha256_final(&pre, h);
	wrsh_arena_free(u->rx.s->arena, buf);
	if (e)
		return e;
	xfer_hex(h, hex);
	if (!left && !strcmp(hex, u->prefix)) {
		u->x->skipped = have;
		return WRSH_OK;
	}
	/* the partial is of another file: from the start, both sides */
	if (!u->io->event)
		return xfer_fail(&u->rx, WRSH_EFILE, "put: the partial copy on the host differs ",
				 "and this source cannot be read again (run without --resume)");
	if ((e = u->io->event(u->io->ctx, WRSH_XFER_BEGIN, NULL)))
		return e;
	crypto_sha256_init(&u->sha);
	u->sent = 0;
	{
		const char *restart = "!restart";
		size_t len = strlen(restart);
		return wrsh_ps_input(u->rx.s, &restart, &len, 1, false);
	}
}

/* One segment of input, then its end: the last with "!end HASH MTIME". */
static wrsh_err send_segment(struct put *u)
{
	uint64_t seg = 0;
	size_t n = 1;
	wrsh_err e = WRSH_OK;
	while (!e && seg < CONFIG_WRSH_XFER_SEGMENT) {
		e = wrsh_ps_input_bytes(u->rx.s, read_source, u,
					(size_t)(CONFIG_WRSH_XFER_SEGMENT - seg), &n);
		seg += n;
		if (!n)
			u->eof = true;
		if (!n || u->rx.err)
			break;
	}
	if (e)
		return e;
	if (u->eof) {
		uint8_t h[32];
		char end[96];
		const char *item = end;
		struct sbuf b;
		size_t len;
		crypto_sha256_final(&u->sha, h);
		xfer_hex(h, u->x->sha256);
		sb_init(&b, end, sizeof(end));
		sb_puts(&b, "!end ");
		sb_puts(&b, u->x->sha256);
		sb_putc(&b, ' ');
		if (u->x->mtime_ms >= 0)
			sb_put_u64(&b, (uint64_t)u->x->mtime_ms);
		else
			sb_putc(&b, '-');
		len = strlen(sb_cstr(&b));
		return wrsh_ps_input(u->rx.s, &item, &len, 1, true);
	}
	return wrsh_ps_input(u->rx.s, NULL, NULL, 0, true);
}

/* A put given up leaves its stream open in the runspace: closed here
 * (the partial stays for a resume), when the session can still talk. */
static void abort_stream(struct wrsh_session *s, char *script, size_t cap)
{
	struct xfer_rx *rx = wrsh_arena_alloc(s->arena, sizeof(*rx));
	struct sbuf b;
	if (!rx) /* the stream closes with the pool, then */
		return;
	sb_init(&b, script, cap);
	xfer_script_put_abort(&b);
	sb_cstr(&b);
	xfer_rx_init(rx, s, NULL, NULL, NULL);
	if (!xfer_start(s, &b, 0))
		(void)xfer_receive(rx);
	wrsh_arena_free(s->arena, rx);
}

static wrsh_err run(struct put *u, char *script, size_t cap)
{
	wrsh_err e = start(u, true, script, cap);
	if (e)
		return e;
	u->rx.want_line = true;
	e = xfer_receive(&u->rx);
	u->rx.want_line = false;
	if (!e && !u->rx.err && !u->ready && !u->rx.done)
		xfer_fail(&u->rx, WRSH_EPROTO, "xfer: the host's script did not say it was ready",
			  NULL);
	if (!e && !u->rx.err && u->ready && (u->x->flags & WRSH_XFER_RESUME) && u->host_at)
		e = match_prefix(u, u->host_at);
	while (!e && !u->rx.err && u->ready && !u->rx.done) {
		if ((e = send_segment(u)) || (e = xfer_receive(&u->rx)) || u->rx.err || u->eof)
			break;
		if (u->host_at != u->sent)
			return xfer_fail(&u->rx, WRSH_EPROTO,
					 "xfer: the host wrote another number ",
					 "of bytes than were sent");
		e = start(u, false, script, cap);
	}
	if (!e && !u->rx.err && u->rx.done && u->rx.state == WRSH_PS_COMPLETED && !u->finished)
		xfer_fail(&u->rx, WRSH_EPROTO, "xfer: the host's script ended without its verdict",
			  NULL);
	return e;
}

/* see wrsh.h */
wrsh_err wrsh_put(struct wrsh_session *s, const char *remote, const char *leaf,
		  const struct wrsh_xfer_io *io, struct wrsh_xfer *x)
{
	struct put *u;
	size_t cap;
	char *script;
	wrsh_err e;
	if (!s || !remote || !io || !io->read || !x)
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	if (!leaf)
		leaf = "";
	x->bytes = x->skipped = 0;
	x->sha256[0] = x->remote[0] = 0;
	if (strlen(remote) >= WRSH_XFER_NAME_MAX || strlen(leaf) >= WRSH_XFER_NAME_MAX)
		return err_set(&s->err, WRSH_ELIMIT, "put: a path longer than WRSH_XFER_NAME_MAX",
			       NULL);
	cap = xfer_script_max(strlen(remote) + strlen(leaf));
	u = wrsh_arena_calloc(s->arena, 1, sizeof(*u));
	script = u ? wrsh_arena_alloc(s->arena, cap) : NULL;
	if (!script) {
		wrsh_arena_free(s->arena, u);
		return err_set(&s->err, WRSH_ENOMEM, "put: arena exhausted", NULL);
	}
	u->io = io;
	u->x = x;
	u->remote = remote;
	u->leaf = leaf;
	crypto_sha256_init(&u->sha);
	xfer_rx_init(&u->rx, s, on_line, NULL, u);
	e = run(u, script, cap);
	if ((!e || e == WRSH_EINTR) && (u->rx.err || e || !u->finished)) {
		xfer_stop(&u->rx);
		abort_stream(s, script, cap);
	}
	x->bytes = u->sent;
	e = xfer_report(&u->rx, e);
	wrsh_wipe(&u->sha, sizeof(u->sha));
	wrsh_arena_free(s->arena, script);
	wrsh_arena_free(s->arena, u);
	return sess_leave(s, e);
}
