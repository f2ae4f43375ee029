/* libFuzzer: a control master's park (examples/cli/park.c) reading the
 * server's answers. The input is the answer to a Create and then to a
 * Command (split at its first byte); the park learns from them, parks the
 * shell at the client's Delete and lends it to the next Create, whose
 * answer must then relate to that Create's MessageID and fit the buffer.
 * With no session, every release on the server fails cleanly. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "park.h"

void cli_error(const char *fmt, ...)
{
	(void)fmt;
}

#define T "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
#define S "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
#define HEAD                                                                                    \
	"<s:Envelope><s:Header><a:Action>%s"                                                    \
	"</a:Action><a:MessageID>uuid:%s</a:MessageID><p:SessionId s:mustUnderstand=\"false\">" \
	"uuid:%s</p:SessionId><w:ResourceURI>"                                                  \
	"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>"

static struct park P;
static char req[2048], ans[2 * PARK_CREATE_MAX + 256];

static size_t create(const char *msg, const char *sess)
{
	int n = snprintf(req, sizeof(req),
			 HEAD "</s:Header><s:Body><rsp:Shell/></s:Body></s:Envelope>", T "Create",
			 msg, sess);
	return (size_t)n;
}

static size_t on_shell(const char *action, const char *id)
{
	int n = snprintf(req, sizeof(req),
			 HEAD "<w:SelectorSet><w:Selector Name=\"ShellId\">%s</w:Selector>"
			      "</w:SelectorSet></s:Header><s:Body/></s:Envelope>",
			 action, "1", "2", id);
	return (size_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut, n;
	long k;
	const char *a = (const char *)data + 1;
	if (!size--)
		return 0;
	cut = data[0] * size / 256;
	memset(&P, 0, sizeof(P));
	n = create("AAAA", "S1");
	park_learn(&P, req, n, 200, a, cut);
	if (!P.lent.used)
		return 0;
	park_learn(&P, req, on_shell(S "Command", P.lent.id), 200, a + cut, size - cut);
	k = park_answer(&P, NULL, req, on_shell(T "Delete", P.lent.id), ans, sizeof(ans));
	if (k < 0 || (size_t)k > sizeof(ans))
		__builtin_trap();
	if (!P.parked.used)
		return 0;
	P.parked.cmd_open = false; /* as if park_tidy's Signal had been answered */
	k = park_answer(&P, NULL, req, create("BBBBBBBBBBBBBBBB", "S2"), ans, sizeof(ans));
	if (k < 0 || (size_t)k > sizeof(ans) ||
	    (k > 0 && !memmem(ans, (size_t)k, "BBBBBBBBBBBBBBBB", 16)))
		__builtin_trap();
	park_learn(&P, req, on_shell(S "Command", P.lent.id), 500, a, size);
	park_answer(&P, NULL, req, on_shell(T "Delete", P.lent.id), ans, sizeof(ans));
	park_tidy(&P, NULL);
	park_close(&P, NULL);
	return 0;
}
