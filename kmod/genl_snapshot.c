// SPDX-License-Identifier: GPL-2.0
/*
 * Handlers that read a session's snapshot: process-get (one reply) and the
 * thread-get and vma-get dumps (one message per item). The
 * snapshot is immutable once the session is READY, so these only hold a
 * session reference (capture.h), never the session's io_lock.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include "kmdump.h"
#include "kmdump-policy.h"
#include "genl.h"
#include "session.h"

static int kmd_put_str(struct sk_buff *skb, int type, const char *s, u32 len, u32 max)
{
	struct nlattr *a;
	char *p;

	if (!s)
		return 0;
	len = min(len, max - 1);
	a = nla_reserve(skb, type, len + 1);
	if (!a)
		return -EMSGSIZE;
	p = nla_data(a);
	memcpy(p, s, len);
	p[len] = '\0';
	return 0;
}

static int kmd_put_bytes(struct sk_buff *skb, int type, const void *p, u32 len,
			 u32 max, bool *truncated)
{
	if (!p || !len)
		return 0;
	if (len > max) {
		len = max;
		*truncated = true;
	}
	return nla_put(skb, type, len, p);
}

static int kmd_put_ids(struct sk_buff *skb, const struct kmd_ids *ids)
{
	if (nla_put_u32(skb, KMDUMP_A_RUID, ids->uid) ||
	    nla_put_u32(skb, KMDUMP_A_EUID, ids->euid) ||
	    nla_put_u32(skb, KMDUMP_A_SUID, ids->suid) ||
	    nla_put_u32(skb, KMDUMP_A_FSUID, ids->fsuid) ||
	    nla_put_u32(skb, KMDUMP_A_RGID, ids->gid) ||
	    nla_put_u32(skb, KMDUMP_A_EGID, ids->egid) ||
	    nla_put_u32(skb, KMDUMP_A_SGID, ids->sgid) ||
	    nla_put_u32(skb, KMDUMP_A_FSGID, ids->fsgid))
		return -EMSGSIZE;
	return 0;
}

static int kmd_put_mm_layout(struct sk_buff *skb, const struct kmd_procinfo *p)
{
	if (kmd_nl_put_u64(skb, KMDUMP_A_VM_SIZE, p->vm_size_kb * 1024) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_VM_RSS, p->vm_rss_kb * 1024) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_ARG_START, p->arg_start) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_ARG_END, p->arg_end) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_ENV_START, p->env_start) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_ENV_END, p->env_end))
		return -EMSGSIZE;
	return 0;
}

/* The facts of /proc/<pid>/status that readers use; the library formats the text. */
static int kmd_put_status(struct sk_buff *skb, const struct kmd_procinfo *p)
{
	if (nla_put_u32(skb, KMDUMP_A_UMASK, p->umask) ||
	    nla_put_u32(skb, KMDUMP_A_PROCESS_STATE, p->state) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_VM_PEAK, p->vm_peak_kb * 1024) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_VM_HWM, p->vm_hwm_kb * 1024) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_VM_DATA, p->vm_data_kb * 1024) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_VM_STK, p->vm_stk_kb * 1024) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_VM_EXE, p->vm_exe_kb * 1024) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_VM_LIB, p->vm_lib_kb * 1024) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_VM_PTE, p->vm_pte_kb * 1024) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_VM_SWAP, p->vm_swap_kb * 1024) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_SIG_PENDING, p->sig_pending) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_SIG_SHARED_PENDING, p->sig_shared) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_SIG_BLOCKED, p->sig_blocked_leader))
		return -EMSGSIZE;
	return 0;
}

