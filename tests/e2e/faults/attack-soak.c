// SPDX-License-Identifier: GPL-2.0
/*
 * attack-soak SCENARIO SECONDS DIR TARGET-PROG [suid=PROG ARGS...]... [core=DIR] [ko=PATH]:
 * session-opens on targets under attack, in a loop bounded by the clock
 * (SECONDS), each racing the attack at a random moment around the freeze and
 * the snapshot. Run by test-attack-soak, as nobody wherever the scenario
 * allows. Requests go through the library's transport (userlib/transport.c).
 *
 * Output: "# ..." comments, "problem: ..." for every check that failed (the
 * first 40), "outcome NAME=COUNT" per outcome seen (HRESULTs, who won a race),
 * and last "soak scenario=NAME iterations=N problems=P". Exit status 0 when
 * there was no problem, 1 otherwise, 77 when the scenario cannot run here
 * ("skip: why").
 *
 * Scenarios (one iteration = one session-open attempt racing the attack):
 *   target-exit     a fresh 4+1-thread target calls exit_group (leader or a
 *                   worker) a random moment around the open; then it must be
 *                   reaped, having exited 0
 *   target-sigkill  the same target is SIGKILLed at a random moment
 *   exec            a thread (leader or worker) execs a plain program (this
 *                   target again, which counts 200 ms and exits): once the new
 *                   image runs, every request of the session must fail with
 *                   E_ACCESSDENIED, and the new image must run to its end while
 *                   the session is still open (the module released it)
 *   setuid-exec     the same with a setuid-root program (suid=...): open
 *                   refusals may only be E_ACCESSDENIED or STATUS_INVALID_CID
 *                   (or the proof refused by the kernel); once the target shows
 *                   euid 0 every request must fail with E_ACCESSDENIED; a
 *                   snapshot never shows euid 0; the program runs to its end
 *   coredump        the target raises SIGABRT or SIGSEGV (RLIMIT_CORE
 *                   unlimited; core_pattern points into core=DIR); it must die
 *                   of that signal; cores are counted and removed
 *   requester-exit  a requester child opens a session and reads; it is
 *                   SIGKILLed at a random point; every thread of the target
 *                   must count again
 *   concurrent-close  two processes sharing the owner socket close the same
 *                   session at once (exactly one S_OK), close racing the
 *                   watchdog (100-200 ms), close racing the socket's release
 *                   (requester SIGKILLed mid-close), and another socket
 *                   closing the session (always ERROR_NOT_FOUND)
 *   rmmod-churn     sessions (a fresh socket each) while root unloads and
 *                   loads the module: a session that opened must answer and
 *                   close with S_OK
 *   rmmod-churner   (root, run beside rmmod-churn) delete_module and
 *                   finit_module (ko=PATH) in a loop; prints the counts
 *   vfork           a target whose leader loops vfork+exec(true): sessions on
 *                   it and on its latest vfork child
 *   io-uring        a target with an io_uring (NOPs, and reads of a pipe
 *                   punted to io-wq workers that block) and an SQPOLL ring
 *   ptrace-stopped  a target traced by another nobody process (its parent):
 *                   PTRACE_ATTACH of the leader (group stop), PTRACE_SEIZE +
 *                   INTERRUPT of every thread or of two; a thread in a
 *                   ptrace or job-control stop stays in it after the session
 *                   (State t or T); or the attach races the open and completes
 *                   after it
 *   sigstopped      SIGSTOPped target: every thread stays T after the session;
 *                   or the SIGSTOP races the open and takes effect after it
 *   zombie-leader   the leader calls pthread_exit a random moment around the
 *                   open; sessions by pid or by a thread's tid, proof
 *                   /proc/<pid>/mem or /proc/<pid>/task/<tid>/mem
 *   clone-during-freeze  a target whose threads keep creating and joining threads
 * After every iteration the target is thawed: every counting thread counts
 * again, or the target exited as it meant to. At the end of a scenario with a
 * long-lived target a fresh socket's session-open on it succeeds (no session
 * is left on it). Kernel reports are the harness's business.
 *
 * attack-soak-target (this file built with -DSOAK_TARGET, no sanitizers, like
 * any program a user dumps): FILE MODE THREADS BLOCKED DELAY_US VARIANT
 * [PROG ARGS...]. It maps FILE (struct soak_file), starts THREADS threads that
 * count in it (or mode-specific threads) and BLOCKED threads blocked in
 * read(2) of a pipe (SIGUSR1 lets them go), publishes the magic, and then
 * does MODE's attack DELAY_US later (VARIANT picks the thread and the kind).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SOAK_MAGIC	0x21616b6f7364616bULL	/* "kadsoka!" */
#define SOAK_SLOTS	8
#define EXEC_LIFE_US	50000 			/* the plain exec's new image counts this long */

/* The file a target shares with the driver. Zeroed by the driver. */
struct soak_file {
	uint64_t magic;		/* stored last, once every thread runs */
	uint64_t threads;	/* counting slots */
	uint64_t started;	/* slots whose thread ran */
	uint64_t blocked;	/* threads that reached their blocking read */
	uint64_t gen;		/* 1: the first image; 2: the plain exec's new image runs */
	uint64_t attacking;	/* the attack starts now */
	uint64_t spawned;	/* vfork / clone: children made */
	int64_t last_child;	/* vfork: the latest child's pid */
	int64_t uring_err;	/* io_uring: 0, or the errno of io_uring_setup */
	int64_t sqpoll_err;	/* io_uring: 0, or the errno of the SQPOLL ring's setup */
	uint64_t tids[SOAK_SLOTS];
	uint64_t count[SOAK_SLOTS];
};

static uint64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000 + (uint64_t)t.tv_nsec / 1000;
}

