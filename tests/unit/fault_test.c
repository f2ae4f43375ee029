#define _GNU_SOURCE /* memmem */
/*
 * Fault injection at every byte (issue 6): each operation (Identify, a WinRS
 * command, a PowerShell pipeline, and the WinRS command again over a sealed
 * NTLM session) runs once against a scripted server to learn how many bytes
 * it reads and writes; then it runs again for every byte offset k with the
 * connection broken there: the response read ends in EOF, in a reset, or
 * stalls into a time-out once k response bytes were delivered, or the
 * request write is reset once k request bytes were taken (STYLE.md "Cut
 * sweep", coreHTTP's firstPartBytes).
 *
 * Each run must end either in success (a cut at the very start of a
 * response on a kept-alive connection is the idle close the session
 * retries) or in the error code of that fault with a message that says so;
 * wrsh_close must then delete the shell, on a new connection, exactly when
 * its Create was answered and its Delete was not received yet; and the
 * arena must be empty afterwards.
 *
 * The offsets are fixed for a build, whatever the machine's load: every
 * WRSH_FAULT_STRIDE-th byte (the Makefile sets it per build: 2 natively,
 * more under sanitizers, qemu and Valgrind; `make test-exhaustive` sets 1,
 * every byte) plus the offsets at each response and request boundary.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "auth/ntlm.h"
#include "wsman/crypt.h"
#include "harness.h"
#include "mock.h"
#include "mock_server.h"
#include "psrp/message.h"
#include "psrp/pool.h"
#include "wsman/session.h"
#include "util/base64.h"
#include "vectors.h"
#include "wrsh.h"

#define STD "tests/replay/windows/pypsrp-winrs-standard/"
#define STD_SHELL_ID "4283CBDC-3706-415B-88BD-B385F3E51A53"
#define DELETE_ACTION "/transfer/Delete</a:Action>"
#define RELEASE_ACTION "/enumeration/Release</a:Action>"
#define CMD_URI "windows/shell/cmd</w:ResourceURI>"
#define DEFAULT_STRIDE 2 /* without WRSH_FAULT_STRIDE */

static uint8_t store[256 * 1024], sent[256 * 1024];
static unsigned char arena_buf[256 * 1024] __attribute__((aligned(16)));

enum fault { F_EOF, F_RESET, F_STALL, F_SEND, F_COUNT };
static const char *const fault_name[] = {"eof", "reset", "stall", "send"};
/* what a caller must see for each fault when it is not retried */
static const wrsh_err fault_code[] = {WRSH_ECLOSED, WRSH_EIO, WRSH_ETIMEDOUT, WRSH_EIO};
static const char *const fault_says[] = {"closed", "reset", "stalled", "reset"};

struct op {
	const char *name;
	void (*queue)(struct mock_port *m);
	wrsh_err (*run)(struct wrsh_session *s);
	const char *shell_id; /* NULL: the operation opens no shell */
	const char *resource; /* the resource URI its Delete names */
	bool ntlm;	      /* Negotiate, sealed, against the live server below */
	/* what is left open on the server is an enumeration, not a shell: its
	 * Release cleans up, and a run to EndOfSequence leaves nothing */
	bool enumeration;
};

/* One run's world, rebuilt from nothing each time. */
static struct mock_port M;
static struct wrsh_port P;
static struct wrsh_arena *A;
static struct wrsh_session *S;

/* What the server saw: which response answered the Create, and the
 * Deletes of the operation's shell it received whole. */
struct server {
	const struct op *op;
	unsigned create_resp;
	unsigned deletes, delete_connect; /* how many, on which connection */
	unsigned receives;		  /* Receive answers read whole */
	bool pending_receive;		  /* the last answer was a Receive's */
	struct ntlm_ctx ntlm;		  /* the NTLM server's side of the connection */
	size_t plain_n;
	char plain[32768]; /* the last sealed request in clear (the trace) */
};
static struct server SRV;

static bool has(const void *p, size_t n, const char *s)
{
	return memmem(p, n, s, strlen(s)) != NULL;
}

/* A whole request reached the server. */
static void saw(const void *p, size_t n)
{
	const struct op *op = SRV.op;
	if (op->shell_id && has(p, n, op->enumeration ? RELEASE_ACTION : DELETE_ACTION) &&
	    has(p, n, op->shell_id) && has(p, n, op->resource)) {
		SRV.deletes++;
		SRV.delete_connect = M.connects;
	}
}

