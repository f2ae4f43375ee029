//config:config WRSH_APPLET_CIM
//config:	bool "cim: get, set, enumerate and invoke WS-Man resources (like winrm get/enum) (+13 KB)"
//config:	default y
//config:	depends on WRSH_CIM
//config:	help
//config:	  WMI classes, winrm/config and any other resource URI: Get, Put,
//config:	  Create, Delete, Invoke and streamed Enumerate/Pull with WQL.
//config:
//config:config WRSH_APPLET_CIM_INSTANCE_MAX
//config:	int "cim: align and group instances up to this size (bytes)"
//config:	default 32768
//config:	range 1024 1048576
//config:	depends on WRSH_APPLET_CIM
//config:	help
//config:	  Each instance is held (once, in static memory) to align the
//config:	  names of the list view and to turn repeated properties into
//config:	  arrays. A bigger instance is printed as it streams: unaligned,
//config:	  with a repeated property repeated.
//applet:cim get, set, create, delete, enumerate and invoke WS-Man resources (like winrm.cmd)
//usage:wrsh cim get       -H HOST [conn options] RESOURCE [KEY=VALUE...]
//usage:wrsh cim enumerate -H HOST [conn options] [RESOURCE] [KEY=VALUE...] [--filter WQL]
//usage:                   [--namespace NS] [--max-elements N] [--epr]
//usage:wrsh cim invoke    -H HOST [conn options] RESOURCE METHOD [KEY=VALUE...] [--param N=V...]
//usage:wrsh cim set|create|delete -H HOST [conn options] RESOURCE [KEY=VALUE...] [--prop N=V...]
//usage:RESOURCE is a resource URI or winrm.cmd's short form: wmicimv2/Win32_Service,
//usage:winrm/config (aliases wmi, wmicimv2, cimv2, winrm, wsman, shell). KEY=VALUE are
//usage:selectors. Output: "Name : value" per property, instances apart by a blank line.
//usage:  -f, --filter WQL         enumerate what the query selects (resource default:
//usage:                           the namespace's *, e.g. wmicimv2/*)
//usage:      --dialect URI        filter dialect (default WQL)
//usage:  -n, --namespace NS       WMI namespace (the __cimnamespace selector)
//usage:      --max-elements N     instances per page (default 100)
//usage:      --epr                enumerate each instance with its endpoint reference
//usage:      --epr-only           enumerate endpoint references only
//usage:      --param NAME=VALUE   invoke: a method parameter (repeatable)
//usage:      --prop NAME=VALUE    set/create: a property; A/B=V nests (winrm/config)
//usage:      --class NAME         set/create: the element (default: the URI's last segment)
//usage:      --option NAME=VALUE  a WS-Man option (OptionSet, repeatable)
//usage:      --json               one JSON object per instance
//usage:      --xml                the instances as XML, one per line
//usage:Enumeration streams page by page; Ctrl-C or a closed pipe releases it.
//usage:Exit status: 0, 2 for usage errors, 255 for errors and faults (code and text
//usage:on stderr).

#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

#ifndef CONFIG_WRSH_APPLET_CIM_INSTANCE_MAX
#define CONFIG_WRSH_APPLET_CIM_INSTANCE_MAX 32768
#endif

#define MAX_KV 32
#define WQL_DIALECT "http://schemas.microsoft.com/wbem/wsman/1/WQL"

enum sub { S_GET, S_ENUM, S_INVOKE, S_SET, S_CREATE, S_DELETE };
enum fmt { F_LIST, F_JSON, F_XML };

struct cim_opts {
	enum sub sub;
	enum fmt fmt;
	const char *filter, *dialect, *ns, *cls;
	enum wrsh_cim_mode mode;
	unsigned long max_elements;
	const char *operands[MAX_KV + 2];
	size_t noperands;
	struct wrsh_cim_kv sel[MAX_KV], opt[MAX_KV], props[MAX_KV];
	size_t nsel, nopt, nprops;
};

