/*
 * The Kerberos mechanism (auth_krb5, core/auth/krb5_mech.c) driven by hand
 * against MIT, for tests/interop/krb5_kdc.py, so that what the CLI tests
 * prove on the build machine is proven under qemu on the other
 * architectures too (mips is big-endian):
 *
 *   krb5_tool USER@REALM HOST KDC_PORT      (the password in $WRSH_PASSWORD)
 *       acquire: the AS and TGS exchanges with the KDC at 127.0.0.1:KDC_PORT
 *       over the POSIX port; prints "token HEX", the GSS AP-REQ for
 *       HTTP/HOST; reads the acceptor's AP-REP (hex) and steps with it
 *       (mutual authentication); reads "SIG_HEX DATA_HEX", a message MIT
 *       sealed, prints "plain HEX"; seals one of its own and prints
 *       "wrapped SIG_HEX DATA_HEX". Any failure: "fail MESSAGE", exit 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/mech.h"
#include "posix.h"
#include "util/hex.h"

static uint8_t line_buf[32768];

static void print_hex(const char *what, const uint8_t *p, size_t n)
{
	size_t i;
	printf("%s", what);
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
}

/* A line of hex, or two pieces of it with a space between, decoded into
 * buf one after the other; *first: the first piece's length. */
static size_t read_hex(uint8_t *buf, size_t cap, size_t *first)
{
	static char text[2 * sizeof(line_buf) + 8];
	size_t len, a, b;
	if (!fgets(text, sizeof(text), stdin))
		exit(2);
	len = strcspn(text, "\r\n");
	a = strcspn(text, " ");
	if (a > len)
		a = len;
	b = a < len ? len - a - 1 : 0;
	if (a % 2 || b % 2 || (a + b) / 2 > cap || hex_decode(text, a, buf, a / 2) ||
	    hex_decode(text + a + 1, b, buf + a / 2, b / 2))
		exit(2);
	*first = a / 2;
	return (a + b) / 2;
}

static int fail(const struct errbuf *e, const char *what)
{
	printf("fail %s\n", e->msg[0] ? e->msg : what);
	return 1;
}

int main(int argc, char **argv)
{
	static uint8_t mem[262144], tok[16384];
	static const char mine[] = "sealed by wrsh's RFC 4121 wrap";
	const struct auth_mech *m = &auth_krb5;
	const char *pw = getenv("WRSH_PASSWORD");
	struct wrsh_arena *a = wrsh_arena_init(mem, sizeof(mem));
	struct posix_port pc, kc;
	struct wrsh_port port, kdc;
	struct auth_cred c;
	struct errbuf e;
	void *cred, *ctx, *scratch;
	char spn[300];
	size_t n, first, off, len;
	uint8_t sig[64];
	if (argc != 4 || !pw || !a)
		return 2;
	posix_port_init(&port, &pc);
	posix_port_init(&kdc, &kc);
	memset(&e, 0, sizeof(e));
	memset(&c, 0, sizeof(c));
	snprintf(spn, sizeof(spn), "HTTP/%s", argv[2]);
	cred = wrsh_arena_calloc(a, 1, m->cred_size);
	ctx = wrsh_arena_calloc(a, 1, m->ctx_size);
	scratch = wrsh_arena_alloc(a, m->scratch_size);
	if (!cred || !ctx || !scratch || m->token_max > sizeof(tok) || m->set_password(cred, pw))
		return 2;
	c.user = argv[1], c.domain = "", c.cred = cred, c.spn = spn, c.port = &port;
	c.timeout_ms = 10000, c.kdc_host = "127.0.0.1", c.kdc = &kdc;
	c.kdc_port_no = (uint16_t)atoi(argv[3]);
	if (m->acquire(&c, scratch, &e))
		return fail(&e, "acquire");
	if (m->start(ctx, &c, tok, &n, &e))
		return fail(&e, "start");
	print_hex("token ", tok, n);
	printf("\n");
	fflush(stdout);
	n = read_hex(line_buf, sizeof(line_buf), &first);
	if (m->step(ctx, &c, line_buf, n, tok, &len, scratch, &e) || !m->ready(ctx) || len)
		return fail(&e, "step");
	/* "SIG DATA": sealed by MIT's acceptor (gss_wrap_iov, Windows' split) */
	n = read_hex(line_buf, sizeof(line_buf), &first);
	if (m->unwrap(ctx, line_buf, first, n - first, &off, &len))
		return fail(&e, "MIT's wrap token does not open");
	print_hex("plain ", line_buf + off, len);
	printf("\n");
	memcpy(line_buf + AUTH_WRAP_ROOM, mine, sizeof(mine) - 1);
	if (m->wrap(ctx, line_buf + AUTH_WRAP_ROOM, sizeof(mine) - 1, sig))
		return fail(&e, "wrap");
	print_hex("wrapped ", sig, m->sig_len);
	print_hex(" ", line_buf + AUTH_WRAP_ROOM, sizeof(mine) - 1);
	printf("\n");
	m->wipe(ctx);
	return 0;
}
