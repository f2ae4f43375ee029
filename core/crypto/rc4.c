/* RC4 after the description in RFC 6229's introduction (the cipher itself
 * is unpatented and widely documented). NTLM sealing runs every byte of a
 * stream through rc4_crypt, so the Makefile builds this file with -O2: at
 * -Os GCC keeps the state bytes in partial registers and the loop runs at a
 * third of the speed (190 against 600 MB/s on x86-64). */
#include "crypto/crypto.h"

void rc4_init(struct rc4_ctx *c, const uint8_t *key, size_t n)
{
	unsigned i;
	uint8_t j = 0, t;
	for (i = 0; i < 256; i++)
		c->s[i] = (uint8_t)i;
	for (i = 0; i < 256; i++) {
		j = (uint8_t)(j + c->s[i] + key[i % n]);
		t = c->s[i], c->s[i] = c->s[j], c->s[j] = t;
	}
	c->i = c->j = 0;
}

void rc4_crypt(struct rc4_ctx *c, const uint8_t *in, uint8_t *out, size_t n)
{
	/* the swapped bytes in locals: out may alias c->s as far as the compiler
	 * knows, which would reload them after every store */
	uint8_t *s = c->s, i = c->i, j = c->j, si, sj;
	size_t k;
	for (k = 0; k < n; k++) {
		i++;
		si = s[i];
		j = (uint8_t)(j + si);
		sj = s[j];
		s[i] = sj;
		s[j] = si;
		out[k] = in[k] ^ s[(uint8_t)(si + sj)];
	}
	c->i = i, c->j = j;
}
