// SPDX-License-Identifier: GPL-2.0
/*
 * Freezing a target without ptrace or signals (DESIGN decision 2,
 * kernel-notes §2.3).
 *
 * Every thread of the target gets a task_work queued with TWA_RESUME. A
 * thread running user code takes the kick, runs the work on its way back to
 * user mode, saves its own registers and parks until the thaw. A thread
 * blocked in the kernel is not woken: it stays blocked, is read from outside,
 * and parks if it ever heads back to user mode before the thaw. Job-control
 * state, pending signals and in-flight syscalls are never touched.
 *
 * The worker rescans the thread list until no new thread appears (threads
 * cloned before their parent parked), bounded by KMD_FREEZE_ROUNDS and the
 * caller's deadline. A thread still running at the deadline is reported as
 * KMDUMP_THREAD_FREEZE_NOT_PARKED rather than waited for.
 *
 * Known gap: a thread that is blocked inside clone() when the last rescan
 * runs can still complete it and start a child thread nobody holds; the
 * invariant "no thread of the group runs user code" holds for every thread
 * that existed at the last scan.
 *
 * Lifetimes: task_work cannot be cancelled (task_work_cancel is not
 * exported), so each queued work owns a reference on its struct kmd_park,
 * which owns a reference on the struct kmd_freeze, plus a module reference;
 * all three are dropped by the callback, whenever it runs (at the next return
 * to user mode, or in do_exit via exit_task_work). After the thaw a callback
 * returns at once. The module_put() at the end of the callback leaves a window
 * of a few instructions in module text; it is unavoidable for task_work (there
 * is no module_put_and_return) and is why the module must never be
 * force-unloaded.
 *
 * Lock order: none is held across a call out of this file. The park state is
 * an atomic with release/acquire ordering: the thread writes its registers,
 * then publishes KMD_PARK_PARKED; the worker reads the state, then the
 * registers.
 */
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/mm.h>
#include <linux/task_work.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <linux/jiffies.h>
#include <linux/timekeeping.h>
#include "engine.h"
#include "compat.h"

#define KMD_HOLD_LIMIT_DEFAULT_NS	(30ULL * NSEC_PER_SEC)
#define KMD_POLL_MIN_JIFFIES		1
#define KMD_POLL_MAX_JIFFIES		(HZ / 50)

struct kmd_freeze {
	refcount_t ref;			/* the capture + every live park */
	atomic_t thaw_started;
	atomic_t thawed;
	atomic_t events;		/* bumped by every park; worker waits on it */
	atomic_t self_released;		/* parks that hit hold_limit before thaw */
	wait_queue_head_t thaw_wq;	/* parked threads */
	wait_queue_head_t park_wq;	/* the worker */
	u64 hold_limit_ns;
	u64 t_start_ns, t_frozen_ns, t_thaw_ns;
};

enum kmd_park_state {
	KMD_PARK_QUEUED = 0,	/* work queued, callback not run yet */
	KMD_PARK_PARKED,	/* registers saved, waiting for the thaw */
	KMD_PARK_EXITING,	/* ran while exiting or with SIGKILL pending */
	KMD_PARK_LATE,		/* ran after the thaw: did nothing */
};

struct kmd_park {
	struct callback_head cb;	/* must stay valid until the callback ran */
	refcount_t ref;			/* the queued work + the capture's thread */
	atomic_t state;			/* enum kmd_park_state */
	struct kmd_freeze *fz;
	struct kmd_regbufs rb;		/* filled by the thread itself */
	bool regs_taken;
	/*
	 * Held by the worker while it reads a blocked thread's registers from
	 * outside, and taken first by the callback: the callback runs before
	 * do_exit() can release the thread's stack, so while the worker holds
	 * it and the callback has not run, the stack (and pt_regs) stays put.
	 */
	struct mutex outside_lock;
};

struct kmd_freeze *kmd_freeze_new(struct kmd_capture *c)
{
	struct kmd_freeze *fz = kzalloc(sizeof(*fz), GFP_KERNEL_ACCOUNT);

	if (!fz)
		return NULL;
	refcount_set(&fz->ref, 1);
	init_waitqueue_head(&fz->thaw_wq);
	init_waitqueue_head(&fz->park_wq);
	fz->hold_limit_ns = c->hold_limit_ns ?: KMD_HOLD_LIMIT_DEFAULT_NS;
	return fz;
}

void kmd_freeze_put(struct kmd_freeze *fz)
{
	if (fz && refcount_dec_and_test(&fz->ref))
		kfree(fz);
}

static void kmd_park_put(struct kmd_park *p)
{
	if (!refcount_dec_and_test(&p->ref))
		return;
	if (!p->regs_taken) {
		kvfree(p->rb.gp);
		kvfree(p->rb.fp);
		kvfree(p->rb.xs);
	}
	kmd_freeze_put(p->fz);
	kfree(p);
}

