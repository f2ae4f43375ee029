//config:config WRSH_APPLET_SHELL
//config:	bool "shell: an interactive PowerShell session (like Enter-PSSession) (+1.6 KB)"
//config:	default y
//config:	depends on WRSH_PSRP
//config:	help
//config:	  A prompt that runs each line in one remote runspace, so
//config:	  variables and the current location stay between commands.
//applet:shell an interactive PowerShell session on the host (like Enter-PSSession)
//usage:wrsh shell -H HOST [conn options] [--configuration NAME]
//usage:Reads PowerShell lines at the remote prompt function's "[HOST]: PS C:\path> " and
//usage:runs each in one runspace that lives as long as the session: variables,
//usage:functions and the current location carry over. Output streams as it comes.
//usage:On a terminal: line editing (arrows, Home/End, Ctrl-A/E/K/U/W), history (Up/Down,
//usage:Ctrl-R), Tab and Shift-Tab cycle through the remote TabExpansion2's completions.
//usage:Ctrl-C stops the running command, not the session; "exit" or end of input
//usage:leaves. The remote runspace pool is closed on every way out.

#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* "[host]: " and the remote prompt function's text, as Enter-PSSession
 * shows it; "PS> " where the endpoint has no prompt (a restricted one) */
static int remote_prompt(struct conn *c, const char *host, char *out, size_t cap)
{
	char text[1024];
	size_t n;
	int st = pipeline_run(c, "prompt", NULL, PIPE_RAW | PIPE_QUIET, text, sizeof(text));
	if (st == CLI_EXIT_ERROR || st == PIPE_GAVE_UP)
		return st;
	n = strlen(text);
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		text[--n] = 0;
	snprintf(out, cap, "[%s]: %s", host, st || !n ? "PS> " : text);
	return 0;
}

/* PowerShell's single-quoted string: a quote is doubled, and so are the
 * typographic quotes PowerShell reads as quotes (U+2018..U+201B). */
static size_t quote(char *dst, size_t cap, const char *s, size_t n)
{
	size_t i, k = 0;
	for (i = 0; i < n && k + 8 < cap; i++) {
		bool typo = (unsigned char)s[i] == 0xe2 && i + 2 < n &&
			    (unsigned char)s[i + 1] == 0x80 && (unsigned char)s[i + 2] >= 0x98 &&
			    (unsigned char)s[i + 2] <= 0x9b;
		if (s[i] == '\'' || typo) {
			size_t w = typo ? 3 : 1;
			memcpy(dst + k, s + i, w);
			memcpy(dst + k + w, s + i, w);
			k += 2 * w;
			i += w - 1;
		} else {
			dst[k++] = s[i];
		}
	}
	dst[k] = 0;
	return i; /* what fitted */
}

/* UTF-16 code units (PowerShell's string indices) <-> UTF-8 bytes */
static size_t utf16_units(const char *s, size_t bytes)
{
	size_t i, u = 0;
	for (i = 0; i < bytes; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			u += ((unsigned char)s[i] >= 0xf0) ? 2 : 1;
	return u;
}

static size_t utf8_bytes(const char *s, size_t units)
{
	size_t i = 0, u = 0;
	while (s[i] && u < units) {
		u += ((unsigned char)s[i] >= 0xf0) ? 2 : 1;
		do
			i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80);
	}
	return i;
}

