/*
 * The connection options every applet shares, and the plumbing behind them.
 * This is the CLI, not the library: it may use stdio and allocate its one
 * arena buffer.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

#ifndef CONFIG_WRSH_CLI_ARENA
#define CONFIG_WRSH_CLI_ARENA 262144
#endif
#ifndef CONFIG_WRSH_WSMAN_TRACE
#define CONFIG_WRSH_WSMAN_TRACE 1
#endif

#define SYSTEM_CA "/etc/ssl/certs/ca-certificates.crt"

enum {
	OPT_HTTPS = 1000,
	OPT_CACERT,
	OPT_PIN,
	OPT_ALLOW_UNENCRYPTED,
	OPT_TIMEOUT,
	OPT_MEM,
	OPT_ENVELOPE,
	OPT_STATS,
	OPT_PASSWORD_FILE,
	OPT_NT_HASH_FILE,
	OPT_SEAL_HTTPS,
	OPT_CERT,
	OPT_KEY,
	OPT_CRL,
	OPT_REALM,
	OPT_KDC,
	OPT_SPN,
	OPT_NO_NTLM,
	OPT_KEYTAB,
	OPT_CCACHE,
	OPT_TLS_SESSION,
	OPT_PROXY,
	OPT_NOPROXY,
	OPT_PROXY_PASSWORD_FILE,
	OPT_PROXY_TUNNEL,
	OPT_CONTROL,
	OPT_HELP
};

static const struct option conn_longopts[] = {
	{"host", required_argument, NULL, 'H'},
	{"port", required_argument, NULL, 'p'},
	{"https", no_argument, NULL, OPT_HTTPS},
	{"user", required_argument, NULL, 'u'},
	{"auth", required_argument, NULL, 'a'},
	{"cacert", required_argument, NULL, OPT_CACERT},
	{"pin", required_argument, NULL, OPT_PIN},
	{"insecure", no_argument, NULL, 'k'},
	{"allow-unencrypted", no_argument, NULL, OPT_ALLOW_UNENCRYPTED},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"mem", required_argument, NULL, OPT_MEM},
	{"envelope", required_argument, NULL, OPT_ENVELOPE},
	{"stats", no_argument, NULL, OPT_STATS},
	{"verbose", no_argument, NULL, 'v'},
	{"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
	{"nt-hash-file", required_argument, NULL, OPT_NT_HASH_FILE},
	{"seal-https", no_argument, NULL, OPT_SEAL_HTTPS},
	{"cert", required_argument, NULL, OPT_CERT},
	{"key", required_argument, NULL, OPT_KEY},
	{"crl", required_argument, NULL, OPT_CRL},
	{"realm", required_argument, NULL, OPT_REALM},
	{"kdc", required_argument, NULL, OPT_KDC},
	{"spn", required_argument, NULL, OPT_SPN},
	{"no-ntlm", no_argument, NULL, OPT_NO_NTLM},
	{"keytab", required_argument, NULL, OPT_KEYTAB},
	{"ccache", required_argument, NULL, OPT_CCACHE},
	{"tls-session", required_argument, NULL, OPT_TLS_SESSION},
	{"control", required_argument, NULL, OPT_CONTROL},
	{"proxy", required_argument, NULL, OPT_PROXY},
	{"noproxy", required_argument, NULL, OPT_NOPROXY},
	{"proxy-password-file", required_argument, NULL, OPT_PROXY_PASSWORD_FILE},
	{"proxy-tunnel", no_argument, NULL, OPT_PROXY_TUNNEL},
	{"help", no_argument, NULL, OPT_HELP},
};
#define NCONN (sizeof(conn_longopts) / sizeof(conn_longopts[0]))

#if CONFIG_WRSH_CLI_FANOUT
#define USAGE_HOST                                                                                \
	"  -H, --host HOST          Windows host: name, IPv4 or IPv6 ([::1] or ::1); many:\n"     \
	"                           -H a,b:5986,c or -H @FILE (host[:port] a line, # comments)\n" \
	"      --throttle N         many hosts: at most N at once (default 32)\n"                 \
	"      --no-prefix          many hosts: no \"host: \" before each output line\n"
#else
#define USAGE_HOST "  -H, --host HOST          Windows host: name, IPv4 or IPv6 ([::1] or ::1)\n"
#endif
#if CONFIG_WRSH_CLI_PROXY
#define USAGE_PROXY                                                                         \
	"      --proxy http://[USER@]HOST[:PORT]  HTTP proxy (default port 1080; '' for\n"  \
	"                           none); default: https_proxy, HTTPS_PROXY, http_proxy\n" \
	"                           or ALL_PROXY as curl reads them\n"                      \
	"      --noproxy LIST       hosts reached directly: names, .domains, IPs, CIDRs,\n" \
	"                           '*' for all (default: no_proxy or NO_PROXY)\n"          \
	"      --proxy-password-file FILE  the proxy user's password (else\n"               \
	"                           WRSH_PROXY_PASSWORD)\n"                                 \
	"      --proxy-tunnel       plain HTTP through CONNECT too, not absolute URLs\n"
#else
#define USAGE_PROXY ""
#endif

#if CONFIG_WRSH_TLS_RESUME
#define USAGE_TLS_SESSION                                                                     \
	"      --tls-session PATH   keep the TLS session in PATH (mode 0600; a folder: a\n"   \
	"                           file per host) and resume it next time: no certificate\n" \
	"                           exchange\n"
#else
#define USAGE_TLS_SESSION ""
#endif

static const char conn_usage[] =
	"connection options:\n" USAGE_HOST
	"  -p, --port PORT          default 5985, or 5986 with --https\n"
	"      --https              TLS; the certificate is verified unless -k\n"
	"  -u, --user USER          user, DOMAIN\\user or user@domain\n"
	"  -a, --auth METHOD        negotiate (default: Kerberos when a realm is named and\n"
	"                           has a KDC, or kinit's cache; else NTLM), ntlm, kerberos,\n"
	"                           basic, certificate\n"
	"      --cacert FILE        trusted CAs (default " SYSTEM_CA ")\n"
	"      --pin SHA256HEX      accept exactly this server certificate\n" USAGE_TLS_SESSION
	"  -k, --insecure           no TLS verification at all\n"
	"      --crl FILE           revocation lists (PEM or DER): refuse a revoked server\n"
	"                           certificate, and one whose issuer has no current CRL\n"
	"      --allow-unencrypted  allow Basic and plain bodies over HTTP\n"
	"      --timeout SECONDS    connect, TLS handshake, sending a request, an answer\n"
	"                           after its first byte: each as a whole (default 30)\n"
	"      --mem BYTES          arena size (default "
	"%u"
	")\n"
	"      --envelope BYTES     largest answer to ask for (MaxEnvelopeSize; default "
	"%u"
	",\n"
	"                           sealed "
	"%u"
	": held whole until verified, so larger costs arena;\n"
	"                           fewer requests per MiB on a slow link)\n"
	"      --stats              print memory and traffic figures at exit\n"
	"  -v, --verbose            trace the protocol on stderr (no secrets)\n"
	"      --password-file FILE read the password from FILE\n"
	"      --nt-hash-file FILE  NTLM: the NT hash (32 hex digits) instead of a password\n"
	"      --seal-https         NTLM: seal messages over HTTPS too\n"
	"      --cert FILE          TLS client certificate (PEM; implies -a certificate)\n"
	"      --key FILE           its private key (PEM, unencrypted; default: --cert FILE)\n"
	"      --realm REALM        Kerberos: the user's realm (default: after user@, the\n"
	"                           DOMAIN of DOMAIN\\user, or krb5.conf's default_realm)\n"
	"      --kdc [udp/]HOST[:PORT]  Kerberos: the KDC, over TCP, or UDP first (default:\n"
	"                           the realm's in krb5.conf, else DNS SRV _kerberos._tcp)\n"
	"      --spn SPN            the service's name (default HTTP/HOST; WSMAN/ or HOST/)\n"
	"      --no-ntlm            negotiate: Kerberos or nothing (no NTLM when it fails)\n"
	"      --keytab FILE        Kerberos: the user's key from a keytab, not a password\n"
	"      --ccache FILE        Kerberos: tickets from FILE when it has good ones, else\n"
	"                           from the KDC, then kept in FILE for the next run\n"
	"      --control PATH       through the warm session of `wrsh master --control PATH`\n"
	"                           (no -H, no credentials, no new handshake)\n" USAGE_PROXY
	"The password comes from WRSH_PASSWORD, --password-file, or a prompt on the\n"
	"terminal (an NT hash from WRSH_NT_HASH or --nt-hash-file); never from the\n"
	"command line; -a kerberos without them uses kinit's ticket cache (KRB5CCNAME).\n"
	"Over HTTP, Negotiate seals every message (the Windows default).\n";

void cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("wrsh: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int show_usage(FILE *f, int status)
{
	fprintf(f, "usage: %s", cli_applet->usage);
	fprintf(f, conn_usage, (unsigned)CONFIG_WRSH_CLI_ARENA,
		(unsigned)CONFIG_WRSH_WSMAN_MAX_ENVELOPE,
		(unsigned)wrsh_build_info()->seal_max); /* 0 without NTLM */
	return status;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || *s == '-')
		return false;
	*out = v;
	return true;
}

