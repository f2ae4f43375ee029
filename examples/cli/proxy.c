/*
 * --proxy and the proxy environment, read as curl reads them, and the
 * proxy port (port/proxy.h) put under TLS or under the session.
 *
 * curl's rules, from libcurl-env(3) and everything.curl.dev "Proxy
 * environment variables": the URL's scheme picks [scheme]_proxy, lowercase
 * first, then uppercase, except http_proxy, read lowercase only (in a CGI
 * program a request's "Proxy:" header sets HTTP_PROXY: "httpoxy"); then
 * ALL_PROXY (all_proxy first). -x "" (our --proxy '') ignores them all.
 * no_proxy (or NO_PROXY) applies unless --noproxy is given, whose value
 * then wins ('' there: every host through the proxy), as CURLOPT_NOPROXY's.
 * A proxy URL without a port means 1080, as curl's.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

struct proxy_url {
	char host[256], user[256], pass[256];
	unsigned port;
	bool has_pass;
};

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static const char *env_proxy(bool https, const char **name)
{
	const char *tab[] = {https ? "https_proxy" : "http_proxy", https ? "HTTPS_PROXY" : NULL,
			     "all_proxy", "ALL_PROXY"};
	size_t i;
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i] && env_nonempty(tab[i]))
			return *name = tab[i], getenv(tab[i]);
	return NULL;
}

/* An address entry of the list, "10.0.0.0/8" or "::1", against an IP host. */
static bool ip_match(const char *host, const char *e, size_t n)
{
	unsigned char a[16], b[16];
	char buf[64], *slash;
	int fam = strchr(host, ':') ? AF_INET6 : AF_INET, max = fam == AF_INET6 ? 128 : 32, bits;
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, e, n);
	buf[n] = 0;
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = 0;
	bits = slash ? atoi(slash) : max;
	if (bits < 0 || bits > max || inet_pton(fam, host, a) != 1 || inet_pton(fam, buf, b) != 1)
		return false;
	if (memcmp(a, b, (size_t)bits / 8))
		return false;
	return bits % 8 == 0 || !((a[bits / 8] ^ b[bits / 8]) & (0xff00 >> (bits % 8)));
}

static bool is_ip(const char *h)
{
	unsigned char a[16];
	return inet_pton(AF_INET, h, a) == 1 || inet_pton(AF_INET6, h, a) == 1;
}

/* CURLOPT_NOPROXY(3): a comma-separated list; "*" matches every host; a
 * name matches the host itself or a domain holding it ("ample.com" matches
 * www.ample.com, not www.example.com), with or without a leading dot; IP
 * addresses (IPv6 without brackets) match as addresses, "/bits" as CIDR
 * (curl 7.86). Case-insensitive, spaces around entries ignored. */
