//config:config WRSH_APPLET_PS
//config:	bool "ps: run PowerShell in a remote runspace (like Invoke-Command) (+2.1 KB)"
//config:	default y
//config:	depends on WRSH_PSRP
//config:	help
//config:	  PowerShell Remoting (MS-PSRP): the script runs in a runspace pool
//config:	  on the host; output, errors, warnings and host messages stream
//config:	  back as they are produced.
//applet:ps run a PowerShell script on the host (like Invoke-Command)
//usage:wrsh ps -H HOST [conn options] [--no-format | --json] [--input] (SCRIPT... | -f FILE)
//usage:Runs SCRIPT (its words joined with spaces) in a PowerShell runspace on HOST.
//usage:Output is formatted by the remote PowerShell, as its console shows it; errors,
//usage:warnings and verbose messages go to stderr with their prefixes.
//usage:  -f, --file FILE          read the script from FILE ("-": stdin)
//usage:      --no-format          print each object's own text, unformatted
//usage:      --input              each line of stdin is an object of the pipeline's input
//usage:                           ($input, process { $_ })
//usage:      --json               one JSON line per output object: properties, "_types",
//usage:                           "_string", "_items" (lists), "_entries" (dictionaries)
//usage:      --configuration NAME the session configuration (a JEA endpoint, PowerShell.7;
//usage:                           default Microsoft.PowerShell)
//usage:Read-Host reads a line of stdin; $Host.UI writes go to the console; progress
//usage:is one line on the terminal (stderr).
//usage:Ctrl-C stops the pipeline; a second one gives up. The runspace pool is closed
//usage:on every way out. Exit status: 0, 1 when the script failed or wrote errors,
//usage:130 after Ctrl-C, 255 on errors of wrsh or the connection.

#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct ps_opts {
	const char *file, *configuration;
	bool no_format, json, input;
};

static int ps_option(void *ctx, int opt, const char *arg)
{
	struct ps_opts *p = ctx;
	switch (opt) {
	case 'f':
		p->file = arg;
		return 0;
	case 'F':
		p->no_format = true;
		return 0;
	case 'J':
		p->json = true;
		return 0;
	case 'I':
		p->input = true;
		return 0;
	case 'C':
		p->configuration = arg;
		return 0;
	}
	return -1;
}

static char *join(char **argv, int argc)
{
	size_t n = 1;
	int i;
	char *s;
	for (i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	s = malloc(n);
	if (!s)
		return NULL;
	s[0] = 0;
	for (i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static int run(struct conn *c, const char *script, FILE *file, const struct ps_opts *po)
{
	unsigned flags = (po->json ? PIPE_JSON : 0) | (po->no_format ? PIPE_RAW : 0) |
			 (po->input ? PIPE_INPUT : 0);
	wrsh_err e = wrsh_ps_open_configuration(c->s, po->configuration);
	int status;
	if (e)
		return conn_fail(c, e);
	status = pipeline_run(c, script, file, flags, NULL, 0);
	if (status == PIPE_GAVE_UP)
		return 130; /* the pool is closed by conn_close */
	if (status == 0 || status == 1) {
		if ((e = wrsh_ps_close(c->s)))
			return conn_fail(c, e);
	}
	return status;
}

int ps_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"file", required_argument, NULL, 'f'},
		{"no-format", no_argument, NULL, 'F'},
		{"json", no_argument, NULL, 'J'},
		{"input", no_argument, NULL, 'I'},
		{"configuration", required_argument, NULL, 'C'},
		{NULL, 0, NULL, 0},
	};
	struct ps_opts po;
	struct applet_opts ao = {"f:", longopts, ps_option, NULL};
	struct conn_opts o;
	struct conn c;
	char *script = NULL;
	FILE *file = NULL;
	int first, status = 0;
	memset(&po, 0, sizeof(po));
	ao.ctx = &po;
	first = conn_parse(argc, argv, &o, &ao, &status);
	if (first < 0)
		return status;
	if ((first < argc) == (po.file != NULL))
		return cli_error("give a script or -f FILE (one of them)"), 2;
	/* a file streams while the pipeline starts: any length, no copy */
	if (po.file && !(file = strcmp(po.file, "-") ? fopen(po.file, "rb") : stdin))
		return cli_error("cannot read %s: %s", po.file, strerror(errno)), CLI_EXIT_ERROR;
	if (!po.file && !(script = join(argv + first, argc - first)))
		return cli_error("out of memory"), CLI_EXIT_ERROR;
	if (!(status = conn_open(&c, &o, true))) {
		status = pipeline_signals()
				 ? (cli_error("cannot set up signals: %s", strerror(errno)),
				    CLI_EXIT_ERROR)
				 : run(&c, script, file, &po);
		conn_close(&c);
	}
	free(script);
	if (file && file != stdin)
		fclose(file);
	return status;
}
