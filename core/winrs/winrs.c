/*
 * WinRS requests and responses. Shapes follow MS-WSMV 3.1.4.5.2 (Create of
 * a shell), 3.1.4.11 (Command), 3.1.4.12 (Signal), 3.1.4.13 (Send),
 * 3.1.4.14 (Receive) and 3.1.4.4.1 (Delete), and what Windows Server 2008 R2
 * to 2022 answer (tests/replay/windows).
 */
#include <string.h>

#include "winrs/winrs.h"

#define SIGNAL_BASE WINRS_NS "/signal/"

static void hdr_to(struct wsman_hdr *h, const char *action, const struct winrs_to *t,
		   struct wsman_kv *sel)
{
	memset(h, 0, sizeof(*h));
	h->action = action;
	h->resource_uri = t->uri;
	h->op_timeout_ms = t->op_ms;
	if (t->shell_id) {
		sel->name = "ShellId";
		sel->value = t->shell_id;
		sel->must_comply = false;
		h->selectors = sel;
		h->nselectors = 1;
	}
}

/* cmd's shell, as the cmd writers below address it */
static struct winrs_to cmd_to(const char *shell_id, const char *cmd_id, uint32_t op_ms)
{
	struct winrs_to t;
	t.uri = WINRS_URI;
	t.shell_id = shell_id;
	t.cmd_id = cmd_id;
	t.op_ms = op_ms;
	return t;
}

static void hdr(struct wsman_hdr *h, const char *action, const char *shell_id, uint32_t op_ms,
		struct wsman_kv *sel)
{
	struct winrs_to t = cmd_to(shell_id, NULL, op_ms);
	hdr_to(h, action, &t, sel);
}

static void put_text_elem(struct sbuf *b, const char *name, const char *text, size_t n)
{
	sb_puts(b, "<rsp:");
	sb_puts(b, name);
	sb_putc(b, '>');
	sb_put_xml(b, text, n);
	sb_puts(b, "</rsp:");
	sb_puts(b, name);
	sb_putc(b, '>');
}

static void put_env(struct sbuf *b, const struct winrs_shell_cfg *c)
{
	size_t i;
	if (!c->nenv)
		return;
	sb_puts(b, "<rsp:Environment>");
	for (i = 0; i < c->nenv; i++) {
		const char *eq = strchr(c->env[i], '=');
		size_t nl = eq ? (size_t)(eq - c->env[i]) : strlen(c->env[i]);
		sb_puts(b, "<rsp:Variable Name=\"");
		sb_put_xml(b, c->env[i], nl);
		sb_puts(b, "\">");
		if (eq)
			sb_puts_xml(b, eq + 1);
		sb_puts(b, "</rsp:Variable>");
	}
	sb_puts(b, "</rsp:Environment>");
}

void winrs_write_create(struct sbuf *b, struct wsman_ctx *w, const struct winrs_shell_cfg *c,
			uint32_t op_ms)
{
	struct wsman_hdr h;
	struct wsman_kv sel, opt[2] = {{NULL, NULL, false}, {NULL, NULL, false}};
	char cp[11];
	struct sbuf cps;
	sb_init(&cps, cp, sizeof(cp));
	sb_put_u64(&cps, c->codepage ? c->codepage : 65001);
	hdr(&h, WSMAN_ACTION_CREATE, NULL, op_ms, &sel);
	opt[0].name = "WINRS_NOPROFILE";
	opt[0].value = c->profile ? "FALSE" : "TRUE";
	opt[1].name = "WINRS_CODEPAGE";
	opt[1].value = sb_cstr(&cps);
	h.options = opt;
	h.noptions = 2;
	wsman_write_begin(b, w, &h);
	sb_puts(b, "<rsp:Shell>");
	if (c->workdir)
		put_text_elem(b, "WorkingDirectory", c->workdir, strlen(c->workdir));
	put_env(b, c);
	if (c->idle_timeout_s) {
		sb_puts(b, "<rsp:IdleTimeOut>PT");
		sb_put_u64(b, c->idle_timeout_s);
		sb_puts(b, "S</rsp:IdleTimeOut>");
	}
	sb_puts(b, "<rsp:InputStreams>stdin</rsp:InputStreams>"
		   "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>");
	wsman_write_end(b);
}

/*
 * Windows joins Command and each Arguments with single spaces into one
 * command line for cmd.exe, so arguments travel as they are, like ssh's:
 * quote for the remote shell yourself.
 */
