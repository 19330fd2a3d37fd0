// SPDX-License-Identifier: GPL-2.0
/*
 * mt-target: a multi-threaded process for the capture tests, with threads in
 * every state a dump must handle and values a checker can verify:
 *
 *   spinner  runs user code forever with r12..r15 = 0x1111.., 0x2222..,
 *            0x3333.., 0x4444.. and xmm0 = the bytes 0x10, 0x11, ... 0x1f
 *   sleeper  sleeps in clock_nanosleep
 *   reader   blocks in read(0); for every byte b it reads it writes b + 1 to
 *            stdout, so a checker sees that a blocked read survived the dump
 *   vforker  vfork()s a child that pauses: the parent thread waits in D state
 *            (TASK_KILLABLE) for as long as the child lives
 *   churn    creates and joins short-lived threads without pause (threads
 *            appear and exit while the freeze rescans)
 *   main     blocks in pause()
 *
 * Memory: a page-aligned buffer filled with KMDT_PATTERN(i), and a region of
 * three pages whose middle page is unmapped (a hole) and whose last page is
 * MADV_DONTDUMP.
 *
 * When all threads run it prints one line on stdout:
 *   READY <pid> <spinner tid> <sleeper tid> <reader tid> <buf> <buf len> <region>
 *         <vforker tid>
 * (addresses in hex). It never exits by itself; kill it.
 *
 *   mt-target exec      instead re-executes itself every few milliseconds
 *                       forever (with a spinning thread each time), for
 *                       dumps that race an exec
 *   mt-target [EXTRA]   also starts EXTRA threads that wake every 100 ms (the
 *                       freeze benchmark's 1,000-thread target)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define KMDT_BUF_LEN		(256 * 1024)
#define KMDT_PATTERN(i)		((unsigned char)((i) * 131u + 7u))

static unsigned char buf[KMDT_BUF_LEN] __attribute__((aligned(4096)));
static pid_t tids[4];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int started;

static void announce(int slot)
{
	pthread_mutex_lock(&lock);
	tids[slot] = (pid_t)syscall(SYS_gettid);
	started++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

static const unsigned char xmm0_bytes[16] __attribute__((aligned(16))) = {
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

static void *spinner(void *arg)
{
	(void)arg;
	announce(0);
	__asm__ volatile(
		"movdqa (%0), %%xmm0\n\t"
		"movabs $0x1111111111111111, %%r12\n\t"
		"movabs $0x2222222222222222, %%r13\n\t"
		"movabs $0x3333333333333333, %%r14\n\t"
		"movabs $0x4444444444444444, %%r15\n\t"
		"1: pause\n\t"
		"jmp 1b\n\t"
		:: "r"(xmm0_bytes) : "r12", "r13", "r14", "r15", "xmm0", "memory");
	return NULL;
}

static void *sleeper(void *arg)
{
	struct timespec ts = { .tv_sec = 3600 };

	(void)arg;
	announce(1);
	for (;;)
		clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
	return NULL;
}

static void *reader(void *arg)
{
	unsigned char c;

	(void)arg;
	announce(2);
	while (read(0, &c, 1) == 1) {
		c++;
		if (write(1, &c, 1) != 1)
			break;
	}
	return NULL;
}

static void *vforker(void *arg)
{
	(void)arg;
	announce(3);
	if (vfork() == 0) {
		/* Only syscalls here: the child runs on the parent's stack. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return NULL;
}

static void *nothing(void *arg)
{
	return arg;
}

static void *napper(void *arg)
{
	(void)arg;
	for (;;)
		usleep(100000);
	return NULL;
}

static void *churn(void *arg)
{
	pthread_t t;

	(void)arg;
	for (;;) {
		if (pthread_create(&t, NULL, nothing, NULL) == 0)
			pthread_join(t, NULL);
		usleep(2000);
	}
	return NULL;
}

/* Exec loop: print READY once, then keep replacing the image. */
static int exec_loop(char **argv)
{
	char *again[] = { argv[0], "exec", "again", NULL };
	pthread_t t;

	if (!argv[2]) {
		printf("READY %d 0 0 0 0 0 0 0\n", (int)getpid());
		fflush(stdout);
	}
	pthread_create(&t, NULL, nothing, NULL);
	pthread_create(&t, NULL, napper, NULL);
	usleep(3000);
	execv("/proc/self/exe", again);
	return 1;
}

int main(int argc, char **argv)
{
	long extra = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	pthread_attr_t small;

	if (argc > 1 && !strcmp(argv[1], "exec"))
		return exec_loop(argv);
	void *(*fn[])(void *) = { spinner, sleeper, reader, vforker, churn };
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *region;
	pthread_t t;
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = KMDT_PATTERN(i);
	region = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	if (region == MAP_FAILED)
		return 1;
	memset(region, 0x5a, 3 * page);
	if (munmap(region + page, page) || madvise(region + 2 * page, page, MADV_DONTDUMP))
		return 1;
	for (i = 0; i < sizeof(fn) / sizeof(fn[0]); i++)
		if (pthread_create(&t, NULL, fn[i], NULL))
			return 1;
	pthread_attr_init(&small);
	pthread_attr_setstacksize(&small, 64 * 1024);
	for (i = 0; i < (size_t)extra; i++)
		if (pthread_create(&t, &small, napper, NULL))
			return 1;
	pthread_mutex_lock(&lock);
	while (started < 4)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	printf("READY %d %d %d %d %lx %x %lx %d\n", (int)getpid(), (int)tids[0], (int)tids[1],
	       (int)tids[2], (unsigned long)buf, KMDT_BUF_LEN, (unsigned long)region,
	       (int)tids[3]);
	fflush(stdout);
	for (;;)
		pause();
}
