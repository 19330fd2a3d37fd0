// SPDX-License-Identifier: GPL-2.0
/*
 * dumps-target: the process the readers' tests dump. Every thread has its own, known
 * call chain (built with -g and frame pointers, no inlining, no tail calls), so a reader
 * that shows the right function names on the right frames has unwound the right stack
 * from the right registers:
 *
 *   main     main -> main_idle -> main_idle_level1 -> pause()
 *   reader   reader_thread -> reader_level1 -> reader_level2 -> read() on an empty pipe
 *   sleeper  sleeper_thread -> sleeper_level1 -> nanosleep()
 *   spinner  spinner_thread -> spinner_level1 -> spinner_level2, a loop in user code
 *   waiter   waiter_thread -> waiter_level1 -> pthread_cond_wait()
 *
 * The threads are named (pthread_setname_np) "rd-reader", "rd-sleeper", "rd-spinner" and
 * "rd-waiter". It also maps PATTERN_LEN bytes filled with pattern_byte() (pattern.h), the
 * full-memory test's reference, between two inaccessible pages.
 *
 * When every thread has reached its innermost function it prints one line and then
 * never exits by itself (kill it):
 *   READY <pid> <reader tid> <sleeper tid> <spinner tid> <waiter tid> <pattern address hex> <pattern length>
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "pattern.h"

#define NOINLINE __attribute__((noinline))

enum { READER, SLEEPER, SPINNER, WAITER, NTHREADS };

static const char *const names[NTHREADS] = { "rd-reader", "rd-sleeper", "rd-spinner",
					     "rd-waiter" };
static pid_t tids[NTHREADS];
static atomic_int arrived;
static int pipe_fds[2];
static pthread_mutex_t wait_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static volatile unsigned long spins;

/* Called by each thread from its innermost function, just before it blocks or loops. */
static void arrive(int slot)
{
	tids[slot] = (pid_t)syscall(SYS_gettid);
	atomic_fetch_add(&arrived, 1);
}

static NOINLINE void reader_level2(void)
{
	char c;

	arrive(READER);
	/* Nobody ever writes to the pipe: the thread stays blocked in read(). */
	while (read(pipe_fds[0], &c, 1) != 0)
		;
}

static NOINLINE void reader_level1(void)
{
	reader_level2();
	__asm__ volatile("" ::: "memory"); /* no tail call: keep this frame */
}

static NOINLINE void *reader_thread(void *arg)
{
	reader_level1();
	return arg;
}

static NOINLINE void sleeper_level1(void)
{
	struct timespec ts = { .tv_sec = 3600 };

	arrive(SLEEPER);
	for (;;)
		nanosleep(&ts, NULL);
}

static NOINLINE void *sleeper_thread(void *arg)
{
	sleeper_level1();
	return arg;
}

static NOINLINE void spinner_level2(void)
{
	arrive(SPINNER);
	for (;;)
		spins++;
}

static NOINLINE void spinner_level1(void)
{
	spinner_level2();
	__asm__ volatile("" ::: "memory");
}

static NOINLINE void *spinner_thread(void *arg)
{
	spinner_level1();
	return arg;
}

static NOINLINE void waiter_level1(void)
{
	pthread_mutex_lock(&wait_lock);
	arrive(WAITER);
	for (;;)
		pthread_cond_wait(&never, &wait_lock);
}

static NOINLINE void *waiter_thread(void *arg)
{
	waiter_level1();
	return arg;
}

static NOINLINE void main_idle_level1(void)
{
	for (;;)
		pause();
}

static NOINLINE void main_idle(void)
{
	main_idle_level1();
	__asm__ volatile("" ::: "memory");
}

static unsigned char *map_pattern(void)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *p = mmap(NULL, PATTERN_LEN + 2 * page, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/*
	 * An inaccessible page on each side, so the pattern's mapping never merges with a
	 * neighbour (a thread stack mapped right below it would put the top of that stack's
	 * dump block inside the pattern, and a reader that looks in the MemoryList first
	 * stops at that block's end). Unmapped holes would not do: the next mmap fills them.
	 */
	if (mprotect(p, page, PROT_NONE) || mprotect(p + page + PATTERN_LEN, page, PROT_NONE))
		return NULL;
	p += page;
	for (size_t i = 0; i < PATTERN_LEN; i++)
		p[i] = pattern_byte(i);
	return p;
}

int main(void)
{
	void *(*const fn[NTHREADS])(void *) = { reader_thread, sleeper_thread, spinner_thread,
						 waiter_thread };
	unsigned char *pattern = map_pattern();
	struct timespec tick = { .tv_nsec = 1000000 };

	if (!pattern || pipe(pipe_fds)) {
		perror("dumps-target");
		return 1;
	}
	pthread_attr_t attr;

	/* Small stacks keep the full-memory dump small (a TCG guest copies slowly). */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (int i = 0; i < NTHREADS; i++) {
		pthread_t t;

		if (pthread_create(&t, &attr, fn[i], NULL)) {
			perror("pthread_create");
			return 1;
		}
		pthread_setname_np(t, names[i]);
	}
	while (atomic_load(&arrived) < NTHREADS)
		nanosleep(&tick, NULL);
	/* Give each thread time to get from arrive() into its blocking call. */
	tick.tv_nsec = 200000000;
	nanosleep(&tick, NULL);
	printf("READY %d %d %d %d %d %lx %lu\n", (int)getpid(), (int)tids[READER],
	       (int)tids[SLEEPER], (int)tids[SPINNER], (int)tids[WAITER],
	       (unsigned long)pattern, (unsigned long)PATTERN_LEN);
	fflush(stdout);
	main_idle();
	return 0;
}
