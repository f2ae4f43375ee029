/*
 * A pipeline's streams printed as a console shows them: output to stdout
 * (formatted remotely, raw, or as JSON lines), error records in PowerShell's
 * view and warning/verbose/debug lines on stderr, information and host
 * writes to the console, progress as one redrawn line.
 *
 * Text of any length goes out as it streams in: nothing here holds a whole
 * message. What is kept is bounded: the first VIEW_HEAD bytes of the last
 * record printed, so that the host's copy of it is recognised. A server
 * that was given a host (wrsh always gives one) sends a warning, verbose,
 * debug or shown information record twice: the record, then the host call
 * WriteWarningLine (WriteVerboseLine, ...) with the same text, as
 * PowerShell's InternalHostUserInterface writes a record both to the
 * informational buffers and to the host (seen from real PowerShell 7.6 and
 * Windows). A console prints it once; so does wrsh. Write-Host comes the
 * same way, as a HostInformationMessage record and a Write/WriteLine call:
 * the call carries its colours and NoNewline, so the call is printed and
 * the record is not.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static bool is(const char *a, const char *b)
{
	return a && !strcmp(a, b);
}

static void keep(char *dst, size_t cap, size_t *n, const char *p, size_t len)
{
	if (len > cap - 1 - *n)
		len = cap - 1 - *n;
	memcpy(dst + *n, p, len);
	*n += len;
	dst[*n] = 0;
}

/* FNV-1a, 64 bits: the part of a record beyond VIEW_HEAD, compared */
static uint64_t fnv(uint64_t h, const char *p, size_t n)
{
	while (n--) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ull;
	}
	return h;
}
#define FNV_START 0xcbf29ce484222325ull

/* ---- a line that streams: its prefix once, its text, its end ------------ */

static wrsh_err line_put(struct view_line *l, const char *p, size_t n)
{
	if (!l->open && l->prefix && fputs(l->prefix, l->to) == EOF)
		return WRSH_EIO;
	l->open = true;
	return n && fwrite(p, 1, n, l->to) != n ? WRSH_EIO : WRSH_OK;
}

static wrsh_err line_end(struct view_line *l, bool newline)
{
	wrsh_err e = line_put(l, NULL, 0);
	l->open = false;
	if (!e && newline && fputc('\n', l->to) == EOF)
		e = WRSH_EIO;
	return e || fflush(l->to) ? WRSH_EIO : WRSH_OK;
}

static void line_start(struct view_line *l, FILE *to, const char *prefix)
{
	l->to = to;
	l->prefix = prefix;
	l->open = false;
}

/* ---- records: printed as they come; their head kept for the host's copy -- */

static const char *const record_prefix[] = {
	[WRSH_PS_WARNING] = "WARNING: ",
	[WRSH_PS_VERBOSE] = "VERBOSE: ",
	[WRSH_PS_DEBUG] = "DEBUG: ",
};

static wrsh_err record_text(struct view *v, enum wrsh_ps_stream st, const char *p, size_t len)
{
	if (v->quiet)
		return WRSH_OK;
	if (!v->line.to) { /* the record's first piece: a new head */
		line_start(&v->line, st == WRSH_PS_INFORMATION ? stdout : stderr,
			   (size_t)st < sizeof(record_prefix) / sizeof(record_prefix[0])
				   ? record_prefix[st]
				   : NULL);
		v->head_n = 0;
		v->head_len = 0;
		v->head_hash = FNV_START;
	}
	if (st != WRSH_PS_ERROR && st != WRSH_PS_STATE) {
		if (v->head_len < sizeof(v->head))
			keep(v->head, sizeof(v->head), &v->head_n, p, len);
		v->head_len += len;
		v->head_hash = fnv(v->head_hash, p, len);
	}
	return line_put(&v->line, p, len);
}

/* The host method that repeats a record of stream st, or 0. */
static unsigned echo_method(enum wrsh_ps_stream st)
{
	switch (st) {
	case WRSH_PS_WARNING:
		return WRSH_PS_HOST_WRITE_WARNING_LINE;
	case WRSH_PS_VERBOSE:
		return WRSH_PS_HOST_WRITE_VERBOSE_LINE;
	case WRSH_PS_DEBUG:
		return WRSH_PS_HOST_WRITE_DEBUG_LINE;
	case WRSH_PS_INFORMATION: /* Write-Information -InformationAction Continue */
		return WRSH_PS_HOST_WRITE_LINE2;
	default:
		return 0;
	}
}

/* ---- host calls: the Write methods' text (MS-PSRP 2.2.3.17) -------------- */

