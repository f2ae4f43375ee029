/*
 * wrsh_get: one file (or a folder's tree) down, in one pipeline: the host
 * reads with a FileStream and prints base64 strings of GET_CHUNK bytes,
 * decoded here straight to the caller's write; each file ends in its
 * SHA-256, checked against ours. A resume hashes the local partial first
 * and sends the hash: the host skips as much when its own first bytes
 * agree, else starts from nothing (and says so: "!file LEN 0 ...").
 */
#include <string.h>

#include "wsman/session.h"
#include "xfer/xfer.h"

/* bytes per output string: large enough that per-object costs vanish,
 * small against the host's MaximumReceivedObjectSizeMB and envelopes */
#define GET_CHUNK 196608

struct get {
	struct xfer_rx rx;
	const struct wrsh_xfer_io *io;
	struct wrsh_xfer *x;
	struct crypto_sha256 sha, resumed; /* resumed: the local prefix's, kept for a restart */
	struct wrsh_xfer_file f;
	uint64_t got, asked_at;
	bool tree, in_file, named, tree_done, file_ok;
	unsigned failed;
	char name[WRSH_XFER_NAME_MAX];
	char why[160];
};

/* A name from the host that becomes a local path under the caller's
 * folder: relative, no "." or ".." parts, no control characters. */
