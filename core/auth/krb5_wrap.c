/* RFC 4121 4.2.6.2 Wrap tokens with confidentiality; see krb5_msg.h. */
#include <string.h>

#include "auth/krb5_msg.h"
#include "crypto/kcrypto.h"
#include "wrsh.h"

#define HDR 16
#define RRC (HDR + KCRYPTO_MAC) /* the header copy and the MAC rotated in front */

static void header(uint8_t h[HDR], uint8_t flags, uint16_t ec, uint16_t rrc, uint64_t seq)
{
	int i;
	h[0] = 0x05, h[1] = 0x04, h[2] = flags, h[3] = 0xFF;
	h[4] = (uint8_t)(ec >> 8), h[5] = (uint8_t)ec;
	h[6] = (uint8_t)(rrc >> 8), h[7] = (uint8_t)rrc;
	for (i = 0; i < 8; i++)
		h[8 + i] = (uint8_t)(seq >> (56 - 8 * i));
}

int krb5_wrap(const struct krb5_key *k, uint32_t usage, uint8_t flags, uint64_t seq,
	      const uint8_t confounder[16], uint8_t *buf, size_t n, uint8_t sig[KRB5_WRAP_SIG])
{
	/* E = encrypt(confounder | data | header copy) | MAC, EC 0 (AES-CTS
	 * needs no filler), rotated right by 28: the tail comes first */
	uint8_t ke[32], ki[32], mac[20], iv[16] = {0};
	size_t len = n + 2 * KRB5_WRAP_ROOM;
	struct cbuf all = {buf, len};
	int r = -1;
	flags |= KRB5_FLAG_SEALED;
	memcpy(buf, confounder, 16);
	header(buf + KRB5_WRAP_ROOM + n, flags, 0, 0, seq); /* the copy: RRC 0 */
	if (!kcrypto_usage_key(k->v, k->len, usage, KCRYPTO_KE, ke) &&
	    !kcrypto_usage_key(k->v, k->len, usage, KCRYPTO_KI, ki)) {
		kcrypto_hmac_sha1(ki, k->len, &all, 1, mac);
		r = kcrypto_cts(ke, k->len, 1, iv, buf, len);
	}
	if (!r) {
		header(sig, flags, 0, RRC, seq);
		memcpy(sig + HDR, buf + KRB5_WRAP_ROOM + n, 16);
		memcpy(sig + HDR + 16, mac, KCRYPTO_MAC);
		memcpy(sig + HDR + RRC, buf, 16);
	}
	wrsh_wipe(ke, sizeof(ke));
	wrsh_wipe(ki, sizeof(ki));
	wrsh_wipe(mac, sizeof(mac));
	return r;
}

static void reverse(uint8_t *p, size_t n)
{
	size_t i;
	for (i = 0; i < n / 2; i++) {
		uint8_t t = p[i];
		p[i] = p[n - 1 - i];
		p[n - 1 - i] = t;
	}
}

/* Rotate p left by k (the peer rotated right by its RRC): three reversals. */
static void rotate_left(uint8_t *p, size_t n, size_t k)
{
	if (!n || !(k %= n))
		return;
	reverse(p, k);
	reverse(p + k, n - k);
	reverse(p, n);
}

int krb5_unwrap(const struct krb5_key *k, uint32_t usage, uint8_t *buf, size_t sig_n, size_t n,
		size_t *off, size_t *plain_n, uint64_t *seq, uint8_t *flags)
{
	uint8_t h[HDR], *body = buf + HDR;
	size_t len, plen, ec, rrc, i;
	int r;
	if (sig_n < HDR || buf[0] != 0x05 || buf[1] != 0x04 || buf[3] != 0xFF ||
	    !(buf[2] & KRB5_FLAG_SEALED))
		return -1;
	memcpy(h, buf, HDR);
	ec = (size_t)h[4] << 8 | h[5];
	rrc = (size_t)h[6] << 8 | h[7];
	len = sig_n - HDR + n;
	if (len < KCRYPTO_OVERHEAD + HDR + ec)
		return -1;
	rotate_left(body, len, rrc);
	r = kcrypto_decrypt(k->v, k->len, usage, body, len, &plen);
	if (r)
		return r;
	/* data | EC bytes of filler | the header copy, which must be the
	 * header with RRC 0 (RFC 4121 4.2.4) */
	if (plen < ec + HDR)
		return -1;
	h[6] = h[7] = 0;
	if (memcmp(body + KCRYPTO_CONFOUNDER + plen - HDR, h, HDR))
		return -2;
	*off = HDR + KCRYPTO_CONFOUNDER;
	*plain_n = plen - ec - HDR;
	*flags = h[2];
	for (*seq = 0, i = 0; i < 8; i++)
		*seq = *seq << 8 | h[8 + i];
	return 0;
}
