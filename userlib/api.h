/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Glue between the public entry points, the engine and the real process source. */
#ifndef KMDUMP_API_H
#define KMDUMP_API_H

#include "engine.h"

/* Opens a session on the kmdump module for pid (source_kmod.c). */
HRESULT kmd_source_kmod_open(struct kmd_source *src, uint32_t pid, char *msg, size_t msglen);

/* Opens the process source a dump runs against (the module's, or a test's fake). */
typedef HRESULT (*kmd_open_fn)(struct kmd_source *src, uint32_t pid, char *msg, size_t msglen);

/* Runs a dump of a->pid on the source open() gives; opens a pidfd if a->pidfd is -1. */
HRESULT kmd_dump_pid(kmd_open_fn open, struct kmd_dump_args *a, struct kmdump_result *res);

/* The same to a file created at path (0600, replaced), removed again on failure. */
HRESULT kmd_dump_path(kmd_open_fn open, struct kmd_dump_args *a, const char *path,
		      struct kmdump_result *res);

#endif /* KMDUMP_API_H */
