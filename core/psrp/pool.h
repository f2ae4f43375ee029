/*
 * The session's PowerShell state: the pool's ids, the incoming reader
 * chain (fragments, messages, CLIXML) and the outgoing fragments of the
 * request being written. Lives in the arena while the pool is open.
 */
#ifndef WRSH_PSRP_POOL_H
#define WRSH_PSRP_POOL_H

#include "psrp/build.h"
#include "psrp/clixml.h"
#include "psrp/secure.h"
#include "util/base64.h"
#include "wsman/session.h"

struct wrsh_session;
struct psrp_keyx; /* the key exchange's state (below), made when first needed */

#define PSRP_URI_BASE "http://schemas.microsoft.com/powershell/"

struct psrp_pool {
	struct sess_part part; /* first: the pool's memory goes at wrsh_close */
	struct wrsh_session *s;
	struct errbuf *err;
	struct psrp_ids ids;
	char uri[sizeof(PSRP_URI_BASE) + WRSH_PS_CONFIGURATION_MAX]; /* its configuration's */
	char pid_text[GUID_STR_LEN + 1];			     /* the pipeline's CommandId */
	uint64_t next_object;
	bool pipeline; /* started, its final state not yet seen */
	int pool_state, pipe_state, state_read;
	/* incoming */
	struct psrp_defrag defrag;
	struct psrp_msg_reader reader;
	struct psrp_msg_sink msg_sink;
	struct clixml_reader cx;
	struct clixml_sink cx_sink;
	bool cx_on, parse, to_user;
	uint32_t type;
	enum wrsh_ps_stream stream;
	const struct wrsh_ps_sink *user;
	char num[24];
	size_t num_n;
	/* a host call being read, and the one waiting for its answer */
	int64_t hc_ci;
	int hc_method;
	char hc_name[40];
	size_t hc_name_n;
	bool hc_pending, in_mi;
	bool host_ui, input_open;
	bool key_requested, pool_rx; /* PUBLIC_KEY_REQUEST seen; a Receive for the pool */
	struct psrp_keyx *kx;
	/* outgoing: fragments, base64-encoded into the envelope, a request's
	 * worth at a time: out.p[send_off .. send_end) */
	struct sbuf out;
	size_t send_off, send_end;
	size_t frag_room, blob_max; /* raw bytes per request; per fragment */
	size_t request_body;	    /* the request size they were cut for */
	unsigned server_version;    /* its SESSION_CAPABILITY's protocolversion: 203 */
};

/* The open pool's ids (RPID, the pipeline's PID), or NULL: for tests that
 * play the server. */
const struct psrp_ids *psrp_pool_ids(const struct wrsh_session *s);

/* ---- inside the pool: pool.c (the API), incoming.c, outgoing.c ---- */

/* The session key exchange (MS-PSRP 3.1.4.8), in the arena from the first
 * secure answer (or the server's PUBLIC_KEY_REQUEST) to the pool's end:
 * the RSA pair only until the session key is in, then wiped and freed. */
struct psrp_keyx {
	struct crypto_rsa *rsa;
	uint8_t key[PSRP_SESSION_KEY];
	bool have_key, over;
	char esk[B64_ENC_LEN(PSRP_SESSKEY_BLOB) + 8]; /* EncryptedSessionKey, base64 */
	size_t esk_n;
};

/* RunspacePoolState (MS-PSRP 2.2.3.4) */
enum { POOL_OPENED = 2, POOL_CLOSED = 3, POOL_BROKEN = 5 };

enum preq_kind { P_CREATE, P_COMMAND, P_RECEIVE, P_SIGNAL, P_SEND_PR, P_SEND_IN, P_SEND_POOL };

struct input_arg {
	const char *s;
	size_t n;
};

struct reply_arg {
	const struct psrp_pool *p;
	const struct wrsh_ps_answer *a;
};

struct psrp_pool *psrp_pool_of(const struct wrsh_session *s);
/* incoming.c */
wrsh_err psrp_on_stream(void *ctx, int stream, const void *buf, size_t len);
void psrp_reader_reset(struct psrp_pool *p);
int psrp_port_rng(void *ctx, unsigned char *out, size_t n);
/* outgoing.c: one request of kind (a preq_kind) and its answer */
wrsh_err psrp_call(struct wrsh_session *s, enum preq_kind kind, uint32_t wait_ms, unsigned flags);
/* pool.c: fragments sized so that whole ones fill a request of body bytes */
void psrp_request_room(struct psrp_pool *p, size_t body);
wrsh_err psrp_out_begin(struct psrp_pool *p, size_t cap);
void psrp_out_end(struct psrp_pool *p);
void psrp_next_batch(struct psrp_pool *p);
/* the message at out[start..start+len) (after room for a fragment header)
 * cut into fragments in place */
wrsh_err psrp_fragment(struct psrp_pool *p, size_t start, size_t len);
wrsh_err psrp_queue(struct psrp_pool *p,
		    void (*build)(struct sbuf *b, const struct psrp_ids *id, const void *arg),
		    const void *arg);
void psrp_b_capability(struct sbuf *b, const struct psrp_ids *id, const void *arg);
void psrp_b_init(struct sbuf *b, const struct psrp_ids *id, const void *arg);
void psrp_b_input(struct sbuf *b, const struct psrp_ids *id, const void *arg);
void psrp_b_end_of_input(struct sbuf *b, const struct psrp_ids *id, const void *arg);
void psrp_b_reply(struct sbuf *b, const struct psrp_ids *id, const void *arg);

#endif
