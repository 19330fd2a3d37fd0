/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kmdump command: shared state between option parsing and the callback. */
#ifndef KMDUMP_CMD_H
#define KMDUMP_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <kmdump/kmdump.h>
/* the callback reads DbgHelp's callback structures */
#include <kmdump/minidumpapiset.h>

struct cmd_state {
	bool verbose;     /* trace every callback on stderr */
	bool progress;    /* draw a progress bar on stderr (a terminal) */
	int kernel_fd;    /* --kernel-dump descriptor, -1 when not asked */
	uint64_t total;   /* bytes the progress bar expects (full memory), 0 unknown */
	uint64_t done;    /* bytes of the regions already read */
	uint64_t pending; /* size of the region being read */
	uint64_t last_draw_ns;
};

/* callback.c */
BOOL cmd_callback(PVOID param, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out);
void cmd_progress_end(struct cmd_state *s);

#endif