static bool safe_name(const char *n)
{
	const char *p = n;
	if (!*n || *n == '/')
		return false;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t k = e ? (size_t)(e - p) : strlen(p), i;
		if (!k || (k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		for (i = 0; i < k; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == '\\')
				return false;
		p += k + (e ? 1 : 0);
		if (e && !*p)
			return false;
	}
	return true;
}

static wrsh_err event(struct get *g, enum wrsh_xfer_event ev)
{
	wrsh_err e;
	if (!g->io->event || g->rx.err)
		return WRSH_OK;
	if ((e = g->io->event(g->io->ctx, ev, &g->f)))
		return xfer_fail(&g->rx, e, "get: the local side failed: ", wrsh_strerror(e));
	return WRSH_OK;
}

static wrsh_err parse_u64(struct get *g, char **p, uint64_t *v)
{
	char *w = xfer_word(p);
	if (str_to_u64(w, strlen(w), UINT64_MAX, v))
		return xfer_fail(&g->rx, WRSH_EPROTO,
				 "xfer: a number from the host that is not one", NULL);
	return WRSH_OK;
}

static wrsh_err file_begins(struct get *g, char *p)
{
	uint64_t mt;
	wrsh_err e;
	if ((e = parse_u64(g, &p, &g->f.size)) || (e = parse_u64(g, &p, &g->f.at)) ||
	    (e = parse_u64(g, &p, &mt)))
		return e;
	if (!g->named || g->f.at > g->f.size || (g->f.at && g->f.at != g->asked_at))
		return xfer_fail(&g->rx, WRSH_EPROTO, "xfer: the host began a file out of order",
				 NULL);
	g->f.mtime_ms = (int64_t)mt;
	if (!g->f.at) { /* no resume, or the host's first bytes differ: from nothing */
		crypto_sha256_init(&g->sha);
		g->x->skipped = 0;
	} else {
		g->sha = g->resumed;
		g->x->skipped = g->f.at;
	}
	g->got = g->f.at;
	g->in_file = true;
	if (!g->tree)
		str_copy(g->x->remote, sizeof(g->x->remote), g->name, strlen(g->name));
	return event(g, WRSH_XFER_BEGIN);
}

static wrsh_err file_ends(struct get *g, const char *host_hex)
{
	uint8_t h[32];
	char hex[65];
	if (!g->in_file || g->got != g->f.size)
		return xfer_fail(&g->rx, WRSH_EPROTO, "xfer: the host ended a file short of its ",
				 "length");
	crypto_sha256_final(&g->sha, h);
	xfer_hex(h, hex);
	g->in_file = g->named = false;
	g->x->bytes = g->got;
	memcpy(g->x->sha256, hex, sizeof(hex));
	g->f.sha256 = hex;
	if (strcmp(hex, host_hex)) {
		g->f.text = "the copy did not verify: the host's SHA-256 differs from ours";
		if (!g->tree)
			return xfer_fail(&g->rx, WRSH_EFILE, "get: ", g->f.text);
		g->failed++;
		return event(g, WRSH_XFER_FAILED);
	}
	g->file_ok = true;
	return event(g, WRSH_XFER_END);
}

static wrsh_err on_line(struct xfer_rx *r, char *line)
{
	struct get *g = r->ctx;
	char *p = line, *w = xfer_word(&p);
	if (!strcmp(w, "err")) {
		if (!g->tree || !g->named || g->in_file)
			return xfer_remote_error(r, "get: ", p);
		g->named = false;
		g->failed++;
		xfer_why(g->why, sizeof(g->why), p);
		g->f.text = g->why;
		return event(g, WRSH_XFER_FAILED);
	}
	if (!strcmp(w, "name") || !strcmp(w, "dir")) {
		/* checked whole, never cut: a cut could end in "/.." */
		if (strlen(p) >= sizeof(g->name))
			return xfer_fail(r, WRSH_ELIMIT, "xfer: a name from the host longer than ",
					 "WRSH_XFER_NAME_MAX");
		if (g->in_file || g->named || (g->tree && !safe_name(p)))
			return xfer_fail(r, WRSH_EPROTO,
					 "xfer: a name from the host that is not a ",
					 "safe relative path");
		str_copy(g->name, sizeof(g->name), p, strlen(p));
		g->f.name = g->name;
		g->f.sha256 = g->f.text = NULL;
		g->f.size = g->f.at = 0;
		if (w[0] == 'd')
			return event(g, WRSH_XFER_FOLDER);
		g->named = true;
		return WRSH_OK;
	}
	if (!strcmp(w, "file"))
		return file_begins(g, p);
	if (!strcmp(w, "end"))
		return file_ends(g, p);
	if (!strcmp(w, "tree") && g->tree && !g->in_file) {
		g->tree_done = true;
		return WRSH_OK;
	}
	return xfer_fail(r, WRSH_EPROTO, "xfer: the host said something unknown: !", w);
}

static wrsh_err on_data(struct xfer_rx *r, const uint8_t *d, size_t n)
{
	struct get *g = r->ctx;
	wrsh_err e;
	if (!g->in_file || n > g->f.size - g->got)
		return xfer_fail(r, WRSH_EPROTO, "xfer: the host sent more than the file holds",
				 NULL);
	crypto_sha256_update(&g->sha, d, n);
	g->got += n;
	if ((e = g->io->write(g->io->ctx, d, n)))
		return xfer_fail(r, e, "get: the local side failed: ", wrsh_strerror(e));
	if (g->io->progress)
		g->io->progress(g->io->ctx, g->got, g->f.size);
	return WRSH_OK;
}

/* The local partial read back and hashed: what the host compares. */
static wrsh_err hash_partial(struct get *g, char hex[65])
{
	struct crypto_sha256 pre;
	char *buf;
	uint8_t h[32];
	uint64_t left = g->x->at;
	wrsh_err e = WRSH_OK;
	if (!(buf = wrsh_arena_alloc(g->rx.s->arena, XFER_READ_BUF)))
		return xfer_fail(&g->rx, WRSH_ENOMEM, "get: arena exhausted", NULL);
	crypto_sha256_init(&pre);
	crypto_sha256_init(&g->resumed);
	while (left && !e) {
		size_t n = 0, want = left < XFER_READ_BUF ? (size_t)left : XFER_READ_BUF;
		if ((e = g->io->read(g->io->ctx, buf, want, &n)) || !n)
			break;
		crypto_sha256_update(&pre, buf, n);
		crypto_sha256_update(&g->resumed, buf, n);
		left -= n;
	}
	wrsh_arena_free(g->rx.s->arena, buf);
	crypto_sha256_final(&pre, h);
	g->asked_at = g->x->at - left;
	xfer_hex(h, hex);
	return e;
}

static wrsh_err run(struct get *g, const char *remote, char *script, size_t cap)
{
	char prefix[65] = "-";
	struct sbuf b;
	wrsh_err e;
	if ((g->x->flags & WRSH_XFER_RESUME) && g->x->at && g->io->read && !g->tree &&
	    (e = hash_partial(g, prefix)))
		return err_set(&g->rx.s->err, e, "get: reading the local partial failed", NULL);
	sb_init(&b, script, cap);
	xfer_script_get(&b, remote, g->tree, g->asked_at, prefix, GET_CHUNK);
	sb_cstr(&b);
	if ((e = xfer_start(g->rx.s, &b, 0)) || (e = xfer_receive(&g->rx)))
		return e;
	if (!g->rx.err && g->rx.state == WRSH_PS_COMPLETED &&
	    (g->tree ? !g->tree_done : !g->file_ok))
		xfer_fail(&g->rx, WRSH_EPROTO, "xfer: the host's script ended before the file did",
			  NULL);
	if (!g->rx.err && g->failed)
		xfer_fail(&g->rx, WRSH_EFILE, "get: some files were not copied", NULL);
	return WRSH_OK;
}

/* see wrsh.h */
wrsh_err wrsh_get(struct wrsh_session *s, const char *remote, const struct wrsh_xfer_io *io,
		  struct wrsh_xfer *x)
{
	struct get *g;
	size_t cap;
	char *script;
	wrsh_err e;
	if (!s || !remote || !io || !io->write || !x)
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	x->bytes = x->skipped = 0;
	x->sha256[0] = x->remote[0] = 0;
	if (strlen(remote) >= WRSH_XFER_NAME_MAX)
		return err_set(&s->err, WRSH_ELIMIT, "get: a path longer than WRSH_XFER_NAME_MAX",
			       NULL);
	cap = xfer_script_max(strlen(remote) + 64);
	g = wrsh_arena_calloc(s->arena, 1, sizeof(*g));
	script = g ? wrsh_arena_alloc(s->arena, cap) : NULL;
	if (!script) {
		wrsh_arena_free(s->arena, g);
		return err_set(&s->err, WRSH_ENOMEM, "get: arena exhausted", NULL);
	}
	g->io = io;
	g->x = x;
	g->tree = x->flags & WRSH_XFER_TREE;
	xfer_rx_init(&g->rx, s, on_line, on_data, g);
	e = run(g, remote, script, cap);
	if ((!e || e == WRSH_EINTR) && !g->rx.done)
		xfer_stop(&g->rx);
	e = xfer_report(&g->rx, e);
	wrsh_wipe(g, sizeof(*g));
	wrsh_arena_free(s->arena, script);
	wrsh_arena_free(s->arena, g);
	return sess_leave(s, e);
}

struct replay {
	struct get g;
	struct wrsh_xfer x;
};

size_t xfer_get_replay_mem(void)
{
	return sizeof(struct replay);
}

wrsh_err xfer_get_replay(void *mem, struct wrsh_session *s, const char *const *str,
			 const size_t *len, const size_t *cut, size_t n, unsigned flags,
			 const struct wrsh_xfer_io *io)
{
	static const struct wrsh_ps_node node = {"S", NULL, -1, 1, false};
	struct wrsh_ps_sink sink;
	struct replay *r = mem;
	struct get *gp = &r->g;
	size_t i;
	memset(r, 0, sizeof(*r));
	r->x.flags = flags;
	gp->io = io;
	gp->x = &r->x;
	gp->tree = flags & WRSH_XFER_TREE;
	xfer_rx_init(&gp->rx, s, on_line, on_data, gp);
	xfer_rx_sink(&gp->rx, &sink);
	for (i = 0; i < n && !gp->rx.err; i++) {
		size_t k = cut[i] < len[i] ? cut[i] : len[i];
		(void)sink.text(sink.ctx, WRSH_PS_OUTPUT, &node, str[i], k, false);
		(void)sink.text(sink.ctx, WRSH_PS_OUTPUT, &node, str[i] + k, len[i] - k, false);
		(void)sink.text(sink.ctx, WRSH_PS_OUTPUT, &node, "", 0, true);
		(void)sink.object_end(sink.ctx, WRSH_PS_OUTPUT);
	}
	return gp->rx.err;
}

static wrsh_err mkdir_line(struct xfer_rx *r, char *line)
{
	return strncmp(line, "err ", 4) ? WRSH_OK : xfer_remote_error(r, "mkdir: ", line + 4);
}

/* see wrsh.h */
wrsh_err wrsh_mkdir(struct wrsh_session *s, const char *remote)
{
	struct xfer_rx *rx;
	size_t cap;
	char *script;
	struct sbuf b;
	wrsh_err e;
	if (!s || !remote)
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	if (strlen(remote) >= WRSH_XFER_NAME_MAX)
		return err_set(&s->err, WRSH_ELIMIT, "mkdir: a path longer than WRSH_XFER_NAME_MAX",
			       NULL);
	cap = xfer_script_max(strlen(remote));
	rx = wrsh_arena_alloc(s->arena, sizeof(*rx));
	if (!rx || !(script = wrsh_arena_alloc(s->arena, cap))) {
		wrsh_arena_free(s->arena, rx);
		return err_set(&s->err, WRSH_ENOMEM, "mkdir: arena exhausted", NULL);
	}
	sb_init(&b, script, cap);
	xfer_script_mkdir(&b, remote);
	sb_cstr(&b);
	xfer_rx_init(rx, s, mkdir_line, NULL, NULL);
	e = xfer_start(s, &b, 0);
	if (!e)
		e = xfer_receive(rx);
	wrsh_arena_free(s->arena, script);
	e = xfer_report(rx, e);
	wrsh_arena_free(s->arena, rx);
	return sess_leave(s, e);
}
