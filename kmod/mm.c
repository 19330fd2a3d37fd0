// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers over the target's mm that the freeze, the snapshot and memory reads
 * share. A leaf: it calls no other file of the module.
 */
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched/signal.h>
#include <linux/delay.h>
#include "capture_internal.h"

/* Longest wait for the target's mmap lock (a blocked thread may hold it for write). */
#define KMD_LOCK_WAIT_NS	(2ULL * NSEC_PER_SEC)

/*
 * Does some thread of the group still run on @mm? (Not just the leader: a
 * leader that called pthread_exit() is a zombie with no mm while the process
 * lives on. After an exec every thread runs on the new mm.)
 */
bool kmd_group_uses_mm(struct task_struct *leader, struct mm_struct *mm)
{
	struct task_struct *t;
	bool found = false;

	rcu_read_lock();
	for_each_thread(leader, t) {
		if (READ_ONCE(t->mm) == mm) {
			found = true;
			break;
		}
	}
	rcu_read_unlock();
	return found;
}

/*
 * Takes @mm's mmap lock for reading, polling trylock until KMD_LOCK_WAIT_NS
 * pass (-ETIMEDOUT) or @c is cancelled (-ECANCELED): never an unbounded wait.
 */
int kmd_mmap_lock_bounded(struct mm_struct *mm, struct kmd_capture *c)
{
	u64 deadline = ktime_get_ns() + KMD_LOCK_WAIT_NS;

	while (!mmap_read_trylock(mm)) {
		if (kmd_cancelled(c))
			return -ECANCELED;
		if (ktime_get_ns() >= deadline)
			return -ETIMEDOUT;
		usleep_range(500, 2000);
	}
	return 0;
}