static int kmd_put_process(struct sk_buff *skb, struct kmd_session *s)
{
	const struct kmd_procinfo *p = &s->cap->snap.proc;
	bool cmd_trunc = false, env_trunc = false;
	u32 flags = 0;

	if (nla_put_u32(skb, KMDUMP_A_SESSION_ID, s->id) ||
	    nla_put_u32(skb, KMDUMP_A_PID, p->pid) ||
	    nla_put_u32(skb, KMDUMP_A_TGID, p->tgid) ||
	    nla_put_u32(skb, KMDUMP_A_PPID, p->ppid) ||
	    nla_put_u32(skb, KMDUMP_A_TRACER_PID, p->tracer_pid) ||
	    nla_put_u32(skb, KMDUMP_A_THREAD_COUNT, s->cap->snap.nr_threads) ||
	    kmd_put_str(skb, KMDUMP_A_COMM, p->comm, strnlen(p->comm, sizeof(p->comm)),
			KMDUMP_COMM_LEN) ||
	    kmd_put_str(skb, KMDUMP_A_EXE_PATH, p->exe_path, p->exe_path_len, KMDUMP_PATH_MAX) ||
	    kmd_put_bytes(skb, KMDUMP_A_CMDLINE, p->cmdline, p->cmdline_len,
			  KMDUMP_CMDLINE_MAX, &cmd_trunc) ||
	    kmd_put_bytes(skb, KMDUMP_A_ENVIRON, p->environ, p->environ_len,
			  KMDUMP_ENVIRON_MAX, &env_trunc) ||
	    kmd_put_bytes(skb, KMDUMP_A_AUXV, p->auxv, p->auxv_len, KMDUMP_AUXV_MAX, &cmd_trunc) ||
	    kmd_put_ids(skb, &p->ids) || kmd_put_mm_layout(skb, p) || kmd_put_status(skb, p) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_START_TIME_NS, p->start_boottime_ns) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_START_REALTIME_NS, p->start_realtime_ns))
		return -EMSGSIZE;
	if (cmd_trunc)
		flags |= KMDUMP_PROCESS_FLAGS_CMDLINE_TRUNCATED;
	if (env_trunc)
		flags |= KMDUMP_PROCESS_FLAGS_ENVIRON_TRUNCATED;
	if (p->tracer_pid)
		flags |= KMDUMP_PROCESS_FLAGS_TRACED;
	if (nla_put_u32(skb, KMDUMP_A_PROCESS_FLAGS, flags) ||
	    nla_put_u32(skb, KMDUMP_A_HRESULT, flags & (KMDUMP_PROCESS_FLAGS_CMDLINE_TRUNCATED |
			KMDUMP_PROCESS_FLAGS_ENVIRON_TRUNCATED) ? KMDUMP_S_FALSE : KMDUMP_S_OK))
		return -EMSGSIZE;
	return 0;
}

int kmdump_nl_process_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	size_t size = KMDUMP_CMDLINE_MAX + KMDUMP_ENVIRON_MAX + KMDUMP_AUXV_MAX +
		      KMDUMP_PATH_MAX + 1024;
	struct kmd_session *s = kmd_nl_session(skb, info);
	struct sk_buff *msg;
	void *hdr;
	int err = -ENOMEM;

	if (IS_ERR(s))
		return PTR_ERR(s);
	msg = genlmsg_new(size, GFP_KERNEL);
	if (!msg)
		goto out;
	err = -EMSGSIZE;
	hdr = genlmsg_put_reply(msg, info, &kmd_genl_family, 0, info->genlhdr->cmd);
	if (!hdr || kmd_put_process(msg, s)) {
		nlmsg_free(msg);
		goto out;
	}
	genlmsg_end(msg, hdr);
	err = genlmsg_reply(msg, info);
out:
	kmd_session_put(s);
	return err;
}

static int kmd_put_kstack(struct sk_buff *skb, const struct kmd_thread *t)
{
	const char *p = t->kstack, *end = t->kstack + t->kstack_len;
	u32 i;

	for (i = 0; p && i < t->kframes && p < end; i++) {
		size_t n = strnlen(p, end - p);

		if (kmd_put_str(skb, KMDUMP_A_KSTACK_FRAME, p, n, KMDUMP_FRAME_LEN_MAX))
			return -EMSGSIZE;
		p += n + 1;
	}
	return 0;
}

