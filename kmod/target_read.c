// SPDX-License-Identifier: GPL-2.0
/*
 * Reading target memory.
 *
 * Reads go through the authorised mm itself (never through a task, so an exec
 * cannot redirect them to another image), page by page with
 * get_user_pages_remote(FOLL_FORCE), the way /proc/<pid>/mem and core dumps
 * read. Areas the kernel's own core dump skips are refused without touching
 * them (fs/coredump.c vma_dump_size): VM_IO/VM_PFNMAP (GUP cannot read
 * them), VM_DONTDUMP, and userfaultfd-armed areas, whose fault handler may be
 * a thread we hold parked (a read there would deadlock).
 *
 * Every wait is bounded: the mmap lock is taken with trylock polling up to
 * KMD_LOCK_WAIT_NS (mm.c; a blocked target thread may hold it for write), and the
 * lock is held for at most one burst of KMD_BURST_PAGES pages. Before each
 * burst the engine re-checks cancellation and that the target still runs on
 * the authorised mm. Output is written with kernel_write() only after the
 * mmap lock is dropped.
 *
 * Pages of files: a page of a file mapping that is not in memory would be
 * read in by the fault, and a FUSE or network file system can make that wait
 * for ever (a FUSE server that never answers; the frozen target serving its
 * own FUSE mount), in the session worker or in the requester's recvmsg()
 * alike. So on such a file system a read never faults a page in, in any
 * context: GUP runs with FOLL_NOFAULT, and a page that is not mapped yet is
 * copied from the page cache when it is there and up to date (a lookup that
 * never waits); otherwise it is reported as not resident (-ENODATA), a fact
 * the library can act on (the VMA names the file and offset). The page cache
 * holds the mapping's content only while no private copy was made, so a
 * private mapping that has copied pages (anon_vma set) skips that lookup.
 * Device and special files get the same treatment (their driver's fault
 * handler may wait on anything), without the page-cache lookup. Memory whose
 * fault answers by itself is faulted in as usual (killably in the requester's
 * context): anonymous mappings (also private /dev/zero ones, which have no
 * vm_ops), regular tmpfs, shmem and hugetlbfs files, and regular files on a
 * block device, whose I/O the administrator set up. memfd_secret() memory is
 * never read: it is not in the kernel's direct map.
 *
 * Lock order: mmap_lock (read) alone; no other lock is taken while it is held
 * except the page table locks GUP takes inside.
 */
#include <linux/mm.h>
#include <linux/highmem.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/userfaultfd_k.h>
#include <linux/fs.h>
#include <linux/pagemap.h>
#include <linux/magic.h>
#include <linux/delay.h>
#include <linux/timekeeping.h>
#include "capture_internal.h"
#include "compat.h"

#define KMD_BURST_PAGES		16
#define KMD_BURST_BYTES		(KMD_BURST_PAGES * PAGE_SIZE)
#define KMD_BUF_READ_MAX	SZ_1M

struct kmd_reader {
	struct kmd_capture *c;
	struct mm_struct *mm;		/* mmget held */
	struct task_struct *leader;	/* ref held */
	u8 *bounce;			/* KMD_BURST_BYTES, charged */
	int st[KMD_BURST_PAGES];	/* per-page result of the last burst */
};

/* Why the bytes of an area with these flags are not read (0: readable). */
int kmd_vma_refusal(unsigned long vm_flags)
{
	if (vm_flags & (VM_IO | VM_PFNMAP))
		return -EIO;
	if (vm_flags & VM_DONTDUMP)
		return -EPERM;
	if (vm_flags & __VM_UFFD_FLAGS)
		return -EDEADLK;
	if (!(vm_flags & VM_MAYREAD))
		return -EFAULT;
	return 0;
}

static int kmd_reader_init(struct kmd_reader *r, struct kmd_capture *c)
{
	memset(r, 0, sizeof(*r));
	r->c = c;
	if (kmd_cancelled(c))
		return -ECANCELED;
	r->leader = get_pid_task(c->target.pid, PIDTYPE_TGID);
	if (!r->leader)
		return -ESRCH;
	if (!mmget_not_zero(c->target.mm)) {
		put_task_struct(r->leader);
		return -ESRCH;
	}
	r->mm = c->target.mm;
	r->bounce = kmd_alloc(c, KMD_BURST_BYTES);
	if (!r->bounce) {
		mmput(r->mm);
		put_task_struct(r->leader);
		return -EDQUOT;
	}
	return 0;
}

