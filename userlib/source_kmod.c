// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The real process source: a thin adapter from the engine's source interface
 * (source.h) to the module's netlink client (transport.h). One netlink socket and one
 * session per dump, so dumps on separate threads never share state.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "api.h"
#include "transport.h"
#include "proc_status.h"
#include "module_map.h"

#define KMD_WATCHDOG_MS 30000	/* thaw if this library stops talking for 30 s */
#define KMD_KDUMP_WAIT_MS 120000

struct kmod_src {
	struct kmd_source *src;
	struct kmd_tr *tr;
	struct kmd_tr_events *ev;	/* NULL without CAP_SYS_ADMIN: no status events */
	uint32_t pid, session;
	int mem_fd;
	bool open;
	struct kmd_src_process proc;
	struct kmd_tr_process tp;
	struct kmd_src_thread *threads;
	size_t nthreads, cap_threads;
	struct kmd_src_vma *vmas;
	size_t nvmas, cap_vmas;
	struct kmd_src_module *modules;
	size_t nmodules;
	uint64_t start_boottime_ns;
	bool kstacks_refused;
	HRESULT walk_hr;
};

static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap * 2 : 64;
	void *p;

	if (n < *cap)
		return v;
	p = realloc(v, c * size);
	if (p) {
		memset((char *)p + *cap * size, 0, (c - *cap) * size);
		*cap = c;
	}
	return p;
}

/* Status events of this session reach the engine as they arrive. */
static void drain_events(struct kmod_src *k)
{
	struct kmd_tr_event ev;

	while (k->ev && k->open && kmd_tr_events_next(k->ev, &ev, 0) == S_OK)
		if (ev.session_id == k->session && k->src->on_status)
			k->src->on_status(k->src->status_arg, ev.hr);
}

static int on_thread(void *arg, const struct kmd_tr_thread *t)
{
	struct kmod_src *k = arg;
	struct kmd_src_thread *o;
	size_t len = 0, i;
	char *ks;

	k->threads = grow(k->threads, &k->cap_threads, k->nthreads, sizeof(*k->threads));
	if (!k->threads)
		return k->walk_hr = E_OUTOFMEMORY, -1;
	o = &k->threads[k->nthreads++];
	o->tid = t->tid;
	memcpy(o->name, t->comm, sizeof(o->name));
	o->freeze = t->freeze;
	o->sched_state = t->state;
	o->wire_flags = t->flags;
	o->cpu = t->cpu;
	o->exiting = t->freeze == KMDUMP_THREAD_FREEZE_EXITING;
	if ((t->flags & KMDUMP_THREAD_FLAGS_REGS_VALID) && t->regs &&
	    t->regs_len >= sizeof(o->regs) && !(t->flags & KMDUMP_THREAD_FLAGS_COMPAT32)) {
		memcpy(&o->regs, t->regs, sizeof(o->regs));
		o->facts |= KMD_SRC_T_REGS;
	}
	if ((t->flags & KMDUMP_THREAD_FLAGS_FPREGS_VALID) && t->fpregs && t->fpregs_len >= 512) {
		memcpy(o->fxsave, t->fpregs, 512);
		o->facts |= KMD_SRC_T_FPREGS;
	}
	if ((t->flags & KMDUMP_THREAD_FLAGS_DEBUGREGS_VALID) && t->debugregs &&
	    t->debugregs_len >= sizeof(o->dr)) {
		memcpy(o->dr, t->debugregs, sizeof(o->dr));
		o->facts |= KMD_SRC_T_DEBUGREGS;
	}
	if (t->flags & KMDUMP_THREAD_FLAGS_IN_SYSCALL) {
		o->syscall_nr = t->syscall_nr;
		o->facts |= KMD_SRC_T_SYSCALL;
	}
	o->utime_ns = t->utime_ns;
	o->stime_ns = t->stime_ns;
	o->start_boottime_ns = t->start_time_ns;
	if (k->tp.start_realtime_ns && t->start_time_ns >= k->start_boottime_ns)
		o->start_realtime_ns = k->tp.start_realtime_ns + (t->start_time_ns - k->start_boottime_ns);
	o->prio = t->prio;
	o->nice = t->nice;
	if (k->kstacks_refused)
		o->facts |= KMD_SRC_T_KSTACK_REFUSED;
	if (!(t->flags & KMDUMP_THREAD_FLAGS_KSTACK_VALID) || !t->nkframes)
		return 0;
	for (i = 0; i < t->nkframes; i++)
		len += strlen(t->kframes[i]) + 1;
	ks = malloc(len);
	if (!ks)
		return k->walk_hr = E_OUTOFMEMORY, -1;
	for (i = 0, len = 0; i < t->nkframes; i++) {
		size_t n = strlen(t->kframes[i]) + 1;

		memcpy(ks + len, t->kframes[i], n);
		len += n;
	}
	o->kstack = ks;
	o->kstack_len = (uint32_t)len;
	o->kframes = t->nkframes;
	o->facts |= KMD_SRC_T_KSTACK;
	return 0;
}

