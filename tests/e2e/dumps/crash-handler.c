// SPDX-License-Identifier: GPL-2.0
/*
 * crash-handler: a program with an in-process crash handler built on libkmdump's native
 * API, the way Breakpad's exception handler works. A helper process, forked at start
 * (before any thread exists), waits for a crash; the SIGSEGV handler (on an alternate
 * signal stack, as real handlers use) records the exception - thread, signal, si_code,
 * fault address and the registers at the fault - in a shared page, wakes the helper and
 * blocks until the helper has written the dump with kmdump_write_dump_file() and that
 * exception information. Then the program dies of the signal as it would have.
 *
 *   crash-handler DUMP
 *
 * Threads: main (waits in pthread_join for the crasher), an idler (idle_thread ->
 * idle_level1 -> nanosleep) and the crasher, which sets up its alternate signal stack and
 * then runs crash_thread -> crash_level1 -> crash_level2, a store to address 0x10
 * (SIGSEGV, SEGV_MAPERR). The crasher prints, just before the store:
 *   CRASHING <pid> <crasher tid> <idle tid>
 * and the helper prints the library's result:
 *   DUMPED <hresult hex> <threads> <modules> <message>
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <kmdump/kmdump.h>

#define NOINLINE __attribute__((noinline))
#define FAULT_ADDRESS 0x10

/* What the signal handler hands to the helper: lives in a MAP_SHARED page. */
struct crash_info {
	struct kmdump_exception exception;
	struct kmdump_context context;
};

static struct crash_info *shared;
static int crash_pipe[2], done_pipe[2];
static pid_t idle_tid;
static atomic_int idle_ready;

static void crash_signal(int signo, siginfo_t *si, void *uc)
{
	char c = 0;

	shared->exception.thread_id = (uint32_t)syscall(SYS_gettid);
	shared->exception.signo = signo;
	shared->exception.si_code = si->si_code;
	shared->exception.fault_address = (uint64_t)(uintptr_t)si->si_addr;
	kmdump_context_from_ucontext(&shared->context, uc);
	/* Wake the helper and wait (blocked in read) until the dump is written. */
	if (write(crash_pipe[1], &c, 1) == 1)
		while (read(done_pipe[0], &c, 1) < 0)
			;
	signal(signo, SIG_DFL);
	raise(signo);
}

/* The helper process: writes the dump of its parent when the handler asks. */
static int helper(pid_t target, const char *path)
{
	struct kmdump_options opts = KMDUMP_OPTS(.exception = &shared->exception);
	struct kmdump_result res = KMDUMP_RESULT_INIT;
	int32_t hr;
	char c;

	close(crash_pipe[1]);
	close(done_pipe[0]);
	if (read(crash_pipe[0], &c, 1) != 1)
		return 0; /* the program ended without a crash */
	shared->exception.context = &shared->context;
	hr = kmdump_write_dump_file(target, path, &opts, &res);
	printf("DUMPED 0x%08x %u %u %s\n", (unsigned int)hr, res.threads, res.modules,
	       res.message);
	fflush(stdout);
	c = 1;
	if (write(done_pipe[1], &c, 1) != 1)
		return 1;
	return !KMDUMP_SUCCEEDED(hr);
}

static NOINLINE void crash_level2(void)
{
	*(volatile int *)FAULT_ADDRESS = 1;
}

static NOINLINE void crash_level1(void)
{
	crash_level2();
	__asm__ volatile("" ::: "memory"); /* no tail call: keep this frame */
}

static NOINLINE void *crash_thread(void *arg)
{
	static char altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };

	/* Signal stacks are per thread: a crash handler sets one up in every thread. */
	if (sigaltstack(&ss, NULL)) {
		perror("sigaltstack");
		exit(1);
	}
	printf("CRASHING %d %d %d\n", (int)getpid(), (int)syscall(SYS_gettid), (int)idle_tid);
	fflush(stdout);
	crash_level1();
	return arg;
}

static NOINLINE void idle_level1(void)
{
	struct timespec ts = { .tv_sec = 3600 };

	idle_tid = (pid_t)syscall(SYS_gettid);
	atomic_store(&idle_ready, 1);
	for (;;)
		nanosleep(&ts, NULL);
}

static NOINLINE void *idle_thread(void *arg)
{
	idle_level1();
	return arg;
}

static int install_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = crash_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSEGV, &sa, NULL);
}

int main(int argc, char **argv)
{
	struct timespec tick = { .tv_nsec = 1000000 };
	pthread_t idle, crasher;
	pid_t child;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DUMP\n", argv[0]);
		return 2;
	}
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	if (shared == MAP_FAILED || pipe(crash_pipe) || pipe(done_pipe) || install_handler()) {
		perror("crash-handler");
		return 1;
	}
	fflush(stdout);
	child = fork();
	if (child < 0) {
		perror("fork");
		return 1;
	}
	if (child == 0)
		_exit(helper(getppid(), argv[1]));
	close(crash_pipe[0]);
	close(done_pipe[1]);
	if (pthread_create(&idle, NULL, idle_thread, NULL)) {
		perror("pthread_create");
		return 1;
	}
	pthread_setname_np(idle, "rd-idle");
	while (!atomic_load(&idle_ready))
		nanosleep(&tick, NULL);
	if (pthread_create(&crasher, NULL, crash_thread, NULL)) {
		perror("pthread_create");
		return 1;
	}
	pthread_join(crasher, NULL);
	return 0;
}
