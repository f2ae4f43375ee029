/*
 * The little of krb5.conf (MIT's profile format, krb5.conf(5)) wrsh needs
 * to find a KDC as kinit would: [libdefaults] default_realm and
 * dns_lookup_kdc, a realm's first `kdc = [udp/|tcp/]host[:port]` under
 * [realms], and a host's realm under [domain_realm]. The file is
 * $KRB5_CONFIG (the first of its colon-separated paths that opens) or /etc/krb5.conf. Nothing is resolved here: DNS SRV
 * records are the library's to look up, through the KDC's port.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

static FILE *open_conf(void)
{
	const char *env = getenv("KRB5_CONFIG");
	char path[1024];
	FILE *f;
	while (env && *env) {
		size_t n = strcspn(env, ":");
		if (n && n < sizeof(path)) {
			memcpy(path, env, n);
			path[n] = 0;
			if ((f = fopen(path, "r")))
				return f;
		}
		env += n + (env[n] == ':');
	}
	return env ? NULL : fopen("/etc/krb5.conf", "r");
}

static char *trim(char *s)
{
	char *e;
	while (isspace((unsigned char)*s))
		s++;
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
		;
	*e = 0;
	return s;
}

/* key's value in [section] (inside "realm = { ... }" when realm is set). */
static int lookup(const char *section, const char *realm, const char *key, char *out, size_t cap)
{
	char line[1024], sect[64] = "", *s, *eq;
	int depth = 0, inside = 0, found = -1;
	FILE *f = open_conf();
	if (!f)
		return -1;
	while (found < 0 && fgets(line, sizeof(line), f)) {
		s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[' && !depth) {
			snprintf(sect, sizeof(sect), "%.*s", (int)strcspn(s + 1, "]"), s + 1);
			continue;
		}
		if (*s == '}') {
			depth -= depth > 0;
			inside = inside && depth > 0;
			continue;
		}
		if (!(eq = strchr(s, '=')) || strcmp(sect, section))
			continue;
		*eq = 0;
		if (!strcmp(trim(eq + 1), "{")) { /* a subsection */
			depth++;
			inside = depth == 1 && realm && !strcmp(trim(s), realm);
			continue;
		}
		if (depth == (realm ? 1 : 0) && (!realm || inside) && !strcmp(trim(s), key)) {
			snprintf(out, cap, "%s", trim(eq + 1));
			found = 0;
		}
	}
	fclose(f);
	return found;
}

int krb5conf_default_realm(char *out, size_t cap)
{
	return lookup("libdefaults", NULL, "default_realm", out, cap);
}

/* MIT's "udp/" and "tcp/" prefixes; without one wrsh asks over TCP, as
 * Windows does (MIT tries UDP first). */
int krb5conf_kdc_spec(const char *s, char *host, size_t cap, unsigned *port, bool *udp)
{
	*udp = !strncmp(s, "udp/", 4);
	return krb5conf_host_port(*udp || !strncmp(s, "tcp/", 4) ? s + 4 : s, host, cap, port);
}

int krb5conf_kdc(const char *realm, char *host, size_t cap, unsigned *port, bool *udp)
{
	char v[300];
	if (lookup("realms", realm, "kdc", v, sizeof(v)))
		return -1;
	return krb5conf_kdc_spec(v, host, cap, port, udp);
}

/* [domain_realm] as MIT's krb5_get_host_realm reads it: the host's own
 * name, then each domain it is in, closest first, with its leading dot
 * and without ("web.b.example", ".b.example", "b.example", ".example"...). */
int krb5conf_host_realm(const char *host, char *out, size_t cap)
{
	char name[256];
	const char *p;
	size_t i, n = strlen(host);
	if (!n || n >= sizeof(name))
		return -1;
	for (i = 0; i <= n; i++)
		name[i] = (char)tolower((unsigned char)host[i]);
	for (p = name; p && *p; p = *p == '.' ? p + 1 : strchr(p, '.'))
		if (!lookup("domain_realm", NULL, p, out, cap))
			return 0;
	return -1;
}

/* [libdefaults] dns_lookup_kdc, true unless said otherwise (MIT's default) */
bool krb5conf_dns_lookup_kdc(void)
{
	char v[16];
	if (lookup("libdefaults", NULL, "dns_lookup_kdc", v, sizeof(v)))
		return true;
	return !(!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0") ||
		 !strcasecmp(v, "off"));
}

/* "host", "host:port", "[v6]" or "[v6]:port". */
int krb5conf_host_port(const char *s, char *host, size_t cap, unsigned *port)
{
	const char *end, *colon;
	char *stop;
	unsigned long p = 0;
	if (*s == '[') {
		if (!(end = strchr(s, ']')))
			return -1;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon)
			return -1;
		s++;
	} else {
		colon = strchr(s, ':');
		end = colon ? colon : s + strlen(s);
		if (colon && strchr(colon + 1, ':')) /* a bare IPv6 literal */
			colon = NULL, end = s + strlen(s);
	}
	if (end == s || (size_t)(end - s) >= cap)
		return -1;
	if (colon) {
		p = strtoul(colon + 1, &stop, 10);
		if (*stop || !p || p > 65535 || !colon[1])
			return -1;
	}
	memcpy(host, s, (size_t)(end - s));
	host[end - s] = 0;
	*port = (unsigned)p;
	return 0;
}
