/* SPDX-License-Identifier: MIT */
#include "agent/agent.h"
#include "cli/cli.h"

int vb_cmd_agent(int argc, char **argv)
{
	return vb_agent_main(argc, argv);
}
