//config:config WRSH_APPLET_SHELL
//config:	bool "shell: an interactive PowerShell session (like Enter-PSSession) (+1.6 KB)"
//config:	default y
//config:	depends on WRSH_PSRP
//config:	help
//config:	  A prompt that runs each line in one remote runspace, so
//config:	  variables and the current location stay between commands.
//applet:shell an interactive PowerShell session on the host (like Enter-PSSession)
//usage:wrsh shell -H HOST [conn options]
//usage:Reads PowerShell lines at the prompt "[HOST]: PS C:\path> " and runs each in
//usage:one runspace that lives as long as the session: variables, functions and the
//usage:current location carry over. Output streams as it comes. Ctrl-C stops the
//usage:running command, not the session; "exit" or end of input leaves. The remote
//usage:runspace pool is closed on every way out.

#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define LINE_MAX_LEN 8192

/* "[host]: PS C:\path> " as Enter-PSSession shows it */
static void prompt(const char *host, const char *where)
{
	printf("[%s]: PS %s> ", host, *where ? where : "");
	fflush(stdout);
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

static int session(struct conn *c, const char *host)
{
	static char line[LINE_MAX_LEN];
	char where[1024] = "";
	unsigned seen = 0;
	wrsh_err e = wrsh_ps_open(c->s);
	int status = 0, leave = 0;
	if (e)
		return conn_fail(c, e);
	for (;;) {
		if (pipeline_run(c, "(Get-Location).Path", NULL, PIPE_RAW, where, sizeof(where)) ==
		    CLI_EXIT_ERROR)
			return CLI_EXIT_ERROR;
		seen = pipeline_interrupts();
		prompt(host, where);
		if (!fgets(line, sizeof(line), stdin)) {
			if (ferror(stdin) && errno == EINTR && pipeline_interrupts() != seen) {
				clearerr(stdin); /* Ctrl-C at the prompt: a fresh prompt */
				putchar('\n');
				continue;
			}
			putchar('\n');
			break;
		}
		line[strcspn(line, "\r\n")] = 0;
		if (is_exit(line, &leave))
			break;
		if (!line[strspn(line, " \t")])
			continue;
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

int shell_main(int argc, char **argv)
{
	struct conn_opts o;
	struct conn c;
	int first, status = 0;
	first = conn_parse(argc, argv, &o, NULL, &status);
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
	status = session(&c, o.host);
	conn_close(&c);
	return status;
}
