/*
 * The CIM instance reader against the recorded Windows and OMI responses
 * (split at every byte), and the CIM operations through the mock port:
 * request shapes, a missing EnumerationContext, an endless enumeration the
 * caller stops, a fault mid-enumeration released by wrsh_close, caps.
 */
#include <stdio.h>
#include <string.h>

#include "cim/instance.h"
#include "config.h"
#include "fixture.h"
#include "harness.h"
#include "base/mem.h"
#include "mock.h"
#include "wrsh.h"

#define WQL "tests/replay/windows/winrb-wql-enumerate-pull/"
#define OMI "tests/replay/windows/winrb-omi-linux-responses/"
#define SOAP_CT "application/soap+xml;charset=UTF-8"

static char doc[16384];

/* Every event as one line of text, so that runs compare whole. */
struct log {
	char s[16384];
	size_t n;
	unsigned instances;
};

static void put(struct log *l, const char *a, size_t n)
{
	if (n > sizeof(l->s) - 1 - l->n)
		n = sizeof(l->s) - 1 - l->n;
	memcpy(l->s + l->n, a, n);
	l->n += n;
	l->s[l->n] = 0;
}

static void puts_(struct log *l, const char *a)
{
	put(l, a, strlen(a));
}

static wrsh_err l_begin(void *ctx, const char *cls)
{
	struct log *l = ctx;
	puts_(l, "[");
	puts_(l, cls);
	puts_(l, "\n");
	return WRSH_OK;
}

static wrsh_err l_open(void *ctx, const struct wrsh_cim_prop *p)
{
	struct log *l = ctx;
	char d[4] = {(char)('0' + p->depth), p->container ? '{' : p->nil ? '~' : '=', 0};
	puts_(l, d);
	puts_(l, p->name);
	puts_(l, ":");
	return WRSH_OK;
}

static wrsh_err l_text(void *ctx, const struct wrsh_cim_prop *p, const char *s, size_t n)
{
	(void)p;
	put(ctx, s, n);
	return WRSH_OK;
}

static wrsh_err l_close(void *ctx, const struct wrsh_cim_prop *p)
{
	puts_(ctx, p->container ? "}\n" : "\n");
	return WRSH_OK;
}

static wrsh_err l_end(void *ctx)
{
	struct log *l = ctx;
	l->instances++;
	puts_(l, "]\n");
	return WRSH_OK;
}

static size_t slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0;
	if (f) {
		n = fread(doc, 1, sizeof(doc) - 1, f);
		fclose(f);
	}
	doc[n] = 0;
	CHECK(n > 0);
	return n;
}

/* Parse doc[0..n) in two pieces split at `cut` (n: one piece). */
static wrsh_err parse(const char *d, size_t n, size_t cut, enum cim_body kind, struct cim_reader *r,
		      struct log *l, struct wsman_resp *resp, struct errbuf *e)
{
	static struct wrsh_cim_sink sink = {l_begin, l_open, l_text, l_close, l_end, NULL};
	struct wrsh_arena *a = wrsh_arena_init(fixture_arena_buf(), FIXTURE_ARENA);
	struct xml_consumer env, body;
	struct xml_parser x;
	wrsh_err err;
	memset(l, 0, sizeof(*l));
	sink.ctx = l;
	err_clear(e);
	wsman_resp_init(resp);
	wsman_consumer(&env, resp);
	cim_reader_init(r, &sink, e);
	cim_consumer(&body, r, kind);
	if ((err = xml_begin(&x, a, 777, &env, &body, e)))
		return err;
	err = xml_push(&x, d, cut, false);
	if (!err)
		err = xml_push(&x, d + cut, n - cut, false);
	if (!err)
		err = xml_push(&x, NULL, 0, true);
	xml_end(&x);
	CHECK_EQ(wrsh_arena_in_use(a), 0);
	return err;
}

