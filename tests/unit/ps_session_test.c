#define _GNU_SOURCE /* memmem */
/*
 * The runspace pool and pipeline through the mock port: a server that
 * answers as Windows does, then one that names another pool, calls a host
 * the client does not have, breaks the pool, ends a pipeline without its
 * state or in the middle of a message. Each ends in a clear WRSH_EPSRP and
 * the pool's shell is still deleted.
 *
 * The pool's RPID comes from the port's randomness, which the mock repeats:
 * a first run learns it, and the server's messages of later runs carry it.
 */
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "harness.h"
#include "base/mem.h"
#include "mock.h"
#include "mock_server.h"
#include "psrp/message.h"
#include "psrp/pool.h"
#include "wsman/session.h"
#include "util/base64.h"
#include "wrsh.h"

#if CONFIG_WRSH_PSRP

static uint8_t rpid[16], pid[16]; /* the pool's, and the running pipeline's */
static bool have_rpid;
static char out[4096];
static size_t out_n;
static unsigned objects;

struct t {
	struct mock_port m;
	struct wrsh_port port;
	struct wrsh_arena *a;
	struct wrsh_session *s;
	struct wrsh_opts o;
};
static struct t T;

static struct t *setup(void)
{
	struct t *t = &T;
	memset(t, 0, sizeof(*t));
	fixture_basic(&t->m, &t->port, &t->a, &t->o);
	out_n = 0;
	objects = 0;
	return t;
}

static void add_created(struct t *t)
{
	msrv_created(&t->m);
}

/* A Receive answer carrying messages (type, clixml) for pool `pool`, the
 * pipeline's naming the one running; done: CommandState Done; cut: bytes
 * taken off the end of the stream. */
static void add_messages(struct t *t, const uint8_t *pool, bool done, int n, const uint32_t *types,
			 const char *const *clixml, size_t cut)
{
	msrv_messages(&t->m, pool, pid, done, n, types, clixml, cut);
}

#define OPENED_CAP "<Obj RefId=\"0\"><MS><Version N=\"protocolversion\">2.3</Version></MS></Obj>"
static const uint32_t opened_t[] = {PSRP_SESSION_CAPABILITY, PSRP_RUNSPACEPOOL_STATE};
static const char *const opened_x[] = {
	OPENED_CAP, "<Obj RefId=\"0\"><MS><I32 N=\"RunspaceState\">2</I32></MS></Obj>"};

static void add_empty(struct t *t) /* the Delete's answer */
{
	msrv_empty(&t->m, MSRV_DELETED);
}

static void add_command_response(struct t *t)
{
	msrv_command_response(&t->m);
}

static void learn_rpid(void)
{
	struct t *t;
	if (have_rpid)
		return;
	t = setup();
	add_created(t);
	CHECK(mock_add_http(&t->m, 503, "text/plain", "x", 1, 0));
	add_empty(t);
	CHECK_EQ(wrsh_open(&t->s, t->a, &t->port, &t->o), WRSH_OK);
	CHECK_EQ(wrsh_ps_open(t->s), WRSH_EHTTP);
	CHECK(psrp_pool_ids(t->s) != NULL);
	if (psrp_pool_ids(t->s))
		memcpy(rpid, psrp_pool_ids(t->s)->rpid, 16);
	have_rpid = true;
	wrsh_close(t->s);
}

static wrsh_err s_text(void *ctx, enum wrsh_ps_stream st, const struct wrsh_ps_node *n,
		       const char *p, size_t len, bool last)
{
	(void)ctx, (void)last;
	if (st == WRSH_PS_OUTPUT && n->depth == 1 && len < sizeof(out) - out_n) {
		memcpy(out + out_n, p, len);
		out_n += len;
	}
	return WRSH_OK;
}

static wrsh_err s_end(void *ctx, enum wrsh_ps_stream st)
{
	(void)ctx;
	if (st == WRSH_PS_OUTPUT && out_n < sizeof(out)) {
		objects++;
		out[out_n++] = '|';
	}
	return WRSH_OK;
}

static const struct wrsh_ps_sink sink = {NULL, s_text, NULL, s_end, NULL};

static const char state_done[] = "<Obj RefId=\"0\"><MS><I32 N=\"PipelineState\">4</I32></MS></Obj>";

/* Open a pool, start a pipeline whose Receive answer is queued by `queue`,
 * receive until done or an error; returns that. */
