/* The arena (see wrsh.h for the public half). */
#ifndef WRSH_MEM_H
#define WRSH_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "wrsh.h"

#ifdef WRSH_TESTING
/* Test hook: let n more allocations succeed, then fail them all (n < 0: never
 * fail). Used by the allocation-failure sweeps (expat's alloc_tests idea).
 * Only in the test build of this file (the Makefile's MEM_TEST_OBJ): the
 * library that ships has neither the hook nor the check in every alloc. */
void mem_fail_after(struct wrsh_arena *a, long n);
#endif

/* Start a new high-water measurement from the current extent. */
void mem_reset_peak(struct wrsh_arena *a);

#endif
