// SPDX-License-Identifier: GPL-2.0
/*
 * stall-fuse DIR: a FUSE file system whose server never answers a READ, spoken
 * straight over /dev/fuse with <linux/fuse.h> (no libfuse). Run as root: it
 * opens /dev/fuse, mounts on DIR (nosuid, nodev, allow_other, owned by
 * nobody), then drops to nobody (a hostile user's server) and serves:
 *
 *   DIR/file    a regular file of FILE_SIZE bytes, mode 0555, in the page
 *               cache like any file: each READ the kernel sends for it is kept
 *               and never answered (a mapping of it never gets a page);
 *   DIR/direct  a regular file opened with FOPEN_DIRECT_IO: read(2) on it
 *               waits for the server itself; those READs are kept too, and
 *               SIGUSR1 answers every kept READ of it with EIO (so a test
 *               decides when a thread stuck there returns).
 *
 * FUSE_ASYNC_READ is negotiated, so page-cache reads of DIR/file wait on the
 * page lock (killable for a caller that asks for it) rather than in the
 * request itself. INTERRUPTs are ignored. It prints "mounted DIR pid=N" once
 * it serves, and one line per request ("read nodeid=N offset=N size=N
 * kept=N", "interrupt unique=N", ...), on stdout. SIGTERM or SIGINT, or the
 * connection's end (umount, /sys/fs/fuse/connections/N/abort), make it exit;
 * closing /dev/fuse aborts whatever is still waiting on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/fuse.h>

#define NOBODY		65534
#define FILE_SIZE	(64 * 1024)
#define BUF_SIZE	(256 * 1024)
#define MAX_KEPT	4096
#define NODE_ROOT	FUSE_ROOT_ID
#define NODE_FILE	2
#define NODE_DIRECT	3

static int fuse_fd;
static struct {
	uint64_t unique, nodeid;
} kept[MAX_KEPT];
static unsigned int nkept;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static int reply(uint64_t unique, int error, const void *body, size_t len)
{
	struct fuse_out_header h = {
		.len = (uint32_t)(sizeof(h) + (error ? 0 : len)),
		.error = -error,
		.unique = unique,
	};
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)body, .iov_len = error ? 0 : len },
	};
	ssize_t n = writev(fuse_fd, iov, body && !error ? 2 : 1);

	/* ENOENT: the request was interrupted or the caller is gone. */
	if (n < 0 && errno != ENOENT)
		say("reply-failed unique=%llu errno=%d\n", (unsigned long long)unique, errno);
	return n < 0 ? -1 : 0;
}

static void fill_attr(uint64_t nodeid, struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = nodeid;
	a->nlink = nodeid == NODE_ROOT ? 2 : 1;
	a->uid = NOBODY;
	a->gid = NOBODY;
	a->blksize = 4096;
	if (nodeid == NODE_ROOT) {
		a->mode = S_IFDIR | 0755;
	} else {
		a->mode = S_IFREG | (nodeid == NODE_FILE ? 0555 : 0444);
		a->size = FILE_SIZE;
		a->blocks = FILE_SIZE / 512;
	}
}

static void do_init(uint64_t unique, const struct fuse_init_in *in)
{
	struct fuse_init_out out = {
		.major = FUSE_KERNEL_VERSION,
		.minor = in->minor < FUSE_KERNEL_MINOR_VERSION ? in->minor :
			 FUSE_KERNEL_MINOR_VERSION,
		.max_readahead = in->max_readahead,
		.flags = FUSE_ASYNC_READ & in->flags,
		.max_background = 64,
		.congestion_threshold = 48,
		.max_write = 4096,
		.time_gran = 1,
	};

	say("init major=%u minor=%u flags=0x%x\n", in->major, in->minor, out.flags);
	reply(unique, 0, &out, sizeof(out));
}

static void do_lookup(uint64_t unique, uint64_t parent, const char *name)
{
	struct fuse_entry_out e = { 0 };

	if (parent != NODE_ROOT) {
		reply(unique, ENOENT, NULL, 0);
		return;
	}
	if (!strcmp(name, "file"))
		e.nodeid = NODE_FILE;
	else if (!strcmp(name, "direct"))
		e.nodeid = NODE_DIRECT;
	else {
		reply(unique, ENOENT, NULL, 0);
		return;
	}
	e.generation = 1;
	e.entry_valid = 3600;
	e.attr_valid = 3600;
	fill_attr(e.nodeid, &e.attr);
	reply(unique, 0, &e, sizeof(e));
}