void winrs_write_command(struct sbuf *b, struct wsman_ctx *w, const char *shell_id,
			 const char *command, const char *const *args, size_t nargs, uint32_t op_ms)
{
	struct wsman_hdr h;
	struct wsman_kv sel, opt[2] = {{NULL, NULL, false}, {NULL, NULL, false}};
	size_t i;
	hdr(&h, WINRS_NS "/Command", shell_id, op_ms, &sel);
	/* console-mode stdin: the process gets a console, so ctrl_c reaches it */
	opt[0].name = "WINRS_CONSOLEMODE_STDIN";
	opt[0].value = "TRUE";
	opt[1].name = "WINRS_SKIP_CMD_SHELL";
	opt[1].value = "FALSE";
	h.options = opt;
	h.noptions = 2;
	wsman_write_begin(b, w, &h);
	sb_puts(b, "<rsp:CommandLine>");
	put_text_elem(b, "Command", command, strlen(command));
	for (i = 0; i < nargs; i++)
		put_text_elem(b, "Arguments", args[i], strlen(args[i]));
	sb_puts(b, "</rsp:CommandLine>");
	wsman_write_end(b);
}

void winrs_write_command_to(struct sbuf *b, struct wsman_ctx *w, const struct winrs_to *t,
			    winrs_body_fn args, const void *ctx)
{
	struct wsman_hdr h;
	struct wsman_kv sel;
	hdr_to(&h, WINRS_NS "/Command", t, &sel);
	wsman_write_begin(b, w, &h);
	sb_puts(b, "<rsp:CommandLine CommandId=\"");
	sb_puts_xml(b, t->cmd_id);
	sb_puts(b, "\"><rsp:Command></rsp:Command><rsp:Arguments>");
	args(b, ctx);
	sb_puts(b, "</rsp:Arguments></rsp:CommandLine>");
	wsman_write_end(b);
}

static void put_cmd_id(struct sbuf *b, const char *cmd_id)
{
	if (!cmd_id)
		return;
	sb_puts(b, " CommandId=\"");
	sb_puts_xml(b, cmd_id);
	sb_putc(b, '"');
}

void winrs_write_send_to(struct sbuf *b, struct wsman_ctx *w, const struct winrs_to *t,
			 const char *stream, bool eof, winrs_body_fn body, const void *ctx)
{
	struct wsman_hdr h;
	struct wsman_kv sel;
	hdr_to(&h, WINRS_NS "/Send", t, &sel);
	wsman_write_begin(b, w, &h);
	sb_puts(b, "<rsp:Send><rsp:Stream Name=\"");
	sb_puts(b, stream);
	sb_putc(b, '"');
	put_cmd_id(b, t->cmd_id);
	sb_puts(b, eof ? " End=\"true\">" : ">");
	body(b, ctx);
	sb_puts(b, "</rsp:Stream></rsp:Send>");
	wsman_write_end(b);
}

void winrs_write_receive_to(struct sbuf *b, struct wsman_ctx *w, const struct winrs_to *t,
			    const char *streams)
{
	struct wsman_hdr h;
	struct wsman_kv sel, opt = {NULL, NULL, false};
	hdr_to(&h, WINRS_NS "/Receive", t, &sel);
	/* keeps the shell alive while we poll (MS-WSMV 3.1.4.14) */
	opt.name = "WSMAN_CMDSHELL_OPTION_KEEPALIVE";
	opt.value = "TRUE";
	h.options = &opt;
	h.noptions = 1;
	wsman_write_begin(b, w, &h);
	sb_puts(b, "<rsp:Receive><rsp:DesiredStream");
	put_cmd_id(b, t->cmd_id);
	sb_putc(b, '>');
	sb_puts(b, streams);
	sb_puts(b, "</rsp:DesiredStream></rsp:Receive>");
	wsman_write_end(b);
}

void winrs_write_signal_to(struct sbuf *b, struct wsman_ctx *w, const struct winrs_to *t,
			   const char *code)
{
	struct wsman_hdr h;
	struct wsman_kv sel;
	hdr_to(&h, WINRS_NS "/Signal", t, &sel);
	wsman_write_begin(b, w, &h);
	sb_puts(b, "<rsp:Signal");
	put_cmd_id(b, t->cmd_id);
	sb_puts(b, "><rsp:Code>");
	sb_puts(b, code);
	sb_puts(b, "</rsp:Code></rsp:Signal>");
	wsman_write_end(b);
}

struct stdin_data {
	const void *data;
	size_t len;
};

static void put_base64(struct sbuf *b, const void *ctx)
{
	const struct stdin_data *d = ctx;
	if (!b->over && B64_ENC_LEN(d->len) <= b->cap - b->len)
		b->len += b64_encode(d->data, d->len, b->p + b->len);
	else
		b->over = true;
}

