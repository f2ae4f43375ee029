/*
 * WS-Management envelopes. Requests are written straight into the send
 * buffer; responses are consumed element by element as they stream in.
 * Elements are matched by namespace URI, never by prefix: OMI writes
 * SOAP-ENV:, Windows s:, and both are the same element (DSP0226 5.2).
 */
#include <string.h>

#include "wsman/wsman.h"

#define NS_DECLS                                                           \
	" xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\""             \
	" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\""    \
	" xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\""      \
	" xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\"" \
	" xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\""

/* "PT20.000S": xs:duration with milliseconds, as Windows writes it. */
static void put_duration(struct sbuf *b, uint32_t ms)
{
	char frac[4];
	sb_puts(b, "PT");
	sb_put_u64(b, ms / 1000);
	frac[0] = '.';
	frac[1] = (char)('0' + ms / 100 % 10);
	frac[2] = (char)('0' + ms / 10 % 10);
	frac[3] = (char)('0' + ms % 10);
	sb_put(b, frac, 4);
	sb_putc(b, 'S');
}

static void put_elem(struct sbuf *b, const char *open, const char *text, const char *close)
{
	sb_puts(b, open);
	sb_puts_xml(b, text);
	sb_puts(b, close);
}

static void put_set(struct sbuf *b, const char *set, const char *item, const struct wsman_kv *kv,
		    size_t n)
{
	size_t i;
	if (!n)
		return;
	sb_puts(b, "<w:");
	sb_puts(b, set);
	sb_putc(b, '>');
	for (i = 0; i < n; i++) {
		sb_puts(b, "<w:");
		sb_puts(b, item);
		if (kv[i].must_comply)
			sb_puts(b, " MustComply=\"true\"");
		sb_puts(b, " Name=\"");
		sb_puts_xml(b, kv[i].name);
		sb_puts(b, "\">");
		sb_puts_xml(b, kv[i].value);
		sb_puts(b, "</w:");
		sb_puts(b, item);
		sb_putc(b, '>');
	}
	sb_puts(b, "</w:");
	sb_puts(b, set);
	sb_putc(b, '>');
}

void wsman_write_begin(struct sbuf *b, struct wsman_ctx *w, const struct wsman_hdr *h)
{
	w->action = h->action;
	sb_puts(b, "<s:Envelope" NS_DECLS "><s:Header>");
	put_elem(b, "<a:To>", w->to, "</a:To>");
	sb_puts(b, "<a:ReplyTo><a:Address s:mustUnderstand=\"true\">" WSA_ANONYMOUS
		   "</a:Address></a:ReplyTo>");
	put_elem(b, "<a:Action s:mustUnderstand=\"true\">", h->action, "</a:Action>");
	sb_puts(b, "<w:MaxEnvelopeSize s:mustUnderstand=\"true\">");
	sb_put_u64(b, w->max_envelope);
	sb_puts(b, "</w:MaxEnvelopeSize><a:MessageID>uuid:");
	sb_puts(b, w->message_id);
	sb_puts(b, "</a:MessageID><w:Locale xml:lang=\"");
	sb_puts_xml(b, w->locale);
	sb_puts(b, "\" s:mustUnderstand=\"false\"/><p:DataLocale xml:lang=\"");
	sb_puts_xml(b, w->locale);
	sb_puts(b, "\" s:mustUnderstand=\"false\"/><p:SessionId s:mustUnderstand=\"false\">uuid:");
	sb_puts(b, w->session_id);
	sb_puts(b, "</p:SessionId>");
	if (h->op_timeout_ms) {
		sb_puts(b, "<w:OperationTimeout>");
		put_duration(b, h->op_timeout_ms);
		sb_puts(b, "</w:OperationTimeout>");
	}
	if (h->resource_uri)
		put_elem(b, "<w:ResourceURI s:mustUnderstand=\"true\">", h->resource_uri,
			 "</w:ResourceURI>");
	put_set(b, "SelectorSet", "Selector", h->selectors, h->nselectors);
	put_set(b, "OptionSet", "Option", h->options, h->noptions);
	sb_puts(b, "</s:Header><s:Body>");
}

void wsman_write_end(struct sbuf *b)
{
	sb_puts(b, "</s:Body></s:Envelope>");
}

