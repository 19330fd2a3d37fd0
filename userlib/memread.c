// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reads of target memory. Every read goes through kmd_mem_read(), which brackets it with
 * VmPreRead/VmPostRead when VM callbacks are on. kmd_mem_write_block() streams one block
 * into the dump, turning each unreadable run into one ReadMemoryFailureCallback and
 * splitting the block around the runs it is told to skip.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine.h"

#define KMD_MAX_DESC (64ull << 20) /* Breakpad reads regions up to 64 MiB */

static HRESULT read_piece(struct eng *e, uint64_t addr, uint8_t *buf, size_t len, size_t *done)
{
	MINIDUMP_CALLBACK_INPUT in = { 0 };
	MINIDUMP_CALLBACK_OUTPUT out = { 0 };
	HRESULT status = S_OK;
	size_t got = 0, d = 0;

	if (e->vm_on) {
		in.VmPreRead.Offset = addr;
		in.VmPreRead.Buffer = buf;
		in.VmPreRead.Size = (ULONG)len;
		out.VmReadStatus = E_NOTIMPL;
		if (kmd_eng_callback(e, VmPreReadCallback, &in, &out)) {
			if (out.VmReadStatus == S_OK)
				got = out.VmReadBytesCompleted < len ? out.VmReadBytesCompleted : len;
			else if (out.VmReadStatus != E_NOTIMPL && FAILED(out.VmReadStatus))
				status = out.VmReadStatus;
		}
	}
	if (SUCCEEDED(status) && got < len) {
		status = e->src->ops->read(e->src->ctx, addr + got, buf + got, len - got, &d);
		got += d < len - got ? d : len - got;
	}
	if (e->vm_on) {
		memset(&in, 0, sizeof(in));
		memset(&out, 0, sizeof(out));
		in.VmPostRead.Offset = addr;
		in.VmPostRead.Buffer = buf;
		in.VmPostRead.Size = (ULONG)len;
		in.VmPostRead.Completed = (ULONG)got;
		in.VmPostRead.Status = status;
		out.VmReadStatus = status;
		out.VmReadBytesCompleted = (ULONG)got;
		if (kmd_eng_callback(e, VmPostReadCallback, &in, &out)) {
			status = out.VmReadStatus;
			got = out.VmReadBytesCompleted < len ? out.VmReadBytesCompleted : len;
		}
	}
	if (SUCCEEDED(status) && got < len)
		status = (HRESULT)KMDUMP_E_PARTIAL_COPY;
	*done = got;
	return status;
}

HRESULT kmd_mem_read(struct eng *e, uint64_t addr, void *buf, size_t len, size_t *done)
{
	size_t total = 0;
	HRESULT hr = S_OK;

	while (total < len) {
		size_t n = len - total > KMD_READ_CHUNK ? KMD_READ_CHUNK : len - total, d = 0;

		hr = read_piece(e, addr + total, (uint8_t *)buf + total, n, &d);
		total += d;
		if (FAILED(hr))
			break;
	}
	*done = total;
	return hr;
}

/* How much of want fits under the size cap with tail bytes still to come. */
uint64_t kmd_mem_room(struct eng *e, uint64_t want, uint64_t tail)
{
	uint64_t used = e->end + tail;

	if (used >= e->cap)
		return 0;
	return e->cap - used < want ? e->cap - used : want;
}

/* Records [addr, +len) written at rva, extending the last descriptor when contiguous. */
static HRESULT desc_add(struct eng *e, uint64_t addr, uint64_t len, uint64_t rva, bool full)
{
	struct eng_descs *d = full ? &e->mem64 : &e->mem;
	struct eng_desc *last = d->n ? &d->v[d->n - 1] : NULL;

	if (last && last->start + last->size == addr && last->rva + last->size == rva &&
	    (full || last->size + len <= KMD_MAX_DESC)) {
		last->size += len;
		return S_OK;
	}
	if (kmd_descs_push(d, addr, len, rva))
		return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	return S_OK;
}

