// SPDX-License-Identifier: GPL-2.0
/*
 * exec-race SUID-PROG PLAIN-PROG DIRECT-FILE FUSE-PID RACE-SECONDS: a target
 * that execs while an unprivileged user's session holds it. Run as root:
 * root only starts the targets (as nobody) and watches them through /proc;
 * nobody (an agent, agent.h) opens the sessions. SUID-PROG is a setuid-root
 * program and PLAIN-PROG an ordinary one, both exiting at once (true(1));
 * DIRECT-FILE is stall-fuse's "direct" file, whose reads wait until the server
 * (FUSE-PID) gets SIGUSR1. Prints TAP.
 *
 * Deterministic cases: thread A of a nobody target is stuck in a read of
 * DIRECT-FILE, then thread B execs. exec's de_thread() kills A, but A cannot
 * die before its read is answered, so B waits inside execve() for as long as
 * the test likes; nobody opens a session then (every thread is blocked in the
 * kernel, so the freeze holds them all), and only then is A let go: B
 * finishes the exec and returns to user mode in the new, maybe root-owned,
 * image with the park work queued before the exec. The exec'd program must
 * run to completion at once, never run kmdump code (park), and the session's
 * next request must be refused with E_ACCESSDENIED ("exec or changed its
 * credentials").
 *
 * Race: for RACE-SECONDS, targets whose thread A spins while thread B (or the
 * leader) execs SUID-PROG at a random moment around nobody's session-open;
 * the same rules hold whenever a session saw the exec, and a refusal at open
 * may only be E_ACCESSDENIED or STATUS_INVALID_CID (the target exec'd away).
 */
#include <dirent.h>
#include <pthread.h>

#include "faults.h"
#include "agent.h"

#define NOBODY		65534
#define EXIT_BOUND_MS	10000	/* true(1) needs far less, even on the debug kernel */
#define REPLY_MS	60000

static const char *suid_prog, *plain_prog, *direct_file;
static pid_t fuse_pid;
static struct agent ag;

/* ---- the target ---- */

enum { LEADER_EXECS = 1, BLOCK_ON_FUSE = 2 };

struct target {
	pid_t pid;
	int go;		/* a byte lets the exec'ing thread exec */
	int done;	/* EOF once the exec passed its point of no return */
	int ready;	/* a byte once the other thread runs (or opened the FUSE file) */
};

static const char *target_prog;
static int t_go, t_done, t_ready;
static volatile unsigned long spins;

static void *spin(void *arg)
{
	(void)arg;
	for (;;)
		spins++;
	return NULL;
}

static void *stuck_read(void *arg)
{
	char buf[4096];
	int fd = open(direct_file, O_RDONLY);

	(void)arg;
	if (fd >= 0 && write(t_ready, "r", 1) == 1)
		(void)!read(fd, buf, sizeof(buf));	/* until the server answers */
	for (;;)
		spins++;
	return NULL;
}

static void *execer(void *arg)
{
	char c;
	char *argv[] = { (char *)target_prog, NULL };

	(void)arg;
	if (read(t_go, &c, 1) == 1)
		execv(target_prog, argv);
	(void)!write(t_done, "x", 1);
	_exit(127);
}

static int target_start(struct target *t, const char *prog, int mode)
{
	int go[2], done[2], ready[2];
	pthread_t th;
	char c;

	memset(t, 0, sizeof(*t));
	t->go = t->done = t->ready = -1;
	if (pipe(go) || pipe2(done, O_CLOEXEC) || pipe2(ready, O_CLOEXEC))
		return -1;
	fflush(stdout);
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (t->pid == 0) {
		close(go[1]);
		close(done[0]);
		close(ready[0]);
		close(ag.to);
		close(ag.from);
		if (become(NOBODY, NOBODY))
			_exit(126);
		target_prog = prog;
		t_go = go[0];
		t_done = done[1];
		t_ready = ready[1];
		if (pthread_create(&th, NULL, mode & BLOCK_ON_FUSE ? stuck_read : spin, NULL))
			_exit(125);
		if (!(mode & BLOCK_ON_FUSE))
			(void)!write(t_ready, "r", 1);
		if (mode & LEADER_EXECS)
			execer(NULL);
		if (pthread_create(&th, NULL, execer, NULL))
			_exit(125);
		spin(NULL);
	}
	close(go[0]);
	close(done[1]);
	close(ready[1]);
	t->go = go[1];
	t->done = done[0];
	t->ready = ready[0];
	/* A byte: the first thread runs (or has opened the FUSE file). */
	if (read(t->ready, &c, 1) != 1)
		return -1;
	return 0;
}

