// SPDX-License-Identifier: GPL-2.0
/*
 * requester-gone COUNTER-TARGET DIR: the target is thawed when its requester
 * goes away, and every thread of it runs again. Prints TAP.
 *
 * The target is tests/e2e/faults/counter-target: each of its threads counts in
 * a shared file, so "thawed" means every counter moves again (and "frozen"
 * that none moves). The requester is a child process using the library's
 * transport, killed with SIGKILL:
 *   - mid-session (its socket closes: NETLINK_URELEASE): every thread runs
 *     again within the session's watchdog;
 *   - silent but alive (SIGSTOPped, socket open): the watchdog thaws it;
 *   - while its session-open is still freezing a big target, at several
 *     delays: the requester dies at once (the wait is killable) and the target
 *     ends up thawed, with no session left on it;
 *   - in the middle of a memory read (a netlink dump in flight).
 * Times are printed as figures; the only bounds asserted are the watchdog's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "transport.h"
#include "faults.h"
#include "counter-file.h"

#define WATCHDOG_MS	10000
#define SHORT_WATCHDOG_MS 1000
#define FREE_WAIT_MS	60000	/* open + freeze deadline + snapshot + thaw, debug kernel */
#define START_MS	60000	/* fork, libnl, family lookup: seconds on a loaded debug guest */

static const char *target_prog, *dir;

/* What the requester child tells the parent, one line on a pipe. */
struct requester {
	pid_t pid;
	int from;		/* read end */
};

static void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int fd, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (write(fd, line, (size_t)n) != n)
		_exit(3);
}

static int hear(struct requester *r, char *line, size_t len, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	size_t n = 0;

	while (n + 1 < len && now_ms() < end) {
		ssize_t k = read(r->from, line + n, 1);

		if (k == 1 && line[n] == '\n')
			break;
		if (k == 1)
			n++;
		else if (k == 0)
			break;
		else if (errno != EAGAIN && errno != EINTR)
			break;
		else
			usleep(1000);
	}
	line[n] = 0;
	return n ? 0 : -1;
}

enum after_open { PAUSE, STOP_SELF, READ_FOREVER };

static int piece_sink(void *arg, const struct kmd_tr_piece *p)
{
	(void)arg;
	(void)p;
	return 0;
}

/* Reads every readable-writable mapping of @pid over and over (a dump in flight). */
static void read_forever(struct kmd_tr *tr, uint32_t id, pid_t pid, int to)
{
	struct kmd_tr_range r[64];
	char path[64], line[512];
	size_t n = 0;
	FILE *maps;
	int first = 1;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	maps = fopen(path, "r");
	while (maps && n < 64 && fgets(line, sizeof(line), maps)) {
		unsigned long long a, b;
		char perm[8];

		if (sscanf(line, "%llx-%llx %7s", &a, &b, perm) == 3 && perm[0] == 'r' &&
		    perm[1] == 'w')
			r[n++] = (struct kmd_tr_range){ .addr = a, .len = b - a };
	}
	if (maps)
		fclose(maps);
	for (;;) {
		if (first)
			say(to, "reading ranges=%zu\n", n);
		first = 0;
		kmd_tr_read(tr, id, r, n, piece_sink, NULL);
	}
}

/*
 * Starts a requester that opens a session on @pid with @watchdog_ms and then
 * does @after. It says "go" just before the open and "opened HR ID" after it.
 */
static int requester_start(struct requester *r, pid_t pid, uint32_t watchdog_ms,
			   enum after_open after)
{
	int p[2];

	if (pipe(p) < 0)
		return -1;
	r->pid = fork();
	if (r->pid < 0)
		return -1;
	if (r->pid == 0) {
		struct kmd_tr_session s;
		struct kmd_tr *tr;
		char path[64];
		HRESULT hr;
		int fd;

		close(p[0]);
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
		fd = open(path, O_RDONLY);
		if (fd < 0 || FAILED(kmd_tr_open(&tr)))
			_exit(2);
		say(p[1], "go\n");
		hr = kmd_tr_session_open(tr, (uint32_t)pid, fd, 0, watchdog_ms, &s);
		say(p[1], "opened 0x%08" PRIx32 " %" PRIu32 " %s\n", (uint32_t)hr,
		    SUCCEEDED(hr) ? s.session_id : 0, SUCCEEDED(hr) ? "" : kmd_tr_errmsg(tr));
		if (FAILED(hr))
			_exit(1);
		if (after == STOP_SELF)
			raise(SIGSTOP);
		if (after == READ_FOREVER)
			read_forever(tr, s.session_id, pid, p[1]);
		for (;;)
			pause();
	}
	close(p[1]);
	r->from = p[0];
	fcntl(r->from, F_SETFL, O_NONBLOCK);
	return 0;
}