static void kmd_reader_fini(struct kmd_reader *r)
{
	kmd_free(r->c, r->bounce, KMD_BURST_BYTES);
	mmput(r->mm);
	put_task_struct(r->leader);
}

/*
 * May a fault on @vma wait on something a user controls? Anonymous memory,
 * regular files of memory file systems (pages in RAM or swap) and of file
 * systems on a block device (whose I/O the administrator set up) answer by
 * themselves. FUSE (also fuseblk, which has a block device but a user-space
 * server), network file systems (NFS, CIFS, 9p, virtiofs) and device or
 * special files (whose driver's fault handler may wait on anything) may not.
 */
static bool kmd_vma_fault_may_hang(struct vm_area_struct *vma)
{
	struct super_block *sb;
	struct inode *inode;
	unsigned long magic;

	if (!vma->vm_file || vma_is_anonymous(vma))
		return false;
	inode = file_inode(vma->vm_file);
	if (!S_ISREG(inode->i_mode))
		return true;
	sb = inode->i_sb;
	magic = sb->s_magic;
	if (magic == TMPFS_MAGIC || magic == HUGETLBFS_MAGIC)
		return false;
	if (magic == FUSE_SUPER_MAGIC)
		return true;
	/* btrfs needs devices but keeps s_bdev NULL */
	return !sb->s_bdev && !(sb->s_type->fs_flags & FS_REQUIRES_DEV);
}

/*
 * memfd_secret() memory is taken out of the kernel's direct map: never read
 * it (GUP refuses it too; its owner can clear the VM_DONTDUMP it carries).
 */
static bool kmd_vma_is_secret(struct vm_area_struct *vma)
{
	return vma->vm_file &&
	       file_inode(vma->vm_file)->i_sb->s_magic == SECRETMEM_MAGIC;
}

/*
 * Copy from the page cache the page of a regular file mapped by @vma at
 * @addr, if it is there, up to date, inside the file and not poisoned: a
 * lookup that never waits. -ENODATA if it is not in memory, -EFAULT past the
 * end of the file (where a fault would raise SIGBUS), -EIO if poisoned.
 */
static int kmd_read_page_cache(struct vm_area_struct *vma, u64 addr, void *dst,
			       size_t len)
{
	struct inode *inode = file_inode(vma->vm_file);
	pgoff_t index = linear_page_index(vma, addr);
	struct folio *folio;
	void *src;
	int err = -ENODATA;

	/* Private copies may differ from the file; a device's pages are its own. */
	if (vma->anon_vma || !S_ISREG(inode->i_mode))
		return -ENODATA;
	if ((loff_t)index << PAGE_SHIFT >= i_size_read(inode))
		return -EFAULT;
	folio = filemap_get_folio(vma->vm_file->f_mapping, index);
	if (IS_ERR_OR_NULL(folio))	/* NULL before 6.3, ERR_PTR after */
		return -ENODATA;
	if (folio_test_hwpoison(folio) || folio_test_has_hwpoisoned(folio)) {
		err = -EIO;
	} else if (folio_test_uptodate(folio)) {
		src = kmap_local_page(folio_file_page(folio, index));
		memcpy(dst, src + offset_in_page(addr), len);
		kunmap_local(src);
		err = 0;
	}
	folio_put(folio);
	return err;
}

/*
 * Read one page's worth at @addr under the mmap lock (*locked is 1 on entry;
 * 0 on return if a killable fault had to drop the lock).
 */