static void host_line(struct view *v)
{
	static const struct {
		unsigned method;
		bool err;
		const char *prefix;
	} m[] = {
		{WRSH_PS_HOST_WRITE1, false, NULL},
		{WRSH_PS_HOST_WRITE2, false, NULL},
		{WRSH_PS_HOST_WRITE_LINE1, false, NULL},
		{WRSH_PS_HOST_WRITE_LINE2, false, NULL},
		{WRSH_PS_HOST_WRITE_LINE3, false, NULL},
		{WRSH_PS_HOST_WRITE_ERROR_LINE, true, NULL},
		{WRSH_PS_HOST_WRITE_DEBUG_LINE, true, "DEBUG: "},
		{WRSH_PS_HOST_WRITE_VERBOSE_LINE, true, "VERBOSE: "},
		{WRSH_PS_HOST_WRITE_WARNING_LINE, true, "WARNING: "},
	};
	size_t i;
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (m[i].method == v->method) {
			/* --json keeps stdout for JSON lines */
			line_start(&v->line, m[i].err || v->json ? stderr : stdout, m[i].prefix);
			v->writing = true;
			v->comparing = v->echo_of == v->method;
			v->pos = 0;
			v->hash = FNV_START;
			return;
		}
}

/* The host's text stopped being the record's copy: print what matched. */
static wrsh_err echo_differs(struct view *v)
{
	size_t have = v->pos < v->head_n ? (size_t)v->pos : v->head_n;
	v->comparing = false;
	if (v->pos > v->head_n)
		fprintf(stderr,
			"wrsh: warning: %llu bytes of a host line that began as the record "
			"before it were not kept\n",
			(unsigned long long)(v->pos - v->head_n));
	return line_put(&v->line, v->head, have);
}

static wrsh_err host_text(struct view *v, const char *p, size_t len)
{
	size_t i;
	wrsh_err e;
	for (i = 0; v->comparing && i < len; i++, v->pos++) {
		bool same = v->pos < v->head_n ? v->head[v->pos] == p[i] : v->pos < v->head_len;
		if (!same) {
			if ((e = echo_differs(v)))
				return e;
			break;
		}
		v->hash = fnv(v->hash, p + i, 1);
	}
	if (v->comparing)
		return WRSH_OK;
	return line_put(&v->line, p + i, len - i);
}

static wrsh_err host_end(struct view *v)
{
	bool newline = v->method != WRSH_PS_HOST_WRITE1 && v->method != WRSH_PS_HOST_WRITE2;
	wrsh_err e = WRSH_OK;
	if (v->method == WRSH_PS_HOST_SET_SHOULD_EXIT) {
		v->exit_code = (int)strtol(v->num, NULL, 10);
		v->exit_set = true;
	}
	if (!v->writing)
		return WRSH_OK;
	if (v->comparing && v->pos == v->head_len &&
	    (v->pos <= v->head_n || v->hash == v->head_hash)) {
		v->line.open = false; /* the record's copy: printed already */
		return WRSH_OK;
	}
	if (v->comparing)
		e = echo_differs(v);
	return e ? e : line_end(&v->line, newline);
}

/* ---- progress: one line on a terminal, redrawn, gone when done ----------- */

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

static void progress_text(struct view *v, const struct wrsh_ps_node *n, const char *p, size_t len)
{
	if (n->depth == 3 && is(n->name, "Activity"))
		keep(v->activity, sizeof(v->activity), &v->activity_n, p, len);
	else if (n->depth == 3 && is(n->name, "StatusDescription"))
		keep(v->status, sizeof(v->status), &v->status_n, p, len);
	else if (n->depth == 3 && is(n->name, "PercentComplete"))
		keep(v->percent, sizeof(v->percent), &v->percent_n, p, len);
	else if (n->depth == 4 && v->in_type && is(n->tag, "ToString"))
		v->completed = len >= 9 && !memcmp(p, "Completed", 9);
}

/* ---- output: a primitive as it streams, an object's ToString, or the
 * items of a list (what Out-Default shows of a deserialised array) ------ */

static wrsh_err output_put(struct view *v, const char *p, size_t len)
{
	if (v->capture) {
		keep(v->capture, v->capture_cap, &v->capture_n, p, len);
		return WRSH_OK;
	}
	return len && fwrite(p, 1, len, stdout) != len ? WRSH_EIO : WRSH_OK;
}

