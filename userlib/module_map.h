/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which mappings make up a module: decided here, from the VMAs the module reports. */
#ifndef KMDUMP_MODULE_MAP_H
#define KMDUMP_MODULE_MAP_H

#include <stddef.h>
#include "source.h"

/*
 * kmd_modules_from_vmas() - the modules of a memory map, by Breakpad's Linux rules
 * (module_map.c). @v: the VMAs sorted by address; @out: room for @n modules (a map of n
 * VMAs never has more). Fills base, size and path (pointing into @v); returns how many.
 */
size_t kmd_modules_from_vmas(const struct kmd_src_vma *v, size_t n, struct kmd_src_module *out);

#endif /* KMDUMP_MODULE_MAP_H */
