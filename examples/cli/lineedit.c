/*
 * A small line editor for `wrsh shell` on a terminal (no readline): one
 * line, scrolled sideways when longer than the screen, UTF-8 aware (one
 * column per code point). Keys as bash and PSReadLine's Emacs mode have
 * them: arrows, Home/End, Delete, Backspace, Ctrl-A/E/B/F/K/U/W/D/L,
 * Up/Down through the history, Ctrl-R searches it backwards, Tab and
 * Shift-Tab cycle through the completions the caller finds (PowerShell's
 * own Tab behaviour). The history is one ring of HISTORY_BYTES: old lines
 * leave as new ones come. Not a terminal: a plain line read.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

#define HISTORY_BYTES 16384

static char history[HISTORY_BYTES]; /* lines, each NUL-terminated, oldest first */
static size_t history_n;

void lineedit_remember(const char *line)
{
	size_t n = strlen(line) + 1, last = 0, i;
	if (n == 1 || n > HISTORY_BYTES / 4)
		return;
	for (i = 0; history_n && i + 1 < history_n; i++) /* the last line: no repeats */
		if (!history[i])
			last = i + 1;
	if (history_n && !strcmp(history + last, line))
		return;
	while (history_n + n > sizeof(history)) { /* drop the oldest */
		size_t first = strlen(history) + 1;
		memmove(history, history + first, history_n - first);
		history_n -= first;
	}
	memcpy(history + history_n, line, n);
	history_n += n;
}

/* The k-th line from the newest (0), or NULL. */
static const char *recalled(unsigned k)
{
	size_t end = history_n;
	while (end) {
		size_t start = end - 1;
		while (start && history[start - 1])
			start--;
		if (!k--)
			return history + start;
		end = start;
	}
	return NULL;
}

struct ed {
	char *buf;
	size_t cap, len, pos;
	const char *prompt;
	int cols;
	/* Tab: the completions of the line as it was, cycled through */
	struct lineedit_completion comp;
	unsigned comp_i;
	bool comp_on;
	char base[LINEEDIT_MAX]; /* the line before the first Tab */
	size_t base_len;
};

