/*
 * Kerberos' credential from the KDC (RFC 4120 3.1, 3.3): an AS exchange
 * for the TGT, pre-authenticated with an encrypted timestamp under the key
 * of the password and the salt the KDC names (ETYPE-INFO2), then a TGS
 * exchange for the service's ticket. Over TCP (7.2.2: each message after
 * its 4-byte length), one connection per exchange, or UDP first when the
 * application asks, through the plain port it gave for the KDC; the KDC
 * named, or those DNS SRV records name for the realm. The TGT is not kept: one
 * service ticket serves every connection of the session, and the key stays
 * to fetch another when it expires.
 */
#include <string.h>

#include "auth/krb5.h"
#include "base/stream.h"
#include "crypto/kcrypto.h"
#include "crypto/rc4hmac.h"
#include "util/bytes.h"
#include "util/str.h"

#define KDC_PORT 88
/* UDP (MIT's udp_preference_limit: larger requests go by TCP at once) */
#define UDP_REQ_MAX 1465
#define UDP_WAIT_MS 2000
#define TICKET_LIFE (10 * 3600) /* asked for; Active Directory's default maximum */

/* The AS-REQ's list orders the user's key and the TGT's session key: RC4
 * last, so a KDC picks it only for a user it keeps no AES key for, and
 * never for a session key (krbtgt has AES). The TGS-REQ lists AES alone. */
static const int32_t etypes[3] = {KCRYPTO_ETYPE_AES256, KCRYPTO_ETYPE_AES128, RC4HMAC_ETYPE};
#define AS_ETYPES (CONFIG_WRSH_AUTH_KRB5_RC4 ? 3 : 2)

uint64_t krb5_now(const struct wrsh_port *p, uint32_t *usec)
{
	/* FILETIME counts 100 ns from 1601; 11644473600 s to 1970 */
	uint64_t ft = p->filetime ? p->filetime(p->ctx) : 0;
	if (ft < 116444736000000000ull)
		return 0;
	ft -= 116444736000000000ull;
	if (usec)
		*usec = (uint32_t)(ft % 10000000 / 10);
	return ft / 10000000;
}

/* "host:88, [::1]:88": the KDCs tried, for the error. */
static const char *kdcs_tried(const struct krb5_scratch *s, size_t upto, char *buf, size_t cap)
{
	struct sbuf b;
	size_t i;
	sb_init(&b, buf, cap);
	for (i = 0; i < upto; i++) {
		bool v6 = strchr(s->kdcs[i].target, ':') != NULL;
		sb_puts(&b, i ? ", " : "");
		sb_puts(&b, v6 ? "[" : "");
		sb_puts(&b, s->kdcs[i].target);
		sb_puts(&b, v6 ? "]:" : ":");
		sb_put_u64(&b, s->kdcs[i].port);
	}
	return sb_cstr(&b);
}

static wrsh_err unreachable(const struct auth_cred *c, const struct krb5_scratch *s, size_t upto,
			    struct errbuf *e, wrsh_err code, const char *what)
{
	char tried[160];
	const char *why = c->kdc->errmsg ? c->kdc->errmsg(c->kdc->ctx) : NULL;
	return err_set(e, code, "auth: Kerberos: ", what, upto > 1 ? " the KDCs " : " the KDC ",
		       kdcs_tried(s, upto, tried, sizeof(tried)), why && *why ? " (" : "",
		       why && *why ? why : "", why && *why ? ")" : "", NULL);
}

static bool same_realm(const char *a, const char *b)
{
	return b && str_ieq(a, strlen(a), b);
}

/* Where to ask: the KDC named (the user's realm's in the options, another
 * realm's by the application's realm_kdc), else the realm's SRV records
 * (RFC 4120 7.2.3.2; TCP's, the transport this asks in), looked up once a
 * realm. */
