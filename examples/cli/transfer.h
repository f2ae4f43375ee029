/* transfer.c: what the put and get applets share */
#ifndef WRSH_CLI_TRANSFER_H
#define WRSH_CLI_TRANSFER_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"

#ifndef CONFIG_WRSH_CLI_XFER_BUF
#define CONFIG_WRSH_CLI_XFER_BUF 196608
#endif

struct xfer_progress {
	const char *name;
	double start, last;
	bool on, shown;
};

double xfer_now(void);
/* a send buffer and envelope for bulk data, and the arena they need */
void xfer_conn_opts(struct conn_opts *o);
void xfer_progress_begin(struct xfer_progress *p, const char *name, bool on);
void xfer_progress(void *ctx, uint64_t done, uint64_t total); /* a wrsh_xfer_io progress */
void xfer_progress_end(struct xfer_progress *p);
void xfer_json(const char *local, const struct wrsh_xfer *x, const char *remote, double seconds);
const char *xfer_basename(const char *path);
void xfer_leaf(const char *path, char *out, size_t cap);
int xfer_join(char *out, size_t cap, const char *a, const char *b); /* a/b; -1: too long */
int xfer_mkdirs(const char *path);
int xfer_status(wrsh_err e); /* exit status for a failed file */

#endif