static void target_stop(struct target *t)
{
	int status;

	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, &status, 0);
	}
	if (t->go >= 0)
		close(t->go);
	if (t->done >= 0)
		close(t->done);
	if (t->ready >= 0)
		close(t->ready);
	memset(t, 0, sizeof(*t));
}

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

/* ---- root's view of the target (/proc) ---- */

static char *slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

static int euid_of(pid_t pid)
{
	char path[64], buf[2048], *p;
	unsigned int r, e;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	p = strstr(slurp(path, buf, sizeof(buf)), "\nUid:");
	if (!p || sscanf(p + 5, "%u %u", &r, &e) != 2)
		return -1;
	return (int)e;
}

/* A task of @pid whose kernel stack or wchan contains @needle: its tid, or 0. */
static pid_t task_in(pid_t pid, const char *needle, char *what, size_t len)
{
	char path[96], buf[4096];
	struct dirent *d;
	pid_t found = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	while (dir && !found && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.24s/stack", (int)pid, d->d_name);
		if (!strstr(slurp(path, buf, sizeof(buf)), needle)) {
			snprintf(path, sizeof(path), "/proc/%d/task/%.24s/wchan", (int)pid, d->d_name);
			if (!strstr(slurp(path, buf, sizeof(buf)), needle))
				continue;
		}
		found = (pid_t)atoi(d->d_name);
		if (what) {
			char *l = strstr(buf, needle);

			while (l && l > buf && l[-1] != '\n')
				l--;
			snprintf(what, len, "%.*s", (int)strcspn(l ? l : buf, "\n"), l ? l : buf);
		}
	}
	if (dir)
		closedir(dir);
	return found;
}

/* What the watcher saw of the current target. */
static struct {
	pid_t pid;
	int done;	/* the target's exec-done pipe */
	unsigned int suid_in_kmdump, in_kmdump_after_exec;
	char example[256];
} w;

/* Called every ~10 ms while the test waits: is the exec'd image in kmdump code? */
static void watch(void *arg)
{
	char what[200];
	int euid;

	(void)arg;
	if (w.pid <= 0)
		return;
	/* Only the new image: its exec closed the pipe (after de_thread(): alone). */
	if (!readable(w.done))
		return;
	euid = euid_of(w.pid);
	if (task_in(w.pid, "kmd_", what, sizeof(what)) || task_in(w.pid, "[kmdump]", what,
								    sizeof(what))) {
		if (euid == 0)
			w.suid_in_kmdump++;
		w.in_kmdump_after_exec++;
		if (!w.example[0])
			snprintf(w.example, sizeof(w.example), "pid %d euid %d: %s", (int)w.pid,
				 euid, what);
	}
}

/* Waits up to @ms for @t to exit (watching meanwhile); its exit time or -1. */
static long wait_exit(struct target *t, unsigned int ms)
{
	uint64_t start = now_ms(), end = start + ms;
	int status;

	for (;;) {
		watch(NULL);
		if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
			t->pid = 0;
			return (long)(now_ms() - start);
		}
		if (now_ms() >= end)
			return -1;
		usleep(10000);
	}
}

/* Some task of @pid has @a (or @b) in its kernel stack or wchan within @ms. */
static int wait_for(pid_t pid, const char *a, const char *b, unsigned int ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end) {
		if (task_in(pid, a, NULL, 0) || (b && task_in(pid, b, NULL, 0)))
			return 0;
		usleep(20000);
	}
	return -1;
}

static int exec_refusal(HRESULT hr, const char *msg)
{
	return hr == (HRESULT)KMDUMP_E_ACCESSDENIED && strstr(msg, "exec or changed its credentials");
}

/* ---- deterministic cases ---- */

