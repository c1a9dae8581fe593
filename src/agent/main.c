/* SPDX-License-Identifier: MIT */
/* The static agent binary: what a container rootfs or an initramfs carries. */
#include "agent/agent.h"

int main(int argc, char **argv)
{
	return vb_agent_main(argc, argv);
}