static void sleep_us(uint64_t us)
{
	struct timespec t = { .tv_sec = (time_t)(us / 1000000), .tv_nsec = (long)(us % 1000000) * 1000 };

	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

#ifdef SOAK_TARGET
/* ======================= the target ======================= */
#include <linux/io_uring.h>
#include <sys/uio.h>

static struct soak_file *sf;
static int block_pipe[2];
static const char *t_self, *t_file, *t_mode;
static char **t_prog;		/* suid: the program and its arguments */
static int t_variant;
static int thread0_attacks;
static int *volatile nowhere;	/* a NULL store raises SIGSEGV */

static void attack(void)
{
	char life[24];

	__atomic_store_n(&sf->attacking, 1, __ATOMIC_RELEASE);
	if (!strcmp(t_mode, "exit")) {
		_exit(0);
	} else if (!strcmp(t_mode, "exec")) {
		snprintf(life, sizeof(life), "%d", EXEC_LIFE_US);
		execl(t_self, t_self, t_file, "post-exec", "0", "0", life, "0", (char *)NULL);
		_exit(126);
	} else if (!strcmp(t_mode, "suid")) {
		execv(t_prog[0], t_prog);
		_exit(126);
	} else if (!strcmp(t_mode, "core")) {
		if (t_variant & 2)
			*nowhere = 1;
		raise(SIGABRT);
		_exit(125);
	} else if (!strcmp(t_mode, "zombie")) {
		pthread_exit(NULL);
	}
}

static void started(unsigned int i)
{
	sf->tids[i] = (uint64_t)syscall(SYS_gettid);
	__atomic_add_fetch(&sf->started, 1, __ATOMIC_RELEASE);
}

static void *count_fn(void *arg)
{
	unsigned int i = (unsigned int)(uintptr_t)arg;

	started(i);
	for (;;) {
		__atomic_add_fetch(&sf->count[i], 1, __ATOMIC_RELAXED);
		if (i == 0 && __atomic_load_n(&thread0_attacks, __ATOMIC_ACQUIRE))
			attack();
		usleep(1000);
	}
	return NULL;
}

static void *block_fn(void *arg)
{
	char c;

	(void)arg;
	__atomic_add_fetch(&sf->blocked, 1, __ATOMIC_RELEASE);
	while (read(block_pipe[0], &c, 1) != 0)
		;
	for (;;)
		pause();
	return NULL;
}

static void wake_blocked(int sig)
{
	(void)sig;
	close(block_pipe[1]);
}

/* clone: a thread that lives for a moment. */
static void *spawnee(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&sf->spawned, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void *creator_fn(void *arg)
{
	unsigned int i = (unsigned int)(uintptr_t)arg;
	pthread_attr_t a;
	unsigned long n = 0;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 * 1024);
	started(i);
	for (;;) {
		pthread_t t;

		if (!pthread_create(&t, &a, spawnee, NULL))
			pthread_join(t, NULL);
		__atomic_add_fetch(&sf->count[i], 1, __ATOMIC_RELAXED);
		if (++n % 16 == 0)
			usleep(500);
	}
	return NULL;
}

/* io_uring by raw system calls. */
struct ring {
	int fd;
	unsigned int *sq_head, *sq_tail, *sq_mask, *sq_array, *sq_flags;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static int ring_setup(struct ring *r, unsigned int flags)
{
	struct io_uring_params p;
	size_t sq_len, cq_len;
	char *sq, *cq;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	p.sq_thread_idle = 10;
	r->fd = (int)syscall(__NR_io_uring_setup, 8, &p);
	if (r->fd < 0)
		return errno;
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		sq_len = cq_len = sq_len > cq_len ? sq_len : cq_len;
	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		  IORING_OFF_SQ_RING);
	if (sq == MAP_FAILED)
		return errno;
	cq = sq;
	if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
		cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
			  IORING_OFF_CQ_RING);
		if (cq == MAP_FAILED)
			return errno;
	}
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		return errno;
	r->sq_head = (unsigned int *)(sq + p.sq_off.head);
	r->sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)(sq + p.sq_off.array);
	r->sq_flags = (unsigned int *)(sq + p.sq_off.flags);
	r->cq_head = (unsigned int *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

static void ring_queue(struct ring *r, uint8_t op, int fd, void *buf, unsigned int len,
		       uint8_t flags, uint64_t data)
{
	unsigned int tail = *r->sq_tail, idx = tail & *r->sq_mask;
	struct io_uring_sqe *e = &r->sqes[idx];

	memset(e, 0, sizeof(*e));
	e->opcode = op;
	e->fd = fd;
	e->addr = (uintptr_t)buf;
	e->len = len;
	e->off = (uint64_t)-1;
	e->flags = flags;
	e->user_data = data;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
}

static int ring_enter(struct ring *r, unsigned int submit, unsigned int wait, unsigned int flags)
{
	return (int)syscall(__NR_io_uring_enter, r->fd, submit, wait, flags, NULL, 0);
}

static int ring_reap(struct ring *r, uint64_t *data)
{
	unsigned int head = *r->cq_head;

	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return 0;
	*data = r->cqes[head & *r->cq_mask].user_data;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return 1;
}

static struct ring plain_ring, sqpoll_ring;

/* NOPs, and now and then a read of a pipe forced to io-wq (a worker blocks in it). */
static void *uring_plain_fn(void *arg)
{
	unsigned int i = (unsigned int)(uintptr_t)arg, n = 0;
	int pfd[2], reading = 0;
	static char byte;
	uint64_t data;

	if (pipe(pfd) < 0)
		pfd[0] = pfd[1] = -1;
	started(i);
	for (;;) {
		ring_queue(&plain_ring, IORING_OP_NOP, -1, NULL, 0, 0, 1);
		ring_enter(&plain_ring, 1, 1, IORING_ENTER_GETEVENTS);
		while (ring_reap(&plain_ring, &data))
			if (data == 2)
				reading = 0;
		__atomic_add_fetch(&sf->count[i], 1, __ATOMIC_RELAXED);
		if (++n % 16 == 0 && pfd[0] >= 0) {
			if (!reading) {
				ring_queue(&plain_ring, IORING_OP_READ, pfd[0], &byte, 1, IOSQE_ASYNC, 2);
				ring_enter(&plain_ring, 1, 0, 0);
				reading = 1;
			} else if (write(pfd[1], "x", 1) != 1) {
				reading = 0;
			}
		}
		usleep(1000);
	}
	return NULL;
}

/* An SQPOLL ring: a kernel thread of the target polls its submissions. */
static void *uring_sqpoll_fn(void *arg)
{
	unsigned int i = (unsigned int)(uintptr_t)arg;
	uint64_t data;

	started(i);
	for (;;) {
		if (!sf->sqpoll_err) {
			ring_queue(&sqpoll_ring, IORING_OP_NOP, -1, NULL, 0, 0, 1);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (__atomic_load_n(sqpoll_ring.sq_flags, __ATOMIC_RELAXED) &
			    IORING_SQ_NEED_WAKEUP)
				ring_enter(&sqpoll_ring, 0, 0, IORING_ENTER_SQ_WAKEUP);
			ring_enter(&sqpoll_ring, 0, 1, IORING_ENTER_GETEVENTS);
			while (ring_reap(&sqpoll_ring, &data))
				;
		}
		__atomic_add_fetch(&sf->count[i], 1, __ATOMIC_RELAXED);
		usleep(50000);
	}
	return NULL;
}

static void start_thread(void *(*fn)(void *), uintptr_t arg)
{
	pthread_attr_t a;
	pthread_t t;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 128 * 1024);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &a, fn, (void *)arg)) {
		fprintf(stderr, "attack-soak-target: pthread_create failed\n");
		_exit(2);
	}
	pthread_attr_destroy(&a);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = wake_blocked, .sa_flags = SA_RESTART };
	unsigned long n, nb, i;
	uint64_t delay, t0;
	int fd;

	if (argc < 7) {
		fprintf(stderr, "usage: attack-soak-target FILE MODE THREADS BLOCKED DELAY_US VARIANT [PROG ARGS...]\n");
		return 2;
	}
	t_self = argv[0];
	t_file = argv[1];
	t_mode = argv[2];
	n = strtoul(argv[3], NULL, 0);
	nb = strtoul(argv[4], NULL, 0);
	delay = strtoull(argv[5], NULL, 0);
	t_variant = atoi(argv[6]);
	t_prog = argv + 7;
	if (n > SOAK_SLOTS || nb > 16)
		return fprintf(stderr, "attack-soak-target: at most %d threads, 16 blocked\n",
			       SOAK_SLOTS), 2;
	fd = open(t_file, O_RDWR);
	if (fd < 0)
		return perror(t_file), 1;
	sf = mmap(NULL, sizeof(*sf), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sf == MAP_FAILED)
		return perror("mmap"), 1;
	close(fd);

	if (!strcmp(t_mode, "post-exec")) {	/* the plain exec's new image */
		__atomic_store_n(&sf->gen, 2, __ATOMIC_RELEASE);
		for (t0 = now_us(); now_us() - t0 < delay;) {
			__atomic_add_fetch(&sf->count[0], 1, __ATOMIC_RELAXED);
			usleep(1000);
		}
		_exit(0);
	}
	sf->gen = 1;
	if (!strcmp(t_mode, "suid") && !t_prog[0])
		return fprintf(stderr, "attack-soak-target: suid needs a PROG\n"), 2;
	if (!strcmp(t_mode, "core")) {
		struct rlimit r;

		getrlimit(RLIMIT_CORE, &r);
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_CORE, &r);
		if (t_variant & 4) {	/* 8 MiB more to write: the dump takes a while */
			char *heap = malloc(8 << 20);

			for (i = 0; heap && i < (8 << 20); i += 4096)
				heap[i] = (char)i;
		}
	}
	if (pipe(block_pipe) < 0 || sigaction(SIGUSR1, &sa, NULL) < 0)
		return perror("pipe"), 1;
	sf->threads = n;
	if (!strcmp(t_mode, "iouring")) {
		sf->uring_err = ring_setup(&plain_ring, 0);
		sf->sqpoll_err = sf->uring_err ? sf->uring_err :
				 ring_setup(&sqpoll_ring, IORING_SETUP_SQPOLL);
	}
	for (i = 0; i < n; i++) {
		if (!strcmp(t_mode, "clone"))
			start_thread(creator_fn, i);
		else if (!strcmp(t_mode, "iouring") && i == 0 && !sf->uring_err)
			start_thread(uring_plain_fn, i);
		else if (!strcmp(t_mode, "iouring") && i == 1)
			start_thread(uring_sqpoll_fn, i);
		else
			start_thread(count_fn, i);
	}
	for (i = 0; i < nb; i++)
		start_thread(block_fn, 0);
	while (__atomic_load_n(&sf->started, __ATOMIC_ACQUIRE) < n ||
	       __atomic_load_n(&sf->blocked, __ATOMIC_ACQUIRE) < nb)
		usleep(100);
	__atomic_store_n(&sf->magic, SOAK_MAGIC, __ATOMIC_RELEASE);

	if (!strcmp(t_mode, "vfork")) {
		for (;;) {
			pid_t c = vfork();

			if (c == 0) {
				sf->last_child = getpid();
				execl("/usr/bin/true", "true", (char *)NULL);
				execl("/bin/true", "true", (char *)NULL);
				_exit(127);
			}
			if (c > 0)
				waitpid(c, NULL, 0);
			__atomic_add_fetch(&sf->spawned, 1, __ATOMIC_RELAXED);
		}
	}
	if (strcmp(t_mode, "count") && strcmp(t_mode, "clone") && strcmp(t_mode, "iouring")) {
		sleep_us(delay);
		if ((t_variant & 1) && n > 0 && strcmp(t_mode, "zombie"))
			__atomic_store_n(&thread0_attacks, 1, __ATOMIC_RELEASE);
		else
			attack();
	}
	for (;;)
		usleep(100000);
}

#else
/* ======================= the driver ======================= */
#include <poll.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>

#include "transport.h"

#define NOBODY_UID	65534
#define WATCHDOG_MS	10000
#define MAX_PROBLEMS_SHOWN 40

static const char *scenario, *dir, *target_prog, *core_dir, *ko_path;
static char *suid_argv[4][8];
static unsigned int nsuid;
static uint64_t deadline, iterations, problems;
static unsigned int bound_ms = 20000;	/* "thawed" and "started" bounds; debug: 60 s */
static uint64_t lat_us = 20000;		/* running mean of a successful session-open */
static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void problem(const char *fmt, ...)
{
	va_list ap;

	if (++problems > MAX_PROBLEMS_SHOWN)
		return;
	printf("problem: [%s, iteration %" PRIu64 "] ", scenario, iterations);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* ---- outcomes: a histogram by name ---- */

static struct {
	char name[96];
	unsigned long n;
} outcomes[96];
static unsigned int noutcomes;

static void outcome(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void outcome(const char *fmt, ...)
{
	char name[96];
	unsigned int i;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	for (i = 0; i < noutcomes; i++)
		if (!strcmp(outcomes[i].name, name))
			break;
	if (i == noutcomes) {
		if (noutcomes == sizeof(outcomes) / sizeof(outcomes[0]))
			return;
		snprintf(outcomes[noutcomes++].name, sizeof(outcomes[0].name), "%s", name);
	}
	outcomes[i].n++;
}

static unsigned long outcome_count(const char *name)
{
	unsigned int i;

	for (i = 0; i < noutcomes; i++)
		if (!strcmp(outcomes[i].name, name))
			return outcomes[i].n;
	return 0;
}

/* Short names of the HRESULTs a session can answer with. */
static const char *hrn(HRESULT hr, char *buf, size_t len)
{
	switch ((uint32_t)hr) {
	case KMDUMP_S_OK: return "S_OK";
	case KMDUMP_S_FALSE: return "S_FALSE";
	case KMDUMP_E_ACCESSDENIED: return "E_ACCESSDENIED";
	case KMDUMP_E_INVALID_CID: return "STATUS_INVALID_CID";
	case KMDUMP_E_BUSY: return "ERROR_BUSY";
	case KMDUMP_E_CANCELLED: return "ERROR_CANCELLED";
	case KMDUMP_E_NOT_FOUND: return "ERROR_NOT_FOUND";
	case KMDUMP_E_PARTIAL_COPY: return "ERROR_PARTIAL_COPY";
	case KMDUMP_E_TOO_MANY_SESSIONS: return "ERROR_TOO_MANY_SESS";
	case KMDUMP_E_TIMEOUT: return "ERROR_TIMEOUT";
	case KMDUMP_E_RETRY: return "ERROR_RETRY";
	case KMDUMP_E_OPERATION_ABORTED: return "ERROR_OPERATION_ABORTED";
	case KMDUMP_E_UNEXPECTED: return "E_UNEXPECTED";
	}
	snprintf(buf, len, "0x%08" PRIx32, (uint32_t)hr);
	return buf;
}

#define HRN(hr) hrn((hr), (char[16]){ 0 }, 16)

static bool is(HRESULT hr, uint32_t v)
{
	return (uint32_t)hr == v;
}

/* ---- a thread that sends a signal at a chosen moment ---- */

static struct {
	pthread_mutex_t m;
	pthread_cond_t c;
	pid_t pid;
	int sig;
	uint64_t at;
	bool armed;
} ks = { .m = PTHREAD_MUTEX_INITIALIZER, .c = PTHREAD_COND_INITIALIZER };

static void *killer_fn(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&ks.m);
	for (;;) {
		uint64_t now;

		while (!ks.armed)
			pthread_cond_wait(&ks.c, &ks.m);
		now = now_us();
		if (now >= ks.at) {
			kill(ks.pid, ks.sig);
			ks.armed = false;
			pthread_cond_broadcast(&ks.c);
			continue;
		}
		now = ks.at - now < 300 ? ks.at - now : 300;
		pthread_mutex_unlock(&ks.m);
		sleep_us(now);
		pthread_mutex_lock(&ks.m);
	}
	return NULL;
}

static void sched_signal(pid_t pid, int sig, uint64_t in_us)
{
	pthread_mutex_lock(&ks.m);
	ks.pid = pid;
	ks.sig = sig;
	ks.at = now_us() + in_us;
	ks.armed = true;
	pthread_cond_broadcast(&ks.c);
	pthread_mutex_unlock(&ks.m);
}

/* Waits until the scheduled signal was sent. */
static void sched_wait(void)
{
	pthread_mutex_lock(&ks.m);
	while (ks.armed)
		pthread_cond_wait(&ks.c, &ks.m);
	pthread_mutex_unlock(&ks.m);
}

/* ---- targets ---- */

struct target {
	pid_t pid;
	struct soak_file *f;
	unsigned int threads;
	bool reaped;
	int status;
	char file[512];
};

static void soak_file_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.soak", dir, scenario);
}

