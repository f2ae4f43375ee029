/*
 * NTLMv2 (MS-NLMP): the three messages of the connection-oriented exchange,
 * key derivation, and session security (sealing and signing with extended
 * session security, the form WinRM's message encryption uses).
 *
 * No I/O and no allocation: the caller passes buffers; inputs that come
 * from the network (the CHALLENGE_MESSAGE, sealed messages) are checked
 * against their lengths before every read.
 */
#ifndef WRSH_NTLM_H
#define WRSH_NTLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "base/err.h"

#define NTLM_NEGOTIATE_LEN 40
#define NTLM_SIG_LEN 16
#define NTLM_MAX_TARGET_INFO 1024 /* the server's AV pairs we keep */
#define NTLM_MAX_CHALLENGE (64 + NTLM_MAX_TARGET_INFO + 512)
#define NTLM_MAX_NAME 512 /* UTF-16 bytes of a user, domain or SPN */
/* An AUTHENTICATE_MESSAGE never exceeds this. */
#define NTLM_MAX_AUTHENTICATE \
	(88 + 3 * NTLM_MAX_NAME + 24 + 48 + NTLM_MAX_TARGET_INFO + 64 + NTLM_MAX_NAME + 16)

/* MS-NLMP 2.2.2.5 */
#define NTLM_F_UNICODE 0x00000001u
#define NTLM_F_OEM 0x00000002u
#define NTLM_F_REQUEST_TARGET 0x00000004u
#define NTLM_F_SIGN 0x00000010u
#define NTLM_F_SEAL 0x00000020u
#define NTLM_F_NTLM 0x00000200u
#define NTLM_F_ALWAYS_SIGN 0x00008000u
#define NTLM_F_ESS 0x00080000u /* extended session security */
#define NTLM_F_TARGET_INFO 0x00800000u
#define NTLM_F_VERSION 0x02000000u
#define NTLM_F_128 0x20000000u
#define NTLM_F_KEY_EXCH 0x40000000u
#define NTLM_F_56 0x80000000u

/* What the client offers: everything NTLMv2 sealing needs and nothing else. */
#define NTLM_CLIENT_FLAGS                                                                   \
	(NTLM_F_UNICODE | NTLM_F_REQUEST_TARGET | NTLM_F_SIGN | NTLM_F_SEAL | NTLM_F_NTLM | \
	 NTLM_F_ALWAYS_SIGN | NTLM_F_ESS | NTLM_F_VERSION | NTLM_F_128 | NTLM_F_KEY_EXCH |  \
	 NTLM_F_56)

/* Everything the AUTHENTICATE_MESSAGE depends on; for the MS-NLMP 4.2
 * vectors the random parts are fixed too. */
struct ntlm_input {
	const char *user, *domain; /* UTF-8; domain may be "" */
	const uint8_t *nt_hash;	   /* NTOWFv1: MD4(UTF-16LE(password)), 16 bytes */
	const char *workstation;   /* UTF-8, may be "" */
	const char *spn;	   /* "HTTP/host" for MsvAvTargetName, or NULL */
	const uint8_t *cbt;	   /* 16-byte MD5 of the channel bindings, or NULL */
	bool extend_av;		   /* add MsvAvFlags/TargetName/ChannelBindings (all
	                                real clients since Windows 7; not the 4.2 vectors) */
	uint8_t client_challenge[8];
	uint8_t session_key[16]; /* ExportedSessionKey: random */
	uint64_t filetime;	 /* used when the server sent no MsvAvTimestamp */
	uint8_t version[8];	 /* VERSION structure (2.2.2.10) */
};

struct ntlm_ctx {
	uint8_t negotiate[NTLM_NEGOTIATE_LEN];
	uint32_t flags;
	/* session security, after ntlm_authenticate() */
	uint8_t client_sign[16], server_sign[16];
	struct rc4_ctx client_seal, server_seal;
	uint32_t client_seq, server_seq;
	bool ready;
};

/* Start a context and write the NEGOTIATE_MESSAGE (with VERSION: some
 * acceptors reject the 32-byte form) into out[NTLM_NEGOTIATE_LEN]. */
void ntlm_negotiate(struct ntlm_ctx *n, const uint8_t version[8], uint8_t *out);

/*
 * The working memory of one ntlm_authenticate(), 3.7 KB: the names in
 * UTF-16 and the AV pairs the proof covers. The caller's (the session takes
 * it from the arena for the handshake), so that it is not on the stack of a
 * small firmware task. Holds the names only during the call, wiped after.
 */
struct ntlm_names {
	uint8_t user[NTLM_MAX_NAME], domain[NTLM_MAX_NAME], ws[NTLM_MAX_NAME], spn[NTLM_MAX_NAME];
	size_t user_n, domain_n, ws_n, spn_n;
};

struct ntlm_scratch {
	struct ntlm_names nm;
	uint8_t av[NTLM_MAX_TARGET_INFO + 64 + NTLM_MAX_NAME];
};

/*
 * Read the server's CHALLENGE_MESSAGE and write the AUTHENTICATE_MESSAGE
 * into out (NTLM_MAX_AUTHENTICATE bytes), working in *w. Derives the session keys.
 * Errors: WRSH_EPROTO (malformed challenge), WRSH_EAUTH (the server does not
 * offer NTLMv2 with 128-bit extended session security and key exchange),
 * WRSH_ELIMIT (names or target info beyond the caps), WRSH_EINVAL (a user
 * name that is not UTF-8).
 */
wrsh_err ntlm_authenticate(struct ntlm_ctx *n, struct ntlm_scratch *w, const struct ntlm_input *in,
			   const uint8_t *chal, size_t chal_len, uint8_t *out, size_t *out_len,
			   struct errbuf *e);

/* The NetBIOS computer name of the challenge (MsvAvNbComputerName) as
 * UTF-8, for ".\user" logins; "" when absent. */
wrsh_err ntlm_challenge_computer(const uint8_t *chal, size_t chal_len, char *out, size_t cap);

/* GSS_WrapEx with confidentiality (3.4.6): seal msg in place, write the
 * 16-byte signature. */
void ntlm_seal(struct ntlm_ctx *n, uint8_t *msg, size_t len, uint8_t sig[NTLM_SIG_LEN]);
/* GSS_UnwrapEx (3.4.7): unseal msg in place and verify its signature and
 * sequence number. WRSH_EINTEGRITY when they do not verify (the message
 * must then not be used). */
wrsh_err ntlm_unseal(struct ntlm_ctx *n, uint8_t *msg, size_t len, const uint8_t sig[NTLM_SIG_LEN]);

/* NTOWFv1 of a UTF-8 password: MD4 of its UTF-16LE form. */
wrsh_err ntlm_nt_hash(const char *password, uint8_t out[16]);

/* Forget every key. */
void ntlm_wipe(struct ntlm_ctx *n);

#endif