/* The same events whatever the split. */
static void every_split(size_t n, enum cim_body kind, const struct log *want)
{
	static struct log got;
	struct cim_reader r;
	struct wsman_resp resp;
	struct errbuf e;
	size_t cut;
	for (cut = 0; cut <= n; cut++) {
		CHECK_EQ(parse(doc, n, cut, kind, &r, &got, &resp, &e), WRSH_OK);
		if (strcmp(got.s, want->s) != 0) {
			CHECK(!"events differ");
			fprintf(stderr, "  split at %zu\n", cut);
			break;
		}
	}
}

/* winrb-wql-enumerate-pull/001: EnumerateResponse with w:Items, nil
 * properties and a cim:Datetime. */
static void test_cim_windows_enumerate_response_streams_instances(void)
{
	static struct log l;
	struct cim_reader r;
	struct wsman_resp resp;
	struct errbuf e;
	size_t n = slurp(WQL "001-response.xml");
	CHECK_EQ(parse(doc, n, n, CIM_BODY_ENUM, &r, &l, &resp, &e), WRSH_OK);
	CHECK(r.response_seen);
	CHECK(!r.end_of_sequence);
	CHECK_STR(r.context, "uuid:12AE5286-91FE-48F3-937E-0C22FF1AD7A1");
	CHECK_EQ(l.instances, 2);
	CHECK(strstr(l.s, "[Win32_Process\n1=Caption:System Idle Process\n1~CommandLine:\n") !=
	      NULL);
	CHECK(strstr(l.s, "1=CreationDate:2013-04-29T11:43:11.203125-07:00\n") != NULL);
	CHECK(strstr(l.s, "1=WriteTransferCount:61354599\n]\n") != NULL);
	every_split(n, CIM_BODY_ENUM, &l);
}

/* 002: PullResponse with n:Items and n:EndOfSequence. */
static void test_cim_windows_pull_response_ends_sequence(void)
{
	static struct log l;
	struct cim_reader r;
	struct wsman_resp resp;
	struct errbuf e;
	size_t n = slurp(WQL "002-response.xml");
	CHECK_EQ(parse(doc, n, n, CIM_BODY_ENUM, &r, &l, &resp, &e), WRSH_OK);
	CHECK(r.end_of_sequence);
	CHECK_EQ(r.context_n, 0);
	CHECK_EQ(l.instances, 1);
	CHECK(strstr(l.s, "1=CommandLine:\\??\\C:\\Windows\\system32\\conhost.exe\n") != NULL);
	every_split(n, CIM_BODY_ENUM, &l);
}

/* 003: n:CannotProcessFilter; the provider's text is the message, without
 * the WMI __ExtendedStatus beside it. */
static void test_cim_windows_filter_fault_keeps_provider_text(void)
{
	static struct log l;
	struct cim_reader r;
	struct wsman_resp resp;
	struct errbuf e;
	size_t n = slurp(WQL "003-response.xml"), cut;
	for (cut = 0; cut <= n; cut += 97) {
		CHECK_EQ(parse(doc, n, cut, CIM_BODY_ENUM, &r, &l, &resp, &e), WRSH_OK);
		CHECK(resp.fault);
		CHECK_EQ(l.instances, 0);
		CHECK(!r.response_seen);
		err_clear(&e);
		CHECK_EQ(wsman_fault_error(&resp, &e), WRSH_EFAULT);
		CHECK_STR(e.msg, "wsman: fault n:CannotProcessFilter (WSManFault 2150858778): The "
				 "specified class does not exist in the given namespace.");
	}
}

/* OMI: SOAP-ENV and wsa prefixes, padded text; CreateResponse read as the
 * ResourceCreated reference, and the faults. */
