#include <string.h>

#include "psrp/build.h"
#include "util/hex.h"

static void head(struct sbuf *b, uint32_t type, const struct psrp_ids *id, bool pipeline)
{
	static const uint8_t zero[16];
	uint8_t h[PSRP_MSG_HEAD];
	psrp_msg_head_write(h, PSRP_TO_SERVER, type, id->rpid, pipeline ? id->pid : zero);
	sb_put(b, h, sizeof(h));
}

/* One character of a string: a control character, and an underscore that
 * would read as an escape, as _x00HH_; the rest with XML's escapes. */
static void put_char(struct sbuf *b, unsigned char c, bool escape)
{
	if (escape || (c < 0x20 && c != '\t') || c == 0x7f) {
		sb_puts(b, "_x00");
		sb_putc(b, hex_digit_upper((uint8_t)(c >> 4)));
		sb_putc(b, hex_digit_upper(c));
		sb_putc(b, '_');
	} else {
		sb_put_xml(b, (const char *)&c, 1);
	}
}

/* Whether h[0..n) can begin an escape "_xHHHH_". */
static bool escape_prefix(const char *h, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (i == 0 || i == 6 ? h[i] != '_' : i == 1 ? h[i] != 'x' : hex_value(h[i]) < 0)
			return false;
	return true;
}

static void esc_feed(struct sbuf *b, struct psrp_str_esc *e, char c);

/* The held underscore is decided: written (escaped when a whole escape
 * followed it), the bytes after it read again, as they may hold another. */
static void esc_release(struct sbuf *b, struct psrp_str_esc *e, bool escape)
{
	char rest[sizeof(e->hold) - 1];
	size_t k = e->n - 1u, i;
	memcpy(rest, e->hold + 1, k);
	e->n = 0;
	put_char(b, '_', escape);
	for (i = 0; i < k; i++)
		esc_feed(b, e, rest[i]);
}

static void esc_feed(struct sbuf *b, struct psrp_str_esc *e, char c)
{
	if (!e->n && c != '_') {
		put_char(b, (unsigned char)c, false);
		return;
	}
	e->hold[e->n++] = c;
	if (!escape_prefix(e->hold, e->n) || e->n == sizeof(e->hold))
		esc_release(b, e, e->n == sizeof(e->hold));
}

void psrp_put_string_piece(struct sbuf *b, struct psrp_str_esc *e, const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		esc_feed(b, e, s[i]);
}

void psrp_put_string_end(struct sbuf *b, struct psrp_str_esc *e)
{
	while (e->n)
		esc_release(b, e, false);
}

void psrp_put_string(struct sbuf *b, const char *s, size_t n)
{
	struct psrp_str_esc e = {{0}, 0};
	psrp_put_string_piece(b, &e, s, n);
	psrp_put_string_end(b, &e);
}

/* ---- a few CLIXML shapes ----------------------------------------------- */

struct cw {
	struct sbuf *b;
	unsigned ref; /* next Obj RefId */
};

static void prim(struct cw *w, const char *tag, const char *name, const char *value)
{
	sb_putc(w->b, '<');
	sb_puts(w->b, tag);
	if (name) {
		sb_puts(w->b, " N=\"");
		sb_puts(w->b, name);
		sb_putc(w->b, '"');
	}
	if (!value) {
		sb_puts(w->b, " />");
		return;
	}
	sb_putc(w->b, '>');
	psrp_put_string(w->b, value, strlen(value));
	sb_puts(w->b, "</");
	sb_puts(w->b, tag);
	sb_putc(w->b, '>');
}

static void obj_begin(struct cw *w, const char *name)
{
	sb_puts(w->b, "<Obj");
	if (name) {
		sb_puts(w->b, " N=\"");
		sb_puts(w->b, name);
		sb_putc(w->b, '"');
	}
	sb_puts(w->b, " RefId=\"");
	sb_put_u64(w->b, w->ref++);
	sb_puts(w->b, "\">");
}

/* An enum value as PowerShell serialises it: type names, text, number.
 * tn: the TN RefId; first: whether this TN is written out or referenced. */
static void enum_obj(struct cw *w, const char *name, const char *type, unsigned tn, bool first,
		     const char *text, const char *num)
{
	obj_begin(w, name);
	if (first) {
		sb_puts(w->b, "<TN RefId=\"");
		sb_put_u64(w->b, tn);
		sb_puts(w->b, "\"><T>");
		sb_puts(w->b, type);
		sb_puts(w->b,
			"</T><T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN>");
	} else {
		sb_puts(w->b, "<TNRef RefId=\"");
		sb_put_u64(w->b, tn);
		sb_puts(w->b, "\" />");
	}
	prim(w, "ToString", NULL, text);
	prim(w, "I32", NULL, num);
	sb_puts(w->b, "</Obj>");
}

