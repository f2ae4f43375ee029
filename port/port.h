/*
 * The porting seam: everything the library needs from a platform at run time.
 *
 * A port is a table of functions plus one opaque context, handed to wrsh_open()
 * (the shape of coreHTTP's TransportInterface_t). One port is one connection
 * at a time: connect() may be called again after close() to reconnect, which
 * the session does when a server drops keep-alive.
 *
 * tls/ wraps a port into another port of the same shape, so nothing above the
 * port knows whether TLS is on except through `secure` and channel_binding();
 * port/proxy.h does the same for an HTTP proxy's CONNECT tunnel.
 *
 * Contracts (every function is called from the session's thread only):
 *   connect   open a stream to host:port. host is a DNS name or an IPv4/IPv6
 *             literal without brackets. WRSH_OK, WRSH_ETIMEDOUT, WRSH_EIO,
 *             WRSH_ETLS/WRSH_ECERT (TLS ports).
 *   send      write 1..len bytes, *sent > 0 on WRSH_OK. WRSH_ETIMEDOUT, WRSH_EIO.
 *   recv      WRSH_OK with *got > 0: data; WRSH_OK with *got == 0: orderly EOF;
 *             WRSH_ETIMEDOUT; WRSH_EIO. With WRSH_PORT_WAKEABLE in flags the
 *             port may return WRSH_EINTR early when the application wants the
 *             session's attention (a signal, local input); without it, never.
 *   close     drop the stream; safe to call when not connected.
 *   now_ms    a monotonic clock in milliseconds.
 *   random    fill buf with unpredictable bytes (message IDs, NTLM, TLS).
 *   filetime  current time in 100 ns units since 1601-01-01 (NTLM timestamps);
 *             may be NULL, then the session derives nothing time-based.
 *   errmsg    optional: a short text about the last failure ("connect
 *             127.0.0.1:5986: Connection refused"); may be NULL.
 *   channel_binding  optional: TLS ports write the RFC 5929
 *             tls-server-end-point hash of the server certificate; NULL or
 *             WRSH_EUNSUPPORTED for plain streams.
 *
 * Two more, optional, for the port the application gives to reach a
 * Kerberos KDC (wrsh_opts.kdc_stream); NULL where the platform has none:
 *   resolve_srv  the SRV records (RFC 2782) of name ("_kerberos._tcp.REALM")
 *             into out[0..cap), most preferred first, *n of them: WRSH_OK
 *             (*n 0: the name has none), WRSH_ETIMEDOUT, WRSH_EIO (no
 *             resolver, or it refused), WRSH_EPROTO (a malformed answer).
 *             work[0..work_cap) is the caller's, lent for the DNS messages
 *             (at least 2 KB; the library lends its KDC answer buffer).
 *             port/dns.h is the codec a port can build it on. NULL: the
 *             KDC must be named.
 *   connect_dgram  like connect, but a UDP association: after it, send
 *             carries one whole datagram (*sent == len) and recv returns
 *             one (a datagram that fills cap may have been cut: callers
 *             treat got == cap as too long); WRSH_ECLOSED when the peer
 *             refused (ICMP port unreachable). NULL: TCP only.
 */
#ifndef WRSH_PORT_H
#define WRSH_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wrsh.h"

#define WRSH_PORT_WAKEABLE 1u

struct wrsh_srv {
	char target[256]; /* a DNS name, without the final dot */
	uint16_t port, priority, weight;
};

struct wrsh_port {
	void *ctx;
	bool secure; /* true when the stream is confidential (TLS) */
	wrsh_err (*connect)(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms);
	wrsh_err (*send)(void *ctx, const void *buf, size_t len, size_t *sent, uint32_t timeout_ms);
	wrsh_err (*recv)(void *ctx, void *buf, size_t cap, size_t *got, uint32_t timeout_ms,
			 unsigned flags);
	void (*close)(void *ctx);
	uint64_t (*now_ms)(void *ctx);
	wrsh_err (*random)(void *ctx, void *buf, size_t len);
	uint64_t (*filetime)(void *ctx);
	const char *(*errmsg)(void *ctx);
	wrsh_err (*channel_binding)(void *ctx, uint8_t *buf, size_t cap, size_t *len);
	wrsh_err (*resolve_srv)(void *ctx, const char *name, struct wrsh_srv *out, size_t cap,
				size_t *n, uint8_t *work, size_t work_cap, uint32_t timeout_ms);
	wrsh_err (*connect_dgram)(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms);
};

/*
 * The hook slot: the one piece of mutable state the library needs, kept by
 * the platform because only the platform knows what a thread is.
 *
 * expat's memory suite (malloc/realloc/free of a size and a pointer) and
 * mbedTLS's calloc/free and PSA random hooks take no context pointer, so
 * they cannot be told which session's arena to use. The library stores
 * "the session now calling into expat or mbedTLS" here on entry to each
 * such call, on the calling thread, and the hooks read it back. port/posix
 * keeps the slot _Thread_local, so sessions in different threads never
 * see each other's; a single-threaded firmware may return the address of
 * one static (examples/firmware does). Link-time, not in struct wrsh_port:
 * the hooks that read it have no port either.
 */
struct wrsh_hook_slot {
	struct wrsh_arena *arena;     /* where expat and mbedTLS allocate */
	const struct wrsh_port *port; /* whose random() PSA draws from */
};

struct wrsh_hook_slot *wrsh_port_hook_slot(void);

#endif
