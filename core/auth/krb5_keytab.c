/*
 * A client's key from a keytab in MIT's format, as kadmin's ktadd and
 * ktutil write it (MIT krb5 documentation, "Keytab file format": version
 * 0x0502, integers big-endian; 0x0501, host order, is refused). Read in
 * place, every length checked against what remains.
 *
 *   version u16, then entries to the end: size i32 (negative: a hole of
 *   that many bytes), then components u16, realm, components (each u16
 *   length and bytes), name type u32, timestamp u32, vno u8, key type u16,
 *   key (u16 length and bytes), and a 32-bit vno when the entry has room.
 */
#include <string.h>

#include "auth/krb5.h"
#include "crypto/kcrypto.h"
#include "util/bytes.h"

/* A counted string (u16 length) of e, equal to want[0..n) when want is set. */
static int counted(const uint8_t **p, size_t *left, const char *want, size_t want_n, int *match)
{
	size_t n;
	if (*left < 2)
		return -1;
	n = (size_t)get_be(*p, 2);
	if (n > *left - 2)
		return -1;
	if (want)
		*match = *match && n == want_n && !memcmp(*p + 2, want, n);
	*p += 2 + n, *left -= 2 + n;
	return 0;
}

/* name "a/b" and realm matched against the entry's principal */
static int principal_is(const uint8_t **p, size_t *left, const char *name, const char *realm,
			int *match)
{
	size_t count, i, at = 0;
	if (*left < 2)
		return -1;
	count = (size_t)get_be(*p, 2);
	*p += 2, *left -= 2;
	*match = 1;
	if (counted(p, left, realm, strlen(realm), match))
		return -1;
	for (i = 0; i < count; i++) {
		const char *part = name + at;
		size_t n = strcspn(part, "/");
		if (counted(p, left, part, n, match))
			return -1;
		at += n + (part[n] == '/');
		if (!part[n] && i + 1 < count)
			*match = 0; /* the entry has more components than the name */
	}
	if (name[at])
		*match = 0;
	return 0;
}

int krb5_keytab_key(const uint8_t *buf, size_t len, const char *name, const char *realm,
		    int32_t etype, struct krb5_key *out)
{
	const uint8_t *p = buf;
	size_t left = len;
	uint32_t best = 0;
	int found = 1;
	if (len < 2 || get_be(buf, 2) != 0x0502)
		return -1;
	p += 2, left -= 2;
	while (left) {
		const uint8_t *e, *key;
		size_t el, kn;
		uint32_t vno, type;
		int64_t size;
		int match;
		if (left < 4)
			return -1;
		size = (int32_t)get_be(p, 4);
		p += 4, left -= 4;
		if (size < 0) { /* a deleted entry's hole */
			if ((uint64_t)-size > left)
				return -1;
			p += (size_t)-size, left -= (size_t)-size;
			continue;
		}
		if ((uint64_t)size > left)
			return -1;
		e = p, el = (size_t)size;
		p += el, left -= el;
		if (principal_is(&e, &el, name, realm, &match) || el < 4 + 4 + 1 + 2 + 2)
			return -1;
		vno = e[8];
		type = (uint32_t)get_be(e + 9, 2);
		kn = (size_t)get_be(e + 11, 2);
		if (kn > el - 13)
			return -1;
		key = e + 13;
		if (el - 13 - kn >= 4) /* the 32-bit vno of newer writers */
			vno = (uint32_t)get_be(key + kn, 4);
		if (!match || (int32_t)type != etype ||
		    kn != (etype == KCRYPTO_ETYPE_AES256 ? 32u : 16u))
			continue;
		if (found == 0 && vno < best)
			continue; /* an older key of the same principal */
		best = vno, found = 0;
		out->etype = etype;
		out->len = kn;
		memcpy(out->v, key, kn);
	}
	return found;
}