/* Whether one more Memory64List range fits the descriptors reserved for it. */
static bool desc_room(struct eng *e, uint64_t addr, bool full)
{
	const struct eng_descs *d = &e->mem64;

	if (!full || (d->n && d->v[d->n - 1].start + d->v[d->n - 1].size == addr) ||
	    d->n < e->mem64_slots)
		return true;
	/* no descriptor left for another range: leave the rest out */
	e->capped = e->res->capped = true;
	return false;
}

/* Appends bytes read at addr to the dump. S_FALSE: left out (no descriptor left). */
static HRESULT emit(struct eng *e, uint64_t addr, const void *buf, size_t len, bool full)
{
	uint64_t rva = e->end;

	if (!desc_room(e, addr, full))
		return S_FALSE;
	if (FAILED(kmd_sink_append(e, buf, len, NULL)))
		return e->err;
	return desc_add(e, addr, len, rva, full);
}

/* End of the unreadable run that starts at addr (page by page, at most to end). */
static uint64_t failed_run_end(struct eng *e, uint64_t addr, uint64_t end)
{
	uint64_t p = (addr | (KMD_PAGE - 1)) + 1;
	uint8_t byte;
	size_t done;

	while (p < end && FAILED(kmd_mem_read(e, p, &byte, 1, &done)))
		p += KMD_PAGE;
	return p < end ? p : end;
}

static HRESULT report_failure(struct eng *e, uint64_t addr, uint64_t len, HRESULT why)
{
	MINIDUMP_CALLBACK_INPUT in = { 0 };
	MINIDUMP_CALLBACK_OUTPUT out = { 0 };
	BOOL ok;

	in.ReadMemoryFailure.Offset = addr;
	in.ReadMemoryFailure.Bytes = len > UINT32_MAX ? UINT32_MAX : (ULONG)len;
	in.ReadMemoryFailure.FailureStatus = why;
	out.Status = (e->a->dump_type & MiniDumpIgnoreInaccessibleMemory) ? S_OK : S_FALSE;
	ok = e->a->callback ? kmd_eng_callback(e, ReadMemoryFailureCallback, &in, &out) : TRUE;
	if (!ok || out.Status != S_OK)
		return kmd_eng_fail(e, why,
				"memory at 0x%llx (%llu bytes) could not be read (0x%08x: %s); pass MiniDumpIgnoreInaccessibleMemory or answer S_OK to ReadMemoryFailureCallback to leave it out",
				(unsigned long long)addr, (unsigned long long)len, (unsigned int)why,
				kmdump_strerror(why));
	e->res->failed_reads++;
	e->tail += 16; /* the block is split: one more descriptor */
	return S_OK;
}

struct direct_fail {
	struct {
		uint64_t addr, len;
		HRESULT why;
	} *v;
	size_t n, cap;
	bool oom;
};

static void direct_failed(void *arg, uint64_t addr, uint64_t len, HRESULT why)
{
	struct direct_fail *f = arg;

	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		void *v = realloc(f->v, cap * sizeof(*f->v));

		if (!v) {
			f->oom = true;
			return;
		}
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n].addr = addr;
	f->v[f->n].len = len;
	f->v[f->n].why = why;
	f->n++;
}

/* Moves len bytes of the dump from offset from down to offset to (to < from). */
static HRESULT move_down(struct eng *e, uint64_t from, uint64_t to, uint64_t len)
{
	uint8_t *buf;
	HRESULT hr = S_OK;

	if (from == to || !len)
		return S_OK;
	buf = malloc(KMD_READ_CHUNK);
	if (!buf)
		return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	while (len && SUCCEEDED(hr)) {
		size_t n = len < KMD_READ_CHUNK ? len : KMD_READ_CHUNK;
		ssize_t got = pread(e->a->fd, buf, n, e->base + (off_t)from);

		if (got != (ssize_t)n) {
			hr = kmd_eng_fail(e, (HRESULT)KMDUMP_E_READ_FAULT,
				      "re-reading the dump to close a gap failed at offset %llu",
				      (unsigned long long)from);
			break;
		}
		hr = kmd_sink_write(e, to, buf, n);
		from += n;
		to += n;
		len -= n;
	}
	free(buf);
	return hr;
}

