/*
 * The client's PSRP messages (MS-PSRP 2.2.2), written as CLIXML into a
 * caller's buffer after the 40-byte message header: the runspace pool's
 * SESSION_CAPABILITY and INIT_RUNSPACEPOOL, a pipeline's CREATE_PIPELINE
 * (a script, optionally piped to Out-String -Stream so that the remote
 * side formats objects as its console would), PIPELINE_INPUT and
 * END_OF_PIPELINE_INPUT.
 */
#ifndef WRSH_PSRP_BUILD_H
#define WRSH_PSRP_BUILD_H

#include "psrp/message.h"
#include "wrsh.h"
#include "util/str.h"

/* MS-PSRP 2.2.3.x: the protocol this client speaks and what it announces */
#define PSRP_PROTOCOL_VERSION "2.3"
#define PSRP_PS_VERSION "2.0"
#define PSRP_SERIALIZATION_VERSION "1.1.0.1"

struct psrp_ids {
	uint8_t rpid[16], pid[16]; /* .NET order, as on the wire */
};

/* Each writes header and CLIXML into b; b->over tells of overflow. */
void psrp_build_session_capability(struct sbuf *b, const struct psrp_ids *id);
void psrp_build_init_runspacepool(struct sbuf *b, const struct psrp_ids *id, unsigned min,
				  unsigned max);
/* format: append Out-String -Stream; input: the pipeline reads input;
 * host: the client answers host calls (a UI without raw UI) */
void psrp_build_create_pipeline(struct sbuf *b, const struct psrp_ids *id, const char *script,
				bool format, bool input, bool host);
/* The same in three parts, for a script that streams: the head (message
 * header and CLIXML up to the script's text), the script as a string in
 * pieces (psrp_put_string_piece), the tail; st carries the RefIds on. */
struct psrp_pipe_state {
	unsigned ref;
};
void psrp_build_create_pipeline_head(struct sbuf *b, const struct psrp_ids *id, bool input,
				     bool host, struct psrp_pipe_state *st);
void psrp_build_create_pipeline_tail(struct sbuf *b, bool format, struct psrp_pipe_state *st);
/* The answer to a host call (MS-PSRP 2.2.2.28): its value in mr, or a
 * refusal as the ErrorRecord of a HostException in me. */
void psrp_build_host_response(struct sbuf *b, const struct psrp_ids *id, int64_t call_id,
			      int method, const char *method_name, const struct wrsh_ps_answer *a);
/* PIPELINE_INPUT up to its string's text, which the caller writes (and
 * then "</S>"): text without characters that need escaping */
void psrp_build_input_head(struct sbuf *b, const struct psrp_ids *id);
void psrp_build_input_string(struct sbuf *b, const struct psrp_ids *id, const char *s, size_t n);
void psrp_build_end_of_input(struct sbuf *b, const struct psrp_ids *id);
/* PUBLIC_KEY (MS-PSRP 2.2.2.3): a pool message, the blob in base64. */
void psrp_build_public_key(struct sbuf *b, const struct psrp_ids *id, const char *blob_b64);

/* A string as CLIXML text: XML escapes, and _xHHHH_ for control characters
 * and for an underscore that would read as an escape (MS-PSRP 2.2.5.3.2). */
void psrp_put_string(struct sbuf *b, const char *s, size_t n);
/* The same in pieces of any size: an underscore is held until the bytes
 * after it tell whether it would read as an escape. A piece of n bytes
 * writes at most 7 n + PSRP_ESC_HELD bytes; end writes what is held. */
struct psrp_str_esc {
	char hold[7]; /* "_xHHHH_" */
	unsigned char n;
};
#define PSRP_ESC_HELD 49 /* 7 held bytes, 7 bytes each at worst */
void psrp_put_string_piece(struct sbuf *b, struct psrp_str_esc *e, const char *s, size_t n);
void psrp_put_string_end(struct sbuf *b, struct psrp_str_esc *e);

#endif
