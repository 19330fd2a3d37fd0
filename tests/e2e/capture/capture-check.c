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
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kmdump.h"
#include "transport.h"	/* the library's one client of the protocol */

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

static struct kmd_tr *tr;

/* The library's HRESULT and the module's message, for the log. */
static const char *errstr(HRESULT hr)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "hresult 0x%08x (%s)", (uint32_t)hr, kmd_tr_errmsg(tr));
	return buf;
}

static HRESULT open_session(pid_t pid, int memfd, uint32_t flags, uint32_t watchdog_ms,
			    struct session *s)
{
	struct kmd_tr_session ts;
	HRESULT hr = kmd_tr_session_open(tr, (uint32_t)pid, memfd, flags, watchdog_ms, &ts);

	memset(s, 0, sizeof(*s));
	if (FAILED(hr))
		return hr;
	s->hresult = (uint32_t)ts.hr;
	s->id = ts.session_id;
	s->thread_count = ts.threads;
	s->freeze_ns = ts.freeze_ns;
	s->pause_ns = ts.pause_ns;
	return hr;
}

static HRESULT close_session(struct session *s)
{
	uint64_t pause = 0;
	HRESULT hr = kmd_tr_session_close(tr, s->id, &pause);

	if (pause)
		s->pause_ns = pause;
	return hr;
}

static int on_thread(void *arg, const struct kmd_tr_thread *k)
{
	struct thread *t;

	(void)arg;
	if (nthreads == MAX_THREADS)
		return 0;
	t = &threads[nthreads++];
	memset(t, 0, sizeof(*t));
	t->tid = k->tid;
	t->freeze = k->freeze;
	t->state = k->state;
	t->flags = k->flags;
	if (k->regs && k->regs_len >= sizeof(t->regs)) {
		memcpy(t->regs, k->regs, sizeof(t->regs));
		t->have_regs = 1;
	}
	if (k->fpregs && k->fpregs_len >= 512) {
		memcpy(t->fx, k->fpregs, 512);
		t->have_fx = 1;
	}
	/* XSAVE's legacy area has FXSAVE's layout: xmm0 at byte 160 */
	if (k->xstate && k->xstate_len >= 576) {
		memcpy(t->xs_xmm0, (const unsigned char *)k->xstate + 160, 16);
		t->have_xs = 1;
	}
	t->sp = k->sp;
	t->sysnr = (k->flags & KMDUMP_THREAD_FLAGS_IN_SYSCALL) ? k->syscall_nr : -1;
	if (k->syscall_args)
		memcpy(t->args, k->syscall_args, sizeof(t->args));
	if (k->wchan)
		snprintf(t->wchan, sizeof(t->wchan), "%s", k->wchan);
	for (uint32_t i = 0; i < k->nkframes; i++) {
		size_t n = strlen(t->frames);

		if (n + 2 < sizeof(t->frames))
			snprintf(t->frames + n, sizeof(t->frames) - n, "%s\n", k->kframes[i]);
	}
	return 0;
}

static int on_vma(void *arg, const struct kmd_tr_vma *k)
{
	struct vma *v;

	(void)arg;
	if (nvmas == MAX_VMAS)
		return 0;
	v = &vmas[nvmas++];
	v->start = k->start;
	v->end = k->end;
	v->pgoff = k->pgoff;
	v->inode = k->inode;
	v->flags = k->flags;
	v->skip = k->skip;
	v->major = k->dev_major;
	v->minor = k->dev_minor;
	snprintf(v->path, sizeof(v->path), "%s", k->path ? k->path : "");
	return 0;
}

