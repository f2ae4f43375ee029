/*
 * File transfer's two edges with the host: the values quoted into the
 * scripts (a path cannot end its literal, whatever quotes it holds), and
 * what a get makes of the strings a script prints (xfer_get_replay: the
 * same readers a Receive feeds). The scripts themselves run against real
 * PowerShell in tests/cli/test_xfer.py.
 */
#include <string.h>

#include "harness.h"
#include "xfer/xfer.h"

#if CONFIG_WRSH_XFER

static char script[16384];

static void test_xfer_quotes_are_doubled(void)
{
	struct sbuf b;
	sb_init(&b, script, sizeof(script));
	/* ' and U+2018 (a quote to PowerShell too) */
	xfer_script_put(&b,
			"C:\\a'b\xe2\x80\x98"
			"c",
			"x'", true, WRSH_XFER_RESUME);
	CHECK(!b.over);
	sb_cstr(&b);
	CHECK(strstr(script, "wrsh_path 'C:\\a''b\xe2\x80\x98\xe2\x80\x98"
			     "c'") != NULL);
	CHECK(strstr(script, "Combine($d, 'x''')") != NULL);
	CHECK(strstr(script,
		     "$open = $true; $mkdirs = $false; $noclobber = $false; $resume = $true") !=
	      NULL);
	CHECK(strchr(script, '\001') == NULL && strchr(script, '\002') == NULL);
	sb_init(&b, script, sizeof(script));
	xfer_script_get(&b, "D:\\l'g", false, 1234, "-", 4096);
	sb_cstr(&b);
	CHECK(strstr(script, "$tree = $false; $at = [long]1234; $pre = '-'; $chunk = 4096") !=
	      NULL);
	CHECK(strstr(script, "wrsh_path 'D:\\l''g'") != NULL);
}

struct got {
	char data[64];
	size_t n;
	unsigned begins, ends, failed, folders;
	char name[64];
};

static wrsh_err w(void *ctx, const void *p, size_t n)
{
	struct got *g = ctx;
	memcpy(g->data + g->n, p, n);
	g->n += n;
	return WRSH_OK;
}

static wrsh_err ev(void *ctx, enum wrsh_xfer_event e, const struct wrsh_xfer_file *f)
{
	struct got *g = ctx;
	g->begins += e == WRSH_XFER_BEGIN;
	g->ends += e == WRSH_XFER_END;
	g->failed += e == WRSH_XFER_FAILED;
	g->folders += e == WRSH_XFER_FOLDER;
	strcpy(g->name, f->name);
	return WRSH_OK;
}

/* SHA-256("abc"), FIPS 180-2 B.1; one literal so clang's -Wstring-concatenation stays quiet */
#define END_ABC "!end ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

/* a get's state, as the library would hold it in the arena */
static union {
	uint64_t align;
	unsigned char b[8192];
} replay_mem;

static wrsh_err replay(struct got *g, unsigned flags, const char *const *s, size_t n)
{
	size_t len[8], cut[8], i;
	struct wrsh_xfer_io io;
	memset(g, 0, sizeof(*g));
	memset(&io, 0, sizeof(io));
	io.write = w;
	io.event = ev;
	io.ctx = g;
	for (i = 0; i < n; i++) {
		len[i] = strlen(s[i]);
		cut[i] = len[i] / 2; /* each string in two pieces */
	}
	CHECK(xfer_get_replay_mem() <= sizeof(replay_mem));
	return xfer_get_replay(&replay_mem, NULL, s, len, cut, n, flags, &io);
}

static void test_xfer_get_reads_what_the_host_prints(void)
{
	static const char *const good[] = {"!name C:\\x", "!file 3 0 1700000000000", "YWJj",
					   END_ABC};
	static const char *const bad_hash[] = {"!name C:\\x", "!file 3 0 0", "YWJk", END_ABC};
	static const char *const too_long[] = {"!name C:\\x", "!file 2 0 0", "YWJj"};
	static const char *const not_b64[] = {"!name C:\\x", "!file 3 0 0", "YW*j"};
	static const char *const before[] = {"YWJj"};
	static const char *const refused[] = {"!err access Access to the path is denied."};
	static const char *const tree[] = {"!dir a b", "!name a b/c", "!file 3 0 0",	 "YWJj",
					   END_ABC,    "!name d",     "!err inuse busy", "!tree"};
	static const char *const escape[] = {"!name ../../etc/passwd", "!file 0 0 0"};
	static const char *const absolute[] = {"!dir /etc"};
	struct got g;
	CHECK_EQ(replay(&g, 0, good, 4), WRSH_OK);
	CHECK_MEM(g.data, g.n, "abc", 3);
	CHECK_EQ(g.begins, 1);
	CHECK_EQ(g.ends, 1);
	CHECK_EQ(replay(&g, 0, bad_hash, 4), WRSH_EFILE);
	CHECK_EQ(g.ends, 0);
	CHECK_EQ(replay(&g, 0, too_long, 3), WRSH_EPROTO);
	CHECK_EQ(replay(&g, 0, not_b64, 3), WRSH_EPROTO);
	CHECK_EQ(replay(&g, 0, before, 1), WRSH_EPROTO);
	CHECK_EQ(replay(&g, 0, refused, 1), WRSH_EFILE);
	CHECK_EQ(replay(&g, WRSH_XFER_TREE, tree, 8), WRSH_OK);
	CHECK_EQ(g.folders, 1);
	CHECK_EQ(g.ends, 1);
	CHECK_EQ(g.failed, 1);
	CHECK_STR(g.name, "d");
	CHECK_EQ(replay(&g, WRSH_XFER_TREE, escape, 2), WRSH_EPROTO);
	CHECK_EQ(g.begins, 0);
	CHECK_EQ(replay(&g, WRSH_XFER_TREE, absolute, 1), WRSH_EPROTO);
	CHECK_EQ(g.folders, 0);
}

/* The fuzzer's find: a name one byte over the cap, which cut to fit would
 * end in "/.." and climb out of the folder, is refused whole. */
static void test_xfer_get_refuses_a_name_past_the_cap(void)
{
	static char line[6 + WRSH_XFER_NAME_MAX];
	const char *s[1] = {line};
	struct got g;
	memcpy(line, "!dir ", 5);
	memset(line + 5, 'a', WRSH_XFER_NAME_MAX - 4);
	memcpy(line + 5 + WRSH_XFER_NAME_MAX - 4, "/..x", 5);
	CHECK_EQ(strlen(line + 5), WRSH_XFER_NAME_MAX);
	CHECK_EQ(replay(&g, WRSH_XFER_TREE, s, 1), WRSH_ELIMIT);
	CHECK_EQ(g.folders, 0);
}

void xfer_tests(void)
{
	RUN(test_xfer_quotes_are_doubled);
	RUN(test_xfer_get_reads_what_the_host_prints);
	RUN(test_xfer_get_refuses_a_name_past_the_cap);
}
#else
void xfer_tests(void)
{
}
#endif
