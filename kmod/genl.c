// SPDX-License-Identifier: GPL-2.0
/*
 * The kmdump generic netlink family.
 *
 * .parallel_ops: handlers never run under genl_mutex, so a slow dump never
 * holds up other families; we lock our own state (session.c). .ops with
 * per-op policies generated from netlink/kmdump.yaml (.split_ops is 6.2+).
 * resv_start_op = 0: every command is strict (unknown attributes, trailing
 * data and a non-zero reserved byte are refused). netnsok = false: the
 * family exists in the initial network namespace only.
 *
 * Doits only resolve, check and hand over: session-open and session-close
 * queue their work and the session worker answers; kernel-dump replies at
 * once and reports through a status event. Bulk data is pulled with dumps.
 * Nothing that runs under genl's cb_lock (a doit, a dump's start and its
 * first step) waits on the target or on a worker; see genl_mem.c for reads.
 */
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/user_namespace.h>
#include <linux/cred.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/file.h>
#include <linux/fs_struct.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include "kmdump.h"
#include "kmdump-policy.h"
#include "genl.h"
#include "session.h"
#include "perm.h"
#include "errno_hresult.h"
#include "events.h"

/* Replies carry the request's command; requests come from this port. */
static struct sk_buff *kmd_nl_reply_new(struct genl_info *info, size_t size, void **hdr)
{
	struct sk_buff *msg = genlmsg_new(size, GFP_KERNEL);