static wrsh_err run(struct t *t, void (*queue)(struct t *), enum wrsh_ps_state *state)
{
	bool done = false;
	wrsh_err e;
	int rounds = 0;
	add_created(t);
	add_messages(t, rpid, false, 2, opened_t, opened_x, 0);
	add_command_response(t);
	CHECK_EQ(wrsh_open(&t->s, t->a, &t->port, &t->o), WRSH_OK);
	CHECK_EQ(wrsh_ps_open(t->s), WRSH_OK);
	CHECK_EQ(wrsh_ps_start(t->s, "1; 'two'", 0), WRSH_OK);
	/* the pipeline's answers name the PID it was given */
	memcpy(pid, psrp_pool_ids(t->s)->pid, 16);
	queue(t);
	add_empty(t); /* the Delete of the pool's shell */
	do
		e = wrsh_ps_receive(t->s, &sink, 0, &done, state);
	while (!e && !done && ++rounds < 5);
	return e;
}

/* every request after the NEGOTIATE-less Basic ones: Create, Receive,
 * Command, Receive..., Delete; the last must be the pool's Delete */
static void check_deleted(struct t *t)
{
	const uint8_t *p;
	size_t len;
	wrsh_close(t->s);
	CHECK(mock_request(&t->m, t->m.requests - 1, &p, &len));
	CHECK(memmem(p, len, "transfer/Delete</a:Action>", 26) != NULL);
	CHECK(memmem(p, len, "powershell/Microsoft.PowerShell</w:ResourceURI>", 47) != NULL);
	CHECK_EQ(wrsh_arena_in_use(t->a), 0);
}

static void q_good(struct t *t)
{
	static const uint32_t ty[] = {PSRP_PIPELINE_OUTPUT, PSRP_PIPELINE_OUTPUT,
				      PSRP_PIPELINE_STATE};
	static const char *const x[] = {"<I32>1</I32>", "<S>two</S>", state_done};
	add_messages(t, rpid, true, 3, ty, x, 0);
}

static void test_ps_session_pipeline(void)
{
	struct t *t;
	enum wrsh_ps_state state = WRSH_PS_RUNNING;
	const uint8_t *p;
	size_t len;
	learn_rpid();
	t = setup();
	CHECK_EQ(run(t, q_good, &state), WRSH_OK);
	CHECK_EQ(state, WRSH_PS_COMPLETED);
	CHECK_MEM(out, out_n, "1|two|", 6);
	CHECK_EQ(objects, 2);
	/* the Create carried the pool's messages and protocol version */
	CHECK(mock_request(&t->m, 0, &p, &len));
	CHECK(memmem(p, len, "<w:Option MustComply=\"true\" Name=\"protocolversion\">2.3", 54) !=
	      NULL);
	CHECK(memmem(p, len, "<creationXml xmlns=\"http://schemas.microsoft.com/powershell\">",
		     61) != NULL);
	CHECK(mock_request(&t->m, 2, &p, &len));
	CHECK(memmem(p, len, "<rsp:CommandLine CommandId=\"", 28) != NULL);
	CHECK_EQ(wrsh_ps_close(t->s), WRSH_OK);
	CHECK_EQ(psrp_pool_ids(t->s) == NULL, 1);
	check_deleted(t);
}

static void q_other_pool(struct t *t)
{
	static const uint32_t ty[] = {PSRP_PIPELINE_OUTPUT};
	static const char *const x[] = {"<I32>1</I32>"};
	uint8_t other[16];
	memcpy(other, rpid, 16);
	other[0] ^= 1;
	add_messages(t, other, false, 1, ty, x, 0);
}

static void q_other_pipeline(struct t *t)
{
	static const uint32_t ty[] = {PSRP_PIPELINE_OUTPUT, PSRP_PIPELINE_STATE};
	static const char *const x[] = {"<I32>1</I32>", state_done};
	pid[15] ^= 1;
	add_messages(t, rpid, true, 2, ty, x, 0);
}

static void q_nil_pid(struct t *t)
{
	static const uint32_t ty[] = {PSRP_PIPELINE_STATE};
	static const char *const x[] = {state_done};
	memset(pid, 0, sizeof(pid));
	add_messages(t, rpid, true, 1, ty, x, 0);
}