static void deterministic(const char *name, const char *prog, int mode)
{
	struct target t;
	const char *r;
	uint32_t id;
	HRESULT hr;
	long ms;

	memset(&w, 0, sizeof(w));
	if (target_start(&t, prog, mode | BLOCK_ON_FUSE)) {
		check(0, "%s: the target starts", name);
		target_stop(&t);
		return;
	}
	w.pid = t.pid;
	w.done = t.done;
	if (wait_for(t.pid, "fuse", NULL, 30000)) {
		check(0, "%s: a thread of the target is stuck reading the FUSE file", name);
		target_stop(&t);
		return;
	}
	/* The proof is taken before the exec, as the attacker would. */
	r = agent_call(&ag, REPLY_MS, "proof %d", (int)t.pid);
	if (FAILED(reply_hr(r)))
		printf("# %s: proof: %s\n", name, r ? r : "(no answer)");
	(void)!write(t.go, "g", 1);
	if (wait_for(t.pid, "de_thread", "begin_new_exec", 30000)) {
		check(0, "%s: the exec'ing thread waits inside execve() for the stuck one", name);
		target_stop(&t);
		return;
	}
	r = agent_call(&ag, REPLY_MS, "open %d 60000", (int)t.pid);
	hr = reply_hr(r);
	id = (uint32_t)reply_num(r, "id");
	printf("# %s: session-open while the exec waits: %s\n", name, r ? r : "(no answer)");
	if (FAILED(hr)) {
		check(exec_refusal(hr, reply_msg(r)) || hr == (HRESULT)KMDUMP_E_INVALID_CID,
		      "%s: the session-open during the pending exec is refused with E_ACCESSDENIED or STATUS_INVALID_CID: %s",
		      name, HR(hr));
	} else {
		check(1, "%s: nobody's session opened while the exec waited (every thread blocked in the kernel)",
		      name);
	}
	kill(fuse_pid, SIGUSR1);	/* the stuck read ends: the exec completes */
	ms = wait_exit(&t, EXIT_BOUND_MS);
	if (ms >= 0)
		printf("# %s: the exec'd program exited %ld ms after the stuck thread was let go%s\n",
		       name, ms, SUCCEEDED(hr) ? " (session still open)" : "");
	else
		printf("# %s: the exec'd program is still there %d s after the stuck thread was let go\n",
		       name, EXIT_BOUND_MS / 1000);
	check(ms >= 0,
	      "%s: the exec'd program runs to completion within %d s, the session still open (not frozen)",
	      name, EXIT_BOUND_MS / 1000);
	check(!w.in_kmdump_after_exec,
	      "%s: no thread of the new image ever ran kmdump code (kmd_park_cb) %s%s", name,
	      w.example[0] ? ": " : "", w.example);
	if (SUCCEEDED(hr)) {
		r = agent_call(&ag, REPLY_MS, "get %u", id);
		printf("# %s: session-get after the exec: %s\n", name, r ? r : "(no answer)");
		check(exec_refusal(reply_hr(r), reply_msg(r)),
		      "%s: the session's next request is refused: E_ACCESSDENIED, 'exec or changed its credentials' (got %s)",
		      name, HR(reply_hr(r)));
		r = agent_call(&ag, REPLY_MS, "close %u", id);
		printf("# %s: session-close: %s\n", name, r ? r : "(no answer)");
	}
	if (t.pid > 0) {
		ms = wait_exit(&t, 30000);
		if (ms >= 0)
			printf("# %s: the program exited %ld ms after the close\n", name, ms);
	}
	target_stop(&t);
}

/* ---- the race ---- */

