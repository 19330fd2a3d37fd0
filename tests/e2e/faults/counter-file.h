/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shared file through which counter-target shows that its threads run
 * (counter-target.c), and the watcher's side: start a target, wait until all
 * its threads count, tell whether they are frozen or all moving again.
 */
#ifndef FAULTS_COUNTER_FILE_H
#define FAULTS_COUNTER_FILE_H

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define COUNTER_MAGIC		0x6b6d64756d70636eULL	/* "kmdumpcn" */
#define COUNTER_MAX_THREADS	4096

struct counter_file {
	uint64_t magic;		/* written last, once every thread was started */
	uint64_t threads;	/* counting threads */
	uint64_t started;	/* counting threads that ran */
	uint64_t blocked;	/* threads that reached their blocking read */
	uint64_t count[];	/* one per counting thread */
};

static inline size_t counter_file_size(unsigned long threads)
{
	return sizeof(struct counter_file) + threads * sizeof(uint64_t);
}

static inline uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* A running counter-target and the watcher's view of its file. */
struct counter_target {
	pid_t pid;
	const volatile struct counter_file *cf;
	unsigned long threads, blocked;
	size_t size;
	uint64_t *seen;		/* counts at the last counter_mark() */
};

/*
 * Starts PROG (the counter-target binary) on FILE and waits up to @wait_ms for
 * every thread to run. Returns 0, or -1 with a message on stdout.
 */
static inline int counter_start(struct counter_target *t, const char *prog, const char *file,
				unsigned long threads, unsigned long blocked, unsigned long mib,
				unsigned int wait_ms)
{
	char n[24], b[24], m[24];
	uint64_t end = now_ms() + wait_ms;
	void *map;
	int fd = -1;

	memset(t, 0, sizeof(*t));
	unlink(file);
	snprintf(n, sizeof(n), "%lu", threads);
	snprintf(b, sizeof(b), "%lu", blocked);
	snprintf(m, sizeof(m), "%lu", mib);
	t->pid = fork();
	if (t->pid < 0)
		return perror("fork"), -1;
	if (t->pid == 0) {
		execl(prog, prog, file, n, b, m, (char *)NULL);
		perror(prog);
		_exit(127);
	}
	t->threads = threads;
	t->blocked = blocked;
	t->size = counter_file_size(threads);
	while (now_ms() < end) {
		struct stat st;

		if (fd < 0)
			fd = open(file, O_RDONLY);
		if (fd >= 0 && fstat(fd, &st) == 0 && (size_t)st.st_size >= t->size)
			break;
		usleep(10000);
	}
	if (fd < 0)
		return printf("# counter-target did not create %s\n", file), -1;
	map = mmap(NULL, t->size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return perror("mmap counter file"), -1;
	t->cf = map;
	t->seen = calloc(threads, sizeof(uint64_t));
	while (now_ms() < end) {
		if (__atomic_load_n(&t->cf->magic, __ATOMIC_ACQUIRE) == COUNTER_MAGIC &&
		    t->cf->started == threads && t->cf->blocked == blocked)
			return 0;
		usleep(10000);
	}
	printf("# counter-target pid %d: %llu of %lu threads started, %llu of %lu blocked\n",
	       (int)t->pid, (unsigned long long)t->cf->started, threads,
	       (unsigned long long)t->cf->blocked, blocked);
	return -1;
}

/* Remembers every thread's count. */
static inline void counter_mark(struct counter_target *t)
{
	unsigned long i;

	for (i = 0; i < t->threads; i++)
		t->seen[i] = __atomic_load_n(&t->cf->count[i], __ATOMIC_RELAXED);
}

/* Threads whose count changed since counter_mark(). */
static inline unsigned long counter_moved(const struct counter_target *t)
{
	unsigned long i, n = 0;

	for (i = 0; i < t->threads; i++)
		n += __atomic_load_n(&t->cf->count[i], __ATOMIC_RELAXED) != t->seen[i];
	return n;
}

/* True when no thread counts for @ms milliseconds: the target is frozen. */
static inline int counter_still_for(struct counter_target *t, unsigned int ms)
{
	counter_mark(t);
	usleep(ms * 1000);
	return counter_moved(t) == 0;
}

/*
 * Waits up to @limit_ms for every thread to count again after counter_mark();
 * returns the milliseconds that took, or -1 (and *moved gets how many did).
 */
static inline long counter_all_move_within(struct counter_target *t, uint64_t since_ms,
					   unsigned int limit_ms, unsigned long *moved)
{
	uint64_t end = since_ms + limit_ms;

	for (;;) {
		*moved = counter_moved(t);
		if (*moved == t->threads)
			return (long)(now_ms() - since_ms);
		if (now_ms() >= end)
			return -1;
		usleep(1000);
	}
}

static inline void counter_stop(struct counter_target *t)
{
	int status;

	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, &status, 0);
	}
	if (t->cf)
		munmap((void *)t->cf, t->size);
	free(t->seen);
	memset(t, 0, sizeof(*t));
}

#endif /* FAULTS_COUNTER_FILE_H */