static void q_host_call(struct t *t)
{
	static const uint32_t ty[] = {PSRP_PIPELINE_HOST_CALL};
	static const char *const x[] = {"<Obj RefId=\"0\"><MS><I64 N=\"ci\">1</I64></MS></Obj>"};
	add_messages(t, rpid, false, 1, ty, x, 0);
}

static void q_no_state(struct t *t)
{
	static const uint32_t ty[] = {PSRP_PIPELINE_OUTPUT};
	static const char *const x[] = {"<I32>1</I32>"};
	add_messages(t, rpid, true, 1, ty, x, 0);
}

static void q_cut(struct t *t)
{
	static const uint32_t ty[] = {PSRP_PIPELINE_OUTPUT, PSRP_PIPELINE_STATE};
	static const char *const x[] = {"<I32>1</I32>", state_done};
	add_messages(t, rpid, true, 2, ty, x, 9);
}

static void q_bad_clixml(struct t *t)
{
	static const uint32_t ty[] = {PSRP_PIPELINE_OUTPUT};
	static const char *const x[] = {"<S>never closed"};
	add_messages(t, rpid, false, 1, ty, x, 0);
}

static void q_bad_state(struct t *t)
{
	static const uint32_t ty[] = {PSRP_PIPELINE_STATE};
	static const char *const x[] = {
		"<Obj RefId=\"0\"><MS><I32 N=\"PipelineState\">x</I32></MS></Obj>"};
	add_messages(t, rpid, false, 1, ty, x, 0);
}

static void test_ps_session_hostile(void)
{
	static const struct {
		void (*queue)(struct t *);
		wrsh_err code;
		const char *says;
	} cases[] = {
		{q_other_pool, WRSH_EPSRP, "another runspace pool"},
		{q_other_pipeline, WRSH_EPSRP, "PIPELINE_OUTPUT message for another pipeline"},
		{q_nil_pid, WRSH_EPSRP,
		 "PIPELINE_STATE message for another pipeline (PID 00000000-0000-0000-0000-"},
		{q_host_call, WRSH_EPSRP, "no host"},
		{q_no_state, WRSH_EPSRP, "without its state"},
		{q_cut, WRSH_EPSRP, "without its state"},
		{q_bad_clixml, WRSH_EXML, "xml"},
		{q_bad_state, WRSH_EPSRP, "not a number"},
	};
	size_t i;
	learn_rpid();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct t *t = setup();
		enum wrsh_ps_state state;
		CHECK_EQ(run(t, cases[i].queue, &state), cases[i].code);
		if (!strstr(wrsh_errmsg(t->s), cases[i].says))
			fprintf(stderr, "case %zu: %s\n", i, wrsh_errmsg(t->s));
		CHECK(strstr(wrsh_errmsg(t->s), cases[i].says) != NULL);
		check_deleted(t); /* wrsh_close still deletes the pool */
	}
}

static void test_ps_session_broken_pool(void)
{
	static const uint32_t ty[] = {PSRP_RUNSPACEPOOL_STATE};
	static const char *const x[] = {
		"<Obj RefId=\"0\"><MS><I32 N=\"RunspaceState\">5</I32></MS></Obj>"};
	struct t *t;
	learn_rpid();
	t = setup();
	add_created(t);
	add_messages(t, rpid, false, 1, ty, x, 0);
	add_empty(t);
	CHECK_EQ(wrsh_open(&t->s, t->a, &t->port, &t->o), WRSH_OK);
	CHECK_EQ(wrsh_ps_open(t->s), WRSH_EPSRP);
	CHECK(strstr(wrsh_errmsg(t->s), "could not open the runspace pool") != NULL);
	check_deleted(t);
}

/* While the pool opens no pipeline runs: a pipeline's message then is not
 * ours, whatever its PID. */
static void test_ps_session_pipeline_message_at_open(void)
{
	static const uint32_t ty[] = {PSRP_SESSION_CAPABILITY, PSRP_PIPELINE_OUTPUT};
	static const char *const x[] = {OPENED_CAP, "<I32>1</I32>"};
	static const uint8_t some[16] = {1, 2, 3};
	struct t *t;
	learn_rpid();
	t = setup();
	add_created(t);
	msrv_messages(&t->m, rpid, some, false, 2, ty, x, 0);
	add_empty(t);
	CHECK_EQ(wrsh_open(&t->s, t->a, &t->port, &t->o), WRSH_OK);
	CHECK_EQ(wrsh_ps_open(t->s), WRSH_EPSRP);
	CHECK(strstr(wrsh_errmsg(t->s), "psrp: a PIPELINE_OUTPUT message while no pipeline runs "
					"(PID 00030201-0000-0000-0000-000000000000)") != NULL);
	check_deleted(t);
}

