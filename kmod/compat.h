/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmdump compat: every difference between the supported kernels (Debian 6.1
 * and 6.12) lives here and nowhere else. Each shim names the upstream change
 * it bridges. All checks are on LINUX_VERSION_CODE because the Debian 6.1
 * tree (6.1.192) carries none of these changes as backports (checked against
 * linux-headers-6.1.0-56-common).
 */
#ifndef KMDUMP_COMPAT_H
#define KMDUMP_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/stacktrace.h>
#include <linux/rcupdate.h>
#include <asm/unwind.h>

/* put_unaligned_le32() and friends: <asm/unaligned.h> became
 * <linux/unaligned.h> in 6.12.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/* PF_USER_WORKER (vhost and io_uring-style user workers) exists since 6.4. */
#ifdef PF_USER_WORKER
#define KMD_PF_WORKERS	(PF_IO_WORKER | PF_USER_WORKER)
#else
#define KMD_PF_WORKERS	PF_IO_WORKER
#endif

/*
 * get_user_pages_remote() lost its "vmas" argument in 6.5. Take a reference
 * on one page of @mm at @addr. The caller holds mmap_read_lock. With
 * @locked, a fault may wait killably and drop the lock (*locked is then 0
 * and the lock is not held on return); with NULL it never drops it.
 */
static inline long kmd_gup_remote_one(struct mm_struct *mm, unsigned long addr,
				      unsigned int gup_flags, struct page **page,
				      int *locked)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	return get_user_pages_remote(mm, addr, 1, gup_flags, page, locked);
#else
	return get_user_pages_remote(mm, addr, 1, gup_flags, page, NULL, locked);
#endif
}

/*
 * A counted reference to mm->exe_file. get_file_rcu() was a macro over a
 * struct file * until 6.7, then became a GPL function taking the __rcu slot.
 */
static inline struct file *kmd_get_mm_exe_file(struct mm_struct *mm)
{
	struct file *f;

	rcu_read_lock();
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	f = get_file_rcu(&mm->exe_file);
#else
	f = rcu_dereference(mm->exe_file);
	if (f && !get_file_rcu(f))
		f = NULL;
#endif
	rcu_read_unlock();
	return f;
}

/*
 * Kernel stack of another, off-CPU task. stack_trace_save_tsk() is exported
 * (GPL) since 6.7 and pins the stack itself. On 6.1 it is not exported, so
 * walk with the exported ORC unwinder exactly as arch_stack_walk() does. The
 * walk runs under rcu_read_lock(): thread stacks are freed through call_rcu()
 * (kernel/fork.c thread_stack_delayed_free) or go back to the per-CPU cache,
 * so the memory stays valid for the walk even if the task exits meanwhile;
 * the unwinder bounds-checks every frame against the task's stack.
 */
static inline unsigned int kmd_stack_save_tsk(struct task_struct *t,
					      unsigned long *store,
					      unsigned int size)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	return stack_trace_save_tsk(t, store, size, 0);
#else
	struct unwind_state state;
	unsigned int n = 0;
	unsigned long addr;

	rcu_read_lock();
	if (!READ_ONCE(t->stack))
		goto out;
	for (unwind_start(&state, t, NULL, NULL); !unwind_done(&state);
	     unwind_next_frame(&state)) {
		addr = unwind_get_return_address(&state);
		if (!addr || n >= size)
			break;
		store[n++] = addr;
	}
out:
	rcu_read_unlock();
	return n;
#endif
}

#endif /* KMDUMP_COMPAT_H */
