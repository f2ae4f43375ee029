/*
 * One PowerShell pipeline in the open runspace pool: started, its streams
 * received into view.c, host calls that wait answered by prompt.c, --input
 * lines of stdin fed to it, Ctrl-C turned into a stop. Shared by `ps` and
 * `shell`.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static volatile sig_atomic_t interrupts;
static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;
	(void)sig;
	interrupts++;
	if (sig_pipe[1] >= 0 && write(sig_pipe[1], "!", 1) < 0) {
		/* full: a wake is pending anyway */
	}
	errno = saved;
}

/* --input: stdin's lines as pipeline input, what is there now */
#define INPUT_BATCH 256
#define INPUT_POLL_MS 500
struct input {
	char buf[8192];
	size_t n;
	bool open;
};

static bool readable_now(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

static wrsh_err forward_input(struct conn *c, struct input *in)
{
	const char *items[INPUT_BATCH];
	size_t lens[INPUT_BATCH], k = 0, start = 0, i;
	wrsh_err e;
	while (in->open && in->n < sizeof(in->buf) && readable_now(0)) {
		ssize_t r = read(0, in->buf + in->n, sizeof(in->buf) - in->n);
		if (r < 0 && errno == EINTR)
			break;
		if (r <= 0)
			in->open = false;
		else
			in->n += (size_t)r;
	}
	for (i = 0; i < in->n && k < INPUT_BATCH; i++) {
		if (in->buf[i] != '\n')
			continue;
		items[k] = in->buf + start;
		lens[k++] = i - start - (i > start && in->buf[i - 1] == '\r');
		start = i + 1;
	}
	/* the last line without a newline at the end of input; a line longer
	 * than the buffer goes in pieces */
	if (k < INPUT_BATCH && start < in->n &&
	    (!in->open || (start == 0 && in->n == sizeof(in->buf)))) {
		items[k] = in->buf + start;
		lens[k++] = in->n - start;
		start = in->n;
	}
	if (!k && in->open)
		return WRSH_OK;
	e = wrsh_ps_input(c->s, items, lens, k, !in->open && start == in->n);
	memmove(in->buf, in->buf + start, in->n - start);
	in->n -= start;
	return e;
}

int pipeline_signals(void)
{
	struct sigaction sa;
	if (pipe(sig_pipe))
		return -1;
	fcntl(sig_pipe[0], F_SETFL, O_NONBLOCK);
	fcntl(sig_pipe[1], F_SETFL, O_NONBLOCK);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: waits must wake up */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int pipeline_wake_fd(void)
{
	return sig_pipe[0];
}

unsigned pipeline_interrupts(void)
{
	char b[16];
	while (read(sig_pipe[0], b, sizeof(b)) > 0)
		;
	return (unsigned)interrupts;
}

/* The script file's next bytes, for wrsh_ps_start_read. */
static wrsh_err read_file(void *ctx, char *buf, size_t cap, size_t *len)
{
	FILE *f = ctx;
	*len = fread(buf, 1, cap, f);
	if (*len == 0 && ferror(f))
		return WRSH_EIO;
	return WRSH_OK;
}

int pipeline_run(struct conn *c, const char *script, FILE *file, unsigned flags, char *capture,
		 size_t cap)
{
	struct view v;
	struct json_out json;
	struct wrsh_ps_sink sink;
	struct posix_port *pp = conn_posix(c);
	static struct input in;
	bool input_done = !(flags & PIPE_INPUT);
	enum wrsh_ps_state state = WRSH_PS_RUNNING;
	unsigned base = pipeline_interrupts(), handled = 0, start;
	bool done = false;
	wrsh_err e;
	if (flags & PIPE_JSON)
		json_begin(&json, stdout);
	view_begin(&v, &sink, flags & PIPE_JSON ? &json : NULL, capture, cap);
	v.quiet = flags & PIPE_QUIET;
	start = WRSH_PS_HOST_UI | (flags & PIPE_INPUT ? WRSH_PS_INPUT : 0) |
		(flags & (PIPE_RAW | PIPE_JSON) ? 0 : WRSH_PS_FORMAT);
	e = file ? wrsh_ps_start_read(c->s, read_file, file, start)
		 : wrsh_ps_start(c->s, script, start);
	in.open = flags & PIPE_INPUT;
	in.n = 0;
	while (!e && !done) {
		if (handled < pipeline_interrupts() - base) {
			if (++handled > 1)
				return PIPE_GAVE_UP; /* the second Ctrl-C */
			if ((e = wrsh_ps_stop(c->s)))
				break;
		}
		if (!input_done) {
			if ((e = forward_input(c, &in)))
				break;
			input_done = !in.open && !in.n;
		}
		pp->wake_fd[0] = sig_pipe[0];
		/* while input flows, Receives are short polls rather than woken
		 * by stdin: a wake drops the connection, and with it the NTLM
		 * context that a new handshake would have to rebuild */
		wrsh_set_operation_timeout(c->s, input_done ? 0 : INPUT_POLL_MS);
		e = wrsh_ps_receive(c->s, &sink, WRSH_WAKEABLE, &done, &state);
		pp->wake_fd[0] = -1;
		if (e == WRSH_EINTR)
			e = WRSH_OK;
		if (!e && wrsh_ps_host_call(c->s, NULL, NULL))
			e = prompt_answer(c->s, &v.prompt, !(flags & PIPE_INPUT));
	}
	view_finish(&v);
	if (e)
		return conn_fail(c, e);
	if (handled || state == WRSH_PS_STOPPED)
		return 130;
	if (v.exit_set) /* as a shell reports it: the low byte */
		return v.exit_code & 0xff;
	return state == WRSH_PS_COMPLETED && !v.errors ? 0 : 1;
}
