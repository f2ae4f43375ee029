/*
 * The lwIP port (lwip_port.h says how it waits). One rule runs through it:
 * lwIP's callbacks only record what happened (data chained, peer closed,
 * error); the port's own functions, looping on the board's poll() and
 * lwIP's timers, act on it. So no callback ever re-enters wrsh.
 */
#include <string.h>

#include "lwip/dns.h"
#include "lwip/init.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip_port.h"

void wrsh_lwip_pump(const struct wrsh_lwip_board *b)
{
	b->poll(b->ctx);
	sys_check_timeouts();
}

static bool expired(uint32_t start, uint32_t timeout_ms)
{
	return (uint32_t)(sys_now() - start) >= timeout_ms;
}

static void say(struct wrsh_lwip *l, const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > sizeof(l->msg) - 1)
		n = sizeof(l->msg) - 1;
	if (m > sizeof(l->msg) - 1 - n)
		m = sizeof(l->msg) - 1 - n;
	memcpy(l->msg, a, n);
	memcpy(l->msg + n, b, m);
	l->msg[n + m] = 0;
}

/* lwIP's own table (lwip_strerr) exists only with LWIP_DEBUG */
static const char *err_text(err_t e)
{
	switch (e) {
	case ERR_RST:
		return "reset by the peer (refused, or the server dropped it)";
	case ERR_ABRT:
		return "aborted (no answer: retransmissions ran out)";
	case ERR_CLSD:
		return "closed";
	case ERR_MEM:
		return "out of lwIP memory (MEM_SIZE, PBUF_POOL_SIZE)";
	case ERR_RTE:
		return "no route to the host";
	case ERR_CONN:
		return "not connected";
	default:
		return "lwIP error";
	}
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct wrsh_lwip *l = arg;
	(void)pcb;
	(void)err;
	if (!p)
		l->eof = true;
	else if (l->rx)
		pbuf_cat(l->rx, p);
	else
		l->rx = p;
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	struct wrsh_lwip *l = arg;
	l->pcb = NULL; /* lwIP has freed it */
	l->err = (signed char)(err ? err : ERR_ABRT);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct wrsh_lwip *l = arg;
	(void)pcb;
	if (err == ERR_OK)
		l->connected = true;
	return ERR_OK;
}

static void drop(struct wrsh_lwip *l)
{
	if (l->pcb) {
		tcp_arg(l->pcb, NULL);
		tcp_recv(l->pcb, NULL);
		tcp_err(l->pcb, NULL);
		if (tcp_close(l->pcb) != ERR_OK)
			tcp_abort(l->pcb);
		l->pcb = NULL;
	}
	if (l->rx)
		pbuf_free(l->rx);
	l->rx = NULL;
}

static void lw_close(void *ctx)
{
	drop(ctx);
}

#if LWIP_DNS
static void on_resolved(const char *name, const ip_addr_t *addr, void *arg)
{
	struct wrsh_lwip *l = arg;
	(void)name;
	if (!l->resolving)
		return; /* an answer after we gave up */
	l->resolving = false;
	if (addr)
		ip_addr_copy(l->addr, *addr);
	else
		l->err = ERR_ARG;
}
#endif

static wrsh_err resolve(struct wrsh_lwip *l, const char *host, uint32_t start, uint32_t timeout_ms)
{
	if (ipaddr_aton(host, &l->addr))
		return WRSH_OK;
#if LWIP_DNS
	l->resolving = true;
	switch (dns_gethostbyname(host, &l->addr, on_resolved, l)) {
	case ERR_OK:
		l->resolving = false;
		return WRSH_OK;
	case ERR_INPROGRESS:
		break;
	default:
		l->resolving = false;
		return say(l, "lwip: cannot look up ", host), WRSH_EIO;
	}
	while (l->resolving && !expired(start, timeout_ms))
		wrsh_lwip_pump(l->board);
	if (l->resolving) {
		l->resolving = false;
		return say(l, "lwip: no DNS answer for ", host), WRSH_ETIMEDOUT;
	}
	if (l->err) {
		l->err = 0;
		return say(l, "lwip: no such host: ", host), WRSH_EIO;
	}
	return WRSH_OK;
#else
	(void)start;
	(void)timeout_ms;
	return say(l, "lwip: not an IPv4 address (LWIP_DNS is off): ", host), WRSH_EIO;
#endif
}

