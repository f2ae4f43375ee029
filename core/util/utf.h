/* UTF-8 <-> UTF-16LE, strict: overlongs, surrogates in UTF-8 and unpaired
 * surrogates in UTF-16 are errors (NTLM and PSRP carry UTF-16LE). */
#ifndef WRSH_UTF_H
#define WRSH_UTF_H

#include <stddef.h>
#include <stdint.h>

#include "wrsh.h"

/* Decode one code point from s[0..n); *used gets its length. WRSH_EPROTO on
 * invalid or truncated input. */
wrsh_err utf8_next(const uint8_t *s, size_t n, uint32_t *cp, size_t *used);
/* WRSH_OK when s[0..n) is valid UTF-8. */
wrsh_err utf8_validate(const void *s, size_t n);
/* Encode one code point (below 0x110000) into out[4]; returns its length. */
size_t utf8_put(uint32_t cp, char *out);

/* Convert; *outlen is the byte count written. WRSH_ELIMIT when out is too
 * small, WRSH_EPROTO on invalid input. out may be NULL with cap 0 to measure
 * (then the result is WRSH_ELIMIT unless the input is empty, and *outlen is
 * the size needed). */
wrsh_err utf8_to_utf16le(const void *in, size_t n, uint8_t *out, size_t cap, size_t *outlen);
wrsh_err utf16le_to_utf8(const uint8_t *in, size_t n, char *out, size_t cap, size_t *outlen);

/* Upper-case UTF-16LE text in place, the way NTLM's NTOWFv2 needs a user
 * name: ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic (simple case
 * mapping, as Windows' RtlUpcaseUnicodeChar does for these blocks). */
void utf16le_upper(uint8_t *p, size_t n);

#endif
