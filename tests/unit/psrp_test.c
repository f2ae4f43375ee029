/*
 * PSRP fragments and message headers: a message split into fragments and
 * fed in pieces of every size comes out the same; a byte order mark split
 * anywhere is dropped; every inconsistency of the fragment stream is an
 * error. Real Windows streams go through the same code in the replay test.
 */
#include <string.h>

#include "harness.h"
#include <stdio.h>

#include "base/mem.h"
#include "psrp/build.h"
#include "psrp/clixml.h"
#include "psrp/message.h"

struct got {
	unsigned begins, ends;
	struct psrp_msg_head head;
	uint8_t data[4096];
	size_t n;
};

static wrsh_err m_begin(void *ctx, const struct psrp_msg_head *h)
{
	struct got *g = ctx;
	g->begins++;
	g->head = *h;
	g->n = 0;
	return WRSH_OK;
}

static wrsh_err m_data(void *ctx, const uint8_t *p, size_t n)
{
	struct got *g = ctx;
	if (n > sizeof(g->data) - g->n)
		return WRSH_ELIMIT;
	memcpy(g->data + g->n, p, n);
	g->n += n;
	return WRSH_OK;
}

static wrsh_err m_end(void *ctx)
{
	struct got *g = ctx;
	g->ends++;
	return WRSH_OK;
}

static const uint8_t rpid[16] = {0x76, 0x05, 0x6a, 0x84, 0x51, 0xdc, 0x4f, 0x24,
				 0x92, 0x62, 0xca, 0x2a, 0x55, 0x46, 0x4b, 0x2b};

/* A message of `text` (with a BOM when bom) in fragments of at most `blob`
 * bytes, object 7; returns the stream length. */
static size_t build(uint8_t *out, const char *text, bool bom, size_t blob)
{
	uint8_t msg[1024];
	size_t n = 0, off = 0, len = 0;
	uint64_t frag = 0;
	uint8_t pid[16] = {0};
	psrp_msg_head_write(msg, PSRP_TO_CLIENT, PSRP_PIPELINE_OUTPUT, rpid, pid);
	n = PSRP_MSG_HEAD;
	if (bom)
		memcpy(msg + n, "\xef\xbb\xbf", 3), n += 3;
	memcpy(msg + n, text, strlen(text));
	n += strlen(text);
	while (off < n) {
		size_t k = n - off < blob ? n - off : blob;
		unsigned flags =
			(off == 0 ? PSRP_FRAG_START : 0) | (off + k == n ? PSRP_FRAG_END : 0);
		psrp_frag_head(out + len, 7, frag++, flags, (uint32_t)k);
		memcpy(out + len + PSRP_FRAG_HEAD, msg + off, k);
		len += PSRP_FRAG_HEAD + k;
		off += k;
	}
	return len;
}

static wrsh_err feed(struct got *g, const uint8_t *p, size_t n, size_t piece, struct errbuf *e)
{
	static const struct psrp_msg_sink ms = {m_begin, m_data, m_end, NULL};
	struct psrp_msg_sink sink = ms;
	struct psrp_msg_reader r;
	struct psrp_defrag d;
	wrsh_err err = WRSH_OK;
	size_t off = 0;
	memset(g, 0, sizeof(*g));
	e->code = WRSH_OK; /* errors are sticky: each case starts clean */
	e->msg[0] = 0;
	sink.ctx = g;
	psrp_msg_reader_init(&r, &sink, PSRP_TO_CLIENT, e);
	psrp_defrag_init(&d, &r.obj, e);
	while (!err && off < n) {
		size_t k = n - off < piece ? n - off : piece;
		err = psrp_defrag_push(&d, p + off, k);
		off += k;
	}
	if (!err && !psrp_defrag_idle(&d))
		err = WRSH_ECLOSED; /* the test's marker for "left half read" */
	return err;
}