static void kmd_park_publish(struct kmd_park *p, int state)
{
	atomic_set_release(&p->state, state);
	atomic_inc(&p->fz->events);
	wake_up(&p->fz->park_wq);
}

/* Runs as the target thread, from resume_user_mode_work() or exit_task_work(). */
static void kmd_park_cb(struct callback_head *cb)
{
	struct kmd_park *p = container_of(cb, struct kmd_park, cb);
	struct kmd_freeze *fz = p->fz;
	long left;

	/* Wait out a worker that is reading our registers from outside. */
	mutex_lock(&p->outside_lock);
	mutex_unlock(&p->outside_lock);
	if (atomic_read(&fz->thawed)) {
		atomic_set(&p->state, KMD_PARK_LATE);
	} else if (current->flags & PF_EXITING) {
		/* In do_exit: user registers are gone, never runs user code again. */
		kmd_park_publish(p, KMD_PARK_EXITING);
	} else {
		kmd_regs_read(current, &p->rb);
		kmd_regs_read_debug(&p->rb);
		if (fatal_signal_pending(current)) {
			/* SIGKILL, exec's de_thread or a core dump wants this thread:
			 * it will not run user code again, so do not delay them.
			 */
			kmd_park_publish(p, KMD_PARK_EXITING);
		} else {
			kmd_park_publish(p, KMD_PARK_PARKED);
			/* Killable: SIGKILL (and so exec and core dumps) must win. */
			left = wait_event_killable_timeout(fz->thaw_wq,
							   atomic_read(&fz->thawed),
							   nsecs_to_jiffies(fz->hold_limit_ns));
			if (left == 0)
				atomic_inc(&fz->self_released);
		}
	}
	kmd_park_put(p);
	module_put(THIS_MODULE);
}

/*
 * Read @t's registers into @rb from outside, only if @t's park work has not
 * run yet: until it runs the thread cannot pass exit_task_work(), so its
 * stack is alive for the whole read. Returns false if the work already ran.
 */
bool kmd_park_read_outside(struct kmd_park *p, struct task_struct *t,
			   struct kmd_regbufs *rb)
{
	bool queued;

	if (!p)
		return false;
	mutex_lock(&p->outside_lock);
	queued = atomic_read_acquire(&p->state) == KMD_PARK_QUEUED;
	if (queued)
		kmd_regs_read(t, rb);
	mutex_unlock(&p->outside_lock);
	return queued;
}

bool kmd_park_take_regs(struct kmd_park *p, struct kmd_regbufs *rb)
{
	int st;

	if (!p)
		return false;
	st = atomic_read_acquire(&p->state);
	if (st != KMD_PARK_PARKED && st != KMD_PARK_EXITING)
		return false;
	if (p->regs_taken || !p->rb.flags)
		return false;
	*rb = p->rb;
	p->regs_taken = true;
	return true;
}

/* Drop the capture's hold on a park. Its buffers are no longer charged to the
 * session; if the callback has not run yet they live until it does.
 */
void kmd_park_release(struct kmd_capture *c, struct kmd_park *p)
{
	if (!p)
		return;
	if (!p->regs_taken)
		kmd_mem_uncharge(c, (u64)p->rb.gp_len + p->rb.fp_len + p->rb.xs_len);
	kmd_park_put(p);
}

/* --- the worker side --- */

static bool kmd_is_worker(struct task_struct *t)
{
	return READ_ONCE(t->flags) & (PF_KTHREAD | KMD_PF_WORKERS);
}

static int kmd_threads_grow(struct kmd_capture *c, u32 need)
{
	struct kmd_snapshot *s = &c->snap;
	struct kmd_thread *n;
	u32 cap;

	if (need <= c->threads_cap)
		return 0;
	if (need > KMD_MAX_THREADS)
		return -E2BIG;
	cap = max3(need, 2 * c->threads_cap, 16U);
	cap = min_t(u32, cap, KMD_MAX_THREADS);
	n = kmd_alloc(c, (size_t)cap * sizeof(*n));
	if (!n)
		return kmd_cancelled(c) ? -ECANCELED : -EDQUOT;
	if (s->threads)
		memcpy(n, s->threads, (size_t)s->nr_threads * sizeof(*n));
	kmd_free(c, s->threads, (size_t)c->threads_cap * sizeof(*n));
	s->threads = n;
	c->threads_cap = cap;
	return 0;
}

/* Queue the park work on @t (whose entry is @th). */
static void kmd_park_queue(struct kmd_capture *c, struct kmd_thread *th,
			   struct task_struct *t)
{
	struct kmd_park *p;
	int err;

