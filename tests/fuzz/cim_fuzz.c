/* libFuzzer: a response envelope through expat, the envelope consumer and
 * the CIM instance reader (Get/Put/Invoke bodies or Enumerate/Pull pages:
 * nesting, nil, datetimes, endpoint references, contexts), with a sink
 * that checks the event order, in a small arena so that exhaustion is
 * fuzzed as well. Byte 0 picks the piece size, byte 1 the body kind. */
#include <stddef.h>
#include <stdint.h>

#include "cim/instance.h"

struct order {
	unsigned depth;
	int in_instance;
};

static wrsh_err f_begin(void *ctx, const char *cls)
{
	struct order *o = ctx;
	(void)cls;
	if (o->in_instance || o->depth)
		__builtin_trap();
	o->in_instance = 1;
	return WRSH_OK;
}

static wrsh_err f_open(void *ctx, const struct wrsh_cim_prop *p)
{
	struct order *o = ctx;
	if (!o->in_instance || p->depth != o->depth + 1 || !p->name)
		__builtin_trap();
	o->depth = p->depth; /* open until its close */
	return WRSH_OK;
}

static wrsh_err f_text(void *ctx, const struct wrsh_cim_prop *p, const char *s, size_t n)
{
	struct order *o = ctx;
	if (p->depth != o->depth || p->container || p->nil || !n || !s)
		__builtin_trap();
	return WRSH_OK;
}

static wrsh_err f_close(void *ctx, const struct wrsh_cim_prop *p)
{
	struct order *o = ctx;
	if (p->depth != o->depth || !o->depth)
		__builtin_trap();
	o->depth--;
	return WRSH_OK;
}

static wrsh_err f_end(void *ctx)
{
	struct order *o = ctx;
	if (!o->in_instance || o->depth)
		__builtin_trap();
	o->in_instance = 0;
	return WRSH_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char buf[24 * 1024] __attribute__((aligned(16)));
	struct wrsh_arena *a = wrsh_arena_init(buf, sizeof(buf));
	struct errbuf e = {WRSH_OK, ""};
	struct order o = {0, 0};
	struct wrsh_cim_sink sink = {f_begin, f_open, f_text, f_close, f_end, NULL};
	struct wsman_resp resp;
	struct cim_reader r;
	struct xml_consumer env, body;
	struct xml_parser x;
	size_t step, off = 2;
	wrsh_err err;
	if (size < 2)
		return 0;
	sink.ctx = &o;
	step = (size_t)data[0] * 8 + 1;
	wsman_resp_init(&resp);
	wsman_consumer(&env, &resp);
	cim_reader_init(&r, &sink, &e);
	cim_consumer(&body, &r, (data[1] & 1) ? CIM_BODY_ENUM : CIM_BODY_TRANSFER);
	err = xml_begin(&x, a, 99, &env, &body, &e);
	while (!err && off < size) {
		size_t k = size - off < step ? size - off : step;
		err = xml_push(&x, data + off, k, false);
		off += k;
	}
	if (!err)
		err = xml_push(&x, NULL, 0, true);
	xml_end(&x);
	if (!err && (o.in_instance || o.depth || r.context_n >= sizeof(r.context)))
		__builtin_trap(); /* a well-formed document closes what it opened */
	if (!err && resp.fault)
		(void)wsman_fault_error(&resp, &e);
	if (wrsh_arena_in_use(a))
		__builtin_trap(); /* every document returns all it took */
	return 0;
}
