/*
 * An HTTP proxy as a port: wrsh_proxy_wrap() turns a plain stream port into
 * one whose connect(host, port) reaches host:port through an HTTP proxy. It
 * needs nothing of the platform beyond the lower port, so it sits at the
 * seam beside port.h (not under port/<platform>/), as tls/ does.
 *
 * Tunnel (HTTPS; plain HTTP when tunnel is set): connect() opens the
 * proxy's connection, sends CONNECT host:port (RFC 9110 9.3.6) and reads
 * the head of the answer; after a 2xx the stream is the server's. A TLS
 * port wrapped around this one checks the server's certificate and binds
 * to the server's channel, end to end: the proxy sees only TLS records.
 *
 * Forward (plain HTTP without tunnel): connect() opens the proxy's
 * connection and nothing more. The session must then write requests in
 * absolute form (RFC 9112 3.2.2) with wrsh_proxy_header()'s line: set
 * wrsh_opts.proxy_absolute and proxy_header.
 *
 * The context is the caller's (nothing is allocated); the answer to
 * CONNECT is read through a bounded head parser (PROXY_HEAD_MAX bytes,
 * within the connect's timeout as a whole). Beyond port.h's codes, connect
 * returns WRSH_EAUTH for a 407, WRSH_EHTTP for any other refusal or a
 * malformed answer, WRSH_ELIMIT for a head above the cap, each with one
 * line in errmsg(): "proxy: 407 Proxy Authentication Required from
 * proxy.example:3128".
 */
#ifndef WRSH_PROXY_H
#define WRSH_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "port.h"
#include "wrsh.h"

#define PROXY_HEAD_MAX 16384 /* the answer's head, status line and headers */
#define PROXY_LINE_MAX 96    /* of the status line, kept for the message */

/* The answer's head as a push parser: bytes in, the status out. */
enum proxy_resp_state { PROXY_STATUS, PROXY_HEADERS, PROXY_DONE };
struct proxy_resp {
	enum proxy_resp_state st;
	int status;
	bool bol, cr;		   /* at the start of a line; a CR just seen */
	char line[PROXY_LINE_MAX]; /* the status line, cut at the cap */
	size_t line_len, total;
};
void proxy_resp_init(struct proxy_resp *r);
/* Consume p[0..n) up to the end of the head: *used says how far (bytes
 * after it are the tunnel's). WRSH_OK (st is PROXY_DONE at the end),
 * WRSH_EHTTP for a malformed status line, WRSH_ELIMIT above PROXY_HEAD_MAX. */
wrsh_err proxy_resp_push(struct proxy_resp *r, const uint8_t *p, size_t n, size_t *used);

struct wrsh_proxy_opts {
	const char *host; /* the proxy: DNS name or IP literal without brackets */
	uint16_t port;
	const char *user;     /* Basic (RFC 7617) for the proxy, or NULL */
	const char *password; /* encoded into the context; wipe yours afterwards */
	bool tunnel;	      /* CONNECT on every connection (else forward) */
};

struct wrsh_proxy {
	struct wrsh_port lower;
	char host[256];
	uint16_t port;
	bool tunnel;
	char auth[640];		   /* "Proxy-Authorization: Basic ...\r\n", or "" */
	uint8_t buf[1280];	   /* the CONNECT request, then the answer */
	size_t pend_off, pend_len; /* tunnel bytes that came with the answer */
	struct proxy_resp resp;
	char err[384];
};

/* Fill out as a port over a copy of lower, its state in ctx (the caller's,
 * valid while out is used). WRSH_EINVAL: a host or credentials too long,
 * or a lower port without connect, send, recv, close or now_ms. */
wrsh_err wrsh_proxy_wrap(struct wrsh_port *out, struct wrsh_proxy *ctx,
			 const struct wrsh_port *lower, const struct wrsh_proxy_opts *o);
/* Forward mode's header line for every request, or NULL (no credentials). */
const char *wrsh_proxy_header(const struct wrsh_proxy *ctx);
/* Wipe the credentials; the port is unusable afterwards. */
void wrsh_proxy_release(struct wrsh_proxy *ctx);

#endif