static wrsh_err output_text(struct view *v, const struct wrsh_ps_node *n, const char *p, size_t len,
			    bool last)
{
	static const char ss[] = "System.Security.SecureString";
	bool item;
	if (n->depth == 1 && is(n->tag, "SS")) {
		/* as PowerShell prints one; its ciphertext is nobody's business */
		v->has_text = true;
		return last ? output_put(v, ss, sizeof(ss) - 1) : WRSH_OK;
	}
	item = v->in_list && !v->has_text &&
	       ((n->depth == 3 && !n->container) || (n->depth == 4 && is(n->tag, "ToString")));
	if (n->depth == 1 || (n->depth == 2 && is(n->tag, "ToString"))) {
		v->has_text = true;
	} else if (item) {
		if (!v->item_open && v->items++ && output_put(v, "\n", 1))
			return WRSH_EIO;
		v->item_open = !last;
	} else {
		return WRSH_OK;
	}
	return output_put(v, p, len);
}

/* ---- the sink ------------------------------------------------------------ */

/* --json: output objects and information records are JSON lines */
static bool as_json(const struct view *v, enum wrsh_ps_stream st)
{
	return v->json && (st == WRSH_PS_OUTPUT || st == WRSH_PS_INFORMATION);
}

static wrsh_err v_open(void *ctx, enum wrsh_ps_stream st, const struct wrsh_ps_node *n)
{
	struct view *v = ctx;
	if (as_json(v, st)) {
		if (n->depth == 1 && st == WRSH_PS_INFORMATION)
			v->json->stream = "information";
		json_open(v->json, n);
		return WRSH_OK;
	}
	if (st == WRSH_PS_HOST && n->depth == 1)
		prompt_reset(&v->prompt);
	if (st == WRSH_PS_HOST && n->depth == 3) {
		v->in_mi = is(n->name, "mi");
		v->in_mp = is(n->name, "mp");
		if (v->in_mp)
			host_line(v);
	}
	if (st == WRSH_PS_PROGRESS && n->depth == 3)
		v->in_type = is(n->name, "Type");
	if (st == WRSH_PS_OUTPUT && n->depth == 2)
		v->in_list = is(n->tag, "LST") || is(n->tag, "IE") || is(n->tag, "QUE") ||
			     is(n->tag, "STK");
	if (st == WRSH_PS_INFORMATION && n->depth == 3)
		v->in_data = is(n->name, "MessageData");
	return WRSH_OK;
}

/* Which values of a record are its message, printed as they come. */
static bool record_message(struct view *v, enum wrsh_ps_stream st, const struct wrsh_ps_node *n,
			   const char *p, size_t len, bool last)
{
	if (st == WRSH_PS_INFORMATION) { /* MessageData: a value, or an object's ToString */
		if (n->depth == 5 && v->in_data && is(n->tag, "T")) {
			keep(v->num, sizeof(v->num), &v->num_n, p, len);
			if (last &&
			    is(v->num, "System.Management.Automation.HostInformationMessage"))
				v->skip = true; /* Write-Host: its host call prints it */
			if (last)
				v->num_n = 0, v->num[0] = 0;
		}
		return !v->skip && ((n->depth == 3 && is(n->name, "MessageData")) ||
				    (n->depth == 4 && v->in_data && is(n->tag, "ToString")));
	}
	if (st == WRSH_PS_STATE) /* the exception of a failed pipeline */
		return n->depth == 4 && !v->stopped && is(n->tag, "ToString");
	return n->depth == 2 && is(n->tag, "ToString");
}

static wrsh_err v_text(void *ctx, enum wrsh_ps_stream st, const struct wrsh_ps_node *n,
		       const char *p, size_t len, bool last)
{
	struct view *v = ctx;
	size_t depth = st == WRSH_PS_STATE ? 5 : 3; /* where an error's details sit */
	if (as_json(v, st)) {
		json_text(v->json, n, p, len, last);
		return ferror(stdout) ? WRSH_EIO : WRSH_OK;
	}
	switch (st) {
	case WRSH_PS_OUTPUT:
		return output_text(v, n, p, len, last);
	case WRSH_PS_PROGRESS:
		progress_text(v, n, p, len);
		return WRSH_OK;
	case WRSH_PS_HOST:
		if (v->in_mi && n->depth == 4 && is(n->tag, "I32")) {
			size_t i;
			for (i = 0; i < len; i++)
				if (p[i] >= '0' && p[i] <= '9')
					v->method = v->method * 10 + (unsigned)(p[i] - '0');
		} else if (v->in_mp && n->depth >= 5) {
			prompt_text(&v->prompt, v->method, n, p, len, last);
			if (n->depth == 5 && v->method == WRSH_PS_HOST_SET_SHOULD_EXIT &&
			    is(n->tag, "I32"))
				keep(v->num, sizeof(v->num), &v->num_n, p, len);
			else if (n->depth == 5 && v->writing && is(n->tag, "S"))
				return host_text(v, p, len);
		}
		return WRSH_OK;
	case WRSH_PS_STATE:
		if (n->depth == 3 && is(n->name, "PipelineState") && len && p[0] == '3')
			v->stopped = true; /* Ctrl-C: a console says nothing */
		break;
	default:
		break;
	}
	if (record_message(v, st, n, p, len, last))
		return record_text(v, st, p, len);
	if (n->depth == depth && is(n->name, "FullyQualifiedErrorId"))
		keep(v->fqid, sizeof(v->fqid), &v->fqid_n, p, len);
	else if (n->depth == depth && is(n->name, "ErrorCategory_Message"))
		keep(v->category, sizeof(v->category), &v->category_n, p, len);
	return WRSH_OK;
}

