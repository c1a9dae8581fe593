/* SPDX-License-Identifier: MIT */
#include <fcntl.h>

#include "agent/agent.h"
#include "cli/cli.h"
#include "core/util.h"

/*
 * `virtbench agent`: the options are checked on the table, then the
 * agent's own entry point serves with them (the static virtbench-agent
 * shares it, and reads the same options without the CLI layer).
 */
int vb_cmd_agent(int argc, char **argv)
{
	bool relay = false;
	struct vb_cli_parser p;
	int c, r = 0;
	vb_cli_parser_init(&p, VB_VERB_AGENT, argc, argv);
	while (!r && (c = vb_cli_next(&p)) > 0) {
		switch (c) {
		case VB_CLI_FD:
			if (fcntl((int)p.u, F_GETFD) < 0)
				r = vb_cli_usage_error("agent", "--fd %s is not an open descriptor",
						       p.arg);
			break;
		case VB_CLI_RELAY:
			relay = true;
			break;
		case VB_CLI_SYNC:
		case VB_CLI_PEER:
			break;
		default:
			VB_BUG("agent: option %d from the table not handled", c);
		}
	}
	vb_cli_parser_release(&p);
	if (r)
		return r;
	if (c < 0)
		return p.exit;
	/* --relay PORT CONSOLE [LABEL]; otherwise no operand. */
	int operands = argc - p.optind, most = relay ? 2 : 0;
	if (relay && operands < 1)
		return vb_cli_usage_error("agent", "--relay wants the guest's CONSOLE after PORT");
	if (operands > most)
		return vb_cli_unexpected(VB_VERB_AGENT, argv[p.optind + most]);
	return vb_agent_main(argc, argv);
}