static bool noproxy_match(const char *list, const char *host)
{
	size_t hl = strlen(host);
	bool ip = is_ip(host);
	while (*list) {
		const char *e;
		size_t n;
		list += strspn(list, ", \t");
		e = list;
		n = strcspn(e, ",");
		list += n;
		while (n && (e[n - 1] == ' ' || e[n - 1] == '\t'))
			n--;
		if (n == 1 && e[0] == '*')
			return true;
		if (ip) {
			if (n && ip_match(host, e, n))
				return true;
			continue;
		}
		if (n && e[0] == '.')
			e++, n--;
		if (n && e[n - 1] == '.')
			n--;
		if (n && n <= hl && !strncasecmp(host + hl - n, e, n) &&
		    (hl == n || host[hl - n - 1] == '.'))
			return true;
	}
	return false;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* URL userinfo is percent-encoded (RFC 3986 3.2.1). */
static bool pct_copy(char *out, size_t cap, const char *s, size_t n)
{
	size_t i, o = 0;
	for (i = 0; i < n; i++) {
		int hi, lo;
		if (o + 1 >= cap)
			return false;
		if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
		    (lo = hexval(s[i + 2])) >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = 0;
	return true;
}

/* [http://][user[:password]@]host[:port][/]; "[v6]" bracketed. */
static int parse_url(const char *url, struct proxy_url *u, const char *from)
{
	const char *p = url, *end, *at, *colon, *h, *he;
	unsigned long port = 1080;
	char *num_end;
	memset(u, 0, sizeof(*u));
	if (strstr(p, "://")) {
		if (strncasecmp(p, "http://", 7))
			return cli_error("%s: only http:// proxies: '%.*s' is not supported", from,
					 (int)(strstr(p, "://") - p), p),
			       -1;
		p += 7;
	}
	end = p + strcspn(p, "/?#");
	for (at = end; at > p && at[-1] != '@'; at--)
		;
	if (at > p) {
		colon = memchr(p, ':', (size_t)(at - 1 - p));
		if (!pct_copy(u->user, sizeof(u->user), p,
			      (size_t)((colon ? colon : at - 1) - p)) ||
		    (colon &&
		     !pct_copy(u->pass, sizeof(u->pass), colon + 1, (size_t)(at - 2 - colon))))
			return cli_error("%s: proxy user or password too long", from), -1;
		u->has_pass = colon != NULL;
		p = at;
	}
	if (*p == '[') {
		h = p + 1;
		he = memchr(h, ']', (size_t)(end - h));
		if (!he)
			return cli_error("%s: bad proxy address '%s'", from, url), -1;
		p = he + 1;
	} else {
		h = p;
		he = memchr(p, ':', (size_t)(end - p));
		he = he ? he : end;
		p = he;
	}
	if (*p == ':' && p + 1 < end) {
		errno = 0;
		port = strtoul(p + 1, &num_end, 10);
		if (errno || num_end != end || !port || port > 65535)
			return cli_error("%s: bad proxy port in '%s'", from, url), -1;
	} else if (p != end && !(*p == ':' && p + 1 == end)) {
		return cli_error("%s: bad proxy address '%s'", from, url), -1;
	}
	if (he == h || (size_t)(he - h) >= sizeof(u->host))
		return cli_error("%s: bad proxy host in '%s'", from, url), -1;
	memcpy(u->host, h, (size_t)(he - h));
	u->port = (unsigned)port;
	return 0;
}

/* WRSH_PROXY_PASSWORD is read once and wiped from the environment (as
 * WRSH_PASSWORD is), the copy kept for the run: fan-out opens many. */
static char env_pw[256];
static bool env_pw_read, env_pw_set;

static int proxy_password(const struct conn_opts *o, struct proxy_url *u)
{
	char *env;
	if (o->proxy_password_file) {
		FILE *f = fopen(o->proxy_password_file, "r");
		if (!f)
			return cli_error("cannot read proxy password file %s: %s",
					 o->proxy_password_file, strerror(errno)),
			       -1;
		if (!fgets(u->pass, sizeof(u->pass), f))
			u->pass[0] = 0;
		fclose(f);
		u->pass[strcspn(u->pass, "\r\n")] = 0;
		return 0;
	}
	if (!env_pw_read && (env = getenv("WRSH_PROXY_PASSWORD"))) {
		snprintf(env_pw, sizeof(env_pw), "%s", env);
		wrsh_wipe(env, strlen(env));
		env_pw_set = true;
	}
	env_pw_read = true;
	if (env_pw_set)
		return snprintf(u->pass, sizeof(u->pass), "%s", env_pw), 0;
	if (u->has_pass)
		return 0;
	return cli_error("proxy user %s: no password: set WRSH_PROXY_PASSWORD or use "
			 "--proxy-password-file",
			 u->user),
	       -1;
}

/* see cli.h */
int proxy_setup(struct conn *c, const char *host)
{
	const struct conn_opts *o = &c->o;
	const char *from = "--proxy", *url = o->proxy ? o->proxy : env_proxy(o->https, &from);
	const char *np = o->noproxy		    ? o->noproxy
			 : env_nonempty("no_proxy") ? getenv("no_proxy")
						    : getenv("NO_PROXY");
	struct proxy_url u;
	struct wrsh_proxy_opts po;
	struct wrsh_port out;
	wrsh_err e;
	if (!url || !*url || (np && noproxy_match(np, host)))
		return 0;
	if (parse_url(url, &u, from))
		return 2;
	if (u.has_pass && o->proxy)
		return wrsh_wipe(&u, sizeof(u)),
		       cli_error("--proxy: no password on the command line; set "
				 "WRSH_PROXY_PASSWORD or use --proxy-password-file"),
		       2;
	if (u.user[0] && proxy_password(o, &u))
		return wrsh_wipe(&u, sizeof(u)), CLI_EXIT_ERROR;
	memset(&po, 0, sizeof(po));
	po.host = u.host;
	po.port = (uint16_t)u.port;
	po.user = u.user[0] ? u.user : NULL;
	po.password = u.pass;
	/* HTTPS always tunnels: TLS runs end to end, the proxy sees records */
	po.tunnel = o->https || o->proxy_tunnel;
	e = wrsh_proxy_wrap(&out, &c->proxy_ctx, &c->plain, &po);
	wrsh_wipe(&u, sizeof(u));
	if (e)
		return cli_error("proxy: user name or password too long"), 2;
	c->plain = out;
	c->proxy_on = true;
	if (o->verbose) {
		const char *h = c->proxy_ctx.host;
		fprintf(stderr, "* proxy %s%s%s:%u (%s, from %s)\n", strchr(h, ':') ? "[" : "", h,
			strchr(h, ':') ? "]" : "", (unsigned)c->proxy_ctx.port,
			po.tunnel ? "CONNECT tunnel" : "absolute URLs", from);
	}
	return 0;
}

void proxy_session_opts(const struct conn *c, struct wrsh_opts *wo)
{
	if (!c->proxy_on || c->proxy_ctx.tunnel)
		return;
	wo->proxy_absolute = true;
	wo->proxy_header = wrsh_proxy_header(&c->proxy_ctx);
}