static int kmd_read_page_locked(struct kmd_reader *r, u64 addr, void *dst,
				size_t len, int *locked)
{
	struct vm_area_struct *vma = vma_lookup(r->mm, addr);
	struct page *page;
	void *src;
	long got;
	int err;

	if (!vma)
		return -EFAULT;
	err = kmd_vma_refusal(vma->vm_flags);
	if (err)
		return err;
	if (kmd_vma_is_secret(vma))
		return -EPERM;
	if (kmd_vma_fault_may_hang(vma)) {
		got = kmd_gup_remote_one(r->mm, addr & PAGE_MASK, FOLL_FORCE | FOLL_NOFAULT,
					 &page, NULL);
		if (got == -EINTR)
			return -EINTR;
		if (got != 1)
			return kmd_read_page_cache(vma, addr, dst, len);
	} else if (kmd_gup_remote_one(r->mm, addr & PAGE_MASK, FOLL_FORCE, &page,
				      current->flags & PF_KTHREAD ? NULL : locked) != 1) {
		return fatal_signal_pending(current) ? -EINTR : -EFAULT;
	}
	src = kmap_local_page(page);
	memcpy(dst, src + offset_in_page(addr), len);
	kunmap_local(src);
	put_page(page);
	return 0;
}

/*
 * Read [addr, addr + len) (len <= KMD_BURST_BYTES) into r->bounce, offset
 * by addr's offset in its first page. r->st[i] is the result for page i.
 */
static int kmd_read_burst(struct kmd_reader *r, u64 addr, u32 len)
{
	u64 end = addr + len, a, n;
	int locked = 0, err = 0;
	bool killed = false;
	u32 i = 0;

	if (kmd_cancelled(r->c))
		return -ECANCELED;
	if (kmd_freeze_changed(r->c->fz))
		return -EACCES;	/* exec'd or new credentials: released */
	if (!kmd_group_uses_mm(r->leader, r->mm))
		return -ESRCH;
	for (a = addr; a < end; a = (a & PAGE_MASK) + PAGE_SIZE, i++) {
		n = min_t(u64, end, (a & PAGE_MASK) + PAGE_SIZE) - a;
		if (!locked && !err) {
			/* Once per burst, or again after a fault dropped it. */
			err = kmd_mmap_lock_bounded(r->mm, r->c);
			locked = !err;
		}
		r->st[i] = err ? err :
			kmd_read_page_locked(r, a, r->bounce + (a - addr), n, &locked);
		if (r->st[i] == -EINTR) {
			killed = true;
			break;
		}
	}
	if (locked)
		mmap_read_unlock(r->mm);
	return killed ? -EINTR : 0;
}

/* A failed extent waiting to be merged with its neighbours. */
struct kmd_fail_run {
	u64 addr, len;
	int reason;
};

static void kmd_fail_flush(struct kmd_fail_run *f, kmd_read_fail_fn fn, void *arg,
			   u32 idx)
{
	if (f->len && fn)
		fn(arg, idx, f->addr, f->len, f->reason);
	f->len = 0;
}

static void kmd_fail_add(struct kmd_fail_run *f, kmd_read_fail_fn fn, void *arg,
			 u32 idx, u64 addr, u64 len, int reason)
{
	if (f->len && (f->addr + f->len != addr || f->reason != reason))
		kmd_fail_flush(f, fn, arg, idx);
	if (!f->len) {
		f->addr = addr;
		f->reason = reason;
	}
	f->len += len;
}

static int kmd_write_all(struct file *out, const void *buf, size_t len, loff_t pos)
{
	ssize_t w;

	while (len) {
		w = kernel_write(out, buf, len, &pos);
		if (w < 0)
			return w;
		if (!w)
			return -EIO;
		buf += w;
		len -= w;
	}
	return 0;
}

static bool kmd_range_valid(const struct kmd_mem_range *rg)
{
	u64 end;

	if (!rg->len || rg->len > KMD_MEM_RANGE_MAX)
		return false;
	if (check_add_overflow(rg->addr, rg->len, &end) || end > TASK_SIZE_MAX)
		return false;
	if (check_add_overflow(rg->file_off, rg->len, &end) || end > (u64)MAX_LFS_FILESIZE)
		return false;
	return true;
}