const struct xml_rule wsman_rules[] = {
	{XML_ID_ROOT, NS_SOAP, WS_ENVELOPE, "Envelope"},
	{WS_ENVELOPE, NS_SOAP, WS_HEADER, "Header"},
	{WS_HEADER, NS_WSA, WS_ACTION, "Action"},
	{WS_HEADER, NS_WSA, WS_RELATES_TO, "RelatesTo"},
	{WS_ENVELOPE, NS_SOAP, WS_BODY, "Body"},
	{WS_BODY, NS_SOAP, WS_FAULT, "Fault"},
	{WS_FAULT, NS_SOAP, WS_CODE, "Code"},
	{WS_CODE, NS_SOAP, WS_CODE_VALUE, "Value"},
	{WS_CODE, NS_SOAP, WS_SUBCODE, "Subcode"},
	{WS_SUBCODE, NS_SOAP, WS_SUBCODE_VALUE, "Value"},
	{WS_FAULT, NS_SOAP, WS_REASON, "Reason"},
	{WS_REASON, NS_SOAP, WS_REASON_TEXT, "Text"},
	{WS_FAULT, NS_SOAP, WS_DETAIL, "Detail"},
	{WS_DETAIL, NS_WSMANFAULT, WS_WSMANFAULT, "WSManFault"},
	{WS_WSMANFAULT, NS_WSMANFAULT, WS_FAULT_MESSAGE, "Message"},
	/* <f:Message><f:ProviderFault ...>text</f:ProviderFault></f:Message>:
	 * the provider's words count as the message too */
	/* ... but not the WMI __ExtendedStatus beside it (operation, query,
	 * provider name: winrb-wql-enumerate-pull/003), which would run into
	 * the message as one word */
	{WS_FAULT_MESSAGE, NS_WSMANFAULT, 0, "ExtendedError"},
	{WS_FAULT_MESSAGE, NS_ANY, WS_FAULT_MESSAGE, NULL},
	{WS_DETAIL, NS_WSMAN, WS_FAULT_DETAIL, "FaultDetail"},
};
const size_t wsman_nrules = sizeof(wsman_rules) / sizeof(wsman_rules[0]);

void wsman_resp_init(struct wsman_resp *r)
{
	memset(r, 0, sizeof(*r));
}

void wsman_resp_expect(struct wsman_resp *r, const char *request_action, struct errbuf *e)
{
	r->expect = request_action;
	r->expect_n = request_action ? strlen(request_action) : 0;
	r->err = e;
}

bool wsman_text_add(struct wsman_text *t, const char *s, size_t n)
{
	size_t room = sizeof(t->s) - 1 - t->n;
	bool fits = n <= room;
	if (!fits)
		n = room;
	memcpy(t->s + t->n, s, n);
	t->n += n;
	t->s[t->n] = 0;
	return fits;
}

/* Small fixed fields: keep what fits, the rest of an over-long value is
 * dropped (these are names and numbers; a hostile length changes nothing). */
static void add_small(char *dst, size_t cap, size_t *n, const char *s, size_t k)
{
	if (k > cap - 1 - *n)
		k = cap - 1 - *n;
	memcpy(dst + *n, s, k);
	*n += k;
	dst[*n] = 0;
}

#define RESPONSE "Response"

/* The byte of the expected Action at i, or 0 past its end. */
static char expected_at(const struct wsman_resp *r, size_t i)
{
	size_t n = r->expect_n;
	if (i < n)
		return r->expect[i];
	return i - n < sizeof(RESPONSE) - 1 ? RESPONSE[i - n] : 0;
}

/* The Action's text, in whatever pieces expat gives it: compared byte by
 * byte, so a long custom action needs no buffer. Space around it does not
 * count (xs:anyURI; OMI pads it), space inside it is a mismatch. */
static void action_text(struct wsman_resp *r, const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			r->act_gap = r->act_any;
			continue;
		}
		if (r->act_gap)
			r->act_bad = true;
		r->act_any = true;
		if (r->expect && !r->act_bad && expected_at(r, r->act_pos) == c)
			r->act_pos++;
		else
			r->act_bad = true;
		add_small(r->action, sizeof(r->action), &r->action_n, &c, 1);
		if (c == '/')
			r->act_tail_n = 0;
		else
			add_small(r->act_tail, sizeof(r->act_tail), &r->act_tail_n, &c, 1);
	}
}

static bool action_ok(const struct wsman_resp *r)
{
	return !r->expect ||
	       (r->act_any && !r->act_bad && r->act_pos == r->expect_n + sizeof(RESPONSE) - 1);
}

