#include <string.h>

#include "psrp/clixml.h"
#include "util/hex.h"
#include "util/str.h"
#include "util/utf.h"

#define ID_CLIXML XML_ID_USER

/* every element of the message, at any depth, comes to us */
static const struct xml_rule rules[] = {
	{XML_ID_ROOT, NS_ANY, ID_CLIXML, NULL},
	{ID_CLIXML, NS_ANY, ID_CLIXML, NULL},
};

static const char *const containers[] = {"Obj", "MS",  "Props", "LST", "IE", "ST",
					 "QUE", "STK", "DCT",	"En",  "TN"};
#define NCONT (sizeof(containers) / sizeof(containers[0]))

static int container_of(const char *tag)
{
	size_t i;
	for (i = 0; i < NCONT; i++)
		if (strcmp(containers[i], tag) == 0)
			return (int)i;
	return -1;
}

/* ---- _xHHHH_ decoding into a small output window ------------------------ */

struct out {
	struct clixml_reader *r;
	char buf[256];
	size_t n;
	wrsh_err err;
};

static void flush(struct out *o)
{
	struct clixml_reader *r = o->r;
	if (o->n && !o->err)
		o->err = r->sink->text(r->sink->ctx, &r->node, o->buf, o->n, false);
	o->n = 0;
}

static void emit(struct out *o, const char *p, size_t n)
{
	while (n) {
		size_t k = sizeof(o->buf) - o->n;
		k = k < n ? k : n;
		memcpy(o->buf + o->n, p, k);
		o->n += k, p += k, n -= k;
		if (o->n == sizeof(o->buf))
			flush(o);
	}
}

static void emit_cp(struct out *o, uint32_t cp)
{
	char u[4];
	emit(o, u, utf8_put(cp, u));
}

static void drop_high(struct out *o)
{
	if (o->r->high) {
		emit_cp(o, 0xFFFD); /* a lone surrogate */
		o->r->high = 0;
	}
}

static void emit_unit(struct out *o, uint16_t u)
{
	struct clixml_reader *r = o->r;
	if (u >= 0xD800 && u <= 0xDBFF) {
		drop_high(o);
		r->high = u;
	} else if (u >= 0xDC00 && u <= 0xDFFF) {
		if (r->high)
			emit_cp(o, 0x10000 + ((uint32_t)(r->high - 0xD800) << 10) + (u - 0xDC00u));
		else
			emit_cp(o, 0xFFFD);
		r->high = 0;
	} else {
		drop_high(o);
		emit_cp(o, u);
	}
}

static bool escape_prefix(const char *e, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if ((i == 0 && e[i] != '_') || (i == 1 && e[i] != 'x') ||
		    (i >= 2 && i <= 5 && hex_value(e[i]) < 0) || (i == 6 && e[i] != '_'))
			return false;
	return true;
}

static void put(struct out *o, char c)
{
	struct clixml_reader *r = o->r;
	if (r->esc_n || c == '_') {
		r->esc[r->esc_n++] = c;
		if (!escape_prefix(r->esc, r->esc_n)) {
			/* not an escape: its '_' is literal, the rest is read again */
			char rest[7];
			size_t k = r->esc_n - 1, i;
			memcpy(rest, r->esc + 1, k);
			r->esc_n = 0;
			drop_high(o);
			emit(o, "_", 1);
			for (i = 0; i < k; i++)
				put(o, rest[i]);
		} else if (r->esc_n == 7) {
			r->esc_n = 0;
			emit_unit(o, (uint16_t)(hex_value(r->esc[2]) << 12 |
						hex_value(r->esc[3]) << 8 |
						hex_value(r->esc[4]) << 4 | hex_value(r->esc[5])));
		}
		return;
	}
	drop_high(o);
	emit(o, &c, 1);
}

static void end_value(struct out *o)
{
	struct clixml_reader *r = o->r;
	if (r->esc_n) { /* an escape cut short is text */
		drop_high(o);
		emit(o, r->esc, r->esc_n);
		r->esc_n = 0;
	}
	drop_high(o);
}

wrsh_err clixml_unescape(char *s, struct errbuf *e)
{
	/* names are short: decode through a reader-less window */
	char tmp[CLIXML_NAME_MAX];
	size_t i = 0, j = 0, n = strlen(s);
	uint16_t high = 0;
	while (i < n) {
		uint32_t cp;
		char u[4];
		size_t k = 1;
		if (i + 7 <= n && escape_prefix(s + i, 7)) {
			uint16_t v =
				(uint16_t)(hex_value(s[i + 2]) << 12 | hex_value(s[i + 3]) << 8 |
					   hex_value(s[i + 4]) << 4 | hex_value(s[i + 5]));
			i += 7;
			if (v >= 0xD800 && v <= 0xDBFF && !high) {
				high = v;
				continue;
			}
			cp = high && v >= 0xDC00 && v <= 0xDFFF
				     ? 0x10000 + ((uint32_t)(high - 0xD800) << 10) + (v - 0xDC00u)
			     : (v >= 0xD800 && v <= 0xDFFF) || high ? 0xFFFD
								    : v;
			high = 0;
			k = utf8_put(cp, u);
			if (j + k >= sizeof(tmp))
				return err_set(e, WRSH_ELIMIT, "clixml: property name too long",
					       NULL);
			memcpy(tmp + j, u, k);
			j += k;
			continue;
		}
		if (j + 1 >= sizeof(tmp))
			return err_set(e, WRSH_ELIMIT, "clixml: property name too long", NULL);
		tmp[j++] = s[i++];
	}
	memcpy(s, tmp, j);
	s[j] = 0;
	return WRSH_OK;
}