/* Read one range into @out; updates rg->status and rg->bytes_read. */
static int kmd_read_range_to_file(struct kmd_reader *r, struct kmd_mem_range *rg,
				  u32 idx, struct file *out,
				  kmd_read_fail_fn fail, void *arg)
{
	struct kmd_fail_run f = {};
	u64 pos = rg->addr, end = rg->addr + rg->len, burst_end, a, n, ok_start;
	u32 i;
	int err = 0, first_fail = 0;

	while (pos < end) {
		burst_end = min_t(u64, end, (pos & PAGE_MASK) + KMD_BURST_BYTES);
		err = kmd_read_burst(r, pos, burst_end - pos);
		if (err)
			break;
		ok_start = pos;
		for (a = pos, i = 0; a < burst_end; a = (a & PAGE_MASK) + PAGE_SIZE, i++) {
			n = min_t(u64, burst_end, (a & PAGE_MASK) + PAGE_SIZE) - a;
			if (!r->st[i])
				continue;
			if (a > ok_start) {
				err = kmd_write_all(out, r->bounce + (ok_start - pos),
						    a - ok_start,
						    rg->file_off + (ok_start - rg->addr));
				if (err)
					goto out;
				rg->bytes_read += a - ok_start;
			}
			kmd_fail_add(&f, fail, arg, idx, a, n, r->st[i]);
			if (!first_fail)
				first_fail = r->st[i];
			ok_start = a + n;
		}
		if (burst_end > ok_start) {
			err = kmd_write_all(out, r->bounce + (ok_start - pos),
					    burst_end - ok_start,
					    rg->file_off + (ok_start - rg->addr));
			if (err)
				goto out;
			rg->bytes_read += burst_end - ok_start;
			kmd_fail_flush(&f, fail, arg, idx);
		}
		pos = burst_end;
		cond_resched();
	}
out:
	kmd_fail_flush(&f, fail, arg, idx);
	rg->status = err ? err : first_fail;
	return err;
}

int kmd_mem_read_to_file(struct kmd_capture *c, struct kmd_mem_range *ranges,
			 u32 nr, struct file *out, kmd_read_fail_fn fail,
			 void *arg)
{
	struct kmd_reader r;
	u32 i;
	int err;

	if (!out || !(out->f_mode & FMODE_WRITE) ||
	    !S_ISREG(file_inode(out)->i_mode))
		return -EBADF;
	for (i = 0; i < nr; i++) {
		ranges[i].status = -ECANCELED;
		ranges[i].bytes_read = 0;
	}
	err = kmd_reader_init(&r, c);
	if (err)
		return err;
	for (i = 0; i < nr; i++) {
		if (!kmd_range_valid(&ranges[i])) {
			ranges[i].status = -EINVAL;
			continue;
		}
		err = kmd_read_range_to_file(&r, &ranges[i], i, out, fail, arg);
		if (err)
			break;
	}
	kmd_reader_fini(&r);
	return err;
}

long kmd_mem_read_buf(struct kmd_capture *c, u64 addr, void *buf, u32 len,
		      kmd_read_fail_fn fail, void *arg)
{
	struct kmd_fail_run f = {};
	struct kmd_reader r;
	u64 pos = addr, end, burst_end, a, n;
	long got = 0;
	u32 i;
	int err;

	if (!len || len > KMD_BUF_READ_MAX ||
	    check_add_overflow(addr, (u64)len, &end) || end > TASK_SIZE_MAX)
		return -EINVAL;
	err = kmd_reader_init(&r, c);
	if (err)
		return err;
	while (pos < end) {
		burst_end = min_t(u64, end, (pos & PAGE_MASK) + KMD_BURST_BYTES);
		err = kmd_read_burst(&r, pos, burst_end - pos);
		if (err)
			break;
		for (a = pos, i = 0; a < burst_end; a = (a & PAGE_MASK) + PAGE_SIZE, i++) {
			n = min_t(u64, burst_end, (a & PAGE_MASK) + PAGE_SIZE) - a;
			if (r.st[i]) {
				memset(buf + (a - addr), 0, n);
				kmd_fail_add(&f, fail, arg, 0, a, n, r.st[i]);
			} else {
				memcpy(buf + (a - addr), r.bounce + (a - pos), n);
				got += n;
			}
		}
		pos = burst_end;
	}
	kmd_fail_flush(&f, fail, arg, 0);
	kmd_reader_fini(&r);
	return err ? err : got;
}
