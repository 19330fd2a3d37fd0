// SPDX-License-Identifier: GPL-2.0
/*
 * kdump-check: asks the module for kernel dumps (kernel-dump command) of a
 * frozen multi-threaded target and of the whole system, waits for the
 * kernel-dump-finished event on the status group, and checks the MDMP file:
 * header and directory within the file; SystemInfo (AMD64, Linux, the running
 * release); the kernel-info text (release and the build id of
 * /sys/kernel/notes); the task table (every thread of the target, the blocked
 * reader's symbolized stack through pipe_read and its wait channel, no raw
 * kernel addresses anywhere; pid 1 in the whole-system dump); and the kernel
 * module list (kmdump itself at its sections/.text address, with the build id
 * of /sys/module/kmdump/notes). Prints TAP; exits non-zero on a failure.
 *
 *   kdump-check TARGET
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "kmdump.h"

#define STREAM_INFO	0x4B4D0001u
#define STREAM_TASKS	0x4B4D0002u
#define STREAM_KMODS	0x4B4D0003u
#define TASK_ENTRY	112

static int checks, failures;
static const char *what = "";

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	failures += !ok;
	printf("%s %d - %s: ", ok ? "ok" : "not ok", checks, what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static uint32_t le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* ---- netlink ---- */

static struct nl_sock *sk, *ev_sk;
static int family;

struct reply {
	int done, err;
	uint32_t hresult, id;
};

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct reply *r = arg;
	struct nlattr *tb[KMDUMP_A_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, KMDUMP_A_MAX, NULL) < 0)
		return NL_SKIP;
	if (tb[KMDUMP_A_HRESULT])
		r->hresult = nla_get_u32(tb[KMDUMP_A_HRESULT]);
	if (tb[KMDUMP_A_SESSION_ID])
		r->id = nla_get_u32(tb[KMDUMP_A_SESSION_ID]);
	return NL_OK;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct reply *)arg)->done = 1;
	return NL_STOP;
}

static int on_err(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	(void)nla;
	((struct reply *)arg)->err = e->error;
	((struct reply *)arg)->done = 1;
	return NL_STOP;
}

static int request(struct nl_msg *msg, struct reply *r)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int err;

	memset(r, 0, sizeof(*r));
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, r);
	nl_cb_err(cb, NL_CB_CUSTOM, on_err, r);
	err = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	while (err >= 0 && !r->done)
		err = nl_recvmsgs(sk, cb);
	nl_cb_put(cb);
	/* The kernel's errno first: libnl would turn it into its own NLE_* code. */
	return r->err ? r->err : err;
}

static struct nl_msg *new_msg(int cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0, cmd,
				 KMDUMP_FAMILY_VERSION))
		exit(2);
	return msg;
}

struct event {
	uint32_t id, hresult;
	uint64_t bytes;
	int seen;
};

static int on_event(struct nl_msg *msg, void *arg)
{
	struct event *e = arg;
	struct nlattr *tb[KMDUMP_A_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, KMDUMP_A_MAX, NULL) < 0 ||
	    !tb[KMDUMP_A_EVENT_TYPE] || !tb[KMDUMP_A_SESSION_ID] ||
	    nla_get_u32(tb[KMDUMP_A_EVENT_TYPE]) != KMDUMP_EVENT_TYPE_KERNEL_DUMP_FINISHED ||
	    nla_get_u32(tb[KMDUMP_A_SESSION_ID]) != e->id)
		return NL_OK;
	e->seen = 1;
	e->hresult = tb[KMDUMP_A_HRESULT] ? nla_get_u32(tb[KMDUMP_A_HRESULT]) : 0xffffffff;
	e->bytes = tb[KMDUMP_A_BYTES] ? nla_get_u64(tb[KMDUMP_A_BYTES]) : 0;
	return NL_OK;
}

/* Kernel dump into @path; 0 and the finished event's fields, or an error. */
static int kernel_dump(uint32_t sid, const char *path, struct event *ev)
{
	struct pollfd pfd = { .fd = nl_socket_get_fd(ev_sk), .events = POLLIN };
	struct nl_msg *msg = new_msg(KMDUMP_CMD_KERNEL_DUMP);
	struct reply r;
	int fd, err, i;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -errno;
	if (sid)
		nla_put_u32(msg, KMDUMP_A_SESSION_ID, sid);
	nla_put_s32(msg, KMDUMP_A_OUT_FD, fd);
	err = request(msg, &r);
	close(fd);
	if (err || r.hresult != KMDUMP_S_OK)
		return err ? err : -EIO;
	memset(ev, 0, sizeof(*ev));
	ev->id = r.id;
	nl_socket_modify_cb(ev_sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, ev);
	for (i = 0; i < 1200 && !ev->seen; i++)
		if (poll(&pfd, 1, 100) == 1)
			nl_recvmsgs_default(ev_sk);
	return ev->seen ? 0 : -ETIMEDOUT;
}

