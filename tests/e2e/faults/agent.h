/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A requester that runs as a chosen user and is driven by lines of text, so
 * one test program can play several users at once (root watches, nobody
 * attacks, daemon stands by), and a shell test can drive one through a
 * coprocess (agent.c). Requests go through the library's transport.
 *
 * agent_serve() reads one command per line and answers one line each:
 *
 *   spawn               start a target of this user (a child that sleeps; it
 *                       dies with the agent): "pid=N"
 *   proof PID           open /proc/PID/mem now, as the proof of the next open
 *                       of PID (a proof taken before the target exec'd):
 *                       "hr=0x..."
 *   open PID [WD_MS]    session-open with an open /proc/PID/mem as the proof
 *                       (the one "proof" opened, else opened now), on one of
 *                       the agent's sockets holding fewer than 4 sessions (a
 *                       new socket when none does):
 *                       "hr=0x... id=N port=N threads=N msg=..."
 *   get ID              session-get: "hr=0x... msg=..."
 *   threads ID          thread-get: "hr=0x... n=N msg=..."
 *   close ID            session-close: "hr=0x... msg=..."
 *   drop ID             close the socket that owns session ID without closing
 *                       anything (NETLINK_URELEASE ends its sessions):
 *                       "hr=0x00000000 port=N"
 *   cycle PID N SEC     N session-open/session-close pairs on one socket, or
 *                       as many as SEC seconds allow: "opened=N failed=N
 *                       hr=0x...(first failure) msg=..."
 *   groups N            sockets opened from now on join multicast groups
 *                       1..N (their release then takes longer): "joined=N"
 *   quit                close everything and exit
 *
 * The message (msg=) is the module's extended-ack text, always last.
 */
#ifndef FAULTS_AGENT_H
#define FAULTS_AGENT_H

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "transport.h"
#include "engine.h"
#include "counter-file.h"

#define AGENT_SOCKS	64
#define AGENT_SESSIONS	256
#define AGENT_CHILDREN	256

struct agent_state {
	struct kmd_tr *tr[AGENT_SOCKS];
	unsigned int held[AGENT_SOCKS];		/* sessions open on tr[i] */
	unsigned int nsocks;
	struct { uint32_t id; int sock; } s[AGENT_SESSIONS];
	pid_t children[AGENT_CHILDREN];
	unsigned int nchildren, groups;
	int proof_fd;
	uint32_t proof_pid;
	FILE *out;
};

static inline void agent_reply(struct agent_state *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void agent_reply(struct agent_state *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(st->out, fmt, ap);
	va_end(ap);
	fputc('\n', st->out);
	fflush(st->out);
}

/* The descriptor of @tr's socket: the netlink socket bound to its port. */
static inline int agent_sock_fd(struct kmd_tr *tr)
{
	struct sockaddr_nl a;
	socklen_t len;
	int fd;

	for (fd = 3; fd < 1024; fd++) {
		len = sizeof(a);
		if (getsockname(fd, (struct sockaddr *)&a, &len) == 0 &&
		    a.nl_family == AF_NETLINK && a.nl_pid == kmd_tr_port(tr))
			return fd;
	}
	return -1;
}

static inline int agent_new_sock(struct agent_state *st)
{
	unsigned int g, i;
	HRESULT hr;
	int fd;

	for (i = 0; i < st->nsocks && st->tr[i]; i++)
		;	/* reuse the slot of a dropped socket */
	if (i == AGENT_SOCKS)
		return -1;
	hr = kmd_tr_open(&st->tr[i]);
	if (FAILED(hr)) {
		st->tr[i] = NULL;
		return -1;
	}
	fd = st->groups ? agent_sock_fd(st->tr[i]) : -1;
	for (g = 1; fd >= 0 && g <= st->groups; g++)	/* some groups need privileges */
		setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g));
	st->held[i] = 0;
	if (i == st->nsocks)
		st->nsocks++;
	return (int)i;
}

/* A socket with room for one more session (4 per socket). */
static inline int agent_sock_for_open(struct agent_state *st)
{
	unsigned int i;

	for (i = 0; i < st->nsocks; i++)
		if (st->tr[i] && st->held[i] < KMDUMP_MAX_SESSIONS_PER_PORT)
			return (int)i;
	return agent_new_sock(st);
}

