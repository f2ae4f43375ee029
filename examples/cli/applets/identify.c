//config:config WRSH_APPLET_IDENTIFY
//config:	bool "identify: ask a WS-Man server who it is (like winrm id) (+1.4 KB)"
//config:	default y
//config:	depends on WRSH_WSMAN_IDENTIFY
//applet:identify ask a WS-Management server who it is (like winrm id)
//usage:wrsh identify -H HOST [conn options]
//usage:Prints the server's protocol version, vendor, product version and security
//usage:profiles. Without -u the request carries no credentials (Windows answers
//usage:that too, with less detail); with -u it is authenticated.

#include <stdio.h>
#include <string.h>

#include "cli.h"

static wrsh_err show(void *ctx, const char *name, const char *value, size_t len)
{
	(void)ctx;
	printf("%s: %.*s\n", name, (int)len, value);
	return ferror(stdout) ? WRSH_EIO : WRSH_OK;
}

int identify_main(int argc, char **argv)
{
	struct conn_opts o;
	struct conn c;
	int first, status = 0;
	wrsh_err e;
	first = conn_parse(argc, argv, &o, NULL, &status);
	if (first < 0)
		return status;
	if (first < argc)
		return cli_error("identify takes no operands"), 2;
	if ((status = conn_open(&c, &o, false)))
		return status;
	e = wrsh_identify(c.s, o.user != NULL, show, NULL);
	status = e ? conn_fail(&c, e) : 0;
	conn_close(&c);
	return status;
}
