/*
 * The public WinRS operations (wrsh.h): the session's shell and command
 * state around the requests and consumers of winrs.c.
 */
#include <string.h>

#include "session.h"

static uint32_t wait_for(const struct wrsh_session *s)
{
	return s->conn.timeout_ms;
}

/* One WinRS request whose envelope the caller already wrote. */
static wrsh_err winrs_call(struct wrsh_session *s, uint32_t wait_ms, unsigned flags)
{
	struct xml_consumer c;
	winrs_consumer(&c, &s->wp);
	return sess_transact(s, &c, false, wait_ms, flags);
}

static void parse_reset(struct wrsh_session *s)
{
	winrs_parse_init(&s->wp, &s->err);
	sess_new_message_id(s);
}

/* see wrsh.h */
wrsh_err wrsh_shell_open(struct wrsh_session *s, const struct wrsh_shell_opts *o)
{
	struct winrs_shell_cfg c;
	wrsh_err e;
	if (!s)
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	if (s->shell_open)
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
	parse_reset(s);
	winrs_write_create(sess_body(s), &s->ws, &c, s->op_ms);
	e = winrs_call(s, wait_for(s), 0);
	if (!e && !s->wp.id_seen)
		e = err_set(&s->err, WRSH_EPROTO, "winrs: CreateResponse without a ShellId", NULL);
	if (!e) {
		strcpy(s->shell_id, s->wp.id);
		s->shell_open = true;
		s->cmd_active = s->cmd_finished = false;
	}
	return sess_leave(s, e);
}

wrsh_err winrs_delete_shell(struct wrsh_session *s)
{
	wrsh_err e;
	parse_reset(s);
	winrs_write_delete(sess_body(s), &s->ws, s->shell_id, s->op_ms);
	e = winrs_call(s, wait_for(s), 0);
	s->shell_open = false;
	s->cmd_active = s->cmd_finished = false;
	return e;
}

/* see wrsh.h */
wrsh_err wrsh_shell_close(struct wrsh_session *s)
{
	wrsh_err e;
	if (!s)
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	if (!s->shell_open)
		return WRSH_OK;
	return sess_leave(s, winrs_delete_shell(s));
}

static wrsh_err send_signal(struct wrsh_session *s, enum winrs_signal sig)
{
	parse_reset(s);
	winrs_write_signal(sess_body(s), &s->ws, s->shell_id, s->cmd_id, sig, s->op_ms);
	return winrs_call(s, wait_for(s), 0);
}

/* see wrsh.h */
wrsh_err wrsh_cmd_start(struct wrsh_session *s, const char *command, const char *const *args,
			size_t nargs)
{
	wrsh_err e;
	if (!s || !command || (nargs && !args))
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	if (!s->shell_open || s->cmd_active)
		return err_set(&s->err, WRSH_ESTATE,
			       s->shell_open ? "winrs: a command is still running"
					     : "winrs: no shell",
			       NULL);
	/* release the finished command's resources on the server */
	if (s->cmd_finished && (e = send_signal(s, WINRS_TERMINATE)))
		return sess_leave(s, e);
	s->cmd_finished = false;
	parse_reset(s);
	winrs_write_command(sess_body(s), &s->ws, s->shell_id, command, args, nargs, s->op_ms);
	e = winrs_call(s, wait_for(s), 0);
	if (!e && !s->wp.id_seen)
		e = err_set(&s->err, WRSH_EPROTO, "winrs: CommandResponse without a CommandId",
			    NULL);
	if (!e) {
		strcpy(s->cmd_id, s->wp.id);
		s->cmd_active = true;
	}
	return sess_leave(s, e);
}

/* see wrsh.h */
size_t wrsh_cmd_send_max(const struct wrsh_session *s)
{
	/* what is left of the body buffer after a Send envelope with long ids,
	 * in base64's 3-to-4 */
	size_t body = s->tx_cap - s->head_max, overhead = 1536 + 2 * WINRS_ID_MAX + 400;
	return body > overhead ? (body - overhead) / 4 * 3 : 0;
}

/* see wrsh.h */
wrsh_err wrsh_cmd_send(struct wrsh_session *s, const void *buf, size_t len, bool eof)
{
	wrsh_err e;
	if (!s || (len && !buf) || len > wrsh_cmd_send_max(s))
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	if (!s->cmd_active)
		return err_set(&s->err, WRSH_ESTATE, "winrs: no running command for stdin", NULL);
	parse_reset(s);
	winrs_write_send(sess_body(s), &s->ws, s->shell_id, s->cmd_id, buf, len, eof, s->op_ms);
	return sess_leave(s, winrs_call(s, wait_for(s), 0));
}

/* see wrsh.h */
wrsh_err wrsh_cmd_receive(struct wrsh_session *s, wrsh_output_fn out, void *ctx, unsigned flags,
			  bool *done, uint32_t *exit_code)
{
	wrsh_err e;
	if (!s || !done || !exit_code)
		return WRSH_EINVAL;
	*done = false;
	if ((e = sess_enter(s)))
		return e;
	if (!s->cmd_active)
		return err_set(&s->err, WRSH_ESTATE, "winrs: no running command to receive from",
			       NULL);
	parse_reset(s);
	s->wp.out = out;
	s->wp.out_ctx = ctx;
	s->wp.cmd_id = s->cmd_id;
	winrs_write_receive(sess_body(s), &s->ws, s->shell_id, s->cmd_id, s->op_ms);
	/* the server may hold a Receive for its OperationTimeout */
	e = winrs_call(s, s->op_ms + s->conn.timeout_ms,
		       flags & WRSH_WAKEABLE ? WRSH_PORT_WAKEABLE : 0);
	if (e == WRSH_EFAULT && wsman_fault_is(&s->resp, "TimedOut")) {
		err_clear(&s->err); /* MS-WSMV 3.1.4.14: nothing yet, poll again */
		return WRSH_OK;
	}
	if (!e && s->wp.done) {
		*done = true;
		*exit_code = s->wp.exit_code;
		s->cmd_active = false;
		s->cmd_finished = true;
	}
	return sess_leave(s, e);
}

/* see wrsh.h */
wrsh_err wrsh_cmd_signal(struct wrsh_session *s, enum wrsh_signal sig)
{
	static const enum winrs_signal map[] = {WINRS_CTRL_C, WINRS_TERMINATE, WINRS_CTRL_BREAK};
	wrsh_err e;
	if (!s || (unsigned)sig > WRSH_SIGNAL_CTRL_BREAK)
		return WRSH_EINVAL;
	if ((e = sess_enter(s)))
		return e;
	if (!s->cmd_active && !s->cmd_finished)
		return err_set(&s->err, WRSH_ESTATE, "winrs: no command to signal", NULL);
	e = send_signal(s, map[sig]);
	if (!e && sig == WRSH_SIGNAL_TERMINATE)
		s->cmd_active = s->cmd_finished = false;
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
	if (!s->shell_open && (e = wrsh_shell_open(s, NULL)))
		return e;
	if ((e = wrsh_cmd_start(s, command, args, nargs)) || (e = wrsh_cmd_send(s, NULL, 0, true)))
		return e;
	while (!done)
		if ((e = wrsh_cmd_receive(s, out, ctx, 0, &done, exit_code)))
			return e;
	return WRSH_OK;
}
