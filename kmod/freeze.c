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
 * which owns a reference on the struct kmd_freeze it currently serves, plus
 * a module reference; all are dropped by the callback, whenever it runs (at
 * the next return to user mode, or in do_exit via exit_task_work). After the
 * thaw a callback returns at once. The module_put() at the end of the
 * callback leaves a window of a few instructions in module text; it is
 * unavoidable for task_work (there is no module_put_and_return) and is why
 * the module must never be force-unloaded.
 *
 * One work per thread: a thread blocked in the kernel keeps its work queued
 * after the session ends. Every queued work is listed in kmd_parks (keyed by
 * task); a later freeze of the same thread re-points that work at itself
 * instead of queueing another, so repeated sessions on a target with blocked
 * threads cannot pile up works, module references or memory. The register
 * buffers of a work are owned by the capture that queued or re-pointed it and
 * are freed when that capture lets go (kmd_park_release()), never left
 * behind with the work. max_parks and max_parks_per_target bound the works.
 *
 * Exec and credential changes: a work remembers the mm and the credentials
 * its thread had when the freeze authorised it. A thread that comes back to
 * user mode with another mm (it exec'd) or other credentials (setuid, a
 * setuid exec) never parks: it thaws the whole freeze at once and marks it
 * changed, and the session fails (kmd_capture_target_changed()).
 *
 * Lock order: kmd_parks_lock (spinlock) and park->lock (mutex) are never
 * held together: a work is found under kmd_parks_lock with a reference, and
 * re-pointed under its own lock. park->lock is held by the callback across
 * the thread's own register read and by the worker across a read from
 * outside; no other lock is taken under it. Park state is an atomic with
 * release/acquire ordering: the thread writes its registers, then publishes
 * KMD_PARK_PARKED; the worker reads the state, then the registers.
 */
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/mm.h>
#include <linux/task_work.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <linux/hashtable.h>
#include <linux/cred.h>
#include <linux/jiffies.h>
#include <linux/timekeeping.h>
#include "capture_internal.h"
#include "compat.h"
#include "limits.h"

#define KMD_HOLD_LIMIT_DEFAULT_NS	(30ULL * NSEC_PER_SEC)
#define KMD_POLL_MIN_JIFFIES		1
#define KMD_POLL_MAX_JIFFIES		(HZ / 50)

struct kmd_freeze {
	refcount_t ref;			/* the capture + every live park */
	atomic_t thaw_started;
	atomic_t thawed;
	atomic_t events;		/* bumped by every park; worker waits on it */
	atomic_t self_released;		/* parks that hit hold_limit before thaw */
	atomic_t changed;		/* a thread exec'd or changed credentials */
	const struct mm_struct *mm;	/* the authorised mm; compared only */
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
	refcount_t ref;			/* the queued work + each capture holding it */
	atomic_t state;			/* enum kmd_park_state */
	struct task_struct *task;	/* alive while the work is queued */
	struct hlist_node node;		/* kmd_parks while queued */
	bool listed;			/* under kmd_parks_lock */
	/*
	 * Held by the callback from its start until it has published its
	 * state, and by the worker while it reads a blocked thread's
	 * registers from outside or re-points the work. The callback runs
	 * before do_exit() can release the thread's stack, so while the
	 * worker holds it and the callback has not started, the stack (and
	 * pt_regs) stays put.
	 */
	struct mutex lock;
	bool started;			/* the callback began (under lock) */
	struct kmd_freeze *fz;		/* under lock; the freeze it serves */
	const struct cred *cred;	/* under lock; the authorised credentials */
	struct kmd_regbufs rb;		/* under lock; filled by the thread itself */
	struct kmd_capture *owner;	/* under lock; whose memory rb is */
};

static DEFINE_SPINLOCK(kmd_parks_lock);
static DEFINE_HASHTABLE(kmd_parks, 10);
static unsigned int kmd_parks_queued;	/* under kmd_parks_lock */

struct kmd_freeze *kmd_freeze_new(struct kmd_capture *c)
{
	struct kmd_freeze *fz = kzalloc(sizeof(*fz), GFP_KERNEL_ACCOUNT);

	if (!fz)
		return NULL;
	refcount_set(&fz->ref, 1);
	init_waitqueue_head(&fz->thaw_wq);
	init_waitqueue_head(&fz->park_wq);
	fz->mm = c->target.mm;
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
	/* Every capture frees its buffers in kmd_park_release(). */
	WARN_ON_ONCE(p->rb.gp || p->rb.fp || p->rb.xs);
	if (p->cred)
		put_cred(p->cred);
	kmd_freeze_put(p->fz);
	kfree(p);
}