/* The pool has no host; a pipeline may have one with a UI (Read-Host,
 * $Host.UI.WriteLine) and no raw UI (cursor, colours, key presses). */
static void host_info(struct cw *w, bool ui)
{
	obj_begin(w, "HostInfo");
	sb_puts(w->b, "<MS>");
	prim(w, "B", "_isHostNull", ui ? "false" : "true");
	prim(w, "B", "_isHostUINull", ui ? "false" : "true");
	prim(w, "B", "_isHostRawUINull", "true");
	prim(w, "B", "_useRunspaceHost", ui ? "false" : "true");
	sb_puts(w->b, "</MS></Obj>");
}

/* ---- messages ------------------------------------------------------------ */

void psrp_build_session_capability(struct sbuf *b, const struct psrp_ids *id)
{
	struct cw w = {b, 0};
	head(b, PSRP_SESSION_CAPABILITY, id, false);
	obj_begin(&w, NULL);
	sb_puts(b, "<MS>");
	prim(&w, "Version", "protocolversion", PSRP_PROTOCOL_VERSION);
	prim(&w, "Version", "PSVersion", PSRP_PS_VERSION);
	prim(&w, "Version", "SerializationVersion", PSRP_SERIALIZATION_VERSION);
	sb_puts(b, "</MS></Obj>");
}

void psrp_build_init_runspacepool(struct sbuf *b, const struct psrp_ids *id, unsigned min,
				  unsigned max)
{
	struct cw w = {b, 0};
	char n1[12], n2[12];
	struct sbuf t;
	sb_init(&t, n1, sizeof(n1));
	sb_put_u64(&t, min);
	sb_cstr(&t);
	sb_init(&t, n2, sizeof(n2));
	sb_put_u64(&t, max);
	sb_cstr(&t);
	head(b, PSRP_INIT_RUNSPACEPOOL, id, false);
	obj_begin(&w, NULL);
	sb_puts(b, "<MS>");
	prim(&w, "I32", "MinRunspaces", n1);
	prim(&w, "I32", "MaxRunspaces", n2);
	enum_obj(&w, "PSThreadOptions", "System.Management.Automation.Runspaces.PSThreadOptions", 0,
		 true, "Default", "0");
	enum_obj(&w, "ApartmentState", "System.Management.Automation.Runspaces.ApartmentState", 1,
		 true, "UNKNOWN", "2");
	host_info(&w, false);
	prim(&w, "Nil", "ApplicationArguments", NULL);
	sb_puts(b, "</MS></Obj>");
}

#define PRT "System.Management.Automation.Runspaces.PipelineResultTypes"
#define CMD_LIST                                                                     \
	"System.Collections.Generic.List`1[[System.Management.Automation.PSObject, " \
	"System.Management.Automation, Version=1.0.0.0, Culture=neutral, "           \
	"PublicKeyToken=31bf3856ad364e35]]"

/* One command of the pipeline (MS-PSRP 2.2.3.12), up to its text (the
 * script streams in there), and after it; tn: first use of the list and
 * result-type TNs (2 and 3) */
static void command_open(struct cw *w)
{
	obj_begin(w, NULL);
	sb_puts(w->b, "<MS><S N=\"Cmd\">");
}

static void command_rest(struct cw *w, bool script, const char *arg_name, bool *tn_written)
{
	static const char *const merges[] = {"MergeMyResult", "MergeToResult",
					     "MergePreviousResults"};
	static const char *const streams[] = {"MergeError", "MergeWarning", "MergeVerbose",
					      "MergeDebug", "MergeInformation"};
	size_t i;
	sb_puts(w->b, "</S>");
	prim(w, "B", "IsScript", script ? "true" : "false");
	prim(w, "Nil", "UseLocalScope", NULL);
	for (i = 0; i < 3; i++) {
		enum_obj(w, merges[i], PRT, 3, !*tn_written, "None", "0");
		*tn_written = true;
	}
	obj_begin(w, "Args");
	sb_puts(w->b, "<TNRef RefId=\"2\" />");
	if (!arg_name) {
		sb_puts(w->b, "<LST /></Obj>");
	} else {
		sb_puts(w->b, "<LST>");
		obj_begin(w, NULL);
		sb_puts(w->b, "<MS>");
		prim(w, "S", "N", arg_name);
		prim(w, "Nil", "V", NULL); /* Nil: a switch */
		sb_puts(w->b, "</MS></Obj></LST></Obj>");
	}
	for (i = 0; i < 5; i++)
		enum_obj(w, streams[i], PRT, 3, false, "None", "0");
	sb_puts(w->b, "</MS></Obj>");
}

