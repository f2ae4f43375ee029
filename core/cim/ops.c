/*
 * Get, Put, Create, Delete (WS-Transfer, DSP0226 7), Invoke (DSP0226 9,
 * MS-WSMV 3.1.4.17) and Enumerate / Pull / Release (WS-Enumeration, DSP0226
 * 8) of any resource URI. Requests carry the session's headers
 * (wsman_write_begin); responses go through the streaming instance reader.
 */
#include <string.h>

#include "cim/ops.h"
#include "base/mem.h"
#include "wsman/session.h"

#define CONFIG_URI "http://schemas.microsoft.com/wbem/wsman/1/config"
#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"

enum ckind { K_GET, K_PUT, K_CREATE, K_DELETE, K_INVOKE, K_ENUMERATE, K_PULL, K_RELEASE };

/* One request, described so that it can be written again on a new
 * connection (sess_writer). */
struct creq {
	enum ckind kind;
	const char *action;
	const char *uri;
	const struct wsman_kv *sel, *opt;
	size_t nsel, nopt;
	const char *elem; /* Put/Create: the class; Invoke: the method */
	const struct wrsh_cim_kv *props;
	size_t nprops;
	const struct wrsh_cim_enum_opts *eo;
	const char *context;
	uint32_t max_elements;
	struct cim_reader *rd;
	const struct wrsh_cim_sink *sink;
};

static const char *const actions[] = {
	"http://schemas.xmlsoap.org/ws/2004/09/transfer/Get",
	"http://schemas.xmlsoap.org/ws/2004/09/transfer/Put",
	WSMAN_ACTION_CREATE,
	WSMAN_ACTION_DELETE,
	NULL,
	CIM_NS_ENUM "/Enumerate",
	CIM_NS_ENUM "/Pull",
	CIM_NS_ENUM "/Release",
};

/* ---- names and request bodies ------------------------------------------ */

static bool name_char(char c, bool first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')
		return true;
	return !first && ((c >= '0' && c <= '9') || c == '-' || c == '.');
}

/* An XML name without a prefix (what an element is called here), or with
 * slash-separated such names when paths are allowed. */
static bool valid_name(const char *s, bool path)
{
	bool first = true;
	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (path && *s == '/' && !first) {
			first = true;
			continue;
		}
		if (!name_char(*s, first))
			return false;
		first = false;
	}
	return !first;
}

static void open_tag(struct sbuf *b, const char *name, size_t n)
{
	sb_puts(b, "<p:");
	sb_put(b, name, n);
	sb_putc(b, '>');
}

static void close_tag(struct sbuf *b, const char *name, size_t n)
{
	sb_puts(b, "</p:");
	sb_put(b, name, n);
	sb_putc(b, '>');
}

/* NAME=VALUE as <p:NAME>VALUE</p:NAME>; "A/B" nests B inside A. */
static void put_prop(struct sbuf *b, const struct wrsh_cim_kv *kv)
{
	const char *name = kv->name, *slash = strchr(name, '/');
	if (slash) {
		size_t n = (size_t)(slash - name);
		struct wrsh_cim_kv inner;
		inner.name = slash + 1;
		inner.value = kv->value;
		open_tag(b, name, n);
		put_prop(b, &inner);
		close_tag(b, name, n);
		return;
	}
	if (!kv->value) {
		sb_puts(b, "<p:");
		sb_puts(b, name);
		sb_puts(b, " xsi:nil=\"true\"/>");
		return;
	}
	open_tag(b, name, strlen(name));
	sb_puts_xml(b, kv->value);
	close_tag(b, name, strlen(name));
}

/* <p:ELEM xmlns:p="URI"> with the properties, for Put, Create, Invoke. */
static void put_instance(struct sbuf *b, const struct creq *q, const char *suffix)
{
	size_t i;
	sb_puts(b, "<p:");
	sb_puts(b, q->elem);
	sb_puts(b, suffix);
	sb_puts(b, " xmlns:p=\"");
	sb_puts_xml(b, q->uri);
	sb_puts(b, "\" xmlns:xsi=\"" XSI_NS "\">");
	for (i = 0; i < q->nprops; i++)
		put_prop(b, &q->props[i]);
	sb_puts(b, "</p:");
	sb_puts(b, q->elem);
	sb_puts(b, suffix);
	sb_putc(b, '>');
}