static int kmd_put_thread_regs(struct sk_buff *skb, const struct kmd_thread *t)
{
	if ((t->flags & KMDUMP_THREAD_FLAGS_REGS_VALID) && t->gpregs &&
	    nla_put(skb, KMDUMP_A_REGS, min_t(u32, t->gpregs_len, KMDUMP_REGS_MAX), t->gpregs))
		return -EMSGSIZE;
	if ((t->flags & KMDUMP_THREAD_FLAGS_FPREGS_VALID) && t->fpregs &&
	    nla_put(skb, KMDUMP_A_FPREGS, min_t(u32, t->fpregs_len, KMDUMP_REGS_MAX), t->fpregs))
		return -EMSGSIZE;
	if ((t->flags & KMDUMP_THREAD_FLAGS_XSTATE_VALID) && t->xstate &&
	    nla_put(skb, KMDUMP_A_XSTATE, min_t(u32, t->xstate_len, KMDUMP_XSTATE_MAX), t->xstate))
		return -EMSGSIZE;
	if ((t->flags & KMDUMP_THREAD_FLAGS_DEBUGREGS_VALID) &&
	    nla_put(skb, KMDUMP_A_DEBUGREGS, sizeof(t->debugreg), t->debugreg))
		return -EMSGSIZE;
	if ((t->flags & KMDUMP_THREAD_FLAGS_IN_SYSCALL) &&
	    (nla_put_s64(skb, KMDUMP_A_SYSCALL_NR, t->syscall_nr, KMDUMP_A_PAD) ||
	     nla_put(skb, KMDUMP_A_SYSCALL_ARGS, sizeof(t->syscall_args), t->syscall_args)))
		return -EMSGSIZE;
	return 0;
}

static int kmd_put_thread(struct sk_buff *skb, struct kmd_session *s, const struct kmd_thread *t)
{
	if (nla_put_u32(skb, KMDUMP_A_HRESULT, t->status == KMDUMP_THREAD_FREEZE_NOT_PARKED ?
			KMDUMP_S_FALSE : KMDUMP_S_OK) ||
	    nla_put_u32(skb, KMDUMP_A_SESSION_ID, s->id) ||
	    nla_put_u32(skb, KMDUMP_A_TID, t->tid) ||
	    kmd_put_str(skb, KMDUMP_A_COMM, t->comm, strnlen(t->comm, sizeof(t->comm)),
			KMDUMP_COMM_LEN) ||
	    nla_put_u32(skb, KMDUMP_A_THREAD_FREEZE, t->status) ||
	    nla_put_u32(skb, KMDUMP_A_THREAD_STATE, t->state) ||
	    nla_put_u32(skb, KMDUMP_A_THREAD_FLAGS, t->flags & KMDUMP_THREAD_FLAGS_MASK) ||
	    kmd_put_thread_regs(skb, t) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_STACK_POINTER, t->sp) ||
	    kmd_put_kstack(skb, t) ||
	    (t->wchan_len && kmd_put_str(skb, KMDUMP_A_WCHAN, t->kstack + t->wchan_off,
					 t->wchan_len, KMDUMP_FRAME_LEN_MAX)) ||
	    nla_put_u32(skb, KMDUMP_A_CPU, t->on_cpu) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_UTIME_NS, t->utime_ns) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_STIME_NS, t->stime_ns) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_START_TIME_NS, t->start_boottime_ns) ||
	    nla_put_s32(skb, KMDUMP_A_PRIO, t->prio) ||
	    nla_put_s32(skb, KMDUMP_A_NICE, t->nice))
		return -EMSGSIZE;
	return 0;
}

static int kmd_put_vma(struct sk_buff *skb, struct kmd_session *s, const struct kmd_vma *v)
{
	if (nla_put_u32(skb, KMDUMP_A_HRESULT, KMDUMP_S_OK) ||
	    nla_put_u32(skb, KMDUMP_A_SESSION_ID, s->id) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_VMA_START, v->start) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_VMA_END, v->end) ||
	    nla_put_u32(skb, KMDUMP_A_VMA_FLAGS, v->flags & KMDUMP_VMA_FLAGS_MASK) ||
	    nla_put_u32(skb, KMDUMP_A_VMA_SKIP, v->skip) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_VMA_PGOFF, v->pgoff) ||
	    nla_put_u32(skb, KMDUMP_A_DEV_MAJOR, v->dev_major) ||
	    nla_put_u32(skb, KMDUMP_A_DEV_MINOR, v->dev_minor) ||
	    kmd_nl_put_u64(skb, KMDUMP_A_INODE, v->inode) ||
	    kmd_put_str(skb, KMDUMP_A_PATH, v->path, v->path_len, KMDUMP_PATH_MAX))
		return -EMSGSIZE;
	return 0;
}