static void test_cim_omi_responses_by_namespace(void)
{
	static struct log l;
	struct cim_reader r;
	struct wsman_resp resp;
	struct errbuf e;
	size_t n = slurp(OMI "001-response.xml");
	CHECK_EQ(parse(doc, n, n, CIM_BODY_TRANSFER, &r, &l, &resp, &e), WRSH_OK);
	CHECK_EQ(l.instances, 1);
	CHECK(strstr(l.s, "[ResourceCreated\n1=ResourceURI:") != NULL);
	CHECK(strstr(l.s, "http://schemas.microsoft.com/powershell/Microsoft.PowerShell") != NULL);
	CHECK(strstr(l.s, "1=ShellId:") != NULL);
	CHECK(strstr(l.s, "74142DC5-E14D-4FCC-86ED-63DA3EE8407E") != NULL);
	every_split(n, CIM_BODY_TRANSFER, &l);
	n = slurp(OMI "002-response.xml");
	CHECK_EQ(parse(doc, n, n / 2, CIM_BODY_TRANSFER, &r, &l, &resp, &e), WRSH_OK);
	CHECK(wsman_fault_is(&resp, "InternalError"));
	CHECK_EQ(l.instances, 0);
	err_clear(&e);
	CHECK_EQ(wsman_fault_error(&resp, &e), WRSH_EFAULT);
	CHECK_STR(e.msg, "wsman: fault wsman:InternalError: get-instance: instance name "
			 "parameter is missing");
	n = slurp(OMI "003-response.xml");
	CHECK_EQ(parse(doc, n, 100, CIM_BODY_TRANSFER, &r, &l, &resp, &e), WRSH_OK);
	CHECK(wsman_fault_is(&resp, "InternalError"));
}

static const char NESTED[] =
	"<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Body>"
	"<q:Thing xmlns:q=\"urn:x\" xmlns:c=\"http://schemas.dmtf.org/wbem/wscim/1/common\" "
	"xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">\n  <q:A>  padded </q:A>\n"
	"  <q:Arr>1</q:Arr><q:Arr>2</q:Arr><q:Nil i:nil=\"true\"/><q:Empty></q:Empty>\n"
	"  <q:Emb>\n    <q:X>x&amp;y</q:X>\n    <q:Deep><q:Y>y</q:Y></q:Deep>\n  </q:Emb>\n"
	"  <q:When>\n <c:Interval>P1DT2H</c:Interval>\n </q:When>\n"
	"</q:Thing></e:Body></e:Envelope>";

/* Embedded instances nest, arrays repeat, nil and empty differ, datetimes
 * are leaves, blanks around a container vanish and inside a value stay. */
static void test_cim_nested_arrays_nil_and_datetime(void)
{
	static struct log l;
	struct cim_reader r;
	struct wsman_resp resp;
	struct errbuf e;
	size_t n = strlen(NESTED);
	memcpy(doc, NESTED, n + 1);
	CHECK_EQ(parse(doc, n, n, CIM_BODY_TRANSFER, &r, &l, &resp, &e), WRSH_OK);
	CHECK_STR(l.s, "[Thing\n1=A:  padded \n1=Arr:1\n1=Arr:2\n1~Nil:\n1=Empty:\n"
		       "1{Emb:2=X:x&y\n2{Deep:3=Y:y\n}\n}\n1=When:P1DT2H\n]\n");
	every_split(n, CIM_BODY_TRANSFER, &l);
}

