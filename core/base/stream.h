/*
 * Whole buffers over a port's stream, whose send and recv may move fewer
 * bytes than asked (a KDC's and a nameserver's TCP framing need both).
 */
#ifndef WRSH_STREAM_H
#define WRSH_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "port.h"

/* All n bytes of p, each call given ms. */
wrsh_err stream_send_all(const struct wrsh_port *t, const uint8_t *p, size_t n, uint32_t ms);
/* Exactly n bytes into p; WRSH_ECLOSED when the peer ends first. */
wrsh_err stream_recv_all(const struct wrsh_port *t, uint8_t *p, size_t n, uint32_t ms);

#endif
