/* Arena: allocation, coalescing, realloc in place, peak, failure hook. */
#include <stdint.h>

#include "harness.h"
#include "base/mem.h"

static unsigned char buf[1 << 16] __attribute__((aligned(16)));

/* A fresh arena that is too small for its header is refused. */
static void test_mem_tiny_buffer_refused(void)
{
	CHECK(wrsh_arena_init(buf, 8) == NULL);
	CHECK(wrsh_arena_init(NULL, 4096) == NULL);
}

/* Blocks are aligned for any type and freeing everything returns the extent. */
static void test_mem_alloc_free_returns_all(void)
{
	struct wrsh_arena *a = wrsh_arena_init(buf + 3, sizeof(buf) - 3);
	void *p[10];
	int i;
	CHECK(a != NULL);
	for (i = 0; i < 10; i++) {
		p[i] = wrsh_arena_alloc(a, (size_t)(i * 37 + 1));
		CHECK(p[i] != NULL);
		CHECK(((uintptr_t)p[i] & 15) == 0);
	}
	for (i = 0; i < 10; i += 2)
		wrsh_arena_free(a, p[i]);
	for (i = 1; i < 10; i += 2)
		wrsh_arena_free(a, p[i]);
	CHECK_EQ(wrsh_arena_in_use(a), 0);
	/* the whole buffer is one free extent again: a near-maximal block fits */
	p[0] = wrsh_arena_alloc(a, sizeof(buf) - 1024);
	CHECK(p[0] != NULL);
}

/* Exhaustion returns NULL and leaves the arena usable. */
static void test_mem_exhaustion_is_null(void)
{
	struct wrsh_arena *a = wrsh_arena_init(buf, 4096);
	void *p = wrsh_arena_alloc(a, 3000), *q;
	CHECK(p != NULL);
	CHECK(wrsh_arena_alloc(a, 3000) == NULL);
	CHECK(wrsh_arena_alloc(a, (size_t)-1) == NULL);
	CHECK(wrsh_arena_calloc(a, (size_t)-1 / 2, 4) == NULL);
	wrsh_arena_free(a, p);
	q = wrsh_arena_alloc(a, 3000);
	CHECK(q == p);
}

/* realloc of the top block grows in place; data survives moves. */
static void test_mem_realloc_in_place_and_moving(void)
{
	struct wrsh_arena *a = wrsh_arena_init(buf, sizeof(buf));
	unsigned char *p = wrsh_arena_alloc(a, 100), *q, *r;
	int i;
	for (i = 0; i < 100; i++)
		p[i] = (unsigned char)i;
	q = wrsh_arena_realloc(a, p, 5000);
	CHECK(q == p);
	r = wrsh_arena_alloc(a, 10); /* pin the top */
	p = wrsh_arena_realloc(a, q, 9000);
	CHECK(p != q);
	for (i = 0; i < 100; i++)
		CHECK_EQ(p[i], i);
	wrsh_arena_free(a, r);
	wrsh_arena_free(a, p);
	CHECK_EQ(wrsh_arena_in_use(a), 0);
}

/* Random churn with a shadow check of every live block's contents. */
static void test_mem_random_churn_keeps_contents(void)
{
	struct wrsh_arena *a = wrsh_arena_init(buf, sizeof(buf));
	unsigned char *p[64] = {0};
	size_t n[64] = {0};
	uint32_t x = 12345;
	int i, k, bad = 0;
	for (i = 0; i < 20000; i++) {
		x = x * 1103515245u + 12345u;
		k = (int)((x >> 8) % 64);
		if (p[k] && (x & 1)) {
			size_t j;
			for (j = 0; j < n[k]; j++)
				bad += p[k][j] != (unsigned char)(k + j);
			wrsh_arena_free(a, p[k]);
			p[k] = NULL;
		} else {
			size_t want = (x >> 16) % 1500 + 1, j;
			unsigned char *q = p[k] ? wrsh_arena_realloc(a, p[k], want)
						: wrsh_arena_alloc(a, want);
			if (!q)
				continue;
			for (j = 0; j < (p[k] && n[k] < want ? n[k] : 0); j++)
				bad += q[j] != (unsigned char)(k + j);
			for (j = 0; j < want; j++)
				q[j] = (unsigned char)(k + j);
			p[k] = q;
			n[k] = want;
		}
	}
	CHECK_EQ(bad, 0);
	for (k = 0; k < 64; k++)
		wrsh_arena_free(a, p[k]);
	CHECK_EQ(wrsh_arena_in_use(a), 0);
	CHECK(wrsh_arena_peak(a) <= sizeof(buf));
}

/* The same pattern of allocations, repeated, does not raise the peak. */
static void test_mem_peak_stable_under_repetition(void)
{
	struct wrsh_arena *a = wrsh_arena_init(buf, sizeof(buf));
	size_t first = 0;
	int round, i;
	for (round = 0; round < 100; round++) {
		void *p[8];
		for (i = 0; i < 8; i++)
			p[i] = wrsh_arena_alloc(a, (size_t)(100 * (i + 1)));
		p[3] = wrsh_arena_realloc(a, p[3], 4000);
		for (i = 7; i >= 0; i -= 2)
			wrsh_arena_free(a, p[i]);
		for (i = 6; i >= 0; i -= 2)
			wrsh_arena_free(a, p[i]);
		if (round == 0)
			first = wrsh_arena_peak(a);
	}
	CHECK_EQ(wrsh_arena_peak(a), first);
}

/* The failure hook fails exactly from the n-th allocation on. */
static void test_mem_fail_after_counts(void)
{
	struct wrsh_arena *a = wrsh_arena_init(buf, sizeof(buf));
	mem_fail_after(a, 2);
	CHECK(wrsh_arena_alloc(a, 1) != NULL);
	CHECK(wrsh_arena_alloc(a, 1) != NULL);
	CHECK(wrsh_arena_alloc(a, 1) == NULL);
	mem_fail_after(a, -1);
	CHECK(wrsh_arena_alloc(a, 1) != NULL);
}

static void test_mem_wipe_zeroes(void)
{
	unsigned char s[8] = "secret!";
	wrsh_wipe(s, sizeof(s));
	CHECK_EQ(s[0] | s[3] | s[7], 0);
}

void mem_tests(void)
{
	RUN(test_mem_tiny_buffer_refused);
	RUN(test_mem_alloc_free_returns_all);
	RUN(test_mem_exhaustion_is_null);
	RUN(test_mem_realloc_in_place_and_moving);
	RUN(test_mem_random_churn_keeps_contents);
	RUN(test_mem_peak_stable_under_repetition);
	RUN(test_mem_fail_after_counts);
	RUN(test_mem_wipe_zeroes);
}