static int target_map(struct target *t)
{
	int fd = open(t->file, O_RDWR);

	if (fd < 0)
		return -1;
	t->f = mmap(NULL, sizeof(*t->f), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (t->f == MAP_FAILED) {
		t->f = NULL;
		return -1;
	}
	return 0;
}

static bool target_ready(struct target *t)
{
	return __atomic_load_n(&t->f->magic, __ATOMIC_ACQUIRE) == SOAK_MAGIC;
}

/*
 * Starts TARGET-PROG in MODE as a child of the caller and waits until it
 * published its magic. Returns 0, or -1 with a problem recorded.
 */
static int target_start(struct target *t, const char *mode, unsigned int threads,
			unsigned int blocked, uint64_t delay_us, int variant, char *const *prog)
{
	char n[16], b[16], d[24], v[16];
	char *argv[24];
	unsigned int i = 0;
	uint64_t end;
	int fd, status;

	memset(t, 0, sizeof(*t));
	soak_file_path(t->file, sizeof(t->file));
	unlink(t->file);
	fd = open(t->file, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || ftruncate(fd, sizeof(struct soak_file)) < 0) {
		problem("cannot create %s: %s", t->file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (target_map(t)) {
		problem("cannot map %s: %s", t->file, strerror(errno));
		return -1;
	}
	snprintf(n, sizeof(n), "%u", threads);
	snprintf(b, sizeof(b), "%u", blocked);
	snprintf(d, sizeof(d), "%" PRIu64, delay_us);
	snprintf(v, sizeof(v), "%d", variant);
	argv[i++] = (char *)target_prog;
	argv[i++] = t->file;
	argv[i++] = (char *)mode;
	argv[i++] = n;
	argv[i++] = b;
	argv[i++] = d;
	argv[i++] = v;
	while (prog && *prog && i < 22)
		argv[i++] = *prog++;
	argv[i] = NULL;
	t->threads = threads;
	t->pid = fork();
	if (t->pid < 0) {
		problem("fork: %s", strerror(errno));
		return -1;
	}
	if (t->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(target_prog, argv);
		_exit(127);
	}
	end = now_us() + (uint64_t)bound_ms * 1000;
	while (!target_ready(t)) {
		if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
			t->reaped = true;
			t->status = status;
			problem("the %s target exited before it was ready (status 0x%x)", mode, status);
			return -1;
		}
		if (now_us() > end) {
			problem("the %s target did not start within %u ms", mode, bound_ms);
			return -1;
		}
		usleep(200);
	}
	return 0;
}

/* Reaps the target within @ms; true if it was (t->status then says how it ended). */
static bool target_reap(struct target *t, unsigned int ms)
{
	uint64_t end = now_us() + (uint64_t)ms * 1000;

	while (!t->reaped) {
		if (waitpid(t->pid, &t->status, WNOHANG) == t->pid) {
			t->reaped = true;
			break;
		}
		if (now_us() > end)
			return false;
		usleep(500);
	}
	return true;
}

static void target_stop(struct target *t)
{
	if (t->pid > 0 && !t->reaped) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, &t->status, 0);
		t->reaped = true;
	}
	if (t->f)
		munmap(t->f, sizeof(*t->f));
	t->f = NULL;
	unlink(t->file);
}

/* The state letter (R, S, D, T, t, Z, ...) of each thread of @pid. */
struct tstate {
	pid_t tid;
	char state;
};

static int thread_states(pid_t pid, struct tstate *out, int max)
{
	char path[320], buf[512];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)) && n < max) {
		char *p;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)pid, e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] && p[2]) {
			out[n].tid = atoi(e->d_name);
			out[n].state = p[2];
			n++;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

static char state_of(const struct tstate *s, int n, pid_t tid)
{
	int i;

	for (i = 0; i < n; i++)
		if (s[i].tid == tid)
			return s[i].state;
	return '?';
}

static void show_states(pid_t pid)
{
	struct tstate s[64];
	char line[512] = "";
	int i, n = thread_states(pid, s, 64);

	for (i = 0; i < n; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), " %d:%c", (int)s[i].tid,
			 s[i].state);
	note("threads of %d:%s", (int)pid, n < 0 ? " (gone)" : line);
}

/* Every thread of @pid is in a ptrace (t) or job-control (T) stop within @ms. */
static bool all_stopped_within(pid_t pid, unsigned int ms)
{
	uint64_t end = now_us() + (uint64_t)ms * 1000;
	struct tstate s[64];

	for (;;) {
		int i, n = thread_states(pid, s, 64);
		bool all = n > 0;

		for (i = 0; i < n; i++)
			all &= s[i].state == 't' || s[i].state == 'T';
		if (all)
			return true;
		if (now_us() > end)
			return false;
		usleep(1000);
	}
}

/* Every thread of @pid shows @want within @ms. */
static bool all_states_within(pid_t pid, char want, unsigned int ms)
{
	uint64_t end = now_us() + (uint64_t)ms * 1000;
	struct tstate s[64];

	for (;;) {
		int i, n = thread_states(pid, s, 64);
		bool all = n > 0;

		for (i = 0; i < n; i++)
			all &= s[i].state == want;
		if (all)
			return true;
		if (now_us() > end)
			return false;
		usleep(1000);
	}
}

/* Every counting slot [first, first + n) counts again within @ms; else false. */
static bool moves_within(struct target *t, unsigned int first, unsigned int n, unsigned int ms)
{
	uint64_t seen[SOAK_SLOTS], end = now_us() + (uint64_t)ms * 1000;
	unsigned int i, moved = 0;

	for (i = first; i < first + n; i++)
		seen[i] = __atomic_load_n(&t->f->count[i], __ATOMIC_RELAXED);
	for (;;) {
		moved = 0;
		for (i = first; i < first + n; i++)
			moved += __atomic_load_n(&t->f->count[i], __ATOMIC_RELAXED) != seen[i];
		if (moved == n)
			return true;
		if (now_us() > end)
			break;
		usleep(500);
	}
	note("only %u of %u counting threads of %d moved in %u ms", moved, n, (int)t->pid, ms);
	show_states(t->pid);
	return false;
}

static bool spawns_within(struct target *t, unsigned int ms)
{
	uint64_t seen = __atomic_load_n(&t->f->spawned, __ATOMIC_RELAXED);
	uint64_t end = now_us() + (uint64_t)ms * 1000;

	while (__atomic_load_n(&t->f->spawned, __ATOMIC_RELAXED) == seen) {
		if (now_us() > end)
			return false;
		usleep(500);
	}
	return true;
}

/* euid of @pid from /proc/<pid>/status, or -1. */
static long euid_of(pid_t pid)
{
	char path[64], line[256];
	long r = -1, e = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %ld %ld", &r, &e) == 2)
			break;
	fclose(f);
	return e;
}

/* ---- sessions ---- */

/*
 * Opens a session on @pid with the proof @mem (default /proc/<pid>/mem).
 * *proof_err is the errno when the proof itself could not be opened.
 */
static HRESULT session_open(struct kmd_tr *tr, pid_t pid, const char *mem, uint32_t watchdog_ms,
			    struct kmd_tr_session *s, int *proof_err)
{
	char path[64];
	uint64_t t0;
	HRESULT hr;
	int fd;

	*proof_err = 0;
	if (!mem) {
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
		mem = path;
	}
	fd = open(mem, O_RDONLY);
	if (fd < 0) {
		*proof_err = errno;
		return E_FAIL;
	}
	t0 = now_us();
	hr = kmd_tr_session_open(tr, (uint32_t)pid, fd, 0, watchdog_ms, s);
	close(fd);
	if (SUCCEEDED(hr))
		lat_us = (lat_us * 7 + (now_us() - t0)) / 8;
	return hr;
}

static const char *errno_name(int e)
{
	switch (e) {
	case ESRCH: return "ESRCH";
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	}
	return strerror(e);
}

