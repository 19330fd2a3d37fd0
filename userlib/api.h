/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Glue between the public entry points, the engine and the real process source. */
#ifndef KMDUMP_API_H
#define KMDUMP_API_H

#include "engine.h"

/* Opens a session on the kmdump module for pid (source_kmod.c). */
HRESULT kmd_source_kmod_open(struct kmd_source *src, uint32_t pid, char *msg, size_t msglen);

/* Runs a dump of a->pid against the module; fills a->pidfd if it was -1. */
HRESULT kmd_dump_pid(struct kmd_dump_args *a, struct kmdump_result *res);

#endif /* KMDUMP_API_H */
