/* libFuzzer: a response envelope through expat, the envelope consumer and
 * the WinRS consumer (faults, ids, streams, base64, the Action against the
 * request the first byte picks), in a small arena so that exhaustion is
 * fuzzed as well. */
#include <stddef.h>
#include <stdint.h>

#include "winrs/winrs.h"
#include "wsman/wsman.h"

static wrsh_err out(void *ctx, int stream, const void *p, size_t n)
{
	(void)ctx, (void)stream, (void)p, (void)n;
	return WRSH_OK;
}

/* what the answer may be expected to answer; NULL: Identify */
static const char *const requests[] = {
	NULL,
	"http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
	"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command",
	"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive",
	"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal",
	"http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete",
	"http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull",
	"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service/StopService",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char buf[24 * 1024] __attribute__((aligned(16)));
	struct wrsh_arena *a = wrsh_arena_init(buf, sizeof(buf));
	struct errbuf e = {WRSH_OK, ""};
	struct wsman_resp resp;
	struct winrs_parse wp;
	struct xml_consumer env, body;
	struct xml_parser x;
	size_t step, off = 1;
	wrsh_err err;
	if (!size)
		return 0;
	step = (size_t)data[0] * 8 + 1;
	wsman_resp_init(&resp);
	wsman_consumer(&env, &resp);
	wsman_resp_expect(&resp,
			  requests[(data[0] >> 4) % (sizeof(requests) / sizeof(requests[0]))], &e);
	winrs_parse_init(&wp, &e);
	wp.out = out;
	wp.cmd_id = "CF84C20A-0A35-43FA-AF78-0B4711DA5F30";
	winrs_consumer(&body, &wp);
	err = xml_begin(&x, a, 99, &env, &body, &e);
	while (!err && off < size) {
		size_t k = size - off < step ? size - off : step;
		err = xml_push(&x, data + off, k, false);
		off += k;
	}
	if (!err)
		err = xml_push(&x, NULL, 0, true);
	xml_end(&x);
	if (!err && resp.fault)
		(void)wsman_fault_error(&resp, &e);
	else if (!err)
		(void)wsman_check_action(&resp, &e);
	if (wrsh_arena_in_use(a))
		__builtin_trap(); /* every document returns all it took */
	return 0;
}
