#define _GNU_SOURCE /* memmem */
/* NTLMv2 against MS-NLMP 4.2.4 (tests/vectors/ntlm.txt), sealing both ways,
 * tampering and replays, and malformed challenges at every length. */
#include <stdlib.h>
#include <string.h>

#include "auth/ntlm.h"
#include "util/utf.h"
#include "harness.h"
#include "vectors.h"

/* ntlm_authenticate()'s working memory (the library takes it from the arena) */
static struct ntlm_scratch ntlm_w;

static uint8_t chal[512], authmsg[512], wrap_in[64], wrap_data[64], wrap_sig[16];
static size_t chal_n, auth_n, wrap_n, wrap_data_n;
static uint8_t nthash[16];

static void load(const char *desc, char **f, int nf)
{
	(void)desc, (void)nf;
	if (!strcmp(f[0], "nthash"))
		vec_hex(f[1], nthash, 16);
	else if (!strcmp(f[0], "challenge"))
		chal_n = vec_hex(f[1], chal, sizeof(chal));
	else if (!strcmp(f[0], "authenticate"))
		auth_n = vec_hex(f[1], authmsg, sizeof(authmsg));
	else if (!strcmp(f[0], "wrap")) {
		wrap_n = vec_hex(f[1], wrap_in, sizeof(wrap_in));
		wrap_data_n = vec_hex(f[2], wrap_data, sizeof(wrap_data));
		vec_hex(f[3], wrap_sig, 16);
	}
}

static const uint8_t version[8] = {0x05, 0x01, 0x28, 0x0a, 0, 0, 0, 0x0f};

static void vector_input(struct ntlm_input *in)
{
	memset(in, 0, sizeof(*in));
	in->user = "User";
	in->domain = "Domain";
	in->workstation = "COMPUTER";
	in->nt_hash = nthash;
	memset(in->client_challenge, 0xaa, 8);
	memset(in->session_key, 0x55, 16);
	in->filetime = 0;
	memcpy(in->version, version, 8);
}

/* Run the vector exchange; returns the client context. */
static void vector_context(struct ntlm_ctx *n)
{
	struct ntlm_input in;
	uint8_t neg[NTLM_NEGOTIATE_LEN], out[NTLM_MAX_AUTHENTICATE];
	struct errbuf e = {WRSH_OK, ""};
	size_t len;
	vector_input(&in);
	ntlm_negotiate(n, version, neg);
	CHECK_EQ(ntlm_authenticate(n, &ntlm_w, &in, chal, chal_n, out, &len, &e), WRSH_OK);
}

static void test_ntlm_nt_hash_vector(void)
{
	uint8_t h[16];
	CHECK(vec_each("tests/vectors/ntlm.txt", load) == 4);
	CHECK_EQ(ntlm_nt_hash("Password", h), WRSH_OK);
	CHECK_MEM(h, 16, nthash, 16);
}

/* The whole AUTHENTICATE_MESSAGE of 4.2.4.3, byte for byte. */
static void test_ntlm_authenticate_matches_spec(void)
{
	struct ntlm_ctx n;
	struct ntlm_input in;
	uint8_t neg[NTLM_NEGOTIATE_LEN], out[NTLM_MAX_AUTHENTICATE];
	struct errbuf e = {WRSH_OK, ""};
	size_t len = 0;
	vector_input(&in);
	ntlm_negotiate(&n, version, neg);
	CHECK(!memcmp(neg, "NTLMSSP\0\1\0\0\0", 12));
	CHECK_EQ(ntlm_authenticate(&n, &ntlm_w, &in, chal, chal_n, out, &len, &e), WRSH_OK);
	CHECK_MEM(out, len, authmsg, auth_n);
}

/* GSS_WrapEx of 4.2.4.4: sealed data and signature, then SeqNum 1 differs. */
static void test_ntlm_seal_matches_spec(void)
{
	struct ntlm_ctx n;
	uint8_t msg[64], sig[16];
	vector_context(&n);
	memcpy(msg, wrap_in, wrap_n);
	ntlm_seal(&n, msg, wrap_n, sig);
	CHECK_MEM(msg, wrap_n, wrap_data, wrap_data_n);
	CHECK_MEM(sig, 16, wrap_sig, 16);
	memcpy(msg, wrap_in, wrap_n);
	ntlm_seal(&n, msg, wrap_n, sig);
	CHECK_EQ(sig[12], 1); /* the sequence number travels in clear */
	ntlm_wipe(&n);
}