#if CONFIG_WRSH_PSRP
static void echo_pid(struct mock_port *m, const uint8_t *req, size_t n);
#endif

/* Basic: the answers are queued in order; the server only watches (and
 * names the pipeline the client started, as Windows does). */
static void basic_server(void *ctx, struct mock_port *m)
{
	const uint8_t *p;
	size_t n;
	(void)ctx;
	if (mock_request(m, m->requests - 1, &p, &n)) {
		saw(p, n);
#if CONFIG_WRSH_PSRP
		echo_pid(m, p, n);
#endif
	}
}

#if CONFIG_WRSH_AUTH_NTLM && CONFIG_WRSH_WSMAN_TRACE
static void ntlm_server(void *ctx, struct mock_port *m);

static void trace_fn(void *ctx, const char *dir, const char *text, size_t n)
{
	static bool status_next;
	(void)ctx;
	/* a sealed session traces each request's envelope whole, in clear */
	if (dir[0] == '>' && n <= sizeof(SRV.plain)) {
		memcpy(SRV.plain, text, n);
		SRV.plain_n = n;
	}
	/* and the status of each sealed answer ("HTTP status ", "200", ...) */
	if (dir[0] == '<' && status_next)
		CHECK_MEM(text, n, "200", 3);
	status_next = dir[0] == '<' && n == 12 && !memcmp(text, "HTTP status ", 12);
}
#endif

/* The answers of the last operation queued, kept to refill the mock
 * without reading the recorded files again for every run. */
static const struct op *queued_op;
static struct mock_port queued;
static uint8_t queued_store[64 * 1024];

static void queue(const struct op *op)
{
	unsigned i;
	if (queued_op != op) {
		op->queue(&M);
		CHECK(M.store_len <= sizeof(queued_store));
		queued = M;
		memcpy(queued_store, store, M.store_len);
		queued_op = op;
		return;
	}
	memcpy(store, queued_store, queued.store_len);
	M.store_len = queued.store_len;
	M.nresp = queued.nresp;
	for (i = 0; i < M.nresp; i++) {
		M.resp_off[i] = queued.resp_off[i];
		M.resp_len[i] = queued.resp_len[i];
		M.resp_close[i] = queued.resp_close[i];
	}
}

static struct wrsh_session *start(const struct op *op)
{
	struct wrsh_opts o;
	mock_init(&M, &P, store, sizeof(store), sent, sizeof(sent));
	A = wrsh_arena_init(arena_buf, sizeof(arena_buf));
	memset(&SRV, 0, offsetof(struct server, plain));
	SRV.op = op;
	queue(op);
	memset(&o, 0, sizeof(o));
	o.host = "win.example";
	o.auth = WRSH_AUTH_BASIC;
	o.user = "alice";
	o.password = "Passw0rd!";
	o.allow_unencrypted = true;
	M.on_request = basic_server;
#if CONFIG_WRSH_AUTH_NTLM && CONFIG_WRSH_WSMAN_TRACE
	if (op->ntlm) {
		o.auth = WRSH_AUTH_NEGOTIATE;
		o.user = "Domain\\User";
		o.password = "Password";
		o.allow_unencrypted = false;
		o.trace = trace_fn;
		M.on_request = ntlm_server;
		M.live = true;
		M.fix_relates_to = false;
		SRV.create_resp = (unsigned)-1;
	}
#endif
	S = NULL;
	CHECK_EQ(wrsh_open(&S, A, &P, &o), WRSH_OK);
	return S;
}

/* Did the server answer the Create in full (so that the shell exists)? */
static bool create_answered(void)
{
	unsigned i = SRV.create_resp;
	return i < M.nresp && M.cur != (unsigned)-1 &&
	       (M.cur > i || (M.cur == i && M.cur_pos == M.resp_len[i]));
}

/* ---- Identify ------------------------------------------------------------- */

static const char identify_resp[] =
	"<s:Envelope xml:lang=\"en-US\" xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"
	"<s:Header/><s:Body><wsmid:IdentifyResponse "
	"xmlns:wsmid=\"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd\">"
	"<wsmid:ProtocolVersion>http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	"</wsmid:ProtocolVersion><wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>"
	"<wsmid:ProductVersion>OS: 10.0.20348 SP: 0.0 Stack: 3.0</wsmid:ProductVersion>"
	"</wsmid:IdentifyResponse></s:Body></s:Envelope>";

static unsigned props;

