/* libFuzzer: a whole wrsh cmd session where the server's answer to the
 * Receive is the fuzz input (raw HTTP), after a canned Create and Command.
 * Then the shell must still be deleted and the arena must be empty. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mock.h"
#include "wrsh.h"

#define CT "application/soap+xml;charset=UTF-8"

/* the answers' Actions are checked: the Receive's, the fuzz input, too */
#define HEAD(action)                                                             \
	"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "       \
	"xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "          \
	"xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\">" \
	"<s:Header><a:Action>" action "</a:Action></s:Header>"
#define SHELL_A "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
#define XFER_A "http://schemas.xmlsoap.org/ws/2004/09/transfer/"

static const char create[] =
	HEAD(XFER_A "CreateResponse") "<s:Body><rsp:Shell>"
				      "<rsp:ShellId>4283CBDC-3706-415B-88BD-B385F3E51A53</"
				      "rsp:ShellId></rsp:Shell></s:Body>"
				      "</s:Envelope>";
static const char command[] =
	HEAD(SHELL_A "CommandResponse") "<s:Body>"
					"<rsp:CommandResponse><rsp:CommandId>CF84C20A-0A35-43FA-"
					"AF78-0B4711DA5F30</rsp:CommandId>"
					"</rsp:CommandResponse></s:Body></s:Envelope>";
static const char deleted[] = HEAD(XFER_A "DeleteResponse") "<s:Body/></s:Envelope>";

static wrsh_err out(void *ctx, int stream, const void *p, size_t n)
{
	(void)ctx, (void)stream, (void)p, (void)n;
	return WRSH_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t store[1 << 20], sent[1 << 18];
	static unsigned char buf[48 * 1024] __attribute__((aligned(16)));
	struct mock_port m;
	struct wrsh_port port;
	struct wrsh_opts o;
	struct wrsh_session *s;
	struct wrsh_arena *a = wrsh_arena_init(buf, sizeof(buf));
	bool done = false;
	uint32_t code;
	int i;
	if (size > 200000)
		return 0;
	mock_init(&m, &port, store, sizeof(store), sent, sizeof(sent));
	mock_add_http(&m, 200, CT, create, strlen(create), 0);
	mock_add_http(&m, 200, CT, command, strlen(command), 0);
	mock_add_raw(&m, data, size, true);
	mock_add_http(&m, 200, CT, deleted, strlen(deleted), 0);
	m.fix_relates_to = false;
	memset(&o, 0, sizeof(o));
	o.host = "h";
	o.auth = WRSH_AUTH_BASIC;
	o.user = "u";
	o.password = "p";
	o.allow_unencrypted = true;
	if (wrsh_open(&s, a, &port, &o) || wrsh_shell_open(s, NULL) ||
	    wrsh_cmd_start(s, "cmd", NULL, 0))
		__builtin_trap();
	for (i = 0; i < 3 && !done; i++)
		if (wrsh_cmd_receive(s, out, NULL, 0, &done, &code))
			break;
	wrsh_close(s);
	if (wrsh_arena_in_use(a))
		__builtin_trap();
	{
		const uint8_t *p;
		size_t n;
		if (!mock_request(&m, m.requests - 1, &p, &n) || n < 40 ||
		    !memmem(p, n, "transfer/Delete", 15))
			__builtin_trap(); /* the shell is deleted whatever the server said */
	}
	return 0;
}
