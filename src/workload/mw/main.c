/* SPDX-License-Identifier: MIT */
/* virtbench-mw: the middleware workloads' clients (mw.h). */
#include <stdio.h>
#include <string.h>

#include "workload/mw/mw.h"

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "broker"))
		return vb_mw_broker(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "docstore"))
		return vb_mw_docstore(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "triplestore"))
		return vb_mw_triplestore(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "worker"))
		return vb_mw_worker(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "observation") && argc == 4) {
		char buf[VB_OBS_MAX];
		vb_obs_json(vb_mw_num("seed", argv[2], 0, UINT64_MAX),
			    vb_mw_num("index", argv[3], 0, UINT64_MAX), buf);
		puts(buf);
		return 0;
	}
	fprintf(stderr, "usage: virtbench-mw broker|docstore|triplestore|worker OPTIONS, or "
			"observation SEED INDEX\n"
			"(run by virtbench's agent; docs/middleware.md)\n");
	return 2;
}
