// SPDX-License-Identifier: GPL-2.0
/*
 * kmdump-client: a small command-line client of the kmdump family for the
 * end-to-end tests, built on the library's transport (userlib/transport.c);
 * it is not a second netlink implementation. It prints key=value lines that
 * shell tests grep, and "error hresult=0x... name=... msg=..." on failure.
 *
 *   kmdump-client probe
 *   kmdump-client open PID [-m MEMFILE] [-f FLAGS] [-w MS] [-P] [-T] [-V]
 *                 [-r ADDR:LEN] [-R ADDR:LEN:OFF -o FILE] [-K FILE] [-s SEC [-k MS]]
 *                 [-n] [-H]
 *       -m  file passed as the proof (default /proc/PID/mem)   -f  capture flags
 *       -w  watchdog ms   -P/-T/-V  print process/threads/VMAs
 *       -r  read via netlink (prints pieces and a checksum)   -R/-o  read into FILE
 *       -K  kernel dump of the session into FILE   -s  hold SEC seconds before closing
 *                                                  (SIGUSR1 ends the hold early)
 *       -k  keep-alive period while holding   -n  exit without closing (socket close)
 *       -H  fork a child that keeps the socket open and sleeps; exit at once
 *   kmdump-client get ID                 session-get from a new socket
 *   kmdump-client open-many SEC PID...   one socket, a session per PID, hold SEC
 *   kmdump-client kdump FILE             whole-system kernel dump
 *   kmdump-client events COUNT MS        print COUNT status events (wait up to MS each)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include "transport.h"
#include "engine.h"

static int fail(struct kmd_tr *tr, HRESULT hr, const char *what)
{
	const char *name = kmdump_hresult_name(hr);

	printf("error hresult=0x%08" PRIx32 " name=%s what=%s msg=%s\n", (uint32_t)hr,
	       name ? name : "?", what, kmd_tr_errmsg(tr));
	fflush(stdout);
	return 1;
}

static void print_session(const char *tag, const struct kmd_tr_session *s)
{
	printf("%s hresult=0x%08" PRIx32 " session=%" PRIu32 " pid=%" PRIu32 " threads=%" PRIu32
	       " vmas=%" PRIu32 " freeze_ns=%" PRIu64 " pause_ns=%" PRIu64 "\n",
	       tag, (uint32_t)s->hr, s->session_id, s->pid, s->threads, s->vmas,
	       s->freeze_ns, s->pause_ns);
	fflush(stdout);
}

static int print_thread(void *arg, const struct kmd_tr_thread *t)
{
	(void)arg;
	printf("thread tid=%" PRIu32 " comm=%s freeze=%" PRIu32 " state=%" PRIu32
	       " flags=0x%" PRIx32 " regs=%" PRIu32 " xstate=%" PRIu32 " sp=0x%" PRIx64
	       " kframes=%" PRIu32 "%s%s\n",
	       t->tid, t->comm, t->freeze, t->state, t->flags, t->regs_len, t->xstate_len, t->sp,
	       t->nkframes, t->nkframes ? " top=" : "",
	       t->nkframes ? t->kframes[0] : "");
	return 0;
}

static int print_vma(void *arg, const struct kmd_tr_vma *v)
{
	(void)arg;
	printf("vma 0x%" PRIx64 "-0x%" PRIx64 " flags=0x%" PRIx32 " skip=%" PRIu32
	       " pgoff=0x%" PRIx64 " inode=%" PRIu64 " path=%s\n", v->start, v->end, v->flags,
	       v->skip, v->pgoff, v->inode, v->path ? v->path : "");
	return 0;
}

struct sum {
	uint64_t bytes, failed, fnv;
};

static int print_piece(void *arg, const struct kmd_tr_piece *p)
{
	struct sum *s = arg;
	const uint8_t *d = p->data;
	uint32_t i;

	for (i = 0; d && i < p->data_len; i++)
		s->fnv = (s->fnv ^ d[i]) * 1099511628211ULL;
	s->bytes += p->done;
	for (i = 0; i < p->nfailed; i++)
		s->failed += p->failed[i].len;
	printf("piece range=%" PRIu32 " addr=0x%" PRIx64 " len=%" PRIu64 " done=%" PRIu64
	       " hresult=0x%08" PRIx32 " failed=%" PRIu32 "%s", p->range_index, p->addr, p->len,
	       p->done, (uint32_t)p->hr, p->nfailed, p->nfailed ? " first_failed=" : "");
	if (p->nfailed)
		printf("0x%" PRIx64 "+%" PRIu64 " failed_hr=0x%08" PRIx32, p->failed[0].addr,
		       p->failed[0].len, (uint32_t)p->failed[0].hr);
	printf("\n");
	return 0;
}

static int parse_range(const char *s, struct kmd_tr_range *r)
{
	char *end;

	r->addr = strtoull(s, &end, 0);
	if (*end != ':')
		return -1;
	r->len = strtoull(end + 1, &end, 0);
	r->offset = 0;
	if (*end == ':')
		r->offset = strtoull(end + 1, &end, 0);
	return *end ? -1 : 0;
}

struct open_opts {
	const char *mem, *read, *read_fd, *out, *kdump;
	uint32_t flags, watchdog;
	int hold, keepalive_ms;
	int show_process, show_threads, show_vmas, no_close, holder;
};

static int do_reads(struct kmd_tr *tr, uint32_t id, const struct open_opts *o)
{
	struct kmd_tr_range r;
	struct sum s = { .fnv = 1469598103934665603ULL };
	HRESULT hr;
	int fd;

	if (o->read) {
		if (parse_range(o->read, &r))
			return fprintf(stderr, "bad range %s\n", o->read), 2;
		hr = kmd_tr_read(tr, id, &r, 1, print_piece, &s);
		if (FAILED(hr))
			return fail(tr, hr, "mem-read");
		printf("read bytes=%" PRIu64 " failed=%" PRIu64 " fnv=%016" PRIx64 "\n",
		       s.bytes, s.failed, s.fnv);
	}
	if (o->read_fd) {
		if (parse_range(o->read_fd, &r) || !o->out)
			return fprintf(stderr, "bad range %s or no -o\n", o->read_fd), 2;
		fd = open(o->out, O_WRONLY | O_CREAT, 0600);
		if (fd < 0)
			return perror(o->out), 2;
		hr = kmd_tr_read_to_fd(tr, id, fd, &r, 1, print_piece, &s);
		close(fd);
		if (FAILED(hr))
			return fail(tr, hr, "mem-read-to-fd");
		printf("read_fd bytes=%" PRIu64 " failed=%" PRIu64 "\n", s.bytes, s.failed);
	}
	return 0;
}

static int do_kdump(struct kmd_tr *tr, uint32_t id, const char *file)
{
	struct kmd_tr_events *ev;
	HRESULT hr, status;
	uint32_t job;
	uint64_t bytes = 0;
	int fd;

	hr = kmd_tr_events_open(&ev);
	if (FAILED(hr))
		return fail(tr, hr, "events-open");
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		kmd_tr_events_close(ev);
		return perror(file), 2;
	}
	hr = kmd_tr_kernel_dump(tr, id, fd, &job);
	close(fd);
	if (SUCCEEDED(hr))
		hr = kmd_tr_events_wait_kdump(ev, job, 120000, &status, &bytes);
	kmd_tr_events_close(ev);
	if (FAILED(hr))
		return fail(tr, hr, "kernel-dump");
	printf("kdump job=%" PRIu32 " hresult=0x%08" PRIx32 " bytes=%" PRIu64 "\n", job,
	       (uint32_t)status, bytes);
	return FAILED(status);
}

static int show(struct kmd_tr *tr, uint32_t id, const struct open_opts *o)
{
	struct kmd_tr_process p;
	HRESULT hr = S_OK;

	if (o->show_process) {
		hr = kmd_tr_process_get(tr, id, &p);
		if (FAILED(hr))
			return fail(tr, hr, "process-get");
		printf("process pid=%" PRIu32 " ppid=%" PRIu32 " comm=%s exe=%s cmdline_len=%zu"
		       " environ_len=%zu flags=0x%" PRIx32 "\n", p.pid, p.ppid, p.comm,
		       p.exe_path ? p.exe_path : "", p.cmdline_len, p.environ_len, p.flags);
		kmd_tr_process_free(&p);
	}
	if (o->show_threads && FAILED(hr = kmd_tr_threads(tr, id, print_thread, NULL)))
		return fail(tr, hr, "thread-get");
	if (o->show_vmas && FAILED(hr = kmd_tr_vmas(tr, id, print_vma, NULL)))
		return fail(tr, hr, "vma-get");
	return 0;
}

/* SIGUSR1 ends a hold early: a test releases the session once it has looked. */
static volatile sig_atomic_t hold_released;

