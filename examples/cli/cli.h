/*
 * What the applets share: the connection options every applet takes, the
 * one arena, the POSIX port with optional TLS, credentials, tracing,
 * --stats and the one-line error report.
 */
#ifndef WRSH_CLI_H
#define WRSH_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifdef WRSH_HAVE_AUTOCONF
#include "wrsh_autoconf.h" /* which applets, the default arena size */
#endif
#include "posix.h"
#include "proxy.h"
#include "tls.h"
#include "wrsh.h"

struct applet {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *help, *usage;
};
extern const struct applet *cli_applet;

/* Every applet's entry point, from the generated table. */
#define APPLET(name, help, usage) int name##_main(int argc, char **argv);
#include "applets.h"
#undef APPLET

/* private.c: a file of the user's own, mode 0600 or stricter, read
 * (missing: 0 bytes; another's or readable by others: -1, errno EPERM), or
 * written whole as 0600 through a rename. 0 or -1 with errno. */
int cli_private_read(const char *path, void *buf, size_t cap, size_t *len);
int cli_private_write(const char *path, const void *buf, size_t len);

/* Exit status for local and protocol errors (as ssh does). */
#define CLI_EXIT_ERROR 255

struct conn_opts {
	const char *host, *user, *auth, *cacert, *pin, *password_file, *nt_hash_file, *cert, *key,
		*crl, *realm, *kdc, *spn, *keytab, *ccache, *tls_session;
	const char *proxy, *noproxy, *proxy_password_file; /* proxy "": none */
	const char *control; /* a master's socket: serve it (master), or go through it */
	unsigned port;
	bool https, insecure, allow_unencrypted, stats, verbose, seal_https, no_ntlm, proxy_tunnel;
	unsigned timeout_s;
	size_t mem;
	uint32_t envelope; /* 0: the library's default */
	uint32_t send_buf; /* 0: the library's default (the applet may set it) */
};

/* An applet's own options: getopt_long entries plus a handler. shortopts
 * starting with '-': options may follow operands, which reach the handler
 * as option 1 with the operand in arg. */
struct applet_opts {
	const char *shortopts;
	const struct option *longopts;
	int (*handle)(void *ctx, int opt, const char *arg); /* 0 ok, else exit code */
	void *ctx;
};

/*
 * Parse argv: the shared connection options and the applet's. Returns the
 * index of the first operand, or -1 after printing usage (exit code in
 * *status: 0 for --help, 2 for a usage error).
 */
int conn_parse(int argc, char **argv, struct conn_opts *o, const struct applet_opts *ao,
	       int *status);

struct conn {
	struct conn_opts o;
	enum wrsh_auth auth; /* what -a resolved to; the error hints look at it */
	unsigned char *arena_buf;
	struct wrsh_arena *arena;
	struct posix_port posix_ctx;
	wrsh_err (*posix_connect)(void *, const char *, uint16_t, uint32_t); /* --control */
	struct wrsh_port plain, tls; /* plain: the proxy's port when one is used */
	bool tls_on;
	struct wrsh_proxy proxy_ctx;
	bool proxy_on;
	struct posix_port kdc_ctx; /* Kerberos: a second, plain stream */
	struct wrsh_port kdc_stream;
	char realm[256], kdc[256];
	unsigned kdc_port;
	char service_realm[256];     /* [domain_realm]'s, when not realm */
	const void *cc_map, *kt_map; /* kinit's credential cache, a keytab: mapped */
	size_t cc_len, kt_len;
#if CONFIG_WRSH_AUTH_KERBEROS
	uint8_t cc_out[2 * CONFIG_WRSH_AUTH_KRB5_TICKET_MAX + 2048]; /* --ccache's new tickets */
	size_t cc_out_len;
#endif
	const void *ca_map, *crl_map;
	size_t ca_len, crl_len;
	char cert_pem[16384], key_pem[16384]; /* key wiped once TLS has parsed it */
#if CONFIG_WRSH_TLS_RESUME
	uint8_t tls_sess[CONFIG_WRSH_TLS_SESSION_MAX]; /* --tls-session's, wiped at close */
	size_t tls_sess_len;
	char tls_sess_path[1024];
#endif
	struct wrsh_session *s;
	int trace_col;
	char trace_dir;
};