/* ---- expat events -------------------------------------------------------- */

static wrsh_err on_start(void *ctx, unsigned id, const char *local, const char **atts)
{
	struct clixml_reader *r = ctx;
	const char *n = xml_attr(atts, "N"), *ref = xml_attr(atts, "RefId");
	uint64_t v;
	int kind;
	(void)id;
	if (r->in_value)
		return err_set(r->err, WRSH_EPSRP, "clixml: an element inside a value", NULL);
	r->node.depth++;
	str_copy(r->tag, sizeof(r->tag), local, strlen(local));
	r->node.tag = r->tag;
	r->node.name = NULL;
	if (n) {
		if (strlen(n) >= sizeof(r->name))
			return err_set(r->err, WRSH_ELIMIT, "clixml: property name too long", NULL);
		strcpy(r->name, n);
		if (clixml_unescape(r->name, r->err))
			return r->err->code;
		r->node.name = r->name;
	}
	r->node.ref_id = -1;
	if (ref && !str_to_u64(ref, strlen(ref), INT32_MAX, &v))
		r->node.ref_id = (int64_t)v;
	kind = container_of(local);
	r->node.container = kind >= 0;
	if (r->node.container) {
		if (r->node.depth < sizeof(r->open_kind))
			r->open_kind[r->node.depth] = (uint8_t)kind;
		return r->sink->open(r->sink->ctx, &r->node);
	}
	r->in_value = true;
	r->esc_n = 0;
	r->high = 0;
	return WRSH_OK;
}

static wrsh_err on_text(void *ctx, unsigned id, const char *s, size_t n)
{
	struct clixml_reader *r = ctx;
	struct out o;
	size_t i;
	(void)id;
	if (!r->in_value)
		return WRSH_OK; /* whitespace between elements */
	o.r = r, o.n = 0, o.err = WRSH_OK;
	for (i = 0; i < n && !o.err;) {
		size_t j = i;
		if (r->esc_n || s[i] == '_') {
			put(&o, s[i++]);
			continue;
		}
		/* a run without escapes (base64, most text) goes out as it is */
		while (j < n && s[j] != '_')
			j++;
		drop_high(&o);
		flush(&o);
		if (!o.err)
			o.err = r->sink->text(r->sink->ctx, &r->node, s + i, j - i, false);
		i = j;
	}
	flush(&o);
	return o.err;
}

static wrsh_err on_end(void *ctx, unsigned id)
{
	struct clixml_reader *r = ctx;
	wrsh_err e;
	(void)id;
	if (r->in_value) {
		struct out o;
		o.r = r, o.n = 0, o.err = WRSH_OK;
		end_value(&o);
		flush(&o);
		r->in_value = false;
		if (o.err)
			return o.err;
		e = r->sink->text(r->sink->ctx, &r->node, "", 0, true);
	} else {
		r->node.tag = r->node.depth < sizeof(r->open_kind)
				      ? containers[r->open_kind[r->node.depth]]
				      : "";
		r->node.name = NULL;
		r->node.ref_id = -1;
		r->node.container = true;
		e = r->sink->close(r->sink->ctx, &r->node);
	}
	r->node.depth--;
	return e;
}

wrsh_err clixml_begin(struct clixml_reader *r, struct wrsh_arena *a, const struct clixml_sink *sink,
		      struct errbuf *e)
{
	memset(r, 0, sizeof(*r));
	r->sink = sink;
	r->err = e;
	r->c.rules = rules;
	r->c.nrules = sizeof(rules) / sizeof(rules[0]);
	r->c.start = on_start;
	r->c.end = on_end;
	r->c.text = on_text;
	r->c.ctx = r;
	return xml_begin(&r->x, a, 0x5a17, NULL, &r->c, e);
}

wrsh_err clixml_push(struct clixml_reader *r, const void *p, size_t n)
{
	return xml_push(&r->x, p, n, false);
}

wrsh_err clixml_finish(struct clixml_reader *r)
{
	wrsh_err e = xml_push(&r->x, NULL, 0, true);
	xml_end(&r->x);
	return e;
}

void clixml_abort(struct clixml_reader *r)
{
	xml_end(&r->x);
}