/* Records the outcome of an open; false when neither it nor a proof failure is allowed. */
static bool open_outcome(const char *tag, HRESULT hr, int proof_err, bool (*allowed)(HRESULT))
{
	if (proof_err) {
		outcome("%sproof-refused:%s", tag, errno_name(proof_err));
		if (proof_err != ESRCH && proof_err != ENOENT && proof_err != EACCES) {
			problem("%sopen(/proc/<pid>/mem) failed with %s", tag, strerror(proof_err));
			return false;
		}
		return true;
	}
	outcome("%sopen:%s", tag, HRN(hr));
	if (!allowed(hr)) {
		problem("%ssession-open answered %s, which this attack should not give", tag, HRN(hr));
		return false;
	}
	return true;
}

static bool opened_only(HRESULT hr)
{
	return SUCCEEDED(hr);
}

static bool opened_or_gone(HRESULT hr)
{
	return SUCCEEDED(hr) || is(hr, KMDUMP_E_INVALID_CID);
}

static bool opened_gone_or_denied(HRESULT hr)
{
	return SUCCEEDED(hr) || is(hr, KMDUMP_E_INVALID_CID) || is(hr, KMDUMP_E_ACCESSDENIED);
}

/* A requester whose previous session on the same target may still be ending. */
static bool opened_or_busy(HRESULT hr)
{
	return SUCCEEDED(hr) || is(hr, KMDUMP_E_BUSY) || is(hr, KMDUMP_E_TOO_MANY_SESSIONS);
}

static int grab_sp(void *arg, const struct kmd_tr_thread *t)
{
	uint64_t *sp = arg;

	if (!*sp && t->sp)
		*sp = t->sp;
	return 0;
}

struct walk {
	unsigned int threads, io_threads;
	uint64_t sp;
};

static int walk_thread(void *arg, const struct kmd_tr_thread *t)
{
	struct walk *w = arg;

	w->threads++;
	if (!strncmp(t->comm, "iou-", 4))
		w->io_threads++;
	if (!w->sp && t->sp)
		w->sp = t->sp;
	return 0;
}

static int count_vma(void *arg, const struct kmd_tr_vma *v)
{
	(void)v;
	++*(unsigned int *)arg;
	return 0;
}

/* One request on the session, the @k-th kind; euid gets a process-get's euid. */
static HRESULT poke(struct kmd_tr *tr, uint32_t id, unsigned int k, uint64_t *sp, long *euid)
{
	struct kmd_tr_session g;
	struct kmd_tr_process p;
	unsigned int n = 0;
	char buf[256];
	size_t done;
	HRESULT hr;

	switch (k % 5) {
	case 0:
		return kmd_tr_session_get(tr, id, &g);
	case 1:
		return kmd_tr_threads(tr, id, grab_sp, sp);
	case 2:
		if (*sp)
			return kmd_tr_read_buf(tr, id, (*sp - 128) & ~63ULL, buf, sizeof(buf), &done);
		return kmd_tr_session_get(tr, id, &g);
	case 3:
		return kmd_tr_vmas(tr, id, count_vma, &n);
	default:
		memset(&p, 0, sizeof(p));
		hr = kmd_tr_process_get(tr, id, &p);
		if (SUCCEEDED(hr))
			*euid = p.uid[1];
		kmd_tr_process_free(&p);
		return hr;
	}
}

/* A request's failure that a session on a target under attack may see. */
static bool request_failure_ok(HRESULT hr, bool exec_attack)
{
	return is(hr, KMDUMP_E_PARTIAL_COPY) || is(hr, KMDUMP_E_INVALID_CID) ||
	       (exec_attack && is(hr, KMDUMP_E_ACCESSDENIED));
}

/*
 * Holds an open session for up to @hold_us, sending requests. With
 * @changed (exec attacks), checks every request sent after the target was
 * seen changed is refused. Returns true when the session ended (a request
 * was refused with E_ACCESSDENIED) or a change was seen.
 */
static bool hold(struct kmd_tr *tr, uint32_t id, uint64_t hold_us, bool (*changed)(struct target *),
		 struct target *t, bool exec_attack)
{
	uint64_t until = now_us() + hold_us, sp = 0;
	unsigned int k = (unsigned int)rnd_below(5);
	bool seen = false;

	do {
		bool before = changed && changed(t);
		long euid = -1;
		HRESULT hr = poke(tr, id, k++, &sp, &euid);

		if (before && SUCCEEDED(hr))
			problem("a request (kind %u) on the session succeeded (%s) after the target was seen exec'd",
				(k - 1) % 5, HRN(hr));
		if (SUCCEEDED(hr) && euid == 0 && getuid() != 0)
			problem("a snapshot shows euid 0 (the setuid program's process)");
		if (FAILED(hr)) {
			outcome("request:%s", HRN(hr));
			if (!request_failure_ok(hr, exec_attack))
				problem("a request (kind %u) answered %s", (k - 1) % 5, HRN(hr));
			if (is(hr, KMDUMP_E_ACCESSDENIED))
				return true;
		}
		seen |= before;
		if (seen)
			return true;
	} while (now_us() < until);
	return false;
}

/* A fresh socket's session-open on @pid succeeds within bound_ms: no session is left on it. */
static void check_no_session_left(struct target *t)
{
	uint64_t end = now_us() + (uint64_t)bound_ms * 1000;
	struct kmd_tr_session s;
	struct kmd_tr *tr;
	HRESULT hr;
	int perr;

	if (FAILED(kmd_tr_open(&tr))) {
		problem("cannot connect to the module for the final check");
		return;
	}
	do {
		hr = session_open(tr, t->pid, NULL, WATCHDOG_MS, &s, &perr);
		if (!is(hr, KMDUMP_E_BUSY))
			break;
		usleep(10000);
	} while (now_us() < end);
	if (SUCCEEDED(hr)) {
		HRESULT c = kmd_tr_session_close(tr, s.session_id, NULL);

		if (c != S_OK)
			problem("the final session on the target did not close: %s", HRN(c));
	} else {
		problem("a session is left on the target: a fresh session-open answers %s (%s)",
			perr ? strerror(perr) : HRN(hr), kmd_tr_errmsg(tr));
	}
	kmd_tr_close(tr);
}

static bool before_deadline(void)
{
	return now_us() < deadline;
}

/* The span over which attacks are spread: about twice a session-open. */
static uint64_t span_us(void)
{
	uint64_t s = 2 * lat_us + 2000;

	return s < 2000000 ? s : 2000000;
}

/* ---- scenarios: the target attacks itself (or is killed) around the open ---- */

enum attack { A_EXIT, A_KILL, A_EXEC, A_SUID, A_CORE };

static bool exec_seen(struct target *t)
{
	return __atomic_load_n(&t->f->gen, __ATOMIC_ACQUIRE) == 2;
}

static bool suid_seen(struct target *t)
{
	return euid_of(t->pid) == 0;
}

static void sc_target_attack(enum attack a)
{
	static const char *const modes[] = { "exit", "count", "exec", "suid", "core" };
	bool exec_attack = a == A_EXEC || a == A_SUID;
	bool (*changed)(struct target *) = a == A_EXEC ? exec_seen : a == A_SUID ? suid_seen : NULL;
	struct kmd_tr *tr;
	unsigned long cores = 0;

	if (a == A_SUID && !nsuid) {
		printf("skip: no setuid-root program given (suid=PROG ARGS)\n");
		exit(77);
	}
	if (FAILED(kmd_tr_open(&tr))) {
		problem("cannot connect to the module: %s", kmd_tr_errmsg(tr));
		return;
	}
	while (before_deadline()) {
		int variant = (int)rnd_below(2);
		unsigned int which = a == A_SUID ? (unsigned int)rnd_below(nsuid) : 0;
		struct kmd_tr_session s;
		struct target t;
		bool ended = false;
		HRESULT hr;
		int perr;

		if (a == A_CORE)	/* SIGABRT or SIGSEGV; 1 in 4 with 8 MiB more to dump */
			variant |= (int)rnd_below(2) << 1 | (rnd_below(4) == 0) << 2;
		if (target_start(&t, modes[a], 4, 1, a == A_KILL ? 0 : rnd_below(span_us()), variant,
				 a == A_SUID ? suid_argv[which] : NULL)) {
			target_stop(&t);
			break;
		}
		iterations++;
		sleep_us(rnd_below(lat_us / 2 + 500));
		if (a == A_KILL)
			sched_signal(t.pid, SIGKILL, rnd_below(span_us()));
		hr = session_open(tr, t.pid, NULL, WATCHDOG_MS, &s, &perr);
		open_outcome("", hr, perr, exec_attack ? opened_gone_or_denied : opened_or_gone);
		if (!perr && SUCCEEDED(hr)) {
			HRESULT c;

			ended = hold(tr, s.session_id, rnd_below(3 * lat_us + 3000), changed, &t,
				     exec_attack);
			if (exec_attack && ended) {
				/* The module let the exec'd program go: it runs to its end now. */
				outcome("exec-seen-by-session");
				if (!target_reap(&t, bound_ms)) {
					problem("the exec'd target %d did not run to its end within %u ms while the session was open: held frozen?",
						(int)t.pid, bound_ms);
					show_states(t.pid);
				}
			}
			c = kmd_tr_session_close(tr, s.session_id, NULL);
			outcome("close:%s", HRN(c));
			if (c != S_OK && !(exec_attack && (is(c, KMDUMP_E_ACCESSDENIED) ||
							   is(c, KMDUMP_E_CANCELLED) ||
							   is(c, KMDUMP_E_NOT_FOUND))))
				problem("session-close answered %s", HRN(c));
		}
		if (a == A_KILL)
			sched_wait();
		if (!target_reap(&t, bound_ms)) {
			problem("the %s target %d was not gone %u ms after its session ended: left frozen?",
				modes[a], (int)t.pid, bound_ms);
			show_states(t.pid);
		} else {
			int st = t.status;

			switch (a) {
			case A_EXIT:
			case A_EXEC:
				if (!WIFEXITED(st) || WEXITSTATUS(st))
					problem("the target ended with status 0x%x, not exit 0", st);
				break;
			case A_SUID:
				if (!WIFEXITED(st) || WEXITSTATUS(st) >= 125)
					problem("the setuid program ended with status 0x%x", st);
				outcome("suid-prog-%u-ran", which);
				break;
			case A_KILL:
				if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
					problem("the target ended with status 0x%x, not by SIGKILL", st);
				break;
			case A_CORE:
				if (!WIFSIGNALED(st) ||
				    (WTERMSIG(st) != SIGABRT && WTERMSIG(st) != SIGSEGV))
					problem("the target ended with status 0x%x, not by SIGABRT/SIGSEGV", st);
				else if (WCOREDUMP(st))
					cores++, outcome("core-dumped:%s%s", WTERMSIG(st) == SIGABRT ?
							 "SIGABRT" : "SIGSEGV", variant & 4 ? ",8MiB" : "");
				if (core_dir) {
					char core[600];

					snprintf(core, sizeof(core), "%s/core.%d", core_dir, (int)t.pid);
					unlink(core);
				}
				break;
			}
		}
		target_stop(&t);
	}
	kmd_tr_close(tr);
	if (a == A_CORE) {
		note("%lu of %" PRIu64 " targets dumped core", cores, iterations);
		if (iterations && !cores)
			problem("no target dumped core (core_pattern, RLIMIT_CORE?)");
	}
	if (a == A_EXEC || a == A_SUID)
		note("%lu sessions saw the exec while open",
		     outcome_count("exec-seen-by-session"));
}

