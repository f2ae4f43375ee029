/* The POSIX port (see posix.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

#include "posix.h"

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static wrsh_err say(struct posix_port *p, wrsh_err e, const char *what, const char *detail)
{
	snprintf(p->err, sizeof(p->err), "%s: %s", what, detail);
	return e;
}

/* Wait for fd to be ready for `events`, up to timeout_ms. With wake, the
 * wake fds and signals end the wait with WRSH_EINTR. */
static wrsh_err wait_fd(struct posix_port *p, short events, uint32_t timeout_ms, bool wake)
{
	uint64_t end = mono_ms() + timeout_ms;
	for (;;) {
		struct pollfd pf[3];
		nfds_t n = 1, i;
		uint64_t now = mono_ms();
		int r;
		pf[0].fd = p->fd;
		pf[0].events = events;
		for (i = 0; wake && i < 2; i++)
			if (p->wake_fd[i] >= 0) {
				pf[n].fd = p->wake_fd[i];
				pf[n].events = POLLIN;
				n++;
			}
		if (now >= end)
			return WRSH_ETIMEDOUT;
		r = poll(pf, n, (int)(end - now > 0x7fffffff ? 0x7fffffff : end - now));
		if (r < 0 && errno == EINTR) {
			if (wake)
				return WRSH_EINTR;
			continue;
		}
		if (r < 0)
			return WRSH_EIO;
		if (r == 0)
			continue;
		if (pf[0].revents)
			return WRSH_OK;
		for (i = 1; i < n; i++)
			if (pf[i].revents)
				return WRSH_EINTR;
	}
}

