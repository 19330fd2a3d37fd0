// SPDX-License-Identifier: GPL-2.0
/*
 * proof: asks the module to open a session with a chosen descriptor as the
 * proof of access (DESIGN decision 6: an open /proc/<pid>/mem of the target),
 * through the library's transport, and prints what a user sees, in the test
 * client's format (tests/e2e/client/kmdump-client.c):
 *
 *   opened hresult=0x... session=N pid=N threads=N ...   then   closed hresult=0x...
 *   error hresult=0x... name=... what=session-open msg=<the module's message>
 *   error hresult=0x... name=... what=open-proof msg=<path>: <strerror>
 *
 *   proof PID path PATH      PATH opened read-only
 *   proof PID wronly PATH    PATH opened write-only
 *   proof PID opath PATH     PATH opened with O_PATH (no file operations)
 *   proof PID number N       the number N as is (closed, negative, huge)
 *   proof PID pipe|socket|memfd|dir
 *   proof - exec PROG ARG... the target is a child of this program whose
 *                            /proc/<child>/mem is opened BEFORE it execs PROG;
 *                            that stale descriptor is the proof
 *   proof - reopen PROG ARG... the same child, its mem reopened after the exec
 *
 * PID "self" is this program's own pid (a requester dumping itself).
 *
 *   proof - kdump FILE       a whole-system kernel dump into FILE, without joining
 *                            the status group (prints "kdump-started ..." or the error)
 *
 * Exits 0 when the session opened (and closed), 1 when it was refused, 2 on a
 * usage or setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "transport.h"
#include "engine.h"
#include "faults.h"

static void print_error(struct kmd_tr *tr, HRESULT hr, const char *what, const char *msg)
{
	const char *name = kmdump_hresult_name(hr);

	printf("error hresult=0x%08" PRIx32 " name=%s what=%s msg=%s\n", (uint32_t)hr,
	       name ? name : "?", what, msg ? msg : kmd_tr_errmsg(tr));
}

static int open_failed(const char *path)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s: %s", path, strerror(errno));
	print_error(NULL, kmd_hresult_from_errno(errno), "open-proof", msg);
	return -1;
}

/*
 * Forks a child that execs @argv once told to (a byte on *go); returns its pid.
 * *done reads EOF once the exec succeeded (the child's end is close-on-exec)
 * and a byte if it failed.
 */
