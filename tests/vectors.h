/*
 * Data-driven vectors (mbedTLS's .data idea): a file of description lines
 * followed by "case:field:field:...:ERR" lines. vec_each() calls fn for
 * every case line with its fields split in place.
 */
#ifndef WRSH_VECTORS_H
#define WRSH_VECTORS_H

#include <stddef.h>
#include <stdint.h>

#include "wrsh.h"

#define VEC_MAX_FIELDS 8

typedef void (*vec_fn)(const char *desc, char **f, int nf);
/* Returns the number of cases run, -1 when the file cannot be read. */
int vec_each(const char *path, vec_fn fn);
/* Hex text to bytes; returns the length, or (size_t)-1 when malformed. */
size_t vec_hex(const char *hex, uint8_t *out, size_t cap);
/* "OK", "EPROTO", ... to the code. */
wrsh_err vec_err(const char *name);
/* "\r" and "\n" escapes to bytes, in place; returns the new length. */
size_t vec_unescape(char *s);

#endif