static wrsh_err find_kdcs(const struct auth_cred *c, const struct krb5_cred *k, const char *realm,
			  struct krb5_scratch *s, struct errbuf *e)
{
	char name[KRB5_NAME_MAX + 16];
	struct wrsh_srv *t = &s->kdcs[0];
	bool home = same_realm(realm, k->realm);
	const char *why;
	wrsh_err r;
	if (s->kdc_n && !strcmp(s->kdc_realm, realm))
		return WRSH_OK;
	s->kdc_n = 0, s->kdc_udp = false;
	memcpy(s->kdc_realm, realm, strlen(realm) + 1);
	if (home && c->kdc_host && *c->kdc_host) {
		if (strlen(c->kdc_host) >= sizeof(t->target))
			return err_set(e, WRSH_EINVAL, "auth: Kerberos: the KDC's name is too long",
				       NULL);
		memcpy(t->target, c->kdc_host, strlen(c->kdc_host) + 1);
		t->port = c->kdc_port_no ? c->kdc_port_no : KDC_PORT;
		s->kdc_n = 1, s->kdc_udp = c->kdc_udp;
		return WRSH_OK;
	}
	t->port = 0;
	if (!home && c->realm_kdc &&
	    !c->realm_kdc(c->realm_kdc_ctx, realm, t->target, sizeof(t->target), &t->port,
			  &s->kdc_udp)) {
		t->target[sizeof(t->target) - 1] = 0;
		t->port = t->port ? t->port : KDC_PORT;
		s->kdc_n = 1;
		return WRSH_OK;
	}
	s->kdc_udp = false;
	if (!c->kdc->resolve_srv)
		return err_set(e, WRSH_EINVAL, "auth: Kerberos: no KDC named for ", realm,
			       " and no DNS SRV lookup (its port has none)", NULL);
	memcpy(name, "_kerberos._tcp.", 15);
	memcpy(name + 15, realm, strlen(realm) + 1);
	r = c->kdc->resolve_srv(c->kdc->ctx, name, s->kdcs, CONFIG_WRSH_AUTH_KRB5_KDCS, &s->kdc_n,
				s->rep, sizeof(s->rep), c->timeout_ms);
	why = c->kdc->errmsg ? c->kdc->errmsg(c->kdc->ctx) : NULL;
	if (r || s->kdc_n > CONFIG_WRSH_AUTH_KRB5_KDCS)
		return s->kdc_n = 0,
		       err_set(e, r ? r : WRSH_EPROTO, "auth: Kerberos: no KDC found for ", realm,
			       " (", why && *why ? why : name, ")", NULL);
	if (!s->kdc_n)
		return err_set(e, WRSH_EIO, "auth: Kerberos: DNS knows no KDC for ", realm,
			       " (no SRV record ", name, "; name the KDC)", NULL);
	return WRSH_OK;
}

/* One request over UDP (7.2.1): WRSH_OK with the answer, else TCP is to
 * be tried: no UDP there, no answer, or one too big for a datagram. */
static wrsh_err over_udp(const struct auth_cred *c, const struct wrsh_srv *t,
			 struct krb5_scratch *s, const uint8_t *req, size_t req_n, size_t *n)
{
	uint32_t ms = c->timeout_ms < UDP_WAIT_MS ? c->timeout_ms : UDP_WAIT_MS;
	size_t k = 0;
	wrsh_err r = c->kdc->connect_dgram(c->kdc->ctx, t->target, t->port, c->timeout_ms);
	if (!r && !(r = c->kdc->send(c->kdc->ctx, req, req_n, &k, ms)) && k != req_n)
		r = WRSH_EIO;
	if (!r)
		r = c->kdc->recv(c->kdc->ctx, s->rep, sizeof(s->rep), n, ms, 0);
	c->kdc->close(c->kdc->ctx);
	if (!r && (!*n || *n == sizeof(s->rep)))
		r = WRSH_ELIMIT; /* empty, or may have been cut */
	if (!r && s->rep[0] == 0x7e && !krb5_parse_error(s->rep, *n, &s->err) &&
	    s->err.code == KRB5_ERR_RESPONSE_TOO_BIG)
		r = WRSH_ELIMIT;
	return r;
}

/* One request over TCP (7.2.2: each message after its 4-byte length);
 * *what names the step that failed. */
static wrsh_err over_tcp(const struct auth_cred *c, const struct wrsh_srv *t,
			 struct krb5_scratch *s, const uint8_t *req, size_t req_n, size_t *n,
			 const char **what)
{
	const struct wrsh_port *k = c->kdc;
	uint32_t want, ms = c->timeout_ms;
	uint8_t len[4];
	wrsh_err r;
	*what = "cannot reach";
	if ((r = k->connect(k->ctx, t->target, t->port, ms)))
		return r;
	*what = "no answer from";
	put_be(len, req_n, 4);
	if ((r = stream_send_all(k, len, 4, ms)) || (r = stream_send_all(k, req, req_n, ms)) ||
	    (r = stream_recv_all(k, len, 4, ms)))
		goto out;
	want = (uint32_t)get_be(len, 4);
	if (want & 0x80000000u || want > sizeof(s->rep)) { /* the high bit is reserved */
		*what = NULL;
		r = WRSH_ELIMIT;
		goto out;
	}
	*what = "a cut answer from";
	if (!(r = stream_recv_all(k, s->rep, want, ms)))
		*n = want;
out:
	k->close(k->ctx);
	return r == WRSH_ECLOSED ? WRSH_EPROTO : r;
}