static void test_psrp_fragments_any_split(void)
{
	const char *text = "<Obj RefId=\"0\"><I32>42</I32></Obj>";
	static uint8_t s[4096];
	struct errbuf e = {WRSH_OK, ""};
	struct got g;
	size_t blob, piece, n;
	char id[GUID_STR_LEN + 1];
	for (blob = 1; blob <= 90; blob += 7) {
		for (piece = 1; piece <= 40; piece++) {
			int bom;
			for (bom = 0; bom < 2; bom++) {
				n = build(s, text, bom, blob);
				CHECK_EQ(feed(&g, s, n, piece, &e), WRSH_OK);
				CHECK_EQ(g.begins, 1);
				CHECK_EQ(g.ends, 1);
				CHECK_MEM(g.data, g.n, text, strlen(text));
			}
		}
	}
	CHECK_EQ(g.head.type, PSRP_PIPELINE_OUTPUT);
	CHECK_EQ(g.head.object_id, 7);
	CHECK_EQ(g.head.destination, PSRP_TO_CLIENT);
	psrp_guid_format(g.head.rpid, id);
	CHECK_STR(id, "846A0576-DC51-244F-9262-CA2A55464B2B"); /* as decoded.txt shows it */
	CHECK_STR(psrp_type_name(g.head.type), "PIPELINE_OUTPUT");
	CHECK(psrp_type_name(0x12345) == NULL);
}

static void test_psrp_fragment_header_bytes(void)
{
	/* MS-PSRP 2.2.4: big-endian ObjectId, FragmentId, flags, BlobLength */
	const uint8_t want[PSRP_FRAG_HEAD] = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0,   0,
					      0, 0, 0, 0, 2, 3, 0, 0, 1, 0xc7};
	uint8_t h[PSRP_FRAG_HEAD];
	psrp_frag_head(h, 1, 2, PSRP_FRAG_START | PSRP_FRAG_END, 455);
	CHECK_MEM(h, sizeof(h), want, sizeof(want));
}

static void test_psrp_message_back_to_back_and_empty(void)
{
	static uint8_t s[4096];
	struct errbuf e = {WRSH_OK, ""};
	struct got g;
	size_t n = build(s, "<a/>", false, 10);
	memcpy(s + n, s, n); /* the same message twice: a new one may begin */
	CHECK_EQ(feed(&g, s, 2 * n, 3, &e), WRSH_OK);
	CHECK_EQ(g.begins, 2);
	CHECK_EQ(g.ends, 2);
	/* a message of the header only (END_OF_PIPELINE_INPUT has no data) */
	n = build(s, "", false, 100);
	CHECK_EQ(feed(&g, s, n, 5, &e), WRSH_OK);
	CHECK_EQ(g.ends, 1);
	CHECK_EQ(g.n, 0);
}