	if (t == c->target.requester) {
		th->status = KMDUMP_THREAD_FREEZE_SELF;
		return;
	}
	if (kmd_is_worker(t)) {
		th->status = KMDUMP_THREAD_FREEZE_SKIPPED_WORKER;
		return;
	}
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		goto fail;
	mutex_init(&p->outside_lock);
	err = kmd_regbufs_alloc(c, t, &p->rb);
	if (err == -ESRCH) {
		kfree(p);
		th->status = KMDUMP_THREAD_FREEZE_GONE;
		return;
	}
	if (err)
		goto fail_free;
	refcount_set(&p->ref, 2);	/* the work + th->park */
	refcount_inc(&c->fz->ref);
	p->fz = c->fz;
	init_task_work(&p->cb, kmd_park_cb);
	if (!try_module_get(THIS_MODULE)) {
		refcount_set(&p->ref, 1);
		th->park = p;
		th->status = KMDUMP_THREAD_FREEZE_GONE;
		return;
	}
	err = task_work_add(t, &p->cb, TWA_RESUME);
	if (err) {
		/* -ESRCH: already past exit_task_work(). */
		module_put(THIS_MODULE);
		refcount_set(&p->ref, 1);
		th->status = KMDUMP_THREAD_FREEZE_GONE;
	}
	th->park = p;
	return;

fail_free:
	kfree(p);
fail:
	/* Out of memory for this thread: report it as not held. */
	th->status = KMDUMP_THREAD_FREEZE_NOT_PARKED;
}

/* Collect the live threads of the group into a referenced array. */
static int kmd_scan_threads(struct task_struct *leader, struct task_struct ***out,
			    u32 *nr)
{
	struct task_struct **v, *t;
	u32 cap, n;

	cap = READ_ONCE(leader->signal->nr_threads) + 16;
	for (;;) {
		if (cap > KMD_MAX_THREADS + 16)
			return -E2BIG;
		v = kvmalloc_array(cap, sizeof(*v), GFP_KERNEL_ACCOUNT);
		if (!v)
			return -ENOMEM;
		n = 0;
		rcu_read_lock();
		for_each_thread(leader, t) {
			if (n == cap) {
				n++;
				break;
			}
			get_task_struct(t);
			v[n++] = t;
		}
		rcu_read_unlock();
		if (n <= cap)
			break;
		while (--n > 0)
			put_task_struct(v[n - 1]);
		kvfree(v);
		cap *= 2;
	}
	*out = v;
	*nr = n;
	return 0;
}

/* Add threads not seen before; returns how many were new, or -errno. */
static int kmd_add_new_threads(struct kmd_capture *c, struct xarray *seen,
			       struct task_struct *leader)
{
	struct task_struct **v;
	struct kmd_thread *th;
	u32 nr, i;
	int err, added = 0;

	err = kmd_scan_threads(leader, &v, &nr);
	if (err)
		return err;
	for (i = 0; i < nr; i++) {
		struct task_struct *t = v[i];

		if (xa_load(seen, (unsigned long)t->pid) == t)
			goto put;
		if (t->exit_state)
			goto put;	/* zombie: nothing to hold */
		err = kmd_threads_grow(c, c->snap.nr_threads + 1);
		if (!err)
			err = xa_err(xa_store(seen, (unsigned long)t->pid, t,
					      GFP_KERNEL_ACCOUNT));
		if (err)
			break;
		th = &c->snap.threads[c->snap.nr_threads++];
		memset(th, 0, sizeof(*th));
		th->task = t;
		v[i] = NULL;	/* reference moves to th->task */
		kmd_park_queue(c, th, t);
		added++;
		continue;
put:
		put_task_struct(t);
		v[i] = NULL;
	}
	for (; i < nr; i++)
		if (v[i])
			put_task_struct(v[i]);
	kvfree(v);
	return err ? err : added;
}

static bool kmd_task_off_cpu(struct task_struct *t)
{
	return READ_ONCE(t->__state) != TASK_RUNNING && !READ_ONCE(t->on_cpu);
}

/* Classify one thread; true when it is held (or cannot run user code). */
static bool kmd_thread_held(struct kmd_thread *th)
{
	struct task_struct *t = th->task;
	int st;

	switch (th->status) {
	case KMDUMP_THREAD_FREEZE_SELF:
	case KMDUMP_THREAD_FREEZE_SKIPPED_WORKER:
	case KMDUMP_THREAD_FREEZE_GONE:
		return true;
	}
	if (th->park) {
		st = atomic_read_acquire(&th->park->state);
		if (st == KMD_PARK_PARKED) {
			th->status = KMDUMP_THREAD_FREEZE_PARKED;
			return true;
		}
		if (st == KMD_PARK_EXITING) {
			th->status = KMDUMP_THREAD_FREEZE_EXITING;
			return true;
		}
	}
	if (READ_ONCE(t->exit_state)) {
		th->status = KMDUMP_THREAD_FREEZE_GONE;
		return true;
	}
	if (READ_ONCE(t->flags) & PF_EXITING) {
		th->status = KMDUMP_THREAD_FREEZE_EXITING;
		return true;
	}
	if (th->park && kmd_task_off_cpu(t)) {
		th->status = KMDUMP_THREAD_FREEZE_BLOCKED;
		return true;
	}
	th->status = KMDUMP_THREAD_FREEZE_NOT_PARKED;
	return false;
}

