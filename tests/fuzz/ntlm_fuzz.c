/* libFuzzer: a server's CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2). Whatever the
 * bytes, ntlm_authenticate either fails with a code or writes an
 * AUTHENTICATE_MESSAGE within its cap; the computer-name reader likewise. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "auth/ntlm.h"

/* ntlm_authenticate()'s working memory (the library takes it from the arena) */
static struct ntlm_scratch ntlm_w;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t version[8] = {10, 0, 0x61, 0x4a, 0, 0, 0, 0x0f};
	static uint8_t out[NTLM_MAX_AUTHENTICATE];
	static const uint8_t cbt[16] = {1, 2, 3};
	struct ntlm_ctx n;
	struct ntlm_input in;
	struct errbuf e = {WRSH_OK, ""};
	uint8_t neg[NTLM_NEGOTIATE_LEN], hash[16];
	char name[64];
	size_t len = 0;
	memset(&in, 0, sizeof(in));
	ntlm_nt_hash("Passw0rd!", hash);
	in.user = "alice";
	in.domain = "WRSH";
	in.nt_hash = hash;
	in.workstation = "";
	in.spn = "HTTP/win.example";
	in.cbt = cbt;
	in.extend_av = true;
	memcpy(in.version, version, 8);
	ntlm_negotiate(&n, version, neg);
	if (ntlm_authenticate(&n, &ntlm_w, &in, data, size, out, &len, &e) == WRSH_OK) {
		if (len > sizeof(out) || len < 88 || memcmp(out, "NTLMSSP\0\3\0\0\0", 12))
			__builtin_trap();
	} else if (!e.msg[0]) {
		__builtin_trap(); /* every refusal says why */
	}
	if (ntlm_challenge_computer(data, size, name, sizeof(name)) == WRSH_OK &&
	    strlen(name) >= sizeof(name))
		__builtin_trap();
	ntlm_wipe(&n);
	return 0;
}
