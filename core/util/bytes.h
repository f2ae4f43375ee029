/*
 * Fixed-width integers in a wire's byte order, whatever the host's: NTLM
 * messages and PSRP message headers are little-endian, PSRP fragment
 * headers big-endian, UTF-16 on the wire little-endian.
 */
#ifndef WRSH_UTIL_BYTES_H
#define WRSH_UTIL_BYTES_H

#include <stdint.h>

static inline uint32_t get_le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return get_le16(p) | get_le16(p + 2) << 16;
}

static inline void put_le16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, v);
	put_le16(p + 2, v >> 16);
}

/* n (at most 8) bytes, most significant first */
static inline uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;
	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static inline void put_be(uint8_t *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

#endif
