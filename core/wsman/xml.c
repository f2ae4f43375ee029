/*
 * expat behind a small element-path state machine. The parser is created per
 * response document with the arena's memory suite and freed after it, so
 * whatever expat frees out of order goes back to the arena each time.
 */
#include <string.h>

#include <expat.h>

#include "port.h"
#include "wsman/xml.h"

/*
 * expat's memory suite has no context pointer, so the arena of the document
 * being parsed goes through the port's hook slot (port.h): set on entry to
 * every call into expat, read by the three hooks, per thread. Two sessions
 * in two threads each parse into their own arena. Every expat call that
 * can allocate or release memory (creating, parsing, freeing a parser) is made
 * from this file, below
 * a call to use_arena().
 */
static void use_arena(struct wrsh_arena *a)
{
	wrsh_port_hook_slot()->arena = a;
}

static void *xml_malloc(size_t n)
{
	return wrsh_arena_alloc(wrsh_port_hook_slot()->arena, n);
}

static void *xml_realloc(void *p, size_t n)
{
	return wrsh_arena_realloc(wrsh_port_hook_slot()->arena, p, n);
}

static void xml_free(void *p)
{
	wrsh_arena_free(wrsh_port_hook_slot()->arena, p);
}

#define XML_PIECE 2048

static const XML_Memory_Handling_Suite xml_suite = {xml_malloc, xml_realloc, xml_free};

static const struct {
	uint8_t ns;
	const char *uri;
} ns_table[] = {
	{NS_SOAP, "http://www.w3.org/2003/05/soap-envelope"},
	{NS_WSA, "http://schemas.xmlsoap.org/ws/2004/08/addressing"},
	{NS_WSMAN, "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"},
	{NS_MSWSMAN, "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"},
	{NS_SHELL, "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"},
	{NS_TRANSFER, "http://schemas.xmlsoap.org/ws/2004/09/transfer"},
	{NS_ENUM, "http://schemas.xmlsoap.org/ws/2004/09/enumeration"},
	{NS_WSMID, "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"},
	{NS_WSMANFAULT, "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"},
	{NS_CIM, "http://schemas.dmtf.org/wbem/wscim/1/common"},
};

static uint8_t ns_of(const char *uri, size_t n)
{
	size_t i;
	for (i = 0; i < sizeof(ns_table) / sizeof(ns_table[0]); i++)
		if (strlen(ns_table[i].uri) == n && memcmp(ns_table[i].uri, uri, n) == 0)
			return ns_table[i].ns;
	return NS_OTHER;
}

static void fail(struct xml_parser *x, wrsh_err code, const char *msg)
{
	if (!x->err) {
		x->err = code;
		err_set(x->errbuf, code, msg, NULL);
	}
	XML_StopParser((XML_Parser)x->expat, XML_FALSE);
}

/* The rule for a child of `parent`, searched in both consumers. */
static unsigned lookup(const struct xml_parser *x, unsigned parent, uint8_t ns, const char *local)
{
	size_t k, i;
	for (k = 0; k < 2; k++) {
		const struct xml_consumer *c = x->c[k];
		for (i = 0; c && i < c->nrules; i++) {
			const struct xml_rule *r = &c->rules[i];
			if (r->parent == parent && (r->ns == ns || r->ns == NS_ANY) &&
			    (!r->local || strcmp(r->local, local) == 0))
				return r->id;
		}
	}
	return 0;
}

