/*
 * The hook slot (port.h) for POSIX threads: one per thread, so two sessions
 * in two threads each route expat's and mbedTLS's allocations to their own
 * arena. Its own object, so a program with another port can supply its own
 * wrsh_port_hook_slot() without pulling in the POSIX sockets.
 */
#include "port.h"

struct wrsh_hook_slot *wrsh_port_hook_slot(void)
{
	static _Thread_local struct wrsh_hook_slot slot;
	return &slot;
}