/* One request to the realm's KDC, its answer into s->rep; *n: its length.
 * The KDCs known are asked in turn until one answers. */
static wrsh_err exchange(const struct auth_cred *c, const struct krb5_cred *k, const char *realm,
			 struct krb5_scratch *s, const uint8_t *req, size_t req_n, size_t *n,
			 struct errbuf *e)
{
	const char *what = "cannot reach";
	wrsh_err r = WRSH_EIO;
	size_t i;
	if (!c->kdc)
		return err_set(e, WRSH_EINVAL, "auth: Kerberos needs a port to reach the KDC",
			       NULL);
	if ((r = find_kdcs(c, k, realm, s, e)))
		return r;
	for (i = 0; i < s->kdc_n; i++) {
		const struct wrsh_srv *t = &s->kdcs[i];
		if (s->kdc_udp && c->kdc->connect_dgram && req_n <= UDP_REQ_MAX &&
		    !over_udp(c, t, s, req, req_n, n))
			return WRSH_OK;
		if (!(r = over_tcp(c, t, s, req, req_n, n, &what)))
			return WRSH_OK;
		if (!what)
			return err_set(e, WRSH_ELIMIT,
				       "auth: Kerberos: the KDC's answer is beyond "
				       "CONFIG_WRSH_AUTH_KRB5_TICKET_MAX",
				       NULL);
	}
	return unreachable(c, s, s->kdc_n, e, r, what);
}

wrsh_err krb5_error_text(struct errbuf *e, const struct krb5_error *k, const char *who,
			 uint64_t now)
{
	char num[21];
	uint64_t t;
	switch (k->code) {
	case KRB5_ERR_C_PRINCIPAL_UNKNOWN:
		return err_set(e, WRSH_EUNSUPPORTED,
			       "auth: Kerberos: the KDC does not know the user ", who, NULL);
	case KRB5_ERR_S_PRINCIPAL_UNKNOWN:
		return err_set(e, WRSH_EUNSUPPORTED,
			       "auth: Kerberos: the KDC does not know the service ", who,
			       " (name the host by its DNS name, not an address; or its SPN ",
			       "may be WSMAN/ or HOST/)", NULL);
	case KRB5_ERR_PREAUTH_FAILED:
		return err_set(e, WRSH_EAUTH, "auth: Kerberos: wrong password for ", who, NULL);
	case KRB5_ERR_CLIENT_REVOKED:
		return err_set(e, WRSH_EAUTH, "auth: Kerberos: the account ", who,
			       " is disabled or locked out", NULL);
	case KRB5_ERR_KEY_EXPIRED:
		return err_set(e, WRSH_EAUTH, "auth: Kerberos: the password of ", who,
			       " has expired", NULL);
	case KRB5_ERR_ETYPE_NOSUPP:
		return err_set(e, WRSH_EUNSUPPORTED,
			       "auth: Kerberos: no common encryption type for ", who,
			       " (this wrsh does AES256 and AES128)", NULL);
	case KRB5_ERR_TKT_EXPIRED:
		return err_set(e, WRSH_EAUTH, "auth: Kerberos: the ticket has expired", NULL);
	case KRB5_ERR_WRONG_REALM:
		return err_set(e, WRSH_EUNSUPPORTED,
			       "auth: Kerberos: the KDC does not serve the realm of ", who, NULL);
	case KRB5_ERR_SKEW:
		if (krb5_parse_time(k->stime, &t) || !now)
			return err_set(e, WRSH_EAUTH, "auth: Kerberos: the clocks differ too much",
				       NULL);
		return err_set(e, WRSH_EAUTH, "auth: Kerberos: the clocks differ by ",
			       err_num(num, t > now ? t - now : now - t), " s (",
			       t > now ? "the KDC's is ahead" : "ours is ahead",
			       "; Kerberos allows 5 minutes)", NULL);
	}
	return err_set(e, WRSH_EAUTH, "auth: Kerberos: the KDC refused ", who, ": error ",
		       err_num(num, (uint64_t)(k->code < 0 ? 0 : k->code)), k->text[0] ? " (" : "",
		       k->text, k->text[0] ? ")" : "", NULL);
}

