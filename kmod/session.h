/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmdump sessions: one dump of one target, owned by the netlink socket (port)
 * that opened it. See session.c for the life cycle and the lock order.
 */
#ifndef KMDUMP_SESSION_H
#define KMDUMP_SESSION_H

#include <linux/types.h>
#include <linux/refcount.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/completion.h>
#include <linux/ktime.h>
#include <linux/netlink.h>
#include "capture.h"

struct netlink_ext_ack;
struct file;
struct sock;
struct mem_cgroup;
struct kmd_user;

/*
 * Session states. The only transitions are those kmd_session_next() allows:
 * OPENING -> READY | ENDING, READY -> ENDING, ENDING -> ENDED.
 */
enum kmd_session_state {
	KMD_SESSION_OPENING,	/* worker is freezing and snapshotting */
	KMD_SESSION_READY,	/* frozen; the owner may pull data */
	KMD_SESSION_ENDING,	/* end requested; the worker is thawing */
	KMD_SESSION_ENDED,	/* thawed and unlisted; only references remain */
};

enum kmd_session_event {
	KMD_EV_OPENED,		/* freeze and snapshot done */
	KMD_EV_END,		/* close, socket released, watchdog, failure */
	KMD_EV_THAWED,		/* the worker finished ending it */
};

/* Why a session ended (selects the status events it publishes). */
enum kmd_end_reason {
	KMD_END_CLOSE,		/* session-close */
	KMD_END_RELEASE,	/* the owner's socket closed (NETLINK_URELEASE) */
	KMD_END_WATCHDOG,	/* no request within the watchdog, or pause-max */
	KMD_END_FAILED,		/* the open failed or was interrupted */
	KMD_END_UNLOAD,		/* module exit (cannot happen while one is open) */
	KMD_END_DONE,		/* a kernel-dump job finished */
	KMD_END_TARGET_CHANGED,	/* the target exec'd or changed credentials */
};

enum kmd_session_kind {
	KMD_KIND_TARGET,	/* a frozen process */
	KMD_KIND_SYSTEM_KDUMP,	/* a whole-system kernel dump job, no target */
};

struct kmd_session {
	u32 id;
	/*
	 * The owner: the socket that opened the session (referenced). Only
	 * requests from that very socket find it; its port id is only where
	 * replies go. The family is init_net only.
	 */
	struct sock *owner;
	u32 portid;
	struct kmd_user *user;		/* the opener's account (limits.h) */
	struct mem_cgroup *memcg;	/* the opener's; the workers allocate in it */
	enum kmd_session_kind kind;
	refcount_t ref;
	struct list_head node;		/* kmd_sessions, under kmd_sessions_lock */

	spinlock_t lock;		/* state, end_reason */
	enum kmd_session_state state;
	enum kmd_end_reason end_reason;

	struct mutex io_lock;		/* one engine call at a time */
	struct kmd_target target;	/* refs dropped when freed */
	struct kmd_capture *cap;	/* NULL for system jobs / before open */
	u32 capture_flags;		/* KMDUMP_CAPTURE_FLAGS_* */
	pid_t requester_pid;		/* init pid ns, for events */
	pid_t target_pid;		/* init pid ns, for events */

	unsigned long watchdog;		/* jiffies of silence that end it */
	ktime_t opened_at;
	struct delayed_work watchdog_work;
	struct work_struct open_work;
	struct work_struct end_work;
	struct work_struct free_work;
	struct nlmsghdr open_req;	/* the session-open request, answered by open_work */
	struct nlmsghdr close_req;	/* session-close, answered by end_work */
	bool close_pending;		/* under lock */
	struct completion ended;	/* end_work finished */
	int open_err;
	u64 freeze_ns;
	u64 pause_ns;			/* total, once ended */

	/* kernel dump job (one at a time per session) */
	struct work_struct kdump_work;
	struct file *kdump_out;
	atomic_t kdump_cancel;
	bool kdump_busy;		/* under lock */
};

/* What a session-open asks for, resolved in the requester's context. */
struct kmd_open_req {
	struct nlmsghdr nlh;		/* the request's header: seq and flags */
	struct sock *sk;		/* the requesting socket */
	u32 portid;
	u32 capture_flags;
	u32 watchdog_ms;
	struct kmd_target target;	/* refs move into the session */
	pid_t target_pid;		/* init pid ns */
};

/*
 * How requests the session layer completes later are answered: session-open once
 * the target is frozen (open_work), session-close once it is thawed (end_work).
 * The netlink layer's replies (genl.c), handed to kmd_sessions_init() by main.c,
 * so that session.c never calls into genl.c.
 */
struct kmd_session_answers {
	/* The reply to open_req, or with @err an error carrying @msg; 0 once sent. */
	int (*open)(struct kmd_session *s, int err, const char *msg);
	/* The reply to close_req (S_OK, the total pause); 0 once sent. */
	int (*close)(struct kmd_session *s);
};

int kmd_sessions_init(const struct kmd_session_answers *answers);
void kmd_sessions_exit(void);

int kmd_session_next(enum kmd_session_state cur, enum kmd_session_event ev,
		     enum kmd_session_state *next);
int kmd_session_limits_check(unsigned int on_socket);

struct kmd_session *kmd_session_create(struct sock *sk, u32 portid,
				       enum kmd_session_kind kind, u32 watchdog_ms,
				       struct netlink_ext_ack *extack);
int kmd_session_open(struct kmd_open_req *req, struct netlink_ext_ack *extack);
void kmd_target_release(struct kmd_target *t);
struct kmd_session *kmd_session_find(u32 id, const struct sock *sk,
				     struct netlink_ext_ack *extack);
void kmd_session_put(struct kmd_session *s);
void kmd_session_end(struct kmd_session *s, enum kmd_end_reason why);
int kmd_session_close(struct kmd_session *s, const struct nlmsghdr *req);
int kmd_session_close_wait(struct kmd_session *s);
void kmd_session_touch(struct kmd_session *s);
unsigned int kmd_sessions_release_port(u32 portid);
unsigned int kmd_sessions_count(const struct sock *sk);
u64 kmd_session_pause_ns(struct kmd_session *s);

int kmd_session_io_lock(struct kmd_session *s);
void kmd_session_io_unlock(struct kmd_session *s);

void kmd_session_job_ready(struct kmd_session *s);
int kmd_session_kdump(struct kmd_session *s, struct file *out,
		      struct netlink_ext_ack *extack);

#endif /* KMDUMP_SESSION_H */
