/* What a KDC or an acceptor answers (core/auth/krb5_msg.c, krb5_wrap.c)
 * from any bytes, and what a credential cache or keytab holds: read as a
 * ccache, a keytab, a
 * KRB-ERROR (bare, and in a GSS token), a
 * KerberosTime, a Ticket's server (what referrals are read by), an
 * AS-REP, an AP-REP token and a
 * wrap token split anywhere (the encrypted parts a fixed key cannot open,
 * so the reading up to the MAC, the rotation included, is what runs). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "auth/krb5.h"
#include "auth/krb5_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t copy[1 << 16];
	struct krb5_error e;
	struct krb5_as_rep r;
	struct krb5_key k;
	struct krb5_ap_rep ar;
	struct krb5_ccache cc;
	size_t off, pn;
	uint64_t seq;
	uint8_t flags;
	if (size > sizeof(copy))
		return 0;
	(void)krb5_parse_error(data, size, &e);
	(void)krb5_gss_error(data, size, &e);
	(void)krb5_ccache_find(data, size, "krbtgt/WRSH.TEST", NULL, &cc);
	(void)krb5_ccache_find(data, size, "HTTP/x", "", &cc);
	{
		static char part[3][KRB5_PART_MAX];
		struct der t;
		t.p = data, t.n = size;
		(void)krb5_ticket_server(&t, part[0], part[1], part[2]);
	}
	(void)krb5_keytab_key(data, size, "alice", "WRSH.TEST", 18, &k);
	if (size >= 15) {
		uint64_t t;
		char z[16];
		memcpy(z, data, 15);
		z[15] = 0;
		(void)krb5_parse_time(z, &t);
	}
	memset(&k, 0x5a, sizeof(k));
	k.etype = 18;
	k.len = 32;
	memcpy(copy, data, size);
	(void)krb5_parse_as_rep(copy, size, &k, 1, &r);
	(void)krb5_as_rep_etype(data, size);
	k.etype = 23; /* RC4-HMAC's decrypt at every length the DER lets through */
	k.len = 16;
	memcpy(copy, data, size);
	(void)krb5_parse_as_rep(copy, size, &k, 1, &r);
	k.etype = 18;
	k.len = 32;
	memcpy(copy, data, size);
	(void)krb5_gss_ap_rep(copy, size, &k, "20261203120000Z", 1, &ar);
	memcpy(copy, data, size);
	(void)krb5_unwrap(&k, 22, copy, size ? data[0] % (size + 1) : 0,
			  size - (size ? data[0] % (size + 1) : 0), &off, &pn, &seq, &flags);
	return 0;
}
