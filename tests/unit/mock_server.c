/* Scripted server answers (see mock_server.h). */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "mock_server.h"
#include "psrp/fragment.h"
#include "psrp/message.h"
#include "util/base64.h"

/* RelatesTo is rewritten by the mock (fix_relates_to) to the request's id;
 * %s is the Action */
#define ENV_HEAD                                                                          \
	"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "                \
	"xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "                   \
	"xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\">"          \
	"<s:Header><a:Action>%s</a:Action>"                                               \
	"<a:RelatesTo>uuid:00000000-0000-0000-0000-000000000000</a:RelatesTo></s:Header>" \
	"<s:Body>"
#define SHELL_A(x) "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/" x

void msrv_add(struct mock_port *m, const char *body)
{
	CHECK(mock_add_http(m, 200, MSRV_SOAP_CT, body, strlen(body), 0));
}

void msrv_add_file(struct mock_port *m, const char *path, int status)
{
	static char buf[64 * 1024];
	FILE *f = fopen(path, "rb");
	size_t n = 0;
	if (f) {
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
	}
	CHECK(n > 0);
	CHECK(mock_add_http(m, status, MSRV_SOAP_CT, buf, n, 0));
}

void msrv_created(struct mock_port *m)
{
	static char b[1024];
	snprintf(b, sizeof(b),
		 ENV_HEAD "<rsp:Shell><rsp:ShellId>" MSRV_SHELL_ID
			  "</rsp:ShellId></rsp:Shell></s:Body></s:Envelope>",
		 "http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse");
	msrv_add(m, b);
}

void msrv_command_response(struct mock_port *m)
{
	static char b[1024];
	snprintf(b, sizeof(b),
		 ENV_HEAD "<rsp:CommandResponse><rsp:CommandId>0F0E0D0C-0B0A-4908-8706-050403020100"
			  "</rsp:CommandId></rsp:CommandResponse></s:Body></s:Envelope>",
		 SHELL_A("CommandResponse"));
	msrv_add(m, b);
}

void msrv_empty(struct mock_port *m, const char *action)
{
	static char b[1024];
	snprintf(b, sizeof(b), ENV_HEAD "</s:Body></s:Envelope>", action);
	msrv_add(m, b);
}

void msrv_messages(struct mock_port *m, const uint8_t pool[16], const uint8_t *pid, bool done,
		   int n, const uint32_t *types, const char *const *clixml, size_t cut)
{
	static uint8_t raw[8192];
	static char b64[12000], body[16384];
	static const uint8_t zero[16];
	size_t len = 0, k;
	int i;
	for (i = 0; i < n; i++) {
		size_t cl = strlen(clixml[i]);
		CHECK(len + PSRP_FRAG_HEAD + PSRP_MSG_HEAD + cl <= sizeof(raw));
		psrp_frag_head(raw + len, (uint64_t)i + 1, 0, PSRP_FRAG_START | PSRP_FRAG_END,
			       (uint32_t)(PSRP_MSG_HEAD + cl));
		/* a pipeline's messages (0x0004xxxx) name it, the pool's the nil PID */
		psrp_msg_head_write(raw + len + PSRP_FRAG_HEAD, PSRP_TO_CLIENT, types[i], pool,
				    pid && (types[i] >> 16) == 4 ? pid : zero);
		memcpy(raw + len + PSRP_FRAG_HEAD + PSRP_MSG_HEAD, clixml[i], cl);
		len += PSRP_FRAG_HEAD + PSRP_MSG_HEAD + cl;
	}
	len -= cut;
	k = b64_encode(raw, len, b64);
	b64[k] = 0;
	snprintf(body, sizeof(body),
		 ENV_HEAD "<rsp:ReceiveResponse><rsp:Stream Name=\"stdout\">%s</rsp:Stream>%s"
			  "</rsp:ReceiveResponse></s:Body></s:Envelope>",
		 SHELL_A("ReceiveResponse"), b64,
		 done ? "<rsp:CommandState State=\"http://schemas.microsoft.com/wbem/wsman/1/"
			"windows/shell/CommandState/Done\"><rsp:ExitCode>0</rsp:ExitCode>"
			"</rsp:CommandState>"
		      : "");
	msrv_add(m, body);
}
