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

/* Map a file read-only (a CA bundle for TLS: no copy in the arena). */
wrsh_err posix_map_file(const char *path, const void **buf, size_t *len);
void posix_unmap_file(const void *buf, size_t len);

#endif