static int conn_option(struct conn_opts *o, int c, const char *arg)
{
	unsigned long v;
	switch (c) {
	case 'H':
		if (!CONFIG_WRSH_CLI_FANOUT && (strchr(arg, ',') || *arg == '@'))
			return cli_error("-H %s: many hosts are not built into this wrsh", arg), 2;
		o->host = arg;
		break;
	case 'u':
		o->user = arg;
		break;
	case 'a':
		o->auth = arg;
		break;
	case 'k':
		o->insecure = true;
		break;
	case 'v':
		o->verbose = true;
		break;
	case OPT_HTTPS:
		o->https = true;
		break;
	case OPT_CACERT:
		o->cacert = arg;
		break;
	case OPT_PIN:
		o->pin = arg;
		break;
	case OPT_ALLOW_UNENCRYPTED:
		o->allow_unencrypted = true;
		break;
	case OPT_STATS:
		o->stats = true;
		break;
	case OPT_NT_HASH_FILE:
		o->nt_hash_file = arg;
		break;
	case OPT_SEAL_HTTPS:
		o->seal_https = true;
		break;
	case OPT_CERT:
		o->cert = arg;
		break;
	case OPT_KEY:
		o->key = arg;
		break;
	case OPT_CRL:
		o->crl = arg;
		break;
	case OPT_PASSWORD_FILE:
		o->password_file = arg;
		break;
	case OPT_REALM:
		o->realm = arg;
		break;
	case OPT_KDC:
		o->kdc = arg;
		break;
	case OPT_SPN:
		o->spn = arg;
		break;
	case OPT_NO_NTLM:
		o->no_ntlm = true;
		break;
	case OPT_KEYTAB:
		o->keytab = arg;
		break;
	case OPT_CCACHE:
		o->ccache = arg;
		break;
	case OPT_TLS_SESSION:
		if (!CONFIG_WRSH_TLS_RESUME)
			return cli_error("--tls-session: TLS session resumption is not built into "
					 "this wrsh"),
			       2;
		o->tls_session = arg;
		break;
	case OPT_CONTROL:
		o->control = arg;
		break;
	case OPT_PROXY:
		o->proxy = arg;
		break;
	case OPT_NOPROXY:
		o->noproxy = arg;
		break;
	case OPT_PROXY_PASSWORD_FILE:
		o->proxy_password_file = arg;
		break;
	case OPT_PROXY_TUNNEL:
		o->proxy_tunnel = true;
		break;
	case 'p':
		if (!parse_uint(arg, 65535, &v) || !v)
			return cli_error("bad port '%s'", arg), 2;
		o->port = (unsigned)v;
		break;
	case OPT_TIMEOUT:
		if (!parse_uint(arg, 86400, &v) || !v)
			return cli_error("bad timeout '%s'", arg), 2;
		o->timeout_s = (unsigned)v;
		break;
	case OPT_MEM:
		if (!parse_uint(arg, 1ul << 30, &v) || v < 4096)
			return cli_error("bad arena size '%s' (4096 .. 1 GiB)", arg), 2;
		o->mem = v;
		break;
	case OPT_ENVELOPE: /* Windows refuses less than 8 KB */
		if (!parse_uint(arg, CONFIG_WRSH_WSMAN_MAX_ENVELOPE, &v) || v < 8192)
			return cli_error("bad envelope size '%s' (8192 .. %u)", arg,
					 (unsigned)CONFIG_WRSH_WSMAN_MAX_ENVELOPE),
			       2;
		o->envelope = (uint32_t)v;
		break;
	default:
		return -1;
	}
	return 0;
}

