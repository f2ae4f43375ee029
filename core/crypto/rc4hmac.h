/*
 * RC4-HMAC (RFC 4757, etype 23): the Windows 2000 encryption type, for a
 * user whose KDC keeps no AES key (an account whose password has not been
 * set since the domain reached the 2008 level). Its key is the NT hash,
 * its cipher RC4 under keys from HMAC-MD5. wrsh uses it for the user's
 * long-term key only: pre-authentication and the AS-REP, never for a
 * session key (krb5_kdc.c lists it after AES).
 */
#ifndef WRSH_RC4HMAC_H
#define WRSH_RC4HMAC_H

#include <stddef.h>
#include <stdint.h>

#include "wrsh.h"

#define RC4HMAC_ETYPE 23
#define RC4HMAC_MAC 16	     /* HMAC-MD5, first in the message */
#define RC4HMAC_CONFOUNDER 8 /* then RC4 over confounder | plaintext */
#define RC4HMAC_OVERHEAD (RC4HMAC_MAC + RC4HMAC_CONFOUNDER)

/* RFC 4757 2: MD4 of the password in UTF-16LE, the NT hash (MS-NLMP's
 * NTOWFv1). WRSH_EINVAL for a password that is not UTF-8 or longer than
 * 256 UTF-16 units. */
wrsh_err rc4hmac_string_to_key(const char *password, size_t n, uint8_t key[16]);

/* RFC 4757 5: out = HMAC-MD5(K1, confounder | plain) | RC4(K3, confounder |
 * plain), n + RC4HMAC_OVERHEAD bytes; K1 from the usage as RFC 4757 3
 * renumbers it. out may not overlap plain. */
void rc4hmac_encrypt(const uint8_t key[16], uint32_t usage,
		     const uint8_t confounder[RC4HMAC_CONFOUNDER], const uint8_t *plain, size_t n,
		     uint8_t *out);

/* decrypt in place, the MAC checked in constant time before the plaintext
 * is believed; it is then buf[RC4HMAC_OVERHEAD ..] of *plain_len bytes.
 * -1 for a short message, -2 for a MAC that does not verify. */
int rc4hmac_decrypt(const uint8_t key[16], uint32_t usage, uint8_t *buf, size_t n,
		    size_t *plain_len);

#endif
