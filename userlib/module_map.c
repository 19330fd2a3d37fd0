// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Modules: each mapped ELF file merged across its mappings, following Breakpad's Linux
 * rules (minidump-format.md §5.2, linux_dumper.cc) so that a dump written from our list
 * matches one Breakpad writes:
 *  - a module starts at a mapping with a path that is at least one page long and either
 *    maps file offset 0 or is executable (a non-executable mapping at a non-zero offset
 *    is a later segment, never a module start);
 *  - the next mapping of the same file (same path, device and inode) joins it when it
 *    starts where the module ends and the exec bit stays the same or goes from non-exec
 *    to exec (the r-- / r-x pair lld and modern ld emit); after an executable part, a
 *    non-executable one ends the module;
 *  - a "---p" reservation gap without a path between two mappings of the same file is
 *    absorbed when the mapping after it joins by the rule above;
 *  - the vDSO is a module too.
 * The kernel module reports the mappings only (DESIGN: the kernel reports facts,
 * userspace decides); build ids are read from each module's image in memory
 * (module_ids.c).
 */
#include <string.h>
#include "module_map.h"

#define KMD_RWX (KMD_SRC_V_READ | KMD_SRC_V_WRITE | KMD_SRC_V_EXEC)

static bool is_image(const struct kmd_src_vma *v)
{
	return v->path && (!(v->flags & KMD_SRC_V_ANON) || (v->flags & KMD_SRC_V_VDSO));
}

static bool same_file(const struct kmd_src_vma *a, const struct kmd_src_vma *b)
{
	return a->path && b->path && !strcmp(a->path, b->path) && a->inode == b->inode &&
	       a->dev_major == b->dev_major && a->dev_minor == b->dev_minor;
}

static bool is_gap(const struct kmd_src_vma *v)
{
	return !v->path && !(v->flags & KMD_RWX);
}

static bool can_join(const struct kmd_src_vma *first, bool exec, uint64_t end,
		     const struct kmd_src_vma *w)
{
	bool wexec = w->flags & KMD_SRC_V_EXEC;

	return w->start == end && same_file(first, w) && (wexec == exec || (!exec && wexec));
}

static bool starts_module(const struct kmd_src_vma *v)
{
	return is_image(v) && v->end - v->start >= 4096 &&
	       (!v->pgoff || (v->flags & KMD_SRC_V_EXEC));
}

/* One past the last mapping of the module that starts at v[i]; *end its end address. */
static size_t module_extent(const struct kmd_src_vma *v, size_t n, size_t i, uint64_t *end)
{
	bool exec = v[i].flags & KMD_SRC_V_EXEC;
	size_t j = i + 1;

	*end = v[i].end;
	for (;;) {
		if (j < n && can_join(&v[i], exec, *end, &v[j])) {
			exec |= !!(v[j].flags & KMD_SRC_V_EXEC);
			*end = v[j].end;
			j++;
		} else if (j + 1 < n && v[j].start == *end && is_gap(&v[j]) &&
			   can_join(&v[i], exec, v[j].end, &v[j + 1])) {
			exec |= !!(v[j + 1].flags & KMD_SRC_V_EXEC);
			*end = v[j + 1].end;
			j += 2;
		} else {
			return j;
		}
	}
}

size_t kmd_modules_from_vmas(const struct kmd_src_vma *v, size_t n, struct kmd_src_module *out)
{
	size_t i = 0, nr = 0, j;
	uint64_t end;

	while (i < n) {
		if (!starts_module(&v[i])) {
			i++;
			continue;
		}
		j = module_extent(v, n, i, &end);
		memset(&out[nr], 0, sizeof(out[nr]));
		out[nr].base = v[i].start;
		out[nr].size = end - v[i].start;
		out[nr].path = v[i].path;
		nr++;
		i = j;
	}
	return nr;
}