	if (!msg)
		return NULL;
	*hdr = genlmsg_put_reply(msg, info, &kmd_genl_family, 0, info->genlhdr->cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int kmd_nl_put_u64(struct sk_buff *skb, int type, u64 value)
{
	return nla_put_u64_64bit(skb, type, value, KMDUMP_A_PAD);
}

/*
 * Requests name a process session: a whole-system kernel-dump job has no
 * target and no snapshot, and ends by itself.
 */
static struct kmd_session *kmd_nl_target_session(struct kmd_session *s,
						 struct netlink_ext_ack *extack)
{
	if (IS_ERR(s) || s->kind == KMD_KIND_TARGET)
		return s;
	kmd_session_put(s);
	NL_SET_ERR_MSG_MOD(extack,
			   "the session is a whole-system kernel-dump job: it has no process to query and ends by itself");
	return ERR_PTR(-ENOENT);
}

/* Sessions are found by the socket that sent the request, never by port id. */
struct kmd_session *kmd_nl_session(struct sk_buff *skb, struct genl_info *info)
{
	struct kmd_session *s;

	if (GENL_REQ_ATTR_CHECK(info, KMDUMP_A_SESSION_ID)) {
		NL_SET_ERR_MSG_MOD(info->extack, "missing session-id");
		return ERR_PTR(-EINVAL);
	}
	s = kmd_session_find(nla_get_u32(info->attrs[KMDUMP_A_SESSION_ID]),
			     NETLINK_CB(skb).sk, info->extack);
	return kmd_nl_target_session(s, info->extack);
}

/* The genl core validated the request against the op's policy already. */
const struct nlattr *kmd_nl_dump_attr(const struct netlink_callback *cb, int type)
{
	return nlmsg_find_attr(cb->nlh, GENL_HDRLEN, type);
}

struct kmd_session *kmd_nl_dump_session(struct netlink_callback *cb)
{
	const struct nlattr *id = kmd_nl_dump_attr(cb, KMDUMP_A_SESSION_ID);

	if (!id) {
		NL_SET_ERR_MSG_MOD(cb->extack, "missing session-id");
		NL_SET_ERR_ATTR_MISS(cb->extack, NULL, KMDUMP_A_SESSION_ID);
		return ERR_PTR(-EINVAL);
	}
	/* cb->skb is the request: its sender is the requesting socket. */
	return kmd_nl_target_session(kmd_session_find(nla_get_u32(id), NETLINK_CB(cb->skb).sk,
						      cb->extack), cb->extack);
}

/*
 * 6.12 runs a dump's ->start with cb->extack pointing at the request's
 * extended ack; 6.1 runs it with cb->extack NULL (__netlink_dump_start()), so
 * a refusal made there would reach userspace without its message. There the
 * start runs with an extack of ours, and a refusal is held back in cb->ctx
 * and returned by the first ->dumpit (kmd_nl_dump_refused()), whose extack
 * netlink_dump() sends with the errno in NLMSG_DONE. libkmdump reads a
 * refusal from NLMSG_ERROR and NLMSG_DONE alike.
 */
int kmd_nl_dump_start(struct netlink_callback *cb, int (*start)(struct netlink_callback *cb))
{
	struct kmd_dump_refusal *r = (struct kmd_dump_refusal *)cb->ctx;
	struct netlink_ext_ack ours = {};
	int err;

	if (cb->extack)
		return start(cb);
	cb->extack = &ours;
	err = start(cb);
	cb->extack = NULL;
	if (err) {
		r->err = err;
		r->msg = ours._msg;
	}
	return 0;
}

/* The refusal kmd_nl_dump_start() held back, with its message, or 0. */
int kmd_nl_dump_refused(struct netlink_callback *cb)
{
	const struct kmd_dump_refusal *r = (const struct kmd_dump_refusal *)cb->ctx;

	/* NL_SET_ERR_MSG() takes a literal; the message is one already. */
	if (r->err && cb->extack)
		cb->extack->_msg = r->msg;
	return r->err;
}

void *kmd_nl_dump_cursor(struct netlink_callback *cb)
{
	return cb->ctx + sizeof(struct kmd_dump_refusal);
}

void *kmd_nl_dump_put(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genlmsghdr *req = nlmsg_data(cb->nlh);

	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			   &kmd_genl_family, NLM_F_MULTI, req->cmd);
}

static int kmd_nl_put_session(struct sk_buff *msg, struct kmd_session *s)
{
	const struct kmd_snapshot *snap = &s->cap->snap;

	if (nla_put_u32(msg, KMDUMP_A_HRESULT, s->open_err ? KMDUMP_S_FALSE : KMDUMP_S_OK) ||
	    nla_put_u32(msg, KMDUMP_A_SESSION_ID, s->id) ||
	    nla_put_u32(msg, KMDUMP_A_PID, snap->proc.pid) ||
	    nla_put_u32(msg, KMDUMP_A_THREAD_COUNT, snap->nr_threads) ||
	    nla_put_u32(msg, KMDUMP_A_VMA_COUNT, snap->nr_vmas) ||
	    kmd_nl_put_u64(msg, KMDUMP_A_FREEZE_NS, s->freeze_ns) ||
	    kmd_nl_put_u64(msg, KMDUMP_A_PAUSE_NS, kmd_session_pause_ns(s)))
		return -EMSGSIZE;
	return 0;
}

static int kmd_nl_reply_session(struct genl_info *info, struct kmd_session *s)
{
	struct sk_buff *msg;
	void *hdr;

	msg = kmd_nl_reply_new(info, NLMSG_GOODSIZE, &hdr);
	if (!msg)
		return -ENOMEM;
	if (kmd_nl_put_session(msg, s)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* An NLMSG_ERROR for @req (0: the ACK), echoing its header only (capped). */
static int kmd_nl_ack(u32 portid, const struct nlmsghdr *req, int err, const char *msg)
{
	size_t tlv = msg ? nla_total_size(strlen(msg) + 1) : 0;
	struct nlmsgerr *e;
	struct nlmsghdr *rep;
	struct sk_buff *skb;

	skb = nlmsg_new(sizeof(*e) + tlv, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	rep = nlmsg_put(skb, portid, req->nlmsg_seq, NLMSG_ERROR, sizeof(*e),
			NLM_F_CAPPED | (msg ? NLM_F_ACK_TLVS : 0));
	if (!rep)
		goto too_big;
	e = nlmsg_data(rep);
	e->error = err;
	e->msg = *req;
	if (msg && nla_put_string(skb, NLMSGERR_ATTR_MSG, msg))
		goto too_big;
	nlmsg_end(skb, rep);
	return genlmsg_unicast(&init_net, skb, portid);
too_big:
	nlmsg_free(skb);
	return -EMSGSIZE;
}

/*
 * Answers go to the owner's port only while the owner lives: once it is
 * released, its port id may already name another socket.
 */
static bool kmd_nl_owner_gone(const struct kmd_session *s)
{
	return sock_flag(s->owner, SOCK_DEAD);
}

/*
 * Answers the session-open request @s was opened by (its open_req): the
 * session reply, then an ACK if one was asked for; or, with @err, an error
 * with @msg as its extended-ack message. Returns 0 once sent.
 */
static int kmd_nl_session_open_answer(struct kmd_session *s, int err, const char *msg)
{
	const struct nlmsghdr *req = &s->open_req;
	struct sk_buff *skb;
	void *hdr;

	if (kmd_nl_owner_gone(s))
		return -ECONNREFUSED;
	if (err)
		return kmd_nl_ack(s->portid, req, err, msg);
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put(skb, s->portid, req->nlmsg_seq, &kmd_genl_family, 0,
			  KMDUMP_CMD_SESSION_OPEN);
	if (!hdr || kmd_nl_put_session(skb, s)) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	err = genlmsg_unicast(&init_net, skb, s->portid);
	if (!err && (req->nlmsg_flags & NLM_F_ACK))
		err = kmd_nl_ack(s->portid, req, 0, NULL);
	return err;
}

/*
 * Resolves the target in the requester's pid namespace and checks the proof
 * of access. A tid names its whole thread group, as /proc/<tid>/mem does.
 */
/*
 * The mm of @task's thread group. A group whose leader has exited while other
 * threads run on is a live process (its leader shows as a zombie): take the
 * mm of any thread that still has one.
 */
static struct mm_struct *kmd_group_mm(struct task_struct *task)
{
	struct mm_struct *mm = get_task_mm(task);
	struct task_struct *t, *live = NULL;

	if (mm)
		return mm;
	rcu_read_lock();
	for_each_thread(task, t) {
		if (READ_ONCE(t->mm)) {
			live = get_task_struct(t);
			break;
		}
	}
	rcu_read_unlock();
	if (!live)
		return NULL;
	mm = get_task_mm(live);
	put_task_struct(live);
	return mm;
}

static int kmd_nl_resolve_target(struct genl_info *info, struct kmd_open_req *req)
{
	const struct nlattr *pid_attr = info->attrs[KMDUMP_A_PID];
	struct netlink_ext_ack *extack = info->extack;
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *pid;
	int err;

	pid = find_get_pid(nla_get_u32(pid_attr));
	task = pid ? get_pid_task(pid, PIDTYPE_PID) : NULL;
	put_pid(pid);
	if (!task) {
		NL_SET_ERR_MSG_ATTR(extack, pid_attr,
				    "no such process in the caller's pid namespace");
		return -ESRCH;
	}
	if (task->flags & PF_KTHREAD) {
		NL_SET_ERR_MSG_ATTR(extack, pid_attr,
				    "the pid is a kernel thread: only user processes can be dumped");
		err = -EINVAL;
		goto out;
	}
	mm = kmd_group_mm(task);
	if (!mm) {
		NL_SET_ERR_MSG_ATTR(extack, pid_attr,
				    "the process has exited (zombie): there is nothing to dump");
		err = -ESRCH;
		goto out;
	}
	err = kmd_perm_mem_fd(info->attrs[KMDUMP_A_MEM_FD], mm, extack);
	if (!err) {
		mmgrab(mm);
		req->target.mm = mm;
		req->target.pid = get_task_pid(task, PIDTYPE_TGID);
		req->target.ns = get_pid_ns(task_active_pid_ns(current));
		req->target.user_ns = get_user_ns(current_user_ns());
		req->target.requester = get_task_struct(current);
		get_fs_root(current->fs, &req->target.root);
		req->target_pid = task_tgid_nr(task);
	}
	mmput(mm);
out:
	put_task_struct(task);
	return err;
}

int kmdump_nl_session_open_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct kmd_open_req req = { .sk = NETLINK_CB(skb).sk, .portid = info->snd_portid };
	struct nlattr **tb = info->attrs;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, KMDUMP_A_PID)) {
		NL_SET_ERR_MSG_MOD(info->extack, "missing pid: the target process id");
		return -EINVAL;
	}
	if (GENL_REQ_ATTR_CHECK(info, KMDUMP_A_MEM_FD)) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "missing mem-fd: pass an open /proc/<pid>/mem descriptor as proof of access");
		return -EINVAL;
	}
	if (tb[KMDUMP_A_CAPTURE_FLAGS])
		req.capture_flags = nla_get_u32(tb[KMDUMP_A_CAPTURE_FLAGS]);
	if (tb[KMDUMP_A_WATCHDOG_MS])
		req.watchdog_ms = nla_get_u32(tb[KMDUMP_A_WATCHDOG_MS]);
	if (req.capture_flags & KMDUMP_CAPTURE_FLAGS_KERNEL_STACKS) {
		err = kmd_perm_kernel_state(skb, info->extack);
		if (err)
			return err;
	}
	err = kmd_nl_resolve_target(info, &req);
	if (err)
		return err;
	req.nlh = *info->nlhdr;
	err = kmd_session_open(&req, info->extack);
	kmd_target_release(&req.target);
	/*
	 * Freezing and snapshotting take the worker up to seconds, and a doit
	 * must not wait for that (it holds genl's cb_lock). The worker sends
	 * the reply and the ACK (kmd_nl_session_open_answer()); -EINTR tells
	 * netlink_rcv_skb() not to ACK now, as for a dump that started.
	 */
	return err ? err : -EINTR;
}

