// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * transport: the kmdump netlink client (see transport.h for the model).
 *
 * Every request runs the same loop (kmd_tr_run): send, then receive until the
 * request is complete: an ACK for a doit, NLMSG_DONE for a dump, or an error.
 * libnl 3.7 has no extended-ack API, so NETLINK_EXT_ACK/CAP_ACK are set by
 * hand and the TLVs after an error (or in NLMSG_DONE) are parsed here.
 * Errors from the module are errnos; they become HRESULTs through the
 * contract's one table (kmd_hresult_from_errno in hresult.c).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include "transport.h"
#include "engine.h"

#define E_UNEXPECTED_REPLY ((HRESULT)KMDUMP_E_UNEXPECTED)

/*
 * The longest the library waits for the module's next message. The module
 * answers every request within its own bounds (a session-open: the 10 s
 * freeze bound plus the snapshot); this only keeps a caller from waiting
 * forever on a module that broke that promise.
 */
#define KMD_TR_REPLY_TIMEOUT_S 120

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct kmd_tr {
	struct nl_sock *sk;
	struct nl_cb *cb;
	int family;
	char errmsg[256];
};

/* One request in flight: how its replies are parsed and how it ended. */
struct kmd_req {
	struct kmd_tr *tr;
	int (*parse)(struct kmd_req *r, struct nlmsghdr *nlh, struct nlattr **tb);
	void *arg;
	int err;		/* positive errno reported by the module */
	bool done;
	bool stopped;		/* the caller's function asked to stop */
	bool abandon;		/* on stop, return at once (the socket is then unusable) */
	HRESULT fail;		/* a failure found while parsing */
};

static void kmd_tr_set_msg(struct kmd_tr *tr, const char *fmt, const char *detail)
{
	snprintf(tr->errmsg, sizeof(tr->errmsg), fmt, detail ? detail : "");
}

static HRESULT kmd_hr_from_nle(struct kmd_tr *tr, int nle, const char *what)
{
	char buf[200];

	snprintf(buf, sizeof(buf), "%s: %s", what, nl_geterror(nle));
	kmd_tr_set_msg(tr, "%s", buf);
	switch (-nle) {
	case NLE_NOMEM:
		return E_OUTOFMEMORY;
	case NLE_PERM:
	case NLE_NOACCESS:
		return E_ACCESSDENIED;
	case NLE_OBJ_NOTFOUND:
		return (HRESULT)KMDUMP_E_NOT_FOUND;
	case NLE_AGAIN:
		return (HRESULT)KMDUMP_E_RETRY;
	default:
		return E_FAIL;
	}
}

/* The extended-ack text in the TLVs at @off bytes into @nlh's payload. */
static void kmd_parse_extack(struct kmd_tr *tr, const struct nlmsghdr *nlh, size_t off)
{
	const struct nlattr *a;
	int rem;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || NLMSG_HDRLEN + off > nlh->nlmsg_len)
		return;
	a = (const struct nlattr *)((const char *)nlmsg_data(nlh) + off);
	rem = (int)(nlh->nlmsg_len - NLMSG_HDRLEN - off);
	for (; nla_ok(a, rem); a = nla_next(a, &rem)) {
		if (nla_type(a) == NLMSGERR_ATTR_MSG && nla_len(a) > 0) {
			snprintf(tr->errmsg, sizeof(tr->errmsg), "%.*s", nla_len(a),
				 (const char *)nla_data(a));
			tr->errmsg[strcspn(tr->errmsg, "\n")] = '\0';
		}
	}
}

static int kmd_on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct kmd_req *r = arg;
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)((const char *)e - NLMSG_HDRLEN);
	size_t off = sizeof(*e);

	(void)who;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	r->err = -e->error;
	r->done = true;
	kmd_parse_extack(r->tr, nlh, off);
	return NL_STOP;
}

static int kmd_on_ack(struct nl_msg *msg, void *arg)
{
	struct kmd_req *r = arg;

	(void)msg;
	r->done = true;
	return NL_STOP;
}

static int kmd_on_finish(struct nl_msg *msg, void *arg)
{
	struct kmd_req *r = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int err = 0;

	if (nlmsg_datalen(nlh) >= (int)sizeof(int))
		memcpy(&err, nlmsg_data(nlh), sizeof(int));
	if (err < 0) {
		r->err = -err;
		kmd_parse_extack(r->tr, nlh, sizeof(int));
	}
	r->done = true;
	return NL_STOP;
}

static int kmd_on_valid(struct nl_msg *msg, void *arg)
{
	struct kmd_req *r = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[KMDUMP_A_MAX + 1];

	if (r->stopped || !r->parse)
		return NL_OK;
	if (genlmsg_parse(nlh, 0, tb, KMDUMP_A_MAX, NULL) < 0) {
		r->fail = E_UNEXPECTED_REPLY;
		return NL_OK;
	}
	if (r->parse(r, nlh, tb))
		r->stopped = true;
	return r->stopped && r->abandon ? NL_STOP : NL_OK;
}

