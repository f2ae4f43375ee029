/*
 * The streaming instance reader: a body consumer for the responses of
 * Get, Put, Create, Invoke (the instance, METHOD_OUTPUT or ResourceCreated)
 * and of Enumerate and Pull (EnumerationContext, Items, EndOfSequence).
 * Properties go to the caller's sink one at a time as expat reports them;
 * the reader keeps only the names of the open properties (a stack bounded
 * by CONFIG_WRSH_CIM_DEPTH) and never a value.
 */
#ifndef WRSH_CIM_INSTANCE_H
#define WRSH_CIM_INSTANCE_H

#include "wsman/wsman.h"

struct cim_level {
	char name[CONFIG_WRSH_CIM_NAME_MAX];
	bool opened;	/* reported to the sink (leaf or container known) */
	bool container; /* child elements came */
	bool nil;
	bool dated; /* the value came from a cim:Datetime-like child */
};

/* Leading whitespace of a value not yet known to be one (a pretty-printed
 * container has only whitespace before its first child). */
#define CIM_WS_MAX 32

struct cim_reader {
	const struct wrsh_cim_sink *sink;
	struct errbuf *err;
	struct cim_level lv[CONFIG_WRSH_CIM_DEPTH];
	unsigned depth; /* open properties */
	char ws[CIM_WS_MAX];
	size_t ws_n;
	bool in_instance, in_item, in_dt;
	unsigned long instances; /* ended in this response */
	/* Enumerate / Pull */
	bool response_seen, end_of_sequence, context_cut;
	bool context_done; /* its element closed: the context is whole */
	char context[CONFIG_WRSH_CIM_CONTEXT_MAX];
	size_t context_n;
};

enum cim_body { CIM_BODY_TRANSFER, CIM_BODY_ENUM };

/* Reset r for one response; sink may be NULL (the body is read, not
 * reported). */
void cim_reader_init(struct cim_reader *r, const struct wrsh_cim_sink *sink, struct errbuf *err);
void cim_consumer(struct xml_consumer *c, struct cim_reader *r, enum cim_body kind);

#endif