enum {
	OPT_DIALECT = 2000,
	OPT_MAX,
	OPT_EPR,
	OPT_EPR_ONLY,
	OPT_PARAM,
	OPT_CLASS,
	OPT_OPTION,
	OPT_JSON,
	OPT_XML
};

/* "NAME=VALUE" split in place. */
static int add_kv(struct wrsh_cim_kv *kv, size_t *n, char *arg, const char *what)
{
	char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		return cli_error("%s wants NAME=VALUE, not '%s'", what, arg), 2;
	if (*n == MAX_KV)
		return cli_error("at most %d of %s", MAX_KV, what), 2;
	*eq = 0;
	kv[*n].name = arg;
	kv[(*n)++].value = eq + 1;
	return 0;
}

static int cim_option(void *ctx, int opt, const char *arg)
{
	struct cim_opts *c = ctx;
	char *end;
	switch (opt) {
	case 1:
		if (c->noperands == sizeof(c->operands) / sizeof(c->operands[0]))
			return cli_error("too many operands"), 2;
		c->operands[c->noperands++] = arg;
		return 0;
	case 'f':
		c->filter = arg;
		return 0;
	case 'n':
		c->ns = arg;
		return 0;
	case OPT_DIALECT:
		c->dialect = arg;
		return 0;
	case OPT_MAX:
		errno = 0;
		c->max_elements = strtoul(arg, &end, 10);
		if (errno || *end || !c->max_elements || c->max_elements > 1000000)
			return cli_error("bad --max-elements '%s'", arg), 2;
		return 0;
	case OPT_EPR:
		c->mode = WRSH_CIM_OBJECTS_AND_EPRS;
		return 0;
	case OPT_EPR_ONLY:
		c->mode = WRSH_CIM_EPRS;
		return 0;
	case OPT_PARAM:
		return add_kv(c->props, &c->nprops, (char *)arg, "--param");
	case 'P':
		return add_kv(c->props, &c->nprops, (char *)arg, "--prop");
	case OPT_OPTION:
		return add_kv(c->opt, &c->nopt, (char *)arg, "--option");
	case OPT_CLASS:
		c->cls = arg;
		return 0;
	case OPT_JSON:
		c->fmt = F_JSON;
		return 0;
	case OPT_XML:
		c->fmt = F_XML;
		return 0;
	}
	return -1;
}

/* ---- resource URIs -------------------------------------------------------- */

static const struct {
	const char *alias, *uri;
} aliases[] = {
	/* winrm.cmd's aliases (winrm help uris) */
	{"wmi", "http://schemas.microsoft.com/wbem/wsman/1/wmi"},
	{"wmicimv2", "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2"},
	{"cimv2", "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2"},
	{"winrm", "http://schemas.microsoft.com/wbem/wsman/1"},
	{"wsman", "http://schemas.microsoft.com/wbem/wsman/1"},
	{"shell", "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"},
};

/* The full URI of a short form, in buf. */
static const char *expand(const char *r, char *buf, size_t cap)
{
	size_t i, n = strcspn(r, "/");
	if (strstr(r, "://"))
		return r;
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strlen(aliases[i].alias) == n && !strncasecmp(r, aliases[i].alias, n)) {
			if ((size_t)snprintf(buf, cap, "%s%s", aliases[i].uri, r + n) >= cap)
				return NULL;
			return buf;
		}
	return NULL;
}

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
	enum fmt fmt;
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
	if (o->fmt == F_LIST && o->instances)
		fputc('\n', o->f);
	if (o->fmt == F_XML)
		fprintf(o->f, "<%s%s>", o->cls, XSI_DECL);
}

