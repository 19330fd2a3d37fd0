// SPDX-License-Identifier: GPL-2.0
/*
 * capture-check: dumps a running multi-threaded target (tests/e2e/targets/
 * mt-target) through the kmdump family and checks what the module captured
 * against what the target is known to hold and against the kernel's own
 * /proc view. Prints TAP lines; exits non-zero if any check failed.
 *
 *   capture-check TARGET [run|stopped|many|traced|killed]
 *
 * "traced" has a tracer hold the main thread in a ptrace stop (PTRACE_SEIZE +
 * PTRACE_INTERRUPT) during the dump: it must be reported traced, and still be
 * in that stop afterwards. "killed" SIGKILLs the target while the session is
 * open: the held threads must let it die at once, and reads must then fail
 * cleanly. "exec" opens sessions again and again on a target that keeps
 * exec'ing itself: each open must succeed or fail cleanly, never hang, and
 * the target must keep running.
 *
 * "many" dumps the target with 1,000 extra threads and reports the freeze and
 * pause times the module measured (figures only, never asserted on).
 *
 * "stopped" SIGSTOPs the target before the dump and checks that it is still
 * stopped afterwards (job-control state untouched), then continues it.
 *
 * Checked: session-open S_OK with freeze and pause times; every long-lived
 * thread present with the right freeze outcome; the spinner's r12..r15; the
 * blocked reader's read(0) syscall and its kernel stack through pipe_read;
 * the sleeper's clock_nanosleep; a vfork parent held in D state; each thread's stack
 * pointer inside a reported VMA; every VMA against /proc/<pid>/maps; readelf -n's
 * build id of each mapped file in the first 64 KiB the library reads at its start
 * through mem-read (the library decides what a module is); memory
 * bytes against the target's pattern; exact failed extents over an unmapped
 * hole and a MADV_DONTDUMP page; and, after the close, the blocked read
 * completing and the spinner running again.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "kmdump.h"

#define MAX_THREADS	2048
#define MAX_VMAS	4096
#define MAX_FAILS	16
#define PATTERN(i)	((unsigned char)((i) * 131u + 7u))

static int checks, failures;
static const char *mode = "";

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (!ok)
		failures++;
	printf("%s %d - %s target: ", ok ? "ok" : "not ok", checks, mode);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* ---- what the module told us ---- */

struct thread {
	uint32_t tid, freeze, state, flags;
	uint64_t regs[27];
	int have_regs;
	unsigned char fx[512], xs_xmm0[16];
	int have_fx, have_xs;
	uint64_t sp;
	int64_t sysnr;
	uint64_t args[6];
	char frames[4096];
	char wchan[128];
};

struct vma {
	uint64_t start, end, pgoff, inode;
	uint32_t flags, skip, major, minor;
	char path[512];
};

struct piece {
	uint32_t index, hresult;
	uint64_t addr, len, done;
	int nfail;
	uint64_t fail_addr[MAX_FAILS], fail_len[MAX_FAILS];
};

static struct thread threads[MAX_THREADS];
static struct vma vmas[MAX_VMAS];
static struct piece pieces[64];
static int nthreads, nvmas, npieces;

struct session {
	uint32_t id, hresult, thread_count;
	uint64_t freeze_ns, pause_ns;
};

static uint64_t get_u64(struct nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

static uint32_t get_u32(struct nlattr *a)
{
	return a ? nla_get_u32(a) : 0;
}

static void copy_str(char *dst, size_t size, struct nlattr *a)
{
	dst[0] = 0;
	if (a)
		snprintf(dst, size, "%.*s", nla_len(a), (const char *)nla_data(a));
}

typedef void (*item_fn)(struct nlmsghdr *nlh, struct nlattr **tb, void *arg);

struct req_state {
	item_fn fn;
	void *arg;
	int done, err;
};

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct req_state *st = arg;
	struct nlattr *tb[KMDUMP_A_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, KMDUMP_A_MAX, NULL) < 0)
		return NL_SKIP;
	st->fn(nlmsg_hdr(msg), tb, st->arg);
	return NL_OK;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct req_state *st = arg;

	/* A dump that failed says so in its NLMSG_DONE: the errno follows the header. */
	if (nlh->nlmsg_type == NLMSG_DONE && nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
		st->err = *(int *)nlmsg_data(nlh);
	st->done = 1;
	return NL_STOP;
}

/* The extended ack's message, when the kernel sent one (NETLINK_EXT_ACK). */
static void print_extack(struct nlmsgerr *e)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	size_t off = sizeof(*e);
	struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	while (NLMSG_HDRLEN + off + sizeof(*a) <= nlh->nlmsg_len) {
		a = (struct nlattr *)((char *)e + off);
		if (a->nla_len < sizeof(*a))
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
			printf("# kernel says: %.*s\n", (int)(a->nla_len - sizeof(*a)),
			       (char *)(a + 1));
		off += NLA_ALIGN(a->nla_len);
	}
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct req_state *st = arg;

	(void)nla;
	if (e->error)
		print_extack(e);
	st->err = e->error;
	st->done = 1;
	return NL_STOP;
}

static struct nl_sock *sk;
static int family;