/* Tab: the remote TabExpansion2's matches, as PowerShell's console asks it */
static int complete(void *ctx, const char *line, size_t pos, struct lineedit_completion *c)
{
	static char script[2 * LINEEDIT_MAX + 256], found[8192];
	char q[2 * LINEEDIT_MAX + 16];
	struct conn *conn = ctx;
	char *p, *nl;
	unsigned long idx, len;
	size_t n = strlen(line), k = 0;
	int field = 0;
	if (quote(q, sizeof(q), line, n) < n)
		return -1;
	snprintf(
		script, sizeof(script),
		"$c = TabExpansion2 -inputScript '%s' -cursorColumn %zu; $c.ReplacementIndex; "
		"$c.ReplacementLength; $c.CompletionMatches | ForEach-Object { $_.CompletionText }",
		q, utf16_units(line, pos));
	if (pipeline_run(conn, script, NULL, PIPE_RAW | PIPE_QUIET, found, sizeof(found)))
		return -1;
	for (p = found; (nl = strchr(p, '\n')); p = nl + 1, field++) {
		*nl = 0;
		if (field == 0)
			idx = strtoul(p, NULL, 10);
		else if (field == 1)
			len = strtoul(p, NULL, 10);
		else if (c->n < LINEEDIT_MATCHES && k + strlen(p) + 1 <= sizeof(c->buf) && *p) {
			c->match[c->n++] = k;
			strcpy(c->buf + k, p);
			k += strlen(p) + 1;
		}
	}
	if (field < 2)
		return -1;
	c->start = utf8_bytes(line, idx);
	c->len = utf8_bytes(line + c->start, len);
	return 0;
}

/* "exit" or "exit N" leaves the session (with status N), as it leaves
 * Enter-PSSession; anything else goes to the runspace. */
static bool is_exit(const char *line, int *status)
{
	char *end;
	long n;
	line += strspn(line, " \t");
	if (strncmp(line, "exit", 4) || (line[4] && !strchr(" \t", line[4])))
		return false;
	line += 4 + strspn(line + 4, " \t");
	if (!*line)
		return true;
	n = strtol(line, &end, 10);
	if (end == line || end[strspn(end, " \t")])
		return false;
	*status = (int)(n & 0xff);
	return true;
}

static int session(struct conn *c, const char *host, const char *configuration)
{
	static char line[LINEEDIT_MAX];
	char shown[1200];
	wrsh_err e = wrsh_ps_open_configuration(c->s, configuration);
	int status = 0, leave = 0, r;
	if (e)
		return conn_fail(c, e);
	for (;;) {
		if ((status = remote_prompt(c, host, shown, sizeof(shown))))
			return status == PIPE_GAVE_UP ? 130 : status;
		r = lineedit_read(shown, line, sizeof(line), complete, c);
		if (r == 2) { /* Ctrl-C at the prompt: a fresh prompt */
			clearerr(stdin);
			continue;
		}
		if (r < 0) {
			putchar('\n');
			break;
		}
		if (is_exit(line, &leave))
			break;
		if (!line[strspn(line, " \t")])
			continue;
		lineedit_remember(line);
		status = pipeline_run(c, line, NULL, 0, NULL, 0);
		if (status == PIPE_GAVE_UP)
			return 130;
		if (status == CLI_EXIT_ERROR)
			return status;
	}
	if ((e = wrsh_ps_close(c->s)))
		return conn_fail(c, e);
	return leave;
}

static int shell_option(void *ctx, int opt, const char *arg)
{
	if (opt != 'C')
		return -1;
	*(const char **)ctx = arg;
	return 0;
}

int shell_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"configuration", required_argument, NULL, 'C'},
		{NULL, 0, NULL, 0},
	};
	const char *configuration = NULL;
	struct applet_opts ao = {"", longopts, shell_option, NULL};
	struct conn_opts o;
	struct conn c;
	int first, status = 0;
	ao.ctx = &configuration;
	first = conn_parse(argc, argv, &o, &ao, &status);
	if (first < 0)
		return status;
	if (first < argc)
		return cli_error("shell takes no operands (the commands come from stdin)"), 2;
	if ((status = conn_open(&c, &o, true)))
		return status;
	if (pipeline_signals()) {
		conn_close(&c);
		return cli_error("cannot set up signals: %s", strerror(errno)), CLI_EXIT_ERROR;
	}
	status = session(&c, o.host, configuration);
	conn_close(&c);
	return status;
}
