#include <stdarg.h>
#include <string.h>

#include "base/err.h"
#include "util/str.h"

wrsh_err err_set(struct errbuf *e, wrsh_err code, ...)
{
	struct sbuf b;
	const char *piece;
	va_list ap;
	if (e->code != WRSH_OK || code == WRSH_OK)
		return code;
	e->code = code;
	sb_init(&b, e->msg, sizeof(e->msg));
	va_start(ap, code);
	while ((piece = va_arg(ap, const char *)) != NULL) {
		size_t room = b.cap - b.len;
		size_t n = strlen(piece);
		sb_put(&b, piece, n < room ? n : room); /* truncate, never drop */
	}
	va_end(ap);
	sb_cstr(&b);
	return code;
}

void err_clear(struct errbuf *e)
{
	e->code = WRSH_OK;
	e->msg[0] = 0;
}

const char *err_num(char t[21], uint64_t v)
{
	struct sbuf b;
	sb_init(&b, t, 21);
	sb_put_u64(&b, v);
	return sb_cstr(&b);
}

static const char *const names[WRSH_ERR_COUNT] = {
	[WRSH_OK] = "success",
	[WRSH_EINVAL] = "invalid argument",
	[WRSH_ENOMEM] = "arena exhausted",
	[WRSH_ELIMIT] = "configured limit exceeded",
	[WRSH_EIO] = "I/O error",
	[WRSH_ETIMEDOUT] = "timed out",
	[WRSH_ECLOSED] = "connection closed by peer",
	[WRSH_ETLS] = "TLS failure",
	[WRSH_ECERT] = "certificate rejected",
	[WRSH_EHTTP] = "HTTP error",
	[WRSH_EAUTH] = "authentication failed",
	[WRSH_EINTEGRITY] = "message integrity check failed",
	[WRSH_EXML] = "malformed XML",
	[WRSH_EFAULT] = "server fault",
	[WRSH_EPSRP] = "PowerShell Remoting protocol error",
	[WRSH_ESTATE] = "invalid state for this call",
	[WRSH_EPROTO] = "protocol violation",
	[WRSH_EUNSUPPORTED] = "not supported",
	[WRSH_EINTR] = "interrupted",
	[WRSH_EFILE] = "remote file error",
};

/* see wrsh.h */
const char *wrsh_strerror(wrsh_err err)
{
	return (unsigned)err < WRSH_ERR_COUNT ? names[err] : "unknown error";
}
