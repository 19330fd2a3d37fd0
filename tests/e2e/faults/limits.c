// SPDX-License-Identifier: GPL-2.0
/*
 * limits: the session limits (netlink/kmdump.yaml: max-sessions-per-port 4,
 * max-sessions 32) refuse with HRESULT_FROM_WIN32(ERROR_TOO_MANY_SESS) and a
 * message, while the sessions below the limit keep working, and a closed
 * session frees its place. One session per target (ERROR_BUSY). Watchdogs out
 * of bounds are refused by the policy. Prints TAP.
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

#define PER_PORT	KMDUMP_MAX_SESSIONS_PER_PORT
#define TOTAL		KMDUMP_MAX_SESSIONS
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

static int refused_as_too_many(int sock, HRESULT hr)
{
	const char *msg = kmd_tr_errmsg(socks[sock]);

	printf("# refused: %s '%s'\n", HR(hr), msg);
	return hr == (HRESULT)KMDUMP_E_TOO_MANY_SESSIONS && strstr(msg, "limit");
}

static void per_socket(int *next)
{
	uint32_t extra;
	HRESULT hr;

	check(fill(0, next) == PER_PORT, "one socket opens %d sessions", PER_PORT);
	hr = open_on(0, *next, 120000, &extra);
	check(refused_as_too_many(0, hr),
	      "its session %d is refused: ERROR_TOO_MANY_SESS with a message naming the limit",
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
	check(refused_as_too_many(SOCKETS - 1, hr),
	      "session %d on the machine (a fresh socket) is refused: ERROR_TOO_MANY_SESS with a message",
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
	check(refused_as_too_many(SOCKETS - 1, hr), "... and no more: ERROR_TOO_MANY_SESS");
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

int main(void)
{
	int s, i, next = 0, status;
	uint32_t id;
	HRESULT hr;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (start_targets())
		return printf("not ok 1 - %d targets start: %s\n", TARGETS, strerror(errno)), 1;
	for (s = 0; s < SOCKETS; s++) {
		hr = kmd_tr_open(&socks[s]);
		if (FAILED(hr))
			return printf("not ok 1 - connect: %s\n", HR(hr)), 1;
	}
	per_socket(&next);
	machine_wide(&next);
	one_per_target();
	watchdog_bounds();
	for (s = 0; s < SOCKETS; s++)
		kmd_tr_close(socks[s]);	/* ends every session (NETLINK_URELEASE) */
	/* Closing the sockets freed every place: a fresh socket opens sessions again. */
	hr = kmd_tr_open(&socks[0]);
	for (i = 0; SUCCEEDED(hr) && i < 50; i++) {
		hr = open_on(0, 0, 0, &id);
		if (hr != (HRESULT)KMDUMP_E_BUSY && hr != (HRESULT)KMDUMP_E_TOO_MANY_SESSIONS)
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
	return tap_done();
}
