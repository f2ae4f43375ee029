/*
 * wrsh cim's printers: instances as they stream from the library's CIM
 * sink, as "Name : value" blocks with the names aligned, one JSON object
 * per instance, or the instance XML one per line.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef CONFIG_WRSH_APPLET_CIM_INSTANCE_MAX
#define CONFIG_WRSH_APPLET_CIM_INSTANCE_MAX 32768
#endif

/* ---- output --------------------------------------------------------------- */

/*
 * An instance is kept as records (depth, flags, name, value) in one static
 * buffer until it ends, then printed with its names aligned and repeated
 * leaves grouped into arrays. The first event that does not fit prints what
 * is held and streams the rest of the instance as it comes.
 */
struct rec {
	uint8_t depth, nil, container;
	uint16_t name_len;
	uint32_t val_len;
};

static unsigned char ibuf[CONFIG_WRSH_APPLET_CIM_INSTANCE_MAX];

struct out {
	enum cim_fmt fmt;
	FILE *f;
	size_t len, last; /* bytes held; offset of the last record */
	bool have_last;
	bool streaming; /* this instance did not fit */
	unsigned long instances;
	char cls[256];
	/* streaming state */
	bool open_leaf, leaf_text;
	unsigned members[64]; /* JSON: members written per open level */
};

static size_t name_len_at(size_t off)
{
	struct rec r;
	memcpy(&r, ibuf + off, sizeof(r));
	return r.name_len;
}

static size_t rec_next(size_t off)
{
	struct rec r;
	memcpy(&r, ibuf + off, sizeof(r));
	return off + sizeof(r) + r.name_len + r.val_len;
}

static void rec_get(size_t off, struct rec *r, const char **name, const char **val)
{
	memcpy(r, ibuf + off, sizeof(*r));
	*name = (const char *)ibuf + off + sizeof(*r);
	*val = *name + r->name_len;
}

/* the offset after off's subtree (its deeper records) */
static size_t subtree_end(size_t off, size_t end)
{
	struct rec r, q;
	size_t k = rec_next(off);
	memcpy(&r, ibuf + off, sizeof(r));
	while (k < end) {
		memcpy(&q, ibuf + k, sizeof(q));
		if (q.depth <= r.depth)
			break;
		k = rec_next(k);
	}
	return k;
}

static bool same_name(size_t a, size_t b)
{
	struct rec ra, rb;
	const char *na, *nb, *v;
	rec_get(a, &ra, &na, &v);
	rec_get(b, &rb, &nb, &v);
	return ra.name_len == rb.name_len && !memcmp(na, nb, ra.name_len) &&
	       ra.container == rb.container;
}

static void put_json_str(FILE *f, const char *p, size_t n)
{
	size_t i;
	fputc('"', f);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void put_xml_text(FILE *f, const char *p, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		char c = p[i];
		if (c == '&')
			fputs("&amp;", f);
		else if (c == '<')
			fputs("&lt;", f);
		else if (c == '>')
			fputs("&gt;", f);
		else
			fputc(c, f);
	}
}

static void indent(FILE *f, unsigned depth)
{
	unsigned i;
	for (i = 1; i < depth; i++)
		fputs("    ", f);
}

/* List view of the siblings in [off, end): names padded to the widest. */
static void list_level(struct out *o, size_t off, size_t end)
{
	size_t k, width = 0;
	for (k = off; k < end; k = subtree_end(k, end))
		if (name_len_at(k) > width)
			width = name_len_at(k);
	for (k = off; k < end;) {
		struct rec r;
		const char *name, *val;
		size_t sub = subtree_end(k, end), j;
		rec_get(k, &r, &name, &val);
		indent(o->f, r.depth);
		fprintf(o->f, "%.*s%*s :", (int)r.name_len, name, (int)(width - r.name_len), "");
		if (r.container) {
			fputc('\n', o->f);
			list_level(o, rec_next(k), sub);
			k = sub;
			continue;
		}
		if (sub < end && same_name(k, sub)) { /* an array: {a, b} */
			fputs(" {", o->f);
			for (j = k; j < end && same_name(k, j); j = subtree_end(j, end)) {
				rec_get(j, &r, &name, &val);
				if (j != k)
					fputs(", ", o->f);
				fwrite(val, 1, r.val_len, o->f);
			}
			fputs("}\n", o->f);
			k = j;
			continue;
		}
		if (r.val_len) {
			fputc(' ', o->f);
			fwrite(val, 1, r.val_len, o->f);
		}
		fputc('\n', o->f);
		k = sub;
	}
}

static void json_value(struct out *o, size_t k, size_t end);