/* The reply to session-close, sent by end_work once the target is thawed. */
/*
 * Answers the session-close request of @s (its close_req) once end_work has
 * thawed the target: the reply (S_OK, the total pause), then an ACK if one
 * was asked for. Returns 0 once sent.
 */
static int kmd_nl_session_close_answer(struct kmd_session *s)
{
	const struct nlmsghdr *req = &s->close_req;
	struct sk_buff *skb;
	void *hdr;
	int err;

	if (kmd_nl_owner_gone(s))
		return -ECONNREFUSED;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put(skb, s->portid, req->nlmsg_seq, &kmd_genl_family, 0,
			  KMDUMP_CMD_SESSION_CLOSE);
	if (!hdr || nla_put_u32(skb, KMDUMP_A_HRESULT, KMDUMP_S_OK) ||
	    nla_put_u32(skb, KMDUMP_A_SESSION_ID, s->id) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_PAUSE_NS, kmd_session_pause_ns(s))) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	err = genlmsg_unicast(&init_net, skb, s->portid);
	if (!err && (req->nlmsg_flags & NLM_F_ACK))
		err = kmd_nl_ack(s->portid, req, 0, NULL);
	return err;
}

const struct kmd_session_answers kmd_nl_session_answers = {
	.open = kmd_nl_session_open_answer,
	.close = kmd_nl_session_close_answer,
};