/* A "server" is the client context with the directions swapped. */
static void as_server(struct ntlm_ctx *srv, const struct ntlm_ctx *cli)
{
	*srv = *cli;
	memcpy(srv->client_sign, cli->server_sign, 16);
	memcpy(srv->server_sign, cli->client_sign, 16);
	srv->client_seal = cli->server_seal;
	srv->server_seal = cli->client_seal;
}

static void test_ntlm_unseal_verifies_and_rejects(void)
{
	struct ntlm_ctx cli, srv;
	uint8_t msg[200], sig[16], copy[200], csig[16];
	size_t i;
	vector_context(&cli);
	as_server(&srv, &cli);
	for (i = 0; i < 3; i++) { /* in sequence: each verifies */
		memset(msg, 'A' + (int)i, sizeof(msg));
		ntlm_seal(&srv, msg, sizeof(msg), sig);
		CHECK_EQ(ntlm_unseal(&cli, msg, sizeof(msg), sig), WRSH_OK);
		CHECK_EQ(msg[17], 'A' + i);
	}
	/* a flipped bit in the body */
	memset(msg, 'x', sizeof(msg));
	ntlm_seal(&srv, msg, sizeof(msg), sig);
	memcpy(copy, msg, sizeof(msg));
	memcpy(csig, sig, 16);
	msg[100] ^= 1;
	CHECK_EQ(ntlm_unseal(&cli, msg, sizeof(msg), sig), WRSH_EINTEGRITY);
	/* the same message again (a replay): its sequence number is stale */
	{
		struct ntlm_ctx cli2, srv2;
		uint8_t m1[32], s1[16];
		vector_context(&cli2);
		as_server(&srv2, &cli2);
		memset(m1, 'r', sizeof(m1));
		ntlm_seal(&srv2, m1, sizeof(m1), s1);
		memcpy(copy, m1, sizeof(m1));
		memcpy(csig, s1, 16);
		CHECK_EQ(ntlm_unseal(&cli2, m1, sizeof(m1), s1), WRSH_OK);
		CHECK_EQ(ntlm_unseal(&cli2, copy, sizeof(m1), csig), WRSH_EINTEGRITY);
	}
	/* a signature with a wrong version byte */
	memset(msg, 'y', sizeof(msg));
	ntlm_seal(&srv, msg, sizeof(msg), sig);
	sig[0] = 2;
	CHECK_EQ(ntlm_unseal(&cli, msg, sizeof(msg), sig), WRSH_EINTEGRITY);
}

/* Every truncation of a valid challenge, and hostile lengths: an error,
 * never a read out of bounds (ASan and valgrind watch this one). */
static void test_ntlm_malformed_challenges(void)
{
	struct ntlm_ctx n;
	struct ntlm_input in;
	uint8_t neg[NTLM_NEGOTIATE_LEN], out[NTLM_MAX_AUTHENTICATE], bad[512];
	struct errbuf e;
	size_t len, cut;
	vector_input(&in);
	for (cut = 0; cut < chal_n; cut++) {
		uint8_t *p = malloc(cut ? cut : 1); /* exact size: ASan sees overreads */
		memcpy(p, chal, cut);
		err_clear(&e);
		ntlm_negotiate(&n, version, neg);
		CHECK(ntlm_authenticate(&n, &ntlm_w, &in, p, cut, out, &len, &e) != WRSH_OK);
		free(p);
	}
	memcpy(bad, chal, chal_n);
	bad[40] = 0xff; /* target info length past the end */
	err_clear(&e);
	CHECK_EQ(ntlm_authenticate(&n, &ntlm_w, &in, bad, chal_n, out, &len, &e), WRSH_EPROTO);
	memcpy(bad, chal, chal_n);
	bad[0x44 + 2] = 0xf0; /* an AV pair longer than the target info */
	err_clear(&e);
	CHECK_EQ(ntlm_authenticate(&n, &ntlm_w, &in, bad, chal_n, out, &len, &e), WRSH_EPROTO);
	memcpy(bad, chal, chal_n);
	bad[23] &= 0xbf; /* no NTLMSSP_NEGOTIATE_KEY_EXCH */
	err_clear(&e);
	CHECK_EQ(ntlm_authenticate(&n, &ntlm_w, &in, bad, chal_n, out, &len, &e), WRSH_EAUTH);
	CHECK(strstr(e.msg, "128-bit") != NULL);
	memcpy(bad, chal, chal_n);
	bad[8] = 3; /* not a challenge */
	err_clear(&e);
	CHECK_EQ(ntlm_authenticate(&n, &ntlm_w, &in, bad, chal_n, out, &len, &e), WRSH_EPROTO);
}

