/*
 * The session's PowerShell state: the pool's ids, the incoming reader
 * chain (fragments, messages, CLIXML) and the outgoing fragments of the
 * request being written. Lives in the arena while the pool is open.
 */
#ifndef WRSH_PSRP_POOL_H
#define WRSH_PSRP_POOL_H

#include "psrp/build.h"
#include "psrp/clixml.h"
#include "wsman/session.h"

struct wrsh_session;
struct psrp_keyx; /* the key exchange's state (pool.c), made when first needed */

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
};

/* The open pool's ids (RPID, the pipeline's PID), or NULL: for tests that
 * play the server. */
const struct psrp_ids *psrp_pool_ids(const struct wrsh_session *s);

#endif