/*
 * Thawing waits for the session's workers (an open in progress can take
 * seconds), so the doit only starts it: end_work sends the reply and the
 * ACK, and -EINTR tells netlink_rcv_skb() not to ACK now.
 */
int kmdump_nl_session_close_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct kmd_session *s = kmd_nl_session(skb, info);
	int err;

	if (IS_ERR(s))
		return PTR_ERR(s);
	err = kmd_session_close(s, info->nlhdr);
	kmd_session_put(s);
	if (err)
		NL_SET_ERR_MSG_MOD(info->extack, "the session is ending already");
	return err ? err : -EINTR;
}

int kmdump_nl_session_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct kmd_session *s = kmd_nl_session(skb, info);
	int err;

	if (IS_ERR(s))
		return PTR_ERR(s);
	err = kmd_nl_reply_session(info, s);
	kmd_session_put(s);
	return err;
}

/* A whole-system kernel dump: a session with no target, ended when done. */
static int kmd_nl_kdump_system(struct sk_buff *skb, struct genl_info *info,
			       struct file *out, u32 *id)
{
	struct kmd_session *s;
	int err;

	s = kmd_session_create(NETLINK_CB(skb).sk, info->snd_portid, KMD_KIND_SYSTEM_KDUMP, 0,
			       info->extack);
	if (IS_ERR(s))
		return PTR_ERR(s);
	s->target.ns = get_pid_ns(task_active_pid_ns(current));
	kmd_session_job_ready(s);
	err = kmd_session_kdump(s, out, info->extack);
	if (err)
		kmd_session_end(s, KMD_END_FAILED);
	*id = s->id;
	kmd_session_put(s);
	return err;
}