static wrsh_err prop(void *ctx, const char *name, const char *value, size_t len)
{
	(void)ctx, (void)name, (void)value, (void)len;
	props++;
	return WRSH_OK;
}

static void identify_queue(struct mock_port *m)
{
	msrv_add(m, identify_resp);
	msrv_add(m, identify_resp);
}

/* anonymous, then authenticated on the kept-alive connection */
static wrsh_err identify_run(struct wrsh_session *s)
{
	wrsh_err e;
	props = 0;
	if ((e = wrsh_identify(s, false, prop, NULL)) || (e = wrsh_identify(s, true, prop, NULL)))
		return e;
	CHECK_EQ(props, 6);
	return WRSH_OK;
}

/* ---- WinRS ------------------------------------------------------------------ */

static char out[64];
static size_t out_n;

static wrsh_err collect(void *ctx, int stream, const void *p, size_t n)
{
	(void)ctx, (void)stream;
	if (n > sizeof(out) - out_n)
		n = sizeof(out) - out_n;
	memcpy(out + out_n, p, n);
	out_n += n;
	return WRSH_OK;
}

/* A Receive answer before the end: stderr "ok", still Running */
static const char running_resp[] =
	"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
	"xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
	"xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\"><s:Header>"
	"<a:Action>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse"
	"</a:Action><a:RelatesTo>uuid:00000000-0000-0000-0000-000000000000</a:RelatesTo>"
	"</s:Header><s:Body><rsp:ReceiveResponse><rsp:Stream Name=\"stderr\" CommandId=\""
	"CF84C20A-0A35-43FA-AF78-0B4711DA5F30\">b2s=</rsp:Stream><rsp:CommandState "
	"CommandId=\"CF84C20A-0A35-43FA-AF78-0B4711DA5F30\" State=\"http://schemas."
	"microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running\"/>"
	"</rsp:ReceiveResponse></s:Body></s:Envelope>";

static void cmd_queue(struct mock_port *m)
{
	msrv_add_file(m, STD "001-response.xml", 200); /* Create */
	msrv_add_file(m, STD "002-response.xml", 200); /* Command */
	msrv_empty(m, MSRV_SENT);		       /* Send */
	msrv_add(m, running_resp);		       /* Receive */
	msrv_add_file(m, STD "003-response.xml", 200); /* Receive: Done */
	msrv_add_file(m, STD "005-response.xml", 200); /* Delete */
}

static wrsh_err cmd_run(struct wrsh_session *s)
{
	const char *args[] = {"/c", "echo", "hi"};
	bool done = false;
	uint32_t code = 99;
	int rounds = 0;
	wrsh_err e;
	out_n = 0;
	if ((e = wrsh_shell_open(s, NULL)) || (e = wrsh_cmd_start(s, "cmd.exe", args, 3)) ||
	    (e = wrsh_cmd_send(s, "x\r\n", 3, true)))
		return e;
	while (!done && rounds++ < 4)
		if ((e = wrsh_cmd_receive(s, collect, NULL, 0, &done, &code)))
			return e;
	CHECK(done);
	CHECK_EQ(code, 0);
	CHECK_MEM(out, out_n, "okhi\r\n", 6);
	return wrsh_shell_close(s);
}

/* ---- WS-Man resources ------------------------------------------------------ */

#if CONFIG_WRSH_CIM
#define WQL "tests/replay/windows/winrb-wql-enumerate-pull/"
#define ENUM_CONTEXT "uuid:12AE5286-91FE-48F3-937E-0C22FF1AD7A1"

static unsigned instances;

static wrsh_err cim_end(void *ctx)
{
	(void)ctx;
	instances++;
	return WRSH_OK;
}

/* Windows 2008 R2's answers: two processes with the context, then the
 * last one with EndOfSequence. */
static void cim_queue(struct mock_port *m)
{
	msrv_add_file(m, WQL "001-response.xml", 200); /* EnumerateResponse */
	msrv_add_file(m, WQL "002-response.xml", 200); /* PullResponse, EndOfSequence */
}

static wrsh_err cim_run(struct wrsh_session *s)
{
	static const struct wrsh_cim_sink sink = {NULL, NULL, NULL, NULL, cim_end, NULL};
	struct wrsh_cim_req r = {"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/*", NULL,
				 0, NULL, 0};
	struct wrsh_cim_enum_opts eo = {"SELECT * FROM Win32_Process", NULL, WRSH_CIM_OBJECTS, 2};
	bool end = false;
	wrsh_err e;
	instances = 0;
	if ((e = wrsh_cim_enumerate(s, &r, &eo, &sink, &end)))
		return e;
	CHECK(!end);
	if ((e = wrsh_cim_pull(s, &sink, &end)))
		return e;
	CHECK(end);
	CHECK_EQ(instances, 3);
	return WRSH_OK;
}
#endif

