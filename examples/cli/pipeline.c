/*
 * One PowerShell pipeline in the open runspace pool, printed as a console
 * shows it: output to stdout (formatted remotely, raw, or as JSON lines),
 * error records in PowerShell's view and warning/verbose/debug lines on
 * stderr, host writes to the console; host calls that wait go to prompt.c;
 * --input lines of stdin feed the pipeline; Ctrl-C stops it. Shared by
 * `ps` and `shell`.
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

#define CAPTURE 2048 /* the text of a record's message we keep */

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

/* What one streamed object leaves for printing: a primitive at the root is
 * printed as it streams; records are summarised from a few properties. */
struct view {
	struct json_out *json; /* output objects as JSON, or NULL */
	char *capture;	       /* output text instead of stdout, or NULL */
	size_t capture_cap, capture_n;
	int errors;
	/* a host call: its method and the last argument (the text) */
	bool in_mi, in_mp, fresh, stopped;
	/* a progress record: Activity, StatusDescription, PercentComplete, Type */
	char activity[128], status[128], percent[8];
	size_t activity_n, status_n, percent_n;
	bool in_type, completed, bar_shown;
	unsigned method;
	int exit_code; /* from `exit N` (SetShouldExit), when exit_set */
	bool exit_set;
	struct prompt prompt; /* a host call's parameters, for one that waits */
	bool root_value;      /* the object is a primitive */
	char text[CAPTURE];
	size_t text_n; /* the object's ToString, or a record's message */
	char fqid[256], category[512];
	size_t fqid_n, category_n;
};

static void keep(char *dst, size_t cap, size_t *n, const char *p, size_t len)
{
	if (len > cap - 1 - *n)
		len = cap - 1 - *n;
	memcpy(dst + *n, p, len);
	*n += len;
	dst[*n] = 0;
}

static bool is(const char *a, const char *b)
{
	return a && !strcmp(a, b);
}

static wrsh_err v_open(void *ctx, enum wrsh_ps_stream st, const struct wrsh_ps_node *n)
{
	struct view *v = ctx;
	if (v->json && st == WRSH_PS_OUTPUT)
		json_open(v->json, n);
	if (st == WRSH_PS_HOST && n->depth == 1)
		prompt_reset(&v->prompt);
	if (st == WRSH_PS_HOST && n->depth == 3) {
		v->in_mi = is(n->name, "mi");
		v->in_mp = is(n->name, "mp");
	}
	if (st == WRSH_PS_PROGRESS && n->depth == 3)
		v->in_type = is(n->name, "Type");
	return WRSH_OK;
}

/* Progress on a terminal: one line, redrawn, gone when done (PowerShell
 * draws a box; a line is what a serial console can show). */
static void progress(struct view *v)
{
	long pct = strtol(v->percent, NULL, 10);
	int i, fill = pct < 0 ? 0 : pct > 100 ? 20 : (int)(pct / 5);
	if (!isatty(2))
		return;
	if (v->completed) {
		if (v->bar_shown)
			fputs("\r\033[K", stderr);
		v->bar_shown = false;
		return;
	}
	fprintf(stderr, "\r\033[K%s: %s", v->activity, v->status);
	if (pct >= 0) {
		fputs(" [", stderr);
		for (i = 0; i < 20; i++)
			fputc(i < fill ? '#' : ' ', stderr);
		fprintf(stderr, "] %ld%%", pct);
	}
	fflush(stderr);
	v->bar_shown = true;
}

