// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The callback sequence. Each step below is one numbered step of "The callback
 * stream" in <kmdump/kmdump.h>; keep the two in the same order.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include "engine.h"

/* Module status events arrive while the engine waits on the module. */
static void eng_on_status(void *arg, HRESULT status)
{
	struct eng *e = arg;
	MINIDUMP_CALLBACK_INPUT in = { 0 };
	MINIDUMP_CALLBACK_OUTPUT out = { 0 };

	in.Status = status;
	kmd_eng_callback(e, KernelMinidumpStatusCallback, &in, &out);
}

/* Steps 1-5: snapshot, VM and I/O negotiation, secondary flags, first cancel poll. */
static HRESULT step_negotiate(struct eng *e)
{
	MINIDUMP_CALLBACK_INPUT in = { 0 };
	MINIDUMP_CALLBACK_OUTPUT out = { 0 };

	out.Status = E_NOTIMPL;
	kmd_eng_callback(e, IsProcessSnapshotCallback, &in, &out);

	memset(&out, 0, sizeof(out));
	out.Status = E_NOTIMPL;
	e->vm_on = kmd_eng_callback(e, VmStartCallback, &in, &out) && out.Status == S_FALSE;

	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	in.Io.Handle = e->a->fd;
	out.Status = E_NOTIMPL;
	e->io_redirect = kmd_eng_callback(e, IoStartCallback, &in, &out) && out.Status == S_FALSE;

	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	if (kmd_eng_callback(e, SecondaryFlagsCallback, &in, &out))
		e->secondary = out.SecondaryFlags;
	if (e->secondary & ~(uint32_t)MiniSecondaryValidFlags)
		return kmd_eng_fail(e, E_INVALIDARG,
				"SecondaryFlagsCallback returned 0x%x; only MiniSecondaryWithoutPowerInfo (0x1) is defined",
				e->secondary);
	if (!e->io_redirect) {
		int fl = fcntl(e->a->fd, F_GETFL);

		if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
			return kmd_eng_fail(e, E_HANDLE, "the output descriptor %d is not open for writing",
					e->a->fd);
		if (fl & O_APPEND)
			return kmd_eng_fail(e, E_INVALIDARG,
					"the output descriptor %d is opened with O_APPEND, which ignores the offsets a dump is written at; open it without O_APPEND",
					e->a->fd);
		e->base = lseek(e->a->fd, 0, SEEK_CUR);
		if (e->base < 0)
			return kmd_eng_fail(e, (HRESULT)KMDUMP_E_SEEK,
					"the output descriptor %d cannot be written at an offset: give a regular file, or redirect I/O with IoStartCallback",
					e->a->fd);
	}
	e->polling = true;
	return kmd_eng_poll_cancel(e);
}

/* Step 6: IncludeThreadCallback per thread. */
static HRESULT step_include_threads(struct eng *e)
{
	uint32_t defaults = kmd_policy_thread_flags(e->a->dump_type);
	size_t i;

	for (i = 0; i < e->nthreads; i++) {
		MINIDUMP_CALLBACK_INPUT in = { 0 };
		MINIDUMP_CALLBACK_OUTPUT out = { 0 };
		struct eng_thread *t = &e->threads[i];

		if (FAILED(kmd_eng_poll_cancel(e)))
			return e->err;
		t->src = &e->sthreads[i];
		t->flags = defaults;
		in.IncludeThread.ThreadId = t->src->tid;
		out.ThreadWriteFlags = defaults;
		if (e->a->callback && !kmd_eng_callback(e, IncludeThreadCallback, &in, &out))
			t->excluded = true;
		else if (e->a->callback)
			t->flags &= out.ThreadWriteFlags;
		if (!(t->flags & ThreadWriteThread))
			t->excluded = true;
	}
	return S_OK;
}

/* Step 7: IncludeModuleCallback per module. */
static HRESULT step_include_modules(struct eng *e)
{
	uint32_t defaults = kmd_policy_module_flags(e->a->dump_type);
	size_t i;

	for (i = 0; i < e->nmodules; i++) {
		MINIDUMP_CALLBACK_INPUT in = { 0 };
		MINIDUMP_CALLBACK_OUTPUT out = { 0 };
		struct eng_module *m = &e->modules[i];

		if (FAILED(kmd_eng_poll_cancel(e)))
			return e->err;
		m->src = &e->smodules[i];
		m->flags = defaults;
		in.IncludeModule.BaseOfImage = m->src->base;
		out.ModuleWriteFlags = defaults;
		if (e->a->callback && !kmd_eng_callback(e, IncludeModuleCallback, &in, &out))
			m->excluded = true;
		else if (e->a->callback)
			m->flags &= out.ModuleWriteFlags;
		if (!(m->flags & ModuleWriteModule))
			m->excluded = true;
	}
	return S_OK;
}

