/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Options and results that carry their size (struct kmdump_options, kmdump_result), read
 * the way libbpf reads its opts: a caller built against an older header passes a smaller
 * sz and the members it does not know read as their zero default; a caller built against
 * a newer header may pass a larger sz only if it left the members this library does not
 * know at zero.
 */
#ifndef KMDUMP_OPTS_H
#define KMDUMP_OPTS_H

#include <stddef.h>
#include <stdbool.h>

/* offsetof() of the byte after MEMBER. */
#define KMD_OFFSETOFEND(TYPE, MEMBER) (offsetof(TYPE, MEMBER) + sizeof(((TYPE *)0)->MEMBER))

/* OPTS->MEMBER when the caller's struct has it, else DEFAULT. */
#define KMD_OPTS_GET(OPTS, MEMBER, DEFAULT) \
	((OPTS) && (OPTS)->sz >= KMD_OFFSETOFEND(__typeof__(*(OPTS)), MEMBER) ? \
	 (OPTS)->MEMBER : (DEFAULT))

/*
 * kmd_opts_check() - true when a struct of user_sz bytes at opts can be read as one of
 * known_sz: sz covers at least the sz member, and any bytes past known_sz are zero. Says
 * what is wrong in msg otherwise.
 */
bool kmd_opts_check(const void *opts, size_t user_sz, size_t known_sz, const char *what,
		    char *msg, size_t msglen);

#endif /* KMDUMP_OPTS_H */