static const char *mode_name(enum wrsh_cim_mode m)
{
	return m == WRSH_CIM_OBJECTS_AND_EPRS ? "EnumerateObjectAndEPR"
	       : m == WRSH_CIM_EPRS	      ? "EnumerateEPR"
					      : NULL;
}

/* DSP0226 8.2: the filter, the mode, then the optimization (the first
 * page rides on the EnumerateResponse) and the page size. */
static void put_enumerate(struct sbuf *b, const struct creq *q)
{
	const struct wrsh_cim_enum_opts *eo = q->eo;
	const char *mode = eo ? mode_name(eo->mode) : NULL;
	sb_puts(b, "<n:Enumerate xmlns:n=\"" CIM_NS_ENUM "\">");
	if (eo && eo->filter) {
		sb_puts(b, "<w:Filter Dialect=\"");
		sb_puts_xml(b, eo->dialect ? eo->dialect : CIM_DIALECT_WQL);
		sb_puts(b, "\">");
		sb_puts_xml(b, eo->filter);
		sb_puts(b, "</w:Filter>");
	}
	if (mode) {
		sb_puts(b, "<w:EnumerationMode>");
		sb_puts(b, mode);
		sb_puts(b, "</w:EnumerationMode>");
	}
	sb_puts(b, "<w:OptimizeEnumeration/><w:MaxElements>");
	sb_put_u64(b, q->max_elements);
	sb_puts(b, "</w:MaxElements></n:Enumerate>");
}

static void put_context(struct sbuf *b, const char *ctx)
{
	sb_puts(b, "<n:EnumerationContext>");
	sb_puts_xml(b, ctx);
	sb_puts(b, "</n:EnumerationContext>");
}

static void write_creq(struct wrsh_session *s, struct sbuf *b, void *ctx)
{
	struct creq *q = ctx;
	struct wsman_hdr h;
	cim_reader_init(q->rd, q->sink, &s->err);
	sess_new_message_id(s);
	memset(&h, 0, sizeof(h));
	h.action = q->action;
	h.resource_uri = q->uri;
	h.selectors = q->sel;
	h.nselectors = q->nsel;
	h.options = q->opt;
	h.noptions = q->nopt;
	h.op_timeout_ms = s->op_ms;
	wsman_write_begin(b, &s->ws, &h);
	switch (q->kind) {
	case K_PUT:
	case K_CREATE:
		put_instance(b, q, "");
		break;
	case K_INVOKE:
		put_instance(b, q, "_INPUT");
		break;
	case K_ENUMERATE:
		put_enumerate(b, q);
		break;
	case K_PULL:
		sb_puts(b, "<n:Pull xmlns:n=\"" CIM_NS_ENUM "\">");
		put_context(b, q->context);
		sb_puts(b, "<n:MaxElements>");
		sb_put_u64(b, q->max_elements);
		sb_puts(b, "</n:MaxElements></n:Pull>");
		break;
	case K_RELEASE:
		sb_puts(b, "<n:Release xmlns:n=\"" CIM_NS_ENUM "\">");
		put_context(b, q->context);
		sb_puts(b, "</n:Release>");
		break;
	case K_GET:
	case K_DELETE:
		break;
	}
	wsman_write_end(b);
}

static wrsh_err call(struct wrsh_session *s, struct creq *q, enum cim_body body)
{
	struct xml_consumer c;
	cim_reader_init(q->rd, q->sink, &s->err); /* read even when nothing was sent */
	cim_consumer(&c, q->rd, body);
	return sess_transact(s, &c, write_creq, q, false, s->conn.timeout_ms, 0);
}

/* ---- the public edge --------------------------------------------------- */