/* ---- PowerShell ------------------------------------------------------------ */

#if CONFIG_WRSH_PSRP
static uint8_t rpid[16], pid[16];

static void ps_queue(struct mock_port *m)
{
	static const uint32_t opened_t[] = {PSRP_SESSION_CAPABILITY, PSRP_RUNSPACEPOOL_STATE};
	static const char *const opened_x[] = {
		"<Obj RefId=\"0\"><MS><Version N=\"protocolversion\">2.3</Version></MS></Obj>",
		"<Obj RefId=\"0\"><MS><I32 N=\"RunspaceState\">2</I32></MS></Obj>"};
	static const uint32_t out1_t[] = {PSRP_PIPELINE_OUTPUT};
	static const char *const out1_x[] = {"<I32>1</I32>"};
	static const uint32_t out2_t[] = {PSRP_PIPELINE_OUTPUT, PSRP_PIPELINE_STATE};
	static const char *const out2_x[] = {
		"<S>two</S>", "<Obj RefId=\"0\"><MS><I32 N=\"PipelineState\">4</I32></MS></Obj>"};
	msrv_created(m);
	msrv_messages(m, rpid, pid, false, 2, opened_t, opened_x, 0);
	msrv_command_response(m);
	msrv_messages(m, rpid, pid, false, 1, out1_t, out1_x, 0);
	msrv_messages(m, rpid, pid, true, 2, out2_t, out2_x, 0);
	msrv_empty(m, MSRV_DELETED);
}

static wrsh_err ps_text(void *ctx, enum wrsh_ps_stream st, const struct wrsh_ps_node *n,
			const char *p, size_t len, bool last)
{
	(void)ctx, (void)last;
	if (st == WRSH_PS_OUTPUT && n->depth == 1)
		collect(NULL, 1, p, len);
	return WRSH_OK;
}

static wrsh_err ps_run(struct wrsh_session *s)
{
	static const struct wrsh_ps_sink sink = {NULL, ps_text, NULL, NULL, NULL};
	enum wrsh_ps_state state = WRSH_PS_RUNNING;
	bool done = false;
	int rounds = 0;
	wrsh_err e;
	out_n = 0;
	if ((e = wrsh_ps_open(s)) || (e = wrsh_ps_start(s, "1; 'two'", 0)))
		return e;
	while (!done && rounds++ < 4)
		if ((e = wrsh_ps_receive(s, &sink, 0, &done, &state)))
			return e;
	CHECK(done);
	CHECK_EQ(state, WRSH_PS_COMPLETED);
	CHECK_MEM(out, out_n, "1two", 4);
	return wrsh_ps_close(s);
}

/* The queued answers name the pipeline id a rehearsal learned; a cut
 * retried before the Command draws other ids (message ids come from the
 * same randomness), so on the Command the answers are made to name the
 * CommandId it carries: each stdout stream decoded, the PID replaced,
 * encoded again in place (the same length). */
static void echo_pid(struct mock_port *m, const uint8_t *req, size_t n)
{
	static const char tag[] = "<rsp:CommandLine CommandId=\"", open[] = "Name=\"stdout\">";
	static uint8_t raw[8192];
	const uint8_t *at = memmem(req, n, tag, sizeof(tag) - 1);
	uint8_t now[16];
	char *b, *e, *end = (char *)m->store + m->store_len;
	size_t k, i;
	if (!at || (size_t)(at - req) + sizeof(tag) - 1 + 36 > n ||
	    guid_parse((const char *)at + sizeof(tag) - 1, 36, now))
		return;
	psrp_guid_from_text_order(now, now);
	if (!memcmp(now, pid, 16))
		return;
	for (b = (char *)m->store; (b = memmem(b, (size_t)(end - b), open, sizeof(open) - 1));) {
		struct b64_dec d;
		b += sizeof(open) - 1;
		e = memchr(b, '<', (size_t)(end - b));
		b64_dec_init(&d);
		if (!e || (size_t)(e - b) > sizeof(raw) * 4 / 3 ||
		    b64_dec_push(&d, b, (size_t)(e - b), raw, &k))
			return;
		for (i = 0; i + 16 <= k; i++)
			if (!memcmp(raw + i, pid, 16))
				memcpy(raw + i, now, 16);
		b64_encode(raw, k, b);
	}
}

