//config:config WRSH_APPLET_CIM
//config:	bool "cim: get, set, enumerate and invoke WS-Man resources (like winrm get/enum) (+13 KB)"
//config:	default y
//config:	depends on WRSH_CIM
//config:	help
//config:	  WMI classes, winrm/config and any other resource URI: Get, Put,
//config:	  Create, Delete, Invoke and streamed Enumerate/Pull with WQL.
//config:
//config:config WRSH_APPLET_CIM_INSTANCE_MAX
//config:	int "cim: align and group instances up to this size (bytes)"
//config:	default 32768
//config:	range 1024 1048576
//config:	depends on WRSH_APPLET_CIM
//config:	help
//config:	  Each instance is held (once, in static memory) to align the
//config:	  names of the list view and to turn repeated properties into
//config:	  arrays. A bigger instance is printed as it streams: unaligned,
//config:	  with a repeated property repeated.
//applet:cim get, set, create, delete, enumerate and invoke WS-Man resources (like winrm.cmd)
//usage:wrsh cim get       -H HOST [conn options] RESOURCE [KEY=VALUE...]
//usage:wrsh cim enumerate -H HOST [conn options] [RESOURCE] [KEY=VALUE...] [--filter WQL]
//usage:                   [--namespace NS] [--max-elements N] [--epr]
//usage:wrsh cim invoke    -H HOST [conn options] RESOURCE METHOD [KEY=VALUE...] [--param N=V...]
//usage:wrsh cim set|create|delete -H HOST [conn options] RESOURCE [KEY=VALUE...] [--prop N=V...]
//usage:RESOURCE is a resource URI or winrm.cmd's short form: wmicimv2/Win32_Service,
//usage:winrm/config (aliases wmi, wmicimv2, cimv2, winrm, wsman, shell). KEY=VALUE are
//usage:selectors. Output: "Name : value" per property, instances apart by a blank line.
//usage:  -f, --filter WQL         enumerate what the query selects (resource default:
//usage:                           the namespace's *, e.g. wmicimv2/*)
//usage:      --dialect URI        filter dialect (default WQL)
//usage:  -n, --namespace NS       WMI namespace (the __cimnamespace selector)
//usage:      --max-elements N     instances per page (default 100)
//usage:      --epr                enumerate each instance with its endpoint reference
//usage:      --epr-only           enumerate endpoint references only
//usage:      --param NAME=VALUE   invoke: a method parameter (repeatable)
//usage:      --prop NAME=VALUE    set/create: a property; A/B=V nests (winrm/config)
//usage:      --class NAME         set/create: the element (default: the URI's last segment)
//usage:      --option NAME=VALUE  a WS-Man option (OptionSet, repeatable)
//usage:      --json               one JSON object per instance
//usage:      --xml                the instances as XML, one per line
//usage:Enumeration streams page by page; Ctrl-C or a closed pipe releases it.
//usage:Exit status: 0, 2 for usage errors, 255 for errors and faults (code and text
//usage:on stderr).

#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

#define MAX_KV 32
#define WQL_DIALECT "http://schemas.microsoft.com/wbem/wsman/1/WQL"

enum sub { S_GET, S_ENUM, S_INVOKE, S_SET, S_CREATE, S_DELETE };

struct cim_opts {
	enum sub sub;
	enum cim_fmt fmt;
	const char *filter, *dialect, *ns, *cls;
	enum wrsh_cim_mode mode;
	unsigned long max_elements;
	const char *operands[MAX_KV + 2];
	size_t noperands;
	struct wrsh_cim_kv sel[MAX_KV], opt[MAX_KV], props[MAX_KV];
	size_t nsel, nopt, nprops;
};

enum {
	OPT_DIALECT = 2000,
	OPT_MAX,
	OPT_EPR,
	OPT_EPR_ONLY,
	OPT_PARAM,
	OPT_CLASS,
	OPT_OPTION,
	OPT_JSON,
	OPT_XML
};

/* "NAME=VALUE" split in place. */
static int add_kv(struct wrsh_cim_kv *kv, size_t *n, char *arg, const char *what)
{
	char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		return cli_error("%s wants NAME=VALUE, not '%s'", what, arg), 2;
	if (*n == MAX_KV)
		return cli_error("at most %d of %s", MAX_KV, what), 2;
	*eq = 0;
	kv[*n].name = arg;
	kv[(*n)++].value = eq + 1;
	return 0;
}

