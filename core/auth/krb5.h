/*
 * The Kerberos mechanism's own state, shared by its two halves: the
 * credential that auth/krb5_kdc.c fills from the KDC (the AS exchange for a
 * TGT with the password's key, the TGS exchange for the service's ticket)
 * and the security context auth/krb5_mech.c builds on it per connection
 * (the AP exchange, then RFC 4121 wrap tokens).
 */
#ifndef WRSH_AUTH_KRB5_H
#define WRSH_AUTH_KRB5_H

#include <stdbool.h>

#include "auth/krb5_msg.h"
#include "auth/mech.h"
#include "config.h"

#define KRB5_NAME_MAX 256     /* a principal's name or realm, with its NUL */
#define KRB5_PASSWORD_MAX 256 /* UTF-8 bytes */
/* A KDC's answer: the ticket, the encrypted part with its own copy of
 * names and times, padata. */
#define KRB5_MSG_MAX (CONFIG_WRSH_AUTH_KRB5_TICKET_MAX + 2048)

struct krb5_cred {
	char password[KRB5_PASSWORD_MAX];
	size_t password_n;   /* 0 once the key is derived from it (and it wiped) */
	struct krb5_key key; /* the client's long-term key (etype 0: not yet) */
	char name[KRB5_NAME_MAX], realm[KRB5_NAME_MAX]; /* as in the ticket */
	uint8_t ticket[CONFIG_WRSH_AUTH_KRB5_TICKET_MAX];
	size_t ticket_n;	 /* 0: none yet */
	struct krb5_key session; /* the service ticket's session key */
	uint64_t endtime;	 /* the ticket's, seconds since 1970 */
};

/* What the KDC exchanges need for the length of one acquire. */
struct krb5_scratch {
	uint8_t req[KRB5_MSG_MAX], rep[KRB5_MSG_MAX];
	uint8_t pa[256];
	struct krb5_error err;
	struct wrsh_srv kdcs[CONFIG_WRSH_AUTH_KRB5_KDCS]; /* where to ask, best first */
	size_t kdc_n;					  /* 0: not known yet */
	char kdc_realm[KRB5_NAME_MAX];			  /* whose KDCs they are */
	bool kdc_udp;					  /* UDP first, as named */
	/* a path across realms: the realm asked next, the service's, and
	 * the last ticket's sname (krbtgt/NEXT when it is a realm's TGT) */
	char at[KRB5_NAME_MAX], target[KRB5_NAME_MAX], got[2][KRB5_NAME_MAX];
};

/* A ticket found in a FILE: credential cache (auth/krb5_ccache.c): its
 * default principal, and that principal's ticket for a server of its realm
 * (the ticket points into the cache's bytes). */
struct krb5_ccache {
	char name[KRB5_NAME_MAX], realm[KRB5_NAME_MAX];
	struct krb5_key key;
	const uint8_t *ticket;
	size_t ticket_n;
	uint64_t endtime;
	int32_t etype_other; /* a ticket for server under another etype (RC4) */
};
/* server: "krbtgt/REALM" or "HTTP/host", in srealm (NULL: the default
 * principal's realm; "": any, as MIT's referral entries mean it). 0 found;
 * 1 not there; -1 not a ccache or malformed. */
int krb5_ccache_find(const uint8_t *buf, size_t len, const char *server, const char *srealm,
		     struct krb5_ccache *out);

/* A ccache image in buf, as kinit writes one: begin with the default
 * principal, then add credentials (server "krbtgt/REALM" or "HTTP/host",
 * in srealm). Each returns the length so far, 0 once it did not fit (and
 * add after that keeps 0). */
size_t krb5_ccache_begin(uint8_t *buf, size_t cap, const char *name, const char *realm);
size_t krb5_ccache_add(uint8_t *buf, size_t cap, size_t len, const char *name, const char *realm,
		       const char *server, const char *srealm, const struct krb5_key *key,
		       uint64_t authtime, uint64_t endtime, uint32_t flags, const uint8_t *ticket,
		       size_t ticket_n);

/* The key of name@realm and etype in a keytab (auth/krb5_keytab.c), the
 * highest version of it: 0 found; 1 not there; -1 not a keytab or
 * malformed. */
int krb5_keytab_key(const uint8_t *buf, size_t len, const char *name, const char *realm,
		    int32_t etype, struct krb5_key *out);

/* The wall clock from the port (FILETIME): 0 when it has none. */
uint64_t krb5_now(const struct wrsh_port *p, uint32_t *usec);

/* The mechanism's acquire: a service ticket for c->spn unless the one in
 * the credential is good for another minute. */
wrsh_err krb5_acquire(const struct auth_cred *c, void *scratch, struct errbuf *e);

/* A KRB-ERROR as one line for the user ("auth: Kerberos: ..."). */
wrsh_err krb5_error_text(struct errbuf *e, const struct krb5_error *k, const char *who,
			 uint64_t now);

#endif
