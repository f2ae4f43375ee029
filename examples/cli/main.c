/*
 * wrsh: one multi-call binary, busybox style. `wrsh APPLET ARGS...`, or a
 * link named after the applet (`ln -s wrsh cmd`). The applet table is
 * generated from the //applet: lines of the files in applets/
 * (scripts/applets.py).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct applet applets[] = {
#define APPLET(name, help, usage) {#name, name##_main, help, usage},
#include "applets.h"
#undef APPLET
};

#define NAPPLETS (sizeof(applets) / sizeof(applets[0]))

const struct applet *cli_applet;

static const struct applet *find(const char *name)
{
	size_t i;
	for (i = 0; i < NAPPLETS; i++)
		if (strcmp(applets[i].name, name) == 0)
			return &applets[i];
	return NULL;
}

static int usage(FILE *f)
{
	size_t i;
	fprintf(f, "wrsh " WRSH_VERSION ": Windows Remote Management from small machines\n\n"
		   "usage: wrsh APPLET [OPTIONS] (or call a link named after the applet)\n\n"
		   "applets:\n");
	for (i = 0; i < NAPPLETS; i++)
		fprintf(f, "  %-10s %s\n", applets[i].name, applets[i].help);
	fprintf(f, "\nwrsh APPLET --help shows an applet's options.\n");
	return f == stderr ? 2 : 0;
}

/* wrsh --version [-v]: the version and what this build holds; with -v
 * every cap too (wrsh_build_info()). The tables name fields by offset, so
 * they are constant data rather than code. */
struct field {
	unsigned short off; /* in struct wrsh_build_info */
	char name[24];	    /* the longest, "WSMAN_MAX_ENVELOPE", and its NUL */
};
#define FIELD(f, name)                                    \
	{                                                 \
		offsetof(struct wrsh_build_info, f), name \
	}

static const struct field feats[] = {
	FIELD(identify, "identify"),
	FIELD(winrs, "winrs"),
	FIELD(psrp, "psrp"),
	FIELD(cim, "cim"),
	FIELD(auth_basic, "basic"),
	FIELD(auth_ntlm, "ntlm"),
	FIELD(auth_kerberos, "kerberos"),
	FIELD(tls, "tls"),
	FIELD(tls_crl, "tls-crl"),
	FIELD(trace, "trace"),
};

static const struct field caps[] = {
	FIELD(tx_buf, "WSMAN_TX_BUF"),
	FIELD(rx_buf, "WSMAN_RX_BUF"),
	FIELD(seal_max, "WSMAN_SEAL_MAX"),
	FIELD(http_head_max, "HTTP_HEAD_MAX"),
	FIELD(http_max_line, "HTTP_MAX_LINE"),
	FIELD(http_max_headers, "HTTP_MAX_HEADERS"),
	FIELD(http_max_drain, "HTTP_MAX_DRAIN"),
	FIELD(max_envelope, "WSMAN_MAX_ENVELOPE"),
	FIELD(xml_max_depth, "XML_MAX_DEPTH"),
	FIELD(text_max, "WSMAN_TEXT_MAX"),
	FIELD(errmsg_len, "ERR_MSG_LEN"),
	FIELD(cim_depth, "CIM_DEPTH"),
	FIELD(cim_name_max, "CIM_NAME_MAX"),
	FIELD(cim_context_max, "CIM_CONTEXT_MAX"),
	FIELD(cim_max_selectors, "CIM_MAX_SELECTORS"),
	FIELD(krb5_ticket_max, "AUTH_KRB5_TICKET_MAX"),
	FIELD(krb5_kdcs, "AUTH_KRB5_KDCS"),
};

static int version(bool verbose)
{
	const struct wrsh_build_info *b = wrsh_build_info();
	const char *p = (const char *)b;
	size_t i, v;
	printf("wrsh %s\nfeatures:", b->version);
	for (i = 0; i < sizeof(feats) / sizeof(feats[0]); i++)
		if (*(const bool *)(const void *)(p + feats[i].off))
			printf(" %s", feats[i].name);
	printf("%s%s%s", CONFIG_WRSH_CLI_FANOUT ? " fanout" : "",
	       CONFIG_WRSH_CLI_PROXY ? " proxy" : "",
	       CONFIG_WRSH_TLS && CONFIG_WRSH_TLS_RESUME ? " tls-session" : "");
	for (i = 0; verbose && i < sizeof(caps) / sizeof(caps[0]); i++) {
		memcpy(&v, p + caps[i].off, sizeof(v));
		printf("\nCONFIG_WRSH_%s=%zu", caps[i].name, v);
	}
	fputs("\n", stdout);
	return 0;
}

int main(int argc, char **argv)
{
	const char *base = argv[0] ? strrchr(argv[0], '/') : NULL;
	const struct applet *a;
	base = base ? base + 1 : argv[0] ? argv[0] : "wrsh";
	a = find(base);
	if (!a) {
		if (argc < 2)
			return usage(stderr);
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
			return usage(stdout);
		if (!strcmp(argv[1], "--version"))
			return version(argc > 2 && !strcmp(argv[2], "-v"));
		a = find(argv[1]);
		if (!a) {
			fprintf(stderr, "wrsh: unknown applet '%s'\n", argv[1]);
			return usage(stderr);
		}
		argc--, argv++;
	}
	cli_applet = a;
#if CONFIG_WRSH_CLI_FANOUT
	return fanout_main(a, argc, argv);
#else
	return a->main(argc, argv);
#endif
}
