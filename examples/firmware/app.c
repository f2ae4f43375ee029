/*
 * The firmware model (app.h). No libc I/O: text leaves through the board's
 * write function, numbers are formatted here.
 */
#include <string.h>

#include "app.h"
#include "config.h"
#include "wrsh.h"
#if CONFIG_WRSH_TLS
#include "tls.h"
#endif

#ifndef FW_ARENA_SIZE
#define FW_ARENA_SIZE (128 * 1024)
#endif

/* All the memory wrsh gets: no heap anywhere. */
static unsigned char arena[FW_ARENA_SIZE] __attribute__((aligned(16)));

/* The hook slot (port.h): one session in one context, so one static. */
struct wrsh_hook_slot *wrsh_port_hook_slot(void)
{
	static struct wrsh_hook_slot slot;
	return &slot;
}

static fw_write_fn out_fn;
static const char *why; /* the app's own reason, when wrsh gave none */

static void put(int stream, const char *s)
{
	out_fn(stream, s, strlen(s));
}

static void put_u(int stream, unsigned long v)
{
	char b[24], *p = b + sizeof(b);
	*--p = 0;
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) && p > b);
	put(stream, p);
}

static wrsh_err on_output(void *ctx, int stream, const void *buf, size_t len)
{
	(void)ctx;
	out_fn(stream == 2 ? 2 : 1, buf, len);
	return WRSH_OK;
}

#if CONFIG_WRSH_PSRP
/* PowerShell: the formatted output's strings, one per line, and errors'
 * text (the ToString of an ErrorRecord) on stream 2 */
static wrsh_err ps_text(void *ctx, enum wrsh_ps_stream st, const struct wrsh_ps_node *n,
			const char *p, size_t len, bool last)
{
	(void)ctx;
	if (st == WRSH_PS_OUTPUT && n->depth == 1) {
		out_fn(1, p, len);
		if (last)
			put(1, "\n");
	} else if (st == WRSH_PS_ERROR && !strcmp(n->tag, "ToString") && n->depth == 2) {
		out_fn(2, p, len);
		if (last)
			put(2, "\n");
	}
	return WRSH_OK;
}

static int run_ps(struct wrsh_session *s, const char *script, wrsh_err *e)
{
	struct wrsh_ps_sink sink;
	enum wrsh_ps_state state = WRSH_PS_FAILED;
	bool done = false;
	memset(&sink, 0, sizeof(sink));
	sink.text = ps_text;
	if ((*e = wrsh_ps_open(s)) || (*e = wrsh_ps_start(s, script, WRSH_PS_FORMAT)))
		return 255;
	while (!done && !*e)
		*e = wrsh_ps_receive(s, &sink, 0, &done, &state);
	return *e ? 255 : state != WRSH_PS_COMPLETED;
}
#endif

#if CONFIG_WRSH_CIM
/* CIM: the instance's own properties as "Name: value" lines */
static wrsh_err cim_open(void *ctx, const struct wrsh_cim_prop *p)
{
	(void)ctx;
	if (p->depth == 1 && !p->container) {
		put(1, p->name);
		put(1, ": ");
	}
	return WRSH_OK;
}

static wrsh_err cim_text(void *ctx, const struct wrsh_cim_prop *p, const char *s, size_t len)
{
	(void)ctx;
	if (p->depth == 1)
		out_fn(1, s, len);
	return WRSH_OK;
}

static wrsh_err cim_close(void *ctx, const struct wrsh_cim_prop *p)
{
	(void)ctx;
	if (p->depth == 1 && !p->container)
		put(1, "\n");
	return WRSH_OK;
}