static void release_hold(int sig)
{
	(void)sig;
	hold_released = 1;
}

static void hold(struct kmd_tr *tr, uint32_t id, const struct open_opts *o)
{
	struct timespec end, now;
	struct kmd_tr_session s;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += o->hold;
	while (!hold_released) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			break;
		if (o->keepalive_ms) {
			usleep((useconds_t)o->keepalive_ms * 1000);
			if (FAILED(kmd_tr_session_get(tr, id, &s)))
				fail(tr, s.hr, "keepalive");
		} else {
			usleep(100000);
		}
	}
}

static int cmd_open(int argc, char **argv)
{
	struct open_opts o = { 0 };
	struct kmd_tr_session s;
	struct kmd_tr *tr;
	char path[64];
	uint64_t paused = 0;
	HRESULT hr;
	int c, fd, rc;
	uint32_t pid;

	struct sigaction sa = { .sa_handler = release_hold };

	sigaction(SIGUSR1, &sa, NULL);
	while ((c = getopt(argc, argv, "m:f:w:PTVr:R:o:K:s:k:nH")) != -1) {
		switch (c) {
		case 'm': o.mem = optarg; break;
		case 'f': o.flags = strtoul(optarg, NULL, 0); break;
		case 'w': o.watchdog = strtoul(optarg, NULL, 0); break;
		case 'P': o.show_process = 1; break;
		case 'T': o.show_threads = 1; break;
		case 'V': o.show_vmas = 1; break;
		case 'r': o.read = optarg; break;
		case 'R': o.read_fd = optarg; break;
		case 'o': o.out = optarg; break;
		case 'K': o.kdump = optarg; break;
		case 's': o.hold = atoi(optarg); break;
		case 'k': o.keepalive_ms = atoi(optarg); break;
		case 'n': o.no_close = 1; break;
		case 'H': o.holder = 1; break;
		default: return 2;
		}
	}
	if (optind >= argc)
		return fprintf(stderr, "open: PID missing\n"), 2;
	pid = strtoul(argv[optind], NULL, 0);
	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/mem", pid);
	fd = open(o.mem ? o.mem : path, O_RDONLY);
	if (fd < 0) {
		hr = kmd_hresult_from_errno(errno);
		printf("error hresult=0x%08" PRIx32 " name=%s what=open-proof msg=%s: %s\n",
		       (uint32_t)hr, kmdump_hresult_name(hr) ? kmdump_hresult_name(hr) : "?",
		       o.mem ? o.mem : path, strerror(errno));
		return 1;
	}
	hr = kmd_tr_open(&tr);
	if (FAILED(hr))
		return fail(NULL, hr, "connect");
	hr = kmd_tr_session_open(tr, pid, fd, o.flags, o.watchdog, &s);
	close(fd);
	if (FAILED(hr)) {
		rc = fail(tr, hr, "session-open");
		kmd_tr_close(tr);
		return rc;
	}
	print_session("opened", &s);
	rc = show(tr, s.session_id, &o);
	if (!rc)
		rc = do_reads(tr, s.session_id, &o);
	if (!rc && o.kdump)
		rc = do_kdump(tr, s.session_id, o.kdump);
	if (o.holder) {
		pid_t child = fork();

		if (child == 0) {	/* keeps the socket (and the session) open */
			for (;;)
				pause();
		}
		printf("holder pid=%d\n", (int)child);
		fflush(stdout);
		_exit(rc);
	}
	if (o.hold)
		hold(tr, s.session_id, &o);
	if (o.no_close)
		_exit(rc);	/* the socket closes with the process: NETLINK_URELEASE */
	hr = kmd_tr_session_close(tr, s.session_id, &paused);
	if (FAILED(hr))
		rc = fail(tr, hr, "session-close");
	else
		printf("closed hresult=0x%08" PRIx32 " pause_ns=%" PRIu64 "\n", (uint32_t)hr, paused);
	kmd_tr_close(tr);
	return rc;
}

