/*
 * A minimal test harness: tests are void functions run by RUN(); a failed
 * CHECK prints file:line and marks the current test failed but keeps going,
 * so one run shows every broken assertion. The runner ends with the line
 * "N passed, N failed" and exits non-zero on any failure.
 */
#ifndef WRSH_HARNESS_H
#define WRSH_HARNESS_H

#include <stdio.h>
#include <string.h>

extern int harness_failed_checks;
extern int harness_passed, harness_failed;
extern const char *harness_filter;

#define CHECK(c)                                                                              \
	do {                                                                                  \
		if (!(c)) {                                                                   \
			harness_failed_checks++;                                              \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); \
		}                                                                             \
	} while (0)

#define CHECK_EQ(a, b)                                                                      \
	do {                                                                                \
		long long ha_ = (long long)(a), hb_ = (long long)(b);                       \
		if (ha_ != hb_) {                                                           \
			harness_failed_checks++;                                            \
			fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, \
				__LINE__, #a, #b, ha_, hb_);                                \
		}                                                                           \
	} while (0)

#define CHECK_MEM(p, n, q, m)                                                             \
	do {                                                                              \
		size_t hn_ = (size_t)(n), hm_ = (size_t)(m);                              \
		if (hn_ != hm_ || memcmp((p), (q), hn_) != 0) {                           \
			harness_failed_checks++;                                          \
			fprintf(stderr, "%s:%d: %s != %s (%zu vs %zu bytes)\n", __FILE__, \
				__LINE__, #p, #q, hn_, hm_);                              \
		}                                                                         \
	} while (0)

#define CHECK_STR(p, s) CHECK_MEM(p, strlen(p), s, strlen(s))

#define RUN(fn) harness_run(#fn, fn)

void harness_run(const char *name, void (*fn)(void));
int harness_main(int argc, char **argv, void (*suites)(void));

#endif