void psrp_build_create_pipeline_head(struct sbuf *b, const struct psrp_ids *id, bool input,
				     bool host, struct psrp_pipe_state *st)
{
	struct cw w = {b, 0};
	head(b, PSRP_CREATE_PIPELINE, id, true);
	obj_begin(&w, NULL);
	sb_puts(b, "<MS>");
	prim(&w, "B", "NoInput", input ? "false" : "true");
	enum_obj(&w, "ApartmentState", "System.Management.Automation.Runspaces.ApartmentState", 0,
		 true, "UNKNOWN", "2");
	enum_obj(&w, "RemoteStreamOptions",
		 "System.Management.Automation.Runspaces.RemoteStreamOptions", 1, true,
		 "AddInvocationInfo", "15");
	prim(&w, "B", "AddToHistory", "false");
	host_info(&w, host);
	obj_begin(&w, "PowerShell");
	sb_puts(b, "<MS>");
	prim(&w, "B", "IsNested", "false");
	obj_begin(&w, "Cmds");
	sb_puts(b, "<TN RefId=\"2\"><T>" CMD_LIST "</T><T>System.Object</T></TN><LST>");
	command_open(&w);
	st->ref = w.ref;
}

void psrp_build_create_pipeline_tail(struct sbuf *b, bool format, struct psrp_pipe_state *st)
{
	struct cw w = {b, st->ref};
	bool tn3 = false;
	command_rest(&w, true, NULL, &tn3);
	if (format) {
		command_open(&w);
		psrp_put_string(b, "Out-String", 10);
		command_rest(&w, false, "Stream", &tn3);
	}
	sb_puts(b, "</LST></Obj>");
	prim(&w, "Nil", "History", NULL);
	prim(&w, "B", "RedirectShellErrorOutputPipe", "false");
	sb_puts(b, "</MS></Obj>");
	prim(&w, "B", "IsNested", "false");
	sb_puts(b, "</MS></Obj>");
	st->ref = w.ref;
}

void psrp_build_create_pipeline(struct sbuf *b, const struct psrp_ids *id, const char *script,
				bool format, bool input, bool host)
{
	struct psrp_pipe_state st;
	psrp_build_create_pipeline_head(b, id, input, host, &st);
	psrp_put_string(b, script, strlen(script));
	psrp_build_create_pipeline_tail(b, format, &st);
}

void psrp_build_input_head(struct sbuf *b, const struct psrp_ids *id)
{
	head(b, PSRP_PIPELINE_INPUT, id, true);
	sb_puts(b, "<S>");
}

void psrp_build_input_string(struct sbuf *b, const struct psrp_ids *id, const char *s, size_t n)
{
	head(b, PSRP_PIPELINE_INPUT, id, true);
	sb_puts(b, "<S>");
	psrp_put_string(b, s, n);
	sb_puts(b, "</S>");
}

/* A Hashtable of strings: Prompt's answer, field name to value. */
static void fields(struct cw *w, const struct wrsh_ps_answer *a)
{
	size_t i;
	obj_begin(w, "mr");
	sb_puts(w->b, "<TN RefId=\"1\"><T>System.Collections.Hashtable</T><T>System.Object</T></TN>"
		      "<DCT>");
	for (i = 0; i < a->n; i++) {
		sb_puts(w->b, "<En>");
		prim(w, "S", "Key", a->names[i] ? a->names[i] : "");
		/* a secret field's value is already the <SS> text (pool.c) */
		prim(w, a->secure && a->secure[i] ? "SS" : "S", "Value",
		     a->values[i] ? a->values[i] : "");
		sb_puts(w->b, "</En>");
	}
	sb_puts(w->b, "</DCT></Obj>");
}

/* A refusal: the ErrorRecord of a HostException, with the properties
 * Windows itself serialises for an ErrorRecord (SerializeExtendedInfo
 * false), so that the server can rebuild the exception the host method
 * throws in the script. */
