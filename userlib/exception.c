// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The Exception stream. Exception information from the caller (native, or Windows with
 * ClientPointers read from the target) is resolved before the threads are visited,
 * because the exception thread's stack is taken at the exception's stack pointer: a
 * crash handler runs on its alternate signal stack, and the stack that matters is the
 * one at the fault. Without exception information the dump-requested form names the
 * first thread written.
 */
#include <stdlib.h>
#include <string.h>
#include "engine.h"

static HRESULT read_client(struct eng *e, const void *p, void *out, size_t len, const char *what)
{
	size_t done;

	if (!p || FAILED(kmd_mem_read(e, (uint64_t)(uintptr_t)p, out, len, &done)))
		return kmd_eng_fail(e, E_INVALIDARG,
				"the %s could not be read from process %u at %p (ClientPointers is TRUE: the pointers must be addresses in the target)",
				what, e->a->pid, p);
	return S_OK;
}

/* MiniDumpWriteDump's ExceptionParam: EXCEPTION_POINTERS here or in the target. */
static HRESULT resolve_windows(struct eng *e, CONTEXT *ctx, bool *have_ctx)
{
	const MINIDUMP_EXCEPTION_INFORMATION *w = e->a->win_exception;
	EXCEPTION_POINTERS ptrs;
	EXCEPTION_RECORD rec;
	uint32_t i;

	if (!w->ExceptionPointers)
		return kmd_eng_fail(e, E_INVALIDARG, "ExceptionParam has no ExceptionPointers");
	if (w->ClientPointers) {
		if (FAILED(read_client(e, w->ExceptionPointers, &ptrs, sizeof(ptrs), "EXCEPTION_POINTERS")) ||
		    FAILED(read_client(e, ptrs.ExceptionRecord, &rec, sizeof(rec), "EXCEPTION_RECORD")))
			return e->err;
		if (ptrs.ContextRecord &&
		    FAILED(read_client(e, ptrs.ContextRecord, ctx, sizeof(*ctx), "exception CONTEXT")))
			return e->err;
	} else {
		ptrs = *w->ExceptionPointers;
		if (!ptrs.ExceptionRecord)
			return kmd_eng_fail(e, E_INVALIDARG, "ExceptionPointers has no ExceptionRecord");
		rec = *ptrs.ExceptionRecord;
		if (ptrs.ContextRecord)
			*ctx = *ptrs.ContextRecord;
	}
	*have_ctx = ptrs.ContextRecord != NULL;
	e->exc.ThreadId = w->ThreadId;
	e->exc.ExceptionRecord.ExceptionCode = rec.ExceptionCode;
	e->exc.ExceptionRecord.ExceptionFlags = rec.ExceptionFlags;
	e->exc.ExceptionRecord.ExceptionRecord = (uint64_t)(uintptr_t)rec.ExceptionRecord;
	e->exc.ExceptionRecord.ExceptionAddress = (uint64_t)(uintptr_t)rec.ExceptionAddress;
	e->exc.ExceptionRecord.NumberParameters = rec.NumberParameters > EXCEPTION_MAXIMUM_PARAMETERS
							  ? EXCEPTION_MAXIMUM_PARAMETERS
							  : rec.NumberParameters;
	for (i = 0; i < e->exc.ExceptionRecord.NumberParameters; i++)
		e->exc.ExceptionRecord.ExceptionInformation[i] = rec.ExceptionInformation[i];
	return S_OK;
}

HRESULT kmd_exception_resolve(struct eng *e)
{
	const struct kmdump_exception *ke = e->a->exception;
	bool have_ctx = false;
	size_t i;

	if (!ke && !e->a->win_exception)
		return S_OK;
	e->exc_given = true;
	e->exc_ctx = aligned_alloc(16, sizeof(CONTEXT));
	if (!e->exc_ctx)
		return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	memset(e->exc_ctx, 0, sizeof(*e->exc_ctx));
	if (ke) {
		e->exc.ThreadId = ke->thread_id;
		e->exc.ExceptionRecord.ExceptionCode = (ULONG32)ke->signo;
		e->exc.ExceptionRecord.ExceptionFlags = (ULONG32)ke->si_code;
		e->exc.ExceptionRecord.ExceptionAddress = ke->fault_address;
		if (ke->context) {
			*e->exc_ctx = *ke->context;
			have_ctx = true;
		}
	} else if (FAILED(resolve_windows(e, e->exc_ctx, &have_ctx))) {
		return e->err;
	}
	if (!have_ctx) {
		free(e->exc_ctx);
		e->exc_ctx = NULL;
	}
	for (i = 0; i < e->nthreads; i++)
		if (e->sthreads[i].tid == e->exc.ThreadId)
			return S_OK;
	return kmd_eng_fail(e, E_INVALIDARG,
			"the exception names thread %u, which is not a thread of process %u",
			e->exc.ThreadId, e->a->pid);
}

/* The stack pointer a thread's stack is captured at: the exception's for its thread. */
uint64_t kmd_exception_stack_pointer(const struct eng *e, const struct eng_thread *t)
{
	if (e->exc_given && e->exc_ctx && t->src->tid == e->exc.ThreadId && e->exc_ctx->Rsp)
		return e->exc_ctx->Rsp;
	return (t->src->facts & KMD_SRC_T_REGS) ? t->src->regs.rsp : 0;
}

static const struct eng_thread *first_written(const struct eng *e)
{
	size_t i;

	for (i = 0; i < e->nthreads; i++)
		if (!e->threads[i].excluded && e->threads[i].ctx)
			return &e->threads[i];
	return NULL;
}

static const struct eng_thread *thread_by_tid(const struct eng *e, uint32_t tid)
{
	size_t i;

	for (i = 0; i < e->nthreads; i++)
		if (e->threads[i].src && e->threads[i].src->tid == tid)
			return &e->threads[i];
	return NULL;
}

HRESULT kmd_exception_write(struct eng *e)
{
	MINIDUMP_EXCEPTION_STREAM x = e->exc;
	const struct eng_thread *t;
	CONTEXT *ctx = e->exc_ctx, *own = NULL;
	uint64_t rva = 0;

	if (!e->exc_given) {
		t = first_written(e);
		x.ExceptionRecord.ExceptionCode = MD_EXCEPTION_CODE_LIN_DUMP_REQUESTED;
		if (t) {
			x.ThreadId = t->src->tid;
			x.ExceptionRecord.ExceptionAddress = t->ctx->Rip;
		}
	} else {
		t = thread_by_tid(e, x.ThreadId);
	}
	if (!ctx && t && t->src) {
		/* the thread's own registers (also when the thread itself was left out) */
		own = aligned_alloc(16, sizeof(CONTEXT));
		if (!own)
			return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
		kmd_context_from_regs(own, t->src);
		ctx = own;
	}
	if (ctx && SUCCEEDED(kmd_put_context(e, ctx, &rva))) {
		x.ThreadContext.DataSize = KMD_CONTEXT_BLOB;
		x.ThreadContext.Rva = (RVA)rva;
	}
	free(own);
	if (FAILED(e->err))
		return e->err;
	return kmd_put_stream(e, ExceptionStream, &x, sizeof(x));
}
