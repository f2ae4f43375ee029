/* DNS SRV as a codec (see dns.h). Every offset read from the network is
 * checked against the message's length before use; compressed names
 * (RFC 1035 4.1.4) may only point backwards, and a name's labels may not
 * exceed 255 bytes however it is assembled, which bounds the pointer
 * loops a hostile answer can build. */
#include <string.h>

#include "dns.h"
#include "util/str.h"

#define TYPE_SRV 33
#define TYPE_OPT 41
#define CLASS_IN 1
#define NAME_MAX_WIRE 255 /* RFC 1035 2.3.4 */
#define HOPS_MAX 32

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint8_t *put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

size_t dns_srv_query(uint8_t *buf, size_t cap, uint16_t id, const char *name)
{
	size_t n = strlen(name), i = 0, wire = 1, need;
	uint8_t *p = buf;
	if (n && name[n - 1] == '.')
		n--;
	need = 12 + n + 2 + 4 + 11;
	if (!n || n + 1 > NAME_MAX_WIRE - 1 || need > cap)
		return 0;
	p = put16(p, id);
	p = put16(p, 0x0100); /* a standard query, recursion desired */
	p = put16(p, 1);      /* one question */
	p = put16(p, 0);
	p = put16(p, 0);
	p = put16(p, 1); /* and the OPT record */
	while (i < n) {
		size_t k = 0;
		while (i + k < n && name[i + k] != '.')
			k++;
		if (!k || k > 63)
			return 0;
		*p++ = (uint8_t)k;
		memcpy(p, name + i, k);
		p += k, i += k + 1, wire += k + 1;
	}
	if (name[n - 1] == '.' || wire > NAME_MAX_WIRE) /* "a..": an empty last label */
		return 0;
	*p++ = 0;
	p = put16(p, TYPE_SRV);
	p = put16(p, CLASS_IN);
	*p++ = 0; /* RFC 6891 6.1.2: the root, OPT, the UDP size as its class, */
	p = put16(p, TYPE_OPT);
	p = put16(p, DNS_UDP_MAX);
	p = put16(p, 0); /* extended RCODE, version 0, no DO bit */
	p = put16(p, 0);
	p = put16(p, 0); /* no options */
	return (size_t)(p - buf);
}

/* The name at *off into out (dotted, without the final dot; "" for the
 * root), *off moved past it as it appears in place. 0, or -1 malformed. */
static int read_name(const uint8_t *m, size_t len, size_t *off, char out[NAME_MAX_WIRE + 1])
{
	size_t pos = *off, end = 0, wire = 1, o = 0, i;
	int hops = 0;
	for (;;) {
		unsigned c;
		if (pos >= len)
			return -1;
		c = m[pos];
		if (!c)
			break;
		if ((c & 0xc0) == 0xc0) {
			size_t to;
			if (pos + 1 >= len || ++hops > HOPS_MAX)
				return -1;
			to = (c & 0x3f) << 8 | m[pos + 1];
			if (to >= pos)
				return -1;
			if (!end)
				end = pos + 2;
			pos = to;
			continue;
		}
		if (c & 0xc0 || pos + 1 + c > len || (wire += c + 1) > NAME_MAX_WIRE)
			return -1; /* 0x40 and 0x80 are reserved label types */
		if (o)
			out[o++] = '.';
		for (i = 1; i <= c; i++) {
			uint8_t b = m[pos + i];
			if (b <= ' ' || b == '.' || b >= 0x7f)
				return -1; /* kept printable: targets reach messages */
			out[o++] = (char)b;
		}
		pos += 1 + c;
	}
	out[o] = 0;
	*off = end ? end : pos + 1;
	return 0;
}

/* owner (as read_name leaves it) against the asked name, which may end in a dot. */
static bool same_name(const char *owner, const char *name)
{
	size_t n = strlen(name);
	return str_ieq(name, n && name[n - 1] == '.' ? n - 1 : n, owner);
}

/* r into the sorted out[0..*n), dropping the least preferred beyond cap. */
static void keep(struct wrsh_srv *out, size_t cap, size_t *n, const struct wrsh_srv *r)
{
	size_t i = 0, j;
	while (i < *n && (out[i].priority < r->priority ||
			  (out[i].priority == r->priority && out[i].weight >= r->weight)))
		i++;
	if (i >= cap)
		return;
	j = *n < cap ? (*n)++ : cap - 1;
	for (; j > i; j--)
		out[j] = out[j - 1];
	out[i] = *r;
}

wrsh_err dns_srv_answer(const uint8_t *m, size_t len, uint16_t id, const char *name,
			struct wrsh_srv *out, size_t cap, struct dns_answer *a)
{
	char owner[NAME_MAX_WIRE + 1];
	struct wrsh_srv r;
	unsigned flags, qd, an;
	size_t off = 12;
	memset(a, 0, sizeof(*a));
	if (len < 12 || get16(m) != id)
		return WRSH_EPROTO;
	flags = get16(m + 2);
	qd = get16(m + 4);
	an = get16(m + 6);
	if (!(flags & 0x8000) || (flags & 0x7800) || qd != 1)
		return WRSH_EPROTO; /* not a response to a standard query of one question */
	a->truncated = (flags & 0x0200) != 0;
	a->rcode = (int)(flags & 0xf);
	if (read_name(m, len, &off, owner) || off + 4 > len || !same_name(owner, name) ||
	    get16(m + off) != TYPE_SRV || get16(m + off + 2) != CLASS_IN)
		return WRSH_EPROTO;
	off += 4;
	if (a->truncated || a->rcode)
		return WRSH_OK;
	for (; an; an--) {
		size_t rd, rd_end;
		unsigned type, klass;
		if (read_name(m, len, &off, owner) || off + 10 > len)
			return WRSH_EPROTO;
		type = get16(m + off), klass = get16(m + off + 2), rd = get16(m + off + 8);
		off += 10;
		if (rd > len - off)
			return WRSH_EPROTO;
		rd_end = off + rd;
		/* a CNAME or DNAME before (RFC 2782 forbids them for SRV owners,
		 * resolvers send them anyway) is read past, not followed */
		if (type == TYPE_SRV && klass == CLASS_IN && same_name(owner, name)) {
			if (rd < 7)
				return WRSH_EPROTO;
			r.priority = (uint16_t)get16(m + off);
			r.weight = (uint16_t)get16(m + off + 2);
			r.port = (uint16_t)get16(m + off + 4);
			off += 6;
			if (read_name(m, len, &off, owner) || off != rd_end)
				return WRSH_EPROTO;
			if (*owner && r.port) { /* "." : the service is not offered there */
				memcpy(r.target, owner, strlen(owner) + 1);
				keep(out, cap, &a->n, &r);
			}
		}
		off = rd_end;
	}
	return WRSH_OK;
}
