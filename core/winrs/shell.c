/*
 * The public WinRS operations (wrsh.h): the session's shell and command
 * state around the requests and consumers of winrs.c.
 */
#include <string.h>

#include "winrs/shell.h"

static uint32_t wait_for(const struct wrsh_session *s)
{
	return s->conn.timeout_ms;
}

/* One WinRS request, described so that it can be written again when the
 * connection has to be renewed (sess_writer). */
enum wreq_kind { W_CREATE, W_DELETE, W_SIGNAL, W_COMMAND, W_SEND, W_RECEIVE };

struct wreq {
	enum wreq_kind kind;
	const struct winrs_shell_cfg *cfg;
	enum winrs_signal sig;
	const char *command;
	const char *const *args;
	size_t nargs;
	const void *data;
	size_t len;
	bool eof;
	winrs_out_fn out;
	void *out_ctx;
};

static void write_req(struct wrsh_session *s, struct sbuf *b, void *ctx)
{
	struct wreq *w = ctx;
	struct winrs_shell *sh = winrs_shell(s);
	winrs_parse_init(&sh->wp, &s->err);
	sh->wp.out = w->out;
	sh->wp.out_ctx = w->out_ctx;
	sh->wp.cmd_id = w->kind == W_RECEIVE ? sh->cmd_id : NULL;
	sess_new_message_id(s);
	switch (w->kind) {
	case W_CREATE:
		winrs_write_create(b, &s->ws, w->cfg, s->op_ms);
		break;
	case W_DELETE:
		winrs_write_delete(b, &s->ws, sh->uri, sh->id, s->op_ms);
		break;
	case W_SIGNAL:
		winrs_write_signal(b, &s->ws, sh->id, sh->cmd_id, w->sig, s->op_ms);
		break;
	case W_COMMAND:
		winrs_write_command(b, &s->ws, sh->id, w->command, w->args, w->nargs, s->op_ms);
		break;
	case W_SEND:
		winrs_write_send(b, &s->ws, sh->id, sh->cmd_id, w->data, w->len, w->eof, s->op_ms);
		break;
	case W_RECEIVE:
		winrs_write_receive(b, &s->ws, sh->id, sh->cmd_id, s->op_ms);
		break;
	}
}

static wrsh_err winrs_call(struct wrsh_session *s, struct wreq *w, uint32_t wait_ms, unsigned flags)
{
	struct xml_consumer c;
	winrs_consumer(&c, &winrs_shell(s)->wp);
	return sess_transact(s, &c, write_req, w, false, wait_ms, flags);
}

static void shell_part_close(struct wrsh_session *s, struct sess_part *p)
{
	(void)p;
	(void)winrs_delete_shell(s);
}

struct winrs_shell *winrs_shell(const struct wrsh_session *s)
{
	struct sess_part *p = sess_part_of(s, shell_part_close);
	return p ? SESS_STATE(p, struct winrs_shell) : NULL;
}

struct winrs_shell *winrs_shell_new(struct wrsh_session *s, const char *uri)
{
	struct winrs_shell *sh = wrsh_arena_calloc(s->arena, 1, sizeof(*sh));
	if (!sh) {
		err_set(&s->err, WRSH_ENOMEM, "winrs: arena exhausted", NULL);
		return NULL;
	}
	sh->uri = uri;
	sh->part.close = shell_part_close;
	sess_attach(s, &sh->part);
	return sh;
}

static void shell_free(struct wrsh_session *s, struct winrs_shell *sh)
{
	sess_detach(s, &sh->part);
	wrsh_arena_free(s->arena, sh);
}

/* see wrsh.h */
wrsh_err wrsh_shell_open(struct wrsh_session *s, const struct wrsh_shell_opts *o)
{
	struct winrs_shell_cfg c;
	struct winrs_shell *sh;
	struct wreq w;
	wrsh_err e;
	if (!s)
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	if (winrs_shell(s))
		return err_set(&s->err, WRSH_ESTATE, "winrs: a shell is already open", NULL);
	memset(&c, 0, sizeof(c));
	if (o) {
		c.workdir = o->workdir;
		c.env = o->env;
		c.nenv = o->env_count;
		c.codepage = o->codepage;
		c.profile = o->load_profile;
		c.idle_timeout_s = o->idle_timeout_s;
	}
	if (!(sh = winrs_shell_new(s, WINRS_URI)))
		return sess_leave(s, s->err.code);
	memset(&w, 0, sizeof(w));
	w.kind = W_CREATE;
	w.cfg = &c;
	e = winrs_call(s, &w, wait_for(s), 0);
	if (!e && !sh->wp.id_seen)
		e = err_set(&s->err, WRSH_EPROTO, "winrs: CreateResponse without a ShellId", NULL);
	if (!e) {
		strcpy(sh->id, sh->wp.id);
		sh->open = true;
	} else {
		shell_free(s, sh);
	}
	return sess_leave(s, e);
}