int kmdump_nl_kernel_dump_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct kmd_session *s = NULL;
	struct sk_buff *msg;
	struct file *out;
	void *hdr;
	u32 id;
	int err;

	err = kmd_perm_kernel_state(skb, info->extack);
	if (err)
		return err;
	if (GENL_REQ_ATTR_CHECK(info, KMDUMP_A_OUT_FD)) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "missing out-fd: the file the kernel dump is written to");
		return -EINVAL;
	}
	if (info->attrs[KMDUMP_A_SESSION_ID]) {
		s = kmd_nl_session(skb, info);
		if (IS_ERR(s))
			return PTR_ERR(s);
	}
	out = kmd_perm_out_fd(info->attrs[KMDUMP_A_OUT_FD], info->extack);
	if (IS_ERR(out)) {
		kmd_session_put(s);
		return PTR_ERR(out);
	}
	if (s) {
		id = s->id;
		err = kmd_session_kdump(s, out, info->extack);
		kmd_session_put(s);
	} else {
		err = kmd_nl_kdump_system(skb, info, out, &id);
	}
	if (err) {
		fput(out);
		return err;
	}
	msg = kmd_nl_reply_new(info, NLMSG_GOODSIZE, &hdr);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, KMDUMP_A_HRESULT, KMDUMP_S_OK) ||
	    nla_put_u32(msg, KMDUMP_A_SESSION_ID, id)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * A request of the wrong kind (NLM_F_DUMP on a do request, none on a dump
 * request, or the status event sent as a request) would be refused by the
 * genetlink core without a message; these say what to do instead.
 */
int kmdump_nl_not_a_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	NL_SET_ERR_MSG_MOD(cb->extack,
			   "this command is a do request: send it without NLM_F_DUMP");
	return -EOPNOTSUPP;
}

int kmdump_nl_not_a_do(struct sk_buff *skb, struct genl_info *info)
{
	NL_SET_ERR_MSG_MOD(info->extack,
			   "this command is a dump request: send it with NLM_F_DUMP");
	return -EOPNOTSUPP;
}

int kmdump_nl_event_not_request(struct sk_buff *skb, struct genl_info *info)
{
	NL_SET_ERR_MSG_MOD(info->extack,
			   "status-ntf is an event the module multicasts, not a request: subscribe to the status group");
	return -EOPNOTSUPP;
}

int kmdump_nl_event_not_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	NL_SET_ERR_MSG_MOD(cb->extack,
			   "status-ntf is an event the module multicasts, not a request: subscribe to the status group");
	return -EOPNOTSUPP;
}

static const struct genl_multicast_group kmd_mcgrps[] = {
	[KMD_MCGRP_STATUS] = {
		.name = KMDUMP_MCGRP_STATUS,
		.flags = GENL_MCAST_CAP_SYS_ADMIN,
	},
};

struct genl_family kmd_genl_family = {
	.name = KMDUMP_FAMILY_NAME,
	.version = KMDUMP_FAMILY_VERSION,
	.maxattr = KMDUMP_A_MAX,
	.netnsok = false,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = kmdump_nl_ops,
	.n_ops = ARRAY_SIZE(kmdump_nl_ops),
	.resv_start_op = 0,
	.mcgrps = kmd_mcgrps,
	.n_mcgrps = ARRAY_SIZE(kmd_mcgrps),
};

int kmd_genl_init(void)
{
	int err = genl_register_family(&kmd_genl_family);

	if (!err)
		kmd_events_enable(true);
	return err;
}

void kmd_genl_exit(void)
{
	kmd_events_enable(false);
	genl_unregister_family(&kmd_genl_family);
}