static wrsh_err lw_connect(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms)
{
	struct wrsh_lwip *l = ctx;
	uint32_t start = sys_now();
	wrsh_err e;
	drop(l);
	l->connected = l->eof = false;
	l->err = 0;
	if ((e = resolve(l, host, start, timeout_ms)))
		return e;
	if (!(l->pcb = tcp_new_ip_type(IP_GET_TYPE(&l->addr))))
		return say(l, "lwip: no free TCP PCB (MEMP_NUM_TCP_PCB)", ""), WRSH_EIO;
	tcp_arg(l->pcb, l);
	tcp_recv(l->pcb, on_recv);
	tcp_err(l->pcb, on_err);
	tcp_nagle_disable(l->pcb); /* a request's last segment must not wait for an ACK */
	if (tcp_connect(l->pcb, &l->addr, port, on_connected) != ERR_OK) {
		drop(l);
		return say(l, "lwip: cannot connect to ", host), WRSH_EIO;
	}
	while (!l->connected && !l->err && !expired(start, timeout_ms))
		wrsh_lwip_pump(l->board);
	if (l->connected)
		return WRSH_OK;
	if (l->err) {
		say(l, "lwip: connect: ", err_text(l->err));
		return WRSH_EIO;
	}
	drop(l);
	return say(l, "lwip: connect timed out: ", host), WRSH_ETIMEDOUT;
}

static wrsh_err lost(struct wrsh_lwip *l)
{
	say(l, "lwip: connection ", l->err ? err_text(l->err) : "closed");
	return WRSH_EIO;
}

static wrsh_err lw_send(void *ctx, const void *buf, size_t len, size_t *sent, uint32_t timeout_ms)
{
	struct wrsh_lwip *l = ctx;
	uint32_t start = sys_now();
	size_t n;
	*sent = 0;
	for (;;) {
		if (!l->pcb)
			return lost(l);
		n = tcp_sndbuf(l->pcb);
		if (n && tcp_sndqueuelen(l->pcb) < TCP_SND_QUEUELEN)
			break;
		if (expired(start, timeout_ms))
			return say(l, "lwip: send timed out", ""), WRSH_ETIMEDOUT;
		wrsh_lwip_pump(l->board);
	}
	if (n > len)
		n = len;
	if (n > 0xffff)
		n = 0xffff;
	if (tcp_write(l->pcb, buf, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK) {
		/* ERR_MEM: lwIP's heap is full of unacknowledged data; flush and
		 * let the caller retry (a send of 0 bytes is not allowed, so wait) */
		tcp_output(l->pcb);
		while (l->pcb && !expired(start, timeout_ms) &&
		       tcp_write(l->pcb, buf, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK)
			wrsh_lwip_pump(l->board);
		if (!l->pcb)
			return lost(l);
		if (expired(start, timeout_ms))
			return say(l, "lwip: send timed out (lwIP memory full)", ""),
			       WRSH_ETIMEDOUT;
	}
	tcp_output(l->pcb);
	*sent = n;
	return WRSH_OK;
}

static size_t take(struct wrsh_lwip *l, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	while (l->rx && n < cap) {
		size_t k = cap - n;
		if (k > 0xffff)
			k = 0xffff;
		k = pbuf_copy_partial(l->rx, buf + n, (u16_t)k, 0);
		l->rx = pbuf_free_header(l->rx, (u16_t)k);
		if (l->pcb)
			tcp_recved(l->pcb, (u16_t)k); /* the window opens only as wrsh reads */
		n += k;
	}
	return n;
}

static wrsh_err lw_recv(void *ctx, void *buf, size_t cap, size_t *got, uint32_t timeout_ms,
			unsigned flags)
{
	struct wrsh_lwip *l = ctx;
	uint32_t start = sys_now();
	(void)flags; /* nothing here wakes a wait early */
	*got = 0;
	while (!l->rx && !l->eof && l->pcb && !expired(start, timeout_ms))
		wrsh_lwip_pump(l->board);
	if (l->rx) {
		*got = take(l, buf, cap);
		return WRSH_OK;
	}
	if (l->eof)
		return WRSH_OK;
	if (!l->pcb)
		return lost(l);
	return say(l, "lwip: no answer in time", ""), WRSH_ETIMEDOUT;
}

static uint64_t lw_now(void *ctx)
{
	struct wrsh_lwip *l = ctx;
	uint32_t t = sys_now();
	if (t < l->clock_last)
		l->clock_hi += (uint64_t)1 << 32;
	l->clock_last = t;
	return l->clock_hi | t;
}

static wrsh_err lw_random(void *ctx, void *buf, size_t len)
{
	const struct wrsh_lwip *l = ctx;
	return l->board->random(l->board->ctx, buf, len);
}

static uint64_t lw_filetime(void *ctx)
{
	const struct wrsh_lwip *l = ctx;
	return l->board->filetime(l->board->ctx);
}

static const char *lw_errmsg(void *ctx)
{
	const struct wrsh_lwip *l = ctx;
	return l->msg[0] ? l->msg : NULL;
}

void wrsh_lwip_port_init(struct wrsh_port *port, struct wrsh_lwip *l,
			 const struct wrsh_lwip_board *board)
{
	memset(l, 0, sizeof(*l));
	l->board = board;
	memset(port, 0, sizeof(*port));
	port->ctx = l;
	port->connect = lw_connect;
	port->send = lw_send;
	port->recv = lw_recv;
	port->close = lw_close;
	port->now_ms = lw_now;
	port->random = lw_random;
	port->filetime = board->filetime ? lw_filetime : NULL;
	port->errmsg = lw_errmsg;
}