static wrsh_err try_connect(struct posix_port *p, const struct addrinfo *a, uint32_t timeout_ms)
{
	int one = 1, err = 0;
	socklen_t len = sizeof(err);
	wrsh_err e;
	p->fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
	if (p->fd < 0)
		return WRSH_EIO;
	if (a->ai_socktype == SOCK_STREAM) {
		setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(p->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	}
	if (connect(p->fd, a->ai_addr, a->ai_addrlen) == 0)
		return WRSH_OK;
	if (errno != EINPROGRESS) {
		err = errno;
		goto fail;
	}
	e = wait_fd(p, POLLOUT, timeout_ms, false);
	if (e) {
		close(p->fd);
		p->fd = -1;
		errno = ETIMEDOUT;
		return e;
	}
	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
		return WRSH_OK;
fail:
	close(p->fd);
	p->fd = -1;
	errno = err;
	return WRSH_EIO;
}

/* A host that is an absolute path is a unix socket: a control master's
 * (wrsh master). It must be a socket of this user's that nobody else may
 * open, as ssh demands of its ControlPath: the session behind it holds
 * this user's credentials. */
static wrsh_err unix_connect(struct posix_port *p, const char *path, uint32_t timeout_ms)
{
	struct sockaddr_un sun;
	struct addrinfo a;
	struct stat st;
	wrsh_err e;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return say(p, WRSH_EIO, "control", "the socket's path is too long");
	memcpy(sun.sun_path, path, strlen(path));
	if (stat(path, &st))
		return say(p, WRSH_EIO, "control", strerror(errno));
	if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
		return say(p, WRSH_EIO, "control",
			   "the path is not a socket of this user's with mode 0600");
	memset(&a, 0, sizeof(a));
	a.ai_family = AF_UNIX;
	a.ai_socktype = SOCK_STREAM;
	a.ai_addr = (struct sockaddr *)&sun;
	a.ai_addrlen = sizeof(sun);
	e = try_connect(p, &a, timeout_ms);
	if (e == WRSH_ETIMEDOUT)
		return say(p, e, "control", "timed out");
	return e ? say(p, e, "control", strerror(errno)) : WRSH_OK;
}

/* A stream (SOCK_STREAM) or a UDP association (SOCK_DGRAM) to host:port. */
static wrsh_err open_socket(struct posix_port *p, const char *host, uint16_t port,
			    uint32_t timeout_ms, int type)
{
	struct addrinfo hints, *res, *a;
	char service[8], name[256], where[300];
	size_t n = strlen(host);
	wrsh_err e = WRSH_EIO;
	int r;
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	if (host[0] == '/' && type == SOCK_STREAM)
		return unix_connect(p, host, timeout_ms);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(name)) {
		memcpy(name, host + 1, n - 2);
		name[n - 2] = 0;
		host = name;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = type;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(service, sizeof(service), "%u", port);
	r = getaddrinfo(host, service, &hints, &res);
	if (r == EAI_ADDRFAMILY ||
	    r == EAI_NONAME) { /* loopback-only hosts lack AI_ADDRCONFIG's view */
		hints.ai_flags = 0;
		r = getaddrinfo(host, service, &hints, &res);
	}
	if (r) {
		snprintf(p->err, sizeof(p->err), "resolve %.200s: %s", host, gai_strerror(r));
		return WRSH_EIO;
	}
	for (a = res; a; a = a->ai_next) {
		e = try_connect(p, a, timeout_ms);
		if (!e)
			break;
	}
	freeaddrinfo(res);
	snprintf(where, sizeof(where),
		 strchr(host, ':') ? "connect [%.200s]:%u" : "connect %.200s:%u", host, port);
	if (e == WRSH_ETIMEDOUT)
		return say(p, e, where, "timed out");
	if (e)
		return say(p, e, where, strerror(errno));
	return WRSH_OK;
}

static wrsh_err p_connect(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms)
{
	return open_socket(ctx, host, port, timeout_ms, SOCK_STREAM);
}

wrsh_err posix_connect_dgram(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms)
{
	return open_socket(ctx, host, port, timeout_ms, SOCK_DGRAM);
}

static wrsh_err p_send(void *ctx, const void *buf, size_t len, size_t *sent, uint32_t timeout_ms)
{
	struct posix_port *p = ctx;
	for (;;) {
		ssize_t k = send(p->fd, buf, len, MSG_NOSIGNAL);
		wrsh_err e;
		if (k > 0) {
			*sent = (size_t)k;
			return WRSH_OK;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return say(p, WRSH_EIO, "send", strerror(errno));
		e = wait_fd(p, POLLOUT, timeout_ms, false);
		if (e == WRSH_ETIMEDOUT)
			return say(p, e, "send", "timed out");
		if (e)
			return say(p, e, "send", strerror(errno));
	}
}

static wrsh_err p_recv(void *ctx, void *buf, size_t cap, size_t *got, uint32_t timeout_ms,
		       unsigned flags)
{
	struct posix_port *p = ctx;
	*got = 0;
	for (;;) {
		ssize_t k = recv(p->fd, buf, cap, 0);
		wrsh_err e;
		if (k >= 0) {
			*got = (size_t)k;
			return WRSH_OK;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) /* refused: UDP's ICMP */
			return say(p,
				   errno == ECONNRESET || errno == ECONNREFUSED ? WRSH_ECLOSED
										: WRSH_EIO,
				   "receive", strerror(errno));
		e = wait_fd(p, POLLIN, timeout_ms, flags & WRSH_PORT_WAKEABLE);
		if (e == WRSH_ETIMEDOUT)
			return say(p, e, "receive", "timed out waiting for the server");
		if (e == WRSH_EINTR)
			return e;
		if (e)
			return say(p, e, "receive", strerror(errno));
	}
}

static void p_close(void *ctx)
{
	struct posix_port *p = ctx;
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static uint64_t p_now(void *ctx)
{
	(void)ctx;
	return mono_ms();
}

static wrsh_err p_random(void *ctx, void *buf, size_t len)
{
	struct posix_port *p = ctx;
	uint8_t *b = buf;
	int fd;
#if defined(__linux__)
	while (len) {
		ssize_t k = getrandom(b, len, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		b += k, len -= (size_t)k;
	}
	if (!len)
		return WRSH_OK;
#endif
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return say(p, WRSH_EIO, "random", strerror(errno));
	while (len) {
		ssize_t k = read(fd, b, len);
		if (k <= 0) {
			close(fd);
			return say(p, WRSH_EIO, "random", "short read from /dev/urandom");
		}
		b += k, len -= (size_t)k;
	}
	close(fd);
	return WRSH_OK;
}

/* 100 ns intervals since 1601-01-01 (MS-DTYP FILETIME). */
static uint64_t p_filetime(void *ctx)
{
	struct timespec ts;
	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec + 11644473600ull) * 10000000ull + (uint64_t)ts.tv_nsec / 100u;
}

static const char *p_errmsg(void *ctx)
{
	return ((struct posix_port *)ctx)->err;
}

void posix_port_init(struct wrsh_port *port, struct posix_port *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->fd = -1;
	ctx->wake_fd[0] = ctx->wake_fd[1] = -1;
	memset(port, 0, sizeof(*port));
	port->ctx = ctx;
	port->connect = p_connect;
	port->send = p_send;
	port->recv = p_recv;
	port->close = p_close;
	port->now_ms = p_now;
	port->random = p_random;
	port->filetime = p_filetime;
	port->errmsg = p_errmsg;
}

wrsh_err posix_map_file(const char *path, const void **buf, size_t *len)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return WRSH_EIO;
	if (fstat(fd, &st) || st.st_size <= 0) {
		close(fd);
		errno = EINVAL;
		return WRSH_EIO;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return WRSH_EIO;
	*buf = p;
	*len = (size_t)st.st_size;
	return WRSH_OK;
}

void posix_unmap_file(const void *buf, size_t len)
{
	if (buf)
		munmap((void *)buf, len);
}