/* Hostile bodies end in errors, never in a crash or a leak. */
static void test_cim_caps_and_hostile_bodies(void)
{
	static struct log l;
	static char big[8192];
	struct cim_reader r;
	struct wsman_resp resp;
	struct errbuf e;
	size_t n, i;
	/* nesting beyond CONFIG_WRSH_CIM_DEPTH */
	n = (size_t)sprintf(big, "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"
				 "<s:Body><I>");
	for (i = 0; i < CONFIG_WRSH_CIM_DEPTH + 1; i++)
		n += (size_t)sprintf(big + n, "<P>");
	n += (size_t)sprintf(big + n, "v");
	for (i = 0; i < CONFIG_WRSH_CIM_DEPTH + 1; i++)
		n += (size_t)sprintf(big + n, "</P>");
	n += (size_t)sprintf(big + n, "</I></s:Body></s:Envelope>");
	CHECK_EQ(parse(big, n, n, CIM_BODY_TRANSFER, &r, &l, &resp, &e), WRSH_ELIMIT);
	/* a property name beyond CONFIG_WRSH_CIM_NAME_MAX */
	n = (size_t)sprintf(big, "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"
				 "<s:Body><I><");
	memset(big + n, 'N', CONFIG_WRSH_CIM_NAME_MAX);
	n += CONFIG_WRSH_CIM_NAME_MAX;
	n += (size_t)sprintf(big + n, "/></I></s:Body></s:Envelope>");
	CHECK_EQ(parse(big, n, n, CIM_BODY_TRANSFER, &r, &l, &resp, &e), WRSH_ELIMIT);
	/* an EnumerationContext beyond CONFIG_WRSH_CIM_CONTEXT_MAX */
	n = (size_t)sprintf(big, "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
				 "xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\">"
				 "<s:Body><n:PullResponse><n:EnumerationContext>");
	memset(big + n, 'c', CONFIG_WRSH_CIM_CONTEXT_MAX);
	n += CONFIG_WRSH_CIM_CONTEXT_MAX;
	n += (size_t)sprintf(big + n, "</n:EnumerationContext></n:PullResponse></s:Body>"
				      "</s:Envelope>");
	CHECK_EQ(parse(big, n, n, CIM_BODY_ENUM, &r, &l, &resp, &e), WRSH_ELIMIT);
	/* mixed content: a value, then elements */
	n = (size_t)sprintf(big, "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"
				 "<s:Body><I><P>text<Q>x</Q></P></I></s:Body></s:Envelope>");
	CHECK_EQ(parse(big, n, n, CIM_BODY_TRANSFER, &r, &l, &resp, &e), WRSH_EPROTO);
}

/* ---- operations through the mock port ---------------------------------- */

struct t {
	struct mock_port m;
	struct wrsh_port port;
	struct wrsh_arena *a;
	struct wrsh_session *s;
	struct wrsh_opts o;
	struct log l;
	struct wrsh_cim_sink sink;
};

static struct t T;

static struct t *setup(void)
{
	struct t *t = &T;
	memset(t, 0, sizeof(*t));
	fixture_basic(&t->m, &t->port, &t->a, &t->o);
	t->m.fix_relates_to = true;
	t->sink.begin = l_begin;
	t->sink.open = l_open;
	t->sink.text = l_text;
	t->sink.close = l_close;
	t->sink.end = l_end;
	t->sink.ctx = &t->l;
	CHECK_EQ(wrsh_open(&t->s, t->a, &t->port, &t->o), WRSH_OK);
	return t;
}

static void add_text(struct t *t, int status, const char *body)
{
	CHECK(mock_add_http(&t->m, status, SOAP_CT, body, strlen(body), 0));
}

static void add_file(struct t *t, const char *path, int status)
{
	size_t n = slurp(path);
	CHECK(mock_add_http(&t->m, status, SOAP_CT, doc, n, 0));
}

static bool req_has(struct t *t, unsigned n, const char *s)
{
	const uint8_t *p;
	size_t len, k = strlen(s), i;
	if (!mock_request(&t->m, n, &p, &len))
		return false;
	for (i = 0; i + k <= len; i++)
		if (memcmp(p + i, s, k) == 0)
			return true;
	return false;
}

/* an answer with its Action (what it answers: MS-WSMV 3.1.4) */
#define ENV_OPEN(action)                                                        \
	"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "      \
	"xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "         \
	"xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\" "        \
	"xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>" \
	"<a:Action>" action "</a:Action>"                                       \
	"<a:RelatesTo>uuid:00000000-0000-0000-0000-000000000000</a:RelatesTo>"  \
	"</s:Header><s:Body>"
