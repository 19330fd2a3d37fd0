// SPDX-License-Identifier: GPL-2.0
/*
 * kmdump sessions.
 *
 * A session is one dump of one target, owned by the netlink socket that
 * opened it: only requests from that very socket find it (a new socket that
 * binds the same port id after the owner's closed finds nothing). It ends on
 * session-close, when the owner's socket closes (NETLINK_URELEASE), when its
 * watchdog sees no request for watchdog-ms (or the target has been paused for
 * pause-max-ms), when the target execs or changes credentials, or when its
 * open fails. Ending always thaws the target.
 *
 * Limits (limits.c): 4 sessions per socket, max_sessions_per_user per user
 * and max_sessions in all; the capture's kernel memory counts against
 * session_mem_max_mb and the user's user_mem_max_mb, and is allocated in the
 * opener's memory cgroup (the workers switch to it), so a container pays for
 * its own dumps.
 *
 * Life cycle (kmd_session_next() is the whole state machine):
 *   OPENING --opened--> READY --end--> ENDING --thawed--> ENDED
 *   OPENING --end--> ENDING (open failed, interrupted or socket closed)
 * All long work runs on kmd_wq (unbound): open_work freezes, snapshots and
 * answers the session-open request (the doit returns without replying),
 * end_work thaws and unlists, kdump_work writes kernel dumps, free_work frees.
 * A doit only resolves, checks and queues: none waits on the target or on
 * a worker, so no netlink lock (genl's cb_lock) is ever held across such a
 * wait. session-close is answered by end_work once the target is thawed.
 *
 * References: the session list holds one (dropped by end_work), every user
 * (doit, dump callback, queued work) holds one. The last put queues
 * free_work, which frees the capture (engine: worker context only), drops the
 * target references and the module reference taken at creation, so rmmod is
 * refused while any session exists; module exit drains kmd_wq before the
 * module text goes away, so free_work's final module_put() is safe.
 *
 * Lock order (outermost first; nothing else is ever nested):
 *   1. kmd_sessions_lock (mutex): the list, the id map, the counts.
 *   2. session->lock (spinlock): state, end_reason, kdump_busy,
 *      close_pending, and the watchdog re-arm, so nothing re-arms a session
 *      once it is ENDING.
 *   kmd_users_lock (limits.c) is a leaf under kmd_sessions_lock.
 *   session->io_lock (mutex) serialises engine calls on the capture (open,
 *   reads, kernel dump, thaw). It is taken with no other lock held, and
 *   nothing above is taken while holding it except session->lock.
 *   The engine's own locks (capture.h) are below all of these.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/idr.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/pid_namespace.h>
#include <linux/user_namespace.h>
#include <linux/sched/mm.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/cred.h>
#include <linux/path.h>
#include <linux/memcontrol.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <net/sock.h>
#include "kmdump.h"
#include "session.h"
#include "events.h"
#include "errno_hresult.h"
#include "limits.h"

#define KMD_FREEZE_TIMEOUT_NS	(10ULL * NSEC_PER_SEC)
#define KMD_CLOSE_WAIT		(30 * HZ)

static DEFINE_MUTEX(kmd_sessions_lock);
static LIST_HEAD(kmd_sessions);
static DEFINE_IDR(kmd_session_ids);
static unsigned int kmd_sessions_total;
static struct workqueue_struct *kmd_wq;

/* Until kmd_sessions_init() names the netlink replies, nothing can be answered. */
static int kmd_no_open_answer(struct kmd_session *s, int err, const char *msg)
{
	return -ENOTCONN;
}

static int kmd_no_close_answer(struct kmd_session *s)
{
	return -ENOTCONN;
}

static const struct kmd_session_answers kmd_no_answers = {
	.open = kmd_no_open_answer,
	.close = kmd_no_close_answer,
};

static const struct kmd_session_answers *kmd_answers = &kmd_no_answers;