int conn_parse(int argc, char **argv, struct conn_opts *o, const struct applet_opts *ao,
	       int *status)
{
	struct option all[64];
	char shorts[64];
	size_t n = 0, i;
	int c;
	memset(o, 0, sizeof(*o));
	o->mem = CONFIG_WRSH_CLI_ARENA;
	for (i = 0; i < NCONN; i++)
		all[n++] = conn_longopts[i];
	for (i = 0; ao && ao->longopts && ao->longopts[i].name && n < 63; i++)
		all[n++] = ao->longopts[i];
	memset(&all[n], 0, sizeof(all[n]));
	/* '+': stop at the first operand, so a remote command's own options
	 * (dir /s, ping -t) are left alone even without "--". An applet whose
	 * shortopts start with '-' takes options anywhere and gets each
	 * operand in order as option 1 (getopt's "-" mode). */
	if (ao && ao->shortopts && ao->shortopts[0] == '-')
		snprintf(shorts, sizeof(shorts), "-H:p:u:a:kv%s", ao->shortopts + 1);
	else
		snprintf(shorts, sizeof(shorts), "+H:p:u:a:kv%s",
			 ao && ao->shortopts ? ao->shortopts : "");
	optind = 1;
	while ((c = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
		int r;
		if (c == OPT_HELP) {
			*status = show_usage(stdout, 0);
			return -1;
		}
		if (c == '?') {
			*status = show_usage(stderr, 2);
			return -1;
		}
		r = conn_option(o, c, optarg);
		if (r < 0 && ao && ao->handle)
			r = ao->handle(ao->ctx, c, optarg);
		if (r) {
			*status = r < 0 ? 2 : r;
			return -1;
		}
	}
	if (o->control && !o->host && strcmp(cli_applet->name, "master"))
		o->host = "localhost"; /* the master's host is the one that counts */
	if (!o->host) {
		cli_error("no host: -H HOST");
		*status = 2;
		return -1;
	}
	return optind;
}

/* ---- credentials ----------------------------------------------------- */

static size_t chomp(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
	return n;
}

static int read_password_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return cli_error("cannot read password file %s: %s", path, strerror(errno)), -1;
	if (!fgets(buf, (int)cap, f))
		buf[0] = 0;
	fclose(f);
	chomp(buf);
	return 0;
}

/* Prompt on the controlling terminal with echo off. */
static int prompt_password(const char *user, const char *host, char *buf, size_t cap)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	FILE *tty;
	if (fd < 0)
		return cli_error("no password: set WRSH_PASSWORD, use --password-file, or run on a "
				 "terminal"),
		       -1;
	tty = fdopen(fd, "r+");
	if (!tty)
		return close(fd), -1;
	/* unbuffered: no copy of the password stays in stdio's buffer */
	setvbuf(tty, NULL, _IONBF, 0);
	/* echo off before the prompt shows (and without TCSAFLUSH), so that
	 * what is typed as soon as it appears is neither echoed nor lost */
	tcgetattr(fd, &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fd, TCSANOW, &quiet);
	fprintf(tty, "Password for %s@%s: ", user, host);
	if (!fgets(buf, (int)cap, tty))
		buf[0] = 0;
	tcsetattr(fd, TCSANOW, &old);
	fputc('\n', tty);
	fclose(tty);
	chomp(buf);
	return 0;
}

const char *cli_password;
int cli_status_fd = -1;

int conn_prompt_password(const char *user, const char *host, char *buf, size_t cap)
{
	return prompt_password(user, host, buf, cap);
}