static int cim_option(void *ctx, int opt, const char *arg)
{
	struct cim_opts *c = ctx;
	char *end;
	switch (opt) {
	case 1:
		if (c->noperands == sizeof(c->operands) / sizeof(c->operands[0]))
			return cli_error("too many operands"), 2;
		c->operands[c->noperands++] = arg;
		return 0;
	case 'f':
		c->filter = arg;
		return 0;
	case 'n':
		c->ns = arg;
		return 0;
	case OPT_DIALECT:
		c->dialect = arg;
		return 0;
	case OPT_MAX:
		errno = 0;
		c->max_elements = strtoul(arg, &end, 10);
		if (errno || *end || !c->max_elements || c->max_elements > 1000000)
			return cli_error("bad --max-elements '%s'", arg), 2;
		return 0;
	case OPT_EPR:
		c->mode = WRSH_CIM_OBJECTS_AND_EPRS;
		return 0;
	case OPT_EPR_ONLY:
		c->mode = WRSH_CIM_EPRS;
		return 0;
	case OPT_PARAM:
		return add_kv(c->props, &c->nprops, (char *)arg, "--param");
	case 'P':
		return add_kv(c->props, &c->nprops, (char *)arg, "--prop");
	case OPT_OPTION:
		return add_kv(c->opt, &c->nopt, (char *)arg, "--option");
	case OPT_CLASS:
		c->cls = arg;
		return 0;
	case OPT_JSON:
		c->fmt = CIM_JSON;
		return 0;
	case OPT_XML:
		c->fmt = CIM_XML;
		return 0;
	}
	return -1;
}

/* ---- the subcommands ---------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
	signal(SIGINT, SIG_DFL); /* a second Ctrl-C leaves at once */
}

static int run_enumerate(struct conn *c, const struct wrsh_cim_req *r, const struct cim_opts *co,
			 const struct wrsh_cim_sink *sink)
{
	struct wrsh_cim_enum_opts eo;
	bool end = false;
	wrsh_err e;
	memset(&eo, 0, sizeof(eo));
	eo.filter = co->filter;
	eo.dialect = co->dialect;
	eo.mode = co->mode;
	eo.max_elements = (uint32_t)co->max_elements;
	e = wrsh_cim_enumerate(c->s, r, &eo, sink, &end);
	while (!e && !end && !interrupted) {
		fflush(stdout); /* each page as it arrives */
		e = wrsh_cim_pull(c->s, sink, &end);
	}
	if (!e && !end) /* Ctrl-C between pages */
		e = wrsh_cim_release(c->s);
	if (e == WRSH_EIO && ferror(stdout))
		return 141; /* a closed pipe: quietly, as head(1) expects; close releases */
	if (e)
		return conn_fail(c, e);
	return interrupted ? 130 : 0;
}

static const char *const sub_names[] = {"get", "enumerate", "invoke", "set", "create", "delete"};

static int parse_sub(const char *s, enum sub *out)
{
	size_t i;
	for (i = 0; i < sizeof(sub_names) / sizeof(sub_names[0]); i++)
		if (!strcmp(s, sub_names[i])) {
			*out = (enum sub)i;
			return 0;
		}
	if (!strcmp(s, "enum")) {
		*out = S_ENUM;
		return 0;
	}
	if (!strcmp(s, "put")) {
		*out = S_SET;
		return 0;
	}
	return -1;
}

/* Operands: RESOURCE [METHOD] KEY=VALUE...; --filter alone means the
 * namespace's "*". */
static int build_req(struct cim_opts *co, struct wrsh_cim_req *r, const char **method, char *buf,
		     size_t cap)
{
	size_t i = 0;
	const char *res;
	char star[512];
	if (co->noperands && !strchr(co->operands[0], '='))
		res = co->operands[i++];
	else if (co->sub == S_ENUM && co->filter) {
		snprintf(star, sizeof(star), "wmi/%s/*", co->ns ? co->ns : "root/cimv2");
		res = star;
	} else
		return cli_error("no RESOURCE"), 2;
	if (!(r->resource = wrsh_cim_resource_uri(res, buf, cap)))
		return cli_error("'%s': not a resource URI nor a known alias/path (wmi, "
				 "wmicimv2, cimv2, winrm, wsman, shell)",
				 res),
		       2;
	if (co->sub == S_INVOKE) {
		if (i >= co->noperands)
			return cli_error("invoke needs RESOURCE METHOD"), 2;
		*method = co->operands[i++];
	}
	for (; i < co->noperands; i++) {
		int st = add_kv(co->sel, &co->nsel, (char *)co->operands[i], "a selector");
		if (st)
			return st;
	}
	if (co->ns) {
		if (co->nsel == MAX_KV)
			return cli_error("too many selectors"), 2;
		co->sel[co->nsel].name = "__cimnamespace";
		co->sel[co->nsel++].value = co->ns;
	}
	r->selectors = co->sel;
	r->nselectors = co->nsel;
	r->options = co->opt;
	r->noptions = co->nopt;
	return 0;
}