static int on_vma(void *arg, const struct kmd_tr_vma *v)
{
	struct kmod_src *k = arg;
	struct kmd_src_vma *o;

	k->vmas = grow(k->vmas, &k->cap_vmas, k->nvmas, sizeof(*k->vmas));
	if (!k->vmas)
		return k->walk_hr = E_OUTOFMEMORY, -1;
	o = &k->vmas[k->nvmas++];
	o->start = v->start;
	o->end = v->end;
	o->pgoff = v->pgoff;
	o->inode = v->inode;
	o->dev_major = v->dev_major;
	o->dev_minor = v->dev_minor;
	o->flags = (v->flags & KMDUMP_VMA_FLAGS_READ ? KMD_SRC_V_READ : 0) |
		   (v->flags & KMDUMP_VMA_FLAGS_WRITE ? KMD_SRC_V_WRITE : 0) |
		   (v->flags & KMDUMP_VMA_FLAGS_EXEC ? KMD_SRC_V_EXEC : 0) |
		   (v->flags & KMDUMP_VMA_FLAGS_SHARED ? KMD_SRC_V_SHARED : 0) |
		   (v->skip != KMDUMP_VMA_SKIP_NONE ? KMD_SRC_V_NOREAD : 0) |
		   (v->flags & KMDUMP_VMA_FLAGS_STACK ? KMD_SRC_V_STACK : 0) |
		   (v->flags & KMDUMP_VMA_FLAGS_FILE ? 0 : KMD_SRC_V_ANON) |
		   (v->flags & KMDUMP_VMA_FLAGS_VDSO ? KMD_SRC_V_VDSO : 0);
	o->path = v->path ? strdup(v->path) : NULL;
	if (v->path && !o->path)
		return k->walk_hr = E_OUTOFMEMORY, -1;
	return 0;
}

/* The modules, decided from the VMAs (module_map.c); paths point into the VMAs. */
static HRESULT find_modules(struct kmod_src *k)
{
	if (!k->nvmas)
		return S_OK;
	k->modules = calloc(k->nvmas, sizeof(*k->modules));
	if (!k->modules)
		return E_OUTOFMEMORY;
	k->nmodules = kmd_modules_from_vmas(k->vmas, k->nvmas, k->modules);
	return kmd_src_find_build_ids(k->src, k->modules, k->nmodules);
}

static HRESULT walk_result(struct kmod_src *k, HRESULT hr)
{
	if (FAILED(k->walk_hr))
		return k->walk_hr;
	return hr;
}

static HRESULT open_session(struct kmod_src *k, uint32_t flags)
{
	struct kmd_tr_session s;
	HRESULT hr;

	hr = kmd_tr_session_open(k->tr, k->pid, k->mem_fd, flags, KMD_WATCHDOG_MS, &s);
	if (hr == E_ACCESSDENIED && (flags & KMDUMP_CAPTURE_FLAGS_KERNEL_STACKS)) {
		/* kernel stacks need CAP_SYS_ADMIN: dump without them */
		k->kstacks_refused = true;
		hr = kmd_tr_session_open(k->tr, k->pid, k->mem_fd,
					 flags & ~(uint32_t)KMDUMP_CAPTURE_FLAGS_KERNEL_STACKS,
					 KMD_WATCHDOG_MS, &s);
	}
	if (FAILED(hr))
		return hr;
	k->session = s.session_id;
	k->open = true;
	if (k->src->on_status)
		k->src->on_status(k->src->status_arg, s.hr);
	return S_OK;
}