/* ---- the file ---- */

struct dump {
	unsigned char *b;
	size_t len;
	const unsigned char *stream[8];
	uint32_t size[8], type[8];
	int n;
};

static const unsigned char *find_stream(const struct dump *d, uint32_t type, uint32_t *size)
{
	int i;

	for (i = 0; i < d->n; i++)
		if (d->type[i] == type) {
			*size = d->size[i];
			return d->stream[i];
		}
	*size = 0;
	return NULL;
}

static int load_dump(const char *path, struct dump *d)
{
	struct stat st;
	uint32_t rva;
	FILE *f = fopen(path, "rb");
	int i, in_bounds = 1;

	memset(d, 0, sizeof(*d));
	if (!f || fstat(fileno(f), &st) || st.st_size < 32) {
		if (f)
			fclose(f);
		return -1;
	}
	d->len = st.st_size;
	d->b = malloc(d->len);
	if (!d->b || fread(d->b, 1, d->len, f) != d->len) {
		fclose(f);
		return -1;
	}
	fclose(f);
	check(le32(d->b) == 0x504D444D && (le32(d->b + 4) & 0xffff) == 0xA793,
	      "MDMP signature and version");
	d->n = le32(d->b + 8);
	rva = le32(d->b + 12);
	if (d->n > 8 || rva + 12ull * d->n > d->len) {
		check(0, "directory of %d entries at %u fits the file", d->n, rva);
		return -1;
	}
	for (i = 0; i < d->n; i++) {
		const unsigned char *e = d->b + rva + 12 * i;

		d->type[i] = le32(e);
		d->size[i] = le32(e + 4);
		if ((uint64_t)le32(e + 8) + d->size[i] > d->len)
			in_bounds = 0;
		else
			d->stream[i] = d->b + le32(e + 8);
	}
	check(in_bounds && d->n == 5, "%d streams, all inside the %zu-byte file", d->n, d->len);
	return in_bounds ? 0 : -1;
}

/* The GNU build id in a notes blob (as /sys/kernel/notes or a module's notes). */
static int notes_build_id(const char *path, char *hex, size_t size)
{
	unsigned char b[4096];
	FILE *f = fopen(path, "rb");
	size_t n, off = 0;
	int i;

	hex[0] = 0;
	if (!f)
		return -1;
	n = fread(b, 1, sizeof(b), f);
	fclose(f);
	while (off + 12 <= n) {
		uint32_t nsz = le32(b + off), dsz = le32(b + off + 4), type = le32(b + off + 8);
		size_t name = off + 12, desc = name + ((nsz + 3) & ~3u);

		if (desc + dsz > n)
			break;
		if (type == 3 && nsz == 4 && !memcmp(b + name, "GNU", 4)) {
			for (i = 0; i < (int)dsz && (size_t)(2 * i + 3) <= size; i++)
				sprintf(hex + 2 * i, "%02x", b[desc + i]);
			return 0;
		}
		off = desc + ((dsz + 3) & ~3u);
	}
	return -1;
}

static void check_sysinfo_and_info(const struct dump *d)
{
	struct utsname u;
	const unsigned char *s;
	char want[256], id[200], text[2048];
	uint32_t size, csd, len, i;
	int csd_ok = 0;

	uname(&u);
	s = find_stream(d, 7, &size);
	if (s && size == 56) {
		csd = le32(s + 24);
		if (csd + 4 <= d->len && (len = le32(d->b + csd)) < 2048 && csd + 4 + len <= d->len) {
			for (i = 0; i < len / 2 && i < sizeof(text) - 1; i++)
				text[i] = (char)d->b[csd + 4 + 2 * i];
			text[i] = 0;
			csd_ok = strstr(text, u.release) != NULL;
		}
	}
	check(s && size == 56 && (s[0] | s[1] << 8) == 9 && le32(s + 20) == 0x8201 && csd_ok,
	      "SystemInfo: AMD64, Linux, CSD names release %s", u.release);
	s = find_stream(d, STREAM_INFO, &size);
	snprintf(text, sizeof(text), "%.*s", (int)(s ? size : 0), s ? (const char *)s : "");
	snprintf(want, sizeof(want), "release: %s\n", u.release);
	check(strstr(text, want) != NULL, "kernel info names the release");
	if (notes_build_id("/sys/kernel/notes", id, sizeof(id)) == 0) {
		snprintf(want, sizeof(want), "build-id: %s\n", id);
		check(strstr(text, want) != NULL, "kernel info carries the build id %s", id);
	} else {
		check(strstr(text, "build-id: unavailable") != NULL,
		      "no /sys/kernel/notes build id, and the dump says so");
	}
}

