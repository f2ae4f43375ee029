/*
 * The scripted session the session tests start from (cim_test.c,
 * ps_session_test.c, seal_test.c, session_test.c): one mock port over
 * shared buffers (tests run one at a time), a fresh arena, and Basic
 * credentials for alice over HTTP; a test changes what it needs.
 */
#ifndef WRSH_TEST_FIXTURE_H
#define WRSH_TEST_FIXTURE_H

#include "mock.h"
#include "wrsh.h"

#define FIXTURE_ARENA (256 * 1024)

/* The mock port and a fresh arena, no credentials. */
void fixture_port(struct mock_port *m, struct wrsh_port *port, struct wrsh_arena **a);
/* ... and Basic for alice, allowed unencrypted, in o. */
void fixture_basic(struct mock_port *m, struct wrsh_port *port, struct wrsh_arena **a,
		   struct wrsh_opts *o);
/* The arena's buffer, for a test that makes its own arena. */
void *fixture_arena_buf(void);

#endif
