/* Builds without TLS: HTTPS is reported as not built in. */
#include "tls.h"

wrsh_err wrsh_tls_wrap(struct wrsh_port *out, struct wrsh_arena *a, const struct wrsh_port *lower,
		       const struct wrsh_tls_opts *o)
{
	(void)out, (void)a, (void)lower, (void)o;
	return WRSH_EUNSUPPORTED;
}

void wrsh_tls_release(struct wrsh_port *tls_port)
{
	(void)tls_port;
}
