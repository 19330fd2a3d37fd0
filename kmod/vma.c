// SPDX-License-Identifier: GPL-2.0
/*
 * The memory map: every VMA of the authorised mm, described the way
 * /proc/<pid>/maps shows it (fs/proc/task_mmu.c show_map_vma: device, inode
 * and offset only for file mappings; names with " (deleted)" for unlinked
 * files, relative to the requester's root (rootpath.c); [heap], [stack] and
 * special mapping names such as [vdso]),
 * plus the reason, if any, its bytes are not read (target_read.c).
 *
 * The walk holds mmap_read_lock (taken with a bounded trylock loop) and
 * allocates under it, as /proc/<pid>/maps does. Paths go into one string
 * arena; snap.vmas[i].path points into it once the walk is done.
 */
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/fs.h>
#include <linux/dcache.h>
#include <linux/sched/mm.h>
#include <linux/userfaultfd_k.h>
#include "capture_internal.h"

u32 kmd_vma_flags(unsigned long vm_flags)
{
	u32 f = 0;

	if (vm_flags & VM_READ)
		f |= KMDUMP_VMA_FLAGS_READ;
	if (vm_flags & VM_WRITE)
		f |= KMDUMP_VMA_FLAGS_WRITE;
	if (vm_flags & VM_EXEC)
		f |= KMDUMP_VMA_FLAGS_EXEC;
	if (vm_flags & VM_MAYSHARE)
		f |= KMDUMP_VMA_FLAGS_SHARED;
	if (vm_flags & VM_GROWSDOWN)
		f |= KMDUMP_VMA_FLAGS_GROWSDOWN;
	if (vm_flags & VM_DONTDUMP)
		f |= KMDUMP_VMA_FLAGS_DONTDUMP;
	if (vm_flags & (VM_IO | VM_PFNMAP))
		f |= KMDUMP_VMA_FLAGS_IO;
	if (vm_flags & __VM_UFFD_FLAGS)
		f |= KMDUMP_VMA_FLAGS_UFFD;
	if (vm_flags & VM_HUGETLB)
		f |= KMDUMP_VMA_FLAGS_HUGETLB;
	return f;
}

u32 kmd_vma_skip_reason(unsigned long vm_flags)
{
	switch (kmd_vma_refusal(vm_flags)) {
	case -EIO:
		return KMDUMP_VMA_SKIP_IO;
	case -EPERM:
		return KMDUMP_VMA_SKIP_DONTDUMP;
	case -EDEADLK:
		return KMDUMP_VMA_SKIP_UFFD;
	case -EFAULT:
		return KMDUMP_VMA_SKIP_NOACCESS;
	}
	return KMDUMP_VMA_SKIP_NONE;
}

/* Growable string arena; offsets are turned into pointers at the end. */
struct kmd_arena {
	struct kmd_capture *c;
	char *buf;
	u32 len, cap;
};

static int kmd_arena_add(struct kmd_arena *a, const char *s, u32 n, u32 *off)
{
	char *nb;
	u32 cap;

	if (a->len + n + 1 > a->cap) {
		cap = max_t(u32, 2 * a->cap, a->len + n + 1 + 4096);
		if (cap > SZ_64M)
			return -E2BIG;
		nb = kmd_alloc(a->c, cap);
		if (!nb)
			return -EDQUOT;
		if (a->buf)
			memcpy(nb, a->buf, a->len);
		kmd_free(a->c, a->buf, a->cap);
		a->buf = nb;
		a->cap = cap;
	}
	memcpy(a->buf + a->len, s, n);
	a->buf[a->len + n] = '\0';
	*off = a->len;
	a->len += n + 1;
	return 0;
}

static const char *kmd_vma_special_name(struct vm_area_struct *vma,
					struct mm_struct *mm, u32 *flags)
{
	const char *name;

	if (vma->vm_ops && vma->vm_ops->name) {
		name = vma->vm_ops->name(vma);
		if (name) {
			*flags |= strcmp(name, "[vdso]") ? KMDUMP_VMA_FLAGS_VVAR :
							     KMDUMP_VMA_FLAGS_VDSO;
			return name;
		}
	}
	if (vma->vm_start <= mm->brk && vma->vm_end >= mm->start_brk) {
		*flags |= KMDUMP_VMA_FLAGS_HEAP;
		return "[heap]";
	}
	if (vma->vm_start <= mm->start_stack && vma->vm_end >= mm->start_stack) {
		*flags |= KMDUMP_VMA_FLAGS_STACK;
		return "[stack]";
	}
	return NULL;
}

