// SPDX-License-Identifier: GPL-2.0
/*
 * limits: the session limits refuse with HRESULT_FROM_WIN32(ERROR_TOO_MANY_SESS)
 * and a message naming what to change, while the sessions below the limit keep
 * working, and a closed session frees its place:
 *   - 4 sessions per socket (fixed, max-sessions-per-port);
 *   - max_sessions on the machine, all users together (module parameter,
 *     default 32);
 *   - max_sessions_per_user per uid (module parameter, default 8), so one
 *     user holding all of its sessions cannot lock root or anyone else out.
 * One session per target (ERROR_BUSY). Watchdogs out of bounds are refused by
 * the policy. Run as root: it sets the parameters it needs through
 * /sys/module/kmdump/parameters and restores them; nobody and daemon are
 * played by agents (agent.h). Prints TAP.
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
#include "agent.h"

#define PER_PORT	KMDUMP_MAX_SESSIONS_PER_PORT
#define TOTAL		KMDUMP_MAX_SESSIONS	/* max_sessions while root fills the machine */
#define PER_USER	8			/* max_sessions_per_user for the per-user part */
#define NOBODY		65534
#define DAEMON		1
#define PARAMS		"/sys/module/kmdump/parameters/"
#define SOCKETS		(TOTAL / PER_PORT + 1)
#define TARGETS		(TOTAL + 2)

static pid_t targets[TARGETS];
static int mem_fds[TARGETS];
static struct kmd_tr *socks[SOCKETS];
static uint32_t ids[SOCKETS][PER_PORT];	/* 0: none */
static int target_of[SOCKETS][PER_PORT];

static int start_targets(void)
{
	char path[64];
	int i;

	for (i = 0; i < TARGETS; i++) {
		targets[i] = fork();
		if (targets[i] < 0)
			return -1;
		if (targets[i] == 0) {
			for (;;)
				pause();
		}
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)targets[i]);
		mem_fds[i] = open(path, O_RDONLY);
		if (mem_fds[i] < 0)
			return -1;
	}
	return 0;
}

static HRESULT open_on(int sock, int target, uint32_t watchdog_ms, uint32_t *id)
{
	struct kmd_tr_session s;
	HRESULT hr;

	hr = kmd_tr_session_open(socks[sock], (uint32_t)targets[target], mem_fds[target], 0,
				 watchdog_ms, &s);
	*id = SUCCEEDED(hr) ? s.session_id : 0;
	return hr;
}

/* Fills socket @sock's slots with sessions on targets from *next; returns how many opened. */
static int fill(int sock, int *next)
{
	int k, n = 0;

	for (k = 0; k < PER_PORT; k++) {
		HRESULT hr = open_on(sock, *next, 120000, &ids[sock][k]);

		if (FAILED(hr))
			printf("# socket %d, target %d: %s %s\n", sock, *next, HR(hr),
			       kmd_tr_errmsg(socks[sock]));
		else
			n++;
		target_of[sock][k] = (*next)++;
	}
	return n;
}

static int count_thread(void *arg, const struct kmd_tr_thread *t)
{
	(void)t;
	++*(unsigned int *)arg;
	return 0;
}

/* Every open session answers session-get and thread-get. */
static int all_work(int nsocks)
{
	int s, k, ok = 1;

	for (s = 0; s < nsocks; s++)
		for (k = 0; k < PER_PORT; k++) {
			struct kmd_tr_session g;
			unsigned int threads = 0;
			HRESULT hr;

			if (!ids[s][k])
				continue;
			hr = kmd_tr_session_get(socks[s], ids[s][k], &g);
			if (SUCCEEDED(hr))
				hr = kmd_tr_threads(socks[s], ids[s][k], count_thread, &threads);
			if (FAILED(hr) || threads != 1) {
				printf("# session %u on socket %d: %s, %u threads: %s\n", ids[s][k], s,
				       HR(hr), threads, kmd_tr_errmsg(socks[s]));
				ok = 0;
			}
		}
	return ok;
}

