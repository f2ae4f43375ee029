#include <string.h>

#include "psrp/message.h"
#include "util/bytes.h"

static const struct {
	uint32_t type;
	const char *name;
} names[] = {
	{PSRP_SESSION_CAPABILITY, "SESSION_CAPABILITY"},
	{PSRP_INIT_RUNSPACEPOOL, "INIT_RUNSPACEPOOL"},
	{PSRP_PUBLIC_KEY, "PUBLIC_KEY"},
	{PSRP_ENCRYPTED_SESSION_KEY, "ENCRYPTED_SESSION_KEY"},
	{PSRP_PUBLIC_KEY_REQUEST, "PUBLIC_KEY_REQUEST"},
	{PSRP_CONNECT_RUNSPACEPOOL, "CONNECT_RUNSPACEPOOL"},
	{PSRP_RUNSPACEPOOL_INIT_DATA, "RUNSPACEPOOL_INIT_DATA"},
	{PSRP_RESET_RUNSPACE_STATE, "RESET_RUNSPACE_STATE"},
	{PSRP_SET_MAX_RUNSPACES, "SET_MAX_RUNSPACES"},
	{PSRP_SET_MIN_RUNSPACES, "SET_MIN_RUNSPACES"},
	{PSRP_RUNSPACE_AVAILABILITY, "RUNSPACE_AVAILABILITY"},
	{PSRP_RUNSPACEPOOL_STATE, "RUNSPACEPOOL_STATE"},
	{PSRP_CREATE_PIPELINE, "CREATE_PIPELINE"},
	{PSRP_GET_AVAILABLE_RUNSPACES, "GET_AVAILABLE_RUNSPACES"},
	{PSRP_USER_EVENT, "USER_EVENT"},
	{PSRP_APPLICATION_PRIVATE_DATA, "APPLICATION_PRIVATE_DATA"},
	{PSRP_GET_COMMAND_METADATA, "GET_COMMAND_METADATA"},
	{PSRP_RUNSPACEPOOL_HOST_CALL, "RUNSPACEPOOL_HOST_CALL"},
	{PSRP_RUNSPACEPOOL_HOST_RESPONSE, "RUNSPACEPOOL_HOST_RESPONSE"},
	{PSRP_PIPELINE_INPUT, "PIPELINE_INPUT"},
	{PSRP_END_OF_PIPELINE_INPUT, "END_OF_PIPELINE_INPUT"},
	{PSRP_PIPELINE_OUTPUT, "PIPELINE_OUTPUT"},
	{PSRP_ERROR_RECORD, "ERROR_RECORD"},
	{PSRP_PIPELINE_STATE, "PIPELINE_STATE"},
	{PSRP_DEBUG_RECORD, "DEBUG_RECORD"},
	{PSRP_VERBOSE_RECORD, "VERBOSE_RECORD"},
	{PSRP_WARNING_RECORD, "WARNING_RECORD"},
	{PSRP_PROGRESS_RECORD, "PROGRESS_RECORD"},
	{PSRP_INFORMATION_RECORD, "INFORMATION_RECORD"},
	{PSRP_PIPELINE_HOST_CALL, "PIPELINE_HOST_CALL"},
	{PSRP_PIPELINE_HOST_RESPONSE, "PIPELINE_HOST_RESPONSE"},
};

const char *psrp_type_name(uint32_t type)
{
	size_t i;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == type)
			return names[i].name;
	return NULL;
}

