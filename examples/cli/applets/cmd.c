//config:config WRSH_APPLET_CMD
//config:	bool "cmd: run a command in a remote cmd shell (like winrs) (+5 KB)"
//config:	default y
//config:	depends on WRSH_WINRS
//config:	help
//config:	  Streams stdout and stderr as they arrive, forwards stdin, turns
//config:	  Ctrl-C into a WinRS ctrl_c signal and exits with the remote
//config:	  exit code. The remote shell is deleted on every way out.
//applet:cmd run a command in a remote cmd shell (like winrs.exe)
//usage:wrsh cmd -H HOST [conn options] [-d DIR] [-e NAME=VALUE]... [--codepage N] [-n]
//usage:         [--] COMMAND [ARG...]
//usage:Runs COMMAND ARG... through cmd.exe on HOST. Arguments are joined with
//usage:spaces, as ssh does: quote for cmd.exe yourself ('dir "C:\Program Files"').
//usage:  -d, --dir DIR            working directory
//usage:  -e, --env NAME=VALUE     environment variable (repeatable)
//usage:      --codepage N         code page of the output (default 65001, UTF-8)
//usage:  -n, --no-stdin           do not forward stdin (the command sees end of input)
//usage:Ctrl-C sends ctrl_c to the command; a second one terminates it; a third
//usage:gives up at once; SIGTERM and SIGHUP end wrsh too. The remote shell is
//usage:deleted on every way out. Exit status: the remote exit code (above 254:
//usage:254, and the code on stderr), 130 after Ctrl-C, 255 on errors.

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

#define MAX_ENV 64
#define STDIN_BURST 8
#define BUSY_POLL_MS 1000
#define STDIN_POLL_MS 500 /* stdin open and quiet: what it types reaches the host within */

struct cmd_opts {
	const char *dir;
	const char *env[MAX_ENV];
	size_t nenv;
	unsigned long codepage;
	bool no_stdin;
};

static volatile sig_atomic_t interrupts;
static volatile sig_atomic_t quit_signal; /* SIGTERM, SIGHUP: clean up and go */
static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;
	if (sig == SIGINT)
		interrupts++;
	else
		quit_signal = sig;
	if (sig_pipe[1] >= 0 && write(sig_pipe[1], "!", 1) < 0) {
		/* the pipe is full: a wake is pending anyway */
	}
	errno = saved;
}

static int cmd_option(void *ctx, int opt, const char *arg)
{
	struct cmd_opts *c = ctx;
	char *end;
	switch (opt) {
	case 'd':
		c->dir = arg;
		return 0;
	case 'n':
		c->no_stdin = true;
		return 0;
	case 'e':
		if (!strchr(arg, '=') || arg[0] == '=')
			return cli_error("-e wants NAME=VALUE, not '%s'", arg), 2;
		if (c->nenv == MAX_ENV)
			return cli_error("at most %d -e options", MAX_ENV), 2;
		c->env[c->nenv++] = arg;
		return 0;
	case 'c':
		c->codepage = strtoul(arg, &end, 10);
		if (*end || !c->codepage || c->codepage > 65535)
			return cli_error("bad code page '%s'", arg), 2;
		return 0;
	}
	return -1;
}

/* Write all of buf to fd, riding out EINTR from our own SIGINT handler. */
static wrsh_err write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return WRSH_EIO;
		p += k, n -= (size_t)k;
	}
	return WRSH_OK;
}

/* stdout is gathered for the length of one Receive: one write(2) per
 * response instead of one per decoded piece (a third of the CPU of a long
 * stream went to the system calls). stderr goes at once, after what stdout
 * holds, so that the two keep their order. */
static char out_buf[65536];
static size_t out_n;

static wrsh_err flush_out(void)
{
	wrsh_err e = out_n ? write_all(1, out_buf, out_n) : WRSH_OK;
	out_n = 0;
	return e;
}

static wrsh_err output(void *ctx, int stream, const void *buf, size_t len)
{
	wrsh_err e;
	(void)ctx;
	if (stream == 2)
		return (e = flush_out()) ? e : write_all(2, buf, len);
	if (len > sizeof(out_buf) - out_n && (e = flush_out()))
		return e;
	if (len >= sizeof(out_buf))
		return write_all(1, buf, len);
	memcpy(out_buf + out_n, buf, len);
	out_n += len;
	return WRSH_OK;
}

