/* Hex digits. */
#ifndef WRSH_HEX_H
#define WRSH_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "wrsh.h"

char hex_digit_upper(uint8_t v);
/* 0..15, or -1 for a non-hex character. */
int hex_value(char c);
/* Lower-case hex of in[0..n) into out[2n] (no NUL). */
void hex_encode(const void *in, size_t n, char *out);
/* Exactly 2*cap hex digits into out[cap]; WRSH_EPROTO otherwise. */
wrsh_err hex_decode(const char *s, size_t n, uint8_t *out, size_t cap);

#endif