/* Errors are the kernel's -errno (see request()); name them for the log. */
static const char *errstr(int err)
{
	static char buf[96];

	snprintf(buf, sizeof(buf), "error %d (%s / %s)", err, strerror(-err), nl_geterror(err));
	return buf;
}

/* One request (or dump) on the family; items go to @fn. Returns 0, the kernel's
 * -errno, or a negative libnl code when the exchange itself failed.
 */
static int request(int cmd, int flags, struct nl_msg *msg, item_fn fn, void *arg)
{
	struct req_state st = { .fn = fn, .arg = arg };
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int err;

	(void)cmd;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &st);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &st);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_finish, &st);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &st);
	(void)flags;
	err = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	while (err >= 0 && !st.done)
		err = nl_recvmsgs(sk, cb);
	nl_cb_put(cb);
	/* The kernel's errno first: libnl would turn it into its own NLE_* code. */
	if (st.err)
		return st.err;
	return err;
}

static struct nl_msg *new_msg(int cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc_size(65536);

	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, cmd,
				 KMDUMP_FAMILY_VERSION)) {
		fprintf(stderr, "cannot build a netlink message\n");
		exit(2);
	}
	return msg;
}

static void on_open(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct session *s = arg;

	(void)nlh;
	s->hresult = get_u32(tb[KMDUMP_A_HRESULT]);
	s->id = get_u32(tb[KMDUMP_A_SESSION_ID]);
	s->thread_count = get_u32(tb[KMDUMP_A_THREAD_COUNT]);
	s->freeze_ns = get_u64(tb[KMDUMP_A_FREEZE_NS]);
	s->pause_ns = get_u64(tb[KMDUMP_A_PAUSE_NS]);
}

static void on_thread(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct thread *t;
	struct nlattr *a;
	int rem;

	(void)arg;
	if (nthreads == MAX_THREADS)
		return;
	t = &threads[nthreads++];
	memset(t, 0, sizeof(*t));
	t->sysnr = -1;
	t->tid = get_u32(tb[KMDUMP_A_TID]);
	t->freeze = get_u32(tb[KMDUMP_A_THREAD_FREEZE]);
	t->state = get_u32(tb[KMDUMP_A_THREAD_STATE]);
	t->flags = get_u32(tb[KMDUMP_A_THREAD_FLAGS]);
	if (tb[KMDUMP_A_REGS] && nla_len(tb[KMDUMP_A_REGS]) >= (int)sizeof(t->regs)) {
		memcpy(t->regs, nla_data(tb[KMDUMP_A_REGS]), sizeof(t->regs));
		t->have_regs = 1;
	}
	if (tb[KMDUMP_A_FPREGS] && nla_len(tb[KMDUMP_A_FPREGS]) >= 512) {
		memcpy(t->fx, nla_data(tb[KMDUMP_A_FPREGS]), 512);
		t->have_fx = 1;
	}
	/* XSAVE's legacy area has FXSAVE's layout: xmm0 at byte 160 */
	if (tb[KMDUMP_A_XSTATE] && nla_len(tb[KMDUMP_A_XSTATE]) >= 576) {
		memcpy(t->xs_xmm0, (unsigned char *)nla_data(tb[KMDUMP_A_XSTATE]) + 160, 16);
		t->have_xs = 1;
	}
	t->sp = get_u64(tb[KMDUMP_A_STACK_POINTER]);
	if (tb[KMDUMP_A_SYSCALL_NR])
		t->sysnr = (int64_t)nla_get_u64(tb[KMDUMP_A_SYSCALL_NR]);
	if (tb[KMDUMP_A_SYSCALL_ARGS] && nla_len(tb[KMDUMP_A_SYSCALL_ARGS]) >= 48)
		memcpy(t->args, nla_data(tb[KMDUMP_A_SYSCALL_ARGS]), 48);
	if (tb[KMDUMP_A_WCHAN])
		snprintf(t->wchan, sizeof(t->wchan), "%.*s", nla_len(tb[KMDUMP_A_WCHAN]),
			 (const char *)nla_data(tb[KMDUMP_A_WCHAN]));
	nlmsg_for_each_attr(a, nlh, GENL_HDRLEN, rem) {
		size_t n = strlen(t->frames);

		if (nla_type(a) == KMDUMP_A_KSTACK_FRAME && n + 2 < sizeof(t->frames))
			snprintf(t->frames + n, sizeof(t->frames) - n, "%.*s\n", nla_len(a),
				 (const char *)nla_data(a));
	}
}

static void on_vma(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct vma *v;

	(void)nlh;
	(void)arg;
	if (nvmas == MAX_VMAS)
		return;
	v = &vmas[nvmas++];
	v->start = get_u64(tb[KMDUMP_A_VMA_START]);
	v->end = get_u64(tb[KMDUMP_A_VMA_END]);
	v->pgoff = get_u64(tb[KMDUMP_A_VMA_PGOFF]);
	v->inode = get_u64(tb[KMDUMP_A_INODE]);
	v->flags = get_u32(tb[KMDUMP_A_VMA_FLAGS]);
	v->skip = get_u32(tb[KMDUMP_A_VMA_SKIP]);
	v->major = get_u32(tb[KMDUMP_A_DEV_MAJOR]);
	v->minor = get_u32(tb[KMDUMP_A_DEV_MINOR]);
	copy_str(v->path, sizeof(v->path), tb[KMDUMP_A_PATH]);
}

