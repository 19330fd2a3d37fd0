// SPDX-License-Identifier: GPL-2.0
/*
 * kmdump-client: a small command-line client of the kmdump family for the
 * end-to-end tests, built on the library's transport (userlib/transport.c);
 * it is not a second netlink implementation. It prints key=value lines that
 * shell tests grep, and "error hresult=0x... name=... msg=..." on failure.
 *
 *   kmdump-client probe
 *   kmdump-client open PID [-m MEMFILE] [-f FLAGS] [-w MS] [-P] [-T] [-V] [-M]
 *                 [-r ADDR:LEN] [-R ADDR:LEN:OFF -o FILE] [-K FILE] [-s SEC [-k MS]]
 *                 [-n] [-H]
 *       -m  file passed as the proof (default /proc/PID/mem)   -f  capture flags
 *       -w  watchdog ms   -P/-T/-V/-M  print process/threads/VMAs/modules
 *       -r  read via netlink (prints pieces and a checksum)   -R/-o  read into FILE
 *       -K  kernel dump of the session into FILE   -s  hold SEC seconds before closing
 *       -k  keep-alive period while holding   -n  exit without closing (socket close)
 *       -H  fork a child that keeps the socket open and sleeps; exit at once
 *   kmdump-client get ID                 session-get from a new socket
 *   kmdump-client open-many SEC PID...   one socket, a session per PID, hold SEC
 *   kmdump-client kdump FILE             whole-system kernel dump
 *   kmdump-client events COUNT MS        print COUNT status events (wait up to MS each)
 *   kmdump-client fuzz COUNT SEED        random and mutated messages at the family
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
	       " vmas=%" PRIu32 " modules=%" PRIu32 " freeze_ns=%" PRIu64 " pause_ns=%" PRIu64 "\n",
	       tag, (uint32_t)s->hr, s->session_id, s->pid, s->threads, s->vmas, s->modules,
	       s->freeze_ns, s->pause_ns);
	fflush(stdout);
}

static int print_thread(void *arg, const struct kmd_tr_thread *t)
{
	(void)arg;
	printf("thread tid=%" PRIu32 " comm=%s freeze=%" PRIu32 " state=%" PRIu32
	       " flags=0x%" PRIx32 " regs=%" PRIu32 " xstate=%" PRIu32 " sp=0x%" PRIx64
	       " stack=0x%" PRIx64 "-0x%" PRIx64 " kframes=%" PRIu32 "%s%s\n",
	       t->tid, t->comm, t->freeze, t->state, t->flags, t->regs_len, t->xstate_len, t->sp,
	       t->stack_start, t->stack_end, t->nkframes, t->nkframes ? " top=" : "",
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

static int print_module(void *arg, const struct kmd_tr_module *m)
{
	(void)arg;
	printf("module base=0x%" PRIx64 " size=0x%" PRIx64 " path=%s\n", m->base, m->size,
	       m->path ? m->path : "");
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
	int show_process, show_threads, show_vmas, show_modules, no_close, holder;
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
	if (o->show_modules && FAILED(hr = kmd_tr_modules(tr, id, print_module, NULL)))
		return fail(tr, hr, "module-get");
	return 0;
}

static void hold(struct kmd_tr *tr, uint32_t id, const struct open_opts *o)
{
	struct timespec end, now;
	struct kmd_tr_session s;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += o->hold;
	for (;;) {
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

	while ((c = getopt(argc, argv, "m:f:w:PTVMr:R:o:K:s:k:nH")) != -1) {
		switch (c) {
		case 'm': o.mem = optarg; break;
		case 'f': o.flags = strtoul(optarg, NULL, 0); break;
		case 'w': o.watchdog = strtoul(optarg, NULL, 0); break;
		case 'P': o.show_process = 1; break;
		case 'T': o.show_threads = 1; break;
		case 'V': o.show_vmas = 1; break;
		case 'M': o.show_modules = 1; break;
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

static int kmd_fuzz(unsigned int count, unsigned int seed);

static int cmd_fuzz(int argc, char **argv)
{
	if (argc < 3)
		return fprintf(stderr, "fuzz COUNT SEED\n"), 2;
	return kmd_fuzz(strtoul(argv[1], NULL, 0), strtoul(argv[2], NULL, 0));
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
	if (!strcmp(argv[1], "fuzz"))
		return cmd_fuzz(argc - 1, argv + 1);
	fprintf(stderr, "unknown command %s\n", argv[1]);
	return 2;
}

/* ---- fuzz: random and mutated messages, bounded in count and time ---- */

static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

struct fuzz_ctx {
	uint8_t buf[8192];
	size_t len;
	int child_pid, mem_fd, out_fd, append_fd;
	uint32_t session;
};

