/*
 * Replay driver: feeds recorded Windows responses (tests/replay/windows)
 * through the real envelope and WinRS consumers and prints what they
 * understood, one line per fact, for check.py to compare with the
 * harvester's decoded.txt. Each file is parsed twice, whole and in 7-byte
 * pieces, and both runs must agree. A file named with a leading '+' carries
 * PSRP: its stdout goes on through the fragment and message readers, whose
 * state runs on across the files (messages span Receives), in 5-byte pieces.
 * Where the client's request was recorded beside a response (NNN-request.xml),
 * the response's Action must answer it, as in a session.
 *
 *   replay [+]FILE...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "psrp/clixml.h"
#include "psrp/message.h"
#include "winrs/winrs.h"
#include "wsman/wsman.h"

#define MAX_OUT (1u << 20)

static unsigned char arena_buf[128 * 1024] __attribute__((aligned(16)));
static unsigned char out[2][MAX_OUT];
static size_t out_n[2];

static wrsh_err sink(void *ctx, int stream, const void *p, size_t n)
{
	(void)ctx;
	if (n > MAX_OUT - out_n[stream - 1])
		return WRSH_ELIMIT;
	memcpy(out[stream - 1] + out_n[stream - 1], p, n);
	out_n[stream - 1] += n;
	return WRSH_OK;
}

struct result {
	wrsh_err err;
	char msg[CONFIG_WRSH_ERR_MSG_LEN];
	struct winrs_parse wp;
	struct wsman_resp resp;
	size_t n[2];
	unsigned long hash[2];
};

static unsigned long hash(const unsigned char *p, size_t n)
{
	unsigned long h = 5381;
	while (n--)
		h = h * 33 + *p++;
	return h;
}

static void parse(const char *doc, size_t n, size_t step, const char *expect, struct result *r)
{
	struct wrsh_arena *a = wrsh_arena_init(arena_buf, sizeof(arena_buf));
	struct errbuf e = {WRSH_OK, ""};
	struct xml_consumer env, body;
	struct xml_parser x;
	size_t off = 0;
	memset(r, 0, sizeof(*r));
	out_n[0] = out_n[1] = 0;
	wsman_resp_init(&r->resp);
	wsman_consumer(&env, &r->resp);
	wsman_resp_expect(&r->resp, expect, &e);
	winrs_parse_init(&r->wp, &e);
	r->wp.out = sink;
	winrs_consumer(&body, &r->wp);
	r->err = xml_begin(&x, a, 7, &env, &body, &e);
	while (!r->err && off < n) {
		size_t k = n - off < step ? n - off : step;
		r->err = xml_push(&x, doc + off, k, false);
		off += k;
	}
	if (!r->err)
		r->err = xml_push(&x, NULL, 0, true);
	if (!r->err && !r->resp.fault)
		r->err = wsman_check_action(&r->resp, &e);
	xml_end(&x);
	if (wrsh_arena_in_use(a)) {
		fprintf(stderr, "replay: arena not empty after a document\n");
		exit(2);
	}
	strcpy(r->msg, e.msg);
	r->n[0] = out_n[0], r->n[1] = out_n[1];
	r->hash[0] = hash(out[0], out_n[0]), r->hash[1] = hash(out[1], out_n[1]);
}

static void print_hex(const char *name, const unsigned char *p, size_t n)
{
	size_t i;
	printf("%s %zu ", name, n);
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static void report(const char *path, const struct result *r)
{
	const char *base = strrchr(path, '/');
	printf("=== %s\n", base ? base + 1 : path);
	if (r->err) {
		printf("error %s\n", r->msg);
		return;
	}
	if (r->resp.fault) {
		struct errbuf e = {WRSH_OK, ""};
		wsman_fault_error(&r->resp, &e);
		printf("fault %s\n", e.msg);
	}
	if (r->wp.id_seen)
		printf("id %s\n", r->wp.id);
	if (out_n[0])
		print_hex("stdout", out[0], out_n[0]);
	if (out_n[1])
		print_hex("stderr", out[1], out_n[1]);
	if (r->wp.done)
		printf("done exit %lu\n", (unsigned long)r->wp.exit_code);
}

static char doc[4u << 20];

/* The Action of the request recorded beside a response, or NULL: test
 * code reading our own recordings, so a plain scan does. */