/* The stack range of a thread: sp & ~page up to the limit, clipped to its mapping. */
static void thread_stack_range(struct eng *e, struct eng_thread *t)
{
	uint64_t limit = e->a->stack_limit ? e->a->stack_limit : KMD_DEFAULT_STACK;
	uint64_t sp = kmd_exception_stack_pointer(e, t);
	const struct kmd_src_vma *v = kmd_vma_find(e, sp);
	uint64_t hi_bound;

	t->stack_lo = t->stack_hi = 0;
	if (!sp || !v || !(v->flags & KMD_SRC_V_READ) || (v->flags & KMD_SRC_V_NOREAD))
		return; /* no registers, or sp points nowhere readable: no stack to write */
	hi_bound = v->end;
	t->stack_lo = sp & ~(KMD_PAGE - 1);
	if (v && t->stack_lo < v->start)
		t->stack_lo = v->start;
	t->stack_hi = t->stack_lo + limit < hi_bound ? t->stack_lo + limit : hi_bound;
}

static HRESULT stack_failed(struct eng *e, const struct eng_thread *t, HRESULT hr, size_t done)
{
	return kmd_eng_fail(e, hr, "the stack of thread %u at 0x%llx could not be read (%zu of %llu bytes)",
			t->src->tid, (unsigned long long)t->stack_lo, done,
			(unsigned long long)(t->stack_hi - t->stack_lo));
}

static bool wants_stack(const struct eng_thread *t)
{
	return !t->excluded && (t->flags & ThreadWriteStack) && t->stack_hi > t->stack_lo;
}

/* Every stack in one request: the target is held, round trips are pause time. */
static HRESULT read_stacks_batched(struct eng *e)
{
	struct kmd_src_read *r = calloc(e->nthreads + 1, sizeof(*r));
	size_t i, n = 0;
	HRESULT hr;

	if (!r)
		return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	for (i = 0; i < e->nthreads; i++) {
		struct eng_thread *t = &e->threads[i];

		if (!wants_stack(t))
			continue;
		r[n].addr = t->stack_lo;
		r[n].len = t->stack_hi - t->stack_lo;
		r[n].buf = t->stack = malloc(r[n].len);
		if (!t->stack) {
			free(r);
			return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory reading the stacks");
		}
		n++;
	}
	hr = n ? e->src->ops->read_batch(e->src->ctx, r, n) : S_OK;
	if (FAILED(hr)) {
		free(r);
		return kmd_eng_fail(e, hr, "reading the threads' stacks failed: %s", kmdump_strerror(hr));
	}
	for (i = 0, n = 0; i < e->nthreads && SUCCEEDED(e->err); i++) {
		if (!wants_stack(&e->threads[i]))
			continue;
		if (FAILED(r[n].hr))
			stack_failed(e, &e->threads[i], r[n].hr, r[n].done);
		n++;
	}
	free(r);
	return e->err;
}

/* One stack at a time, each read bracketed by VmPreRead/VmPostRead when they are on. */
static HRESULT read_stacks_one_by_one(struct eng *e)
{
	size_t i, done;
	HRESULT hr;

	for (i = 0; i < e->nthreads && SUCCEEDED(e->err); i++) {
		struct eng_thread *t = &e->threads[i];

		if (!wants_stack(t))
			continue;
		t->stack = malloc(t->stack_hi - t->stack_lo);
		if (!t->stack)
			return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory reading a stack");
		hr = kmd_mem_read(e, t->stack_lo, t->stack, t->stack_hi - t->stack_lo, &done);
		if (FAILED(hr))
			stack_failed(e, t, hr, done);
	}
	return e->err;
}