static void test_psrp_fragment_errors(void)
{
	static uint8_t s[4096], t[4096];
	struct errbuf e = {WRSH_OK, ""};
	struct got g;
	size_t n = build(s, "<Obj RefId=\"0\"><S>hello world</S></Obj>", false, 20);
	/* fragment 1 missing */
	memcpy(t, s, PSRP_FRAG_HEAD + 20);
	memcpy(t + PSRP_FRAG_HEAD + 20, s + 2 * (PSRP_FRAG_HEAD + 20),
	       n - 2 * (PSRP_FRAG_HEAD + 20));
	CHECK_EQ(feed(&g, t, n - PSRP_FRAG_HEAD - 20, 64, &e), WRSH_EPSRP);
	CHECK(strstr(e.msg, "out of order") != NULL);
	/* the second fragment names another object */
	memcpy(t, s, n);
	t[PSRP_FRAG_HEAD + 20 + 7] = 8;
	CHECK_EQ(feed(&g, t, n, 64, &e), WRSH_EPSRP);
	/* a continuation first */
	CHECK_EQ(feed(&g, s + PSRP_FRAG_HEAD + 20, n - PSRP_FRAG_HEAD - 20, 64, &e), WRSH_EPSRP);
	CHECK(strstr(e.msg, "without the start") != NULL);
	/* a start fragment that is not fragment 0 */
	memcpy(t, s, n);
	t[15] = 1;
	CHECK_EQ(feed(&g, t, n, 64, &e), WRSH_EPSRP);
	/* a new start inside a message */
	memcpy(t, s, n);
	t[PSRP_FRAG_HEAD + 20 + 16] |= PSRP_FRAG_START;
	CHECK_EQ(feed(&g, t, n, 64, &e), WRSH_EPSRP);
	/* unknown flag bits */
	memcpy(t, s, n);
	t[16] |= 0x80;
	CHECK_EQ(feed(&g, t, n, 64, &e), WRSH_EPSRP);
	/* a fragment claiming a 4 GiB blob (a hostile server): refused at its
	 * header, before a byte of it is handed on; the largest allowed passes
	 * the header */
	psrp_frag_head(t, 1, 0, PSRP_FRAG_START | PSRP_FRAG_END, 0xFFFFFFFFu);
	CHECK_EQ(feed(&g, t, PSRP_FRAG_HEAD + 64, 7, &e), WRSH_ELIMIT);
	CHECK(strstr(e.msg, "beyond 16 MiB") != NULL);
	CHECK_EQ(g.begins, 0);
	psrp_frag_head(t, 1, 0, PSRP_FRAG_START | PSRP_FRAG_END, PSRP_FRAG_BLOB_MAX + 1);
	CHECK_EQ(feed(&g, t, PSRP_FRAG_HEAD, 64, &e), WRSH_ELIMIT);
	psrp_frag_head(t, 1, 0, PSRP_FRAG_START | PSRP_FRAG_END, PSRP_FRAG_BLOB_MAX);
	CHECK_EQ(feed(&g, t, PSRP_FRAG_HEAD, 64, &e), WRSH_ECLOSED); /* half read, no error */
	/* a message shorter than its own header */
	psrp_frag_head(t, 1, 0, PSRP_FRAG_START | PSRP_FRAG_END, 30);
	memset(t + PSRP_FRAG_HEAD, 1, 30);
	CHECK_EQ(feed(&g, t, PSRP_FRAG_HEAD + 30, 64, &e), WRSH_EPSRP);
	CHECK(strstr(e.msg, "shorter than its header") != NULL);
	/* addressed to the server: not for a client to read */
	memcpy(t, s, n);
	t[PSRP_FRAG_HEAD] = 2;
	CHECK_EQ(feed(&g, t, n, 64, &e), WRSH_EPSRP);
	/* cut anywhere: never a message end, never an error before the cut */
	{
		size_t k;
		for (k = 0; k < n; k++) {
			CHECK_EQ(feed(&g, s, k, 64, &e), k ? WRSH_ECLOSED : WRSH_OK);
			CHECK_EQ(g.ends, 0);
		}
	}
}

/* MS-PSRP 2.2.1: the pool's messages carry the nil PID, a pipeline's its
 * own; which is which by the type's high word, as in every recording. */
