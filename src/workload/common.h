/* SPDX-License-Identifier: MIT */
#ifndef VB_WORKLOAD_COMMON_H
#define VB_WORKLOAD_COMMON_H

#include <stdint.h>
#include <signal.h>
#include <time.h>

#include "virtbench/workload.h"

/* Monotonic seconds, for timing a workload's measured region. */
static inline double vb_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * Aggressors: sleep in 10 ms ticks until duration_ms have passed since t0
 * (0 = forever) or *stop is set.
 */
static inline void vb_wait_duration(uint64_t duration_ms, volatile sig_atomic_t *stop, double t0)
{
	double end = t0 + (double)duration_ms / 1000.0;
	for (;;) {
		double now = vb_now();
		if ((duration_ms && now >= end) || (stop && *stop))
			return;
		double left = duration_ms ? end - now : 1.0;
		double nap = left < 0.010 ? left : 0.010;
		struct timespec ts = { 0, (long)(nap * 1e9) };
		nanosleep(&ts, NULL);
	}
}

/* Aggressors: duration_ms=0 means "until stopped", refused where nothing can stop the run. */
static inline int vb_check_duration(const char *who, uint64_t duration_ms,
				    const struct vb_workload_ctx *ctx, struct vb_error **err)
{
	if (duration_ms == 0 && !ctx->stop)
		return vb_error_set(
		    err, -EINVAL,
		    "%s: duration_ms=0 runs until stopped, and this run has no stop "
		    "signal",
		    who);
	return 0;
}

#define VB_KIB ((uint64_t)1 << 10)
#define VB_MIB ((uint64_t)1 << 20)
#define VB_GIB ((uint64_t)1 << 30)

#endif