static u32 kmd_count_unheld(struct kmd_capture *c)
{
	u32 i, n = 0;

	for (i = 0; i < c->snap.nr_threads; i++)
		if (!kmd_thread_held(&c->snap.threads[i]))
			n++;
	return n;
}

/* Wait until every known thread is held, or until @deadline (ktime ns). */
static int kmd_wait_held(struct kmd_capture *c, u64 deadline)
{
	struct kmd_freeze *fz = c->fz;
	unsigned long poll = KMD_POLL_MIN_JIFFIES;
	u64 now;
	int ev;

	for (;;) {
		ev = atomic_read(&fz->events);
		if (!kmd_count_unheld(c))
			return 0;
		if (kmd_cancelled(c))
			return -ECANCELED;
		now = ktime_get_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		poll = min_t(unsigned long, poll,
			     max_t(unsigned long, 1, nsecs_to_jiffies(deadline - now)));
		/* A park wakes us; a thread that blocks does not, hence the poll. */
		wait_event_timeout(fz->park_wq, atomic_read(&fz->events) != ev, poll);
		poll = min_t(unsigned long, poll * 2, KMD_POLL_MAX_JIFFIES);
	}
}

int kmd_capture_freeze(struct kmd_capture *c, u64 timeout_ns)
{
	struct kmd_freeze *fz = c->fz;
	struct task_struct *leader;
	struct xarray seen;
	u64 deadline;
	u32 round;
	int n, err = 0;

	if (fz->t_start_ns)
		return -EBUSY;	/* one freeze per capture */
	leader = get_pid_task(c->target.pid, PIDTYPE_TGID);
	if (!leader)
		return -ESRCH;
	xa_init(&seen);
	fz->t_start_ns = ktime_get_ns();
	deadline = fz->t_start_ns + timeout_ns;

	if (!kmd_group_uses_mm(leader, c->target.mm)) {
		err = -ESRCH;
		goto out;
	}
	for (round = 0; round < KMD_FREEZE_ROUNDS; round++) {
		n = kmd_add_new_threads(c, &seen, leader);
		if (n < 0) {
			err = n;
			break;
		}
		if (!n && round) {
			err = 0;
			break;
		}
		err = kmd_wait_held(c, deadline);
		if (err)
			break;
		c->freeze_rounds = round + 1;
	}
	if (!err && round == KMD_FREEZE_ROUNDS)
		err = kmd_count_unheld(c) ? -ETIMEDOUT : 0;
	if ((!err || err == -ETIMEDOUT) && !c->snap.nr_threads)
		err = -ESRCH;	/* every thread had exited */
	if ((!err || err == -ETIMEDOUT) &&
	    !kmd_group_uses_mm(leader, c->target.mm))
		err = -ESRCH;	/* exec'd or exited during the freeze */
out:
	WRITE_ONCE(fz->t_frozen_ns, ktime_get_ns());
	xa_destroy(&seen);
	put_task_struct(leader);
	if (err && err != -ETIMEDOUT)
		kmd_capture_thaw(c);
	return err;
}

void kmd_capture_thaw(struct kmd_capture *c)
{
	struct kmd_freeze *fz = c->fz;

	if (!fz || atomic_xchg(&fz->thaw_started, 1))
		return;
	WRITE_ONCE(fz->t_thaw_ns, ktime_get_ns());
	atomic_set_release(&fz->thawed, 1);
	wake_up_all(&fz->thaw_wq);
}

u64 kmd_capture_freeze_ns(const struct kmd_capture *c)
{
	u64 end = READ_ONCE(c->fz->t_frozen_ns);

	return end ? end - c->fz->t_start_ns : 0;
}

u64 kmd_capture_pause_ns(const struct kmd_capture *c)
{
	const struct kmd_freeze *fz = c->fz;
	u64 end = READ_ONCE(fz->t_thaw_ns);

	if (!fz->t_start_ns)
		return 0;
	return (end ?: ktime_get_ns()) - fz->t_start_ns;
}

u32 kmd_capture_self_released(const struct kmd_capture *c)
{
	return atomic_read(&c->fz->self_released);
}

bool kmd_freeze_started(const struct kmd_freeze *fz)
{
	return fz->t_start_ns != 0;
}
