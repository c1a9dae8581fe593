/* SPDX-License-Identifier: MIT */
/*
 * A minimal TAP producer for unit tests: each test is a function that calls
 * CHECK(...) and may SKIP(...). main() comes from TEST_MAIN(list).
 */
#ifndef VB_TEST_H
#define VB_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vb_test {
	const char *name;
	void (*fn)(void);
};

extern int vb_test_failed;
extern const char *vb_test_skip;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);          \
			vb_test_failed = 1;                                                        \
		}                                                                                  \
	} while (0)

#define CHECK_MSG(cond, ...)                                                                       \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("# %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);          \
			printf(__VA_ARGS__);                                                       \
			printf("\n");                                                              \
			vb_test_failed = 1;                                                        \
		}                                                                                  \
	} while (0)

#define CHECK_NEAR(a, b, tol)                                                                      \
	CHECK_MSG(fabs((double)(a) - (double)(b)) <= (tol), "%.10g vs %.10g (tol %g)",             \
		  (double)(a), (double)(b), (double)(tol))

#define SKIP(reason)                                                                               \
	do {                                                                                       \
		vb_test_skip = (reason);                                                           \
		return;                                                                            \
	} while (0)

#define TEST_MAIN(...)                                                                             \
	int vb_test_failed;                                                                        \
	const char *vb_test_skip;                                                                  \
	int main(void)                                                                             \
	{                                                                                          \
		static const struct vb_test tests[] = { __VA_ARGS__ };                             \
		size_t n = sizeof(tests) / sizeof(tests[0]);                                       \
		int bad = 0;                                                                       \
		printf("1..%zu\n", n);                                                             \
		for (size_t i = 0; i < n; i++) {                                                   \
			vb_test_failed = 0;                                                        \
			vb_test_skip = NULL;                                                       \
			tests[i].fn();                                                             \
			if (vb_test_skip && !vb_test_failed)                                       \
				printf("ok %zu - %s # SKIP %s\n", i + 1, tests[i].name,            \
				       vb_test_skip);                                              \
			else                                                                       \
				printf("%sok %zu - %s\n", vb_test_failed ? "not " : "", i + 1,     \
				       tests[i].name);                                             \
			bad += vb_test_failed;                                                     \
			fflush(stdout);                                                            \
		}                                                                                  \
		return bad ? 1 : 0;                                                                \
	}

#define T(fn)                                                                                      \
	{                                                                                          \
#fn, fn                                                                            \
	}

#endif
