/*
 * A streaming CLIXML reader (MS-PSRP 2.2.5): the data of one PSRP message
 * goes in, in pieces of any size; events come out as the elements pass —
 * containers open and close, values arrive as decoded UTF-8 text in pieces.
 * No object is ever built, so a message's size costs no memory.
 *
 * Containers: Obj, MS, Props, LST, IE, ST, QUE, STK, DCT, En, TN. Every
 * other element is a value (S, I32, DT, B, BA, T, ToString, Ref, TNRef,
 * Nil, ...): its text, with the _xHHHH_ escapes of strings decoded (UTF-16
 * code units, surrogate pairs joined), comes through text(); attributes N
 * (property name, decoded) and RefId ride in the node.
 */
#ifndef WRSH_PSRP_CLIXML_H
#define WRSH_PSRP_CLIXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wrsh.h"
#include "wsman/xml.h"

#define CLIXML_NAME_MAX 256 /* a property name, decoded; longer is an error */

/* The node is wrsh.h's struct wrsh_ps_node: what the reader sees is what
 * the application gets. */
struct clixml_sink {
	wrsh_err (*open)(void *ctx, const struct wrsh_ps_node *n);
	/* a value's text in pieces; last on the final (maybe empty) piece */
	wrsh_err (*text)(void *ctx, const struct wrsh_ps_node *n, const char *p, size_t len,
			 bool last);
	wrsh_err (*close)(void *ctx, const struct wrsh_ps_node *n);
	void *ctx;
};

struct clixml_reader {
	struct xml_parser x;
	struct xml_consumer c;
	const struct clixml_sink *sink;
	struct errbuf *err;
	struct wrsh_ps_node node;			  /* the element being read */
	uint8_t open_kind[CONFIG_WRSH_XML_MAX_DEPTH + 2]; /* containers' tags, by depth */
	char tag[16];
	char name[CLIXML_NAME_MAX];
	bool in_value;
	/* an _xHHHH_ escape split across text pieces, and a high surrogate
	 * waiting for its partner */
	char esc[7];
	uint8_t esc_n;
	uint16_t high;
};

/* Start reading one message's CLIXML with memory from a. */
wrsh_err clixml_begin(struct clixml_reader *r, struct wrsh_arena *a, const struct clixml_sink *sink,
		      struct errbuf *e);
wrsh_err clixml_push(struct clixml_reader *r, const void *p, size_t n);
/* The message ended: check the document is whole; release the parser. */
wrsh_err clixml_finish(struct clixml_reader *r);
/* Release without checking (after an error). */
void clixml_abort(struct clixml_reader *r);

/* Decode the _xHHHH_ escapes of a whole short string in place (names). */
wrsh_err clixml_unescape(char *s, struct errbuf *e);

#endif