#define ENUM_A(x) "http://schemas.xmlsoap.org/ws/2004/09/enumeration/" x
#define XFER_A(x) "http://schemas.xmlsoap.org/ws/2004/09/transfer/" x
#define ENV_CLOSE "</s:Body></s:Envelope>"
#define PAGE(items, tail)                                                       \
	ENV_OPEN(ENUM_A("PullResponse"))                                        \
	"<n:PullResponse><n:EnumerationContext>uuid:CTX</n:EnumerationContext>" \
	"<n:Items>" items "</n:Items>" tail "</n:PullResponse>" ENV_CLOSE

static const struct wrsh_cim_kv NS_SEL[] = {{"__cimnamespace", "root/cimv2"}};

/* Enumerate (first page in the response), Pull to EndOfSequence; the
 * requests carry the filter, the optimization, the context and the
 * session's headers. */
static void test_cim_enumerate_and_pull_to_the_end(void)
{
	struct t *t = setup();
	struct wrsh_cim_req rq = {"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/*",
				  NS_SEL, 1, NULL, 0};
	struct wrsh_cim_enum_opts eo = {"SELECT * FROM Win32_Service WHERE State='Running'", NULL,
					WRSH_CIM_OBJECTS, 7};
	bool end = true;
	add_text(t, 200,
		 ENV_OPEN(ENUM_A(
			 "EnumerateResponse")) "<n:EnumerateResponse><n:EnumerationContext>uuid:CTX"
					       "</n:EnumerationContext><w:Items><p:S "
					       "xmlns:p=\"urn:s\"><p:Name>a</p:Name>"
					       "</p:S></w:Items></n:EnumerateResponse>" ENV_CLOSE);
	add_text(t, 200, PAGE("<p:S xmlns:p=\"urn:s\"><p:Name>b</p:Name></p:S>", ""));
	add_text(t, 200,
		 PAGE("<p:S xmlns:p=\"urn:s\"><p:Name>c</p:Name></p:S>", "<n:EndOfSequence/>"));
	CHECK_EQ(wrsh_cim_enumerate(t->s, &rq, &eo, &t->sink, &end), WRSH_OK);
	CHECK(!end);
	CHECK_EQ(wrsh_cim_pull(t->s, &t->sink, &end), WRSH_OK);
	CHECK(!end);
	CHECK_EQ(wrsh_cim_pull(t->s, &t->sink, &end), WRSH_OK);
	CHECK(end);
	CHECK_EQ(t->l.instances, 3);
	CHECK_STR(t->l.s, "[S\n1=Name:a\n]\n[S\n1=Name:b\n]\n[S\n1=Name:c\n]\n");
	CHECK(req_has(t, 0,
		      "<w:Filter Dialect=\"http://schemas.microsoft.com/wbem/wsman/1/WQL\">"
		      "SELECT * FROM Win32_Service WHERE State=&apos;Running&apos;</w:Filter>"));
	CHECK(req_has(t, 0, "<w:OptimizeEnumeration/><w:MaxElements>7</w:MaxElements>"));
	CHECK(req_has(t, 0, "<w:Selector Name=\"__cimnamespace\">root/cimv2</w:Selector>"));
	CHECK(req_has(t, 0, "<p:SessionId"));
	CHECK(req_has(t, 1, "enumeration/Pull</a:Action>"));
	CHECK(req_has(t, 1, "<n:EnumerationContext>uuid:CTX</n:EnumerationContext>"));
	CHECK(req_has(t, 1, "wmi/root/cimv2/*</w:ResourceURI>"));
	CHECK(req_has(t, 1, "<w:Selector Name=\"__cimnamespace\">root/cimv2</w:Selector>"));
	CHECK_EQ(wrsh_cim_pull(t->s, &t->sink, &end), WRSH_ESTATE); /* nothing open */
	wrsh_close(t->s);
	CHECK_EQ(t->m.requests, 3); /* nothing left to release */
	CHECK_EQ(wrsh_arena_in_use(t->a), 0);
}

