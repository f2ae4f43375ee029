/* RC4-HMAC after RFC 4757 (see rc4hmac.h). Every key derived on the way
 * is wiped before return. */
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/rc4hmac.h"
#include "util/utf.h"

wrsh_err rc4hmac_string_to_key(const char *password, size_t n, uint8_t key[16])
{
	uint8_t buf[2 * 256];
	size_t len;
	wrsh_err e = utf8_to_utf16le(password, n, buf, sizeof(buf), &len);
	if (!e)
		md4(buf, len, key);
	wrsh_wipe(buf, sizeof(buf));
	return e ? WRSH_EINVAL : WRSH_OK;
}

/* K1 = HMAC-MD5(K, T): T the message type RFC 4757 3 numbers, which is
 * RFC 4120's key usage but for the AS-REP's part (3 is 8) and GSS wrap
 * (23 is 13), little-endian. */
static void usage_key(const uint8_t key[16], uint32_t usage, uint8_t k1[16])
{
	uint8_t t[4];
	struct cbuf c = {t, 4};
	usage = usage == 3 ? 8 : usage == 23 ? 13 : usage;
	t[0] = (uint8_t)usage, t[1] = (uint8_t)(usage >> 8);
	t[2] = (uint8_t)(usage >> 16), t[3] = (uint8_t)(usage >> 24);
	hmac_md5(key, 16, &c, 1, k1);
}

/* RC4 under K3 = HMAC-MD5(K1, mac), in place. */
static void rc4_under(const uint8_t k1[16], const uint8_t mac[16], uint8_t *buf, size_t n)
{
	struct cbuf c = {mac, RC4HMAC_MAC};
	struct rc4_ctx rc4;
	uint8_t k3[16];
	hmac_md5(k1, 16, &c, 1, k3);
	rc4_init(&rc4, k3, 16);
	rc4_crypt(&rc4, buf, buf, n);
	wrsh_wipe(k3, sizeof(k3));
	wrsh_wipe(&rc4, sizeof(rc4));
}

void rc4hmac_encrypt(const uint8_t key[16], uint32_t usage,
		     const uint8_t confounder[RC4HMAC_CONFOUNDER], const uint8_t *plain, size_t n,
		     uint8_t *out)
{
	uint8_t k1[16], *body = out + RC4HMAC_MAC;
	struct cbuf c = {body, RC4HMAC_CONFOUNDER + n};
	usage_key(key, usage, k1);
	memcpy(body, confounder, RC4HMAC_CONFOUNDER);
	memcpy(body + RC4HMAC_CONFOUNDER, plain, n);
	hmac_md5(k1, 16, &c, 1, out);
	rc4_under(k1, out, body, RC4HMAC_CONFOUNDER + n);
	wrsh_wipe(k1, sizeof(k1));
}

int rc4hmac_decrypt(const uint8_t key[16], uint32_t usage, uint8_t *buf, size_t n,
		    size_t *plain_len)
{
	uint8_t k1[16], mac[16], diff = 0;
	struct cbuf c;
	size_t i;
	if (n < RC4HMAC_OVERHEAD)
		return -1;
	c.p = buf + RC4HMAC_MAC, c.n = n - RC4HMAC_MAC;
	usage_key(key, usage, k1);
	rc4_under(k1, buf, buf + RC4HMAC_MAC, n - RC4HMAC_MAC);
	hmac_md5(k1, 16, &c, 1, mac);
	wrsh_wipe(k1, sizeof(k1));
	for (i = 0; i < RC4HMAC_MAC; i++)
		diff |= (uint8_t)(mac[i] ^ buf[i]);
	wrsh_wipe(mac, sizeof(mac));
	if (diff) {
		wrsh_wipe(buf + RC4HMAC_MAC, n - RC4HMAC_MAC); /* no unverified plaintext left */
		return -2;
	}
	*plain_len = n - RC4HMAC_OVERHEAD;
	return 0;
}