static pid_t exec_child(char **argv, int *go, int *done)
{
	int p[2], q[2];
	pid_t pid;
	char c;

	if (pipe(p) < 0 || pipe2(q, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		close(q[0]);
		if (read(p[0], &c, 1) != 1)
			_exit(126);
		execv(argv[0], argv);
		c = 1;
		if (write(q[1], &c, 1) != 1)
			_exit(125);
		_exit(127);
	}
	close(p[0]);
	close(q[1]);
	*go = p[1];
	*done = q[0];
	return pid;
}

/* Lets the child exec and waits until it did. */
static int exec_now(int go, int done)
{
	char c;
	ssize_t n;

	n = write(go, "x", 1);
	close(go);
	if (n != 1)
		return -1;
	n = read(done, &c, 1);
	close(done);
	return n == 0 ? 0 : -1;
}

static int make_fd(const char *kind, const char *arg)
{
	int fd, sv[2], p[2];

	if (!strcmp(kind, "path") || !strcmp(kind, "wronly") || !strcmp(kind, "opath")) {
		int flags = !strcmp(kind, "path") ? O_RDONLY :
			    !strcmp(kind, "wronly") ? O_WRONLY : O_PATH;

		if (!arg)
			return -2;
		fd = open(arg, flags);
		return fd < 0 ? open_failed(arg) : fd;
	}
	if (!strcmp(kind, "pipe"))
		return pipe(p) < 0 ? -2 : p[0];
	if (!strcmp(kind, "socket"))
		return socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ? -2 : sv[0];
	if (!strcmp(kind, "memfd"))
		return memfd_create("kmdump-forged-proof", 0);
	if (!strcmp(kind, "dir"))
		return open("/proc/self", O_RDONLY | O_DIRECTORY);
	return -2;
}

static int open_session(uint32_t pid, int fd)
{
	struct kmd_tr_session s;
	struct kmd_tr *tr;
	uint64_t paused = 0;
	HRESULT hr;

	hr = kmd_tr_open(&tr);
	if (FAILED(hr)) {
		print_error(NULL, hr, "connect", NULL);
		return 2;
	}
	hr = kmd_tr_session_open(tr, pid, fd, 0, 0, &s);
	if (FAILED(hr)) {
		print_error(tr, hr, "session-open", NULL);
		kmd_tr_close(tr);
		return 1;
	}
	printf("opened hresult=0x%08" PRIx32 " session=%" PRIu32 " pid=%" PRIu32
	       " threads=%" PRIu32 "\n", (uint32_t)s.hr, s.session_id, s.pid, s.threads);
	hr = kmd_tr_session_close(tr, s.session_id, &paused);
	if (FAILED(hr))
		print_error(tr, hr, "session-close", NULL);
	else
		printf("closed hresult=0x%08" PRIx32 " pause_ns=%" PRIu64 "\n", (uint32_t)hr,
		       paused);
	kmd_tr_close(tr);
	return 0;
}

static int exec_case(int reopen, char **argv)
{
	char path[64];
	pid_t child;
	int fd, go, done, rc, status;

	child = exec_child(argv, &go, &done);
	if (child < 0)
		return perror("fork"), 2;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)child);
	fd = reopen ? -1 : open(path, O_RDONLY);
	if (!reopen && fd < 0) {
		printf("# cannot open %s before the exec: %s\n", path, strerror(errno));
		rc = 2;
	} else if (exec_now(go, done)) {
		printf("# the child did not exec %s\n", argv[0]);
		rc = 2;
	} else {
		printf("# child %d exec'd %s; proof opened %s the exec\n", (int)child, argv[0],
		       reopen ? "after" : "before");
		if (reopen)
			fd = open(path, O_RDONLY);
		rc = fd < 0 ? (open_failed(path), 1) : open_session((uint32_t)child, fd);
	}
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	return rc;
}

static int kdump(const char *file)
{
	struct kmd_tr *tr;
	uint32_t job = 0;
	HRESULT hr;
	int fd;

	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return open_failed(file), 2;
	hr = kmd_tr_open(&tr);
	if (FAILED(hr)) {
		print_error(NULL, hr, "connect", NULL);
		return 2;
	}
	hr = kmd_tr_kernel_dump(tr, 0, fd, &job);
	if (FAILED(hr))
		print_error(tr, hr, "kernel-dump", NULL);
	else
		printf("kdump-started hresult=0x%08" PRIx32 " job=%" PRIu32 "\n", (uint32_t)hr, job);
	close(fd);
	kmd_tr_close(tr);
	return FAILED(hr) ? 1 : 0;
}

static uint32_t target_pid(const char *arg)
{
	return !strcmp(arg, "self") ? (uint32_t)getpid() : (uint32_t)strtoul(arg, NULL, 0);
}

int main(int argc, char **argv)
{
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		return fprintf(stderr, "usage: see the comment at the top of proof.c\n"), 2;
	if (!strcmp(argv[2], "exec") || !strcmp(argv[2], "reopen"))
		return argc < 4 ? 2 : exec_case(!strcmp(argv[2], "reopen"), argv + 3);
	if (!strcmp(argv[2], "kdump") && argc > 3)
		return kdump(argv[3]);
	if (!strcmp(argv[2], "number") && argc > 3)
		return open_session(target_pid(argv[1]), atoi(argv[3]));
	fd = make_fd(argv[2], argc > 3 ? argv[3] : NULL);
	if (fd == -2)
		return fprintf(stderr, "proof: bad kind %s or missing argument\n", argv[2]), 2;
	if (fd == -1)
		return 1;	/* the kernel refused the open itself: printed */
	return open_session(target_pid(argv[1]), fd);
}