static void kmd_park_publish(struct kmd_park *p, struct kmd_freeze *fz, int state)
{
	atomic_set_release(&p->state, state);
	atomic_inc(&fz->events);
	wake_up(&fz->park_wq);
}

static void kmd_freeze_release_all(struct kmd_freeze *fz)
{
	if (atomic_xchg(&fz->thaw_started, 1))
		return;
	WRITE_ONCE(fz->t_thaw_ns, ktime_get_ns());
	atomic_set_release(&fz->thawed, 1);
	wake_up_all(&fz->thaw_wq);
}

/* Off the list: the work is running and can no longer be re-pointed. */
static void kmd_park_unlist(struct kmd_park *p)
{
	spin_lock(&kmd_parks_lock);
	if (p->listed) {
		hash_del(&p->node);
		p->listed = false;
		kmd_parks_queued--;
	}
	spin_unlock(&kmd_parks_lock);
}

/* Did the thread exec or change credentials since the freeze authorised it? */
/* Under p->lock (p->cred). */
static bool kmd_park_changed(const struct kmd_park *p, const struct kmd_freeze *fz)
{
	lockdep_assert_held(&p->lock);
	return current->mm != fz->mm ||
	       rcu_access_pointer(current->real_cred) != p->cred;
}

/*
 * The thread's side, under p->lock: what to do, with the registers saved
 * when it parks. Returns true if it must wait for the thaw.
 */
static bool kmd_park_enter(struct kmd_park *p, struct kmd_freeze *fz)
{
	lockdep_assert_held(&p->lock);
	if (atomic_read(&fz->thawed)) {
		atomic_set(&p->state, KMD_PARK_LATE);
		return false;
	}
	if (current->flags & PF_EXITING) {
		/* In do_exit: user registers are gone, never runs user code again. */
		kmd_park_publish(p, fz, KMD_PARK_EXITING);
		return false;
	}
	if (kmd_park_changed(p, fz)) {
		/* A new image or new credentials: never hold it. */
		atomic_set(&fz->changed, 1);
		kmd_park_publish(p, fz, KMD_PARK_LATE);
		kmd_freeze_release_all(fz);
		return false;
	}
	kmd_regs_read(current, &p->rb);
	kmd_regs_read_debug(&p->rb);
	if (fatal_signal_pending(current)) {
		/* SIGKILL, exec's de_thread or a core dump wants this thread:
		 * it will not run user code again, so do not delay them.
		 */
		kmd_park_publish(p, fz, KMD_PARK_EXITING);
		return false;
	}
	kmd_park_publish(p, fz, KMD_PARK_PARKED);
	return true;
}

/* Runs as the target thread, from resume_user_mode_work() or exit_task_work(). */
static void kmd_park_cb(struct callback_head *cb)
{
	struct kmd_park *p = container_of(cb, struct kmd_park, cb);
	struct kmd_freeze *fz;
	bool wait;
	long left;

	kmd_park_unlist(p);
	mutex_lock(&p->lock);
	p->started = true;
	fz = p->fz;
	wait = kmd_park_enter(p, fz);
	mutex_unlock(&p->lock);
	if (wait) {
		/* Killable: SIGKILL (and so exec and core dumps) must win. */
		left = wait_event_killable_timeout(fz->thaw_wq,
						   atomic_read(&fz->thawed),
						   nsecs_to_jiffies(fz->hold_limit_ns));
		if (left == 0)
			atomic_inc(&fz->self_released);
	}
	kmd_park_put(p);
	module_put(THIS_MODULE);
}

/*
 * Read @t's registers into @rb from outside, only if @t's park work has not
 * started yet: until it runs the thread cannot pass exit_task_work(), so its
 * stack is alive for the whole read. Returns false if the work already ran.
 */
bool kmd_park_read_outside(struct kmd_park *p, struct task_struct *t,
			   struct kmd_regbufs *rb)
{
	bool queued;

	if (!p)
		return false;
	mutex_lock(&p->lock);
	queued = !p->started;
	if (queued)
		kmd_regs_read(t, rb);
	mutex_unlock(&p->lock);
	return queued;
}

