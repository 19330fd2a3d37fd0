// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Where the dump's bytes go: pwrite() on the caller's descriptor (from the offset it
 * had when the dump started), or, when IoStartCallback answered S_FALSE, one
 * IoWriteAllCallback per write. Offsets are relative to the start of the dump and
 * writes are not sequential (tables and the directory are written after the data).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "engine.h"

static HRESULT write_redirected(struct eng *e, uint64_t off, const void *buf, size_t len)
{
	MINIDUMP_CALLBACK_INPUT in = { 0 };
	MINIDUMP_CALLBACK_OUTPUT out = { 0 };

	in.Io.Handle = e->a->fd;
	in.Io.Offset = off;
	in.Io.Buffer = (void *)buf;
	in.Io.BufferBytes = (ULONG)len;
	out.Status = E_FAIL;
	if (!kmd_eng_callback(e, IoWriteAllCallback, &in, &out))
		return kmd_eng_fail(e, E_FAIL, "IoWriteAllCallback returned FALSE for %zu bytes at offset %llu",
				len, (unsigned long long)off);
	if (out.Status != S_OK)
		return kmd_eng_fail(e, out.Status,
				"IoWriteAllCallback reported 0x%08x for %zu bytes at offset %llu",
				(unsigned int)out.Status, len, (unsigned long long)off);
	return S_OK;
}

static HRESULT write_fd(struct eng *e, uint64_t off, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(e->a->fd, p, len, e->base + (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : ENOSPC;

			return kmd_eng_fail(e, kmd_hresult_from_errno(err), "writing the dump failed at offset %llu: %s",
					(unsigned long long)off, strerror(err));
		}
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return S_OK;
}

HRESULT kmd_sink_write(struct eng *e, uint64_t off, const void *buf, size_t len)
{
	HRESULT hr;

	if (FAILED(e->err))
		return e->err;
	if (!len)
		return S_OK;
	if (off + len > e->cap)
		return kmd_eng_fail(e, (HRESULT)KMDUMP_E_FILE_TOO_LARGE,
				"the dump needs more than the %llu-byte size cap even without memory; raise the cap",
				(unsigned long long)e->cap);
	while (len) {
		/* BufferBytes is a ULONG: split writes of 4 GiB and more */
		size_t n = len > 0x40000000u ? 0x40000000u : len;

		hr = e->io_redirect ? write_redirected(e, off, buf, n) : write_fd(e, off, buf, n);
		if (FAILED(hr))
			return hr;
		buf = (const char *)buf + n;
		off += n;
		len -= n;
	}
	return S_OK;
}

HRESULT kmd_sink_append(struct eng *e, const void *buf, size_t len, uint64_t *rva)
{
	HRESULT hr = kmd_sink_write(e, e->end, buf, len);

	if (SUCCEEDED(hr)) {
		if (rva)
			*rva = e->end;
		e->end += len;
	}
	return hr;
}

HRESULT kmd_sink_align(struct eng *e, unsigned int align)
{
	static const char zeros[16];
	size_t pad = (align - (e->end % align)) % align;

	return pad ? kmd_sink_append(e, zeros, pad, NULL) : S_OK;
}

/* IoFinishCallback: the only chance the sink has to say the dump did not make it. */
HRESULT kmd_sink_finish(struct eng *e)
{
	MINIDUMP_CALLBACK_INPUT in = { 0 };
	MINIDUMP_CALLBACK_OUTPUT out = { 0 };

	if (!e->io_redirect) {
		/* direct reads that were cut around holes leave stale bytes past the end */
		if (e->hiwater > e->end && ftruncate(e->a->fd, e->base + (off_t)e->end))
			return kmd_eng_fail(e, kmd_hresult_from_errno(errno), "truncating the dump failed: %s",
					strerror(errno));
		return S_OK;
	}
	in.Io.Handle = e->a->fd;
	out.Status = E_FAIL;
	if (!kmd_eng_callback(e, IoFinishCallback, &in, &out) || out.Status != S_OK)
		return kmd_eng_fail(e, out.Status == S_OK ? E_FAIL : out.Status,
				"IoFinishCallback did not answer TRUE with Status S_OK; the dump is incomplete");
	return S_OK;
}

/* A failed dump must never pass for a whole one: zero its signature. */
void kmd_sink_invalidate(struct eng *e)
{
	static const uint32_t zero;
	HRESULT saved = e->err;
	struct kmdump_result *res = e->res;

	if (!e->header_written && !e->end)
		return;
	e->err = S_OK;
	e->res = NULL; /* keep the message of the first failure */
	if (e->io_redirect)
		write_redirected(e, 0, &zero, sizeof(zero));
	else if (e->a->fd >= 0)
		write_fd(e, 0, &zero, sizeof(zero));
	e->err = saved;
	e->res = res;
}