void winrs_write_send(struct sbuf *b, struct wsman_ctx *w, const char *shell_id, const char *cmd_id,
		      const void *data, size_t len, bool eof, uint32_t op_ms)
{
	struct winrs_to t = cmd_to(shell_id, cmd_id, op_ms);
	struct stdin_data d;
	d.data = data;
	d.len = len;
	winrs_write_send_to(b, w, &t, "stdin", eof, put_base64, &d);
}

void winrs_write_receive(struct sbuf *b, struct wsman_ctx *w, const char *shell_id,
			 const char *cmd_id, uint32_t op_ms)
{
	struct winrs_to t = cmd_to(shell_id, cmd_id, op_ms);
	winrs_write_receive_to(b, w, &t, "stdout stderr");
}

void winrs_write_signal(struct sbuf *b, struct wsman_ctx *w, const char *shell_id,
			const char *cmd_id, enum winrs_signal sig, uint32_t op_ms)
{
	static const char *const code[] = {SIGNAL_BASE "ctrl_c", SIGNAL_BASE "terminate",
					   SIGNAL_BASE "ctrl_break"};
	struct winrs_to t = cmd_to(shell_id, cmd_id, op_ms);
	winrs_write_signal_to(b, w, &t, code[sig]);
}

void winrs_write_delete(struct sbuf *b, struct wsman_ctx *w, const char *uri, const char *shell_id,
			uint32_t op_ms)
{
	struct wsman_hdr h;
	struct wsman_kv sel;
	hdr(&h, WSMAN_ACTION_DELETE, shell_id, op_ms, &sel);
	h.resource_uri = uri;
	wsman_write_begin(b, w, &h);
	wsman_write_end(b);
}

enum {
	W_SHELL = XML_ID_USER,
	W_SHELL_ID,
	W_CREATED,
	W_REFPARAMS,
	W_SELSET,
	W_SELECTOR,
	W_CMD_RESP,
	W_CMD_ID,
	W_RECV,
	W_STREAM,
	W_STATE,
	W_EXIT
};

static const struct xml_rule winrs_rules[] = {
	/* CreateResponse: rsp:Shell (Windows 2012 and later) or only the EPR of
	 * ResourceCreated with a ShellId selector (2008 R2, OMI) */
	{WS_BODY, NS_SHELL, W_SHELL, "Shell"},
	{W_SHELL, NS_SHELL, W_SHELL_ID, "ShellId"},
	{WS_BODY, NS_TRANSFER, W_CREATED, "ResourceCreated"},
	{W_CREATED, NS_WSA, W_REFPARAMS, "ReferenceParameters"},
	{W_REFPARAMS, NS_WSMAN, W_SELSET, "SelectorSet"},
	{W_SELSET, NS_WSMAN, W_SELECTOR, "Selector"},
	{WS_BODY, NS_SHELL, W_CMD_RESP, "CommandResponse"},
	{W_CMD_RESP, NS_SHELL, W_CMD_ID, "CommandId"},
	{WS_BODY, NS_SHELL, W_RECV, "ReceiveResponse"},
	{W_RECV, NS_SHELL, W_STREAM, "Stream"},
	{W_RECV, NS_SHELL, W_STATE, "CommandState"},
	{W_STATE, NS_SHELL, W_EXIT, "ExitCode"},
};

void winrs_parse_init(struct winrs_parse *p, struct errbuf *err)
{
	memset(p, 0, sizeof(*p));
	p->err = err;
}

/* GUIDs compare without regard to case; other ids exactly. */
static bool same_id(const char *a, const char *b)
{
	size_t n = strlen(a);
	return strlen(b) == n && str_ieq(a, n, b);
}

static wrsh_err stream_start(struct winrs_parse *p, const char **atts)
{
	const char *name = xml_attr(atts, "Name"), *cid = xml_attr(atts, "CommandId");
	p->stream = 0;
	if (cid && p->cmd_id && !same_id(cid, p->cmd_id))
		return err_set(p->err, WRSH_EPROTO, "winrs: output for another command", NULL);
	if (name && strcmp(name, "stdout") == 0)
		p->stream = 1;
	else if (name && strcmp(name, "stderr") == 0)
		p->stream = 2;
	b64_dec_init(&p->dec);
	return WRSH_OK;
}

static wrsh_err state_start(struct winrs_parse *p, const char **atts)
{
	const char *st = xml_attr(atts, "State");
	const char *done = WINRS_NS "/CommandState/Done";
	size_t n;
	if (!st)
		return WRSH_OK;
	n = strlen(st);
	str_trim(&st, &n);
	if (n == strlen(done) && memcmp(st, done, n) == 0)
		p->done = true;
	return WRSH_OK;
}

