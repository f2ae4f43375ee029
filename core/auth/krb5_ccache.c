/*
 * Tickets from a credential cache in MIT's FILE: format, as kinit writes it
 * (MIT krb5 documentation, "Credential cache file format": version 0x0504,
 * or 0x0503 without its header; integers big-endian). Read in place from
 * the caller's bytes, every length checked against what remains; nothing
 * is kept but pointers into them.
 *
 *   version u16, [v4: header length u16, header], default principal,
 *   then credentials to the end: client, server (principals), keyblock
 *   (enctype u16, data), authtime starttime endtime renew_till (u32 each),
 *   is_skey u8, flags u32, addresses and authdata (counted lists of a u16
 *   type and data), ticket and second ticket (data).
 *   principal: name type u32, components u32, realm (data), components.
 *   data: length u32, bytes.
 */
#include <string.h>

#include "auth/krb5.h"
#include "crypto/kcrypto.h"
#include "util/bytes.h"

struct rd {
	const uint8_t *p;
	size_t n;
	int bad;
};

static uint32_t get(struct rd *r, int width)
{
	uint32_t v;
	if (r->bad || r->n < (size_t)width) {
		r->bad = 1;
		return 0;
	}
	v = (uint32_t)get_be(r->p, width);
	r->p += width, r->n -= (size_t)width;
	return v;
}

static const uint8_t *data(struct rd *r, size_t *len)
{
	const uint8_t *at;
	uint32_t n = get(r, 4);
	if (r->bad || n > r->n) {
		r->bad = 1;
		return NULL;
	}
	at = r->p;
	r->p += n, r->n -= n;
	*len = n;
	return at;
}

/* A principal: copied as "a/b" and its realm (name != NULL), or compared
 * with want_name and want_realm ("": any; *match). */
static void principal(struct rd *r, char *name, char *realm, const char *want_name,
		      const char *want_realm, int *match)
{
	const uint8_t *s;
	uint32_t i, count;
	size_t n, at = 0;
	get(r, 4); /* name type */
	count = get(r, 4);
	s = data(r, &n);
	if (r->bad || count > 16 || n >= KRB5_NAME_MAX) {
		r->bad = 1;
		return;
	}
	if (name)
		memcpy(realm, s, n), realm[n] = 0;
	else
		*match = !*want_realm || (strlen(want_realm) == n && !memcmp(want_realm, s, n));
	for (i = 0; i < count; i++) {
		s = data(r, &n);
		if (r->bad || at + n + 1 >= KRB5_NAME_MAX) {
			r->bad = 1;
			return;
		}
		if (name) {
			if (i)
				name[at++] = '/';
			memcpy(name + at, s, n);
		} else if (*match) {
			const char *w = want_name + at;
			*match = (!i || *w++ == '/') && strlen(w) >= n && !memcmp(w, s, n);
			at += !!i;
		}
		at += n;
	}
	if (name)
		name[at] = 0;
	else if (*match)
		*match = want_name[at] == 0;
}

static void skip_list(struct rd *r)
{
	uint32_t i, count = get(r, 4);
	size_t n;
	for (i = 0; i < count && !r->bad; i++) {
		get(r, 2);
		data(r, &n);
	}
}

