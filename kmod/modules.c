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
 * with synthetic maps. kmd_modules_capture() adds the build ids, read from
 * the mapped file (or, for the vDSO, from target memory).
 */
#include <linux/mm.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/sched/mm.h>
#include "engine.h"

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
		m->build_id_err = -ENOENT;
		i = j;
	}
	return nr;
}

/* Read callbacks for kmd_buildid_parse(). */
static int kmd_file_rd(void *ctx, u64 off, void *buf, u32 len)
{
	loff_t pos = off;
	ssize_t r = kernel_read(ctx, buf, len, &pos);

	if (r < 0)
		return r;
	return r == len ? 0 : -EINVAL;	/* file shorter than its headers say */
}

struct kmd_mem_rd_ctx {
	struct kmd_capture *c;
	u64 base;
};

static int kmd_mem_rd(void *ctx, u64 off, void *buf, u32 len)
{
	struct kmd_mem_rd_ctx *m = ctx;
	long r = kmd_mem_read_buf(m->c, m->base + off, buf, len, NULL, NULL);

	if (r < 0)
		return r;
	return r == len ? 0 : -EFAULT;
}

/* The file behind the module's first mapping, if it is still that file. */
static struct file *kmd_module_file(struct kmd_capture *c, struct mm_struct *mm,
				    const struct kmd_module *m)
{
	struct vm_area_struct *vma;
	struct file *f = NULL;

	if (kmd_mmap_lock_bounded(mm, c))
		return NULL;
	vma = vma_lookup(mm, m->base);
	if (vma && vma->vm_file && vma->vm_start == m->base &&
	    file_inode(vma->vm_file)->i_ino == c->snap.vmas[m->first_vma].inode)
		f = get_file(vma->vm_file);
	mmap_read_unlock(mm);
	return f;
}

static void kmd_module_build_id(struct kmd_capture *c, struct mm_struct *mm,
				struct kmd_module *m)
{
	const struct kmd_vma *v = &c->snap.vmas[m->first_vma];
	struct kmd_mem_rd_ctx mc = { .c = c, .base = m->base };
	struct file *f;

	if (v->flags & KMDUMP_VMA_FLAGS_VDSO) {
		m->build_id_err = kmd_buildid_parse(kmd_mem_rd, &mc, m->size,
						    m->build_id, &m->build_id_len);
		return;
	}
	if (m->file_offset) {
		m->build_id_err = -ENOENT;	/* mapping does not start at the header */
		return;
	}
	f = kmd_module_file(c, mm, m);
	if (!f) {
		m->build_id_err = -ESRCH;
		return;
	}
	m->build_id_err = kmd_buildid_parse(kmd_file_rd, f,
					    i_size_read(file_inode(f)),
					    m->build_id, &m->build_id_len);
	fput(f);
}

int kmd_modules_capture(struct kmd_capture *c, struct mm_struct *mm)
{
	struct kmd_snapshot *s = &c->snap;
	u32 max = min_t(u32, s->nr_vmas, KMD_MAX_MODULES), i;
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
	for (i = 0; i < s->nr_modules; i++) {
		if (kmd_cancelled(c))
			return -ECANCELED;
		kmd_module_build_id(c, mm, &s->modules[i]);
	}
	return 0;
}