static wrsh_err w_start(void *ctx, unsigned id, const char *local, const char **atts)
{
	struct winrs_parse *p = ctx;
	const char *name;
	(void)local;
	switch (id) {
	case W_STREAM:
		return stream_start(p, atts);
	case W_STATE:
		return state_start(p, atts);
	case W_SELECTOR:
		name = xml_attr(atts, "Name");
		p->in_shell_selector = name && strcmp(name, "ShellId") == 0 && !p->id_seen;
		break;
	case W_SHELL_ID:
	case W_CMD_ID:
		p->id_n = 0; /* rsp:ShellId wins over the selector */
		p->id_cut = false;
		break;
	default:
		break;
	}
	return WRSH_OK;
}

static void id_add(struct winrs_parse *p, const char *s, size_t n)
{
	if (n > sizeof(p->id) - 1 - p->id_n) {
		p->id_cut = true;
		return;
	}
	memcpy(p->id + p->id_n, s, n);
	p->id_n += n;
	p->id[p->id_n] = 0;
}

/* Decode base64 in pieces that fit a stack buffer and pass them on. */
static wrsh_err stream_text(struct winrs_parse *p, const char *s, size_t n)
{
	uint8_t buf[B64_DEC_MAX(1024)];
	while (n) {
		size_t k = n > 1024 ? 1024 : n, got;
		wrsh_err e = b64_dec_push(&p->dec, s, k, buf, &got);
		if (e)
			return err_set(p->err, WRSH_EPROTO, "winrs: invalid base64 in a stream",
				       NULL);
		if (got && p->stream && p->out && (e = p->out(p->out_ctx, p->stream, buf, got)))
			return e;
		s += k, n -= k;
	}
	return WRSH_OK;
}

static wrsh_err w_text(void *ctx, unsigned id, const char *s, size_t n)
{
	struct winrs_parse *p = ctx;
	switch (id) {
	case W_STREAM:
		return stream_text(p, s, n);
	case W_EXIT:
		if (n > sizeof(p->exit_txt) - 1 - p->exit_n)
			return err_set(p->err, WRSH_EPROTO, "winrs: exit code too long", NULL);
		memcpy(p->exit_txt + p->exit_n, s, n);
		p->exit_n += n;
		break;
	case W_SHELL_ID:
	case W_CMD_ID:
		id_add(p, s, n);
		break;
	case W_SELECTOR:
		if (p->in_shell_selector)
			id_add(p, s, n);
		break;
	default:
		break;
	}
	return WRSH_OK;
}

/* ExitCode is a signed or unsigned 32-bit decimal; keep the bits. */
static wrsh_err exit_end(struct winrs_parse *p)
{
	const char *s = p->exit_txt;
	size_t n = p->exit_n;
	uint64_t v;
	bool neg;
	str_trim(&s, &n);
	neg = n && s[0] == '-';
	if (str_to_u64(s + neg, n - neg, neg ? 0x80000000u : 0xFFFFFFFFu, &v))
		return err_set(p->err, WRSH_EPROTO, "winrs: malformed ExitCode", NULL);
	p->exit_code = neg ? (uint32_t)(0 - v) : (uint32_t)v;
	p->have_exit = true;
	return WRSH_OK;
}

static wrsh_err id_end(struct winrs_parse *p)
{
	const char *s = p->id;
	size_t n = p->id_n;
	if (p->id_cut)
		return err_set(p->err, WRSH_ELIMIT, "winrs: shell or command id too long", NULL);
	str_trim(&s, &n); /* OMI pads element text with whitespace */
	memmove(p->id, s, n);
	p->id[n] = 0;
	p->id_n = n;
	p->id_seen = n > 0;
	return WRSH_OK;
}

static wrsh_err w_end(void *ctx, unsigned id)
{
	struct winrs_parse *p = ctx;
	switch (id) {
	case W_STREAM:
		if (b64_dec_finish(&p->dec))
			return err_set(p->err, WRSH_EPROTO, "winrs: truncated base64 in a stream",
				       NULL);
		return WRSH_OK;
	case W_EXIT:
		return exit_end(p);
	case W_SHELL_ID:
	case W_CMD_ID:
		return id_end(p);
	case W_SELECTOR:
		if (p->in_shell_selector) {
			p->in_shell_selector = false;
			return id_end(p);
		}
		return WRSH_OK;
	default:
		return WRSH_OK;
	}
}

void winrs_consumer(struct xml_consumer *c, struct winrs_parse *p)
{
	c->rules = winrs_rules;
	c->nrules = sizeof(winrs_rules) / sizeof(winrs_rules[0]);
	c->start = w_start;
	c->end = w_end;
	c->text = w_text;
	c->ctx = p;
}