/* addressing/fault, wsman/fault, enumeration/fault (DSP0226 14.6, WS-Addressing) */
static bool fault_action(const struct wsman_resp *r)
{
	return r->act_tail_n == 5 && memcmp(r->act_tail, "fault", 5) == 0;
}

wrsh_err wsman_check_action(const struct wsman_resp *r, struct errbuf *e)
{
	const char *slash, *want;
	char got[sizeof(r->act_tail)];
	if (action_ok(r))
		return WRSH_OK;
	slash = strrchr(r->expect, '/');
	want = slash ? slash + 1 : r->expect;
	if (!r->act_any)
		return err_set(e, WRSH_EPROTO, "wsman: the answer has no Action (expected ", want,
			       RESPONSE ")", NULL);
	memcpy(got, r->act_tail, r->act_tail_n);
	got[r->act_tail_n] = 0;
	/* the same last segment under another URI: show the whole of both */
	if (r->act_tail_n == strlen(want) + sizeof(RESPONSE) - 1 &&
	    memcmp(got, want, strlen(want)) == 0 && strcmp(got + strlen(want), RESPONSE) == 0)
		return err_set(e, WRSH_EPROTO, "wsman: answer is ", r->action, ", expected ",
			       r->expect, RESPONSE, NULL);
	return err_set(e, WRSH_EPROTO, "wsman: answer is ", got, ", expected ", want, RESPONSE,
		       NULL);
}

static wrsh_err env_start(void *ctx, unsigned id, const char *local, const char **atts)
{
	struct wsman_resp *r = ctx;
	const char *code;
	(void)local;
	switch (id) {
	case WS_ACTION: /* a second Action is no continuation of the first */
		r->act_gap = r->act_any;
		break;
	case WS_BODY:
		/* the header is read: a wrong answer goes no further, a fault
		 * goes on to be reported as one */
		if (!action_ok(r) && !fault_action(r))
			return wsman_check_action(r, r->err);
		break;
	case WS_FAULT:
		r->fault = true;
		break;
	case WS_WSMANFAULT:
		code = xml_attr(atts, "Code");
		if (code)
			add_small(r->wsman_code, sizeof(r->wsman_code), &r->wsman_code_n, code,
				  strlen(code));
		break;
	default:
		break;
	}
	return WRSH_OK;
}

static wrsh_err env_text(void *ctx, unsigned id, const char *s, size_t n)
{
	struct wsman_resp *r = ctx;
	switch (id) {
	case WS_ACTION:
		action_text(r, s, n);
		break;
	case WS_RELATES_TO:
		add_small(r->relates_to, sizeof(r->relates_to), &r->relates_to_n, s, n);
		break;
	case WS_CODE_VALUE:
		add_small(r->code, sizeof(r->code), &r->code_n, s, n);
		break;
	case WS_SUBCODE_VALUE:
		add_small(r->subcode, sizeof(r->subcode), &r->subcode_n, s, n);
		break;
	case WS_REASON_TEXT:
		if (!r->reason_done)
			(void)wsman_text_add(&r->reason, s, n); /* truncated text is fine */
		break;
	case WS_FAULT_MESSAGE:
		(void)wsman_text_add(&r->message, s, n);
		break;
	default:
		break;
	}
	return WRSH_OK;
}

static wrsh_err env_end(void *ctx, unsigned id)
{
	struct wsman_resp *r = ctx;
	if (id == WS_REASON_TEXT && r->reason.n)
		r->reason_done = true;
	return WRSH_OK;
}

void wsman_consumer(struct xml_consumer *c, struct wsman_resp *r)
{
	c->rules = wsman_rules;
	c->nrules = wsman_nrules;
	c->start = env_start;
	c->end = env_end;
	c->text = env_text;
	c->ctx = r;
}

/* "w:TimedOut" -> "TimedOut"; also trims OMI's padding. */
static void local_part(const char *s, size_t n, const char **out, size_t *outn)
{
	const char *colon;
	str_trim(&s, &n);
	colon = memchr(s, ':', n);
	if (colon) {
		n -= (size_t)(colon + 1 - s);
		s = colon + 1;
	}
	*out = s;
	*outn = n;
}

bool wsman_fault_is(const struct wsman_resp *r, const char *subcode_local)
{
	const char *s;
	size_t n;
	if (!r->fault)
		return false;
	local_part(r->subcode, r->subcode_n, &s, &n);
	return n == strlen(subcode_local) && memcmp(s, subcode_local, n) == 0;
}