/* Places the readable piece [addr, +len), written at its direct offset, at e->end. */
static HRESULT direct_piece(struct eng *e, uint64_t addr, uint64_t len, uint64_t written_at)
{
	if (!len)
		return S_OK;
	if (!desc_room(e, addr, true))
		return S_FALSE;
	if (FAILED(move_down(e, written_at, e->end, len)) ||
	    FAILED(desc_add(e, addr, len, e->end, true)))
		return e->err;
	e->end += len;
	e->res->memory_bytes += len;
	return S_OK;
}

/*
 * Full memory without VM callbacks or I/O redirection: the module writes the bytes
 * straight into the file; unreadable runs are then reported and cut out, moving the
 * rest down so the Memory64List data stays contiguous.
 */
static HRESULT mem_write_direct(struct eng *e, uint64_t start, uint64_t end)
{
	struct direct_fail f = { 0 };
	uint64_t room = kmd_mem_room(e, end - start, e->tail), base = e->end, cur = start;
	HRESULT hr;
	size_t i;

	if (room < end - start) {
		e->capped = e->res->capped = true;
		end = start + room;
		if (start >= end)
			return S_OK;
	}
	hr = e->src->ops->read_to_fd(e->src->ctx, e->a->fd, start, end - start,
				     (uint64_t)e->base + base, direct_failed, &f);
	if (end - start && base + (end - start) > e->hiwater)
		e->hiwater = base + (end - start);
	if (FAILED(hr) || f.oom) {
		free(f.v);
		return kmd_eng_fail(e, f.oom ? E_OUTOFMEMORY : hr,
				"reading [0x%llx, 0x%llx) into the dump failed: %s",
				(unsigned long long)start, (unsigned long long)end,
				kmdump_strerror(f.oom ? E_OUTOFMEMORY : hr));
	}
	for (i = 0; i <= f.n && SUCCEEDED(e->err); i++) {
		uint64_t stop = i < f.n ? f.v[i].addr : end;

		if (stop > cur && direct_piece(e, cur, stop - cur, base + (cur - start)) == S_FALSE)
			break;
		if (i == f.n)
			break;
		if (FAILED(report_failure(e, f.v[i].addr, f.v[i].len, f.v[i].why)))
			break;
		cur = f.v[i].addr + f.v[i].len;
	}
	free(f.v);
	return e->err;
}

static bool direct_possible(const struct eng *e)
{
	return e->src->ops->read_to_fd && !e->io_redirect && !e->vm_on;
}

/* Streams [start, end) of target memory into the dump (MemoryList or Memory64List). */
HRESULT kmd_mem_write_block(struct eng *e, uint64_t start, uint64_t end, bool full)
{
	uint8_t *buf;
	uint64_t addr = start;

	if (FAILED(kmd_eng_poll_cancel(e)))
		return e->err;
	if (e->capped || start >= end)
		return S_OK;
	if (full && direct_possible(e))
		return mem_write_direct(e, start, end);
	buf = malloc(end - start < KMD_READ_CHUNK ? end - start : KMD_READ_CHUNK);
	if (!buf)
		return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	while (addr < end && SUCCEEDED(e->err)) {
		uint64_t n = end - addr < KMD_READ_CHUNK ? end - addr : KMD_READ_CHUNK;
		uint64_t room = kmd_mem_room(e, n, e->tail + 32);
		size_t done = 0;
		HRESULT hr;

		if (!full && e->end + room > UINT32_MAX)
			room = e->end < UINT32_MAX ? UINT32_MAX - e->end : 0;
		if (room < n) {
			e->capped = true;
			e->res->capped = true;
			n = room;
			if (!n)
				break;
		}
		hr = kmd_mem_read(e, addr, buf, n, &done);
		if (done && emit(e, addr, buf, done, full) == S_OK)
			e->res->memory_bytes += done;
		if (FAILED(e->err))
			break;
		if (SUCCEEDED(hr)) {
			addr += n;
		} else {
			uint64_t f = addr + done, stop = failed_run_end(e, f, end);

			if (FAILED(report_failure(e, f, stop - f, hr)))
				break;
			addr = stop;
		}
		if (e->capped)
			break;
	}
	free(buf);
	return e->err;
}