/* A script read in pieces of 1 to 7 bytes (escapes cut anywhere) goes out
 * as fragments of Command and Sends that reassemble, with the server's
 * reader, into exactly the CREATE_PIPELINE built whole; the arena peaks
 * where a one-character script does. */
static char script[60000], whole[200000];
static uint8_t got[200000];
static size_t got_n, script_off;

static wrsh_err read_pieces(void *ctx, char *buf, size_t cap, size_t *len)
{
	size_t k = 1 + script_off % 7, left = strlen(script) - script_off;
	(void)ctx;
	k = k < cap ? k : cap;
	*len = k < left ? k : left;
	memcpy(buf, script + script_off, *len);
	script_off += *len;
	return WRSH_OK;
}

static wrsh_err g_begin(void *ctx, const struct psrp_msg_head *h)
{
	(void)ctx;
	got_n = 0;
	CHECK_EQ(h->type, PSRP_CREATE_PIPELINE);
	return WRSH_OK;
}

static wrsh_err g_data(void *ctx, const uint8_t *p, size_t n)
{
	(void)ctx;
	CHECK(n <= sizeof(got) - got_n);
	if (n <= sizeof(got) - got_n)
		memcpy(got + got_n, p, n), got_n += n;
	return WRSH_OK;
}

static wrsh_err g_end(void *ctx)
{
	(void)ctx;
	return WRSH_OK;
}

/* The fragments in the base64 of the element open names, fed to d. */
static void take(struct psrp_defrag *d, const uint8_t *p, size_t len, const char *open)
{
	static uint8_t raw[32768];
	const uint8_t *b = memmem(p, len, open, strlen(open)), *e;
	struct b64_dec dec;
	size_t k;
	CHECK(b != NULL);
	if (!b)
		return;
	b = memchr(b, '>', len - (size_t)(b - p));
	CHECK(b != NULL);
	if (!b++)
		return;
	e = memchr(b, '<', len - (size_t)(b - p));
	b64_dec_init(&dec);
	CHECK(e && (size_t)(e - b) <= sizeof(raw) * 4 / 3);
	CHECK_EQ(b64_dec_push(&dec, (const char *)b, (size_t)(e - b), raw, &k), WRSH_OK);
	CHECK_EQ(psrp_defrag_push(d, raw, k), WRSH_OK);
}

static size_t start_streamed(struct t *t, wrsh_ps_read_fn read)
{
	int i;
	add_created(t);
	add_messages(t, rpid, false, 2, opened_t, opened_x, 0);
	add_command_response(t);
	for (i = 0; i < 40; i++) /* the Sends */
		msrv_empty(&t->m, MSRV_SENT);
	CHECK_EQ(wrsh_open(&t->s, t->a, &t->port, &t->o), WRSH_OK);
	CHECK_EQ(wrsh_ps_open(t->s), WRSH_OK);
	script_off = 0;
	CHECK_EQ(wrsh_ps_start_read(t->s, read, NULL, WRSH_PS_FORMAT | WRSH_PS_HOST_UI), WRSH_OK);
	return wrsh_arena_peak(t->a);
}