/* Set up arena, port, TLS and session. Credentials: -u with the password
 * from WRSH_PASSWORD, --password-file or a terminal prompt, wiped after
 * wrsh_open. need_user: the applet cannot work anonymously. Returns 0, or
 * an exit code after printing the error. */
int conn_open(struct conn *c, const struct conn_opts *o, bool need_user);
/* Close the session (deleting a remote shell), print --stats, free. */
void conn_close(struct conn *c);
/* Print "wrsh: <message>" for e and return CLI_EXIT_ERROR. */
int conn_fail(struct conn *c, wrsh_err e);
/* The posix port context, for wake file descriptors. */
struct posix_port *conn_posix(struct conn *c);

/* proxy.c: --proxy or the environment's proxy for host (NO_PROXY aside)
 * wrapped around c->plain; 0, or an exit code after the error. Then the
 * session's options for a forward proxy. */
void cli_error(const char *fmt, ...);

#if CONFIG_WRSH_CLI_PROXY
int proxy_setup(struct conn *c, const char *host);
void proxy_session_opts(const struct conn *c, struct wrsh_opts *wo);
#else
static inline int proxy_setup(struct conn *c, const char *host)
{
	(void)host;
	if (c->o.proxy && *c->o.proxy)
		return cli_error("--proxy: proxies are not built into this wrsh"), 2;
	return 0;
}
static inline void proxy_session_opts(const struct conn *c, struct wrsh_opts *wo)
{
	(void)c, (void)wo;
}
#endif

/* fanout.c: -H a,b,c and -H @FILE run the applet once per host. */
int fanout_main(const struct applet *a, int argc, char **argv);
/* The password asked once for all hosts, and where a host's child reports
 * the wrsh_err it failed with (a byte; -1: not a fan-out child). */
extern const char *cli_password;
extern int cli_status_fd;
int conn_prompt_password(const char *user, const char *host, char *buf, size_t cap);

/* krb5conf.c: krb5.conf's default realm, a realm's KDC ("[udp/|tcp/]host
 * [:port]", *udp for the first), and whether DNS may name KDCs; 0 or -1. */
int krb5conf_default_realm(char *out, size_t cap);
int krb5conf_kdc(const char *realm, char *host, size_t cap, unsigned *port, bool *udp);
int krb5conf_kdc_spec(const char *s, char *host, size_t cap, unsigned *port, bool *udp);
bool krb5conf_dns_lookup_kdc(void);
int krb5conf_host_realm(const char *host, char *out, size_t cap);
int krb5conf_host_port(const char *s, char *host, size_t cap, unsigned *port);

/* prompt.c: the host calls that wait for an answer, their strings kept
 * while the call streams in (offsets into buf; 0 is "") */
#define PROMPT_ARGS 4
#define PROMPT_ITEMS 16
struct prompt_item {
	size_t name, label, type; /* a choice's label is its name */
};
struct prompt {
	char buf[2048];
	size_t n;
	size_t arg[PROMPT_ARGS]; /* caption, message, ... */
	unsigned nargs, nitems;
	struct prompt_item item[PROMPT_ITEMS];
	int def; /* PromptForChoice's default, -1 for none */
	bool cut, in_value, in_default, def_neg;
	size_t *target;
};
void prompt_reset(struct prompt *q);
/* A value inside the call's parameters (mp), as the sink gets it. */
void prompt_text(struct prompt *q, unsigned method, const struct wrsh_ps_node *n, const char *p,
		 size_t len, bool last);
/* Answer the pending call; stdin_free: stdin is not pipeline input. */
wrsh_err prompt_answer(struct wrsh_session *s, const struct prompt *q, bool stdin_free);

/* view.c: a pipeline's streams printed as a console shows them, text of
 * any length as it streams (see the file's head for what it keeps) */