static int run_cim(struct wrsh_session *s, const struct fw_job *j, wrsh_err *e)
{
	char uri[160], sel[64];
	struct wrsh_cim_kv kv;
	struct wrsh_cim_req r;
	struct wrsh_cim_sink sink;
	const char *eq = j->selector ? strchr(j->selector, '=') : NULL;
	memset(&r, 0, sizeof(r));
	memset(&sink, 0, sizeof(sink));
	if (!(r.resource = wrsh_cim_resource_uri(j->what, uri, sizeof(uri))))
		return why = "not a CIM resource URI or short form", *e = WRSH_EINVAL, 255;
	if (eq && (size_t)(eq - j->selector) < sizeof(sel)) {
		memcpy(sel, j->selector, (size_t)(eq - j->selector));
		sel[eq - j->selector] = 0;
		kv.name = sel;
		kv.value = eq + 1;
		r.selectors = &kv;
		r.nselectors = 1;
	}
	sink.open = cim_open;
	sink.text = cim_text;
	sink.close = cim_close;
	*e = wrsh_cim_get(s, &r, &sink);
	return *e ? 255 : 0;
}
#endif

static int run(struct wrsh_session *s, const struct fw_job *j, wrsh_err *e)
{
	uint32_t code = 0;
	/* a profile without PowerShell or CIM (tiny) refuses those jobs */
	if (j->kind == FW_PS)
#if CONFIG_WRSH_PSRP
		return run_ps(s, j->what, e);
#else
		return why = "PowerShell is not in this build (CONFIG_WRSH_PSRP)",
		       *e = WRSH_EUNSUPPORTED, 255;
#endif
	if (j->kind == FW_CIM)
#if CONFIG_WRSH_CIM
		return run_cim(s, j, e);
#else
		return why = "CIM is not in this build (CONFIG_WRSH_CIM)", *e = WRSH_EUNSUPPORTED,
		       255;
#endif
	*e = wrsh_cmd_run(s, j->what, NULL, 0, on_output, NULL, &code);
	return *e ? 255 : (int)code;
}

static wrsh_err open_port(struct wrsh_port *use, struct wrsh_port *plain, struct wrsh_arena *a,
			  const struct fw_job *j)
{
	*use = *plain;
	if (!j->https)
		return WRSH_OK;
#if CONFIG_WRSH_TLS
	{
		struct wrsh_tls_opts t;
		memset(&t, 0, sizeof(t));
		t.server_name = j->host;
		t.pin_sha256 = j->pin_sha256;
		return wrsh_tls_wrap(use, a, plain, &t);
	}
#else
	(void)a;
	return WRSH_EUNSUPPORTED;
#endif
}

int fw_run(const struct fw_job *j, const struct wrsh_lwip_board *board, fw_write_fn write)
{
	static struct wrsh_lwip net;
	struct wrsh_port plain, port;
	struct wrsh_session *s = NULL;
	struct wrsh_arena *a = wrsh_arena_init(arena, sizeof(arena));
	struct wrsh_opts o;
	wrsh_err e;
	bool tls_on = false;
	int code = 255;
	out_fn = write;
	why = NULL;
	wrsh_lwip_port_init(&plain, &net, board);
	memset(&o, 0, sizeof(o));
	o.host = j->host;
	o.port = j->port;
	o.https = j->https;
	o.auth = WRSH_AUTH_NTLM; /* sealed over HTTP: Windows' defaults, no changes there */
	o.user = j->user;
	o.password = j->password;
	o.timeout_ms = j->timeout_ms;
	o.operation_timeout_ms = j->op_timeout_ms;
	if (!(e = open_port(&port, &plain, a, j))) {
		tls_on = j->https; /* (without TLS, open_port failed for https) */
		if (!(e = wrsh_open(&s, a, &port, &o)))
			code = run(s, j, &e);
	}
	if (e) {
		const char *m = why ? why : s ? wrsh_errmsg(s) : NULL;
		put(2, "firmware: ");
		put(2, m && *m ? m : wrsh_strerror(e));
		put(2, "\n");
	}
	wrsh_close(s); /* deletes the shell or pool, reconnecting if it must */
#if CONFIG_WRSH_TLS
	if (tls_on)
		wrsh_tls_release(&port);
#else
	(void)tls_on;
#endif
	put(1, "exit code ");
	put_u(1, (unsigned long)code);
	put(1, ", arena peak ");
	put_u(1, (unsigned long)wrsh_arena_peak(a));
	put(1, " of ");
	put_u(1, (unsigned long)sizeof(arena));
	put(1, " bytes\n");
	return code;
}
