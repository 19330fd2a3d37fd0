// SPDX-License-Identifier: GPL-2.0
/*
 * The capture lifecycle (capture.h): creation, the snapshot taken while the
 * target is frozen, and teardown. Allocations are charged in charge.c.
 */
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/sched/cputime.h>
#include <linux/pid_namespace.h>
#include <linux/cred.h>
#include "capture_internal.h"

struct kmd_capture *kmd_capture_new(const struct kmd_target *t, u32 opts,
				    u64 mem_limit, u64 hold_limit_ns)
{
	struct kmd_capture *c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);

	if (!c)
		return NULL;
	c->target = *t;
	c->opts = opts;
	c->mem_limit = mem_limit;
	c->hold_limit_ns = hold_limit_ns;
	c->fz = kmd_freeze_new(c);
	if (!c->fz) {
		kfree(c);
		return NULL;
	}
	return c;
}

void kmd_capture_cancel(struct kmd_capture *c)
{
	atomic_set(&c->cancel, 1);
}

/* Scheduler facts of one thread, as /proc/<pid>/task/<tid>/stat has them. */
static void kmd_thread_sched(struct kmd_capture *c, struct kmd_thread *th)
{
	struct task_struct *t = th->task;
	u64 ut, st;

	th->tid = task_pid_nr_ns(t, c->target.ns);
	get_task_comm(th->comm, t);
	th->state = kmd_task_state(t);
	if (thread_group_leader(t))
		th->flags |= KMDUMP_THREAD_FLAGS_LEADER;
	task_cputime_adjusted(t, &ut, &st);
	th->utime_ns = ut;
	th->stime_ns = st;
	th->start_boottime_ns = t->start_boottime;
	th->on_cpu = task_cpu(t);
	th->prio = t->prio - MAX_RT_PRIO;
	th->nice = task_nice(t);
	th->nvcsw = t->nvcsw;
	th->nivcsw = t->nivcsw;
}

/* Registers: the thread's own copy if it parked, else read from outside. */
static int kmd_thread_regs(struct kmd_capture *c, struct kmd_thread *th)
{
	struct kmd_regbufs rb;
	int err;

	if (kmd_park_take_regs(th->park, &rb)) {
		kmd_regs_fill_thread(th, &rb);
		return 0;
	}
	if (th->status != KMDUMP_THREAD_FREEZE_BLOCKED)
		return 0;
	err = kmd_regbufs_alloc(c, th->task, &rb);
	if (err == -ESRCH)
		return 0;	/* exited meanwhile: no registers */
	if (err)
		return err;
	if (!kmd_park_read_outside(th->park, th->task, &rb)) {
		/* Its park ran meanwhile (it exited or woke): not readable. */
		kmd_regbufs_free(c, &rb);
		return 0;
	}
	kmd_regs_fill_thread(th, &rb);
	return 0;
}

static void kmd_thread_free(struct kmd_capture *c, struct kmd_thread *th)
{
	kmd_park_release(c, th->park);
	if (th->cred)
		put_cred(th->cred);
	kmd_free(c, th->gpregs, th->gpregs_len);
	kmd_free(c, th->fpregs, th->fpregs_len);
	kmd_free(c, th->xstate, th->xstate_len);
	kmd_free(c, th->kstack, th->kstack_len);
	if (th->task)
		put_task_struct(th->task);
}

/* Threads that exited during the freeze are no longer part of the process. */
static void kmd_threads_drop_gone(struct kmd_capture *c)
{
	struct kmd_snapshot *s = &c->snap;
	u32 i, n = 0;

	for (i = 0; i < s->nr_threads; i++) {
		if (s->threads[i].status == KMDUMP_THREAD_FREEZE_GONE) {
			kmd_thread_free(c, &s->threads[i]);
			continue;
		}
		if (n != i)
			s->threads[n] = s->threads[i];
		n++;
	}
	s->nr_threads = n;
}

static int kmd_threads_capture(struct kmd_capture *c)
{
	struct kmd_thread *th;
	u32 i;
	int err;

	for (i = 0; i < c->snap.nr_threads; i++) {
		th = &c->snap.threads[i];
		if (kmd_cancelled(c))
			return -ECANCELED;
		kmd_thread_sched(c, th);
		err = kmd_thread_regs(c, th);
		if (err)
			return err;
		if ((c->opts & KMD_CAP_KSTACKS) && th->status == KMDUMP_THREAD_FREEZE_BLOCKED) {
			err = kmd_kstack_capture(c, th);
			if (err)
				return err;
		}
		cond_resched();
	}
	return 0;
}

int kmd_capture_snapshot(struct kmd_capture *c)
{
	struct task_struct *leader;
	struct mm_struct *mm = c->target.mm;
	int err;

	if (c->have_snap)
		return -EBUSY;
	if (!kmd_freeze_started(c->fz) || !c->snap.nr_threads)
		return -EINVAL;	/* kmd_capture_freeze() first */
	leader = get_pid_task(c->target.pid, PIDTYPE_TGID);
	if (!leader)
		return -ESRCH;
	if (!mmget_not_zero(mm)) {
		put_task_struct(leader);
		return -ESRCH;
	}
	kmd_threads_drop_gone(c);
	err = kmd_threads_capture(c);
	if (!err)
		err = kmd_vmas_capture(c, mm);
	if (!err)
		err = kmd_procinfo_capture(c, leader, mm);
	mmput(mm);
	put_task_struct(leader);
	if (!err)
		c->have_snap = true;
	return err;
}

void kmd_capture_free(struct kmd_capture *c)
{
	struct kmd_snapshot *s;
	u32 i;

	if (!c)
		return;
	s = &c->snap;
	kmd_capture_thaw(c);
	for (i = 0; i < s->nr_threads; i++)
		kmd_thread_free(c, &s->threads[i]);
	kmd_free(c, s->threads, (size_t)c->threads_cap * sizeof(*s->threads));
	kmd_vmas_free(c);
	kmd_procinfo_free(c);
	WARN_ON_ONCE(atomic64_read(&c->mem_used));
	kmd_freeze_put(c->fz);
	kfree(c);
}