int kmd_session_next(enum kmd_session_state cur, enum kmd_session_event ev,
		     enum kmd_session_state *next)
{
	switch (ev) {
	case KMD_EV_OPENED:
		if (cur != KMD_SESSION_OPENING)
			return -EINVAL;
		*next = KMD_SESSION_READY;
		return 0;
	case KMD_EV_END:
		if (cur != KMD_SESSION_OPENING && cur != KMD_SESSION_READY)
			return -EALREADY;
		*next = KMD_SESSION_ENDING;
		return 0;
	case KMD_EV_THAWED:
		if (cur != KMD_SESSION_ENDING)
			return -EINVAL;
		*next = KMD_SESSION_ENDED;
		return 0;
	}
	return -EINVAL;
}

/* The fixed per-socket limit; the per-user and total ones are in limits.c. */
int kmd_session_limits_check(unsigned int on_socket)
{
	return on_socket >= KMDUMP_MAX_SESSIONS_PER_PORT ? -EUSERS : 0;
}

/* Moves the state along @ev; false if the session is not in a state for it. */
static bool kmd_session_step(struct kmd_session *s, enum kmd_session_event ev)
{
	enum kmd_session_state next;
	bool ok;

	spin_lock(&s->lock);
	ok = !kmd_session_next(s->state, ev, &next);
	if (ok)
		s->state = next;
	spin_unlock(&s->lock);
	return ok;
}

static bool kmd_session_is(struct kmd_session *s, enum kmd_session_state st)
{
	bool is;

	spin_lock(&s->lock);
	is = s->state == st;
	spin_unlock(&s->lock);
	return is;
}

/* Drops the references a resolved target holds (any of them may be unset). */
void kmd_target_release(struct kmd_target *t)
{
	if (t->mm)
		mmdrop(t->mm);
	put_pid(t->pid);
	if (t->ns)
		put_pid_ns(t->ns);
	if (t->user_ns)
		put_user_ns(t->user_ns);
	if (t->requester)
		put_task_struct(t->requester);
	if (t->root.mnt)
		path_put(&t->root);
	memset(t, 0, sizeof(*t));
}

static void kmd_session_free_work(struct work_struct *w)
{
	struct kmd_session *s = container_of(w, struct kmd_session, free_work);

	if (s->cap)
		kmd_capture_free(s->cap);
	if (s->kdump_out)
		fput(s->kdump_out);
	kmd_target_release(&s->target);
	kmd_user_put(s->user);
	mem_cgroup_put(s->memcg);
	sock_put(s->owner);
	kfree(s);
	module_put(THIS_MODULE);
}

void kmd_session_put(struct kmd_session *s)
{
	if (s && refcount_dec_and_test(&s->ref))
		queue_work(kmd_wq, &s->free_work);
}

/* Under s->lock: the re-arm is ordered with the state (see the lock order above). */
static void kmd_session_arm_watchdog(struct kmd_session *s)
{
	u64 paused = ktime_to_ns(ktime_sub(ktime_get(), s->opened_at));
	u64 left = (u64)KMDUMP_PAUSE_MAX_MS * NSEC_PER_MSEC;
	unsigned long delay = s->watchdog;

	lockdep_assert_held(&s->lock);
	left = paused < left ? left - paused : 0;
	delay = min_t(unsigned long, delay, nsecs_to_jiffies(left));
	mod_delayed_work(kmd_wq, &s->watchdog_work, delay);
}

/* Any request naming the session proves its owner is alive. */
void kmd_session_touch(struct kmd_session *s)
{
	if (s->kind != KMD_KIND_TARGET)
		return;
	spin_lock(&s->lock);
	if (s->state == KMD_SESSION_READY)
		kmd_session_arm_watchdog(s);
	spin_unlock(&s->lock);
}

static void kmd_session_watchdog_work(struct work_struct *w)
{
	struct kmd_session *s = container_of(to_delayed_work(w),
					     struct kmd_session, watchdog_work);

	kmd_session_end(s, KMD_END_WATCHDOG);
}

/*
 * Starts ending @s: no new engine call may begin, running ones are told to
 * stop, and end_work thaws. Safe from any sleepable context; never sleeps
 * itself, so the URELEASE notifier and the watchdog use it directly.
 */
