/*
 * The POSIX port: BSD sockets (IPv4 and IPv6), poll() timeouts on every
 * call, CLOCK_MONOTONIC, getrandom(). Fill a struct wrsh_port with
 * posix_port_init() over a caller-allocated struct posix_port.
 *
 * Wakes: an application may set wake_fd[0..1] (e.g. a self-pipe written by
 * a SIGINT handler, and stdin). During a recv() called with
 * WRSH_PORT_WAKEABLE, a readable wake fd or a signal ends the wait with
 * WRSH_EINTR; without the flag both are ignored (signals are retried).
 */
#ifndef WRSH_POSIX_H
#define WRSH_POSIX_H

#include <stddef.h>

#include "port.h"

struct posix_port {
	int fd;
	int wake_fd[2]; /* -1 when unused */
	char err[320];
};

void posix_port_init(struct wrsh_port *port, struct posix_port *ctx);

/* The port to reach a Kerberos KDC: posix_port_init()'s, with UDP
 * (connect_dgram) and DNS SRV through /etc/resolv.conf's nameservers
 * (resolve_srv; port/posix/resolv.c). */
void posix_kdc_port_init(struct wrsh_port *port, struct posix_port *ctx);
wrsh_err posix_connect_dgram(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms);
wrsh_err posix_resolve_srv(void *ctx, const char *name, struct wrsh_srv *out, size_t cap, size_t *n,
			   uint8_t *work, size_t work_cap, uint32_t timeout_ms);

/* Map a file read-only (a CA bundle for TLS: no copy in the arena). */
wrsh_err posix_map_file(const char *path, const void **buf, size_t *len);
void posix_unmap_file(const void *buf, size_t len);

#endif
