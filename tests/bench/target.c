// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's target: THREADS threads (the main thread included), each holding
 * STACK_PAGES pages of live stack, and optionally MIB mebibytes of touched heap. Every
 * dumper in the benchmark sees the same process.
 *
 *   bench-target THREADS [MIB]
 *
 * Once every thread is in place it prints "ready <pid>". The main thread then watches the
 * clock: it wakes every millisecond and remembers the longest gap between two wake-ups,
 * which is how long the process was held still (by kmdump's freeze or gdb's ptrace stop),
 * as the target itself saw it. On SIGUSR2 it prints "stall <longest gap in ns>" and starts
 * over. The other threads block in pause() until the process is killed.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STACK_PAGES 4

static pthread_barrier_t ready;
static volatile sig_atomic_t report;

/* Touch STACK_PAGES pages of this thread's stack, then wait until every thread has. */
static void hold_stack(long fill)
{
	volatile char frame[STACK_PAGES * 4096];

	memset((char *)frame, (int)fill, sizeof(frame));
	pthread_barrier_wait(&ready);
}

static void *blocked_thread(void *arg)
{
	hold_stack((long)arg);
	for (;;)
		pause();
	return NULL;
}

static int touch_heap(size_t mib)
{
	size_t len = mib << 20;
	char *heap = malloc(len);

	if (!heap && len)
		return -1;
	for (size_t off = 0; off < len; off += 4096)
		heap[off] = (char)((off >> 12) | 1);
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_usr2(int sig)
{
	(void)sig;
	report = 1;
}

/* The main thread: measure the longest gap between 1 ms ticks; report it on SIGUSR2. */
static void watch_clock(void)
{
	const struct timespec tick = { .tv_nsec = 1000000 };
	uint64_t last = now_ns(), longest = 0;

	for (;;) {
		uint64_t t;

		nanosleep(&tick, NULL);
		t = now_ns();
		if (t - last > longest)
			longest = t - last;
		last = t;
		if (report) {
			report = 0;
			printf("stall %llu\n", (unsigned long long)longest);
			fflush(stdout);
			longest = 0;
		}
	}
}

int main(int argc, char **argv)
{
	long threads = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
	long mib = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
	struct sigaction sa = { .sa_handler = on_usr2 };
	pthread_attr_t attr;

	if (threads < 1 || mib < 0) {
		fprintf(stderr, "usage: %s THREADS [MIB]\n", argv[0]);
		return 2;
	}
	if (touch_heap((size_t)mib)) {
		perror("malloc");
		return 1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_barrier_init(&ready, NULL, (unsigned int)threads);
	for (long i = 1; i < threads; i++) {
		pthread_t t;

		if (pthread_create(&t, &attr, blocked_thread, (void *)i)) {
			perror("pthread_create");
			return 1;
		}
	}
	hold_stack(0);
	printf("ready %d\n", getpid());
	fflush(stdout);
	watch_clock();
	return 0;
}
