/*
 * multipart/encrypted framing (MS-WSMV 2.2.9.1.1.1-2):
 *
 *   --Encrypted Boundary\r\n
 *   Content-Type: application/HTTP-SPNEGO-session-encrypted\r\n
 *   OriginalContent: type=application/soap+xml;charset=UTF-8;Length=N\r\n
 *   --Encrypted Boundary\r\n
 *   Content-Type: application/octet-stream\r\n
 *   <signature length, 4 bytes LE><signature><sealed SOAP, N bytes>
 *   --Encrypted Boundary--\r\n
 *
 * The grammar of 2.2.9.1.1.2 puts a horizontal tab before each part
 * header, and Windows writes one; to a MIME reader that tab folds the line
 * into the one before, and OMI, which matches the headers at the start of
 * a line, then finds none and drops the connection. The headers are sent
 * without it, as OMI's own client sends them to Windows and OMI alike, and
 * read in either form.
 */
#include <string.h>

#include "wsman/crypt.h"
#include "util/bytes.h"
#include "util/str.h"

#define BOUNDARY "--Encrypted Boundary"
#define PART1                                                                      \
	BOUNDARY "\r\nContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n" \
		 "OriginalContent: type=application/soap+xml;charset=UTF-8;Length="
#define PART2 "\r\n" BOUNDARY "\r\nContent-Type: application/octet-stream\r\n"
#define END BOUNDARY "--\r\n"

wrsh_err crypt_wrap(const struct auth_mech *m, void *ctx, uint8_t *buf, size_t body_off,
		    size_t body_len, size_t *off, size_t *len)
{
	char head[CRYPT_PREFIX_MAX];
	struct sbuf h;
	uint8_t sig[CRYPT_SIG_MAX], siglen[4];
	wrsh_err e = m->wrap(ctx, buf + body_off, body_len, sig);
	if (e)
		return e;
	put_le32(siglen, (uint32_t)m->sig_len);
	sb_init(&h, head, sizeof(head));
	sb_puts(&h, PART1);
	sb_put_u64(&h, body_len);
	sb_puts(&h, PART2);
	sb_put(&h, siglen, 4);
	sb_put(&h, sig, m->sig_len);
	/* CRYPT_PREFIX_MAX covers the longest prefix; a body of 4 GB or more
	 * cannot reach here (CONFIG_WRSH_WSMAN_TX_BUF) */
	*off = body_off - h.len; /* the prefix ends where the body starts */
	memcpy(buf + *off, head, h.len);
	memcpy(buf + body_off + body_len, END, CRYPT_SUFFIX_LEN);
	*len = h.len + body_len + CRYPT_SUFFIX_LEN;
	return WRSH_OK;
}

static const uint8_t *find(const uint8_t *p, const uint8_t *end, const char *s)
{
	size_t k = strlen(s);
	for (; p + k <= end; p++)
		if (*p == (uint8_t)*s && memcmp(p, s, k) == 0)
			return p;
	return NULL;
}

static wrsh_err bad(struct errbuf *e, const char *what)
{
	return err_set(e, WRSH_EPROTO, "crypt: malformed encrypted response: ", what, NULL);
}

wrsh_err crypt_unwrap(const struct auth_mech *m, void *ctx, uint8_t *buf, size_t n_bytes,
		      size_t *off, size_t *len, struct errbuf *e)
{
	const uint8_t *end = buf + n_bytes, *p, *q, *data, *stop;
	uint64_t want;
	uint32_t siglen;
	size_t k;
	wrsh_err r;
	/* the headers are found wherever they start: after a tab (Windows) or
	 * at the line's start (OMI) */
	p = find(buf, end, "Length=");
	if (!p)
		return bad(e, "no OriginalContent length");
	p += 7;
	for (q = p; q < end && *q >= '0' && *q <= '9'; q++)
		;
	if (str_to_u64((const char *)p, (size_t)(q - p), UINT32_MAX, &want))
		return bad(e, "OriginalContent length");
	p = find(q, end, "Content-Type: application/octet-stream\r\n");
	if (!p)
		return bad(e, "no octet-stream part");
	p += strlen("Content-Type: application/octet-stream\r\n");
	if (end - p < 4)
		return bad(e, "truncated signature");
	siglen = get_le32(p);
	if (siglen > CRYPT_SIG_MAX || (size_t)(end - p - 4) < siglen)
		return bad(e, siglen > CRYPT_SIG_MAX ? "signature length" : "truncated signature");
	data = p + 4 + siglen;
	/* the sealed text may contain anything, the boundary too: it ends
	 * where the body's last boundary starts */
	if ((size_t)(end - data) < 22)
		return bad(e, "no end boundary");
	for (stop = end - 22; stop > data && end - stop < CRYPT_SUFFIX_LEN; stop--)
		if (memcmp(stop, BOUNDARY "--", 22) == 0)
			break;
	if (memcmp(stop, BOUNDARY "--", 22) != 0)
		return bad(e, "no end boundary");
	if (want > (size_t)(stop - data))
		return bad(e, "Length larger than the body");
	r = m->unwrap(ctx, (uint8_t *)p + 4, siglen, (size_t)(stop - data), &k, len);
	if (r == WRSH_EPROTO)
		return bad(e, "signature length");
	if (r)
		return err_set(
			e, WRSH_EINTEGRITY,
			"crypt: the response's signature does not verify (tampered, replayed "
			"or out of order)",
			NULL);
	if (*len != want)
		return bad(e, "Length does not match the sealed text");
	*off = (size_t)(p + 4 - buf) + k;
	return WRSH_OK;
}
