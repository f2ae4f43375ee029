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

void crypt_wrap(const struct auth_mech *m, void *ctx, uint8_t *buf, size_t body_off,
		size_t body_len, size_t *off, size_t *len)
{
	char head[CRYPT_PREFIX_MAX];
	struct sbuf h;
	uint8_t sig[CRYPT_SIG_MAX], siglen[4];
	m->wrap(ctx, buf + body_off, body_len, sig);
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
	if (siglen != m->sig_len || (size_t)(end - p - 4) < siglen)
		return bad(e, siglen != m->sig_len ? "signature length" : "truncated signature");
	data = p + 4 + siglen;
	/* the sealed text may contain anything: the end boundary is found
	 * from the declared length, then checked */
	k = (size_t)(end - data);
	if (want > k)
		return bad(e, "Length larger than the body");
	stop = data + want;
	if ((size_t)(end - stop) < strlen(BOUNDARY "--") || memcmp(stop, BOUNDARY "--", 22) != 0)
		return bad(e, "Length does not end at the boundary");
	if (m->unwrap(ctx, (uint8_t *)data, (size_t)want, p + 4, siglen))
		return err_set(
			e, WRSH_EINTEGRITY,
			"crypt: the response's signature does not verify (tampered, replayed "
			"or out of order)",
			NULL);
	*off = (size_t)(data - buf);
	*len = (size_t)want;
	return WRSH_OK;
}
