/* The session's insides, shared by the modules that implement wrsh.h. */
#ifndef WRSH_SESSION_H
#define WRSH_SESSION_H

#include "config.h"
#include "err.h"
#include "http.h"
#include "port.h"
#include "winrs.h"
#include "wsman.h"
#include "xml.h"

struct wrsh_session {
	struct wrsh_arena *arena;
	const struct wrsh_port *port;
	struct errbuf err;
	wrsh_err sticky;

	char host[256];
	uint16_t port_no;
	char path[128];
	char to[400];
	char *auth_hdr;	     /* a whole header line with CRLF, or NULL */
	size_t auth_hdr_cap; /* 0 when auth_hdr is not ours to wipe */
	uint32_t op_ms;
	unsigned long salt;
	wrsh_trace_fn trace;
	void *trace_ctx;

	char *tx; /* [head_max bytes for the head][body] */
	size_t tx_cap, head_max;
	uint8_t *rx;
	char *line;
	struct sbuf body;

	struct http_conn conn;
	struct wsman_ctx ws;
	struct wsman_resp resp;
	struct xml_parser xml;
	struct xml_consumer env_c;
	const struct xml_consumer *op;
	bool xml_on, body_xml;
	int status;
	char reason[48];
	char offers[64];
	uint64_t drained;

	struct winrs_parse wp;
	char shell_id[WINRS_ID_MAX];
	char cmd_id[WINRS_ID_MAX];
	bool shell_open;
	bool cmd_active;   /* started and not yet Done */
	bool cmd_finished; /* Done, not yet terminated */
};

wrsh_err sess_enter(struct wrsh_session *s);
wrsh_err sess_leave(struct wrsh_session *s, wrsh_err e);
/* The body writer of the next request (inside the send buffer). */
struct sbuf *sess_body(struct wrsh_session *s);
void sess_new_message_id(struct wrsh_session *s);
/* Send the body written through sess_body() and consume the response:
 * envelope headers and faults here, the body by op. */
wrsh_err sess_transact(struct wrsh_session *s, const struct xml_consumer *op, bool anonymous,
		       uint32_t wait_ms, unsigned flags);
void sess_note(struct wrsh_session *s, const char *text);

/* Used by wrsh_close(): Delete the shell without the sticky-error gate. */
wrsh_err winrs_delete_shell(struct wrsh_session *s);

#endif