static void test_psrp_ids_checked(void)
{
	static const uint8_t nil[16];
	uint8_t pool[16], pid[16];
	struct psrp_msg_head h;
	struct errbuf e = {WRSH_OK, ""};
	memset(pool, 0x11, 16);
	memset(pid, 0x22, 16);
	memset(&h, 0, sizeof(h));
	memcpy(h.rpid, pool, 16);
	h.type = PSRP_RUNSPACEPOOL_STATE;
	CHECK_EQ(psrp_msg_check_ids(&h, pool, NULL, &e), WRSH_OK);
	CHECK_EQ(psrp_msg_check_ids(&h, pool, pid, &e), WRSH_OK);
	h.type = PSRP_PIPELINE_OUTPUT;
	memcpy(h.pid, pid, 16);
	CHECK_EQ(psrp_msg_check_ids(&h, pool, pid, &e), WRSH_OK);
	memcpy(h.rpid, nil, 16); /* as Windows sends SESSION_CAPABILITY */
	CHECK_EQ(psrp_msg_check_ids(&h, pool, pid, &e), WRSH_OK);
	CHECK_EQ(e.code, WRSH_OK);
	/* another pipeline's message, one while none runs, a pool's naming one */
	h.pid[0] = 0x23;
	CHECK_EQ(psrp_msg_check_ids(&h, pool, pid, &e), WRSH_EPSRP);
	CHECK_STR(e.msg, "psrp: a PIPELINE_OUTPUT message for another pipeline (PID "
			 "22222223-2222-2222-2222-222222222222, ours "
			 "22222222-2222-2222-2222-222222222222)");
	err_clear(&e);
	CHECK_EQ(psrp_msg_check_ids(&h, pool, NULL, &e), WRSH_EPSRP);
	CHECK(strstr(e.msg, "PIPELINE_OUTPUT message while no pipeline runs") != NULL);
	err_clear(&e);
	h.type = PSRP_RUNSPACE_AVAILABILITY;
	CHECK_EQ(psrp_msg_check_ids(&h, pool, pid, &e), WRSH_EPSRP);
	CHECK(strstr(e.msg, "RUNSPACE_AVAILABILITY message of the pool names a pipeline") != NULL);
	err_clear(&e);
	memset(h.pid, 0, 16);
	h.rpid[3] = 9;
	CHECK_EQ(psrp_msg_check_ids(&h, pool, pid, &e), WRSH_EPSRP);
	CHECK(strstr(e.msg, "for another runspace pool (RPID ") != NULL);
	err_clear(&e);
	/* an unknown type of the pipeline range is still the pipeline's */
	memcpy(h.rpid, pool, 16);
	memcpy(h.pid, nil, 16);
	h.type = 0x00041234;
	CHECK_EQ(psrp_msg_check_ids(&h, pool, pid, &e), WRSH_EPSRP);
	CHECK(strstr(e.msg, "a pipeline message for another pipeline") != NULL);
}

void psrp_tests(void)
{
	RUN(test_psrp_ids_checked);
	RUN(test_psrp_fragments_any_split);
	RUN(test_psrp_fragment_header_bytes);
	RUN(test_psrp_message_back_to_back_and_empty);
	RUN(test_psrp_fragment_errors);
}

/* ---- CLIXML ---------------------------------------------------------------- */

static unsigned char cx_arena[64 * 1024] __attribute__((aligned(16)));

struct cx {
	char log[2048];
	size_t n;
	char val[512];
	size_t vn;
};

static void logf_(struct cx *c, const char *s)
{
	size_t k = strlen(s);
	if (k < sizeof(c->log) - c->n) {
		memcpy(c->log + c->n, s, k + 1);
		c->n += k;
	}
}

static wrsh_err c_open(void *ctx, const struct wrsh_ps_node *n)
{
	struct cx *c = ctx;
	logf_(c, "(");
	logf_(c, n->tag);
	if (n->name) {
		logf_(c, ":");
		logf_(c, n->name);
	}
	logf_(c, " ");
	return WRSH_OK;
}

static wrsh_err c_text(void *ctx, const struct wrsh_ps_node *n, const char *p, size_t len,
		       bool last)
{
	struct cx *c = ctx;
	if (len < sizeof(c->val) - c->vn) {
		memcpy(c->val + c->vn, p, len);
		c->vn += len;
	}
	if (last) {
		c->val[c->vn] = 0;
		logf_(c, n->tag);
		if (n->name) {
			logf_(c, ":");
			logf_(c, n->name);
		}
		logf_(c, "=");
		logf_(c, c->val);
		logf_(c, " ");
		c->vn = 0;
	}
	return WRSH_OK;
}

static wrsh_err c_close(void *ctx, const struct wrsh_ps_node *n)
{
	struct cx *c = ctx;
	logf_(c, n->tag);
	logf_(c, ") ");
	return WRSH_OK;
}