static void pool_opens(struct mock_port *m)
{
	static const uint32_t opened_t[] = {PSRP_SESSION_CAPABILITY, PSRP_RUNSPACEPOOL_STATE};
	static const char *const opened_x[] = {
		"<Obj RefId=\"0\"><MS><Version N=\"protocolversion\">2.3</Version></MS></Obj>",
		"<Obj RefId=\"0\"><MS><I32 N=\"RunspaceState\">2</I32></MS></Obj>"};
	msrv_created(m);
	msrv_messages(m, rpid, NULL, false, 2, opened_t, opened_x, 0);
}

/* The pool's and the pipeline's ids come from the mock's repeatable
 * randomness: a rehearsal that stops after the Create learns the first,
 * one that stops at the Command the second, for the server's messages.
 * (A cut retried before the Command draws other ids: that run fails.) */
static void learn_rpid(void)
{
	static bool have;
	static const struct op rehearse = {"rehearse", msrv_created, NULL, NULL,
					   NULL,       false,	     false};
	static const struct op rehearse2 = {"rehearse2", pool_opens, NULL, NULL,
					    NULL,	 false,	     false};
	struct wrsh_session *s;
	if (have)
		return;
	s = start(&rehearse);
	CHECK(mock_add_http(&M, 503, "text/plain", "x", 1, 0));
	msrv_empty(&M, MSRV_DELETED);
	CHECK_EQ(wrsh_ps_open(s), WRSH_EHTTP);
	CHECK(psrp_pool_ids(s) != NULL);
	if (psrp_pool_ids(s))
		memcpy(rpid, psrp_pool_ids(s)->rpid, 16);
	wrsh_close(s);
	s = start(&rehearse2); /* a distinct op: queue() caches answers by op */
	CHECK(mock_add_http(&M, 503, "text/plain", "x", 1, 0));
	msrv_empty(&M, MSRV_DELETED);
	CHECK_EQ(wrsh_ps_open(s), WRSH_OK);
	CHECK_EQ(wrsh_ps_start(s, "1; 'two'", 0), WRSH_EHTTP);
	if (psrp_pool_ids(s))
		memcpy(pid, psrp_pool_ids(s)->pid, 16);
	wrsh_close(s);
	have = true;
}
#endif

/* ---- WinRS over a sealed NTLM session ------------------------------------- */

#if CONFIG_WRSH_AUTH_NTLM && CONFIG_WRSH_WSMAN_TRACE
/*
 * A live server: it answers each NEGOTIATE_MESSAGE with the MS-NLMP 4.2.4
 * challenge, and each sealed request, by its Action (read from the client's
 * trace, which shows the envelope before sealing), with the recorded
 * Windows answer, sealed. It takes any AUTHENTICATE_MESSAGE; its keys are
 * the client's own with the directions swapped, copied from the session
 * when the AUTHENTICATE arrives: what a server that verified it would hold.
 * A reconnect therefore gets a new handshake and new keys, as on Windows.
 */
static char challenge_resp[1200];
static char answer[5][4096]; /* Create, Command, Receive (Done), Delete, Send */
static size_t answer_n[5];
static uint8_t frame[CRYPT_PREFIX_MAX + sizeof(answer[0]) + 256];

static void load_challenge(const char *desc, char **f, int nf)
{
	static uint8_t chal[512];
	char b64[1024];
	size_t n;
	(void)desc, (void)nf;
	if (strcmp(f[0], "challenge"))
		return;
	n = vec_hex(f[1], chal, sizeof(chal));
	n = b64_encode(chal, n, b64);
	b64[n] = 0;
	snprintf(challenge_resp, sizeof(challenge_resp),
		 "HTTP/1.1 401 \r\nWWW-Authenticate: Negotiate %s\r\nContent-Length: 0\r\n\r\n",
		 b64);
}

static void load_answer(int i, const char *path)
{
	FILE *f = fopen(path, "rb");
	answer_n[i] = f ? fread(answer[i], 1, sizeof(answer[i]), f) : 0;
	if (f)
		fclose(f);
	CHECK(answer_n[i] > 0 && answer_n[i] < sizeof(answer[i]));
}

