/*
 * wrsh's configuration of mbedTLS 3.6, passed as -DMBEDTLS_CONFIG_FILE (not
 * named mbedtls_config.h: build_info.h's quoted include would find mbedTLS's
 * own file of that name first). A TLS 1.2 and TLS 1.3 client, nothing
 * else: what Windows' http.sys offers, ECDHE with RSA or ECDSA certificates,
 * AES-GCM, SHA-256/384; plus what NTLM needs from the crypto side (MD5 for
 * HMAC-MD5). No server code, no file system, no sockets, no threads, no
 * clocks: the port supplies all of that.
 *
 * Left out for size, each measured on the static x86-64 binary:
 * ChaCha20-Poly1305 (every server that offers it offers AES-GCM too, and
 * Schannel prefers AES-GCM), session tickets (wrsh never resumes a session;
 * TLS 1.3 tickets are read and dropped without it), encrypt-then-MAC (only
 * for CBC suites, none here); SHA-256/512 in their smaller loop form
 * (hashing is a handshake cost, not a streaming one): 12 KB together.
 *
 * Memory comes from the session arena (MBEDTLS_PLATFORM_MEMORY and the
 * hooks in tls/mbedtls.c); randomness from the port (PSA external RNG);
 * time too: no MBEDTLS_HAVE_TIME, tls/mbedtls.c checks certificate dates
 * against the port's filetime(). What differs between platforms (CPU
 * acceleration, the C library's functions) is port/<platform>/port_config.h's.
 */
#ifndef WRSH_MBEDTLS_CONFIG_H
#define WRSH_MBEDTLS_CONFIG_H

#include "port_config.h"

/* platform: memory from the arena, entropy from the port */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG
/* Without the C library's functions (port_config.h), mbedTLS's text dumps
 * (certificate info, DN strings, OIDs as text) get tls/mbedtls.c's stand-in,
 * which writes nothing and fails; wrsh calls none of them. */
#if defined(MBEDTLS_PLATFORM_NO_STD_FUNCTIONS)
#include <stddef.h>
#define MBEDTLS_PLATFORM_SNPRINTF_MACRO wrsh_mbedtls_snprintf
int wrsh_mbedtls_snprintf(char *s, size_t n, const char *fmt, ...);
#endif
#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_USE_PSA_CRYPTO
/* PSA would copy every record in and out (two 16 KB heap copies per full
 * record) to guard against shared memory; our buffers are private. */
#define MBEDTLS_PSA_ASSUME_EXCLUSIVE_BUFFERS
/* key slots are static (.bss), key material comes from the arena */
#define MBEDTLS_PSA_KEY_SLOT_COUNT 16
#define MBEDTLS_DEPRECATED_REMOVED

/* TLS client, 1.2 and 1.3 */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#if defined(WRSH_TLS_RESUME) /* CONFIG_WRSH_TLS_RESUME, from the Makefile: tls/resume.c */
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
#endif
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
/* Windows never negotiates a smaller record size: incoming records are up
 * to 16 KB. Outgoing ones can be smaller at no cost but a few more
 * headers. */
#define MBEDTLS_SSL_IN_CONTENT_LEN 16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096

/* certificates */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CRL_PARSE_C /* --crl: parsed only when WRSH_TLS_CRL calls it */
#define MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT /* TLS 1.3 signs with RSA only as PSS */

/* public key algorithms */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
/* PSRP secure strings (core/crypto.c): the client's own RSA key pair for
 * the session key exchange (MS-PSRP 3.1.4.8); dropped at link time when
 * CONFIG_WRSH_PSRP_SECURE is off. (Their AES-256-CBC is chained in
 * crypto.c: MBEDTLS_CIPHER_MODE_CBC would enable TLS's CBC suites too.) */
#define MBEDTLS_GENPRIME
#define MBEDTLS_ECP_C
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECDH_COMPUTE_SHARED_ALT /* tls/p256.c: P-256's, 25 times faster */

/* symmetric crypto and hashes */
#define MBEDTLS_CIPHER_C
#define MBEDTLS_AES_C
/* MBEDTLS_HAVE_ASM, MBEDTLS_AESNI_C, MBEDTLS_AESCE_C: port_config.h */
#define MBEDTLS_GCM_C
#define MBEDTLS_MD_C
#define MBEDTLS_MD5_C
#define MBEDTLS_SHA1_C
#define MBEDTLS_SHA224_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_SHA512_SMALLER
#define MBEDTLS_HKDF_C

#endif