bool kmd_park_take_regs(struct kmd_park *p, struct kmd_regbufs *rb)
{
	bool taken = false;
	int st;

	if (!p)
		return false;
	st = atomic_read_acquire(&p->state);
	if (st != KMD_PARK_PARKED && st != KMD_PARK_EXITING)
		return false;
	mutex_lock(&p->lock);
	if (p->rb.flags) {
		*rb = p->rb;
		memset(&p->rb, 0, sizeof(p->rb));
		taken = true;
	}
	mutex_unlock(&p->lock);
	return taken;
}

/* Frees the register buffers of the capture that owns them. Under p->lock. */
static void kmd_park_drop_regs(struct kmd_park *p)
{
	lockdep_assert_held(&p->lock);
	if (p->owner)
		kmd_regbufs_free(p->owner, &p->rb);
	p->owner = NULL;
}

/*
 * Drop the capture's hold on a park. The register buffers belong to the
 * capture: they are freed now, whether or not the callback has run, so a
 * work left queued on a blocked thread holds only its small struct.
 */
void kmd_park_release(struct kmd_capture *c, struct kmd_park *p)
{
	if (!p)
		return;
	mutex_lock(&p->lock);
	if (p->owner == c)
		kmd_park_drop_regs(p);
	mutex_unlock(&p->lock);
	kmd_park_put(p);
}