struct task_view {
	uint32_t pid, frames, wchan_len, on_cpu;
	const char *text, *wchan;
	uint32_t text_len;
};

static int task_at(const struct dump *d, const unsigned char *tab, uint32_t i,
		   struct task_view *t)
{
	const unsigned char *e = tab + 16 + (size_t)i * TASK_ENTRY;
	uint32_t rva = le32(e + 96), wrva = le32(e + 104);

	t->pid = le32(e);
	t->frames = le32(e + 88);
	t->text_len = le32(e + 92);
	t->wchan_len = le32(e + 100);
	t->on_cpu = le32(e + 108);
	t->text = t->text_len && rva + t->text_len <= d->len ? (const char *)d->b + rva : NULL;
	t->wchan = t->wchan_len && wrva + t->wchan_len <= d->len ? (const char *)d->b + wrva : NULL;
	return (t->text_len && !t->text) || (t->wchan_len && !t->wchan) ? -1 : 0;
}

/* Every frame string of the task contains @fn? Any raw address? */
static int frames_have(const struct task_view *t, const char *fn, int *raw)
{
	uint32_t off = 0;
	int found = 0;

	while (t->text && off < t->text_len) {
		const char *f = t->text + off;

		if (strstr(f, fn))
			found = 1;
		if (!strncmp(f, "0x", 2) || strstr(f, "0xffff"))
			(*raw)++;
		off += strnlen(f, t->text_len - off) + 1;
	}
	return found;
}

static void check_tasks(const struct dump *d, pid_t reader, uint32_t want_min, int want_init)
{
	const unsigned char *tab;
	struct task_view t;
	uint32_t size, n, i;
	int raw = 0, bad = 0, reader_ok = 0, init = 0, stacks = 0;

	tab = find_stream(d, STREAM_TASKS, &size);
	n = tab && size >= 16 ? le32(tab + 8) : 0;
	check(tab && le32(tab) == 16 && le32(tab + 4) == TASK_ENTRY && size == 16 + n * TASK_ENTRY,
	      "task table: %u entries of %u bytes", n, tab ? le32(tab + 4) : 0);
	if (!tab || size != 16 + n * TASK_ENTRY)
		return;
	for (i = 0; i < n; i++) {
		if (task_at(d, tab, i, &t)) {
			bad++;
			continue;
		}
		stacks += t.frames > 0;
		if (t.pid == 1)
			init = 1;
		if (t.pid == (uint32_t)reader)
			reader_ok = frames_have(&t, "pipe_read", &raw) && t.wchan &&
				    !strncmp(t.wchan, "pipe_read", 9);
		else
			frames_have(&t, "", &raw);
	}
	check(n >= want_min && !bad, "%u tasks (at least %u), all frame references valid", n,
	      want_min);
	check(stacks > 0 && !raw, "%d tasks with symbolized stacks, %d raw addresses", stacks, raw);
	if (reader)
		check(reader_ok, "the blocked reader waits in pipe_read, its stack shows it");
	if (want_init)
		check(init, "pid 1 is in the whole-system dump");
}

static void check_kmods(const struct dump *d)
{
	const unsigned char *list, *e;
	char id[200], line[512], text[8192];
	unsigned long long addr = 0;
	uint32_t size, n, i, nrva, cv, cvlen;
	int found = 0, id_ok = 0;
	FILE *f = fopen("/sys/module/kmdump/sections/.text", "r");

	if (f && fgets(line, sizeof(line), f))
		sscanf(line, "%llx", &addr);
	if (f)
		fclose(f);
	notes_build_id("/sys/module/kmdump/notes/.note.gnu.build-id", id, sizeof(id));
	list = find_stream(d, 4, &size);
	n = list && size >= 4 ? le32(list) : 0;
	check(list && size == 4 + 108 * n && n > 0, "ModuleList: %u kernel modules", n);
	for (i = 0; list && i < n && size == 4 + 108 * n; i++) {
		e = list + 4 + 108 * i;
		nrva = le32(e + 20);
		if (nrva + 4 + 12 > d->len || le32(d->b + nrva) != 12 ||
		    memcmp(d->b + nrva + 4, "k\0m\0d\0u\0m\0p\0", 12))
			continue;
		found = le64(e) == addr;
		cvlen = le32(e + 76);
		cv = le32(e + 80);
		if (cvlen > 4 && cv + cvlen <= d->len && le32(d->b + cv) == 0x4270454C) {
			char hex[200] = "";

			for (uint32_t k = 0; k < cvlen - 4 && k < 64; k++)
				sprintf(hex + 2 * k, "%02x", d->b[cv + 4 + k]);
			id_ok = !strcmp(hex, id);
		}
	}
	check(found, "kmdump itself listed at its .text address %llx", addr);
	check(id_ok || !id[0], "kmdump's BpEL build id equals /sys/module/kmdump/notes (%s)", id);
	list = find_stream(d, STREAM_KMODS, &size);
	snprintf(text, sizeof(text), "%.*s", (int)(list ? size : 0), list ? (const char *)list : "");
	check(strstr(text, "kmdump 0x") != NULL, "kernel module text lists kmdump");
}

