#include <string.h>

#include "fixture.h"

static uint8_t store[2u << 20], sent[1u << 20];
static unsigned char arena_buf[FIXTURE_ARENA] __attribute__((aligned(16)));

void fixture_port(struct mock_port *m, struct wrsh_port *port, struct wrsh_arena **a)
{
	mock_init(m, port, store, sizeof(store), sent, sizeof(sent));
	*a = wrsh_arena_init(arena_buf, sizeof(arena_buf));
}

void fixture_basic(struct mock_port *m, struct wrsh_port *port, struct wrsh_arena **a,
		   struct wrsh_opts *o)
{
	fixture_port(m, port, a);
	memset(o, 0, sizeof(*o));
	o->host = "win.example";
	o->auth = WRSH_AUTH_BASIC;
	o->user = "alice";
	o->password = "Passw0rd!";
	o->allow_unencrypted = true;
}

void *fixture_arena_buf(void)
{
	return arena_buf;
}
