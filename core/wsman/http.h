/*
 * HTTP/1.1 client: a request-head writer, a push parser for responses
 * (status line, bounded headers, Content-Length / chunked / close-delimited
 * bodies), and the exchange driver that does the port I/O, keep-alive and
 * the one safe retry on a connection the server closed while idle.
 */
#ifndef WRSH_HTTP_H
#define WRSH_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "base/err.h"
#include "port.h"
#include "util/str.h"

enum http_state {
	HTTP_STATUS,
	HTTP_HEADER,
	HTTP_BODY_LEN,
	HTTP_BODY_EOF,
	HTTP_CHUNK_SIZE,
	HTTP_CHUNK_DATA,
	HTTP_CHUNK_END,
	HTTP_TRAILER,
	HTTP_DONE
};

/* Handlers a response pushes its parts into; any may be NULL. A non-OK
 * return stops the parse with that code. */
struct http_sink {
	/* After the status line: status code and reason phrase. */
	wrsh_err (*status)(void *ctx, int status, const char *reason, size_t len);
	/* Each header; name without colon, value trimmed. */
	wrsh_err (*header)(void *ctx, const char *name, size_t nlen, const char *val, size_t vlen);
	/* After the blank line: the body follows (or the response is done). */
	wrsh_err (*head_done)(void *ctx);
	/* Body bytes, de-chunked, in arrival order. */
	wrsh_err (*body)(void *ctx, const uint8_t *p, size_t n);
	void *ctx;
};

struct http_resp {
	enum http_state st;
	int status;
	bool chunked, has_len, close, http10, any_byte, no_body;
	uint64_t remaining; /* of the Content-Length body or current chunk */
	unsigned nheaders;
	char *line; /* CONFIG_WRSH_HTTP_MAX_LINE bytes, the caller's */
	size_t line_len;
	struct http_sink sink;
	struct errbuf *err;
};

/* line must hold CONFIG_WRSH_HTTP_MAX_LINE bytes and outlive the parse. */
void http_resp_init(struct http_resp *r, char *line, const struct http_sink *sink,
		    struct errbuf *err);
/* Consume p[0..n); *used tells how much (less than n only once DONE: the
 * server sent bytes past the response). Errors: WRSH_EHTTP (malformed),
 * WRSH_ELIMIT (line or header count cap), or what a sink returned. */
wrsh_err http_resp_push(struct http_resp *r, const uint8_t *p, size_t n, size_t *used);
/* The peer closed: fine for a close-delimited body, else WRSH_ECLOSED. */
wrsh_err http_resp_eof(struct http_resp *r);

/* The request head. host is written bracketed if it is an IPv6 literal. */
struct http_req {
	const char *method, *path, *host;
	uint16_t port;
	const char *content_type;
	size_t content_length;
	const char *extra; /* further header lines, each ending in CRLF, or NULL */
	const char *proxy; /* header lines for a forward proxy, or NULL */
};
void http_write_head(struct sbuf *b, const struct http_req *q);

/* One connection through a port. */
struct http_conn {
	const struct wrsh_port *port;
	const char *host;
	uint16_t port_no;
	uint32_t timeout_ms; /* connect, sending a request, an answer after its first byte */
	uint8_t *rx;	     /* receive chunk, rx_cap bytes */
	size_t rx_cap;
	bool connected;
	bool retryable;	 /* the last exchange may be sent again (see below) */
	unsigned served; /* responses completed on this connection */
	unsigned epoch;	 /* counts connects: NTLM contexts belong to one */
	uint32_t requests;
	uint64_t sent, received;
	struct errbuf *err;
	void (*trace)(void *ctx, const char *dir, const void *p, size_t n);
	void *trace_ctx;
};

/*
 * Send req[0..len) and push the response through r until it is complete,
 * connecting first if needed. first_wait_ms bounds the wait for the first
 * response byte (a WS-Man Receive may legitimately wait for its
 * OperationTimeout); the rest of the answer must arrive within timeout_ms
 * of it, and the request be sent within timeout_ms. flags may hold
 * WRSH_PORT_WAKEABLE: a wake before the first response byte abandons the
 * connection and returns WRSH_EINTR.
 * When a reused connection fails before any response byte (the server
 * closed it while idle), the result is WRSH_ECLOSED with c->retryable set:
 * the caller may rebuild the request (connection-bound authentication
 * starts over) and send it once more.
 */
wrsh_err http_exchange(struct http_conn *c, const uint8_t *req, size_t len, struct http_resp *r,
		       uint32_t first_wait_ms, unsigned flags);
void http_close(struct http_conn *c);
/* Connect now unless connected (http_exchange does it when needed): for a
 * handshake whose first token carries the TLS channel's bindings. */
wrsh_err http_connect(struct http_conn *c);

#endif
