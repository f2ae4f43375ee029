/*
 * File transfer over PSRP (wrsh.h's wrsh_put, wrsh_get): the scripts that
 * run on the host (script.c) and the reading of what they print (xfer.c):
 * control lines ("!..." strings) and base64 data strings, parsed as they
 * stream; put.c and get.c drive one file each.
 */
#ifndef WRSH_XFER_H
#define WRSH_XFER_H

#include "crypto/crypto.h"
#include "util/base64.h"
#include "util/str.h"
#include "wrsh.h"

#define XFER_LINE_MAX (WRSH_XFER_NAME_MAX + 96) /* a control line: words and a path */
#define XFER_WHY_MAX 200			/* the first error record's text */

/* script.c: the scripts with the caller's values quoted in */
size_t xfer_script_max(size_t values_len);
void xfer_script_put(struct sbuf *b, const char *remote, const char *leaf, bool open,
		     unsigned flags);
void xfer_script_put_abort(struct sbuf *b);
void xfer_script_get(struct sbuf *b, const char *remote, bool tree, uint64_t at,
		     const char *prefix_hex, size_t chunk);
void xfer_script_mkdir(struct sbuf *b, const char *remote);

struct xfer_rx;
/* a whole control line (NUL-terminated, without its "!"); data bytes */
typedef wrsh_err (*xfer_line_fn)(struct xfer_rx *r, char *line);
typedef wrsh_err (*xfer_data_fn)(struct xfer_rx *r, const uint8_t *p, size_t n);

/* What the running script printed, as it streams in. A local failure in a
 * callback is kept in err (the rest is ignored) rather than returned into
 * the Receive, so that the session stays usable to stop the pipeline. */
/* Local bytes read at a time to hash a partial copy for a resume (from the
 * arena while it lasts). */
#define XFER_READ_BUF 4096

struct xfer_rx {
	struct wrsh_session *s;
	xfer_line_fn line;
	xfer_data_fn data;
	void *ctx;
	enum { RX_NONE, RX_LINE, RX_DATA } kind;
	bool want_line; /* stop receiving once a line is in (put's !ready) */
	bool got_line;
	char buf[XFER_LINE_MAX];
	size_t n;
	struct b64_dec dec;
	uint8_t out[768];
	char why[XFER_WHY_MAX];
	size_t why_n;
	bool why_done;
	wrsh_err err; /* the first local or protocol failure, with msg */
	char msg[160];
	bool done;
	enum wrsh_ps_state state;
};

void xfer_rx_init(struct xfer_rx *r, struct wrsh_session *s, xfer_line_fn line, xfer_data_fn data,
		  void *ctx);
/* The sink that reads into r (what xfer_receive gives wrsh_ps_receive). */
void xfer_rx_sink(struct xfer_rx *r, struct wrsh_ps_sink *sink);
/* For the fuzz target and tests: what a get makes of n output strings
 * (each one delivered in two pieces, cut at cut[i]) with these flags;
 * io as for wrsh_get. Returns the error the get would keep. */
wrsh_err xfer_get_replay(void *mem, struct wrsh_session *s, const char *const *str,
			 const size_t *len, const size_t *cut, size_t n, unsigned flags,
			 const struct wrsh_xfer_io *io);
/* The bytes of mem xfer_get_replay works in (a get's state: its caller's,
 * off the library's stack). */
size_t xfer_get_replay_mem(void);
/* Receives until the pipeline ends, a failure is kept, or (want_line) a
 * control line has come. */
wrsh_err xfer_receive(struct xfer_rx *r);
/* Keep the first failure: code and message ("xfer: ..."). */
wrsh_err xfer_fail(struct xfer_rx *r, wrsh_err e, const char *a, const char *b);
/* "!err KIND MESSAGE" (rest: what follows "err ") as WRSH_EFILE, with a
 * message for wrsh_errmsg. */
wrsh_err xfer_remote_error(struct xfer_rx *r, const char *op, char *rest);
/* That KIND MESSAGE as people read it ("access denied: ...") into out. */
void xfer_why(char *out, size_t cap, char *rest);
/* Start a script (the arena holds it while it is sent). */
wrsh_err xfer_start(struct wrsh_session *s, const struct sbuf *script, unsigned flags);
/* Stop the pipeline and read it to its end, all output dropped. */
void xfer_stop(struct xfer_rx *r);
/* The session's error for what r keeps. */
wrsh_err xfer_report(struct xfer_rx *r, wrsh_err e);
void xfer_hex(const uint8_t h[32], char out[65]);
/* The next space-separated word of *p, NUL-terminated in place. */
char *xfer_word(char **p);

#endif