/* Step 8: ThreadCallback / ThreadExCallback per included thread, then the stacks. */
static HRESULT step_threads(struct eng *e)
{
	bool ex = e->a->dump_type & MiniDumpWithProcessThreadData;
	MINIDUMP_CALLBACK_INPUT *in = aligned_alloc(16, (sizeof(*in) + 15) & ~(size_t)15);
	size_t i;

	if (!in)
		return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	for (i = 0; i < e->nthreads && SUCCEEDED(e->err); i++) {
		MINIDUMP_CALLBACK_OUTPUT out = { 0 };
		struct eng_thread *t = &e->threads[i];

		if (t->excluded)
			continue;
		if (FAILED(kmd_eng_poll_cancel(e)))
			break;
		t->ctx = aligned_alloc(16, sizeof(CONTEXT));
		if (!t->ctx) {
			kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
			break;
		}
		kmd_context_from_regs(t->ctx, t->src);
		thread_stack_range(e, t);
		t->teb = t->src->regs.fs_base;
		memset(in, 0, sizeof(*in));
		/* Thread and ThreadEx share their leading members */
		in->ThreadEx.ThreadId = t->src->tid;
		in->ThreadEx.Context = *t->ctx;
		in->ThreadEx.SizeOfContext = sizeof(CONTEXT);
		in->ThreadEx.StackBase = t->stack_lo;
		in->ThreadEx.StackEnd = t->stack_hi;
		if (ex && t->teb) {
			in->ThreadEx.BackingStoreBase = t->teb - KMD_PAGE;
			in->ThreadEx.BackingStoreEnd = t->teb + KMD_PAGE;
		}
		out.ThreadWriteFlags = t->flags;
		if (e->a->callback) {
			if (!kmd_eng_callback(e, ex ? ThreadExCallback : ThreadCallback, in, &out))
				t->excluded = true;
			else
				t->flags &= out.ThreadWriteFlags;
		}
		if (!(t->flags & ThreadWriteThread))
			t->excluded = true;
	}
	free(in);
	if (FAILED(e->err))
		return e->err;
	/* the stacks, after every ThreadCallback has said which ones it wants */
	if (e->src->ops->read_batch && !e->vm_on)
		return read_stacks_batched(e);
	return read_stacks_one_by_one(e);
}

static void module_describe(struct eng_module *m, bool strip_dirs)
{
	const char *path = m->src->path ? m->src->path : "";
	const char *slash = strrchr(path, '/');

	if (strip_dirs && slash)
		path = slash + 1;
	kmd_utf8_to_utf16(path, &m->wpath, &m->wpath_units);
	m->cv_len = 0;
	if (m->src->build_id_len) {
		uint32_t sig = KMDUMP_CV_SIGNATURE_ELF;

		memcpy(m->cv, &sig, 4);
		memcpy(m->cv + 4, m->src->build_id, m->src->build_id_len);
		m->cv_len = 4 + m->src->build_id_len;
	}
}

/* Step 9: ModuleCallback per included module. */
static HRESULT step_modules(struct eng *e)
{
	bool strip = e->a->dump_type & MiniDumpFilterModulePaths;
	size_t i;

	for (i = 0; i < e->nmodules; i++) {
		MINIDUMP_CALLBACK_INPUT in = { 0 };
		MINIDUMP_CALLBACK_OUTPUT out = { 0 };
		struct eng_module *m = &e->modules[i];

		if (m->excluded)
			continue;
		if ((e->a->dump_type & MiniDumpScanMemory) && !m->referenced) {
			/* nothing on any stack points into it */
			m->flags &= ~(uint32_t)ModuleReferencedByMemory;
			m->excluded = true;
			continue;
		}
		if (FAILED(kmd_eng_poll_cancel(e)))
			return e->err;
		module_describe(m, strip);
		if (!m->wpath)
			return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
		in.Module.FullPath = m->wpath;
		in.Module.BaseOfImage = m->src->base;
		in.Module.SizeOfImage = (ULONG)m->src->size;
		in.Module.CvRecord = m->cv_len ? m->cv : NULL;
		in.Module.SizeOfCvRecord = m->cv_len;
		out.ModuleWriteFlags = m->flags;
		if (e->a->callback) {
			if (!kmd_eng_callback(e, ModuleCallback, &in, &out))
				m->excluded = true;
			else
				m->flags &= out.ModuleWriteFlags;
		}
		if (!(m->flags & ModuleWriteModule))
			m->excluded = true;
		if (!(m->flags & ModuleWriteCvRecord))
			m->cv_len = 0;
	}
	return S_OK;
}

/* ScanMemory: which modules do stack words (and instruction pointers) point into? */
static void scan_stacks(struct eng *e)
{
	size_t i, k;
	long m;

	if (!(e->a->dump_type & MiniDumpScanMemory))
		return;
	for (i = 0; i < e->nthreads; i++) {
		struct eng_thread *t = &e->threads[i];
		uint64_t n = t->stack ? (t->stack_hi - t->stack_lo) / 8 : 0;

		for (k = 0; k < n; k++) {
			uint64_t w;

			memcpy(&w, t->stack + k * 8, 8);
			m = kmd_policy_module_index(e, w);
			if (m >= 0)
				e->modules[m].referenced = true;
		}
		m = !t->excluded && t->ctx ? kmd_policy_module_index(e, t->ctx->Rip) : -1;
		if (m >= 0)
			e->modules[m].referenced = true;
	}
}

