/*
 * expat glue: a namespace-aware streaming parser whose memory comes from the
 * arena, with a depth cap, DTDs refused, and a tiny element-path state
 * machine so that consumers see small integer ids instead of names.
 *
 * A consumer describes the elements it cares about as rules (parent id,
 * namespace, local name) -> id. Elements that match no rule get id 0 and
 * their whole subtree is skipped. Ids 1..XML_ID_USER-1 belong to the WS-Man
 * envelope (wsman.c); consumers of the body use XML_ID_USER and up.
 */
#ifndef WRSH_XML_H
#define WRSH_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "base/err.h"

enum xml_ns {
	NS_NONE = 0,   /* no namespace */
	NS_SOAP,       /* http://www.w3.org/2003/05/soap-envelope */
	NS_WSA,	       /* http://schemas.xmlsoap.org/ws/2004/08/addressing */
	NS_WSMAN,      /* http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd */
	NS_MSWSMAN,    /* http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd */
	NS_SHELL,      /* http://schemas.microsoft.com/wbem/wsman/1/windows/shell */
	NS_TRANSFER,   /* http://schemas.xmlsoap.org/ws/2004/09/transfer */
	NS_ENUM,       /* http://schemas.xmlsoap.org/ws/2004/09/enumeration */
	NS_WSMID,      /* http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd */
	NS_WSMANFAULT, /* http://schemas.microsoft.com/wbem/wsman/1/wsmanfault */
	NS_CIM,	       /* http://schemas.dmtf.org/wbem/wscim/1/common (cim:Datetime) */
	NS_OTHER,      /* any other namespace */
	NS_ANY	       /* in rules: matches every namespace */
};

#define XML_ID_ROOT 1 /* the parent of the document element */
#define XML_ID_USER 32

struct xml_rule {
	uint8_t parent;
	uint8_t ns;
	uint8_t id;
	const char *local; /* NULL matches any local name */
};

/* A consumer. Handlers may be NULL; a non-OK return stops the parse. local
 * is the element's local name (for wildcard rules), atts
 * is expat's NULL-terminated name/value array (namespaced attribute names
 * come as "uri|local", plain ones as "local"). */
struct xml_consumer {
	const struct xml_rule *rules;
	size_t nrules;
	wrsh_err (*start)(void *ctx, unsigned id, const char *local, const char **atts);
	wrsh_err (*end)(void *ctx, unsigned id);
	wrsh_err (*text)(void *ctx, unsigned id, const char *s, size_t n);
	void *ctx;
};

struct wrsh_arena;

struct xml_parser {
	void *expat; /* XML_Parser, created per document */
	struct wrsh_arena *arena;
	unsigned long salt;
	const struct xml_consumer *c[2]; /* envelope, then body consumer */
	uint8_t stack[CONFIG_WRSH_XML_MAX_DEPTH + 1];
	unsigned depth;
	wrsh_err err;
	struct errbuf *errbuf;
};

/* Start a document. salt keys expat's hash tables (it must not be 0). */
wrsh_err xml_begin(struct xml_parser *x, struct wrsh_arena *a, unsigned long salt,
		   const struct xml_consumer *envelope, const struct xml_consumer *body,
		   struct errbuf *errbuf);
/* Feed bytes; final=true after the last piece (checks well-formedness). */
wrsh_err xml_push(struct xml_parser *x, const void *p, size_t n, bool final);
/* Release the parser's memory; safe after any outcome and twice. */
void xml_end(struct xml_parser *x);

/* The value of the unqualified attribute `name`, or NULL. */
const char *xml_attr(const char **atts, const char *name);

#endif