static HRESULT ks_capture(void *ctx, uint32_t cap)
{
	struct kmod_src *k = ctx;
	uint32_t flags = 0;
	HRESULT hr;

	if (cap & KMD_CAPTURE_ENVIRON)
		flags |= KMDUMP_CAPTURE_FLAGS_ENVIRON;
	if (cap & KMD_CAPTURE_KSTACKS)
		flags |= KMDUMP_CAPTURE_FLAGS_KERNEL_STACKS;
	if (FAILED(hr = open_session(k, flags)) ||
	    FAILED(hr = kmd_tr_process_get(k->tr, k->session, &k->tp)))
		return hr;
	k->start_boottime_ns = k->tp.start_time_ns;
	k->proc.pid = k->tp.pid;
	k->proc.ppid = k->tp.ppid;
	k->proc.start_realtime_ns = k->tp.start_realtime_ns;
	if (FAILED(hr = walk_result(k, kmd_tr_threads(k->tr, k->session, on_thread, k))) ||
	    FAILED(hr = walk_result(k, kmd_tr_vmas(k->tr, k->session, on_vma, k))) ||
	    FAILED(hr = find_modules(k)))
		return hr;
	for (size_t i = 0; i < k->nthreads; i++) {
		k->proc.utime_ns += k->threads[i].utime_ns;
		k->proc.stime_ns += k->threads[i].stime_ns;
	}
	drain_events(k);
	return S_OK;
}

static HRESULT ks_process(void *ctx, struct kmd_src_process *out)
{
	struct kmod_src *k = ctx;

	*out = k->proc;
	return S_OK;
}

static HRESULT ks_threads(void *ctx, const struct kmd_src_thread **v, size_t *n)
{
	struct kmod_src *k = ctx;

	*v = k->threads;
	*n = k->nthreads;
	return S_OK;
}

static HRESULT ks_vmas(void *ctx, const struct kmd_src_vma **v, size_t *n)
{
	struct kmod_src *k = ctx;

	*v = k->vmas;
	*n = k->nvmas;
	return S_OK;
}

static HRESULT ks_modules(void *ctx, const struct kmd_src_module **v, size_t *n)
{
	struct kmod_src *k = ctx;

	*v = k->modules;
	*n = k->nmodules;
	return S_OK;
}

static HRESULT ks_read(void *ctx, uint64_t addr, void *buf, size_t len, size_t *done)
{
	struct kmod_src *k = ctx;
	HRESULT hr = kmd_tr_read_buf(k->tr, k->session, addr, buf, len, done);

	drain_events(k);
	return hr;
}

struct direct {
	kmd_fail_fn fail;
	void *arg;
	HRESULT fatal; /* a piece that failed without naming its extents */
};

static int on_piece(void *arg, const struct kmd_tr_piece *p)
{
	struct direct *d = arg;
	uint32_t i;

	if (FAILED(p->hr) && !p->nfailed) {
		d->fatal = p->hr;
		return 1;
	}
	for (i = 0; i < p->nfailed; i++)
		d->fail(d->arg, p->failed[i].addr, p->failed[i].len, p->failed[i].hr);
	return 0;
}

/* Bulk bytes bypass netlink: the module writes them into the dump file itself. */
static HRESULT ks_read_to_fd(void *ctx, int fd, uint64_t addr, uint64_t len, uint64_t off,
			     kmd_fail_fn fail, void *arg)
{
	struct kmod_src *k = ctx;
	struct kmd_tr_range r = { addr, len, off };
	struct direct d = { fail, arg, S_OK };
	HRESULT hr = kmd_tr_read_to_fd(k->tr, k->session, fd, &r, 1, on_piece, &d);

	drain_events(k);
	if (FAILED(d.fatal))
		return d.fatal;
	return hr == (HRESULT)KMDUMP_E_PARTIAL_COPY ? S_OK : hr;
}

#define KMD_BATCH 256 /* ranges per request (the module takes up to max-ranges) */

struct batch {
	struct kmd_src_read *r;
	size_t n;
};