/* Steps 10 and 11: the Memory and RemoveMemory loops. */
static HRESULT step_memory_loops(struct eng *e)
{
	ULONG types[2] = { MemoryCallback, RemoveMemoryCallback };
	int pass;

	if ((e->a->dump_type & MiniDumpWithFullMemory) || !e->a->callback)
		return S_OK;
	for (pass = 0; pass < 2; pass++) {
		for (;;) {
			MINIDUMP_CALLBACK_INPUT in = { 0 };
			MINIDUMP_CALLBACK_OUTPUT out = { 0 };
			uint64_t lo, hi;
			int rc;

			if (FAILED(kmd_eng_poll_cancel(e)))
				return e->err;
			if (!kmd_eng_callback(e, types[pass], &in, &out) || !out.MemorySize)
				break;
			lo = out.MemoryBase;
			hi = lo + out.MemorySize;
			if (hi < lo)
				return kmd_eng_fail(e, E_INVALIDARG,
						"%s returned a range that wraps around (0x%llx + 0x%x)",
						pass ? "RemoveMemoryCallback" : "MemoryCallback",
						(unsigned long long)lo, out.MemorySize);
			rc = pass ? kmd_ranges_remove(&e->blocks, lo, hi) : kmd_ranges_add(&e->blocks, lo, hi);
			if (rc)
				return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
		}
	}
	return S_OK;
}

/* Steps 16-17: kernel minidump on request, with its status. */
static void step_kernel_dump(struct eng *e)
{
	MINIDUMP_CALLBACK_INPUT in = { 0 };
	MINIDUMP_CALLBACK_OUTPUT out = { 0 };
	HRESULT hr;

	out.Handle = INVALID_HANDLE_VALUE;
	if (!kmd_eng_callback(e, WriteKernelMinidumpCallback, &in, &out) ||
	    out.Handle == INVALID_HANDLE_VALUE)
		return;
	if (out.Handle < 0 || out.Handle > INT32_MAX)
		hr = E_HANDLE;
	else
		hr = e->src->ops->kernel_dump(e->src->ctx, (int)out.Handle);
	e->res->kernel_dump_status = hr;
	in.Status = hr;
	memset(&out, 0, sizeof(out));
	kmd_eng_callback(e, KernelMinidumpStatusCallback, &in, &out);
}

static HRESULT load_process(struct eng *e)
{
	const struct kmd_source_ops *ops = e->src->ops;
	uint32_t cap = KMD_CAPTURE_DEBUGREGS;
	HRESULT hr;

	if (e->a->flags & KMDUMP_FLAG_ENVIRONMENT)
		cap |= KMD_CAPTURE_ENVIRON;
	if (!(e->a->dump_type & MiniDumpWithoutAuxiliaryState))
		cap |= KMD_CAPTURE_KSTACKS;
	hr = ops->capture(e->src->ctx, cap);
	if (FAILED(hr))
		return kmd_eng_fail(e, hr, "capturing process %u failed: %s", e->a->pid,
				kmdump_strerror(hr));
	if (FAILED(hr = ops->process(e->src->ctx, &e->proc)) ||
	    FAILED(hr = ops->threads(e->src->ctx, &e->sthreads, &e->nthreads)) ||
	    FAILED(hr = ops->vmas(e->src->ctx, &e->vmas, &e->nvmas)) ||
	    FAILED(hr = ops->modules(e->src->ctx, &e->smodules, &e->nmodules)))
		return kmd_eng_fail(e, hr, "reading the capture of process %u failed: %s",
				e->a->pid, kmdump_strerror(hr));
	e->threads = calloc(e->nthreads + 1, sizeof(*e->threads));
	e->modules = calloc(e->nmodules + 1, sizeof(*e->modules));
	if (!e->threads || !e->modules)
		return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	return S_OK;
}

