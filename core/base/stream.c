/* Whole buffers over a port's stream (see stream.h). */
#include "stream.h"

wrsh_err stream_send_all(const struct wrsh_port *t, const uint8_t *p, size_t n, uint32_t ms)
{
	size_t k;
	wrsh_err r;
	for (; n; p += k, n -= k)
		if ((r = t->send(t->ctx, p, n, &k, ms)))
			return r;
	return WRSH_OK;
}

wrsh_err stream_recv_all(const struct wrsh_port *t, uint8_t *p, size_t n, uint32_t ms)
{
	size_t k;
	wrsh_err r;
	for (; n; p += k, n -= k) {
		if ((r = t->recv(t->ctx, p, n, &k, ms, 0)))
			return r;
		if (!k)
			return WRSH_ECLOSED;
	}
	return WRSH_OK;
}