static wrsh_err copy_kv(struct wrsh_session *s, const struct wrsh_cim_kv *in, size_t n,
			struct wsman_kv *out, const char *what)
{
	size_t i;
	if (n > CONFIG_WRSH_CIM_MAX_SELECTORS)
		return err_set(&s->err, WRSH_EINVAL, "cim: more ", what,
			       " than CONFIG_WRSH_CIM_MAX_SELECTORS", NULL);
	for (i = 0; i < n; i++) {
		if (!in || !in[i].name || !*in[i].name || !in[i].value)
			return err_set(&s->err, WRSH_EINVAL, "cim: a ", what,
				       " without a name or value", NULL);
		out[i].name = in[i].name;
		out[i].value = in[i].value;
		out[i].must_comply = false;
	}
	return WRSH_OK;
}

/*
 * One operation's working memory: the selector and option copies, the
 * response reader, the request, the class name (about 2.3 KB with the
 * default caps). Taken from the arena for the call and freed after it, so
 * that it is not on the caller's stack, which on a firmware task is small.
 */
struct cim_op {
	struct wsman_kv sel[CONFIG_WRSH_CIM_MAX_SELECTORS], opt[CONFIG_WRSH_CIM_MAX_SELECTORS];
	struct cim_reader rd;
	struct creq q;
	char cls[CONFIG_WRSH_CIM_NAME_MAX];
};

static wrsh_err op_new(struct wrsh_session *s, struct cim_op **out)
{
	*out = wrsh_arena_alloc(s->arena, sizeof(**out));
	if (!*out)
		return err_set(&s->err, WRSH_ENOMEM, "cim: arena exhausted for the operation",
			       NULL);
	return WRSH_OK;
}

/* Free the operation's memory and leave the session with e. */
static wrsh_err op_end(struct wrsh_session *s, struct cim_op *op, wrsh_err e)
{
	wrsh_arena_free(s->arena, op);
	return sess_leave(s, e);
}

/* Check the session and the request, take the operation's memory, fill its
 * request's header part. On error *out is NULL and nothing is held. */
static wrsh_err begin(struct wrsh_session *s, const struct wrsh_cim_req *r, enum ckind kind,
		      struct cim_op **out)
{
	struct cim_op *op;
	struct creq *q;
	wrsh_err e;
	*out = NULL;
	if (!CONFIG_WRSH_CIM)
		return WRSH_EUNSUPPORTED;
	if ((e = sess_enter(s)))
		return e;
	if (!r || !r->resource || !*r->resource)
		return err_set(&s->err, WRSH_EINVAL, "cim: no resource URI", NULL);
	if ((e = op_new(s, &op)))
		return e;
	if ((e = copy_kv(s, r->selectors, r->nselectors, op->sel, "selectors")) ||
	    (e = copy_kv(s, r->options, r->noptions, op->opt, "options"))) {
		wrsh_arena_free(s->arena, op);
		return e;
	}
	q = &op->q;
	memset(q, 0, sizeof(*q));
	q->kind = kind;
	q->action = actions[kind];
	q->uri = r->resource;
	q->sel = op->sel;
	q->nsel = r->nselectors;
	q->opt = op->opt;
	q->nopt = r->noptions;
	q->rd = &op->rd;
	*out = op;
	return WRSH_OK;
}

static wrsh_err check_props(struct wrsh_session *s, const struct wrsh_cim_kv *p, size_t n)
{
	size_t i;
	if (n && !p)
		return err_set(&s->err, WRSH_EINVAL, "cim: properties missing", NULL);
	for (i = 0; i < n; i++)
		if (!valid_name(p[i].name, true))
			return err_set(&s->err, WRSH_EINVAL, "cim: '", p[i].name ? p[i].name : "",
				       "' is not a property name", NULL);
	return WRSH_OK;
}

/* see wrsh.h */
wrsh_err wrsh_cim_get(struct wrsh_session *s, const struct wrsh_cim_req *r,
		      const struct wrsh_cim_sink *sink)
{
	struct cim_op *op;
	wrsh_err e;
	if (!s)
		return WRSH_EINVAL;
	if ((e = begin(s, r, K_GET, &op)))
		return e;
	op->q.sink = sink;
	return op_end(s, op, call(s, &op->q, CIM_BODY_TRANSFER));
}

/* The element of a Put or Create: the caller's, or the resource's last
 * path segment (cfg:Config, cfg:Listener under winrm/config). */