void kmd_session_end(struct kmd_session *s, enum kmd_end_reason why)
{
	struct kmd_capture *cap;
	bool first;

	spin_lock(&s->lock);
	first = !kmd_session_next(s->state, KMD_EV_END, &s->state);
	if (first)
		s->end_reason = why;
	cap = s->cap;
	spin_unlock(&s->lock);
	if (!first)
		return;
	atomic_set(&s->kdump_cancel, 1);
	if (cap)
		kmd_capture_cancel(cap);
	refcount_inc(&s->ref);
	queue_work(kmd_wq, &s->end_work);
}

static void kmd_session_publish_end(struct kmd_session *s)
{
	switch (s->end_reason) {
	case KMD_END_FAILED:
		kmd_event_session(s, KMDUMP_EVENT_TYPE_CANCELLED,
				  kmd_errno_to_hresult(s->open_err < 0 ? s->open_err : -ECANCELED));
		break;
	case KMD_END_RELEASE:
	case KMD_END_UNLOAD:
		kmd_event_session(s, KMDUMP_EVENT_TYPE_CANCELLED, KMDUMP_E_CANCELLED);
		break;
	case KMD_END_WATCHDOG:
		kmd_event_session(s, KMDUMP_EVENT_TYPE_WATCHDOG_EXPIRED, KMDUMP_E_TIMEOUT);
		break;
	case KMD_END_TARGET_CHANGED:
		kmd_event_session(s, KMDUMP_EVENT_TYPE_CANCELLED, KMDUMP_E_ACCESSDENIED);
		break;
	default:
		break;
	}
	kmd_event_session(s, KMDUMP_EVENT_TYPE_CLOSED, KMDUMP_S_OK);
}

static void kmd_session_end_work(struct work_struct *w)
{
	struct kmd_session *s = container_of(w, struct kmd_session, end_work);

	flush_work(&s->open_work);
	cancel_delayed_work_sync(&s->watchdog_work);
	flush_work(&s->kdump_work);

	mutex_lock(&s->io_lock);
	if (s->cap) {
		kmd_capture_thaw(s->cap);
		s->pause_ns = kmd_capture_pause_ns(s->cap);
	}
	mutex_unlock(&s->io_lock);

	mutex_lock(&kmd_sessions_lock);
	list_del_init(&s->node);
	idr_remove(&kmd_session_ids, s->id);
	kmd_sessions_total--;
	kmd_user_session_drop(s->user);
	mutex_unlock(&kmd_sessions_lock);

	kmd_session_publish_end(s);
	kmd_session_step(s, KMD_EV_THAWED);
	complete_all(&s->ended);
	if (s->close_pending)	/* stable: set before end, read after */
		kmd_answers->close(s);
	kmd_session_put(s);	/* the list's reference */
	kmd_session_put(s);	/* end_work's own */
}

/* What a failed open tells the requester, by errno (extended-ack text). */
static const char *kmd_open_failure(struct kmd_session *s, int err)
{
	if ((err == -EDQUOT || err == -EAGAIN) && s->cap && s->cap->limit_msg)
		return s->cap->limit_msg;
	switch (err) {
	case -EACCES:
		return KBUILD_MODNAME
		       ": the target called exec or changed its credentials while being frozen";
	case -EDQUOT:
		return KBUILD_MODNAME ": a kernel memory limit of kmdump was reached";
	case -E2BIG:
		return KBUILD_MODNAME
		       ": the target exceeds a fixed bound of the capture (threads, VMAs, frames)";
	case -ESRCH:
		return KBUILD_MODNAME ": the target exited or called exec while being frozen";
	case -ECANCELED:
		return KBUILD_MODNAME ": the session was cancelled while opening (socket closed)";
	case -ETIMEDOUT:
		return KBUILD_MODNAME ": freezing and snapshotting the target took too long";
	case -ENOMEM:
		return KBUILD_MODNAME ": out of memory while capturing the target";
	default:
		return KBUILD_MODNAME ": capturing the target failed";
	}
}

/*
 * The end of open_work: the session becomes READY (or ends, thawing the
 * target) and the requester gets its answer, the reply the doit deferred.
 * open_err > 0 means some thread never parked (S_FALSE in the reply).
 */