/* ---- requester-exit ---- */

static void say(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) < 0)
		_exit(3);
}

static void requester_child(pid_t pid, int to)
{
	struct kmd_tr_session s;
	struct kmd_tr *tr;
	uint64_t sp = 0, t0;
	unsigned int k;
	char line[64];
	HRESULT hr;
	int perr;
	long euid;

	if (FAILED(kmd_tr_open(&tr)))
		_exit(2);
	say(to, "go\n");
	t0 = now_us();
	hr = session_open(tr, pid, NULL, WATCHDOG_MS, &s, &perr);
	snprintf(line, sizeof(line), "opened %" PRIu32 " %" PRIu64 " %d\n", (uint32_t)hr,
		 now_us() - t0, perr);
	say(to, line);
	if (perr || FAILED(hr))
		_exit(1);
	for (k = 0;; k++) {
		say(to, k % 3 == 2 ? "read\n" : "request\n");
		poke(tr, s.session_id, k, &sp, &euid);
		if (k == 7) {
			say(to, "closing\n");
			kmd_tr_session_close(tr, s.session_id, NULL);
			say(to, "closed\n");
			for (;;)
				pause();
		}
	}
}

/* Reads what the child said so far; returns the last line's first word into @stage. */
static void last_words(int fd, char *stage, size_t len, HRESULT *open_hr)
{
	char buf[4096], *line, *save = NULL;
	ssize_t n;

	snprintf(stage, len, "during-open");

	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = 0;
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			unsigned int hr;
			unsigned long long us;

			if (sscanf(line, "opened %u %llu", &hr, &us) == 2) {
				*open_hr = (HRESULT)hr;
				if (SUCCEEDED((HRESULT)hr))
					lat_us = (lat_us * 7 + us) / 8;
			}
			snprintf(stage, len, "%.*s", (int)strcspn(line, " "), line);
		}
	}
}

static bool reap_pid(pid_t pid, unsigned int ms, int *status)
{
	uint64_t end = now_us() + (uint64_t)ms * 1000;

	for (;;) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
		if (now_us() > end)
			return false;
		usleep(500);
	}
}

static void sc_requester_exit(void)
{
	struct target t;

	if (target_start(&t, "count", 6, 2, 0, 0, NULL)) {
		target_stop(&t);
		return;
	}
	while (before_deadline()) {
		char stage[32], line[8];
		HRESULT open_hr = S_OK;
		struct pollfd pfd;
		int p[2], status;
		pid_t r;

		if (pipe(p) < 0)
			break;
		iterations++;
		r = fork();
		if (r == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(p[0]);
			requester_child(t.pid, p[1]);
			_exit(0);
		}
		close(p[1]);
		pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
		if (poll(&pfd, 1, (int)bound_ms) != 1 || read(p[0], line, 3) != 3) {
			problem("the requester child did not start");
			kill(r, SIGKILL);
			waitpid(r, &status, 0);
			close(p[0]);
			break;
		}
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		sleep_us(rnd_below(3 * lat_us + 3000));
		kill(r, SIGKILL);
		if (!reap_pid(r, bound_ms, &status))
			problem("the SIGKILLed requester %d was not reaped within %u ms", (int)r, bound_ms);
		last_words(p[0], stage, sizeof(stage), &open_hr);
		close(p[0]);
		if (!strcmp(stage, "opened"))
			outcome("killed-after-open:%s", HRN(open_hr));
		else
			outcome("killed-at:%s", stage);
		if (!strcmp(stage, "opened") && !opened_or_busy(open_hr))
			problem("the requester's session-open answered %s", HRN(open_hr));
		if (!moves_within(&t, 0, 6, bound_ms))
			problem("the target was still frozen %u ms after its requester was SIGKILLed (last words: %s)",
				bound_ms, stage);
	}
	kill(t.pid, SIGUSR1);	/* the blocked threads return to user mode and end */
	check_no_session_left(&t);
	target_stop(&t);
}

/* ---- concurrent-close ---- */

static bool ended_or_gone(HRESULT hr)
{
	return is(hr, KMDUMP_E_CANCELLED) || is(hr, KMDUMP_E_NOT_FOUND);
}

static bool read_hr(int fd, HRESULT *hr, unsigned int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, (int)ms) == 1 && read(fd, hr, sizeof(*hr)) == sizeof(*hr);
}

/* Two processes sharing the owner socket close the session at the same moment. */
static void two_closers(struct target *t)
{
	struct kmd_tr_session s;
	struct kmd_tr *tr;
	HRESULT hr, mine, theirs = E_FAIL;
	int go[2], res[2], perr, status;
	pid_t c;

	if (FAILED(kmd_tr_open(&tr)))
		{ problem("cannot connect"); return; }
	hr = session_open(tr, t->pid, NULL, WATCHDOG_MS, &s, &perr);
	if (!open_outcome("two-closers:", hr, perr, opened_or_busy) || perr || FAILED(hr)) {
		kmd_tr_close(tr);
		return;
	}
	if (pipe(go) < 0 || pipe(res) < 0) {
		kmd_tr_close(tr);
		{ problem("pipe: %s", strerror(errno)); return; }
	}
	c = fork();
	if (c == 0) {
		char b;

		if (read(go[0], &b, 1) == 1) {
			HRESULT h = kmd_tr_session_close(tr, s.session_id, NULL);

			if (write(res[1], &h, sizeof(h)) < 0)
				_exit(3);
		}
		_exit(0);
	}
	if (write(go[1], "g", 1) != 1)
		problem("pipe write failed");
	sleep_us(rnd_below(300));
	mine = kmd_tr_session_close(tr, s.session_id, NULL);
	if (!read_hr(res[0], &theirs, bound_ms)) {
		problem("the second process's session-close on the shared socket got no answer within %u ms",
			bound_ms);
		kill(c, SIGKILL);
	}
	waitpid(c, &status, 0);
	close(go[0]);
	close(go[1]);
	close(res[0]);
	close(res[1]);
	outcome("two-closers:%s+%s", HRN(mine < theirs ? mine : theirs),
		HRN(mine < theirs ? theirs : mine));
	/*
	 * Both requests carry the same sequence number and either process reads
	 * any answer: the first close's reply can go to one process and its ACK
	 * to the other (which then sees an ACK without a reply: E_UNEXPECTED).
	 * What must hold: one close took effect, the other was told the session
	 * is ending or gone, and nobody waits for ever.
	 */
	if (!(((mine == S_OK || is(mine, KMDUMP_E_UNEXPECTED)) && ended_or_gone(theirs)) ||
	      ((theirs == S_OK || is(theirs, KMDUMP_E_UNEXPECTED)) && ended_or_gone(mine))))
		problem("two closes of one session: %s and %s (want one S_OK, one 'ending' or 'not found')",
			HRN(mine), HRN(theirs));
	else {
		struct kmd_tr_session g;

		hr = kmd_tr_session_get(tr, s.session_id, &g);
		if (!ended_or_gone(hr))
			problem("after two closes the session still answers: %s", HRN(hr));
	}
	kmd_tr_close(tr);
}

/* session-close racing the session's own watchdog (100-200 ms). */
static void close_vs_watchdog(struct target *t)
{
	uint32_t w = 100 + (uint32_t)rnd_below(100);
	struct kmd_tr_session s;
	struct kmd_tr *tr;
	int64_t at;
	HRESULT hr;
	int perr;

	if (FAILED(kmd_tr_open(&tr)))
		{ problem("cannot connect"); return; }
	hr = session_open(tr, t->pid, NULL, w, &s, &perr);
	if (!open_outcome("watchdog-race:", hr, perr, opened_or_busy) || perr || FAILED(hr)) {
		kmd_tr_close(tr);
		return;
	}
	at = (int64_t)w * 1000 + (int64_t)rnd_below(2 * lat_us + 10000) - (int64_t)lat_us - 5000;
	sleep_us(at > 0 ? (uint64_t)at : 0);
	hr = kmd_tr_session_close(tr, s.session_id, NULL);
	outcome("watchdog-race:close:%s", HRN(hr));
	if (hr != S_OK && !ended_or_gone(hr))
		problem("session-close racing the watchdog answered %s", HRN(hr));
	kmd_tr_close(tr);
}