static wrsh_err class_of(struct wrsh_session *s, const char *uri, const char *given, char *out)
{
	const char *seg = strrchr(uri, '/');
	size_t n;
	if (given) {
		if (!valid_name(given, false) || strlen(given) >= CONFIG_WRSH_CIM_NAME_MAX)
			return err_set(&s->err, WRSH_EINVAL, "cim: '", given,
				       "' is not a class name", NULL);
		strcpy(out, given);
		return WRSH_OK;
	}
	seg = seg ? seg + 1 : uri;
	n = strlen(seg);
	if (!valid_name(seg, false) || n >= CONFIG_WRSH_CIM_NAME_MAX)
		return err_set(&s->err, WRSH_EINVAL, "cim: no class name in the resource URI ", uri,
			       NULL);
	memcpy(out, seg, n + 1);
	if (strncmp(uri, CONFIG_URI, strlen(CONFIG_URI)) == 0 && out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
	return WRSH_OK;
}

static wrsh_err put_or_create(struct wrsh_session *s, const struct wrsh_cim_req *r, enum ckind kind,
			      const char *class_name, const struct wrsh_cim_kv *props, size_t n,
			      const struct wrsh_cim_sink *sink)
{
	struct cim_op *op;
	wrsh_err e;
	if (!s)
		return WRSH_EINVAL;
	if ((e = begin(s, r, kind, &op)))
		return e;
	if ((e = check_props(s, props, n)) || (e = class_of(s, r->resource, class_name, op->cls))) {
		wrsh_arena_free(s->arena, op);
		return e;
	}
	op->q.elem = op->cls;
	op->q.props = props;
	op->q.nprops = n;
	op->q.sink = sink;
	return op_end(s, op, call(s, &op->q, CIM_BODY_TRANSFER));
}

/* see wrsh.h */
wrsh_err wrsh_cim_put(struct wrsh_session *s, const struct wrsh_cim_req *r, const char *class_name,
		      const struct wrsh_cim_kv *props, size_t nprops,
		      const struct wrsh_cim_sink *sink)
{
	return put_or_create(s, r, K_PUT, class_name, props, nprops, sink);
}

/* see wrsh.h */
wrsh_err wrsh_cim_create(struct wrsh_session *s, const struct wrsh_cim_req *r,
			 const char *class_name, const struct wrsh_cim_kv *props, size_t nprops,
			 const struct wrsh_cim_sink *sink)
{
	return put_or_create(s, r, K_CREATE, class_name, props, nprops, sink);
}

/* see wrsh.h */
wrsh_err wrsh_cim_delete(struct wrsh_session *s, const struct wrsh_cim_req *r)
{
	struct cim_op *op;
	wrsh_err e;
	if (!s)
		return WRSH_EINVAL;
	if ((e = begin(s, r, K_DELETE, &op)))
		return e;
	return op_end(s, op, call(s, &op->q, CIM_BODY_TRANSFER));
}

/* see wrsh.h */
wrsh_err wrsh_cim_invoke(struct wrsh_session *s, const struct wrsh_cim_req *r, const char *method,
			 const struct wrsh_cim_kv *params, size_t nparams,
			 const struct wrsh_cim_sink *sink)
{
	struct cim_op *op;
	struct sbuf act;
	size_t n;
	char *mem;
	wrsh_err e;
	if (!s)
		return WRSH_EINVAL;
	if ((e = begin(s, r, K_INVOKE, &op)))
		return e;
	if ((e = check_props(s, params, nparams)) ||
	    ((!valid_name(method, false) || strlen(method) >= CONFIG_WRSH_CIM_NAME_MAX) &&
	     (e = err_set(&s->err, WRSH_EINVAL, "cim: '", method ? method : "",
			  "' is not a method name", NULL)))) {
		wrsh_arena_free(s->arena, op);
		return e;
	}
	/* MS-WSMV 3.1.4.17: the action is the resource URI and the method */
	n = strlen(r->resource) + 1 + strlen(method) + 1;
	if (!(mem = wrsh_arena_alloc(s->arena, n)))
		return op_end(s, op,
			      err_set(&s->err, WRSH_ENOMEM,
				      "cim: arena exhausted for the action URI", NULL));
	sb_init(&act, mem, n);
	sb_puts(&act, r->resource);
	sb_putc(&act, '/');
	sb_puts(&act, method);
	op->q.action = sb_cstr(&act);
	op->q.elem = method;
	op->q.props = params;
	op->q.nprops = nparams;
	op->q.sink = sink;
	e = call(s, &op->q, CIM_BODY_TRANSFER);
	wrsh_arena_free(s->arena, mem);
	return op_end(s, op, e);
}

/* ---- enumeration --------------------------------------------------------- */

static size_t kv_size(const struct wsman_kv *kv, size_t n)
{
	size_t i, total = 0;
	for (i = 0; i < n; i++)
		total += strlen(kv[i].name) + strlen(kv[i].value) + 2;
	return total;
}

static char *copy_str(char **p, const char *s)
{
	char *out = *p;
	size_t n = strlen(s) + 1;
	memcpy(out, s, n);
	*p += n;
	return out;
}

/* The enumeration's state, with the request's resource and selectors, in
 * one arena block. */
static void enum_close(struct wrsh_session *s, struct sess_part *p);

/* The open enumeration, or NULL. */
static struct cim_enum *enum_of(const struct wrsh_session *s)
{
	struct sess_part *p = sess_part_of(s, enum_close);
	return p ? SESS_STATE(p, struct cim_enum) : NULL;
}

static wrsh_err keep_enum(struct wrsh_session *s, const struct creq *q)
{
	size_t need = sizeof(struct cim_enum) + strlen(q->uri) + 1 + kv_size(q->sel, q->nsel), i;
	struct cim_enum *ce = wrsh_arena_alloc(s->arena, need);
	char *p;
	if (!ce)
		return err_set(&s->err, WRSH_ENOMEM, "cim: arena exhausted keeping the enumeration",
			       NULL);
	memset(ce, 0, sizeof(*ce));
	p = (char *)(ce + 1);
	ce->uri = copy_str(&p, q->uri);
	for (i = 0; i < q->nsel; i++) {
		ce->sel[i].name = copy_str(&p, q->sel[i].name);
		ce->sel[i].value = copy_str(&p, q->sel[i].value);
	}
	ce->nsel = q->nsel;
	ce->max_elements = q->max_elements;
	ce->part.close = enum_close;
	sess_attach(s, &ce->part);
	return WRSH_OK;
}

static void forget_enum(struct wrsh_session *s)
{
	struct cim_enum *ce = enum_of(s);
	if (!ce)
		return;
	sess_detach(s, &ce->part);
	wrsh_arena_free(s->arena, ce);
}

/* After a page: the end, or the context of the next Pull. */
static wrsh_err page_done(struct wrsh_session *s, const struct cim_reader *rd, bool *end)
{
	if (!rd->response_seen)
		return err_set(&s->err, WRSH_EPROTO, "cim: the response is no enumeration answer",
			       NULL);
	if (rd->end_of_sequence) {
		*end = true;
		forget_enum(s);
		return WRSH_OK;
	}
	if (!rd->context_n)
		return err_set(&s->err, WRSH_EPROTO,
			       "cim: no EnumerationContext and no EndOfSequence", NULL);
	memcpy(enum_of(s)->context, rd->context, rd->context_n + 1);
	return WRSH_OK;
}

/* see wrsh.h */
wrsh_err wrsh_cim_enumerate(struct wrsh_session *s, const struct wrsh_cim_req *r,
			    const struct wrsh_cim_enum_opts *eo, const struct wrsh_cim_sink *sink,
			    bool *end)
{
	struct cim_op *op;
	struct cim_reader *rd;
	wrsh_err e;
	if (!s || !end)
		return WRSH_EINVAL;
	*end = false;
	if ((e = begin(s, r, K_ENUMERATE, &op)))
		return e;
	if (enum_of(s)) {
		wrsh_arena_free(s->arena, op);
		return err_set(&s->err, WRSH_ESTATE,
			       "cim: an enumeration is open: pull it to the end or release it",
			       NULL);
	}
	rd = &op->rd;
	op->q.eo = eo;
	op->q.max_elements = eo && eo->max_elements ? eo->max_elements : CIM_DEFAULT_MAX_ELEMENTS;
	op->q.sink = sink;
	if ((e = keep_enum(s, &op->q)))
		return op_end(s, op, e);
	e = call(s, &op->q, CIM_BODY_ENUM);
	if (!e)
		e = page_done(s, rd, end);
	else if (rd->response_seen && rd->context_done && !rd->context_cut)
		/* the sink stopped mid-page: the context is the server's, and
		 * wrsh_close releases it */
		memcpy(enum_of(s)->context, rd->context, rd->context_n + 1);
	if (enum_of(s) && !enum_of(s)->context[0])
		forget_enum(s); /* nothing open on the server */
	return op_end(s, op, e);
}

static void pull_req(struct wrsh_session *s, struct creq *q, enum ckind kind, struct cim_reader *rd,
		     const struct wrsh_cim_sink *sink)
{
	memset(q, 0, sizeof(*q));
	q->kind = kind;
	q->action = actions[kind];
	q->uri = enum_of(s)->uri;
	q->sel = enum_of(s)->sel;
	q->nsel = enum_of(s)->nsel;
	q->context = enum_of(s)->context;
	q->max_elements = enum_of(s)->max_elements;
	q->rd = rd;
	q->sink = sink;
}

/* see wrsh.h */
wrsh_err wrsh_cim_pull(struct wrsh_session *s, const struct wrsh_cim_sink *sink, bool *end)
{
	struct cim_op *op;
	struct cim_reader *rd;
	wrsh_err e;
	if (!s || !end)
		return WRSH_EINVAL;
	*end = false;
	if (!CONFIG_WRSH_CIM)
		return WRSH_EUNSUPPORTED;
	if ((e = sess_enter(s)))
		return e;
	if (!enum_of(s))
		return err_set(&s->err, WRSH_ESTATE, "cim: no enumeration is open", NULL);
	if ((e = op_new(s, &op)))
		return e;
	rd = &op->rd;
	pull_req(s, &op->q, K_PULL, rd, sink);
	e = call(s, &op->q, CIM_BODY_ENUM);
	if (e == WRSH_EFAULT && wsman_fault_is(&s->resp, "TimedOut")) {
		wrsh_arena_free(s->arena, op);
		err_clear(&s->err); /* nothing came within OperationTimeout: pull again */
		return WRSH_OK;
	}
	if (e == WRSH_EFAULT && wsman_fault_is(&s->resp, "InvalidEnumerationContext"))
		forget_enum(s); /* expired or unknown: nothing left to release */
	if (!e)
		e = page_done(s, rd, end);
	else if (enum_of(s) && rd->response_seen && rd->context_done && !rd->context_cut)
		memcpy(enum_of(s)->context, rd->context, rd->context_n + 1);
	return op_end(s, op, e);
}

/* A Release whatever happened before (the caller's choice, or
 * wrsh_close). */
static wrsh_err release_now(struct wrsh_session *s)
{
	struct cim_op *op;
	wrsh_err e;
	if ((e = op_new(s, &op))) {
		forget_enum(s); /* the server drops it when it expires */
		return e;
	}
	pull_req(s, &op->q, K_RELEASE, &op->rd, NULL);
	e = call(s, &op->q, CIM_BODY_ENUM);
	forget_enum(s);
	wrsh_arena_free(s->arena, op);
	return e;
}

/* see wrsh.h */
wrsh_err wrsh_cim_release(struct wrsh_session *s)
{
	wrsh_err e;
	if (!s)
		return WRSH_EINVAL;
	if (!CONFIG_WRSH_CIM)
		return WRSH_EUNSUPPORTED;
	if ((e = sess_enter(s)))
		return e;
	if (!enum_of(s))
		return WRSH_OK;
	return sess_leave(s, release_now(s));
}

/* wrsh_close: Release what the server still holds, best effort */
static void enum_close(struct wrsh_session *s, struct sess_part *p)
{
	(void)p;
	(void)release_now(s);
}