/* "user" or "user@REALM" for messages. */
static const char *principal(const struct krb5_cred *k, char *buf, size_t cap)
{
	struct sbuf b;
	sb_init(&b, buf, cap);
	sb_puts(&b, k->name);
	sb_putc(&b, '@');
	sb_puts(&b, k->realm);
	return sb_cstr(&b);
}

/* The client's principal: the name before '@', the realm given, after '@'
 * or the NetBIOS domain, upper-cased as Active Directory's are. */
static wrsh_err names(const struct auth_cred *c, struct krb5_cred *k, struct errbuf *e)
{
	const char *at = strchr(c->user, '@'), *realm = c->realm;
	size_t n = at ? (size_t)(at - c->user) : strlen(c->user), i;
	if (!realm || !*realm)
		realm = at ? at + 1 : c->domain;
	if (!n || n >= sizeof(k->name) || strlen(realm) >= sizeof(k->realm))
		return err_set(e, WRSH_EINVAL, "auth: Kerberos: user or realm name too long", NULL);
	if (!*realm)
		return err_set(
			e, WRSH_EINVAL,
			"auth: Kerberos needs a realm: user@REALM, DOMAIN\\user or one given",
			NULL);
	memcpy(k->name, c->user, n);
	k->name[n] = 0;
	for (i = 0; realm[i]; i++)
		k->realm[i] = realm[i] >= 'a' && realm[i] <= 'z' ? (char)(realm[i] - 32) : realm[i];
	k->realm[i] = 0;
	return WRSH_OK;
}

static wrsh_err no_random(struct errbuf *e)
{
	return err_set(e, WRSH_EIO, "auth: the port has no randomness", NULL);
}

static wrsh_err malformed(struct errbuf *e, const char *what)
{
	return err_set(e, WRSH_EPROTO, "auth: Kerberos: a malformed ", what, " from the KDC", NULL);
}

/* 5.4.2: a reply whose nonce (or key type) is not the request's: an old
 * answer replayed, or a KDC confused. */
static wrsh_err not_ours(struct errbuf *e, const char *what)
{
	return err_set(e, WRSH_EPROTO, "auth: Kerberos: the KDC's ", what,
		       " does not answer this request (its nonce or key type differs: a replay?)",
		       NULL);
}

/* An AS-REQ (with pa, or none) sent; the answer in s->rep. */
static wrsh_err as_exchange(const struct auth_cred *c, struct krb5_cred *k, struct krb5_scratch *s,
			    uint32_t nonce, uint64_t now, const uint8_t *pa, size_t pa_n,
			    size_t *rep_n, struct errbuf *e)
{
	struct der_w w;
	const uint8_t *q;
	char till[16];
	size_t n;
	krb5_time(now + TICKET_LIFE, till);
	der_w_init(&w, s->req, sizeof(s->req));
	if (krb5_as_req(&w, k->name, k->realm, nonce, till, etypes, AS_ETYPES, pa, pa_n) ||
	    der_w_done(&w, &q, &n))
		return err_set(e, WRSH_ELIMIT, "auth: Kerberos: the AS-REQ is too long", NULL);
	return exchange(c, k, k->realm, s, q, n, rep_n, e);
}

/* The long-term key from the password and what the KDC's error names;
 * the password is wiped once it is turned into a key. */
/* The key from a keytab: of the etype the KDC asked for, else an AES one
 * (a KDC takes any key the principal has). */
static wrsh_err keytab_key(const struct auth_cred *c, struct krb5_cred *k, int32_t etype,
			   struct errbuf *e)
{
	char who[2 * KRB5_NAME_MAX];
	int32_t other = etype == KCRYPTO_ETYPE_AES256 ? KCRYPTO_ETYPE_AES128 : KCRYPTO_ETYPE_AES256;
	int rc = krb5_keytab_key(c->keytab, c->keytab_n, k->name, k->realm, etype, &k->key);
	if (rc == 1)
		rc = krb5_keytab_key(c->keytab, c->keytab_n, k->name, k->realm, other, &k->key);
	if (rc < 0)
		return err_set(e, WRSH_EINVAL,
			       "auth: Kerberos: the keytab is not one (MIT's format, version 2)",
			       NULL);
	if (rc)
		return err_set(e, WRSH_EAUTH,
			       "auth: Kerberos: the keytab holds no key the KDC offers for ",
			       principal(k, who, sizeof(who)), NULL);
	return WRSH_OK;
}