static void test_ps_session_script_streams(void)
{
	static const char bits[] = "_x0041_ & <é> \"_x00\r\n\t_";
	static const struct psrp_msg_sink gs = {g_begin, g_data, g_end, NULL};
	struct psrp_msg_reader r;
	struct psrp_defrag d;
	struct errbuf e = {WRSH_OK, ""};
	struct psrp_ids id;
	struct sbuf b;
	const uint8_t *p;
	size_t i, len, peak1, peak;
	struct t *t;
	learn_rpid();
	strcpy(script, "1");
	t = setup();
	peak1 = start_streamed(t, read_pieces);
	wrsh_close(t->s);
	for (i = 0; i + sizeof(bits) < sizeof(script); i += sizeof(bits) - 1)
		memcpy(script + i, bits, sizeof(bits) - 1);
	script[i] = 0;
	t = setup();
	peak = start_streamed(t, read_pieces);
	CHECK_EQ(peak, peak1);
	/* Create, Receive, Command, Sends: the fragments, reassembled */
	psrp_msg_reader_init(&r, &gs, PSRP_TO_SERVER, &e);
	psrp_defrag_init(&d, &r.obj, &e);
	CHECK(mock_request(&t->m, 2, &p, &len));
	take(&d, p, len, "<rsp:Arguments");
	for (i = 3; i < t->m.requests; i++) {
		CHECK(mock_request(&t->m, (unsigned)i, &p, &len));
		take(&d, p, len, "<rsp:Stream Name=\"stdin\"");
	}
	CHECK(t->m.requests > 8); /* 60 KB in more than five requests */
	CHECK(psrp_defrag_idle(&d));
	memcpy(&id.rpid, psrp_pool_ids(t->s)->rpid, 16);
	memcpy(&id.pid, psrp_pool_ids(t->s)->pid, 16);
	sb_init(&b, whole, sizeof(whole));
	psrp_build_create_pipeline(&b, &id, script, true, false, true);
	CHECK(!b.over);
	CHECK_MEM(got, got_n, whole + PSRP_MSG_HEAD, b.len - PSRP_MSG_HEAD);
	wrsh_close(t->s);
}

/* What the fault Windows answers a request larger than MaxEnvelopeSizekb
 * with: its subcode (MS-WSMV 2.2.4.10) and code 2150858817 */
static const char encoding_limit[] =
	"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
	"xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
	"xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header><a:Action>"
	"http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action></s:Header><s:Body><s:Fault>"
	"<s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>w:EncodingLimit</s:Value>"
	"</s:Subcode></s:Code><s:Reason><s:Text xml:lang=\"en-US\">The WS-Management service "
	"cannot process the request because the request is too large.</s:Text></s:Reason>"
	"</s:Fault></s:Body></s:Envelope>";

static uint8_t pattern[300000];
static size_t pattern_off;

static wrsh_err read_pattern(void *ctx, char *buf, size_t cap, size_t *len)
{
	size_t k = sizeof(pattern) - pattern_off;
	(void)ctx;
	k = k < cap ? k : cap;
	k = k < 7777 ? k : 7777; /* short reads, as a pipe gives */
	memcpy(buf, pattern + pattern_off, k);
	pattern_off += k;
	*len = k;
	return WRSH_OK;
}

/* The string inside the Send's PIPELINE_INPUT: its fragments' bytes
 * after the message header, from "<S>" to "</S>", base64-decoded. */
static size_t sent_input(struct t *t, unsigned req, uint8_t *to, size_t cap)
{
	static uint8_t raw[400000];
	const uint8_t *p, *q, *e;
	size_t len, n = 0, dec_n = 0;
	struct b64_dec d;
	CHECK(mock_request(&t->m, req, &p, &len));
	if (!(q = memmem(p, len, "<rsp:Stream Name=\"stdin\"", 24)) ||
	    !(q = memchr(q, '>', len - (size_t)(q - p))) ||
	    !(e = memmem(q, len - (size_t)(q - p), "</rsp:Stream>", 13)))
		return 0;
	b64_dec_init(&d);
	CHECK_EQ(b64_dec_push(&d, (const char *)q + 1, (size_t)(e - q - 1), raw, &n), WRSH_OK);
	/* fragments: 21-byte headers, the first blob starts with the message's 40 */
	{
		size_t off = 0, text = 0;
		while (off + 21 <= n) {
			uint32_t blen = (uint32_t)raw[off + 17] << 24 |
					(uint32_t)raw[off + 18] << 16 |
					(uint32_t)raw[off + 19] << 8 | raw[off + 20];
			memmove(raw + text, raw + off + 21, blen);
			text += blen;
			off += 21 + blen;
		}
		n = text;
	}
	CHECK(n > 40 + 7);
	CHECK_MEM(raw + 40, 3, "<S>", 3);
	CHECK_MEM(raw + n - 4, 4, "</S>", 4);
	b64_dec_init(&d);
	CHECK(B64_DEC_MAX(n) <= cap + 3);
	CHECK_EQ(b64_dec_push(&d, (const char *)raw + 43, n - 47, to, &dec_n), WRSH_OK);
	return dec_n;
}

/* Bytes as pipeline input: requests as large as a 2.3 server takes, cut
 * in half after an EncodingLimit fault, the bytes intact in either. */