static void ntlm_queue(struct mock_port *m)
{
	(void)m; /* nothing in advance: ntlm_server answers as requests come */
	if (challenge_resp[0])
		return;
	CHECK(vec_each("tests/vectors/ntlm.txt", load_challenge) > 0);
	load_answer(0, STD "001-response.xml");
	load_answer(1, STD "002-response.xml");
	load_answer(2, STD "003-response.xml");
	load_answer(3, STD "005-response.xml");
	answer_n[4] = (size_t)snprintf(
		answer[4], sizeof(answer[4]), "%s",
		"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
		"xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\"><s:Header>"
		"<a:Action>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/SendResponse"
		"</a:Action><a:RelatesTo>uuid:00000000-0000-0000-0000-000000000000</a:RelatesTo>"
		"</s:Header><s:Body/></s:Envelope>");
}

/* Seal body as the server, RelatesTo naming the request's MessageID. */
static void add_sealed(struct mock_port *m, const char *body, size_t n)
{
	uint8_t *b = frame + CRYPT_PREFIX_MAX, *rel;
	const uint8_t *id = memmem(SRV.plain, SRV.plain_n, "MessageID>uuid:", 15);
	size_t off, len;
	memcpy(b, body, n);
	rel = memmem(b, n, "RelatesTo>uuid:", 15);
	if (id && rel && rel + 15 + 36 <= b + n &&
	    id + 15 + 36 <= (uint8_t *)SRV.plain + SRV.plain_n)
		memcpy(rel + 15, id + 15, 36);
	crypt_wrap(&auth_ntlm, &SRV.ntlm, frame, CRYPT_PREFIX_MAX, n, &off, &len);
	CHECK(mock_add_http(m, 200, CRYPT_CONTENT_TYPE, frame + off, len, 0));
}

static void as_server(struct ntlm_ctx *srv, const struct ntlm_ctx *cli)
{
	*srv = *cli;
	memcpy(srv->client_sign, cli->server_sign, 16);
	memcpy(srv->server_sign, cli->client_sign, 16);
	srv->client_seal = cli->server_seal;
	srv->server_seal = cli->client_seal;
	srv->client_seq = cli->server_seq;
}

static void ntlm_server(void *ctx, struct mock_port *m)
{
	static const char *const action[] = {"transfer/Create</a:Action>", "/Command</a:Action>",
					     "/Receive</a:Action>", DELETE_ACTION};
	const char *a = SRV.plain;
	const uint8_t *p;
	size_t n, an = SRV.plain_n;
	int i;
	(void)ctx;
	/* a Receive counts once its answer was read whole (not on a retry) */
	if (SRV.pending_receive && M.cur < M.nresp && M.cur_pos == M.resp_len[M.cur])
		SRV.receives++;
	SRV.pending_receive = false;
	CHECK(mock_request(m, m->requests - 1, &p, &n));
	if (has(p, n, "Authorization: Negotiate TlRMTVNTUAAB")) {
		CHECK(mock_add_raw(m, challenge_resp, strlen(challenge_resp), false));
		return;
	}
	if (has(p, n, "Authorization: Negotiate TlRMTVNTUAAD"))
		as_server(&SRV.ntlm, S->mech_ctx);
	saw(a, an);
	for (i = 0; i < 4 && !has(a, an, action[i]); i++)
		;
	if (i == 0)
		SRV.create_resp = m->nresp;
	if (i == 2) {
		SRV.pending_receive = true;
		if (SRV.receives == 0) {
			add_sealed(m, running_resp, strlen(running_resp));
			return;
		}
	}
	add_sealed(m, answer[i], answer_n[i]); /* i == 4: Send and the rest */
}
#endif

/* ---- the sweep ---------------------------------------------------------------- */

struct sweep {
	const struct op *op;
	uint64_t resp_total, req_total; /* bytes of a clean run */
	uint64_t resp_mark[MOCK_MAX_RESPONSES * 2], req_mark[64];
	unsigned nresp_mark, nreq_mark;
	unsigned stride;
	unsigned runs, ok, failed;
};

/* Offsets worth a run at any stride: each response and request boundary
 * (where a kept-alive connection is retried), for EOF and the write reset.
 * Requests, whose cuts are mostly such retries, take a stride four times
 * longer. */
static bool wanted(const struct sweep *w, enum fault f, uint64_t k)
{
	const uint64_t *mark = f == F_SEND ? w->req_mark : w->resp_mark;
	unsigned n = f == F_SEND ? w->nreq_mark : w->nresp_mark, i;
	if (k % (f == F_SEND ? 4 * w->stride : w->stride) == 0)
		return true;
	for (i = 0; (f == F_EOF || f == F_SEND) && i < n; i++)
		if (k == mark[i])
			return true;
	return false;
}

