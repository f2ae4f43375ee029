/* libFuzzer: a multipart/encrypted response body (MS-WSMV 2.2.9.1.1),
 * unframed and unsealed in place. The input is split at its first byte's
 * choice: the head is sealed by a real server context, so the fuzzer
 * reaches the signature check and the plaintext as well as the framing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/ntlm.h"
#include "wsman/crypt.h"

/* ntlm_authenticate()'s working memory (the library takes it from the arena) */
static struct ntlm_scratch ntlm_w;

/* MS-NLMP 4.2.4.2.2's CHALLENGE_MESSAGE (tests/vectors/ntlm.txt) */
static const uint8_t chal[] = {
	0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x0c,
	0x00, 0x38, 0x00, 0x00, 0x00, 0x33, 0x82, 0x8a, 0xe2, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
	0xcd, 0xef, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x24, 0x00, 0x24, 0x00, 0x44,
	0x00, 0x00, 0x00, 0x06, 0x00, 0x70, 0x17, 0x00, 0x00, 0x00, 0x0f, 0x53, 0x00, 0x65, 0x00,
	0x72, 0x00, 0x76, 0x00, 0x65, 0x00, 0x72, 0x00, 0x02, 0x00, 0x0c, 0x00, 0x44, 0x00, 0x6f,
	0x00, 0x6d, 0x00, 0x61, 0x00, 0x69, 0x00, 0x6e, 0x00, 0x01, 0x00, 0x0c, 0x00, 0x53, 0x00,
	0x65, 0x00, 0x72, 0x00, 0x76, 0x00, 0x65, 0x00, 0x72, 0x00, 0x00, 0x00, 0x00, 0x00};

static void contexts(struct ntlm_ctx *cli, struct ntlm_ctx *srv)
{
	static const uint8_t version[8] = {6, 0, 0x70, 0x17, 0, 0, 0, 0x0f};
	static uint8_t out[NTLM_MAX_AUTHENTICATE];
	struct ntlm_input in;
	struct errbuf e = {WRSH_OK, ""};
	uint8_t neg[NTLM_NEGOTIATE_LEN], hash[16];
	size_t len;
	memset(&in, 0, sizeof(in));
	ntlm_nt_hash("Password", hash);
	in.user = "User";
	in.domain = "Domain";
	in.nt_hash = hash;
	in.workstation = "";
	memcpy(in.version, version, 8);
	ntlm_negotiate(cli, version, neg);
	if (ntlm_authenticate(cli, &ntlm_w, &in, chal, sizeof(chal), out, &len, &e))
		__builtin_trap();
	*srv = *cli; /* the server: the client with its directions swapped */
	memcpy(srv->client_sign, cli->server_sign, 16);
	memcpy(srv->server_sign, cli->client_sign, 16);
	srv->client_seal = cli->server_seal;
	srv->server_seal = cli->client_seal;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ntlm_ctx cli, srv;
	struct errbuf e = {WRSH_OK, ""};
	uint8_t *buf;
	size_t off, len, cut, n;
	wrsh_err r;
	if (size < 1 || size > 65536)
		return 0;
	contexts(&cli, &srv);
	cut = data[0] % size;
	if (data[0] & 1) {
		/* a genuinely sealed message of the rest, framed, then the
		 * bytes after cut overwrite its tail */
		n = size - 1;
		buf = malloc(CRYPT_PREFIX_MAX + n + CRYPT_SUFFIX_LEN);
		memcpy(buf + CRYPT_PREFIX_MAX, data + 1, n);
		crypt_wrap(&auth_ntlm, &srv, buf, CRYPT_PREFIX_MAX, n, &off, &len);
		if (cut && cut < len)
			memcpy(buf + off + len - cut, data + 1, cut < n ? cut : n);
		memmove(buf, buf + off, len);
		r = crypt_unwrap(&auth_ntlm, &cli, buf, len, &off, &len, &e);
		if (!cut && (r != WRSH_OK || len != n || memcmp(buf + off, data + 1, n)))
			__builtin_trap(); /* untouched: must come back whole */
	} else {
		buf = malloc(size);
		memcpy(buf, data, size);
		r = crypt_unwrap(&auth_ntlm, &cli, buf, size, &off, &len, &e);
		if (r == WRSH_OK && off + len > size)
			__builtin_trap();
	}
	if (r != WRSH_OK && r != WRSH_EPROTO && r != WRSH_EINTEGRITY)
		__builtin_trap();
	free(buf);
	return 0;
}
