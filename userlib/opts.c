// SPDX-License-Identifier: LGPL-2.1-or-later
/* Size-carrying options (opts.h). */
#include <stdio.h>
#include <stdint.h>
#include "opts.h"

bool kmd_opts_check(const void *opts, size_t user_sz, size_t known_sz, const char *what,
		    char *msg, size_t msglen)
{
	const uint8_t *p = opts;
	size_t i;

	if (user_sz < sizeof(size_t)) {
		snprintf(msg, msglen,
			 "%s.sz is %zu: declare the struct with its initialiser macro (KMDUMP_OPTS(), KMDUMP_RESULT_INIT), which sets sz",
			 what, user_sz);
		return false;
	}
	for (i = known_sz; i < user_sz; i++) {
		if (p[i]) {
			snprintf(msg, msglen,
				 "%s sets a member this libkmdump does not know (byte %zu of %zu; the library knows %zu): link against the libkmdump the program was built with, or leave that member 0",
				 what, i, user_sz, known_sz);
			return false;
		}
	}
	return true;
}
