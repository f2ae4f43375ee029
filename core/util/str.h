/*
 * Bounded text building and small parsers. A struct sbuf writes into a
 * caller buffer and remembers overflow instead of failing each call, so a
 * writer checks once at the end (the way snprintf reports truncation).
 */
#ifndef WRSH_STR_H
#define WRSH_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wrsh.h"

struct sbuf {
	char *p;
	size_t cap, len;
	bool over; /* something did not fit; len stops growing */
};

void sb_init(struct sbuf *b, char *p, size_t cap);
void sb_put(struct sbuf *b, const void *s, size_t n);
void sb_puts(struct sbuf *b, const char *s);
void sb_putc(struct sbuf *b, char c);
void sb_put_u64(struct sbuf *b, uint64_t v);
/* Text with &, <, >, " and ' escaped, for element content and attributes. */
void sb_put_xml(struct sbuf *b, const char *s, size_t n);
void sb_puts_xml(struct sbuf *b, const char *s);
/* NUL-terminate inside cap (truncating if needed); returns b->p. */
const char *sb_cstr(struct sbuf *b);

/* Decimal without sign, spaces allowed around; WRSH_EPROTO otherwise. */
wrsh_err str_to_u64(const char *s, size_t n, uint64_t max, uint64_t *out);
/* Trim XML whitespace at both ends. */
void str_trim(const char **s, size_t *n);
/* ASCII case-insensitive equality of s[0..n) with the C string z. */
bool str_ieq(const char *s, size_t n, const char *z);
/* Copy at most cap-1 bytes and NUL-terminate; returns bytes copied. */
size_t str_copy(char *dst, size_t cap, const char *s, size_t n);

#endif