static wrsh_err v_text(void *ctx, enum wrsh_ps_stream st, const struct wrsh_ps_node *n,
		       const char *p, size_t len, bool last)
{
	struct view *v = ctx;
	if (v->json && st == WRSH_PS_OUTPUT) {
		json_text(v->json, n, p, len, last);
		return ferror(stdout) ? WRSH_EIO : WRSH_OK;
	}
	if (st == WRSH_PS_PROGRESS) {
		if (n->depth == 3 && is(n->name, "Activity"))
			keep(v->activity, sizeof(v->activity), &v->activity_n, p, len);
		else if (n->depth == 3 && is(n->name, "StatusDescription"))
			keep(v->status, sizeof(v->status), &v->status_n, p, len);
		else if (n->depth == 3 && is(n->name, "PercentComplete"))
			keep(v->percent, sizeof(v->percent), &v->percent_n, p, len);
		else if (n->depth == 4 && v->in_type && is(n->tag, "ToString"))
			v->completed = len >= 9 && !memcmp(p, "Completed", 9);
		return WRSH_OK;
	}
	if (st == WRSH_PS_HOST) {
		if (v->in_mi && n->depth == 4 && is(n->tag, "I32")) {
			size_t i;
			for (i = 0; i < len; i++)
				if (p[i] >= '0' && p[i] <= '9')
					v->method = v->method * 10 + (unsigned)(p[i] - '0');
		} else if (v->in_mp && n->depth >= 5) {
			prompt_text(&v->prompt, v->method, n, p, len, last);
			if (n->depth > 5)
				return WRSH_OK;
			if (v->fresh) /* the Write methods: the last argument wins */
				v->text_n = 0, v->text[0] = 0;
			keep(v->text, sizeof(v->text), &v->text_n, p, len);
			v->fresh = last;
		}
		return WRSH_OK;
	}
	if (n->depth == 1 && st == WRSH_PS_OUTPUT && is(n->tag, "SS")) {
		/* as PowerShell prints one; its ciphertext is nobody's business */
		static const char ss[] = "System.Security.SecureString";
		v->root_value = true;
		if (!last)
			return WRSH_OK;
		if (v->capture)
			keep(v->capture, v->capture_cap, &v->capture_n, ss, sizeof(ss) - 1);
		else if (fwrite(ss, 1, sizeof(ss) - 1, stdout) != sizeof(ss) - 1)
			return WRSH_EIO;
		return WRSH_OK;
	}
	if (n->depth == 1 && st == WRSH_PS_OUTPUT && v->capture) {
		v->root_value = true;
		keep(v->capture, v->capture_cap, &v->capture_n, p, len);
		return WRSH_OK;
	}
	if (n->depth == 1 && st == WRSH_PS_OUTPUT) { /* a string, a number: as it comes */
		v->root_value = true;
		if (len && fwrite(p, 1, len, stdout) != len)
			return WRSH_EIO;
		return WRSH_OK;
	}
	if (n->depth == 1) {
		v->root_value = true;
		keep(v->text, sizeof(v->text), &v->text_n, p, len);
	} else if (st == WRSH_PS_STATE) { /* the exception of a failed pipeline */
		if (n->depth == 3 && is(n->name, "PipelineState") && len && p[0] == '3')
			v->stopped = true; /* Ctrl-C: a console says nothing */
		else if (n->depth == 4 && is(n->tag, "ToString"))
			keep(v->text, sizeof(v->text), &v->text_n, p, len);
		else if (n->depth == 5 && is(n->name, "FullyQualifiedErrorId"))
			keep(v->fqid, sizeof(v->fqid), &v->fqid_n, p, len);
		else if (n->depth == 5 && is(n->name, "ErrorCategory_Message"))
			keep(v->category, sizeof(v->category), &v->category_n, p, len);
	} else if (n->depth == 2 && is(n->tag, "ToString")) {
		keep(v->text, sizeof(v->text), &v->text_n, p, len);
	} else if (n->depth == 3 && is(n->name, "FullyQualifiedErrorId")) {
		keep(v->fqid, sizeof(v->fqid), &v->fqid_n, p, len);
	} else if (n->depth == 3 && is(n->name, "ErrorCategory_Message")) {
		keep(v->category, sizeof(v->category), &v->category_n, p, len);
	}
	(void)last;
	return WRSH_OK;
}

static wrsh_err v_close(void *ctx, enum wrsh_ps_stream st, const struct wrsh_ps_node *n)
{
	struct view *v = ctx;
	if (v->json && st == WRSH_PS_OUTPUT)
		json_close(v->json, n);
	if (st == WRSH_PS_HOST && n->depth == 3)
		v->in_mi = v->in_mp = false;
	return WRSH_OK;
}

/* PowerShell's default error view, in short */
static void print_error(struct view *v)
{
	fprintf(stderr, "%s\n", v->text_n ? v->text : "(an error without a message)");
	if (v->category_n)
		fprintf(stderr, "    + CategoryInfo          : %s\n", v->category);
	if (v->fqid_n)
		fprintf(stderr, "    + FullyQualifiedErrorId : %s\n", v->fqid);
}

