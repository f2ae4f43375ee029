#include <string.h>

#include "str.h"

void sb_init(struct sbuf *b, char *p, size_t cap)
{
	b->p = p;
	b->cap = cap;
	b->len = 0;
	b->over = false;
}

void sb_put(struct sbuf *b, const void *s, size_t n)
{
	if (b->over || n > b->cap - b->len) {
		b->over = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

void sb_putc(struct sbuf *b, char c)
{
	sb_put(b, &c, 1);
}

void sb_put_u64(struct sbuf *b, uint64_t v)
{
	char t[20];
	size_t i = sizeof(t);
	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_put(b, t + i, sizeof(t) - i);
}

void sb_put_xml(struct sbuf *b, const char *s, size_t n)
{
	size_t i, run = 0;
	for (i = 0; i < n; i++) {
		const char *e;
		switch (s[i]) {
		case '&':
			e = "&amp;";
			break;
		case '<':
			e = "&lt;";
			break;
		case '>':
			e = "&gt;";
			break;
		case '"':
			e = "&quot;";
			break;
		case '\'':
			e = "&apos;";
			break;
		case '\r':
			e = "&#13;";
			break; /* survive XML end-of-line handling */
		default:
			continue;
		}
		sb_put(b, s + run, i - run);
		sb_puts(b, e);
		run = i + 1;
	}
	sb_put(b, s + run, n - run);
}

void sb_puts_xml(struct sbuf *b, const char *s)
{
	sb_put_xml(b, s, strlen(s));
}

const char *sb_cstr(struct sbuf *b)
{
	if (!b->cap)
		return "";
	b->p[b->len < b->cap ? b->len : b->cap - 1] = 0;
	return b->p;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void str_trim(const char **s, size_t *n)
{
	while (*n && is_ws(**s))
		(*s)++, (*n)--;
	while (*n && is_ws((*s)[*n - 1]))
		(*n)--;
}

wrsh_err str_to_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	str_trim(&s, &n);
	if (!n)
		return WRSH_EPROTO;
	for (; n; s++, n--) {
		unsigned d = (unsigned char)*s - '0';
		if (d > 9 || d > max || v > (max - d) / 10)
			return WRSH_EPROTO;
		v = v * 10 + d;
	}
	*out = v;
	return WRSH_OK;
}

bool str_ieq(const char *s, size_t n, const char *z)
{
	size_t i;
	for (i = 0; i < n; i++) {
		char a = s[i], b = z[i];
		if (!b)
			return false;
		if (a >= 'A' && a <= 'Z')
			a = (char)(a + 32);
		if (b >= 'A' && b <= 'Z')
			b = (char)(b + 32);
		if (a != b)
			return false;
	}
	return z[n] == 0;
}

size_t str_copy(char *dst, size_t cap, const char *s, size_t n)
{
	if (!cap)
		return 0;
	if (n > cap - 1)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = 0;
	return n;
}