/* A JSON object of the siblings in [off, end); repeats become arrays. */
static void json_level(struct out *o, size_t off, size_t end)
{
	size_t k = off;
	bool first = true;
	fputc('{', o->f);
	while (k < end) {
		struct rec r;
		const char *name, *val;
		size_t sub = subtree_end(k, end);
		rec_get(k, &r, &name, &val);
		if (!first)
			fputc(',', o->f);
		first = false;
		put_json_str(o->f, name, r.name_len);
		fputc(':', o->f);
		if (sub < end && same_name(k, sub)) {
			size_t j;
			fputc('[', o->f);
			for (j = k; j < end && same_name(k, j); j = subtree_end(j, end)) {
				if (j != k)
					fputc(',', o->f);
				json_value(o, j, end);
			}
			fputc(']', o->f);
			k = j;
			continue;
		}
		json_value(o, k, end);
		k = sub;
	}
	fputc('}', o->f);
}

static void json_value(struct out *o, size_t k, size_t end)
{
	struct rec r;
	const char *name, *val;
	rec_get(k, &r, &name, &val);
	if (r.container)
		json_level(o, rec_next(k), subtree_end(k, end));
	else if (r.nil)
		fputs("null", o->f);
	else
		put_json_str(o->f, val, r.val_len);
}

static void xml_level(struct out *o, size_t off, size_t end)
{
	size_t k;
	for (k = off; k < end;) {
		struct rec r;
		const char *name, *val;
		size_t sub = subtree_end(k, end);
		rec_get(k, &r, &name, &val);
		fprintf(o->f, "<%.*s", (int)r.name_len, name);
		if (r.nil) {
			fputs(" xsi:nil=\"true\"/>", o->f);
		} else {
			fputc('>', o->f);
			if (r.container)
				xml_level(o, rec_next(k), sub);
			else
				put_xml_text(o->f, val, r.val_len);
			fprintf(o->f, "</%.*s>", (int)r.name_len, name);
		}
		k = sub;
	}
}

static const char XSI_DECL[] = " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";

static void start_instance(struct out *o)
{
	if (o->fmt == CIM_LIST && o->instances)
		fputc('\n', o->f);
	if (o->fmt == CIM_XML)
		fprintf(o->f, "<%s%s>", o->cls, XSI_DECL);
}

static void flush_held(struct out *o)
{
	if (o->fmt == CIM_LIST)
		list_level(o, 0, o->len);
	else if (o->fmt == CIM_JSON)
		json_level(o, 0, o->len);
	else
		xml_level(o, 0, o->len);
}

static wrsh_err o_begin(void *ctx, const char *cls)
{
	struct out *o = ctx;
	snprintf(o->cls, sizeof(o->cls), "%s", cls);
	o->len = 0;
	o->have_last = false;
	o->streaming = false;
	o->open_leaf = false;
	memset(o->members, 0, sizeof(o->members));
	return WRSH_OK;
}

/* ---- streaming (an instance bigger than the buffer) ---- */

static void s_open(struct out *o, unsigned depth, const char *name, size_t n, bool container,
		   bool nil)
{
	if (o->fmt == CIM_LIST) {
		indent(o->f, depth);
		fprintf(o->f, "%.*s :%s", (int)n, name, container ? "\n" : "");
	} else if (o->fmt == CIM_JSON) {
		if (depth < 64 && o->members[depth]++)
			fputc(',', o->f);
		put_json_str(o->f, name, n);
		fputs(container ? ":{" : nil ? ":null" : ":\"", o->f);
		if (container && depth + 1 < 64)
			o->members[depth + 1] = 0;
	} else {
		fprintf(o->f, "<%.*s%s", (int)n, name, nil ? " xsi:nil=\"true\"/>" : ">");
	}
	o->open_leaf = !container;
	o->leaf_text = false;
}

static void s_text(struct out *o, const char *s, size_t n)
{
	size_t i;
	if (!n)
		return;
	if (o->fmt == CIM_LIST) {
		if (!o->leaf_text)
			fputc(' ', o->f);
		fwrite(s, 1, n, o->f);
	} else if (o->fmt == CIM_JSON) {
		for (i = 0; i < n; i++) { /* the quotes are s_open's and s_close's */
			unsigned char c = (unsigned char)s[i];
			if (c == '"' || c == '\\')
				fprintf(o->f, "\\%c", c);
			else if (c < 0x20)
				fprintf(o->f, "\\u%04x", c);
			else
				fputc(c, o->f);
		}
	} else {
		put_xml_text(o->f, s, n);
	}
	o->leaf_text = o->leaf_text || n;
}