static void arm(enum fault f, uint64_t k)
{
	switch (f) {
	case F_EOF:
		M.cut_at = k;
		break;
	case F_RESET:
		M.cut_at = k;
		M.cut_code = WRSH_EIO;
		break;
	case F_STALL:
		M.stall_at = k;
		break;
	default:
		M.send_cut_at = k;
		break;
	}
}

static void report(const struct sweep *w, enum fault f, uint64_t k, const char *what,
		   const char *msg)
{
	fprintf(stderr, "fault: %s, %s at byte %llu: %s (\"%s\")\n", w->op->name, fault_name[f],
		(unsigned long long)k, what, msg);
}

/* After a failed run: the error, then wrsh_close's cleanup on a server that
 * answers again. */
/* An enumeration exists on the server once its context reached the client
 * (a streamed answer may be cut after it) and until EndOfSequence did; in
 * between a Release is due. Around EndOfSequence either is right: *maybe. */
static bool enumeration_open(bool *maybe)
{
	const char *ctx_end = "</n:EnumerationContext>", *eos = "<n:EndOfSequence";
	const uint8_t *p0 = store + M.resp_off[0], *p1 = store + M.resp_off[1];
	const uint8_t *c = memmem(p0, M.resp_len[0], ctx_end, strlen(ctx_end));
	const uint8_t *x = memmem(p1, M.resp_len[1], eos, strlen(eos));
	uint64_t seen_ctx = (uint64_t)(c - store) + strlen(ctx_end);
	uint64_t seen_eos = (uint64_t)(x - store);
	*maybe = M.delivered >= seen_eos && M.delivered <= M.resp_off[1] + M.resp_len[1];
	return M.delivered >= seen_ctx && M.delivered < seen_eos;
}

static void check_failure(struct sweep *w, struct wrsh_session *s, enum fault f, uint64_t k,
			  wrsh_err e)
{
	const char *msg = wrsh_errmsg(s);
	bool created = w->op->shell_id && create_answered(), deleted = SRV.deletes > 0;
	bool maybe = false;
	if (w->op->enumeration) /* before the answers are replaced below */
		created = enumeration_open(&maybe);
	unsigned connects, requests;
	w->failed++;
	if (e != fault_code[f] || !strstr(msg, fault_says[f])) {
		harness_failed_checks++;
		report(w, f, k, wrsh_strerror(e), msg);
	}
	if (!w->op->ntlm) { /* the server answers again: the Delete's answer */
		mock_clear_responses(&M);
		msrv_empty(&M, MSRV_DELETED);
	}
	M.cut_at = M.send_cut_at = M.stall_at = MOCK_NEVER;
	connects = M.connects;
	requests = M.requests;
	wrsh_close(s);
	if (created && !deleted) {
		if (SRV.deletes != 1 || SRV.delete_connect != connects + 1) {
			harness_failed_checks++;
			report(w, f, k, "the shell was not deleted on a new connection", msg);
		}
	} else if (!maybe && M.requests != requests) {
		harness_failed_checks++;
		report(w, f, k, "wrsh_close sent a request with no shell to delete", msg);
	}
}

static void one(struct sweep *w, enum fault f, uint64_t k)
{
	struct wrsh_session *s = start(w->op);
	wrsh_err e;
	arm(f, k);
	e = w->op->run(s);
	w->runs++;
	if (e) {
		check_failure(w, s, f, k, e);
	} else {
		w->ok++;
		if (w->op->shell_id && !w->op->enumeration && SRV.deletes < 1) {
			harness_failed_checks++;
			report(w, f, k, "a run that succeeded did not delete its shell", "");
		}
		M.cut_at = M.send_cut_at = M.stall_at = MOCK_NEVER;
		wrsh_close(s);
	}
	if (wrsh_arena_in_use(A) != 0) {
		harness_failed_checks++;
		report(w, f, k, "arena memory left after wrsh_close", "");
	}
}

