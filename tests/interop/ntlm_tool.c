/*
 * A thin driver of core/auth/ntlm.c for interop tests against acceptors we
 * did not write (tests/interop/ntlm_gss.py, gss-ntlmssp; impacket):
 *
 *   ntlm_tool negotiate
 *       prints the NEGOTIATE_MESSAGE (hex)
 *   ntlm_tool authenticate USER DOMAIN PASSWORD CHALLENGE_HEX [SPN [CBT_HEX]]
 *       prints the AUTHENTICATE_MESSAGE, then a sealed "hello wrsh" as
 *       signature || data (GSS wrap layout), then a sealed message of 3000
 *       bytes, each on its own line (hex); then reads a sealed server
 *       message (hex, signature || data) from stdin and prints its plaintext
 *       or "EINTEGRITY"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/ntlm.h"
#include "util/hex.h"

/* ntlm_authenticate()'s working memory (the library takes it from the arena) */
static struct ntlm_scratch ntlm_w;

static const uint8_t version[8] = {10, 0, 0x61, 0x4a, 0, 0, 0, 0x0f};

static void print_hex(const uint8_t *p, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static size_t from_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s);
	if (n % 2 || n / 2 > cap || hex_decode(s, n, out, n / 2))
		exit(2);
	return n / 2;
}

int main(int argc, char **argv)
{
	static uint8_t chal[NTLM_MAX_CHALLENGE], out[NTLM_MAX_AUTHENTICATE], msg[4096], line[9000];
	struct ntlm_ctx n;
	struct ntlm_input in;
	struct errbuf e = {WRSH_OK, ""};
	uint8_t neg[NTLM_NEGOTIATE_LEN], hash[16], cbt[16], sig[16];
	size_t cn, len, i;
	ntlm_negotiate(&n, version, neg);
	if (argc == 2 && !strcmp(argv[1], "negotiate")) {
		print_hex(neg, sizeof(neg));
		return 0;
	}
	if (argc < 6 || strcmp(argv[1], "authenticate"))
		return 2;
	cn = from_hex(argv[5], chal, sizeof(chal));
	memset(&in, 0, sizeof(in));
	in.user = argv[2];
	in.domain = argv[3];
	if (ntlm_nt_hash(argv[4], hash))
		return 2;
	in.nt_hash = hash;
	in.workstation = "";
	in.extend_av = true;
	in.spn = argc > 6 ? argv[6] : NULL;
	if (argc > 7) {
		from_hex(argv[7], cbt, 16);
		in.cbt = cbt;
	}
	for (i = 0; i < 8; i++)
		in.client_challenge[i] = (uint8_t)(0x11 * i);
	for (i = 0; i < 16; i++)
		in.session_key[i] = (uint8_t)(0xa0 + i);
	in.filetime = 0x01d9000000000000ull;
	memcpy(in.version, version, 8);
	if (ntlm_authenticate(&n, &ntlm_w, &in, chal, cn, out, &len, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	print_hex(out, len);
	memcpy(msg, "hello wrsh", 10);
	ntlm_seal(&n, msg, 10, sig);
	printf("%s", "");
	for (i = 0; i < 16; i++)
		printf("%02x", sig[i]);
	print_hex(msg, 10);
	for (i = 0; i < 3000; i++)
		msg[i] = (uint8_t)(i * 7);
	ntlm_seal(&n, msg, 3000, sig);
	for (i = 0; i < 16; i++)
		printf("%02x", sig[i]);
	print_hex(msg, 3000);
	fflush(stdout);
	if (fgets((char *)line, sizeof(line), stdin)) {
		char *s = (char *)line;
		s[strcspn(s, "\r\n")] = 0;
		len = from_hex(s, msg, sizeof(msg));
		if (len < 16)
			return 2;
		if (ntlm_unseal(&n, msg + 16, len - 16, msg))
			printf("EINTEGRITY\n");
		else
			printf("%.*s\n", (int)(len - 16), msg + 16);
	}
	return 0;
}
