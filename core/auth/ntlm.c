/*
 * NTLMv2 after MS-NLMP: messages 2.2.1, NTLMv2 responses 3.3.2, keys
 * 3.4.5, sealing 3.4.6/3.4.7 with extended session security. Checked
 * against the 4.2.4 examples and against gss-ntlmssp as the acceptor.
 */
#include <string.h>

#include "crypto/rc4hmac.h"
#include "ntlm.h"
#include "util/bytes.h"
#include "util/utf.h"

enum {
	AV_EOL = 0,
	AV_NB_COMPUTER = 1,
	AV_FLAGS = 6,
	AV_TIMESTAMP = 7,
	AV_TARGET_NAME = 9,
	AV_CHANNEL_BINDINGS = 10
};
#define AV_FLAG_MIC 0x00000002u

static const uint8_t signature[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

/* A (len, maxlen, offset) field pointing into the message. */
static void put_field(uint8_t *p, size_t len, size_t off)
{
	put_le16(p, (uint32_t)len);
	put_le16(p + 2, (uint32_t)len);
	put_le32(p + 4, (uint32_t)off);
}

void ntlm_negotiate(struct ntlm_ctx *n, const uint8_t version[8], uint8_t *out)
{
	memset(n, 0, sizeof(*n));
	memcpy(out, signature, 8);
	put_le32(out + 8, 1);
	put_le32(out + 12, NTLM_CLIENT_FLAGS);
	put_field(out + 16, 0, NTLM_NEGOTIATE_LEN); /* no domain */
	put_field(out + 24, 0, NTLM_NEGOTIATE_LEN); /* no workstation */
	memcpy(out + 32, version, 8);
	memcpy(n->negotiate, out, NTLM_NEGOTIATE_LEN);
}

/* The parts of a CHALLENGE_MESSAGE we use (2.2.1.2). */
struct challenge {
	uint32_t flags;
	const uint8_t *server_challenge;
	const uint8_t *target_info;
	size_t target_info_len;
};

/* Walk AV pairs (2.2.2.1); false unless they end in MsvAvEOL in bounds. */
static bool av_valid(const uint8_t *p, size_t n)
{
	size_t off = 0;
	while (off + 4 <= n) {
		uint32_t id = get_le16(p + off), len = get_le16(p + off + 2);
		if (len > n - off - 4)
			return false;
		if (id == AV_EOL)
			return true;
		off += 4 + len;
	}
	return false;
}

static const uint8_t *av_find(const uint8_t *p, size_t n, uint32_t want, size_t *len)
{
	size_t off = 0;
	while (off + 4 <= n) {
		uint32_t id = get_le16(p + off), l = get_le16(p + off + 2);
		if (id == AV_EOL || l > n - off - 4)
			return NULL;
		if (id == want) {
			*len = l;
			return p + off + 4;
		}
		off += 4 + l;
	}
	return NULL;
}

static wrsh_err parse_challenge(const uint8_t *m, size_t n, struct challenge *c, struct errbuf *e)
{
	uint32_t ti_len, ti_off;
	if (n < 48 || memcmp(m, signature, 8) != 0 || get_le32(m + 8) != 2)
		return err_set(e, WRSH_EPROTO, "ntlm: not a CHALLENGE_MESSAGE", NULL);
	c->flags = get_le32(m + 20);
	c->server_challenge = m + 24;
	ti_len = get_le16(m + 40);
	ti_off = get_le32(m + 44);
	if (!(c->flags & NTLM_F_TARGET_INFO) || ti_len == 0)
		return err_set(e, WRSH_EAUTH, "ntlm: the server sent no target info (no NTLMv2)",
			       NULL);
	if (ti_off > n || ti_len > n - ti_off || !av_valid(m + ti_off, ti_len))
		return err_set(e, WRSH_EPROTO, "ntlm: malformed target info in the challenge",
			       NULL);
	if (ti_len > NTLM_MAX_TARGET_INFO)
		return err_set(e, WRSH_ELIMIT, "ntlm: target info beyond NTLM_MAX_TARGET_INFO",
			       NULL);
	c->target_info = m + ti_off;
	c->target_info_len = ti_len;
	return WRSH_OK;
}

wrsh_err ntlm_challenge_computer(const uint8_t *chal, size_t chal_len, char *out, size_t cap)
{
	struct challenge c;
	struct errbuf e = {WRSH_OK, ""};
	const uint8_t *v;
	size_t len = 0, n;
	wrsh_err err;
	out[0] = 0;
	if ((err = parse_challenge(chal, chal_len, &c, &e)))
		return err;
	v = av_find(c.target_info, c.target_info_len, AV_NB_COMPUTER, &len);
	if (!v)
		return WRSH_OK;
	if ((err = utf16le_to_utf8(v, len, out, cap - 1, &n)))
		return err;
	out[n] = 0;
	return WRSH_OK;
}

/* UTF-8 to UTF-16LE into a fixed buffer; upper-cased on request. */
static wrsh_err to16(const char *s, uint8_t *out, size_t *len, bool upper, struct errbuf *e)
{
	wrsh_err err = utf8_to_utf16le(s, strlen(s), out, NTLM_MAX_NAME, len);
	if (err == WRSH_ELIMIT)
		return err_set(e, WRSH_ELIMIT, "ntlm: name longer than NTLM_MAX_NAME", NULL);
	if (err)
		return err_set(e, WRSH_EINVAL, "ntlm: a name is not valid UTF-8", NULL);
	if (upper)
		utf16le_upper(out, *len);
	return WRSH_OK;
}

/*
 * The AV pairs the client returns inside its NTLMv2 response: the server's,
 * plus MsvAvFlags (MIC present), MsvAvChannelBindings and MsvAvTargetName
 * (3.1.5.1.2). out holds NTLM_MAX_TARGET_INFO + 64 + NTLM_MAX_NAME bytes.
 */
static size_t client_av(const struct challenge *c, const struct ntlm_input *in, bool mic,
			const uint8_t *spn, size_t spn_len, uint8_t *out)
{
	static const uint8_t zero_cbt[16];
	size_t off = 0, o = 0;
	bool have_flags = false;
	while (off + 4 <= c->target_info_len) {
		uint32_t id = get_le16(c->target_info + off),
			 len = get_le16(c->target_info + off + 2);
		if (id == AV_EOL)
			break;
		memcpy(out + o, c->target_info + off, 4 + len);
		if (id == AV_FLAGS && len == 4 && mic) {
			put_le32(out + o + 4, get_le32(out + o + 4) | AV_FLAG_MIC);
			have_flags = true;
		}
		o += 4 + len;
		off += 4 + len;
	}
	if (in->extend_av) {
		if (mic && !have_flags) {
			put_le16(out + o, AV_FLAGS), put_le16(out + o + 2, 4),
				put_le32(out + o + 4, AV_FLAG_MIC);
			o += 8;
		}
		put_le16(out + o, AV_CHANNEL_BINDINGS), put_le16(out + o + 2, 16);
		memcpy(out + o + 4, in->cbt ? in->cbt : zero_cbt, 16);
		o += 20;
		if (spn_len) {
			put_le16(out + o, AV_TARGET_NAME), put_le16(out + o + 2, (uint32_t)spn_len);
			memcpy(out + o + 4, spn, spn_len);
			o += 4 + spn_len;
		}
	}
	put_le32(out + o, 0); /* MsvAvEOL */
	return o + 4;
}

/* Signing and sealing keys from the exported session key (3.4.5.2-3). */
static void derive_keys(struct ntlm_ctx *n, const uint8_t key[16])
{
	static const char cs_sign[] = "session key to client-to-server signing key magic constant";
	static const char sc_sign[] = "session key to server-to-client signing key magic constant";
	static const char cs_seal[] = "session key to client-to-server sealing key magic constant";
	static const char sc_seal[] = "session key to server-to-client sealing key magic constant";
	uint8_t k[16];
	struct cbuf v[2] = {{key, 16}, {NULL, 0}};
	/* the constants are hashed with their terminating NUL */
	v[1].p = cs_sign, v[1].n = sizeof(cs_sign);
	md5_v(v, 2, n->client_sign);
	v[1].p = sc_sign, v[1].n = sizeof(sc_sign);
	md5_v(v, 2, n->server_sign);
	v[1].p = cs_seal, v[1].n = sizeof(cs_seal);
	md5_v(v, 2, k);
	rc4_init(&n->client_seal, k, 16);
	v[1].p = sc_seal, v[1].n = sizeof(sc_seal);
	md5_v(v, 2, k);
	rc4_init(&n->server_seal, k, 16);
	wrsh_wipe(k, sizeof(k));
	n->client_seq = n->server_seq = 0;
	n->ready = true;
}

static wrsh_err encode_names(const struct ntlm_input *in, struct ntlm_names *nm, struct errbuf *e)
{
	wrsh_err err;
	if ((err = to16(in->user, nm->user, &nm->user_n, false, e)) ||
	    (err = to16(in->domain ? in->domain : "", nm->domain, &nm->domain_n, false, e)) ||
	    (err = to16(in->workstation ? in->workstation : "", nm->ws, &nm->ws_n, false, e)))
		return err;
	nm->spn_n = 0;
	if (in->spn && in->extend_av)
		return to16(in->spn, nm->spn, &nm->spn_n, false, e);
	return WRSH_OK;
}

/* NTOWFv2 (3.3.2): HMAC_MD5(NT hash, UNICODE(Uppercase(User) + UserDom)) */
static wrsh_err ntowf_v2(const struct ntlm_input *in, const struct ntlm_names *nm, uint8_t out[16],
			 struct errbuf *e)
{
	uint8_t up[NTLM_MAX_NAME];
	size_t n;
	struct cbuf v[2];
	wrsh_err err = to16(in->user, up, &n, true, e);
	if (err)
		return err;
	v[0].p = up, v[0].n = n;
	v[1].p = nm->domain, v[1].n = nm->domain_n;
	hmac_md5(in->nt_hash, 16, v, 2, out);
	wrsh_wipe(up, sizeof(up));
	return WRSH_OK;
}

/* Payload pieces of the AUTHENTICATE_MESSAGE, in Windows' order. */
static size_t put_payload(uint8_t *out, size_t off, uint8_t *field, const void *p, size_t n)
{
	put_field(field, n, off);
	memcpy(out + off, p, n);
	return off + n;
}

wrsh_err ntlm_authenticate(struct ntlm_ctx *n, struct ntlm_scratch *w, const struct ntlm_input *in,
			   const uint8_t *chal, size_t chal_len, uint8_t *out, size_t *out_len,
			   struct errbuf *e)
{
	struct challenge c;
	struct ntlm_names *nm = &w->nm;
	uint8_t *av = w->av;
	uint8_t key_nt[16], proof[16], base_key[16], lm[24], mic[16];
	uint8_t temp_head[28];
	const uint8_t *ts;
	size_t ts_len = 0, av_len, hdr, off;
	bool mic_on;
	struct cbuf v[3];
	wrsh_err err;
	const uint32_t need = NTLM_F_ESS | NTLM_F_128 | NTLM_F_KEY_EXCH | NTLM_F_SIGN | NTLM_F_SEAL;

	if ((err = parse_challenge(chal, chal_len, &c, e)))
		return err;
	if ((c.flags & need) != need)
		return err_set(e, WRSH_EAUTH,
			       "ntlm: the server does not offer 128-bit NTLMv2 session security",
			       NULL);
	if ((err = encode_names(in, nm, e)) || (err = ntowf_v2(in, nm, key_nt, e)))
		goto out;
	ts = av_find(c.target_info, c.target_info_len, AV_TIMESTAMP, &ts_len);
	mic_on = ts && ts_len == 8 && in->extend_av;

	/* temp (3.3.2): 1, 1, Z(6), Time, ClientChallenge, Z(4), AV pairs, Z(4) */
	memset(temp_head, 0, sizeof(temp_head));
	temp_head[0] = temp_head[1] = 1;
	if (ts && ts_len == 8)
		memcpy(temp_head + 8, ts, 8);
	else
		for (off = 0; off < 8; off++)
			temp_head[8 + off] = (uint8_t)(in->filetime >> (8 * off));
	memcpy(temp_head + 16, in->client_challenge, 8);
	av_len = client_av(&c, in, mic_on, nm->spn, nm->spn_n, av);
	memset(av + av_len, 0, 4);
	av_len += 4;

	v[0].p = c.server_challenge, v[0].n = 8;
	v[1].p = temp_head, v[1].n = sizeof(temp_head);
	v[2].p = av, v[2].n = av_len;
	hmac_md5(key_nt, 16, v, 3, proof);
	v[0].p = proof, v[0].n = 16;
	hmac_md5(key_nt, 16, v, 1, base_key); /* SessionBaseKey = KeyExchangeKey */

	/* LMv2: zeros when the server sent a timestamp (3.1.5.1.2) */
	memset(lm, 0, sizeof(lm));
	if (!ts) {
		v[0].p = c.server_challenge, v[0].n = 8;
		v[1].p = in->client_challenge, v[1].n = 8;
		hmac_md5(key_nt, 16, v, 2, lm);
		memcpy(lm + 16, in->client_challenge, 8);
	}

	n->flags = NTLM_CLIENT_FLAGS | (c.flags & NTLM_F_TARGET_INFO);
	hdr = mic_on ? 88 : 72;
	memset(out, 0, hdr);
	memcpy(out, signature, 8);
	put_le32(out + 8, 3);
	off = put_payload(out, hdr, out + 28, nm->domain, nm->domain_n);
	off = put_payload(out, off, out + 36, nm->user, nm->user_n);
	off = put_payload(out, off, out + 44, nm->ws, nm->ws_n);
	off = put_payload(out, off, out + 12, lm, 24);
	put_field(out + 20, 16 + sizeof(temp_head) + av_len, off);
	memcpy(out + off, proof, 16);
	memcpy(out + off + 16, temp_head, sizeof(temp_head));
	memcpy(out + off + 16 + sizeof(temp_head), av, av_len);
	off += 16 + sizeof(temp_head) + av_len;
	/* EncryptedRandomSessionKey = RC4K(KeyExchangeKey, ExportedSessionKey) */
	{
		struct rc4_ctx r;
		rc4_init(&r, base_key, 16);
		put_field(out + 52, 16, off);
		rc4_crypt(&r, in->session_key, out + off, 16);
		wrsh_wipe(&r, sizeof(r));
		off += 16;
	}
	put_le32(out + 60, n->flags);
	memcpy(out + 64, in->version, 8);
	if (mic_on) { /* MIC over all three messages, its own field zero (3.1.5.1.2) */
		v[0].p = n->negotiate, v[0].n = NTLM_NEGOTIATE_LEN;
		v[1].p = chal, v[1].n = chal_len;
		v[2].p = out, v[2].n = off;
		hmac_md5(in->session_key, 16, v, 3, mic);
		memcpy(out + 72, mic, 16);
	}
	*out_len = off;
	derive_keys(n, in->session_key);
out:
	wrsh_wipe(key_nt, sizeof(key_nt));
	wrsh_wipe(base_key, sizeof(base_key));
	wrsh_wipe(w, sizeof(*w));
	return err;
}

/* MAC (3.4.4.2): HMAC_MD5(SignKey, SeqNum || msg)[0..7], sealed by the same
 * RC4 handle (key exchange negotiated). */
static void mac(const uint8_t key[16], struct rc4_ctx *seal, uint32_t seq, const uint8_t *msg,
		size_t len, uint8_t sig[NTLM_SIG_LEN])
{
	uint8_t s[4], h[16];
	struct cbuf v[2] = {{s, 4}, {msg, len}};
	put_le32(s, seq);
	hmac_md5(key, 16, v, 2, h);
	put_le32(sig, 1);
	rc4_crypt(seal, h, sig + 4, 8);
	put_le32(sig + 12, seq);
}

void ntlm_seal(struct ntlm_ctx *n, uint8_t *msg, size_t len, uint8_t sig[NTLM_SIG_LEN])
{
	uint8_t s[4], h[16];
	struct cbuf v[2] = {{s, 4}, {msg, len}};
	/* the checksum covers the plaintext; RC4 runs over the message first,
	 * then over the checksum (3.4.3) */
	put_le32(s, n->client_seq);
	hmac_md5(n->client_sign, 16, v, 2, h);
	rc4_crypt(&n->client_seal, msg, msg, len);
	put_le32(sig, 1);
	rc4_crypt(&n->client_seal, h, sig + 4, 8);
	put_le32(sig + 12, n->client_seq);
	n->client_seq++;
	wrsh_wipe(h, sizeof(h));
}

wrsh_err ntlm_unseal(struct ntlm_ctx *n, uint8_t *msg, size_t len, const uint8_t sig[NTLM_SIG_LEN])
{
	uint8_t want[NTLM_SIG_LEN];
	unsigned diff = 0;
	size_t i;
	rc4_crypt(&n->server_seal, msg, msg, len);
	mac(n->server_sign, &n->server_seal, n->server_seq, msg, len, want);
	for (i = 0; i < NTLM_SIG_LEN; i++) /* constant time */
		diff |= (unsigned)(want[i] ^ sig[i]);
	n->server_seq++;
	return diff ? WRSH_EINTEGRITY : WRSH_OK;
}

wrsh_err ntlm_nt_hash(const char *password, uint8_t out[16])
{
	return rc4hmac_string_to_key(password, strlen(password), out); /* the same MD4 */
}

void ntlm_wipe(struct ntlm_ctx *n)
{
	wrsh_wipe(n, sizeof(*n));
}