static void on_piece(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct nlattr *a, *r[KMDUMP_A_RANGE_MAX + 1];
	struct piece *p;
	int rem;

	(void)arg;
	if (!tb[KMDUMP_A_RANGE_INDEX])
		return;	/* the "read accepted" message before the pieces */
	if (npieces == (int)(sizeof(pieces) / sizeof(pieces[0])))
		return;
	p = &pieces[npieces++];
	memset(p, 0, sizeof(*p));
	p->index = get_u32(tb[KMDUMP_A_RANGE_INDEX]);
	p->hresult = get_u32(tb[KMDUMP_A_HRESULT]);
	p->addr = get_u64(tb[KMDUMP_A_ADDR]);
	p->len = get_u64(tb[KMDUMP_A_LEN]);
	p->done = get_u64(tb[KMDUMP_A_BYTES_DONE]);
	nlmsg_for_each_attr(a, nlh, GENL_HDRLEN, rem) {
		if (nla_type(a) != KMDUMP_A_FAILED || p->nfail == MAX_FAILS)
			continue;
		if (nla_parse_nested(r, KMDUMP_A_RANGE_MAX, a, NULL) < 0)
			continue;
		p->fail_addr[p->nfail] = get_u64(r[KMDUMP_A_RANGE_ADDR]);
		p->fail_len[p->nfail] = get_u64(r[KMDUMP_A_RANGE_LEN]);
		p->nfail++;
	}
}

/* ---- the target ---- */

struct target {
	pid_t pid, spinner, sleeper, reader, vforker;
	uint64_t buf, buf_len, region;
	int to_fd, from_fd;
};

static const char *target_extra = "0";