static HRESULT check_args(struct eng *e)
{
	const struct kmd_dump_args *a = e->a;
	uint32_t i, j;

	if (!a->pid)
		return kmd_eng_fail(e, E_INVALIDARG, "no process id given");
	if (a->fd < 0 && !a->callback)
		return kmd_eng_fail(e, E_HANDLE, "no output: the descriptor is %d", a->fd);
	if (a->user_stream_count && !a->user_streams)
		return kmd_eng_fail(e, E_INVALIDARG, "user_stream_count is %u but no streams given",
				a->user_stream_count);
	if (a->user_stream_count > KMD_MAX_USER_STREAMS)
		return kmd_eng_fail(e, E_INVALIDARG, "too many user streams (%u, at most %u)",
				a->user_stream_count, KMD_MAX_USER_STREAMS);
	for (i = 0; i < a->user_stream_count; i++) {
		const struct kmdump_user_stream *s = &a->user_streams[i];

		if (s->type <= LastReservedStream || (s->type & 0xFFFF0000u) == 0x47670000u ||
		    s->type == KMDUMP_STREAM_THREAD_KSTACKS)
			return kmd_eng_fail(e, E_INVALIDARG,
					"user stream %u has type 0x%x: user streams need a type above 0xFFFF that the library does not write itself",
					i, s->type);
		if (s->size && !s->buffer)
			return kmd_eng_fail(e, E_INVALIDARG, "user stream %u has no buffer", i);
		for (j = 0; j < i; j++)
			if (a->user_streams[j].type == s->type)
				return kmd_eng_fail(e, E_INVALIDARG,
						"user stream type 0x%x appears twice; each stream type may appear once",
						s->type);
	}
	return kmd_policy_check_type(e);
}

/* Steps 12-15: the file. Metadata first, then memory, the tables, the directory. */
static HRESULT write_dump(struct eng *e)
{
	if (FAILED(kmd_streams_write_metadata(e)) || FAILED(kmd_streams_write_memory_list(e)) ||
	    FAILED(kmd_streams_write_thread_list(e)) || FAILED(kmd_streams_write_memory64(e)) ||
	    FAILED(kmd_dir_write(e)) || FAILED(kmd_sink_finish(e)))
		return e->err;
	return S_OK;
}

static void eng_free(struct eng *e)
{
	size_t i;

	for (i = 0; e->threads && i < e->nthreads; i++) {
		free(e->threads[i].ctx);
		free(e->threads[i].stack);
	}
	for (i = 0; e->modules && i < e->nmodules; i++)
		free(e->modules[i].wpath);
	free(e->threads);
	free(e->modules);
	kmd_ranges_free(&e->blocks);
	kmd_ranges_free(&e->module_spans);
	kmd_ranges_free(&e->stack_spans);
	free(e->mod_order);
	free(e->mem.v);
	free(e->mem64.v);
	free(e->exc_ctx);
}

static void fill_result(struct eng *e)
{
	struct kmd_src_process p;
	size_t i;

	e->res->bytes = e->end;
	for (i = 0; i < e->nthreads; i++)
		e->res->threads += e->threads && !e->threads[i].excluded && e->threads[i].src;
	for (i = 0; i < e->nmodules; i++)
		e->res->modules += e->modules && !e->modules[i].excluded && e->modules[i].src;
	e->res->memory_ranges = (uint32_t)(e->mem.n + e->mem64.n);
	if (SUCCEEDED(e->src->ops->process(e->src->ctx, &p)))
		e->res->pause_ns = p.pause_ns;
}

HRESULT kmd_engine_check_args(const struct kmd_dump_args *a, struct kmdump_result *res)
{
	struct eng e = { .a = a, .res = res, .err = S_OK };

	memset(res, 0, sizeof(*res));
	return check_args(&e);
}

HRESULT kmd_engine_run(struct kmd_source *src, const struct kmd_dump_args *a,
		       struct kmdump_result *res)
{
	struct eng e = { .a = a, .src = src, .res = res, .err = S_OK };

	memset(res, 0, sizeof(*res));
	e.cap = a->max_size ? a->max_size : UINT64_MAX;
	src->on_status = eng_on_status;
	src->status_arg = &e;
	if (SUCCEEDED(check_args(&e)) && SUCCEEDED(step_negotiate(&e)) &&
	    SUCCEEDED(load_process(&e)) && SUCCEEDED(kmd_exception_resolve(&e)) &&
	    SUCCEEDED(step_include_threads(&e)) && SUCCEEDED(step_include_modules(&e)) &&
	    SUCCEEDED(step_threads(&e)) && SUCCEEDED(kmd_policy_build_spans(&e))) {
		scan_stacks(&e);
		if (SUCCEEDED(step_modules(&e)) && SUCCEEDED(kmd_policy_add_blocks(&e)) &&
		    SUCCEEDED(step_memory_loops(&e)))
			write_dump(&e);
	}
	/* the kernel dump describes the frozen threads: the target is released after it */
	if (SUCCEEDED(e.err))
		step_kernel_dump(&e);
	src->ops->thaw(src->ctx);
	if (FAILED(e.err))
		kmd_sink_invalidate(&e);
	fill_result(&e);
	src->on_status = NULL;
	eng_free(&e);
	return e.err;
}