/* The owner is SIGKILLed while its session-close is in flight (close vs socket release). */
static void close_vs_release(struct target *t)
{
	char stage[32], line[8];
	HRESULT open_hr = S_OK;
	struct pollfd pfd;
	int p[2], status;
	pid_t r;

	if (pipe(p) < 0)
		{ problem("pipe: %s", strerror(errno)); return; }
	r = fork();
	if (r == 0) {
		struct kmd_tr_session s;
		struct kmd_tr *tr;
		HRESULT hr;
		int perr;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		if (FAILED(kmd_tr_open(&tr)))
			_exit(2);
		say(p[1], "go\n");
		hr = session_open(tr, t->pid, NULL, WATCHDOG_MS, &s, &perr);
		if (perr || FAILED(hr)) {
			char l[64];

			snprintf(l, sizeof(l), "opened %" PRIu32 " 0 %d\n", (uint32_t)hr, perr);
			say(p[1], l);
			_exit(1);
		}
		say(p[1], "closing\n");
		kmd_tr_session_close(tr, s.session_id, NULL);
		say(p[1], "closed\n");
		for (;;)
			pause();
	}
	close(p[1]);
	pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	if (poll(&pfd, 1, (int)bound_ms) != 1 || read(p[0], line, 3) != 3) {
		problem("the closing requester did not start");
		kill(r, SIGKILL);
		waitpid(r, &status, 0);
		close(p[0]);
		return;
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	/* Wait for "closing" (or a failed open), then kill within about one round trip. */
	pfd.revents = 0;
	poll(&pfd, 1, (int)bound_ms);
	sleep_us(rnd_below(lat_us / 2 + 500));
	kill(r, SIGKILL);
	if (!reap_pid(r, bound_ms, &status))
		problem("the SIGKILLed requester %d was not reaped within %u ms", (int)r, bound_ms);
	last_words(p[0], stage, sizeof(stage), &open_hr);
	close(p[0]);
	outcome("release-race:killed-at:%s", stage);
	if (!strcmp(stage, "opened") && !opened_or_busy(open_hr))
		problem("the requester's session-open answered %s", HRN(open_hr));
}

/* Another socket (another process) closes and reads the session while its owner closes it. */
static void foreign_close(struct target *t)
{
	struct kmd_tr_session s;
	struct kmd_tr *tr;
	HRESULT hr, mine, theirs[2] = { E_FAIL, E_FAIL };
	int go[2], res[2], perr, status;
	pid_t c;

	if (FAILED(kmd_tr_open(&tr)))
		{ problem("cannot connect"); return; }
	hr = session_open(tr, t->pid, NULL, WATCHDOG_MS, &s, &perr);
	if (!open_outcome("foreign:", hr, perr, opened_or_busy) || perr || FAILED(hr)) {
		kmd_tr_close(tr);
		return;
	}
	if (pipe(go) < 0 || pipe(res) < 0) {
		kmd_tr_close(tr);
		{ problem("pipe: %s", strerror(errno)); return; }
	}
	c = fork();
	if (c == 0) {
		struct kmd_tr_session g;
		struct kmd_tr *other;
		HRESULT h[2];
		char b;

		if (FAILED(kmd_tr_open(&other)))
			_exit(2);
		if (read(go[0], &b, 1) == 1) {
			h[0] = kmd_tr_session_close(other, s.session_id, NULL);
			h[1] = kmd_tr_session_get(other, s.session_id, &g);
			if (write(res[1], h, sizeof(h)) < 0)
				_exit(3);
		}
		_exit(0);
	}
	if (write(go[1], "g", 1) != 1)
		problem("pipe write failed");
	sleep_us(rnd_below(lat_us / 2 + 300));
	mine = kmd_tr_session_close(tr, s.session_id, NULL);
	if (!read_hr(res[0], &theirs[0], bound_ms) || !read_hr(res[0], &theirs[1], bound_ms)) {
		problem("the other socket's requests got no answer within %u ms", bound_ms);
		kill(c, SIGKILL);
	}
	waitpid(c, &status, 0);
	close(go[0]);
	close(go[1]);
	close(res[0]);
	close(res[1]);
	outcome("foreign:owner-close:%s", HRN(mine));
	if (mine != S_OK)
		problem("the owner's session-close answered %s while another socket tried", HRN(mine));
	if (!is(theirs[0], KMDUMP_E_NOT_FOUND) || !is(theirs[1], KMDUMP_E_NOT_FOUND))
		problem("another socket's session-close / session-get answered %s / %s (want ERROR_NOT_FOUND)",
			HRN(theirs[0]), HRN(theirs[1]));
	kmd_tr_close(tr);
}

static void sc_concurrent_close(void)
{
	struct target t;

	if (target_start(&t, "count", 4, 1, 0, 0, NULL)) {
		target_stop(&t);
		return;
	}
	while (before_deadline()) {
		iterations++;
		switch (rnd_below(4)) {
		case 0: two_closers(&t); break;
		case 1: close_vs_watchdog(&t); break;
		case 2: close_vs_release(&t); break;
		default: foreign_close(&t); break;
		}
		if (!moves_within(&t, 0, 4, bound_ms))
			problem("the target was still frozen %u ms after the close race", bound_ms);
	}
	kill(t.pid, SIGUSR1);
	check_no_session_left(&t);
	target_stop(&t);
}

/* ---- rmmod-churn: sessions while root unloads and loads the module ---- */

static void sc_rmmod_churn(void)
{
	struct target t;

	/* No blocked threads: their park works would pin the module for good. */
	if (target_start(&t, "count", 4, 0, 0, 0, NULL)) {
		target_stop(&t);
		return;
	}
	while (before_deadline()) {
		struct kmd_tr_session s;
		struct kmd_tr *tr;
		HRESULT hr;
		int perr;

		iterations++;
		hr = kmd_tr_open(&tr);
		if (FAILED(hr)) {
			outcome("connect:%s", HRN(hr));
			sleep_us(rnd_below(5000));
			continue;
		}
		hr = session_open(tr, t.pid, NULL, WATCHDOG_MS, &s, &perr);
		if (perr) {
			problem("open(/proc/<pid>/mem): %s", strerror(perr));
		} else if (SUCCEEDED(hr)) {
			/* held long enough for rmmod to meet it now and then */
			uint64_t until = now_us() + rnd_below(4 * lat_us + 20000), sp = 0;
			unsigned int k = 0;
			long euid;

			outcome("open:%s", HRN(hr));
			do {
				HRESULT r = poke(tr, s.session_id, k++, &sp, &euid);

				if (FAILED(r) && !is(r, KMDUMP_E_PARTIAL_COPY)) {
					outcome("request:%s", HRN(r));
					problem("a request on an open session answered %s during the churn (%s)",
						HRN(r), kmd_tr_errmsg(tr));
				}
			} while (now_us() < until);
			hr = kmd_tr_session_close(tr, s.session_id, NULL);
			outcome("close:%s", HRN(hr));
			if (hr != S_OK)
				problem("session-close answered %s during the churn (%s)", HRN(hr),
					kmd_tr_errmsg(tr));
		} else {
			outcome("open:%s", HRN(hr));
			if (is(hr, KMDUMP_E_TIMEOUT))
				problem("session-open got no answer: %s", kmd_tr_errmsg(tr));
		}
		kmd_tr_close(tr);
		if (!moves_within(&t, 0, 4, bound_ms))
			problem("the target was still frozen %u ms after the session", bound_ms);
		if (rnd_below(2))	/* a gap in which rmmod can get through */
			sleep_us(rnd_below(20000));
	}
	target_stop(&t);
}

/*
 * The churner (root, beside the rmmod-churn scenario): delete_module and
 * finit_module in a loop, as rmmod and insmod do but without their exec
 * cost. "In use" refusals are expected while a session or a park work holds
 * the module. The module is loaded at the end.
 */
static int load_module(const char *ko)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = (int)syscall(SYS_finit_module, fd, "", 0);
	r = r ? -errno : 0;
	close(fd);
	return r;
}

static int run_churner(const char *ko)
{
	unsigned long unloaded = 0, refused = 0, loaded = 0, failed = 0;
	int r;

	if (!ko) {
		fprintf(stderr, "rmmod-churner needs ko=PATH\n");
		return 2;
	}
	while (before_deadline()) {
		if (!syscall(SYS_delete_module, "kmdump", O_NONBLOCK)) {
			unloaded++;
			sleep_us(rnd_below(20000));	/* requesters find no module */
			r = load_module(ko);
		} else if (errno == EWOULDBLOCK || errno == EBUSY) {
			refused++;
			sleep_us(rnd_below(3000));
			continue;
		} else if (errno == ENOENT) {
			r = load_module(ko);
		} else {
			note("delete_module: %s", strerror(errno));
			failed++;
			sleep_us(10000);
			continue;
		}
		if (!r) {
			loaded++;
		} else if (r != -EEXIST) {
			note("finit_module(%s): %s", ko, strerror(-r));
			failed++;
		}
		sleep_us(rnd_below(5000));
	}
	r = load_module(ko);
	if (r && r != -EEXIST) {
		note("finit_module(%s) at the end: %s", ko, strerror(-r));
		failed++;
	}
	printf("churn unloaded=%lu refused=%lu loaded=%lu failed=%lu\n", unloaded, refused,
	       loaded, failed);
	return failed ? 1 : 0;
}

/* ---- long-lived targets: vfork, io_uring, clone ---- */

/* Opens, walks the threads, holds, closes; records; returns the walk. */
static void plain_session(struct kmd_tr *tr, pid_t pid, const char *tag, bool (*allowed)(HRESULT),
			  bool exec_attack, struct walk *w)
{
	struct kmd_tr_session s;
	HRESULT hr, c;
	int perr;

	memset(w, 0, sizeof(*w));
	hr = session_open(tr, pid, NULL, WATCHDOG_MS, &s, &perr);
	open_outcome(tag, hr, perr, allowed);
	if (perr || FAILED(hr))
		return;
	hr = kmd_tr_threads(tr, s.session_id, walk_thread, w);
	if (FAILED(hr)) {
		outcome("%sthreads:%s", tag, HRN(hr));
		if (!request_failure_ok(hr, exec_attack))
			problem("%sthread-get answered %s", tag, HRN(hr));
	}
	/* E_ACCESSDENIED ended the session (the target exec'd): nothing more to ask. */
	if (!is(hr, KMDUMP_E_ACCESSDENIED))
		hold(tr, s.session_id, rnd_below(2 * lat_us + 2000), NULL, NULL, exec_attack);
	c = kmd_tr_session_close(tr, s.session_id, NULL);
	outcome("%sclose:%s", tag, HRN(c));
	if (c != S_OK && !(exec_attack && (is(c, KMDUMP_E_ACCESSDENIED) || ended_or_gone(c))))
		problem("%ssession-close answered %s", tag, HRN(c));
}