wrsh_err winrs_delete_shell(struct wrsh_session *s)
{
	struct winrs_shell *sh = winrs_shell(s);
	struct wreq w;
	wrsh_err e = WRSH_OK;
	if (!sh)
		return WRSH_OK;
	if (sh->open) {
		memset(&w, 0, sizeof(w));
		w.kind = W_DELETE;
		e = winrs_call(s, &w, wait_for(s), 0);
	}
	shell_free(s, sh);
	return e;
}

/* see wrsh.h */
wrsh_err wrsh_shell_close(struct wrsh_session *s)
{
	struct winrs_shell *sh;
	wrsh_err e;
	if (!s)
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	if (!(sh = winrs_shell(s)))
		return WRSH_OK;
	if (sh->is_pool)
		return err_set(&s->err, WRSH_ESTATE,
			       "winrs: the shell is a PowerShell pool: wrsh_ps_close", NULL);
	return sess_leave(s, winrs_delete_shell(s));
}

static wrsh_err send_signal(struct wrsh_session *s, enum winrs_signal sig)
{
	struct wreq w;
	memset(&w, 0, sizeof(w));
	w.kind = W_SIGNAL;
	w.sig = sig;
	return winrs_call(s, &w, wait_for(s), 0);
}

/* see wrsh.h */
wrsh_err wrsh_cmd_start(struct wrsh_session *s, const char *command, const char *const *args,
			size_t nargs)
{
	struct winrs_shell *sh;
	struct wreq w;
	wrsh_err e;
	if (!s || !command || (nargs && !args))
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	sh = winrs_shell(s);
	if (!sh || sh->cmd_active || sh->is_pool)
		return err_set(&s->err, WRSH_ESTATE,
			       !sh	     ? "winrs: no shell"
			       : sh->is_pool ? "winrs: the shell is a PowerShell pool"
					     : "winrs: a command is still running",
			       NULL);
	/* release the finished command's resources on the server */
	if (sh->cmd_finished && (e = send_signal(s, WINRS_TERMINATE)))
		return sess_leave(s, e);
	sh->cmd_finished = false;
	memset(&w, 0, sizeof(w));
	w.kind = W_COMMAND;
	w.command = command;
	w.args = args;
	w.nargs = nargs;
	e = winrs_call(s, &w, wait_for(s), 0);
	if (!e && !sh->wp.id_seen)
		e = err_set(&s->err, WRSH_EPROTO, "winrs: CommandResponse without a CommandId",
			    NULL);
	if (!e) {
		strcpy(sh->cmd_id, sh->wp.id);
		sh->cmd_active = true;
	}
	return sess_leave(s, e);
}

/* see wrsh.h */
size_t wrsh_cmd_send_max(const struct wrsh_session *s)
{
	/* what is left of the body buffer after a Send envelope with long ids,
	 * in base64's 3-to-4 */
	size_t overhead = 1536 + 2 * WINRS_ID_MAX + 400;
	size_t body = s->body_cap < WSMAN_REQUEST_MAX ? s->body_cap : WSMAN_REQUEST_MAX;
	return body > overhead ? (body - overhead) / 4 * 3 : 0;
}

/* see wrsh.h */
wrsh_err wrsh_cmd_send(struct wrsh_session *s, const void *buf, size_t len, bool eof)
{
	struct wreq w;
	wrsh_err e;
	if (!s || (len && !buf) || len > wrsh_cmd_send_max(s))
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	if (!winrs_shell(s) || !winrs_shell(s)->cmd_active)
		return err_set(&s->err, WRSH_ESTATE, "winrs: no running command for stdin", NULL);
	memset(&w, 0, sizeof(w));
	w.kind = W_SEND;
	w.data = buf;
	w.len = len;
	w.eof = eof;
	return sess_leave(s, winrs_call(s, &w, wait_for(s), 0));
}