static void put_attr(struct fuzz_ctx *f, uint16_t type, const void *data, uint16_t len)
{
	uint16_t alen = 4 + len;
	size_t pad = (alen + 3u) & ~3u;

	if (f->len + pad > sizeof(f->buf))
		return;
	memcpy(f->buf + f->len, &alen, 2);
	memcpy(f->buf + f->len + 2, &type, 2);
	memcpy(f->buf + f->len + 4, data, len);
	memset(f->buf + f->len + 4 + len, 0, pad - alen);
	f->len += pad;
}

static void put_u32(struct fuzz_ctx *f, uint16_t type, uint32_t v)
{
	put_attr(f, type, &v, 4);
}

/* A plausible value for @type: often valid, sometimes at or past a bound. */
static uint32_t plausible(struct fuzz_ctx *f, uint16_t type)
{
	static const uint32_t edge[] = { 0, 1, 99, 100, 120000, 120001, 0x7fffffff, 0xffffffff };

	switch (type) {
	case KMDUMP_A_PID:
		return rnd() % 2 ? (uint32_t)f->child_pid : edge[rnd() % 8];
	case KMDUMP_A_MEM_FD:
		return rnd() % 2 ? (uint32_t)f->mem_fd : rnd() % 8;
	case KMDUMP_A_OUT_FD:	/* never 0-2: they may be this test's log */
		return (uint32_t[]){ (uint32_t)f->out_fd, (uint32_t)f->append_fd,
				     (uint32_t)f->mem_fd, 1000, 0xffffffff }[rnd() % 5];
	case KMDUMP_A_SESSION_ID:
		return rnd() % 2 ? f->session : edge[rnd() % 8];
	default:
		return rnd() % 3 ? edge[rnd() % 8] : rnd();
	}
}

static void put_range(struct fuzz_ctx *f)
{
	uint8_t nest[64];
	size_t n = 0, i, count = rnd() % 5;

	for (i = 0; i < count && n + 12 <= sizeof(nest); i++) {
		uint16_t type = rnd() % 8 ? 1 + i % 3 : rnd() % 6, alen = 12;
		uint64_t v = rnd() % 8 ? (uint64_t)rnd() % 65536 : (uint64_t)rnd() << (rnd() % 33);

		if (rnd() % 8 == 0)
			alen = 4 + rnd() % 9;	/* a wrong length */
		memcpy(nest + n, &alen, 2);
		memcpy(nest + n + 2, &type, 2);
		memset(nest + n + 4, 0, 8);
		memcpy(nest + n + 4, &v, alen > 4 ? alen - 4 : 0);
		n += (alen + 3u) & ~3u;
	}
	put_attr(f, KMDUMP_A_RANGE | (rnd() % 4 ? 0x8000 : 0), nest, (uint16_t)n);
}

/* The attributes each command's policy accepts (index: command). */
static const uint16_t fuzz_allowed[][4] = {
	[KMDUMP_CMD_SESSION_OPEN] = { KMDUMP_A_PID, KMDUMP_A_MEM_FD, KMDUMP_A_CAPTURE_FLAGS,
				      KMDUMP_A_WATCHDOG_MS },
	[KMDUMP_CMD_SESSION_CLOSE] = { KMDUMP_A_SESSION_ID },
	[KMDUMP_CMD_SESSION_GET] = { KMDUMP_A_SESSION_ID },
	[KMDUMP_CMD_PROCESS_GET] = { KMDUMP_A_SESSION_ID },
	[KMDUMP_CMD_THREAD_GET] = { KMDUMP_A_SESSION_ID },
	[KMDUMP_CMD_VMA_GET] = { KMDUMP_A_SESSION_ID },
	[KMDUMP_CMD_MODULE_GET] = { KMDUMP_A_SESSION_ID },
	[KMDUMP_CMD_MEM_READ_TO_FD] = { KMDUMP_A_SESSION_ID, KMDUMP_A_OUT_FD, KMDUMP_A_RANGE },
	[KMDUMP_CMD_MEM_READ] = { KMDUMP_A_SESSION_ID, KMDUMP_A_RANGE },
	[KMDUMP_CMD_KERNEL_DUMP] = { KMDUMP_A_SESSION_ID, KMDUMP_A_OUT_FD },
};

static uint16_t fuzz_type(uint8_t cmd)
{
	const uint16_t *ok;
	unsigned int n = 0;

	if (cmd < sizeof(fuzz_allowed) / sizeof(fuzz_allowed[0]) && rnd() % 4) {
		ok = fuzz_allowed[cmd];
		while (n < 4 && ok[n])
			n++;
		if (n)
			return ok[rnd() % n];
	}
	return rnd() % 6 ? 1 + rnd() % KMDUMP_A_MAX : rnd() % 0x200;
}