int krb5_ccache_find(const uint8_t *buf, size_t len, const char *server, const char *srealm,
		     struct krb5_ccache *out)
{
	struct rd r = {buf, len, 0};
	uint32_t version = get(&r, 2);
	memset(out, 0, sizeof(*out));
	if (version == 0x0504) {
		size_t h = get(&r, 2);
		if (h > r.n)
			return -1;
		r.p += h, r.n -= h;
	} else if (version != 0x0503) {
		return -1; /* 0x0501 and 0x0502 (host byte order) are not written since 1.0 */
	}
	principal(&r, out->name, out->realm, NULL, NULL, NULL);
	while (!r.bad && r.n) {
		const uint8_t *key, *tkt;
		size_t kn, tn, n;
		uint32_t etype, endtime;
		int mine = 0, theirs = 0;
		principal(&r, NULL, NULL, out->name, out->realm, &mine);
		principal(&r, NULL, NULL, server, srealm ? srealm : out->realm, &theirs);
		etype = get(&r, 2);
		key = data(&r, &kn);
		get(&r, 4), get(&r, 4); /* authtime, starttime */
		endtime = get(&r, 4);
		get(&r, 4), get(&r, 1), get(&r, 4); /* renew_till, is_skey, flags */
		skip_list(&r);			    /* addresses */
		skip_list(&r);			    /* authdata */
		tkt = data(&r, &tn);
		data(&r, &n); /* second ticket */
		if (r.bad)
			break;
		/* the default principal's ticket for server (the cache's
		 * configuration entries are krb5_ccache_conf_data/...) */
		if (!mine || !theirs)
			continue;
		if ((etype != KCRYPTO_ETYPE_AES256 || kn != 32) &&
		    (etype != KCRYPTO_ETYPE_AES128 || kn != 16)) {
			out->etype_other = (int32_t)etype;
			continue;
		}
		out->key.etype = (int32_t)etype;
		out->key.len = kn;
		memcpy(out->key.v, key, kn);
		out->ticket = tkt;
		out->ticket_n = tn;
		out->endtime = endtime;
		return 0;
	}
	return r.bad ? -1 : 1;
}

/* ---- writing: what kinit would have written ------------------------------ */

struct wr {
	uint8_t *p;
	size_t cap, n;
};

static void put(struct wr *w, uint64_t v, int width)
{
	if (w->n + (size_t)width > w->cap) {
		w->n = w->cap + 1; /* over: stays over */
		return;
	}
	put_be(w->p + w->n, v, width);
	w->n += (size_t)width;
}

static void put_data(struct wr *w, const void *d, size_t n)
{
	put(w, n, 4);
	if (w->n + n > w->cap) {
		w->n = w->cap + 1;
		return;
	}
	if (n)
		memcpy(w->p + w->n, d, n);
	w->n += n;
}

/* name "a/b" in realm: name type 1 (NT-PRINCIPAL), or 2 (NT-SRV-INST) */
static void put_principal(struct wr *w, const char *name, const char *realm, uint32_t type)
{
	const char *s;
	uint32_t count = 1;
	for (s = name; *s; s++)
		count += *s == '/';
	put(w, type, 4);
	put(w, count, 4);
	put_data(w, realm, strlen(realm));
	for (s = name;; s += strcspn(s, "/") + 1) {
		put_data(w, s, strcspn(s, "/"));
		if (!s[strcspn(s, "/")])
			break;
	}
}

size_t krb5_ccache_begin(uint8_t *buf, size_t cap, const char *name, const char *realm)
{
	struct wr w = {buf, cap, 0};
	put(&w, 0x0504, 2);
	put(&w, 0, 2); /* no header tags (no KDC time offset) */
	put_principal(&w, name, realm, 1);
	return w.n > cap ? 0 : w.n;
}

size_t krb5_ccache_add(uint8_t *buf, size_t cap, size_t len, const char *name, const char *realm,
		       const char *server, const char *srealm, const struct krb5_key *key,
		       uint64_t authtime, uint64_t endtime, uint32_t flags, const uint8_t *ticket,
		       size_t ticket_n)
{
	struct wr w = {buf, cap, len};
	if (!len)
		return 0;
	put_principal(&w, name, realm, 1);
	put_principal(&w, server, srealm, 2);
	put(&w, (uint32_t)key->etype, 2);
	put_data(&w, key->v, key->len);
	put(&w, (uint32_t)authtime, 4);
	put(&w, (uint32_t)authtime, 4); /* starttime */
	put(&w, (uint32_t)endtime, 4);
	put(&w, 0, 4); /* renew_till */
	put(&w, 0, 1); /* is_skey */
	put(&w, flags, 4);
	put(&w, 0, 4); /* addresses */
	put(&w, 0, 4); /* authdata */
	put_data(&w, ticket, ticket_n);
	put_data(&w, NULL, 0); /* second ticket */
	return w.n > cap ? 0 : w.n;
}
