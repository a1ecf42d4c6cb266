/*
 * check.h - the unit tests' assertions.  Each CHECK compares a computed
 * value with an expected one and reports both on mismatch; the program
 * ends with "N passed, N failed" and exits non-zero if anything failed.
 */
#ifndef REPLAY_TEST_CHECK_H
#define REPLAY_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static unsigned check_passed, check_failed;

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (cond) {                                                            \
			check_passed++;                                                \
		} else {                                                               \
			check_failed++;                                                \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                      \
	} while (0)

#define CHECK_INT(got, want)                                                           \
	do {                                                                           \
		int64_t g_ = (int64_t)(got), w_ = (int64_t)(want);                     \
		if (g_ == w_) {                                                        \
			check_passed++;                                                \
		} else {                                                               \
			check_failed++;                                                \
			fprintf(stderr, "%s:%d: %s == %" PRId64 " (0x%" PRIx64 "), want %" PRId64 \
				" (0x%" PRIx64 ")\n", __FILE__, __LINE__, #got, g_, (uint64_t)g_, \
				w_, (uint64_t)w_);                                     \
		}                                                                      \
	} while (0)

#define CHECK_STR(got, want)                                                           \
	do {                                                                           \
		const char *g_ = (got), *w_ = (want);                                  \
		if (g_ && w_ && strcmp(g_, w_) == 0) {                                 \
			check_passed++;                                                \
		} else {                                                               \
			check_failed++;                                                \
			fprintf(stderr, "%s:%d: %s == \"%s\", want \"%s\"\n", __FILE__,        \
				__LINE__, #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");       \
		}                                                                      \
	} while (0)

static inline int check_report(void)
{
	printf("%u passed, %u failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
