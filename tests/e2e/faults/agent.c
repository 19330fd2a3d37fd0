// SPDX-License-Identifier: GPL-2.0
/*
 * agent: a kmdump requester driven by lines on stdin, one answer line each on
 * stdout (the commands are in agent.h). Shell tests run it as a coprocess,
 * as the user they want (setpriv), in the cgroup they want.
 */
#include <stdio.h>

#include "agent.h"

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	return agent_serve(stdin, stdout);
}