static int run(struct conn *c, struct cim_opts *co, const struct wrsh_cim_req *r,
	       const char *method)
{
	struct wrsh_cim_sink sink;
	wrsh_err e = WRSH_OK;
	cim_print_sink(&sink, co->fmt, stdout);
	switch (co->sub) {
	case S_ENUM:
		return run_enumerate(c, r, co, &sink);
	case S_GET:
		e = wrsh_cim_get(c->s, r, &sink);
		break;
	case S_INVOKE:
		e = wrsh_cim_invoke(c->s, r, method, co->props, co->nprops, &sink);
		break;
	case S_SET:
		e = wrsh_cim_put(c->s, r, co->cls, co->props, co->nprops, &sink);
		break;
	case S_CREATE:
		e = wrsh_cim_create(c->s, r, co->cls, co->props, co->nprops, &sink);
		break;
	case S_DELETE:
		e = wrsh_cim_delete(c->s, r);
		break;
	}
	if (e == WRSH_EIO && ferror(stdout))
		return 141;
	return e ? conn_fail(c, e) : 0;
}

int cim_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"filter", required_argument, NULL, 'f'},
		{"namespace", required_argument, NULL, 'n'},
		{"dialect", required_argument, NULL, OPT_DIALECT},
		{"max-elements", required_argument, NULL, OPT_MAX},
		{"epr", no_argument, NULL, OPT_EPR},
		{"epr-only", no_argument, NULL, OPT_EPR_ONLY},
		{"param", required_argument, NULL, OPT_PARAM},
		{"prop", required_argument, NULL, 'P'},
		{"class", required_argument, NULL, OPT_CLASS},
		{"option", required_argument, NULL, OPT_OPTION},
		{"json", no_argument, NULL, OPT_JSON},
		{"xml", no_argument, NULL, OPT_XML},
		{NULL, 0, NULL, 0},
	};
	static struct cim_opts co;
	struct applet_opts ao = {"-f:n:", longopts, cim_option, NULL};
	struct wrsh_cim_req r;
	struct conn_opts o;
	struct conn c;
	const char *method = NULL;
	char uri[2048];
	int first, status = 0, i;
	memset(&co, 0, sizeof(co));
	memset(&r, 0, sizeof(r));
	ao.ctx = &co;
	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && !strcmp(argv[1], "--help")) {
			printf("usage: %s", cli_applet->usage);
			return 0;
		}
		return cli_error("cim: get, enumerate, invoke, set, create or delete first"), 2;
	}
	if (parse_sub(argv[1], &co.sub))
		return cli_error("cim: unknown operation '%s'", argv[1]), 2;
	first = conn_parse(argc - 1, argv + 1, &o, &ao, &status);
	if (first < 0)
		return status;
	for (i = first + 1; i < argc; i++) /* after "--" */
		if (cim_option(&co, 1, argv[i]))
			return 2;
	if ((status = build_req(&co, &r, &method, uri, sizeof(uri))))
		return status;
	if (co.nprops && co.sub != S_SET && co.sub != S_CREATE && co.sub != S_INVOKE)
		return cli_error("--prop and --param go with set, create and invoke"), 2;
	if ((co.filter || co.mode != WRSH_CIM_OBJECTS) && co.sub != S_ENUM)
		return cli_error("--filter and --epr go with enumerate"), 2;
	if ((status = conn_open(&c, &o, true)))
		return status;
	signal(SIGPIPE, SIG_IGN); /* a closed pipe is an error of write(2) */
	signal(SIGINT, on_sigint);
	status = run(&c, &co, &r, method);
	conn_close(&c);
	return status;
}
