// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reads of target memory. Every read goes through mem_read(), which brackets it with
 * VmPreRead/VmPostRead when VM callbacks are on. mem_write_block() streams one block
 * into the dump, turning each unreadable run into one ReadMemoryFailureCallback and
 * splitting the block around the runs it is told to skip.
 */
#include <stdlib.h>
#include <string.h>
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
		if (eng_callback(e, VmPreReadCallback, &in, &out)) {
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
		if (eng_callback(e, VmPostReadCallback, &in, &out)) {
			status = out.VmReadStatus;
			got = out.VmReadBytesCompleted < len ? out.VmReadBytesCompleted : len;
		}
	}
	if (SUCCEEDED(status) && got < len)
		status = (HRESULT)KMDUMP_E_PARTIAL_COPY;
	*done = got;
	return status;
}

HRESULT mem_read(struct eng *e, uint64_t addr, void *buf, size_t len, size_t *done)
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
uint64_t mem_room(struct eng *e, uint64_t want, uint64_t tail)
{
	uint64_t used = e->end + tail;

	if (used >= e->cap)
		return 0;
	return e->cap - used < want ? e->cap - used : want;
}

/* Appends bytes read at addr, extending the last descriptor when contiguous. */
static HRESULT emit(struct eng *e, uint64_t addr, const void *buf, size_t len, bool full)
{
	struct eng_descs *d = full ? &e->mem64 : &e->mem;
	struct eng_desc *last = d->n ? &d->v[d->n - 1] : NULL;
	uint64_t rva = e->end;

	if (last && last->start + last->size == addr && last->rva + last->size == rva &&
	    (full || last->size + len <= KMD_MAX_DESC)) {
		if (FAILED(sink_append(e, buf, len, NULL)))
			return e->err;
		last->size += len;
		return S_OK;
	}
	if (full && d->n >= e->mem64_slots) {
		/* no descriptor left for another range: leave the rest out */
		e->capped = e->res->capped = true;
		return S_FALSE;
	}
	if (FAILED(sink_append(e, buf, len, NULL)))
		return e->err;
	if (descs_push(d, addr, len, rva))
		return eng_fail(e, E_OUTOFMEMORY, "out of memory");
	return S_OK;
}

/* End of the unreadable run that starts at addr (page by page, at most to end). */
static uint64_t failed_run_end(struct eng *e, uint64_t addr, uint64_t end)
{
	uint64_t p = (addr | (KMD_PAGE - 1)) + 1;
	uint8_t byte;
	size_t done;

	while (p < end && FAILED(mem_read(e, p, &byte, 1, &done)))
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
	ok = e->a->callback ? eng_callback(e, ReadMemoryFailureCallback, &in, &out) : TRUE;
	if (!ok || out.Status != S_OK)
		return eng_fail(e, why,
				"memory at 0x%llx (%llu bytes) could not be read (0x%08x: %s); pass MiniDumpIgnoreInaccessibleMemory or answer S_OK to ReadMemoryFailureCallback to leave it out",
				(unsigned long long)addr, (unsigned long long)len, (unsigned int)why,
				kmdump_strerror(why));
	e->res->failed_reads++;
	e->tail += 16; /* the block is split: one more descriptor */
	return S_OK;
}

/* Streams [start, end) of target memory into the dump (MemoryList or Memory64List). */
HRESULT mem_write_block(struct eng *e, uint64_t start, uint64_t end, bool full)
{
	uint8_t *buf;
	uint64_t addr = start;

	if (FAILED(eng_poll_cancel(e)))
		return e->err;
	if (e->capped || start >= end)
		return S_OK;
	buf = malloc(end - start < KMD_READ_CHUNK ? end - start : KMD_READ_CHUNK);
	if (!buf)
		return eng_fail(e, E_OUTOFMEMORY, "out of memory");
	while (addr < end && SUCCEEDED(e->err)) {
		uint64_t n = end - addr < KMD_READ_CHUNK ? end - addr : KMD_READ_CHUNK;
		uint64_t room = mem_room(e, n, e->tail + 32);
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
		hr = mem_read(e, addr, buf, n, &done);
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