static int setup_signals(void)
{
	struct sigaction sa;
	int i;
	if (pipe(sig_pipe))
		return -1;
	for (i = 0; i < 2; i++) {
		fcntl(sig_pipe[i], F_SETFL, fcntl(sig_pipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a wait must wake up */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static void drain_sig_pipe(void)
{
	char b[16];
	while (read(sig_pipe[0], b, sizeof(b)) > 0)
		;
}

static bool readable_now(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

struct run {
	struct conn *c;
	bool stdin_open, terminated, busy;
	unsigned handled; /* interrupts acted upon */
	char *buf;
	size_t cap;
};

/* Ctrl-C: ctrl_c, then terminate; the third gives up (the caller's close
 * still deletes the shell). Returns false when the loop must end. */
static bool handle_interrupts(struct run *r, wrsh_err *e)
{
	drain_sig_pipe();
	if (quit_signal) /* the shell is deleted on the way out */
		return false;
	while (r->handled < (unsigned)interrupts) {
		r->handled++;
		if (r->handled == 1) {
			*e = wrsh_cmd_signal(r->c->s, WRSH_SIGNAL_CTRL_C);
		} else if (r->handled == 2) {
			*e = wrsh_cmd_signal(r->c->s, WRSH_SIGNAL_TERMINATE);
			r->terminated = true;
		} else {
			return false;
		}
		if (*e)
			return false;
	}
	return !r->terminated;
}

/* Forward what stdin has now, at most a burst of Sends. */
static wrsh_err forward_stdin(struct run *r)
{
	int sends = 0;
	r->busy = false;
	while (r->stdin_open && readable_now(0)) {
		ssize_t n = read(0, r->buf, r->cap);
		wrsh_err e;
		if (n < 0 && errno == EINTR)
			return WRSH_OK;
		if (n <= 0) {
			r->stdin_open = false;
			return wrsh_cmd_send(r->c->s, NULL, 0, true);
		}
		if ((e = wrsh_cmd_send(r->c->s, r->buf, (size_t)n, false)))
			return e;
		if (++sends == STDIN_BURST) {
			r->busy = true; /* more is waiting: keep Receives short */
			break;
		}
	}
	return WRSH_OK;
}

static wrsh_err receive(struct run *r, bool *done, uint32_t *code)
{
	struct posix_port *pp = conn_posix(r->c);
	wrsh_err e;
	/* wake on Ctrl-C only. Never on stdin: a wake drops the connection,
	 * and output the server had already put in its answer to this
	 * Receive would be lost with it (seen under load: a 740 KB echo came
	 * back short). While stdin is open, Receives are short polls instead. */
	pp->wake_fd[0] = sig_pipe[0];
	pp->wake_fd[1] = -1;
	wrsh_set_operation_timeout(r->c->s, r->busy	    ? BUSY_POLL_MS
					    : r->stdin_open ? STDIN_POLL_MS
							    : 0);
	e = wrsh_cmd_receive(r->c->s, output, NULL, WRSH_WAKEABLE, done, code);
	pp->wake_fd[0] = pp->wake_fd[1] = -1;
	if (flush_out() && !e) /* what arrived is out before we wait again */
		e = WRSH_EIO;
	return e;
}

static int finish(struct run *r, wrsh_err e, bool done, uint32_t code)
{
	if (quit_signal)
		return 128 + quit_signal;
	if (e)
		return conn_fail(r->c, e);
	if (r->handled && (!done || r->terminated))
		return 130;
	if ((e = wrsh_shell_close(r->c->s)))
		return conn_fail(r->c, e);
	if (code > 254) {
		cli_error("remote exit code %lu (0x%08lX)", (unsigned long)code,
			  (unsigned long)code);
		return 254;
	}
	return (int)code;
}

static int run_command(struct conn *c, const struct cmd_opts *co, char **argv, int argc)
{
	struct wrsh_shell_opts so;
	struct run r;
	bool done = false;
	uint32_t code = 0;
	wrsh_err e;
	memset(&so, 0, sizeof(so));
	so.workdir = co->dir;
	so.env = co->env;
	so.env_count = co->nenv;
	so.codepage = (uint32_t)co->codepage;
	memset(&r, 0, sizeof(r));
	r.c = c;
	r.stdin_open = !co->no_stdin;
	r.cap = wrsh_cmd_send_max(c->s);
	r.buf = malloc(r.cap ? r.cap : 1);
	if (!r.buf)
		return cli_error("out of memory"), CLI_EXIT_ERROR;
	e = wrsh_shell_open(c->s, &so);
	if (!e)
		e = wrsh_cmd_start(c->s, argv[0], (const char *const *)argv + 1, (size_t)argc - 1);
	if (!e && (interrupts || quit_signal)) /* before the command ran: just clean up */
		r.handled = 3;
	else if (!e && co->no_stdin)
		e = wrsh_cmd_send(c->s, NULL, 0, true);
	while (!e && !done && r.handled < 3) {
		if (!handle_interrupts(&r, &e))
			break;
		if (r.stdin_open && (e = forward_stdin(&r)))
			break;
		e = receive(&r, &done, &code);
		if (e == WRSH_EINTR)
			e = WRSH_OK;
	}
	free(r.buf);
	return finish(&r, e, done, code);
}

int cmd_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"env", required_argument, NULL, 'e'},
		{"codepage", required_argument, NULL, 'c'},
		{"no-stdin", no_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	struct cmd_opts co;
	struct applet_opts ao = {"d:e:n", longopts, cmd_option, NULL};
	struct conn_opts o;
	struct conn c;
	int first, status = 0;
	memset(&co, 0, sizeof(co));
	ao.ctx = &co;
	first = conn_parse(argc, argv, &o, &ao, &status);
	if (first < 0)
		return status;
	if (first >= argc)
		return cli_error("no command to run"), 2;
	if ((status = conn_open(&c, &o, true)))
		return status;
	if (setup_signals()) {
		conn_close(&c);
		return cli_error("cannot set up signals: %s", strerror(errno)), CLI_EXIT_ERROR;
	}
	status = run_command(&c, &co, argv + first, argc - first);
	conn_close(&c);
	return status;
}