/* Neither a context nor the end: a protocol error, nothing kept. */
static void test_cim_enumerate_without_context_fails(void)
{
	struct t *t = setup();
	struct wrsh_cim_req rq = {"urn:r", NULL, 0, NULL, 0};
	bool end;
	add_text(t, 200,
		 ENV_OPEN(ENUM_A("EnumerateResponse")) "<n:EnumerateResponse><w:Items/></"
						       "n:EnumerateResponse>" ENV_CLOSE);
	CHECK_EQ(wrsh_cim_enumerate(t->s, &rq, NULL, &t->sink, &end), WRSH_EPROTO);
	CHECK(strstr(wrsh_errmsg(t->s), "no EnumerationContext") != NULL);
	wrsh_close(t->s);
	CHECK_EQ(t->m.requests, 1);
	CHECK_EQ(wrsh_arena_in_use(t->a), 0);
}

/* A server that never ends: the caller stops after its own bound and
 * releases; memory stays flat page after page. */
static void test_cim_endless_pull_is_bounded_by_the_caller(void)
{
	struct t *t = setup();
	struct wrsh_cim_req rq = {"urn:r", NULL, 0, NULL, 0};
	bool end = false;
	size_t in_use = 0;
	unsigned pages;
	add_text(t, 200,
		 ENV_OPEN(ENUM_A(
			 "EnumerateResponse")) "<n:EnumerateResponse><n:EnumerationContext>uuid:CTX"
					       "</n:EnumerationContext><w:Items/></"
					       "n:EnumerateResponse>" ENV_CLOSE);
	CHECK_EQ(wrsh_cim_enumerate(t->s, &rq, NULL, &t->sink, &end), WRSH_OK);
	for (pages = 0; pages < 40 && !end; pages++) {
		mock_clear_responses(&t->m);
		add_text(t, 200, PAGE("<p:S xmlns:p=\"urn:s\"><p:Name>x</p:Name></p:S>", ""));
		CHECK_EQ(wrsh_cim_pull(t->s, &t->sink, &end), WRSH_OK);
		if (pages == 1)
			in_use = wrsh_arena_in_use(t->a);
	}
	CHECK(!end);
	CHECK_EQ(wrsh_arena_in_use(t->a), in_use);
	CHECK_EQ(t->l.instances, 40);
	mock_clear_responses(&t->m);
	add_text(t, 200, ENV_OPEN(ENUM_A("ReleaseResponse")) ENV_CLOSE);
	CHECK_EQ(wrsh_cim_release(t->s), WRSH_OK);
	CHECK(req_has(t, 0, "enumeration/Release</a:Action>"));
	CHECK(req_has(t, 0,
		      "<n:Release xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/"
		      "enumeration\"><n:EnumerationContext>uuid:CTX</n:EnumerationContext>"));
	wrsh_close(t->s);
	CHECK_EQ(wrsh_arena_in_use(t->a), 0);
}

/* A fault on a Pull is reported with its provider text and sticks; the
 * context is still the server's, so wrsh_close releases it. */
static void test_cim_fault_mid_enumeration_releases(void)
{
	struct t *t = setup();
	struct wrsh_cim_req rq = {"urn:r", NULL, 0, NULL, 0};
	bool end = false;
	add_text(t, 200,
		 ENV_OPEN(ENUM_A(
			 "EnumerateResponse")) "<n:EnumerateResponse><n:EnumerationContext>uuid:CTX"
					       "</n:EnumerationContext><w:Items/></"
					       "n:EnumerateResponse>" ENV_CLOSE);
	add_file(t, WQL "003-response.xml", 500);
	add_text(t, 200, ENV_OPEN(ENUM_A("ReleaseResponse")) ENV_CLOSE);
	CHECK_EQ(wrsh_cim_enumerate(t->s, &rq, NULL, &t->sink, &end), WRSH_OK);
	CHECK_EQ(wrsh_cim_pull(t->s, &t->sink, &end), WRSH_EFAULT);
	CHECK(strstr(wrsh_errmsg(t->s), "n:CannotProcessFilter") != NULL);
	CHECK(strstr(wrsh_errmsg(t->s), "does not exist in the given namespace") != NULL);
	CHECK_EQ(wrsh_cim_pull(t->s, &t->sink, &end), WRSH_EFAULT); /* sticky */
	wrsh_close(t->s);
	CHECK_EQ(t->m.requests, 3);
	CHECK(req_has(t, 2, "enumeration/Release</a:Action>"));
	CHECK(req_has(t, 2, "uuid:CTX"));
	CHECK_EQ(wrsh_arena_in_use(t->a), 0);
}

