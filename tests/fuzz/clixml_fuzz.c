/* libFuzzer: one PSRP message's CLIXML through the streaming reader, whole
 * and cut where the first byte says: the same events, the same verdict, and
 * the arena empty afterwards. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "psrp/clixml.h"

static unsigned char arena_buf[256 * 1024] __attribute__((aligned(16)));

static uint32_t mix(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

static uint32_t node_hash(uint32_t h, const struct wrsh_ps_node *n)
{
	h = mix(h, n->tag, strlen(n->tag));
	if (n->name)
		h = mix(h, n->name, strlen(n->name));
	return mix(h, &n->depth, sizeof(n->depth));
}

static wrsh_err on_open(void *ctx, const struct wrsh_ps_node *n)
{
	*(uint32_t *)ctx = node_hash(mix(*(uint32_t *)ctx, "(", 1), n);
	return WRSH_OK;
}

static wrsh_err on_text(void *ctx, const struct wrsh_ps_node *n, const char *p, size_t len,
			bool last)
{
	uint32_t *h = ctx;
	*h = mix(*h, p, len); /* pieces may differ; their concatenation may not */
	if (last)
		*h = node_hash(mix(*h, "=", 1), n);
	return WRSH_OK;
}

static wrsh_err on_close(void *ctx, const struct wrsh_ps_node *n)
{
	*(uint32_t *)ctx = node_hash(mix(*(uint32_t *)ctx, ")", 1), n);
	return WRSH_OK;
}

static wrsh_err run(const uint8_t *p, size_t n, size_t cut, uint32_t *h)
{
	struct clixml_sink sink = {on_open, on_text, on_close, NULL};
	struct wrsh_arena *a = wrsh_arena_init(arena_buf, sizeof(arena_buf));
	struct errbuf e = {WRSH_OK, ""};
	struct clixml_reader r;
	wrsh_err err;
	*h = 2166136261u;
	sink.ctx = h;
	err = clixml_begin(&r, a, &sink, &e);
	if (!err)
		err = clixml_push(&r, p, cut);
	if (!err)
		err = clixml_push(&r, p + cut, n - cut);
	if (!err)
		err = clixml_finish(&r);
	else
		clixml_abort(&r);
	if (wrsh_arena_in_use(a) || (err && !e.msg[0]))
		__builtin_trap();
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t ha, hb;
	wrsh_err ea, eb;
	if (size < 1 || size > 65536)
		return 0;
	ea = run(data + 1, size - 1, 0, &ha);
	eb = run(data + 1, size - 1, data[0] % size, &hb);
	if (ea != eb || (!ea && ha != hb))
		__builtin_trap();
	return 0;
}