static int cmd_open_many(int argc, char **argv)
{
	struct kmd_tr_session s;
	struct kmd_tr *tr;
	char path[64];
	HRESULT hr;
	int i, fd, opened = 0;

	if (argc < 3)
		return fprintf(stderr, "open-many SEC PID...\n"), 2;
	hr = kmd_tr_open(&tr);
	if (FAILED(hr))
		return fail(NULL, hr, "connect");
	for (i = 2; i < argc; i++) {
		snprintf(path, sizeof(path), "/proc/%s/mem", argv[i]);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return perror(path), 2;
		hr = kmd_tr_session_open(tr, strtoul(argv[i], NULL, 0), fd, 0, 60000, &s);
		close(fd);
		if (FAILED(hr))
			fail(tr, hr, "session-open");
		else
			print_session("opened", &s), opened++;
	}
	printf("opened_count=%d\n", opened);
	fflush(stdout);
	sleep((unsigned int)atoi(argv[1]));
	kmd_tr_close(tr);
	return 0;
}

static int cmd_kdump(int argc, char **argv)
{
	struct kmd_tr *tr;
	HRESULT hr;
	int rc;

	if (argc < 2)
		return fprintf(stderr, "kdump FILE\n"), 2;
	hr = kmd_tr_open(&tr);
	if (FAILED(hr))
		return fail(NULL, hr, "connect");
	rc = do_kdump(tr, 0, argv[1]);
	kmd_tr_close(tr);
	return rc;
}