static int on_batch_piece(void *arg, const struct kmd_tr_piece *p)
{
	struct batch *b = arg;
	struct kmd_src_read *r;
	uint64_t off;
	uint32_t i;

	if (p->range_index >= b->n)
		return 1;
	r = &b->r[p->range_index];
	off = p->addr - r->addr;
	if (p->addr < r->addr || off > r->len || p->data_len > r->len - off)
		return 1;
	memcpy((uint8_t *)r->buf + off, p->data, p->data_len);
	for (i = 0; i < p->nfailed; i++) {
		if (SUCCEEDED(r->hr))	/* the first failure's own reason */
			r->hr = p->failed[i].hr;
		if (p->failed[i].addr >= r->addr && p->failed[i].addr - r->addr < r->done)
			r->done = p->failed[i].addr - r->addr;
	}
	if (FAILED(p->hr) && SUCCEEDED(r->hr))
		r->hr = p->hr;
	return 0;
}

static HRESULT ks_read_batch(void *ctx, struct kmd_src_read *r, size_t n)
{
	struct kmod_src *k = ctx;
	struct kmd_tr_range ranges[KMD_BATCH];
	size_t i, base;
	HRESULT hr = S_OK;

	for (base = 0; base < n && SUCCEEDED(hr); base += KMD_BATCH) {
		struct batch b = { r + base, n - base < KMD_BATCH ? n - base : KMD_BATCH };

		for (i = 0; i < b.n; i++) {
			ranges[i].addr = b.r[i].addr;
			ranges[i].len = b.r[i].len;
			ranges[i].offset = 0;
			b.r[i].done = b.r[i].len; /* lowered by failed extents */
			b.r[i].hr = S_OK;
		}
		hr = kmd_tr_read(k->tr, k->session, ranges, b.n, on_batch_piece, &b);
		if (hr == (HRESULT)KMDUMP_E_PARTIAL_COPY)
			hr = S_OK; /* per-range results carry it */
	}
	drain_events(k);
	return hr;
}

static HRESULT blob_copy(struct kmd_blob *out, const void *p, size_t len)
{
	if (!p || !len)
		return (HRESULT)KMDUMP_E_NOT_FOUND;
	out->data = malloc(len);
	if (!out->data)
		return E_OUTOFMEMORY;
	memcpy(out->data, p, len);
	out->len = len;
	return S_OK;
}

static HRESULT blob_file(struct kmd_blob *out, const char *path)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	if (!buf)
		return E_OUTOFMEMORY;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return kmd_hresult_from_errno(errno);
	}
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb)
				break;
			buf = nb;
		}
	}
	close(fd);
	out->data = buf;
	out->len = len;
	return S_OK;
}

static HRESULT ks_file(void *ctx, enum kmd_src_file which, struct kmd_blob *out)
{
	struct kmod_src *k = ctx;

	switch (which) {
	case KMD_FILE_STATUS:
		return kmd_proc_status_text(&k->tp, out);
	case KMD_FILE_CMDLINE:
		return blob_copy(out, k->tp.cmdline, k->tp.cmdline_len);
	case KMD_FILE_ENVIRON:
		return blob_copy(out, k->tp.environ, k->tp.environ_len);
	case KMD_FILE_AUXV:
		return blob_copy(out, k->tp.auxv, k->tp.auxv_len);
	case KMD_FILE_CPUINFO:
		return blob_file(out, "/proc/cpuinfo");
	case KMD_FILE_LSB_RELEASE:
		/* Breakpad reads /etc/lsb-release; Debian ships only os-release */
		if (SUCCEEDED(blob_file(out, "/etc/lsb-release")))
			return S_OK;
		return blob_file(out, "/etc/os-release");
	default:
		return (HRESULT)KMDUMP_E_NOT_FOUND; /* LinuxMaps is rebuilt from the VMAs */
	}
}

static HRESULT ks_kernel_dump(void *ctx, int fd)
{
	struct kmod_src *k = ctx;
	HRESULT hr, status = E_FAIL;
	uint32_t job;
	uint64_t bytes;

	if (!k->ev)
		return E_ACCESSDENIED; /* the kernel dump and its status need CAP_SYS_ADMIN */
	hr = kmd_tr_kernel_dump(k->tr, k->session, fd, &job);
	if (FAILED(hr))
		return hr;
	hr = kmd_tr_events_wait_kdump(k->ev, job, KMD_KDUMP_WAIT_MS, &status, &bytes);
	if (hr == S_FALSE)
		return (HRESULT)KMDUMP_E_TIMEOUT;
	return FAILED(hr) ? hr : status;
}