bool kmd_freeze_changed(const struct kmd_freeze *fz)
{
	return atomic_read(&fz->changed) != 0;
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

/* Points @p, whose callback has not started, at @c's freeze. Under p->lock. */
static void kmd_park_serve(struct kmd_park *p, struct kmd_capture *c,
			   const struct cred *cred, const struct kmd_regbufs *rb)
{
	lockdep_assert_held(&p->lock);
	kmd_park_drop_regs(p);
	refcount_inc(&c->fz->ref);
	kmd_freeze_put(p->fz);
	p->fz = c->fz;
	if (p->cred)
		put_cred(p->cred);
	p->cred = cred;
	p->rb = *rb;
	p->owner = c;
}

/*
 * @t's work queued by an earlier freeze, re-pointed at this one, with a
 * reference for the capture; NULL if @t has none waiting. Owns @cred and
 * @rb on success.
 */
static struct kmd_park *kmd_park_reuse(struct kmd_capture *c, struct task_struct *t,
				       const struct cred *cred, const struct kmd_regbufs *rb)
{
	struct kmd_park *p, *found = NULL;

	spin_lock(&kmd_parks_lock);
	hash_for_each_possible(kmd_parks, p, node, (unsigned long)t) {
		if (p->task == t) {
			refcount_inc(&p->ref);	/* listed: the work's ref is held */
			found = p;
			break;
		}
	}
	spin_unlock(&kmd_parks_lock);
	if (!found)
		return NULL;
	mutex_lock(&found->lock);
	if (found->started) {
		mutex_unlock(&found->lock);
		kmd_park_put(found);
		return NULL;
	}
	kmd_park_serve(found, c, cred, rb);
	mutex_unlock(&found->lock);
	return found;
}

/* Takes a place for a new work under max_parks, and lists it. */
static int kmd_park_list(struct kmd_capture *c, struct kmd_park *p)
{
	int err = 0;

	spin_lock(&kmd_parks_lock);
	if (kmd_parks_queued >= READ_ONCE(kmd_max_parks)) {
		err = -EAGAIN;
	} else {
		kmd_parks_queued++;
		p->listed = true;
		hash_add(kmd_parks, &p->node, (unsigned long)p->task);
	}
	spin_unlock(&kmd_parks_lock);
	if (err)
		kmd_limit_hit(c,
			      "kmdump: max_parks park works are queued on the machine (threads blocked since earlier dumps hold them until they return to user mode): retry later, or have root raise /sys/module/kmdump/parameters/max_parks");
	return err;
}

/* A new work for @t, serving @c's freeze; it owns @cred and @rb on success. */
static struct kmd_park *kmd_park_new(struct kmd_capture *c, struct task_struct *t,
				     const struct cred *cred, const struct kmd_regbufs *rb)
{
	struct kmd_park *p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	int err;

	if (!p)
		return ERR_PTR(-ENOMEM);
	mutex_init(&p->lock);
	p->task = t;
	refcount_set(&p->ref, 2);	/* the work + th->park */
	init_task_work(&p->cb, kmd_park_cb);
	mutex_lock(&p->lock);
	kmd_park_serve(p, c, cred, rb);
	mutex_unlock(&p->lock);
	if (!try_module_get(THIS_MODULE)) {
		err = -ESRCH;
		goto undo;
	}
	err = kmd_park_list(c, p);
	if (err) {
		module_put(THIS_MODULE);
		goto undo;
	}
	err = task_work_add(t, &p->cb, TWA_RESUME);
	if (!err)
		return p;
	/* -ESRCH: already past exit_task_work(). */
	kmd_park_unlist(p);
	module_put(THIS_MODULE);
undo:
	p->cred = NULL;		/* the caller still owns cred and rb */
	memset(&p->rb, 0, sizeof(p->rb));
	p->owner = NULL;
	refcount_set(&p->ref, 1);
	kmd_park_put(p);
	return ERR_PTR(err);
}

/*
 * Queue the park work on @t (whose entry is @th), or re-point the one an
 * earlier freeze left queued. Returns 0 (th->status says how @t is held) or
 * a limit's refusal.
 */
static int kmd_park_queue(struct kmd_capture *c, struct kmd_thread *th,
			  struct task_struct *t)
{
	struct kmd_regbufs rb;
	const struct cred *cred;
	struct kmd_park *p;
	int err;

	if (t == c->target.requester) {
		th->status = KMDUMP_THREAD_FREEZE_SELF;
		return 0;
	}
	if (kmd_is_worker(t)) {
		th->status = KMDUMP_THREAD_FREEZE_SKIPPED_WORKER;
		return 0;
	}
	if (++c->parks > READ_ONCE(kmd_max_parks_per_target)) {
		kmd_limit_hit(c,
			      "kmdump: the target has more threads than max_parks_per_target: have root raise /sys/module/kmdump/parameters/max_parks_per_target");
		return -EAGAIN;
	}
	err = kmd_regbufs_alloc(c, t, &rb);
	if (err == -ESRCH) {
		th->status = KMDUMP_THREAD_FREEZE_GONE;
		return 0;
	}
	if (err)
		return err;
	cred = get_task_cred(t);
	p = kmd_park_reuse(c, t, cred, &rb);
	if (!p)
		p = kmd_park_new(c, t, cred, &rb);
	if (!IS_ERR(p)) {
		th->park = p;
		return 0;
	}
	put_cred(cred);
	kmd_regbufs_free(c, &rb);
	err = PTR_ERR(p);
	if (err == -ESRCH) {
		th->status = KMDUMP_THREAD_FREEZE_GONE;
		return 0;
	}
	if (err == -ENOMEM) {
		/* Out of memory for this thread: report it as not held. */
		th->status = KMDUMP_THREAD_FREEZE_NOT_PARKED;
		return 0;
	}
	return err;
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
		th->cred = get_task_cred(t);
		v[i] = NULL;	/* reference moves to th->task */
		err = kmd_park_queue(c, th, t);
		if (err) {
			i++;
			break;
		}
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
		if (kmd_freeze_changed(fz))
			return -EACCES;
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
	if (err != -EAGAIN && err != -EDQUOT && kmd_capture_target_changed(c))
		err = -EACCES;	/* a thread exec'd or changed credentials */
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
	if (c->fz)
		kmd_freeze_release_all(c->fz);
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

/* Does a live thread of @leader's group run on an mm other than @mm (exec)? */
static bool kmd_group_exec_seen(struct task_struct *leader, const struct mm_struct *mm)
{
	struct task_struct *t;
	bool other = false;

	rcu_read_lock();
	for_each_thread(leader, t) {
		struct mm_struct *tm = READ_ONCE(t->mm);

		if (tm && tm != mm) {
			other = true;
			break;
		}
	}
	rcu_read_unlock();
	return other;
}

bool kmd_capture_target_changed(struct kmd_capture *c)
{
	struct task_struct *leader;
	bool changed;
	u32 i;

	if (kmd_freeze_changed(c->fz))
		return true;
	for (i = 0; i < c->snap.nr_threads; i++) {
		struct kmd_thread *th = &c->snap.threads[i];

		if (th->cred && !READ_ONCE(th->task->exit_state) &&
		    rcu_access_pointer(th->task->real_cred) != th->cred)
			return true;
	}
	leader = get_pid_task(c->target.pid, PIDTYPE_TGID);
	if (!leader)
		return false;	/* exited: reads say so themselves */
	changed = kmd_group_exec_seen(leader, c->target.mm);
	put_task_struct(leader);
	return changed;
}