static int cmd_events(int argc, char **argv)
{
	struct kmd_tr_events *ev;
	struct kmd_tr_event e;
	HRESULT hr;
	int n, i;

	if (argc < 3)
		return fprintf(stderr, "events COUNT MS\n"), 2;
	hr = kmd_tr_events_open(&ev);
	if (FAILED(hr))
		return fail(NULL, hr, "events-open");
	printf("listening\n");
	fflush(stdout);
	n = atoi(argv[1]);
	for (i = 0; i < n; i++) {
		hr = kmd_tr_events_next(ev, &e, atoi(argv[2]));
		if (hr == S_FALSE)
			break;
		if (FAILED(hr)) {
			fail(NULL, hr, "events-next");
			break;
		}
		printf("event type=%" PRIu32 " session=%" PRIu32 " hresult=0x%08" PRIx32
		       " pid=%" PRIu32 " requester=%" PRIu32 " freeze_ns=%" PRIu64
		       " pause_ns=%" PRIu64 " bytes=%" PRIu64 "\n", e.type, e.session_id,
		       (uint32_t)e.hr, e.pid, e.requester_pid, e.freeze_ns, e.pause_ns, e.bytes);
		fflush(stdout);
	}
	kmd_tr_events_close(ev);
	return 0;
}

int main(int argc, char **argv)
{
	struct kmd_tr *tr;
	HRESULT hr;

	if (argc < 2)
		return fprintf(stderr, "usage: see the comment at the top of kmdump-client.c\n"), 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "probe")) {
		hr = kmd_tr_open(&tr);
		if (FAILED(hr))
			return fail(NULL, hr, "connect");
		printf("probe ok port=%" PRIu32 "\n", kmd_tr_port(tr));
		kmd_tr_close(tr);
		return 0;
	}
	if (!strcmp(argv[1], "get") && argc > 2) {	/* from a new socket: not the owner */
		struct kmd_tr_session s;

		hr = kmd_tr_open(&tr);
		if (FAILED(hr))
			return fail(NULL, hr, "connect");
		hr = kmd_tr_session_get(tr, strtoul(argv[2], NULL, 0), &s);
		if (FAILED(hr))
			fail(tr, hr, "session-get");
		else
			print_session("got", &s);
		kmd_tr_close(tr);
		return FAILED(hr);
	}
	if (!strcmp(argv[1], "open"))
		return cmd_open(argc - 1, argv + 1);
	if (!strcmp(argv[1], "open-many"))
		return cmd_open_many(argc - 1, argv + 1);
	if (!strcmp(argv[1], "kdump"))
		return cmd_kdump(argc - 1, argv + 1);
	if (!strcmp(argv[1], "events"))
		return cmd_events(argc - 1, argv + 1);
	fprintf(stderr, "unknown command %s\n", argv[1]);
	return 2;
}
