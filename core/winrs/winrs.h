/*
 * WinRS, the Windows Remote Shell over WS-Man (MS-WSMV 3.1.4.1.31): request
 * writers for Create, Command, Send, Receive, Signal and Delete of the cmd
 * shell, and one body consumer for their responses. Stream text is decoded
 * as it arrives and handed to the caller's sink: nothing is buffered.
 */
#ifndef WRSH_WINRS_H
#define WRSH_WINRS_H

#include "util/base64.h"
#include "wsman/wsman.h"

#define WINRS_URI "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
#define WINRS_NS "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
#define WINRS_ID_MAX WRSH_SHELL_ID_MAX /* ShellId and CommandId, with the NUL */

struct winrs_shell_cfg {
	const char *workdir;
	const char *const *env; /* "NAME=VALUE" */
	size_t nenv;
	uint32_t codepage;
	bool profile; /* load the user profile (WINRS_NOPROFILE off) */
	uint32_t idle_timeout_s;
};

enum winrs_signal { WINRS_CTRL_C, WINRS_TERMINATE, WINRS_CTRL_BREAK };

/* Which shell a request goes to: its resource URI (WinRS cmd, or a
 * PowerShell configuration's), its id, the command's id (NULL: the shell's
 * own streams, as PSRP's pool messages), the OperationTimeout. */
struct winrs_to {
	const char *uri, *shell_id, *cmd_id;
	uint32_t op_ms;
};
/* A body written in place inside its element (base64 of stdin, PSRP's
 * fragments). */
typedef void (*winrs_body_fn)(struct sbuf *b, const void *ctx);

/* The requests of any shell, the parts in which cmd and a PowerShell pool
 * differ as parameters: Command with a CommandId the client chose and its
 * Arguments written by body (PSRP's CREATE_PIPELINE); Send on a named
 * stream; Receive of the named streams; Signal with a code URI. */
void winrs_write_command_to(struct sbuf *b, struct wsman_ctx *w, const struct winrs_to *t,
			    winrs_body_fn args, const void *ctx);
void winrs_write_send_to(struct sbuf *b, struct wsman_ctx *w, const struct winrs_to *t,
			 const char *stream, bool eof, winrs_body_fn body, const void *ctx);
void winrs_write_receive_to(struct sbuf *b, struct wsman_ctx *w, const struct winrs_to *t,
			    const char *streams);
void winrs_write_signal_to(struct sbuf *b, struct wsman_ctx *w, const struct winrs_to *t,
			   const char *code);

/* cmd's, on those. Each writes a whole envelope; w->message_id must be fresh. */
void winrs_write_create(struct sbuf *b, struct wsman_ctx *w, const struct winrs_shell_cfg *c,
			uint32_t op_ms);
void winrs_write_command(struct sbuf *b, struct wsman_ctx *w, const char *shell_id,
			 const char *command, const char *const *args, size_t nargs,
			 uint32_t op_ms);
/* Writes stdin as base64 straight into b. */
void winrs_write_send(struct sbuf *b, struct wsman_ctx *w, const char *shell_id, const char *cmd_id,
		      const void *data, size_t len, bool eof, uint32_t op_ms);
void winrs_write_receive(struct sbuf *b, struct wsman_ctx *w, const char *shell_id,
			 const char *cmd_id, uint32_t op_ms);
void winrs_write_signal(struct sbuf *b, struct wsman_ctx *w, const char *shell_id,
			const char *cmd_id, enum winrs_signal sig, uint32_t op_ms);
void winrs_write_delete(struct sbuf *b, struct wsman_ctx *w, const char *uri, const char *shell_id,
			uint32_t op_ms);

typedef wrsh_err (*winrs_out_fn)(void *ctx, int stream, const void *buf, size_t len);

/* The state of one response being consumed. */
struct winrs_parse {
	/* Create / Command: the id the server chose */
	char id[WINRS_ID_MAX];
	size_t id_n;
	bool id_seen, id_cut;
	bool in_shell_selector;
	/* Receive */
	winrs_out_fn out;
	void *out_ctx;
	const char *cmd_id;
	int stream; /* 1 stdout, 2 stderr, 0 ignore */
	struct b64_dec dec;
	bool done, have_exit;
	uint32_t exit_code;
	char exit_txt[24];
	size_t exit_n;
	struct errbuf *err;
};

void winrs_parse_init(struct winrs_parse *p, struct errbuf *err);
void winrs_consumer(struct xml_consumer *c, struct winrs_parse *p);

#endif