static bool cont(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

static size_t columns(const char *p, size_t n)
{
	size_t i, w = 0;
	for (i = 0; i < n; i++)
		w += !cont(p[i]);
	return w;
}

static void out(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(1, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w, n -= (size_t)w;
	}
}

static void outs(const char *s)
{
	out(s, strlen(s));
}

/* Draw the prompt and the part of the line that fits, cursor in place. */
static void redraw(struct ed *e)
{
	size_t pw = columns(e->prompt, strlen(e->prompt)), start = 0, end = e->len, w;
	size_t room = (size_t)e->cols > pw + 2 ? (size_t)e->cols - pw - 1 : 1;
	char seq[32];
	while (columns(e->buf + start, e->pos - start) >= room) /* scroll to the cursor */
		do
			start++;
		while (start < e->pos && cont(e->buf[start]));
	while (columns(e->buf + start, end - start) > room)
		do
			end--;
		while (end > e->pos && cont(e->buf[end]));
	outs("\r");
	outs(e->prompt);
	out(e->buf + start, end - start);
	outs("\033[K");
	w = columns(e->buf + e->pos, end - e->pos);
	if (w) {
		snprintf(seq, sizeof(seq), "\033[%zuD", w);
		outs(seq);
	}
}

static void insert(struct ed *e, const char *p, size_t n)
{
	if (e->len + n >= e->cap)
		return;
	memmove(e->buf + e->pos + n, e->buf + e->pos, e->len - e->pos);
	memcpy(e->buf + e->pos, p, n);
	e->pos += n;
	e->len += n;
}

static void cut(struct ed *e, size_t from, size_t to)
{
	memmove(e->buf + from, e->buf + to, e->len - to);
	e->len -= to - from;
	if (e->pos > to)
		e->pos -= to - from;
	else if (e->pos > from)
		e->pos = from;
}

static size_t left(const struct ed *e, size_t i)
{
	while (i && cont(e->buf[--i]))
		;
	return i;
}

static size_t right(const struct ed *e, size_t i)
{
	if (i < e->len)
		while (++i < e->len && cont(e->buf[i]))
			;
	return i;
}

static void set_line(struct ed *e, const char *s)
{
	size_t n = strlen(s);
	if (n >= e->cap)
		n = e->cap - 1;
	memcpy(e->buf, s, n);
	e->len = e->pos = n;
}

/* Tab (dir 1) and Shift-Tab (-1): the next completion in place. */
static void complete(struct ed *e, int dir, lineedit_complete_fn fn, void *ctx)
{
	const struct lineedit_completion *c = &e->comp;
	const char *m;
	if (!fn)
		return;
	if (!e->comp_on) {
		memcpy(e->base, e->buf, e->len);
		e->base_len = e->len;
		e->base[e->len] = 0;
		memset(&e->comp, 0, sizeof(e->comp));
		if (fn(ctx, e->base, e->pos, &e->comp) || !e->comp.n)
			return;
		e->comp_on = true;
		e->comp_i = dir > 0 ? 0 : e->comp.n - 1;
	} else {
		e->comp_i = (e->comp_i + c->n + (unsigned)dir) % c->n;
	}
	m = c->buf + c->match[e->comp_i];
	if (c->start + c->len > e->base_len || e->base_len - c->len + strlen(m) >= e->cap)
		return;
	memcpy(e->buf, e->base, c->start);
	strcpy(e->buf + c->start, m);
	e->pos = c->start + strlen(m);
	memcpy(e->buf + e->pos, e->base + c->start + c->len, e->base_len - c->start - c->len);
	e->len = e->pos + e->base_len - c->start - c->len;
}

/* Ctrl-R: "(reverse-i-search)`text': match"; Enter runs the match (true),
 * another key goes back to editing it, Ctrl-G or Ctrl-C leaves it. */
static bool search(struct ed *e)
{
	char pat[256], shown[64 + sizeof(pat)];
	size_t pn = 0;
	unsigned from = 0, k;
	const char *hit = NULL;
	for (;;) {
		char c;
		snprintf(shown, sizeof(shown), "(reverse-i-search)`%.*s': ", (int)pn, pat);
		outs("\r");
		outs(shown);
		if (hit)
			outs(hit);
		outs("\033[K");
		if (read(0, &c, 1) != 1 || c == 7 || c == 3) {
			hit = NULL;
			break;
		}
		if (c == 18) { /* Ctrl-R again: an older match */
			from++;
		} else if (c == 127 || c == 8) {
			if (pn)
				pn--;
			from = 0;
		} else if ((unsigned char)c >= 32 && pn + 1 < sizeof(pat)) {
			pat[pn++] = c;
			from = 0;
		} else {
			if (hit)
				set_line(e, hit);
			return c == 13 || c == 10;
		}
		pat[pn] = 0;
		hit = NULL;
		for (k = from; recalled(k); k++)
			if (strstr(recalled(k), pat)) {
				hit = recalled(k);
				from = k;
				break;
			}
	}
	return false;
}

static int term_cols(void)
{
	struct winsize ws;
	return ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col ? ws.ws_col : 80;
}

/* One key's effect; 1: the line is done, -1: end of input, 2: Ctrl-C,
 * 3: c was appended and only needs echoing. */
static int key(struct ed *e, char c, unsigned *hist, lineedit_complete_fn fn, void *ctx)
{
	char s[8];
	if (c != 9 && c != 27)
		e->comp_on = false;
	switch (c) {
	case 13:
	case 10:
		return 1;
	case 3:
		return 2;
	case 4: /* Ctrl-D: end of input on an empty line, else Delete */
		if (!e->len)
			return -1;
		cut(e, e->pos, right(e, e->pos));
		break;
	case 1:
		e->pos = 0;
		break;
	case 5:
		e->pos = e->len;
		break;
	case 2:
		e->pos = left(e, e->pos);
		break;
	case 6:
		e->pos = right(e, e->pos);
		break;
	case 11:
		e->len = e->pos;
		break;
	case 21:
		cut(e, 0, e->pos);
		break;
	case 23: { /* the word before the cursor */
		size_t i = e->pos;
		while (i && e->buf[i - 1] == ' ')
			i--;
		while (i && e->buf[i - 1] != ' ')
			i--;
		cut(e, i, e->pos);
		break;
	}
	case 12:
		outs("\033[H\033[2J");
		break;
	case 18:
		if (search(e))
			return 1;
		break;
	case 9:
		complete(e, 1, fn, ctx);
		break;
	case 127:
	case 8:
		cut(e, left(e, e->pos), e->pos);
		break;
	case 27: /* an escape sequence: ESC [ x, ESC [ n ~, ESC O x */
		if (read(0, s, 1) != 1 || (s[0] != '[' && s[0] != 'O') || read(0, s + 1, 1) != 1)
			break;
		if (s[1] >= '0' && s[1] <= '9' && (read(0, s + 2, 1) != 1 || s[2] != '~'))
			break;
		e->comp_on = e->comp_on && s[1] == 'Z';
		switch (s[1]) {
		case 'A': /* Up: older */
		case 'B': /* Down: newer */
			if (s[1] == 'A' && recalled(*hist))
				set_line(e, recalled((*hist)++));
			else if (s[1] == 'B' && *hist > 1)
				set_line(e, recalled(--*hist - 1));
			else if (s[1] == 'B')
				*hist = 0, e->len = e->pos = 0;
			break;
		case 'C':
			e->pos = right(e, e->pos);
			break;
		case 'D':
			e->pos = left(e, e->pos);
			break;
		case 'H':
		case '1':
		case '7':
			e->pos = 0;
			break;
		case 'F':
		case '4':
		case '8':
			e->pos = e->len;
			break;
		case '3':
			cut(e, e->pos, right(e, e->pos));
			break;
		case 'Z':
			complete(e, -1, fn, ctx);
			break;
		}
		break;
	default:
		if ((unsigned char)c < 32)
			break;
		insert(e, &c, 1);
		/* typed at the end of a line that fits: echoed as a terminal
		 * would, without a redraw */
		if (e->pos == e->len &&
		    columns(e->prompt, strlen(e->prompt)) + columns(e->buf, e->len) + 1 <
			    (size_t)e->cols)
			return 3;
	}
	return 0;
}

int lineedit_read(const char *prompt, char *buf, size_t cap, lineedit_complete_fn fn, void *ctx)
{
	static struct ed e;
	struct termios old, raw;
	unsigned hist = 0;
	int r = 0;
	if (!isatty(0) || !isatty(1) || tcgetattr(0, &old)) {
		fputs(prompt, stdout);
		fflush(stdout);
		if (!fgets(buf, (int)cap, stdin)) {
			if (!ferror(stdin) || errno != EINTR)
				return -1;
			putchar('\n'); /* Ctrl-C at the prompt */
			return 2;
		}
		buf[strcspn(buf, "\r\n")] = 0;
		return 0;
	}
	memset(&e, 0, sizeof(e));
	e.buf = buf;
	e.cap = cap < sizeof(e.base) ? cap : sizeof(e.base);
	e.prompt = prompt;
	e.cols = term_cols();
	raw = old;
	raw.c_iflag &= ~(tcflag_t)(ICRNL | IXON | ISTRIP | INPCK | BRKINT);
	raw.c_lflag &= ~(tcflag_t)(ECHO | ICANON | IEXTEN | ISIG);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	fflush(stdout);
	tcsetattr(0, TCSADRAIN, &raw);
	redraw(&e);
	while (!r) {
		char c;
		ssize_t n = read(0, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != 1) {
			r = -1;
			break;
		}
		r = key(&e, c, &hist, fn, ctx);
		if (r == 3) {
			out(&c, 1);
			r = 0;
		} else if (!r) {
			redraw(&e);
		}
	}
	tcsetattr(0, TCSADRAIN, &old);
	buf[e.len] = 0;
	outs(r == 2 ? "^C\r\n" : "\r\n");
	if (r == 1)
		r = 0;
	return r;
}
