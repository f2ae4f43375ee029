/* DNS SRV for the POSIX port (see posix.h): the nameservers of
 * /etc/resolv.conf, asked in turn as the C library's resolver does (up to
 * three, its MAXNS; 127.0.0.1 when the file names none), over UDP, and
 * again over TCP when the answer comes back truncated (RFC 7766 5). The
 * messages are port/dns.c's, in the caller's work buffer. */
#include <stdio.h>
#include <string.h>

#include "base/stream.h"
#include "dns.h"
#include "posix.h"

#define NS_MAX 3

/* "nameserver ADDR" into addr: 1, or 0 for any other line. By hand:
 * sscanf would bring 10 KB of the C library into a static binary. */
static int nameserver_of(const char *line, char addr[64])
{
	size_t n;
	line += strspn(line, " \t");
	if (strncmp(line, "nameserver", 10) || !line[10] || !strchr(" \t", line[10]))
		return 0;
	line += 10;
	line += strspn(line, " \t");
	n = strcspn(line, " \t\r\n");
	if (!n || n > 63)
		return 0;
	memcpy(addr, line, n);
	addr[n] = 0;
	return 1;
}

static int nameservers(char ns[NS_MAX][64])
{
	char line[256];
	int n = 0;
	FILE *f = fopen("/etc/resolv.conf", "re");
	while (f && n < NS_MAX && fgets(line, sizeof(line), f))
		n += nameserver_of(line, ns[n]);
	if (f)
		fclose(f);
	if (!n)
		memcpy(ns[n++], "127.0.0.1", 10);
	return n;
}

/* The query q[2..2+qn) to ns (q[0..2) free for TCP's length), the answer
 * into a[0..cap). */
static wrsh_err ask(struct posix_port *pp, const char *ns, int tcp, uint8_t *q, size_t qn,
		    uint8_t *a, size_t cap, size_t *got, uint32_t ms)
{
	struct wrsh_port d;
	wrsh_err r;
	posix_port_init(&d, pp);
	if (!tcp) {
		if (!(r = posix_connect_dgram(pp, ns, DNS_PORT, ms)) &&
		    !(r = d.send(pp, q + 2, qn, got, ms)))
			r = d.recv(pp, a, cap, got, ms, 0);
	} else if (!(r = d.connect(pp, ns, DNS_PORT, ms))) {
		q[0] = (uint8_t)(qn >> 8), q[1] = (uint8_t)qn;
		if (!(r = stream_send_all(&d, q, qn + 2, ms)) &&
		    !(r = stream_recv_all(&d, a, 2, ms))) {
			*got = (size_t)a[0] << 8 | a[1];
			r = *got > cap ? WRSH_ELIMIT : stream_recv_all(&d, a, *got, ms);
		}
	}
	d.close(pp);
	return r;
}

static const char *rcode_name(int rcode)
{
	return rcode == 2 ? "SERVFAIL" : rcode == 5 ? "REFUSED" : "an error";
}

wrsh_err posix_resolve_srv(void *ctx, const char *name, struct wrsh_srv *out, size_t cap, size_t *n,
			   uint8_t *work, size_t work_cap, uint32_t timeout_ms)
{
	struct posix_port *p = ctx, pp;
	struct wrsh_port d;
	char ns[NS_MAX][64];
	struct dns_answer ans;
	uint16_t id;
	size_t qn, got;
	int servers = nameservers(ns), i, tcp;
	uint32_t ms = timeout_ms / (unsigned)servers;
	wrsh_err r = WRSH_EIO;
	*n = 0;
	if (work_cap < 2 + DNS_QUERY_MAX + DNS_UDP_MAX)
		return WRSH_ELIMIT;
	posix_port_init(&d, &pp);
	if (d.random(&pp, &id, sizeof(id)) ||
	    !(qn = dns_srv_query(work + 2, DNS_QUERY_MAX, id, name))) {
		snprintf(p->err, sizeof(p->err), "dns: %.200s: not a name to look up", name);
		return r;
	}
	snprintf(p->err, sizeof(p->err), "dns: %.200s: no nameserver answered", name);
	for (i = 0; i < servers; i++)
		for (tcp = 0; tcp < 2; tcp++) {
			r = ask(&pp, ns[i], tcp, work, qn, work + 2 + qn, work_cap - 2 - qn, &got,
				ms < 1000 ? 1000 : ms);
			if (r == WRSH_OK && !tcp && got == work_cap - 2 - qn)
				r = WRSH_ELIMIT; /* a datagram that filled the buffer: cut */
			if (r == WRSH_OK)
				r = dns_srv_answer(work + 2 + qn, got, id, name, out, cap, &ans);
			if (r) {
				snprintf(p->err, sizeof(p->err), "dns: %.150s: %s from %.63s%s",
					 name,
					 r == WRSH_EPROTO   ? "a malformed answer"
					 : r == WRSH_ELIMIT ? "an answer too long"
							    : "no answer",
					 ns[i], tcp ? " over TCP" : "");
				break;
			}
			if (ans.truncated && !tcp)
				continue;
			if (ans.truncated) {
				snprintf(p->err, sizeof(p->err),
					 "dns: %.150s: a truncated answer from %.63s over TCP",
					 name, ns[i]);
				r = WRSH_EPROTO;
				break;
			}
			if (!ans.rcode || ans.rcode == 3) { /* 3: NXDOMAIN, none there */
				*n = ans.n;
				return WRSH_OK;
			}
			snprintf(p->err, sizeof(p->err), "dns: %.150s: %.63s answers %s", name,
				 ns[i], rcode_name(ans.rcode));
			r = WRSH_EIO;
			break;
		}
	return r;
}

void posix_kdc_port_init(struct wrsh_port *port, struct posix_port *ctx)
{
	posix_port_init(port, ctx);
	port->resolve_srv = posix_resolve_srv;
	port->connect_dgram = posix_connect_dgram;
}