static void do_getattr(uint64_t unique, uint64_t nodeid)
{
	struct fuse_attr_out a = { .attr_valid = 3600 };

	if (nodeid != NODE_ROOT && nodeid != NODE_FILE && nodeid != NODE_DIRECT) {
		reply(unique, ENOENT, NULL, 0);
		return;
	}
	fill_attr(nodeid, &a.attr);
	reply(unique, 0, &a, sizeof(a));
}

static void do_open(uint64_t unique, uint64_t nodeid)
{
	struct fuse_open_out o = { .fh = nodeid };

	if (nodeid == NODE_DIRECT)
		o.open_flags = FOPEN_DIRECT_IO;
	reply(unique, 0, &o, sizeof(o));
}

static void do_read(uint64_t unique, uint64_t nodeid, const struct fuse_read_in *in)
{
	if (nkept < MAX_KEPT) {
		kept[nkept].unique = unique;
		kept[nkept].nodeid = nodeid;
		nkept++;
	}
	say("read nodeid=%llu offset=%llu size=%u kept=%u\n", (unsigned long long)nodeid,
	    (unsigned long long)in->offset, in->size, nkept);
}

/* SIGUSR1: EIO to every kept READ of the direct file. */
static void release_direct(void)
{
	unsigned int i, j = 0, n = 0;

	for (i = 0; i < nkept; i++) {
		if (kept[i].nodeid == NODE_DIRECT) {
			reply(kept[i].unique, EIO, NULL, 0);
			n++;
		} else {
			kept[j++] = kept[i];
		}
	}
	nkept = j;
	say("released direct=%u kept=%u\n", n, nkept);
}

/* One request; returns -1 when the connection is gone. */
static int serve_one(char *buf)
{
	const struct fuse_in_header *h = (const void *)buf;
	const void *arg = buf + sizeof(*h);
	ssize_t n = read(fuse_fd, buf, BUF_SIZE);

	if (n < 0)
		return errno == EINTR || errno == EAGAIN || errno == ENOENT ? 0 : -1;
	if ((size_t)n < sizeof(*h))
		return 0;
	switch (h->opcode) {
	case FUSE_INIT:
		do_init(h->unique, arg);
		break;
	case FUSE_LOOKUP:
		do_lookup(h->unique, h->nodeid, arg);
		break;
	case FUSE_GETATTR:
		do_getattr(h->unique, h->nodeid);
		break;
	case FUSE_OPEN:
	case FUSE_OPENDIR:
		do_open(h->unique, h->nodeid);
		break;
	case FUSE_READ:
		do_read(h->unique, h->nodeid, arg);
		break;
	case FUSE_READDIR:	/* an empty directory listing */
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
	case FUSE_FLUSH:
	case FUSE_ACCESS:
		reply(h->unique, 0, NULL, 0);
		break;
	case FUSE_INTERRUPT:
		say("interrupt unique=%llu\n",
		    (unsigned long long)((const struct fuse_interrupt_in *)arg)->unique);
		break;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
		break;
	case FUSE_DESTROY:
		reply(h->unique, 0, NULL, 0);
		return -1;
	default:
		reply(h->unique, ENOSYS, NULL, 0);
		break;
	}
	return 0;
}

static int drop_to_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	char opts[256], *buf;
	struct pollfd pfd[2];
	sigset_t sigs;
	int sfd;

	if (argc != 2)
		return fprintf(stderr, "usage: stall-fuse DIR (as root)\n"), 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fuse_fd < 0)
		return perror("/dev/fuse"), 1;
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=%d,group_id=%d,allow_other", fuse_fd, NOBODY,
		 NOBODY);
	if (mount("stall-fuse", argv[1], "fuse", MS_NOSUID | MS_NODEV, opts))
		return perror("mount"), 1;
	if (drop_to_nobody())
		return perror("dropping to nobody"), 1;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGUSR1);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	buf = malloc(BUF_SIZE);
	if (sfd < 0 || !buf)
		return perror("signalfd"), 1;
	say("mounted %s pid=%d\n", argv[1], (int)getpid());
	pfd[0] = (struct pollfd){ .fd = fuse_fd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo != SIGUSR1)
					break;
				release_direct();
			}
		}
		if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL))
			break;
		if ((pfd[0].revents & POLLIN) && serve_one(buf))
			break;
	}
	say("exiting kept=%u\n", nkept);
	return 0;
}