/* Trimmed, with each run of whitespace as one space: a provider's message
 * nested in a pretty-printed fault spans lines. */
static void trimmed(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, k = 0;
	str_trim(&s, &n);
	for (i = 0; i < n && k + 1 < cap; i++) {
		bool ws = s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n';
		if (ws && k && out[k - 1] == ' ')
			continue;
		out[k++] = ws ? ' ' : s[i];
	}
	if (cap)
		out[k] = 0;
}

wrsh_err wsman_fault_error(const struct wsman_resp *r, struct errbuf *e)
{
	char sub[64], code[24], msg[CONFIG_WRSH_WSMAN_TEXT_MAX];
	const struct wsman_text *t = r->message.n ? &r->message : &r->reason;
	trimmed(r->subcode_n ? r->subcode : r->code, r->subcode_n ? r->subcode_n : r->code_n, sub,
		sizeof(sub));
	trimmed(r->wsman_code, r->wsman_code_n, code, sizeof(code));
	trimmed(t->s, t->n, msg, sizeof(msg));
	return err_set(e, WRSH_EFAULT, "wsman: fault ", sub[0] ? sub : "(no code)",
		       code[0] ? " (WSManFault " : "", code, code[0] ? ")" : "", msg[0] ? ": " : "",
		       msg, NULL);
}

wrsh_err wsman_check_relates(const struct wsman_resp *r, const struct wsman_ctx *w,
			     struct errbuf *e)
{
	uint8_t got[16], want[16];
	const char *s = r->relates_to;
	size_t n = r->relates_to_n;
	if (!n || !w->message_id[0])
		return WRSH_OK; /* optional on faults from some servers; Identify has no id */
	str_trim(&s, &n);
	if (guid_parse(s, n, got) || guid_parse(w->message_id, strlen(w->message_id), want) ||
	    memcmp(got, want, 16) != 0)
		return err_set(e, WRSH_EPROTO,
			       "wsman: the response's RelatesTo does not name our request", NULL);
	return WRSH_OK;
}

void wsman_write_identify(struct sbuf *b)
{
	sb_puts(b,
		"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\""
		" xmlns:wsmid=\"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd\">"
		"<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>");
}

enum { ID_IDENTIFY = XML_ID_USER, ID_IDENT_FIELD };

/* IdentifyResponse in whatever namespace: DSP0226 11 puts it in wsmid's,
 * OMI in the SOAP envelope's, and what it holds reads the same. */
static const struct xml_rule identify_rules[] = {
	{WS_BODY, NS_ANY, ID_IDENTIFY, "IdentifyResponse"},
	{ID_IDENTIFY, NS_ANY, ID_IDENT_FIELD, NULL},
	{ID_IDENT_FIELD, NS_ANY, ID_IDENT_FIELD, NULL},
};

static wrsh_err ident_start(void *ctx, unsigned id, const char *local, const char **atts)
{
	struct wsman_identify *st = ctx;
	(void)atts;
	if (id == ID_IDENTIFY)
		st->seen = true;
	if (id == ID_IDENT_FIELD) {
		str_copy(st->name, sizeof(st->name), local, strlen(local));
		st->val.n = 0;
	}
	return WRSH_OK;
}

static wrsh_err ident_text(void *ctx, unsigned id, const char *s, size_t n)
{
	struct wsman_identify *st = ctx;
	(void)id;
	(void)wsman_text_add(&st->val, s, n);
	return WRSH_OK;
}

/* Leaves only: a container's text is the whitespace between its children. */
static wrsh_err ident_end(void *ctx, unsigned id)
{
	struct wsman_identify *st = ctx;
	const char *s = st->val.s;
	size_t n = st->val.n;
	wrsh_err e = WRSH_OK;
	if (id != ID_IDENT_FIELD)
		return WRSH_OK;
	str_trim(&s, &n);
	if (n && st->fn) {
		char v[CONFIG_WRSH_WSMAN_TEXT_MAX];
		str_copy(v, sizeof(v), s, n);
		e = st->fn(st->fn_ctx, st->name, v, n);
	}
	st->val.n = 0;
	return e;
}

void wsman_identify_consumer(struct xml_consumer *c, struct wsman_identify *st)
{
	c->rules = identify_rules;
	c->nrules = sizeof(identify_rules) / sizeof(identify_rules[0]);
	c->start = ident_start;
	c->end = ident_end;
	c->text = ident_text;
	c->ctx = st;
}