static int get_password(const struct conn_opts *o, char *buf, size_t cap)
{
	char *env = getenv("WRSH_PASSWORD");
	if (cli_password) { /* asked once for many hosts (fanout.c) */
		snprintf(buf, cap, "%s", cli_password);
		return 0;
	}
	if (o->password_file)
		return read_password_file(o->password_file, buf, cap);
	if (env) {
		snprintf(buf, cap, "%s", env);
		/* the copy in the environment is wiped too: /proc/PID/environ
		 * shows that memory to anyone who may read the process */
		wrsh_wipe(env, strlen(env));
		return 0;
	}
	return prompt_password(o->user, o->host, buf, cap);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* n bytes from exactly 2n hex digits (no sign, no spaces: what sscanf's
 * %x would let through, and scanf would cost 10 KB of a static binary) */
static bool hex_bytes(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		int hi = hex_digit(s[2 * i]), lo = hi < 0 ? -1 : hex_digit(s[2 * i + 1]);
		if (lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* An NT hash instead of a password, as workgroup admins keep them:
 * --nt-hash-file FILE or WRSH_NT_HASH, 32 hex digits. 1 found, 0 none,
 * -1 malformed. */
static int get_nt_hash(const struct conn_opts *o, uint8_t out[16])
{
	char buf[80] = "", *env = getenv("WRSH_NT_HASH");
	int ok;
	if (o->nt_hash_file) {
		if (read_password_file(o->nt_hash_file, buf, sizeof(buf)))
			return -1;
	} else if (env) {
		snprintf(buf, sizeof(buf), "%s", env);
		wrsh_wipe(env, strlen(env));
	} else {
		return 0;
	}
	ok = strlen(buf) == 32 && hex_bytes(buf, out, 16);
	wrsh_wipe(buf, sizeof(buf));
	if (!ok)
		cli_error("an NT hash is 32 hex digits");
	return ok ? 1 : -1;
}

static int parse_auth(const char *s, enum wrsh_auth *a)
{
	static const struct {
		const char *name;
		enum wrsh_auth auth;
	} tab[] = {{"negotiate", WRSH_AUTH_NEGOTIATE},
		   {"ntlm", WRSH_AUTH_NTLM},
		   {"kerberos", WRSH_AUTH_KERBEROS},
		   {"basic", WRSH_AUTH_BASIC},
		   {"certificate", WRSH_AUTH_CERTIFICATE}};
	size_t i;
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(s, tab[i].name)) {
			*a = tab[i].auth;
			return 0;
		}
	cli_error("unknown authentication '%s' (negotiate, ntlm, kerberos, basic, certificate)", s);
	return -1;
}

/* ---- tracing ------------------------------------------------------------ */

/* -v: every line gets its direction as a prefix; bytes stay as they are. */
static void trace(void *ctx, const char *dir, const char *text, size_t len)
{
	struct conn *c = ctx;
	size_t i, start = 0;
	if (c->trace_col && c->trace_dir != *dir) {
		fputc('\n', stderr); /* the other side speaks: new line */
		c->trace_col = 0;
	}
	c->trace_dir = *dir;
	for (i = 0; i < len; i++) {
		if (!c->trace_col)
			fprintf(stderr, "%c ", *dir);
		c->trace_col = 1;
		if (text[i] == '\n') {
			fwrite(text + start, 1, i + 1 - start, stderr);
			start = i + 1;
			c->trace_col = 0;
		}
	}
	fwrite(text + start, 1, len - start, stderr);
	if (*dir == '*' && c->trace_col) {
		fputc('\n', stderr);
		c->trace_col = 0;
	}
}

/* ---- TLS -------------------------------------------------------------- */

static int parse_pin(const char *s, uint8_t out[32])
{
	if (strlen(s) == 64 && hex_bytes(s, out, 32))
		return 0;
	cli_error("--pin needs the 64 hex digits of a SHA-256");
	return -1;
}

/* A whole PEM file, NUL-terminated as mbedTLS wants it; len counts the NUL. */
static int read_pem(const char *path, char *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;
	if (!f)
		return cli_error("cannot read %s: %s", path, strerror(errno)), -1;
	n = fread(buf, 1, cap, f);
	fclose(f);
	if (n == cap)
		return cli_error("%s: larger than %zu bytes", path, cap - 1), -1;
	buf[n] = 0;
	*len = n + 1;
	return 0;
}

static int load_client_cert(struct conn *c, struct wrsh_tls_opts *t)
{
	if (read_pem(c->o.cert, c->cert_pem, sizeof(c->cert_pem), &t->client_cert_pem_len) ||
	    read_pem(c->o.key ? c->o.key : c->o.cert, c->key_pem, sizeof(c->key_pem),
		     &t->client_key_pem_len))
		return wrsh_wipe(c->key_pem, sizeof(c->key_pem)), -1;
	if (strstr(c->key_pem, "ENCRYPTED"))
		return wrsh_wipe(c->key_pem, sizeof(c->key_pem)),
		       cli_error("%s: an encrypted key; decrypt it first (openssl pkey -in KEY)",
				 c->o.key ? c->o.key : c->o.cert),
		       -1;
	t->client_cert_pem = c->cert_pem;
	t->client_key_pem = c->key_pem;
	return 0;
}

/* The library's warnings (a pinned certificate that expired): one line. */
static void tls_warn(void *ctx, const char *msg)
{
	(void)ctx;
	cli_error("warning: %s", msg);
}

#if CONFIG_WRSH_TLS_RESUME
/* --tls-session PATH: the session the last run to this host kept, in PATH,
 * or in PATH/HOST_PORT where PATH is a folder (many hosts). A file that is
 * not the user's own, of mode 0600, is neither read nor replaced. */
static void open_tls_session(struct conn *c, const char *host, struct wrsh_tls_opts *t)
{
	const char *p = c->o.tls_session;
	struct stat st;
	char *path = c->tls_sess_path;
	if (!stat(p, &st) && S_ISDIR(st.st_mode))
		snprintf(path, sizeof(c->tls_sess_path), "%s/%s_%u", p, host,
			 c->o.port ? c->o.port : 5986);
	else
		snprintf(path, sizeof(c->tls_sess_path), "%s", p);
	if (cli_private_read(path, c->tls_sess, sizeof(c->tls_sess), &c->tls_sess_len)) {
		cli_error("warning: --tls-session %s: %s; a full handshake", path,
			  errno == EPERM ? "not the user's own file of mode 0600"
					 : strerror(errno));
		path[0] = 0;
		return;
	}
	t->session = c->tls_sess;
	t->session_cap = sizeof(c->tls_sess);
	t->session_len = &c->tls_sess_len;
}

static void save_tls_session(struct conn *c)
{
	if (c->tls_sess_path[0] && c->tls_sess_len &&
	    cli_private_write(c->tls_sess_path, c->tls_sess, c->tls_sess_len))
		cli_error("warning: cannot write the TLS session %s: %s", c->tls_sess_path,
			  strerror(errno));
	wrsh_wipe(c->tls_sess, sizeof(c->tls_sess));
	c->tls_sess_len = 0;
	c->tls_sess_path[0] = 0;
}
#else
static void open_tls_session(struct conn *c, const char *host, struct wrsh_tls_opts *t)
{
	(void)c, (void)host, (void)t;
}

static void save_tls_session(struct conn *c)
{
	(void)c;
}
#endif

static int setup_tls(struct conn *c, const char *host)
{
	struct wrsh_tls_opts t;
	uint8_t pin[32];
	const char *ca = c->o.cacert ? c->o.cacert : SYSTEM_CA;
	wrsh_err e;
	memset(&t, 0, sizeof(t));
	t.server_name = host;
	t.warn = tls_warn;
	if (c->o.pin) {
		if (parse_pin(c->o.pin, pin))
			return -1;
		t.pin_sha256 = pin;
	}
	t.insecure = c->o.insecure;
	if (c->o.insecure)
		cli_error("warning: TLS verification is off (-k): anyone on the path can read "
			  "and change this session");
	if (!t.insecure && !t.pin_sha256) {
		if (posix_map_file(ca, &c->ca_map, &c->ca_len))
			return cli_error("cannot read CA certificates %s: %s", ca, strerror(errno)),
			       -1;
		t.ca_pem = c->ca_map;
		t.ca_pem_len = c->ca_len;
	}
	if (c->o.crl && !t.insecure && !t.pin_sha256) {
		if (posix_map_file(c->o.crl, &c->crl_map, &c->crl_len))
			return cli_error("cannot read CRL %s: %s", c->o.crl, strerror(errno)), -1;
		t.crl = c->crl_map;
		t.crl_len = c->crl_len;
	}
	if (c->o.cert && load_client_cert(c, &t))
		return -1;
	if (c->o.tls_session)
		open_tls_session(c, host, &t);
	e = wrsh_tls_wrap(&c->tls, c->arena, &c->plain, &t);
	wrsh_wipe(c->key_pem, sizeof(c->key_pem)); /* mbedTLS holds its own parsed copy */
	c->tls_on = c->tls.ctx != NULL;		   /* released by conn_close, even half set up */
	if (e == WRSH_EUNSUPPORTED && !c->tls_on)  /* tls/none.c */
		return cli_error("TLS: not built into this wrsh"), -1;
	if (e)
		return cli_error("%s", c->tls.errmsg && *c->tls.errmsg(c->tls.ctx)
					       ? c->tls.errmsg(c->tls.ctx)
					       : wrsh_strerror(e)),
		       -1;
	return 0;
}

/* ---- Kerberos ---------------------------------------------------------- */

#if CONFIG_WRSH_AUTH_KERBEROS
/* kinit's credential cache, when there is one to read: KRB5CCNAME
 * (FILE:PATH or PATH; a KEYRING: or KCM: cache is not a file) or MIT's
 * default, /tmp/krb5cc_UID. Mapped until the session closes. */
static void open_ccache(struct conn *c)
{
	const char *env = c->o.ccache ? c->o.ccache : getenv("KRB5CCNAME");
	char path[1024];
	if (env && !strncmp(env, "FILE:", 5))
		env += 5;
	else if (env && strchr(env, ':') && env[0] != '/')
		return;
	if (env)
		snprintf(path, sizeof(path), "%s", env);
	else
		snprintf(path, sizeof(path), "/tmp/krb5cc_%u", (unsigned)getuid());
	if (posix_map_file(path, &c->cc_map, &c->cc_len))
		c->cc_map = NULL;
}

/* --ccache FILE: the tickets a logon got from the KDC, kept for the next
 * run as kinit keeps them (mode 0600, replaced whole, never through a
 * link); a run that used the cache's tickets leaves it as it is. */
static void save_ccache(struct conn *c)
{
	if (!c->o.ccache || !c->cc_out_len)
		return;
	if (cli_private_write(c->o.ccache, c->cc_out, c->cc_out_len))
		cli_error("warning: cannot write the ticket cache %s: %s", c->o.ccache,
			  strerror(errno));
	wrsh_wipe(c->cc_out, c->cc_out_len);
	c->cc_out_len = 0;
}

static void upper(char *s)
{
	for (; *s; s++)
		*s = (char)toupper((unsigned char)*s);
}

/* Another realm's KDC as krb5.conf names it (a referral's, or the
 * service's); nonzero: none named, the library asks DNS. */
static int realm_kdc(void *ctx, const char *realm, char *host, size_t cap, uint16_t *port,
		     bool *udp)
{
	unsigned p = 0;
	(void)ctx;
	if (krb5conf_kdc(realm, host, cap, &p, udp))
		return -1;
	*port = (uint16_t)p;
	return 0;
}

/* The service's realm where krb5.conf's [domain_realm] puts its host (the
 * SPN's) in another realm than the user's. */
static void service_realm(struct conn *c, struct wrsh_opts *wo)
{
	const char *host = wo->spn && strchr(wo->spn, '/') ? strchr(wo->spn, '/') + 1 : wo->host;
	wo->realm_kdc = realm_kdc;
	if (!host || krb5conf_host_realm(host, c->service_realm, sizeof(c->service_realm)))
		return;
	upper(c->service_realm);
	if (strcmp(c->service_realm, c->realm))
		wo->service_realm = c->service_realm;
}

/* The realm as the library will use it (its rule, so the KDC looked up is
 * the realm's), and its KDC: --kdc, krb5.conf's, or (unless krb5.conf's
 * dns_lookup_kdc is false) the realm's DNS SRV records. For -a kerberos what
 * is missing is an error; for Negotiate it means NTLM, and only a realm
 * named (--realm, user@REALM, DOMAIN\\user) or a ticket cache brings
 * Kerberos in: a machine's krb5.conf alone does not. */
static int setup_kdc(struct conn *c, struct wrsh_opts *wo, bool required)
{
	const char *u = c->o.user ? c->o.user : "", *at = strchr(u, '@'), *bs = strchr(u, '\\');
	bool named = true, udp = false;
	if (c->o.realm)
		snprintf(c->realm, sizeof(c->realm), "%s", c->o.realm);
	else if (at)
		snprintf(c->realm, sizeof(c->realm), "%s", at + 1);
	else if (bs && !(bs == u + 1 && u[0] == '.'))
		snprintf(c->realm, sizeof(c->realm), "%.*s", (int)(bs - u), u);
	else if ((named = false), krb5conf_default_realm(c->realm, sizeof(c->realm)) && !c->cc_map)
		return required
		       ? cli_error("Kerberos: no realm: user@REALM, DOMAIN\\user, --realm, "
				   "or a krb5.conf with default_realm"),
		       2 : 0;
	if (!required && !named && !c->cc_map && !c->o.kdc)
		return 0;
	upper(c->realm);
	wo->krb5_ccache = c->cc_map;
	wo->krb5_ccache_len = c->cc_len;
	wo->krb5_keytab = c->kt_map;
	wo->krb5_keytab_len = c->kt_len;
	if (c->o.ccache) {
		wo->krb5_ccache_out = c->cc_out;
		wo->krb5_ccache_out_cap = sizeof(c->cc_out);
		wo->krb5_ccache_out_len = &c->cc_out_len;
	}
	if (c->o.kdc && krb5conf_kdc_spec(c->o.kdc, c->kdc, sizeof(c->kdc), &c->kdc_port, &udp))
		return cli_error("Kerberos: bad --kdc '%s' ([udp/|tcp/]HOST[:PORT])", c->o.kdc), 2;
	if (!c->o.kdc && krb5conf_kdc(c->realm, c->kdc, sizeof(c->kdc), &c->kdc_port, &udp)) {
		c->kdc[0] = 0; /* none named: DNS SRV records, in the library */
		if (!krb5conf_dns_lookup_kdc()) {
			if (c->cc_map || !required)
				return 0; /* the cache may hold the service's ticket; or NTLM */
			return cli_error("Kerberos: no KDC for %s: --kdc HOST, a krb5.conf naming "
					 "one under [realms], or dns_lookup_kdc = true",
					 c->realm),
			       2;
		}
	}
	posix_kdc_port_init(&c->kdc_stream, &c->kdc_ctx);
	if (!krb5conf_dns_lookup_kdc()) /* nor for the realms on the way */
		c->kdc_stream.resolve_srv = NULL;
	wo->realm = c->realm;
	wo->kdc_host = c->kdc[0] ? c->kdc : NULL;
	wo->kdc_port = (uint16_t)c->kdc_port;
	wo->kdc_udp = udp;
	wo->kdc_stream = &c->kdc_stream;
	service_realm(c, wo);
	return 0;
}
#else
static void open_ccache(struct conn *c)
{
	(void)c;
}

static void save_ccache(struct conn *c)
{
	(void)c;
}

static int setup_kdc(struct conn *c, struct wrsh_opts *wo, bool required)
{
	(void)c, (void)wo, (void)required;
	return 0; /* the library says it is not built in */
}
#endif

/* ---- open / close ------------------------------------------------------------ */

static int start_session(struct conn *c, const char *host, enum wrsh_auth auth, const char *pw,
			 const uint8_t *nt_hash)
{
	struct wrsh_opts wo;
	wrsh_err e;
	memset(&wo, 0, sizeof(wo));
	wo.nt_hash = nt_hash;
	wo.host = host;
	wo.port = (uint16_t)c->o.port;
	wo.https = c->o.https;
	wo.auth = auth;
	wo.user = c->o.user;
	wo.password = pw;
	wo.allow_unencrypted = c->o.allow_unencrypted;
	wo.seal_https = c->o.seal_https;
	wo.timeout_ms = c->o.timeout_s * 1000u;
	wo.max_envelope = c->o.envelope;
	wo.send_buf = c->o.send_buf;
	wo.spn = c->o.spn;
	wo.no_ntlm = c->o.no_ntlm;
	proxy_session_opts(c, &wo);
	if ((auth == WRSH_AUTH_KERBEROS || auth == WRSH_AUTH_NEGOTIATE) && !nt_hash &&
	    setup_kdc(c, &wo, auth == WRSH_AUTH_KERBEROS))
		return 2;
	if (c->o.verbose && !CONFIG_WRSH_WSMAN_TRACE)
		cli_error("warning: -v: tracing is not built into this wrsh");
	if (c->o.verbose) {
		wo.trace = trace;
		wo.trace_ctx = c;
	}
	e = wrsh_open(&c->s, c->arena, c->o.https ? &c->tls : &c->plain, &wo);
	return e ? conn_fail(c, e) : 0;
}

/* --control: the stream is the master's unix socket whatever the session
 * asks for (struct conn holds the posix port's context, so its address
 * leads back to the path) */
static wrsh_err control_connect(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms)
{
	struct conn *c = (struct conn *)((char *)ctx - offsetof(struct conn, posix_ctx));
	(void)host;
	(void)port;
	return c->posix_connect(ctx, c->o.control, 0, timeout_ms);
}

/* A client of a warm session: no credentials and no sealing of its own.
 * The master authenticates and seals; between the two, a socket only this
 * user can open (checked by the port and, on its side, by the master). */
static int open_control(struct conn *c)
{
	struct wrsh_opts wo;
	wrsh_err e;
	if (c->o.https || c->o.user)
		return cli_error(
			       "--control: the master's connection options count; no --https or -u "
			       "here"),
		       2;
	if (!(c->arena_buf = malloc(c->o.mem)))
		return cli_error("cannot allocate %zu bytes of arena", c->o.mem), CLI_EXIT_ERROR;
	c->arena = wrsh_arena_init(c->arena_buf, c->o.mem);
	posix_port_init(&c->plain, &c->posix_ctx);
	c->posix_connect = c->plain.connect;
	c->plain.connect = control_connect;
	memset(&wo, 0, sizeof(wo));
	wo.host = "localhost";
	wo.auth = WRSH_AUTH_NONE;
	wo.allow_unencrypted = true;
	wo.timeout_ms = c->o.timeout_s * 1000u;
	wo.max_envelope = c->o.envelope;
	wo.send_buf = c->o.send_buf;
	if (c->o.verbose) {
		wo.trace = trace;
		wo.trace_ctx = c;
	}
	e = wrsh_open(&c->s, c->arena, &c->plain, &wo);
	if (e) {
		conn_fail(c, e);
		conn_close(c);
		return CLI_EXIT_ERROR;
	}
	return 0;
}

int conn_open(struct conn *c, const struct conn_opts *o, bool need_user)
{
	enum wrsh_auth auth = WRSH_AUTH_NONE;
	char pw[1024] = "", host[256];
	uint8_t hash[16];
	bool have_hash = false;
	int r;
	size_t n = strlen(o->host);
	memset(c, 0, sizeof(*c));
	c->o = *o;
	if (o->control && strcmp(cli_applet->name, "master"))
		return open_control(c);
	/* "[::1]" and "::1" both work; TLS wants the bare literal */
	if (n >= sizeof(host))
		return cli_error("host name too long"), CLI_EXIT_ERROR;
	snprintf(host, sizeof(host), "%s",
		 o->host[0] == '[' && o->host[n - 1] == ']' ? o->host + 1 : o->host);
	if (o->host[0] == '[')
		host[strlen(host) - 1] = 0;
	if ((o->auth || o->user || o->cert) && parse_auth(o->auth   ? o->auth
							  : o->cert ? "certificate"
								    : "negotiate",
							  &auth))
		return 2;
	c->auth = auth;
	if (auth == WRSH_AUTH_CERTIFICATE && (!o->cert || !o->https))
		return cli_error("-a certificate needs --https and --cert FILE"), 2;
	/* kinit's logon when no password is given: -a kerberos, or Negotiate
	 * for no user named (as Windows' single sign-on) */
	if ((auth == WRSH_AUTH_KERBEROS && o->ccache) ||
	    ((auth == WRSH_AUTH_KERBEROS || (auth == WRSH_AUTH_NEGOTIATE && !o->user)) &&
	     !o->keytab && !o->password_file && !getenv("WRSH_PASSWORD") &&
	     !getenv("WRSH_NT_HASH") && !o->nt_hash_file))
		open_ccache(c);
	if (o->keytab && auth != WRSH_AUTH_KERBEROS)
		return cli_error("--keytab needs -a kerberos"), 2;
	if (o->keytab && posix_map_file(o->keytab, &c->kt_map, &c->kt_len))
		return cli_error("cannot read keytab %s: %s", o->keytab, strerror(errno)),
		       CLI_EXIT_ERROR;
	if (need_user && !o->user && auth != WRSH_AUTH_CERTIFICATE && !c->cc_map)
		return cli_error("%s needs -u USER", cli_applet->name), 2;
	c->arena_buf = malloc(o->mem); /* the CLI's one allocation */
	if (!c->arena_buf)
		return cli_error("cannot allocate %zu bytes of arena", o->mem), CLI_EXIT_ERROR;
	c->arena = wrsh_arena_init(c->arena_buf, o->mem);
	posix_port_init(&c->plain, &c->posix_ctx);
	if ((r = proxy_setup(c, host))) { /* c->plain becomes the proxy's port */
		conn_close(c);
		return r;
	}
	if (o->https && setup_tls(c, host)) {
		conn_close(c);
		return CLI_EXIT_ERROR;
	}
	if ((auth == WRSH_AUTH_NTLM || auth == WRSH_AUTH_NEGOTIATE) &&
	    (r = get_nt_hash(o, hash)) != 0) {
		have_hash = r > 0;
		if (r < 0) {
			conn_close(c);
			return 2;
		}
	}
	if ((auth == WRSH_AUTH_BASIC || auth == WRSH_AUTH_NTLM || auth == WRSH_AUTH_NEGOTIATE ||
	     auth == WRSH_AUTH_KERBEROS) &&
	    !have_hash && !c->kt_map &&
	    (!c->cc_map || (o->ccache && (o->password_file || getenv("WRSH_PASSWORD")))) &&
	    get_password(o, pw, sizeof(pw))) {
		conn_close(c);
		return CLI_EXIT_ERROR;
	}
	r = start_session(c, host, auth, pw, have_hash ? hash : NULL);
	wrsh_wipe(pw, sizeof(pw));
	wrsh_wipe(hash, sizeof(hash));
	if (r)
		conn_close(c);
	return r;
}

/*
 * The library's messages describe the condition and never name a flag; the
 * way out is the CLI's to name. One row per (error, situation): the first
 * row whose error matches and whose test holds adds its hint.
 */
static bool cert_unpinned(const struct conn *c)
{
	return !c->o.pin && !c->o.insecure; /* a wrong pin has no way out */
}

static bool basic_in_clear(const struct conn *c)
{
	return c->auth == WRSH_AUTH_BASIC && !c->o.https && !c->o.allow_unencrypted;
}

static bool always(const struct conn *c)
{
	(void)c;
	return true;
}

static const struct {
	wrsh_err err;
	bool (*when)(const struct conn *c);
	const char *hint;
} hints[] = {
	{WRSH_ECERT, cert_unpinned, "use --pin SHA256 to trust it anyway"},
	{WRSH_EAUTH, basic_in_clear, "--https, or --allow-unencrypted to send it anyway"},
	{WRSH_ETIMEDOUT, always, "raise --timeout if it is only slow"},
};

static const char *hint_for(const struct conn *c, wrsh_err e)
{
	size_t i;
	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (hints[i].err == e && hints[i].when(c))
			return hints[i].hint;
	return NULL;
}

int conn_fail(struct conn *c, wrsh_err e)
{
	const char *m = c->s ? wrsh_errmsg(c->s) : "";
	const char *hint = hint_for(c, e);
	unsigned char code = (unsigned char)e;
	cli_error("%s%s%s", *m ? m : wrsh_strerror(e), hint ? "; " : "", hint ? hint : "");
	if (cli_status_fd >= 0 && write(cli_status_fd, &code, 1) != 1)
		cli_status_fd = -1; /* the fan-out's parent has gone: nobody to tell */
	return CLI_EXIT_ERROR;
}

struct posix_port *conn_posix(struct conn *c)
{
	return &c->posix_ctx;
}

void conn_close(struct conn *c)
{
	struct wrsh_stats st;
	save_ccache(c);
	if (c->s) {
		wrsh_get_stats(c->s, &st);
		wrsh_close(c->s);
		c->s = NULL;
		if (c->o.stats)
			fprintf(stderr,
				"wrsh: stats arena_peak=%zu arena_size=%zu requests=%lu "
				"bytes_sent=%llu bytes_received=%llu\n",
				wrsh_arena_peak(c->arena), wrsh_arena_size(c->arena),
				(unsigned long)st.requests, (unsigned long long)st.bytes_sent,
				(unsigned long long)st.bytes_received);
	}
	save_tls_session(c); /* the session's tickets have come by now */
	if (c->tls_on)
		wrsh_tls_release(&c->tls);
	c->tls_on = false;
#if CONFIG_WRSH_CLI_PROXY
	if (c->proxy_on)
		wrsh_proxy_release(&c->proxy_ctx);
#endif
	c->proxy_on = false;
	if (c->ca_map)
		posix_unmap_file(c->ca_map, c->ca_len);
	c->ca_map = NULL;
	if (c->crl_map)
		posix_unmap_file(c->crl_map, c->crl_len);
	c->crl_map = NULL;
	if (c->cc_map)
		posix_unmap_file(c->cc_map, c->cc_len);
	c->cc_map = NULL;
	if (c->kt_map)
		posix_unmap_file(c->kt_map, c->kt_len);
	c->kt_map = NULL;
	if (c->arena_buf) {
		/* what was ever written lies below the peak: wiping more would
		 * only make the untouched pages resident */
		size_t used = wrsh_arena_peak(c->arena);
		wrsh_wipe(c->arena_buf, used && used < c->o.mem ? used : c->o.mem);
		free(c->arena_buf);
	}
	c->arena_buf = NULL;
}
