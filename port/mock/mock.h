/*
 * A scripted peer for tests: a struct wrsh_port whose "server" answers each
 * request with the next queued response, and which can cut the connection,
 * stall or corrupt the stream at any byte, refuse connects, and records
 * every byte the client sent. Clock and randomness are deterministic, so
 * runs reproduce byte for byte.
 *
 * Storage is the caller's (the mock never allocates): responses are copied
 * into `store`, requests into `sent`.
 */
#ifndef WRSH_MOCK_H
#define WRSH_MOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "port.h"

#define MOCK_MAX_RESPONSES 64
#define MOCK_NEVER ((uint64_t)-1)

struct mock_port {
	/* responses, back to back in store */
	uint8_t *store;
	size_t store_cap, store_len;
	size_t resp_off[MOCK_MAX_RESPONSES], resp_len[MOCK_MAX_RESPONSES];
	bool resp_close[MOCK_MAX_RESPONSES]; /* close the connection after it */
	unsigned nresp;
	unsigned cur;	/* response being delivered, or nresp */
	size_t cur_pos; /* bytes of it delivered */
	bool awaiting;	/* a request was sent, its response not started */
	/* the client's bytes */
	uint8_t *sent;
	size_t sent_cap, sent_len;
	size_t req_off[256]; /* where each request began in sent */
	/* behaviour */
	size_t chunk;		  /* most bytes per recv; 0 = unlimited */
	uint64_t cut_at;	  /* close after delivering this many bytes in all */
	wrsh_err cut_code;	  /* what recv says at cut_at: WRSH_OK (EOF) or a reset */
	uint64_t send_cut_at;	  /* reset once the client sent this many bytes in all */
	uint64_t stall_at;	  /* ETIMEDOUT once this many bytes were delivered */
	uint64_t corrupt_at;	  /* flip this byte (0-based over all delivered) */
	uint64_t wake_at;	  /* EINTR (when WAKEABLE) at this request number */
	unsigned refuse_connects; /* this many connects fail first */
	bool fix_relates_to;	  /* copy the request's MessageID into RelatesTo */
	/* a server that reads: called with each whole request (mock_request
	 * of m->requests - 1) before its response starts; with live set, the
	 * response is the last one queued, which the hook may have just added */
	void (*on_request)(void *ctx, struct mock_port *m);
	void *on_request_ctx;
	bool live;
	bool secure;
	/* counters */
	uint64_t delivered, accepted; /* response bytes given, request bytes taken */
	unsigned connects, closes, requests;
	bool connected;
	uint32_t rnd;
	uint64_t clock_ms;
	uint64_t filetime; /* what filetime() answers (FILETIME); 0: no wall clock */
	char err[96];
};

/* Set up m over the caller's buffers and fill port. */
void mock_init(struct mock_port *m, struct wrsh_port *port, uint8_t *store, size_t store_cap,
	       uint8_t *sent, size_t sent_cap);
/* Queue a raw response. Returns false when store or the queue is full. */
bool mock_add_raw(struct mock_port *m, const void *p, size_t n, bool close_after);
/* Queue an HTTP/1.1 response around body (Content-Length, or chunked in
 * pieces of chunk bytes when chunk > 0). */
bool mock_add_http(struct mock_port *m, int status, const char *content_type, const void *body,
		   size_t n, size_t chunk);
/* Forget the queued responses and the recorded requests (their space
 * included); the connection and the other counters stay. For long runs that feed responses one at a time. */
void mock_clear_responses(struct mock_port *m);
/* The n-th request the client sent (0-based), as bytes inside m->sent. */
bool mock_request(const struct mock_port *m, unsigned n, const uint8_t **p, size_t *len);

#endif