static void s_close(struct out *o, const char *name, size_t n, bool container, bool nil)
{
	if (o->fmt == CIM_LIST) {
		if (!container)
			fputc('\n', o->f);
	} else if (o->fmt == CIM_JSON) {
		if (container)
			fputc('}', o->f);
		else if (!nil)
			fputc('"', o->f);
	} else if (!nil) {
		fprintf(o->f, "</%.*s>", (int)n, name);
	}
	o->open_leaf = false;
}

/* The instance did not fit: print what is held as the stream would have,
 * leaving open the containers above depth `open_below` and, with
 * keep_leaf, the last leaf (more of its text is coming). */
static void go_streaming(struct out *o, unsigned open_below, bool keep_leaf)
{
	size_t stack[64], k;
	unsigned nstack = 0;
	o->streaming = true;
	start_instance(o);
	if (o->fmt == CIM_JSON)
		fputc('{', o->f);
	for (k = 0; k < o->len; k = rec_next(k)) {
		struct rec r, c;
		const char *name, *val, *cn, *cv;
		rec_get(k, &r, &name, &val);
		while (nstack && (rec_get(stack[nstack - 1], &c, &cn, &cv), c.depth >= r.depth)) {
			s_close(o, cn, c.name_len, true, false);
			nstack--;
		}
		s_open(o, r.depth, name, r.name_len, r.container, r.nil);
		if (r.container) {
			if (nstack < 64)
				stack[nstack++] = k;
			continue;
		}
		if (!r.nil)
			s_text(o, val, r.val_len);
		if (!(keep_leaf && k == o->last))
			s_close(o, name, r.name_len, false, r.nil);
	}
	while (nstack) {
		struct rec c;
		const char *cn, *cv;
		rec_get(stack[nstack - 1], &c, &cn, &cv);
		if (c.depth < open_below)
			break;
		s_close(o, cn, c.name_len, true, false);
		nstack--;
	}
	o->len = 0;
}

static bool hold(struct out *o, const struct wrsh_cim_prop *p)
{
	struct rec r;
	size_t n = strlen(p->name);
	if (o->len + sizeof(r) + n > sizeof(ibuf) || n > 0xffff || p->depth > 255)
		return false;
	r.depth = (uint8_t)p->depth;
	r.nil = p->nil;
	r.container = p->container;
	r.name_len = (uint16_t)n;
	r.val_len = 0;
	memcpy(ibuf + o->len, &r, sizeof(r));
	memcpy(ibuf + o->len + sizeof(r), p->name, n);
	o->last = o->len;
	o->have_last = true;
	o->len += sizeof(r) + n;
	return true;
}

static wrsh_err o_open(void *ctx, const struct wrsh_cim_prop *p)
{
	struct out *o = ctx;
	if (!o->streaming && hold(o, p))
		return WRSH_OK;
	if (!o->streaming)
		go_streaming(o, p->depth, false);
	s_open(o, p->depth, p->name, strlen(p->name), p->container, p->nil);
	return WRSH_OK;
}

static wrsh_err o_text(void *ctx, const struct wrsh_cim_prop *p, const char *s, size_t n)
{
	struct out *o = ctx;
	struct rec r;
	if (!o->streaming && o->have_last && n <= sizeof(ibuf) - o->len) {
		memcpy(&r, ibuf + o->last, sizeof(r));
		r.val_len += (uint32_t)n;
		memcpy(ibuf + o->last, &r, sizeof(r));
		memcpy(ibuf + o->len, s, n);
		o->len += n;
		return WRSH_OK;
	}
	if (!o->streaming)
		go_streaming(o, p->depth, true);
	s_text(o, s, n);
	return WRSH_OK;
}

static wrsh_err o_close(void *ctx, const struct wrsh_cim_prop *p)
{
	struct out *o = ctx;
	if (o->streaming)
		s_close(o, p->name, strlen(p->name), p->container, p->nil);
	return ferror(o->f) ? WRSH_EIO : WRSH_OK;
}

static wrsh_err o_end(void *ctx)
{
	struct out *o = ctx;
	if (!o->streaming) {
		start_instance(o);
		flush_held(o);
	} else if (o->fmt == CIM_JSON) {
		fputc('}', o->f);
	}
	if (o->fmt == CIM_XML)
		fprintf(o->f, "</%s>", o->cls);
	if (o->fmt != CIM_LIST)
		fputc('\n', o->f);
	o->instances++;
	return ferror(o->f) ? WRSH_EIO : WRSH_OK;
}

void cim_print_sink(struct wrsh_cim_sink *sink, enum cim_fmt fmt, FILE *f)
{
	static struct out o;
	memset(&o, 0, sizeof(o));
	o.fmt = fmt;
	o.f = f;
	sink->begin = o_begin;
	sink->open = o_open;
	sink->text = o_text;
	sink->close = o_close;
	sink->end = o_end;
	sink->ctx = &o;
}