static const struct xml_consumer *owner(const struct xml_parser *x, unsigned id)
{
	return id < XML_ID_USER ? x->c[0] : x->c[1];
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xml_parser *x = ud;
	unsigned parent = x->stack[x->depth], id = 0;
	const struct xml_consumer *c;
	const char *local = name;
	wrsh_err e;

	if (x->depth >= CONFIG_WRSH_XML_MAX_DEPTH) {
		fail(x, WRSH_ELIMIT, "xml: nesting deeper than CONFIG_WRSH_XML_MAX_DEPTH");
		return;
	}
	if (parent) {
		const char *bar = strrchr(name, '|');
		uint8_t ns = bar ? ns_of(name, (size_t)(bar - name)) : NS_NONE;
		local = bar ? bar + 1 : name;
		id = lookup(x, parent, ns, local);
	}
	x->stack[++x->depth] = (uint8_t)id;
	c = owner(x, id);
	if (id && c && c->start && (e = c->start(c->ctx, id, local, atts)))
		fail(x, e, "xml: start handler");
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct xml_parser *x = ud;
	unsigned id = x->stack[x->depth];
	const struct xml_consumer *c = owner(x, id);
	wrsh_err e;
	(void)name;
	if (x->depth)
		x->depth--;
	if (id && c && c->end && (e = c->end(c->ctx, id)))
		fail(x, e, "xml: end handler");
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct xml_parser *x = ud;
	unsigned id = x->stack[x->depth];
	const struct xml_consumer *c = owner(x, id);
	wrsh_err e;
	if (id && c && c->text && len > 0 && (e = c->text(c->ctx, id, s, (size_t)len)))
		fail(x, e, "xml: text handler");
}

/* SOAP 1.2 (part 1, 5.) forbids a DTD in an envelope: refusing it up front
 * also rules out entity expansion attacks of every kind. */
static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal)
{
	(void)name, (void)sysid, (void)pubid, (void)has_internal;
	fail(ud, WRSH_EXML, "xml: a DTD is not allowed in a SOAP message");
}

wrsh_err xml_begin(struct xml_parser *x, struct wrsh_arena *a, unsigned long salt,
		   const struct xml_consumer *envelope, const struct xml_consumer *body,
		   struct errbuf *errbuf)
{
	XML_Parser p;
	memset(x, 0, sizeof(*x));
	x->arena = a;
	x->salt = salt ? salt : 1;
	x->c[0] = envelope;
	x->c[1] = body;
	x->stack[0] = XML_ID_ROOT;
	x->errbuf = errbuf;
	use_arena(a);
	p = XML_ParserCreate_MM(NULL, &xml_suite, "|");
	if (!p)
		return err_set(errbuf, WRSH_ENOMEM, "xml: arena exhausted creating the parser",
			       NULL);
	XML_SetHashSalt(p, x->salt);
	XML_SetUserData(p, x);
	XML_SetElementHandler(p, on_start, on_end);
	XML_SetCharacterDataHandler(p, on_text);
	XML_SetStartDoctypeDeclHandler(p, on_doctype);
	x->expat = p;
	return WRSH_OK;
}

static wrsh_err parse_error(struct xml_parser *x)
{
	XML_Parser p = x->expat;
	enum XML_Error code = XML_GetErrorCode(p);
	XML_Index i = XML_GetCurrentByteIndex(p);
	char at[21];
	if (x->err)
		return x->err;
	if (code == XML_ERROR_NO_MEMORY)
		return err_set(x->errbuf, WRSH_ENOMEM, "xml: arena exhausted while parsing", NULL);
	return err_set(x->errbuf, WRSH_EXML, "xml: ", XML_ErrorString(code), " at byte ",
		       err_num(at, i > 0 ? (uint64_t)i : 0), NULL);
}

wrsh_err xml_push(struct xml_parser *x, const void *p, size_t n, bool final)
{
	const char *s = p ? p : ""; /* no arithmetic on NULL, here or in expat */
	if (!x->expat)
		return err_set(x->errbuf, WRSH_ESTATE, "xml: no document in progress", NULL);
	if (x->err)
		return x->err;
	use_arena(x->arena);
	do {
		/* Bounded pieces bound expat's own buffer: when a piece ends inside
		 * a token, expat keeps the rest in a buffer of twice the piece. */
		int k = n > XML_PIECE ? XML_PIECE : (int)n;
		bool last = final && (size_t)k == n;
		if (XML_Parse((XML_Parser)x->expat, s, k, last) != XML_STATUS_OK)
			return parse_error(x);
		s += k, n -= (size_t)k;
	} while (n);
	return WRSH_OK;
}

void xml_end(struct xml_parser *x)
{
	if (!x->expat)
		return;
	use_arena(x->arena);
	XML_ParserFree((XML_Parser)x->expat);
	x->expat = NULL;
}

const char *xml_attr(const char **atts, const char *name)
{
	for (; atts && atts[0]; atts += 2)
		if (strcmp(atts[0], name) == 0)
			return atts[1];
	return NULL;
}