/* SIGKILLs the requester; returns the ms until it was reaped, or -1. */
static long requester_kill(struct requester *r, unsigned int limit_ms)
{
	uint64_t t0 = now_ms();
	int status;

	kill(r->pid, SIGKILL);
	for (;;) {
		if (waitpid(r->pid, &status, WNOHANG) == r->pid)
			break;
		if (now_ms() - t0 > limit_ms) {
			close(r->from);
			return -1;
		}
		usleep(1000);
	}
	close(r->from);
	return (long)(now_ms() - t0);
}

/*
 * Waits until no session holds @pid: our own open succeeds (the module lists a
 * session until its thaw is done). Returns the ms it took, or -1 with the
 * last refusal printed.
 */
static long wait_target_free(pid_t pid, unsigned int limit_ms)
{
	uint64_t t0 = now_ms();
	struct kmd_tr_session s;
	struct kmd_tr *tr;
	char path[64];
	HRESULT hr = E_FAIL;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0 || FAILED(kmd_tr_open(&tr)))
		return -1;
	while (now_ms() - t0 < limit_ms) {
		hr = kmd_tr_session_open(tr, (uint32_t)pid, fd, 0, 0, &s);
		if (hr != (HRESULT)KMDUMP_E_BUSY)
			break;
		usleep(20000);
	}
	if (SUCCEEDED(hr))
		kmd_tr_session_close(tr, s.session_id, NULL);
	else
		printf("# last session-open on %d: %s %s\n", (int)pid, HR(hr), kmd_tr_errmsg(tr));
	kmd_tr_close(tr);
	close(fd);
	return SUCCEEDED(hr) ? (long)(now_ms() - t0) : -1;
}

static int start_target(struct counter_target *t, const char *name, unsigned long threads,
			unsigned long blocked, unsigned long mib)
{
	char file[4096];

	snprintf(file, sizeof(file), "%s/%s.cnt", dir, name);
	return counter_start(t, target_prog, file, threads, blocked, mib, 120000);
}

/* Every thread of @t counts again (after a mark) within @limit_ms. */
static void check_all_run(struct counter_target *t, uint64_t since, unsigned int limit_ms,
			  const char *what)
{
	unsigned long moved = 0;
	long ms = counter_all_move_within(t, since, limit_ms, &moved);

	check(ms >= 0, "%s: all %lu threads run again (after %ld ms; bound %u ms)", what,
	      t->threads, ms, limit_ms);
	if (ms < 0)
		printf("# only %lu of %lu threads moved\n", moved, t->threads);
}

static void killed_mid_session(void)
{
	struct counter_target t;
	struct requester r;
	char line[256];
	uint64_t t0;
	long ms;

	if (start_target(&t, "mid-session", 8, 2, 0)) {
		check(0, "mid-session: the target starts");
		return;
	}
	if (requester_start(&r, t.pid, WATCHDOG_MS, PAUSE) || hear(&r, line, sizeof(line), START_MS) ||
	    hear(&r, line, sizeof(line), FREE_WAIT_MS) || strncmp(line, "opened 0x0000000", 16)) {
		check(0, "mid-session: the requester opens a session: %s", line);
		requester_kill(&r, 10000);
		counter_stop(&t);
		return;
	}
	printf("# requester %d: %s\n", (int)r.pid, line);
	check(counter_still_for(&t, 500), "mid-session: the target is frozen while the session is open");
	counter_mark(&t);
	t0 = now_ms();
	ms = requester_kill(&r, 10000);
	check(ms >= 0, "mid-session: the SIGKILLed requester is reaped (after %ld ms)", ms);
	check_all_run(&t, t0, WATCHDOG_MS, "requester SIGKILLed mid-session (watchdog 10 s)");
	ms = wait_target_free(t.pid, 10000);
	check(ms >= 0, "mid-session: no session is left on the target (a new one opens after %ld ms)", ms);
	counter_stop(&t);
}

