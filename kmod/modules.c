// SPDX-License-Identifier: GPL-2.0
/*
 * Modules: each mapped ELF file merged across its mappings, following
 * Breakpad's Linux rules (minidump-format.md §5.2, linux_dumper.cc) so that a
 * dump written from our list matches one Breakpad writes:
 *
 *  - a module starts at a mapping with a path that is at least one page long
 *    and either maps file offset 0 or is executable (a non-executable
 *    mapping at a non-zero offset is a later segment, never a module start);
 *  - the next mapping of the same file (same path, device and inode) joins
 *    it when it starts where the module ends and the exec bit stays the same
 *    or goes from non-exec to exec (the r-- / r-x pair lld and modern ld
 *    emit); after an executable part, a non-executable one ends the module;
 *  - a "---p" reservation gap without a path between two mappings of the
 *    same file is absorbed when the mapping after it joins by the rule above;
 *  - the vDSO is a module too (userspace names it "linux-gate.so").
 *
 * kmd_modules_merge() is a pure function over the VMA array; KUnit drives it
 * with synthetic maps. Build ids are not found here: the library reads them
 * from the target's memory at each module's base, so the module never opens
 * or parses a file a hostile target may have mapped (a FUSE file whose
 * server never answers would hang the session worker).
 */
#include <linux/mm.h>
#include "capture_internal.h"

#define KMD_MAX_MODULES		4096

static bool kmd_vma_is_image(const struct kmd_vma *v)
{
	return v->path && (v->flags & (KMDUMP_VMA_FLAGS_FILE | KMDUMP_VMA_FLAGS_VDSO));
}

static bool kmd_same_file(const struct kmd_vma *a, const struct kmd_vma *b)
{
	return a->path && b->path && a->path_len == b->path_len &&
	       !memcmp(a->path, b->path, a->path_len) && a->inode == b->inode &&
	       a->dev_major == b->dev_major && a->dev_minor == b->dev_minor;
}

static bool kmd_is_gap(const struct kmd_vma *v)
{
	const u32 rwx = KMDUMP_VMA_FLAGS_READ | KMDUMP_VMA_FLAGS_WRITE |
			KMDUMP_VMA_FLAGS_EXEC;

	return !v->path && !(v->flags & rwx);
}

static bool kmd_can_join(const struct kmd_vma *first, bool exec, u64 end,
			 const struct kmd_vma *w)
{
	bool wexec = w->flags & KMDUMP_VMA_FLAGS_EXEC;

	return w->start == end && kmd_same_file(first, w) &&
	       (wexec == exec || (!exec && wexec));
}

int kmd_modules_merge(const struct kmd_vma *v, u32 n, struct kmd_module *out,
		      u32 max)
{
	struct kmd_module *m;
	u32 i = 0, nr = 0, j;
	bool exec;
	u64 end;

	while (i < n) {
		const struct kmd_vma *first = &v[i];

		if (!kmd_vma_is_image(first) || first->end - first->start < 4096 ||
		    (first->pgoff && !(first->flags & KMDUMP_VMA_FLAGS_EXEC))) {
			i++;
			continue;
		}
		if (nr == max)
			return -E2BIG;
		exec = first->flags & KMDUMP_VMA_FLAGS_EXEC;
		end = first->end;
		j = i + 1;
		for (;;) {
			if (j < n && kmd_can_join(first, exec, end, &v[j])) {
				exec |= !!(v[j].flags & KMDUMP_VMA_FLAGS_EXEC);
				end = v[j].end;
				j++;
			} else if (j + 1 < n && v[j].start == end && kmd_is_gap(&v[j]) &&
				   kmd_can_join(first, exec, v[j].end, &v[j + 1])) {
				exec |= !!(v[j + 1].flags & KMDUMP_VMA_FLAGS_EXEC);
				end = v[j + 1].end;
				j += 2;
			} else {
				break;
			}
		}
		m = &out[nr++];
		memset(m, 0, sizeof(*m));
		m->base = first->start;
		m->size = end - first->start;
		m->file_offset = first->pgoff;
		m->first_vma = i;
		m->nr_vmas = j - i;
		m->path = first->path;
		m->path_len = first->path_len;
		i = j;
	}
	return nr;
}

int kmd_modules_capture(struct kmd_capture *c)
{
	struct kmd_snapshot *s = &c->snap;
	u32 max = min_t(u32, s->nr_vmas, KMD_MAX_MODULES);
	int n;

	if (!max)
		return 0;
	s->modules = kmd_alloc(c, (size_t)max * sizeof(*s->modules));
	if (!s->modules)
		return -EDQUOT;
	c->modules_cap = max;
	n = kmd_modules_merge(s->vmas, s->nr_vmas, s->modules, max);
	if (n < 0)
		return n;
	s->nr_modules = n;
	return 0;
}
