/*
 * Instances as a stream of properties. Shapes: DSP0226 7.3 (GetResponse
 * body = the instance), 8.2.3 and 8.3 (w:Items / n:Items, n:EndOfSequence),
 * DSP0230 (WS-CIM mapping: one element per property, repeated for arrays,
 * xsi:nil for NULL, cim:Datetime and friends for datetimes, embedded
 * instances as nested elements), MS-WSMV 3.1.4.17 (METHOD_OUTPUT), and what
 * Windows 2008 R2 sent (winrb-wql-enumerate-pull). Every element is known by
 * its namespace URI and local name only: OMI writes SOAP-ENV: and wsen:,
 * Windows s: and n:, and both are the same document.
 *
 * Whether a property is a leaf or a container is known only when its first
 * child element or non-blank text arrives, so its open event waits until
 * then; leading blanks wait with it (up to CIM_WS_MAX bytes).
 */
#include <string.h>

#include "cim/instance.h"

#define XSI_NIL "http://www.w3.org/2001/XMLSchema-instance|nil"

enum {
	C_ENUM_RESP = XML_ID_USER,
	C_PULL_RESP,
	C_CONTEXT,
	C_ITEMS,
	C_EOS,
	C_ITEM,
	C_INST,
	C_PROP,
	C_DT,
	C_EPR,
	C_CREATED,
	C_REFP,
	C_EPR_URI,
	C_SELSET,
	C_SEL
};

/* What is inside an instance and an endpoint reference, for both tables.
 * The first matching rule wins, so the datetimes come before the
 * catch-all property rule. */
#define INSTANCE_RULES                                                              \
	{C_INST, NS_ANY, C_PROP, NULL}, {C_PROP, NS_CIM, C_DT, "Datetime"},         \
		{C_PROP, NS_CIM, C_DT, "Date"}, {C_PROP, NS_CIM, C_DT, "Time"},     \
		{C_PROP, NS_CIM, C_DT, "Interval"}, {C_PROP, NS_ANY, C_PROP, NULL}, \
		{C_EPR, NS_WSA, C_REFP, "ReferenceParameters"},                     \
		{C_CREATED, NS_WSA, C_REFP, "ReferenceParameters"},                 \
		{C_REFP, NS_WSMAN, C_EPR_URI, "ResourceURI"},                       \
		{C_REFP, NS_WSMAN, C_SELSET, "SelectorSet"},                        \
	{                                                                           \
		C_SELSET, NS_WSMAN, C_SEL, "Selector"                               \
	}

static const struct xml_rule transfer_rules[] = {
	{WS_BODY, NS_TRANSFER, C_CREATED, "ResourceCreated"},
	{WS_BODY, NS_ANY, C_INST, NULL},
	INSTANCE_RULES,
};

static const struct xml_rule enum_rules[] = {
	{WS_BODY, NS_ENUM, C_ENUM_RESP, "EnumerateResponse"},
	{WS_BODY, NS_ENUM, C_PULL_RESP, "PullResponse"},
	{C_ENUM_RESP, NS_ENUM, C_CONTEXT, "EnumerationContext"},
	{C_PULL_RESP, NS_ENUM, C_CONTEXT, "EnumerationContext"},
	/* optimized enumeration answers with w:Items, Pull with n:Items
	 * (DSP0226 8.2.3); take either in both */
	{C_ENUM_RESP, NS_WSMAN, C_ITEMS, "Items"},
	{C_ENUM_RESP, NS_ENUM, C_ITEMS, "Items"},
	{C_PULL_RESP, NS_ENUM, C_ITEMS, "Items"},
	{C_PULL_RESP, NS_WSMAN, C_ITEMS, "Items"},
	{C_ENUM_RESP, NS_WSMAN, C_EOS, "EndOfSequence"},
	{C_ENUM_RESP, NS_ENUM, C_EOS, "EndOfSequence"},
	{C_PULL_RESP, NS_ENUM, C_EOS, "EndOfSequence"},
	{C_PULL_RESP, NS_WSMAN, C_EOS, "EndOfSequence"},
	/* EnumerateObjectAndEPR: <w:Item> holds the object and its EPR */
	{C_ITEMS, NS_WSMAN, C_ITEM, "Item"},
	{C_ITEMS, NS_WSA, C_EPR, "EndpointReference"},
	{C_ITEMS, NS_ANY, C_INST, NULL},
	{C_ITEM, NS_WSA, C_EPR, "EndpointReference"},
	{C_ITEM, NS_ANY, C_INST, NULL},
	INSTANCE_RULES,
};

void cim_reader_init(struct cim_reader *r, const struct wrsh_cim_sink *sink, struct errbuf *err)
{
	memset(r, 0, sizeof(*r));
	r->sink = sink;
	r->err = err;
}

static wrsh_err sink_failed(struct cim_reader *r, wrsh_err e)
{
	return err_set(r->err, e, "cim: the instance sink stopped: ", wrsh_strerror(e), NULL);
}

