/*
 * A thin driver of core/auth/krb5_msg.c for the AS exchange against MIT's
 * KDC (tests/interop/krb5_kdc.py carries the bytes over TCP):
 *
 *   krb5_tool login USER REALM      (the password in $WRSH_PASSWORD)
 *       prints "req HEX" for each AS-REQ and reads the KDC's answer as a
 *       line of hex on stdin; ends with "ok etype=E keylen=N endtime=T
 *       ticket=N flags=HEX", "error CODE", or "fail WHY"
 *   krb5_tool token USER REALM HOST
 *       the same, then a TGS-REQ for HTTP/HOST with the TGT, then prints
 *       "token HEX": the GSS-API initial token (AP-REQ) for that service;
 *       reads the acceptor's answer (hex) and checks it (mutual
 *       authentication), reads "SIG_HEX DATA_HEX", a message the acceptor
 *       sealed, prints "plain HEX", then seals one of its own and prints
 *       "wrapped SIG_HEX DATA_HEX"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "auth/krb5_msg.h"
#include "crypto/kcrypto.h"
#include "util/hex.h"

static uint8_t req[4096], rep[8192];
static size_t rep_split; /* of a "HEX HEX" answer: the first piece's length */

static void random_bytes(void *p, size_t n)
{
	FILE *f = fopen("/dev/urandom", "rb");
	if (!f || fread(p, 1, n, f) != n)
		exit(2);
	fclose(f);
}

/* One request out, its answer in; returns the answer's length. */
static size_t exchange(const uint8_t *q, size_t n)
{
	static char line[2 * sizeof(rep) + 8];
	size_t i, len, a, b;
	if (q) {
		printf("req ");
		for (i = 0; i < n; i++)
			printf("%02x", q[i]);
		printf("\n");
	}
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		exit(2);
	len = strcspn(line, "\r\n");
	a = strcspn(line, " "); /* "HEX HEX": two pieces, a NUL between */
	if (a < len) {
		b = len - a - 1;
		if (a % 2 || b % 2 || (a + b) / 2 + 1 > sizeof(rep) ||
		    hex_decode(line, a, rep, a / 2) ||
		    hex_decode(line + a + 1, b, rep + a / 2 + 1, b / 2))
			exit(2);
		rep[a / 2] = 0;
		rep_split = a / 2;
		return (a + b) / 2 + 1;
	}
	if (len % 2 || len / 2 > sizeof(rep) || hex_decode(line, len, rep, len / 2))
		exit(2);
	return len / 2;
}

static size_t as_req(const char *user, const char *realm, uint32_t nonce, const uint8_t *pa,
		     size_t pa_n, const uint8_t **out)
{
	static const int32_t etypes[2] = {KCRYPTO_ETYPE_AES256, KCRYPTO_ETYPE_AES128};
	struct der_w w;
	struct timeval tv;
	char till[16];
	size_t n;
	gettimeofday(&tv, NULL);
	krb5_time((uint64_t)tv.tv_sec + 36000, till);
	der_w_init(&w, req, sizeof(req));
	if (krb5_as_req(&w, user, realm, nonce, till, etypes, 2, pa, pa_n) ||
	    der_w_done(&w, out, &n))
		exit(2);
	return n;
}

static uint8_t tgt[2048], tgs_rep_ticket[2048];

static void print_hex(const char *what, const uint8_t *p, size_t n)
{
	size_t i;
	printf("%s", what);
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
}