/* .NET order <-> text order: the same swap both ways */
void psrp_guid_from_text_order(const uint8_t t[16], uint8_t out[16])
{
	static const uint8_t map[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
	uint8_t tmp[16];
	int i;
	for (i = 0; i < 16; i++)
		tmp[i] = t[map[i]];
	memcpy(out, tmp, 16);
}

void psrp_guid_format(const uint8_t g[16], char out[GUID_STR_LEN + 1])
{
	uint8_t t[16];
	psrp_guid_from_text_order(g, t);
	guid_format(t, out);
}

void psrp_msg_head_write(uint8_t out[PSRP_MSG_HEAD], uint32_t destination, uint32_t type,
			 const uint8_t rpid[16], const uint8_t pid[16])
{
	put_le32(out, destination);
	put_le32(out + 4, type);
	memcpy(out + 8, rpid, 16);
	memcpy(out + 24, pid, 16);
}

static bool pipeline_type(uint32_t type)
{
	return (type & 0xFFFF0000u) == 0x00040000u;
}

/* "psrp: a PIPELINE_OUTPUT message <what> (PID <got>[, ours <want>])" */
static wrsh_err bad_ids(const struct psrp_msg_head *h, const char *what, const uint8_t *got,
			const uint8_t *want, struct errbuf *e)
{
	const char *name = psrp_type_name(h->type);
	char g[GUID_STR_LEN + 1], w[GUID_STR_LEN + 1];
	psrp_guid_format(got, g);
	if (want)
		psrp_guid_format(want, w);
	return err_set(e, WRSH_EPSRP, "psrp: a ", name ? name : "pipeline", " message ", what,
		       got == h->rpid ? " (RPID " : " (PID ", g, want ? ", ours " : "",
		       want ? w : "", ")", NULL);
}

wrsh_err psrp_msg_check_ids(const struct psrp_msg_head *h, const uint8_t rpid[16],
			    const uint8_t *pid, struct errbuf *e)
{
	static const uint8_t nil[16];
	if (memcmp(h->rpid, rpid, 16) != 0 && memcmp(h->rpid, nil, 16) != 0)
		return bad_ids(h, "for another runspace pool", h->rpid, rpid, e);
	if (!pipeline_type(h->type))
		return memcmp(h->pid, nil, 16) == 0
			       ? WRSH_OK
			       : bad_ids(h, "of the pool names a pipeline", h->pid, NULL, e);
	if (!pid)
		return bad_ids(h, "while no pipeline runs", h->pid, NULL, e);
	return memcmp(h->pid, pid, 16) == 0 ? WRSH_OK
					    : bad_ids(h, "for another pipeline", h->pid, pid, e);
}

/* ---- reader: sits on the fragment reader's object sink ------------------ */

static wrsh_err obj_begin(void *ctx, uint64_t object_id)
{
	struct psrp_msg_reader *r = ctx;
	r->head.object_id = object_id;
	r->have = 0;
	r->begun = false;
	return WRSH_OK;
}

/* The header (and where the data begins, past a BOM) once enough is in;
 * `final`: the message ended, take what there is. */
static wrsh_err start(struct psrp_msg_reader *r, bool final)
{
	static const uint8_t bom[3] = {0xef, 0xbb, 0xbf};
	size_t data = r->have - PSRP_MSG_HEAD, skip;
	wrsh_err e;
	/* a data part shorter than a BOM may still be the start of one */
	if (!final && data < 3 && memcmp(r->buf + PSRP_MSG_HEAD, bom, data) == 0)
		return WRSH_OK;
	r->head.destination = get_le32(r->buf);
	r->head.type = get_le32(r->buf + 4);
	memcpy(r->head.rpid, r->buf + 8, 16);
	memcpy(r->head.pid, r->buf + 24, 16);
	if (r->head.destination != PSRP_TO_CLIENT && r->head.destination != PSRP_TO_SERVER)
		return err_set(r->err, WRSH_EPSRP, "psrp: message with an unknown destination",
			       NULL);
	if (r->expect_dest && r->head.destination != r->expect_dest)
		return err_set(r->err, WRSH_EPSRP, "psrp: a message addressed to the other side",
			       NULL);
	r->begun = true;
	if ((e = r->sink->begin(r->sink->ctx, &r->head)))
		return e;
	skip = data >= 3 && memcmp(r->buf + PSRP_MSG_HEAD, bom, 3) == 0 ? 3 : 0;
	return data > skip ? r->sink->data(r->sink->ctx, r->buf + PSRP_MSG_HEAD + skip, data - skip)
			   : WRSH_OK;
}

static wrsh_err obj_data(void *ctx, const uint8_t *p, size_t n)
{
	struct psrp_msg_reader *r = ctx;
	wrsh_err e;
	if (!r->begun) {
		size_t k = sizeof(r->buf) - r->have;
		k = k < n ? k : n;
		memcpy(r->buf + r->have, p, k);
		r->have = (uint8_t)(r->have + k);
		p += k, n -= k;
		if (r->have < PSRP_MSG_HEAD)
			return WRSH_OK;
		if ((e = start(r, false)) || !r->begun)
			return e;
	}
	return n ? r->sink->data(r->sink->ctx, p, n) : WRSH_OK;
}

static wrsh_err obj_end(void *ctx)
{
	struct psrp_msg_reader *r = ctx;
	wrsh_err e;
	if (!r->begun) {
		if (r->have < PSRP_MSG_HEAD)
			return err_set(r->err, WRSH_EPSRP, "psrp: message shorter than its header",
				       NULL);
		if ((e = start(r, true)))
			return e;
	}
	return r->sink->end(r->sink->ctx);
}

void psrp_msg_reader_init(struct psrp_msg_reader *r, const struct psrp_msg_sink *sink,
			  uint32_t expect_dest, struct errbuf *e)
{
	memset(r, 0, sizeof(*r));
	r->sink = sink;
	r->err = e;
	r->expect_dest = expect_dest;
	r->obj.begin = obj_begin;
	r->obj.data = obj_data;
	r->obj.end = obj_end;
	r->obj.ctx = r;
}