static wrsh_err cx_run(const char *doc, size_t piece, struct cx *c, struct errbuf *e)
{
	static const struct clixml_sink base = {c_open, c_text, c_close, NULL};
	struct clixml_sink sink = base;
	struct wrsh_arena *a = wrsh_arena_init(cx_arena, sizeof(cx_arena));
	struct clixml_reader r;
	size_t n = strlen(doc), off = 0;
	wrsh_err err;
	memset(c, 0, sizeof(*c));
	e->code = WRSH_OK;
	e->msg[0] = 0;
	sink.ctx = c;
	err = clixml_begin(&r, a, &sink, e);
	while (!err && off < n) {
		size_t k = n - off < piece ? n - off : piece;
		err = clixml_push(&r, doc + off, k);
		off += k;
	}
	if (!err)
		err = clixml_finish(&r);
	else
		clixml_abort(&r);
	CHECK_EQ(wrsh_arena_in_use(a), 0);
	return err;
}

static void test_clixml_events_any_split(void)
{
	/* PowerShell's escapes: CR LF, an underscore that would read as one,
	 * U+10437 as a surrogate pair, in a value and in a property name */
	const char *doc = "<Obj RefId=\"0\"><TN RefId=\"0\"><T>System.String</T></TN>"
			  "<MS><S N=\"a_x005F_b\">l1_x000D__x000A_l2</S>"
			  "<S N=\"p_x0020_q\">_xD801__xDC37_!</S><I32 N=\"n\">-5</I32>"
			  "<Nil N=\"z\" /><LST><S>x_y</S><S>_x41</S></LST></MS>"
			  "<ToString>t</ToString></Obj>";
	const char *want = "(Obj (TN T=System.String TN) (MS S:a_b=l1\r\nl2 "
			   "S:p q=\xf0\x90\x90\xb7! I32:n=-5 Nil:z= (LST S=x_y S=_x41 LST) MS) "
			   "ToString=t Obj) ";
	struct errbuf e = {WRSH_OK, ""};
	struct cx c;
	size_t piece;
	for (piece = 1; piece <= strlen(doc); piece++) {
		CHECK_EQ(cx_run(doc, piece, &c, &e), WRSH_OK);
		CHECK_STR(c.log, want);
	}
}

static void test_clixml_surrogates_and_cut_escapes(void)
{
	struct errbuf e = {WRSH_OK, ""};
	struct cx c;
	/* a lone high, a lone low, a high then a plain char, an escape cut
	 * by the end of the value: U+FFFD for the broken units, text for the cut */
	CHECK_EQ(cx_run("<S>_xD801_a_xDC37_b_xD801_</S>", 2, &c, &e), WRSH_OK);
	CHECK_STR(c.log, "S=\xef\xbf\xbd"
			 "a\xef\xbf\xbd"
			 "b\xef\xbf\xbd ");
	CHECK_EQ(cx_run("<S>end_x00</S>", 1, &c, &e), WRSH_OK);
	CHECK_STR(c.log, "S=end_x00 ");
	CHECK_EQ(cx_run("<S>__x0041_</S>", 1, &c, &e), WRSH_OK);
	CHECK_STR(c.log, "S=_A ");
}

static void test_clixml_refusals(void)
{
	struct errbuf e = {WRSH_OK, ""};
	struct cx c;
	static char deep[4096], name[600];
	size_t i, n = 0;
	CHECK_EQ(cx_run("<Obj><S>a<I32>1</I32></S></Obj>", 5, &c, &e), WRSH_EPSRP);
	CHECK(strstr(e.msg, "inside a value") != NULL);
	CHECK_EQ(cx_run("<Obj><S>a</S>", 5, &c, &e), WRSH_EXML); /* not whole */
	CHECK(cx_run("<!DOCTYPE x [<!ENTITY a \"b\">]><S>&a;</S>", 5, &c, &e) != WRSH_OK);
	for (i = 0; i < 40; i++)
		n += (size_t)sprintf(deep + n, "<LST>");
	CHECK_EQ(cx_run(deep, 64, &c, &e), WRSH_ELIMIT); /* beyond CONFIG_WRSH_XML_MAX_DEPTH */
	strcpy(name, "<S N=\"");
	memset(name + 6, 'n', 400);
	strcpy(name + 406, "\">v</S>");
	CHECK_EQ(cx_run(name, 64, &c, &e), WRSH_ELIMIT);
}

