/*
 * WS-Management (DSP0226, MS-WSMV): the request envelope writer, the
 * response envelope consumer (addressing headers and SOAP faults), fault
 * reporting, and Identify.
 */
#ifndef WRSH_WSMAN_H
#define WRSH_WSMAN_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "util/guid.h"
#include "util/str.h"
#include "wsman/xml.h"

#define WSA_ANONYMOUS "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
#define WSMAN_ACTION_CREATE "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
#define WSMAN_ACTION_DELETE "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"

/* The largest request envelope we write, whatever CONFIG_WRSH_WSMAN_TX_BUF: a
 * server's MaxEnvelopeSizekb also caps requests, and 32 is the least it
 * may be set to (MS-WSMV 2.2.4.10), so longer data is split, never refused. */
#define WSMAN_REQUEST_MAX 32768

/* Ids of the envelope's elements (below XML_ID_USER). */
enum {
	WS_ENVELOPE = 2,
	WS_HEADER,
	WS_ACTION,
	WS_RELATES_TO,
	WS_BODY,
	WS_FAULT,
	WS_CODE,
	WS_CODE_VALUE,
	WS_SUBCODE,
	WS_SUBCODE_VALUE,
	WS_REASON,
	WS_REASON_TEXT,
	WS_DETAIL,
	WS_WSMANFAULT,
	WS_FAULT_MESSAGE,
	WS_FAULT_DETAIL
};

struct wsman_kv {
	const char *name, *value;
	bool must_comply; /* options: MustComply="true" (MS-WSMV 2.2.4.23) */
};

/* What a request's header carries beyond the per-session constants. */
struct wsman_hdr {
	const char *action;
	const char *resource_uri;
	const struct wsman_kv *selectors;
	size_t nselectors;
	const struct wsman_kv *options;
	size_t noptions;
	uint32_t op_timeout_ms; /* 0: no OperationTimeout header */
};

/* Bounded captured text (ids, fault texts). */
struct wsman_text {
	char s[CONFIG_WRSH_WSMAN_TEXT_MAX];
	size_t n;
};

/* What the envelope consumer learned about a response. */
struct wsman_resp {
	bool fault;
	bool reason_done; /* several languages: keep the first */
	/* the Action, compared with expect + "Response" as it streams in */
	const char *expect; /* the request's action; NULL: no Action expected */
	size_t expect_n;
	struct errbuf *err;
	size_t act_pos;			/* bytes of the expected action matched */
	bool act_any, act_gap, act_bad; /* text seen, a space after it, a mismatch */
	char action[128];		/* what came, for the message (cut) */
	size_t action_n;
	char act_tail[48]; /* its last path segment ("CreateResponse") */
	size_t act_tail_n;
	char relates_to[64];
	size_t relates_to_n;
	char code[64], subcode[64], wsman_code[24];
	size_t code_n, subcode_n, wsman_code_n;
	struct wsman_text reason, message;
};

/* Per-session constants of every request. */
struct wsman_ctx {
	const char *to; /* "http://host:port/wsman" */
	char session_id[GUID_STR_LEN + 1];
	char message_id[GUID_STR_LEN + 1]; /* of the request being written */
	const char *action;		   /* of the request written last (wsman_write_begin), until
			     * its answer is judged; NULL for Identify */
	uint32_t max_envelope;
	const char *locale;
};

/* Write the envelope up to and including <s:Body>. The caller sets
 * w->message_id to a fresh GUID first; w->action remembers h->action (which
 * must live until the answer is judged). */
void wsman_write_begin(struct sbuf *b, struct wsman_ctx *w, const struct wsman_hdr *h);
void wsman_write_end(struct sbuf *b);

/* The envelope consumer; resp is reset by wsman_resp_init. */
void wsman_resp_init(struct wsman_resp *r);
/* Expect the answer to the request whose action is request_action (NULL:
 * none, as for Identify): its Action must be request_action + "Response"
 * (MS-WSMV 3.1.4), or a fault's. A wrong one stops the parse at <s:Body>,
 * before the body consumer sees a byte of it, with the message in e. */
void wsman_resp_expect(struct wsman_resp *r, const char *request_action, struct errbuf *e);
extern const struct xml_rule wsman_rules[];
extern const size_t wsman_nrules;
void wsman_consumer(struct xml_consumer *c, struct wsman_resp *r);

/* Record WRSH_EFAULT with "wsman: fault <subcode> (<code>): <message>". */
wrsh_err wsman_fault_error(const struct wsman_resp *r, struct errbuf *e);
/* Is this the w:TimedOut fault that only means "poll again"? */
bool wsman_fault_is(const struct wsman_resp *r, const char *subcode_local);
/* WRSH_EPROTO "wsman: answer is X, expected Y" unless the Action was the
 * expected one (or nothing was expected). Faults are judged before this. */
wrsh_err wsman_check_action(const struct wsman_resp *r, struct errbuf *e);
/* RelatesTo must name the request (when the server sends one). */
wrsh_err wsman_check_relates(const struct wsman_resp *r, const struct wsman_ctx *w,
			     struct errbuf *e);

/* Identify (DSP0226 11): an envelope with an empty header. */
void wsman_write_identify(struct sbuf *b);
/* Body consumer reporting every leaf of IdentifyResponse as name/value. */
typedef wrsh_err (*wsman_prop_fn)(void *ctx, const char *name, const char *value, size_t len);
struct wsman_identify {
	wsman_prop_fn fn;
	void *fn_ctx;
	bool seen;
	char name[64];
	struct wsman_text val;
};
void wsman_identify_consumer(struct xml_consumer *c, struct wsman_identify *st);

/* Append to bounded text, keeping what fits; false when it was cut. */
bool wsman_text_add(struct wsman_text *t, const char *s, size_t n);

#endif