static void sc_vfork(void)
{
	struct kmd_tr *tr;
	struct target t;

	if (FAILED(kmd_tr_open(&tr)))
		{ problem("cannot connect"); return; }
	if (target_start(&t, "vfork", 2, 0, 0, 0, NULL)) {
		target_stop(&t);
		kmd_tr_close(tr);
		return;
	}
	while (before_deadline()) {
		pid_t child = (pid_t)__atomic_load_n(&t.f->last_child, __ATOMIC_RELAXED);
		struct walk w;

		iterations++;
		if (child > 0 && rnd_below(3) == 0) {
			/* The vfork child: shares the mm until it execs (then it is another process). */
			plain_session(tr, child, "child:", opened_gone_or_denied, true, &w);
		} else {
			plain_session(tr, t.pid, "parent:", opened_only, false, &w);
		}
		if (!moves_within(&t, 0, 2, bound_ms) || !spawns_within(&t, bound_ms))
			problem("the vfork target did not run again within %u ms (vforks %" PRIu64 ")",
				bound_ms, t.f->spawned);
	}
	note("the target vforked %" PRIu64 " children", t.f->spawned);
	kmd_tr_close(tr);
	check_no_session_left(&t);
	target_stop(&t);
}

static void sc_iouring(void)
{
	unsigned int max_io = 0;
	struct kmd_tr *tr;
	struct target t;

	if (target_start(&t, "iouring", 4, 1, 0, 0, NULL)) {
		target_stop(&t);
		return;
	}
	if (t.f->uring_err) {
		printf("skip: io_uring_setup: %s\n", strerror((int)t.f->uring_err));
		target_stop(&t);
		exit(77);
	}
	if (t.f->sqpoll_err)
		note("no SQPOLL ring: io_uring_setup(IORING_SETUP_SQPOLL): %s",
		     strerror((int)t.f->sqpoll_err));
	if (FAILED(kmd_tr_open(&tr))) {
		target_stop(&t);
		{ problem("cannot connect"); return; }
	}
	while (before_deadline()) {
		struct walk w;

		iterations++;
		plain_session(tr, t.pid, "", opened_only, false, &w);
		if (w.io_threads)
			outcome("io-threads-in-snapshot");
		if (w.io_threads > max_io)
			max_io = w.io_threads;
		if (!moves_within(&t, 0, 4, bound_ms))
			problem("the io_uring target did not run again within %u ms", bound_ms);
	}
	note("at most %u io_uring threads (iou-*) in a snapshot", max_io);
	kmd_tr_close(tr);
	kill(t.pid, SIGUSR1);
	check_no_session_left(&t);
	target_stop(&t);
}

static void sc_clone(void)
{
	unsigned int max_threads = 0;
	struct kmd_tr *tr;
	struct target t;

	if (target_start(&t, "clone", 3, 0, 0, 0, NULL)) {
		target_stop(&t);
		return;
	}
	if (FAILED(kmd_tr_open(&tr))) {
		target_stop(&t);
		{ problem("cannot connect"); return; }
	}
	while (before_deadline()) {
		struct walk w;

		iterations++;
		plain_session(tr, t.pid, "", opened_only, false, &w);
		if (w.threads > max_threads)
			max_threads = w.threads;
		if (!moves_within(&t, 0, 3, bound_ms) || !spawns_within(&t, bound_ms))
			problem("the cloning target did not run again within %u ms", bound_ms);
	}
	note("threads created and joined: %" PRIu64 "; at most %u threads in a snapshot",
	     t.f->spawned, max_threads);
	kmd_tr_close(tr);
	check_no_session_left(&t);
	target_stop(&t);
}

/* ---- zombie-leader ---- */

/* The leader got to pthread_exit and is a zombie (State Z) within @ms. */
static bool leader_zombie_within(struct target *t, unsigned int ms)
{
	uint64_t end = now_us() + span_us() + (uint64_t)ms * 1000;
	struct tstate s[64];
	int n;

	while (!__atomic_load_n(&t->f->attacking, __ATOMIC_ACQUIRE)) {
		if (now_us() > end) {
			problem("the leader never got to pthread_exit");
			return false;
		}
		usleep(500);
	}
	for (;;) {
		n = thread_states(t->pid, s, 64);
		if (state_of(s, n, t->pid) == 'Z')
			return true;
		if (now_us() > end) {
			problem("the leader %d is not a zombie after its pthread_exit (%c)",
				(int)t->pid, state_of(s, n, t->pid));
			return false;
		}
		usleep(1000);
	}
}

static void sc_zombie(void)
{
	struct kmd_tr *tr;

	if (FAILED(kmd_tr_open(&tr)))
		{ problem("cannot connect"); return; }
	while (before_deadline()) {
		bool by_tid = rnd_below(2), task_proof = rnd_below(2);
		struct kmd_tr_session s;
		char proof[96], tag[32];
		struct target t;
		pid_t tid, who;
		HRESULT hr;
		int perr;

		if (target_start(&t, "zombie", 3, 0, rnd_below(span_us()), 0, NULL)) {
			target_stop(&t);
			break;
		}
		iterations++;
		tid = (pid_t)t.f->tids[0];
		who = by_tid ? tid : t.pid;
		if (task_proof)
			snprintf(proof, sizeof(proof), "/proc/%d/task/%d/mem", (int)t.pid, (int)tid);
		else
			snprintf(proof, sizeof(proof), "/proc/%d/mem", (int)t.pid);
		snprintf(tag, sizeof(tag), "%s,%s:", by_tid ? "tid" : "pid",
			 task_proof ? "task-mem" : "pid-mem");
		sleep_us(rnd_below(lat_us / 2 + 500));
		hr = session_open(tr, who, proof, WATCHDOG_MS, &s, &perr);
		open_outcome(tag, hr, perr,
			     task_proof ? opened_or_gone : opened_gone_or_denied);
		if (!perr && SUCCEEDED(hr)) {
			HRESULT c;

			hold(tr, s.session_id, rnd_below(2 * lat_us + 2000), NULL, &t, false);
			c = kmd_tr_session_close(tr, s.session_id, NULL);
			outcome("close:%s", HRN(c));
			if (c != S_OK)
				problem("session-close answered %s", HRN(c));
		}
		if (!moves_within(&t, 0, 3, bound_ms))
			problem("the threads of the target whose leader exits did not run again within %u ms",
				bound_ms);
		else if (!leader_zombie_within(&t, bound_ms))
			show_states(t.pid);
		target_stop(&t);
	}
	kmd_tr_close(tr);
}

/* ---- ptrace-stopped ---- */

static pid_t attached[SOAK_SLOTS + 4];
static int nattached;

static bool wait_stop(pid_t tid, unsigned int ms)
{
	uint64_t end = now_us() + (uint64_t)ms * 1000;
	int st;

	for (;;) {
		pid_t r = waitpid(tid, &st, __WALL | WNOHANG);

		if (r == tid && WIFSTOPPED(st))
			return true;
		if (r < 0 || now_us() > end)
			return false;
		usleep(500);
	}
}

/* The tracer: parent of the target; attaches and detaches on command. */
static void tracer_main(int cmd, int ans)
{
	struct target t;
	char c;
	int variant = 0;

	if (target_start(&t, "count", 3, 1, 0, 0, NULL))
		_exit(2);
	if (write(ans, &t.pid, sizeof(t.pid)) != sizeof(t.pid))
		_exit(3);
	while (read(cmd, &c, 1) == 1) {
		bool ok = true;
		int i;

		if (c >= '0' && c <= '2') {
			variant = c - '0';
			nattached = 0;
			if (variant == 0) {
				/*
				 * The attach's SIGSTOP stops the leader (signal-delivery
				 * stop); passing it on starts a group stop: the leader is
				 * then in a ptrace stop (t), the other threads in a
				 * job-control stop (T).
				 */
				attached[nattached++] = t.pid;
				ok = !ptrace(PTRACE_ATTACH, t.pid, 0, 0) && wait_stop(t.pid, bound_ms) &&
				     !ptrace(PTRACE_CONT, t.pid, 0, SIGSTOP) && wait_stop(t.pid, bound_ms);
			} else {
				struct tstate s[64];
				int n = thread_states(t.pid, s, 64);

				for (i = 0; i < n; i++) {
					if (variant == 2 && s[i].tid != t.pid &&
					    s[i].tid != (pid_t)t.f->tids[0])
						continue;
					if (ptrace(PTRACE_SEIZE, s[i].tid, 0, 0) ||
					    ptrace(PTRACE_INTERRUPT, s[i].tid, 0, 0)) {
						ok = false;
						continue;
					}
					attached[nattached++] = s[i].tid;
				}
				for (i = 0; i < nattached; i++)
					ok &= wait_stop(attached[i], bound_ms);
			}
			c = ok ? 'o' : 'f';
		} else if (c == 'd') {
			for (i = 0; i < nattached; i++)
				ok &= !ptrace(PTRACE_DETACH, attached[i], 0, 0);
			if (variant == 0)
				kill(t.pid, SIGCONT);
			nattached = 0;
			c = ok ? 'o' : 'f';
		} else if (c == 'l') {
			/* the attached tids, for the driver's checks */
			if (write(ans, &nattached, sizeof(nattached)) < 0 ||
			    write(ans, attached, sizeof(attached[0]) * (size_t)nattached) < 0)
				_exit(3);
			continue;
		} else {
			break;
		}
		if (write(ans, &c, 1) != 1)
			_exit(3);
	}
	target_stop(&t);
	_exit(0);
}

static bool tracer_do(int cmd, int ans, char c, unsigned int ms)
{
	struct pollfd pfd = { .fd = ans, .events = POLLIN };
	char r = 0;

	if (write(cmd, &c, 1) != 1)
		return false;
	if (poll(&pfd, 1, (int)ms) != 1 || read(ans, &r, 1) != 1)
		return false;
	return r == 'o';
}

static int tracer_list(int cmd, int ans, pid_t *tids)
{
	int n = 0;

	if (write(cmd, "l", 1) != 1 || read(ans, &n, sizeof(n)) != sizeof(n) || n < 0 ||
	    n > SOAK_SLOTS + 4 || read(ans, tids, sizeof(*tids) * (size_t)n) != (ssize_t)(sizeof(*tids) * (size_t)n))
		return -1;
	return n;
}

/* Every thread stopped in @before (t or T) shows the same state in @pid now. */
static int stops_kept(pid_t pid, const struct tstate *before, int nb, const char *when)
{
	struct tstate now[64];
	int i, n = thread_states(pid, now, 64), lost = 0;

	for (i = 0; i < nb; i++) {
		char was = before[i].state, is_now = state_of(now, n, before[i].tid);

		if (was != 't' && was != 'T')
			continue;
		if (is_now != was) {
			problem("thread %d was in %s (%c) before the session and is %c %s: the dump resumed it",
				(int)before[i].tid, was == 't' ? "a ptrace stop" : "a job-control stop",
				was, is_now, when);
			lost++;
		}
	}
	return lost;
}

