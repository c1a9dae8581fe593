/* SPDX-License-Identifier: MIT */
/*
 * The peer for bench/harness-overhead.sh: cpu.primes' own code, called
 * directly in a plain process, with no agent, no protocol and no supervisor.
 * Prints one elapsed time per repetition.
 * usage: primes-direct LIMIT THREADS REPS
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/util.h"
#include "virtbench/workload.h"

int main(int argc, char **argv)
{
	uint64_t limit, threads, reps;
	if (argc != 4 || vb_parse_u64(argv[1], &limit) || vb_parse_u64(argv[2], &threads) ||
	    vb_parse_u64(argv[3], &reps)) {
		fprintf(stderr, "usage: primes-direct LIMIT THREADS REPS\n");
		return 2;
	}
	const struct vb_workload_ops *w = vb_workload_find("cpu.primes");
	_cleanup_free_ void *opts = xcalloc(1, w->opts_size);
	struct vb_error *err = NULL;
	vb_options_defaults(w, VB_PROFILE_QUICK, opts);
	if (vb_option_set(w, vb_workload_option(w, "limit"), limit, opts, &err) ||
	    vb_option_set(w, vb_workload_option(w, "threads"), threads, opts, &err)) {
		fprintf(stderr, "primes-direct: %s\n", err->msg);
		return 2;
	}
	struct vb_workload_ctx ctx = { 0 };
	double values[8];
	for (uint64_t i = 0; i < reps; i++) {
		if (w->run(&ctx, opts, values, &err)) {
			fprintf(stderr, "primes-direct: %s\n", err->msg);
			return 1;
		}
		printf("%.9f\n", values[0]);
	}
	return 0;
}
