// SPDX-License-Identifier: GPL-2.0
/*
 * target-gone COUNTER-TARGET DIR: the target dies while a session holds it.
 * Prints TAP.
 *
 *   - SIGKILL while frozen: the target dies at once (parked threads wait
 *     killably; threads blocked in the kernel are woken by the kill), its
 *     parent reaps it; the session still answers from its snapshot, a memory
 *     read says the process is gone (HRESULT and message), and closing works.
 *   - SIGKILL while the session-open is still freezing it, at several delays:
 *     the open answers (a session, or a refusal with a message) and never hangs.
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

#define WATCHDOG_MS	30000
#define REAP_LIMIT_MS	30000

static const char *target_prog, *dir;

/* Waits for @pid to be reaped; ms it took, or -1. *sig gets the killing signal. */
static long reap_within(pid_t pid, unsigned int limit_ms, int *sig)
{
	uint64_t t0 = now_ms();
	int status;

	*sig = 0;
	while (now_ms() - t0 <= limit_ms) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			*sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
			return (long)(now_ms() - t0);
		}
		usleep(1000);
	}
	return -1;
}

static int first_vma(void *arg, const struct kmd_tr_vma *v)
{
	uint64_t *addr = arg;

	if (!*addr && (v->flags & KMDUMP_VMA_FLAGS_READ) && v->skip == KMDUMP_VMA_SKIP_NONE)
		*addr = v->start;
	return 0;
}

static int count_thread(void *arg, const struct kmd_tr_thread *t)
{
	(void)t;
	++*(unsigned int *)arg;
	return 0;
}

static int open_on(struct kmd_tr *tr, pid_t pid, struct kmd_tr_session *s, HRESULT *hr)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	*hr = kmd_tr_session_open(tr, (uint32_t)pid, fd, 0, WATCHDOG_MS, s);
	close(fd);
	return 0;
}

static void killed_mid_session(struct kmd_tr *tr)
{
	struct counter_target t;
	struct kmd_tr_session s, g;
	char file[4096], buf[4096];
	unsigned int threads = 0;
	uint64_t addr = 0, paused = 0;
	size_t done = 0;
	HRESULT hr;
	long ms;
	int sig;

	snprintf(file, sizeof(file), "%s/killed.cnt", dir);
	if (counter_start(&t, target_prog, file, 8, 2, 0, 120000)) {
		check(0, "the target starts");
		return;
	}
	if (open_on(tr, t.pid, &s, &hr) || FAILED(hr)) {
		check(0, "a session opens on the target: %s %s", HR(hr), kmd_tr_errmsg(tr));
		counter_stop(&t);
		return;
	}
	check(counter_still_for(&t, 300), "the target is frozen (session %u, %u threads)",
	      s.session_id, s.threads);
	kmd_tr_vmas(tr, s.session_id, first_vma, &addr);

	kill(t.pid, SIGKILL);
	ms = reap_within(t.pid, REAP_LIMIT_MS, &sig);
	check(ms >= 0 && sig == SIGKILL,
	      "SIGKILL kills the frozen target at once: reaped after %ld ms, killed by signal %d",
	      ms, sig);
	if (ms >= 0)
		t.pid = 0;

	hr = kmd_tr_session_get(tr, s.session_id, &g);
	printf("# session-get after the target died: %s %s\n", HR(hr), kmd_tr_errmsg(tr));
	check(SUCCEEDED(hr) && g.threads == s.threads,
	      "session-get still answers from the snapshot: %s, %u threads", HR(hr), g.threads);
	hr = kmd_tr_threads(tr, s.session_id, count_thread, &threads);
	check(SUCCEEDED(hr) && threads == s.threads,
	      "thread-get still lists the %u captured threads: %s, %u", s.threads, HR(hr), threads);
	hr = kmd_tr_read_buf(tr, s.session_id, addr, buf, sizeof(buf), &done);
	printf("# reading 0x%" PRIx64 " after the target died: %s, %zu bytes, '%s'\n", addr,
	       HR(hr), done, kmd_tr_errmsg(tr));
	check(hr == (HRESULT)KMDUMP_E_INVALID_CID && kmd_tr_errmsg(tr)[0],
	      "a memory read says the process is gone: HRESULT_FROM_NT(STATUS_INVALID_CID) with a message (got %s '%s')",
	      HR(hr), kmd_tr_errmsg(tr));
	hr = kmd_tr_session_close(tr, s.session_id, &paused);
	check(hr == S_OK, "closing the session works: %s, total pause %" PRIu64 " ns", HR(hr),
	      paused);
	hr = kmd_tr_session_get(tr, s.session_id, &g);
	check(hr == (HRESULT)KMDUMP_E_NOT_FOUND, "the closed session is gone: %s", HR(hr));
	counter_stop(&t);
}