static wrsh_err derive_key(const struct auth_cred *c, struct krb5_cred *k,
			   const struct krb5_error *ke, struct errbuf *e)
{
	uint8_t salt[2 * KRB5_NAME_MAX];
	size_t sn;
	int rc;
	if (!k->password_n)
		return keytab_key(c, k, ke->etype, e);
	if (ke->has_salt) {
		memcpy(salt, ke->salt, ke->salt_n);
		sn = ke->salt_n;
	} else { /* RFC 4120 4: the realm, then the name's parts */
		sn = strlen(k->realm);
		memcpy(salt, k->realm, sn);
		memcpy(salt + sn, k->name, strlen(k->name));
		sn += strlen(k->name);
	}
	k->key.etype = ke->etype;
	k->key.len = ke->etype == KCRYPTO_ETYPE_AES256 ? 32 : 16;
	if (ke->etype == RC4HMAC_ETYPE) /* RFC 4757 2: unsalted */
		rc = rc4hmac_string_to_key(k->password, k->password_n, k->key.v) ? -1 : 0;
	else
		rc = kcrypto_string_to_key(k->password, k->password_n, salt, sn, ke->iterations,
					   k->key.len, k->key.v);
	wrsh_wipe(k->password, sizeof(k->password));
	k->password_n = 0;
	if (rc)
		return err_set(e, WRSH_EPROTO,
			       "auth: Kerberos: the KDC's key parameters are out of range", NULL);
	return WRSH_OK;
}

/* The TGT into s->rep (the AS-REP, opened: *tgt points into it). */
static wrsh_err get_tgt(const struct auth_cred *c, struct krb5_cred *k, struct krb5_scratch *s,
			uint64_t now, struct krb5_as_rep *tgt, struct errbuf *e)
{
	struct krb5_error *ke = &s->err;
	char who[2 * KRB5_NAME_MAX];
	const uint8_t *pa = NULL;
	uint32_t nonce, usec = 0;
	size_t n, pa_n = 0;
	wrsh_err r;
	int rc, tries;
	for (tries = 0; tries < 2; tries++) {
		if (c->port->random(c->port->ctx, &nonce, sizeof(nonce)))
			return no_random(e);
		nonce &= 0x7fffffff;
		if ((r = as_exchange(c, k, s, nonce, now, pa, pa_n, &n, e)))
			return r;
		if (n && s->rep[0] != 0x7e) /* [APPLICATION 30]: a KRB-ERROR */
			break;
		if (krb5_parse_error(s->rep, n, ke))
			return malformed(e, "KRB-ERROR");
		if (ke->code != KRB5_ERR_PREAUTH_REQUIRED || pa)
			return krb5_error_text(e, ke, principal(k, who, sizeof(who)), now);
		if (!ke->etype)
			return err_set(
				e, WRSH_EUNSUPPORTED,
				"auth: Kerberos: the KDC offers no AES key for ",
				principal(k, who, sizeof(who)),
				CONFIG_WRSH_AUTH_KRB5_RC4
					? " (nor RC4-HMAC; this wrsh does AES256, AES128 and RC4)"
					: " (RC4 only? this wrsh is built without "
					  "CONFIG_WRSH_AUTH_KRB5_RC4)",
				NULL);
		if ((k->password_n || (c->keytab && !k->key.etype)) &&
		    (r = derive_key(c, k, ke, e)))
			return r;
		/* PA-ENC-TIMESTAMP (5.2.7.2) */
		{
			struct der_w w;
			uint8_t conf[16];
			char t[16];
			now = krb5_now(c->port, &usec);
			krb5_time(now, t);
			if (c->port->random(c->port->ctx, conf, sizeof(conf)))
				return no_random(e);
			der_w_init(&w, s->pa, sizeof(s->pa));
			if (krb5_pa_timestamp(&w, &k->key, t, usec, conf) ||
			    der_w_done(&w, &pa, &pa_n))
				return err_set(e, WRSH_ELIMIT, "auth: Kerberos: PA-DATA too long",
					       NULL);
		}
	}
	if (!k->key.etype) { /* no pre-authentication asked: the AS-REP's etype, default salt */
		memset(ke, 0, sizeof(*ke));
		ke->etype = krb5_as_rep_etype(s->rep, n);
		ke->iterations = KCRYPTO_ITERATIONS;
		if (ke->etype != KCRYPTO_ETYPE_AES256 && ke->etype != KCRYPTO_ETYPE_AES128 &&
		    (ke->etype != RC4HMAC_ETYPE || !CONFIG_WRSH_AUTH_KRB5_RC4))
			return malformed(e, "AS-REP");
		if ((r = derive_key(c, k, ke, e)))
			return r;
	}
	rc = krb5_parse_as_rep(s->rep, n, &k->key, nonce, tgt);
	if (rc == -2)
		return err_set(e, WRSH_EAUTH, "auth: Kerberos: wrong password for ",
			       principal(k, who, sizeof(who)), NULL);
	if (rc == -3)
		return not_ours(e, "AS-REP");
	return rc ? malformed(e, "AS-REP") : WRSH_OK;
}