static wrsh_err v_close(void *ctx, enum wrsh_ps_stream st, const struct wrsh_ps_node *n)
{
	struct view *v = ctx;
	if (as_json(v, st)) {
		json_close(v->json, n);
		return WRSH_OK;
	}
	if (st == WRSH_PS_HOST && n->depth == 3)
		v->in_mi = v->in_mp = false;
	if (st == WRSH_PS_OUTPUT && n->depth == 2)
		v->in_list = false;
	if (st == WRSH_PS_INFORMATION && n->depth == 3)
		v->in_data = false;
	return WRSH_OK;
}

/* PowerShell's default error view, in short: the message (printed as it
 * came), then the category and the error's id */
static wrsh_err error_end(struct view *v)
{
	static const char no_message[] = "(an error without a message)";
	wrsh_err e;
	v->errors++;
	if (v->quiet)
		return WRSH_OK;
	if (!v->line.to)
		record_text(v, WRSH_PS_ERROR, no_message, sizeof(no_message) - 1);
	e = line_end(&v->line, true);
	if (v->category_n)
		fprintf(stderr, "    + CategoryInfo          : %s\n", v->category);
	if (v->fqid_n)
		fprintf(stderr, "    + FullyQualifiedErrorId : %s\n", v->fqid);
	return e;
}

static wrsh_err output_end(struct view *v)
{
	if (v->capture) /* objects a line each */
		return output_put(v, "\n", 1);
	return putchar('\n') == EOF || fflush(stdout) ? WRSH_EIO : WRSH_OK;
}

static wrsh_err v_end(void *ctx, enum wrsh_ps_stream st)
{
	struct view *v = ctx;
	unsigned echo = 0;
	wrsh_err e = WRSH_OK;
	if (as_json(v, st)) {
		json_end(v->json);
		e = fflush(stdout) ? WRSH_EIO : WRSH_OK;
		st = WRSH_PS_OUTPUT; /* nothing more to print */
	}
	switch (st) {
	case WRSH_PS_OUTPUT:
		if (!v->json)
			e = output_end(v);
		break;
	case WRSH_PS_ERROR:
		e = error_end(v);
		break;
	case WRSH_PS_STATE:
		if (v->line.to)
			e = error_end(v);
		break;
	case WRSH_PS_WARNING:
	case WRSH_PS_VERBOSE:
	case WRSH_PS_DEBUG:
	case WRSH_PS_INFORMATION:
		if (!v->skip && !v->quiet && (v->line.to || st != WRSH_PS_INFORMATION)) {
			if (!v->line.to)
				record_text(v, st, "", 0);
			e = line_end(&v->line, true);
			echo = echo_method(st);
		}
		break;
	case WRSH_PS_PROGRESS:
		progress(v);
		v->activity_n = v->status_n = v->percent_n = 0;
		v->activity[0] = v->status[0] = v->percent[0] = 0;
		v->completed = v->in_type = false;
		break;
	case WRSH_PS_HOST:
		e = host_end(v);
		v->method = 0;
		v->writing = v->comparing = false;
		break;
	}
	v->echo_of = echo; /* a record's head serves the next object only */
	v->line.to = NULL;
	v->skip = v->has_text = v->in_list = v->item_open = false;
	v->items = 0;
	v->fqid_n = v->category_n = v->num_n = 0;
	v->fqid[0] = v->category[0] = v->num[0] = 0;
	return e;
}

void view_begin(struct view *v, struct wrsh_ps_sink *sink, struct json_out *json, char *capture,
		size_t cap)
{
	memset(v, 0, sizeof(*v));
	v->json = json;
	v->capture = capture;
	v->capture_cap = cap;
	v->head_hash = FNV_START;
	if (capture && cap)
		capture[0] = 0;
	sink->open = v_open;
	sink->text = v_text;
	sink->close = v_close;
	sink->object_end = v_end;
	sink->ctx = v;
}

void view_finish(struct view *v)
{
	if (v->bar_shown) /* a bar left by a script that did not complete it */
		fputs("\r\033[K", stderr);
}