static void killed_during_open(struct kmd_tr *tr, unsigned long threads)
{
	static const unsigned int delays[] = { 0, 1, 3, 10, 30, 100, 300 };
	unsigned int i;

	for (i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
		struct counter_target t;
		struct kmd_tr_session s;
		char file[4096];
		uint64_t t0;
		HRESULT hr = E_FAIL;
		pid_t killer;
		long ms;
		int sig, opened;

		snprintf(file, sizeof(file), "%s/during-open.cnt", dir);
		if (counter_start(&t, target_prog, file, threads, 2, 0, 120000)) {
			check(0, "the %lu-thread target starts", threads);
			return;
		}
		killer = fork();
		if (killer == 0) {
			usleep(delays[i] * 1000);
			kill(t.pid, SIGKILL);
			_exit(0);
		}
		t0 = now_ms();
		if (open_on(tr, t.pid, &s, &hr)) {
			/* Killed before the proof could be opened: the kernel refuses it. */
			int err = errno;

			check(err == ESRCH || err == ENOENT || err == EACCES,
			      "target SIGKILLed %u ms into the session-open: its /proc/<pid>/mem cannot be opened any more (%s)",
			      delays[i], strerror(err));
			waitpid(killer, &sig, 0);
			ms = reap_within(t.pid, REAP_LIMIT_MS, &sig);
			check(ms >= 0, "... and the target is reaped (after %ld ms)", ms);
			if (ms >= 0)
				t.pid = 0;
			counter_stop(&t);
			continue;
		}
		ms = (long)(now_ms() - t0);
		opened = SUCCEEDED(hr);
		printf("# target SIGKILLed %u ms after the open was sent: %s after %ld ms: %s\n",
		       delays[i], HR(hr), ms, opened ? "opened" : kmd_tr_errmsg(tr));
		check(opened || (hr == (HRESULT)KMDUMP_E_INVALID_CID && kmd_tr_errmsg(tr)[0]),
		      "target SIGKILLed %u ms into the session-open: a session or STATUS_INVALID_CID with a message (%s)",
		      delays[i], HR(hr));
		if (opened)
			check(kmd_tr_session_close(tr, s.session_id, NULL) == S_OK,
			      "... and the session closes");
		waitpid(killer, &sig, 0);
		ms = reap_within(t.pid, REAP_LIMIT_MS, &sig);
		check(ms >= 0 && sig == SIGKILL, "... and the target is reaped (after %ld ms)", ms);
		if (ms >= 0)
			t.pid = 0;
		counter_stop(&t);
	}
}

int main(int argc, char **argv)
{
	struct kmd_tr *tr;
	HRESULT hr;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		return fprintf(stderr, "usage: target-gone COUNTER-TARGET DIR [THREADS]\n"), 2;
	target_prog = argv[1];
	dir = argv[2];
	hr = kmd_tr_open(&tr);
	if (FAILED(hr))
		return printf("not ok 1 - connect: %s %s\n", HR(hr), kmd_tr_errmsg(tr)), 1;
	killed_mid_session(tr);
	killed_during_open(tr, argc > 3 ? strtoul(argv[3], NULL, 0) : 200);
	kmd_tr_close(tr);
	return tap_done();
}