/* "HTTP/host" as the two parts of the service's name. */
static wrsh_err split_spn(const char *spn, char *svc, size_t cap, const char **host,
			  struct errbuf *e)
{
	const char *slash = strchr(spn, '/');
	size_t n = slash ? (size_t)(slash - spn) : 0;
	if (!n || n >= cap || !slash[1] || strchr(slash + 1, '/'))
		return err_set(e, WRSH_EINVAL, "auth: Kerberos: an SPN is SERVICE/host: ", spn,
			       NULL);
	memcpy(svc, spn, n);
	svc[n] = 0;
	*host = slash + 1;
	return WRSH_OK;
}

/* One TGS exchange in realm at, with the ticket-granting ticket and its
 * session key, for sname on the way to c->spn; the reply opened into *st
 * (in s->rep). */
static wrsh_err tgs(const struct auth_cred *c, const struct krb5_cred *k, struct krb5_scratch *s,
		    const struct der *tgt, const struct krb5_key *key, const char *at,
		    const char *const sname[2], struct krb5_as_rep *st, struct errbuf *e)
{
	struct krb5_tgs q;
	struct der_w w;
	const uint8_t *out;
	char now_s[16], till[16];
	uint32_t usec = 0;
	uint64_t now = krb5_now(c->port, &usec);
	size_t n;
	wrsh_err r;
	int rc;
	memset(&q, 0, sizeof(q));
	q.sname[0] = sname[0], q.sname[1] = sname[1];
	krb5_time(now, now_s);
	krb5_time(now + TICKET_LIFE, till);
	if (c->port->random(c->port->ctx, &q.nonce, sizeof(q.nonce)) ||
	    c->port->random(c->port->ctx, q.ap.confounder, 16))
		return no_random(e);
	q.nonce &= 0x7fffffff;
	q.ap.ticket = tgt->p, q.ap.ticket_n = tgt->n, q.ap.key = key;
	q.ap.user = k->name, q.ap.realm = k->realm, q.ap.ctime = now_s, q.ap.cusec = usec;
	q.realm = at, q.till = till, q.etypes = etypes, q.netypes = 2;
	der_w_init(&w, s->req, sizeof(s->req));
	rc = krb5_tgs_req(&w, &q) || der_w_done(&w, &out, &n);
	wrsh_wipe(&q.ap.confounder, sizeof(q.ap.confounder));
	if (rc)
		return err_set(e, WRSH_ELIMIT, "auth: Kerberos: the TGS-REQ is too long", NULL);
	if ((r = exchange(c, k, at, s, out, n, &n, e)))
		return r;
	if (n && s->rep[0] == 0x7e) {
		if (krb5_parse_error(s->rep, n, &s->err))
			return malformed(e, "KRB-ERROR");
		if (s->err.code == KRB5_ERR_S_PRINCIPAL_UNKNOWN && !strcmp(sname[0], "krbtgt"))
			return err_set(e, WRSH_EUNSUPPORTED, "auth: Kerberos: ", at,
				       " has no trust with ", sname[1], " (no krbtgt/", sname[1],
				       "@", at, ") on the way to ", c->spn, NULL);
		return krb5_error_text(e, &s->err, c->spn, now);
	}
	rc = krb5_parse_tgs_rep(s->rep, n, key, q.nonce, st);
	if (rc == -3)
		return not_ours(e, "TGS-REP");
	return rc ? malformed(e, "TGS-REP") : WRSH_OK;
}

static wrsh_err too_big(struct errbuf *e)
{
	return err_set(e, WRSH_ELIMIT,
		       "auth: Kerberos: the service ticket is beyond "
		       "CONFIG_WRSH_AUTH_KRB5_TICKET_MAX",
		       NULL);
}

#define REALM_HOPS 4 /* an AD forest's child, root, a trusting root, its child */
#define HOPS_TEXT(n) #n
#define REALM_HOPS_TEXT(n) HOPS_TEXT(n)

/* The service ticket, through the user's TGT; where the service is in
 * another realm (named, or a KDC's referral: a TGT for the next realm in
 * place of the ticket), through each realm's TGT in turn, held meanwhile
 * where the service ticket will go. */
