/*
 * A program built only from an installed wrsh: <wrsh.h>, <wrsh_port.h> and
 * <wrsh_tls.h> through pkg-config, nothing from the source tree. It runs
 * Identify against a port that refuses to connect (through TLS when the
 * build has it, so mbedTLS and expat must both resolve from libwrsh.a) and
 * expects the port's refusal back as WRSH_EIO.
 */
#include <stdio.h>
#include <string.h>

#include <wrsh.h>
#include <wrsh_port.h>
#include <wrsh_tls.h>

static unsigned char buf[256 * 1024] __attribute__((aligned(16)));

static wrsh_err refuse(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms)
{
	(void)ctx, (void)host, (void)port, (void)timeout_ms;
	return WRSH_EIO;
}

static wrsh_err no_send(void *ctx, const void *p, size_t n, size_t *sent, uint32_t timeout_ms)
{
	(void)ctx, (void)p, (void)n, (void)sent, (void)timeout_ms;
	return WRSH_EIO;
}

static wrsh_err no_recv(void *ctx, void *p, size_t cap, size_t *got, uint32_t timeout_ms,
			unsigned flags)
{
	(void)ctx, (void)p, (void)cap, (void)got, (void)timeout_ms, (void)flags;
	return WRSH_EIO;
}

static uint64_t zero(void *ctx)
{
	(void)ctx;
	return 0;
}

static wrsh_err rnd(void *ctx, void *p, size_t n)
{
	(void)ctx;
	memset(p, 0x5a, n); /* never reaches a network */
	return WRSH_OK;
}

static void nop(void *ctx)
{
	(void)ctx;
}

int main(void)
{
	const struct wrsh_build_info *b = wrsh_build_info();
	struct wrsh_arena *a = wrsh_arena_init(buf, sizeof(buf));
	struct wrsh_port plain = {0}, tls = {0};
	struct wrsh_tls_opts t = {0};
	struct wrsh_opts o = {0};
	struct wrsh_session *s = NULL;
	wrsh_err e;

	plain.connect = refuse;
	plain.send = no_send;
	plain.recv = no_recv;
	plain.close = nop;
	plain.now_ms = zero;
	plain.random = rnd;
	t.server_name = "win.example";
	t.insecure = true;
	o.host = "win.example";
	o.https = b->tls;
	if (b->tls && (e = wrsh_tls_wrap(&tls, a, &plain, &t))) {
		printf("tls wrap: %s\n", wrsh_strerror(e));
		return 1;
	}
	e = wrsh_open(&s, a, b->tls ? &tls : &plain, &o);
	if (!e)
		e = wrsh_identify(s, false, NULL, NULL);
	printf("wrsh %s (tls %s): identify: %s (%s)\n", b->version, b->tls ? "on" : "off",
	       wrsh_strerror(e), s ? wrsh_errmsg(s) : "");
	wrsh_close(s);
	if (b->tls)
		wrsh_tls_release(&tls);
	return e == WRSH_EIO ? 0 : 1;
}