static void kmd_session_open_finish(struct kmd_session *s)
{
	int err = s->open_err < 0 ? s->open_err : 0;

	if (!err && !kmd_session_step(s, KMD_EV_OPENED))
		err = -ECANCELED;
	if (err) {
		if (!s->open_err)
			s->open_err = err;
		kmd_session_end(s, KMD_END_FAILED);
		kmd_answers->open(s, err, kmd_open_failure(s, err));
		return;
	}
	kmd_session_touch(s);
	kmd_event_session(s, KMDUMP_EVENT_TYPE_OPENED,
			  s->open_err ? KMDUMP_S_FALSE : KMDUMP_S_OK);
	/* A requester that cannot learn the session must not leave it frozen. */
	if (kmd_answers->open(s, 0, NULL))
		kmd_session_end(s, KMD_END_FAILED);
}

static void kmd_session_open_work(struct work_struct *w)
{
	struct kmd_session *s = container_of(w, struct kmd_session, open_work);
	u64 hold = ((u64)KMDUMP_PAUSE_MAX_MS + 10000) * NSEC_PER_MSEC;
	struct mem_cgroup *old_memcg;
	struct kmd_capture *cap;
	u32 opts = 0;
	bool cancelled;
	int err;

	old_memcg = set_active_memcg(s->memcg);
	if (s->capture_flags & KMDUMP_CAPTURE_FLAGS_ENVIRON)
		opts |= KMD_CAP_ENVIRON;
	if (s->capture_flags & KMDUMP_CAPTURE_FLAGS_KERNEL_STACKS)
		opts |= KMD_CAP_KSTACKS;

	mutex_lock(&s->io_lock);
	cap = kmd_capture_new(&s->target, opts, kmd_mb(READ_ONCE(kmd_session_mem_max_mb)),
			      hold);
	if (!cap) {
		err = -ENOMEM;
		goto out;
	}
	cap->user = s->user;
	spin_lock(&s->lock);
	s->cap = cap;
	cancelled = s->state != KMD_SESSION_OPENING;
	spin_unlock(&s->lock);
	if (cancelled)
		kmd_capture_cancel(cap);

	s->opened_at = ktime_get();
	err = kmd_capture_freeze(cap, KMD_FREEZE_TIMEOUT_NS);
	if (!err || err == -ETIMEDOUT) {
		int snap = kmd_capture_snapshot(cap);

		err = snap ? snap : (err ? 1 : 0);
	}
	s->freeze_ns = kmd_capture_freeze_ns(cap);
out:
	s->open_err = err;
	mutex_unlock(&s->io_lock);
	set_active_memcg(old_memcg);
	kmd_session_open_finish(s);
	kmd_session_put(s);
}

static void kmd_session_kdump_work(struct work_struct *w);

static unsigned int kmd_sessions_on_sock(const struct sock *sk)
{
	struct kmd_session *s;
	unsigned int n = 0;

	lockdep_assert_held(&kmd_sessions_lock);
	list_for_each_entry(s, &kmd_sessions, node)
		n += s->owner == sk;
	return n;
}

static bool kmd_target_taken(struct pid *pid)
{
	struct kmd_session *s;

	lockdep_assert_held(&kmd_sessions_lock);
	list_for_each_entry(s, &kmd_sessions, node)
		if (pid && s->target.pid == pid)
			return true;
	return false;
}

/*
 * A new session owned by @sk, charged to the caller: its account (uid in the
 * initial user namespace) and its memory cgroup. Requester context.
 */