static int start_target(const char *path, pid_t *pid, pid_t *reader, int *to)
{
	int in[2], out[2];
	char line[256] = "";
	pid_t spin, sleeper;
	FILE *f;

	if (pipe(in) || pipe(out))
		return -1;
	*pid = fork();
	if (*pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	*to = in[1];
	f = fdopen(out[0], "r");
	if (!f || !fgets(line, sizeof(line), f))
		return -1;
	fclose(f);
	return sscanf(line, "READY %d %d %d %d", pid, &spin, &sleeper, reader) == 4 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *dir = getenv("KMDUMP_E2E_OUT");
	char path[512], mem[64];
	struct event ev;
	struct dump d;
	struct reply r;
	struct nl_msg *msg;
	pid_t pid = 0, reader = 0;
	int to = -1, memfd, err, grp, status;
	uint32_t sid = 0;

	if (argc < 2)
		return 2;
	if (!dir)
		dir = "/tmp";
	sk = nl_socket_alloc();
	ev_sk = nl_socket_alloc();
	if (!sk || !ev_sk || genl_connect(sk) || genl_connect(ev_sk) ||
	    (family = genl_ctrl_resolve(sk, KMDUMP_FAMILY_NAME)) < 0 ||
	    (grp = genl_ctrl_resolve_grp(sk, KMDUMP_FAMILY_NAME, KMDUMP_MCGRP_STATUS)) < 0) {
		printf("not ok 1 - the kmdump family and its status group are reachable\n");
		return 1;
	}
	nl_socket_disable_seq_check(ev_sk);
	nl_socket_add_membership(ev_sk, grp);
	if (start_target(argv[1], &pid, &reader, &to)) {
		printf("not ok 1 - start %s\n", argv[1]);
		return 1;
	}
	usleep(200000);
	snprintf(mem, sizeof(mem), "/proc/%d/mem", pid);
	memfd = open(mem, O_RDONLY);
	msg = new_msg(KMDUMP_CMD_SESSION_OPEN);
	nla_put_u32(msg, KMDUMP_A_PID, pid);
	nla_put_s32(msg, KMDUMP_A_MEM_FD, memfd);
	nla_put_u32(msg, KMDUMP_A_WATCHDOG_MS, 60000);
	err = request(msg, &r);
	close(memfd);
	sid = r.id;
	what = "target kernel dump";
	check(!err && r.hresult == KMDUMP_S_OK && sid, "session-open (%s)",
	      err ? nl_geterror(err) : "ok");
	if (sid) {
		snprintf(path, sizeof(path), "%s/kdump-target.dmp", dir);
		err = kernel_dump(sid, path, &ev);
		check(!err && ev.hresult == KMDUMP_S_OK, "kernel-dump finished: %s, hresult 0x%08x",
		      err ? strerror(-err) : "event seen", ev.hresult);
		if (!err && !load_dump(path, &d)) {
			check(ev.bytes == d.len, "event bytes %llu = file size %zu",
			      (unsigned long long)ev.bytes, d.len);
			check_sysinfo_and_info(&d);
			/* main, spinner, sleeper, reader and churn at least */
			check_tasks(&d, reader, 5, 0);
			check_kmods(&d);
			free(d.b);
		}
		msg = new_msg(KMDUMP_CMD_SESSION_CLOSE);
		nla_put_u32(msg, KMDUMP_A_SESSION_ID, sid);
		request(msg, &r);
	}
	what = "whole-system kernel dump";
	snprintf(path, sizeof(path), "%s/kdump-system.dmp", dir);
	err = kernel_dump(0, path, &ev);
	check(!err && ev.hresult == KMDUMP_S_OK, "kernel-dump finished: %s, hresult 0x%08x",
	      err ? strerror(-err) : "event seen", ev.hresult);
	if (!err && !load_dump(path, &d)) {
		check_sysinfo_and_info(&d);
		check_tasks(&d, 0, 20, 1);
		check_kmods(&d);
		free(d.b);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(to);
	nl_socket_free(sk);
	nl_socket_free(ev_sk);
	printf("# %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