static wrsh_err get_ticket(const struct auth_cred *c, struct krb5_cred *k, struct krb5_scratch *s,
			   struct krb5_as_rep *tgt, struct errbuf *e)
{
	struct krb5_key key = tgt->session;
	struct der ticket = tgt->ticket;
	struct krb5_as_rep st;
	char svc[16];
	const char *host = NULL, *want;
	uint64_t end;
	wrsh_err r;
	int hop;
	if ((r = split_spn(c->spn, svc, sizeof(svc), &host, e)))
		return r;
	want = c->service_realm && *c->service_realm ? c->service_realm : k->realm;
	if (strlen(want) >= sizeof(s->target))
		return err_set(e, WRSH_EINVAL, "auth: Kerberos: the service's realm is too long",
			       NULL);
	memcpy(s->target, want, strlen(want) + 1);
	memcpy(s->at, k->realm, sizeof(s->at));
	for (hop = 0;; hop++) {
		bool direct = same_realm(s->at, s->target);
		const char *sname[2] = {direct ? svc : "krbtgt", direct ? host : s->target};
		if (hop > REALM_HOPS) {
			wrsh_wipe(&key, sizeof(key));
			return err_set(e, WRSH_EUNSUPPORTED, "auth: Kerberos: no ticket for ",
				       c->spn, " within " REALM_HOPS_TEXT(REALM_HOPS) " realms of ",
				       k->realm, NULL);
		}
		r = tgs(c, k, s, &ticket, &key, s->at, sname, &st, e);
		wrsh_wipe(&key, sizeof(key));
		if (r)
			return r;
		if (krb5_ticket_server(&st.ticket, NULL, s->got[0], s->got[1]))
			return wrsh_wipe(&st, sizeof(st)), malformed(e, "ticket");
		if (strcmp(s->got[0], "krbtgt") || !strcmp(svc, "krbtgt"))
			break;
		if (same_realm(s->got[1], s->at)) /* its own TGT for the service's */
			return wrsh_wipe(&st, sizeof(st)), malformed(e, "TGS-REP's ticket");
		/* the next realm's TGT: asked for, or a referral (RFC 6806 8) */
		if (st.ticket.n > sizeof(k->ticket))
			return wrsh_wipe(&st, sizeof(st)), too_big(e);
		memcpy(k->ticket, st.ticket.p, st.ticket.n);
		ticket.p = k->ticket, ticket.n = st.ticket.n;
		key = st.session;
		memcpy(s->at, s->got[1], sizeof(s->at));
		if (direct)
			memcpy(s->target, s->got[1], sizeof(s->target));
		wrsh_wipe(&st, sizeof(st));
	}
	if (st.ticket.n > sizeof(k->ticket))
		return wrsh_wipe(&st, sizeof(st)), too_big(e);
	if (krb5_parse_time(st.endtime, &end))
		return wrsh_wipe(&st, sizeof(st)), malformed(e, "ticket end time");
	memcpy(k->ticket, st.ticket.p, st.ticket.n);
	k->ticket_n = st.ticket.n;
	k->session = st.session;
	k->endtime = end;
	wrsh_wipe(&st, sizeof(st));
	return WRSH_OK;
}

/* The cache's TGT (or its ticket for the service itself, then no KDC at
 * all): kinit's logon, without a password. */