static void flush_held(struct out *o)
{
	if (o->fmt == F_LIST)
		list_level(o, 0, o->len);
	else if (o->fmt == F_JSON)
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
	if (o->fmt == F_LIST) {
		indent(o->f, depth);
		fprintf(o->f, "%.*s :%s", (int)n, name, container ? "\n" : "");
	} else if (o->fmt == F_JSON) {
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
	if (o->fmt == F_LIST) {
		if (!o->leaf_text)
			fputc(' ', o->f);
		fwrite(s, 1, n, o->f);
	} else if (o->fmt == F_JSON) {
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
	if (o->fmt == F_LIST) {
		if (!container)
			fputc('\n', o->f);
	} else if (o->fmt == F_JSON) {
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
	if (o->fmt == F_JSON)
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
	} else if (o->fmt == F_JSON) {
		fputc('}', o->f);
	}
	if (o->fmt == F_XML)
		fprintf(o->f, "</%s>", o->cls);
	if (o->fmt != F_LIST)
		fputc('\n', o->f);
	o->instances++;
	return ferror(o->f) ? WRSH_EIO : WRSH_OK;
}

/* ---- the subcommands ---------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
	signal(SIGINT, SIG_DFL); /* a second Ctrl-C leaves at once */
}

static int run_enumerate(struct conn *c, const struct wrsh_cim_req *r, const struct cim_opts *co,
			 const struct wrsh_cim_sink *sink)
{
	struct wrsh_cim_enum_opts eo;
	bool end = false;
	wrsh_err e;
	memset(&eo, 0, sizeof(eo));
	eo.filter = co->filter;
	eo.dialect = co->dialect;
	eo.mode = co->mode;
	eo.max_elements = (uint32_t)co->max_elements;
	e = wrsh_cim_enumerate(c->s, r, &eo, sink, &end);
	while (!e && !end && !interrupted) {
		fflush(stdout); /* each page as it arrives */
		e = wrsh_cim_pull(c->s, sink, &end);
	}
	if (!e && !end) /* Ctrl-C between pages */
		e = wrsh_cim_release(c->s);
	if (e == WRSH_EIO && ferror(stdout))
		return 141; /* a closed pipe: quietly, as head(1) expects; close releases */
	if (e)
		return conn_fail(c, e);
	return interrupted ? 130 : 0;
}

static const char *const sub_names[] = {"get", "enumerate", "invoke", "set", "create", "delete"};

static int parse_sub(const char *s, enum sub *out)
{
	size_t i;
	for (i = 0; i < sizeof(sub_names) / sizeof(sub_names[0]); i++)
		if (!strcmp(s, sub_names[i])) {
			*out = (enum sub)i;
			return 0;
		}
	if (!strcmp(s, "enum")) {
		*out = S_ENUM;
		return 0;
	}
	if (!strcmp(s, "put")) {
		*out = S_SET;
		return 0;
	}
	return -1;
}

/* Operands: RESOURCE [METHOD] KEY=VALUE...; --filter alone means the
 * namespace's "*". */
static int build_req(struct cim_opts *co, struct wrsh_cim_req *r, const char **method, char *buf,
		     size_t cap)
{
	size_t i = 0;
	const char *res;
	char star[512];
	if (co->noperands && !strchr(co->operands[0], '='))
		res = co->operands[i++];
	else if (co->sub == S_ENUM && co->filter) {
		snprintf(star, sizeof(star), "wmi/%s/*", co->ns ? co->ns : "root/cimv2");
		res = star;
	} else
		return cli_error("no RESOURCE"), 2;
	if (!(r->resource = expand(res, buf, cap)))
		return cli_error("'%s': not a resource URI nor a known alias/path (wmi, "
				 "wmicimv2, cimv2, winrm, wsman, shell)",
				 res),
		       2;
	if (co->sub == S_INVOKE) {
		if (i >= co->noperands)
			return cli_error("invoke needs RESOURCE METHOD"), 2;
		*method = co->operands[i++];
	}
	for (; i < co->noperands; i++) {
		int st = add_kv(co->sel, &co->nsel, (char *)co->operands[i], "a selector");
		if (st)
			return st;
	}
	if (co->ns) {
		if (co->nsel == MAX_KV)
			return cli_error("too many selectors"), 2;
		co->sel[co->nsel].name = "__cimnamespace";
		co->sel[co->nsel++].value = co->ns;
	}
	r->selectors = co->sel;
	r->nselectors = co->nsel;
	r->options = co->opt;
	r->noptions = co->nopt;
	return 0;
}

static int run(struct conn *c, struct cim_opts *co, const struct wrsh_cim_req *r,
	       const char *method)
{
	static struct out o;
	struct wrsh_cim_sink sink = {o_begin, o_open, o_text, o_close, o_end, NULL};
	wrsh_err e = WRSH_OK;
	memset(&o, 0, sizeof(o));
	o.fmt = co->fmt;
	o.f = stdout;
	sink.ctx = &o;
	switch (co->sub) {
	case S_ENUM:
		return run_enumerate(c, r, co, &sink);
	case S_GET:
		e = wrsh_cim_get(c->s, r, &sink);
		break;
	case S_INVOKE:
		e = wrsh_cim_invoke(c->s, r, method, co->props, co->nprops, &sink);
		break;
	case S_SET:
		e = wrsh_cim_put(c->s, r, co->cls, co->props, co->nprops, &sink);
		break;
	case S_CREATE:
		e = wrsh_cim_create(c->s, r, co->cls, co->props, co->nprops, &sink);
		break;
	case S_DELETE:
		e = wrsh_cim_delete(c->s, r);
		break;
	}
	if (e == WRSH_EIO && ferror(stdout))
		return 141;
	return e ? conn_fail(c, e) : 0;
}

int cim_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"filter", required_argument, NULL, 'f'},
		{"namespace", required_argument, NULL, 'n'},
		{"dialect", required_argument, NULL, OPT_DIALECT},
		{"max-elements", required_argument, NULL, OPT_MAX},
		{"epr", no_argument, NULL, OPT_EPR},
		{"epr-only", no_argument, NULL, OPT_EPR_ONLY},
		{"param", required_argument, NULL, OPT_PARAM},
		{"prop", required_argument, NULL, 'P'},
		{"class", required_argument, NULL, OPT_CLASS},
		{"option", required_argument, NULL, OPT_OPTION},
		{"json", no_argument, NULL, OPT_JSON},
		{"xml", no_argument, NULL, OPT_XML},
		{NULL, 0, NULL, 0},
	};
	static struct cim_opts co;
	struct applet_opts ao = {"-f:n:", longopts, cim_option, NULL};
	struct wrsh_cim_req r;
	struct conn_opts o;
	struct conn c;
	const char *method = NULL;
	char uri[2048];
	int first, status = 0, i;
	memset(&co, 0, sizeof(co));
	memset(&r, 0, sizeof(r));
	ao.ctx = &co;
	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && !strcmp(argv[1], "--help")) {
			printf("usage: %s", cli_applet->usage);
			return 0;
		}
		return cli_error("cim: get, enumerate, invoke, set, create or delete first"), 2;
	}
	if (parse_sub(argv[1], &co.sub))
		return cli_error("cim: unknown operation '%s'", argv[1]), 2;
	first = conn_parse(argc - 1, argv + 1, &o, &ao, &status);
	if (first < 0)
		return status;
	for (i = first + 1; i < argc; i++) /* after "--" */
		if (cim_option(&co, 1, argv[i]))
			return 2;
	if ((status = build_req(&co, &r, &method, uri, sizeof(uri))))
		return status;
	if (co.nprops && co.sub != S_SET && co.sub != S_CREATE && co.sub != S_INVOKE)
		return cli_error("--prop and --param go with set, create and invoke"), 2;
	if ((co.filter || co.mode != WRSH_CIM_OBJECTS) && co.sub != S_ENUM)
		return cli_error("--filter and --epr go with enumerate"), 2;
	if ((status = conn_open(&c, &o, true)))
		return status;
	signal(SIGPIPE, SIG_IGN); /* a closed pipe is an error of write(2) */
	signal(SIGINT, on_sigint);
	status = run(&c, &co, &r, method);
	conn_close(&c);
	return status;
}