static int start_target(const char *path, struct target *t)
{
	int in[2], out[2];
	char line[256] = "";
	FILE *f;

	if (pipe(in) || pipe(out))
		return -1;
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (t->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(path, path, target_extra, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	t->to_fd = in[1];
	f = fdopen(dup(out[0]), "r");
	t->from_fd = out[0];
	if (!f || !fgets(line, sizeof(line), f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	if (sscanf(line, "READY %d %d %d %d %" SCNx64 " %" SCNx64 " %" SCNx64 " %d", &t->pid,
		   &t->spinner, &t->sleeper, &t->reader, &t->buf, &t->buf_len, &t->region,
		   &t->vforker) < 1)
		return -1;
	return 0;
}

static char proc_state(pid_t pid, pid_t tid)
{
	char path[96], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] && p[2] ? p[2] : '?';
}

/* /proc/<pid>/task/<tid>/wchan: the function the thread sleeps in, or "". */
static void proc_wchan(pid_t pid, pid_t tid, char *buf, size_t size)
{
	char path[96];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", pid, tid);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = 0;
}

static unsigned long long proc_utime(pid_t pid, pid_t tid)
{
	char path[96], buf[1024], *p;
	unsigned long long ut = 0;
	FILE *f;
	size_t n;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	for (i = 0; p && i < 12; i++)	/* field 14 is the 12th after ')' */
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%llu", &ut);
	return ut;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- checks ---- */

static struct thread *find_thread(pid_t tid)
{
	int i;

	for (i = 0; i < nthreads; i++)
		if (threads[i].tid == (uint32_t)tid)
			return &threads[i];
	return NULL;
}

/* Is @a inside one of the VMAs the module reported? */
static int in_some_vma(uint64_t a)
{
	for (int i = 0; i < nvmas; i++)
		if (a >= vmas[i].start && a < vmas[i].end)
			return 1;
	return 0;
}

static void check_threads(const struct target *tg, const struct session *s, int stopped)
{
	const uint64_t want[4] = { 0x1111111111111111ULL, 0x2222222222222222ULL,
				   0x3333333333333333ULL, 0x4444444444444444ULL };
	struct thread *sp = find_thread(tg->spinner), *sl = find_thread(tg->sleeper);
	struct thread *rd = find_thread(tg->reader), *mn = find_thread(tg->pid);
	struct thread *vf = find_thread(tg->vforker);
	struct user_regs_struct *r;
	char wchan[128];
	int i, bad = 0;

	check(nthreads == (int)s->thread_count, "thread dump lists %d threads, open said %u",
	      nthreads, s->thread_count);
	check(sp && sl && rd && mn, "spinner, sleeper, reader and main threads are all listed");
	if (!sp || !sl || !rd || !mn)
		return;
	check(vf && vf->freeze == KMDUMP_THREAD_FREEZE_BLOCKED &&
	      (stopped || vf->state == KMDUMP_THREAD_STATE_DISK_SLEEP),
	      "the vfork parent is held in D state (freeze %u, state %u)", vf ? vf->freeze : 0,
	      vf ? vf->state : 0);
	if (!stopped)
		check(vf && strstr(vf->frames, "vfork"), "its kernel stack waits for the vfork: %.120s",
		      vf ? vf->frames : "");
	check(sp->freeze == (stopped ? KMDUMP_THREAD_FREEZE_BLOCKED : KMDUMP_THREAD_FREEZE_PARKED),
	      "spinner freeze outcome %u (%s expected)", sp->freeze, stopped ? "blocked" : "parked");
	check(rd->freeze == KMDUMP_THREAD_FREEZE_BLOCKED && sl->freeze ==
	      KMDUMP_THREAD_FREEZE_BLOCKED, "reader and sleeper are held blocked (%u, %u)",
	      rd->freeze, sl->freeze);
	if (stopped)
		check(sp->state == KMDUMP_THREAD_STATE_STOPPED &&
		      rd->state == KMDUMP_THREAD_STATE_STOPPED,
		      "stopped target: threads report state T (%u, %u)", sp->state, rd->state);
	else
		check(rd->state == KMDUMP_THREAD_STATE_SLEEPING, "reader state S (%u)", rd->state);
	r = (struct user_regs_struct *)sp->regs;
	check(sp->have_regs && r->r12 == want[0] && r->r13 == want[1] && r->r14 == want[2] &&
	      r->r15 == want[3], "spinner r12..r15 = %llx %llx %llx %llx", r->r12, r->r13,
	      r->r14, r->r15);
	{
		static const unsigned char x0[16] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
			0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };

		check(sp->have_fx && !memcmp(sp->fx + 160, x0, 16),
		      "spinner xmm0 in the FXSAVE area holds the bytes it loaded");
		check(sp->have_xs && !memcmp(sp->xs_xmm0, x0, 16),
		      "spinner xmm0 in the XSAVE area holds the bytes it loaded");
		check(r->fs_base != 0, "spinner fs_base (TLS) captured: %llx", r->fs_base);
	}
	r = (struct user_regs_struct *)rd->regs;
	check(rd->have_regs && (stopped || r->orig_rax == SYS_read),
	      "reader registers captured (orig_rax %lld)", (long long)r->orig_rax);
	if (!stopped) {
		check(rd->sysnr == SYS_read && rd->args[0] == 0,
		      "reader blocked in read(0): syscall %lld arg0 %llu", (long long)rd->sysnr,
		      (unsigned long long)rd->args[0]);
		check(sl->sysnr == SYS_clock_nanosleep,
		      "sleeper blocked in clock_nanosleep: syscall %lld", (long long)sl->sysnr);
		check(strstr(rd->frames, "pipe_read") != NULL,
		      "reader kernel stack contains pipe_read: %.200s", rd->frames);
		proc_wchan(tg->pid, (pid_t)rd->tid, wchan, sizeof(wchan));
		check(rd->wchan[0] && !strcmp(rd->wchan, wchan),
		      "reader wait channel '%s' is the one /proc/<pid>/task/<tid>/wchan shows ('%s')",
		      rd->wchan, wchan);
	}
	for (i = 0; i < nthreads; i++) {
		const char *f = threads[i].frames;

		if (strstr(f, "0xffff"))
			bad++;
		if (threads[i].have_regs && !in_some_vma(threads[i].sp))
			bad++;
	}
	check(!bad, "stack pointers lie inside a reported VMA, no raw kernel addresses (%d bad)",
	      bad);
}

/* /proc/<pid>/maps must list exactly the VMAs the module reported. */
static void check_vmas(pid_t pid)
{
	char path[64], line[1024], perms[8], name[512];
	unsigned long long start, end, off, ino;
	unsigned int maj, min;
	int i = 0, bad = 0, n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f) {
		check(0, "open %s: %s", path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		struct vma *v;
		uint32_t want;

		name[0] = 0;
		n = sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %511[^\n]", &start, &end, perms,
			   &off, &maj, &min, &ino, name);
		if (n < 7)
			continue;
		if (start >= 0xffffffffff600000ULL)
			continue;	/* [vsyscall] is not a VMA of the mm */
		if (i >= nvmas) {
			bad++;
			printf("# maps has more: %s", line);
			continue;
		}
		v = &vmas[i++];
		want = (perms[0] == 'r' ? KMDUMP_VMA_FLAGS_READ : 0) |
		       (perms[1] == 'w' ? KMDUMP_VMA_FLAGS_WRITE : 0) |
		       (perms[2] == 'x' ? KMDUMP_VMA_FLAGS_EXEC : 0) |
		       (perms[3] == 's' ? KMDUMP_VMA_FLAGS_SHARED : 0);
		if (v->start != start || v->end != end || v->pgoff != off || v->major != maj ||
		    v->minor != min || v->inode != ino || strcmp(v->path, name) ||
		    (v->flags & 0xf) != want) {
			bad++;
			printf("# maps: %s#  got: %llx-%llx flags %x %llx %x:%x %llu %s\n", line,
			       (unsigned long long)v->start, (unsigned long long)v->end, v->flags,
			       (unsigned long long)v->pgoff, v->major, v->minor,
			       (unsigned long long)v->inode, v->path);
		}
	}
	fclose(f);
	check(!bad && i == nvmas, "%d VMAs match /proc/%d/maps line by line (%d differ, %d listed)",
	      i, pid, bad, nvmas);
}

static int readelf_build_id(const char *path, unsigned char *id, int max)
{
	char cmd[700], line[512], *p;
	FILE *f;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "readelf -n '%s' 2>/dev/null", path);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "Build ID: ");
		if (!p)
			continue;
		for (p += 10; n < max && isxdigit((unsigned char)p[0]) &&
		     isxdigit((unsigned char)p[1]); p += 2)
			sscanf(p, "%2hhx", &id[n++]);
		break;
	}
	pclose(f);
	return n;
}