/* Describe one VMA; its name goes into the arena (offset kept in ->path_len
 * until kmd_vmas_finish turns it into a pointer).
 */
static int kmd_vma_describe(struct kmd_capture *c, struct vm_area_struct *vma,
			    struct mm_struct *mm, struct kmd_vma *v, struct kmd_arena *a,
			    char *pbuf, u32 *name_off)
{
	struct file *file = vma->vm_file;
	const char *name = NULL;
	u32 n = 0;

	memset(v, 0, sizeof(*v));
	v->start = vma->vm_start;
	v->end = vma->vm_end;
	v->flags = kmd_vma_flags(vma->vm_flags);
	v->skip = kmd_vma_skip_reason(vma->vm_flags);
	*name_off = U32_MAX;
	if (file) {
		struct inode *inode = file_inode(file);

		v->flags |= KMDUMP_VMA_FLAGS_FILE;
		v->dev_major = MAJOR(inode->i_sb->s_dev);
		v->dev_minor = MINOR(inode->i_sb->s_dev);
		v->inode = inode->i_ino;
		v->pgoff = (u64)vma->vm_pgoff << PAGE_SHIFT;
		if (d_unlinked(file->f_path.dentry))
			v->flags |= KMDUMP_VMA_FLAGS_DELETED;
		name = kmd_path_in_root(&file->f_path, &c->target.root, pbuf,
					pbuf + PATH_MAX);
	} else {
		name = kmd_vma_special_name(vma, mm, &v->flags);
	}
	if (!name)
		return 0;
	n = strnlen(name, PATH_MAX);
	v->path_len = n;
	return kmd_arena_add(a, name, n, name_off);
}

int kmd_vmas_capture(struct kmd_capture *c, struct mm_struct *mm)
{
	struct kmd_snapshot *s = &c->snap;
	struct kmd_arena a = { .c = c };
	struct vm_area_struct *vma;
	u32 *offs = NULL, cap, n = 0, i;
	char *pbuf;
	int err;

	pbuf = kmalloc(2 * PATH_MAX, GFP_KERNEL_ACCOUNT);
	if (!pbuf)
		return -ENOMEM;
	err = kmd_mmap_lock_bounded(mm, c);
	if (err)
		goto out_buf;
	cap = min_t(u32, READ_ONCE(mm->map_count) + 1, KMD_MAX_VMAS);
	s->vmas = kmd_alloc(c, (size_t)cap * sizeof(*s->vmas));
	offs = kvmalloc_array(cap, sizeof(*offs), GFP_KERNEL);
	if (!s->vmas || !offs) {
		err = s->vmas ? -ENOMEM : -EDQUOT;
		goto out_unlock;
	}
	c->vmas_cap = cap;
	{
		VMA_ITERATOR(vmi, mm, 0);

		for_each_vma(vmi, vma) {
			if (n == cap) {
				err = -E2BIG;	/* map_count changed under us */
				break;
			}
			err = kmd_vma_describe(c, vma, mm, &s->vmas[n], &a, pbuf, &offs[n]);
			if (err)
				break;
			n++;
		}
	}
out_unlock:
	mmap_read_unlock(mm);
	if (!err) {
		s->nr_vmas = n;
		s->strings = a.buf;
		s->strings_len = a.cap;
		for (i = 0; i < n; i++)
			s->vmas[i].path = offs[i] == U32_MAX ? NULL : a.buf + offs[i];
		a.buf = NULL;
	}
	kmd_free(c, a.buf, a.cap);
	kvfree(offs);
out_buf:
	kfree(pbuf);
	return err;
}

void kmd_vmas_free(struct kmd_capture *c)
{
	struct kmd_snapshot *s = &c->snap;

	kmd_free(c, s->vmas, (size_t)c->vmas_cap * sizeof(*s->vmas));
	kmd_free(c, s->strings, s->strings_len);
	s->vmas = NULL;
	s->strings = NULL;
	s->nr_vmas = 0;
}
