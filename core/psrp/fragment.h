/*
 * PSRP fragments (MS-PSRP 2.2.4): every PSRP message travels as one or more
 * fragments, each a 21-byte big-endian header and a blob:
 *
 *   ObjectId (8) | FragmentId (8) | flags (1: 0x1 start, 0x2 end) | BlobLength (4) | blob
 *
 * The reader takes the decoded stream bytes in pieces of any size and hands
 * each message's bytes on as they arrive: no message is ever held whole, so
 * a 10 MB object costs what a 10-byte one does. Fragments of one message
 * come in order and are not interleaved with another message's (true of
 * every recorded Windows stream); anything else is a protocol error.
 */
#ifndef WRSH_PSRP_FRAGMENT_H
#define WRSH_PSRP_FRAGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define PSRP_FRAG_HEAD 21
#define PSRP_FRAG_START 0x1
#define PSRP_FRAG_END 0x2
/* The largest blob one fragment may claim. Windows cuts messages into
 * fragments of 32 KB, sized to fit an envelope; no envelope a client may
 * announce (CONFIG_WRSH_WSMAN_MAX_ENVELOPE's range) holds more than this, so a
 * larger claim (a hostile 4 GiB) is refused at its header. */
#define PSRP_FRAG_BLOB_MAX ((uint32_t)1 << 24)

/* Where a reader's messages go: begin, the bytes in pieces, end. */
struct psrp_obj_sink {
	wrsh_err (*begin)(void *ctx, uint64_t object_id);
	wrsh_err (*data)(void *ctx, const uint8_t *p, size_t n);
	wrsh_err (*end)(void *ctx);
	void *ctx;
};

struct psrp_defrag {
	const struct psrp_obj_sink *sink;
	struct errbuf *err;
	uint8_t head[PSRP_FRAG_HEAD];
	uint8_t head_n;	    /* header bytes gathered */
	uint32_t blob_left; /* of the current fragment */
	bool last;	    /* the current fragment ends its message */
	bool in_msg;
	uint64_t object_id, next_fragment;
	uint64_t max_message; /* 0: unbounded (the sink streams) */
	uint64_t msg_len;
};

void psrp_defrag_init(struct psrp_defrag *d, const struct psrp_obj_sink *sink, struct errbuf *e);
/* Feed decoded stream bytes. Errors: WRSH_EPSRP (a fragment out of order,
 * of another message, or inconsistent flags), WRSH_ELIMIT (a message beyond
 * max_message, a fragment claiming more than PSRP_FRAG_BLOB_MAX), or what the
 * sink returned. */
wrsh_err psrp_defrag_push(struct psrp_defrag *d, const uint8_t *p, size_t n);
/* True between messages: nothing half read. */
bool psrp_defrag_idle(const struct psrp_defrag *d);

/* Write a fragment header into out[PSRP_FRAG_HEAD]. */
void psrp_frag_head(uint8_t out[PSRP_FRAG_HEAD], uint64_t object_id, uint64_t fragment_id,
		    unsigned flags, uint32_t blob_len);

#endif
