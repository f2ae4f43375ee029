/*
 * The shape of a firmware integration: a static arena, the platform's own
 * port (here a few lines over BSD sockets standing in for an RTOS network
 * stack), one command run through callbacks, the exit code printed.
 * It links only libwrsh (and expat); copy it and replace the port.
 *
 *   firmware-example HOST PORT USER COMMAND      (password in WRSH_PASSWORD)
 *
 * Basic over plain HTTP stands in for NTLM sealing until that lands, so the
 * example allows unencrypted traffic explicitly.
 */
#define _POSIX_C_SOURCE 200809L
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "port.h"
#include "wrsh.h"

/* All the memory wrsh gets: no heap anywhere. */
static unsigned char arena[64 * 1024] __attribute__((aligned(16)));

/* The hook slot (port.h): this firmware runs one session in one task, so
 * one static is enough; an RTOS with several sessions in several tasks
 * returns a per-task slot (FreeRTOS: a thread-local storage pointer). */
struct wrsh_hook_slot *wrsh_port_hook_slot(void)
{
	static struct wrsh_hook_slot slot;
	return &slot;
}

struct fw_net {
	int fd;
};

static wrsh_err fw_connect(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms)
{
	struct fw_net *n = ctx;
	struct addrinfo hints, *ai, *p;
	char service[8];
	(void)timeout_ms; /* a real port bounds this; the example keeps it short */
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof(service), "%u", port);
	if (getaddrinfo(host, service, &hints, &ai))
		return WRSH_EIO;
	for (p = ai; p; p = p->ai_next) {
		n->fd = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
		if (n->fd >= 0 && connect(n->fd, p->ai_addr, p->ai_addrlen) == 0)
			break;
		if (n->fd >= 0)
			close(n->fd);
		n->fd = -1;
	}
	freeaddrinfo(ai);
	return n->fd >= 0 ? WRSH_OK : WRSH_EIO;
}

static wrsh_err fw_send(void *ctx, const void *buf, size_t len, size_t *sent, uint32_t timeout_ms)
{
	struct fw_net *n = ctx;
	ssize_t k;
	(void)timeout_ms;
	k = send(n->fd, buf, len, MSG_NOSIGNAL);
	if (k <= 0)
		return WRSH_EIO;
	*sent = (size_t)k;
	return WRSH_OK;
}

static wrsh_err fw_recv(void *ctx, void *buf, size_t cap, size_t *got, uint32_t timeout_ms,
			unsigned flags)
{
	struct fw_net *n = ctx;
	struct pollfd p = {n->fd, POLLIN, 0};
	ssize_t k;
	(void)flags; /* nothing here ever wakes a wait early */
	if (poll(&p, 1, (int)timeout_ms) == 0)
		return WRSH_ETIMEDOUT;
	k = recv(n->fd, buf, cap, 0);
	if (k < 0)
		return WRSH_EIO;
	*got = (size_t)k; /* 0 is an orderly close */
	return WRSH_OK;
}

static void fw_close(void *ctx)
{
	struct fw_net *n = ctx;
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}

static uint64_t fw_now(void *ctx)
{
	struct timespec ts;
	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A hardware RNG on a real board. */
static wrsh_err fw_random(void *ctx, void *buf, size_t len)
{
	FILE *f = fopen("/dev/urandom", "rb");
	size_t k;
	(void)ctx;
	if (!f)
		return WRSH_EIO;
	k = fread(buf, 1, len, f);
	fclose(f);
	return k == len ? WRSH_OK : WRSH_EIO;
}

static wrsh_err on_output(void *ctx, int stream, const void *buf, size_t len)
{
	(void)ctx;
	fwrite(buf, 1, len, stream == 2 ? stderr : stdout);
	return WRSH_OK;
}

int main(int argc, char **argv)
{
	struct fw_net net = {-1};
	struct wrsh_port port;
	struct wrsh_opts o;
	struct wrsh_session *s;
	struct wrsh_arena *a;
	uint32_t code = 0;
	wrsh_err e;
	if (argc != 5) {
		fprintf(stderr, "usage: %s HOST PORT USER COMMAND (password in WRSH_PASSWORD)\n",
			argv[0]);
		return 2;
	}
	memset(&port, 0, sizeof(port));
	port.ctx = &net;
	port.connect = fw_connect;
	port.send = fw_send;
	port.recv = fw_recv;
	port.close = fw_close;
	port.now_ms = fw_now;
	port.random = fw_random;
	memset(&o, 0, sizeof(o));
	o.host = argv[1];
	o.port = (uint16_t)atoi(argv[2]);
	o.auth = WRSH_AUTH_BASIC;
	o.user = argv[3];
	o.password = getenv("WRSH_PASSWORD");
	o.allow_unencrypted = true;
	a = wrsh_arena_init(arena, sizeof(arena));
	e = wrsh_open(&s, a, &port, &o);
	if (!e)
		e = wrsh_cmd_run(s, argv[4], NULL, 0, on_output, NULL, &code);
	if (e)
		fprintf(stderr, "firmware-example: %s\n", s ? wrsh_errmsg(s) : wrsh_strerror(e));
	wrsh_close(s);
	printf("exit code %lu, arena peak %zu of %zu bytes\n", (unsigned long)code,
	       wrsh_arena_peak(a), sizeof(arena));
	return e ? 1 : 0;
}