static void silent_requester(void)
{
	struct counter_target t;
	struct requester r;
	char line[256];
	uint64_t t0;

	if (start_target(&t, "silent", 8, 2, 0)) {
		check(0, "silent: the target starts");
		return;
	}
	if (requester_start(&r, t.pid, SHORT_WATCHDOG_MS, STOP_SELF) ||
	    hear(&r, line, sizeof(line), START_MS) || hear(&r, line, sizeof(line), FREE_WAIT_MS) ||
	    strncmp(line, "opened 0x0000000", 16)) {
		check(0, "silent: the requester opens a session: %s", line);
		requester_kill(&r, 10000);
		counter_stop(&t);
		return;
	}
	t0 = now_ms();
	printf("# requester %d: %s, then stops itself with its socket open\n", (int)r.pid, line);
	counter_mark(&t);
	check_all_run(&t, t0, SHORT_WATCHDOG_MS + 5000,
		      "silent requester (stopped, socket open): the watchdog (1 s) thaws the target");
	check(wait_target_free(t.pid, 10000) >= 0,
	      "silent: the expired session no longer holds the target");
	requester_kill(&r, 10000);
	counter_stop(&t);
}

static void killed_during_open(unsigned long threads)
{
	static const unsigned int delays[] = { 0, 2, 5, 10, 20, 50, 100, 200, 500 };
	struct counter_target t;
	unsigned int i;

	if (start_target(&t, "during-open", threads, 4, 0)) {
		check(0, "during-open: the %lu-thread target starts", threads);
		return;
	}
	for (i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
		struct requester r;
		char line[256] = "";
		long reaped, freed;
		uint64_t t0;

		if (requester_start(&r, t.pid, WATCHDOG_MS, PAUSE)) {
			check(0, "during-open: the requester forks");
			break;
		}
		if (hear(&r, line, sizeof(line), START_MS)) {
			check(0, "during-open: the requester starts within %d s (%ld ms to reap it)",
			      START_MS / 1000, requester_kill(&r, 10000));
			break;
		}
		usleep(delays[i] * 1000);
		reaped = requester_kill(&r, 30000);
		t0 = now_ms();
		freed = wait_target_free(t.pid, FREE_WAIT_MS);
		counter_mark(&t);
		printf("# killed %u ms after sending session-open: reaped after %ld ms, target free %ld ms later\n",
		       delays[i], reaped, freed);
		check(reaped >= 0 && freed >= 0,
		      "requester SIGKILLed %u ms into its session-open of %lu threads: it dies and no session is left",
		      delays[i], threads);
		check_all_run(&t, now_ms(), 10000, "... and");
		(void)t0;
	}
	counter_stop(&t);
}

static void killed_mid_read(void)
{
	struct counter_target t;
	struct requester r;
	char line[256];
	long reaped, freed;
	uint64_t t0;

	if (start_target(&t, "mid-read", 4, 1, 64)) {
		check(0, "mid-read: the target starts");
		return;
	}
	if (requester_start(&r, t.pid, WATCHDOG_MS, READ_FOREVER) ||
	    hear(&r, line, sizeof(line), START_MS) || hear(&r, line, sizeof(line), FREE_WAIT_MS) ||
	    strncmp(line, "opened 0x0000000", 16) || hear(&r, line, sizeof(line), 30000) ||
	    strncmp(line, "reading", 7)) {
		check(0, "mid-read: the requester reads memory: %s", line);
		requester_kill(&r, 10000);
		counter_stop(&t);
		return;
	}
	printf("# requester %d: %s\n", (int)r.pid, line);
	usleep(300000);
	counter_mark(&t);
	t0 = now_ms();
	reaped = requester_kill(&r, 30000);
	check(reaped >= 0, "mid-read: the requester dies at once (reaped after %ld ms)", reaped);
	check_all_run(&t, t0, WATCHDOG_MS, "requester SIGKILLed in the middle of a memory read");
	freed = wait_target_free(t.pid, 10000);
	check(freed >= 0, "mid-read: no session is left on the target");
	counter_stop(&t);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 3)
		return fprintf(stderr, "usage: requester-gone COUNTER-TARGET DIR [THREADS]\n"), 2;
	target_prog = argv[1];
	dir = argv[2];
	killed_mid_session();
	silent_requester();
	killed_during_open(argc > 3 ? strtoul(argv[3], NULL, 0) : 300);
	killed_mid_read();
	return tap_done();
}