static void prop_of(const struct cim_reader *r, unsigned d, struct wrsh_cim_prop *p)
{
	const struct cim_level *l = &r->lv[d - 1];
	p->name = l->name;
	p->depth = d;
	p->nil = l->nil;
	p->container = l->container;
}

static wrsh_err emit_open(struct cim_reader *r, unsigned d, bool container)
{
	struct wrsh_cim_prop p;
	wrsh_err e = WRSH_OK;
	r->lv[d - 1].opened = true;
	r->lv[d - 1].container = container;
	prop_of(r, d, &p);
	if (r->sink && r->sink->open && (e = r->sink->open(r->sink->ctx, &p)))
		return sink_failed(r, e);
	return WRSH_OK;
}

static wrsh_err emit_text(struct cim_reader *r, const char *s, size_t n)
{
	struct wrsh_cim_prop p;
	wrsh_err e;
	if (!n || r->lv[r->depth - 1].nil)
		return WRSH_OK;
	prop_of(r, r->depth, &p);
	if (r->sink && r->sink->text && (e = r->sink->text(r->sink->ctx, &p, s, n)))
		return sink_failed(r, e);
	return WRSH_OK;
}

/* The top property turns out to be a leaf: report it and the blanks that
 * waited. */
static wrsh_err open_leaf(struct cim_reader *r)
{
	wrsh_err e = emit_open(r, r->depth, false);
	size_t n = r->ws_n;
	r->ws_n = 0;
	return e ? e : emit_text(r, r->ws, n);
}

static wrsh_err instance_begin(struct cim_reader *r, const char *cls)
{
	wrsh_err e;
	r->in_instance = true;
	r->depth = 0;
	if (r->sink && r->sink->begin && (e = r->sink->begin(r->sink->ctx, cls)))
		return sink_failed(r, e);
	return WRSH_OK;
}

static wrsh_err instance_end(struct cim_reader *r)
{
	wrsh_err e;
	if (!r->in_instance)
		return WRSH_OK;
	r->in_instance = false;
	r->instances++;
	if (r->sink && r->sink->end && (e = r->sink->end(r->sink->ctx)))
		return sink_failed(r, e);
	return WRSH_OK;
}

/* A property element starts one level below the open ones. */
static wrsh_err prop_start(struct cim_reader *r, const char *name, bool nil)
{
	struct cim_level *l;
	size_t n = strlen(name);
	wrsh_err e;
	if (r->depth) {
		struct cim_level *parent = &r->lv[r->depth - 1];
		if (parent->opened && !parent->container)
			return err_set(r->err, WRSH_EPROTO,
				       "cim: a property holds both a value and elements", NULL);
		if (!parent->opened && (e = emit_open(r, r->depth, true)))
			return e;
	}
	if (r->depth >= CONFIG_WRSH_CIM_DEPTH)
		return err_set(r->err, WRSH_ELIMIT,
			       "cim: properties nested deeper than CONFIG_WRSH_CIM_DEPTH", NULL);
	if (n >= CONFIG_WRSH_CIM_NAME_MAX)
		return err_set(r->err, WRSH_ELIMIT,
			       "cim: a property name longer than CONFIG_WRSH_CIM_NAME_MAX", NULL);
	l = &r->lv[r->depth++];
	memcpy(l->name, name, n + 1);
	l->opened = l->container = l->dated = false;
	l->nil = nil;
	r->ws_n = 0;
	return WRSH_OK;
}

static wrsh_err prop_end(struct cim_reader *r)
{
	struct wrsh_cim_prop p;
	wrsh_err e;
	if (!r->depth)
		return WRSH_OK;
	if (!r->lv[r->depth - 1].opened && (e = open_leaf(r)))
		return e;
	prop_of(r, r->depth, &p);
	r->depth--;
	r->ws_n = 0;
	if (r->sink && r->sink->close && (e = r->sink->close(r->sink->ctx, &p)))
		return sink_failed(r, e);
	return WRSH_OK;
}