static int on_piece(void *arg, const struct kmd_tr_piece *k)
{
	struct piece *p;

	(void)arg;
	if (npieces == (int)(sizeof(pieces) / sizeof(pieces[0])))
		return 0;
	p = &pieces[npieces++];
	memset(p, 0, sizeof(*p));
	p->index = k->range_index;
	p->hresult = (uint32_t)k->hr;
	p->addr = k->addr;
	p->len = k->len;
	p->done = k->done;
	for (uint32_t i = 0; i < k->nfailed && p->nfail < MAX_FAILS; i++) {
		p->fail_addr[p->nfail] = k->failed[i].addr;
		p->fail_len[p->nfail] = k->failed[i].len;
		p->nfail++;
	}
	return 0;
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

static int ignore_piece(void *arg, const struct kmd_tr_piece *p)
{
	(void)arg;
	(void)p;
	return 0;
}

/* The first @len bytes at a mapped file's start, read the way the library reads them for
 * its build id: through the session's mem-read. Returns the bytes read, or -1.
 */
static ssize_t read_module_start(uint32_t sid, uint64_t base, unsigned char *buf,
				 size_t len, const char *dir)
{
	struct kmd_tr_range r = { .addr = base, .len = len, .offset = 0 };
	char path[512];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "%s/module-start.bin", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	if (SUCCEEDED(kmd_tr_read_to_fd(tr, sid, fd, &r, 1, ignore_piece, NULL)))
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
	uint64_t done0 = 0, done1 = 0, i;
	uint64_t fail_lo = UINT64_MAX, fail_hi = 0, fail_sum = 0;
	int fd, bad = 0, k, stray = 0;
	struct kmd_tr_range r[2] = {
		{ .addr = tg->buf, .len = tg->buf_len, .offset = 0 },
		{ .addr = tg->region, .len = 3 * page, .offset = tg->buf_len + page },
	};
	HRESULT hr;

	snprintf(path, sizeof(path), "%s/mem.bin", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		check(0, "create %s: %s", path, strerror(errno));
		return;
	}
	/* S_FALSE-like partial copy is the expected answer: the hole is unreadable */
	hr = kmd_tr_read_to_fd(tr, sid, fd, r, 2, on_piece, NULL);
	check((SUCCEEDED(hr) || hr == (HRESULT)KMDUMP_E_PARTIAL_COPY) && npieces > 0,
	      "mem-read-to-fd answered %d pieces (%s)", npieces,
	      FAILED(hr) ? errstr(hr) : "ok");
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

/* 1,000 extra threads: all listed and every one held. */
static void check_many(const struct target *tg, const struct session *s)
{
	HRESULT hr = kmd_tr_threads(tr, s->id, on_thread, NULL);
	int i, held = 0;

	(void)tg;
	for (i = 0; i < nthreads; i++)
		if (threads[i].freeze == KMDUMP_THREAD_FREEZE_PARKED ||
		    threads[i].freeze == KMDUMP_THREAD_FREEZE_BLOCKED)
			held++;
	check(SUCCEEDED(hr) && s->thread_count >= 1004 && nthreads == (int)s->thread_count,
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

/* Sessions racing a target that re-executes itself every few milliseconds. */
static void check_exec_race(struct target *tg)
{
	struct session s;
	char path[64];
	int i, fd, ok = 0, clean = 0, odd = 0;
	HRESULT hr;

	for (i = 0; i < 30; i++) {
		snprintf(path, sizeof(path), "/proc/%d/mem", tg->pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		hr = open_session(tg->pid, fd, 0, 10000, &s);
		close(fd);
		if (SUCCEEDED(hr) && s.hresult == KMDUMP_S_OK && s.id) {
			ok++;
			close_session(&s);
		} else if (hr == (HRESULT)KMDUMP_E_INVALID_CID || hr == (HRESULT)KMDUMP_E_ACCESSDENIED ||
			   hr == (HRESULT)KMDUMP_E_BUSY || hr == (HRESULT)KMDUMP_E_INVALIDARG) {
			clean++;	/* exec'd between the proof and the freeze */
		} else {
			odd++;
			printf("# attempt %d: %s\n", i, errstr(hr));
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

/* *arg: 2 when a piece of the dead target's memory was read, 1 when a piece failed. */
static int on_dead_piece(void *arg, const struct kmd_tr_piece *p)
{
	int *failed = arg;

	if (p->done)
		*failed = 2;
	else if (p->hr != S_OK && *failed != 2)
		*failed = 1;
	return 0;
}

/* SIGKILL while held: the target dies without waiting for the thaw. */
static void check_killed(struct target *tg, uint32_t sid, const char *dir)
{
	struct kmd_tr_range r = { .addr = tg->buf, .len = 4096, .offset = 0 };
	char path[512];
	int i, status = 0, dead = 0, fd, failed = 0;
	HRESULT hr;

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
	hr = kmd_tr_read_to_fd(tr, sid, fd, &r, 1, on_dead_piece, &failed);
	/* a failed read (STATUS_INVALID_CID: the target is gone) or a failing piece */
	check((FAILED(hr) && failed != 2) || failed == 1,
	      "reading the dead target fails cleanly (%s, %s)",
	      FAILED(hr) ? errstr(hr) : "no error",
	      failed == 2 ? "bytes were read" : failed ? "failing hresult" : "S_OK");
	close(fd);
}

int main(int argc, char **argv)
{
	const char *dir = getenv("KMDUMP_E2E_OUT");
	struct session s = {};
	struct target tg = {};
	char path[64];
	int stopped, many, traced, killed, exec_race, memfd, status;
	HRESULT hr;
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
	if (FAILED(kmd_tr_open(&tr))) {
		printf("not ok 1 - the kmdump family is not reachable: %s\n", kmd_tr_errmsg(tr));
		return 1;
	}
	kmd_tr_set_rcvbuf(tr, 1 << 20);
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
	hr = open_session(tg.pid, memfd, KMDUMP_CAPTURE_FLAGS_KERNEL_STACKS, 60000, &s);
	close(memfd);
	check(SUCCEEDED(hr) && s.hresult == KMDUMP_S_OK && s.id, "session-open: %s, hresult 0x%08x",
	      FAILED(hr) ? errstr(hr) : "ok", s.hresult);
	if (FAILED(hr) || !s.id)
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
		close_session(&s);
		goto out;
	}
	if (traced) {
		hr = kmd_tr_threads(tr, s.id, on_thread, NULL);
		check(SUCCEEDED(hr) && find_thread(tg.pid) &&
		      find_thread(tg.pid)->state == KMDUMP_THREAD_STATE_TRACED &&
		      find_thread(tg.pid)->freeze == KMDUMP_THREAD_FREEZE_BLOCKED &&
		      find_thread(tg.pid)->have_regs,
		      "the ptrace-stopped main thread is reported traced, held, with registers");
		goto close;
	}

	hr = kmd_tr_threads(tr, s.id, on_thread, NULL);
	if (SUCCEEDED(hr))
		hr = kmd_tr_vmas(tr, s.id, on_vma, NULL);
	check(SUCCEEDED(hr), "thread and vma dumps: %s", FAILED(hr) ? errstr(hr) : "ok");

	/* The target is frozen: /proc/<pid>/maps cannot have changed meanwhile. */
	check_threads(&tg, &s, stopped);
	check_vmas(tg.pid);
	check_module_starts(s.id, dir);
	check_memory(&tg, s.id, dir);

close:
	hr = close_session(&s);
	check(SUCCEEDED(hr), "session-close: %s", FAILED(hr) ? errstr(hr) : "ok");
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
	kmd_tr_close(tr);
	printf("# %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
