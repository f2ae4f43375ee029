/*
 * The error message buffer of a session: "module: detail" text written at
 * the failure site, first failure wins (BearSSL's sticky error, with words).
 * Core has no printf, so messages are built from string pieces.
 */
#ifndef WRSH_ERR_H
#define WRSH_ERR_H

#include "config.h"
#include "wrsh.h"

struct errbuf {
	wrsh_err code;
	char msg[CONFIG_WRSH_ERR_MSG_LEN];
};

/* Record code and the concatenation of the NULL-terminated string pieces,
 * unless an error is already recorded. Returns code. */
wrsh_err err_set(struct errbuf *e, wrsh_err code, ...);
void err_clear(struct errbuf *e);
/* Decimal text of v in t[21]; returns t. */
const char *err_num(char t[21], uint64_t v);

#endif