static int fill_range(struct nl_msg *msg, uint64_t addr, uint64_t len, uint64_t off)
{
	struct nlattr *n = nla_nest_start(msg, KMDUMP_A_RANGE);

	if (!n || nla_put_u64(msg, KMDUMP_A_RANGE_ADDR, addr) ||
	    nla_put_u64(msg, KMDUMP_A_RANGE_LEN, len) ||
	    nla_put_u64(msg, KMDUMP_A_RANGE_OFFSET, off))
		return -1;
	nla_nest_end(msg, n);
	return 0;
}

static void on_ignore(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	(void)nlh;
	(void)tb;
	(void)arg;
}

/* The first @len bytes at a mapped file's start, read the way the library reads them for
 * its build id: through the session's mem-read. Returns the bytes read, or -1.
 */
static ssize_t read_module_start(uint32_t sid, uint64_t base, unsigned char *buf,
				 size_t len, const char *dir)
{
	char path[512];
	struct nl_msg *msg;
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "%s/module-start.bin", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	msg = new_msg(KMDUMP_CMD_MEM_READ_TO_FD, NLM_F_DUMP);
	if (!nla_put_u32(msg, KMDUMP_A_SESSION_ID, sid) && !nla_put_s32(msg, KMDUMP_A_OUT_FD, fd) &&
	    !fill_range(msg, base, len, 0) &&
	    !request(KMDUMP_CMD_MEM_READ_TO_FD, NLM_F_DUMP, msg, on_ignore, NULL))
		n = pread(fd, buf, len, 0);
	close(fd);
	return n;
}

/* The library's window: it never reads more of a module for its build id. */
#define ID_WINDOW	(64 * 1024)

/*
 * The library decides what a module is from the VMAs; what it needs from the module is
 * that the bytes at a mapped file's start, read through mem-read, hold the ELF header
 * and the build id readelf -n finds in the file.
 */
static void check_module_starts(uint32_t sid, const char *dir)
{
	static unsigned char start[ID_WINDOW];
	unsigned char id[64];
	int i, n, bad = 0, with_id = 0, found_exe = 0;
	ssize_t got;

	for (i = 0; i < nvmas; i++) {
		const struct vma *v = &vmas[i];
		uint64_t size = v->end - v->start;

		if (v->path[0] != '/' || v->pgoff || size < 4096)
			continue;	/* no ELF header at the start */
		if (strstr(v->path, "mt-target"))
			found_exe = 1;
		n = readelf_build_id(v->path, id, sizeof(id));
		if (n <= 0)
			continue;
		got = read_module_start(sid, v->start, start, size < ID_WINDOW ? size : ID_WINDOW, dir);
		if (got < 4 || memcmp(start, "\177ELF", 4) || !memmem(start, got, id, n)) {
			bad++;
			printf("# %s: %zd bytes read at its start, %s\n", v->path, got,
			       got >= 4 && !memcmp(start, "\177ELF", 4) ?
			       "without readelf's build id" : "not an ELF header");
		} else {
			with_id++;
		}
	}
	check(found_exe, "the executable is among the mapped files");
	check(!bad, "the bytes at each mapped file's start, read through mem-read, hold readelf -n's build id (%d with id, %d bad)",
	      with_id, bad);
	check(with_id >= 2, "at least the executable's and libc's build ids are in reach (%d)",
	      with_id);
}

