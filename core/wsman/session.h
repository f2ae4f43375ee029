/* The session's insides, shared by the modules that implement wrsh.h. */
#ifndef WRSH_SESSION_H
#define WRSH_SESSION_H

#include "auth/mech.h"
#include "config.h"
#include "base/err.h"
#include "wsman/http.h"
#include "port.h"
#include "wsman/wsman.h"
#include "wsman/xml.h"

#define SESS_SEND_BUF_MAX 16777216 /* wrsh_opts.send_buf, as CONFIG_WRSH_WSMAN_TX_BUF's range */

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
	bool proxy_absolute; /* requests to a forward proxy: the URL in to[] */
	char *proxy_hdr;     /* its header lines (Proxy-Authorization), or NULL */
	size_t proxy_hdr_cap;

	/* Negotiate: a mechanism's context, connection-bound, sealing over HTTP */
	const struct auth_mech *mech; /* NULL: Basic, a certificate or none */
	void *mech_ctx;		      /* mech->ctx_size bytes of the arena */
	bool seal, local;
	char *user, *domain, *spn, *names_mem;
	void *cred; /* mech->cred_size bytes of the arena, the session's lifetime */
	/* Negotiate with Kerberos first: NTLM's credential, for when Kerberos
	 * cannot be had (the context is sized for either) */
	const struct auth_mech *fallback;
	void *fallback_cred;
	char *realm, *kdc_host; /* Kerberos; "" when not given */
	uint16_t kdc_port_no;
	bool kdc_udp;
	char *service_realm; /* "" when not given */
	int (*realm_kdc)(void *ctx, const char *realm, char *host, size_t cap, uint16_t *port,
			 bool *udp);
	void *realm_kdc_ctx;
	const struct wrsh_port *kdc;
	const uint8_t *ccache, *keytab;
	size_t ccache_n, keytab_n;
	uint8_t *ccache_out;
	size_t ccache_out_cap, *ccache_out_len;
	unsigned mech_epoch; /* the connection the context belongs to */
	char *pending_auth;  /* the last handshake leg, for the next request */
	size_t pending_cap;
	char *token; /* the server's Negotiate token, while a handshake runs */
	size_t token_len;

	uint32_t op_ms;
	unsigned long salt;
	wrsh_trace_fn trace;
	void *trace_ctx;

	/* [head][seal prefix][body][seal suffix]; also holds a sealed response
	 * while it is verified */
	char *tx;
	size_t tx_cap, head_max, body_off, body_cap, sealed_len;
	uint8_t *rx;
	char *line;
	struct sbuf body;

	struct http_conn conn;
	struct wsman_ctx ws;
	struct wsman_resp resp;
	struct xml_parser xml;
	struct xml_consumer env_c;
	const struct xml_consumer *op;
	bool xml_on, body_xml, body_sealed;
	/* wrsh_relay: the answer's plain body goes to relay, not to expat */
	wrsh_relay_fn relay;
	void *relay_ctx;
	bool relay_on;
	bool body_clear; /* a clear answer on a sealed session: only its status counts */
	int status;
	char reason[48];
	char media[40]; /* the answer's Content-Type without parameters, for errors */
	char offers[64];
	uint64_t body_len; /* of this response: bounds streamed and drained bodies */

	struct sess_part *parts; /* what the protocols keep here, newest first */
};

/*
 * What a protocol keeps in the session and must undo at close: a shell to
 * delete, an enumeration to release, a pool's memory. The protocol embeds a
 * sess_part in its own state (carved from the arena) and attaches it;
 * wrsh_close() runs every part's close, newest first, with the cleanup
 * timeout, without knowing what it closes; a close detaches its part
 * before freeing it. A protocol finds its state again by its close
 * function.
 */
struct sess_part;
typedef void (*sess_close_fn)(struct wrsh_session *s, struct sess_part *p);
struct sess_part {
	sess_close_fn close;
	struct sess_part *next;
};
void sess_attach(struct wrsh_session *s, struct sess_part *p);
void sess_detach(struct wrsh_session *s, struct sess_part *p);
struct sess_part *sess_part_of(const struct wrsh_session *s, sess_close_fn close);
#define SESS_STATE(part, type) ((type *)(void *)(part)) /* part is type's first member */

wrsh_err sess_enter(struct wrsh_session *s);
wrsh_err sess_leave(struct wrsh_session *s, wrsh_err e);
/* The body writer of the next request (inside the send buffer). */
struct sbuf *sess_body(struct wrsh_session *s);
void sess_new_message_id(struct wrsh_session *s);

/* Writes one request envelope into b; called again when a request must be
 * rebuilt (a new connection means a new NTLM context and a new seal). */
typedef void (*sess_writer)(struct wrsh_session *s, struct sbuf *b, void *ctx);

/* One operation: authenticate the connection if needed, write, seal, send,
 * and consume the response (envelope headers and faults here, the body by
 * op). anonymous: Identify without credentials. */
wrsh_err sess_transact(struct wrsh_session *s, const struct xml_consumer *op, sess_writer writer,
		       void *wctx, bool anonymous, uint32_t wait_ms, unsigned flags);
/* Lower pieces, for the handshake. */
wrsh_err sess_frame(struct wrsh_session *s, const char *content_type, const char *extra, size_t off,
		    size_t len, const uint8_t **req, size_t *req_len);
wrsh_err sess_roundtrip(struct wrsh_session *s, const struct xml_consumer *op, const uint8_t *req,
			size_t len, uint32_t wait_ms, unsigned flags);
void sess_note(struct wrsh_session *s, const char *text);
/* The error for a forward proxy's 407 after an exchange, or WRSH_OK. */
wrsh_err sess_proxy_refused(struct wrsh_session *s);
void sess_trace_request(struct wrsh_session *s, const char *dir, const void *p, size_t n);
void sess_trace_hook(struct wrsh_session *s);

/* negotiate.c: the handshake under the Negotiate scheme, for mechanism m */
wrsh_err sess_mech_setup(struct wrsh_session *s, const struct auth_mech *m,
			 const struct wrsh_opts *o);
/* Negotiate: Kerberos, with NTLM behind it unless o->no_ntlm. */
wrsh_err sess_mech_setup_negotiate(struct wrsh_session *s, const struct wrsh_opts *o);
wrsh_err sess_negotiate(struct wrsh_session *s);
void sess_auth_done(struct wrsh_session *s);

#endif