static inline int agent_sock_of(struct agent_state *st, uint32_t id, int *slot)
{
	unsigned int i;

	for (i = 0; i < AGENT_SESSIONS; i++)
		if (st->s[i].id == id && st->tr[st->s[i].sock]) {
			if (slot)
				*slot = (int)i;
			return st->s[i].sock;
		}
	return -1;
}

static inline void agent_forget(struct agent_state *st, int slot)
{
	st->held[st->s[slot].sock]--;
	st->s[slot].id = 0;
}

static inline int agent_open_proof(uint32_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u/mem", pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static inline void agent_open(struct agent_state *st, uint32_t pid, uint32_t wd)
{
	struct kmd_tr_session s;
	int sock, fd, i;
	HRESULT hr;

	sock = agent_sock_for_open(st);
	if (sock < 0) {
		agent_reply(st, "hr=0x%08x id=0 port=0 msg=agent: no socket", (uint32_t)E_FAIL);
		return;
	}
	if (st->proof_fd >= 0 && st->proof_pid == pid) {
		fd = st->proof_fd;
		st->proof_fd = -1;
	} else {
		fd = agent_open_proof(pid);
	}
	if (fd < 0) {
		hr = kmd_hresult_from_errno(errno);
		agent_reply(st, "hr=0x%08x id=0 port=%u msg=open-proof: %s", (uint32_t)hr,
			    kmd_tr_port(st->tr[sock]), strerror(errno));
		return;
	}
	hr = kmd_tr_session_open(st->tr[sock], pid, fd, 0, wd, &s);
	close(fd);
	if (SUCCEEDED(hr)) {
		for (i = 0; i < AGENT_SESSIONS && st->s[i].id; i++)
			;
		if (i < AGENT_SESSIONS) {
			st->s[i].id = s.session_id;
			st->s[i].sock = sock;
			st->held[sock]++;
		}
	}
	agent_reply(st, "hr=0x%08x id=%u port=%u threads=%u msg=%s", (uint32_t)hr,
		    SUCCEEDED(hr) ? s.session_id : 0, kmd_tr_port(st->tr[sock]),
		    SUCCEEDED(hr) ? s.threads : 0, FAILED(hr) ? kmd_tr_errmsg(st->tr[sock]) : "");
}

static inline int agent_count(void *arg, const struct kmd_tr_thread *t)
{
	(void)t;
	++*(unsigned int *)arg;
	return 0;
}

static inline void agent_on_session(struct agent_state *st, const char *cmd, uint32_t id)
{
	struct kmd_tr_session s;
	unsigned int n = 0;
	int slot, sock = agent_sock_of(st, id, &slot);
	HRESULT hr;

	if (sock < 0) {
		agent_reply(st, "hr=0x%08x msg=agent: no session %u here", (uint32_t)E_FAIL, id);
		return;
	}
	if (!strcmp(cmd, "get")) {
		hr = kmd_tr_session_get(st->tr[sock], id, &s);
	} else if (!strcmp(cmd, "threads")) {
		hr = kmd_tr_threads(st->tr[sock], id, agent_count, &n);
	} else if (!strcmp(cmd, "close")) {
		hr = kmd_tr_session_close(st->tr[sock], id, NULL);
		agent_forget(st, slot);
	} else {	/* drop */
		uint32_t port = kmd_tr_port(st->tr[sock]);
		unsigned int i;

		kmd_tr_close(st->tr[sock]);
		st->tr[sock] = NULL;
		for (i = 0; i < AGENT_SESSIONS; i++)
			if (st->s[i].id && st->s[i].sock == sock)
				st->s[i].id = 0;
		agent_reply(st, "hr=0x00000000 port=%u", port);
		return;
	}
	agent_reply(st, "hr=0x%08x n=%u msg=%s", (uint32_t)hr, n,
		    FAILED(hr) ? kmd_tr_errmsg(st->tr[sock]) : "");
}

static inline void agent_cycle(struct agent_state *st, uint32_t pid, unsigned int n,
			       unsigned int sec)
{
	uint64_t end = now_ms() + (uint64_t)sec * 1000;
	unsigned int opened = 0, failed = 0, i;
	HRESULT first = S_OK;
	char msg[512] = "";
	struct kmd_tr *tr;
	int fd = agent_open_proof(pid);
	HRESULT hr = kmd_tr_open(&tr);

	if (fd < 0 || FAILED(hr)) {
		agent_reply(st, "opened=0 failed=0 hr=0x%08x msg=agent: setup failed",
			    (uint32_t)E_FAIL);
		if (fd >= 0)
			close(fd);
		if (SUCCEEDED(hr))
			kmd_tr_close(tr);
		return;
	}
	for (i = 0; i < n && now_ms() < end; i++) {
		struct kmd_tr_session s;

		hr = kmd_tr_session_open(tr, pid, fd, 0, 0, &s);
		if (SUCCEEDED(hr))
			hr = kmd_tr_session_close(tr, s.session_id, NULL);
		if (SUCCEEDED(hr)) {
			opened++;
			continue;
		}
		if (!failed++) {
			first = hr;
			snprintf(msg, sizeof(msg), "%s", kmd_tr_errmsg(tr));
		}
	}
	close(fd);
	kmd_tr_close(tr);
	agent_reply(st, "opened=%u failed=%u hr=0x%08x msg=%s", opened, failed, (uint32_t)first,
		    msg);
}

static inline void agent_spawn(struct agent_state *st)
{
	pid_t pid;

	if (st->nchildren == AGENT_CHILDREN) {
		agent_reply(st, "pid=0");
		return;
	}
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	if (pid > 0)
		st->children[st->nchildren++] = pid;
	agent_reply(st, "pid=%d", pid > 0 ? (int)pid : 0);
}

static inline void agent_quit(struct agent_state *st)
{
	unsigned int i;
	int status;

	for (i = 0; i < st->nsocks; i++)
		if (st->tr[i])
			kmd_tr_close(st->tr[i]);
	for (i = 0; i < st->nchildren; i++) {
		kill(st->children[i], SIGKILL);
		waitpid(st->children[i], &status, 0);
	}
}

/* Serves commands from @in until "quit" or end of input. */
static inline int agent_serve(FILE *in, FILE *out)
{
	static struct agent_state st;
	char line[256], cmd[32];
	unsigned long a, b, c;
	int n;

	memset(&st, 0, sizeof(st));
	st.out = out;
	st.proof_fd = -1;
	while (fgets(line, sizeof(line), in)) {
		a = b = c = 0;
		n = sscanf(line, "%31s %lu %lu %lu", cmd, &a, &b, &c);
		if (n < 1)
			continue;
		if (!strcmp(cmd, "quit"))
			break;
		if (!strcmp(cmd, "spawn"))
			agent_spawn(&st);
		else if (!strcmp(cmd, "proof") && n == 2) {
			if (st.proof_fd >= 0)
				close(st.proof_fd);
			st.proof_pid = (uint32_t)a;
			st.proof_fd = agent_open_proof(st.proof_pid);
			agent_reply(&st, "hr=0x%08x msg=%s",
				    st.proof_fd < 0 ? (uint32_t)kmd_hresult_from_errno(errno) : 0,
				    st.proof_fd < 0 ? strerror(errno) : "");
		} else if (!strcmp(cmd, "open") && n >= 2)
			agent_open(&st, (uint32_t)a, (uint32_t)b);
		else if ((!strcmp(cmd, "get") || !strcmp(cmd, "threads") || !strcmp(cmd, "close") ||
			  !strcmp(cmd, "drop")) && n == 2)
			agent_on_session(&st, cmd, (uint32_t)a);
		else if (!strcmp(cmd, "cycle") && n == 4)
			agent_cycle(&st, (uint32_t)a, (unsigned int)b, (unsigned int)c);
		else if (!strcmp(cmd, "groups") && n == 2) {
			st.groups = (unsigned int)a;
			agent_reply(&st, "joined=%u", st.groups);
		} else
			agent_reply(&st, "hr=0x%08x msg=agent: bad command", (uint32_t)E_INVALIDARG);
	}
	agent_quit(&st);
	return 0;
}

/* ---- the driver's side ---- */

struct agent {
	pid_t pid;
	int to, from;
	char buf[2048];
	size_t len;
	char line[2048];
};

/*
 * Drops to @uid/@gid (no supplementary groups); 0 or -1. The process stays
 * dumpable, as one its user had started (a credential change clears it).
 */
static inline int become(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
		return -1;
	return prctl(PR_SET_DUMPABLE, 1);
}

/* Starts an agent running as @uid/@gid; 0 or -1. */
static inline int agent_start(struct agent *a, uid_t uid, gid_t gid)
{
	int to[2], from[2], fd;

	memset(a, 0, sizeof(*a));
	if (pipe(to) || pipe(from))
		return -1;
	fflush(stdout);
	a->pid = fork();
	if (a->pid < 0)
		return -1;
	if (a->pid == 0) {
		FILE *in, *out;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (fd = 3; fd < 1024; fd++)
			if (fd != to[0] && fd != from[1])
				close(fd);
		if (become(uid, gid))
			_exit(126);
		in = fdopen(to[0], "r");
		out = fdopen(from[1], "w");
		if (!in || !out)
			_exit(125);
		_exit(agent_serve(in, out));
	}
	close(to[0]);
	close(from[1]);
	a->to = to[1];
	a->from = from[0];
	fcntl(a->from, F_SETFD, FD_CLOEXEC);
	fcntl(a->to, F_SETFD, FD_CLOEXEC);
	return 0;
}

static inline int agent_send(struct agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int agent_send(struct agent *a, const char *fmt, ...)
{
	char cmd[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(cmd) - 1)
		return -1;
	cmd[n++] = '\n';
	return write(a->to, cmd, (size_t)n) == n ? 0 : -1;
}

/*
 * The agent's next reply line, waiting up to @timeout_ms and calling @tick
 * (if any) about every 10 ms meanwhile; NULL on timeout or if the agent died.
 */
static inline const char *agent_wait(struct agent *a, unsigned int timeout_ms,
			      void (*tick)(void *), void *arg)
{
	uint64_t end = now_ms() + timeout_ms;

	for (;;) {
		char *nl = memchr(a->buf, '\n', a->len);
		struct pollfd p = { .fd = a->from, .events = POLLIN };
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - a->buf);

			memcpy(a->line, a->buf, l);
			a->line[l] = 0;
			memmove(a->buf, nl + 1, a->len - l - 1);
			a->len -= l + 1;
			return a->line;
		}
		if (tick)
			tick(arg);
		if (now_ms() >= end)
			return NULL;
		if (poll(&p, 1, 10) <= 0)
			continue;
		n = read(a->from, a->buf + a->len, sizeof(a->buf) - 1 - a->len);
		if (n <= 0)
			return NULL;
		a->len += (size_t)n;
	}
}