static struct kmd_session *kmd_session_alloc(struct sock *sk, u32 portid,
					     enum kmd_session_kind kind, u32 watchdog_ms)
{
	struct kmd_session *s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);

	if (!s)
		return NULL;
	s->user = kmd_user_get(current_uid());
	if (!s->user) {
		kfree(s);
		return NULL;
	}
	s->memcg = get_mem_cgroup_from_mm(current->mm);
	sock_hold(sk);
	s->owner = sk;
	s->portid = portid;
	s->kind = kind;
	refcount_set(&s->ref, 2);	/* the list's and the caller's */
	INIT_LIST_HEAD(&s->node);
	spin_lock_init(&s->lock);
	mutex_init(&s->io_lock);
	s->state = KMD_SESSION_OPENING;
	s->watchdog = msecs_to_jiffies(watchdog_ms ? watchdog_ms :
				       KMDUMP_WATCHDOG_MS_DEFAULT);
	s->opened_at = ktime_get();
	INIT_DELAYED_WORK(&s->watchdog_work, kmd_session_watchdog_work);
	INIT_WORK(&s->open_work, kmd_session_open_work);
	INIT_WORK(&s->end_work, kmd_session_end_work);
	INIT_WORK(&s->free_work, kmd_session_free_work);
	INIT_WORK(&s->kdump_work, kmd_session_kdump_work);
	init_completion(&s->ended);
	s->requester_pid = task_tgid_nr(current);
	return s;
}

/*
 * Creates and lists a session for @portid, enforcing the limits. The
 * target's references are not set here; kmd_session_open() moves them in.
 */
static struct kmd_session *kmd_session_create_for(struct sock *sk, u32 portid,
						  enum kmd_session_kind kind,
						  u32 watchdog_ms, struct pid *target,
						  struct netlink_ext_ack *extack)
{
	struct kmd_session *s;
	int id, err;

	s = kmd_session_alloc(sk, portid, kind, watchdog_ms);
	if (!s)
		return ERR_PTR(-ENOMEM);
	mutex_lock(&kmd_sessions_lock);
	err = kmd_session_limits_check(kmd_sessions_on_sock(sk));
	if (err) {
		NL_SET_ERR_MSG_MOD(extack,
				   "this socket holds 4 sessions already (the most one socket may hold): close one first");
		goto fail;
	}
	err = kmd_user_session_take(s->user, kmd_sessions_total, extack);
	if (err)
		goto fail;
	if (kmd_target_taken(target)) {
		err = -EBUSY;
		NL_SET_ERR_MSG_MOD(extack,
				   "the target is already frozen by another kmdump session");
		goto fail_user;
	}
	if (!try_module_get(THIS_MODULE)) {
		err = -ENODEV;
		NL_SET_ERR_MSG_MOD(extack, "the kmdump module is being unloaded");
		goto fail_user;
	}
	id = idr_alloc_cyclic(&kmd_session_ids, s, 1, INT_MAX, GFP_KERNEL_ACCOUNT);
	if (id < 0) {
		module_put(THIS_MODULE);
		err = id;
		goto fail_user;
	}
	s->id = id;
	s->target.pid = get_pid(target);
	list_add_tail(&s->node, &kmd_sessions);
	kmd_sessions_total++;
	mutex_unlock(&kmd_sessions_lock);
	return s;
fail_user:
	kmd_user_session_drop(s->user);
fail:
	mutex_unlock(&kmd_sessions_lock);
	kmd_user_put(s->user);
	mem_cgroup_put(s->memcg);
	sock_put(s->owner);
	kfree(s);
	return ERR_PTR(err);
}

struct kmd_session *kmd_session_create(struct sock *sk, u32 portid,
				       enum kmd_session_kind kind, u32 watchdog_ms,
				       struct netlink_ext_ack *extack)
{
	return kmd_session_create_for(sk, portid, kind, watchdog_ms, NULL, extack);
}

/*
 * Opens a session on the target @req resolved in the requester's context:
 * lists it (limits) and has the worker freeze, snapshot and answer the
 * request (kmd_session_open_finish()). Returns 0 once that is queued, or a
 * refusal made now, with its message in @extack.
 */
int kmd_session_open(struct kmd_open_req *req, struct netlink_ext_ack *extack)
{
	struct kmd_session *s;

	s = kmd_session_create_for(req->sk, req->portid, KMD_KIND_TARGET, req->watchdog_ms,
				   req->target.pid, extack);
	if (IS_ERR(s))
		return PTR_ERR(s);
	/* The references of req->target now belong to the session. */
	put_pid(s->target.pid);
	s->target = req->target;
	memset(&req->target, 0, sizeof(req->target));
	s->capture_flags = req->capture_flags;
	s->target_pid = req->target_pid;
	s->open_req = req->nlh;

	queue_work(kmd_wq, &s->open_work);	/* takes over the caller's reference */
	return 0;
}

