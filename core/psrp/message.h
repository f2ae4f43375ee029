/*
 * PSRP messages (MS-PSRP 2.2.1): a 40-byte little-endian header, then the
 * data, CLIXML in UTF-8 (a byte order mark may lead):
 *
 *   Destination (4: 1 client, 2 server) | MessageType (4) | RPID (16) | PID (16) | data
 *
 * RPID and PID are GUIDs in .NET byte order (Guid.ToByteArray: the first
 * three fields little-endian). The reader sits on a fragment reader's
 * object sink and passes the data on in pieces, the header parsed first.
 */
#ifndef WRSH_PSRP_MESSAGE_H
#define WRSH_PSRP_MESSAGE_H

#include "psrp/fragment.h"
#include "util/guid.h"

#define PSRP_MSG_HEAD 40
#define PSRP_TO_CLIENT 1u
#define PSRP_TO_SERVER 2u

/* MS-PSRP 2.2.1 message types */
enum psrp_type {
	PSRP_SESSION_CAPABILITY = 0x00010002,
	PSRP_INIT_RUNSPACEPOOL = 0x00010004,
	PSRP_PUBLIC_KEY = 0x00010005,
	PSRP_ENCRYPTED_SESSION_KEY = 0x00010006,
	PSRP_PUBLIC_KEY_REQUEST = 0x00010007,
	PSRP_CONNECT_RUNSPACEPOOL = 0x00010008,
	PSRP_RUNSPACEPOOL_INIT_DATA = 0x0002100B,
	PSRP_RESET_RUNSPACE_STATE = 0x0002100C,
	PSRP_SET_MAX_RUNSPACES = 0x00021002,
	PSRP_SET_MIN_RUNSPACES = 0x00021003,
	PSRP_RUNSPACE_AVAILABILITY = 0x00021004,
	PSRP_RUNSPACEPOOL_STATE = 0x00021005,
	PSRP_CREATE_PIPELINE = 0x00021006,
	PSRP_GET_AVAILABLE_RUNSPACES = 0x00021007,
	PSRP_USER_EVENT = 0x00021008,
	PSRP_APPLICATION_PRIVATE_DATA = 0x00021009,
	PSRP_GET_COMMAND_METADATA = 0x0002100A,
	PSRP_RUNSPACEPOOL_HOST_CALL = 0x00021100,
	PSRP_RUNSPACEPOOL_HOST_RESPONSE = 0x00021101,
	PSRP_PIPELINE_INPUT = 0x00041002,
	PSRP_END_OF_PIPELINE_INPUT = 0x00041003,
	PSRP_PIPELINE_OUTPUT = 0x00041004,
	PSRP_ERROR_RECORD = 0x00041005,
	PSRP_PIPELINE_STATE = 0x00041006,
	PSRP_DEBUG_RECORD = 0x00041007,
	PSRP_VERBOSE_RECORD = 0x00041008,
	PSRP_WARNING_RECORD = 0x00041009,
	PSRP_PROGRESS_RECORD = 0x00041010,
	PSRP_INFORMATION_RECORD = 0x00041011,
	PSRP_PIPELINE_HOST_CALL = 0x00041100,
	PSRP_PIPELINE_HOST_RESPONSE = 0x00041101
};

struct psrp_msg_head {
	uint64_t object_id;
	uint32_t destination, type;
	uint8_t rpid[16], pid[16]; /* as on the wire (.NET order) */
};

struct psrp_msg_sink {
	wrsh_err (*begin)(void *ctx, const struct psrp_msg_head *h);
	wrsh_err (*data)(void *ctx, const uint8_t *p, size_t n); /* CLIXML, no BOM */
	wrsh_err (*end)(void *ctx);
	void *ctx;
};

struct psrp_msg_reader {
	const struct psrp_msg_sink *sink;
	struct errbuf *err;
	struct psrp_obj_sink obj; /* give this to psrp_defrag_init */
	struct psrp_msg_head head;
	uint8_t buf[PSRP_MSG_HEAD + 3]; /* the header and a possible BOM */
	uint8_t have;
	bool begun;
	uint32_t expect_dest; /* 0: either */
};

void psrp_msg_reader_init(struct psrp_msg_reader *r, const struct psrp_msg_sink *sink,
			  uint32_t expect_dest, struct errbuf *e);

/* Write a header into out[PSRP_MSG_HEAD]. */
void psrp_msg_head_write(uint8_t out[PSRP_MSG_HEAD], uint32_t destination, uint32_t type,
			 const uint8_t rpid[16], const uint8_t pid[16]);
/* Whether a message names the right pool and pipeline (MS-PSRP 2.2.1): a
 * pool's message (types 0x0001xxxx, 0x0002xxxx) the nil PID, a pipeline's
 * (0x0004xxxx) the PID of the pipeline running, pid (NULL: none runs);
 * the RPID ours, or nil as a SESSION_CAPABILITY may have it. Errors:
 * WRSH_EPSRP, naming the message and the ids. */
wrsh_err psrp_msg_check_ids(const struct psrp_msg_head *h, const uint8_t rpid[16],
			    const uint8_t *pid, struct errbuf *e);
/* The spec's name of a message type ("PIPELINE_OUTPUT"), or NULL. */
const char *psrp_type_name(uint32_t type);
/* A .NET-order GUID as text (what PowerShell shows), and back. */
void psrp_guid_format(const uint8_t g[16], char out[GUID_STR_LEN + 1]);
void psrp_guid_from_text_order(const uint8_t text_order[16], uint8_t out[16]);

#endif