/* The clean run: totals and boundaries. */
static void reference(struct sweep *w)
{
	struct wrsh_session *s;
	unsigned i;
	s = start(w->op);
	CHECK_EQ(w->op->run(s), WRSH_OK);
	wrsh_close(s);
	CHECK_EQ(wrsh_arena_in_use(A), 0);
	w->resp_total = M.delivered;
	w->req_total = M.accepted;
	CHECK_EQ(M.delivered, M.store_len); /* every answer was read whole */
	for (i = 0; i < M.nresp; i++) {
		w->resp_mark[w->nresp_mark++] = M.resp_off[i];
		w->resp_mark[w->nresp_mark++] = M.resp_off[i] + M.resp_len[i];
	}
	for (i = 0; i < M.requests && i < 64; i++)
		w->req_mark[w->nreq_mark++] = M.req_off[i];
}

static unsigned stride(void)
{
	const char *env = getenv("WRSH_FAULT_STRIDE");
	return env && atoi(env) > 0 ? (unsigned)atoi(env) : DEFAULT_STRIDE;
}

static void sweep(const struct op *op)
{
	struct sweep w;
	enum fault f;
	uint64_t k;
	memset(&w, 0, sizeof(w));
	w.op = op;
	w.stride = 1;
	reference(&w);
	w.stride = stride();
	for (f = F_EOF; f < F_COUNT; f++) {
		uint64_t total = f == F_SEND ? w.req_total : w.resp_total;
		for (k = 0; k <= total; k++)
			if (wanted(&w, f, k))
				one(&w, f, k);
	}
	/* some cuts are retried idle closes, most are errors */
	CHECK(w.ok > 0);
	CHECK(w.failed > w.ok);
	fprintf(stderr,
		"fault: %s: %u runs (stride %u; %llu response and %llu request bytes), "
		"%u ended in an error, %u succeeded\n",
		op->name, w.runs, w.stride, (unsigned long long)w.resp_total,
		(unsigned long long)w.req_total, w.failed, w.ok);
}

static const struct op identify_op = {"identify", identify_queue, identify_run, NULL,
				      NULL,	  false,	  false};
static const struct op cmd_op = {"cmd", cmd_queue, cmd_run, STD_SHELL_ID, CMD_URI, false, false};

/* Identify, anonymous and authenticated, cut at every byte. */
static void test_fault_identify_every_byte(void)
{
	if (!CONFIG_WRSH_WSMAN_IDENTIFY)
		return;
	sweep(&identify_op);
}

/* A WinRS command (Create, Command, Send, two Receives, Delete) cut at
 * every byte: the shell is deleted whenever it exists. */
static void test_fault_cmd_every_byte(void)
{
	sweep(&cmd_op);
}

#if CONFIG_WRSH_CIM
static const struct op cim_op = {
	"cim", cim_queue, cim_run, ENUM_CONTEXT, "wmi/root/cimv2/*</w:ResourceURI>", false, true};

/* An enumeration (Enumerate, Pull to EndOfSequence) cut at every byte:
 * once the server holds a context, wrsh_close releases it, on a new
 * connection; an enumeration that ended leaves nothing to release. */
static void test_fault_cim_every_byte(void)
{
	sweep(&cim_op);
}
#endif

#if CONFIG_WRSH_PSRP
static const struct op ps_op = {
	"ps",  ps_queue, ps_run, MSRV_SHELL_ID, "powershell/Microsoft.PowerShell</w:ResourceURI>",
	false, false};

/* A PowerShell pipeline (pool Create and open, Command, two Receives,
 * Delete) cut at every byte: the pool's shell is deleted whenever it
 * exists, and the pool's memory is returned. */
static void test_fault_ps_every_byte(void)
{
	learn_rpid();
	sweep(&ps_op);
}
#endif

#if CONFIG_WRSH_AUTH_NTLM && CONFIG_WRSH_WSMAN_TRACE
static const struct op ntlm_op = {"cmd-ntlm", ntlm_queue, cmd_run, STD_SHELL_ID,
				  CMD_URI,    true,	  false};

/* The WinRS command over NTLM with sealing, cut at every byte, in the
 * handshake too: every reconnect authenticates again, and the shell's
 * Delete still goes out, sealed, on a new connection. */
static void test_fault_ntlm_cmd_every_byte(void)
{
	sweep(&ntlm_op);
}
#endif

void fault_tests(void)
{
	RUN(test_fault_identify_every_byte);
	RUN(test_fault_cmd_every_byte);
#if CONFIG_WRSH_CIM
	RUN(test_fault_cim_every_byte);
#endif
#if CONFIG_WRSH_PSRP
	RUN(test_fault_ps_every_byte);
#endif
#if CONFIG_WRSH_AUTH_NTLM && CONFIG_WRSH_WSMAN_TRACE
	RUN(test_fault_ntlm_cmd_every_byte);
#endif
}