/* The host's Write methods: the text to the console (MS-PSRP 2.2.3.17). */
static void host_write(struct view *v)
{
	switch (v->method) {
	case WRSH_PS_HOST_SET_SHOULD_EXIT:
		v->exit_code = (int)strtol(v->text, NULL, 10);
		v->exit_set = true;
		break;
	case WRSH_PS_HOST_WRITE1:
	case WRSH_PS_HOST_WRITE2:
		fputs(v->text, stdout);
		break;
	case WRSH_PS_HOST_WRITE_LINE1:
		putchar('\n');
		break;
	case WRSH_PS_HOST_WRITE_LINE2:
	case WRSH_PS_HOST_WRITE_LINE3:
		printf("%s\n", v->text);
		break;
	case WRSH_PS_HOST_WRITE_ERROR_LINE:
		fprintf(stderr, "%s\n", v->text);
		break;
	case WRSH_PS_HOST_WRITE_DEBUG_LINE:
		fprintf(stderr, "DEBUG: %s\n", v->text);
		break;
	case WRSH_PS_HOST_WRITE_VERBOSE_LINE:
		fprintf(stderr, "VERBOSE: %s\n", v->text);
		break;
	case WRSH_PS_HOST_WRITE_WARNING_LINE:
		fprintf(stderr, "WARNING: %s\n", v->text);
		break;
	}
	fflush(stdout);
}

static wrsh_err v_end(void *ctx, enum wrsh_ps_stream st)
{
	static const char *const prefix[] = {"", "", "WARNING: ", "VERBOSE: ", "DEBUG: "};
	struct view *v = ctx;
	wrsh_err e = WRSH_OK;
	switch (st) {
	case WRSH_PS_OUTPUT:
		if (v->json) {
			json_end(v->json);
			e = fflush(stdout) ? WRSH_EIO : WRSH_OK;
			break;
		}
		if (v->capture)
			break;
		if (!v->root_value && v->text_n)
			fwrite(v->text, 1, v->text_n, stdout);
		if (putchar('\n') == EOF || fflush(stdout))
			e = WRSH_EIO;
		break;
	case WRSH_PS_ERROR:
		v->errors++;
		print_error(v);
		break;
	case WRSH_PS_WARNING:
	case WRSH_PS_VERBOSE:
	case WRSH_PS_DEBUG:
		fprintf(stderr, "%s%s\n", prefix[st], v->text);
		break;
	case WRSH_PS_INFORMATION: /* Write-Host: the console */
		printf("%s\n", v->text);
		fflush(stdout);
		break;
	case WRSH_PS_STATE:
		if (v->text_n && !v->stopped) {
			v->errors++;
			print_error(v);
		}
		break;
	case WRSH_PS_PROGRESS:
		progress(v);
		v->activity_n = v->status_n = v->percent_n = 0;
		v->activity[0] = v->status[0] = v->percent[0] = 0;
		v->completed = v->in_type = false;
		break;
	case WRSH_PS_HOST:
		host_write(v);
		v->method = 0;
		v->fresh = true;
		break;
	}
	v->root_value = false;
	v->text_n = v->fqid_n = v->category_n = 0;
	v->text[0] = v->fqid[0] = v->category[0] = 0;
	return e;
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
	struct wrsh_ps_sink sink = {v_open, v_text, v_close, v_end, NULL};
	struct posix_port *pp = conn_posix(c);
	static struct input in;
	bool input_done = !(flags & PIPE_INPUT);
	enum wrsh_ps_state state = WRSH_PS_RUNNING;
	unsigned base = pipeline_interrupts(), handled = 0, start;
	bool done = false;
	wrsh_err e;
	memset(&v, 0, sizeof(v));
	sink.ctx = &v;
	v.capture = capture;
	v.capture_cap = cap;
	if (capture && cap)
		capture[0] = 0;
	if (flags & PIPE_JSON) {
		json_begin(&json, stdout);
		v.json = &json;
	}
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
	if (v.bar_shown) /* a bar left by a script that did not complete it */
		fputs("\r\033[K", stderr);
	if (e)
		return conn_fail(c, e);
	if (handled || state == WRSH_PS_STOPPED)
		return 130;
	if (v.exit_set) /* as a shell reports it: the low byte */
		return v.exit_code & 0xff;
	return state == WRSH_PS_COMPLETED && !v.errors ? 0 : 1;
}