/* ERROR_TOO_MANY_SESS with a message containing @what (and not @not_what). */
static int too_many(HRESULT hr, const char *msg, const char *what, const char *not_what)
{
	printf("# refused: %s '%s'\n", HR(hr), msg);
	return hr == (HRESULT)KMDUMP_E_TOO_MANY_SESSIONS && strstr(msg, what) &&
	       (!not_what || !strstr(msg, not_what));
}

static int refused_as_too_many(int sock, HRESULT hr, const char *what)
{
	return too_many(hr, kmd_tr_errmsg(socks[sock]), what,
			!strcmp(what, "max_sessions") ? "max_sessions_per_user" : NULL);
}

/* ---- module parameters ---- */

static long param_get(const char *name)
{
	char path[128], buf[32];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	f = fopen(path, "r");
	if (f && fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static int param_set(const char *name, long v)
{
	char path[128];
	FILE *f;
	int ok;

	if (v < 0)
		return -1;
	snprintf(path, sizeof(path), PARAMS "%s", name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	ok = fprintf(f, "%ld\n", v) > 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static void per_socket(int *next)
{
	uint32_t extra;
	HRESULT hr;

	check(fill(0, next) == PER_PORT, "one socket opens %d sessions", PER_PORT);
	hr = open_on(0, *next, 120000, &extra);
	check(refused_as_too_many(0, hr, "socket"),
	      "its session %d is refused: ERROR_TOO_MANY_SESS with a message naming the socket's limit",
	      PER_PORT + 1);
	check(all_work(1), "the %d sessions below the limit still answer (session-get, thread-get)",
	      PER_PORT);
	hr = kmd_tr_session_close(socks[0], ids[0][0], NULL);
	ids[0][0] = 0;
	check(hr == S_OK, "one of them closes: %s", HR(hr));
	hr = open_on(0, *next, 120000, &ids[0][0]);
	target_of[0][0] = (*next)++;
	check(SUCCEEDED(hr), "then the socket may open another: %s %s", HR(hr),
	      kmd_tr_errmsg(socks[0]));
}

static void machine_wide(int *next)
{
	int s, opened = 0;
	uint32_t extra;
	HRESULT hr;

	for (s = 1; s < SOCKETS - 1; s++)
		opened += fill(s, next);
	check(opened == TOTAL - PER_PORT, "%d more sockets open %d sessions each: %d in all",
	      SOCKETS - 2, PER_PORT, opened + PER_PORT);
	hr = open_on(SOCKETS - 1, *next, 120000, &extra);
	check(refused_as_too_many(SOCKETS - 1, hr, "max_sessions"),
	      "session %d on the machine (a fresh socket) is refused: ERROR_TOO_MANY_SESS with a message naming max_sessions",
	      TOTAL + 1);
	check(all_work(SOCKETS - 1), "all %d sessions still answer", TOTAL);
	hr = kmd_tr_session_close(socks[1], ids[1][0], NULL);
	ids[1][0] = 0;
	check(hr == S_OK, "one of them closes: %s", HR(hr));
	hr = open_on(SOCKETS - 1, *next, 120000, &ids[SOCKETS - 1][0]);
	target_of[SOCKETS - 1][0] = *next;
	check(SUCCEEDED(hr), "then the fresh socket may open one: %s %s", HR(hr),
	      kmd_tr_errmsg(socks[SOCKETS - 1]));
	/* The fresh socket is below its own limit but the machine is full again. */
	hr = open_on(SOCKETS - 1, target_of[1][0], 120000, &extra);
	check(refused_as_too_many(SOCKETS - 1, hr, "max_sessions"),
	      "... and no more: ERROR_TOO_MANY_SESS naming max_sessions");
}

static void one_per_target(void)
{
	uint32_t extra;
	HRESULT hr;
	const char *msg;

	hr = kmd_tr_session_close(socks[2], ids[2][0], NULL);
	ids[2][0] = 0;
	check(hr == S_OK, "another session closes: %s", HR(hr));
	hr = open_on(SOCKETS - 1, target_of[3][1], 120000, &extra);
	msg = kmd_tr_errmsg(socks[SOCKETS - 1]);
	printf("# refused: %s '%s'\n", HR(hr), msg);
	check(hr == (HRESULT)KMDUMP_E_BUSY && strstr(msg, "already frozen"),
	      "a target another socket's session holds: ERROR_BUSY, 'already frozen'");
}

static void watchdog_bounds(void)
{
	static const uint32_t bad[] = { KMDUMP_WATCHDOG_MS_MIN - 1, KMDUMP_WATCHDOG_MS_MAX + 1 };
	struct kmd_tr_session s;
	unsigned int i;
	HRESULT hr;

	for (i = 0; i < 2; i++) {
		hr = kmd_tr_session_open(socks[2], (uint32_t)targets[TARGETS - 1],
					 mem_fds[TARGETS - 1], 0, bad[i], &s);
		printf("# watchdog-ms %u: %s '%s'\n", bad[i], HR(hr), kmd_tr_errmsg(socks[2]));
		check(FAILED(hr) && strstr(kmd_tr_errmsg(socks[2]), "out of range"),
		      "watchdog-ms %u (bounds %d..%d) is refused with a message", bad[i],
		      KMDUMP_WATCHDOG_MS_MIN, KMDUMP_WATCHDOG_MS_MAX);
		if (SUCCEEDED(hr))
			kmd_tr_session_close(socks[2], s.session_id, NULL);
	}
}

/* ---- per user ---- */

/* An agent's session-open of a fresh target of its own: the reply. */
static const char *open_own(struct agent *a, const char *who)
{
	const char *r = agent_call(a, 60000, "spawn");
	pid_t pid = (pid_t)reply_num(r, "pid");

	if (pid <= 0)
		return printf("# %s could not start a target\n", who), NULL;
	r = agent_call(a, 120000, "open %d 120000", (int)pid);
	printf("# %s opens a session on its target %d: %s\n", who, (int)pid, r ? r : "(no answer)");
	return r;
}

static void per_user(void)
{
	struct agent nob, rt, dmn;
	uint32_t ids[PER_USER];
	const char *r;
	int opened = 0, i;
	HRESULT hr;

	if (agent_start(&nob, NOBODY, NOBODY) || agent_start(&rt, 0, 0) ||
	    agent_start(&dmn, DAEMON, DAEMON)) {
		check(0, "the agents of nobody, root and daemon start");
		return;
	}
	check(!param_set("max_sessions", TOTAL) && !param_set("max_sessions_per_user", PER_USER),
	      "max_sessions set to %d and max_sessions_per_user to %d through sysfs", TOTAL,
	      PER_USER);
	for (i = 0; i < PER_USER; i++) {
		r = open_own(&nob, "nobody");
		if (SUCCEEDED(reply_hr(r)))
			ids[opened++] = (uint32_t)reply_num(r, "id");
	}
	check(opened == PER_USER, "nobody opens %d sessions on its own targets, over %d sockets: %d",
	      PER_USER, (PER_USER + PER_PORT - 1) / PER_PORT, opened);
	r = open_own(&nob, "nobody");
	hr = reply_hr(r);
	check(too_many(hr, reply_msg(r), "max_sessions_per_user", NULL),
	      "its session %d (on a fresh socket) is refused: ERROR_TOO_MANY_SESS with a message naming max_sessions_per_user",
	      PER_USER + 1);
	if (SUCCEEDED(hr))
		agent_call(&nob, 60000, "close %llu", reply_num(r, "id"));
	r = open_own(&rt, "root");
	check(SUCCEEDED(reply_hr(r)),
	      "while nobody holds all of its sessions, root can still open one: %s %s",
	      HR(reply_hr(r)), reply_msg(r));
	r = open_own(&dmn, "daemon");
	check(SUCCEEDED(reply_hr(r)), "... and so can daemon: %s %s", HR(reply_hr(r)),
	      reply_msg(r));
	r = opened ? agent_call(&nob, 60000, "get %u", ids[0]) : NULL;
	check(SUCCEEDED(reply_hr(r)), "nobody's sessions still answer (session-get): %s",
	      HR(reply_hr(r)));
	r = opened ? agent_call(&nob, 60000, "close %u", ids[0]) : NULL;
	check(reply_hr(r) == S_OK, "nobody closes one: %s", HR(reply_hr(r)));
	r = open_own(&nob, "nobody");
	check(SUCCEEDED(reply_hr(r)), "then nobody may open another: %s %s", HR(reply_hr(r)),
	      reply_msg(r));

	/* All users together: max_sessions lowered at run time to what is open. */
	check(!param_set("max_sessions", PER_USER + 2), "max_sessions lowered to %d at run time",
	      PER_USER + 2);
	r = open_own(&dmn, "daemon");
	hr = reply_hr(r);
	check(too_many(hr, reply_msg(r), "max_sessions", "max_sessions_per_user"),
	      "with %d sessions open, daemon's next one is refused: ERROR_TOO_MANY_SESS with a message naming max_sessions",
	      PER_USER + 2);
	if (SUCCEEDED(hr))
		agent_call(&dmn, 60000, "close %llu", reply_num(r, "id"));
	param_set("max_sessions", TOTAL);
	r = open_own(&dmn, "daemon");
	check(SUCCEEDED(reply_hr(r)), "max_sessions raised again: daemon opens it: %s %s",
	      HR(reply_hr(r)), reply_msg(r));

	/* max_sessions_per_user lowered below what nobody holds: held ones keep working. */
	check(!param_set("max_sessions_per_user", 2), "max_sessions_per_user lowered to 2 at run time");
	r = open_own(&nob, "nobody");
	hr = reply_hr(r);
	check(too_many(hr, reply_msg(r), "max_sessions_per_user", NULL),
	      "nobody, holding %d, is refused a new one: ERROR_TOO_MANY_SESS naming max_sessions_per_user",
	      PER_USER);
	r = opened > 1 ? agent_call(&nob, 60000, "get %u", ids[1]) : NULL;
	check(SUCCEEDED(reply_hr(r)), "... while the sessions it holds still answer: %s",
	      HR(reply_hr(r)));
	agent_stop(&nob);
	agent_stop(&rt);
	agent_stop(&dmn);
}

int main(void)
{
	long old_total = param_get("max_sessions"), old_user = param_get("max_sessions_per_user");
	int s, i, next = 0, status;
	uint64_t end;
	uint32_t id;
	HRESULT hr;

	setvbuf(stdout, NULL, _IOLBF, 0);
	check(old_total == KMDUMP_MAX_SESSIONS && old_user == PER_USER,
	      "the module has the parameters max_sessions (default %d) and max_sessions_per_user (default %d): %ld, %ld",
	      KMDUMP_MAX_SESSIONS, PER_USER, old_total, old_user);
	/* Root alone fills the machine: its own limit out of the way. */
	param_set("max_sessions", TOTAL);
	param_set("max_sessions_per_user", 2 * TOTAL);
	if (start_targets())
		return printf("not ok 2 - %d targets start: %s\n", TARGETS, strerror(errno)), 1;
	for (s = 0; s < SOCKETS; s++) {
		hr = kmd_tr_open(&socks[s]);
		if (FAILED(hr))
			return printf("not ok 2 - connect: %s\n", HR(hr)), 1;
	}
	per_socket(&next);
	machine_wide(&next);
	one_per_target();
	watchdog_bounds();
	for (s = 0; s < SOCKETS; s++)
		kmd_tr_close(socks[s]);	/* ends every session (NETLINK_URELEASE) */
	/* Closing the sockets freed every place: a fresh socket opens sessions again. */
	hr = kmd_tr_open(&socks[0]);
	end = now_ms() + 10000;
	while (SUCCEEDED(hr)) {
		hr = open_on(0, 0, 0, &id);
		if ((hr != (HRESULT)KMDUMP_E_BUSY && hr != (HRESULT)KMDUMP_E_TOO_MANY_SESSIONS) ||
		    now_ms() >= end)
			break;
		usleep(100000);
	}
	check(SUCCEEDED(hr), "once the sockets closed, sessions open again: %s", HR(hr));
	if (SUCCEEDED(hr))
		kmd_tr_session_close(socks[0], id, NULL);
	kmd_tr_close(socks[0]);
	for (i = 0; i < TARGETS; i++) {
		kill(targets[i], SIGKILL);
		waitpid(targets[i], &status, 0);
		close(mem_fds[i]);
	}
	per_user();
	param_set("max_sessions", old_total);
	param_set("max_sessions_per_user", old_user);
	return tap_done();
}