static inline const char *agent_call(struct agent *a, unsigned int timeout_ms, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline const char *agent_call(struct agent *a, unsigned int timeout_ms, const char *fmt, ...)
{
	char cmd[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (agent_send(a, "%s", cmd))
		return NULL;
	return agent_wait(a, timeout_ms, NULL, NULL);
}

static inline void agent_stop(struct agent *a)
{
	uint64_t end = now_ms() + 30000;
	int status;

	if (a->pid <= 0)
		return;
	agent_send(a, "quit");
	while (waitpid(a->pid, &status, WNOHANG) == 0) {
		if (now_ms() >= end) {
			kill(a->pid, SIGKILL);
			waitpid(a->pid, &status, 0);
			break;
		}
		usleep(10000);
	}
	close(a->to);
	close(a->from);
	a->pid = 0;
}

/* Fields of a reply line (NULL-safe). */
static inline unsigned long long reply_num(const char *r, const char *key)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), "%s=", key);
	p = r ? strstr(r, pat) : NULL;
	return p ? strtoull(p + strlen(pat), NULL, 0) : 0;
}

static inline HRESULT reply_hr(const char *r)
{
	return r && strstr(r, "hr=") ? (HRESULT)reply_num(r, "hr") : E_FAIL;
}

static inline const char *reply_msg(const char *r)
{
	const char *p = r ? strstr(r, "msg=") : NULL;

	return p ? p + 4 : "";
}

#endif /* FAULTS_AGENT_H */