static void test_ps_session_input_bytes(void)
{
	static uint8_t back[300000];
	struct t *t;
	size_t n1 = 0, n2 = 0, i, dec_n, retry;
	learn_rpid();
	t = setup();
	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + i / 251);
	pattern_off = 0;
	t->o.send_buf = 131072;
	t->o.max_envelope = 512000;
	add_created(t);
	add_messages(t, rpid, false, 2, opened_t, opened_x, 0);
	add_command_response(t);
	CHECK_EQ(wrsh_open(&t->s, t->a, &t->port, &t->o), WRSH_OK);
	CHECK_EQ(wrsh_ps_open(t->s), WRSH_OK);
	CHECK_EQ(wrsh_ps_start(t->s, "process { $_ }", WRSH_PS_INPUT), WRSH_OK);
	CHECK(mock_add_http(&t->m, 500, MSRV_SOAP_CT, encoding_limit, strlen(encoding_limit), 0));
	for (i = 0; i < 3; i++)
		msrv_empty(&t->m, MSRV_SENT);
	retry = t->m.requests;
	CHECK_EQ(wrsh_ps_input_bytes(t->s, read_pattern, NULL, 0, &n1), WRSH_OK);
	/* three eighths of a 128 KB request, less the envelope's room */
	CHECK(n1 > 68000 && n1 < 73000);
	/* the refused request whole, then its three fragments again in
	 * requests of half the size */
	dec_n = sent_input(t, (unsigned)retry, back, sizeof(back));
	CHECK_EQ(dec_n, n1);
	CHECK(memcmp(back, pattern, n1) == 0);
	CHECK_EQ(t->m.requests, retry + 4);
	for (i = retry + 1; i < retry + 4; i++) {
		const uint8_t *p;
		size_t l;
		CHECK(mock_request(&t->m, (unsigned)i, &p, &l));
		CHECK(l < 65536 + 2048);
	}
	msrv_empty(&t->m, MSRV_SENT);
	CHECK_EQ(wrsh_ps_input_bytes(t->s, read_pattern, NULL, 1000, &n2), WRSH_OK);
	CHECK_EQ(n2, 1000);
	dec_n = sent_input(t, t->m.requests - 1, back, sizeof(back));
	CHECK_EQ(dec_n, 1000);
	CHECK(memcmp(back, pattern + n1, 1000) == 0);
	wrsh_close(t->s);
	CHECK_EQ(wrsh_arena_in_use(t->a), 0);
}

static void test_ps_session_state_checks(void)
{
	struct t *t = setup();
	bool done;
	enum wrsh_ps_state st;
	CHECK_EQ(wrsh_open(&t->s, t->a, &t->port, &t->o), WRSH_OK);
	CHECK_EQ(wrsh_ps_start(t->s, "1", 0), WRSH_ESTATE);
	wrsh_close(t->s);
	t = setup();
	CHECK_EQ(wrsh_open(&t->s, t->a, &t->port, &t->o), WRSH_OK);
	CHECK_EQ(wrsh_ps_receive(t->s, &sink, 0, &done, &st), WRSH_ESTATE);
	wrsh_close(t->s);
	t = setup();
	CHECK_EQ(wrsh_open(&t->s, t->a, &t->port, &t->o), WRSH_OK);
	CHECK_EQ(wrsh_ps_host_reply(t->s, "x"), WRSH_ESTATE);
	{
		struct wrsh_ps_answer bad = {
			WRSH_PS_ANSWER_FIELDS, NULL, 0, NULL, NULL, 1, NULL, NULL};
		CHECK_EQ(wrsh_ps_host_answer(t->s, &bad), WRSH_EINVAL);
		CHECK_EQ(wrsh_ps_host_answer(t->s, NULL), WRSH_EINVAL);
	}
	wrsh_close(t->s);
	CHECK_EQ(wrsh_ps_open(NULL), WRSH_EINVAL);
}

void ps_session_tests(void)
{
	RUN(test_ps_session_pipeline);
	RUN(test_ps_session_hostile);
	RUN(test_ps_session_broken_pool);
	RUN(test_ps_session_pipeline_message_at_open);
	RUN(test_ps_session_script_streams);
	RUN(test_ps_session_input_bytes);
	RUN(test_ps_session_state_checks);
}
#else
void ps_session_tests(void)
{
}
#endif