/*
 * A READY session whose target exec'd or changed credentials ends here, at
 * the first request that notices (the freeze already let the target go).
 */
static bool kmd_session_target_changed(struct kmd_session *s)
{
	if (s->kind != KMD_KIND_TARGET || !s->cap ||
	    !kmd_capture_target_changed(s->cap))
		return false;
	kmd_session_end(s, KMD_END_TARGET_CHANGED);
	return true;
}

/* The READY session @id owned by socket @sk, with a reference; else an error. */
struct kmd_session *kmd_session_find(u32 id, const struct sock *sk,
				     struct netlink_ext_ack *extack)
{
	struct kmd_session *s;
	int err = 0;

	mutex_lock(&kmd_sessions_lock);
	s = idr_find(&kmd_session_ids, id);
	if (!s || s->owner != sk) {
		NL_SET_ERR_MSG_MOD(extack,
				   "no such session on this socket (sessions belong to the socket that opened them)");
		err = -ENOENT;
	} else if (kmd_session_is(s, KMD_SESSION_READY) && kmd_session_target_changed(s)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "the target called exec or changed its credentials during the session: kmdump released it and ended the session; open a new one if you may still dump it");
		err = -EACCES;
	} else if (kmd_session_is(s, KMD_SESSION_OPENING)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "the session is still opening: wait for the session-open answer, then ask again");
		err = -EAGAIN;
	} else if (!kmd_session_is(s, KMD_SESSION_READY)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "the session is ending (closed, watchdog expired, or cancelled)");
		err = -ECANCELED;
	} else {
		refcount_inc(&s->ref);
	}
	mutex_unlock(&kmd_sessions_lock);
	if (err)
		return ERR_PTR(err);
	kmd_session_touch(s);
	return s;
}

/*
 * Ends @s; end_work answers @req (the session-close request) once the
 * target is thawed, so the doit never waits. -ECANCELED if it was ending
 * already.
 */
int kmd_session_close(struct kmd_session *s, const struct nlmsghdr *req)
{
	int err = 0;

	spin_lock(&s->lock);
	if (s->state != KMD_SESSION_READY || s->close_pending) {
		err = -ECANCELED;
	} else {
		s->close_req = *req;
		s->close_pending = true;
	}
	spin_unlock(&s->lock);
	if (!err)
		kmd_session_end(s, KMD_END_CLOSE);
	return err;
}

/* Waits (bounded) for @s to be thawed and unlisted; for in-kernel callers. */
int kmd_session_close_wait(struct kmd_session *s)
{
	kmd_session_end(s, KMD_END_CLOSE);
	if (!wait_for_completion_timeout(&s->ended, KMD_CLOSE_WAIT))
		return -ETIMEDOUT;
	return 0;
}

u64 kmd_session_pause_ns(struct kmd_session *s)
{
	if (kmd_session_is(s, KMD_SESSION_ENDED) || !s->cap)
		return s->pause_ns;
	return kmd_capture_pause_ns(s->cap);
}

/*
 * Ends the sessions of the socket on @portid that was just released. A
 * socket that bound the same port id since then owns none of them: only the
 * released (dead) owner's sessions end.
 */
unsigned int kmd_sessions_release_port(u32 portid)
{
	struct kmd_session *s;
	unsigned int n = 0;

	mutex_lock(&kmd_sessions_lock);
	list_for_each_entry(s, &kmd_sessions, node) {
		if (s->portid == portid && sock_flag(s->owner, SOCK_DEAD)) {
			kmd_session_end(s, KMD_END_RELEASE);
			n++;
		}
	}
	mutex_unlock(&kmd_sessions_lock);
	return n;
}

unsigned int kmd_sessions_count(const struct sock *sk)
{
	unsigned int n;

	mutex_lock(&kmd_sessions_lock);
	n = kmd_sessions_on_sock(sk);
	mutex_unlock(&kmd_sessions_lock);
	return n;
}

