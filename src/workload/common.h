/* SPDX-License-Identifier: MIT */
#ifndef VB_WORKLOAD_COMMON_H
#define VB_WORKLOAD_COMMON_H

#include <stdint.h>
#include <time.h>

/* Monotonic seconds, for timing a workload's measured region. */
static inline double vb_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define VB_KIB ((uint64_t)1 << 10)
#define VB_MIB ((uint64_t)1 << 20)
#define VB_GIB ((uint64_t)1 << 30)

#endif
