/* libFuzzer: a PSRP stream (decoded WinRS stdout) through the fragment and
 * message readers and the pool's id check. Fed whole and then cut at a
 * point the first byte picks, both must tell the same story: same
 * messages, same data, same error. The ids expected are the first
 * message's RPID and the first pipeline message's PID, so that streams of
 * one pipeline (the recorded ones) pass and a message of another pipeline
 * fails; the first byte's top bit says no pipeline runs. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "psrp/message.h"

struct story {
	uint32_t hash;
	unsigned begins, ends;
	struct errbuf *err;
	bool no_pipeline, have_rpid, have_pid;
	uint8_t rpid[16], pid[16];
};

static uint32_t mix(uint32_t h, const uint8_t *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static wrsh_err on_begin(void *ctx, const struct psrp_msg_head *h)
{
	static const uint8_t nil[16];
	struct story *s = ctx;
	s->begins++;
	s->hash = mix(s->hash, (const uint8_t *)&h->type, sizeof(h->type));
	s->hash = mix(s->hash, h->rpid, 16);
	if (!s->have_rpid && memcmp(h->rpid, nil, 16))
		memcpy(s->rpid, h->rpid, 16), s->have_rpid = true;
	if (!s->have_pid && (h->type >> 16) == 4)
		memcpy(s->pid, h->pid, 16), s->have_pid = true;
	return psrp_msg_check_ids(h, s->rpid, s->no_pipeline ? NULL : s->pid, s->err);
}

static wrsh_err on_data(void *ctx, const uint8_t *p, size_t n)
{
	struct story *s = ctx;
	s->hash = mix(s->hash, p, n);
	return WRSH_OK;
}

static wrsh_err on_end(void *ctx)
{
	struct story *s = ctx;
	s->ends++;
	s->hash = mix(s->hash, (const uint8_t *)"|", 1);
	return WRSH_OK;
}

static wrsh_err run(const uint8_t *p, size_t n, size_t cut, bool no_pipeline, struct story *s)
{
	struct psrp_msg_sink sink = {on_begin, on_data, on_end, NULL};
	struct errbuf e = {WRSH_OK, ""};
	struct psrp_msg_reader r;
	struct psrp_defrag d;
	wrsh_err err;
	memset(s, 0, sizeof(*s));
	s->hash = 2166136261u;
	s->err = &e;
	s->no_pipeline = no_pipeline;
	sink.ctx = s;
	psrp_msg_reader_init(&r, &sink, PSRP_TO_CLIENT, &e);
	psrp_defrag_init(&d, &r.obj, &e);
	d.max_message = 1u << 20;
	err = psrp_defrag_push(&d, p, cut);
	if (!err)
		err = psrp_defrag_push(&d, p + cut, n - cut);
	if (err && !e.msg[0])
		__builtin_trap(); /* every error says why */
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct story a, b;
	wrsh_err ea, eb;
	if (size < 1)
		return 0;
	ea = run(data + 1, size - 1, 0, data[0] & 0x80, &a);
	eb = run(data + 1, size - 1, data[0] % size, data[0] & 0x80, &b);
	/* the same events up to the first error; the same verdict */
	if (ea != eb || (!ea && (a.hash != b.hash || a.begins != b.begins || a.ends != b.ends)))
		__builtin_trap();
	return 0;
}