static void refusal(struct cw *w, const char *msg)
{
	static const char category[] = "NotImplemented: (:) [], HostException";
	obj_begin(w, "me");
	sb_puts(w->b, "<TN RefId=\"1\"><T>System.Management.Automation.ErrorRecord</T>"
		      "<T>System.Object</T></TN>");
	prim(w, "ToString", NULL, msg);
	sb_puts(w->b, "<MS>");
	obj_begin(w, "Exception");
	sb_puts(w->b, "<TN RefId=\"2\"><T>System.Management.Automation.Host.HostException</T>"
		      "<T>System.Management.Automation.RuntimeException</T>"
		      "<T>System.SystemException</T><T>System.Exception</T><T>System.Object</T>"
		      "</TN><ToString>System.Management.Automation.Host.HostException: ");
	psrp_put_string(w->b, msg, strlen(msg));
	sb_puts(w->b, "</ToString><Props>");
	prim(w, "S", "Message", msg);
	prim(w, "I32", "HResult", "-2146233087");
	sb_puts(w->b, "</Props></Obj>");
	prim(w, "Nil", "TargetObject", NULL);
	prim(w, "S", "FullyQualifiedErrorId", "HostException");
	prim(w, "Nil", "InvocationInfo", NULL);
	prim(w, "I32", "ErrorCategory_Category", "11"); /* NotImplemented */
	prim(w, "S", "ErrorCategory_Activity", "");
	prim(w, "S", "ErrorCategory_Reason", "HostException");
	prim(w, "S", "ErrorCategory_TargetName", "");
	prim(w, "S", "ErrorCategory_TargetType", "");
	prim(w, "S", "ErrorCategory_Message", category);
	prim(w, "B", "SerializeExtendedInfo", "false");
	sb_puts(w->b, "</MS></Obj>");
}

void psrp_build_host_response(struct sbuf *b, const struct psrp_ids *id, int64_t call_id,
			      int method, const char *method_name, const struct wrsh_ps_answer *a)
{
	struct cw w = {b, 0};
	char num[24];
	struct sbuf t;
	head(b, PSRP_PIPELINE_HOST_RESPONSE, id, true);
	obj_begin(&w, NULL);
	sb_puts(b, "<MS>");
	sb_init(&t, num, sizeof(num));
	if (call_id < 0)
		sb_putc(&t, '-');
	sb_put_u64(&t, (uint64_t)(call_id < 0 ? -call_id : call_id));
	prim(&w, "I64", "ci", sb_cstr(&t));
	sb_init(&t, num, sizeof(num));
	sb_put_u64(&t, (uint64_t)method);
	enum_obj(&w, "mi", "System.Management.Automation.Remoting.RemoteHostMethodId", 0, true,
		 method_name, sb_cstr(&t));
	switch (a->kind) {
	case WRSH_PS_ANSWER_TEXT:
		prim(&w, "S", "mr", a->text ? a->text : "");
		break;
	case WRSH_PS_ANSWER_CHOICE:
		sb_init(&t, num, sizeof(num));
		if (a->choice < 0)
			sb_putc(&t, '-');
		sb_put_u64(&t, a->choice < 0 ? -(uint64_t)a->choice : (uint64_t)a->choice);
		prim(&w, "I32", "mr", sb_cstr(&t));
		break;
	case WRSH_PS_ANSWER_FIELDS:
		fields(&w, a);
		break;
	case WRSH_PS_ANSWER_REFUSE:
		refusal(&w, a->text ? a->text : "the client refused the host call");
		break;
	case WRSH_PS_ANSWER_SECURE: /* secret: the <SS> text (pool.c encrypted it) */
		prim(&w, "SS", "mr", a->secret ? a->secret : "");
		break;
	case WRSH_PS_ANSWER_CREDENTIAL: /* MS-PSRP 2.2.3.25 */
		obj_begin(&w, "mr");
		sb_puts(b, "<TN RefId=\"1\"><T>System.Management.Automation.PSCredential</T>"
			   "<T>System.Object</T></TN><ToString>System.Management.Automation."
			   "PSCredential</ToString><Props>");
		prim(&w, "S", "UserName", a->text ? a->text : "");
		prim(&w, "SS", "Password", a->secret ? a->secret : "");
		sb_puts(b, "</Props></Obj>");
		break;
	default:
		prim(&w, "Nil", "mr", NULL);
	}
	sb_puts(b, "</MS></Obj>");
}

void psrp_build_end_of_input(struct sbuf *b, const struct psrp_ids *id)
{
	head(b, PSRP_END_OF_PIPELINE_INPUT, id, true);
}

void psrp_build_public_key(struct sbuf *b, const struct psrp_ids *id, const char *blob_b64)
{
	struct cw w = {b, 0};
	head(b, PSRP_PUBLIC_KEY, id, false);
	obj_begin(&w, NULL);
	sb_puts(b, "<MS>");
	prim(&w, "S", "PublicKey", blob_b64);
	sb_puts(b, "</MS></Obj>");
}
