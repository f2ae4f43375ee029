/*
 * DER for what Kerberos and SPNEGO send (X.690 8 and 10: definite lengths
 * only, in their shortest form). The reader walks a view of bytes TLV by
 * TLV, nothing copied and nothing allocated; every length is checked
 * against what remains before it is believed. The writer fills a caller's
 * buffer from its end backwards, so that a value's length is known when its
 * header is written (a SEQUENCE's fields go in last to first). Tags are one
 * byte: the universal, application and context tags Kerberos uses are all
 * below 31.
 */
#ifndef WRSH_AUTH_DER_H
#define WRSH_AUTH_DER_H

#include <stddef.h>
#include <stdint.h>

/* X.690 8.1.2: the identifier octets Kerberos uses */
#define DER_INTEGER 0x02
#define DER_OCTET_STRING 0x04
#define DER_GENERAL_STRING 0x1B
#define DER_GENERALIZED_TIME 0x18
#define DER_BIT_STRING 0x03
#define DER_OID 0x06
#define DER_SEQUENCE 0x30
#define DER_APP(n) (0x60 | (n)) /* [APPLICATION n], constructed */
#define DER_CTX(n) (0xA0 | (n)) /* [n] EXPLICIT, constructed */

struct der {
	const uint8_t *p;
	size_t n;
};

/* The next TLV of in: its tag and contents; in moves past it. -1 when in
 * is empty or the TLV is malformed (a long tag, an indefinite or non-minimal
 * length, a length beyond in). */
int der_next(struct der *in, unsigned *tag, struct der *content);

/* The next TLV, which must carry tag. */
int der_expect(struct der *in, unsigned tag, struct der *content);

/* The contents of the [n] EXPLICIT field of a SEQUENCE's contents, looked
 * for among its fields in order (later tags than n end the search): 1 when
 * found, 0 when absent (an OPTIONAL field), -1 when seq is malformed. */
int der_field(const struct der *seq, unsigned n, struct der *content);

/* A field's single value: its TLV with tag inside the [n] wrapper. 1, 0 or
 * -1 as der_field, -1 too when the value is not of that tag. */
int der_field_value(const struct der *seq, unsigned n, unsigned tag, struct der *value);

/* An INTEGER's contents as a signed value of at most 32 bits (Kerberos'
 * Int32 and UInt32, whose range the caller checks). */
int der_int32(const struct der *v, int64_t *out);

/* A field holding an INTEGER: 1 with *out, 0 when absent, -1 when
 * malformed. */
int der_field_int(const struct der *seq, unsigned n, int64_t *out);

/* The writer: w->p moves down from buf + cap; w->err is set (and nothing
 * more written) once a value does not fit. */
struct der_w {
	uint8_t *buf, *p, *end;
	int err;
};

void der_w_init(struct der_w *w, uint8_t *buf, size_t cap);
/* Bytes written so far: a mark to wrap from. */
size_t der_w_len(const struct der_w *w);
/* Prepend n bytes. */
void der_w_raw(struct der_w *w, const void *p, size_t n);
/* Prepend the header of a TLV whose contents are what was written since
 * mark (der_w_len before them). */
void der_w_wrap(struct der_w *w, size_t mark, unsigned tag);
/* A primitive TLV. */
void der_w_prim(struct der_w *w, unsigned tag, const void *p, size_t n);
/* An INTEGER, minimal two's complement. */
void der_w_int(struct der_w *w, int64_t v);
/* [n] EXPLICIT around an INTEGER. */
void der_w_field_int(struct der_w *w, unsigned n, int64_t v);
/* The encoding (w->p, der_w_len bytes); -1 when it did not fit. */
int der_w_done(const struct der_w *w, const uint8_t **out, size_t *n);

#endif