/* The AP-REP, then a message each way under the key it leaves. */
static int sealing(const struct krb5_key *svc, const struct krb5_key *ours, const char *ctime,
		   uint32_t cusec, uint32_t our_seq)
{
	static const char mine[] = "sealed by wrsh's RFC 4121 wrap";
	static uint8_t buf[4096];
	struct krb5_ap_rep ar;
	const struct krb5_key *k;
	uint8_t sig[KRB5_WRAP_SIG], conf[16], flags;
	size_t n = exchange(NULL, 0), sn, dn, off, pn;
	uint64_t seq;
	int rc = krb5_gss_ap_rep(rep, n, svc, ctime, cusec, &ar);
	if (rc) {
		printf("fail AP-REP %d\n", rc);
		return 1;
	}
	/* RFC 4121 2: the acceptor's subkey when it sent one, else ours */
	k = ar.subkey.etype ? &ar.subkey : ours;
	/* "SIG DATA": sealed by the acceptor, usage 22 */
	n = exchange(NULL, 0);
	sn = rep_split, dn = n - sn - 1;
	memmove(buf, rep, sn);
	memmove(buf + sn, rep + sn + 1, dn);
	if ((rc = krb5_unwrap(k, KRB5_USAGE_ACCEPTOR_SEAL, buf, sn, dn, &off, &pn, &seq, &flags))) {
		printf("fail unwrap %d\n", rc);
		return 1;
	}
	print_hex("plain ", buf + off, pn);
	printf(" flags=%02x\n", flags);
	random_bytes(conf, sizeof(conf));
	memcpy(buf + KRB5_WRAP_ROOM, mine, sizeof(mine) - 1);
	if (krb5_wrap(k, KRB5_USAGE_INITIATOR_SEAL, ar.subkey.etype ? KRB5_FLAG_ACCEPTOR_SUBKEY : 0,
		      our_seq, conf, buf, sizeof(mine) - 1, sig)) /* RFC 4121 4.2.3: from the
								   authenticator's seq-number */
		return 2;
	print_hex("wrapped ", sig, sizeof(sig));
	print_hex(" ", buf + KRB5_WRAP_ROOM, sizeof(mine) - 1);
	printf("\n");
	return 0;
}

/* The TGT's session key and ticket to a service ticket for HTTP/host, and
 * that to the GSS-API token an HTTP client sends. */
static int service_token(const char *user, const char *realm, const char *host,
			 const struct krb5_as_rep *as)
{
	static const int32_t etypes[2] = {KCRYPTO_ETYPE_AES256, KCRYPTO_ETYPE_AES128};
	static uint8_t tok[4096];
	struct krb5_tgs q;
	struct krb5_as_rep st;
	struct krb5_key tgt_key = as->session, svc_key, subkey;
	struct der_w w;
	struct timeval tv;
	uint8_t ck[KRB5_GSS_CKSUM_LEN];
	const uint8_t *out;
	char now[16], till[16];
	uint32_t nonce;
	size_t n, i;
	int rc;
	memcpy(tgt, as->ticket.p, as->ticket.n);
	gettimeofday(&tv, NULL);
	krb5_time((uint64_t)tv.tv_sec, now);
	krb5_time((uint64_t)tv.tv_sec + 36000, till);
	random_bytes(&nonce, sizeof(nonce));
	nonce &= 0x7fffffff;
	memset(&q, 0, sizeof(q));
	q.ap.ticket = tgt, q.ap.ticket_n = as->ticket.n, q.ap.key = &tgt_key;
	q.ap.user = user, q.ap.realm = realm, q.ap.ctime = now, q.ap.cusec = (uint32_t)tv.tv_usec;
	random_bytes(q.ap.confounder, 16);
	q.realm = realm, q.sname[0] = "HTTP", q.sname[1] = host;
	q.nonce = nonce, q.till = till, q.etypes = etypes, q.netypes = 2;
	der_w_init(&w, req, sizeof(req));
	if (krb5_tgs_req(&w, &q) || der_w_done(&w, &out, &n))
		return 2;
	n = exchange(out, n);
	if (rep[0] == 0x7e) {
		struct krb5_error e;
		if (krb5_parse_error(rep, n, &e))
			printf("fail malformed KRB-ERROR\n");
		else
			printf("error %lld %s\n", (long long)e.code, e.text);
		return 1;
	}
	if ((rc = krb5_parse_tgs_rep(rep, n, &tgt_key, nonce, &st))) {
		printf("fail TGS-REP %d\n", rc);
		return 1;
	}
	memcpy(tgs_rep_ticket, st.ticket.p, st.ticket.n);
	svc_key = st.session;
	/* the AP-REQ: mutual authentication, a subkey of our own (as Windows
	 * sends one), a sequence number, the GSS checksum without bindings */
	subkey.etype = svc_key.etype, subkey.len = svc_key.len;
	random_bytes(subkey.v, subkey.len);
	krb5_gss_cksum(NULL, KRB5_GSS_MUTUAL | KRB5_GSS_INTEG | KRB5_GSS_CONF | KRB5_GSS_SEQUENCE,
		       ck);
	memset(&q.ap, 0, sizeof(q.ap));
	q.ap.ticket = tgs_rep_ticket, q.ap.ticket_n = st.ticket.n, q.ap.key = &svc_key;
	q.ap.usage = 11, q.ap.user = user, q.ap.realm = realm, q.ap.ctime = now;
	q.ap.cusec = (uint32_t)tv.tv_usec, q.ap.cksum = ck, q.ap.cksum_n = sizeof(ck);
	q.ap.cksum_type = KRB5_GSS_CKSUM, q.ap.subkey = &subkey, q.ap.has_seq = 1;
	random_bytes(&q.ap.seq, sizeof(q.ap.seq));
	q.ap.seq &= 0x3fffffff, q.ap.mutual = 1;
	random_bytes(q.ap.confounder, 16);
	der_w_init(&w, tok, sizeof(tok));
	if (krb5_gss_ap_req(&w, &q.ap) || der_w_done(&w, &out, &n))
		return 2;
	printf("token ");
	for (i = 0; i < n; i++)
		printf("%02x", out[i]);
	printf("\n");
	return sealing(&svc_key, &subkey, now, (uint32_t)tv.tv_usec, q.ap.seq);
}