static wrsh_err from_ccache(const struct auth_cred *c, struct krb5_cred *k, struct krb5_scratch *s,
			    uint64_t now, struct errbuf *e)
{
	struct krb5_ccache *cc = (struct krb5_ccache *)(void *)s->req; /* free until the TGS-REQ */
	struct krb5_as_rep tgt;
	char server[KRB5_NAME_MAX + 8];
	/* the service's ticket in its realm: the one named, else any (the
	 * user's, or where a referral led) */
	int rc = krb5_ccache_find(c->ccache, c->ccache_n, c->spn,
				  c->service_realm ? c->service_realm : "", cc);
	wrsh_err r;
	if (rc < 0)
		return err_set(e, WRSH_EINVAL,
			       "auth: Kerberos: the credential cache is not one "
			       "(MIT's FILE: format, version 3 or 4)",
			       NULL);
	memcpy(k->name, cc->name, sizeof(k->name));
	memcpy(k->realm, cc->realm, sizeof(k->realm));
	if (!rc && cc->ticket_n <= sizeof(k->ticket) && now + 60 < cc->endtime) {
		memcpy(k->ticket, cc->ticket, cc->ticket_n);
		k->ticket_n = cc->ticket_n;
		k->session = cc->key;
		k->endtime = cc->endtime;
		wrsh_wipe(cc, sizeof(*cc));
		return WRSH_OK;
	}
	memcpy(server, "krbtgt/", 7);
	memcpy(server + 7, cc->realm, strlen(cc->realm) + 1);
	rc = krb5_ccache_find(c->ccache, c->ccache_n, server, NULL, cc);
	if (rc || now + 60 >= cc->endtime) {
		wrsh_wipe(cc, sizeof(*cc));
		return err_set(e, WRSH_EAUTH, "auth: Kerberos: the credential cache holds ",
			       rc ? "no AES ticket" : "an expired ticket", " for ", server,
			       " (kinit again)", NULL);
	}
	memset(&tgt, 0, sizeof(tgt));
	tgt.ticket.p = cc->ticket, tgt.ticket.n = cc->ticket_n;
	tgt.session = cc->key;
	wrsh_wipe(cc, sizeof(*cc));
	r = get_ticket(c, k, s, &tgt, e);
	wrsh_wipe(&tgt, sizeof(tgt));
	return r;
}

/* The TGT as a ccache for the application to keep (kinit's), so later
 * sessions start from it: *ccache_out_len 0 when it does not fit. */
static void cache_tgt(const struct auth_cred *c, const struct krb5_cred *k,
		      const struct krb5_as_rep *tgt, uint64_t now)
{
	char server[KRB5_NAME_MAX + 8];
	uint64_t end = 0;
	size_t n;
	memcpy(server, "krbtgt/", 7);
	memcpy(server + 7, k->realm, strlen(k->realm) + 1);
	(void)krb5_parse_time(tgt->endtime, &end);
	n = krb5_ccache_begin(c->ccache_out, c->ccache_out_cap, k->name, k->realm);
	*c->ccache_out_len = krb5_ccache_add(c->ccache_out, c->ccache_out_cap, n, k->name, k->realm,
					     server, k->realm, &tgt->session, now, end, tgt->flags,
					     tgt->ticket.p, tgt->ticket.n);
}

/* The service ticket after the TGT, under its own realm (another than the
 * user's where a trust led there), as MIT's klist would show it. */
static void cache_ticket(const struct auth_cred *c, const struct krb5_cred *k, uint64_t now)
{
	struct der t;
	char realm[KRB5_NAME_MAX];
	t.p = k->ticket, t.n = k->ticket_n;
	if (krb5_ticket_server(&t, realm, NULL, NULL))
		memcpy(realm, k->realm, sizeof(realm));
	*c->ccache_out_len = krb5_ccache_add(c->ccache_out, c->ccache_out_cap, *c->ccache_out_len,
					     k->name, k->realm, c->spn, realm, &k->session, now,
					     k->endtime, 0, k->ticket, k->ticket_n);
}

wrsh_err krb5_acquire(const struct auth_cred *c, void *scratch, struct errbuf *e)
{
	struct krb5_cred *k = c->cred;
	struct krb5_as_rep tgt;
	uint64_t now = krb5_now(c->port, NULL);
	wrsh_err r;
	if (!now)
		return err_set(e, WRSH_EUNSUPPORTED,
			       "auth: Kerberos needs the wall clock (the port's filetime)", NULL);
	if (k->ticket_n && now + 60 < k->endtime)
		return WRSH_OK;
	((struct krb5_scratch *)scratch)->kdc_n = 0;
	if (c->ccache) {
		k->ticket_n = 0;
		r = from_ccache(c, k, scratch, now, e);
		if (!r || (!k->password_n && !c->keytab) || r == WRSH_ENOMEM)
			return r;
		err_clear(e); /* an expired or foreign cache: log on afresh */
	}
	if (!k->password_n && !k->key.etype && !c->keytab)
		return err_set(e, WRSH_EINVAL, "auth: Kerberos needs a password or a keytab", NULL);
	if ((r = names(c, k, e)))
		return r;
	k->ticket_n = 0;
	r = get_tgt(c, k, scratch, now, &tgt, e);
	if (!r && c->ccache_out) /* the TGT first: the TGS-REP takes its place */
		cache_tgt(c, k, &tgt, now);
	if (!r)
		r = get_ticket(c, k, scratch, &tgt, e);
	if (!r && c->ccache_out && *c->ccache_out_len)
		cache_ticket(c, k, now);
	wrsh_wipe(&tgt, sizeof(tgt));
	return r;
}