static void ks_thaw(void *ctx)
{
	struct kmod_src *k = ctx;
	uint64_t pause = 0;

	if (!k->open)
		return;
	drain_events(k);
	if (SUCCEEDED(kmd_tr_session_close(k->tr, k->session, &pause)))
		k->proc.pause_ns = pause;
	k->open = false;
}

static void ks_close(void *ctx)
{
	struct kmod_src *k = ctx;
	size_t i;

	ks_thaw(k);
	for (i = 0; i < k->nthreads; i++)
		free((void *)k->threads[i].kstack);
	for (i = 0; i < k->nvmas; i++)
		free((void *)k->vmas[i].path);
	free(k->threads);
	free(k->vmas);
	free(k->modules);
	kmd_tr_process_free(&k->tp);
	if (k->ev)
		kmd_tr_events_close(k->ev);
	if (k->tr)
		kmd_tr_close(k->tr);
	if (k->mem_fd >= 0)
		close(k->mem_fd);
	free(k);
}

static const struct kmd_source_ops kmod_ops = {
	.capture = ks_capture,
	.process = ks_process,
	.threads = ks_threads,
	.vmas = ks_vmas,
	.modules = ks_modules,
	.read = ks_read,
	.read_to_fd = ks_read_to_fd,
	.read_batch = ks_read_batch,
	.file = ks_file,
	.kernel_dump = ks_kernel_dump,
	.thaw = ks_thaw,
	.close = ks_close,
};

/* /proc/<pid>/mem is the proof of ptrace access the module asks for (DESIGN 6). */
static HRESULT open_mem(struct kmod_src *k, char *msg, size_t len)
{
	char path[64];
	int err;

	snprintf(path, sizeof(path), "/proc/%u/mem", k->pid);
	k->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (k->mem_fd >= 0)
		return S_OK;
	err = errno;
	if (err == ENOENT) {
		snprintf(msg, len, "no process %u: check the pid (it may have exited)", k->pid);
		return (HRESULT)KMDUMP_E_INVALID_CID;
	}
	if (err == EACCES || err == EPERM) {
		snprintf(msg, len,
			 "you may not read process %u (ptrace access: run as its user or with CAP_SYS_PTRACE, and check /proc/sys/kernel/yama/ptrace_scope)",
			 k->pid);
		return E_ACCESSDENIED;
	}
	snprintf(msg, len, "cannot open %s: %s", path, strerror(err));
	return kmd_hresult_from_errno(err);
}

HRESULT kmd_source_kmod_open(struct kmd_source *src, uint32_t pid, char *msg, size_t msglen)
{
	struct kmod_src *k = calloc(1, sizeof(*k));
	HRESULT hr;

	if (!k) {
		snprintf(msg, msglen, "out of memory");
		return E_OUTOFMEMORY;
	}
	k->pid = pid;
	k->mem_fd = -1;
	/* the engine sets on_status in *src, which outlives the session (until close) */
	k->src = src;
	hr = open_mem(k, msg, msglen);
	if (SUCCEEDED(hr)) {
		k->tr = NULL;
		hr = kmd_tr_open(&k->tr);
		if (hr == (HRESULT)KMDUMP_E_NOT_FOUND)
			snprintf(msg, msglen,
				 "the kmdump kernel module is not loaded: load it: insmod kmdump.ko (or modprobe kmdump)");
		else if (FAILED(hr))
			snprintf(msg, msglen, "cannot talk to the kmdump module: %s",
				 k->tr ? kmd_tr_errmsg(k->tr) : kmdump_strerror(hr));
	}
	if (FAILED(hr)) {
		if (FAILED(hr) && k->tr)
			kmd_tr_close(k->tr);
		k->tr = NULL;
		ks_close(k);
		return hr;
	}
	if (FAILED(kmd_tr_events_open(&k->ev)))
		k->ev = NULL; /* not root: no status events, no kernel dump */
	src->ops = &kmod_ops;
	src->ctx = k;
	return S_OK;
}