struct race {
	unsigned int iters, saw_exec, froze_first, refused_exec, refused_cid, bad_refusals;
	unsigned int late, get_ok, get_bad, stuck, suid_in_kmdump;
	char bad_refusal[256], bad_get[256], late_what[256];
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static long rnd(long n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (long)(rng % (uint64_t)n);
}

/*
 * When the exec'ing thread is let go, relative to the session-open being sent
 * (µs): around a centre that follows the outcomes, so the exec keeps landing
 * inside the freeze (a session that froze the target first moves it earlier,
 * one that lost to the exec moves it later).
 */
static long centre_us = 2000;

static void race_once(struct race *rc)
{
	long delay_us = centre_us + rnd(6000) - 3000, ms;
	int mode = rc->iters % 2 ? LEADER_EXECS : 0;
	struct target t;
	const char *r;
	uint32_t id;
	HRESULT hr;

	memset(&w, 0, sizeof(w));
	if (target_start(&t, suid_prog, mode)) {
		target_stop(&t);
		return;
	}
	w.pid = t.pid;
	w.done = t.done;
	rc->iters++;
	r = agent_call(&ag, REPLY_MS, "proof %d", (int)t.pid);
	if (delay_us < 0) {
		(void)!write(t.go, "g", 1);
		usleep((useconds_t)-delay_us);
		agent_send(&ag, "open %d 60000", (int)t.pid);
	} else {
		agent_send(&ag, "open %d 60000", (int)t.pid);
		usleep((useconds_t)delay_us);
		(void)!write(t.go, "g", 1);
	}
	r = agent_wait(&ag, REPLY_MS, watch, NULL);
	hr = reply_hr(r);
	id = (uint32_t)reply_num(r, "id");
	if (FAILED(hr)) {
		centre_us += 500;
		if (exec_refusal(hr, reply_msg(r)) || (hr == (HRESULT)KMDUMP_E_ACCESSDENIED &&
						       strstr(reply_msg(r), "exec")))
			rc->refused_exec++;
		else if (hr == (HRESULT)KMDUMP_E_INVALID_CID)
			rc->refused_cid++;
		else if (!rc->bad_refusals++)
			snprintf(rc->bad_refusal, sizeof(rc->bad_refusal), "%s", r ? r : "no answer");
	} else {
		uint64_t end = now_ms() + 1500;

		while (!readable(t.done) && now_ms() < end) {
			watch(NULL);
			usleep(5000);
		}
		if (readable(t.done)) {
			rc->saw_exec++;
			ms = wait_exit(&t, EXIT_BOUND_MS);
			if (ms < 0 && !rc->late++)
				snprintf(rc->late_what, sizeof(rc->late_what),
					 "pid %d still running %d s after its exec (session %u open)",
					 (int)w.pid, EXIT_BOUND_MS / 1000, id);
			r = agent_call(&ag, REPLY_MS, "get %u", id);
			if (exec_refusal(reply_hr(r), reply_msg(r)))
				rc->get_ok++;
			else if (!rc->get_bad++)
				snprintf(rc->bad_get, sizeof(rc->bad_get), "%s", r ? r : "no answer");
		} else {
			rc->froze_first++;	/* frozen before the exec: it execs after the close */
			centre_us -= 500;
		}
		agent_call(&ag, REPLY_MS, "close %u", id);
	}
	if (t.pid > 0 && wait_exit(&t, 10000) < 0)
		rc->stuck++;
	rc->suid_in_kmdump += w.suid_in_kmdump;
	if (w.suid_in_kmdump && !rc->late_what[0])
		snprintf(rc->late_what, sizeof(rc->late_what), "%s", w.example);
	target_stop(&t);
}

static void race(unsigned int seconds)
{
	uint64_t end = now_ms() + (uint64_t)seconds * 1000;
	struct race rc = { 0 };

	rng ^= (uint64_t)getpid() << 20 ^ now_ms();
	while (now_ms() < end)
		race_once(&rc);
	printf("# race: exec %ld us after the session-open at the end\n", centre_us);
	printf("# race: %u sessions in %u s: %u saw the exec, %u froze the target before it, %u refused at open (E_ACCESSDENIED %u, STATUS_INVALID_CID %u, other %u)\n",
	       rc.iters, seconds, rc.saw_exec, rc.froze_first,
	       rc.refused_exec + rc.refused_cid + rc.bad_refusals, rc.refused_exec,
	       rc.refused_cid, rc.bad_refusals);
	check(rc.iters > 0, "race: sessions were opened against exec'ing targets (%u)", rc.iters);
	check(!rc.bad_refusals,
	      "race: a session-open that lost to the exec is refused only with E_ACCESSDENIED or STATUS_INVALID_CID %s",
	      rc.bad_refusal);
	check(!rc.late && !rc.suid_in_kmdump,
	      "race: no exec'd setuid image was held: each ran to completion within %d s with the session open, none ran kmdump code (%u late, %u sightings) %s",
	      EXIT_BOUND_MS / 1000, rc.late, rc.suid_in_kmdump, rc.late_what);
	check(!rc.get_bad,
	      "race: each of the %u sessions that saw the exec was refused at its next request with E_ACCESSDENIED, 'exec or changed its credentials' %s",
	      rc.saw_exec, rc.bad_get);
	check(!rc.stuck, "race: every target ran to completion once its session was closed (%u did not)",
	      rc.stuck);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 6)
		return fprintf(stderr,
			       "usage: exec-race SUID-PROG PLAIN-PROG DIRECT-FILE FUSE-PID RACE-SECONDS\n"), 2;
	suid_prog = argv[1];
	plain_prog = argv[2];
	direct_file = argv[3];
	fuse_pid = (pid_t)atoi(argv[4]);
	if (agent_start(&ag, NOBODY, NOBODY))
		return printf("not ok 1 - nobody's agent starts: %s\n", strerror(errno)), 1;
	deterministic("setuid exec by a thread", suid_prog, 0);
	deterministic("setuid exec by the leader", suid_prog, LEADER_EXECS);
	deterministic("plain exec by a thread", plain_prog, 0);
	race((unsigned int)atoi(argv[5]));
	agent_stop(&ag);
	return tap_done();
}