int main(int argc, char **argv)
{
	const char *user, *realm, *pw = getenv("WRSH_PASSWORD");
	uint8_t salt[512], conf[16], pabuf[512];
	struct krb5_error e;
	struct krb5_as_rep r;
	struct krb5_key k;
	const uint8_t *q, *pa;
	uint32_t nonce;
	size_t n, sn, pn;
	int rc;
	if (!pw ||
	    !((argc == 4 && !strcmp(argv[1], "login")) || (argc == 5 && !strcmp(argv[1], "token"))))
		return 2;
	user = argv[2], realm = argv[3];
	random_bytes(&nonce, sizeof(nonce));
	nonce &= 0x7fffffff;
	n = as_req(user, realm, nonce, NULL, 0, &q);
	n = exchange(q, n);
	memset(&e, 0, sizeof(e));
	e.etype = KCRYPTO_ETYPE_AES256, e.iterations = KCRYPTO_ITERATIONS;
	if (rep[0] == 0x7e) { /* KRB-ERROR */
		if (krb5_parse_error(rep, n, &e)) {
			printf("fail malformed KRB-ERROR\n");
			return 1;
		}
		if (e.code != KRB5_ERR_PREAUTH_REQUIRED) {
			printf("error %lld\n", (long long)e.code);
			return 1;
		}
		if (!e.etype) {
			if (e.offered) /* the KDC named the etype it has */
				printf("fail no etype of ours offered (first: %d)\n",
				       (int)e.offered);
			else
				printf("fail no etype of ours offered\n");
			return 1;
		}
	}
	if (e.has_salt) {
		memcpy(salt, e.salt, e.salt_n);
		sn = e.salt_n;
	} else { /* RFC 4120 4: the realm, then the name's parts */
		sn = (size_t)snprintf((char *)salt, sizeof(salt), "%s%s", realm, user);
	}
	k.etype = e.etype;
	k.len = e.etype == KCRYPTO_ETYPE_AES256 ? 32 : 16;
	if (kcrypto_string_to_key(pw, strlen(pw), salt, sn, e.iterations, k.len, k.v))
		return 2;
	if (rep[0] == 0x7e) { /* again, with the encrypted timestamp */
		struct der_w w;
		struct timeval tv;
		char now[16];
		gettimeofday(&tv, NULL);
		krb5_time((uint64_t)tv.tv_sec, now);
		random_bytes(conf, sizeof(conf));
		der_w_init(&w, pabuf, sizeof(pabuf));
		if (krb5_pa_timestamp(&w, &k, now, (uint32_t)tv.tv_usec, conf) ||
		    der_w_done(&w, &pa, &pn))
			return 2;
		n = as_req(user, realm, nonce, pa, pn, &q);
		n = exchange(q, n);
		if (rep[0] == 0x7e) {
			if (krb5_parse_error(rep, n, &e)) {
				printf("fail malformed KRB-ERROR\n");
				return 1;
			}
			printf("error %lld\n", (long long)e.code);
			return 1;
		}
	}
	rc = krb5_parse_as_rep(rep, n, &k, nonce, &r);
	if (rc) {
		printf("fail AS-REP %d\n", rc);
		return 1;
	}
	if (!strcmp(argv[1], "login")) {
		printf("ok etype=%d keylen=%zu endtime=%s ticket=%zu flags=%08x\n",
		       (int)r.session.etype, r.session.len, r.endtime, r.ticket.n,
		       (unsigned)r.flags);
		return 0;
	}
	return service_token(user, realm, argv[4], &r);
}