void clixml_tests(void)
{
	RUN(test_clixml_events_any_split);
	RUN(test_clixml_surrogates_and_cut_escapes);
	RUN(test_clixml_refusals);
}

/* ---- the client's messages ---------------------------------------------- */

/* The CLIXML of the first client message of `type` in a recording's
 * decoded.txt (what pypsrp sent and Windows accepted). */
static bool recorded(const char *scenario, const char *type, char *out, size_t cap)
{
	static char line[70000];
	char path[256];
	bool next = false;
	FILE *f;
	snprintf(path, sizeof(path), "tests/replay/windows/%s/decoded.txt", scenario);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (next) {
			size_t n = strcspn(line + 13, "\n");
			fclose(f);
			if (n >= cap)
				return false;
			memcpy(out, line + 13, n);
			out[n] = 0;
			return true;
		}
		next = strstr(line, "  MESSAGE ") && strstr(line, type) &&
		       strstr(line, "Destination=Server");
	}
	fclose(f);
	return false;
}

static void test_psrp_pool_messages_match_what_windows_accepted(void)
{
	static char buf[8192], want[8192];
	struct psrp_ids id;
	struct sbuf b;
	memset(&id, 0x11, sizeof(id));
	sb_init(&b, buf, sizeof(buf));
	psrp_build_session_capability(&b, &id);
	CHECK(!b.over);
	CHECK(recorded("pypsrp-psrp-open-runspace", "SESSION_CAPABILITY", want, sizeof(want)));
	CHECK_MEM(buf + PSRP_MSG_HEAD, b.len - PSRP_MSG_HEAD, want, strlen(want));
	CHECK_EQ(buf[0], 2); /* to the server */
	CHECK_EQ((uint8_t)buf[4], 0x02);
	CHECK_EQ((uint8_t)buf[6], 0x01);
	sb_init(&b, buf, sizeof(buf));
	psrp_build_init_runspacepool(&b, &id, 1, 1);
	CHECK(recorded("pypsrp-psrp-open-runspace", "INIT_RUNSPACEPOOL", want, sizeof(want)));
	CHECK_MEM(buf + PSRP_MSG_HEAD, b.len - PSRP_MSG_HEAD, want, strlen(want));
}

/* The script comes back out of our own reader unchanged, escapes and all,
 * and the pipeline's shape is what PowerShell expects. */
static void test_psrp_create_pipeline_round_trip(void)
{
	static char buf[16384];
	const char *script = "Get-Item C:\\_x0041_ | % { \"<$_>\" & 'a' }\r\n\tWrite-Output \x01";
	struct psrp_ids id;
	struct errbuf e = {WRSH_OK, ""};
	struct sbuf b;
	struct cx c;
	memset(&id, 0x22, sizeof(id));
	sb_init(&b, buf, sizeof(buf));
	psrp_build_create_pipeline(&b, &id, script, true, false, false);
	CHECK(!b.over);
	buf[b.len] = 0;
	CHECK_EQ(cx_run(buf + PSRP_MSG_HEAD, 7, &c, &e), WRSH_OK);
	CHECK(strstr(c.log,
		     "S:Cmd=Get-Item C:\\_x0041_ | % { \"<$_>\" & 'a' }\r\n\tWrite-Output \x01 ") !=
	      NULL);
	CHECK(strstr(c.log, "B:IsScript=true") != NULL);
	CHECK(strstr(c.log, "S:Cmd=Out-String B:IsScript=false") != NULL);
	CHECK(strstr(c.log, "S:N=Stream Nil:V=") != NULL);
	CHECK(strstr(c.log, "B:NoInput=true") != NULL);
	CHECK(memcmp(buf + 24, id.pid, 16) == 0);
	/* too small a buffer is reported, not overrun */
	sb_init(&b, buf, 100);
	psrp_build_create_pipeline(&b, &id, script, true, false, false);
	CHECK(b.over);
}

void psrp_build_tests(void)
{
	RUN(test_psrp_pool_messages_match_what_windows_accepted);
	RUN(test_psrp_create_pipeline_round_trip);
}