static void check_memory(const struct target *tg, uint32_t sid, const char *dir)
{
	const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	char path[512];
	unsigned char *got;
	struct nl_msg *msg;
	uint64_t done0 = 0, done1 = 0, i;
	uint64_t fail_lo = UINT64_MAX, fail_hi = 0, fail_sum = 0;
	int fd, err, bad = 0, k, stray = 0;

	snprintf(path, sizeof(path), "%s/mem.bin", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		check(0, "create %s: %s", path, strerror(errno));
		return;
	}
	msg = new_msg(KMDUMP_CMD_MEM_READ_TO_FD, NLM_F_DUMP);
	if (nla_put_u32(msg, KMDUMP_A_SESSION_ID, sid) || nla_put_s32(msg, KMDUMP_A_OUT_FD, fd) ||
	    fill_range(msg, tg->buf, tg->buf_len, 0) ||
	    fill_range(msg, tg->region, 3 * page, tg->buf_len + page)) {
		check(0, "build mem-read-to-fd");
		close(fd);
		return;
	}
	err = request(KMDUMP_CMD_MEM_READ_TO_FD, NLM_F_DUMP, msg, on_piece, NULL);
	check(err == 0 && npieces > 0, "mem-read-to-fd answered %d pieces (%s)", npieces,
	      err ? errstr(err) : "ok");
	for (k = 0; k < npieces; k++) {
		struct piece *p = &pieces[k];

		if (p->index == 0)
			done0 += p->done;
		else
			done1 += p->done;
		/* The wire carries no reason per extent: neighbours may come merged. */
		for (i = 0; i < (uint64_t)p->nfail; i++) {
			printf("# failed extent %llx+%llx of range %u\n",
			       (unsigned long long)p->fail_addr[i],
			       (unsigned long long)p->fail_len[i], p->index);
			if (p->index != 1)
				stray++;
			fail_lo = p->fail_addr[i] < fail_lo ? p->fail_addr[i] : fail_lo;
			if (p->fail_addr[i] + p->fail_len[i] > fail_hi)
				fail_hi = p->fail_addr[i] + p->fail_len[i];
			fail_sum += p->fail_len[i];
		}
	}
	got = malloc(tg->buf_len + 4 * page);
	if (!got || pread(fd, got, tg->buf_len + 4 * page, 0) < (ssize_t)(tg->buf_len + 2 * page)) {
		check(0, "read back %s", path);
		free(got);
		close(fd);
		return;
	}
	for (i = 0; i < tg->buf_len; i++)
		if (got[i] != PATTERN(i))
			bad++;
	check(done0 == tg->buf_len && !bad, "pattern buffer: %llu bytes read, %d differ",
	      (unsigned long long)done0, bad);
	bad = 0;
	for (i = 0; i < page; i++)
		if (got[tg->buf_len + page + i] != 0x5a)
			bad++;
	check(done1 == page && !bad && !stray && fail_lo == tg->region + page &&
	      fail_hi == tg->region + 3 * page && fail_sum == 2 * page,
	      "hole and DONTDUMP page are exactly the failed bytes (read %llu, failed %llu)",
	      (unsigned long long)done1, (unsigned long long)fail_sum);
	free(got);
	close(fd);
}

static void on_close(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct session *s = arg;

	(void)nlh;
	if (tb[KMDUMP_A_PAUSE_NS])
		s->pause_ns = get_u64(tb[KMDUMP_A_PAUSE_NS]);
}

/* 1,000 extra threads: all listed and every one held. */
static void check_many(const struct target *tg, const struct session *s)
{
	struct nl_msg *msg = new_msg(KMDUMP_CMD_THREAD_GET, NLM_F_DUMP);
	int i, held = 0, err;

	(void)tg;
	nla_put_u32(msg, KMDUMP_A_SESSION_ID, s->id);
	err = request(KMDUMP_CMD_THREAD_GET, NLM_F_DUMP, msg, on_thread, NULL);
	for (i = 0; i < nthreads; i++)
		if (threads[i].freeze == KMDUMP_THREAD_FREEZE_PARKED ||
		    threads[i].freeze == KMDUMP_THREAD_FREEZE_BLOCKED)
			held++;
	check(!err && s->thread_count >= 1004 && nthreads == (int)s->thread_count,
	      "all %u threads listed (%d in the dump)", s->thread_count, nthreads);
	check(held >= 1004, "%d threads held (parked or blocked)", held);
}

/* After the close the target must run as before: the blocked read completes. */
static void check_after(const struct target *tg, int stopped)
{
	struct pollfd pfd = { .fd = tg->from_fd, .events = POLLIN };
	unsigned long long u0, u1;
	unsigned char c = 'A';
	int i;

	if (stopped) {
		sleep_ms(300);
		check(proc_state(tg->pid, tg->spinner) == 'T' && proc_state(tg->pid, tg->pid) == 'T',
		      "still stopped after the dump (job control untouched)");
		kill(tg->pid, SIGCONT);
	}
	for (i = 0; i < 50 && proc_state(tg->pid, tg->spinner) != 'R'; i++)
		sleep_ms(100);
	u0 = proc_utime(tg->pid, tg->spinner);
	sleep_ms(1500);
	u1 = proc_utime(tg->pid, tg->spinner);
	check(u1 > u0, "spinner runs again after the thaw (utime %llu -> %llu)", u0, u1);
	if (write(tg->to_fd, &c, 1) != 1) {
		check(0, "write to the reader");
		return;
	}
	c = 0;
	if (poll(&pfd, 1, 20000) == 1 && read(tg->from_fd, &c, 1) == 1)
		check(c == 'B', "blocked read completed after the thaw and answered '%c'", c);
	else
		check(0, "the reader did not answer within 20 s");
}

/* A tracer child that holds the target's main thread in a ptrace stop. */
static pid_t start_tracer(pid_t pid)
{
	pid_t tr = fork();
	int st;

	if (tr == 0) {
		if (ptrace(PTRACE_SEIZE, pid, 0, 0) || ptrace(PTRACE_INTERRUPT, pid, 0, 0))
			_exit(1);
		waitpid(pid, &st, __WALL);
		for (;;)
			pause();
	}
	for (int i = 0; i < 100 && proc_state(pid, pid) != 't'; i++)
		sleep_ms(50);
	return tr;
}

static void on_any(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	(void)nlh;
	if (tb[KMDUMP_A_HRESULT] && nla_get_u32(tb[KMDUMP_A_HRESULT]) != KMDUMP_S_OK)
		*(int *)arg = 1;
	if (tb[KMDUMP_A_BYTES_DONE] && nla_get_u64(tb[KMDUMP_A_BYTES_DONE]))
		*(int *)arg = 2;
}