/* Put, Create and Invoke bodies; Get's answer to the sink. */
static void test_cim_put_create_invoke_bodies(void)
{
	struct t *t = setup();
	struct wrsh_cim_kv sel[] = {{"Name", "Spooler"}};
	struct wrsh_cim_kv props[] = {
		{"MaxEnvelopeSizekb", "500"}, {"Winrs/MaxShellsPerUser", "7"}, {"Gone", NULL}};
	struct wrsh_cim_kv params[] = {{"StartMode", "Manual"}};
	struct wrsh_cim_req cfg = {"http://schemas.microsoft.com/wbem/wsman/1/config", NULL, 0,
				   NULL, 0};
	struct wrsh_cim_req svc = {
		"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service", sel, 1,
		NULL, 0};
	struct wrsh_cim_kv bad[] = {{"a<b", "x"}};
	static const char *const answers[] = {
		XFER_A("PutResponse"), XFER_A("CreateResponse"),
		"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service/"
		"ChangeStartModeResponse",
		XFER_A("GetResponse")};
	char answer[1024];
	int i;
	for (i = 0; i < 4; i++) {
		snprintf(answer, sizeof(answer),
			 ENV_OPEN("%s") "<p:X xmlns:p=\"urn:x\"><p:ReturnValue>0</p:ReturnValue>"
					"</p:X>" ENV_CLOSE,
			 answers[i]);
		add_text(t, 200, answer);
	}
	CHECK_EQ(wrsh_cim_put(t->s, &cfg, NULL, props, 3, &t->sink), WRSH_OK);
	CHECK(req_has(t, 0, "transfer/Put</a:Action>"));
	CHECK(req_has(t, 0,
		      "<p:Config xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/"
		      "config\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
		      "<p:MaxEnvelopeSizekb>500</p:MaxEnvelopeSizekb><p:Winrs>"
		      "<p:MaxShellsPerUser>7</p:MaxShellsPerUser></p:Winrs>"
		      "<p:Gone xsi:nil=\"true\"/></p:Config>"));
	CHECK_EQ(wrsh_cim_create(t->s, &svc, NULL, props, 1, NULL), WRSH_OK);
	CHECK(req_has(t, 1, "transfer/Create</a:Action>"));
	CHECK(req_has(t, 1, "<p:Win32_Service xmlns:p="));
	CHECK_EQ(wrsh_cim_invoke(t->s, &svc, "ChangeStartMode", params, 1, &t->sink), WRSH_OK);
	CHECK(req_has(t, 2,
		      "<a:Action s:mustUnderstand=\"true\">http://schemas.microsoft.com/"
		      "wbem/wsman/1/wmi/root/cimv2/Win32_Service/ChangeStartMode</a:Action>"));
	CHECK(req_has(t, 2, "<p:ChangeStartMode_INPUT xmlns:p="));
	CHECK(req_has(t, 2, "<p:StartMode>Manual</p:StartMode></p:ChangeStartMode_INPUT>"));
	CHECK(req_has(t, 2, "<w:Selector Name=\"Name\">Spooler</w:Selector>"));
	CHECK_EQ(wrsh_cim_get(t->s, &svc, &t->sink), WRSH_OK);
	CHECK(req_has(t, 3, "transfer/Get</a:Action>"));
	CHECK_EQ(t->l.instances, 3);
	CHECK_EQ(wrsh_cim_put(t->s, &svc, NULL, bad, 1, NULL), WRSH_EINVAL);
	CHECK_EQ(wrsh_cim_invoke(t->s, &svc, "no such", NULL, 0, NULL), WRSH_EINVAL);
	CHECK_EQ(wrsh_cim_get(t->s, NULL, NULL), WRSH_EINVAL);
	wrsh_close(t->s);
	CHECK_EQ(wrsh_arena_in_use(t->a), 0);
}