static int kmd_put_thread_i(struct sk_buff *skb, struct kmd_session *s, u32 i)
{
	return kmd_put_thread(skb, s, &s->cap->snap.threads[i]);
}

static int kmd_put_vma_i(struct sk_buff *skb, struct kmd_session *s, u32 i)
{
	return kmd_put_vma(skb, s, &s->cap->snap.vmas[i]);
}

typedef int (*kmd_put_item_fn)(struct sk_buff *skb, struct kmd_session *s, u32 i);

/* Dump cursor, kept in cb->ctx after the held-back refusal (genl.h). */
struct kmd_snap_cursor {
	struct kmd_session *s;
	kmd_put_item_fn put;
	u32 next, count;
};

static_assert(sizeof(struct kmd_snap_cursor) <= KMD_DUMP_CURSOR_MAX);

static struct kmd_snap_cursor *kmd_cursor(struct netlink_callback *cb)
{
	return kmd_nl_dump_cursor(cb);
}

/*
 * All snapshot dumps: find the session (owner's port only), pick the items
 * the command lists, and size the dump's buffers so the largest item fits in
 * one message.
 */
static int kmd_snapshot_start(struct netlink_callback *cb)
{
	const struct genlmsghdr *req = nlmsg_data(cb->nlh);
	struct kmd_snap_cursor *c = kmd_cursor(cb);
	struct kmd_session *s = kmd_nl_dump_session(cb);
	const struct kmd_snapshot *snap;

	if (IS_ERR(s))
		return PTR_ERR(s);
	snap = &s->cap->snap;
	c->s = s;
	c->next = 0;
	switch (req->cmd) {
	case KMDUMP_CMD_THREAD_GET:
		c->put = kmd_put_thread_i;
		c->count = snap->nr_threads;
		break;
	default:
		c->put = kmd_put_vma_i;
		c->count = snap->nr_vmas;
		break;
	}
	cb->min_dump_alloc = KMDUMP_XSTATE_MAX + 3 * KMDUMP_REGS_MAX +
			     KMD_MAX_KFRAMES * (KMDUMP_FRAME_LEN_MAX + 4) + 1024;
	return 0;
}

int kmd_nl_snapshot_start(struct netlink_callback *cb)
{
	return kmd_nl_dump_start(cb, kmd_snapshot_start);
}

int kmd_nl_snapshot_done(struct netlink_callback *cb)
{
	kmd_session_put(kmd_cursor(cb)->s);
	return 0;
}

/* One message per item until the skb is full; the cursor resumes there. */
static int kmd_snapshot_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kmd_snap_cursor *c = kmd_cursor(cb);
	int err = kmd_nl_dump_refused(cb);
	void *hdr;

	if (err)
		return err;
	for (; c->next < c->count; c->next++) {
		hdr = kmd_nl_dump_put(skb, cb);
		if (!hdr)
			break;
		if (c->put(skb, c->s, c->next)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	/* An item that does not fit an empty message is a module bug, not a loop. */
	if (c->next < c->count && !skb->len) {
		NL_SET_ERR_MSG_MOD(cb->extack,
				   "an item does not fit a netlink message (a kmdump bug)");
		return -EMSGSIZE;
	}
	kmd_session_touch(c->s);
	return skb->len;
}

/* thread-get and vma-get walk the snapshot alike (the start hook picked the items). */
int kmdump_nl_thread_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return kmd_snapshot_dump(skb, cb);
}

int kmdump_nl_vma_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return kmd_snapshot_dump(skb, cb);
}