static const char *request_action(const char *resp_path)
{
	static char path[4096], req[1u << 20], action[1024];
	const char *p, *q;
	size_t n, k = strlen(resp_path);
	FILE *f;
	if (k < 13 || k >= sizeof(path) || strcmp(resp_path + k - 13, "-response.xml"))
		return NULL;
	memcpy(path, resp_path, k - 13);
	strcpy(path + k - 13, "-request.xml");
	if (!(f = fopen(path, "rb")))
		return NULL;
	n = fread(req, 1, sizeof(req) - 1, f);
	fclose(f);
	req[n] = 0;
	if (!(p = strstr(req, ":Action")) || !(p = strchr(p, '>')) || !(q = strchr(++p, '<')))
		return NULL;
	while (p < q && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	while (q > p && (q[-1] == ' ' || q[-1] == '\n' || q[-1] == '\r' || q[-1] == '\t'))
		q--;
	if ((size_t)(q - p) >= sizeof(action))
		return NULL;
	memcpy(action, p, (size_t)(q - p));
	action[q - p] = 0;
	return action;
}

/* ---- PSRP ---------------------------------------------------------------- */

static struct psrp_msg_head msg_head;
static unsigned char msg_data[4u << 20];
static size_t msg_n;
static struct errbuf psrp_err = {WRSH_OK, ""};

static wrsh_err p_begin(void *ctx, const struct psrp_msg_head *h)
{
	(void)ctx;
	msg_head = *h;
	msg_n = 0;
	return WRSH_OK;
}

static wrsh_err p_data(void *ctx, const uint8_t *p, size_t n)
{
	(void)ctx;
	if (n > sizeof(msg_data) - msg_n)
		return WRSH_ELIMIT;
	memcpy(msg_data + msg_n, p, n);
	msg_n += n;
	return WRSH_OK;
}

static void clixml_events(void);

static wrsh_err p_end(void *ctx)
{
	const char *name = psrp_type_name(msg_head.type);
	char rpid[GUID_STR_LEN + 1], pid[GUID_STR_LEN + 1];
	(void)ctx;
	psrp_guid_format(msg_head.rpid, rpid);
	psrp_guid_format(msg_head.pid, pid);
	printf("psrp %llu %s 0x%08X %s %s %s ", (unsigned long long)msg_head.object_id,
	       name ? name : "?", (unsigned)msg_head.type,
	       msg_head.destination == PSRP_TO_CLIENT ? "Client" : "Server", rpid, pid);
	print_hex("data", msg_data, msg_n);
	if (msg_n)
		clixml_events();
	return WRSH_OK;
}

/* CLIXML events, one line each: "cx ( depth tag name ref", "cx = depth tag
 * name ref value", "cx ) depth tag"; name and value in hex ("-" for none). */
static unsigned char val[4u << 20];
static size_t val_n;

static void hex_or_dash(const char *p, size_t n, bool none)
{
	size_t i;
	if (none) {
		printf(" -");
		return;
	}
	printf(" ");
	for (i = 0; i < n; i++)
		printf("%02x", (unsigned char)p[i]);
	if (!n)
		printf("~"); /* empty, not absent */
}

static wrsh_err cx_open(void *ctx, const struct wrsh_ps_node *n)
{
	(void)ctx;
	printf("cx ( %u %s", n->depth, n->tag);
	hex_or_dash(n->name, n->name ? strlen(n->name) : 0, !n->name);
	printf(" %lld\n", (long long)n->ref_id);
	return WRSH_OK;
}

static wrsh_err cx_text(void *ctx, const struct wrsh_ps_node *n, const char *p, size_t len,
			bool last)
{
	(void)ctx;
	if (len > sizeof(val) - val_n)
		return WRSH_ELIMIT;
	memcpy(val + val_n, p, len);
	val_n += len;
	if (!last)
		return WRSH_OK;
	printf("cx = %u %s", n->depth, n->tag);
	hex_or_dash(n->name, n->name ? strlen(n->name) : 0, !n->name);
	printf(" %lld", (long long)n->ref_id);
	hex_or_dash((const char *)val, val_n, false);
	printf("\n");
	val_n = 0;
	return WRSH_OK;
}

static wrsh_err cx_close(void *ctx, const struct wrsh_ps_node *n)
{
	(void)ctx;
	printf("cx ) %u %s\n", n->depth, n->tag);
	return WRSH_OK;
}

/* The message's CLIXML through the streaming reader, in 3-byte pieces. */
static void clixml_events(void)
{
	static const struct clixml_sink sink = {cx_open, cx_text, cx_close, NULL};
	struct wrsh_arena *a = wrsh_arena_init(arena_buf, sizeof(arena_buf));
	struct errbuf e = {WRSH_OK, ""};
	struct clixml_reader r;
	wrsh_err err;
	size_t off = 0;
	val_n = 0;
	err = clixml_begin(&r, a, &sink, &e);
	while (!err && off < msg_n) {
		size_t k = msg_n - off < 3 ? msg_n - off : 3;
		err = clixml_push(&r, msg_data + off, k);
		off += k;
	}
	if (!err)
		err = clixml_finish(&r);
	else
		clixml_abort(&r);
	if (err)
		printf("cx-error %s\n", e.msg);
	if (wrsh_arena_in_use(a)) {
		fprintf(stderr, "replay: arena not empty after a CLIXML message\n");
		exit(2);
	}
}

static const struct psrp_msg_sink psrp_sink = {p_begin, p_data, p_end, NULL};
static struct psrp_msg_reader psrp_reader;
static struct psrp_defrag psrp_defrag;

static void psrp_feed(const unsigned char *p, size_t n)
{
	size_t off = 0;
	wrsh_err e = WRSH_OK;
	while (!e && off < n) {
		size_t k = n - off < 5 ? n - off : 5;
		e = psrp_defrag_push(&psrp_defrag, p + off, k);
		off += k;
	}
	if (e) {
		printf("psrp-error %s\n", psrp_err.msg);
		psrp_err.code = WRSH_OK;
		psrp_msg_reader_init(&psrp_reader, &psrp_sink, PSRP_TO_CLIENT, &psrp_err);
		psrp_defrag_init(&psrp_defrag, &psrp_reader.obj, &psrp_err);
	}
}

int main(int argc, char **argv)
{
	int i;
	psrp_msg_reader_init(&psrp_reader, &psrp_sink, PSRP_TO_CLIENT, &psrp_err);
	psrp_defrag_init(&psrp_defrag, &psrp_reader.obj, &psrp_err);
	for (i = 1; i < argc; i++) {
		struct result whole, split;
		bool psrp = argv[i][0] == '+';
		const char *path = argv[i] + psrp;
		FILE *f = fopen(path, "rb");
		size_t n;
		if (!f) {
			perror(path);
			return 2;
		}
		const char *expect;
		n = fread(doc, 1, sizeof(doc), f);
		fclose(f);
		expect = request_action(path);
		parse(doc, n, 7, expect, &split);
		parse(doc, n, n ? n : 1, expect, &whole);
		if (whole.err != split.err || whole.n[0] != split.n[0] ||
		    whole.n[1] != split.n[1] || whole.hash[0] != split.hash[0] ||
		    whole.hash[1] != split.hash[1] || whole.wp.done != split.wp.done ||
		    whole.wp.exit_code != split.wp.exit_code) {
			fprintf(stderr, "replay: %s parses differently in pieces\n", path);
			return 2;
		}
		report(path, &whole);
		if (psrp && !whole.err)
			psrp_feed(out[0], out_n[0]);
	}
	return 0;
}