static void fuzz_message(struct fuzz_ctx *f, uint16_t *flags)
{
	uint8_t cmd = rnd() % 5 ? 1 + rnd() % KMDUMP_CMD_MAX : rnd() % 256;
	uint8_t hdr[4] = { cmd, rnd() % 8 ? 1 : rnd() % 256, 0, 0 };
	unsigned int i, n = rnd() % 5;

	if (rnd() % 16 == 0)
		hdr[2] = (uint8_t)rnd();	/* reserved must be 0 */
	f->len = 0;
	memcpy(f->buf, hdr, 4);
	f->len = 4;
	for (i = 0; i < n; i++) {
		uint16_t type = fuzz_type(cmd);
		uint8_t junk[64];
		uint16_t len, j;

		if (type == KMDUMP_A_RANGE || type == KMDUMP_A_FAILED) {
			put_range(f);
			continue;
		}
		if (rnd() % 3) {
			put_u32(f, type, plausible(f, type));
			continue;
		}
		len = rnd() % sizeof(junk);
		for (j = 0; j < len; j++)
			junk[j] = (uint8_t)rnd();
		put_attr(f, type, junk, len);
	}
	/* Mutations: flip bytes, truncate, or lie in an attribute's length. */
	if (rnd() % 4 == 0 && f->len > 4)
		f->buf[4 + rnd() % (f->len - 4)] ^= (uint8_t)(1u << (rnd() % 8));
	if (rnd() % 8 == 0 && f->len > 4)
		f->len = 4 + rnd() % (f->len - 3);
	if (rnd() % 8 == 0 && f->len >= 8) {
		uint16_t lie = (uint16_t)rnd();

		memcpy(f->buf + 4, &lie, 2);
	}
	*flags = rnd() % 3 == 0 ? NLM_F_DUMP : 0;
}

static int fuzz_setup(struct fuzz_ctx *f)
{
	char path[64], tmpl[] = "/tmp/kmdump-fuzz-XXXXXX";

	f->child_pid = fork();
	if (f->child_pid == 0) {
		for (;;)
			pause();
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", f->child_pid);
	f->mem_fd = open(path, O_RDONLY);
	f->out_fd = mkstemp(tmpl);
	if (f->out_fd >= 0)
		unlink(tmpl);
	f->append_fd = open("/dev/null", O_WRONLY | O_APPEND);
	return f->mem_fd < 0 || f->out_fd < 0 || f->append_fd < 0 ? -1 : 0;
}

static int kmd_fuzz(unsigned int count, unsigned int seed)
{
	struct fuzz_ctx f = { 0 };
	struct kmd_tr *tr;
	struct kmd_tr_session s;
	unsigned int i, replies, refused = 0, answered = 0, reopened = 0;
	time_t start = time(NULL);
	uint16_t flags;
	HRESULT hr;

	rng_state = 0x9E3779B97F4A7C15ULL ^ seed;
	if (fuzz_setup(&f))
		return perror("fuzz setup"), 2;
	hr = kmd_tr_open(&tr);
	if (FAILED(hr))
		return fail(NULL, hr, "connect");
	for (i = 0; i < count && time(NULL) - start < 240; i++) {
		if (i % 64 == 0 && SUCCEEDED(kmd_tr_session_open(tr, (uint32_t)f.child_pid,
						f.mem_fd, 0, 100 + rnd() % 3000, &s)))
			f.session = s.session_id;
		fuzz_message(&f, &flags);
		hr = kmd_tr_raw(tr, flags, f.buf, f.len, 64, &replies);
		if (hr == E_ABORT) {	/* a long dump: drop the socket (and its sessions) */
			kmd_tr_close(tr);
			hr = kmd_tr_open(&tr);
			if (FAILED(hr))
				return fail(NULL, hr, "reconnect after fuzz message"), 1;
			reopened++;
		} else if (FAILED(hr)) {
			refused++;
		} else {
			answered++;
		}
	}
	printf("fuzz sent=%u answered=%u refused=%u reconnects=%u seconds=%ld\n", i, answered,
	       refused, reopened, (long)(time(NULL) - start));
	/* The family still works: a clean open and close on the same target. */
	kmd_tr_close(tr);	/* ends the fuzzed sessions (NETLINK_URELEASE) */
	hr = kmd_tr_open(&tr);
	if (FAILED(hr))
		return fail(NULL, hr, "reconnect"), 1;
	for (i = 0; i < 100; i++) {	/* their thaw runs on the worker: allow it 10 s */
		hr = kmd_tr_session_open(tr, (uint32_t)f.child_pid, f.mem_fd, 0, 0, &s);
		if (hr != (HRESULT)KMDUMP_E_BUSY && hr != (HRESULT)KMDUMP_E_TOO_MANY_SESSIONS)
			break;
		usleep(100000);
	}
	if (SUCCEEDED(hr))
		hr = kmd_tr_session_close(tr, s.session_id, NULL);
	kill(f.child_pid, SIGKILL);
	if (FAILED(hr)) {
		fail(tr, hr, "open/close after fuzzing");
		kmd_tr_close(tr);
		return 1;
	}
	printf("fuzz after: open and close ok\n");
	kmd_tr_close(tr);
	return 0;
}
