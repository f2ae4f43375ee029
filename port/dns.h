/*
 * DNS SRV lookups as a codec, without I/O (RFC 1035 messages, RFC 2782 SRV
 * records, RFC 6891's OPT record): a port that resolves SRV for the library
 * (struct wrsh_port's resolve_srv) builds the query here, carries it over
 * its own UDP or TCP, and parses the answer here. port/posix/resolv.c is
 * one; a firmware's port can reuse this over its own stack.
 */
#ifndef WRSH_PORT_DNS_H
#define WRSH_PORT_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "port.h"

#define DNS_PORT 53
#define DNS_UDP_MAX 1232  /* the EDNS0 size asked for (DNS flag day 2020's) */
#define DNS_QUERY_MAX 300 /* a query for a name of 253 characters, with OPT */

/* A query for name's SRV records, with ID id, into buf: its length, or 0
 * when name is not a DNS name or buf is short. */
size_t dns_srv_query(uint8_t *buf, size_t cap, uint16_t id, const char *name);

/* What an answer said: */
struct dns_answer {
	int rcode;     /* RFC 1035 4.1.1: 0 no error, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED */
	int truncated; /* TC: ask again over TCP */
	size_t n;      /* SRV records kept in out (at most cap: the most preferred) */
};

/* The answer in msg to the query for name with ID id: its SRV records into
 * out, sorted as they are to be tried: priority ascending, then weight
 * descending (RFC 2782 draws among equal priorities by weight; a client
 * that tries one KDC after another gains nothing from chance). Targets "."
 * (no service) are left out. WRSH_OK, or WRSH_EPROTO when msg is not an
 * answer to that query or is malformed anywhere. */
wrsh_err dns_srv_answer(const uint8_t *msg, size_t len, uint16_t id, const char *name,
			struct wrsh_srv *out, size_t cap, struct dns_answer *a);

#endif