/* Serialises an engine call on a READY session; -ECANCELED once it ends. */
int kmd_session_io_lock(struct kmd_session *s)
{
	if (mutex_lock_killable(&s->io_lock))
		return -EINTR;
	if (!kmd_session_is(s, KMD_SESSION_READY)) {
		mutex_unlock(&s->io_lock);
		return -ECANCELED;
	}
	kmd_session_touch(s);
	return 0;
}

void kmd_session_io_unlock(struct kmd_session *s)
{
	mutex_unlock(&s->io_lock);
}

static void kmd_session_kdump_work(struct work_struct *w)
{
	struct kmd_session *s = container_of(w, struct kmd_session, kdump_work);
	struct file *out = s->kdump_out;
	struct mem_cgroup *old_memcg;
	loff_t bytes = 0;
	int err;

	old_memcg = set_active_memcg(s->memcg);
	mutex_lock(&s->io_lock);
	err = kmd_kdump_write(s->cap, s->target.ns, out, &s->kdump_cancel);
	mutex_unlock(&s->io_lock);
	set_active_memcg(old_memcg);
	if (!err)
		bytes = i_size_read(file_inode(out));
	spin_lock(&s->lock);
	s->kdump_out = NULL;
	s->kdump_busy = false;
	spin_unlock(&s->lock);
	fput(out);
	kmd_event_kdump(s, kmd_errno_to_hresult(err), bytes);
	if (s->kind == KMD_KIND_SYSTEM_KDUMP)
		kmd_session_end(s, KMD_END_DONE);
	kmd_session_put(s);
}

/*
 * Starts a kernel dump of @s into @out (its reference moves to the job). The
 * caller checked CAP_SYS_ADMIN and lockdown. One job at a time per session.
 */
int kmd_session_kdump(struct kmd_session *s, struct file *out,
		      struct netlink_ext_ack *extack)
{
	int err = 0;

	spin_lock(&s->lock);
	if (s->kdump_busy) {
		err = -EBUSY;
	} else if (s->state != KMD_SESSION_READY) {
		err = -ECANCELED;
	} else {
		s->kdump_busy = true;
		s->kdump_out = out;
	}
	spin_unlock(&s->lock);
	if (err == -EBUSY)
		NL_SET_ERR_MSG_MOD(extack,
				   "a kernel dump of this session is already being written");
	else if (err)
		NL_SET_ERR_MSG_MOD(extack, "the session is ending");
	if (err)
		return err;
	refcount_inc(&s->ref);
	queue_work(kmd_wq, &s->kdump_work);
	return 0;
}

/* Marks a system kernel-dump job READY (it has nothing to freeze). */
void kmd_session_job_ready(struct kmd_session *s)
{
	kmd_session_step(s, KMD_EV_OPENED);
}

static int kmd_netlink_notify(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !net_eq(n->net, &init_net))
		return NOTIFY_DONE;
	kmd_sessions_release_port(n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block kmd_netlink_nb = {
	.notifier_call = kmd_netlink_notify,
};

int kmd_sessions_init(const struct kmd_session_answers *answers)
{
	int err;

	kmd_answers = answers;
	kmd_wq = alloc_workqueue("kmdump", WQ_UNBOUND, 0);
	if (!kmd_wq)
		return -ENOMEM;
	err = netlink_register_notifier(&kmd_netlink_nb);
	if (err) {
		destroy_workqueue(kmd_wq);
		kmd_wq = NULL;
	}
	return err;
}

/*
 * Ends every session and waits for all work. Module exit can only get here
 * with no session left (each holds a module reference); the KUnit suites,
 * which run before module_init, use it to tear down what they created.
 */
void kmd_sessions_exit(void)
{
	struct kmd_session *s;

	netlink_unregister_notifier(&kmd_netlink_nb);
	mutex_lock(&kmd_sessions_lock);
	list_for_each_entry(s, &kmd_sessions, node)
		kmd_session_end(s, KMD_END_UNLOAD);
	mutex_unlock(&kmd_sessions_lock);
	/* end_work and free_work may queue more work: drain handles that. */
	drain_workqueue(kmd_wq);
	destroy_workqueue(kmd_wq);
	kmd_wq = NULL;
}