/* Sessions racing a target that re-executes itself every few milliseconds. */
static void check_exec_race(struct target *tg)
{
	struct session s;
	struct nl_msg *msg;
	char path[64];
	int i, fd, err, ok = 0, clean = 0, odd = 0;

	for (i = 0; i < 30; i++) {
		snprintf(path, sizeof(path), "/proc/%d/mem", tg->pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&s, 0, sizeof(s));
		msg = new_msg(KMDUMP_CMD_SESSION_OPEN, 0);
		nla_put_u32(msg, KMDUMP_A_PID, tg->pid);
		nla_put_s32(msg, KMDUMP_A_MEM_FD, fd);
		nla_put_u32(msg, KMDUMP_A_WATCHDOG_MS, 10000);
		err = request(KMDUMP_CMD_SESSION_OPEN, 0, msg, on_open, &s);
		close(fd);
		if (!err && s.hresult == KMDUMP_S_OK && s.id) {
			ok++;
			msg = new_msg(KMDUMP_CMD_SESSION_CLOSE, 0);
			nla_put_u32(msg, KMDUMP_A_SESSION_ID, s.id);
			request(KMDUMP_CMD_SESSION_CLOSE, 0, msg, on_close, &s);
		} else if (err == -ESRCH || err == -EACCES || err == -EPERM || err == -EBUSY ||
			   err == -EINVAL) {
			clean++;	/* exec'd between the proof and the freeze */
		} else {
			odd++;
			printf("# attempt %d: err %d hresult 0x%08x\n", i, err, s.hresult);
		}
		sleep_ms(7);
	}
	printf("# exec race: %d opened, %d refused cleanly, %d other\n", ok, clean, odd);
	check(ok > 0 && !odd, "30 opens racing exec: %d opened, %d refused cleanly", ok, clean);
	sleep_ms(200);
	check(kill(tg->pid, 0) == 0 && proc_state(tg->pid, tg->pid) != 'T' &&
	      proc_state(tg->pid, tg->pid) != '?', "the exec'ing target still runs (state %c)",
	      proc_state(tg->pid, tg->pid));
}