static struct nl_msg *kmd_msg(struct kmd_tr *tr, uint8_t cmd, int flags, size_t size)
{
	struct nl_msg *msg = nlmsg_alloc_size(size + 1024);

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, tr->family, 0, flags, cmd,
				KMDUMP_FAMILY_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

/* Sends @msg (consumed) and receives until the request completes. */
static HRESULT kmd_tr_run(struct kmd_tr *tr, struct nl_msg *msg, struct kmd_req *r)
{
	int err;

	tr->errmsg[0] = '\0';
	r->tr = tr;
	nl_cb_set(tr->cb, NL_CB_VALID, NL_CB_CUSTOM, kmd_on_valid, r);
	nl_cb_set(tr->cb, NL_CB_ACK, NL_CB_CUSTOM, kmd_on_ack, r);
	nl_cb_set(tr->cb, NL_CB_FINISH, NL_CB_CUSTOM, kmd_on_finish, r);
	nl_cb_err(tr->cb, NL_CB_CUSTOM, kmd_on_error, r);
	err = nl_send_auto(tr->sk, msg);
	nlmsg_free(msg);
	if (err < 0)
		return kmd_hr_from_nle(tr, err, "sending the request to the kmdump module failed");
	while (!r->done && !(r->stopped && r->abandon)) {
		err = nl_recvmsgs(tr->sk, tr->cb);
		/* An NLMSG_ERROR of -EAGAIN also comes back as -NLE_AGAIN: not a timeout. */
		if (err == -NLE_AGAIN && !r->done) {
			snprintf(tr->errmsg, sizeof(tr->errmsg),
				 "the kmdump module did not answer within %d s", KMD_TR_REPLY_TIMEOUT_S);
			return (HRESULT)KMDUMP_E_TIMEOUT;
		}
		if (err < 0 && !r->done && !(r->stopped && r->abandon))
			return kmd_hr_from_nle(tr, err, "receiving from the kmdump module failed");
	}
	if (r->err) {
		if (!tr->errmsg[0])
			kmd_tr_set_msg(tr, "the kmdump module refused the request: %s",
				       strerror(r->err));
		return kmd_hresult_from_errno(r->err);
	}
	if (r->fail)
		return r->fail;
	return r->stopped ? E_ABORT : S_OK;
}

HRESULT kmd_tr_open(struct kmd_tr **out)
{
	struct kmd_tr *tr = calloc(1, sizeof(*tr));
	int one = 1, err;

	*out = NULL;
	if (!tr)
		return E_OUTOFMEMORY;
	tr->sk = nl_socket_alloc();
	tr->cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!tr->sk || !tr->cb) {
		kmd_tr_close(tr);
		return E_OUTOFMEMORY;
	}
	err = genl_connect(tr->sk);
	if (err < 0) {
		HRESULT hr = kmd_hr_from_nle(tr, err, "cannot open a generic netlink socket");

		kmd_tr_close(tr);
		return hr;
	}
	setsockopt(nl_socket_get_fd(tr->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(tr->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(tr->sk), SOL_SOCKET, SO_RCVTIMEO,
		   &(struct timeval){ .tv_sec = KMD_TR_REPLY_TIMEOUT_S }, sizeof(struct timeval));
	tr->family = genl_ctrl_resolve(tr->sk, KMDUMP_FAMILY_NAME);
	if (tr->family < 0) {
		kmd_tr_close(tr);
		return (HRESULT)KMDUMP_E_NOT_FOUND;
	}
	*out = tr;
	return S_OK;
}

void kmd_tr_close(struct kmd_tr *tr)
{
	if (!tr)
		return;
	if (tr->cb)
		nl_cb_put(tr->cb);
	if (tr->sk)
		nl_socket_free(tr->sk);
	free(tr);
}

const char *kmd_tr_errmsg(const struct kmd_tr *tr)
{
	return tr ? tr->errmsg : "the kmdump module is not loaded: load it with 'modprobe kmdump'";
}

uint32_t kmd_tr_port(const struct kmd_tr *tr)
{
	return nl_socket_get_local_port(tr->sk);
}

HRESULT kmd_tr_set_rcvbuf(struct kmd_tr *tr, int bytes)
{
	int err = nl_socket_set_buffer_size(tr->sk, bytes, 0);

	return err < 0 ? kmd_hr_from_nle(tr, err, "setting the receive buffer failed") : S_OK;
}

/* ---- attribute helpers ---- */

static uint32_t kmd_u32(struct nlattr **tb, int type)
{
	return tb[type] && nla_len(tb[type]) >= 4 ? nla_get_u32(tb[type]) : 0;
}

static uint64_t kmd_u64(struct nlattr **tb, int type)
{
	return tb[type] && nla_len(tb[type]) >= 8 ? nla_get_u64(tb[type]) : 0;
}

static int32_t kmd_s32(struct nlattr **tb, int type)
{
	return (int32_t)kmd_u32(tb, type);
}

/* A NUL-terminated string attribute, or NULL. */
static const char *kmd_str(const struct nlattr *a)
{
	const char *s;

	if (!a || nla_len(a) < 1)
		return NULL;
	s = nla_data(a);
	return s[nla_len(a) - 1] == '\0' ? s : NULL;
}

static void kmd_copy_comm(char *dst, const struct nlattr *a)
{
	const char *s = kmd_str(a);

	snprintf(dst, 16, "%s", s ? s : "");
}

static HRESULT kmd_hr(struct nlattr **tb)
{
	return tb[KMDUMP_A_HRESULT] ? (HRESULT)kmd_u32(tb, KMDUMP_A_HRESULT) : E_UNEXPECTED_REPLY;
}

/* ---- sessions ---- */

static int kmd_parse_session(struct kmd_req *r, struct nlmsghdr *nlh, struct nlattr **tb)
{
	struct kmd_tr_session *s = r->arg;

	(void)nlh;
	s->hr = kmd_hr(tb);
	s->session_id = kmd_u32(tb, KMDUMP_A_SESSION_ID);
	s->pid = kmd_u32(tb, KMDUMP_A_PID);
	s->threads = kmd_u32(tb, KMDUMP_A_THREAD_COUNT);
	s->vmas = kmd_u32(tb, KMDUMP_A_VMA_COUNT);
	s->freeze_ns = kmd_u64(tb, KMDUMP_A_FREEZE_NS);
	s->pause_ns = kmd_u64(tb, KMDUMP_A_PAUSE_NS);
	return 0;
}

static HRESULT kmd_session_request(struct kmd_tr *tr, struct nl_msg *msg,
				   struct kmd_tr_session *out)
{
	struct kmd_req r = { .parse = kmd_parse_session, .arg = out };
	HRESULT hr;

	memset(out, 0, sizeof(*out));
	hr = kmd_tr_run(tr, msg, &r);
	if (SUCCEEDED(hr) && !out->session_id)
		return E_UNEXPECTED_REPLY;
	return FAILED(hr) ? hr : out->hr;
}

HRESULT kmd_tr_session_open(struct kmd_tr *tr, uint32_t pid, int mem_fd,
			    uint32_t capture_flags, uint32_t watchdog_ms,
			    struct kmd_tr_session *out)
{
	struct nl_msg *msg = kmd_msg(tr, KMDUMP_CMD_SESSION_OPEN, 0, 64);

	if (!msg)
		return E_OUTOFMEMORY;
	if (nla_put_u32(msg, KMDUMP_A_PID, pid) || nla_put_s32(msg, KMDUMP_A_MEM_FD, mem_fd) ||
	    (capture_flags && nla_put_u32(msg, KMDUMP_A_CAPTURE_FLAGS, capture_flags)) ||
	    (watchdog_ms && nla_put_u32(msg, KMDUMP_A_WATCHDOG_MS, watchdog_ms))) {
		nlmsg_free(msg);
		return E_OUTOFMEMORY;
	}
	return kmd_session_request(tr, msg, out);
}

static struct nl_msg *kmd_msg_session(struct kmd_tr *tr, uint8_t cmd, int flags,
				      uint32_t session_id, size_t extra)
{
	struct nl_msg *msg = kmd_msg(tr, cmd, flags, extra);

	if (msg && nla_put_u32(msg, KMDUMP_A_SESSION_ID, session_id)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

HRESULT kmd_tr_session_get(struct kmd_tr *tr, uint32_t session_id, struct kmd_tr_session *out)
{
	struct nl_msg *msg = kmd_msg_session(tr, KMDUMP_CMD_SESSION_GET, 0, session_id, 0);

	return msg ? kmd_session_request(tr, msg, out) : E_OUTOFMEMORY;
}

HRESULT kmd_tr_session_close(struct kmd_tr *tr, uint32_t session_id, uint64_t *pause_ns)
{
	struct nl_msg *msg = kmd_msg_session(tr, KMDUMP_CMD_SESSION_CLOSE, 0, session_id, 0);
	struct kmd_tr_session s;
	HRESULT hr;

	if (!msg)
		return E_OUTOFMEMORY;
	hr = kmd_session_request(tr, msg, &s);
	if (pause_ns)
		*pause_ns = s.pause_ns;
	return hr;
}

/* ---- process ---- */

static void *kmd_dup(const struct nlattr *a, size_t *len)
{
	void *p;

	*len = 0;
	if (!a)
		return NULL;
	p = malloc(nla_len(a) + 1);
	if (p) {
		memcpy(p, nla_data(a), nla_len(a));
		((char *)p)[nla_len(a)] = '\0';
		*len = nla_len(a);
	}
	return p;
}

static int kmd_parse_process(struct kmd_req *r, struct nlmsghdr *nlh, struct nlattr **tb)
{
	struct kmd_tr_process *p = r->arg;
	static const int uids[4] = { KMDUMP_A_RUID, KMDUMP_A_EUID, KMDUMP_A_SUID, KMDUMP_A_FSUID };
	static const int gids[4] = { KMDUMP_A_RGID, KMDUMP_A_EGID, KMDUMP_A_SGID, KMDUMP_A_FSGID };
	size_t n;
	int i;

	(void)nlh;
	p->hr = kmd_hr(tb);
	p->pid = kmd_u32(tb, KMDUMP_A_PID);
	p->tgid = kmd_u32(tb, KMDUMP_A_TGID);
	p->ppid = kmd_u32(tb, KMDUMP_A_PPID);
	p->tracer_pid = kmd_u32(tb, KMDUMP_A_TRACER_PID);
	p->threads = kmd_u32(tb, KMDUMP_A_THREAD_COUNT);
	p->flags = kmd_u32(tb, KMDUMP_A_PROCESS_FLAGS);
	kmd_copy_comm(p->comm, tb[KMDUMP_A_COMM]);
	for (i = 0; i < 4; i++) {
		p->uid[i] = kmd_u32(tb, uids[i]);
		p->gid[i] = kmd_u32(tb, gids[i]);
	}
	p->start_time_ns = kmd_u64(tb, KMDUMP_A_START_TIME_NS);
	p->start_realtime_ns = kmd_u64(tb, KMDUMP_A_START_REALTIME_NS);
	p->vm_size = kmd_u64(tb, KMDUMP_A_VM_SIZE);
	p->vm_rss = kmd_u64(tb, KMDUMP_A_VM_RSS);
	p->arg_start = kmd_u64(tb, KMDUMP_A_ARG_START);
	p->arg_end = kmd_u64(tb, KMDUMP_A_ARG_END);
	p->env_start = kmd_u64(tb, KMDUMP_A_ENV_START);
	p->env_end = kmd_u64(tb, KMDUMP_A_ENV_END);
	p->umask = kmd_u32(tb, KMDUMP_A_UMASK);
	p->state = kmd_u32(tb, KMDUMP_A_PROCESS_STATE);
	p->vm_peak = kmd_u64(tb, KMDUMP_A_VM_PEAK);
	p->vm_hwm = kmd_u64(tb, KMDUMP_A_VM_HWM);
	p->vm_data = kmd_u64(tb, KMDUMP_A_VM_DATA);
	p->vm_stk = kmd_u64(tb, KMDUMP_A_VM_STK);
	p->vm_exe = kmd_u64(tb, KMDUMP_A_VM_EXE);
	p->vm_lib = kmd_u64(tb, KMDUMP_A_VM_LIB);
	p->vm_pte = kmd_u64(tb, KMDUMP_A_VM_PTE);
	p->vm_swap = kmd_u64(tb, KMDUMP_A_VM_SWAP);
	p->sig_pending = kmd_u64(tb, KMDUMP_A_SIG_PENDING);
	p->sig_shared_pending = kmd_u64(tb, KMDUMP_A_SIG_SHARED_PENDING);
	p->sig_blocked = kmd_u64(tb, KMDUMP_A_SIG_BLOCKED);
	p->exe_path = kmd_dup(tb[KMDUMP_A_EXE_PATH], &n);
	p->cmdline = kmd_dup(tb[KMDUMP_A_CMDLINE], &p->cmdline_len);
	p->environ = kmd_dup(tb[KMDUMP_A_ENVIRON], &p->environ_len);
	p->auxv = kmd_dup(tb[KMDUMP_A_AUXV], &p->auxv_len);
	return 0;
}

HRESULT kmd_tr_process_get(struct kmd_tr *tr, uint32_t session_id, struct kmd_tr_process *out)
{
	struct nl_msg *msg = kmd_msg_session(tr, KMDUMP_CMD_PROCESS_GET, 0, session_id, 0);
	struct kmd_req r = { .parse = kmd_parse_process, .arg = out };
	HRESULT hr;

	memset(out, 0, sizeof(*out));
	if (!msg)
		return E_OUTOFMEMORY;
	hr = kmd_tr_run(tr, msg, &r);
	if (FAILED(hr)) {
		kmd_tr_process_free(out);
		return hr;
	}
	return out->hr;
}

void kmd_tr_process_free(struct kmd_tr_process *p)
{
	free(p->exe_path);
	free(p->cmdline);
	free(p->environ);
	free(p->auxv);
	p->exe_path = NULL;
	p->cmdline = p->environ = p->auxv = NULL;
}

/* ---- snapshot dumps ---- */

struct kmd_walk {
	void *fn;
	void *arg;
};

static const void *kmd_bin(const struct nlattr *a, uint32_t *len)
{
	*len = a ? (uint32_t)nla_len(a) : 0;
	return a ? nla_data(a) : NULL;
}

static void kmd_thread_frames(struct nlmsghdr *nlh, struct kmd_tr_thread *t)
{
	struct nlattr *a;
	int rem;

	nlmsg_for_each_attr(a, nlh, GENL_HDRLEN, rem) {
		const char *f = nla_type(a) == KMDUMP_A_KSTACK_FRAME ? kmd_str(a) : NULL;

		if (f && t->nkframes < KMD_TR_MAX_FRAMES)
			t->kframes[t->nkframes++] = f;
	}
}

static int kmd_parse_thread(struct kmd_req *r, struct nlmsghdr *nlh, struct nlattr **tb)
{
	struct kmd_walk *w = r->arg;
	struct kmd_tr_thread t = { .hr = kmd_hr(tb) };
	uint32_t args_len;

	t.tid = kmd_u32(tb, KMDUMP_A_TID);
	t.freeze = kmd_u32(tb, KMDUMP_A_THREAD_FREEZE);
	t.state = kmd_u32(tb, KMDUMP_A_THREAD_STATE);
	t.flags = kmd_u32(tb, KMDUMP_A_THREAD_FLAGS);
	t.cpu = kmd_u32(tb, KMDUMP_A_CPU);
	kmd_copy_comm(t.comm, tb[KMDUMP_A_COMM]);
	t.regs = kmd_bin(tb[KMDUMP_A_REGS], &t.regs_len);
	t.fpregs = kmd_bin(tb[KMDUMP_A_FPREGS], &t.fpregs_len);
	t.xstate = kmd_bin(tb[KMDUMP_A_XSTATE], &t.xstate_len);
	t.debugregs = kmd_bin(tb[KMDUMP_A_DEBUGREGS], &t.debugregs_len);
	t.syscall_nr = (int64_t)kmd_u64(tb, KMDUMP_A_SYSCALL_NR);
	t.syscall_args = kmd_bin(tb[KMDUMP_A_SYSCALL_ARGS], &args_len);
	if (args_len < 6 * sizeof(uint64_t))
		t.syscall_args = NULL;
	t.sp = kmd_u64(tb, KMDUMP_A_STACK_POINTER);
	t.utime_ns = kmd_u64(tb, KMDUMP_A_UTIME_NS);
	t.stime_ns = kmd_u64(tb, KMDUMP_A_STIME_NS);
	t.start_time_ns = kmd_u64(tb, KMDUMP_A_START_TIME_NS);
	t.prio = kmd_s32(tb, KMDUMP_A_PRIO);
	t.nice = kmd_s32(tb, KMDUMP_A_NICE);
	t.wchan = kmd_str(tb[KMDUMP_A_WCHAN]);
	kmd_thread_frames(nlh, &t);
	return ((kmd_tr_thread_fn)w->fn)(w->arg, &t);
}

static int kmd_parse_vma(struct kmd_req *r, struct nlmsghdr *nlh, struct nlattr **tb)
{
	struct kmd_walk *w = r->arg;
	struct kmd_tr_vma v = { .hr = kmd_hr(tb) };

	(void)nlh;
	v.start = kmd_u64(tb, KMDUMP_A_VMA_START);
	v.end = kmd_u64(tb, KMDUMP_A_VMA_END);
	v.flags = kmd_u32(tb, KMDUMP_A_VMA_FLAGS);
	v.skip = kmd_u32(tb, KMDUMP_A_VMA_SKIP);
	v.pgoff = kmd_u64(tb, KMDUMP_A_VMA_PGOFF);
	v.dev_major = kmd_u32(tb, KMDUMP_A_DEV_MAJOR);
	v.dev_minor = kmd_u32(tb, KMDUMP_A_DEV_MINOR);
	v.inode = kmd_u64(tb, KMDUMP_A_INODE);
	v.path = kmd_str(tb[KMDUMP_A_PATH]);
	return ((kmd_tr_vma_fn)w->fn)(w->arg, &v);
}

static HRESULT kmd_walk(struct kmd_tr *tr, uint8_t cmd, uint32_t session_id,
			int (*parse)(struct kmd_req *, struct nlmsghdr *, struct nlattr **),
			void *fn, void *arg)
{
	struct nl_msg *msg = kmd_msg_session(tr, cmd, NLM_F_DUMP, session_id, 0);
	struct kmd_walk w = { .fn = fn, .arg = arg };
	struct kmd_req r = { .parse = parse, .arg = &w };

	return msg ? kmd_tr_run(tr, msg, &r) : E_OUTOFMEMORY;
}

HRESULT kmd_tr_threads(struct kmd_tr *tr, uint32_t session_id, kmd_tr_thread_fn fn, void *arg)
{
	return kmd_walk(tr, KMDUMP_CMD_THREAD_GET, session_id, kmd_parse_thread, (void *)fn, arg);
}

HRESULT kmd_tr_vmas(struct kmd_tr *tr, uint32_t session_id, kmd_tr_vma_fn fn, void *arg)
{
	return kmd_walk(tr, KMDUMP_CMD_VMA_GET, session_id, kmd_parse_vma, (void *)fn, arg);
}

/* ---- memory ---- */

static int kmd_parse_piece(struct kmd_req *r, struct nlmsghdr *nlh, struct nlattr **tb)
{
	struct kmd_walk *w = r->arg;
	struct kmd_tr_extent ext[KMD_TR_MAX_EXTENTS];
	struct kmd_tr_piece p = { .hr = kmd_hr(tb), .failed = ext };
	struct nlattr *a, *in[KMDUMP_A_RANGE_MAX + 1];
	int rem;

	if (!tb[KMDUMP_A_RANGE_INDEX])
		return 0;	/* "read accepted": the pieces follow */
	p.range_index = kmd_u32(tb, KMDUMP_A_RANGE_INDEX);
	p.addr = kmd_u64(tb, KMDUMP_A_ADDR);
	p.len = kmd_u64(tb, KMDUMP_A_LEN);
	p.done = kmd_u64(tb, KMDUMP_A_BYTES_DONE);
	p.data = kmd_bin(tb[KMDUMP_A_DATA], &p.data_len);
	nlmsg_for_each_attr(a, nlh, GENL_HDRLEN, rem) {
		if (nla_type(a) != KMDUMP_A_FAILED || p.nfailed == KMD_TR_MAX_EXTENTS)
			continue;
		if (nla_parse_nested(in, KMDUMP_A_RANGE_MAX, a, NULL) < 0)
			continue;
		ext[p.nfailed].addr = kmd_u64(in, KMDUMP_A_RANGE_ADDR);
		ext[p.nfailed].len = kmd_u64(in, KMDUMP_A_RANGE_LEN);
		ext[p.nfailed].hr = in[KMDUMP_A_RANGE_HRESULT] ?
			(HRESULT)kmd_u32(in, KMDUMP_A_RANGE_HRESULT) : p.hr;
		p.nfailed++;
	}
	return ((kmd_tr_piece_fn)w->fn)(w->arg, &p);
}

static HRESULT kmd_read(struct kmd_tr *tr, uint8_t cmd, uint32_t session_id, int fd,
			const struct kmd_tr_range *ranges, size_t n, kmd_tr_piece_fn fn, void *arg)
{
	struct nl_msg *msg = kmd_msg_session(tr, cmd, NLM_F_DUMP, session_id, 64 + n * 48);
	struct kmd_walk w = { .fn = (void *)fn, .arg = arg };
	struct kmd_req r = { .parse = kmd_parse_piece, .arg = &w };
	struct nlattr *nest;
	size_t i;

	if (!msg)
		return E_OUTOFMEMORY;
	if (cmd == KMDUMP_CMD_MEM_READ_TO_FD && nla_put_s32(msg, KMDUMP_A_OUT_FD, fd))
		goto nomem;
	for (i = 0; i < n; i++) {
		nest = nla_nest_start(msg, KMDUMP_A_RANGE);
		if (!nest || nla_put_u64(msg, KMDUMP_A_RANGE_ADDR, ranges[i].addr) ||
		    nla_put_u64(msg, KMDUMP_A_RANGE_LEN, ranges[i].len) ||
		    (cmd == KMDUMP_CMD_MEM_READ_TO_FD &&
		     nla_put_u64(msg, KMDUMP_A_RANGE_OFFSET, ranges[i].offset)))
			goto nomem;
		nla_nest_end(msg, nest);
	}
	return kmd_tr_run(tr, msg, &r);
nomem:
	nlmsg_free(msg);
	return E_OUTOFMEMORY;
}

HRESULT kmd_tr_read_to_fd(struct kmd_tr *tr, uint32_t session_id, int fd,
			  const struct kmd_tr_range *ranges, size_t n,
			  kmd_tr_piece_fn fn, void *arg)
{
	return kmd_read(tr, KMDUMP_CMD_MEM_READ_TO_FD, session_id, fd, ranges, n, fn, arg);
}

HRESULT kmd_tr_read(struct kmd_tr *tr, uint32_t session_id,
		    const struct kmd_tr_range *ranges, size_t n, kmd_tr_piece_fn fn, void *arg)
{
	return kmd_read(tr, KMDUMP_CMD_MEM_READ, session_id, -1, ranges, n, fn, arg);
}

struct kmd_buf_read {
	uint64_t addr;
	uint8_t *buf;
	size_t len;
	uint64_t first_fail;	/* lowest unreadable address */
	HRESULT hr;
};

static int kmd_buf_piece(void *arg, const struct kmd_tr_piece *p)
{
	struct kmd_buf_read *b = arg;
	uint64_t off = p->addr - b->addr;
	uint32_t i;

	if (p->addr < b->addr || off + p->data_len > b->len || p->data_len != p->len) {
		b->hr = E_UNEXPECTED_REPLY;
		return 1;
	}
	memcpy(b->buf + off, p->data, p->data_len);
	for (i = 0; i < p->nfailed; i++)
		if (p->failed[i].addr < b->first_fail) {	/* the first failure says why */
			b->first_fail = p->failed[i].addr;
			b->hr = p->failed[i].hr;
		}
	if (FAILED(p->hr) && SUCCEEDED(b->hr))
		b->hr = p->hr;
	return 0;
}

HRESULT kmd_tr_read_buf(struct kmd_tr *tr, uint32_t session_id, uint64_t addr,
			void *buf, size_t len, size_t *done)
{
	struct kmd_tr_range range = { .addr = addr, .len = len };
	struct kmd_buf_read b = {
		.addr = addr, .buf = buf, .len = len, .first_fail = addr + len, .hr = S_OK,
	};
	HRESULT hr;

	*done = 0;
	memset(buf, 0, len);
	hr = kmd_tr_read(tr, session_id, &range, 1, kmd_buf_piece, &b);
	if (FAILED(hr))
		return hr == E_ABORT ? b.hr : hr;
	*done = b.first_fail - addr;
	return b.hr;
}

/* ---- kernel dump ---- */

static int kmd_parse_job(struct kmd_req *r, struct nlmsghdr *nlh, struct nlattr **tb)
{
	(void)nlh;
	*(uint32_t *)r->arg = kmd_u32(tb, KMDUMP_A_SESSION_ID);
	return 0;
}

HRESULT kmd_tr_kernel_dump(struct kmd_tr *tr, uint32_t session_id, int fd, uint32_t *job_id)
{
	struct nl_msg *msg = kmd_msg(tr, KMDUMP_CMD_KERNEL_DUMP, 0, 64);
	struct kmd_req r = { .parse = kmd_parse_job, .arg = job_id };

	*job_id = 0;
	if (!msg)
		return E_OUTOFMEMORY;
	if ((session_id && nla_put_u32(msg, KMDUMP_A_SESSION_ID, session_id)) ||
	    nla_put_s32(msg, KMDUMP_A_OUT_FD, fd)) {
		nlmsg_free(msg);
		return E_OUTOFMEMORY;
	}
	return kmd_tr_run(tr, msg, &r);
}

/* ---- raw messages (robustness tests) ---- */

struct kmd_raw {
	unsigned int max, *count;
};

static int kmd_parse_raw(struct kmd_req *r, struct nlmsghdr *nlh, struct nlattr **tb)
{
	struct kmd_raw *raw = r->arg;

	(void)nlh;
	(void)tb;
	return ++*raw->count > raw->max;
}

HRESULT kmd_tr_raw(struct kmd_tr *tr, uint16_t nlmsg_flags, const void *payload, size_t len,
		   unsigned int max_replies, unsigned int *replies)
{
	struct nl_msg *msg = nlmsg_alloc_size(len + 1024);
	struct kmd_raw raw = { .max = max_replies, .count = replies };
	struct kmd_req r = { .parse = kmd_parse_raw, .arg = &raw, .abandon = true };
	HRESULT hr;

	*replies = 0;
	if (!msg || !nlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, tr->family, 0, nlmsg_flags) ||
	    nlmsg_append(msg, (void *)payload, len, 0) < 0) {
		nlmsg_free(msg);
		return E_OUTOFMEMORY;
	}
	hr = kmd_tr_run(tr, msg, &r);
	return r.stopped ? E_ABORT : hr;
}

/* ---- status events ---- */

#define KMD_EV_RING 16

struct kmd_tr_events {
	struct nl_sock *sk;
	struct nl_cb *cb;
	struct kmd_tr_event ring[KMD_EV_RING];
	unsigned int head, count;
};

static int kmd_on_event(struct nl_msg *msg, void *arg)
{
	struct kmd_tr_events *ev = arg;
	struct nlattr *tb[KMDUMP_A_MAX + 1];
	struct kmd_tr_event *e;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, KMDUMP_A_MAX, NULL) < 0 ||
	    ev->count == KMD_EV_RING)
		return NL_OK;
	e = &ev->ring[(ev->head + ev->count++) % KMD_EV_RING];
	e->hr = kmd_hr(tb);
	e->type = kmd_u32(tb, KMDUMP_A_EVENT_TYPE);
	e->session_id = kmd_u32(tb, KMDUMP_A_SESSION_ID);
	e->pid = kmd_u32(tb, KMDUMP_A_PID);
	e->requester_pid = kmd_u32(tb, KMDUMP_A_REQUESTER_PID);
	e->freeze_ns = kmd_u64(tb, KMDUMP_A_FREEZE_NS);
	e->pause_ns = kmd_u64(tb, KMDUMP_A_PAUSE_NS);
	e->addr = kmd_u64(tb, KMDUMP_A_ADDR);
	e->len = kmd_u64(tb, KMDUMP_A_LEN);
	e->bytes = kmd_u64(tb, KMDUMP_A_BYTES);
	return NL_OK;
}

/* Multicast messages carry sequence number 0: accept every one. */
static int kmd_any_seq(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

HRESULT kmd_tr_events_open(struct kmd_tr_events **out)
{
	struct kmd_tr_events *ev = calloc(1, sizeof(*ev));
	int grp, err = -NLE_NOMEM;

	*out = NULL;
	if (!ev)
		return E_OUTOFMEMORY;
	ev->sk = nl_socket_alloc();
	ev->cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!ev->sk || !ev->cb)
		goto fail;
	nl_socket_disable_seq_check(ev->sk);
	err = genl_connect(ev->sk);
	if (err < 0)
		goto fail;
	grp = genl_ctrl_resolve_grp(ev->sk, KMDUMP_FAMILY_NAME, KMDUMP_MCGRP_STATUS);
	err = grp < 0 ? grp : nl_socket_add_membership(ev->sk, grp);
	if (err < 0)
		goto fail;
	nl_socket_set_nonblocking(ev->sk);
	nl_cb_set(ev->cb, NL_CB_VALID, NL_CB_CUSTOM, kmd_on_event, ev);
	nl_cb_set(ev->cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, kmd_any_seq, NULL);
	*out = ev;
	return S_OK;
fail:
	kmd_tr_events_close(ev);
	switch (-err) {
	case NLE_NOMEM:
		return E_OUTOFMEMORY;
	case NLE_OBJ_NOTFOUND:
		return (HRESULT)KMDUMP_E_NOT_FOUND;
	default:
		return E_ACCESSDENIED;	/* joining the group needs CAP_SYS_ADMIN */
	}
}

void kmd_tr_events_close(struct kmd_tr_events *ev)
{
	if (!ev)
		return;
	if (ev->cb)
		nl_cb_put(ev->cb);
	if (ev->sk)
		nl_socket_free(ev->sk);
	free(ev);
}

int kmd_tr_events_fd(const struct kmd_tr_events *ev)
{
	return nl_socket_get_fd(ev->sk);
}

HRESULT kmd_tr_events_next(struct kmd_tr_events *ev, struct kmd_tr_event *out, int timeout_ms)
{
	struct pollfd pfd = { .fd = kmd_tr_events_fd(ev), .events = POLLIN };
	int err;

	while (!ev->count) {
		err = poll(&pfd, 1, timeout_ms);
		if (err < 0 && errno == EINTR)
			continue;
		if (err <= 0)
			return err ? kmd_hresult_from_errno(errno) : S_FALSE;
		err = nl_recvmsgs(ev->sk, ev->cb);
		if (err == -NLE_NOMEM)	/* libnl's ENOBUFS: events were lost */
			return (HRESULT)KMDUMP_E_NOT_ENOUGH_MEMORY;
		if (err < 0 && err != -NLE_AGAIN)
			return E_FAIL;
	}
	*out = ev->ring[ev->head];
	ev->head = (ev->head + 1) % KMD_EV_RING;
	ev->count--;
	return S_OK;
}

HRESULT kmd_tr_events_wait_kdump(struct kmd_tr_events *ev, uint32_t job_id,
				 int timeout_ms, HRESULT *status, uint64_t *bytes)
{
	struct kmd_tr_event e;
	HRESULT hr;

	for (;;) {
		hr = kmd_tr_events_next(ev, &e, timeout_ms);
		if (hr != S_OK)
			return hr == S_FALSE ? (HRESULT)KMDUMP_E_TIMEOUT : hr;
		if (e.type == KMDUMP_EVENT_TYPE_KERNEL_DUMP_FINISHED && e.session_id == job_id) {
			*status = e.hr;
			if (bytes)
				*bytes = e.bytes;
			return S_OK;
		}
	}
}