/* With a server timestamp, as Windows sends it: MsvAvFlags with the MIC
 * bit, channel bindings, target name, LMv2 zeroed, and a MIC in place. */
static void test_ntlm_modern_exchange_has_mic_and_bindings(void)
{
	static const uint8_t ts_av[] = {7, 0, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0};
	struct ntlm_ctx n;
	struct ntlm_input in;
	uint8_t c[256], neg[NTLM_NEGOTIATE_LEN], out[NTLM_MAX_AUTHENTICATE], cbt[16];
	struct errbuf e = {WRSH_OK, ""};
	size_t len, i, cn;
	char comp[32];
	bool zero_mic = true, zero_lm = true;
	/* the vector challenge with a timestamp before MsvAvEOL */
	memcpy(c, chal, chal_n - 4);
	memcpy(c + chal_n - 4, ts_av, sizeof(ts_av));
	cn = chal_n - 4 + sizeof(ts_av);
	c[40] = (uint8_t)(0x24 - 4 + sizeof(ts_av));
	c[42] = c[40];
	vector_input(&in);
	in.extend_av = true;
	in.spn = "HTTP/win.example";
	memset(cbt, 0xcb, 16);
	in.cbt = cbt;
	ntlm_negotiate(&n, version, neg);
	CHECK_EQ(ntlm_authenticate(&n, &ntlm_w, &in, c, cn, out, &len, &e), WRSH_OK);
	for (i = 72; i < 88; i++)
		zero_mic &= out[i] == 0;
	CHECK(!zero_mic);
	for (i = 0; i < 24; i++)
		zero_lm &= out[(out[16] | out[17] << 8) + i] == 0;
	CHECK(zero_lm);
	CHECK_EQ(out[16] | out[17] << 8, 88 + 12 + 8 + 16); /* LM after domain, user, ws */
	CHECK(memmem(out, len, "\x06\x00\x04\x00\x02\x00\x00\x00", 8) != NULL);
	CHECK(memmem(out, len, "\x0a\x00\x10\x00\xcb\xcb", 6) != NULL);
	CHECK(memmem(out, len, "H\0T\0T\0P\0/\0w\0", 12) != NULL);
	CHECK_EQ(ntlm_challenge_computer(c, cn, comp, sizeof(comp)), WRSH_OK);
	CHECK_STR(comp, "Server");
}

/* User names are upper-cased beyond ASCII for NTOWFv2. */
static void test_ntlm_uppercase(void)
{
	uint8_t s[] = {'a', 0, 0xe9, 0, 0xff, 0, 0x01, 0x01, 0xb1, 0x03, 0x30, 0x04, 0x51, 0x04};
	const uint8_t want[] = {'A',  0,    0xc9, 0,	0x78, 0x01, 0x00,
				0x01, 0x91, 0x03, 0x10, 0x04, 0x01, 0x04};
	utf16le_upper(s, sizeof(s));
	CHECK_MEM(s, sizeof(s), want, sizeof(want));
}

void ntlm_tests(void)
{
	RUN(test_ntlm_nt_hash_vector);
	RUN(test_ntlm_authenticate_matches_spec);
	RUN(test_ntlm_seal_matches_spec);
	RUN(test_ntlm_unseal_verifies_and_rejects);
	RUN(test_ntlm_malformed_challenges);
	RUN(test_ntlm_modern_exchange_has_mic_and_bindings);
	RUN(test_ntlm_uppercase);
}