/* A sink that refuses stops the operation with its error, and the open
 * enumeration is released by wrsh_close. */
static wrsh_err refuse(void *ctx)
{
	(void)ctx;
	return WRSH_EIO;
}

static void test_cim_sink_error_stops_and_close_releases(void)
{
	struct t *t = setup();
	struct wrsh_cim_req rq = {"urn:r", NULL, 0, NULL, 0};
	bool end = false;
	t->sink.end = refuse;
	add_text(t, 200,
		 ENV_OPEN(ENUM_A(
			 "EnumerateResponse")) "<n:EnumerateResponse><n:EnumerationContext>uuid:CTX"
					       "</n:EnumerationContext><w:Items><p:S "
					       "xmlns:p=\"urn:s\"><p:N>a</p:N></p:S>"
					       "</w:Items></n:EnumerateResponse>" ENV_CLOSE);
	add_text(t, 200, ENV_OPEN(ENUM_A("ReleaseResponse")) ENV_CLOSE);
	CHECK_EQ(wrsh_cim_enumerate(t->s, &rq, NULL, &t->sink, &end), WRSH_EIO);
	CHECK(strstr(wrsh_errmsg(t->s), "sink") != NULL);
	wrsh_close(t->s);
	CHECK_EQ(t->m.requests, 2);
	CHECK(req_has(t, 1, "enumeration/Release</a:Action>"));
	CHECK_EQ(wrsh_arena_in_use(t->a), 0);
}

/* winrm.cmd's short forms, as `winrm help uris` lists them */
static void test_cim_resource_uri_short_forms(void)
{
	char buf[128];
	CHECK_STR(wrsh_cim_resource_uri("wmicimv2/Win32_Service", buf, sizeof(buf)),
		  "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service");
	CHECK_STR(wrsh_cim_resource_uri("WinRM/Config", buf, sizeof(buf)),
		  "http://schemas.microsoft.com/wbem/wsman/1/Config");
	CHECK_STR(wrsh_cim_resource_uri("shell", buf, sizeof(buf)),
		  "http://schemas.microsoft.com/wbem/wsman/1/windows/shell");
	CHECK_STR(wrsh_cim_resource_uri("http://x/y", NULL, 0), "http://x/y");
	CHECK(wrsh_cim_resource_uri("wmix/Win32_Service", buf, sizeof(buf)) == NULL);
	CHECK(wrsh_cim_resource_uri("wmicimv2/Win32_Service", buf, 60) == NULL);
	CHECK(wrsh_cim_resource_uri(NULL, buf, sizeof(buf)) == NULL);
}

void cim_tests(void)
{
	if (!CONFIG_WRSH_CIM)
		return;
	RUN(test_cim_windows_enumerate_response_streams_instances);
	RUN(test_cim_windows_pull_response_ends_sequence);
	RUN(test_cim_windows_filter_fault_keeps_provider_text);
	RUN(test_cim_omi_responses_by_namespace);
	RUN(test_cim_nested_arrays_nil_and_datetime);
	RUN(test_cim_caps_and_hostile_bodies);
	RUN(test_cim_enumerate_and_pull_to_the_end);
	RUN(test_cim_resource_uri_short_forms);
	RUN(test_cim_enumerate_without_context_fails);
	RUN(test_cim_endless_pull_is_bounded_by_the_caller);
	RUN(test_cim_fault_mid_enumeration_releases);
	RUN(test_cim_put_create_invoke_bodies);
	RUN(test_cim_sink_error_stops_and_close_releases);
}