struct json_out;
#define VIEW_HEAD 2048 /* a record's first bytes, to know the host's copy */
struct view_line {
	FILE *to; /* NULL: no line begun in this object */
	const char *prefix;
	bool open;
};
struct view {
	struct json_out *json; /* output objects as JSON, or NULL */
	char *capture;	       /* output text instead of stdout, or NULL */
	size_t capture_cap, capture_n;
	int errors;
	struct view_line line;
	/* the last record printed, for its copy in the host call after it */
	char head[VIEW_HEAD];
	size_t head_n;
	uint64_t head_len, head_hash, pos, hash;
	unsigned echo_of; /* the host method that would repeat it, or 0 */
	/* a host call: its method; a Write method's text being compared */
	unsigned method;
	bool in_mi, in_mp, writing, comparing;
	bool stopped, skip, in_data, in_list, item_open, has_text;
	bool quiet; /* PIPE_QUIET */
	unsigned items;
	/* a progress record: Activity, StatusDescription, PercentComplete, Type */
	char activity[128], status[128], percent[8];
	size_t activity_n, status_n, percent_n;
	bool in_type, completed, bar_shown;
	int exit_code; /* from `exit N` (SetShouldExit), when exit_set */
	bool exit_set;
	struct prompt prompt; /* a host call's parameters, for one that waits */
	char num[64], fqid[256], category[512];
	size_t num_n, fqid_n, category_n;
};
void view_begin(struct view *v, struct wrsh_ps_sink *sink, struct json_out *json, char *capture,
		size_t cap);
void view_finish(struct view *v);

/* pipeline.c: one PowerShell pipeline in the open pool, printed like a
 * console; its script the string, or read from file as it is sent (script
 * NULL). Returns 0 (completed, no errors), 1 (failed or wrote errors),
 * 130 (stopped by Ctrl-C), PIPE_GAVE_UP (a second Ctrl-C: leave now), or
 * the CLI's error status after printing the error. capture: the output's
 * text goes there instead of stdout (cap bytes, NUL-terminated, each
 * object's text and a newline). */
#define PIPE_JSON 1u
#define PIPE_RAW 2u
#define PIPE_INPUT 4u
#define PIPE_QUIET 8u /* records (errors, warnings) not printed */
#define PIPE_GAVE_UP 131
int pipeline_signals(void);
unsigned pipeline_interrupts(void);
int pipeline_wake_fd(void); /* readable after a Ctrl-C: the port's wake_fd */
int pipeline_run(struct conn *c, const char *script, FILE *file, unsigned flags, char *capture,
		 size_t cap);

/* json.c: CLIXML object events as one JSON line per object */
#define JSON_MAX_DEPTH 64
struct json_out {
	FILE *f;
	unsigned depth;
	char close[JSON_MAX_DEPTH];
	unsigned count[JSON_MAX_DEPTH];
	bool entry[JSON_MAX_DEPTH + 1]; /* inside a dictionary entry, by depth */
	bool after_key, value_open, bool_true;
	char value_kind;
	const char *stream; /* the next object's "_stream", or NULL (output) */
};
void json_begin(struct json_out *j, FILE *f);
void json_open(struct json_out *j, const struct wrsh_ps_node *n);
void json_text(struct json_out *j, const struct wrsh_ps_node *n, const char *p, size_t len,
	       bool last);
void json_close(struct json_out *j, const struct wrsh_ps_node *n);
void json_end(struct json_out *j);

/* cim_print.c: CIM instances printed as they stream */
enum cim_fmt { CIM_LIST, CIM_JSON, CIM_XML };
void cim_print_sink(struct wrsh_cim_sink *sink, enum cim_fmt fmt, FILE *f);

/* lineedit.c: `wrsh shell`'s line editor: keys, history, completion */
#define LINEEDIT_MAX 8192
#define LINEEDIT_MATCHES 64
struct lineedit_completion {
	size_t start, len; /* the bytes of the line the matches replace */
	char buf[4096];	   /* the matches, each NUL-terminated */
	size_t match[LINEEDIT_MATCHES];
	unsigned n;
};
/* The completions of line with the cursor at byte pos; 0 when found. */
typedef int (*lineedit_complete_fn)(void *ctx, const char *line, size_t pos,
				    struct lineedit_completion *c);
/* Read a line at prompt into buf: 0, -1 at the end of input, 2 for Ctrl-C. */
int lineedit_read(const char *prompt, char *buf, size_t cap, lineedit_complete_fn fn, void *ctx);
void lineedit_remember(const char *line);

#endif