/* SIGKILL while held: the target dies without waiting for the thaw. */
static void check_killed(struct target *tg, uint32_t sid, const char *dir)
{
	char path[512];
	struct nl_msg *msg;
	int i, status = 0, dead = 0, fd, failed = 0, err;

	kill(tg->pid, SIGKILL);
	for (i = 0; i < 200 && !dead; i++) {
		dead = waitpid(tg->pid, &status, WNOHANG) == tg->pid;
		if (!dead)
			sleep_ms(50);
	}
	check(dead && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "SIGKILL ends the held target while its session is open");
	if (dead)
		tg->pid = 0;
	snprintf(path, sizeof(path), "%s/mem-killed.bin", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	msg = new_msg(KMDUMP_CMD_MEM_READ_TO_FD, NLM_F_DUMP);
	nla_put_u32(msg, KMDUMP_A_SESSION_ID, sid);
	nla_put_s32(msg, KMDUMP_A_OUT_FD, fd);
	fill_range(msg, tg->buf, 4096, 0);
	err = request(KMDUMP_CMD_MEM_READ_TO_FD, NLM_F_DUMP, msg, on_any, &failed);
	/* err is the dump's errno from its NLMSG_DONE (ESRCH: the target is gone) */
	check(err || failed == 1, "reading the dead target fails cleanly (%s, %s)",
	      err ? strerror(-err) : "no error",
	      failed == 2 ? "bytes were read" : failed ? "failing hresult" : "S_OK");
	close(fd);
}

int main(int argc, char **argv)
{
	const char *dir = getenv("KMDUMP_E2E_OUT");
	struct session s = {};
	struct target tg = {};
	struct nl_msg *msg;
	char path[64];
	int stopped, many, traced, killed, exec_race, memfd, err, status;
	pid_t tracer = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: capture-check TARGET [run|stopped]\n");
		return 2;
	}
	stopped = argc > 2 && !strcmp(argv[2], "stopped");
	many = argc > 2 && !strcmp(argv[2], "many");
	exec_race = argc > 2 && !strcmp(argv[2], "exec");
	traced = argc > 2 && !strcmp(argv[2], "traced");
	killed = argc > 2 && !strcmp(argv[2], "killed");
	mode = stopped ? "stopped" : many ? "1000-thread" : traced ? "traced" :
	       killed ? "killed" : exec_race ? "exec'ing" : "running";
	if (exec_race)
		target_extra = "exec";
	if (many)
		target_extra = "1000";
	if (!dir)
		dir = "/tmp";
	sk = nl_socket_alloc();
	if (!sk || genl_connect(sk) || (family = genl_ctrl_resolve(sk, KMDUMP_FAMILY_NAME)) < 0) {
		printf("not ok 1 - the kmdump family is not reachable\n");
		return 1;
	}
	nl_socket_set_buffer_size(sk, 1 << 20, 1 << 20);
	{
		int one = 1;

		setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	}
	if (start_target(argv[1], &tg)) {
		printf("not ok 1 - start %s\n", argv[1]);
		return 1;
	}
	if (exec_race) {
		check_exec_race(&tg);
		goto out;
	}
	if (stopped) {
		kill(tg.pid, SIGSTOP);
		for (int i = 0; i < 100 && proc_state(tg.pid, tg.pid) != 'T'; i++)
			sleep_ms(50);
	}
	if (traced)
		tracer = start_tracer(tg.pid);
	sleep_ms(200);
	snprintf(path, sizeof(path), "/proc/%d/mem", tg.pid);
	memfd = open(path, O_RDONLY | O_CLOEXEC);
	msg = new_msg(KMDUMP_CMD_SESSION_OPEN, 0);
	nla_put_u32(msg, KMDUMP_A_PID, tg.pid);
	nla_put_s32(msg, KMDUMP_A_MEM_FD, memfd);
	nla_put_u32(msg, KMDUMP_A_WATCHDOG_MS, 60000);
	nla_put_u32(msg, KMDUMP_A_CAPTURE_FLAGS, KMDUMP_CAPTURE_FLAGS_KERNEL_STACKS);
	err = request(KMDUMP_CMD_SESSION_OPEN, 0, msg, on_open, &s);
	close(memfd);
	check(!err && s.hresult == KMDUMP_S_OK && s.id, "session-open: %s, hresult 0x%08x",
	      err ? errstr(err) : "ok", s.hresult);
	if (err || !s.id)
		goto out;
	printf("# freeze %llu ns, paused %llu ns, %u threads\n", (unsigned long long)s.freeze_ns,
	       (unsigned long long)s.pause_ns, s.thread_count);
	check(s.freeze_ns > 0 && s.pause_ns >= s.freeze_ns, "freeze and pause times reported");
	if (many) {
		check_many(&tg, &s);
		goto close;
	}
	if (killed) {
		check_killed(&tg, s.id, dir);
		msg = new_msg(KMDUMP_CMD_SESSION_CLOSE, 0);
		nla_put_u32(msg, KMDUMP_A_SESSION_ID, s.id);
		request(KMDUMP_CMD_SESSION_CLOSE, 0, msg, on_close, &s);
		goto out;
	}
	if (traced) {
		msg = new_msg(KMDUMP_CMD_THREAD_GET, NLM_F_DUMP);
		nla_put_u32(msg, KMDUMP_A_SESSION_ID, s.id);
		err = request(KMDUMP_CMD_THREAD_GET, NLM_F_DUMP, msg, on_thread, NULL);
		check(!err && find_thread(tg.pid) &&
		      find_thread(tg.pid)->state == KMDUMP_THREAD_STATE_TRACED &&
		      find_thread(tg.pid)->freeze == KMDUMP_THREAD_FREEZE_BLOCKED &&
		      find_thread(tg.pid)->have_regs,
		      "the ptrace-stopped main thread is reported traced, held, with registers");
		goto close;
	}

	msg = new_msg(KMDUMP_CMD_THREAD_GET, NLM_F_DUMP);
	nla_put_u32(msg, KMDUMP_A_SESSION_ID, s.id);
	err = request(KMDUMP_CMD_THREAD_GET, NLM_F_DUMP, msg, on_thread, NULL);
	msg = new_msg(KMDUMP_CMD_VMA_GET, NLM_F_DUMP);
	nla_put_u32(msg, KMDUMP_A_SESSION_ID, s.id);
	err = err ?: request(KMDUMP_CMD_VMA_GET, NLM_F_DUMP, msg, on_vma, NULL);
	check(!err, "thread and vma dumps: %s", err ? errstr(err) : "ok");

	/* The target is frozen: /proc/<pid>/maps cannot have changed meanwhile. */
	check_threads(&tg, &s, stopped);
	check_vmas(tg.pid);
	check_module_starts(s.id, dir);
	check_memory(&tg, s.id, dir);

close:
	msg = new_msg(KMDUMP_CMD_SESSION_CLOSE, 0);
	nla_put_u32(msg, KMDUMP_A_SESSION_ID, s.id);
	err = request(KMDUMP_CMD_SESSION_CLOSE, 0, msg, on_close, &s);
	check(!err, "session-close: %s", err ? errstr(err) : "ok");
	if (s.pause_ns)
		printf("# KMDUMP-BENCH %s freeze_ns=%llu pause_ns=%llu threads=%u\n", mode,
		       (unsigned long long)s.freeze_ns, (unsigned long long)s.pause_ns,
		       s.thread_count);
	if (traced) {
		sleep_ms(300);
		check(proc_state(tg.pid, tg.pid) == 't', "still in its ptrace stop after the dump");
		kill(tracer, SIGKILL);
		waitpid(tracer, &status, 0);
		tracer = 0;
	}
	check_after(&tg, stopped);
out:
	if (tracer) {
		kill(tracer, SIGKILL);
		waitpid(tracer, &status, 0);
	}
	if (tg.pid) {
		kill(tg.pid, SIGKILL);
		waitpid(tg.pid, &status, 0);
	}
	nl_socket_free(sk);
	printf("# %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