/* see wrsh.h */
wrsh_err wrsh_cmd_receive(struct wrsh_session *s, wrsh_output_fn out, void *ctx, unsigned flags,
			  bool *done, uint32_t *exit_code)
{
	struct winrs_shell *sh;
	struct wreq w;
	wrsh_err e;
	if (!s || !done || !exit_code)
		return WRSH_EINVAL;
	*done = false;
	if ((e = sess_enter(s)))
		return e;
	sh = winrs_shell(s);
	if (!sh || !sh->cmd_active)
		return err_set(&s->err, WRSH_ESTATE, "winrs: no running command to receive from",
			       NULL);
	memset(&w, 0, sizeof(w));
	w.kind = W_RECEIVE;
	w.out = out;
	w.out_ctx = ctx;
	/* the server may hold a Receive for its OperationTimeout */
	e = winrs_call(s, &w, s->op_ms + s->conn.timeout_ms,
		       flags & WRSH_WAKEABLE ? WRSH_PORT_WAKEABLE : 0);
	if (e == WRSH_EFAULT && wsman_fault_is(&s->resp, "TimedOut")) {
		err_clear(&s->err); /* MS-WSMV 3.1.4.14: nothing yet, poll again */
		return WRSH_OK;
	}
	if (!e && sh->wp.done) {
		*done = true;
		*exit_code = sh->wp.exit_code;
		sh->cmd_active = false;
		sh->cmd_finished = true;
	}
	return sess_leave(s, e);
}

/* see wrsh.h */
wrsh_err wrsh_cmd_signal(struct wrsh_session *s, enum wrsh_signal sig)
{
	static const enum winrs_signal map[] = {WINRS_CTRL_C, WINRS_TERMINATE, WINRS_CTRL_BREAK};
	struct winrs_shell *sh;
	wrsh_err e;
	if (!s || (unsigned)sig > WRSH_SIGNAL_CTRL_BREAK)
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	sh = winrs_shell(s);
	if (!sh || (!sh->cmd_active && !sh->cmd_finished))
		return err_set(&s->err, WRSH_ESTATE, "winrs: no command to signal", NULL);
	e = send_signal(s, map[sig]);
	if (!e && sig == WRSH_SIGNAL_TERMINATE)
		sh->cmd_active = sh->cmd_finished = false;
	return sess_leave(s, e);
}

/* see wrsh.h */
wrsh_err wrsh_cmd_run(struct wrsh_session *s, const char *command, const char *const *args,
		      size_t nargs, wrsh_output_fn out, void *ctx, uint32_t *exit_code)
{
	bool done = false;
	wrsh_err e;
	if (!s || !exit_code)
		return WRSH_EINVAL;
	if (!winrs_shell(s) && (e = wrsh_shell_open(s, NULL)))
		return e;
	if ((e = wrsh_cmd_start(s, command, args, nargs)) || (e = wrsh_cmd_send(s, NULL, 0, true)))
		return e;
	while (!done)
		if ((e = wrsh_cmd_receive(s, out, ctx, 0, &done, exit_code)))
			return e;
	return WRSH_OK;
}

/* ---- a master's parked shell ---------------------------------------------- */

static bool id_ok(const char *id)
{
	return id && *id && strlen(id) < WINRS_ID_MAX;
}

/* One request about a shell that is not this session's, through a state
 * taken for the call only; not sticky, as wrsh_relay. */
static wrsh_err foreign(struct wrsh_session *s, const char *shell_id, const char *cmd_id)
{
	struct winrs_shell *sh;
	wrsh_err e;
	if (!s || !id_ok(shell_id) || (cmd_id && !id_ok(cmd_id)))
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	if (winrs_shell(s))
		return err_set(&s->err, WRSH_ESTATE, "winrs: this session has a shell of its own",
			       NULL);
	if (!(sh = winrs_shell_new(s, WINRS_URI)))
		return s->err.code;
	strcpy(sh->id, shell_id);
	sh->open = true;
	if (cmd_id) {
		strcpy(sh->cmd_id, cmd_id);
		e = send_signal(s, WINRS_TERMINATE);
		shell_free(s, sh);
	} else {
		e = winrs_delete_shell(s);
	}
	if (e)
		http_close(&s->conn); /* the next call starts afresh */
	return e;
}

/* see wrsh.h */
wrsh_err wrsh_relay_terminate(struct wrsh_session *s, const char *shell_id, const char *cmd_id)
{
	return cmd_id ? foreign(s, shell_id, cmd_id) : WRSH_EINVAL;
}

/* see wrsh.h */
wrsh_err wrsh_relay_delete(struct wrsh_session *s, const char *shell_id)
{
	return foreign(s, shell_id, NULL);
}