static void sc_ptrace(void)
{
	int cmd[2], ans[2], status;
	struct kmd_tr *tr;
	struct target t;
	pid_t tracer;

	if (FAILED(kmd_tr_open(&tr)))
		{ problem("cannot connect"); return; }
	if (pipe(cmd) < 0 || pipe(ans) < 0)
		{ problem("pipe: %s", strerror(errno)); return; }
	tracer = fork();
	if (tracer == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(cmd[1]);
		close(ans[0]);
		tracer_main(cmd[0], ans[1]);
	}
	close(cmd[0]);
	close(ans[1]);
	memset(&t, 0, sizeof(t));
	t.threads = 3;
	soak_file_path(t.file, sizeof(t.file));
	{
		struct pollfd pfd = { .fd = ans[0], .events = POLLIN };

		if (poll(&pfd, 1, (int)bound_ms * 2) != 1 ||
		    read(ans[0], &t.pid, sizeof(t.pid)) != sizeof(t.pid) || target_map(&t)) {
			problem("the tracer did not start its target");
			goto out;
		}
	}
	t.reaped = true;	/* the tracer's child: the tracer reaps it */
	while (before_deadline()) {
		int variant = (int)rnd_below(3);
		bool racing = rnd_below(3) == 0;
		struct tstate before[64];
		int nb = 0, i, n;
		pid_t tids[SOAK_SLOTS + 4];
		struct walk w;
		char c = (char)('0' + variant);

		iterations++;
		if (!racing) {
			if (!tracer_do(cmd[1], ans[0], c, bound_ms * 2)) {
				problem("the tracer could not stop the target (variant %d)", variant);
				show_states(t.pid);
				break;
			}
			/* variant 0: the group stop reaches the other threads on its own */
			if (variant == 0 && !all_stopped_within(t.pid, bound_ms)) {
				problem("the group stop did not reach every thread");
				show_states(t.pid);
			}
			nb = thread_states(t.pid, before, 64);
			for (i = 0; i < nb; i++)
				outcome("stopped-before:%c", before[i].state);
			plain_session(tr, t.pid, "", opened_only, false, &w);
			stops_kept(t.pid, before, nb, "right after the session");
			usleep(100000);
			stops_kept(t.pid, before, nb, "100 ms after the session");
		} else {
			if (write(cmd[1], &c, 1) != 1)
				break;
			sleep_us(rnd_below(lat_us));
			plain_session(tr, t.pid, "racing:", opened_only, false, &w);
			{
				struct pollfd pfd = { .fd = ans[0], .events = POLLIN };
				char r = 0;

				if (poll(&pfd, 1, (int)bound_ms * 2) != 1 || read(ans[0], &r, 1) != 1 ||
				    r != 'o') {
					problem("the attach racing the session (variant %d) never completed",
						variant);
					show_states(t.pid);
					break;
				}
			}
			n = tracer_list(cmd[1], ans[0], tids);
			for (i = 0; i < n; i++) {
				struct tstate s[64];
				int k = thread_states(t.pid, s, 64);

				if (state_of(s, k, tids[i]) != 't')
					problem("thread %d traced during the session is not in a ptrace stop after it (%c)",
						(int)tids[i], state_of(s, k, tids[i]));
			}
		}
		if (!tracer_do(cmd[1], ans[0], 'd', bound_ms * 2)) {
			problem("the tracer could not detach");
			break;
		}
		if (!moves_within(&t, 0, 3, bound_ms))
			problem("the target did not run again within %u ms after the tracer detached",
				bound_ms);
	}
	check_no_session_left(&t);
out:
	if (write(cmd[1], "q", 1) < 0)
		kill(tracer, SIGKILL);
	if (!reap_pid(tracer, bound_ms, &status)) {
		kill(tracer, SIGKILL);
		waitpid(tracer, &status, 0);
	}
	close(cmd[1]);
	close(ans[0]);
	if (t.f)
		munmap(t.f, sizeof(*t.f));
	unlink(t.file);
	kmd_tr_close(tr);
}

/* ---- sigstopped ---- */

static void sc_sigstop(void)
{
	struct kmd_tr *tr;
	struct target t;

	if (FAILED(kmd_tr_open(&tr)))
		{ problem("cannot connect"); return; }
	if (target_start(&t, "count", 3, 1, 0, 0, NULL)) {
		target_stop(&t);
		kmd_tr_close(tr);
		return;
	}
	while (before_deadline()) {
		bool racing = rnd_below(3) == 0;
		struct tstate before[64];
		struct walk w;
		int nb;

		iterations++;
		if (!racing) {
			kill(t.pid, SIGSTOP);
			if (!all_states_within(t.pid, 'T', bound_ms)) {
				problem("SIGSTOP did not stop every thread within %u ms", bound_ms);
				show_states(t.pid);
				break;
			}
			nb = thread_states(t.pid, before, 64);
			plain_session(tr, t.pid, "", opened_only, false, &w);
			stops_kept(t.pid, before, nb, "right after the session");
			usleep(100000);
			stops_kept(t.pid, before, nb, "100 ms after the session");
		} else {
			sched_signal(t.pid, SIGSTOP, rnd_below(span_us()));
			plain_session(tr, t.pid, "racing:", opened_only, false, &w);
			sched_wait();
			if (!all_states_within(t.pid, 'T', bound_ms)) {
				problem("a SIGSTOP sent during the session did not stop the target within %u ms after it",
					bound_ms);
				show_states(t.pid);
			}
		}
		kill(t.pid, SIGCONT);
		if (!moves_within(&t, 0, 3, bound_ms))
			problem("the target did not run again within %u ms after SIGCONT", bound_ms);
	}
	kill(t.pid, SIGCONT);
	kmd_tr_close(tr);
	kill(t.pid, SIGUSR1);
	check_no_session_left(&t);
	target_stop(&t);
}

/* ---- main ---- */

static const struct {
	const char *name;
	void (*run)(void);
} scenarios[] = {
	{ "target-exit", NULL },
	{ "target-sigkill", NULL },
	{ "exec", NULL },
	{ "setuid-exec", NULL },
	{ "coredump", NULL },
	{ "requester-exit", sc_requester_exit },
	{ "concurrent-close", sc_concurrent_close },
	{ "rmmod-churn", sc_rmmod_churn },
	{ "vfork", sc_vfork },
	{ "io-uring", sc_iouring },
	{ "ptrace-stopped", sc_ptrace },
	{ "sigstopped", sc_sigstop },
	{ "zombie-leader", sc_zombie },
	{ "clone-during-freeze", sc_clone },
};

int main(int argc, char **argv)
{
	const char *seed = getenv("KMDUMP_SOAK_SEED"), *kernel = getenv("KMDUMP_KERNEL");
	unsigned int i, nsc = sizeof(scenarios) / sizeof(scenarios[0]);
	pthread_t killer;
	double seconds;
	int a;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 5) {
		fprintf(stderr, "usage: attack-soak SCENARIO SECONDS DIR TARGET-PROG [suid=PROG ARGS]... [core=DIR]\n");
		return 2;
	}
	scenario = argv[1];
	seconds = strtod(argv[2], NULL);
	dir = argv[3];
	target_prog = argv[4];
	for (a = 5; a < argc; a++) {
		if (!strncmp(argv[a], "suid=", 5) && nsuid < 4) {
			char *p = strdup(argv[a] + 5), *save = NULL, *w;
			unsigned int k = 0;

			for (w = strtok_r(p, " ", &save); w && k < 7; w = strtok_r(NULL, " ", &save))
				suid_argv[nsuid][k++] = w;
			suid_argv[nsuid][k] = NULL;
			if (k)
				nsuid++;
		} else if (!strncmp(argv[a], "core=", 5)) {
			core_dir = argv[a] + 5;
		} else if (!strncmp(argv[a], "ko=", 3)) {
			ko_path = argv[a] + 3;
		}
	}
	if (kernel && !strcmp(kernel, "debug"))
		bound_ms = 60000;
	rng = seed ? strtoull(seed, NULL, 0) : (now_us() ^ ((uint64_t)getpid() << 32));
	if (!rng)
		rng = 1;
	note("%s: seed %" PRIu64 " (KMDUMP_SOAK_SEED), %.0f s, uid %d", scenario, rng, seconds,
	     (int)getuid());
	for (i = 0; i < nsuid; i++)
		note("setuid program %u: %s", i, suid_argv[i][0]);
	if (pthread_create(&killer, NULL, killer_fn, NULL))
		return fprintf(stderr, "pthread_create failed\n"), 1;
	deadline = now_us() + (uint64_t)(seconds * 1e6);
	if (!strcmp(scenario, "rmmod-churner"))
		return run_churner(ko_path);

	if (!strcmp(scenario, "target-exit"))
		sc_target_attack(A_EXIT);
	else if (!strcmp(scenario, "target-sigkill"))
		sc_target_attack(A_KILL);
	else if (!strcmp(scenario, "exec"))
		sc_target_attack(A_EXEC);
	else if (!strcmp(scenario, "setuid-exec"))
		sc_target_attack(A_SUID);
	else if (!strcmp(scenario, "coredump"))
		sc_target_attack(A_CORE);
	else {
		for (i = 0; i < nsc; i++)
			if (scenarios[i].run && !strcmp(scenario, scenarios[i].name))
				break;
		if (i == nsc)
			return fprintf(stderr, "attack-soak: no scenario '%s'\n", scenario), 2;
		scenarios[i].run();
	}

	for (i = 0; i < noutcomes; i++)
		printf("outcome %s=%lu\n", outcomes[i].name, outcomes[i].n);
	note("mean session-open %" PRIu64 " us", lat_us);
	printf("soak scenario=%s iterations=%" PRIu64 " problems=%" PRIu64 "\n", scenario,
	       iterations, problems);
	if (!iterations)
		printf("problem: no iteration ran\n");
	return problems || !iterations ? 1 : 0;
}
#endif /* SOAK_TARGET */
