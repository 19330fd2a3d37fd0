// SPDX-License-Identifier: GPL-2.0
/*
 * counter-target FILE THREADS [BLOCKED] [MIB] [leader-exits]: a target whose
 * every thread a test can watch. It maps FILE (shared, sized to fit) and starts THREADS
 * counting threads; thread i increments counter i about every 2 ms, so a test
 * sees each thread stop while kmdump holds the target frozen and move again once
 * it is thawed. BLOCKED more threads block in read(2) on a pipe nobody writes
 * (threads blocked in the kernel, which the freeze leaves blocked); SIGUSR1 closes
 * the pipe's write end, so all of them wake (EOF), return to user mode and end. MIB MiB of
 * touched heap give memory reads something to stream. The main thread naps in
 * 100 ms sleeps (so only the BLOCKED threads stay in the kernel for good), or
 * with "leader-exits" leaves by pthread_exit() (a live process whose
 * thread-group leader is a zombie). Built without sanitizers: it should look like
 * an ordinary program.
 *
 * FILE layout (struct counter_file in counter-file.h): magic, thread count, threads
 * started, then one 64-bit counter per counting thread.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "counter-file.h"

static struct counter_file *cf;
static int block_pipe[2];

static void *count(void *arg)
{
	volatile uint64_t *mine = &cf->count[(uintptr_t)arg];

	__atomic_add_fetch(&cf->started, 1, __ATOMIC_RELEASE);
	for (;;) {
		__atomic_add_fetch(mine, 1, __ATOMIC_RELAXED);
		usleep(2000);
	}
	return NULL;
}

static void *block(void *arg)
{
	char c;

	(void)arg;
	__atomic_add_fetch(&cf->blocked, 1, __ATOMIC_RELEASE);
	while (read(block_pipe[0], &c, 1) != 0)
		;
	return NULL;
}

static unsigned long nblocked;

/* SIGUSR1: EOF wakes every blocked reader (a byte would wake only one of them). */
static void wake_blocked(int sig)
{
	(void)sig;
	close(block_pipe[1]);
}

static int start(void *(*fn)(void *), uintptr_t arg)
{
	pthread_attr_t a;
	pthread_t t;
	int err;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 * 1024);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&t, &a, fn, (void *)arg);
	pthread_attr_destroy(&a);
	return err;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = wake_blocked, .sa_flags = SA_RESTART };
	unsigned long n, mib, i;
	size_t size;
	char *heap;
	int fd;

	if (argc < 3)
		return fprintf(stderr,
			       "usage: counter-target FILE THREADS [BLOCKED] [MIB] [leader-exits]\n"), 2;
	n = strtoul(argv[2], NULL, 0);
	nblocked = argc > 3 ? strtoul(argv[3], NULL, 0) : 0;
	mib = argc > 4 ? strtoul(argv[4], NULL, 0) : 0;
	if (n < 1 || n > COUNTER_MAX_THREADS || nblocked > COUNTER_MAX_THREADS)
		return fprintf(stderr, "counter-target: 1..%d threads, 0..%d blocked\n",
			       COUNTER_MAX_THREADS, COUNTER_MAX_THREADS), 2;
	size = counter_file_size(n);
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0666);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		return perror(argv[1]), 1;
	cf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (cf == MAP_FAILED)
		return perror("mmap"), 1;
	close(fd);
	if (pipe(block_pipe) < 0 || sigaction(SIGUSR1, &sa, NULL) < 0)
		return perror("pipe"), 1;
	heap = mib ? malloc(mib << 20) : NULL;
	for (i = 0; heap && i < (mib << 20); i += 4096)
		heap[i] = (char)(i >> 12);
	cf->threads = n;
	for (i = 0; i < n; i++)
		if (start(count, i))
			return fprintf(stderr, "counter-target: pthread_create failed\n"), 1;
	for (i = 0; i < nblocked; i++)
		if (start(block, 0))
			return fprintf(stderr, "counter-target: pthread_create failed\n"), 1;
	__atomic_store_n(&cf->magic, COUNTER_MAGIC, __ATOMIC_RELEASE);
	if (argc > 5 && !strcmp(argv[5], "leader-exits"))
		pthread_exit(NULL);
	for (;;)
		usleep(100000);
}