static bool blank(const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

static wrsh_err prop_text(struct cim_reader *r, const char *s, size_t n)
{
	struct cim_level *l;
	wrsh_err e;
	if (!r->depth)
		return WRSH_OK;
	l = &r->lv[r->depth - 1];
	if (l->opened)
		/* text between the children of a container, or beside a
		 * datetime element, is layout */
		return l->container || l->dated ? WRSH_OK : emit_text(r, s, n);
	if (blank(s, n)) {
		size_t k = n < CIM_WS_MAX - r->ws_n ? n : CIM_WS_MAX - r->ws_n;
		memcpy(r->ws + r->ws_n, s, k);
		r->ws_n += k;
		return WRSH_OK;
	}
	if ((e = open_leaf(r)))
		return e;
	return emit_text(r, s, n);
}

/* <p:Prop><cim:Datetime>text</cim:Datetime></p:Prop>: Prop is a leaf whose
 * value is the datetime's text. */
static wrsh_err dt_start(struct cim_reader *r)
{
	struct cim_level *l = &r->lv[r->depth - 1];
	wrsh_err e;
	if (l->opened && l->container)
		return err_set(r->err, WRSH_EPROTO, "cim: a datetime among properties", NULL);
	if (!l->opened) {
		r->ws_n = 0;
		if ((e = emit_open(r, r->depth, false)))
			return e;
	}
	l->dated = true;
	r->in_dt = true;
	return WRSH_OK;
}

static bool is_nil(const char **atts)
{
	for (; atts && atts[0]; atts += 2)
		if (strcmp(atts[0], XSI_NIL) == 0)
			return strcmp(atts[1], "true") == 0 || strcmp(atts[1], "1") == 0;
	return false;
}

/* An endpoint reference: the instance itself (EnumerateEPR, Create's
 * answer) or a container property of the item it belongs to. */
static wrsh_err epr_start(struct cim_reader *r, const char *cls)
{
	if (!r->in_instance)
		return instance_begin(r, cls);
	return prop_start(r, "EndpointReference", false);
}

static wrsh_err epr_end(struct cim_reader *r)
{
	if (r->depth)
		return prop_end(r);
	return r->in_item ? WRSH_OK : instance_end(r);
}

static wrsh_err on_start(void *ctx, unsigned id, const char *local, const char **atts)
{
	struct cim_reader *r = ctx;
	const char *name;
	switch (id) {
	case C_ENUM_RESP:
	case C_PULL_RESP:
		r->response_seen = true;
		return WRSH_OK;
	case C_EOS:
		r->end_of_sequence = true;
		return WRSH_OK;
	case C_ITEM:
		r->in_item = true;
		return WRSH_OK;
	case C_INST:
		if (r->in_instance) /* a second object in one w:Item */
			return prop_start(r, local, is_nil(atts));
		if (strlen(local) >= CONFIG_WRSH_CIM_NAME_MAX)
			return err_set(r->err, WRSH_ELIMIT,
				       "cim: a class name longer than CONFIG_WRSH_CIM_NAME_MAX",
				       NULL);
		return instance_begin(r, local);
	case C_PROP:
		return prop_start(r, local, is_nil(atts));
	case C_DT:
		return dt_start(r);
	case C_EPR:
		return epr_start(r, "EndpointReference");
	case C_CREATED:
		return epr_start(r, "ResourceCreated");
	case C_EPR_URI:
		return prop_start(r, "ResourceURI", false);
	case C_SEL:
		name = xml_attr(atts, "Name");
		return prop_start(r, name ? name : "Selector", false);
	default:
		return WRSH_OK;
	}
}

static wrsh_err on_end(void *ctx, unsigned id)
{
	struct cim_reader *r = ctx;
	switch (id) {
	case C_CONTEXT: /* a context cut with its answer is no context */
		r->context_done = true;
		return WRSH_OK;
	case C_ITEM:
		r->in_item = false;
		return instance_end(r);
	case C_INST:
		if (r->depth) /* the nested second object of an item */
			return prop_end(r);
		return r->in_item ? WRSH_OK : instance_end(r);
	case C_PROP:
	case C_EPR_URI:
	case C_SEL:
		return prop_end(r);
	case C_DT:
		r->in_dt = false;
		return WRSH_OK;
	case C_EPR:
	case C_CREATED:
		return epr_end(r);
	default:
		return WRSH_OK;
	}
}

static wrsh_err on_text(void *ctx, unsigned id, const char *s, size_t n)
{
	struct cim_reader *r = ctx;
	switch (id) {
	case C_CONTEXT:
		if (n > sizeof(r->context) - 1 - r->context_n) {
			r->context_cut = true;
			return err_set(r->err, WRSH_ELIMIT,
				       "cim: EnumerationContext longer than "
				       "CONFIG_WRSH_CIM_CONTEXT_MAX",
				       NULL);
		}
		memcpy(r->context + r->context_n, s, n);
		r->context_n += n;
		r->context[r->context_n] = 0;
		return WRSH_OK;
	case C_PROP:
	case C_EPR_URI:
	case C_SEL:
		return prop_text(r, s, n);
	case C_DT:
		return emit_text(r, s, n);
	default:
		return WRSH_OK;
	}
}

void cim_consumer(struct xml_consumer *c, struct cim_reader *r, enum cim_body kind)
{
	c->rules = kind == CIM_BODY_ENUM ? enum_rules : transfer_rules;
	c->nrules = kind == CIM_BODY_ENUM ? sizeof(enum_rules) / sizeof(enum_rules[0])
					  : sizeof(transfer_rules) / sizeof(transfer_rules[0]);
	c->start = on_start;
	c->end = on_end;
	c->text = on_text;
	c->ctx = r;
}
